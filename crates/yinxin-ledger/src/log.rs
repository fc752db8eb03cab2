//! The evidence log over its storage (EVID-1, EVID-2): submitting entries, the sequencer that
//! integrates them in batches, signed checkpoints that are refused unless they extend the last
//! one (witnessing), proofs in O(log n) node reads, and the start-up check of the stored tree
//! against the last checkpoint.

use std::sync::Arc;

use rand::RngCore;
use yinxin_domain::ledger::{
    AnchorReceipt, Integration, LedgerRepo, NodeHash, NodeId, StoredCheckpoint,
};
use yinxin_domain::repo::StoreError;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::anchor::{Anchor, AnchorOutcome};
use crate::bundle::{BUNDLE_FORMAT, Bundle, BundleAnchor, TlogProof};
use crate::entry::{Entry, EntryError};
use crate::note::{Checkpoint, LogKey, NoteError, NoteVerifier};
use crate::tree::{self, Frontier, Range};

/// What went wrong in the log. Input errors name the parameter at fault.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A request outside the tree (`index`, `size`, `from`, `to`).
    #[error("{field}: {reason}")]
    Input {
        /// The parameter at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The storage failed.
    #[error("ledger storage: {0}")]
    Store(#[from] StoreError),
    /// Another node holds the sequencer lease.
    #[error("this node is not the log's sequencer: another node holds the lease")]
    NotSequencer,
    /// A checkpoint that would not extend the previous one (witnessing, issue 7 item 6).
    #[error("refusing to sign a checkpoint: {0}")]
    Inconsistent(String),
    /// The stored tree does not match its last checkpoint (start-up check).
    #[error("the stored evidence log does not match its last signed checkpoint: {0}")]
    TreeMismatch(String),
    /// A checkpoint note or key problem.
    #[error("checkpoint: {0}")]
    Note(#[from] NoteError),
    /// An entry that cannot be encoded.
    #[error("{0}")]
    Entry(#[from] EntryError),
    /// The checkpoint key could not be made or opened in the key store.
    #[error("checkpoint key: {0}")]
    Key(String),
    /// What was asked for is not in the log (yet): the message names the parameter.
    #[error("{0}")]
    NotFound(String),
}

/// A proof request refused by the tree's rules, as a refusal of the same field.
fn refusal(e: tree::ProofError) -> LedgerError {
    match e {
        tree::ProofError::Input { field, reason } => LedgerError::Input { field, reason },
        other => LedgerError::Inconsistent(other.to_string()),
    }
}

fn input(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Input {
        field,
        reason: reason.into(),
    }
}

/// An inclusion proof as served: leaf `index` is in the tree of `size` leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The leaf hash.
    pub leaf_hash: NodeHash,
    /// The audit path, from the leaf up (RFC 9162 §2.1.3).
    pub path: Vec<NodeHash>,
}

/// How much the start-up check reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeCheck {
    /// Every leaf is rehashed and the root recomputed from the leaves alone, then compared with
    /// the last checkpoint and the current state; the stored right edge is compared too. Reads
    /// every leaf once.
    Leaves,
    /// As [`TreeCheck::Leaves`], and every stored node is compared with the recomputed one, so
    /// that an altered interior node (which would give wrong proofs) is found as well. Reads
    /// every leaf and every node.
    EveryNode,
}

/// What the start-up check found (when it passes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeReport {
    /// Leaves rehashed.
    pub leaves: u64,
    /// The size of the last checkpoint (0 if none).
    pub checkpoint_size: u64,
    /// Stored nodes compared ([`TreeCheck::EveryNode`]).
    pub nodes_compared: u64,
}

/// Leaves read per query by the start-up check.
const CHECK_CHUNK: u32 = 8192;

/// The evidence log of one origin, over a [`LedgerRepo`].
#[derive(Debug, Clone)]
pub struct Log {
    repo: Arc<dyn LedgerRepo>,
    key: LogKey,
    verifier: NoteVerifier,
    holder: String,
    lease_ttl_ms: i64,
}

impl Log {
    /// The log whose origin (and checkpoint key name) is the key's name. `holder` names this
    /// node for the sequencer lease; a random one is made if `None`.
    pub fn new(repo: Arc<dyn LedgerRepo>, key: LogKey, holder: Option<String>) -> Self {
        let holder = holder.unwrap_or_else(|| {
            let mut b = [0u8; 8];
            rand::rngs::OsRng.fill_bytes(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        });
        Self {
            verifier: key.verifier(),
            repo,
            key,
            holder,
            lease_ttl_ms: 30_000,
        }
    }

    /// The log of `origin` with its checkpoint key from `keys`: the key recorded for the origin
    /// (`LedgerRepo::log_key`), or on the first start a new Ed25519 key labelled
    /// `ledger/<origin>`, recorded so that every node and restart signs with it. If two nodes
    /// start at once, both generate, one is recorded, and both use that one (the other key stays
    /// unused in the store).
    pub async fn open(
        repo: Arc<dyn LedgerRepo>,
        keys: &dyn yinxin_crypto::KeyStore,
        origin: &str,
        holder: Option<String>,
        now_s: i64,
    ) -> Result<Self, LedgerError> {
        let key_err = |e: yinxin_crypto::CryptoError| LedgerError::Key(e.to_string());
        let id = match repo.stored_log_key(origin).await? {
            Some(id) => id,
            None => {
                let made = keys
                    .generate(
                        yinxin_crypto::KeyAlgorithm::Ed25519,
                        &format!("ledger/{origin}"),
                    )
                    .await
                    .map_err(key_err)?;
                repo.log_key(origin, made.id.as_str(), now_s).await?
            }
        };
        let signer = keys
            .signer(&yinxin_crypto::KeyId::new(id))
            .await
            .map_err(key_err)?;
        Ok(Self::new(repo, LogKey::new(origin, signer)?, holder))
    }

    /// The verifier key to publish (C2SP vkey).
    pub fn vkey(&self) -> String {
        self.key.vkey()
    }

    /// The origin line of this log's checkpoints.
    pub fn origin(&self) -> &str {
        self.key.name()
    }

    /// Queues entries for the sequencer.
    pub async fn submit(&self, entries: &[Entry], now_ms: i64) -> Result<(), LedgerError> {
        let encoded = entries
            .iter()
            .map(Entry::encode)
            .collect::<Result<Vec<_>, _>>()?;
        self.repo.enqueue(&encoded, now_ms).await?;
        Ok(())
    }

    /// The current tree size.
    pub async fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.repo.tree_state().await?.size)
    }

    /// Takes or renews the sequencer lease; [`LedgerError::NotSequencer`] if another node has it.
    async fn lease(&self, now_ms: i64) -> Result<(), LedgerError> {
        if self
            .repo
            .take_lease(&self.holder, now_ms, self.lease_ttl_ms)
            .await?
        {
            Ok(())
        } else {
            Err(LedgerError::NotSequencer)
        }
    }

    /// Gives up the sequencer lease (at shutdown), so another node can take over at once.
    pub async fn step_down(&self) -> Result<(), LedgerError> {
        Ok(self.repo.release_lease(&self.holder).await?)
    }

    /// The right edge of the stored tree of `size` leaves, checked against `root`.
    async fn frontier(&self, size: u64) -> Result<Frontier, LedgerError> {
        if size == 0 {
            return Ok(Frontier::empty());
        }
        let ids = Range {
            begin: 0,
            end: size,
        }
        .nodes();
        let hashes = self.repo.nodes(&ids).await?;
        let nodes = ids
            .iter()
            .zip(hashes)
            .map(|(id, h)| h.map(|h| (*id, h)).ok_or(*id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|id| StoreError::Corrupt(format!("ledger node {id:?} is missing")))?;
        Frontier::from_nodes(size, nodes)
            .ok_or_else(|| StoreError::Corrupt("ledger frontier".into()).into())
    }

    /// The sequencer's step: integrates up to `max` pending entries in one transaction and
    /// returns how many. [`LedgerError::NotSequencer`] if another node holds the lease.
    pub async fn sequence(&self, max: u32, now_ms: i64) -> Result<u64, LedgerError> {
        self.lease(now_ms).await?;
        let pending = self.repo.pending(max).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let state = self.repo.tree_state().await?;
        let mut frontier = self.frontier(state.size).await?;
        if frontier.root() != state.root {
            return Err(StoreError::Corrupt(format!(
                "the stored nodes of the tree of {} leaves do not give its recorded root",
                state.size
            ))
            .into());
        }
        let mut nodes = Vec::with_capacity(pending.len() * 2 + 1);
        for p in &pending {
            frontier.push(tree::leaf_hash(&p.entry), |id, h| nodes.push((id, h)));
        }
        let count = pending.len() as u64;
        let mut ids = Vec::with_capacity(pending.len());
        let mut leaves = Vec::with_capacity(pending.len());
        for p in pending {
            ids.push(p.id);
            leaves.push(p.entry);
        }
        let batch = Integration {
            old_size: state.size,
            pending: ids,
            leaves,
            nodes,
            new_root: frontier.root(),
            now_ms,
        };
        self.repo.integrate(&self.holder, &batch).await?;
        tracing::debug!(
            leaves = count,
            size = state.size + count,
            "ledger batch integrated"
        );
        Ok(count)
    }

    /// The last signed checkpoint, if any, with its note checked against this log's key.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, LedgerError> {
        let Some(c) = self.repo.latest_checkpoint().await? else {
            return Ok(None);
        };
        let opened = self.verifier.open(&c.note)?;
        if opened.size != c.size || opened.root != c.root || opened.origin != self.origin() {
            return Err(LedgerError::TreeMismatch(format!(
                "the stored checkpoint of size {} does not say what its signed note says",
                c.size
            )));
        }
        Ok(Some(c))
    }

    /// Signs a checkpoint of the current tree — only if it extends the last one: the consistency
    /// proof between them is generated from the stored nodes and verified before signing. Returns
    /// the last checkpoint unchanged when the tree has not grown.
    pub async fn sign_checkpoint(&self, now_ms: i64) -> Result<StoredCheckpoint, LedgerError> {
        self.lease(now_ms).await?;
        let state = self.repo.tree_state().await?;
        let stored_root = self.root_at(state.size).await?;
        if stored_root != state.root {
            return Err(LedgerError::Inconsistent(format!(
                "the stored nodes of the tree of {} leaves do not give its recorded root",
                state.size
            )));
        }
        if let Some(prev) = self.latest_checkpoint().await? {
            if state.size < prev.size {
                return Err(LedgerError::Inconsistent(format!(
                    "the tree has {} leaves, fewer than the {} of the last checkpoint",
                    state.size, prev.size
                )));
            }
            if state.size == prev.size {
                if state.root != prev.root {
                    return Err(LedgerError::Inconsistent(format!(
                        "the root at size {} differs from the last checkpoint's",
                        state.size
                    )));
                }
                return Ok(prev);
            }
            if prev.size > 0 {
                let proof = self.consistency_proof(prev.size, state.size).await?;
                tree::verify_consistency(prev.size, state.size, &prev.root, &state.root, &proof)
                    .map_err(|e| {
                        LedgerError::Inconsistent(format!(
                            "the tree of {} leaves does not extend the last checkpoint of {}: {e}",
                            state.size, prev.size
                        ))
                    })?;
            }
        }
        let note = self.key.sign(&Checkpoint {
            origin: self.origin().to_owned(),
            size: state.size,
            root: state.root,
        })?;
        let c = StoredCheckpoint {
            size: state.size,
            root: state.root,
            note,
            signed_at: now_ms,
        };
        self.repo.insert_checkpoint(&c).await?;
        Ok(c)
    }

    /// Refuses a `size` beyond the tree, naming `field`.
    async fn within_tree(&self, field: &'static str, size: u64) -> Result<(), LedgerError> {
        let current = self.size().await?;
        if size > current {
            return Err(input(
                field,
                format!("{size} is larger than the tree, which has {current} leaves"),
            ));
        }
        Ok(())
    }

    /// Reads the nodes `ranges` need (O(log n) of them, one query) and returns their hashes;
    /// `extra` nodes are read in the same query and returned after.
    async fn range_hashes(
        &self,
        ranges: &[Range],
        extra: &[NodeId],
    ) -> Result<(Vec<NodeHash>, Vec<Option<NodeHash>>), LedgerError> {
        let ids = tree::nodes_of(ranges);
        let mut all = ids.clone();
        all.extend_from_slice(extra);
        let mut got = self.repo.nodes(&all).await?;
        let tail = got.split_off(ids.len());
        let hashes = tree::assemble(ranges, &ids, &got)
            .map_err(|id| StoreError::Corrupt(format!("ledger node {id:?} is missing")))?;
        Ok((hashes, tail))
    }

    /// The root of the tree at `size` (≤ the current size), from O(log n) stored nodes.
    pub async fn root_at(&self, size: u64) -> Result<NodeHash, LedgerError> {
        if size == 0 {
            return Ok(tree::empty_root());
        }
        let (hashes, _) = self
            .range_hashes(
                &[Range {
                    begin: 0,
                    end: size,
                }],
                &[],
            )
            .await?;
        hashes
            .first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt("ledger root".into()).into())
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, LedgerError> {
        tree::inclusion_position(index, size).map_err(refusal)?;
        self.within_tree("size", size).await?;
        let leaf = NodeId { level: 0, index };
        let (path, tail) = self
            .range_hashes(&tree::inclusion_ranges(index, size), &[leaf])
            .await?;
        let leaf_hash = tail
            .first()
            .copied()
            .flatten()
            .ok_or_else(|| StoreError::Corrupt(format!("ledger leaf {index} is missing")))?;
        Ok(InclusionProof {
            index,
            size,
            leaf_hash,
            path,
        })
    }

    /// The consistency proof from the tree of `from` leaves to the tree of `to` leaves.
    pub async fn consistency_proof(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<NodeHash>, LedgerError> {
        tree::consistency_sizes(from, to).map_err(refusal)?;
        self.within_tree("to", to).await?;
        let (proof, _) = self
            .range_hashes(&tree::consistency_ranges(from, to), &[])
            .await?;
        Ok(proof)
    }

    /// The index of the leaf whose hash is `leaf_hash` — the entry of a record (a token's is
    /// found by its serial: [`Log::bundle_of_timestamp`]); [`LedgerError::NotFound`] if none.
    pub async fn find_leaf(&self, leaf_hash: &NodeHash) -> Result<u64, LedgerError> {
        self.repo.leaf_index(leaf_hash).await?.ok_or_else(|| {
            LedgerError::NotFound(
                "leaf_hash: no record's entry of this hash is in the log (an entry is \
                 integrated within a second of its record; a timestamp's is found by its \
                 serial)"
                    .into(),
            )
        })
    }

    /// The proof bundle of the entry of the timestamp token of `serial` (its holder checks the
    /// entry against the token: `tsa::token_leaf`).
    pub async fn bundle_of_timestamp(&self, serial: u64) -> Result<Bundle, LedgerError> {
        let index = self.repo.timestamp_leaf(serial).await?.ok_or_else(|| {
            LedgerError::NotFound(format!(
                "tsa_serial: no token of serial {serial} is in the log (yet)"
            ))
        })?;
        self.bundle_at(index).await
    }

    /// The proof bundle of the leaf whose hash is `leaf_hash` (docs/LEDGER.md "Proof bundles"):
    /// the entry, its audit path to a signed checkpoint — the first anchored checkpoint that
    /// holds it, so that the anchors' receipts are over the very checkpoint in the bundle, or
    /// else the latest — and those receipts. [`LedgerError::NotFound`] while the leaf is not yet
    /// integrated or not yet under a signed checkpoint (each takes a second or two).
    pub async fn bundle(&self, leaf_hash: &NodeHash) -> Result<Bundle, LedgerError> {
        let index = self.find_leaf(leaf_hash).await?;
        self.bundle_at(index).await
    }

    /// The proof bundle of leaf `index` (as [`Log::bundle`]); `index` beyond the tree is
    /// refused naming it.
    pub async fn bundle_at(&self, index: u64) -> Result<Bundle, LedgerError> {
        let size = self.size().await?;
        if index >= size {
            return Err(input(
                "index",
                format!("{index} is beyond the tree of {size} leaves (indexes start at 0)"),
            ));
        }
        let checkpoint = match self.repo.checkpoint_from(index + 1, true).await? {
            Some(c) => c,
            None => self
                .repo
                .latest_checkpoint()
                .await?
                .filter(|c| c.size > index)
                .ok_or_else(|| {
                    LedgerError::NotFound(
                        "the leaf is not yet under a signed checkpoint; retry in a few seconds"
                            .into(),
                    )
                })?,
        };
        let path = self.inclusion_proof(index, checkpoint.size).await?.path;
        let anchors = self
            .repo
            .anchors(checkpoint.size)
            .await?
            .into_iter()
            .map(|a| BundleAnchor {
                anchor: a.anchor,
                receipt: B64.encode(&a.receipt),
                anchored_at: a.anchored_at,
            })
            .collect();
        let proof = TlogProof {
            extra: Some(self.entry(index).await?),
            index,
            path,
            checkpoint: checkpoint.note,
        };
        Ok(Bundle {
            format: BUNDLE_FORMAT.into(),
            tlog_proof: proof.render(),
            anchors,
            log_key: self.vkey(),
        })
    }

    /// The proof bundle of the record `kind`/`record_id` (a `signature`, a `certificate`, …),
    /// through the leaf hash stored beside its salt. The caller checks who may ask.
    pub async fn bundle_of(&self, kind: &str, record_id: &str) -> Result<Bundle, LedgerError> {
        let leaf = self
            .repo
            .evidence_leaf(kind, record_id)
            .await?
            .ok_or_else(|| {
                LedgerError::NotFound(format!(
                    "{kind}: no leaf is recorded beside it (an entry queued by an older version \
                     of the service is in the log but not linked to its record)"
                ))
            })?;
        self.bundle(&leaf).await
    }

    /// The salt stored beside the record `kind`/`record_id`, if not erased (for its owner).
    pub async fn evidence_salt(
        &self,
        kind: &str,
        record_id: &str,
    ) -> Result<Option<[u8; 32]>, LedgerError> {
        Ok(self.repo.evidence_salt(kind, record_id).await?)
    }

    /// Hands the latest signed checkpoint to every anchor without a receipt for it, and stores
    /// the receipts (issue 7 item 5). Only the sequencer does (another node gets
    /// [`LedgerError::NotSequencer`]), so several nodes do not anchor the same checkpoint. An
    /// anchor that fails is reported and retried at the next call; the others go on.
    pub async fn anchor_latest(
        &self,
        anchors: &[std::sync::Arc<dyn Anchor>],
        now_ms: i64,
    ) -> Result<Vec<AnchorOutcome>, LedgerError> {
        self.lease(now_ms).await?;
        let Some(latest) = self.repo.latest_checkpoint().await? else {
            return Ok(Vec::new());
        };
        let mut outcomes = Vec::with_capacity(anchors.len());
        for a in anchors {
            let name = a.name().to_owned();
            if self.repo.last_anchored(&name).await? >= Some(latest.size) {
                outcomes.push(AnchorOutcome::UpToDate { anchor: name });
                continue;
            }
            match a.anchor(&latest.note).await {
                Ok(receipt) => {
                    self.repo
                        .insert_anchor(&AnchorReceipt {
                            size: latest.size,
                            anchor: name.clone(),
                            receipt,
                            anchored_at: now_ms,
                        })
                        .await?;
                    outcomes.push(AnchorOutcome::Anchored {
                        anchor: name,
                        size: latest.size,
                    });
                }
                Err(reason) => {
                    tracing::warn!(anchor = %name, %reason, "checkpoint not anchored");
                    outcomes.push(AnchorOutcome::Failed {
                        anchor: name,
                        reason,
                    });
                }
            }
        }
        Ok(outcomes)
    }

    /// The data of leaf `index`.
    pub async fn entry(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        let size = self.size().await?;
        if index >= size {
            return Err(input(
                "index",
                format!("{index} is beyond the tree of {size} leaves (indexes start at 0)"),
            ));
        }
        self.repo
            .leaves(index, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt(format!("ledger leaf {index} is missing")).into())
    }

    /// The start-up check (issue 7 item 6): rehashes every stored leaf, recomputes the tree and
    /// compares it with the last signed checkpoint (whose signature is checked) and with the
    /// recorded state. Any difference is [`LedgerError::TreeMismatch`], naming what differs: the
    /// caller stops the server.
    pub async fn verify_stored_tree(&self, depth: TreeCheck) -> Result<TreeReport, LedgerError> {
        let mismatch = LedgerError::TreeMismatch;
        let state = self.repo.tree_state().await?;
        let checkpoint = self.latest_checkpoint().await?;
        let cp_size = checkpoint.as_ref().map_or(0, |c| c.size);
        if state.size < cp_size {
            return Err(mismatch(format!(
                "the tree has {} leaves, fewer than the {cp_size} of the last checkpoint",
                state.size
            )));
        }
        let mut frontier = Frontier::empty();
        let mut compared = 0u64;
        let mut at_checkpoint = (cp_size == 0).then(tree::empty_root);
        while frontier.size() < state.size {
            let first = frontier.size();
            let want = u32::try_from((state.size - first).min(u64::from(CHECK_CHUNK)))
                .unwrap_or(CHECK_CHUNK);
            let leaves = self.repo.leaves(first, want).await?;
            if leaves.len() != want as usize {
                return Err(mismatch(format!(
                    "leaves {first}..{} are missing",
                    first + u64::from(want)
                )));
            }
            let mut emitted = Vec::new();
            for leaf in &leaves {
                frontier.push(tree::leaf_hash(leaf), |id, h| {
                    if depth == TreeCheck::EveryNode {
                        emitted.push((id, h));
                    }
                });
                if frontier.size() == cp_size {
                    at_checkpoint = Some(frontier.root());
                }
            }
            if !emitted.is_empty() {
                let ids: Vec<NodeId> = emitted.iter().map(|(id, _)| *id).collect();
                let stored = self.repo.nodes(&ids).await?;
                for ((id, h), s) in emitted.iter().zip(stored) {
                    if s != Some(*h) {
                        return Err(mismatch(format!(
                            "stored node (level {}, index {}) differs from the one its leaves give",
                            id.level, id.index
                        )));
                    }
                }
                compared += ids.len() as u64;
            }
        }
        if let Some(c) = &checkpoint
            && at_checkpoint != Some(c.root)
        {
            return Err(mismatch(format!(
                "the leaves 0..{} hash to a root other than the signed checkpoint's: a leaf was \
                 altered, removed or inserted",
                c.size
            )));
        }
        if frontier.root() != state.root {
            return Err(mismatch(format!(
                "the {} leaves hash to a root other than the recorded one",
                state.size
            )));
        }
        if self.frontier(state.size).await?.root() != state.root {
            return Err(mismatch(format!(
                "the stored right edge of the tree of {} leaves does not give its root",
                state.size
            )));
        }
        Ok(TreeReport {
            leaves: state.size,
            checkpoint_size: cp_size,
            nodes_compared: compared,
        })
    }
}
