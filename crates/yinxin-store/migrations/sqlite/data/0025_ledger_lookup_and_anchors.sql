-- Issue 7 items 3 and 5: proof bundles find a record's leaf, and external anchors' receipts.

-- The leaf hash of each record's entry, beside its salt (erased with it: PRIV-16). Rows queued
-- before this migration have none.
ALTER TABLE evidence_salts ADD COLUMN leaf_hash BLOB CHECK (leaf_hash IS NULL OR length(leaf_hash) = 32);

-- A leaf by its hash: the level-0 nodes only (id < 2^56, yinxin_domain::ledger::NodeId::key).
-- Queries must repeat the same condition for the index to serve them.
CREATE INDEX ledger_leaves_by_hash ON ledger_nodes (hash) WHERE id < 72057594037927936;

-- Receipts of external anchors (EVID-1), e.g. an RFC 3161 token over the SHA-256 of a
-- checkpoint's signed note. Append-only like the log.
CREATE TABLE ledger_anchors (
    id           INTEGER PRIMARY KEY,
    size         INTEGER NOT NULL REFERENCES ledger_checkpoints (size),
    anchor       TEXT    NOT NULL,
    receipt      BLOB    NOT NULL,
    anchored_at  INTEGER NOT NULL
);
CREATE INDEX ledger_anchors_by_size ON ledger_anchors (size);
CREATE INDEX ledger_anchors_by_anchor ON ledger_anchors (anchor, size);
CREATE TRIGGER ledger_anchors_append_only BEFORE UPDATE ON ledger_anchors
BEGIN
    SELECT RAISE(ABORT, 'the evidence log is append-only: an anchor receipt is never changed (EVID-1)');
END;
CREATE TRIGGER ledger_anchors_never_deleted BEFORE DELETE ON ledger_anchors
BEGIN
    SELECT RAISE(ABORT, 'the evidence log is append-only: an anchor receipt is never removed (EVID-1)');
END;
