-- Issue 8 item 6 (PRIV-15): erasure propagation. When a subject's data is erased (the retention
-- engine) or deleted (a deletion request), every processor and relying application that received
-- it (the disclosure logs) is sent a notice through its registered channel (a webhook, signed with
-- HMAC-SHA256 under a secret shared with it), retried until acknowledged; every attempt is kept.
-- No PI: notices hold ids, field names and times. docs/RETENTION.md.
CREATE TABLE erasure_channels (
    recipient_kind  TEXT    NOT NULL CHECK (recipient_kind IN ('processor', 'app')),
    recipient       TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    secret_sealed   BLOB    NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (recipient_kind, recipient)
);

CREATE TABLE erasure_notices (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    recipient_kind   TEXT    NOT NULL CHECK (recipient_kind IN ('processor', 'app')),
    recipient        TEXT    NOT NULL,
    cause            TEXT    NOT NULL CHECK (cause IN ('account_erasure', 'deletion_request')),
    cause_ref        TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    last_outcome     TEXT,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT,
    note             TEXT,
    UNIQUE (recipient_kind, recipient, cause, cause_ref)
);
CREATE INDEX erasure_notices_due ON erasure_notices (next_attempt_at) WHERE acknowledged_at IS NULL;
CREATE INDEX erasure_notices_by_account ON erasure_notices (account_id);

CREATE TABLE erasure_notice_attempts (
    notice_id     TEXT    NOT NULL REFERENCES erasure_notices (id),
    n             INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    outcome       TEXT    NOT NULL,
    acknowledged  INTEGER NOT NULL CHECK (acknowledged IN (0, 1)),
    PRIMARY KEY (notice_id, n)
);
