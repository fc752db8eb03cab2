//! Accounts, sessions, privacy policies and consents (ACC-1..ACC-3, PRIV-1, PRIV-2, PRIV-17).
//!
//! An account row holds no personal information: its PI (name, document, mobile, e-mail, username)
//! lives in the vault under the account's [`SubjectId`]. What is here is an opaque id, a password
//! hash, counters and times.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{AccountId, ConsentId, SubjectId};
use crate::repo::StoreResult;

/// Personal or enterprise (ACC-1, ACC-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A natural person.
    Personal,
    /// An enterprise, acting through authorized agents.
    Enterprise,
}

impl AccountKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Enterprise => "enterprise",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "personal" => Some(Self::Personal),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }
}

/// An account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    /// The account.
    pub id: AccountId,
    /// Personal or enterprise.
    pub kind: AccountKind,
    /// Where its personal information is in the vault.
    pub subject: SubjectId,
    /// The argon2id hash in PHC string form, if the account has a password.
    pub password_hash: Option<String>,
    /// Consecutive failed password attempts since the last success (ACC-3 lockout).
    pub failed_logins: u32,
    /// Unix second until which password login is locked, if locked.
    pub locked_until: Option<i64>,
    /// Unix second of registration.
    pub created_at: i64,
    /// The privacy-policy version the account last accepted; `None` once withdrawn (PRIV-4).
    pub accepted_policy: Option<String>,
}

/// A login session (PRIV-17: the client holds only an opaque random token; the store holds its
/// SHA-256, so a copy of the database does not give working sessions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Whose.
    pub account: AccountId,
    /// How the user logged in (`password`, `sms`, `passkey`).
    pub method: String,
    /// Unix second of creation.
    pub created_at: i64,
    /// Unix second after which the session is refused.
    pub expires_at: i64,
}

/// A version of the privacy policy (PRIV-1, PRIV-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PolicyVersion {
    /// The version, e.g. `2026-11-23`.
    pub version: String,
    /// When this version was published (ISO 8601 date).
    pub updated_on: String,
    /// When it takes effect (ISO 8601 date).
    pub effective_on: String,
    /// Whether the change from the previous version is material: accounts must consent again.
    pub material: bool,
    /// SHA-256 (hex) of the text shown, so a consent can be tied to exactly what the user read.
    pub text_sha256: String,
}

/// What a consent is for (PRIV-1, PRIV-2: separate consents are their own records).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentScope {
    /// The privacy policy as a whole (PRIV-1).
    PrivacyPolicy,
    /// Processing of sensitive personal information (PIPL art. 29; PRIV-2).
    SensitivePersonalInformation,
    /// Provision to a third party (PIPL art. 23; PRIV-2).
    ThirdPartyProvision,
    /// Transfer out of the mainland (PIPL art. 39; PRIV-2).
    CrossBorderTransfer,
    /// Separate consent to the carrier check: name, ID number and mobile to a provider (IDV-1(a)).
    IdvCarrier,
    /// Separate consent to the bank-card check (IDV-1(b)).
    IdvBankCard,
    /// Separate consent to face comparison: biometric data, used once, not retained (IDV-1(c)).
    IdvFace,
    /// Separate consent to ID-card capture by a provider (IDV-1).
    IdvIdCardCapture,
    /// Separate consent, given by the enterprise's agent, to the enterprise checks (IDV-2).
    IdvEnterprise,
}

impl ConsentScope {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrivacyPolicy => "privacy_policy",
            Self::SensitivePersonalInformation => "sensitive_personal_information",
            Self::ThirdPartyProvision => "third_party_provision",
            Self::CrossBorderTransfer => "cross_border_transfer",
            Self::IdvCarrier => "idv_carrier",
            Self::IdvBankCard => "idv_bank_card",
            Self::IdvFace => "idv_face",
            Self::IdvIdCardCapture => "idv_id_card_capture",
            Self::IdvEnterprise => "idv_enterprise",
        }
    }

    /// The separate consent a verification method needs before it runs (IDV-1, PRIV-2).
    pub fn for_method(m: crate::verification::Method) -> Self {
        use crate::verification::Method as M;
        match m {
            M::Carrier => Self::IdvCarrier,
            M::BankCard => Self::IdvBankCard,
            M::Face => Self::IdvFace,
            M::IdCardCapture => Self::IdvIdCardCapture,
            M::Enterprise | M::EnterpriseAccount => Self::IdvEnterprise,
        }
    }

    /// The verification methods this consent covers (empty for the other scopes).
    pub fn methods(self) -> &'static [crate::verification::Method] {
        use crate::verification::Method as M;
        match self {
            Self::IdvCarrier => &[M::Carrier],
            Self::IdvBankCard => &[M::BankCard],
            Self::IdvFace => &[M::Face],
            Self::IdvIdCardCapture => &[M::IdCardCapture],
            Self::IdvEnterprise => &[M::Enterprise, M::EnterpriseAccount],
            _ => &[],
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::PrivacyPolicy,
            Self::SensitivePersonalInformation,
            Self::ThirdPartyProvision,
            Self::CrossBorderTransfer,
            Self::IdvCarrier,
            Self::IdvBankCard,
            Self::IdvFace,
            Self::IdvIdCardCapture,
            Self::IdvEnterprise,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Given or withdrawn. Withdrawal is a new record; history is never deleted (PRIV-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    /// Consent given.
    Given,
    /// Consent withdrawn.
    Withdrawn,
}

impl ConsentAction {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "given" => Some(Self::Given),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

/// One append-only consent record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsentRecord {
    /// The receipt id.
    #[schema(value_type = String, format = Uuid)]
    pub id: ConsentId,
    /// Whose consent.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// The policy version the user was shown.
    pub policy_version: String,
    /// What the consent covers.
    pub scope: ConsentScope,
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// Where it was given: `api`, `web`, `app`.
    pub channel: String,
    /// SHA-256 (hex) of the text shown.
    pub text_sha256: String,
    /// Unix second.
    pub at: i64,
}

/// A one-time SMS code as stored: the number only as a keyed pseudonym, the code only as a keyed
/// hash (ACC-3: single use, short lived, limited attempts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsCodeRecord {
    /// Random id.
    pub id: String,
    /// Keyed pseudonym of the mobile number.
    pub mobile_key: Vec<u8>,
    /// What the code is for (`login`).
    pub purpose: String,
    /// Keyed hash of the code.
    pub code_hash: Vec<u8>,
    /// Unix second of creation.
    pub created_at: i64,
    /// Unix second after which it is refused.
    pub expires_at: i64,
    /// Wrong guesses so far.
    pub attempts: u32,
}

/// A device permission the app may ask for (PRIV-3). Turning one off stops the collection it
/// covers; what was collected while it was on stays valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Location, for the signing location (SIGN-4).
    Location,
    /// Camera, for face verification and document capture (IDV-1).
    Camera,
    /// Photo album, for uploading document images.
    PhotoAlbum,
    /// Push notifications.
    Push,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 4] = [Self::Location, Self::Camera, Self::PhotoAlbum, Self::Push];

    /// The stored (and URL) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::Camera => "camera",
            Self::PhotoAlbum => "photo_album",
            Self::Push => "push",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One change of a permission, append-only (PRIV-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PermissionRecord {
    /// Which.
    pub permission: Permission,
    /// On or off after this change.
    pub granted: bool,
    /// Unix second.
    pub at: i64,
}

/// Whether `permission` is on after `history` (oldest first): off unless its latest change is on.
pub fn permission_granted(history: &[PermissionRecord], permission: Permission) -> bool {
    history
        .iter()
        .rev()
        .find(|r| r.permission == permission)
        .is_some_and(|r| r.granted)
}

/// A guardian's consent to a minor's registration (PRIV-13; PIPL art. 31: under 14, a parent's or
/// guardian's consent). Single use: a registration takes it. The child is named only by a keyed
/// pseudonym of their resident ID number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct GuardianConsentRecord {
    /// The consent; the child's registration names it.
    #[schema(value_type = String, format = Uuid)]
    pub id: crate::ids::GuardianConsentId,
    /// The guardian's account.
    #[schema(value_type = String, format = Uuid)]
    pub guardian: AccountId,
    /// `parent` or `guardian`.
    pub relationship: String,
    /// The policy version the guardian accepted for the child.
    pub policy_version: String,
    /// Keyed pseudonym of the child's resident ID number (never the number).
    #[serde(skip)]
    pub ward_key: Vec<u8>,
    /// Unix second given.
    pub created_at: i64,
    /// Unix second after which it can no longer be used.
    pub expires_at: i64,
    /// The child's account, once registered.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub used_by: Option<AccountId>,
}

/// Accounts, sessions, policies and consents.
#[async_trait]
pub trait AccountRepo:
    crate::passkey::PasskeyRepo
    + crate::enterprise::EnterpriseRepo
    + crate::support::SupportRepo
    + crate::risk::LoginEventRepo
    + crate::verification::VerificationRepo
    + crate::third_party::WarrantyRepo
    + crate::relying::RelyingAppRepo
    + crate::seal::SealRepo
    + crate::signing::IntentRepo
    + crate::envelope::EnvelopeRepo
    + crate::staff::StaffRepo
    + crate::legal::LegalDemandRepo
    + crate::requests::RequestRepo
    + crate::retention::RetentionRepo
    + crate::erasure::ErasureRepo
    + crate::processing::ProcessingRecordRepo
    + crate::incident::IncidentRepo
    + crate::termination::TerminationRepo
    + Send
    + Sync
    + std::fmt::Debug
{
    /// Stores a new account and its registration consents in one transaction, with the
    /// consents' evidence entries queued in it (issue 7 item 2).
    async fn insert_account(
        &self,
        account: &AccountRecord,
        consents: &[ConsentRecord],
        evidence: &[crate::ledger::EvidenceEntry],
    ) -> StoreResult<()>;

    /// The account, if it exists.
    async fn account(&self, id: AccountId) -> StoreResult<Option<AccountRecord>>;

    /// The account whose vault subject is `subject`.
    async fn account_by_subject(&self, subject: SubjectId) -> StoreResult<Option<AccountRecord>>;

    /// Counts a failed password attempt, atomically; once the count reaches `max_failures`, locks
    /// password login until `lock_until`. Returns the account as updated.
    async fn record_login_failure(
        &self,
        id: AccountId,
        max_failures: u32,
        lock_until: i64,
    ) -> StoreResult<Option<AccountRecord>>;

    /// Clears the failure count and any lock after a successful login.
    async fn clear_login_failures(&self, id: AccountId) -> StoreResult<()>;

    /// Stores a session.
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;

    /// The session with this token hash, if it exists and has not expired at `now`, with its
    /// account (one read: every authenticated request makes it).
    async fn session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<(SessionRecord, AccountRecord)>>;

    /// Deletes a session (logout). Returns whether it existed.
    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<bool>;

    /// Stores a policy version and its text unless that version exists; a stored version is never
    /// changed. Returns the version as stored (the earlier one, if it existed).
    async fn publish_policy(
        &self,
        policy: &PolicyVersion,
        text: &str,
    ) -> StoreResult<PolicyVersion>;

    /// Every published version, oldest effective date first.
    async fn policies(&self) -> StoreResult<Vec<PolicyVersion>>;

    /// The text a version was published with.
    async fn policy_text(&self, version: &str) -> StoreResult<Option<String>>;

    /// Appends a consent record. A `privacy_policy` record also sets the account's
    /// `accepted_policy` (to its version if given, to none if withdrawn), in the same transaction.
    /// Its evidence entry is queued in the same transaction (issue 7 item 2).
    async fn insert_consent(
        &self,
        consent: &ConsentRecord,
        evidence: &crate::ledger::EvidenceEntry,
    ) -> StoreResult<()>;

    /// Stores a guardian's consent.
    async fn insert_guardian_consent(&self, c: &GuardianConsentRecord) -> StoreResult<()>;

    /// Takes a guardian's consent for `account`, atomically: returns it for exactly one caller,
    /// and only while unused, unexpired and given for the child `ward_key`.
    async fn take_guardian_consent(
        &self,
        id: crate::ids::GuardianConsentId,
        ward_key: &[u8],
        account: AccountId,
        now: i64,
    ) -> StoreResult<Option<GuardianConsentRecord>>;

    /// Gives back a taken consent whose registration then failed.
    async fn release_guardian_consent(&self, id: crate::ids::GuardianConsentId) -> StoreResult<()>;

    /// The consents a guardian gave, oldest first.
    async fn guardian_consents_of(
        &self,
        guardian: AccountId,
    ) -> StoreResult<Vec<GuardianConsentRecord>>;

    /// Publishes a consent-receipt verification key unless its `kid` is published.
    async fn publish_receipt_key(&self, kid: &str, public_key: &[u8], at: i64) -> StoreResult<()>;

    /// Every published receipt key (raw public key), newest first.
    async fn receipt_keys(&self) -> StoreResult<Vec<Vec<u8>>>;

    /// Every consent record of an account, oldest first.
    async fn consents_of(&self, account: AccountId) -> StoreResult<Vec<ConsentRecord>>;

    /// Appends a permission change.
    async fn insert_permission(
        &self,
        account: AccountId,
        change: &PermissionRecord,
    ) -> StoreResult<()>;

    /// Every permission change of an account, oldest first.
    async fn permissions_of(&self, account: AccountId) -> StoreResult<Vec<PermissionRecord>>;

    /// Stores a new SMS code; earlier live codes for the same number and purpose stop working.
    async fn insert_sms_code(&self, code: &SmsCodeRecord) -> StoreResult<()>;

    /// The newest unused, unexpired code for this number and purpose.
    async fn live_sms_code(
        &self,
        mobile_key: &[u8],
        purpose: &str,
        now: i64,
    ) -> StoreResult<Option<SmsCodeRecord>>;

    /// Counts a wrong guess on a code; returns the attempts after counting.
    async fn sms_code_failed(&self, id: &str) -> StoreResult<u32>;

    /// Marks a code used, atomically: true for exactly one caller.
    async fn consume_sms_code(&self, id: &str, now: i64) -> StoreResult<bool>;

    /// Counts one hit on a rate-limit bucket (a keyed pseudonym, never a raw address or number)
    /// for the window starting at `window_start`, atomically across nodes; returns the hits in
    /// that window including this one. The bucket lives until `expires_at` (the end of its own
    /// window); buckets whose windows ended before `now` are purged — never another limit's
    /// current window, whatever its length.
    async fn hit_rate_bucket(
        &self,
        bucket: &[u8],
        window_start: i64,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<u64>;
}
