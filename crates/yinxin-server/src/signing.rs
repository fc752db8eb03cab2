//! Signing with the keys the service holds (issue 6 items 3, 4 and 8; SIGN-1, SIGN-3, ACC-2).
//!
//! - `POST /api/v1/signing/intents` starts a confirmation of intent (意愿认证) for one
//!   certificate's key and one digest, by SMS or passkey; `POST
//!   /api/v1/signing/intents/{id}/confirm` confirms it.
//! - `POST /api/v1/signing/cms` makes a detached CMS signature over a document or only its
//!   digest, at B-T with the service's own timestamp by default.
//! - `GET /api/v1/signing/signatures` lists the signatures the caller made.
//!
//! **Whose key.** A person signs with the hosted key of one of their own certificates, and only
//! with a confirmed, unused, unexpired intent for exactly that certificate and digest: there is
//! no other way to a person's key ([`CertificateAuthority::hosted_signing`] is reached only from
//! here, after [`Accounts::intent_for`]). An agent applies an enterprise's seal with the hosted
//! key of the enterprise's certificate, under a live seal authorization for the purpose
//! (`Accounts::may_use_seal`): with their own confirmed intent for `contract_signing` and
//! `document_signing`, without one only for `auto_sign`, the enterprise's explicit authorization
//! of automatic sealing.
//!
//! **Recorded with the signature.** The intent is used up in the same transaction that records
//! the signature ([`Accounts::record_signature`]); a signature whose record could not be written,
//! or whose intent was used meanwhile, is discarded, never returned.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_crypto::KeyAlgorithm;
use yinxin_domain::seal::{SealAuthorization, SealPurpose};
use yinxin_domain::signing::{
    DocumentRecord, IntentDigest, IntentMethod, IntentRecord, SignatureFormat, SignatureRecord,
    from_hex,
};
use yinxin_domain::{AccountId, DomainError, ErrorCode, SealId};
use yinxin_identity::{IntentChallenge, IntentConfirmation, IntentConfirmed};
use yinxin_pki::ca::{CaError, CertificateAuthority, HostedKey};
use yinxin_pki::cms::{self, DigestAlgorithm};
use yinxin_pki::tsa::TimestampAuthority;
use yinxin_sign::timestamp::TimestampSource;
use yinxin_sign::{SignError, cades};

use crate::AppState;
use crate::certificates::ca;
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The largest signing request: a document of 16 MiB in base64, plus fields.
pub const SIGNING_BODY_MAX: usize = 24 * 1024 * 1024;

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(begin_intent))
        .routes(routes!(confirm_intent))
        .routes(routes!(my_signatures))
        .routes(routes!(signature_evidence_of))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(sign_cms))
                .layer(DefaultBodyLimit::max(SIGNING_BODY_MAX)),
        )
}

/// Which key signs: the caller's own certificate, or — with `enterprise` and `seal` — the
/// enterprise's certificate, to apply that seal for `purpose`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyChoice {
    /// The serial (hex) of the certificate whose hosted key signs.
    pub certificate: String,
    /// The enterprise (account id) whose seal is applied; with `seal`.
    #[serde(default)]
    pub enterprise: Option<String>,
    /// The seal applied; with `enterprise`.
    #[serde(default)]
    pub seal: Option<String>,
    /// What the seal is applied for (default `document_signing`); `auto_sign` needs no intent,
    /// only the enterprise's authorization of automatic sealing.
    #[serde(default)]
    pub purpose: Option<SealPurpose>,
}

/// A confirmation of intent to start.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentRequest {
    /// The key.
    #[serde(flatten)]
    pub key: KeyChoice,
    /// The digest algorithm: `sm3` for an SM2 key, `sha256` otherwise (the key's own).
    pub digest_algorithm: IntentDigest,
    /// The digest of what will be signed, hex.
    pub digest: String,
    /// `sms` or `passkey`.
    pub method: IntentMethod,
}

/// A key resolved for signing, and what allows its use.
pub(crate) struct KeyUse {
    pub(crate) key: HostedKey,
    pub(crate) digest: IntentDigest,
    pub(crate) enterprise: Option<AccountId>,
    pub(crate) seal: Option<(SealId, SealAuthorization)>,
    /// Whether a confirmed intent is needed (everything but `auto_sign`).
    pub(crate) needs_intent: bool,
}

/// Now, in Unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The digest algorithm of a key, as intents name it.
fn intent_digest(alg: KeyAlgorithm) -> Result<IntentDigest, ApiError> {
    match DigestAlgorithm::for_key(alg) {
        DigestAlgorithm::Sm3 => Ok(IntentDigest::Sm3),
        DigestAlgorithm::Sha256 => Ok(IntentDigest::Sha256),
        other => Err(DomainError::invalid(
            "certificate",
            format!(
                "its key signs {} digests, which confirmations of intent do not cover",
                other.name()
            ),
        )
        .into()),
    }
}

pub(crate) fn pki_digest(d: IntentDigest) -> DigestAlgorithm {
    match d {
        IntentDigest::Sha256 => DigestAlgorithm::Sha256,
        IntentDigest::Sm3 => DigestAlgorithm::Sm3,
    }
}

/// Resolves the key the caller asks for, checking every authorization but the intent.
pub(crate) async fn key_use(
    state: &AppState,
    caller: &Caller,
    k: &KeyChoice,
) -> Result<KeyUse, ApiError> {
    let ca: &Arc<CertificateAuthority> = ca(state)?;
    let serial = k.certificate.trim().to_ascii_lowercase();
    let (holder, subject, enterprise, seal, needs_intent) = match (&k.enterprise, &k.seal) {
        (None, None) => {
            if k.purpose.is_some() {
                return Err(DomainError::invalid("purpose", "is only for applying a seal").into());
            }
            (caller.account.id, caller.account.subject, None, None, true)
        }
        (Some(e), Some(s)) => {
            let enterprise: AccountId = path_id(e, "enterprise")?;
            let seal: SealId = path_id(s, "seal")?;
            let purpose = k.purpose.unwrap_or(SealPurpose::DocumentSigning);
            let now = unix_now();
            let Some(authorization) = state
                .accounts
                .may_use_seal(caller.account.id, enterprise, seal, purpose, now)
                .await?
            else {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "seal: you have no live authorization to use this seal for {} (a seal \
                         authorization and an enterprise authorization with use_seals)",
                        purpose.as_str()
                    ),
                ));
            };
            let account = state
                .accounts
                .enterprise_account(
                    caller.account.id,
                    enterprise,
                    yinxin_domain::enterprise::AgentScope::UseSeals,
                )
                .await?;
            (
                account.id,
                account.subject,
                Some(enterprise),
                Some((seal, authorization)),
                purpose != SealPurpose::AutoSign,
            )
        }
        (Some(_), None) => {
            return Err(DomainError::invalid(
                "seal",
                "an enterprise signs by applying one of its seals: name it",
            )
            .into());
        }
        (None, Some(_)) => {
            return Err(DomainError::invalid(
                "enterprise",
                "is required with seal: the enterprise's account id",
            )
            .into());
        }
    };
    let key = ca
        .hosted_signing(&serial, holder, subject)
        .await
        .map_err(|e| match e {
            CaError::NotFound => ApiError::new(
                ErrorCode::NotFound,
                "certificate: no such certificate of yours (or of the enterprise)",
            ),
            CaError::Refused(m) => ApiError::new(ErrorCode::Conflict, format!("certificate: {m}")),
            e => e.into(),
        })?;
    let digest = intent_digest(key.signer.algorithm())?;
    Ok(KeyUse {
        key,
        digest,
        enterprise,
        seal,
        needs_intent,
    })
}

fn hex_digest(field: &str, hex: &str, alg: IntentDigest) -> Result<Vec<u8>, ApiError> {
    let d =
        from_hex(hex.trim()).ok_or_else(|| DomainError::invalid(field, "must be hexadecimal"))?;
    if d.len() != 32 {
        return Err(DomainError::invalid(
            field,
            format!(
                "a {} digest is 32 bytes (64 hex digits), not {}",
                alg.as_str(),
                d.len()
            ),
        )
        .into());
    }
    Ok(d)
}

/// Starts a confirmation of intent (意愿认证) to sign one digest with one key. By SMS, a code goes
/// to the caller's real-name mobile; by passkey, the answer holds WebAuthn request options whose
/// challenge commits to the digest. Confirm within `expires_at`; the intent then allows one
/// signature of exactly that digest with that key.
#[utoipa::path(post, path = "/api/v1/signing/intents", tag = "signing",
    request_body = IntentRequest,
    responses(
        (status = 201, body = IntentChallenge),
        (status = 400, description = "A field is missing or wrong; the message names it", body = ErrorBody),
        (status = 403, description = "No authorization for the seal", body = ErrorBody),
        (status = 404, description = "No such certificate of the caller's", body = ErrorBody),
        (status = 409, description = "The certificate cannot sign (not hosted, revoked, expired)", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn begin_intent(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<IntentRequest>,
) -> Result<(axum::http::StatusCode, Json<IntentChallenge>), ApiError> {
    let u = key_use(&state, &caller, &req.key).await?;
    if req.digest_algorithm != u.digest {
        return Err(DomainError::invalid(
            "digest_algorithm",
            format!(
                "the key of this certificate signs {} digests",
                u.digest.as_str()
            ),
        )
        .into());
    }
    if !u.needs_intent {
        return Err(DomainError::invalid(
            "purpose",
            "auto_sign applies the seal without a confirmation of intent; none is needed",
        )
        .into());
    }
    let digest = hex_digest("digest", &req.digest, u.digest)?;
    let challenge = state
        .accounts
        .begin_intent(
            &caller.account,
            &u.key.record.serial,
            u.digest,
            &digest,
            req.method,
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(challenge)))
}

/// Confirms an intent: `{"code": "123456"}` for SMS, `{"credential": …}` (the passkey's
/// `PublicKeyCredential.toJSON()`) for a passkey.
#[utoipa::path(post, path = "/api/v1/signing/intents/{id}/confirm", tag = "signing",
    params(("id" = String, Path, description = "The intent")),
    request_body = IntentConfirmation,
    responses(
        (status = 200, body = IntentConfirmed),
        (status = 400, body = ErrorBody),
        (status = 401, description = "Wrong code, or the passkey assertion was not accepted", body = ErrorBody),
        (status = 403, description = "Used or expired", body = ErrorBody),
        (status = 404, description = "No such intent of the caller's", body = ErrorBody),
        (status = 409, description = "Confirmed already", body = ErrorBody)))]
async fn confirm_intent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<IntentConfirmation>,
) -> Result<Json<IntentConfirmed>, ApiError> {
    Ok(Json(
        state
            .accounts
            .confirm_intent(&caller.account, &id, &req)
            .await?,
    ))
}

/// A CMS signature to make.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CmsSignRequest {
    /// The key.
    #[serde(flatten)]
    pub key: KeyChoice,
    /// The document, base64 — or, instead, `digest`.
    #[serde(default)]
    pub content: Option<String>,
    /// The digest of the document under the key's algorithm (SM3 for SM2, SHA-256 otherwise),
    /// hex: the document never reaches the server (SIGN-1).
    #[serde(default)]
    pub digest: Option<String>,
    /// The confirmed intent for this certificate and digest; required except for `auto_sign`.
    #[serde(default)]
    pub intent_id: Option<String>,
    /// Whether to add a signature timestamp from the service's TSA (B-T); default true.
    #[serde(default)]
    pub timestamp: Option<bool>,
}

/// A signature made.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CmsSigned {
    /// Its record's id.
    pub signature_id: String,
    /// The detached CMS SignedData (DER ContentInfo), base64.
    pub signature: String,
    /// `B-B` or `B-T`.
    pub level: String,
    /// The digest signed, hex.
    pub digest: String,
}

/// What a signature needs before it is made: the intent checked (unless `auto_sign`).
pub(crate) async fn check_intent(
    state: &AppState,
    caller: &Caller,
    u: &KeyUse,
    intent_id: Option<&str>,
    digest: &[u8],
) -> Result<Option<IntentRecord>, ApiError> {
    if !u.needs_intent {
        return Ok(None);
    }
    let Some(id) = intent_id else {
        return Err(ApiError::new(
            ErrorCode::IntentRequired,
            "intent_id: signing with this key needs a fresh confirmation of your intent for this \
             digest (POST /api/v1/signing/intents, then confirm it)",
        ));
    };
    let intent = state
        .accounts
        .intent_for(&caller.account, id, &u.key.record.serial, u.digest, digest)
        .await?;
    Ok(Some(intent))
}

/// A token from the service's own TSA over `digest` under `hash`, or the refusal (nothing is
/// signed without its timestamp when one was asked for).
pub(crate) async fn own_timestamp(
    state: &AppState,
    hash: DigestAlgorithm,
    digest: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let tsa = state.tsa.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::ProviderUnavailable,
            "timestamp: the timestamp authority is not configured; ask for \"timestamp\": false",
        )
    })?;
    let nonce = uuid::Uuid::new_v4();
    let request = yinxin_pki::tsp::request(hash, digest, Some(&nonce.as_bytes()[..8]), true)
        .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
    let reply = tsa
        .respond(&request, None)
        .await
        .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
    yinxin_sign::timestamp::token_from_response(&reply.der).map_err(timestamp_refused)
}

/// The refusal of a signature whose timestamp the TSA refused. It carries the TSA's own status
/// text and failure info (RFC 3161 §2.4.2: what any TSA client is told; no secret), so that a
/// caller — and a test that failed — can tell a clock not trusted (`timeNotAvailable`) from a
/// system failure.
fn timestamp_refused(e: SignError) -> ApiError {
    tracing::warn!(error = %e, "signature timestamp refused");
    let why = match e {
        SignError::Timestamp(m) => m,
        other => other.to_string(),
    };
    ApiError::new(
        ErrorCode::ProviderUnavailable,
        format!(
            "timestamp: the timestamp authority cannot issue a token now ({why}); nothing was \
             signed; retry later"
        ),
    )
}

/// The service's own TSA as a [`TimestampSource`] for code running on a blocking thread (the
/// PAdES signer asks for tokens synchronously): each call waits for the TSA's answer on the
/// runtime it was made on. Never call it from an async task.
pub(crate) struct TsaSource {
    tsa: Arc<TimestampAuthority>,
    runtime: tokio::runtime::Handle,
}

impl TsaSource {
    /// Over `tsa`, on the current runtime (call it on the runtime, use it off).
    pub(crate) fn new(tsa: Arc<TimestampAuthority>) -> Self {
        Self {
            tsa,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The TSA certificates (DER), for validation data.
    pub(crate) fn certificates(&self) -> Vec<Vec<u8>> {
        self.tsa
            .algorithms()
            .into_iter()
            .filter_map(|a| self.tsa.certificate(a).ok().map(<[u8]>::to_vec))
            .collect()
    }
}

impl TimestampSource for TsaSource {
    fn timestamp(&self, hash: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let nonce = uuid::Uuid::new_v4();
        let request = yinxin_pki::tsp::request(hash, digest, Some(&nonce.as_bytes()[..8]), true)?;
        let reply = self
            .runtime
            .block_on(self.tsa.respond(&request, None))
            .map_err(|e| SignError::Timestamp(e.to_string()))?;
        yinxin_sign::timestamp::token_from_response(&reply.der)
    }
}

/// Runs a signing closure on a blocking thread (a PKCS#11 key blocks).
pub(crate) async fn blocking_sign<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SignError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| match e {
            SignError::Invalid(m) => ApiError::new(ErrorCode::InvalidInput, m),
            e @ SignError::Timestamp(_) => timestamp_refused(e),
            other => ApiError::internal(ErrorCode::Internal, other.to_string()),
        })
}

/// The record of a signature `caller` is about to make with `u`.
pub(crate) fn signature_record(
    caller: &Caller,
    u: &KeyUse,
    intent: Option<String>,
    format: SignatureFormat,
    digest: Vec<u8>,
    document: Option<&DocumentRecord>,
) -> SignatureRecord {
    SignatureRecord {
        id: uuid::Uuid::new_v4().to_string(),
        account: caller.account.id,
        certificate_serial: u.key.record.serial.clone(),
        intent,
        enterprise: u.enterprise,
        seal: u.seal.as_ref().map(|(s, _)| s.to_string()),
        seal_authorization: u.seal.as_ref().map(|(_, a)| a.id.to_string()),
        format,
        digest_algorithm: u.digest,
        digest,
        document: document.map(|d| d.id.clone()),
        created_at: unix_now(),
    }
}

/// The evidence entry of a signature (issue 7 item 2; EVID-1): type 4 for a person's signature,
/// type 5 for a seal, committing under part salts 1, 2, 3 of a fresh salt to — the signature
/// (`signed`: the CMS DER, or the signed PDF), the digest signed, and the intent's id (for a
/// seal applied under `auto_sign`, the authorization's id); for a seal, part 1 commits to the
/// seal use instead: `seal id \n authorization id \n agent account id \n` then the signature.
/// No PI: ids, digests and the signature, each hidden behind its salted hash.
pub(crate) fn signature_evidence(
    record: &SignatureRecord,
    signed: &[u8],
) -> Result<yinxin_domain::ledger::EvidenceEntry, ApiError> {
    use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
    let salt = Salt::random();
    let document = Commitment::to(&salt.part(2), &record.digest);
    let allowed_by = record
        .intent
        .as_deref()
        .or(record.seal_authorization.as_deref())
        .unwrap_or_default();
    let intent = Commitment::to(&salt.part(3), allowed_by.as_bytes());
    let body = match &record.seal {
        Some(seal) => {
            let mut seal_use = format!(
                "{seal}\n{}\n{}\n",
                record.seal_authorization.as_deref().unwrap_or_default(),
                record.account
            )
            .into_bytes();
            seal_use.extend_from_slice(signed);
            EntryBody::SealUse {
                seal_use: Commitment::to(&salt.part(1), &seal_use),
                document,
                intent,
            }
        }
        None => EntryBody::Signature {
            signature: Commitment::to(&salt.part(1), signed),
            document,
            intent,
        },
    };
    Entry {
        time_ms: record.created_at.saturating_mul(1000),
        body,
    }
    .evidence("signature", record.id.clone(), &salt)
    .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("evidence entry: {e}")))
}

/// Records a signature (using up its intent), with the signed document when there is one, and
/// queues its evidence entry (`signature`: the CMS DER or the signed PDF).
pub(crate) async fn record(
    state: &AppState,
    record: &SignatureRecord,
    signed: Option<(
        &yinxin_domain::account::AccountRecord,
        &DocumentRecord,
        &[u8],
    )>,
    signature: &[u8],
) -> Result<(), ApiError> {
    let evidence = signature_evidence(record, signature)?;
    state
        .accounts
        .record_signature(record, signed, &evidence)
        .await?;
    Ok(())
}

/// Makes a detached CMS signature (SIGN-1) with a hosted key: over `content`, or over `digest`
/// alone so the document never reaches the server. A person's key signs only with a confirmed
/// intent for this certificate and digest, used up by this signature; an enterprise's seal is
/// applied under the caller's seal authorization. B-T by default (the service's own
/// timestamp); `"timestamp": false` for B-B.
#[utoipa::path(post, path = "/api/v1/signing/cms", tag = "signing",
    request_body = CmsSignRequest,
    responses(
        (status = 200, body = CmsSigned),
        (status = 400, description = "A field is missing or wrong; the message names it", body = ErrorBody),
        (status = 403, description = "No confirmed intent (INTENT_REQUIRED) or no seal authorization (FORBIDDEN)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The certificate cannot sign", body = ErrorBody),
        (status = 503, description = "The timestamp authority cannot issue now; nothing was signed", body = ErrorBody)))]
async fn sign_cms(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CmsSignRequest>,
) -> Result<Json<CmsSigned>, ApiError> {
    let u = key_use(&state, &caller, &req.key).await?;
    let hash = pki_digest(u.digest);
    let digest = match (&req.content, &req.digest) {
        (Some(c), None) => {
            let content = STANDARD
                .decode(c.trim())
                .map_err(|_| DomainError::invalid("content", "must be base64"))?;
            hash.digest(&content)
        }
        (None, Some(d)) => hex_digest("digest", d, u.digest)?,
        _ => {
            return Err(DomainError::invalid(
                "content",
                "give exactly one of content (base64) and digest (hex)",
            )
            .into());
        }
    };
    let intent = check_intent(&state, &caller, &u, req.intent_id.as_deref(), &digest)
        .await?
        .map(|i| i.id);
    let (signer, cert, chain, d) = (
        u.key.signer.clone(),
        u.key.certificate_der.clone(),
        u.key.chain.clone(),
        digest.clone(),
    );
    let mut der = blocking_sign(move || {
        cades::sign(
            &cades::Request {
                input: cades::Input::Digest(&d),
                signer_certificate_der: &cert,
                chain: chain.get(..1).unwrap_or_default(),
                signing_time: Some(std::time::SystemTime::now()),
            },
            signer.as_ref(),
            None,
        )
    })
    .await?;
    let mut level = "B-B";
    if req.timestamp.unwrap_or(true) {
        let value = cms::signature_value(&der)
            .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
        let token = own_timestamp(&state, hash, &hash.digest(&value)).await?;
        der = cms::add_signature_timestamp(&der, &token)
            .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
        level = "B-T";
    }
    let r = signature_record(
        &caller,
        &u,
        intent,
        SignatureFormat::Cms,
        digest.clone(),
        None,
    );
    record(&state, &r, None, &der).await?;
    let id = r.id;
    Ok(Json(CmsSigned {
        signature_id: id,
        signature: STANDARD.encode(&der),
        level: level.into(),
        digest: yinxin_domain::signing::to_hex(&digest),
    }))
}

/// The signatures the caller made with keys the service holds, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/signing/signatures", tag = "signing",
    responses((status = 200, body = Vec<SignatureRecord>), (status = 401, body = ErrorBody)))]
async fn my_signatures(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SignatureRecord>>, ApiError> {
    Ok(Json(state.accounts.signatures_by(&caller.account).await?))
}

/// A signature's evidence, for the one who made it (issue 7 item 3; EVID-2): the proof bundle
/// of its entry in the evidence log and the salt that opens the entry's commitments to the
/// signature, the digest signed and the intent (docs/LEDGER.md). Another account's signature
/// is `404` as a missing one is.
#[utoipa::path(get, path = "/api/v1/signing/signatures/{id}/evidence", tag = "signing",
    params(("id" = String, Path, description = "The signature's id")),
    responses(
        (status = 200, body = crate::log::RecordEvidence),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such signature of yours, or its entry is not yet under a signed checkpoint (retry in a few seconds)", body = ErrorBody)))]
async fn signature_evidence_of(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<crate::log::RecordEvidence>, ApiError> {
    let record = state.accounts.signature(&id, &caller.account).await?;
    Ok(Json(
        crate::log::record_evidence(&state, "signature", &record.id).await?,
    ))
}
