//! [`EnterpriseRepo`] for both backends: enterprises and agent authorizations (ACC-2), with the
//! registrant's warranty for the legal representative's information (IDV-4).

use async_trait::async_trait;
use yinxin_domain::account::{AccountRecord, ConsentRecord};
use yinxin_domain::enterprise::{
    AgentScope, AuthorizationBasis, AuthorizationRecord, CodeKind, EnterpriseKind,
    EnterpriseRecord, EnterpriseRepo,
};
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::third_party::ThirdPartyWarranty;
use yinxin_domain::{AccountId, AuthorizationId};

use crate::accounts::{account_insert, consent_insert, uuid_of};
use crate::repos::{SqlStore, db_err};
use crate::warranties::warranty_insert;

const AUTHORIZATION_COLUMNS: &str = "id, enterprise_id, agent_id, scopes, granted_by, basis, \
     valid_from, valid_until, created_at, revoked_at, revoked_by";

/// `agent_authorizations` columns in [`AUTHORIZATION_COLUMNS`] order.
type AuthorizationRow = (
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
);

/// Scopes are stored as their wire names joined by commas, in a fixed order.
fn scopes_text(scopes: &[AgentScope]) -> String {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn authorization_of(r: AuthorizationRow) -> StoreResult<AuthorizationRecord> {
    let (id, enterprise, agent, scopes, granted_by, basis, from, until, created, revoked_at, by) =
        r;
    Ok(AuthorizationRecord {
        id: uuid_of(&id, "authorization")?,
        enterprise: uuid_of(&enterprise, "account")?,
        agent: uuid_of(&agent, "account")?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                AgentScope::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("agent scope {s:?}")))
            })
            .collect::<StoreResult<_>>()?,
        granted_by: uuid_of(&granted_by, "account")?,
        basis: AuthorizationBasis::parse(&basis)
            .ok_or_else(|| StoreError::Corrupt(format!("authorization basis {basis:?}")))?,
        valid_from: from,
        valid_until: until,
        created_at: created,
        revoked_at,
        revoked_by: by.map(|b| uuid_of(&b, "account")).transpose()?,
    })
}

/// The authorization insert, bound to a record.
macro_rules! authorization_insert {
    ($a:expr) => {
        sqlx::query(
            "INSERT INTO agent_authorizations (id, enterprise_id, agent_id, scopes, granted_by, basis, \
             valid_from, valid_until, created_at, revoked_at, revoked_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind($a.id.to_string())
        .bind($a.enterprise.to_string())
        .bind($a.agent.to_string())
        .bind(scopes_text(&$a.scopes))
        .bind($a.granted_by.to_string())
        .bind($a.basis.as_str())
        .bind($a.valid_from)
        .bind($a.valid_until)
        .bind($a.created_at)
        .bind($a.revoked_at)
        .bind($a.revoked_by.map(|b| b.to_string()))
    };
}

macro_rules! enterprise_repo {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// Every authorization whose `column` (a fixed column name, never input) is `id`,
            /// oldest first.
            async fn authorizations_where(
                &self,
                column: &'static str,
                id: AccountId,
            ) -> StoreResult<Vec<AuthorizationRecord>> {
                let rows: Vec<AuthorizationRow> = sqlx::query_as(&format!(
                    "SELECT {AUTHORIZATION_COLUMNS} FROM agent_authorizations WHERE {column} = $1 ORDER BY id"
                ))
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(authorization_of).collect()
            }
        }

        #[async_trait]
        impl EnterpriseRepo for SqlStore<$db> {
            async fn insert_enterprise(
                &self,
                account: &AccountRecord,
                e: &EnterpriseRecord,
                first: &AuthorizationRecord,
                consents: &[ConsentRecord],
                evidence: &[yinxin_domain::ledger::EvidenceEntry],
                warranty: Option<&ThirdPartyWarranty>,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                account_insert!(account).execute(&mut *tx).await.map_err(db_err)?;
                sqlx::query(
                    "INSERT INTO enterprises (account_id, kind, code_kind, registered_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(e.account.to_string())
                .bind(e.kind.as_str())
                .bind(e.code_kind.as_str())
                .bind(e.registered_by.to_string())
                .bind(e.created_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                authorization_insert!(first).execute(&mut *tx).await.map_err(db_err)?;
                for c in consents {
                    consent_insert!(c).execute(&mut *tx).await.map_err(db_err)?;
                }
                for e in evidence {
                    crate::ledger::queue_evidence!(tx, e);
                }
                if let Some(w) = warranty {
                    warranty_insert!(w).execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn enterprise(&self, account: AccountId) -> StoreResult<Option<EnterpriseRecord>> {
                let row: Option<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT kind, code_kind, registered_by, created_at FROM enterprises WHERE account_id = $1",
                )
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|(kind, code_kind, by, created_at)| {
                    Ok(EnterpriseRecord {
                        account,
                        kind: EnterpriseKind::parse(&kind)
                            .ok_or_else(|| StoreError::Corrupt(format!("enterprise kind {kind:?}")))?,
                        code_kind: CodeKind::parse(&code_kind)
                            .ok_or_else(|| StoreError::Corrupt(format!("code kind {code_kind:?}")))?,
                        registered_by: uuid_of(&by, "account")?,
                        created_at,
                    })
                })
                .transpose()
            }

            async fn insert_authorization(&self, a: &AuthorizationRecord) -> StoreResult<()> {
                authorization_insert!(a).execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }

            async fn authorization(
                &self,
                enterprise: AccountId,
                id: AuthorizationId,
            ) -> StoreResult<Option<AuthorizationRecord>> {
                let row: Option<AuthorizationRow> = sqlx::query_as(&format!(
                    "SELECT {AUTHORIZATION_COLUMNS} FROM agent_authorizations \
                     WHERE id = $1 AND enterprise_id = $2"
                ))
                .bind(id.to_string())
                .bind(enterprise.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(authorization_of).transpose()
            }

            async fn authorizations_of_enterprise(
                &self,
                enterprise: AccountId,
            ) -> StoreResult<Vec<AuthorizationRecord>> {
                self.authorizations_where("enterprise_id", enterprise).await
            }

            async fn authorizations_of_agent(
                &self,
                agent: AccountId,
            ) -> StoreResult<Vec<AuthorizationRecord>> {
                self.authorizations_where("agent_id", agent).await
            }

            async fn revoke_authorization(
                &self,
                id: AuthorizationId,
                by: AccountId,
                at: i64,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE agent_authorizations SET revoked_at = $1, revoked_by = $2 \
                     WHERE id = $3 AND revoked_at IS NULL",
                )
                .bind(at)
                .bind(by.to_string())
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }
        }
    };
}

enterprise_repo!(sqlx::Sqlite);
enterprise_repo!(sqlx::Postgres);
