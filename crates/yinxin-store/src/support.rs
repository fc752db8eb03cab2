//! [`SupportRepo`] for both backends: support requests and their sealed messages (ACC-7).

use async_trait::async_trait;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::support::{
    SupportAuthor, SupportCategory, SupportMessageRecord, SupportRepo, SupportRequestRecord,
    SupportStatus,
};
use yinxin_domain::{AccountId, SupportRequestId};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const REQUEST_COLUMNS: &str = "id, account_id, category, status, created_at, updated_at";

/// `support_requests` columns in [`REQUEST_COLUMNS`] order.
type RequestRow = (String, String, String, String, i64, i64);

/// `support_messages` columns: id, request_id, author, at, body_sealed.
type MessageRow = (String, String, String, i64, Vec<u8>);

fn request_of(r: RequestRow) -> StoreResult<SupportRequestRecord> {
    let (id, account, category, status, created_at, updated_at) = r;
    Ok(SupportRequestRecord {
        id: uuid_of(&id, "support request")?,
        account: uuid_of(&account, "account")?,
        category: SupportCategory::parse(&category)
            .ok_or_else(|| StoreError::Corrupt(format!("support category {category:?}")))?,
        status: SupportStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("support status {status:?}")))?,
        created_at,
        updated_at,
    })
}

fn message_of(r: MessageRow) -> StoreResult<SupportMessageRecord> {
    let (id, request, author, at, body_sealed) = r;
    Ok(SupportMessageRecord {
        id: uuid_of(&id, "support message")?,
        request: uuid_of(&request, "support request")?,
        author: SupportAuthor::parse(&author)
            .ok_or_else(|| StoreError::Corrupt(format!("support author {author:?}")))?,
        at,
        body_sealed,
    })
}

/// The message insert, bound to a record.
macro_rules! message_insert {
    ($m:expr) => {
        sqlx::query(
            "INSERT INTO support_messages (id, request_id, author, at, body_sealed) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind($m.id.to_string())
        .bind($m.request.to_string())
        .bind($m.author.as_str())
        .bind($m.at)
        .bind(&$m.body_sealed)
    };
}

macro_rules! support_repo {
    ($db:ty) => {
        #[async_trait]
        impl SupportRepo for SqlStore<$db> {
            async fn insert_request(
                &self,
                r: &SupportRequestRecord,
                first: &SupportMessageRecord,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO support_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(r.id.to_string())
                .bind(r.account.to_string())
                .bind(r.category.as_str())
                .bind(r.status.as_str())
                .bind(r.created_at)
                .bind(r.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                message_insert!(first).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn requests_of(
                &self,
                account: AccountId,
            ) -> StoreResult<Vec<SupportRequestRecord>> {
                let rows: Vec<RequestRow> = sqlx::query_as(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM support_requests \
                     WHERE account_id = $1 ORDER BY id DESC"
                ))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(request_of).collect()
            }

            async fn request(
                &self,
                account: AccountId,
                id: SupportRequestId,
            ) -> StoreResult<Option<SupportRequestRecord>> {
                let row: Option<RequestRow> = sqlx::query_as(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM support_requests \
                     WHERE id = $1 AND account_id = $2"
                ))
                .bind(id.to_string())
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(request_of).transpose()
            }

            async fn insert_message(
                &self,
                account: AccountId,
                m: &SupportMessageRecord,
                status: SupportStatus,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                // The guarded update first: it takes the row's lock on PostgreSQL, so a close
                // running at the same time either precedes it (and nothing is added) or waits.
                let n = sqlx::query(
                    "UPDATE support_requests SET status = $1, updated_at = $2 \
                     WHERE id = $3 AND account_id = $4 AND status <> 'closed'",
                )
                .bind(status.as_str())
                .bind(m.at)
                .bind(m.request.to_string())
                .bind(account.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n != 1 {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(false);
                }
                message_insert!(m).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn close_request(
                &self,
                account: AccountId,
                id: SupportRequestId,
                at: i64,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE support_requests SET status = 'closed', updated_at = $1 \
                     WHERE id = $2 AND account_id = $3 AND status <> 'closed'",
                )
                .bind(at)
                .bind(id.to_string())
                .bind(account.to_string())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn messages_of(
                &self,
                request: SupportRequestId,
            ) -> StoreResult<Vec<SupportMessageRecord>> {
                let rows: Vec<MessageRow> = sqlx::query_as(
                    "SELECT id, request_id, author, at, body_sealed FROM support_messages \
                     WHERE request_id = $1 ORDER BY id",
                )
                .bind(request.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(message_of).collect()
            }
        }
    };
}

support_repo!(sqlx::Sqlite);
support_repo!(sqlx::Postgres);
