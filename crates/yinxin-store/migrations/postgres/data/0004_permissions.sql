-- PRIV-3: device permissions per account, append-only; the latest change per permission is its state.
CREATE TABLE permission_events (
    seq         BIGSERIAL PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    permission  TEXT    NOT NULL,
    granted     BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX permission_events_by_account ON permission_events (account_id, at);
