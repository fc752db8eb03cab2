//! [`ErasureRepo`] for both backends: erasure channels, notices and their attempts (issue 8
//! item 6; PRIV-15; migration 0034).

use async_trait::async_trait;
use yinxin_domain::erasure::{
    ErasureChannel, ErasureNotice, ErasureRepo, NoticeAttempt, NoticeCause, RecipientKind,
};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const NOTICE_COLUMNS: &str = "id, account_id, recipient_kind, recipient, cause, cause_ref, \
     payload, created_at, attempts, next_attempt_at, last_attempt_at, last_outcome, \
     acknowledged_at, acknowledged_by, note";

/// `erasure_notices` columns in [`NOTICE_COLUMNS`] order.
type NoticeRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} {v:?}"))
}

fn notice_of(r: NoticeRow) -> StoreResult<ErasureNotice> {
    let (id, account, kind, recipient, cause, cause_ref, payload, created_at, attempts, next) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9);
    Ok(ErasureNotice {
        id,
        account: uuid_of(&account, "account")?,
        recipient_kind: RecipientKind::parse(&kind).ok_or_else(|| corrupt("recipient", &kind))?,
        recipient,
        cause: NoticeCause::parse(&cause).ok_or_else(|| corrupt("cause", &cause))?,
        cause_ref,
        payload,
        created_at,
        attempts: u32::try_from(attempts)
            .map_err(|_| corrupt("attempts", &attempts.to_string()))?,
        next_attempt_at: next,
        last_attempt_at: r.10,
        last_outcome: r.11,
        acknowledged_at: r.12,
        acknowledged_by: r.13,
        note: r.14,
    })
}

/// The notice insert, bound to a notice; a repeated one (same recipient, cause and reference)
/// is left out. Executed on a pool or inside the erasure's transaction.
macro_rules! notice_insert {
    ($n:expr) => {
        sqlx::query(
            "INSERT INTO erasure_notices (id, account_id, recipient_kind, recipient, cause, \
             cause_ref, payload, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (recipient_kind, recipient, cause, cause_ref) DO NOTHING",
        )
        .bind(&$n.id)
        .bind($n.account.to_string())
        .bind($n.recipient_kind.as_str())
        .bind(&$n.recipient)
        .bind($n.cause.as_str())
        .bind(&$n.cause_ref)
        .bind(&$n.payload)
        .bind($n.created_at)
        .bind($n.next_attempt_at)
    };
}
pub(crate) use notice_insert;

macro_rules! erasure_repo {
    ($db:ty) => {
        #[async_trait]
        impl ErasureRepo for SqlStore<$db> {
            async fn upsert_erasure_channel(&self, c: &ErasureChannel) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO erasure_channels (recipient_kind, recipient, url, \
                     secret_sealed, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (recipient_kind, recipient) DO UPDATE SET url = excluded.url, \
                     secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at",
                )
                .bind(c.kind.as_str())
                .bind(&c.recipient)
                .bind(&c.url)
                .bind(&c.secret_sealed)
                .bind(c.updated_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn erasure_channel(
                &self,
                kind: RecipientKind,
                recipient: &str,
            ) -> StoreResult<Option<ErasureChannel>> {
                let row: Option<(String, Vec<u8>, i64)> = sqlx::query_as(
                    "SELECT url, secret_sealed, updated_at FROM erasure_channels \
                     WHERE recipient_kind = $1 AND recipient = $2",
                )
                .bind(kind.as_str())
                .bind(recipient)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|(url, secret_sealed, updated_at)| ErasureChannel {
                    kind,
                    recipient: recipient.to_owned(),
                    url,
                    secret_sealed,
                    updated_at,
                }))
            }

            async fn insert_erasure_notices(&self, notices: &[ErasureNotice]) -> StoreResult<u64> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let mut stored = 0;
                for n in notices {
                    stored += notice_insert!(n)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                }
                tx.commit().await.map_err(db_err)?;
                Ok(stored)
            }

            async fn due_erasure_notices(
                &self,
                at: i64,
                limit: u32,
            ) -> StoreResult<Vec<ErasureNotice>> {
                let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
                    "SELECT {NOTICE_COLUMNS} FROM erasure_notices \
                     WHERE acknowledged_at IS NULL AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, seq LIMIT $2"
                ))
                .bind(at)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(notice_of).collect()
            }

            async fn record_notice_attempt(
                &self,
                id: &str,
                a: &NoticeAttempt,
                next_attempt_at: i64,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let updated = sqlx::query(
                    "UPDATE erasure_notices SET attempts = $2, last_attempt_at = $3, \
                     last_outcome = $4, next_attempt_at = $5, \
                     acknowledged_at = CASE WHEN $6 THEN $3 ELSE NULL END, \
                     acknowledged_by = CASE WHEN $6 THEN 'webhook' ELSE NULL END \
                     WHERE id = $1 AND acknowledged_at IS NULL",
                )
                .bind(id)
                .bind(i64::from(a.n))
                .bind(a.at)
                .bind(&a.outcome)
                .bind(next_attempt_at)
                .bind(a.acknowledged)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO erasure_notice_attempts (notice_id, n, at, outcome, \
                     acknowledged) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(i64::from(a.n))
                .bind(a.at)
                .bind(&a.outcome)
                .bind(a.acknowledged)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn erasure_notice(&self, id: &str) -> StoreResult<Option<ErasureNotice>> {
                let row: Option<NoticeRow> = sqlx::query_as(&format!(
                    "SELECT {NOTICE_COLUMNS} FROM erasure_notices WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(notice_of).transpose()
            }

            async fn erasure_notices(
                &self,
                pending_only: bool,
                limit: u32,
            ) -> StoreResult<Vec<ErasureNotice>> {
                let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
                    "SELECT {NOTICE_COLUMNS} FROM erasure_notices \
                     WHERE (NOT $1 OR acknowledged_at IS NULL) ORDER BY seq DESC LIMIT $2"
                ))
                .bind(pending_only)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(notice_of).collect()
            }

            async fn notice_attempts(&self, id: &str) -> StoreResult<Vec<NoticeAttempt>> {
                let rows: Vec<(i64, i64, String, bool)> = sqlx::query_as(
                    "SELECT n, at, outcome, acknowledged FROM erasure_notice_attempts \
                     WHERE notice_id = $1 ORDER BY n",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(n, at, outcome, acknowledged)| {
                        Ok(NoticeAttempt {
                            n: u32::try_from(n).map_err(|_| corrupt("attempt", &n.to_string()))?,
                            at,
                            outcome,
                            acknowledged,
                        })
                    })
                    .collect()
            }

            async fn acknowledge_notice(
                &self,
                id: &str,
                by: &str,
                note: &str,
                at: i64,
            ) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE erasure_notices SET acknowledged_at = $2, acknowledged_by = $3, \
                     note = $4 WHERE id = $1 AND acknowledged_at IS NULL",
                )
                .bind(id)
                .bind(at)
                .bind(by)
                .bind(note)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }
        }
    };
}

erasure_repo!(sqlx::Sqlite);
erasure_repo!(sqlx::Postgres);
