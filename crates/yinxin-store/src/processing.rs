//! [`ProcessingRecordRepo`] for both backends (issue 8 item 10; migration 0037).

use async_trait::async_trait;
use yinxin_domain::processing::{ProcessingRecord, ProcessingRecordRepo, RecordKind};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::repos::{SqlStore, db_err};

/// `processing_records` columns, the document last.
type Row = (i64, String, String, i64, i64, String);

fn record_of(kind: RecordKind, r: Row) -> StoreResult<ProcessingRecord> {
    let (version, sha256, created_by, created_at, retain_until, document) = r;
    Ok(ProcessingRecord {
        kind,
        version: u32::try_from(version)
            .map_err(|_| StoreError::Corrupt(format!("stored version {version}")))?,
        sha256,
        document,
        created_by,
        created_at,
        retain_until,
    })
}

macro_rules! processing_repo {
    ($db:ty) => {
        #[async_trait]
        impl ProcessingRecordRepo for SqlStore<$db> {
            async fn insert_processing_record(&self, r: &ProcessingRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO processing_records (kind, version, sha256, document, \
                     created_by, created_at, retain_until) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(r.kind.as_str())
                .bind(i64::from(r.version))
                .bind(&r.sha256)
                .bind(&r.document)
                .bind(&r.created_by)
                .bind(r.created_at)
                .bind(r.retain_until)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn latest_processing_record(
                &self,
                kind: RecordKind,
            ) -> StoreResult<Option<ProcessingRecord>> {
                let row: Option<Row> = sqlx::query_as(
                    "SELECT version, sha256, created_by, created_at, retain_until, document \
                     FROM processing_records WHERE kind = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(kind.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|r| record_of(kind, r)).transpose()
            }

            async fn processing_records(
                &self,
                kind: RecordKind,
            ) -> StoreResult<Vec<ProcessingRecord>> {
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT version, sha256, created_by, created_at, retain_until, '' \
                     FROM processing_records WHERE kind = $1 ORDER BY version DESC",
                )
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(|r| record_of(kind, r)).collect()
            }

            async fn processing_record(
                &self,
                kind: RecordKind,
                version: u32,
            ) -> StoreResult<Option<ProcessingRecord>> {
                let row: Option<Row> = sqlx::query_as(
                    "SELECT version, sha256, created_by, created_at, retain_until, document \
                     FROM processing_records WHERE kind = $1 AND version = $2",
                )
                .bind(kind.as_str())
                .bind(i64::from(version))
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|r| record_of(kind, r)).transpose()
            }
        }
    };
}

processing_repo!(sqlx::Sqlite);
processing_repo!(sqlx::Postgres);
