//! Passkey registration and login (ACC-3): the privacy-preserving form of "biometric login".
//!
//! The fingerprint or face unlocks a key on the user's device; the service only checks the
//! device's signature over a one-time challenge (the verifier is [`crate::webauthn`]) and that
//! the device verified its user (UV). No biometric data reaches the service, so none can be
//! stored. Password and SMS login stay available: a passkey is an addition, never a
//! replacement.
//!
//! Login uses discoverable credentials with an empty allow list, so starting a login tells
//! nothing about which accounts exist. What is stored: a keyed pseudonym of the credential id
//! (to find it), the credential sealed under the account's subject, and the signature counter.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::inventory::{ACCOUNT_PASSKEY, ACCOUNT_USERNAME};
use yinxin_domain::passkey::{ChallengeRecord, PasskeyRecord};
use yinxin_domain::pi::Purpose;
use yinxin_domain::repo::StoreError;
use yinxin_domain::{AccountId, DomainError, ErrorCode};

use crate::risk::ClientFacts;
use crate::service::{Accounts, LoginOutcome, ServiceError, ServiceResult, now};
use crate::webauthn::{
    self, AuthenticationResponse, NewCredential, RegistrationResponse, RelyingParty,
    StoredCredential, WebauthnError,
};
use yinxin_domain::risk::{LoginEventOutcome, LoginMethod};

/// Seconds a challenge stays usable (the browser's own timeout is 300 s).
const CHALLENGE_SECONDS: i64 = 300;

/// Options for the browser, and the id of the challenge in them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PasskeyChallenge {
    /// Send this back with the authenticator's answer.
    pub challenge_id: String,
    /// `PublicKeyCredentialCreationOptionsJSON` or `…RequestOptionsJSON` (WebAuthn L3), for
    /// `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON`.
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
}

/// A passkey registration's finish.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegistration {
    /// From the options.
    pub challenge_id: String,
    /// `PublicKeyCredential.toJSON()` of the new credential.
    #[schema(value_type = Object)]
    pub credential: RegistrationResponse,
}

/// A registered passkey, as its owner sees it. Nothing here is biometric.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PasskeyInfo {
    /// Opaque id of the passkey here (for deletion); not the credential id.
    pub id: String,
    /// `ES256` or `EdDSA`.
    pub algorithm: String,
    /// Whether the passkey may sync to the user's other devices.
    pub backup_eligible: bool,
    /// The attestation format the device sent (recorded, not relied on).
    pub attestation_format: String,
    /// Unix second of registration.
    pub created_at: i64,
    /// Unix second of the last login with it.
    pub last_used_at: Option<i64>,
}

/// The sealed part of a passkey.
#[derive(Serialize, Deserialize)]
pub(crate) struct SealedCredential {
    pub(crate) id: String,
    pub(crate) cose: String,
    alg: i64,
    aaguid: String,
    fmt: String,
    transports: Vec<String>,
    backup_eligible: bool,
}

fn refused(e: &WebauthnError) -> ServiceError {
    if e.is_server_fault() {
        return ServiceError::Internal(format!("stored passkey: {e}"));
    }
    DomainError::invalid(&format!("credential.{}", e.field()), e.reason()).into()
}

fn not_accepted() -> ServiceError {
    DomainError::new(
        ErrorCode::Unauthenticated,
        "the passkey was not accepted; log in with your password or an SMS code instead",
    )
    .into()
}

fn bad_challenge() -> ServiceError {
    DomainError::new(
        ErrorCode::Unauthenticated,
        "challenge_id: the passkey challenge is unknown, used or expired; request new options",
    )
    .into()
}

impl Accounts {
    pub(crate) fn relying_party(&self) -> &RelyingParty {
        &self.relying_party
    }

    /// The account's WebAuthn user handle: a keyed pseudonym of the account id, so it is stable,
    /// carries no personal information, and needs no storage.
    pub(crate) fn user_handle(&self, account: AccountId) -> Vec<u8> {
        self.vault
            .pseudonym("webauthn-user-handle", account.as_bytes())
            .to_vec()
    }

    pub(crate) fn credential_key(&self, credential_id: &[u8]) -> Vec<u8> {
        self.vault
            .pseudonym("passkey-credential", credential_id)
            .to_vec()
    }

    async fn new_challenge(
        &self,
        purpose: &str,
        account: Option<AccountId>,
    ) -> ServiceResult<ChallengeRecord> {
        let at = now();
        let record = ChallengeRecord {
            id: uuid::Uuid::new_v4().to_string(),
            purpose: purpose.to_owned(),
            account,
            challenge: webauthn::new_challenge().to_vec(),
            created_at: at,
            expires_at: at + CHALLENGE_SECONDS,
        };
        self.repo.insert_challenge(&record).await?;
        Ok(record)
    }

    pub(crate) async fn sealed_credential(
        &self,
        subject: yinxin_domain::SubjectId,
        p: &PasskeyRecord,
    ) -> ServiceResult<SealedCredential> {
        let plain = self
            .vault
            .open_record(subject, &ACCOUNT_PASSKEY, &p.credential_key, &p.sealed)
            .await?;
        serde_json::from_slice(plain.expose(Purpose::Login)?)
            .map_err(|e| ServiceError::Internal(format!("stored passkey: {e}")))
    }

    /// Starts registering a passkey for the caller's own account.
    pub async fn begin_passkey_registration(
        &self,
        account: &AccountRecord,
    ) -> ServiceResult<PasskeyChallenge> {
        let challenge = self.new_challenge("register", Some(account.id)).await?;
        let username = self.read_text(account.subject, &ACCOUNT_USERNAME).await?;
        let mut exclude = Vec::new();
        for p in self.repo.passkeys_of(account.id).await? {
            let c = self.sealed_credential(account.subject, &p).await?;
            exclude.push(URL_SAFE_NO_PAD.decode(&c.id).unwrap_or_default());
        }
        Ok(PasskeyChallenge {
            challenge_id: challenge.id,
            public_key: webauthn::creation_options(
                self.relying_party(),
                &challenge.challenge,
                &self.user_handle(account.id),
                &username,
                &username,
                &exclude,
            ),
        })
    }

    /// Verifies and stores a new passkey for the caller's own account.
    pub async fn finish_passkey_registration(
        &self,
        account: &AccountRecord,
        r: &PasskeyRegistration,
    ) -> ServiceResult<PasskeyInfo> {
        let at = now();
        let challenge = self
            .repo
            .take_challenge(&r.challenge_id, "register", at)
            .await?
            .filter(|c| c.account == Some(account.id))
            .ok_or_else(|| {
                DomainError::invalid(
                    "challenge_id",
                    "unknown, used or expired; request new options",
                )
            })?;
        let new: NewCredential = webauthn::verify_registration(
            self.relying_party(),
            &challenge.challenge,
            &r.credential,
        )
        .map_err(|e| refused(&e))?;
        let credential_key = self.credential_key(&new.credential_id);
        let sealed = SealedCredential {
            id: URL_SAFE_NO_PAD.encode(&new.credential_id),
            cose: URL_SAFE_NO_PAD.encode(&new.public_key_cose),
            alg: new.algorithm,
            aaguid: new.aaguid.iter().map(|b| format!("{b:02x}")).collect(),
            fmt: new.attestation_format.clone(),
            transports: new.transports.clone(),
            backup_eligible: new.backup_eligible,
        };
        let bytes = serde_json::to_vec(&sealed)
            .map_err(|e| ServiceError::Internal(format!("sealing a passkey: {e}")))?;
        let record = PasskeyRecord {
            sealed: self
                .vault
                .seal_record(account.subject, &ACCOUNT_PASSKEY, &credential_key, &bytes)
                .await?,
            credential_key,
            account: account.id,
            sign_count: new.sign_count,
            created_at: at,
            last_used_at: None,
        };
        match self.repo.insert_passkey(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(DomainError::new(
                    ErrorCode::AlreadyExists,
                    "credential: this passkey is already registered",
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(account = %account.id, fmt = %new.attestation_format, "passkey registered");
        Ok(info(&record, &sealed))
    }

    /// The caller's passkeys.
    pub async fn passkeys(&self, account: &AccountRecord) -> ServiceResult<Vec<PasskeyInfo>> {
        let mut out = Vec::new();
        for p in self.repo.passkeys_of(account.id).await? {
            let c = self.sealed_credential(account.subject, &p).await?;
            out.push(info(&p, &c));
        }
        Ok(out)
    }

    /// Deletes one of the caller's passkeys (`id` from [`PasskeyInfo`]).
    pub async fn delete_passkey(&self, account: AccountId, id: &str) -> ServiceResult<()> {
        let key = URL_SAFE_NO_PAD
            .decode(id)
            .map_err(|_| DomainError::new(ErrorCode::NotFound, "no such passkey of yours"))?;
        if !self.repo.delete_passkey(account, &key).await? {
            return Err(DomainError::new(ErrorCode::NotFound, "no such passkey of yours").into());
        }
        tracing::info!(%account, "passkey deleted");
        Ok(())
    }

    /// Starts a passkey login: options with an empty allow list (discoverable credentials), so
    /// nothing about accounts is revealed. Limited per source address like logins.
    pub async fn begin_passkey_login(&self, source: IpAddr) -> ServiceResult<PasskeyChallenge> {
        self.rate_limit(
            "passkey-options-address",
            &source.to_string(),
            self.config.logins_per_address_per_minute,
            60,
            now(),
            "too many passkey logins started from this address",
        )
        .await?;
        let challenge = self.new_challenge("login", None).await?;
        Ok(PasskeyChallenge {
            challenge_id: challenge.id,
            public_key: webauthn::request_options(self.relying_party(), &challenge.challenge, &[]),
        })
    }

    /// Logs in with a passkey assertion (called by [`Accounts::login`]).
    pub(crate) async fn login_passkey(
        &self,
        challenge_id: &str,
        credential: &AuthenticationResponse,
        client: &ClientFacts,
        at: i64,
    ) -> ServiceResult<LoginOutcome> {
        let challenge = self
            .repo
            .take_challenge(challenge_id, "login", at)
            .await?
            .ok_or_else(bad_challenge)?;
        let raw_id = URL_SAFE_NO_PAD
            .decode(credential.raw_id.trim_end_matches('='))
            .map_err(|_| not_accepted())?;
        let stored = self
            .repo
            .passkey(&self.credential_key(&raw_id))
            .await?
            .ok_or_else(not_accepted)?;
        let account = self
            .repo
            .account(stored.account)
            .await?
            .ok_or_else(not_accepted)?;
        let sealed = self.sealed_credential(account.subject, &stored).await?;
        let check = StoredCredential {
            credential_id: raw_id,
            public_key_cose: URL_SAFE_NO_PAD.decode(&sealed.cose).unwrap_or_default(),
            sign_count: stored.sign_count,
            user_handle: self.user_handle(account.id),
        };
        let outcome = match webauthn::verify_assertion(
            self.relying_party(),
            &challenge.challenge,
            &check,
            credential,
        ) {
            Ok(o) => o,
            Err(e) if e.is_server_fault() => return Err(refused(&e)),
            Err(e) => {
                tracing::info!(account = %account.id, field = e.field(), "passkey login refused");
                self.note_login(
                    &account,
                    client,
                    LoginMethod::Passkey,
                    LoginEventOutcome::Failure,
                    at,
                )
                .await?;
                return Err(DomainError::new(
                    ErrorCode::Unauthenticated,
                    format!(
                        "the passkey was not accepted ({}: {}); log in with your password or an \
                         SMS code instead",
                        e.field(),
                        e.reason()
                    ),
                )
                .into());
            }
        };
        if !self
            .repo
            .advance_passkey(
                &stored.credential_key,
                stored.sign_count,
                outcome.new_sign_count,
                at,
            )
            .await?
        {
            // A counter that did not advance: a cloned authenticator, or a replay.
            self.note_login(
                &account,
                client,
                LoginMethod::Passkey,
                LoginEventOutcome::Failure,
                at,
            )
            .await?;
            return Err(not_accepted());
        }
        // A passkey with user verification is already strong: no step-up (ACC-5).
        self.note_login(
            &account,
            client,
            LoginMethod::Passkey,
            LoginEventOutcome::Success,
            at,
        )
        .await?;
        self.start_session(account.id, "passkey", at).await
    }
}

fn info(p: &PasskeyRecord, c: &SealedCredential) -> PasskeyInfo {
    PasskeyInfo {
        id: URL_SAFE_NO_PAD.encode(&p.credential_key),
        algorithm: match c.alg {
            webauthn::ALG_ES256 => "ES256".into(),
            webauthn::ALG_EDDSA => "EdDSA".into(),
            other => other.to_string(),
        },
        backup_eligible: c.backup_eligible,
        attestation_format: c.fmt.clone(),
        created_at: p.created_at,
        last_used_at: p.last_used_at,
    }
}
