-- Issue 7 item 2, PRIV-16: the salt of each record whose evidence entry went into the log, stored
-- beside the record (same transaction) so that the record can be shown to match its leaf's
-- commitments, and erased with the record so that the leaf then reveals nothing.
CREATE TABLE evidence_salts (
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    salt        BLOB NOT NULL CHECK (length(salt) = 32),
    PRIMARY KEY (kind, record_id)
);
