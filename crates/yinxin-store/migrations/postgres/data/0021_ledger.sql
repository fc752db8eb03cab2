-- Issue 7, EVID-1, EVID-2: the evidence log. Nothing here is personal information: a leaf is a
-- canonical encoding of a type, a time and salted commitments (docs/LEDGER.md, PRIV-16).

-- Entries submitted and not yet sequenced; the sequencer deletes them as it integrates them.
CREATE TABLE ledger_pending (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry      BYTEA   NOT NULL,
    queued_at  BIGINT  NOT NULL
);

-- The leaves, in order: idx is the leaf index (0, 1, 2, …).
CREATE TABLE ledger_leaves (
    idx    BIGINT  PRIMARY KEY,
    entry  BYTEA   NOT NULL
);

-- Every complete subtree's hash: id = level << 56 | index (yinxin_domain::ledger::NodeId::key).
-- Level 0 holds the leaf hashes. Proofs read O(log n) of these, never the leaves.
CREATE TABLE ledger_nodes (
    id    BIGINT  PRIMARY KEY,
    hash  BYTEA   NOT NULL CHECK (length(hash) = 32)
);

-- The tree as last integrated: one row.
CREATE TABLE ledger_state (
    id    BIGINT  PRIMARY KEY CHECK (id = 1),
    size  BIGINT  NOT NULL,
    root  BYTEA   NOT NULL CHECK (length(root) = 32)
);
INSERT INTO ledger_state (id, size, root)
VALUES (1, 0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'::bytea);

-- The sequencer lease: the one node allowed to integrate and sign (several nodes may share a
-- database). holder '' is nobody.
CREATE TABLE ledger_sequencer (
    id          BIGINT  PRIMARY KEY CHECK (id = 1),
    holder      TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL
);
INSERT INTO ledger_sequencer (id, holder, expires_at) VALUES (1, '', 0);

-- Signed checkpoints (C2SP tlog-checkpoint notes), one per size.
CREATE TABLE ledger_checkpoints (
    size       BIGINT  PRIMARY KEY,
    root       BYTEA   NOT NULL CHECK (length(root) = 32),
    note       TEXT    NOT NULL,
    signed_at  BIGINT  NOT NULL
);

-- Append-only, whatever code asks: a leaf, a node or a checkpoint is never changed or removed.
-- (Someone who can drop these triggers can still edit the tables; the start-up check and the
-- signed checkpoints are what catch that.)
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the evidence log is append-only: % on % refused (EVID-1)', TG_OP, TG_TABLE_NAME;
END
$$;

CREATE TRIGGER ledger_leaves_append_only BEFORE UPDATE OR DELETE ON ledger_leaves
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE ON ledger_nodes
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
