//! [`LoginEventRepo`] for both backends: login events for risk control (ACC-5).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::risk::{
    LoginEventOutcome, LoginEventRecord, LoginEventRepo, LoginHistory, LoginMethod,
};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const EVENT_COLUMNS: &str = "id, account_id, at, method, outcome, device_key, network_key, \
                             new_device, new_network, ip_sealed, client_sealed";

/// `login_events` columns in [`EVENT_COLUMNS`] order.
type EventRow = (
    String,
    String,
    i64,
    String,
    String,
    Option<Vec<u8>>,
    Vec<u8>,
    i64,
    i64,
    Vec<u8>,
    Option<Vec<u8>>,
);

fn event_of(r: EventRow) -> StoreResult<LoginEventRecord> {
    let (
        id,
        account,
        at,
        method,
        outcome,
        device_key,
        network_key,
        new_device,
        new_network,
        ip_sealed,
        client_sealed,
    ) = r;
    Ok(LoginEventRecord {
        id: uuid_of(&id, "login event")?,
        account: uuid_of(&account, "account")?,
        at,
        method: LoginMethod::parse(&method)
            .ok_or_else(|| StoreError::Corrupt(format!("login method {method:?}")))?,
        outcome: LoginEventOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("login outcome {outcome:?}")))?,
        device_key,
        network_key,
        new_device: new_device != 0,
        new_network: new_network != 0,
        ip_sealed,
        client_sealed,
    })
}

macro_rules! login_event_repo {
    ($db:ty) => {
        #[async_trait]
        impl LoginEventRepo for SqlStore<$db> {
            async fn insert_login_event(&self, e: &LoginEventRecord) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO login_events ({EVENT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(e.id.to_string())
                .bind(e.account.to_string())
                .bind(e.at)
                .bind(e.method.as_str())
                .bind(e.outcome.as_str())
                .bind(e.device_key.as_deref())
                .bind(&e.network_key)
                .bind(i64::from(e.new_device))
                .bind(i64::from(e.new_network))
                .bind(&e.ip_sealed)
                .bind(e.client_sealed.as_deref())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn login_history(
                &self,
                account: AccountId,
                device_key: Option<&[u8]>,
                network_key: &[u8],
            ) -> StoreResult<LoginHistory> {
                // A NULL device key matches nothing: a client that sends no device id is a new
                // device every time.
                let (successes, device, network): (i64, i64, i64) = sqlx::query_as(
                    "SELECT COUNT(*), \
                     CAST(COALESCE(MAX(CASE WHEN device_key = $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                     CAST(COALESCE(MAX(CASE WHEN network_key = $3 THEN 1 ELSE 0 END), 0) AS BIGINT) \
                     FROM login_events \
                     WHERE account_id = $1 AND outcome IN ('success', 'step_up_passed')",
                )
                .bind(account.to_string())
                .bind(device_key)
                .bind(network_key)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(LoginHistory {
                    successes: u64::try_from(successes).unwrap_or(0),
                    device_known: device != 0,
                    network_known: network != 0,
                })
            }

            async fn login_events_of(
                &self,
                account: AccountId,
                limit: u32,
            ) -> StoreResult<Vec<LoginEventRecord>> {
                let rows: Vec<EventRow> = sqlx::query_as(&format!(
                    "SELECT {EVENT_COLUMNS} FROM login_events WHERE account_id = $1 \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(event_of).collect()
            }

            async fn purge_login_events(&self, before: i64) -> StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM login_events WHERE at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected())
            }
        }
    };
}

login_event_repo!(sqlx::Sqlite);
login_event_repo!(sqlx::Postgres);
