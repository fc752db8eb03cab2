-- The vault's key store. It lives in a separate database (keystore.db beside yinxin.db, or its own
-- PostgreSQL schema/database) so that backups of the data never carry the keys that open it:
-- destroying a subject's key here makes every copy of that subject's fields unreadable (PRIV-16).

-- The blind-index root key wrapped by the master key, and the master key's fingerprint.
CREATE TABLE vault_root (
    id                 SMALLINT PRIMARY KEY CHECK (id = 1),
    kek_fingerprint    TEXT    NOT NULL,
    wrapped_index_key  BYTEA    NOT NULL,
    created_at         BIGINT  NOT NULL,
    rotated_at         BIGINT
);

-- One row per subject: its data key wrapped by the master key, or, once shredded, a tombstone
-- (NULL key, shredded_at set). One row, one primary key: a shred and a first write cannot race
-- past each other.
CREATE TABLE vault_subject_keys (
    subject_id       TEXT    PRIMARY KEY,
    kek_fingerprint  TEXT,
    wrapped_key      BYTEA,
    created_at       BIGINT  NOT NULL,
    shredded_at      BIGINT,
    CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL)),
    CHECK ((wrapped_key IS NULL) = (kek_fingerprint IS NULL))
);
CREATE INDEX vault_subject_keys_by_kek ON vault_subject_keys (kek_fingerprint);
