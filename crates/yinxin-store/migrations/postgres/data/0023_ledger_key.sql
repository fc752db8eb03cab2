-- Issue 7: which key signs the checkpoints of each log origin. The key itself lives in the CA's
-- key store (software or PKCS#11); this row names it, so every node and every restart signs with
-- the same key (the one the published vkey names). Written once per origin, never changed.
CREATE TABLE ledger_keys (
    origin      TEXT    PRIMARY KEY,
    key_id      TEXT    NOT NULL,
    created_at  BIGINT NOT NULL
);
