//! Signing keys kept by the software key store (CERT-1, CERT-3, CERT-10). The store keeps them in
//! the key-store database, beside the vault's keys and apart from the data, so a backup of the data
//! holds no private key.

use async_trait::async_trait;

use crate::repo::StoreResult;

/// One signing key of the software key store. The private key is sealed by the key store
/// (AES-256-GCM, associated data binding the id and algorithm); once destroyed, `sealed_private_key`
/// is `None` and `destroyed_at` says when (the destruction is the record: CERT-3).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    /// `sw:` followed by a UUID.
    pub id: String,
    /// The key algorithm's stable name (`sm2`, `p256`, …).
    pub algorithm: String,
    /// What the key is for (`ca/sm2/root`, `event/…`); not secret.
    pub label: String,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// The sealed PKCS#8 private key, until destroyed.
    pub sealed_private_key: Option<Vec<u8>>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once destroyed.
    pub destroyed_at: Option<i64>,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("label", &self.label)
            .field("sealed", &self.sealed_private_key.is_some())
            .field("created_at", &self.created_at)
            .field("destroyed_at", &self.destroyed_at)
            .finish()
    }
}

/// Storage of the software key store's keys.
#[async_trait]
pub trait SigningKeyRepo: Send + Sync + std::fmt::Debug {
    /// Inserts a new key. An id that exists already is an error.
    async fn insert_signing_key(&self, key: &StoredSigningKey) -> StoreResult<()>;
    /// The key of that id, destroyed or not.
    async fn signing_key(&self, id: &str) -> StoreResult<Option<StoredSigningKey>>;
    /// Erases the sealed private key and records when; `false` if it was already destroyed or
    /// never existed.
    async fn destroy_signing_key(&self, id: &str, at: i64) -> StoreResult<bool>;
}
