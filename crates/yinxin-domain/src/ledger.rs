//! The evidence log as stored (EVID-1, EVID-2, PRIV-7, PRIV-19; issue 7): entries waiting to be
//! sequenced, the leaves in order, every complete node of the Merkle tree, the tree's current
//! size and root, the signed checkpoints, and the lease that makes one node the sequencer.
//!
//! The tree math lives in `yinxin-ledger`; this module only says what is stored, so that the
//! store crate can implement it once for SQLite and PostgreSQL. Nothing stored here is personal
//! information: an entry is a canonical encoding of hashes and salted commitments (docs/LEDGER.md).

use async_trait::async_trait;

use crate::repo::StoreResult;

/// A SHA-256 value: a leaf hash, a node hash or a root.
pub type NodeHash = [u8; 32];

/// A complete subtree of the Merkle tree: the `2^level` leaves starting at `index * 2^level`.
/// Level 0 is a leaf hash; level `k` is the hash of two level `k - 1` nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves (0 for a leaf).
    pub level: u8,
    /// Position among the nodes of that level, from the left.
    pub index: u64,
}

impl NodeId {
    /// The largest level a node may have: 2^56 leaves is more than any log will hold, and it
    /// keeps [`NodeId::key`] within a positive `i64`.
    pub const MAX_LEVEL: u8 = 56;

    /// The node's single-integer key as stored: `level << 56 | index`. NEVER change this packing:
    /// every stored node would become unreachable.
    pub fn key(self) -> Option<i64> {
        if self.level > Self::MAX_LEVEL || self.index >= (1u64 << 56) {
            return None;
        }
        i64::try_from((u64::from(self.level) << 56) | self.index).ok()
    }

    /// The node of a stored key.
    pub fn from_key(key: i64) -> Option<Self> {
        let k = u64::try_from(key).ok()?;
        let level = u8::try_from(k >> 56).ok()?;
        Some(Self {
            level,
            index: k & ((1u64 << 56) - 1),
        })
    }
}

/// An entry submitted to the log and not yet sequenced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    /// Its queue position (assigned by the database; only its order matters).
    pub id: i64,
    /// The encoded entry (the leaf data once sequenced).
    pub entry: Vec<u8>,
}

/// The tree's size and root as last integrated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeState {
    /// Number of leaves.
    pub size: u64,
    /// The RFC 6962 root of those leaves (SHA-256 of nothing for the empty tree).
    pub root: NodeHash,
}

/// One batch the sequencer integrates, written in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Integration {
    /// The tree size the batch was computed on; the write is refused if the tree has moved.
    pub old_size: u64,
    /// The pending entries the batch consumes (deleted from the queue in the same transaction):
    /// `pending[i]` is the entry that becomes `leaves[i]` (its id is kept on the leaf).
    pub pending: Vec<i64>,
    /// The new leaves' data, for indexes `old_size ..`.
    pub leaves: Vec<Vec<u8>>,
    /// Every complete node the new leaves complete (their own leaf hashes included).
    pub nodes: Vec<(NodeId, NodeHash)>,
    /// The root of the tree after the batch.
    pub new_root: NodeHash,
    /// Unix milliseconds now: the sequencer's lease must still be valid at this time.
    pub now_ms: i64,
}

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it commits to.
    pub size: u64,
    /// The root at that size.
    pub root: NodeHash,
    /// The C2SP signed note, as published.
    pub note: String,
    /// Unix milliseconds of signing.
    pub signed_at: i64,
}

/// An evidence entry queued in the same transaction as the record it is evidence of, with the
/// record's salt (stored beside it in `evidence_salts`, so that the record can later be shown to
/// match its leaf, and erased with it: PRIV-16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceEntry {
    /// What kind of record (`signature`, …).
    pub kind: &'static str,
    /// The record's id.
    pub record_id: String,
    /// The record's salt.
    pub salt: [u8; 32],
    /// The entry, encoded (yinxin-ledger's canonical encoding).
    pub entry: Vec<u8>,
    /// Its RFC 6962 leaf hash, stored beside the salt: how the record's proof bundle finds its
    /// leaf once sequenced.
    pub leaf_hash: NodeHash,
    /// Unix milliseconds of queueing.
    pub queued_at_ms: i64,
}

/// A receipt from an external anchor (issue 7 item 5; EVID-1) for the checkpoint of `size`:
/// e.g. an RFC 3161 TimeStampToken over the SHA-256 of its signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorReceipt {
    /// The size of the checkpoint anchored.
    pub size: u64,
    /// The anchor's configured name (`rfc3161:<url>` …).
    pub anchor: String,
    /// What the anchor gave back (for RFC 3161, the token's DER).
    pub receipt: Vec<u8>,
    /// Unix milliseconds when it was received.
    pub anchored_at: i64,
}

/// Storage of the evidence log. Append-only: nothing here changes or removes a leaf, a node or
/// a checkpoint.
#[async_trait]
pub trait LedgerRepo: Send + Sync + std::fmt::Debug {
    /// Queues encoded entries for the sequencer, in one transaction.
    async fn enqueue(&self, entries: &[Vec<u8>], queued_at_ms: i64) -> StoreResult<()>;

    /// Up to `limit` pending entries, oldest first.
    async fn pending(&self, limit: u32) -> StoreResult<Vec<PendingEntry>>;

    /// The current size and root.
    async fn tree_state(&self) -> StoreResult<TreeState>;

    /// The stored hashes of `ids`, in the same order (`None` for a node not stored).
    async fn nodes(&self, ids: &[NodeId]) -> StoreResult<Vec<Option<NodeHash>>>;

    /// The data of up to `count` leaves from index `first`, in order.
    async fn leaves(&self, first: u64, count: u32) -> StoreResult<Vec<Vec<u8>>>;

    /// Writes a batch in one transaction: the leaves, the nodes, the new size and root, and
    /// removes the consumed pending entries. Refused as [`StoreError::Conflict`](crate::repo::StoreError)
    /// if the tree is no longer at `old_size` or `holder` does not hold a valid lease at `now_ms`
    /// (another sequencer took over): nothing is written then.
    async fn integrate(&self, holder: &str, batch: &Integration) -> StoreResult<()>;

    /// Takes (or renews) the sequencer lease for `holder` until `now_ms + ttl_ms`, if nobody
    /// else holds a valid one. Whether `holder` holds it now.
    async fn take_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> StoreResult<bool>;

    /// Gives the lease up, if `holder` has it.
    async fn release_lease(&self, holder: &str) -> StoreResult<()>;

    /// The checkpoint of the largest size, if any.
    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>>;

    /// Records a signed checkpoint. A second checkpoint of the same size is a conflict.
    async fn insert_checkpoint(&self, checkpoint: &StoredCheckpoint) -> StoreResult<()>;

    /// The key id that signs `origin`'s checkpoints: `proposed` is recorded if none is yet
    /// (the first start), and whatever is recorded is returned — so two nodes starting at once
    /// agree on one key.
    async fn log_key(&self, origin: &str, proposed: &str, at: i64) -> StoreResult<String>;

    /// The key id recorded for `origin`, if any.
    async fn stored_log_key(&self, origin: &str) -> StoreResult<Option<String>>;

    /// The salt of the record `kind`/`record_id` whose entry was queued with it, if any (and
    /// not erased).
    async fn evidence_salt(&self, kind: &str, record_id: &str) -> StoreResult<Option<[u8; 32]>>;

    /// The leaf hash of the entry queued with the record `kind`/`record_id`, if recorded (rows
    /// from before migration 0025 have none) and not erased.
    async fn evidence_leaf(&self, kind: &str, record_id: &str) -> StoreResult<Option<NodeHash>>;

    /// The index of the leaf whose hash is `leaf_hash`, if it is in the tree and is the entry
    /// of a record (found through the hash kept beside the record's salt and the pending id on
    /// the leaf; the log itself has no index by hash, which would make every append a random
    /// B-tree insert).
    async fn leaf_index(&self, leaf_hash: &NodeHash) -> StoreResult<Option<u64>>;

    /// The index of the leaf of the timestamp token of `serial`, if integrated.
    async fn timestamp_leaf(&self, serial: u64) -> StoreResult<Option<u64>>;

    /// The checkpoint of the smallest size at least `size`, if any; with `anchored`, only
    /// among checkpoints that have an anchor receipt.
    async fn checkpoint_from(
        &self,
        size: u64,
        anchored: bool,
    ) -> StoreResult<Option<StoredCheckpoint>>;

    /// Records an anchor receipt (of a checkpoint already stored).
    async fn insert_anchor(&self, receipt: &AnchorReceipt) -> StoreResult<()>;

    /// The receipts of the checkpoint of `size`, oldest first.
    async fn anchors(&self, size: u64) -> StoreResult<Vec<AnchorReceipt>>;

    /// The largest checkpoint size `anchor` has a receipt for.
    async fn last_anchored(&self, anchor: &str) -> StoreResult<Option<u64>>;
}
