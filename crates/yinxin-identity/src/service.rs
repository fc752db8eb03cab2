//! The accounts service: registration, password login with lockout, sessions, consents.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use yinxin_domain::account::{
    AccountKind, AccountRecord, AccountRepo, ConsentAction, ConsentRecord, ConsentScope,
    Permission, PermissionRecord, PolicyVersion, SessionRecord, SmsCodeRecord,
};
use yinxin_domain::inventory::{
    ACCOUNT_USERNAME, PERSON_COUNTRY, PERSON_DOCUMENT_NUMBER, PERSON_DOCUMENT_TYPE, PERSON_EMAIL,
    PERSON_MOBILE, PERSON_NAME,
};
use yinxin_domain::pi::PiField;
use yinxin_domain::risk::{LoginEventOutcome, LoginMethod};
use yinxin_domain::validate::{self, CivilDate, DocumentType};
use yinxin_domain::{AccountId, ConsentId, DomainError, ErrorCode, GuardianConsentId, SubjectId};
use yinxin_privacy::vault::{Vault, VaultError};
use zeroize::Zeroizing;

use crate::consent::PolicyCache;
use crate::password::{PasswordHasher, PasswordParams};
use crate::policy::POLICIES;
use crate::receipt::Controller;
use crate::risk::ClientFacts;
use crate::sms::{SmsGateway, SmsMessage};
use crate::webauthn::{AuthenticationResponse, RelyingParty};

/// Age below which a guardian's consent is required (PRIV-13; PIPL art. 31).
pub(crate) const MINOR_AGE: i32 = 14;

/// Account settings (ACC-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountsConfig {
    /// argon2id parameters.
    pub password: PasswordParams,
    /// Consecutive wrong passwords after which password login locks.
    pub max_password_failures: u32,
    /// How long the lock lasts, in seconds.
    pub lockout_seconds: i64,
    /// Session lifetime in seconds.
    pub session_seconds: i64,
    /// Password attempts accepted per source address per minute, over all accounts.
    pub logins_per_address_per_minute: u32,
    /// Registration attempts (refused ones included) per source address per hour: a refusal such
    /// as "username taken" tells something, so attempts are limited like logins.
    pub registrations_per_address_per_hour: u32,
    /// SMS codes sent per mobile number per hour.
    pub sms_per_mobile_per_hour: u32,
    /// SMS codes requested per source address per hour.
    pub sms_per_address_per_hour: u32,
    /// Seconds an SMS code stays valid.
    pub sms_code_seconds: i64,
    /// Wrong guesses after which an SMS code stops working.
    pub sms_code_max_attempts: u32,
    /// Provider template code of the login message (parameter `code`).
    pub sms_login_template: &'static str,
    /// Provider template code of the intent-to-sign message (parameters `code` and `digest`,
    /// the first eight hex digits of what is signed).
    pub sms_intent_template: &'static str,
    /// Provider template code of the envelope notice (parameter `envelope`, the first eight
    /// characters of its id): it is the recipient's turn to sign (issue 6 item 6).
    pub sms_envelope_template: &'static str,
    /// Provider template code of the notice that an envelope closed (parameters `envelope`, its
    /// first eight characters, and `state`: `completed`, `declined`, `cancelled`, `expired`),
    /// sent to its owner and to every signer but the one who closed it (issue 6 item 6).
    pub sms_envelope_closed_template: &'static str,
    /// Longest life of an envelope, in seconds (and the default).
    pub envelope_max_seconds: i64,
    /// Shortest life of an envelope, in seconds.
    pub envelope_min_seconds: i64,
    /// Envelopes an account may send per hour (each sends SMS notices to its signers).
    pub envelopes_per_account_per_hour: u32,
    /// Envelope notices a mobile number receives per hour, whoever sends (beyond: no SMS).
    pub envelope_notices_per_mobile_per_hour: u32,
    /// Seconds a confirmation of intent may be confirmed and then used (issue 6 item 3).
    pub intent_seconds: i64,
    /// Confirmations of intent an account may start per hour.
    pub intents_per_account_per_hour: u32,
    /// Longest validity of an agent authorization, in days (ACC-2).
    pub agent_authorization_max_days: i64,
    /// Support requests an account may have open (not closed) at once (ACC-7).
    pub support_open_requests_max: usize,
    /// Consecutive wrong passwords after which a correct one still needs an SMS step-up code
    /// (ACC-5); 0 turns this part of the rule off.
    pub step_up_after_failures: u32,
    /// Whether a correct password from a device and a network that never logged in to the
    /// account (which has logged in before) needs an SMS step-up code (ACC-5).
    pub step_up_on_new_device_and_network: bool,
    /// Calendar days a data-subject request is answered in, from identity verification
    /// (PRIV-14; 004 says 15).
    pub request_due_days: i64,
    /// Working days on the mainland calendar an account cancellation is answered in (ACC-6).
    pub cancellation_due_working_days: u32,
    /// Requests of one kind an account may file within `request_excess_period_days` before the
    /// next is flagged excessive (PRIV-14).
    pub requests_before_excessive: u32,
    /// The period of that count, in days.
    pub request_excess_period_days: i64,
    /// Seconds before a request falls due that staff are reminded.
    pub request_reminder_secs: i64,
    /// Days after cancellation before the retention engine erases an account (ACC-6: 001 4.4
    /// says 6 months; the inventory's `UntilAccountCancelled` grace).
    pub cancellation_grace_days: u32,
    /// Exports an account may make per hour (each costs an Argon2id derivation).
    pub exports_per_hour: u32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            password: PasswordParams::default(),
            max_password_failures: 5,
            lockout_seconds: 15 * 60,
            session_seconds: 12 * 3600,
            logins_per_address_per_minute: 30,
            registrations_per_address_per_hour: 20,
            sms_per_mobile_per_hour: 5,
            sms_per_address_per_hour: 20,
            sms_code_seconds: 300,
            sms_code_max_attempts: 5,
            sms_login_template: "SMS_LOGIN",
            sms_intent_template: "SMS_SIGN_INTENT",
            sms_envelope_template: "SMS_ENVELOPE_TURN",
            sms_envelope_closed_template: "SMS_ENVELOPE_CLOSED",
            envelope_max_seconds: 30 * 86_400,
            envelope_min_seconds: 60,
            envelopes_per_account_per_hour: 60,
            envelope_notices_per_mobile_per_hour: 20,
            intent_seconds: 300,
            intents_per_account_per_hour: 120,
            agent_authorization_max_days: 730,
            support_open_requests_max: 20,
            step_up_after_failures: 3,
            step_up_on_new_device_and_network: true,
            request_due_days: 15,
            cancellation_due_working_days: 15,
            requests_before_excessive: 3,
            request_excess_period_days: 30,
            request_reminder_secs: 3 * 86_400,
            cancellation_grace_days: 183,
            exports_per_hour: 10,
        }
    }
}

/// Errors of the service: refusals the caller can act on, or failures of what lies beneath.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// A refusal (4xx) or a failure (5xx).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Refused, with a code and a message that says what to fix.
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The vault or the store failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Anything else, for the log only.
    #[error("{0}")]
    Internal(String),
}

impl From<yinxin_domain::repo::StoreError> for ServiceError {
    fn from(e: yinxin_domain::repo::StoreError) -> Self {
        Self::Vault(VaultError::from(e))
    }
}

/// A personal registration as submitted (ACC-1).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonalRegistration {
    /// Login name.
    pub username: String,
    /// Password (never stored; only its argon2id hash).
    #[schema(value_type = String, format = Password)]
    pub password: Zeroizing<String>,
    /// Name as on the identity document.
    pub name: String,
    /// ISO 3166-1 alpha-2 country or region.
    pub country_region: String,
    /// Which identity document.
    pub document_type: DocumentType,
    /// Its number.
    pub document_number: String,
    /// Real-name mainland mobile number.
    pub mobile: String,
    /// E-mail address.
    pub email: String,
    /// The policy version the user was shown and accepted (PRIV-1).
    pub accept_policy_version: String,
    /// Separate consents given (PRIV-2). Registration needs `sensitive_personal_information`,
    /// since the identity document number is sensitive PI.
    #[serde(default)]
    pub consents: Vec<ConsentScope>,
    /// For a child under 14 (PRIV-13): the consent a parent or guardian gave from their own
    /// account (`POST /api/v1/guardian-consents`) for this child's resident ID number.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub guardian_consent_id: Option<GuardianConsentId>,
}

impl std::fmt::Debug for PersonalRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalRegistration(<redacted>)")
    }
}

/// A new account.
#[derive(Clone, Debug)]
pub struct Registered {
    /// The account.
    pub account: AccountId,
    /// The consent receipts recorded with it.
    pub consents: Vec<ConsentRecord>,
}

/// A session token: shown to the client once, stored only as its SHA-256.
#[derive(Clone)]
pub struct SessionToken(pub Zeroizing<String>);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// A login attempt.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Login {
    /// Username and password.
    Password {
        /// Login name.
        username: String,
        /// Password.
        #[schema(value_type = String, format = Password)]
        password: Zeroizing<String>,
        /// The code sent by SMS when a login answered `STEP_UP_REQUIRED` (ACC-5).
        #[serde(default)]
        #[schema(value_type = Option<String>)]
        sms_code: Option<Zeroizing<String>>,
    },
    /// Real-name mobile and a code from `POST /api/v1/sms/codes` (ACC-3).
    SmsCode {
        /// Mainland mobile number.
        mobile: String,
        /// The 6-digit code.
        #[schema(value_type = String)]
        code: Zeroizing<String>,
    },
    /// A passkey (ACC-3): options from `POST /api/v1/sessions/passkey-options`, answered by
    /// `navigator.credentials.get`.
    Passkey {
        /// From the options.
        challenge_id: String,
        /// `PublicKeyCredential.toJSON()` of the assertion.
        #[schema(value_type = Object)]
        credential: Box<AuthenticationResponse>,
    },
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Login(<redacted>)")
    }
}

/// A successful login.
#[derive(Debug)]
pub struct LoginOutcome {
    /// Who.
    pub account: AccountId,
    /// The new session's token.
    pub token: SessionToken,
    /// Unix second the session expires.
    pub expires_at: i64,
}

/// An account's own view of its personal information, masked (PRIV-14 access; 003 5.1).
#[derive(Clone, Debug, serde::Serialize, ToSchema)]
pub struct Profile {
    /// Login name.
    pub username: String,
    /// Name.
    pub name: String,
    /// Document type.
    pub document_type: String,
    /// Document number, masked except the first 2 and last 2 characters.
    pub document_number_masked: String,
    /// Mobile, masked except the first 3 and last 4 digits.
    pub mobile_masked: String,
    /// E-mail with the local part masked.
    pub email_masked: String,
}

/// The accounts service.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub(crate) vault: Vault,
    pub(crate) repo: Arc<dyn AccountRepo>,
    sms: Arc<dyn SmsGateway>,
    pub(crate) hasher: Arc<PasswordHasher>,
    pub(crate) config: AccountsConfig,
    pub(crate) policies: Arc<PolicyCache>,
    pub(crate) controller: Arc<Controller>,
    pub(crate) relying_party: Arc<RelyingParty>,
    /// The mainland working calendar for working-day deadlines (PRIV-14, ACC-6).
    pub(crate) calendar: Arc<yinxin_domain::requests::WorkCalendar>,
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Today's civil date (UTC+8, the mainland's time zone: an age or an effective date turns over at
/// Beijing midnight).
pub fn today_in_china(unix: i64) -> CivilDate {
    CivilDate::from_unix_days((unix + 8 * 3600).div_euclid(86_400))
}

pub(crate) fn iso(d: CivilDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

pub(crate) fn invalid(field: &str, e: validate::Invalid) -> DomainError {
    e.for_field(field)
}

/// A name (of a person or an enterprise): trimmed, 1 to `max` characters, no control characters.
pub(crate) fn check_name<'a>(field: &str, s: &'a str, max: usize) -> Result<&'a str, DomainError> {
    let name = s.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must have 1 to {max} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(name)
}

/// Password rules: 8..=128 characters, at least two of letters / digits / other, not the username.
fn check_password(password: &str, username: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if n < 8 {
        return Err(DomainError::invalid(
            "password",
            "must have at least 8 characters",
        ));
    }
    if n > 128 {
        return Err(DomainError::invalid(
            "password",
            "must have at most 128 characters",
        ));
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let other = password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    if u8::from(letters) + u8::from(digits) + u8::from(other) < 2 {
        return Err(DomainError::invalid(
            "password",
            "must mix at least two of: letters, digits, symbols",
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(DomainError::invalid("password", "must not be the username"));
    }
    Ok(())
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub(crate) use yinxin_domain::pi::mask;

impl Accounts {
    /// The service over a vault and a repository; publishes the built-in policy versions.
    pub async fn open(
        vault: Vault,
        repo: Arc<dyn AccountRepo>,
        sms: Arc<dyn SmsGateway>,
        config: AccountsConfig,
    ) -> ServiceResult<Self> {
        let hasher = PasswordHasher::new(config.password).map_err(ServiceError::Internal)?;
        for p in POLICIES {
            repo.publish_policy(&p.record(), p.text).await?;
        }
        let accounts = Self {
            vault,
            repo,
            sms,
            hasher: Arc::new(hasher),
            config,
            policies: Arc::new(PolicyCache::default()),
            controller: Arc::new(Controller::default()),
            relying_party: Arc::new(RelyingParty {
                id: "localhost".into(),
                name: "yinxin".into(),
                origins: vec!["http://localhost:8080".into()],
            }),
            calendar: Arc::default(),
        };
        accounts.reload_policies().await?;
        accounts.publish_receipt_key().await?;
        Ok(accounts)
    }

    /// The WebAuthn relying party for passkeys (ACC-3): RP ID and the origins users reach the
    /// service at. Refused if inconsistent (an origin not on the RP ID, http off localhost).
    pub fn with_relying_party(mut self, rp: RelyingParty) -> Result<Self, String> {
        rp.check()?;
        self.relying_party = Arc::new(rp);
        Ok(self)
    }

    /// The working calendar (public holidays and adjusted working days) deadlines count in.
    pub fn with_work_calendar(mut self, calendar: yinxin_domain::requests::WorkCalendar) -> Self {
        self.calendar = Arc::new(calendar);
        self
    }

    /// Names the personal-information handler in consent receipts (PRIV-1).
    pub fn with_controller(mut self, controller: Controller) -> Self {
        self.controller = Arc::new(controller);
        self
    }

    /// The settings in force.
    pub fn config(&self) -> &AccountsConfig {
        &self.config
    }

    /// Registers a person (ACC-1). Every field is validated before anything is written; a refusal
    /// names the field and stores nothing. The PI goes into the vault in one transaction, then the
    /// account row and its consent records in another; if the second fails the subject is shredded.
    pub async fn register_personal(
        &self,
        r: &PersonalRegistration,
        source: IpAddr,
    ) -> ServiceResult<Registered> {
        self.ensure_collecting().await?;
        let at = now();
        self.rate_limit(
            "register-address",
            &source.to_string(),
            self.config.registrations_per_address_per_hour,
            3600,
            at,
            "too many registrations from this address",
        )
        .await?;
        let today = today_in_china(at);
        let username = validate::username(&r.username).map_err(|e| invalid("username", e))?;
        check_password(&r.password, &username)?;
        let name = check_name("name", &r.name, 100)?;
        let country = validate::country_region(&r.country_region)
            .map_err(|e| invalid("country_region", e))?;
        let document_number =
            validate::document_number(r.document_type, &country, &r.document_number, today)
                .map_err(|e| invalid("document_number", e))?;
        let mobile = validate::mainland_mobile(&r.mobile).map_err(|e| invalid("mobile", e))?;
        let email = validate::email(&r.email).map_err(|e| invalid("email", e))?;

        // PRIV-13: a resident ID number tells the age; under 14 needs a guardian's consent.
        let minor = r.document_type == DocumentType::ResidentIdCard
            && validate::resident_id(&document_number, today)
                .map_err(|e| invalid("document_number", e))?
                .birth_date
                .years_until(today)
                < MINOR_AGE;
        match (minor, r.guardian_consent_id) {
            (true, None) => {
                return Err(DomainError::new(
                    ErrorCode::ConsentRequired,
                    "guardian_consent_id: the document_number shows a holder under 14; registration \
                     needs the consent \
                     of a parent or guardian, given from their own account with \
                     POST /api/v1/guardian-consents (PRIV-13)",
                )
                .into());
            }
            (false, Some(_)) => {
                return Err(DomainError::invalid(
                    "guardian_consent_id",
                    "only a child under 14 registers with a guardian's consent",
                )
                .into());
            }
            _ => {}
        }

        let policy = self
            .check_registration_consents(
                &r.accept_policy_version,
                &r.consents,
                "identity document number",
            )
            .await?;

        if !self
            .vault
            .find(&ACCOUNT_USERNAME, &username)
            .await?
            .is_empty()
        {
            return Err(username_taken().into());
        }
        let password_hash = {
            let hasher = self.hasher.clone();
            let pw = r.password.clone();
            tokio::task::spawn_blocking(move || hasher.hash(&pw))
                .await
                .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))?
                .map_err(ServiceError::Internal)?
        };

        let account_id = AccountId::random();
        let guardian = match r.guardian_consent_id {
            Some(id) => Some(
                self.take_guardian_consent(id, &document_number, account_id, &policy, at)
                    .await?,
            ),
            None => None,
        };
        let release = || async {
            if let Some(g) = &guardian {
                let _ = self.repo.release_guardian_consent(g.id).await;
            }
        };

        let doc_type = document_type_name(r.document_type);
        let values: [(&'static PiField, &[u8]); 7] = [
            (&ACCOUNT_USERNAME, username.as_bytes()),
            (&PERSON_NAME, name.as_bytes()),
            (&PERSON_COUNTRY, country.as_bytes()),
            (&PERSON_DOCUMENT_TYPE, doc_type.as_bytes()),
            (&PERSON_DOCUMENT_NUMBER, document_number.as_bytes()),
            (&PERSON_MOBILE, mobile.as_bytes()),
            (&PERSON_EMAIL, email.as_bytes()),
        ];
        // A conflict: another registration took the username between the check and the write.
        let subject = match self.seal_new_subject(&values, username_taken).await {
            Ok(s) => s,
            Err(e) => {
                release().await;
                return Err(e);
            }
        };

        let account = AccountRecord {
            id: account_id,
            kind: AccountKind::Personal,
            subject,
            password_hash: Some(password_hash),
            failed_logins: 0,
            locked_until: None,
            created_at: at,
            accepted_policy: Some(policy.version.clone()),
        };
        let mut consents = registration_consents(account.id, &policy, &r.consents, at);
        if guardian.is_some() {
            for c in &mut consents {
                c.channel = "guardian".into();
            }
        }
        let evidence = crate::consent::evidence_of_given(&consents)?;
        if let Err(e) = self
            .repo
            .insert_account(&account, &consents, &evidence)
            .await
        {
            let _ = self.vault.shred(subject).await;
            release().await;
            return Err(e.into());
        }
        tracing::info!(account = %account.id, %subject, guardian = ?guardian.as_ref().map(|g| g.guardian), "personal account registered");
        Ok(Registered {
            account: account.id,
            consents,
        })
    }

    /// Seals the PI of a new registration under a fresh subject, in one vault transaction. A
    /// unique blind index refusing a value (username, credit code) is `taken()`; on any failure
    /// the subject is shredded, so nothing is half-written.
    pub(crate) async fn seal_new_subject(
        &self,
        values: &[(&'static PiField, &[u8])],
        taken: fn() -> DomainError,
    ) -> ServiceResult<SubjectId> {
        let subject = SubjectId::random();
        match self.vault.put_all(subject, values).await {
            Ok(()) => Ok(subject),
            Err(e) => {
                let _ = self.vault.shred(subject).await;
                Err(match e {
                    VaultError::Store(yinxin_domain::repo::StoreError::Conflict(_)) => {
                        taken().into()
                    }
                    e => e.into(),
                })
            }
        }
    }

    /// PRIV-1: explicit acceptance of the version in effect; PRIV-2: separate consent for the
    /// sensitive PI the registration processes (`what`). Returns the policy accepted.
    pub(crate) async fn check_registration_consents(
        &self,
        accept_policy_version: &str,
        consents: &[ConsentScope],
        what: &str,
    ) -> ServiceResult<PolicyVersion> {
        let policy = self.current_policy().await?;
        if accept_policy_version != policy.version {
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "accept_policy_version: the privacy policy in effect is version {}; read it at \
                     /api/v1/policies/current and accept that version",
                    policy.version
                ),
            )
            .into());
        }
        if !consents.contains(&ConsentScope::SensitivePersonalInformation) {
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "consents: registration processes the {what}, which is sensitive personal \
                     information; it needs the separate consent \"sensitive_personal_information\" \
                     (PRIV-2)"
                ),
            )
            .into());
        }
        Ok(policy)
    }

    /// Logs in (ACC-3). A wrong username and a wrong password get the same answer and cost the
    /// same time; repeated wrong passwords lock password login for the account. Every attempt
    /// that names an existing account is recorded with the client's facts (ACC-5), and a correct
    /// password that looks abnormal needs an SMS step-up code (`STEP_UP_REQUIRED`).
    pub async fn login(&self, login: &Login, client: &ClientFacts) -> ServiceResult<LoginOutcome> {
        let at = now();
        // One budget per address for every login method.
        self.rate_limit(
            "login-address",
            &client.ip.to_string(),
            self.config.logins_per_address_per_minute,
            60,
            at,
            "too many login attempts from this address",
        )
        .await?;
        let (username, password, sms_code) = match login {
            Login::Password {
                username,
                password,
                sms_code,
            } => (username, password, sms_code),
            Login::SmsCode { mobile, code } => {
                return self.login_sms(mobile, code, client, at).await;
            }
            Login::Passkey {
                challenge_id,
                credential,
            } => {
                return self
                    .login_passkey(challenge_id, credential, client, at)
                    .await;
            }
        };
        let account = match validate::username(username) {
            Ok(u) => match self.vault.find(&ACCOUNT_USERNAME, &u).await?.first() {
                Some(subject) => self.repo.account_by_subject(*subject).await?,
                None => None,
            },
            Err(_) => None,
        };
        if let Some((a, until)) = account
            .as_ref()
            .and_then(|a| Some((a, a.locked_until?)))
            .filter(|(_, u)| *u > at)
        {
            self.note_login(
                a,
                client,
                LoginMethod::Password,
                LoginEventOutcome::Locked,
                at,
            )
            .await?;
            return Err(locked(until - at).into());
        }
        let ok = {
            let hasher = self.hasher.clone();
            let pw = password.clone();
            let phc = account.as_ref().and_then(|a| a.password_hash.clone());
            tokio::task::spawn_blocking(move || hasher.verify(&pw, phc.as_deref()))
                .await
                .map_err(|e| ServiceError::Internal(format!("verify task: {e}")))?
        };
        let Some(account) = account else {
            return Err(wrong_credentials().into());
        };
        if !ok {
            let updated = self
                .repo
                .record_login_failure(
                    account.id,
                    self.config.max_password_failures,
                    at + self.config.lockout_seconds,
                )
                .await?;
            tracing::info!(account = %account.id, "password login failed");
            self.note_login(
                &account,
                client,
                LoginMethod::Password,
                LoginEventOutcome::Failure,
                at,
            )
            .await?;
            if let Some(until) = updated.and_then(|a| a.locked_until).filter(|u| *u > at) {
                return Err(locked(until - at).into());
            }
            return Err(wrong_credentials().into());
        }
        // ACC-5: `failed_logins` is read before it is cleared.
        let signals = self.login_signals(&account, client).await?;
        if self.looks_abnormal(&account, &signals) {
            return self
                .step_up(
                    &account,
                    sms_code.as_deref().map(|c| c.as_str()),
                    client,
                    &signals,
                    at,
                )
                .await;
        }
        self.repo.clear_login_failures(account.id).await?;
        self.record_login(
            &account,
            client,
            &signals,
            LoginMethod::Password,
            LoginEventOutcome::Success,
            at,
        )
        .await?;
        self.start_session(account.id, "password", at).await
    }

    /// The SMS gateway in use.
    pub fn sms_gateway(&self) -> &Arc<dyn SmsGateway> {
        &self.sms
    }

    /// Sends a login code to `mobile` (ACC-3). The answer is the same whether or not an account
    /// has that number (no enumeration); a code is sent only if one does. Limits: per number per
    /// hour and per source address per hour; every code is single use, short lived, and dies
    /// after a few wrong guesses.
    pub async fn send_login_code(&self, mobile: &str, source: IpAddr) -> ServiceResult<i64> {
        let at = now();
        let mobile = validate::mainland_mobile(mobile).map_err(|e| invalid("mobile", e))?;
        self.limit_sms_address(source, at).await?;
        self.rate_limit(
            "sms-mobile",
            &mobile,
            self.config.sms_per_mobile_per_hour,
            3600,
            at,
            "too many SMS codes sent to this number",
        )
        .await?;
        if self.account_by_mobile(&mobile).await?.is_none() {
            tracing::info!("sms login code requested for a number without an account; not sent");
            return Ok(self.config.sms_code_seconds);
        }
        self.send_code(&mobile, "login", at).await?;
        Ok(self.config.sms_code_seconds)
    }

    /// The hourly limit of SMS codes asked for from one source address, whatever their purpose.
    pub(crate) async fn limit_sms_address(&self, source: IpAddr, at: i64) -> ServiceResult<()> {
        self.rate_limit(
            "sms-address",
            &source.to_string(),
            self.config.sms_per_address_per_hour,
            3600,
            at,
            "too many SMS codes requested from this address",
        )
        .await
    }

    /// Sends a step-up code (or any code of `purpose`) to `mobile`, within the number's hourly
    /// limit shared with login codes.
    pub(crate) async fn issue_code(
        &self,
        mobile: &str,
        purpose: &str,
        at: i64,
    ) -> ServiceResult<()> {
        self.rate_limit(
            "sms-mobile",
            mobile,
            self.config.sms_per_mobile_per_hour,
            3600,
            at,
            "too many SMS codes sent to this number",
        )
        .await?;
        self.send_code(mobile, purpose, at).await
    }

    /// Stores a fresh code of `purpose` for `mobile` (older ones of that purpose die) and sends it.
    async fn send_code(&self, mobile: &str, purpose: &str, at: i64) -> ServiceResult<()> {
        self.send_code_with(mobile, purpose, self.config.sms_login_template, &[], at)
            .await
    }

    /// [`Accounts::send_code`] with another template, and parameters besides the code.
    pub(crate) async fn send_code_with(
        &self,
        mobile: &str,
        purpose: &str,
        template: &str,
        extra: &[(&str, &str)],
        at: i64,
    ) -> ServiceResult<()> {
        let code = Zeroizing::new(format!(
            "{:06}",
            rand::Rng::gen_range(&mut rand::thread_rng(), 0..1_000_000u32)
        ));
        let mobile_key = self
            .vault
            .pseudonym("sms-code-mobile", mobile.as_bytes())
            .to_vec();
        let record = SmsCodeRecord {
            id: uuid::Uuid::new_v4().to_string(),
            code_hash: self.code_hash(&mobile_key, &code),
            mobile_key,
            purpose: purpose.into(),
            created_at: at,
            expires_at: at + self.config.sms_code_seconds,
            attempts: 0,
        };
        self.repo.insert_sms_code(&record).await?;
        let mut params = vec![("code".to_owned(), code.to_string())];
        params.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let receipt = self
            .sms
            .send(&SmsMessage {
                mobile: mobile.to_owned(),
                template: template.to_owned(),
                params,
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("sending an SMS code: {e}")))?;
        tracing::info!(gateway = self.sms.name(), provider_id = %receipt.provider_id, purpose, "sms code sent");
        Ok(())
    }

    /// Sends a notice (no code) with `template` and its parameters to `mobile`; the number is
    /// neither logged nor kept.
    pub(crate) async fn send_notice(
        &self,
        mobile: &str,
        template: &str,
        params: &[(&str, &str)],
    ) -> ServiceResult<()> {
        let receipt = self
            .sms
            .send(&SmsMessage {
                mobile: mobile.to_owned(),
                template: template.to_owned(),
                params: params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("sending an SMS notice: {e}")))?;
        tracing::info!(gateway = self.sms.name(), provider_id = %receipt.provider_id, template, "sms notice sent");
        Ok(())
    }

    fn code_hash(&self, mobile_key: &[u8], code: &str) -> Vec<u8> {
        let mut input = mobile_key.to_vec();
        input.extend_from_slice(code.as_bytes());
        self.vault.pseudonym("sms-code", &input).to_vec()
    }

    async fn account_by_mobile(&self, mobile: &str) -> ServiceResult<Option<AccountRecord>> {
        for subject in self.vault.find(&PERSON_MOBILE, mobile).await? {
            let account = self.repo.account_by_subject(subject).await?;
            if let Some(a) = account.filter(|a| a.kind == AccountKind::Personal) {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }

    async fn login_sms(
        &self,
        mobile: &str,
        code: &str,
        client: &ClientFacts,
        at: i64,
    ) -> ServiceResult<LoginOutcome> {
        let mobile = validate::mainland_mobile(mobile).map_err(|e| invalid("mobile", e))?;
        let ok = self.check_code(&mobile, "login", code, at).await?;
        let account = self.account_by_mobile(&mobile).await?;
        let Some(account) = account else {
            return Err(wrong_code().into());
        };
        if !ok {
            self.note_login(
                &account,
                client,
                LoginMethod::Sms,
                LoginEventOutcome::Failure,
                at,
            )
            .await?;
            return Err(wrong_code().into());
        }
        // An SMS code proves possession of the real-name mobile: no step-up.
        self.note_login(
            &account,
            client,
            LoginMethod::Sms,
            LoginEventOutcome::Success,
            at,
        )
        .await?;
        self.start_session(account.id, "sms", at).await
    }

    /// Checks `code` against the live code of `purpose` for `mobile`, and uses it up if right.
    /// A wrong guess counts against the code.
    pub(crate) async fn check_code(
        &self,
        mobile: &str,
        purpose: &str,
        code: &str,
        at: i64,
    ) -> ServiceResult<bool> {
        let mobile_key = self
            .vault
            .pseudonym("sms-code-mobile", mobile.as_bytes())
            .to_vec();
        let Some(live) = self.repo.live_sms_code(&mobile_key, purpose, at).await? else {
            return Ok(false);
        };
        if live.attempts >= self.config.sms_code_max_attempts {
            return Ok(false);
        }
        let given = self.code_hash(&mobile_key, code.trim());
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_slice(),
            live.code_hash.as_slice(),
        )) {
            self.repo.sms_code_failed(&live.id).await?;
            return Ok(false);
        }
        Ok(self.repo.consume_sms_code(&live.id, at).await?)
    }

    /// Counts a hit on `(context, value)` in the current window of `window_secs`; refuses with
    /// `RATE_LIMITED` beyond `limit`. The value (an address, a mobile) is pseudonymized first.
    /// A per-address limit for other services' public endpoints (the certificate query, CERT-5):
    /// at most `limit` requests per `window_secs` from `source`, counted in the database (so
    /// across nodes) under a keyed pseudonym of the address, never the address itself.
    pub async fn limit_address(
        &self,
        context: &str,
        source: IpAddr,
        limit: u32,
        window_secs: i64,
        what: &str,
    ) -> ServiceResult<()> {
        self.rate_limit(
            context,
            &source.to_string(),
            limit,
            window_secs,
            now(),
            what,
        )
        .await
    }

    pub(crate) async fn rate_limit(
        &self,
        context: &str,
        value: &str,
        limit: u32,
        window_secs: i64,
        at: i64,
        what: &str,
    ) -> ServiceResult<()> {
        let bucket = self.vault.pseudonym(context, value.as_bytes());
        let window = at - at.rem_euclid(window_secs);
        let hits = self
            .repo
            .hit_rate_bucket(&bucket, window, window + window_secs, at)
            .await?;
        if hits > u64::from(limit) {
            let retry = window + window_secs - at;
            return Err(DomainError::new(
                ErrorCode::RateLimited,
                format!("{what}; retry in {retry} second(s)"),
            )
            .into());
        }
        Ok(())
    }

    pub(crate) async fn start_session(
        &self,
        account: AccountId,
        method: &str,
        at: i64,
    ) -> ServiceResult<LoginOutcome> {
        let raw: [u8; 32] = rand::random();
        let token = Zeroizing::new(URL_SAFE_NO_PAD.encode(raw));
        let expires_at = at + self.config.session_seconds;
        self.repo
            .insert_session(&SessionRecord {
                token_hash: token_hash(&token),
                account,
                method: method.to_owned(),
                created_at: at,
                expires_at,
            })
            .await?;
        tracing::info!(%account, method, "session started");
        Ok(LoginOutcome {
            account,
            token: SessionToken(token),
            expires_at,
        })
    }

    /// The account behind a session token, if the session is live.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<(AccountRecord, SessionRecord)> {
        // A token is 43 URL-safe base64 characters; anything else cannot be one.
        if token.len() != 43
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(no_session().into());
        }
        let (session, account) = self
            .repo
            .session(&token_hash(token), now())
            .await?
            .ok_or_else(no_session)?;
        Ok((account, session))
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> ServiceResult<()> {
        self.repo.delete_session(&token_hash(token)).await?;
        Ok(())
    }

    /// The account's own masked profile (for the account holder only).
    pub async fn profile(&self, account: &AccountRecord) -> ServiceResult<Profile> {
        let get = |f: &'static PiField| self.read_text(account.subject, f);
        let email = get(&PERSON_EMAIL).await?;
        let email_masked = match email.split_once('@') {
            Some((local, domain)) => format!("{}@{domain}", mask(local, 1, 0)),
            None => mask(&email, 0, 0),
        };
        Ok(Profile {
            username: get(&ACCOUNT_USERNAME).await?,
            name: get(&PERSON_NAME).await?,
            document_type: get(&PERSON_DOCUMENT_TYPE).await?,
            document_number_masked: mask(&get(&PERSON_DOCUMENT_NUMBER).await?, 2, 2),
            mobile_masked: mask(&get(&PERSON_MOBILE).await?, 3, 4),
            email_masked,
        })
    }

    /// Turns a device permission on or off (PRIV-3); earlier records stay valid.
    pub async fn set_permission(
        &self,
        account: AccountId,
        permission: Permission,
        granted: bool,
    ) -> ServiceResult<PermissionRecord> {
        let record = PermissionRecord {
            permission,
            granted,
            at: now(),
        };
        self.repo.insert_permission(account, &record).await?;
        Ok(record)
    }

    /// Every permission change of the account, oldest first.
    pub async fn permissions(&self, account: AccountId) -> ServiceResult<Vec<PermissionRecord>> {
        Ok(self.repo.permissions_of(account).await?)
    }

    /// Whether `permission` is on now (off unless turned on).
    pub async fn permission_granted(
        &self,
        account: AccountId,
        permission: Permission,
    ) -> ServiceResult<bool> {
        Ok(yinxin_domain::account::permission_granted(
            &self.permissions(account).await?,
            permission,
        ))
    }

    /// The account's consent records, oldest first.
    pub async fn consents(&self, account: AccountId) -> ServiceResult<Vec<ConsentRecord>> {
        Ok(self.repo.consents_of(account).await?)
    }
}

/// The consent records of a registration: the policy itself plus each separate consent, once.
pub(crate) fn registration_consents(
    account: AccountId,
    policy: &PolicyVersion,
    scopes: &[ConsentScope],
    at: i64,
) -> Vec<ConsentRecord> {
    let text_sha256 = policy.text_sha256.clone();
    let mut unique: Vec<ConsentScope> = vec![ConsentScope::PrivacyPolicy];
    for s in scopes {
        if !unique.contains(s) {
            unique.push(*s);
        }
    }
    unique
        .into_iter()
        .map(|scope| ConsentRecord {
            id: ConsentId::ordered(),
            account,
            policy_version: policy.version.clone(),
            scope,
            action: ConsentAction::Given,
            channel: "api".into(),
            text_sha256: text_sha256.clone(),
            at,
        })
        .collect()
}

/// The stored (and wire) name of a document type.
pub(crate) fn document_type_name(t: DocumentType) -> &'static str {
    match t {
        DocumentType::ResidentIdCard => "resident_id_card",
        DocumentType::Passport => "passport",
        DocumentType::HkMacaoResidentPermit => "hk_macao_resident_permit",
        DocumentType::TaiwanResidentPermit => "taiwan_resident_permit",
        DocumentType::ForeignPermanentResidentId => "foreign_permanent_resident_id",
    }
}

pub(crate) fn username_taken() -> DomainError {
    DomainError::new(
        ErrorCode::AlreadyExists,
        "username: this username is taken; choose another",
    )
}

fn wrong_credentials() -> DomainError {
    DomainError::new(
        ErrorCode::Unauthenticated,
        "the username or password is wrong",
    )
}

fn wrong_code() -> DomainError {
    DomainError::new(
        ErrorCode::Unauthenticated,
        "the SMS code is wrong, used or expired; request a new one",
    )
}

fn no_session() -> DomainError {
    DomainError::new(
        ErrorCode::Unauthenticated,
        "log in first: no valid session (cookie yinxin_session or Authorization: Bearer)",
    )
}

pub(crate) fn locked(seconds: i64) -> DomainError {
    DomainError::new(
        ErrorCode::AccountLocked,
        format!(
            "password login is locked for {} more minute(s) after repeated wrong passwords; \
             log in with an SMS code instead",
            (seconds + 59) / 60
        ),
    )
}
