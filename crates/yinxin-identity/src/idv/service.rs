//! The verification service (IDV-1..IDV-6): validates a request, asks for the method's separate
//! consent, checks the factors against the account's registered identity, routes the check to
//! the providers, and records the outcome with its disclosures in one transaction.
//!
//! Order matters, and is the promise the tests hold it to: every refusal (bad input, missing
//! consent, factors that are not the account's, too many attempts) happens **before** anything
//! is sent to a provider, and nothing is written for it. A provider that gives no answer never
//! yields "verified": the attempt is recorded as `provider_error` and the caller gets
//! `PROVIDER_UNAVAILABLE`; the subject's status is unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord, ConsentScope};
use yinxin_domain::enterprise::AgentScope;
use yinxin_domain::image::{self, ImageLimits};
use yinxin_domain::inventory::{
    ENTERPRISE_CREDIT_CODE, ENTERPRISE_NAME, LEGAL_REP_DOCUMENT_NUMBER, LEGAL_REP_NAME,
    PERSON_DOCUMENT_NUMBER, PERSON_DOCUMENT_TYPE, PERSON_NAME,
};
use yinxin_domain::pi::Purpose;
use yinxin_domain::validate;
use yinxin_domain::verification::{
    AssuranceLevel, CredentialRecord, DepositRecord, DepositState, DisclosureRecord, Factor,
    Method, OutcomeKind, ProcessorRecord, VerificationRecord,
};
use yinxin_domain::{
    AccountId, CredentialId, DepositId, DisclosureId, DomainError, ErrorCode, VerificationId,
};
use zeroize::Zeroizing;

use super::credential::IssuedCredential;
use super::provider::{Answer, Check, IdCardFields, ImageBytes, ProviderError, Secret};
use super::router::{Attempt, BreakerConfig, ProviderRouter, TransferBlocked};
use crate::service::{Accounts, ServiceResult, check_name, invalid, mask, now, today_in_china};

/// Settings of identity verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdvConfig {
    /// The providers of each method, in the order they are tried.
    pub routes: BTreeMap<Method, Vec<String>>,
    /// The circuit breaker of every provider.
    pub breaker: BreakerConfig,
    /// How long a deposit may be confirmed (default 48 hours).
    pub deposit_ttl_secs: i64,
    /// Wrong amounts allowed before the deposit fails (default 3).
    pub deposit_attempts: u32,
    /// Validity of an identity credential (default 365 days).
    pub credential_validity_days: i64,
    /// Verification attempts an account may make per day (default 20): each one costs a
    /// provider call and could otherwise probe whose mobile or card is whose.
    pub attempts_per_day: u32,
    /// Image limits.
    pub image_limits: ImageLimits,
}

impl Default for IdvConfig {
    fn default() -> Self {
        Self {
            routes: BTreeMap::new(),
            breaker: BreakerConfig::default(),
            deposit_ttl_secs: 48 * 3600,
            deposit_attempts: 3,
            credential_validity_days: 365,
            attempts_per_day: 20,
            image_limits: ImageLimits::default(),
        }
    }
}

/// A verification request: the method and its factors (`POST /api/v1/verifications`). Values
/// are wiped when dropped and never printed.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum VerificationRequest {
    /// Carrier 3-factor (IDV-1(a)).
    Carrier {
        /// Name, as registered.
        #[schema(value_type = String)]
        name: Zeroizing<String>,
        /// Resident ID number, as registered.
        #[schema(value_type = String)]
        document_number: Zeroizing<String>,
        /// The mobile to check (a carrier real-name mobile).
        #[schema(value_type = String)]
        mobile: Zeroizing<String>,
    },
    /// Bank-card 4-factor (IDV-1(b)).
    BankCard {
        /// Name, as registered.
        #[schema(value_type = String)]
        name: Zeroizing<String>,
        /// Resident ID number, as registered.
        #[schema(value_type = String)]
        document_number: Zeroizing<String>,
        /// Bank card number (Luhn-checked).
        #[schema(value_type = String)]
        card_number: Zeroizing<String>,
        /// The mobile the bank holds for the card.
        #[schema(value_type = String)]
        mobile: Zeroizing<String>,
    },
    /// Face comparison (IDV-1(c)): images base64, PNG or JPEG; used once, never stored.
    Face {
        /// Name, as registered.
        #[schema(value_type = String)]
        name: Zeroizing<String>,
        /// Resident ID number, as registered.
        #[schema(value_type = String)]
        document_number: Zeroizing<String>,
        /// The ID card's photo, base64.
        #[schema(value_type = String)]
        document_photo: Zeroizing<String>,
        /// The live face image, base64.
        #[schema(value_type = String)]
        face_image: Zeroizing<String>,
    },
    /// ID-card capture: both faces of the card, base64; read by the provider.
    IdCardCapture {
        /// The portrait face.
        #[schema(value_type = String)]
        front_image: Zeroizing<String>,
        /// The national-emblem face.
        #[schema(value_type = String)]
        back_image: Zeroizing<String>,
    },
    /// Enterprise information check (IDV-2) of a registered enterprise, by its administrator:
    /// the name, credit code and legal representative on record are checked.
    Enterprise {
        /// The enterprise's account id.
        #[schema(value_type = String, format = Uuid)]
        enterprise_id: AccountId,
    },
}

impl std::fmt::Debug for VerificationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerificationRequest({})", self.method().as_str())
    }
}

impl VerificationRequest {
    /// The method asked for.
    pub fn method(&self) -> Method {
        match self {
            Self::Carrier { .. } => Method::Carrier,
            Self::BankCard { .. } => Method::BankCard,
            Self::Face { .. } => Method::Face,
            Self::IdCardCapture { .. } => Method::IdCardCapture,
            Self::Enterprise { .. } => Method::Enterprise,
        }
    }
}

/// The fields an ID-card capture read, shown to the user once; not stored.
#[derive(Clone, Serialize, ToSchema)]
pub struct IdCardRead {
    /// 姓名.
    pub name: String,
    /// 性别.
    pub sex: String,
    /// 民族.
    pub ethnicity: String,
    /// 出生.
    pub birth: String,
    /// 住址.
    pub address: String,
    /// 公民身份号码.
    pub id_number: String,
    /// 签发机关.
    pub issuing_authority: String,
    /// 有效期限.
    pub validity_period: String,
}

impl std::fmt::Debug for IdCardRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdCardRead(..)")
    }
}

/// What `POST /api/v1/verifications` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationResult {
    /// The record made.
    pub record: VerificationRecord,
    /// The subject's status after it.
    pub status: VerificationStatus,
    /// The identity credential issued, when a person's identity was verified (IDV-6).
    pub credential: Option<IssuedCredential>,
    /// ID-card capture: what was read.
    pub id_card: Option<IdCardRead>,
}

/// A subject's verification status, derived from its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct VerificationStatus {
    /// Whether the identity is verified.
    pub verified: bool,
    /// The highest assurance reached.
    pub assurance: Option<AssuranceLevel>,
    /// The method of the newest match.
    pub method: Option<Method>,
    /// Unix second of the newest match.
    pub verified_at: Option<i64>,
}

/// A subject's records and status (`GET /api/v1/me/verifications`).
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationHistory {
    /// Status.
    pub status: VerificationStatus,
    /// Every attempt, newest first.
    pub records: Vec<VerificationRecord>,
    /// Every credential, newest first (superseded ones say when).
    pub credentials: Vec<CredentialRecord>,
}

/// A deposit sent (`POST /api/v1/enterprises/{id}/deposit`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DepositSent {
    /// The challenge.
    #[schema(value_type = String, format = Uuid)]
    pub deposit_id: DepositId,
    /// The account it went to, masked.
    pub account_hint: String,
    /// Unix second after which it cannot be confirmed.
    pub expires_at: i64,
    /// Wrong amounts allowed.
    pub attempts_allowed: u32,
}

/// Derives a status from records (newest first). A person is verified by any match; an
/// enterprise by an `enterprise` match, raised to high by a confirmed deposit.
pub fn status_of(records: &[VerificationRecord]) -> VerificationStatus {
    let matches: Vec<&VerificationRecord> = records
        .iter()
        .filter(|r| r.outcome == OutcomeKind::Match)
        .collect();
    let enterprise = records.iter().any(|r| r.method.is_enterprise());
    let verified = if enterprise {
        matches.iter().any(|r| r.method == Method::Enterprise)
    } else {
        !matches.is_empty()
    };
    if !verified {
        return VerificationStatus {
            verified: false,
            assurance: None,
            method: None,
            verified_at: None,
        };
    }
    let newest = matches.first();
    VerificationStatus {
        verified,
        assurance: matches.iter().filter_map(|r| r.assurance).max(),
        method: newest.map(|r| r.method),
        verified_at: newest.map(|r| r.at),
    }
}

/// The register entry of a provider serving `methods` (IDV-3; the columns of seed 000 §4.4):
/// the data items are those the methods send, the purpose real-name verification, the
/// processing a comparison that returns only a result.
pub fn processor_entry(
    name: &str,
    legal_name: &str,
    contact: &str,
    location: &str,
    methods: &[Method],
) -> ProcessorRecord {
    let mut items: Vec<String> = vec![];
    for m in methods {
        for i in m.data_items() {
            if !items.iter().any(|x| x == i) {
                items.push((*i).to_owned());
            }
        }
    }
    ProcessorRecord {
        name: name.to_owned(),
        legal_name: legal_name.to_owned(),
        contact: contact.to_owned(),
        data_items: items,
        purpose: "real-name identity verification (实名认证)".into(),
        processing_method: "transmission over TLS and comparison with authoritative sources; \
                            returns only a comparison result; images are not retained"
            .into(),
        location: location.to_owned(),
        outside_prc: false,
        security_assessment: None,
        methods: methods.to_vec(),
        registered_at: 0,
    }
}

/// The verification service.
#[derive(Clone, Debug)]
pub struct Verifications {
    pub(crate) accounts: Accounts,
    router: Arc<ProviderRouter>,
    pub(crate) config: Arc<IdvConfig>,
}

fn decode_image(field: &str, b64: &str, limits: &ImageLimits) -> Result<ImageBytes, DomainError> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(b64.trim().as_bytes())
            .map_err(|_| DomainError::invalid(field, "must be base64 (RFC 4648, with padding)"))?,
    );
    image::inspect(&bytes, limits).map_err(|e| invalid(field, e))?;
    Ok(ImageBytes(bytes))
}

fn secret(s: impl Into<String>) -> Secret {
    Secret::new(s)
}

/// The disclosure result word of one attempt.
fn result_word(r: &Result<Answer, ProviderError>) -> &'static str {
    match r {
        Ok(Answer::Match) => "match",
        Ok(Answer::Mismatch(_)) => "mismatch",
        Ok(Answer::Read(_)) => "read",
        Ok(Answer::DepositSent { .. }) => "deposit_sent",
        Err(ProviderError::Timeout(_)) => "timeout",
        Err(ProviderError::Unavailable(_)) => "unavailable",
        Err(ProviderError::Refused { .. }) => "refused",
        Err(ProviderError::Unsupported(_)) => "unsupported",
    }
}

/// On what a verification runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Basis {
    /// The account's own, under its separate consent to the method.
    Account,
    /// A data-subject request through the public form (PRIV-14): the requester consents in the
    /// form; the outcome moves the request, and no credential is issued.
    PublicRequest,
}

fn unavailable() -> DomainError {
    DomainError::new(
        ErrorCode::ProviderUnavailable,
        "no identity-verification provider answered; nothing changed, try again later",
    )
}

impl Verifications {
    /// The service: registers every provider as a processor (IDV-3) and publishes the
    /// credential key (IDV-6).
    pub async fn open(
        accounts: Accounts,
        router: ProviderRouter,
        config: IdvConfig,
    ) -> ServiceResult<Self> {
        let at = now();
        for p in router.processors() {
            accounts
                .repo
                .upsert_processor(&ProcessorRecord {
                    registered_at: at,
                    ..p.clone()
                })
                .await?;
        }
        let v = Self {
            accounts,
            router: Arc::new(router),
            config: Arc::new(config),
        };
        v.publish_credential_key().await?;
        Ok(v)
    }

    /// The processor register (IDV-3, PRIV-7).
    pub async fn processors(&self) -> ServiceResult<Vec<ProcessorRecord>> {
        Ok(self.accounts.repo.processors().await?)
    }

    /// The disclosures of the caller's data (PRIV-7): items, processor, time, result.
    pub async fn disclosures(&self, account: AccountId) -> ServiceResult<Vec<DisclosureRecord>> {
        Ok(self.accounts.repo.disclosures_of(account).await?)
    }

    /// A subject's records, status and credentials.
    pub async fn history(&self, subject: AccountId) -> ServiceResult<VerificationHistory> {
        let records = self.accounts.repo.verifications_of(subject).await?;
        Ok(VerificationHistory {
            status: status_of(&self.accounts.standing_verifications(subject).await?),
            records,
            credentials: self.accounts.repo.credentials_of(subject).await?,
        })
    }

    /// The verified identity of a person, for certificate issuance (CERT-2): the registered name
    /// and resident ID number, read for `certificate_issuance`, when a match at assurance
    /// `substantial` or higher stands (an ID-card capture alone proves less); `None` otherwise.
    pub async fn verified_identity(
        &self,
        account: &AccountRecord,
    ) -> ServiceResult<Option<(Zeroizing<String>, Zeroizing<String>)>> {
        let records = self.accounts.standing_verifications(account.id).await?;
        let status = status_of(&records);
        if !status.verified || status.assurance < Some(AssuranceLevel::Substantial) {
            return Ok(None);
        }
        let [name, number] = self
            .accounts
            .read_many_for(
                account.subject,
                [&PERSON_NAME, &PERSON_DOCUMENT_NUMBER],
                Purpose::CertificateIssuance,
            )
            .await?;
        match (name, number) {
            (Some(name), Some(number)) if !name.is_empty() && !number.is_empty() => {
                Ok(Some((name, number)))
            }
            _ => Ok(None),
        }
    }

    /// The verified identity of an enterprise, for certificate issuance (CERT-1, CERT-2): its
    /// registered name and unified social credit code, for an agent whose live authorization
    /// includes `certificates` (ACC-2; `NOT_FOUND`/`FORBIDDEN` otherwise), when the enterprise's
    /// own verification stands at `substantial` or higher; `None` when it does not.
    pub async fn verified_enterprise(
        &self,
        agent: AccountId,
        enterprise: AccountId,
    ) -> ServiceResult<Option<(AccountRecord, Zeroizing<String>, Zeroizing<String>)>> {
        self.accounts
            .require_scope(agent, enterprise, AgentScope::Certificates)
            .await?;
        let records = self.accounts.repo.verifications_of(enterprise).await?;
        let status = status_of(&records);
        if !status.verified || status.assurance < Some(AssuranceLevel::Substantial) {
            return Ok(None);
        }
        let Some(account) = self.accounts.repo.account(enterprise).await? else {
            return Ok(None);
        };
        let read = |f| {
            self.accounts
                .read_for(account.subject, f, Purpose::CertificateIssuance)
        };
        let name = read(&ENTERPRISE_NAME).await?.unwrap_or_default();
        let code = read(&ENTERPRISE_CREDIT_CODE).await?.unwrap_or_default();
        if name.is_empty() || code.is_empty() {
            return Ok(None);
        }
        Ok(Some((account, name, code)))
    }

    /// An enterprise's records, for its agents (`view`).
    pub async fn enterprise_history(
        &self,
        agent: AccountId,
        enterprise: AccountId,
    ) -> ServiceResult<VerificationHistory> {
        self.accounts
            .require_scope(agent, enterprise, AgentScope::View)
            .await?;
        self.history(enterprise).await
    }

    /// Runs one verification for `caller` (IDV-1, IDV-2).
    pub async fn verify(
        &self,
        caller: &AccountRecord,
        request: VerificationRequest,
    ) -> ServiceResult<VerificationResult> {
        self.verify_as(caller, request, Basis::Account).await
    }

    /// [`Verifications::verify`] on `basis`: for a request through the public form, the
    /// requester's consent is the one they give in the form (not a consent of the account they
    /// have yet to prove is theirs), and no credential is issued.
    pub(crate) async fn verify_as(
        &self,
        caller: &AccountRecord,
        request: VerificationRequest,
        basis: Basis,
    ) -> ServiceResult<VerificationResult> {
        if basis == Basis::Account {
            self.accounts.ensure_collecting().await?;
        }
        let method = request.method();
        // 1. Input, field by field: nothing is sent or written for a malformed request.
        let (subject, check) = self.prepare(caller, request).await?;
        // 2. The method's separate consent (PRIV-2).
        let scope = ConsentScope::for_method(method);
        if basis == Basis::Account && !self.accounts.consent_stands(caller.id, scope).await? {
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "{}: give the separate consent to this verification first \
                     (POST /api/v1/consents)",
                    scope.as_str()
                ),
            )
            .into());
        }
        if !self.router.offers(method) {
            return Err(unavailable().into());
        }
        // 3. Abroad only with the transfer consent and an assessment (CERT-9): checked before
        // anything is written, the attempt count included.
        let transfer = self.transfer_allowed(caller.id, method).await?;
        let at = now();
        self.limit_attempts(caller.id, at).await?;
        // 4. The providers.
        let attempts = self.router.run(&check, transfer).await;
        drop(check);
        let id = VerificationId::ordered();
        let (mut record, answer) = self.outcome(id, subject, caller.id, method, &attempts, at);
        let mut id_card = None;
        if let Some(Answer::Read(fields)) = &answer {
            // ID-card capture: the card read must be the account's registered identity.
            let mismatched = self.compare_card(subject, fields).await?;
            record.outcome = if mismatched.is_empty() {
                OutcomeKind::Match
            } else {
                OutcomeKind::Mismatch
            };
            record.assurance = mismatched.is_empty().then(|| method.assurance());
            record.mismatched = mismatched;
            id_card = Some(read_of(fields));
        }
        let disclosures = disclosures_of(&record, &attempts, at);
        self.accounts
            .repo
            .insert_verification(
                &record,
                &disclosures,
                &crate::evidence::of_disclosures(&disclosures)?,
            )
            .await?;
        tracing::info!(
            verification = %record.id,
            method = method.as_str(),
            outcome = record.outcome.as_str(),
            "identity verification"
        );
        if record.outcome == OutcomeKind::ProviderError {
            return Err(unavailable().into());
        }
        let credential = if record.outcome == OutcomeKind::Match
            && !method.is_enterprise()
            && basis == Basis::Account
        {
            Some(self.issue_credential(caller, &record).await?)
        } else {
            None
        };
        let status = status_of(&self.accounts.standing_verifications(subject).await?);
        Ok(VerificationResult {
            record,
            status,
            credential,
            id_card,
        })
    }

    /// Whether `account` consented to a transfer out of the mainland; refused, before anything
    /// is sent, when every provider of `method` is abroad and may not receive the data (CERT-9,
    /// PRIV-2): without the consent, `CONSENT_REQUIRED` naming `cross_border_transfer`; without a
    /// recorded security assessment, `PROVIDER_UNAVAILABLE`.
    async fn transfer_allowed(&self, account: AccountId, method: Method) -> ServiceResult<bool> {
        let consented = self
            .accounts
            .consent_stands(account, ConsentScope::CrossBorderTransfer)
            .await?;
        match self.router.transfer_check(method, consented) {
            Ok(()) => Ok(consented),
            Err(TransferBlocked::NoConsent) => Err(DomainError::new(
                ErrorCode::ConsentRequired,
                "cross_border_transfer: this verification is done only by a provider outside \
                 the mainland; give the separate consent to the transfer first (POST \
                 /api/v1/consents), or nothing is sent",
            )
            .into()),
            Err(TransferBlocked::NoAssessment) => Err(DomainError::new(
                ErrorCode::ProviderUnavailable,
                "this verification is done only by a provider outside the mainland, and no \
                 security assessment of the transfer is recorded; nothing was sent",
            )
            .into()),
        }
    }

    async fn limit_attempts(&self, account: AccountId, at: i64) -> ServiceResult<()> {
        self.accounts
            .rate_limit(
                "idv/attempts",
                &account.to_string(),
                self.config.attempts_per_day,
                86_400,
                at,
                "too many verification attempts today",
            )
            .await
    }

    /// Validates a request and builds its check; returns the subject it verifies.
    async fn prepare(
        &self,
        caller: &AccountRecord,
        request: VerificationRequest,
    ) -> ServiceResult<(AccountId, Check)> {
        let limits = &self.config.image_limits;
        if let VerificationRequest::Enterprise { enterprise_id } = request {
            return Ok((
                enterprise_id,
                self.enterprise_check(caller, enterprise_id).await?,
            ));
        }
        if caller.kind != AccountKind::Personal {
            return Err(DomainError::invalid(
                "method",
                "personal methods verify a person's account",
            )
            .into());
        }
        let check = match request {
            VerificationRequest::Carrier {
                name,
                document_number,
                mobile,
            } => {
                let (name, id_number) = self.own_identity(caller, &name, &document_number).await?;
                let mobile =
                    validate::mainland_mobile(&mobile).map_err(|e| invalid("mobile", e))?;
                Check::Carrier {
                    name,
                    id_number,
                    mobile: secret(mobile),
                }
            }
            VerificationRequest::BankCard {
                name,
                document_number,
                card_number,
                mobile,
            } => {
                let card = validate::bank_card_number(&card_number)
                    .map_err(|e| invalid("card_number", e))?;
                let mobile =
                    validate::mainland_mobile(&mobile).map_err(|e| invalid("mobile", e))?;
                let (name, id_number) = self.own_identity(caller, &name, &document_number).await?;
                Check::BankCard {
                    name,
                    id_number,
                    card_number: secret(card),
                    mobile: secret(mobile),
                }
            }
            VerificationRequest::Face {
                name,
                document_number,
                document_photo,
                face_image,
            } => {
                let document_photo = decode_image("document_photo", &document_photo, limits)?;
                let face = decode_image("face_image", &face_image, limits)?;
                let (name, id_number) = self.own_identity(caller, &name, &document_number).await?;
                Check::Face {
                    name,
                    id_number,
                    document_photo,
                    face,
                }
            }
            VerificationRequest::IdCardCapture {
                front_image,
                back_image,
            } => {
                self.registered_resident_id(caller).await?;
                Check::IdCardCapture {
                    front: decode_image("front_image", &front_image, limits)?,
                    back: decode_image("back_image", &back_image, limits)?,
                }
            }
            VerificationRequest::Enterprise { .. } => {
                return Err(DomainError::invalid("method", "unreachable").into());
            }
        };
        Ok((caller.id, check))
    }

    /// The account's registered name and resident ID number, for the provider.
    async fn registered_resident_id(
        &self,
        caller: &AccountRecord,
    ) -> ServiceResult<(Zeroizing<String>, Zeroizing<String>)> {
        let read = |f| {
            self.accounts
                .read_for(caller.subject, f, Purpose::RealNameVerification)
        };
        let doc_type = read(&PERSON_DOCUMENT_TYPE).await?.unwrap_or_default();
        if doc_type.as_str()
            != crate::service::document_type_name(validate::DocumentType::ResidentIdCard)
        {
            return Err(DomainError::invalid(
                "document_number",
                "these methods check a mainland resident ID card; the account is registered \
                 with another document",
            )
            .into());
        }
        let name = read(&PERSON_NAME).await?.unwrap_or_default();
        let number = read(&PERSON_DOCUMENT_NUMBER).await?.unwrap_or_default();
        Ok((name, number))
    }

    /// Checks the submitted name and number: well-formed, and the account's own registered
    /// identity (IDV-4: another person's data is not verified through this account).
    async fn own_identity(
        &self,
        caller: &AccountRecord,
        name: &str,
        document_number: &str,
    ) -> ServiceResult<(Secret, Secret)> {
        let name = check_name("name", name, 64)?;
        let id = validate::resident_id(document_number, today_in_china(now()))
            .map_err(|e| invalid("document_number", e))?;
        let (reg_name, reg_number) = self.registered_resident_id(caller).await?;
        if !bool::from(id.number.as_bytes().ct_eq(reg_number.as_bytes())) {
            return Err(DomainError::invalid(
                "document_number",
                "is not the number registered with this account",
            )
            .into());
        }
        if name != reg_name.as_str() {
            return Err(DomainError::invalid(
                "name",
                "is not the name registered with this account",
            )
            .into());
        }
        Ok((secret(name), secret(id.number.clone())))
    }

    /// The enterprise check of a registered enterprise, by an agent with `manage_agents`.
    async fn enterprise_check(
        &self,
        caller: &AccountRecord,
        enterprise: AccountId,
    ) -> ServiceResult<Check> {
        self.accounts
            .require_scope(caller.id, enterprise, AgentScope::ManageAgents)
            .await?;
        let account = self
            .accounts
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "no such enterprise"))?;
        let read = |f| {
            self.accounts
                .read_for(account.subject, f, Purpose::RealNameVerification)
        };
        let code = read(&ENTERPRISE_CREDIT_CODE).await?.unwrap_or_default();
        if code.len() != 18 {
            return Err(DomainError::invalid(
                "enterprise_id",
                "the enterprise registered with an organization code; the check needs its \
                 unified social credit code",
            )
            .into());
        }
        // IDV-4: a legal representative who objected has no information here any more; nothing
        // is sent in its place.
        let (Some(legal_rep_name), Some(legal_rep_id_number)) = (
            read(&LEGAL_REP_NAME).await?,
            read(&LEGAL_REP_DOCUMENT_NUMBER).await?,
        ) else {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "enterprise_id: the enterprise has no legal representative on record (they \
                 objected to the processing of their information), so it cannot be checked",
            )
            .into());
        };
        Ok(Check::Enterprise {
            name: Secret(read(&ENTERPRISE_NAME).await?.unwrap_or_default()),
            credit_code: Secret(code),
            legal_rep_name: Secret(legal_rep_name),
            legal_rep_id_number: Secret(legal_rep_id_number),
        })
    }

    /// The record of a route's attempts, and the answer if any provider gave one.
    fn outcome(
        &self,
        id: VerificationId,
        subject: AccountId,
        requested_by: AccountId,
        method: Method,
        attempts: &[Attempt],
        at: i64,
    ) -> (VerificationRecord, Option<Answer>) {
        let answered = attempts.iter().rev().find_map(|a| match &a.result {
            Some(Ok(answer)) => Some((a.provider.clone(), answer.clone())),
            _ => None,
        });
        let mut record = VerificationRecord {
            id,
            subject,
            requested_by,
            method,
            provider: attempts.last().map(|a| a.provider.clone()),
            outcome: OutcomeKind::ProviderError,
            mismatched: vec![],
            assurance: None,
            error: None,
            at,
        };
        match answered {
            Some((provider, answer)) => {
                record.provider = Some(provider);
                match &answer {
                    Answer::Match => {
                        record.outcome = OutcomeKind::Match;
                        record.assurance = Some(method.assurance());
                    }
                    Answer::Mismatch(f) => {
                        record.outcome = OutcomeKind::Mismatch;
                        record.mismatched = f.clone();
                    }
                    Answer::Read(_) => record.outcome = OutcomeKind::Pending,
                    Answer::DepositSent { .. } => record.outcome = OutcomeKind::Pending,
                }
                (record, Some(answer))
            }
            None => {
                record.error = Some(
                    attempts
                        .iter()
                        .rev()
                        .find_map(|a| a.result.as_ref().map(result_word))
                        .unwrap_or("breaker_open")
                        .to_owned(),
                );
                (record, None)
            }
        }
    }

    async fn compare_card(
        &self,
        subject: AccountId,
        read: &IdCardFields,
    ) -> ServiceResult<Vec<Factor>> {
        let account = self
            .accounts
            .repo
            .account(subject)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "no such account"))?;
        let (name, number) = self.registered_resident_id(&account).await?;
        let mut mismatched = vec![];
        if read.name.reveal().trim() != name.as_str() {
            mismatched.push(Factor::Name);
        }
        if !read
            .id_number
            .reveal()
            .trim()
            .eq_ignore_ascii_case(number.as_str())
        {
            mismatched.push(Factor::DocumentNumber);
        }
        Ok(mismatched)
    }

    // ---- corporate account deposit (IDV-2) ----

    fn deposit_hash(&self, id: DepositId, amount_fen: u32) -> Vec<u8> {
        let mut input = id.as_bytes().to_vec();
        input.extend_from_slice(&amount_fen.to_be_bytes());
        self.accounts
            .vault
            .pseudonym("idv/deposit-amount", &input)
            .to_vec()
    }

    /// Sends a small random deposit to the enterprise's corporate account; the enterprise
    /// confirms the amount it received. Needs a matched enterprise check first.
    pub async fn start_deposit(
        &self,
        caller: &AccountRecord,
        enterprise: AccountId,
        account_number: &str,
    ) -> ServiceResult<DepositSent> {
        let digits: String = account_number.chars().filter(|c| *c != ' ').collect();
        if !(6..=32).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::invalid(
                "account_number",
                "must be 6 to 32 digits (a corporate bank account number)",
            )
            .into());
        }
        let digits = Zeroizing::new(digits);
        self.accounts
            .require_scope(caller.id, enterprise, AgentScope::ManageAgents)
            .await?;
        if !self
            .accounts
            .consent_stands(caller.id, ConsentScope::IdvEnterprise)
            .await?
        {
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                "idv_enterprise: give the separate consent to this verification first \
                 (POST /api/v1/consents)",
            )
            .into());
        }
        let records = self.accounts.repo.verifications_of(enterprise).await?;
        if !records
            .iter()
            .any(|r| r.method == Method::Enterprise && r.outcome == OutcomeKind::Match)
        {
            return Err(DomainError::invalid(
                "enterprise_id",
                "verify the enterprise's information (method \"enterprise\") before its account",
            )
            .into());
        }
        if !self.router.offers(Method::EnterpriseAccount) {
            return Err(unavailable().into());
        }
        let transfer = self
            .transfer_allowed(caller.id, Method::EnterpriseAccount)
            .await?;
        let at = now();
        self.limit_attempts(caller.id, at).await?;
        let account = self
            .accounts
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "no such enterprise"))?;
        let name = self
            .accounts
            .read_for(
                account.subject,
                &ENTERPRISE_NAME,
                Purpose::RealNameVerification,
            )
            .await?
            .unwrap_or_default();
        let deposit_id = DepositId::ordered();
        let amount_fen: u32 = rand::rngs::OsRng.gen_range(1..=99);
        let check = Check::Deposit {
            account_name: Secret(name),
            account_number: Secret(digits.clone()),
            amount_fen,
            reference: deposit_id.to_string(),
        };
        let attempts = self.router.run(&check, transfer).await;
        drop(check);
        let id = VerificationId::ordered();
        let (record, answer) = self.outcome(
            id,
            enterprise,
            caller.id,
            Method::EnterpriseAccount,
            &attempts,
            at,
        );
        let disclosures = disclosures_of(&record, &attempts, at);
        self.accounts
            .repo
            .insert_verification(
                &record,
                &disclosures,
                &crate::evidence::of_disclosures(&disclosures)?,
            )
            .await?;
        match (answer, record.provider) {
            (Some(Answer::DepositSent { .. }), Some(provider)) => {
                let d = DepositRecord {
                    id: deposit_id,
                    enterprise,
                    requested_by: caller.id,
                    verification: id,
                    amount_hash: self.deposit_hash(deposit_id, amount_fen),
                    account_hint: mask(&digits, 0, 4),
                    provider,
                    created_at: at,
                    expires_at: at + self.config.deposit_ttl_secs,
                    attempts: 0,
                    state: DepositState::Pending,
                };
                self.accounts.repo.insert_deposit(&d).await?;
                Ok(DepositSent {
                    deposit_id,
                    account_hint: d.account_hint,
                    expires_at: d.expires_at,
                    attempts_allowed: self.config.deposit_attempts,
                })
            }
            (Some(_), _) => Err(DomainError::invalid(
                "account_number",
                "the bank refused the transfer: the account does not exist or is not held \
                 in the enterprise's registered name",
            )
            .into()),
            (None, _) => Err(unavailable().into()),
        }
    }

    /// Confirms the amount of the pending deposit. A wrong amount counts an attempt; the last
    /// one fails the challenge (a new deposit must be started).
    pub async fn confirm_deposit(
        &self,
        caller: &AccountRecord,
        enterprise: AccountId,
        amount_fen: i64,
    ) -> ServiceResult<VerificationStatus> {
        let amount = u32::try_from(amount_fen)
            .ok()
            .filter(|a| (1..=99).contains(a))
            .ok_or_else(|| {
                DomainError::invalid("amount_fen", "must be the amount received, 1 to 99 fen")
            })?;
        self.accounts
            .require_scope(caller.id, enterprise, AgentScope::ManageAgents)
            .await?;
        let no_pending = || DomainError::new(ErrorCode::NotFound, "no pending deposit: start one");
        let d = self
            .accounts
            .repo
            .latest_deposit(enterprise)
            .await?
            .filter(|d| d.state == DepositState::Pending)
            .ok_or_else(no_pending)?;
        let at = now();
        if at > d.expires_at {
            return Err(
                DomainError::invalid("deposit", "the deposit expired; start a new one").into(),
            );
        }
        let expected = &d.amount_hash;
        let given = self.deposit_hash(d.id, amount);
        if bool::from(given.ct_eq(expected)) {
            if !self.accounts.repo.confirm_deposit(d.id).await? {
                return Err(no_pending().into());
            }
            self.accounts
                .repo
                .settle_verification(
                    d.verification,
                    OutcomeKind::Match,
                    &[],
                    Some(Method::EnterpriseAccount.assurance()),
                )
                .await?;
            return Ok(status_of(
                &self.accounts.repo.verifications_of(enterprise).await?,
            ));
        }
        let used = d.attempts.saturating_add(1);
        let fail = used >= self.config.deposit_attempts;
        if !self.accounts.repo.deposit_attempt(d.id, fail).await? {
            return Err(no_pending().into());
        }
        if fail {
            self.accounts
                .repo
                .settle_verification(
                    d.verification,
                    OutcomeKind::Mismatch,
                    &[Factor::DepositAmount],
                    None,
                )
                .await?;
            return Err(DomainError::invalid(
                "amount_fen",
                "does not match the deposit, and no attempt is left: start a new deposit",
            )
            .into());
        }
        Err(DomainError::invalid(
            "amount_fen",
            format!(
                "does not match the deposit; {} attempt(s) left",
                self.config.deposit_attempts - used
            ),
        )
        .into())
    }

    /// The subject's latest personal-identity credential record.
    pub(crate) fn credential_ttl(&self) -> i64 {
        self.config.credential_validity_days * 86_400
    }

    pub(crate) async fn latest_credential_record(
        &self,
        account: AccountId,
    ) -> ServiceResult<Option<CredentialRecord>> {
        // A credential from before the last correction of an identity field states the old
        // identity: it no longer counts (issue 8 item 3).
        let void = self
            .accounts
            .repo
            .verifications_void_through(account)
            .await?;
        Ok(self
            .accounts
            .repo
            .credentials_of(account)
            .await?
            .into_iter()
            .find(|c| {
                c.superseded_at.is_none()
                    && void
                        .as_ref()
                        .is_none_or(|v| c.verification.to_string() > *v)
            }))
    }

    async fn issue_credential(
        &self,
        caller: &AccountRecord,
        record: &VerificationRecord,
    ) -> ServiceResult<IssuedCredential> {
        let at = record.at;
        let c = CredentialRecord {
            id: CredentialId::ordered(),
            account: caller.id,
            verification: record.id,
            method: record.method,
            assurance: record.assurance.unwrap_or(AssuranceLevel::Low),
            issued_at: at,
            expires_at: at + self.credential_ttl(),
            superseded_at: None,
        };
        self.accounts.repo.insert_credential(&c).await?;
        self.sign_credential(caller, &c).await
    }
}

fn read_of(f: &IdCardFields) -> IdCardRead {
    let s = |x: &Secret| x.reveal().to_owned();
    IdCardRead {
        name: s(&f.name),
        sex: s(&f.sex),
        ethnicity: s(&f.ethnicity),
        birth: s(&f.birth),
        address: s(&f.address),
        id_number: s(&f.id_number),
        issuing_authority: s(&f.authority),
        validity_period: s(&f.valid_date),
    }
}

/// One disclosure per call actually made (a call that timed out still sent the data).
fn disclosures_of(
    record: &VerificationRecord,
    attempts: &[Attempt],
    at: i64,
) -> Vec<DisclosureRecord> {
    attempts
        .iter()
        .filter_map(|a| {
            a.result.as_ref().map(|r| DisclosureRecord {
                id: DisclosureId::ordered(),
                processor: a.provider.clone(),
                subject: record.subject,
                verification: record.id,
                purpose: "real_name_verification".into(),
                data_items: record
                    .method
                    .data_items()
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                result: result_word(r).into(),
                at,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rec(method: Method, outcome: OutcomeKind, at: i64) -> VerificationRecord {
        VerificationRecord {
            id: VerificationId::ordered(),
            subject: AccountId::random(),
            requested_by: AccountId::random(),
            method,
            provider: None,
            outcome,
            mismatched: vec![],
            assurance: (outcome == OutcomeKind::Match).then(|| method.assurance()),
            error: None,
            at,
        }
    }

    #[test]
    fn status_derives_from_records() {
        assert!(!status_of(&[]).verified);
        let failed = [
            rec(Method::Carrier, OutcomeKind::ProviderError, 3),
            rec(Method::Face, OutcomeKind::Mismatch, 2),
        ];
        assert!(
            !status_of(&failed).verified,
            "errors and mismatches never verify"
        );
        let s = status_of(&[
            rec(Method::Carrier, OutcomeKind::Match, 3),
            rec(Method::Face, OutcomeKind::Match, 2),
        ]);
        assert!(s.verified);
        assert_eq!(s.assurance, Some(AssuranceLevel::High));
        assert_eq!(s.method, Some(Method::Carrier));
        // An enterprise needs the information check; the deposit alone does not verify it.
        let s = status_of(&[rec(Method::EnterpriseAccount, OutcomeKind::Match, 1)]);
        assert!(!s.verified);
        let s = status_of(&[
            rec(Method::EnterpriseAccount, OutcomeKind::Match, 2),
            rec(Method::Enterprise, OutcomeKind::Match, 1),
        ]);
        assert_eq!(s.assurance, Some(AssuranceLevel::High));
    }
}
