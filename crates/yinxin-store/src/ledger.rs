//! [`LedgerRepo`] for both backends (migration 0021): the evidence log's pending entries,
//! leaves, tree nodes, state, sequencer lease and checkpoints (issue 7, EVID-1).
//!
//! A batch is written with multi-row `INSERT`s in one transaction, fenced by the tree size and
//! the sequencer lease in the same `UPDATE`, so a node that lost its lease (or raced another)
//! writes nothing.

use async_trait::async_trait;
use yinxin_domain::ledger::{
    AnchorReceipt, Integration, LedgerRepo, NodeHash, NodeId, PendingEntry, StoredCheckpoint,
    TreeState,
};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::repos::{SqlStore, db_err};

/// Rows per multi-row statement: within SQLite's 32,766 and PostgreSQL's 65,535 bind
/// parameters for every statement here (at most 3 binds a row).
pub(crate) const ROWS_PER_STATEMENT: usize = 1000;

fn size_of(n: i64, what: &str) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("ledger {what} {n}")))
}

fn db_i64(n: u64, what: &str) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("ledger {what} {n} beyond i64")))
}

fn hash_of(v: Vec<u8>, what: &str) -> StoreResult<NodeHash> {
    NodeHash::try_from(v.as_slice())
        .map_err(|_| StoreError::Corrupt(format!("ledger {what} is {} bytes, not 32", v.len())))
}

fn checkpoint_of(
    (size, root, note, signed_at): (i64, Vec<u8>, String, i64),
) -> StoreResult<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: size_of(size, "checkpoint size")?,
        root: hash_of(root, "checkpoint root")?,
        note,
        signed_at,
    })
}

fn key_of(id: NodeId) -> StoreResult<i64> {
    id.key()
        .ok_or_else(|| StoreError::Corrupt(format!("ledger node {id:?} beyond the key space")))
}

/// The row of a record's evidence salt (migration 0024); `$`-numbered, so rusqlite (the
/// certificate writer) binds it by position as sqlx does.
pub(crate) const INSERT_EVIDENCE_SALT: &str = "INSERT INTO evidence_salts (kind, record_id, salt, leaf_hash, pending_id) \
     VALUES ($1, $2, $3, $4, $5)";

/// A pending entry of the log; its id is kept beside the record's salt (migration 0025).
pub(crate) const INSERT_PENDING: &str =
    "INSERT INTO ledger_pending (entry, queued_at) VALUES ($1, $2) RETURNING id";

/// Queues an evidence entry and stores its salt, inside the record's transaction `$tx`.
macro_rules! queue_evidence {
    ($tx:ident, $e:expr) => {{
        let e: &yinxin_domain::ledger::EvidenceEntry = $e;
        let (pending_id,): (i64,) = sqlx::query_as($crate::ledger::INSERT_PENDING)
            .bind(&e.entry)
            .bind(e.queued_at_ms)
            .fetch_one(&mut *$tx)
            .await
            .map_err($crate::repos::db_err)?;
        sqlx::query($crate::ledger::INSERT_EVIDENCE_SALT)
            .bind(e.kind)
            .bind(&e.record_id)
            .bind(e.salt.as_slice())
            .bind(e.leaf_hash.as_slice())
            .bind(pending_id)
            .execute(&mut *$tx)
            .await
            .map_err($crate::repos::db_err)?;
    }};
}

pub(crate) use queue_evidence;

macro_rules! ledger_repo {
    ($db:ty) => {
        #[async_trait]
        impl LedgerRepo for SqlStore<$db> {
            async fn enqueue(&self, entries: &[Vec<u8>], queued_at_ms: i64) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for chunk in entries.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ledger_pending (entry, queued_at) ",
                    );
                    q.push_values(chunk, |mut b, e| {
                        b.push_bind(e.as_slice()).push_bind(queued_at_ms);
                    });
                    q.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn pending(&self, limit: u32) -> StoreResult<Vec<PendingEntry>> {
                let rows: Vec<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT id, entry FROM ledger_pending ORDER BY id LIMIT $1")
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, entry)| PendingEntry { id, entry })
                    .collect())
            }

            async fn tree_state(&self) -> StoreResult<TreeState> {
                let (size, root): (i64, Vec<u8>) =
                    sqlx::query_as("SELECT size, root FROM ledger_state WHERE id = 1")
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?
                        .ok_or_else(|| StoreError::Corrupt("no ledger state row".into()))?;
                Ok(TreeState {
                    size: size_of(size, "size")?,
                    root: hash_of(root, "root")?,
                })
            }

            async fn nodes(&self, ids: &[NodeId]) -> StoreResult<Vec<Option<NodeHash>>> {
                let keys = ids
                    .iter()
                    .map(|id| key_of(*id))
                    .collect::<StoreResult<Vec<_>>>()?;
                let mut found = std::collections::HashMap::with_capacity(keys.len());
                for chunk in keys.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, hash FROM ledger_nodes WHERE id IN (",
                    );
                    let mut list = q.separated(", ");
                    for k in chunk {
                        list.push_bind(*k);
                    }
                    q.push(")");
                    let rows: Vec<(i64, Vec<u8>)> = q
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    for (k, h) in rows {
                        found.insert(k, hash_of(h, "node")?);
                    }
                }
                Ok(keys.iter().map(|k| found.get(k).copied()).collect())
            }

            async fn leaves(&self, first: u64, count: u32) -> StoreResult<Vec<Vec<u8>>> {
                let first = db_i64(first, "index")?;
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT entry FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                )
                .bind(first)
                .bind(first.saturating_add(i64::from(count)))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows.into_iter().map(|(e,)| e).collect())
            }

            async fn integrate(&self, holder: &str, batch: &Integration) -> StoreResult<()> {
                let old = db_i64(batch.old_size, "size")?;
                let new = db_i64(batch.old_size + batch.leaves.len() as u64, "size")?;
                let nodes = batch
                    .nodes
                    .iter()
                    .map(|(id, h)| Ok((key_of(*id)?, h.as_slice())))
                    .collect::<StoreResult<Vec<_>>>()?;
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                // The fence: the tree is where the batch was computed, and this node still
                // holds the lease. Taken first, so a second sequencer waits here (PostgreSQL's
                // row lock; SQLite's single writer) and then finds the size moved.
                let moved = sqlx::query(
                    "UPDATE ledger_state SET size = $1, root = $2 \
                     WHERE id = 1 AND size = $3 AND EXISTS (SELECT 1 FROM ledger_sequencer \
                     WHERE id = 1 AND holder = $4 AND expires_at > $5)",
                )
                .bind(new)
                .bind(batch.new_root.as_slice())
                .bind(old)
                .bind(holder)
                .bind(batch.now_ms)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if moved != 1 {
                    return Err(StoreError::Conflict(format!(
                        "the ledger is no longer at size {} under this sequencer's lease",
                        batch.old_size
                    )));
                }
                if batch.pending.len() != batch.leaves.len() {
                    return Err(StoreError::Corrupt(
                        "a ledger batch whose leaves are not its pending entries".into(),
                    ));
                }
                let rows: Vec<(i64, &Vec<u8>, i64)> = (old..)
                    .zip(batch.leaves.iter().zip(&batch.pending))
                    .map(|(i, (e, p))| (i, e, *p))
                    .collect();
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ledger_leaves (idx, entry, pending_id) ",
                    );
                    q.push_values(chunk, |mut b, (i, e, p)| {
                        b.push_bind(*i).push_bind(e.as_slice()).push_bind(*p);
                    });
                    q.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                for chunk in nodes.chunks(ROWS_PER_STATEMENT) {
                    let mut q =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO ledger_nodes (id, hash) ");
                    q.push_values(chunk, |mut b, (k, h)| {
                        b.push_bind(*k).push_bind(*h);
                    });
                    q.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                let mut deleted = 0u64;
                for chunk in batch.pending.chunks(ROWS_PER_STATEMENT) {
                    let mut q =
                        sqlx::QueryBuilder::<$db>::new("DELETE FROM ledger_pending WHERE id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    deleted += q
                        .build()
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                }
                if deleted != batch.pending.len() as u64 {
                    return Err(StoreError::Conflict(
                        "a pending ledger entry was integrated by someone else".into(),
                    ));
                }
                tx.commit().await.map_err(db_err)
            }

            async fn take_lease(
                &self,
                holder: &str,
                now_ms: i64,
                ttl_ms: i64,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE ledger_sequencer SET holder = $1, expires_at = $2 \
                     WHERE id = 1 AND (holder = $1 OR expires_at <= $3)",
                )
                .bind(holder)
                .bind(now_ms.saturating_add(ttl_ms))
                .bind(now_ms)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn release_lease(&self, holder: &str) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE ledger_sequencer SET holder = '', expires_at = 0 \
                     WHERE id = 1 AND holder = $1",
                )
                .bind(holder)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
                let row: Option<(i64, Vec<u8>, String, i64)> = sqlx::query_as(
                    "SELECT size, root, note, signed_at FROM ledger_checkpoints \
                     ORDER BY size DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(checkpoint_of).transpose()
            }

            async fn insert_checkpoint(&self, c: &StoredCheckpoint) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO ledger_checkpoints (size, root, note, signed_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(db_i64(c.size, "checkpoint size")?)
                .bind(c.root.as_slice())
                .bind(&c.note)
                .bind(c.signed_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn log_key(&self, origin: &str, proposed: &str, at: i64) -> StoreResult<String> {
                sqlx::query(
                    "INSERT INTO ledger_keys (origin, key_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (origin) DO NOTHING",
                )
                .bind(origin)
                .bind(proposed)
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                let (key,): (String,) =
                    sqlx::query_as("SELECT key_id FROM ledger_keys WHERE origin = $1")
                        .bind(origin)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                Ok(key)
            }

            async fn evidence_salt(
                &self,
                kind: &str,
                record_id: &str,
            ) -> StoreResult<Option<[u8; 32]>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT salt FROM evidence_salts WHERE kind = $1 AND record_id = $2",
                )
                .bind(kind)
                .bind(record_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|(s,)| {
                    s.try_into().map_err(|_| {
                        StoreError::Corrupt("an evidence salt of the wrong length".into())
                    })
                })
                .transpose()
            }

            async fn evidence_leaf(
                &self,
                kind: &str,
                record_id: &str,
            ) -> StoreResult<Option<NodeHash>> {
                let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(
                    "SELECT leaf_hash FROM evidence_salts WHERE kind = $1 AND record_id = $2",
                )
                .bind(kind)
                .bind(record_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.and_then(|(h,)| h)
                    .map(|h| hash_of(h, "evidence leaf hash"))
                    .transpose()
            }

            async fn leaf_index(&self, leaf_hash: &NodeHash) -> StoreResult<Option<u64>> {
                // Through the record beside whose salt the hash is kept, and the pending id on
                // its leaf (migration 0025): two indexed reads, no index on the log by hash.
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT l.idx FROM evidence_salts s JOIN ledger_leaves l \
                     ON l.pending_id = s.pending_id WHERE s.leaf_hash = $1 \
                     ORDER BY l.idx LIMIT 1",
                )
                .bind(leaf_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|(i,)| size_of(i, "leaf index")).transpose()
            }

            async fn timestamp_leaf(&self, serial: u64) -> StoreResult<Option<u64>> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT l.idx FROM tsa_entries t JOIN ledger_leaves l \
                     ON l.pending_id = t.pending_id WHERE t.serial = $1",
                )
                .bind(db_i64(serial, "serial")?)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|(i,)| size_of(i, "leaf index")).transpose()
            }

            async fn checkpoint_from(
                &self,
                size: u64,
                anchored: bool,
            ) -> StoreResult<Option<StoredCheckpoint>> {
                let sql = if anchored {
                    // One indexed read of the anchors, not a probe per checkpoint (with no
                    // anchor configured, nothing would match and every later checkpoint be
                    // visited).
                    "SELECT size, root, note, signed_at FROM ledger_checkpoints \
                     WHERE size = (SELECT MIN(size) FROM ledger_anchors WHERE size >= $1)"
                } else {
                    "SELECT size, root, note, signed_at FROM ledger_checkpoints \
                     WHERE size >= $1 ORDER BY size LIMIT 1"
                };
                let row: Option<(i64, Vec<u8>, String, i64)> = sqlx::query_as(sql)
                    .bind(db_i64(size, "checkpoint size")?)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.map(checkpoint_of).transpose()
            }

            async fn insert_anchor(&self, a: &AnchorReceipt) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO ledger_anchors (size, anchor, receipt, anchored_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(db_i64(a.size, "checkpoint size")?)
                .bind(&a.anchor)
                .bind(&a.receipt)
                .bind(a.anchored_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn anchors(&self, size: u64) -> StoreResult<Vec<AnchorReceipt>> {
                let rows: Vec<(String, Vec<u8>, i64)> = sqlx::query_as(
                    "SELECT anchor, receipt, anchored_at FROM ledger_anchors WHERE size = $1 \
                     ORDER BY id",
                )
                .bind(db_i64(size, "checkpoint size")?)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(anchor, receipt, anchored_at)| AnchorReceipt {
                        size,
                        anchor,
                        receipt,
                        anchored_at,
                    })
                    .collect())
            }

            async fn last_anchored(&self, anchor: &str) -> StoreResult<Option<u64>> {
                let (size,): (Option<i64>,) =
                    sqlx::query_as("SELECT MAX(size) FROM ledger_anchors WHERE anchor = $1")
                        .bind(anchor)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                size.map(|s| size_of(s, "anchored size")).transpose()
            }

            async fn stored_log_key(&self, origin: &str) -> StoreResult<Option<String>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT key_id FROM ledger_keys WHERE origin = $1")
                        .bind(origin)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                Ok(row.map(|(k,)| k))
            }
        }
    };
}

ledger_repo!(sqlx::Sqlite);
ledger_repo!(sqlx::Postgres);
