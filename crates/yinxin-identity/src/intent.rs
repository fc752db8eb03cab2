//! Confirmation of intent to sign (意愿认证, issue 6 item 3; SIGN-1, SIGN-3).
//!
//! Before a key the service holds signs for a person, that person confirms, freshly, that this key
//! may sign this digest: [`Accounts::begin_intent`] binds an intent to the account, the
//! certificate, the digest algorithm and the digest, and sends the confirmation challenge;
//! [`Accounts::confirm_intent`] checks the answer; [`Accounts::intent_for`] tells the signing
//! code whether an intent is usable for exactly what it is about to sign; and
//! [`Accounts::record_signature`] uses the intent up in the same transaction that records the
//! signature, so one confirmation yields one signature, and an expired, unconfirmed or used one
//! none.
//!
//! - **SMS**: a six-digit code sent to the account's real-name mobile for this intent alone (the
//!   code's purpose is `intent:<id>`), with the first eight hex digits of the digest in the
//!   message so the person sees what they confirm. Wrong guesses count against the code.
//! - **Passkey**: WebAuthn request options for the account's own passkeys, with user
//!   verification required, whose challenge is `SHA-256("yinxin-intent-v1" || 0x00 || nonce ||
//!   algorithm || 0x00 || digest)`. The nonce is returned, so a client can check that the
//!   challenge its authenticator signs commits to the digest it shows.
//!
//! Which certificates an account may start an intent for (its own hosted key, or an enterprise's
//! for an agent with a seal authorization) is the signing code's check, made before
//! [`Accounts::begin_intent`]; this module binds and confirms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord};
use yinxin_domain::inventory::{PERSON_MOBILE, SIGNING_DOCUMENT};
use yinxin_domain::pi::{Purpose, mask};
use yinxin_domain::signing::{
    DocumentRecord, IntentDigest, IntentMethod, IntentRecord, IntentRefusal, SignatureRecord,
    to_hex,
};
use yinxin_domain::{DomainError, ErrorCode};
use zeroize::Zeroizing;

use crate::service::{Accounts, ServiceError, ServiceResult, now};
use crate::webauthn::{self, AuthenticationResponse, StoredCredential};

/// The label of the passkey challenge's commitment.
const CHALLENGE_LABEL: &[u8] = b"yinxin-intent-v1";

/// The challenge an intent's passkey assertion signs: a commitment to the nonce and the digest.
pub fn intent_challenge(nonce: &[u8], algorithm: IntentDigest, digest: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(CHALLENGE_LABEL);
    h.update([0]);
    h.update(nonce);
    h.update(algorithm.as_str().as_bytes());
    h.update([0]);
    h.update(digest);
    h.finalize().to_vec()
}

/// A started intent: what to answer and until when.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IntentChallenge {
    /// Send this back with the confirmation, and with the signing request.
    pub intent_id: String,
    /// How it is confirmed.
    pub method: IntentMethod,
    /// Unix second until which it may be confirmed and used.
    pub expires_at: i64,
    /// For SMS, the mobile the code went to, masked (`138****5678`).
    pub sent_to: Option<String>,
    /// For a passkey, `PublicKeyCredentialRequestOptionsJSON` (WebAuthn L3).
    #[schema(value_type = Option<Object>)]
    pub public_key: Option<serde_json::Value>,
    /// For a passkey, the nonce (base64url) of the challenge's commitment to the digest.
    pub nonce: Option<String>,
}

/// A confirmation: the SMS code, or the passkey's answer.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentConfirmation {
    /// The six-digit code sent by SMS.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub code: Option<Zeroizing<String>>,
    /// `PublicKeyCredential.toJSON()` of the assertion.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub credential: Option<AuthenticationResponse>,
}

/// A confirmed intent.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IntentConfirmed {
    /// Its id.
    pub intent_id: String,
    /// Unix second of the confirmation.
    pub confirmed_at: i64,
    /// Unix second until which it may be used, once.
    pub expires_at: i64,
}

fn no_intent() -> ServiceError {
    DomainError::new(
        ErrorCode::NotFound,
        "intent_id: no such confirmation of intent of yours",
    )
    .into()
}

/// The refusal of an intent that cannot be used, naming the field and what is wrong.
pub fn intent_refused(r: IntentRefusal) -> DomainError {
    let why = match r {
        IntentRefusal::Used => "was used already: each confirmation allows one signature",
        IntentRefusal::Unconfirmed => "is not confirmed yet",
        IntentRefusal::Expired => "expired; start a new one",
    };
    DomainError::new(
        ErrorCode::IntentRequired,
        format!("intent_id: the confirmation of intent {why}"),
    )
}

impl Accounts {
    /// Starts an intent for `account` to sign `digest` with the key of certificate `serial`
    /// (already checked by the caller to be one `account` may use), and sends its challenge.
    pub async fn begin_intent(
        &self,
        account: &AccountRecord,
        serial: &str,
        algorithm: IntentDigest,
        digest: &[u8],
        method: IntentMethod,
    ) -> ServiceResult<IntentChallenge> {
        if account.kind != AccountKind::Personal {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "intent: only a person confirms an intent to sign; an enterprise signs through \
                 its authorized agents",
            )
            .into());
        }
        let want = match algorithm {
            IntentDigest::Sha256 | IntentDigest::Sm3 => 32,
        };
        if digest.len() != want {
            return Err(DomainError::invalid(
                "digest",
                format!(
                    "a {} digest is {want} bytes ({} hex digits), not {}",
                    algorithm.as_str(),
                    want * 2,
                    digest.len()
                ),
            )
            .into());
        }
        let at = now();
        self.rate_limit(
            "intent-account",
            &account.id.to_string(),
            self.config.intents_per_account_per_hour,
            3600,
            at,
            "too many confirmations of intent started by this account",
        )
        .await?;
        let id = uuid::Uuid::new_v4().to_string();
        let expires_at = at + self.config.intent_seconds;
        let mut record = IntentRecord {
            id: id.clone(),
            account: account.id,
            certificate_serial: serial.to_owned(),
            digest_algorithm: algorithm,
            digest: digest.to_vec(),
            method,
            challenge: None,
            created_at: at,
            expires_at,
            confirmed_at: None,
            evidence: None,
            used_at: None,
        };
        let mut answer = IntentChallenge {
            intent_id: id.clone(),
            method,
            expires_at,
            sent_to: None,
            public_key: None,
            nonce: None,
        };
        match method {
            IntentMethod::Sms => {
                let mobile = self.intent_mobile(account).await?;
                self.repo.insert_intent(&record).await?;
                let digest_hex = to_hex(digest.get(..4).unwrap_or_default());
                self.send_code_with(
                    &mobile,
                    &format!("intent:{id}"),
                    self.config.sms_intent_template,
                    &[("digest", &digest_hex)],
                    at,
                )
                .await?;
                answer.sent_to = Some(mask(&mobile, 3, 4));
            }
            IntentMethod::Passkey => {
                let mut allow = Vec::new();
                for p in self.repo.passkeys_of(account.id).await? {
                    let c = self.sealed_credential(account.subject, &p).await?;
                    allow.push(URL_SAFE_NO_PAD.decode(&c.id).unwrap_or_default());
                }
                if allow.is_empty() {
                    return Err(DomainError::invalid(
                        "method",
                        "this account has no passkey; register one or confirm by SMS",
                    )
                    .into());
                }
                let nonce = webauthn::new_challenge();
                let challenge = intent_challenge(&nonce, algorithm, digest);
                answer.public_key = Some(webauthn::request_options(
                    self.relying_party(),
                    &challenge,
                    &allow,
                ));
                answer.nonce = Some(URL_SAFE_NO_PAD.encode(nonce));
                record.challenge = Some(challenge);
                self.repo.insert_intent(&record).await?;
            }
        }
        tracing::info!(account = %account.id, intent = %id, method = method.as_str(), "intent to sign started");
        Ok(answer)
    }

    /// The real-name mobile an SMS confirmation goes to.
    async fn intent_mobile(&self, account: &AccountRecord) -> ServiceResult<Zeroizing<String>> {
        match self
            .vault
            .get_string(account.subject, &PERSON_MOBILE)
            .await?
        {
            Some(m) => Ok(Zeroizing::new(
                m.expose(Purpose::ElectronicSigning)?.to_string(),
            )),
            None => Err(DomainError::invalid(
                "method",
                "this account has no mobile number; confirm with a passkey",
            )
            .into()),
        }
    }

    /// Confirms an intent of `account` with the SMS code or the passkey assertion.
    pub async fn confirm_intent(
        &self,
        account: &AccountRecord,
        id: &str,
        c: &IntentConfirmation,
    ) -> ServiceResult<IntentConfirmed> {
        let at = now();
        let intent = self
            .repo
            .intent(id, account.id)
            .await?
            .ok_or_else(no_intent)?;
        if intent.used_at.is_some() {
            return Err(intent_refused(IntentRefusal::Used).into());
        }
        if intent.confirmed_at.is_some() {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "intent_id: the confirmation of intent is confirmed already",
            )
            .into());
        }
        if at >= intent.expires_at {
            return Err(intent_refused(IntentRefusal::Expired).into());
        }
        let evidence = match (intent.method, &c.code, &c.credential) {
            (IntentMethod::Sms, Some(code), None) => {
                let mobile = self.intent_mobile(account).await?;
                if !self
                    .check_code(&mobile, &format!("intent:{id}"), code, at)
                    .await?
                {
                    tracing::info!(account = %account.id, intent = %id, "intent code refused");
                    return Err(DomainError::new(
                        ErrorCode::Unauthenticated,
                        "code: wrong or expired code; after a few wrong ones the code stops \
                         working, and a new intent sends a new one",
                    )
                    .into());
                }
                "sms".to_owned()
            }
            (IntentMethod::Passkey, None, Some(credential)) => {
                self.intent_assertion(account, &intent, credential, at)
                    .await?
            }
            (IntentMethod::Sms, _, _) => {
                return Err(DomainError::invalid(
                    "code",
                    "this intent is confirmed by the SMS code alone",
                )
                .into());
            }
            (IntentMethod::Passkey, _, _) => {
                return Err(DomainError::invalid(
                    "credential",
                    "this intent is confirmed by a passkey assertion alone",
                )
                .into());
            }
        };
        if !self.repo.confirm_intent(id, &evidence, at).await? {
            return Err(intent_refused(IntentRefusal::Expired).into());
        }
        tracing::info!(account = %account.id, intent = %id, "intent to sign confirmed");
        Ok(IntentConfirmed {
            intent_id: id.to_owned(),
            confirmed_at: at,
            expires_at: intent.expires_at,
        })
    }

    /// Checks a passkey assertion for an intent: one of `account`'s own passkeys, over the
    /// intent's challenge, user verified, counter advancing. Returns the evidence to record.
    async fn intent_assertion(
        &self,
        account: &AccountRecord,
        intent: &IntentRecord,
        credential: &AuthenticationResponse,
        at: i64,
    ) -> ServiceResult<String> {
        let refused = |why: &str| -> ServiceError {
            DomainError::new(
                ErrorCode::Unauthenticated,
                format!("credential: the passkey assertion was not accepted ({why})"),
            )
            .into()
        };
        let challenge = intent
            .challenge
            .as_deref()
            .ok_or_else(|| ServiceError::Internal("passkey intent without a challenge".into()))?;
        let raw_id = URL_SAFE_NO_PAD
            .decode(credential.raw_id.trim_end_matches('='))
            .map_err(|_| refused("rawId is not base64url"))?;
        let key = self.credential_key(&raw_id);
        let stored = self
            .repo
            .passkey(&key)
            .await?
            .filter(|p| p.account == account.id)
            .ok_or_else(|| refused("not a passkey of this account"))?;
        let sealed = self.sealed_credential(account.subject, &stored).await?;
        let check = StoredCredential {
            credential_id: raw_id,
            public_key_cose: URL_SAFE_NO_PAD.decode(&sealed.cose).unwrap_or_default(),
            sign_count: stored.sign_count,
            user_handle: self.user_handle(account.id),
        };
        let outcome =
            match webauthn::verify_assertion(self.relying_party(), challenge, &check, credential) {
                Ok(o) => o,
                Err(e) if e.is_server_fault() => {
                    return Err(ServiceError::Internal(format!("stored passkey: {e}")));
                }
                Err(e) => return Err(refused(&format!("{}: {}", e.field(), e.reason()))),
            };
        if !self
            .repo
            .advance_passkey(&key, stored.sign_count, outcome.new_sign_count, at)
            .await?
        {
            return Err(refused("the signature counter did not advance"));
        }
        Ok(format!("passkey:{}", URL_SAFE_NO_PAD.encode(&key)))
    }

    /// The intent `id` of `account`, if it is usable now for exactly this certificate, digest
    /// algorithm and digest; the refusal names what is wrong. The signing code calls this before
    /// it signs, and [`Accounts::record_signature`] settles it atomically after.
    pub async fn intent_for(
        &self,
        account: &AccountRecord,
        id: &str,
        serial: &str,
        algorithm: IntentDigest,
        digest: &[u8],
    ) -> ServiceResult<IntentRecord> {
        let intent = self
            .repo
            .intent(id, account.id)
            .await?
            .ok_or_else(no_intent)?;
        if intent.used_at.is_some() {
            return Err(intent_refused(IntentRefusal::Used).into());
        }
        if intent.confirmed_at.is_none() {
            return Err(intent_refused(IntentRefusal::Unconfirmed).into());
        }
        if now() >= intent.expires_at {
            return Err(intent_refused(IntentRefusal::Expired).into());
        }
        let bound = |what: &str| -> ServiceError {
            DomainError::new(
                ErrorCode::IntentRequired,
                format!("intent_id: the confirmation of intent is for another {what}"),
            )
            .into()
        };
        if intent.certificate_serial != serial {
            return Err(bound("certificate"));
        }
        if intent.digest_algorithm != algorithm || intent.digest != digest {
            return Err(bound("digest: it does not cover what is being signed"));
        }
        Ok(intent)
    }

    /// Records a signature, using up its intent in the same transaction, with the signed
    /// document (sealed under `signer`'s subject, bound to its id) when there is one; refused
    /// (and nothing written) if the intent was used, or expired, meanwhile. Its evidence entry is
    /// queued for the log in the same transaction.
    pub async fn record_signature(
        &self,
        record: &SignatureRecord,
        signed: Option<(&AccountRecord, &DocumentRecord, &[u8])>,
        evidence: &yinxin_domain::ledger::EvidenceEntry,
    ) -> ServiceResult<()> {
        let sealed = match signed {
            Some((owner, d, bytes)) => Some((
                d,
                self.vault
                    .seal_record(owner.subject, &SIGNING_DOCUMENT, d.id.as_bytes(), bytes)
                    .await?,
            )),
            None => None,
        };
        let signed = sealed.as_ref().map(|(d, s)| (*d, s.as_slice()));
        match self.repo.record_signature(record, signed, evidence).await? {
            Ok(()) => {
                tracing::info!(
                    account = %record.account,
                    signature = %record.id,
                    format = record.format.as_str(),
                    intent = record.intent.as_deref().unwrap_or("-"),
                    seal = record.seal.as_deref().unwrap_or("-"),
                    "signature recorded"
                );
                Ok(())
            }
            Err(r) => Err(intent_refused(r).into()),
        }
    }

    /// Stores a document uploaded by `owner` for signing, sealed under their subject.
    pub async fn store_document(
        &self,
        owner: &AccountRecord,
        d: &DocumentRecord,
        bytes: &[u8],
    ) -> ServiceResult<()> {
        let sealed = self
            .vault
            .seal_record(owner.subject, &SIGNING_DOCUMENT, d.id.as_bytes(), bytes)
            .await?;
        self.repo.insert_document(d, &sealed).await?;
        tracing::info!(account = %owner.id, document = %d.id, size = d.size, "document stored");
        Ok(())
    }

    /// One of `owner`'s documents and its bytes; another account's is `NOT_FOUND`.
    pub async fn document(
        &self,
        owner: &AccountRecord,
        id: &str,
    ) -> ServiceResult<(DocumentRecord, Zeroizing<Vec<u8>>)> {
        let (d, sealed) =
            self.repo
                .document(id, owner.id)
                .await?
                .ok_or_else(|| -> ServiceError {
                    DomainError::new(ErrorCode::NotFound, "document: no such document of yours")
                        .into()
                })?;
        let plain = self
            .vault
            .open_record(owner.subject, &SIGNING_DOCUMENT, d.id.as_bytes(), &sealed)
            .await?;
        let bytes = Zeroizing::new(plain.expose(Purpose::ElectronicSigning)?.clone());
        Ok((d, bytes))
    }

    /// The signature `id` if `account` made it; another account's, or none, is
    /// `NOT_FOUND` alike (no probing of ids).
    pub async fn signature(
        &self,
        id: &str,
        account: &AccountRecord,
    ) -> ServiceResult<SignatureRecord> {
        self.repo.signature(id, account.id).await?.ok_or_else(|| {
            DomainError::new(ErrorCode::NotFound, "signature: no such signature of yours").into()
        })
    }

    /// The signatures `account` made, newest first.
    pub async fn signatures_by(
        &self,
        account: &AccountRecord,
    ) -> ServiceResult<Vec<SignatureRecord>> {
        Ok(self.repo.signatures_by(account.id, 200).await?)
    }
}
