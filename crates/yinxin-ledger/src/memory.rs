//! [`MemoryLedger`]: the ledger's storage in memory, for tests and for tools that build a tree
//! without a database. Same contract as the SQL implementations in `yinxin-store`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use yinxin_domain::ledger::{
    AnchorReceipt, Integration, LedgerRepo, NodeHash, NodeId, PendingEntry, StoredCheckpoint,
    TreeState,
};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::tree;

#[derive(Debug)]
struct State {
    next_pending: i64,
    pending: BTreeMap<i64, Vec<u8>>,
    leaves: Vec<Vec<u8>>,
    nodes: HashMap<NodeId, NodeHash>,
    tree: TreeState,
    lease: Option<(String, i64)>,
    checkpoints: BTreeMap<u64, StoredCheckpoint>,
    keys: HashMap<String, String>,
    anchors: Vec<AnchorReceipt>,
}

/// The ledger's storage in memory.
#[derive(Debug)]
pub struct MemoryLedger(Mutex<State>);

impl Default for MemoryLedger {
    fn default() -> Self {
        Self(Mutex::new(State {
            next_pending: 1,
            pending: BTreeMap::new(),
            leaves: Vec::new(),
            nodes: HashMap::new(),
            tree: TreeState {
                size: 0,
                root: tree::empty_root(),
            },
            lease: None,
            checkpoints: BTreeMap::new(),
            keys: HashMap::new(),
            anchors: Vec::new(),
        }))
    }
}

impl MemoryLedger {
    fn state(&self) -> StoreResult<MutexGuard<'_, State>> {
        self.0
            .lock()
            .map_err(|_| StoreError::Unavailable("the in-memory ledger lock is poisoned".into()))
    }

    /// Overwrites a leaf's data, as a tampering database user would (for tests of the start-up
    /// check).
    pub fn tamper_leaf(&self, index: u64, data: Vec<u8>) -> StoreResult<()> {
        let mut s = self.state()?;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| s.leaves.get_mut(i))
            .ok_or_else(|| StoreError::Corrupt(format!("no leaf {index}")))?;
        *slot = data;
        Ok(())
    }
}

#[async_trait]
impl LedgerRepo for MemoryLedger {
    async fn enqueue(&self, entries: &[Vec<u8>], _queued_at_ms: i64) -> StoreResult<()> {
        let mut s = self.state()?;
        for e in entries {
            let id = s.next_pending;
            s.next_pending += 1;
            s.pending.insert(id, e.clone());
        }
        Ok(())
    }

    async fn pending(&self, limit: u32) -> StoreResult<Vec<PendingEntry>> {
        let s = self.state()?;
        Ok(s.pending
            .iter()
            .take(limit as usize)
            .map(|(id, entry)| PendingEntry {
                id: *id,
                entry: entry.clone(),
            })
            .collect())
    }

    async fn tree_state(&self) -> StoreResult<TreeState> {
        Ok(self.state()?.tree)
    }

    async fn nodes(&self, ids: &[NodeId]) -> StoreResult<Vec<Option<NodeHash>>> {
        let s = self.state()?;
        Ok(ids.iter().map(|id| s.nodes.get(id).copied()).collect())
    }

    async fn leaves(&self, first: u64, count: u32) -> StoreResult<Vec<Vec<u8>>> {
        let s = self.state()?;
        let first = usize::try_from(first).unwrap_or(usize::MAX);
        Ok(s.leaves
            .iter()
            .skip(first)
            .take(count as usize)
            .cloned()
            .collect())
    }

    async fn integrate(&self, holder: &str, batch: &Integration) -> StoreResult<()> {
        let mut s = self.state()?;
        if s.tree.size != batch.old_size {
            return Err(StoreError::Conflict(format!(
                "the tree is at {}, not {}",
                s.tree.size, batch.old_size
            )));
        }
        match &s.lease {
            Some((h, until)) if h == holder && *until > batch.now_ms => {}
            _ => return Err(StoreError::Conflict("the sequencer lease is lost".into())),
        }
        if batch.pending.iter().any(|id| !s.pending.contains_key(id)) {
            return Err(StoreError::Conflict(
                "a pending entry was taken already".into(),
            ));
        }
        for id in &batch.pending {
            s.pending.remove(id);
        }
        s.leaves.extend(batch.leaves.iter().cloned());
        for (id, h) in &batch.nodes {
            s.nodes.insert(*id, *h);
        }
        s.tree = TreeState {
            size: batch.old_size + batch.leaves.len() as u64,
            root: batch.new_root,
        };
        Ok(())
    }

    async fn take_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> StoreResult<bool> {
        let mut s = self.state()?;
        let free = match &s.lease {
            None => true,
            Some((h, until)) => h == holder || *until <= now_ms,
        };
        if free {
            s.lease = Some((holder.to_owned(), now_ms + ttl_ms));
        }
        Ok(free)
    }

    async fn release_lease(&self, holder: &str) -> StoreResult<()> {
        let mut s = self.state()?;
        if s.lease.as_ref().is_some_and(|(h, _)| h == holder) {
            s.lease = None;
        }
        Ok(())
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        Ok(self.state()?.checkpoints.values().next_back().cloned())
    }

    async fn insert_checkpoint(&self, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        let mut s = self.state()?;
        if s.checkpoints.contains_key(&checkpoint.size) {
            return Err(StoreError::Conflict(format!(
                "a checkpoint of size {} exists",
                checkpoint.size
            )));
        }
        s.checkpoints.insert(checkpoint.size, checkpoint.clone());
        Ok(())
    }

    async fn log_key(&self, origin: &str, proposed: &str, _at: i64) -> StoreResult<String> {
        let mut s = self.state()?;
        Ok(s.keys
            .entry(origin.to_owned())
            .or_insert_with(|| proposed.to_owned())
            .clone())
    }

    async fn evidence_salt(&self, _kind: &str, _record_id: &str) -> StoreResult<Option<[u8; 32]>> {
        // Records and their salts live in the SQL stores; the in-memory log holds leaves only.
        Ok(None)
    }

    async fn stored_log_key(&self, origin: &str) -> StoreResult<Option<String>> {
        Ok(self.state()?.keys.get(origin).cloned())
    }

    async fn evidence_leaf(&self, _kind: &str, _record_id: &str) -> StoreResult<Option<NodeHash>> {
        Ok(None)
    }

    /// In memory there are no records: any leaf is found by its hash, by a scan.
    async fn leaf_index(&self, leaf_hash: &NodeHash) -> StoreResult<Option<u64>> {
        let s = self.state()?;
        Ok((0..s.tree.size)
            .find(|&i| s.nodes.get(&NodeId { level: 0, index: i }) == Some(leaf_hash)))
    }

    async fn timestamp_leaf(&self, _serial: u64) -> StoreResult<Option<u64>> {
        Ok(None)
    }

    async fn checkpoint_from(
        &self,
        size: u64,
        anchored: bool,
    ) -> StoreResult<Option<StoredCheckpoint>> {
        let s = self.state()?;
        Ok(s.checkpoints
            .range(size..)
            .map(|(_, c)| c)
            .find(|c| !anchored || s.anchors.iter().any(|a| a.size == c.size))
            .cloned())
    }

    async fn insert_anchor(&self, receipt: &AnchorReceipt) -> StoreResult<()> {
        let mut s = self.state()?;
        if !s.checkpoints.contains_key(&receipt.size) {
            return Err(StoreError::Conflict(format!(
                "no checkpoint of size {} to anchor",
                receipt.size
            )));
        }
        s.anchors.push(receipt.clone());
        Ok(())
    }

    async fn anchors(&self, size: u64) -> StoreResult<Vec<AnchorReceipt>> {
        Ok(self
            .state()?
            .anchors
            .iter()
            .filter(|a| a.size == size)
            .cloned()
            .collect())
    }

    async fn last_anchored(&self, anchor: &str) -> StoreResult<Option<u64>> {
        Ok(self
            .state()?
            .anchors
            .iter()
            .filter(|a| a.anchor == anchor)
            .map(|a| a.size)
            .max())
    }
}
