//! [`SealRepo`] for both backends: enterprise seals, seal authorizations and signature images
//! (SIGN-2, SIGN-3, ACC-2). Images arrive sealed by the vault and are stored as opaque blobs.

use async_trait::async_trait;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::seal::{
    SealAuthorization, SealCategory, SealPurpose, SealRecord, SealRepo, SignatureImageRecord,
    SignatureSource, SignatureStyle,
};
use yinxin_domain::{AccountId, SealAuthorizationId, SealId, SignatureImageId};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const SEAL_COLUMNS: &str = "id, enterprise_id, category, anti_counterfeit_code, width, height, \
     created_by, created_at";

type SealRow = (
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    String,
    i64,
);

const SEAL_AUTH_COLUMNS: &str = "id, enterprise_id, seal_id, agent_id, purposes, valid_from, \
     valid_until, granted_by, created_at, revoked_at, revoked_by";

type SealAuthRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
);

const IMAGE_COLUMNS: &str = "id, account_id, source, style, width, height, created_at";

type ImageRow = (String, String, String, Option<String>, i64, i64, i64);

fn dimension(v: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v}")))
}

fn seal_of(r: SealRow) -> StoreResult<SealRecord> {
    let (id, enterprise, category, code, width, height, by, at) = r;
    Ok(SealRecord {
        id: uuid_of(&id, "seal")?,
        enterprise: uuid_of(&enterprise, "account")?,
        category: SealCategory::parse(&category)
            .ok_or_else(|| StoreError::Corrupt(format!("seal category {category:?}")))?,
        anti_counterfeit_code: code,
        width: dimension(width, "seal width")?,
        height: dimension(height, "seal height")?,
        created_by: uuid_of(&by, "account")?,
        created_at: at,
    })
}

/// Purposes are stored as their wire names joined by commas, in a fixed order.
fn purposes_text(purposes: &[SealPurpose]) -> String {
    let mut sorted = purposes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn seal_auth_of(r: SealAuthRow) -> StoreResult<SealAuthorization> {
    let (id, enterprise, seal, agent, purposes, from, until, by, created, revoked_at, revoked_by) =
        r;
    Ok(SealAuthorization {
        id: uuid_of(&id, "seal authorization")?,
        enterprise: uuid_of(&enterprise, "account")?,
        seal: uuid_of(&seal, "seal")?,
        agent: uuid_of(&agent, "account")?,
        purposes: purposes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                SealPurpose::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("seal purpose {s:?}")))
            })
            .collect::<StoreResult<_>>()?,
        valid_from: from,
        valid_until: until,
        granted_by: uuid_of(&by, "account")?,
        created_at: created,
        revoked_at,
        revoked_by: revoked_by.map(|b| uuid_of(&b, "account")).transpose()?,
    })
}

fn image_of(r: ImageRow) -> StoreResult<SignatureImageRecord> {
    let (id, account, source, style, width, height, at) = r;
    Ok(SignatureImageRecord {
        id: uuid_of(&id, "signature image")?,
        account: uuid_of(&account, "account")?,
        source: SignatureSource::parse(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("signature source {source:?}")))?,
        style: style
            .map(|s| {
                SignatureStyle::parse(&s)
                    .ok_or_else(|| StoreError::Corrupt(format!("signature style {s:?}")))
            })
            .transpose()?,
        width: dimension(width, "signature width")?,
        height: dimension(height, "signature height")?,
        created_at: at,
    })
}

macro_rules! seal_repo {
    ($db:ty) => {
        #[async_trait]
        impl SealRepo for SqlStore<$db> {
            async fn insert_seal(&self, s: &SealRecord, image_sealed: &[u8]) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO seals (id, enterprise_id, category, anti_counterfeit_code, width, \
                     height, created_by, created_at, image_sealed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(s.id.to_string())
                .bind(s.enterprise.to_string())
                .bind(s.category.as_str())
                .bind(s.anti_counterfeit_code.as_deref())
                .bind(i64::from(s.width))
                .bind(i64::from(s.height))
                .bind(s.created_by.to_string())
                .bind(s.created_at)
                .bind(image_sealed)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn seal(
                &self,
                enterprise: AccountId,
                id: SealId,
            ) -> StoreResult<Option<(SealRecord, Vec<u8>)>> {
                let row: Option<(String, String, String, Option<String>, i64, i64, String, i64, Vec<u8>)> =
                    sqlx::query_as(&format!(
                        "SELECT {SEAL_COLUMNS}, image_sealed FROM seals \
                         WHERE id = $1 AND enterprise_id = $2"
                    ))
                    .bind(id.to_string())
                    .bind(enterprise.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.map(|(a, b, c, d, e, f, g, h, blob)| Ok((seal_of((a, b, c, d, e, f, g, h))?, blob)))
                    .transpose()
            }

            async fn seals_of(&self, enterprise: AccountId) -> StoreResult<Vec<SealRecord>> {
                let rows: Vec<SealRow> = sqlx::query_as(&format!(
                    "SELECT {SEAL_COLUMNS} FROM seals WHERE enterprise_id = $1 ORDER BY id"
                ))
                .bind(enterprise.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(seal_of).collect()
            }

            async fn insert_seal_authorization(&self, a: &SealAuthorization) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO seal_authorizations (id, enterprise_id, seal_id, agent_id, purposes, \
                     valid_from, valid_until, granted_by, created_at, revoked_at, revoked_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(a.id.to_string())
                .bind(a.enterprise.to_string())
                .bind(a.seal.to_string())
                .bind(a.agent.to_string())
                .bind(purposes_text(&a.purposes))
                .bind(a.valid_from)
                .bind(a.valid_until)
                .bind(a.granted_by.to_string())
                .bind(a.created_at)
                .bind(a.revoked_at)
                .bind(a.revoked_by.map(|b| b.to_string()))
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn seal_authorization(
                &self,
                enterprise: AccountId,
                id: SealAuthorizationId,
            ) -> StoreResult<Option<SealAuthorization>> {
                let row: Option<SealAuthRow> = sqlx::query_as(&format!(
                    "SELECT {SEAL_AUTH_COLUMNS} FROM seal_authorizations \
                     WHERE id = $1 AND enterprise_id = $2"
                ))
                .bind(id.to_string())
                .bind(enterprise.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(seal_auth_of).transpose()
            }

            async fn seal_authorizations_of_seal(
                &self,
                enterprise: AccountId,
                seal: SealId,
            ) -> StoreResult<Vec<SealAuthorization>> {
                let rows: Vec<SealAuthRow> = sqlx::query_as(&format!(
                    "SELECT {SEAL_AUTH_COLUMNS} FROM seal_authorizations \
                     WHERE seal_id = $1 AND enterprise_id = $2 ORDER BY id"
                ))
                .bind(seal.to_string())
                .bind(enterprise.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(seal_auth_of).collect()
            }

            async fn revoke_seal_authorization(
                &self,
                id: SealAuthorizationId,
                by: AccountId,
                at: i64,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE seal_authorizations SET revoked_at = $1, revoked_by = $2 \
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

            async fn insert_signature_image(
                &self,
                i: &SignatureImageRecord,
                png_sealed: &[u8],
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO signature_images (id, account_id, source, style, width, height, \
                     created_at, image_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(i.id.to_string())
                .bind(i.account.to_string())
                .bind(i.source.as_str())
                .bind(i.style.map(|s| s.as_str()))
                .bind(i64::from(i.width))
                .bind(i64::from(i.height))
                .bind(i.created_at)
                .bind(png_sealed)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn signature_images_of(
                &self,
                account: AccountId,
            ) -> StoreResult<Vec<SignatureImageRecord>> {
                let rows: Vec<ImageRow> = sqlx::query_as(&format!(
                    "SELECT {IMAGE_COLUMNS} FROM signature_images WHERE account_id = $1 ORDER BY id"
                ))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(image_of).collect()
            }

            async fn signature_image(
                &self,
                account: AccountId,
                id: SignatureImageId,
            ) -> StoreResult<Option<(SignatureImageRecord, Vec<u8>)>> {
                let row: Option<(String, String, String, Option<String>, i64, i64, i64, Vec<u8>)> =
                    sqlx::query_as(&format!(
                        "SELECT {IMAGE_COLUMNS}, image_sealed FROM signature_images \
                         WHERE id = $1 AND account_id = $2"
                    ))
                    .bind(id.to_string())
                    .bind(account.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.map(|(a, b, c, d, e, f, g, blob)| Ok((image_of((a, b, c, d, e, f, g))?, blob)))
                    .transpose()
            }

            async fn delete_signature_image(
                &self,
                account: AccountId,
                id: SignatureImageId,
            ) -> StoreResult<bool> {
                let n = sqlx::query("DELETE FROM signature_images WHERE id = $1 AND account_id = $2")
                    .bind(id.to_string())
                    .bind(account.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                Ok(n == 1)
            }
        }
    };
}

seal_repo!(sqlx::Sqlite);
seal_repo!(sqlx::Postgres);
