//! [`TerminationRepo`] for both backends (issue 8 item 12; migration 0039).

use async_trait::async_trait;
use yinxin_domain::repo::StoreResult;
use yinxin_domain::termination::{Handover, PlanStep, TerminationPlan, TerminationRepo};
use yinxin_domain::{AccountId, SubjectId};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err, subject_of};

type HandoverRow = (String, i64, String, String, String, String, i64, i64);

type Row = (
    i64,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

macro_rules! termination_repo {
    ($db:ty) => {
        #[async_trait]
        impl TerminationRepo for SqlStore<$db> {
            async fn termination_plan(&self) -> StoreResult<Option<TerminationPlan>> {
                let row: Option<Row> = sqlx::query_as(
                    "SELECT terminates_at, notice, recorded_by, recorded_at, \
                     subscribers_notified_at, regulator_reported_at, closing_at \
                     FROM termination_plan WHERE id = 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|r| TerminationPlan {
                    terminates_at: r.0,
                    notice: r.1,
                    recorded_by: r.2,
                    recorded_at: r.3,
                    subscribers_notified_at: r.4,
                    regulator_reported_at: r.5,
                    closing_at: r.6,
                }))
            }

            async fn put_termination_plan(&self, p: &TerminationPlan) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "INSERT INTO termination_plan (id, terminates_at, notice, recorded_by, \
                     recorded_at) VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
                     SET terminates_at = excluded.terminates_at, notice = excluded.notice, \
                     recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at \
                     WHERE termination_plan.subscribers_notified_at IS NULL \
                     AND termination_plan.regulator_reported_at IS NULL \
                     AND termination_plan.closing_at IS NULL",
                )
                .bind(p.terminates_at)
                .bind(&p.notice)
                .bind(&p.recorded_by)
                .bind(p.recorded_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }

            async fn mark_plan_step(&self, step: PlanStep, at: i64) -> StoreResult<bool> {
                let sql = match step {
                    PlanStep::SubscribersNotified => {
                        "UPDATE termination_plan SET subscribers_notified_at = $1 \
                         WHERE id = 1 AND subscribers_notified_at IS NULL"
                    }
                    PlanStep::RegulatorReported => {
                        "UPDATE termination_plan SET regulator_reported_at = $1 \
                         WHERE id = 1 AND regulator_reported_at IS NULL"
                    }
                    PlanStep::Closing => {
                        "UPDATE termination_plan SET closing_at = $1 \
                         WHERE id = 1 AND closing_at IS NULL"
                    }
                };
                Ok(sqlx::query(sql)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected()
                    == 1)
            }

            async fn subscriber_subjects(&self) -> StoreResult<Vec<SubjectId>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT subject_id FROM accounts WHERE kind = 'personal' \
                     AND cancelled_at IS NULL ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(|(s,)| subject_of(s)).collect()
            }

            async fn insert_handover(
                &self,
                h: &Handover,
                evidence: &yinxin_domain::ledger::EvidenceEntry,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(
                    "INSERT INTO termination_handovers (id, made_at, operator, \
                     successor_subject, successor_fingerprint, archive_sha256, holders, \
                     certificates) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&h.id)
                .bind(h.made_at)
                .bind(&h.operator)
                .bind(&h.successor_subject)
                .bind(&h.successor_fingerprint)
                .bind(&h.archive_sha256)
                .bind(i64::try_from(h.holders).unwrap_or(i64::MAX))
                .bind(i64::try_from(h.certificates).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                crate::ledger::queue_evidence!(tx, evidence);
                tx.commit().await.map_err(db_err)
            }

            async fn handovers(&self) -> StoreResult<Vec<Handover>> {
                let rows: Vec<HandoverRow> = sqlx::query_as(
                    "SELECT id, made_at, operator, successor_subject, successor_fingerprint, \
                     archive_sha256, holders, certificates FROM termination_handovers \
                     ORDER BY made_at, id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|r| Handover {
                        id: r.0,
                        made_at: r.1,
                        operator: r.2,
                        successor_subject: r.3,
                        successor_fingerprint: r.4,
                        archive_sha256: r.5,
                        holders: u64::try_from(r.6).unwrap_or_default(),
                        certificates: u64::try_from(r.7).unwrap_or_default(),
                    })
                    .collect())
            }

            async fn certificate_holders(
                &self,
                after: Option<AccountId>,
                limit: u32,
            ) -> StoreResult<Vec<AccountId>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT DISTINCT holder FROM certificates WHERE holder > $1 \
                     ORDER BY holder LIMIT $2",
                )
                .bind(after.map(|a| a.to_string()).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(|(a,)| uuid_of(a, "holder")).collect()
            }
        }
    };
}

termination_repo!(sqlx::Sqlite);
termination_repo!(sqlx::Postgres);
