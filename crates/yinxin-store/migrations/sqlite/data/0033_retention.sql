-- Issue 8 items 4-5 (ACC-6, PRIV-9, PRIV-14..16, CERT-7): cancellation, erasure, custody, legal
-- holds, and the lease of the retention job. docs/RETENTION.md.
ALTER TABLE accounts ADD COLUMN cancelled_at INTEGER;
ALTER TABLE accounts ADD COLUMN erased_at INTEGER;
CREATE INDEX accounts_cancelled ON accounts (cancelled_at) WHERE cancelled_at IS NOT NULL AND erased_at IS NULL;

-- Storage only (PIPL art. 47): what the inventory keeps under a legal rule, of an erased subject,
-- sealed under the subject's custody key (a key-store key of its own) until retain_until.
CREATE TABLE pi_custody (
    subject_id    TEXT    NOT NULL,
    field         TEXT    NOT NULL,
    sealed        BLOB    NOT NULL,
    retain_until  INTEGER NOT NULL,
    PRIMARY KEY (subject_id, field)
);

-- 1: the DER is sealed under the holder's custody key (the holder was erased).
ALTER TABLE certificates ADD COLUMN custody INTEGER NOT NULL DEFAULT 0 CHECK (custody IN (0, 1));

-- Court or authority orders that suspend erasure, recorded with their document (sealed under the
-- service's key, like a legal demand's).
CREATE TABLE legal_holds (
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    authority        TEXT    NOT NULL,
    document_number  TEXT    NOT NULL,
    document_type    TEXT    NOT NULL,
    document_sha256  TEXT    NOT NULL,
    document_sealed  BLOB    NOT NULL,
    placed_by        TEXT    NOT NULL REFERENCES accounts (id),
    placed_at        INTEGER NOT NULL,
    released_by      TEXT    REFERENCES accounts (id),
    released_at      INTEGER,
    CHECK ((released_by IS NULL) = (released_at IS NULL))
);
CREATE INDEX legal_holds_standing ON legal_holds (account_id) WHERE released_at IS NULL;

-- One node at a time runs a background job (the retention sweep).
CREATE TABLE job_leases (
    job         TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
);
