//! [`IncidentRepo`] for both backends (issue 8 item 11; PRIV-11; migration 0038).

use std::collections::BTreeSet;

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::incident::{Incident, IncidentRepo, IncidentScope, IncidentTexts, NoticeCounts};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const COLUMNS: &str = "id, title, what_happened, impact, measures, advice, remedies, contact, \
     scope, recorded_by, recorded_at, published_at";

/// `incidents` columns in [`COLUMNS`] order.
type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
);

fn incident_of(r: Row) -> StoreResult<Incident> {
    Ok(Incident {
        id: r.0,
        texts: IncidentTexts {
            title: r.1,
            what_happened: r.2,
            impact: r.3,
            measures: r.4,
            advice: r.5,
            remedies: r.6,
            contact: r.7,
        },
        scope: serde_json::from_str(&r.8)
            .map_err(|_| StoreError::Corrupt(format!("stored incident scope {:?}", r.8)))?,
        recorded_by: uuid_of(&r.9, "account")?,
        recorded_at: r.10,
        published_at: r.11,
    })
}

/// Whether a disclosure's stored data items (a JSON list) name one of `fields` (none: any).
fn concerns(data_items: &str, fields: &[String]) -> bool {
    if fields.is_empty() {
        return true;
    }
    let items: Vec<String> = serde_json::from_str(data_items).unwrap_or_default();
    items.iter().any(|i| fields.contains(i))
}

macro_rules! incident_repo {
    ($db:ty) => {
        #[async_trait]
        impl IncidentRepo for SqlStore<$db> {
            async fn affected_subjects(
                &self,
                scope: &IncidentScope,
            ) -> StoreResult<Vec<AccountId>> {
                let mut found = BTreeSet::new();
                let sources = [
                    (
                        "SELECT subject_id, data_items FROM disclosures \
                         WHERE processor = $1 AND at >= $2 AND at <= $3",
                        &scope.processors,
                    ),
                    (
                        "SELECT subject_id, data_items FROM app_disclosures \
                         WHERE app_id = $1 AND at >= $2 AND at <= $3",
                        &scope.apps,
                    ),
                    (
                        "SELECT subject_account, fields FROM staff_accesses \
                         WHERE staff_account = $1 AND at >= $2 AND at <= $3",
                        &scope.staff,
                    ),
                ];
                for (sql, names) in sources {
                    for name in names {
                        let rows: Vec<(String, String)> = sqlx::query_as(sql)
                            .bind(name)
                            .bind(scope.from)
                            .bind(scope.to)
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db_err)?;
                        for (subject, items) in rows {
                            if concerns(&items, &scope.fields) {
                                found.insert(subject);
                            }
                        }
                    }
                }
                found.iter().map(|s| uuid_of(s, "account")).collect()
            }

            async fn insert_incident(
                &self,
                i: &Incident,
                affected: &[AccountId],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO incidents ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(&i.id)
                .bind(&i.texts.title)
                .bind(&i.texts.what_happened)
                .bind(&i.texts.impact)
                .bind(&i.texts.measures)
                .bind(&i.texts.advice)
                .bind(&i.texts.remedies)
                .bind(&i.texts.contact)
                .bind(
                    serde_json::to_string(&i.scope)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                )
                .bind(i.recorded_by.to_string())
                .bind(i.recorded_at)
                .bind(i.published_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                for a in affected {
                    sqlx::query(
                        "INSERT INTO incident_subjects (incident_id, account_id) VALUES ($1, $2)",
                    )
                    .bind(&i.id)
                    .bind(a.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
                let row: Option<Row> =
                    sqlx::query_as(&format!("SELECT {COLUMNS} FROM incidents WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                row.map(incident_of).transpose()
            }

            async fn incidents(&self, limit: u32) -> StoreResult<Vec<Incident>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM incidents ORDER BY seq DESC LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(incident_of).collect()
            }

            async fn unnotified_subjects(&self, incident: &str) -> StoreResult<Vec<AccountId>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT account_id FROM incident_subjects \
                     WHERE incident_id = $1 AND notified_at IS NULL ORDER BY account_id",
                )
                .bind(incident)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(|(a,)| uuid_of(a, "account")).collect()
            }

            async fn mark_notified(
                &self,
                incident: &str,
                account: AccountId,
                channel: &str,
                at: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE incident_subjects SET notified_at = $3, channel = $4 \
                     WHERE incident_id = $1 AND account_id = $2 AND notified_at IS NULL",
                )
                .bind(incident)
                .bind(account.to_string())
                .bind(at)
                .bind(channel)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn notice_counts(&self, incident: &str) -> StoreResult<NoticeCounts> {
                let (affected, notified, unreachable): (i64, i64, i64) = sqlx::query_as(
                    "SELECT COUNT(*), \
                     COALESCE(SUM(CASE WHEN channel = 'sms' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN channel = 'none' THEN 1 ELSE 0 END), 0) \
                     FROM incident_subjects WHERE incident_id = $1",
                )
                .bind(incident)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok(NoticeCounts {
                    affected: n(affected),
                    notified: n(notified),
                    unreachable: n(unreachable),
                })
            }

            async fn publish_incident(&self, id: &str, at: i64) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE incidents SET published_at = $2 WHERE id = $1 AND published_at IS NULL",
                )
                .bind(id)
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }

            async fn incidents_of(&self, account: AccountId) -> StoreResult<Vec<Incident>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM incidents WHERE id IN \
                     (SELECT incident_id FROM incident_subjects WHERE account_id = $1) \
                     ORDER BY seq DESC"
                ))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(incident_of).collect()
            }
        }
    };
}

incident_repo!(sqlx::Sqlite);
incident_repo!(sqlx::Postgres);
