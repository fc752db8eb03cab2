//! [`WarrantyRepo`] for both backends: warranties that information about another person was
//! submitted with their separate consent, and the person's objections (IDV-4).

use async_trait::async_trait;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::third_party::{ThirdPartyRole, ThirdPartyWarranty, WarrantyRepo};
use yinxin_domain::{AccountId, WarrantyId};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

pub(crate) const WARRANTY_COLUMNS: &str =
    "id, submitted_by, enterprise_id, about, subject_key, at, objected_at";

/// `third_party_warranties` columns in [`WARRANTY_COLUMNS`] order.
type WarrantyRow = (String, String, String, String, Vec<u8>, i64, Option<i64>);

fn warranty_of(r: WarrantyRow) -> StoreResult<ThirdPartyWarranty> {
    let (id, submitted_by, enterprise, about, subject_key, at, objected_at) = r;
    Ok(ThirdPartyWarranty {
        id: uuid_of(&id, "warranty")?,
        submitted_by: uuid_of(&submitted_by, "account")?,
        enterprise: uuid_of(&enterprise, "account")?,
        about: ThirdPartyRole::parse(&about)
            .ok_or_else(|| StoreError::Corrupt(format!("third-party role {about:?}")))?,
        subject_key,
        at,
        objected_at,
    })
}

/// The warranty insert, bound to a record (used inside the enterprise's registration
/// transaction).
macro_rules! warranty_insert {
    ($w:expr) => {
        sqlx::query(&format!(
            "INSERT INTO third_party_warranties ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            $crate::warranties::WARRANTY_COLUMNS
        ))
        .bind($w.id.to_string())
        .bind($w.submitted_by.to_string())
        .bind($w.enterprise.to_string())
        .bind($w.about.as_str())
        .bind(&$w.subject_key)
        .bind($w.at)
        .bind($w.objected_at)
    };
}

pub(crate) use warranty_insert;

macro_rules! warranty_repo {
    ($db:ty) => {
        #[async_trait]
        impl WarrantyRepo for SqlStore<$db> {
            async fn warranties_about(
                &self,
                subject_key: &[u8],
            ) -> StoreResult<Vec<ThirdPartyWarranty>> {
                let rows: Vec<WarrantyRow> = sqlx::query_as(&format!(
                    "SELECT {WARRANTY_COLUMNS} FROM third_party_warranties \
                     WHERE subject_key = $1 ORDER BY id"
                ))
                .bind(subject_key)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(warranty_of).collect()
            }

            async fn warranties_of_enterprise(
                &self,
                enterprise: AccountId,
            ) -> StoreResult<Vec<ThirdPartyWarranty>> {
                let rows: Vec<WarrantyRow> = sqlx::query_as(&format!(
                    "SELECT {WARRANTY_COLUMNS} FROM third_party_warranties \
                     WHERE enterprise_id = $1 ORDER BY id"
                ))
                .bind(enterprise.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(warranty_of).collect()
            }

            async fn mark_objected(&self, id: WarrantyId, at: i64) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE third_party_warranties SET objected_at = $1 \
                     WHERE id = $2 AND objected_at IS NULL",
                )
                .bind(at)
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

warranty_repo!(sqlx::Sqlite);
warranty_repo!(sqlx::Postgres);
