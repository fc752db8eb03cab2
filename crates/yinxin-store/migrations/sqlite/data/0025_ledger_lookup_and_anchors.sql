-- Issue 7 items 3 and 5: proof bundles find a record's (or a token's) leaf, and external
-- anchors' receipts.

-- How an entry's leaf is found without a random-key index on the log (each append would then
-- dirty a random B-tree page: BENCHMARKS.md). Every entry's pending id is kept on its leaf
-- (written by the sequencer; pending ids grow with leaf indexes, so this index appends at its
-- right edge), beside its record's salt, and for a timestamp beside its serial.
-- SQLite reuses the rowid of an emptied table (the queue empties at every integration), so the
-- queue is rebuilt with AUTOINCREMENT: its ids then never repeat.
CREATE TABLE ledger_pending_v2 (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    entry      BLOB    NOT NULL,
    queued_at  INTEGER NOT NULL
);
INSERT INTO ledger_pending_v2 (id, entry, queued_at) SELECT id, entry, queued_at FROM ledger_pending;
DROP TABLE ledger_pending;
ALTER TABLE ledger_pending_v2 RENAME TO ledger_pending;
ALTER TABLE ledger_leaves ADD COLUMN pending_id INTEGER;
CREATE INDEX ledger_leaves_by_pending ON ledger_leaves (pending_id);

-- The pending id and leaf hash of each record's entry, beside its salt (erased with it:
-- PRIV-16). Rows queued before this migration have neither. By leaf hash: records only, at
-- their own insert rate.
ALTER TABLE evidence_salts ADD COLUMN pending_id INTEGER;
ALTER TABLE evidence_salts ADD COLUMN leaf_hash BLOB CHECK (leaf_hash IS NULL OR length(leaf_hash) = 32);
CREATE INDEX evidence_salts_by_leaf ON evidence_salts (leaf_hash);

-- Each timestamp token's entry, by serial (serials grow: appends at the right edge).
CREATE TABLE tsa_entries (
    serial      INTEGER PRIMARY KEY,
    pending_id  INTEGER NOT NULL
);

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
