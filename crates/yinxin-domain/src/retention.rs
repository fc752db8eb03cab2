//! Account cancellation, the retention engine and legal holds (issue 8 items 4–5; ACC-6, PRIV-9,
//! PRIV-14…PRIV-16, CERT-7; docs/RETENTION.md).
//!
//! - **Cancellation** makes the account unusable at once: its sessions, passkeys and password
//!   go, and its blind-index entries too, so nothing finds it by username, mobile, e-mail or
//!   document number; every staff view of it is refused but the privacy officer's, against a
//!   recorded legal demand.
//! - **Erasure**, `grace_days` after cancellation (6 months: 001 4.4) unless a legal hold
//!   stands: the fields the inventory keeps under a legal rule, and the certificate DERs, are
//!   re-sealed under the subject's *custody* key (storage only, PIPL art. 47) until their
//!   retention ends; then the subject's data key is destroyed (every copy of its data, backups
//!   included, becomes unreadable: PRIV-16), its records deleted with their evidence salts (the
//!   log's leaves then reveal nothing), and the account row is left anonymous.
//! - **Custody ends** when the last certificate record's `retain_until` passes: the custody key
//!   is destroyed in turn.

use async_trait::async_trait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::ids::{AccountId, SubjectId};
use crate::repo::StoreResult;

/// A legal hold: a court's or authority's order to keep a subject's data, recorded with its
/// document; while it stands, nothing of the account is erased (PRIV-9).
#[derive(Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LegalHold {
    /// Random id.
    pub id: String,
    /// The account held.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// Who ordered it (the authority's name as on its document).
    pub authority: String,
    /// The order's own number (文书编号).
    pub document_number: String,
    /// The document's media type.
    pub document_type: String,
    /// SHA-256 of the document, hex.
    pub document_sha256: String,
    /// The document, sealed under the service's key (never serialized).
    #[serde(skip)]
    pub document_sealed: Vec<u8>,
    /// The privacy officer who placed it.
    #[schema(value_type = String, format = Uuid)]
    pub placed_by: AccountId,
    /// Unix second.
    pub placed_at: i64,
    /// Who released it, if released.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub released_by: Option<AccountId>,
    /// Unix second of release.
    pub released_at: Option<i64>,
}

impl std::fmt::Debug for LegalHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegalHold")
            .field("id", &self.id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A cancelled account whose grace period is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DueErasure {
    /// The account.
    pub account: AccountId,
    /// Its vault subject.
    pub subject: SubjectId,
    /// Unix second of cancellation.
    pub cancelled_at: i64,
}

/// A certificate record of an account, as the erasure needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetainedCertificate {
    /// Serial, hex.
    pub serial: String,
    /// Unix second until which the record is kept (CERT-7).
    pub retain_until: i64,
    /// The DER, sealed under the holder's subject, or under its custody key once `custody`.
    pub sealed_der: Vec<u8>,
    /// Whether it is sealed under the custody key already.
    pub custody: bool,
}

/// A value in custody: sealed under the subject's custody key, kept for storage only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyValue {
    /// The inventory field.
    pub field: String,
    /// Sealed under the custody subject.
    pub sealed: Vec<u8>,
    /// Unix second its retention ends.
    pub retain_until: i64,
}

/// What one erasure writes, in the data-database transaction of its batch.
#[derive(Clone, Debug)]
pub struct ErasureWrite<'a> {
    /// Whose.
    pub account: AccountId,
    /// Its vault subject.
    pub subject: SubjectId,
    /// The values moved into custody.
    pub custody: &'a [CustodyValue],
    /// The certificate DERs re-sealed under the custody key: (serial, sealed).
    pub certificates: &'a [(String, Vec<u8>)],
    /// The erasure notices to the recipients of the subject's data (PRIV-15), stored in the
    /// same transaction that deletes the disclosure records they were built from.
    pub notices: &'a [crate::erasure::ErasureNotice],
}

/// How many rows erasures deleted, by table (for the report and the log; counts only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErasedRecords {
    /// Rows deleted, by table, in a fixed order.
    pub rows: Vec<(String, u64)>,
    /// Evidence salts deleted (their leaves now reveal nothing).
    pub salts: u64,
}

impl ErasedRecords {
    /// Adds `other`'s counts to these (a run's total over its batches).
    pub fn add(&mut self, other: &Self) {
        for (table, n) in &other.rows {
            match self.rows.iter_mut().find(|(t, _)| t == table) {
                Some((_, total)) => *total = total.saturating_add(*n),
                None => self.rows.push((table.clone(), *n)),
            }
        }
        self.salts = self.salts.saturating_add(other.salts);
    }
}

/// The state of an account as the retention engine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountLifecycle {
    /// Unix second of cancellation, if cancelled.
    pub cancelled_at: Option<i64>,
    /// Unix second of erasure, if erased.
    pub erased_at: Option<i64>,
}

/// Storage of the lifecycle.
#[async_trait]
pub trait RetentionRepo: Send + Sync + std::fmt::Debug {
    /// Cancels `account` at `at` in one transaction: `cancelled_at` set (once), its password
    /// hash, sessions, passkeys, pending WebAuthn challenges and blind-index entries deleted.
    /// Returns whether it was cancelled now (false: it was already).
    async fn cancel_account(
        &self,
        account: AccountId,
        subject: SubjectId,
        at: i64,
    ) -> StoreResult<bool>;

    /// The account's cancellation and erasure times.
    async fn lifecycle(&self, account: AccountId) -> StoreResult<AccountLifecycle>;

    /// Cancelled accounts not yet erased, cancelled at or before `cancelled_by`, without a
    /// standing legal hold, the earliest first, at most `limit`.
    async fn due_erasures(&self, cancelled_by: i64, limit: u32) -> StoreResult<Vec<DueErasure>>;

    /// How many cancelled accounts past `cancelled_by` a standing legal hold keeps.
    async fn held_erasures(&self, cancelled_by: i64) -> StoreResult<u64>;

    /// The account's certificate records.
    async fn retained_certificates(
        &self,
        holder: AccountId,
    ) -> StoreResult<Vec<RetainedCertificate>>;

    /// Those of `accounts` that hold a certificate record (whose erasure writes custody).
    async fn certificate_holders_among(
        &self,
        accounts: &[AccountId],
    ) -> StoreResult<Vec<AccountId>>;

    /// Those of `accounts` whose data was disclosed to a processor or a relying application
    /// (whose erasure owes notices, PRIV-15).
    async fn disclosed_among(&self, accounts: &[AccountId]) -> StoreResult<Vec<AccountId>>;

    /// In one transaction, for a batch of accounts (at most 10,000: each is a query parameter):
    /// stores the custody values (replacing any of the same field), re-seals the certificate
    /// DERs given (marking them custody), stores the erasure notices (as
    /// [`crate::erasure::ErasureRepo::insert_erasure_notices`]), deletes the accounts' records
    /// that hold nothing the law keeps — with the evidence salts of those that went to the log,
    /// one statement a table for the whole batch — and returns the counts. Idempotent. The
    /// vault's own rows and the data keys are the vault's.
    async fn erase_accounts_records(
        &self,
        writes: &[ErasureWrite<'_>],
    ) -> StoreResult<ErasedRecords>;

    /// Marks the accounts erased at `at` (after their subject keys are destroyed), in one
    /// statement (at most 10,000 a call).
    async fn mark_erased(&self, accounts: &[AccountId], at: i64) -> StoreResult<()>;

    /// The values in custody for `subject`.
    async fn custody_of(&self, subject: SubjectId) -> StoreResult<Vec<CustodyValue>>;

    /// Subjects with values in custody every one of whose `retain_until` is at or before `at`.
    async fn custody_expired(&self, at: i64, limit: u32) -> StoreResult<Vec<SubjectId>>;

    /// Deletes the subject's custody values (after its custody key is destroyed).
    async fn release_custody(&self, subject: SubjectId) -> StoreResult<u64>;

    /// Deletes login events older than `before` (network logs: kept six months, PRIV-9).
    async fn delete_login_events_before(&self, before: i64) -> StoreResult<u64>;

    /// How many login events are older than `before`.
    async fn count_login_events_before(&self, before: i64) -> StoreResult<u64>;

    /// Records a legal hold.
    async fn insert_legal_hold(&self, h: &LegalHold) -> StoreResult<()>;

    /// A hold by id.
    async fn legal_hold(&self, id: &str) -> StoreResult<Option<LegalHold>>;

    /// Holds, newest first (standing ones only when `standing_only`).
    async fn legal_holds(&self, standing_only: bool, limit: u32) -> StoreResult<Vec<LegalHold>>;

    /// Releases a standing hold; false if it was not standing.
    async fn release_legal_hold(&self, id: &str, by: AccountId, at: i64) -> StoreResult<bool>;

    /// Takes or renews the lease of `job` for `holder` until `until` when it is free, expired
    /// at `now`, or `holder`'s already; false when another holder's lease stands.
    async fn try_lease(&self, job: &str, holder: &str, until: i64, now: i64) -> StoreResult<bool>;

    /// Gives the lease up, if `holder` has it.
    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<()>;
}
