//! Real-name identity verification (IDV-1..IDV-6): methods, factors, outcomes, assurance levels,
//! the processor register and the disclosure log (IDV-3, PRIV-7).
//!
//! A verification record never holds a value that was checked: only which method ran, through
//! which provider, which factors matched, and when. A disclosure record says which *data items*
//! (inventory field names) went to which processor, for whom and why — never the values.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::repo::StoreResult;
use crate::{AccountId, CredentialId, DepositId, DisclosureId, VerificationId};

/// How an identity is verified (IDV-1, IDV-2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Carrier real-name check: name + resident ID number + mobile (IDV-1(a)).
    Carrier,
    /// Bank-card check: name + ID number + card number + bank-reserved mobile (IDV-1(b)).
    BankCard,
    /// Face comparison with the authoritative photo: name + ID number + document photo + face
    /// image (IDV-1(c)). The images are never stored.
    Face,
    /// ID-card capture: both faces of the card read by the provider (IDV-1, 000 §1.2(3)).
    IdCardCapture,
    /// Enterprise information check: name + USCC + legal representative's name and ID (IDV-2).
    Enterprise,
    /// Corporate bank account check by a small deposit the enterprise confirms (IDV-2).
    EnterpriseAccount,
}

impl Method {
    /// Every method.
    pub const ALL: [Self; 6] = [
        Self::Carrier,
        Self::BankCard,
        Self::Face,
        Self::IdCardCapture,
        Self::Enterprise,
        Self::EnterpriseAccount,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Carrier => "carrier",
            Self::BankCard => "bank_card",
            Self::Face => "face",
            Self::IdCardCapture => "id_card_capture",
            Self::Enterprise => "enterprise",
            Self::EnterpriseAccount => "enterprise_account",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the method verifies an enterprise (rather than a person).
    pub fn is_enterprise(self) -> bool {
        matches!(self, Self::Enterprise | Self::EnterpriseAccount)
    }

    /// The assurance a match by this method gives.
    ///
    /// Face comparison with the authoritative photo binds the person present to the identity:
    /// high. Carrier and bank-card checks prove knowledge and control of records tied to the
    /// identity: substantial. Reading an ID card proves possession of an image of it: low.
    /// The enterprise information check is substantial; the deposit to the corporate account,
    /// which proves control of it, raises the enterprise to high.
    pub fn assurance(self) -> AssuranceLevel {
        match self {
            Self::Face | Self::EnterpriseAccount => AssuranceLevel::High,
            Self::Carrier | Self::BankCard | Self::Enterprise => AssuranceLevel::Substantial,
            Self::IdCardCapture => AssuranceLevel::Low,
        }
    }

    /// The inventory fields this method sends to a provider (IDV-3: what the disclosure log
    /// records and what the method's separate consent covers).
    pub fn data_items(self) -> &'static [&'static str] {
        match self {
            Self::Carrier => &["person.name", "person.document_number", "person.mobile"],
            Self::BankCard => &[
                "person.name",
                "person.document_number",
                "bank.card_number",
                "bank.reserved_mobile",
            ],
            Self::Face => &[
                "person.name",
                "person.document_number",
                "idcard.image",
                "biometric.face",
            ],
            Self::IdCardCapture => &["idcard.image"],
            Self::Enterprise => &[
                "enterprise.name",
                "enterprise.credit_code",
                "enterprise.legal_rep_name",
                "enterprise.legal_rep_document_number",
            ],
            Self::EnterpriseAccount => &["enterprise.name", "enterprise.bank_account"],
        }
    }
}

/// Assurance levels, ordered (cf. eIDAS low / substantial / high, GB/T 31504 levels).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AssuranceLevel {
    /// Possession of a document image.
    Low,
    /// Checked against authoritative records.
    Substantial,
    /// The person present compared with the authoritative photo, or control of the account.
    High,
}

impl AssuranceLevel {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Substantial => "substantial",
            Self::High => "high",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Low, Self::Substantial, Self::High]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// One factor a provider compares.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// The person's name.
    Name,
    /// The identity document number.
    DocumentNumber,
    /// The carrier real-name mobile.
    Mobile,
    /// The bank card number.
    CardNumber,
    /// The bank-reserved mobile.
    ReservedMobile,
    /// The document photo.
    DocumentPhoto,
    /// The face image.
    Face,
    /// The enterprise name.
    EnterpriseName,
    /// The unified social credit code.
    CreditCode,
    /// The legal representative's name.
    LegalRepName,
    /// The legal representative's ID number.
    LegalRepDocumentNumber,
    /// The corporate bank account.
    BankAccount,
    /// The confirmed deposit amount.
    DepositAmount,
}

impl Factor {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::DocumentNumber => "document_number",
            Self::Mobile => "mobile",
            Self::CardNumber => "card_number",
            Self::ReservedMobile => "reserved_mobile",
            Self::DocumentPhoto => "document_photo",
            Self::Face => "face",
            Self::EnterpriseName => "enterprise_name",
            Self::CreditCode => "credit_code",
            Self::LegalRepName => "legal_rep_name",
            Self::LegalRepDocumentNumber => "legal_rep_document_number",
            Self::BankAccount => "bank_account",
            Self::DepositAmount => "deposit_amount",
        }
    }

    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Name,
            Self::DocumentNumber,
            Self::Mobile,
            Self::CardNumber,
            Self::ReservedMobile,
            Self::DocumentPhoto,
            Self::Face,
            Self::EnterpriseName,
            Self::CreditCode,
            Self::LegalRepName,
            Self::LegalRepDocumentNumber,
            Self::BankAccount,
            Self::DepositAmount,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// What a verification came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Every factor matched the authoritative source.
    Match,
    /// At least one factor did not match (the record lists which).
    Mismatch,
    /// No provider gave an answer (down, timed out, refused the call): never "verified".
    ProviderError,
    /// A deposit was sent; the enterprise has not yet confirmed the amount.
    Pending,
}

impl OutcomeKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Mismatch => "mismatch",
            Self::ProviderError => "provider_error",
            Self::Pending => "pending",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Match,
            Self::Mismatch,
            Self::ProviderError,
            Self::Pending,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One verification attempt as stored (IDV-1..IDV-5). Holds no value that was checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct VerificationRecord {
    /// The record.
    #[schema(value_type = String, format = Uuid)]
    pub id: VerificationId,
    /// Whose identity: a personal account, or an enterprise's account.
    #[schema(value_type = String, format = Uuid)]
    pub subject: AccountId,
    /// Who asked: the person themself, or the enterprise's agent.
    #[schema(value_type = String, format = Uuid)]
    pub requested_by: AccountId,
    /// The method.
    pub method: Method,
    /// The provider that answered (or was tried last, when none answered).
    pub provider: Option<String>,
    /// What it came to.
    pub outcome: OutcomeKind,
    /// The factors that did not match (empty unless `outcome` is `mismatch`).
    pub mismatched: Vec<Factor>,
    /// The assurance level reached (only when `outcome` is `match`).
    pub assurance: Option<AssuranceLevel>,
    /// For `provider_error`: which kind (`timeout`, `unavailable`, `refused`), never a value.
    pub error: Option<String>,
    /// Unix second.
    pub at: i64,
}

/// A registered processor: a provider that receives PI on the service's behalf (IDV-3, PRIV-7;
/// the columns of the table in seed 000 §4.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProcessorRecord {
    /// The configured provider name (the key the disclosure log uses).
    pub name: String,
    /// The processor's legal name (服务主体).
    pub legal_name: String,
    /// Contact for privacy matters (telephone or e-mail).
    pub contact: String,
    /// The inventory fields it receives (处理个人信息范围).
    pub data_items: Vec<String>,
    /// Why (处理个人信息目的).
    pub purpose: String,
    /// How (处理个人信息方式): e.g. "transmission and comparison; returns only a result; no retention".
    pub processing_method: String,
    /// Where it processes (PRIV-9: on the mainland unless a transfer is consented to).
    pub location: String,
    /// Whether it processes outside the mainland of the PRC (CERT-9, PRIV-2): then it receives a
    /// subject's data only with their separate consent to the transfer (`cross_border_transfer`)
    /// and a recorded security assessment.
    #[serde(default)]
    pub outside_prc: bool,
    /// The reference of the transfer's security assessment (PIPL art. 38, 40: the CAC's
    /// assessment, certification or standard contract on file), when one is recorded.
    #[serde(default)]
    pub security_assessment: Option<String>,
    /// The methods it serves.
    pub methods: Vec<Method>,
    /// Unix second it was first registered.
    pub registered_at: i64,
}

impl ProcessorRecord {
    /// Whether the processor may receive a subject's data (CERT-9, PRIV-2): always on the
    /// mainland; outside it, only with the subject's separate consent to the transfer and a
    /// recorded security assessment.
    pub fn may_receive(&self, transfer_consented: bool) -> bool {
        !self.outside_prc || (transfer_consented && self.security_assessment.is_some())
    }
}

/// One disclosure to a processor (IDV-3, PRIV-7): which data items, to whom, for whom, why,
/// when, and the result. Never the values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DisclosureRecord {
    /// The record.
    #[schema(value_type = String, format = Uuid)]
    pub id: DisclosureId,
    /// The processor (its register name).
    pub processor: String,
    /// The subject whose data went (pseudonymous account id).
    #[schema(value_type = String, format = Uuid)]
    pub subject: AccountId,
    /// The verification it served.
    #[schema(value_type = String, format = Uuid)]
    pub verification: VerificationId,
    /// The purpose (an inventory purpose: `real_name_verification`).
    pub purpose: String,
    /// Inventory field names sent.
    pub data_items: Vec<String>,
    /// `match`, `mismatch`, `read`, `deposit_sent`, `timeout`, `unavailable`, `refused`.
    pub result: String,
    /// Unix second.
    pub at: i64,
}

/// The state of a deposit challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepositState {
    /// Sent; waiting for the amount.
    Pending,
    /// The amount was confirmed.
    Confirmed,
    /// Too many wrong amounts.
    Failed,
}

impl DepositState {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Confirmed, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// A corporate-account deposit challenge (IDV-2). The amount only as a keyed hash; the account
/// number only as its last four digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositRecord {
    /// The challenge.
    pub id: DepositId,
    /// The enterprise's account.
    pub enterprise: AccountId,
    /// The agent who started it.
    pub requested_by: AccountId,
    /// The verification record (outcome `pending` until confirmed or failed).
    pub verification: VerificationId,
    /// Keyed hash of the amount in fen.
    pub amount_hash: Vec<u8>,
    /// Last four digits of the account number (to tell the user where to look).
    pub account_hint: String,
    /// The provider that sent it.
    pub provider: String,
    /// Unix second.
    pub created_at: i64,
    /// Unix second after which it is refused.
    pub expires_at: i64,
    /// Wrong amounts so far.
    pub attempts: u32,
    /// State.
    pub state: DepositState,
}

/// A personal identity credential as stored (IDV-5, IDV-6). The token itself is not stored (it
/// carries the name): it is signed again from these facts and the vault when asked for, and
/// Ed25519 being deterministic, it is the same token each time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CredentialRecord {
    /// The credential (`jti`).
    #[schema(value_type = String, format = Uuid)]
    pub id: CredentialId,
    /// The holder.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// The verification it states.
    #[schema(value_type = String, format = Uuid)]
    pub verification: VerificationId,
    /// Method of that verification.
    pub method: Method,
    /// Level reached.
    pub assurance: AssuranceLevel,
    /// Unix second issued.
    pub issued_at: i64,
    /// Unix second it stops being valid.
    pub expires_at: i64,
    /// Unix second a newer credential replaced it.
    pub superseded_at: Option<i64>,
}

/// Storage of verifications, processors, disclosures, deposits and credentials.
#[async_trait]
pub trait VerificationRepo: Send + Sync + std::fmt::Debug {
    /// Registers a processor, or updates its entry (the first registration time is kept).
    async fn upsert_processor(&self, p: &ProcessorRecord) -> StoreResult<()>;
    /// The register, by name.
    async fn processors(&self) -> StoreResult<Vec<ProcessorRecord>>;
    /// Stores a verification record with its disclosures, in one transaction, with the
    /// disclosures' evidence entries queued in it (issue 7 item 2).
    async fn insert_verification(
        &self,
        v: &VerificationRecord,
        disclosures: &[DisclosureRecord],
        evidence: &[crate::ledger::EvidenceEntry],
    ) -> StoreResult<()>;
    /// Updates a pending record's outcome (a deposit confirmed or failed).
    async fn settle_verification(
        &self,
        id: VerificationId,
        outcome: OutcomeKind,
        mismatched: &[Factor],
        assurance: Option<AssuranceLevel>,
    ) -> StoreResult<()>;
    /// A subject's verification records, newest first.
    async fn verifications_of(&self, subject: AccountId) -> StoreResult<Vec<VerificationRecord>>;
    /// A subject's disclosures, newest first.
    async fn disclosures_of(&self, subject: AccountId) -> StoreResult<Vec<DisclosureRecord>>;
    /// Stores a deposit challenge.
    async fn insert_deposit(&self, d: &DepositRecord) -> StoreResult<()>;
    /// The enterprise's newest deposit challenge.
    async fn latest_deposit(&self, enterprise: AccountId) -> StoreResult<Option<DepositRecord>>;
    /// Counts a wrong amount; `fail` also moves it to `failed`. Returns false if it was no
    /// longer pending (a concurrent answer won).
    async fn deposit_attempt(&self, id: DepositId, fail: bool) -> StoreResult<bool>;
    /// Marks a pending challenge confirmed. Returns false if it was no longer pending.
    async fn confirm_deposit(&self, id: DepositId) -> StoreResult<bool>;
    /// Stores a new credential and supersedes the holder's earlier ones, in one transaction.
    async fn insert_credential(&self, c: &CredentialRecord) -> StoreResult<()>;
    /// The holder's credentials, newest first.
    async fn credentials_of(&self, account: AccountId) -> StoreResult<Vec<CredentialRecord>>;
    /// Publishes a credential-verification public key (once; a published key stays).
    async fn publish_credential_key(
        &self,
        kid: &str,
        public_key: &[u8],
        at: i64,
    ) -> StoreResult<()>;
    /// Every credential key ever published, newest first.
    async fn credential_keys(&self) -> StoreResult<Vec<Vec<u8>>>;
}
