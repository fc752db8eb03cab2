//! [`SigningKeyRepo`] for both backends, on the key-store database (migration 9002).

use async_trait::async_trait;
use yinxin_domain::keys::{SigningKeyRepo, StoredSigningKey};
use yinxin_domain::repo::StoreResult;

use crate::repos::{SqlStore, db_err};

/// `signing_keys` columns in [`StoredSigningKey`] field order.
type SigningKeyRow = (
    String,
    String,
    String,
    Vec<u8>,
    Option<Vec<u8>>,
    i64,
    Option<i64>,
);

macro_rules! signing_key_repo {
    ($db:ty) => {
        #[async_trait]
        impl SigningKeyRepo for SqlStore<$db> {
            async fn insert_signing_key(&self, k: &StoredSigningKey) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO signing_keys (id, algorithm, label, public_key, \
                     sealed_private_key, created_at, destroyed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&k.id)
                .bind(&k.algorithm)
                .bind(&k.label)
                .bind(&k.public_key)
                .bind(&k.sealed_private_key)
                .bind(k.created_at)
                .bind(k.destroyed_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn signing_key(&self, id: &str) -> StoreResult<Option<StoredSigningKey>> {
                let row: Option<SigningKeyRow> = sqlx::query_as(
                    "SELECT id, algorithm, label, public_key, sealed_private_key, created_at, \
                     destroyed_at FROM signing_keys WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(
                    |(
                        id,
                        algorithm,
                        label,
                        public_key,
                        sealed_private_key,
                        created_at,
                        destroyed_at,
                    )| {
                        StoredSigningKey {
                            id,
                            algorithm,
                            label,
                            public_key,
                            sealed_private_key,
                            created_at,
                            destroyed_at,
                        }
                    },
                ))
            }

            async fn destroy_signing_key(&self, id: &str, at: i64) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE signing_keys SET sealed_private_key = NULL, destroyed_at = $1 \
                     WHERE id = $2 AND destroyed_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }
        }
    };
}

signing_key_repo!(sqlx::Sqlite);
signing_key_repo!(sqlx::Postgres);
