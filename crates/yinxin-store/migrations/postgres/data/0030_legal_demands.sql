-- Issue 8 item 8 (PRIV-6, PRIV-7): legal demands, recorded with their document (sealed under the
-- service's key: a subject's erasure must not destroy it) before anything is provided. Subjects
-- and data items are JSON lists of account ids and inventory field names.
CREATE TABLE legal_demands (
    seq              BIGSERIAL PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    authority        TEXT    NOT NULL,
    document_number  TEXT    NOT NULL,
    legal_basis      TEXT    NOT NULL,
    subjects         TEXT    NOT NULL,
    data_items       TEXT    NOT NULL,
    document_type    TEXT    NOT NULL,
    document_sha256  TEXT    NOT NULL,
    document_sealed  BYTEA   NOT NULL,
    recorded_by      TEXT    NOT NULL REFERENCES accounts (id),
    recorded_at      BIGINT NOT NULL
);
