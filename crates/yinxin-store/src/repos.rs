//! The repository implementations: one body of query code, instantiated for SQLite and PostgreSQL.
//!
//! Both backends accept `$1`-style placeholders, `ON CONFLICT`, and the column types used here
//! (TEXT, BLOB/BYTEA as `Vec<u8>`, INTEGER/BIGINT as `i64`), so the SQL is shared verbatim.

use std::fmt;

use async_trait::async_trait;
use sqlx::Pool;
use yinxin_domain::SubjectId;
use yinxin_domain::repo::{
    BlindIndexEntry, ErasedRows, HealthRepo, KeyRepo, PiRepo, SealedField, StoreError, StoreResult,
    SubjectKeyState, VaultRoot, WrappedKey,
};

use crate::dialect::Dialect;
use crate::group_commit::CertificateWriter;
use crate::inline::InlineReader;

/// Repositories over one pool.
pub(crate) struct SqlStore<DB: sqlx::Database> {
    pub(crate) pool: Pool<DB>,
    /// Where certificate rows go when they are group-committed (SQLite's data store).
    pub(crate) certificate_writer: Option<CertificateWriter>,
    /// Where the hot reads go on a SQLite file ([`crate::inline`]); `None` for PostgreSQL and
    /// in-memory SQLite, which read through the pool.
    pub(crate) inline: Option<InlineReader>,
}

impl<DB: sqlx::Database> SqlStore<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        Self {
            pool,
            certificate_writer: None,
            inline: None,
        }
    }
}

impl SqlStore<sqlx::Sqlite> {
    /// A SQLite store of the file at `path` (`None`: in memory), whose hot reads run inline
    /// ([`crate::inline`]); with `group_commit` (the data store), certificate rows are
    /// group-committed by one writer thread ([`crate::group_commit`]). An in-memory database
    /// (no file another connection could open) reads and writes through the pool.
    pub(crate) fn sqlite(
        pool: Pool<sqlx::Sqlite>,
        path: Option<&std::path::Path>,
        group_commit: bool,
    ) -> std::io::Result<Self> {
        Ok(Self {
            certificate_writer: match path {
                Some(p) if group_commit => Some(CertificateWriter::start(p)?),
                _ => None,
            },
            inline: path.map(InlineReader::new),
            pool,
        })
    }
}

impl<DB: sqlx::Database> fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SqlStore<{}>", DB::NAME)
    }
}

/// A database error as a store error. The detail stays server-side (it may name tables, never PI:
/// every PI value reaches the database sealed).
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(e.to_string()),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Unavailable(e.to_string()),
    }
}

/// `$from, $from+1, …` — `n` numbered placeholders for an `IN (…)` list, the same on both
/// backends. Callers keep `n` within the smaller backend limit (SQLite: 32,766 parameters).
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from.saturating_add(n))
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn subject_of(s: &str) -> StoreResult<SubjectId> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("stored subject id {s:?} is not a UUID")))
}

/// A `vault_subject_keys` row: fingerprint, wrapped key, shredded-at.
type KeyRow = (Option<String>, Option<Vec<u8>>, Option<i64>);

fn key_state(row: Option<KeyRow>) -> StoreResult<SubjectKeyState> {
    Ok(match row {
        None => SubjectKeyState::Absent,
        Some((Some(kek_fingerprint), Some(wrapped), None)) => SubjectKeyState::Active(WrappedKey {
            kek_fingerprint,
            wrapped,
        }),
        Some((None, None, Some(at))) => SubjectKeyState::Shredded { at },
        Some(_) => {
            return Err(StoreError::Corrupt(
                "subject key row is neither a key nor a tombstone".into(),
            ));
        }
    })
}

macro_rules! sql_repos {
    ($db:ty) => {
        #[async_trait]
        impl PiRepo for SqlStore<$db> {
            async fn put_fields(
                &self,
                fields: &[(SealedField, Option<BlindIndexEntry>)],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for (f, index) in fields {
                    let subject = f.subject.to_string();
                    sqlx::query(
                        "INSERT INTO pi_fields (subject_id, field, sealed, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (subject_id, field) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
                    )
                    .bind(&subject)
                    .bind(&f.field)
                    .bind(&f.sealed)
                    .bind(f.updated_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    sqlx::query("DELETE FROM pi_blind_index WHERE subject_id = $1 AND field = $2")
                        .bind(&subject)
                        .bind(&f.field)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if let Some(ix) = index {
                        sqlx::query("INSERT INTO pi_blind_index (field, digest, subject_id) VALUES ($1, $2, $3)")
                            .bind(&ix.field)
                            .bind(&ix.digest)
                            .bind(&subject)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                }
                tx.commit().await.map_err(db_err)
            }

            async fn get_field(&self, subject: SubjectId, field: &str) -> StoreResult<Option<SealedField>> {
                let row: Option<(Vec<u8>, i64)> = sqlx::query_as(
                    "SELECT sealed, updated_at FROM pi_fields WHERE subject_id = $1 AND field = $2",
                )
                .bind(subject.to_string())
                .bind(field)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|(sealed, updated_at)| SealedField {
                    subject,
                    field: field.to_owned(),
                    sealed,
                    updated_at,
                }))
            }

            async fn fields_of(&self, subject: SubjectId) -> StoreResult<Vec<SealedField>> {
                const SQL: &str =
                    "SELECT field, sealed, updated_at FROM pi_fields WHERE subject_id = $1 ORDER BY field";
                let id = subject.to_string();
                let rows: Vec<(String, Vec<u8>, i64)> = match &self.inline {
                    Some(r) => r.all(SQL, [&id])?,
                    None => sqlx::query_as(SQL)
                        .bind(&id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?,
                };
                Ok(rows
                    .into_iter()
                    .map(|(field, sealed, updated_at)| SealedField { subject, field, sealed, updated_at })
                    .collect())
            }

            async fn find_by_index(&self, field: &str, digest: &[u8]) -> StoreResult<Vec<SubjectId>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT subject_id FROM pi_blind_index WHERE field = $1 AND digest = $2 ORDER BY subject_id",
                )
                .bind(field)
                .bind(digest)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(|(s,)| subject_of(s)).collect()
            }

            async fn delete_fields(&self, subject: SubjectId, fields: &[&str]) -> StoreResult<u64> {
                let subject = subject.to_string();
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let mut deleted = 0;
                for field in fields {
                    deleted += sqlx::query("DELETE FROM pi_fields WHERE subject_id = $1 AND field = $2")
                        .bind(&subject)
                        .bind(*field)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    sqlx::query("DELETE FROM pi_blind_index WHERE subject_id = $1 AND field = $2")
                        .bind(&subject)
                        .bind(*field)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(deleted)
            }

            async fn erase_subject(&self, subject: SubjectId) -> StoreResult<ErasedRows> {
                self.erase_subjects(&[subject]).await
            }

            async fn erase_subjects(&self, subjects: &[SubjectId]) -> StoreResult<ErasedRows> {
                // Set-wise, one statement a table for the whole batch (the retention engine
                // erases up to a thousand subjects at once).
                if subjects.is_empty() {
                    return Ok(ErasedRows::default());
                }
                let ids: Vec<String> = subjects.iter().map(ToString::to_string).collect();
                let list = placeholders(1, ids.len());
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let mut erased = ErasedRows::default();
                for (table, count) in [
                    ("pi_fields", &mut erased.fields),
                    ("pi_blind_index", &mut erased.index_entries),
                ] {
                    let sql = format!("DELETE FROM {table} WHERE subject_id IN ({list})");
                    let mut q = sqlx::query(&sql);
                    for id in &ids {
                        q = q.bind(id);
                    }
                    *count += q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                }
                tx.commit().await.map_err(db_err)?;
                Ok(erased)
            }
        }

        #[async_trait]
        impl KeyRepo for SqlStore<$db> {
            async fn vault_root(&self) -> StoreResult<Option<VaultRoot>> {
                let row: Result<Option<(String, Vec<u8>, i64, Option<i64>)>, sqlx::Error> = sqlx::query_as(
                    "SELECT kek_fingerprint, wrapped_index_key, created_at, rotated_at FROM vault_root WHERE id = 1",
                )
                .fetch_optional(&self.pool)
                .await;
                match row {
                    Ok(r) => Ok(r.map(|(kek_fingerprint, wrapped_index_key, created_at, rotated_at)| VaultRoot {
                        kek_fingerprint,
                        wrapped_index_key,
                        created_at,
                        rotated_at,
                    })),
                    Err(e) if <$db as Dialect>::is_undefined_table(&e) => Ok(None),
                    Err(e) => Err(db_err(e)),
                }
            }

            async fn create_vault_root(&self, root: &VaultRoot) -> StoreResult<VaultRoot> {
                sqlx::query(
                    "INSERT INTO vault_root (id, kek_fingerprint, wrapped_index_key, created_at, rotated_at) \
                     VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&root.kek_fingerprint)
                .bind(&root.wrapped_index_key)
                .bind(root.created_at)
                .bind(root.rotated_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                self.vault_root()
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("vault root vanished after insert".into()))
            }

            async fn subject_key(&self, subject: SubjectId) -> StoreResult<SubjectKeyState> {
                const SQL: &str =
                    "SELECT kek_fingerprint, wrapped_key, shredded_at FROM vault_subject_keys WHERE subject_id = $1";
                let id = subject.to_string();
                let row: Option<KeyRow> = match &self.inline {
                    Some(r) => r.optional(SQL, [&id])?,
                    None => sqlx::query_as(SQL)
                        .bind(&id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?,
                };
                key_state(row)
            }

            async fn create_subject_key(
                &self,
                subject: SubjectId,
                key: &WrappedKey,
                now: i64,
            ) -> StoreResult<SubjectKeyState> {
                sqlx::query(
                    "INSERT INTO vault_subject_keys (subject_id, kek_fingerprint, wrapped_key, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id) DO NOTHING",
                )
                .bind(subject.to_string())
                .bind(&key.kek_fingerprint)
                .bind(&key.wrapped)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                self.subject_key(subject).await
            }

            async fn shred_subject_key(&self, subject: SubjectId, now: i64) -> StoreResult<bool> {
                Ok(self.shred_subject_keys(&[subject], now).await? > 0)
            }

            async fn shred_subject_keys(&self, subjects: &[SubjectId], now: i64) -> StoreResult<u64> {
                // Set-wise, in one transaction and with one WAL truncation for the whole batch
                // (the retention engine erases many at once): the live keys destroyed, then a
                // tombstone for each subject that never had one — an upsert on the primary key,
                // so it serializes with a concurrent first write.
                if subjects.is_empty() {
                    return Ok(0);
                }
                let ids: Vec<String> = subjects.iter().map(ToString::to_string).collect();
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let sql = format!(
                    "UPDATE vault_subject_keys SET kek_fingerprint = NULL, wrapped_key = NULL, shredded_at = $1 \
                     WHERE shredded_at IS NULL AND subject_id IN ({})",
                    placeholders(2, ids.len())
                );
                let mut q = sqlx::query(&sql).bind(now);
                for id in &ids {
                    q = q.bind(id);
                }
                let destroyed = q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                let rows = (0..ids.len())
                    .map(|i| format!("(${}, $1, $1)", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO vault_subject_keys (subject_id, created_at, shredded_at) VALUES {rows} \
                     ON CONFLICT (subject_id) DO NOTHING"
                );
                let mut q = sqlx::query(&sql).bind(now);
                for id in &ids {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                if let Some(sql) = <$db as Dialect>::AFTER_SHRED {
                    sqlx::query(sql).execute(&self.pool).await.map_err(db_err)?;
                }
                Ok(destroyed)
            }

            async fn wrapped_keys(&self) -> StoreResult<Vec<(SubjectId, WrappedKey)>> {
                let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
                    "SELECT subject_id, kek_fingerprint, wrapped_key FROM vault_subject_keys \
                     WHERE wrapped_key IS NOT NULL ORDER BY subject_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(s, kek_fingerprint, wrapped)| {
                        Ok((subject_of(&s)?, WrappedKey { kek_fingerprint, wrapped }))
                    })
                    .collect()
            }

            async fn rewrap(
                &self,
                old_fingerprint: &str,
                root: &VaultRoot,
                keys: &[(SubjectId, WrappedKey)],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let n = sqlx::query(
                    "UPDATE vault_root SET kek_fingerprint = $1, wrapped_index_key = $2, rotated_at = $3 \
                     WHERE id = 1 AND kek_fingerprint = $4",
                )
                .bind(&root.kek_fingerprint)
                .bind(&root.wrapped_index_key)
                .bind(root.rotated_at)
                .bind(old_fingerprint)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n != 1 {
                    return Err(StoreError::Conflict(
                        "the vault root is no longer wrapped by the key being rotated".into(),
                    ));
                }
                for (subject, key) in keys {
                    let n = sqlx::query(
                        "UPDATE vault_subject_keys SET kek_fingerprint = $1, wrapped_key = $2 \
                         WHERE subject_id = $3 AND kek_fingerprint = $4",
                    )
                    .bind(&key.kek_fingerprint)
                    .bind(&key.wrapped)
                    .bind(subject.to_string())
                    .bind(old_fingerprint)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if n != 1 {
                        return Err(StoreError::Conflict(format!(
                            "subject key {subject} changed during rotation"
                        )));
                    }
                }
                let (left,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM vault_subject_keys WHERE kek_fingerprint = $1",
                )
                .bind(old_fingerprint)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                if left != 0 {
                    return Err(StoreError::Conflict(format!(
                        "{left} subject keys were added during rotation"
                    )));
                }
                tx.commit().await.map_err(db_err)
            }
        }

        #[async_trait]
        impl HealthRepo for SqlStore<$db> {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }
        }
    };
}

sql_repos!(sqlx::Sqlite);
sql_repos!(sqlx::Postgres);
