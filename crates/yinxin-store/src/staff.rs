//! [`StaffRepo`] for both backends: staff roles and the record of staff access to personal
//! information (issue 8 item 7; PRIV-19).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::ledger::EvidenceEntry;
use yinxin_domain::legal::{LegalDemand, LegalDemandRepo};
use yinxin_domain::pi::Purpose;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::staff::{
    StaffAccessFilter, StaffAccessRecord, StaffGrant, StaffRepo, StaffRole,
};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

/// `staff_roles` columns: account_id, role, granted_by, granted_at, revoked_at.
type GrantRow = (String, String, String, i64, Option<i64>);

const ACCESS_COLUMNS: &str =
    "id, staff_account, role, subject_account, fields, purpose, reference, unmasked, at";

/// `staff_accesses` columns in [`ACCESS_COLUMNS`] order.
type AccessRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    i64,
);

fn role_of(s: &str) -> StoreResult<StaffRole> {
    StaffRole::parse(s).ok_or_else(|| StoreError::Corrupt(format!("staff role {s:?}")))
}

fn grant_of(r: GrantRow) -> StoreResult<StaffGrant> {
    let (account, role, granted_by, granted_at, revoked_at) = r;
    Ok(StaffGrant {
        account: uuid_of(&account, "account")?,
        role: role_of(&role)?,
        granted_by,
        granted_at,
        revoked_at,
    })
}

fn access_of(r: AccessRow) -> StoreResult<StaffAccessRecord> {
    let (id, staff, role, subject, fields, purpose, reference, unmasked, at) = r;
    Ok(StaffAccessRecord {
        id,
        staff: uuid_of(&staff, "account")?,
        role: role_of(&role)?,
        subject: uuid_of(&subject, "account")?,
        fields: fields
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        purpose: Purpose::parse(&purpose)
            .ok_or_else(|| StoreError::Corrupt(format!("access purpose {purpose:?}")))?,
        reference,
        unmasked,
        at,
    })
}

macro_rules! staff_repo {
    ($db:ty) => {
        #[async_trait]
        impl StaffRepo for SqlStore<$db> {
            async fn grant_staff_role(&self, g: &StaffGrant) -> StoreResult<bool> {
                let n = sqlx::query(
                    "INSERT INTO staff_roles (account_id, role, granted_by, granted_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(g.account.to_string())
                .bind(g.role.as_str())
                .bind(&g.granted_by)
                .bind(g.granted_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn revoke_staff_role(
                &self,
                account: AccountId,
                role: StaffRole,
                at: i64,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE staff_roles SET revoked_at = $3 \
                     WHERE account_id = $1 AND role = $2 AND revoked_at IS NULL",
                )
                .bind(account.to_string())
                .bind(role.as_str())
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn staff_grants(
                &self,
                account: Option<AccountId>,
            ) -> StoreResult<Vec<StaffGrant>> {
                let rows: Vec<GrantRow> = sqlx::query_as(
                    "SELECT account_id, role, granted_by, granted_at, revoked_at FROM staff_roles \
                     WHERE CAST($1 AS TEXT) IS NULL OR account_id = $1 \
                     ORDER BY granted_at, account_id, role",
                )
                .bind(account.map(|a| a.to_string()))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(grant_of).collect()
            }

            async fn record_staff_access(
                &self,
                r: &StaffAccessRecord,
                evidence: &EvidenceEntry,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO staff_accesses ({ACCESS_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .bind(&r.id)
                .bind(r.staff.to_string())
                .bind(r.role.as_str())
                .bind(r.subject.to_string())
                .bind(r.fields.join(","))
                .bind(r.purpose.as_str())
                .bind(&r.reference)
                .bind(r.unmasked)
                .bind(r.at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                crate::ledger::queue_evidence!(tx, evidence);
                tx.commit().await.map_err(db_err)
            }

            async fn staff_accesses(
                &self,
                filter: StaffAccessFilter,
                limit: u32,
            ) -> StoreResult<Vec<StaffAccessRecord>> {
                let rows: Vec<AccessRow> = sqlx::query_as(&format!(
                    "SELECT {ACCESS_COLUMNS} FROM staff_accesses \
                     WHERE (CAST($1 AS TEXT) IS NULL OR subject_account = $1) \
                       AND (CAST($2 AS TEXT) IS NULL OR staff_account = $2) \
                     ORDER BY seq DESC LIMIT $3"
                ))
                .bind(filter.subject.map(|a| a.to_string()))
                .bind(filter.staff.map(|a| a.to_string()))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(access_of).collect()
            }
        }
    };
}

staff_repo!(sqlx::Sqlite);
staff_repo!(sqlx::Postgres);

const DEMAND_COLUMNS: &str = "id, authority, document_number, legal_basis, subjects, data_items, \
     document_type, document_sha256, recorded_by, recorded_at";

/// `legal_demands` columns in [`DEMAND_COLUMNS`] order, then the sealed document (empty when
/// not read).
type DemandRow = (
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
    Vec<u8>,
);

fn demand_of(r: DemandRow) -> StoreResult<LegalDemand> {
    let (id, authority, number, basis, subjects, items, kind, sha, by, at, sealed) = r;
    let list = |s: &str, what: &str| -> StoreResult<Vec<String>> {
        serde_json::from_str(s).map_err(|_| StoreError::Corrupt(format!("stored {what} {s:?}")))
    };
    Ok(LegalDemand {
        id,
        authority,
        document_number: number,
        legal_basis: basis,
        subjects: list(&subjects, "demand subjects")?
            .iter()
            .map(|s| uuid_of(s, "account"))
            .collect::<StoreResult<_>>()?,
        data_items: list(&items, "demand data items")?,
        document_type: kind,
        document_sha256: sha,
        document_sealed: sealed,
        recorded_by: uuid_of(&by, "account")?,
        recorded_at: at,
    })
}

macro_rules! legal_demand_repo {
    ($db:ty) => {
        #[async_trait]
        impl LegalDemandRepo for SqlStore<$db> {
            async fn insert_legal_demand(&self, d: &LegalDemand) -> StoreResult<()> {
                let subjects: Vec<String> = d.subjects.iter().map(|s| s.to_string()).collect();
                sqlx::query(&format!(
                    "INSERT INTO legal_demands ({DEMAND_COLUMNS}, document_sealed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(&d.id)
                .bind(&d.authority)
                .bind(&d.document_number)
                .bind(&d.legal_basis)
                .bind(
                    serde_json::to_string(&subjects)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                )
                .bind(
                    serde_json::to_string(&d.data_items)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                )
                .bind(&d.document_type)
                .bind(&d.document_sha256)
                .bind(d.recorded_by.to_string())
                .bind(d.recorded_at)
                .bind(&d.document_sealed)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn legal_demand(&self, id: &str) -> StoreResult<Option<LegalDemand>> {
                let row: Option<DemandRow> = sqlx::query_as(&format!(
                    "SELECT {DEMAND_COLUMNS}, document_sealed FROM legal_demands WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(demand_of).transpose()
            }

            async fn legal_demands(&self, limit: u32) -> StoreResult<Vec<LegalDemand>> {
                type ListRow = (
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
                );
                let rows: Vec<ListRow> = sqlx::query_as(&format!(
                    "SELECT {DEMAND_COLUMNS} FROM legal_demands ORDER BY seq DESC LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(a, b, c, d, e, f, g, h, i, j)| {
                        demand_of((a, b, c, d, e, f, g, h, i, j, Vec::new()))
                    })
                    .collect()
            }
        }
    };
}

legal_demand_repo!(sqlx::Sqlite);
legal_demand_repo!(sqlx::Postgres);
