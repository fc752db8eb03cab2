-- Issue 7 items 3 and 5: proof bundles find a record's (or a token's) leaf, and external
-- anchors' receipts.

-- How an entry's leaf is found without a random-key index on the log (each append would then
-- dirty a random B-tree page: BENCHMARKS.md). Every entry's pending id is kept on its leaf
-- (written by the sequencer; pending ids grow with leaf indexes, so this index appends at its
-- right edge), beside its record's salt, and for a timestamp beside its serial.
ALTER TABLE ledger_leaves ADD COLUMN pending_id BIGINT;
CREATE INDEX ledger_leaves_by_pending ON ledger_leaves (pending_id);

-- The pending id and leaf hash of each record's entry, beside its salt (erased with it:
-- PRIV-16). Rows queued before this migration have neither. By leaf hash: records only, at
-- their own insert rate.
ALTER TABLE evidence_salts ADD COLUMN pending_id BIGINT;
ALTER TABLE evidence_salts ADD COLUMN leaf_hash BYTEA CHECK (leaf_hash IS NULL OR length(leaf_hash) = 32);
CREATE INDEX evidence_salts_by_leaf ON evidence_salts (leaf_hash);

-- Each timestamp token's entry, by serial (serials grow: appends at the right edge).
CREATE TABLE tsa_entries (
    serial      BIGINT PRIMARY KEY,
    pending_id  BIGINT NOT NULL
);

-- Receipts of external anchors (EVID-1), e.g. an RFC 3161 token over the SHA-256 of a
-- checkpoint's signed note. Append-only like the log.
CREATE TABLE ledger_anchors (
    id           BIGSERIAL PRIMARY KEY,
    size         BIGINT NOT NULL REFERENCES ledger_checkpoints (size),
    anchor       TEXT   NOT NULL,
    receipt      BYTEA  NOT NULL,
    anchored_at  BIGINT NOT NULL
);
CREATE INDEX ledger_anchors_by_size ON ledger_anchors (size);
CREATE INDEX ledger_anchors_by_anchor ON ledger_anchors (anchor, size);
CREATE TRIGGER ledger_anchors_append_only BEFORE UPDATE OR DELETE ON ledger_anchors
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
