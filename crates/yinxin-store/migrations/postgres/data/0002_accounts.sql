-- ACC-1..ACC-3, PRIV-1, PRIV-2, PRIV-17. No personal information in these tables: an account's PI
-- is sealed in pi_fields under its subject id.
CREATE TABLE accounts (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('personal', 'enterprise')),
    subject_id     TEXT    NOT NULL UNIQUE,
    password_hash  TEXT,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL
);

-- PRIV-17: the client holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash  BYTEA    PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    method      TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- PRIV-1, PRIV-4: versions are published once and never edited.
CREATE TABLE policy_versions (
    version       TEXT    PRIMARY KEY,
    updated_on    TEXT    NOT NULL,
    effective_on  TEXT    NOT NULL,
    material      BIGINT NOT NULL,
    text_sha256   TEXT    NOT NULL
);

-- PRIV-1, PRIV-2, PRIV-4: append-only; a withdrawal is a new row.
CREATE TABLE consents (
    id              TEXT    PRIMARY KEY,
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    policy_version  TEXT    NOT NULL REFERENCES policy_versions (version),
    scope           TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN ('given', 'withdrawn')),
    channel         TEXT    NOT NULL,
    text_sha256     TEXT    NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX consents_by_account ON consents (account_id, at);

-- A username belongs to one account: its blind-index digest is unique.
CREATE UNIQUE INDEX pi_blind_index_unique_username ON pi_blind_index (field, digest)
    WHERE field = 'account.username';

-- ACC-3: rate-limit counters shared by every node. The bucket is a keyed pseudonym of what is
-- limited (source address, mobile), never the value; rows live for a window or two.
CREATE TABLE rate_buckets (
    bucket        BYTEA    NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
