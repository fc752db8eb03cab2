//! [`PasskeyRepo`] for both backends (ACC-3).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::passkey::{ChallengeRecord, PasskeyRecord, PasskeyRepo};
use yinxin_domain::repo::StoreResult;

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

type PasskeyRow = (Vec<u8>, String, Vec<u8>, i64, i64, Option<i64>);
const PASSKEY_COLUMNS: &str =
    "credential_key, account_id, sealed, sign_count, created_at, last_used_at";

fn passkey_of(r: PasskeyRow) -> StoreResult<PasskeyRecord> {
    let (credential_key, account, sealed, sign_count, created_at, last_used_at) = r;
    Ok(PasskeyRecord {
        credential_key,
        account: uuid_of(&account, "account")?,
        sealed,
        sign_count: u32::try_from(sign_count).unwrap_or(u32::MAX),
        created_at,
        last_used_at,
    })
}

macro_rules! passkey_repo {
    ($db:ty) => {
        #[async_trait]
        impl PasskeyRepo for SqlStore<$db> {
            async fn insert_challenge(&self, c: &ChallengeRecord) -> StoreResult<()> {
                // Purge now and then (1 in 16), so expired challenges do not accumulate.
                if c.challenge.first().is_some_and(|b| b % 16 == 0) {
                    sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at < $1")
                        .bind(c.created_at - 3600)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                }
                sqlx::query(
                    "INSERT INTO webauthn_challenges (id, purpose, account_id, challenge, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&c.id)
                .bind(&c.purpose)
                .bind(c.account.map(|a| a.to_string()))
                .bind(&c.challenge)
                .bind(c.created_at)
                .bind(c.expires_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn take_challenge(
                &self,
                id: &str,
                purpose: &str,
                now: i64,
            ) -> StoreResult<Option<ChallengeRecord>> {
                let row: Option<(Option<String>, Vec<u8>, i64, i64)> = sqlx::query_as(
                    "UPDATE webauthn_challenges SET used_at = $1 \
                     WHERE id = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                     RETURNING account_id, challenge, created_at, expires_at",
                )
                .bind(now)
                .bind(id)
                .bind(purpose)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|(account, challenge, created_at, expires_at)| {
                    Ok(ChallengeRecord {
                        id: id.to_owned(),
                        purpose: purpose.to_owned(),
                        account: account.map(|a| uuid_of(&a, "account")).transpose()?,
                        challenge,
                        created_at,
                        expires_at,
                    })
                })
                .transpose()
            }

            async fn insert_passkey(&self, p: &PasskeyRecord) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO passkeys ({PASSKEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(&p.credential_key)
                .bind(p.account.to_string())
                .bind(&p.sealed)
                .bind(i64::from(p.sign_count))
                .bind(p.created_at)
                .bind(p.last_used_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn passkey(&self, credential_key: &[u8]) -> StoreResult<Option<PasskeyRecord>> {
                let row: Option<PasskeyRow> = sqlx::query_as(&format!(
                    "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_key = $1"
                ))
                .bind(credential_key)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(passkey_of).transpose()
            }

            async fn passkeys_of(&self, account: AccountId) -> StoreResult<Vec<PasskeyRecord>> {
                let rows: Vec<PasskeyRow> = sqlx::query_as(&format!(
                    "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE account_id = $1 ORDER BY created_at, credential_key"
                ))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(passkey_of).collect()
            }

            async fn advance_passkey(
                &self,
                credential_key: &[u8],
                old: u32,
                new: u32,
                at: i64,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE passkeys SET sign_count = $1, last_used_at = $2 \
                     WHERE credential_key = $3 AND sign_count = $4",
                )
                .bind(i64::from(new))
                .bind(at)
                .bind(credential_key)
                .bind(i64::from(old))
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn delete_passkey(&self, account: AccountId, credential_key: &[u8]) -> StoreResult<bool> {
                let n = sqlx::query("DELETE FROM passkeys WHERE credential_key = $1 AND account_id = $2")
                    .bind(credential_key)
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

passkey_repo!(sqlx::Sqlite);
passkey_repo!(sqlx::Postgres);
