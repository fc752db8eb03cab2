//! [`TerminationRepo`] for both backends (issue 8 item 12; migration 0039).

use async_trait::async_trait;
use yinxin_domain::repo::StoreResult;
use yinxin_domain::termination::{PlanStep, TerminationPlan, TerminationRepo};

use yinxin_domain::SubjectId;

use crate::repos::{SqlStore, db_err, subject_of};

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
        }
    };
}

termination_repo!(sqlx::Sqlite);
termination_repo!(sqlx::Postgres);
