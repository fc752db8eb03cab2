-- PRIV-10: personal information at rest is only ever sealed ciphertext.
CREATE TABLE pi_fields (
    subject_id  TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    sealed      BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (subject_id, field)
);

-- Keyed blind indexes for exact-match lookup. A digest is still personal information: erased with
-- the subject (PRIV-16).
CREATE TABLE pi_blind_index (
    field       TEXT NOT NULL,
    digest      BLOB NOT NULL,
    subject_id  TEXT NOT NULL,
    PRIMARY KEY (field, digest, subject_id)
);
CREATE INDEX pi_blind_index_by_subject ON pi_blind_index (subject_id, field);
