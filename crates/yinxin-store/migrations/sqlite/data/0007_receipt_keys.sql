-- PRIV-1: public keys that sign consent receipts. A key once published stays, so a receipt stays
-- verifiable after the signing key changes. Public keys only; no personal information.
CREATE TABLE receipt_keys (
    kid         TEXT    PRIMARY KEY,
    public_key  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);
