//! Repository traits. The domain owns them; `yinxin-store` implements each once for SQLite and
//! PostgreSQL. Split by capability: the vault's sealed data ([`PiRepo`]), the vault's keys
//! ([`KeyRepo`], kept in a separate database so that backups of the data never hold the keys that
//! open it), and health ([`HealthRepo`]).

use async_trait::async_trait;

use crate::ids::SubjectId;

/// A storage failure. Never turned into "not found": a query that failed is not an empty answer.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or refused the operation.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A concurrent change conflicted with this one; the caller may retry.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The stored data is not in the shape the code expects.
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

/// Shorthand for repository results.
pub type StoreResult<T> = Result<T, StoreError>;

/// One sealed PI field as stored: the blob is opaque ciphertext (algorithm, nonce, ciphertext, tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedField {
    /// Whose field.
    pub subject: SubjectId,
    /// The declared field name (inventory).
    pub field: String,
    /// The sealed value.
    pub sealed: Vec<u8>,
    /// Unix seconds of the last write.
    pub updated_at: i64,
}

/// A keyed blind-index digest of a normalized PI value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlindIndexEntry {
    /// The declared field name.
    pub field: String,
    /// HMAC of the normalized value under the field's index key.
    pub digest: Vec<u8>,
}

/// What an erasure removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErasedRows {
    /// Sealed fields deleted.
    pub fields: u64,
    /// Blind-index entries deleted.
    pub index_entries: u64,
}

/// Sealed PI fields and their blind indexes.
#[async_trait]
pub trait PiRepo: Send + Sync + std::fmt::Debug {
    /// Writes (or replaces) one sealed field and, in the same transaction, replaces the subject's
    /// blind-index entry for that field with `index` (or removes it when `None`).
    async fn put_field(
        &self,
        field: &SealedField,
        index: Option<&BlindIndexEntry>,
    ) -> StoreResult<()> {
        self.put_fields(&[(field.clone(), index.cloned())]).await
    }

    /// [`PiRepo::put_field`] for several fields, all in one transaction: either every field and
    /// index entry is written or none is (a registration never leaves half its PI behind).
    async fn put_fields(
        &self,
        fields: &[(SealedField, Option<BlindIndexEntry>)],
    ) -> StoreResult<()>;

    /// The sealed value of one field, if stored.
    async fn get_field(&self, subject: SubjectId, field: &str) -> StoreResult<Option<SealedField>>;

    /// Every sealed field of a subject (for access and copy requests, PRIV-14).
    async fn fields_of(&self, subject: SubjectId) -> StoreResult<Vec<SealedField>>;

    /// Subjects whose blind-index entry for `field` equals `digest`.
    async fn find_by_index(&self, field: &str, digest: &[u8]) -> StoreResult<Vec<SubjectId>>;

    /// Deletes one field of a subject and its index entry. Returns whether it existed.
    async fn delete_field(&self, subject: SubjectId, field: &str) -> StoreResult<bool> {
        Ok(self.delete_fields(subject, &[field]).await? > 0)
    }

    /// Deletes some fields of a subject and their index entries, in one transaction, leaving its
    /// other fields and its data key (IDV-4: another person's information, deleted at their
    /// objection, from a subject that lives on). Returns how many sealed fields were deleted.
    async fn delete_fields(&self, subject: SubjectId, fields: &[&str]) -> StoreResult<u64>;

    /// Deletes every sealed field and every blind-index entry of a subject (PRIV-16), atomically.
    async fn erase_subject(&self, subject: SubjectId) -> StoreResult<ErasedRows>;

    /// [`PiRepo::erase_subject`] for many subjects (at most 10,000 a call: each is a query
    /// parameter), in one transaction.
    async fn erase_subjects(&self, subjects: &[SubjectId]) -> StoreResult<ErasedRows>;
}

/// The vault's root record: the blind-index root key wrapped by the master key, and which master
/// key that is (by fingerprint, never the key itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRoot {
    /// Fingerprint of the master key that wraps everything in the key store.
    pub kek_fingerprint: String,
    /// The blind-index root key, wrapped by the master key.
    pub wrapped_index_key: Vec<u8>,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Unix seconds of the last master-key rotation, if any.
    pub rotated_at: Option<i64>,
}

/// A subject's data key, wrapped by the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    /// Fingerprint of the wrapping master key.
    pub kek_fingerprint: String,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
}

/// The state of a subject's data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectKeyState {
    /// No key yet: the subject has never had a field stored.
    Absent,
    /// The key exists.
    Active(WrappedKey),
    /// The key was destroyed at this Unix second (crypto-shredded, PRIV-16).
    Shredded {
        /// When.
        at: i64,
    },
}

/// The vault's key store.
#[async_trait]
pub trait KeyRepo: Send + Sync + std::fmt::Debug {
    /// The vault root, or `None` if the key store is new (or its tables do not exist yet — this
    /// is read before migrations so that a wrong master key is caught before anything is written).
    async fn vault_root(&self) -> StoreResult<Option<VaultRoot>>;

    /// Stores the root if none exists and returns the root that is stored (another node may have
    /// won the race).
    async fn create_vault_root(&self, root: &VaultRoot) -> StoreResult<VaultRoot>;

    /// The subject's key state.
    async fn subject_key(&self, subject: SubjectId) -> StoreResult<SubjectKeyState>;

    /// Stores the subject's key unless one exists or the subject was shredded; returns the state
    /// that is stored afterwards (the caller's key, a concurrent winner's, or `Shredded`).
    async fn create_subject_key(
        &self,
        subject: SubjectId,
        key: &WrappedKey,
        now: i64,
    ) -> StoreResult<SubjectKeyState>;

    /// Destroys the subject's key and records a tombstone (no key material) so that later writes
    /// for the subject are refused. Idempotent; returns whether a key was destroyed now.
    async fn shred_subject_key(&self, subject: SubjectId, now: i64) -> StoreResult<bool>;

    /// [`KeyRepo::shred_subject_key`] for many subjects (at most 10,000 a call: each is a query
    /// parameter), in one transaction; returns how many keys were destroyed now.
    async fn shred_subject_keys(&self, subjects: &[SubjectId], now: i64) -> StoreResult<u64>;

    /// Every wrapped subject key (for master-key rotation).
    async fn wrapped_keys(&self) -> StoreResult<Vec<(SubjectId, WrappedKey)>>;

    /// Master-key rotation, in one transaction: replaces the root and every listed subject key.
    /// Fails with [`StoreError::Conflict`] (and changes nothing) if the stored root is no longer
    /// wrapped by `old_fingerprint` or any key wrapped by it is left unlisted.
    async fn rewrap(
        &self,
        old_fingerprint: &str,
        root: &VaultRoot,
        keys: &[(SubjectId, WrappedKey)],
    ) -> StoreResult<()>;
}

/// Liveness of the storage.
#[async_trait]
pub trait HealthRepo: Send + Sync + std::fmt::Debug {
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> StoreResult<()>;
}
