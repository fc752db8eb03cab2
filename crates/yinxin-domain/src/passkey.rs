//! Passkeys and their one-time challenges, as stored (ACC-3).
//!
//! A passkey row holds no personal information in clear: it is found by a keyed pseudonym of
//! the credential id, and its credential (id, public key, model, flags) is sealed in the vault
//! under the account's subject (inventory field `account.passkey`). The signature counter is in
//! clear because it must be compared and advanced atomically.

use async_trait::async_trait;

use crate::ids::AccountId;
use crate::repo::StoreResult;

/// A registered passkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// Keyed pseudonym of the credential id (the lookup key).
    pub credential_key: Vec<u8>,
    /// Whose.
    pub account: AccountId,
    /// The credential, sealed with the subject's key (record id: `credential_key`).
    pub sealed: Vec<u8>,
    /// The authenticator's signature counter after the last accepted use.
    pub sign_count: u32,
    /// Unix second of registration.
    pub created_at: i64,
    /// Unix second of the last login with it.
    pub last_used_at: Option<i64>,
}

/// A WebAuthn challenge: random, single use, short lived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Random id the client sends back.
    pub id: String,
    /// `register` or `login`.
    pub purpose: String,
    /// For a registration, the account registering.
    pub account: Option<AccountId>,
    /// The challenge bytes.
    pub challenge: Vec<u8>,
    /// Unix second of creation.
    pub created_at: i64,
    /// Unix second after which it is refused.
    pub expires_at: i64,
}

/// Passkeys and challenges.
#[async_trait]
pub trait PasskeyRepo: Send + Sync + std::fmt::Debug {
    /// Stores a challenge (and purges long-expired ones).
    async fn insert_challenge(&self, c: &ChallengeRecord) -> StoreResult<()>;

    /// Uses a challenge, atomically: returns it for exactly one caller, and only while it is
    /// unused, unexpired and of `purpose`.
    async fn take_challenge(
        &self,
        id: &str,
        purpose: &str,
        now: i64,
    ) -> StoreResult<Option<ChallengeRecord>>;

    /// Stores a passkey; `Conflict` if its credential is already registered.
    async fn insert_passkey(&self, p: &PasskeyRecord) -> StoreResult<()>;

    /// The passkey with this credential key.
    async fn passkey(&self, credential_key: &[u8]) -> StoreResult<Option<PasskeyRecord>>;

    /// An account's passkeys, oldest first.
    async fn passkeys_of(&self, account: AccountId) -> StoreResult<Vec<PasskeyRecord>>;

    /// Advances the counter from `old` to `new` and records the use, atomically: false if the
    /// counter moved meanwhile (a concurrent use of a cloned authenticator).
    async fn advance_passkey(
        &self,
        credential_key: &[u8],
        old: u32,
        new: u32,
        at: i64,
    ) -> StoreResult<bool>;

    /// Deletes one of the account's passkeys; false if it has no such passkey.
    async fn delete_passkey(&self, account: AccountId, credential_key: &[u8]) -> StoreResult<bool>;
}
