-- Issue 7 item 4 (EVID-2): certificates the service itself signs with, issued by an issuing CA —
-- the evidence-report signer, one per active issuing CA. Kept beside ca_certificates (same
-- columns) rather than in it: its role CHECK cannot be widened on SQLite without rebuilding a
-- table that others reference. No PI: the names are the operator's.
CREATE TABLE service_certificates (
    id            TEXT    PRIMARY KEY,
    algorithm     TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('evidence')),
    parent        TEXT    NOT NULL REFERENCES ca_certificates (id),
    key_id        TEXT    NOT NULL,
    token_serial  TEXT,
    certificate   BYTEA   NOT NULL,
    serial        TEXT    NOT NULL UNIQUE,
    created_at    BIGINT      NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE
);
