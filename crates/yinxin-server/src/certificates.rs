//! The certificate authority over HTTP (CERT-1, CERT-2, CERT-3, CERT-5): issuance to a verified
//! person from a PKCS#10 request or with a hosted key, event certificates, renewal, the holder's
//! certificates, revocation, destruction of a hosted key, the public certificate query, the CA
//! chains, the CRLs and OCSP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_crypto::KeyAlgorithm;
use yinxin_domain::certificate::CertificateRecord;
use yinxin_domain::{DomainError, ErrorCode};
use yinxin_pki::ca::{
    Actor, CaError, CertificateAuthority, IssueRequest, RenewRequest, RenewalKey, SubjectKey,
    VerifiedSubject,
};
use yinxin_pki::crl::RevocationReason;
use yinxin_pki::event::{EventBinding, EventDigestAlgorithm};
use yinxin_pki::profile::ProfileKind;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiJsonOrEmpty, Caller, MaybeCaller};

/// The PKI routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(issue_certificate))
        .routes(routes!(my_certificates))
        .routes(routes!(enterprise_certificates))
        .routes(routes!(query_certificate))
        .routes(routes!(find_certificate))
        .routes(routes!(revoke_certificate))
        .routes(routes!(renew_certificate))
        .routes(routes!(destroy_hosted_key))
        .routes(routes!(certificate_evidence))
        .routes(routes!(chain_pem))
        .routes(routes!(crl))
        .routes(routes!(ocsp_post))
        .routes(routes!(ocsp_get))
}

/// The largest OCSP request read (RFC 6960 requests are a few hundred bytes).
const OCSP_REQUEST_MAX: usize = 64 * 1024;

fn ocsp_reply(der: Vec<u8>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/ocsp-response")], der)
}

/// OCSP (RFC 6960) over POST: the body is the DER OCSPRequest. Every answer is an OCSPResponse,
/// HTTP 200, even a refusal (`malformedRequest`, `unauthorized`), as RFC 6960 §A.1 has it.
#[utoipa::path(post, path = "/pki/ocsp", tag = "pki",
    request_body(content = Vec<u8>, content_type = "application/ocsp-request"),
    responses((status = 200, description = "An OCSPResponse", content_type = "application/ocsp-response", body = Vec<u8>)))]
async fn ocsp_post(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let ca = ca(&state)?;
    if body.len() > OCSP_REQUEST_MAX {
        return Ok(ocsp_reply(yinxin_pki::ocsp::error_response(
            yinxin_pki::ocsp::OcspResponseStatus::MalformedRequest,
        )));
    }
    Ok(ocsp_reply(ca.ocsp(&body).await))
}

/// OCSP (RFC 6960 §A.1) over GET: the path is the base64 of the DER OCSPRequest, URL-encoded.
#[utoipa::path(get, path = "/pki/ocsp/{request}", tag = "pki",
    params(("request" = String, Path, description = "base64 of the DER OCSPRequest, URL-encoded")),
    responses((status = 200, description = "An OCSPResponse", content_type = "application/ocsp-response", body = Vec<u8>)))]
async fn ocsp_get(
    State(state): State<AppState>,
    Path(request): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    use base64::Engine;
    let ca = ca(&state)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(request.trim().as_bytes())
        .ok()
        .filter(|d| d.len() <= OCSP_REQUEST_MAX);
    Ok(ocsp_reply(match decoded {
        Some(der) => ca.ocsp(&der).await,
        None => {
            yinxin_pki::ocsp::error_response(yinxin_pki::ocsp::OcspResponseStatus::MalformedRequest)
        }
    }))
}

impl From<CaError> for ApiError {
    fn from(e: CaError) -> Self {
        match e {
            CaError::Invalid(m) => DomainError::invalid("csr", m).into(),
            CaError::InvalidField(field, m) => DomainError::invalid(field, m).into(),
            CaError::Refused(m) => ApiError::new(ErrorCode::Conflict, m),
            CaError::NotFound => ApiError::new(ErrorCode::NotFound, "no such certificate"),
            CaError::AlreadyRevoked => {
                ApiError::new(ErrorCode::Conflict, "the certificate is already revoked")
            }
            CaError::NoHierarchy(a) => DomainError::invalid(
                "algorithm",
                format!("no {a} certificate authority is configured"),
            )
            .into(),
            CaError::Internal(detail) => ApiError::internal(ErrorCode::Internal, detail),
        }
    }
}

pub(crate) fn ca(state: &AppState) -> Result<&Arc<CertificateAuthority>, ApiError> {
    state.ca.as_ref().ok_or_else(|| {
        ApiError::internal(
            ErrorCode::Internal,
            "the certificate authority is not configured",
        )
    })
}

/// Profiles a subscriber may ask for.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberProfile {
    /// A person's signing certificate (1 to 1,095 days, 365 by default).
    PersonalSigning,
    /// An enterprise's signing (seal) certificate: held by the enterprise named in `enterprise`,
    /// applied for by an agent whose authorization includes `certificates`; the enterprise's
    /// identity must be verified.
    EnterpriseSigning,
    /// The caller's certificate as an agent of the enterprise named in `enterprise` (its name
    /// and credit code in the subject beside the caller's verified name).
    EnterpriseAgent,
    /// An event certificate (CERT-3): bound to one event by the digest of its features, with a
    /// one-time hosted key destroyed once the event is signed; 1 to 1,440 minutes, 60 by default;
    /// never renewed.
    Event,
}

/// `POST /api/v1/certificates`. The key is either the caller's own, in `csr`, or a hosted key
/// the service generates and keeps for the caller (`hosted_key`): exactly one of the two; an
/// event certificate always has a hosted one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequest {
    /// The PKCS#10 request, PEM (`CERTIFICATE REQUEST`). Its subject is ignored: the certificate
    /// names the verified identity (CERT-2).
    pub csr: Option<String>,
    /// Instead of `csr`: the algorithm of a key the service generates and keeps for the caller
    /// (`sm2`, `p256`, `p384`, `rsa2048`, `rsa3072`, `rsa4096`, `ed25519`). It signs for the
    /// caller only; no route signs with it yet (signing, with a fresh confirmation of intent
    /// before each use, is still to come).
    #[schema(example = "sm2")]
    pub hosted_key: Option<String>,
    /// Which profile.
    pub profile: SubscriberProfile,
    /// The enterprise (its account id) of an `enterprise_signing` or `enterprise_agent`
    /// certificate.
    pub enterprise: Option<String>,
    /// Which hierarchy signs it: `sm2` or `p256`.
    #[schema(example = "sm2")]
    pub algorithm: String,
    /// Fewer days than the profile's default (365), if wanted; not for an event certificate.
    pub validity_days: Option<u32>,
    /// An event certificate's validity in minutes (1 to 1,440; default 60).
    pub validity_minutes: Option<u32>,
    /// An event certificate's event: the digest of the event's features, hex (64 digits). The
    /// service never sees the features themselves.
    pub event_digest: Option<String>,
    /// How `event_digest` was computed: `sm3` or `sha256`.
    #[schema(example = "sm3")]
    pub event_digest_algorithm: Option<String>,
}

/// `POST /api/v1/certificates/{serial}/renewal`: the same key (`same_key: true`, where the
/// profile allows it), a new own key (`csr`) or a new hosted key (`hosted_key`) — exactly one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalRequest {
    /// Keep the old certificate's key.
    #[serde(default)]
    pub same_key: bool,
    /// A new key of the caller's own, PKCS#10 PEM.
    pub csr: Option<String>,
    /// A new hosted key of this algorithm.
    pub hosted_key: Option<String>,
    /// Fewer days than the profile's default (365), if wanted.
    pub validity_days: Option<u32>,
    /// For an enterprise's certificate (or an agent's): the enterprise's account id.
    pub enterprise: Option<String>,
}

/// What the service says of a certificate. `certificate_pem` only to its holder.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    /// Serial, lower-case hex.
    pub serial: String,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint_sha256: String,
    /// `good`, `revoked` or `expired`.
    pub status: &'static str,
    /// The issuing CA (`sm2-issuing-1`); its chain is at `/pki/chain.pem?alg=…`.
    pub issuer: String,
    /// The profile.
    pub profile: String,
    /// The subject with personal information masked (CERT-5).
    pub subject: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// RFC 5280 reason name, when revoked.
    pub revocation_reason: Option<String>,
    /// The serial this certificate renews.
    pub renews: Option<String>,
    /// Whether the service holds the key (a hosted key).
    pub hosted_key: bool,
    /// Unix seconds, when the hosted key was destroyed (it never signs again).
    pub key_destroyed_at: Option<i64>,
    /// The certificate, PEM: to its holder only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_pem: Option<String>,
    /// To its holder: the certificate carries a value they had corrected (issue 8 item 3),
    /// and should be renewed once the identity is verified again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_needed: Option<yinxin_domain::requests::RenewalFlag>,
}

fn view(r: &CertificateRecord, pem: Option<String>) -> CertificateView {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    CertificateView {
        serial: r.serial.clone(),
        fingerprint_sha256: r.fingerprint.clone(),
        status: match (&r.revocation, r.not_after <= now) {
            (Some(_), _) => "revoked",
            (None, true) => "expired",
            (None, false) => "good",
        },
        issuer: r.ca_id.clone(),
        profile: r.profile.clone(),
        subject: r.masked_subject.clone(),
        not_before: r.not_before,
        not_after: r.not_after,
        revoked_at: r.revocation.as_ref().map(|v| v.at),
        revocation_reason: r.revocation.as_ref().map(|v| v.reason.clone()),
        renews: r.renews.clone(),
        hosted_key: r.hosted_key_id.is_some(),
        key_destroyed_at: r.key_destroyed_at,
        certificate_pem: pem,
        renewal_needed: None,
    }
}

fn algorithm(name: &str) -> Result<KeyAlgorithm, ApiError> {
    KeyAlgorithm::parse(name).ok_or_else(|| {
        DomainError::invalid(
            "algorithm",
            format!(
                "is a key algorithm: {}",
                KeyAlgorithm::ALL.map(KeyAlgorithm::as_str).join(", ")
            ),
        )
        .into()
    })
}

/// The caller's verified identity as the CA takes it (CERT-2): `403 IDENTITY_NOT_VERIFIED`
/// without one.
async fn verified_subject(state: &AppState, caller: &Caller) -> Result<VerifiedSubject, ApiError> {
    let (name, number) = state
        .verifications
        .verified_identity(&caller.account)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::IdentityNotVerified,
                "a certificate is issued only to a verified identity: verify at /api/v1/verifications first",
            )
        })?;
    Ok(VerifiedSubject {
        account: caller.account.id,
        vault_subject: caller.account.subject,
        name: name.to_string(),
        document_number: number.to_string(),
        enterprise: false,
        organization: None,
    })
}

/// An account id given in `field`.
fn account_id(field: &'static str, s: &str) -> Result<yinxin_domain::AccountId, ApiError> {
    s.parse()
        .map_err(|_| DomainError::invalid(field, "is an account id").into())
}

/// Whose certificates the caller acts on: their own, or — with `enterprise` — the enterprise's,
/// for an agent whose authorization includes `certificates` (ACC-2; `404` otherwise). The
/// account id and vault subject.
async fn holder_for(
    state: &AppState,
    caller: &Caller,
    enterprise: Option<&str>,
) -> Result<(yinxin_domain::AccountId, yinxin_domain::SubjectId), ApiError> {
    let Some(id) = enterprise else {
        return Ok((caller.account.id, caller.account.subject));
    };
    let id = account_id("enterprise", id)?;
    let e = state
        .accounts
        .enterprise_account(
            caller.account.id,
            id,
            yinxin_domain::enterprise::AgentScope::Certificates,
        )
        .await?;
    Ok((e.id, e.subject))
}

/// The subject of an enterprise or agent certificate: the verified enterprise `id`, for an agent
/// whose authorization allows `certificates` (ACC-2, CERT-2).
async fn enterprise_subject(
    state: &AppState,
    caller: &Caller,
    id: Option<&str>,
    agent: bool,
) -> Result<VerifiedSubject, ApiError> {
    let id = account_id(
        "enterprise",
        id.ok_or_else(|| {
            ApiError::from(DomainError::invalid(
                "enterprise",
                "is required for enterprise certificates: the enterprise's account id",
            ))
        })?,
    )?;
    let (account, name, code) = state
        .verifications
        .verified_enterprise(caller.account.id, id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::IdentityNotVerified,
                "a certificate is issued only to a verified enterprise: verify the enterprise first",
            )
        })?;
    if agent {
        let mut person = verified_subject(state, caller).await?;
        person.organization = Some(yinxin_pki::ca::Organization {
            name: name.to_string(),
            credit_code: code.to_string(),
        });
        return Ok(person);
    }
    Ok(VerifiedSubject {
        account: account.id,
        vault_subject: account.subject,
        name: name.to_string(),
        document_number: code.to_string(),
        enterprise: true,
        organization: None,
    })
}

/// The subject key of `csr` or `hosted_key`, exactly one of them; the CSR's DER lives in `buf`.
fn subject_key<'a>(
    csr: Option<&str>,
    hosted: Option<&str>,
    buf: &'a mut Vec<u8>,
) -> Result<SubjectKey<'a>, ApiError> {
    match (csr, hosted) {
        (Some(pem), None) => {
            *buf = pem_request(pem)?;
            Ok(SubjectKey::Request(buf))
        }
        (None, Some(alg)) => Ok(SubjectKey::Hosted(KeyAlgorithm::parse(alg).ok_or_else(
            || {
                ApiError::from(DomainError::invalid(
                    "hosted_key",
                    "is one of sm2, p256, p384, rsa2048, rsa3072, rsa4096, ed25519",
                ))
            },
        )?)),
        (Some(_), Some(_)) => Err(DomainError::invalid(
            "hosted_key",
            "give either csr (your own key) or hosted_key (a key the service keeps), not both",
        )
        .into()),
        (None, None) => Err(DomainError::invalid(
            "csr",
            "is required: a PKCS#10 request for your own key, or hosted_key instead",
        )
        .into()),
    }
}

fn days(d: u32) -> Duration {
    Duration::from_secs(u64::from(d) * 24 * 3600)
}

/// Issues a certificate to the caller — a person whose identity is verified (CERT-2) — for their
/// own key (a PKCS#10 request) or a hosted key; or an event certificate (CERT-3) bound to the
/// digest of one event. Everything is checked before anything is generated or written; the
/// certificate is recorded before it is returned.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "pki",
    request_body = CertificateRequest,
    responses(
        (status = 201, description = "Issued", body = CertificateView),
        (status = 400, description = "The request is malformed, weak, badly signed or not allowed; the message says which field and why", body = ErrorBody),
        (status = 403, description = "The caller's identity is not verified (IDENTITY_NOT_VERIFIED)", body = ErrorBody)
    ))]
async fn issue_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CertificateRequest>,
) -> Result<(StatusCode, Json<CertificateView>), ApiError> {
    // Closing mode (issue 8 item 12): nothing new is collected or issued.
    state.accounts.ensure_collecting().await?;
    let ca = ca(&state)?;
    let alg = algorithm(&req.algorithm)?;
    let event = req.profile == SubscriberProfile::Event;
    let validity = match (event, req.validity_days, req.validity_minutes) {
        (_, Some(_), Some(_)) => {
            return Err(DomainError::invalid(
                "validity_minutes",
                "give validity_days or validity_minutes, not both",
            )
            .into());
        }
        (false, _, Some(_)) => {
            return Err(DomainError::invalid(
                "validity_minutes",
                "is for event certificates only: use validity_days",
            )
            .into());
        }
        (true, Some(_), None) => {
            return Err(DomainError::invalid(
                "validity_days",
                "an event certificate lives minutes to hours: use validity_minutes",
            )
            .into());
        }
        (_, Some(d), None) => Some(days(d)),
        (_, None, Some(m)) => Some(Duration::from_secs(u64::from(m) * 60)),
        (_, None, None) => None,
    };
    let binding = event_binding(
        req.event_digest.as_deref(),
        req.event_digest_algorithm.as_deref(),
    )?;
    let mut buf = Vec::new();
    let key = subject_key(req.csr.as_deref(), req.hosted_key.as_deref(), &mut buf)?;
    let subject = match req.profile {
        SubscriberProfile::EnterpriseSigning | SubscriberProfile::EnterpriseAgent => {
            enterprise_subject(
                &state,
                &caller,
                req.enterprise.as_deref(),
                req.profile == SubscriberProfile::EnterpriseAgent,
            )
            .await?
        }
        _ if req.enterprise.is_some() => {
            return Err(DomainError::invalid(
                "enterprise",
                "is only for enterprise_signing and enterprise_agent certificates",
            )
            .into());
        }
        _ => verified_subject(&state, &caller).await?,
    };
    let (record, der) = ca
        .issue(IssueRequest {
            subject,
            key,
            profile: match req.profile {
                SubscriberProfile::PersonalSigning => ProfileKind::PersonalSigning,
                SubscriberProfile::EnterpriseSigning => ProfileKind::EnterpriseSigning,
                SubscriberProfile::EnterpriseAgent => ProfileKind::EnterpriseAgent,
                SubscriberProfile::Event => ProfileKind::Event,
            },
            ca_algorithm: alg,
            validity,
            event: binding,
        })
        .await?;
    let pem = yinxin_pki::pem(&der, "CERTIFICATE");
    Ok((StatusCode::CREATED, Json(view(&record, Some(pem)))))
}

/// The event binding of `event_digest` (hex) and `event_digest_algorithm`, if given.
fn event_binding(
    digest: Option<&str>,
    algorithm: Option<&str>,
) -> Result<Option<EventBinding>, ApiError> {
    let Some(hex_digest) = digest else {
        if algorithm.is_some() {
            return Err(DomainError::invalid(
                "event_digest",
                "is required with event_digest_algorithm",
            )
            .into());
        }
        return Ok(None);
    };
    let alg = EventDigestAlgorithm::parse(algorithm.unwrap_or("")).ok_or_else(|| {
        ApiError::from(DomainError::invalid(
            "event_digest_algorithm",
            "is sm3 or sha256",
        ))
    })?;
    let bytes = hex::decode(hex_digest.trim()).map_err(|_| {
        ApiError::from(DomainError::invalid(
            "event_digest",
            "is hexadecimal: 64 digits",
        ))
    })?;
    EventBinding::new(alg, bytes)
        .map(Some)
        .map_err(|e| DomainError::invalid("event_digest", e.to_string()).into())
}

/// Renews one of the caller's certificates (CERT-1): a new certificate of the same profile, for
/// the identity as verified now, with the same key (where the profile allows it) or a new one;
/// it names the old one in `renews`. The old one stays valid until it expires or is revoked.
/// A certificate is renewed once; an event certificate never (CERT-3).
#[utoipa::path(post, path = "/api/v1/certificates/{serial}/renewal", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    request_body = RenewalRequest,
    responses(
        (status = 201, description = "The new certificate", body = CertificateView),
        (status = 400, description = "No key or two keys given, or the request is bad; the message says which field", body = ErrorBody),
        (status = 403, description = "The caller's identity is not verified (IDENTITY_NOT_VERIFIED)", body = ErrorBody),
        (status = 404, description = "No such certificate of the caller's", body = ErrorBody),
        (status = 409, description = "Revoked, already renewed, an event certificate, or its hosted key destroyed", body = ErrorBody)
    ))]
async fn renew_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    ApiJsonOrEmpty(req): ApiJsonOrEmpty<RenewalRequest>,
) -> Result<(StatusCode, Json<CertificateView>), ApiError> {
    let ca = ca(&state)?;
    let serial = normalize_serial(&serial)?;
    let mut buf = Vec::new();
    let key = if req.same_key {
        if req.csr.is_some() || req.hosted_key.is_some() {
            return Err(DomainError::invalid(
                "same_key",
                "keeps the old key: give no csr or hosted_key with it",
            )
            .into());
        }
        RenewalKey::Same
    } else {
        RenewalKey::New(subject_key(
            req.csr.as_deref(),
            req.hosted_key.as_deref(),
            &mut buf,
        )?)
    };
    let subject = match req.enterprise.as_deref() {
        None => verified_subject(&state, &caller).await?,
        Some(e) => {
            // An enterprise's own certificate, or the caller's as its agent: as the old one was.
            let old = ca.public_record(&serial).await?;
            let agent = old.holder == caller.account.id;
            enterprise_subject(&state, &caller, Some(e), agent).await?
        }
    };
    let (record, der) = ca
        .renew(RenewRequest {
            serial: &serial,
            subject,
            key,
            validity: req.validity_days.map(days),
        })
        .await?;
    let pem = yinxin_pki::pem(&der, "CERTIFICATE");
    Ok((StatusCode::CREATED, Json(view(&record, Some(pem)))))
}

/// Destroys the hosted key of one of the caller's certificates for good (CERT-3: an event
/// certificate's one-time key once the event is signed). A certificate that is not an event
/// certificate is revoked with it (`cessation_of_operation`); an event certificate stays as it
/// is so that its event's signatures keep verifying.
#[utoipa::path(delete, path = "/api/v1/certificates/{serial}/hosted-key", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    responses(
        (status = 200, description = "Destroyed (and recorded)", body = CertificateView),
        (status = 404, description = "No such certificate of the caller's", body = ErrorBody),
        (status = 409, description = "The key is not hosted, or already destroyed", body = ErrorBody)
    ))]
async fn destroy_hosted_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<CertificateView>, ApiError> {
    let ca = ca(&state)?;
    let serial = normalize_serial(&serial)?;
    let r = ca.destroy_hosted_key(&serial, caller.account.id).await?;
    Ok(Json(view(&r, None)))
}

fn pem_request(pem: &str) -> Result<Vec<u8>, ApiError> {
    yinxin_pki::csr::request_der_from_pem(pem).map_err(|e| DomainError::invalid("csr", e).into())
}

/// The caller's certificates, newest first, each with its PEM.
#[utoipa::path(get, path = "/api/v1/me/certificates", tag = "pki",
    responses((status = 200, description = "The caller's certificates", body = [CertificateView])))]
async fn my_certificates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CertificateView>>, ApiError> {
    let ca = ca(&state)?;
    let mut out = Vec::new();
    let mut flags = state.accounts.renewal_flags(caller.account.id).await?;
    // The records are the caller's own (selected by holder): unseal each once, no second read.
    for r in ca.certificates_of(caller.account.id).await? {
        let der = ca.unseal(&r, caller.account.subject).await?;
        let mut v = view(&r, Some(yinxin_pki::pem(&der, "CERTIFICATE")));
        if let Some(i) = flags.iter().position(|f| f.serial == r.serial) {
            v.renewal_needed = Some(flags.swap_remove(i));
        }
        out.push(v);
    }
    Ok(Json(out))
}

/// An enterprise's certificates, newest first, each with its PEM, for an agent whose
/// authorization includes `view` (ACC-2).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/certificates", tag = "pki",
    params(("id" = String, Path, description = "The enterprise's account id")),
    responses(
        (status = 200, description = "The enterprise's certificates", body = [CertificateView]),
        (status = 404, description = "No such enterprise that the caller acts for", body = ErrorBody)
    ))]
async fn enterprise_certificates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<CertificateView>>, ApiError> {
    let ca = ca(&state)?;
    let id = account_id("id", &id)?;
    let enterprise = state
        .accounts
        .enterprise_account(
            caller.account.id,
            id,
            yinxin_domain::enterprise::AgentScope::View,
        )
        .await?;
    let mut out = Vec::new();
    for r in ca.certificates_of(enterprise.id).await? {
        let der = ca.unseal(&r, enterprise.subject).await?;
        out.push(view(&r, Some(yinxin_pki::pem(&der, "CERTIFICATE"))));
    }
    Ok(Json(out))
}

/// Anyone's view of a certificate by serial (CERT-5): status, validity, issuer, profile and the
/// subject with personal information masked. Its holder, signed in, also gets the certificate.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    responses(
        (status = 200, description = "The certificate's public information", body = CertificateView),
        (status = 404, description = "No such certificate", body = ErrorBody),
        (status = 429, description = "Too many queries from this address", body = ErrorBody)
    ))]
async fn query_certificate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    MaybeCaller(caller): MaybeCaller,
    Path(serial): Path<String>,
) -> Result<Json<CertificateView>, ApiError> {
    let ca = limited_query(&state, peer).await?;
    let serial = normalize_serial(&serial)?;
    let r = ca.public_record(&serial).await?;
    let pem = match &caller {
        Some(c) if c.account.id == r.holder => Some(yinxin_pki::pem(
            &ca.unseal(&r, c.account.subject).await?,
            "CERTIFICATE",
        )),
        _ => None,
    };
    Ok(Json(view(&r, pem)))
}

/// A certificate's evidence, for its holder (issue 7 item 3; EVID-2): the proof bundle of its
/// issuance (or renewal) entry and, once revoked, of its revocation entry, each with the salt
/// that opens its commitments. Another account's certificate is `404` as a missing one is.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}/evidence", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    responses(
        (status = 200, description = "Issuance first, then the revocation if any", body = Vec<crate::log::RecordEvidence>),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such certificate of yours, or its entry is not yet under a signed checkpoint (retry in a few seconds)", body = ErrorBody)
    ))]
async fn certificate_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<Vec<crate::log::RecordEvidence>>, ApiError> {
    let serial = normalize_serial(&serial)?;
    let r = ca(&state)?.public_record(&serial).await?;
    if r.holder != caller.account.id {
        return Err(CaError::NotFound.into());
    }
    let mut out = vec![crate::log::record_evidence(&state, "certificate", &serial).await?];
    if r.revocation.is_some() {
        // The issuance's evidence stands on its own: a revocation recorded before its entry was
        // (an older version of the service), or not yet under a checkpoint, leaves it out.
        match crate::log::record_evidence(&state, "revocation", &serial).await {
            Ok(e) => out.push(e),
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Json(out))
}

/// The CA, once the caller's address is within the public-query limit (CERT-5). A serial is 126
/// random bits, but the limit also keeps the query from being a free load generator.
async fn limited_query(
    state: &AppState,
    peer: SocketAddr,
) -> Result<&Arc<CertificateAuthority>, ApiError> {
    let ca = ca(state)?;
    state
        .accounts
        .limit_address(
            "certificate-query-address",
            peer.ip(),
            state.certificate_queries_per_minute,
            60,
            "too many certificate queries from this address",
        )
        .await?;
    Ok(ca)
}

/// `?fingerprint=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FingerprintQuery {
    /// SHA-256 of the certificate's DER, hex (colons allowed).
    pub fingerprint: String,
}

/// Anyone's view of a certificate by SHA-256 fingerprint (CERT-5), as by serial.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "pki",
    params(FingerprintQuery),
    responses(
        (status = 200, description = "The certificate's public information", body = CertificateView),
        (status = 400, description = "Not a SHA-256 fingerprint", body = ErrorBody),
        (status = 404, description = "No such certificate", body = ErrorBody),
        (status = 429, description = "Too many queries from this address", body = ErrorBody)
    ))]
async fn find_certificate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<FingerprintQuery>,
) -> Result<Json<CertificateView>, ApiError> {
    let ca = limited_query(&state, peer).await?;
    let fp = q.fingerprint.trim().to_ascii_lowercase().replace(':', "");
    if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DomainError::invalid(
            "fingerprint",
            "is a SHA-256 digest: 64 hexadecimal digits",
        )
        .into());
    }
    let r = ca.public_record_by_fingerprint(&fp).await?;
    Ok(Json(view(&r, None)))
}

pub(crate) fn normalize_serial(s: &str) -> Result<String, ApiError> {
    let s = s.trim().to_ascii_lowercase().replace(':', "");
    if s.is_empty() || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DomainError::invalid("serial", "is 1 to 40 hexadecimal digits").into());
    }
    Ok(s)
}

/// `POST /api/v1/certificates/{serial}/revocation`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevocationRequest {
    /// RFC 5280 reason: `unspecified`, `key_compromise`, `affiliation_changed`, `superseded`,
    /// `cessation_of_operation`, `privilege_withdrawn`.
    #[schema(example = "key_compromise")]
    pub reason: String,
    /// For an enterprise's certificate: the enterprise (its account id), for an agent whose
    /// authorization includes `certificates`.
    pub enterprise: Option<String>,
}

/// Revokes one of the caller's certificates. It shows in the CRL at once.
#[utoipa::path(post, path = "/api/v1/certificates/{serial}/revocation", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    request_body = RevocationRequest,
    responses(
        (status = 200, description = "Revoked", body = CertificateView),
        (status = 400, description = "Unknown reason", body = ErrorBody),
        (status = 404, description = "No such certificate of the caller's", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody)
    ))]
async fn revoke_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    ApiJson(req): ApiJson<RevocationRequest>,
) -> Result<Json<CertificateView>, ApiError> {
    let ca = ca(&state)?;
    let serial = normalize_serial(&serial)?;
    let reason = RevocationReason::parse(&req.reason)
        .filter(|r| {
            // Reasons a subscriber may give (the CA-side ones are staff's).
            matches!(
                r,
                RevocationReason::Unspecified
                    | RevocationReason::KeyCompromise
                    | RevocationReason::AffiliationChanged
                    | RevocationReason::Superseded
                    | RevocationReason::CessationOfOperation
                    | RevocationReason::PrivilegeWithdrawn
            )
        })
        .ok_or_else(|| {
            ApiError::from(DomainError::invalid(
                "reason",
                "is one of unspecified, key_compromise, affiliation_changed, superseded, \
                 cessation_of_operation, privilege_withdrawn",
            ))
        })?;
    let r = ca
        .revoke(
            &serial,
            Actor::Holder(
                holder_for(&state, &caller, req.enterprise.as_deref())
                    .await?
                    .0,
            ),
            reason,
        )
        .await?;
    Ok(Json(view(&r, None)))
}

/// `?alg=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ChainQuery {
    /// An algorithm with a hierarchy: `sm2`, `p256`, or one `yinxin ca add` made.
    pub alg: String,
}

/// The issuing CA and root of a hierarchy, PEM.
#[utoipa::path(get, path = "/pki/chain.pem", tag = "pki",
    params(ChainQuery),
    responses(
        (status = 200, description = "Issuing CA then root", content_type = "application/pem-certificate-chain", body = String),
        (status = 400, description = "Unknown algorithm", body = ErrorBody)
    ))]
async fn chain_pem(
    State(state): State<AppState>,
    Query(q): Query<ChainQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ca = ca(&state)?;
    let pem = ca.chain_pem(algorithm(&q.alg)?)?;
    Ok((
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        pem,
    ))
}

/// The current full CRL of an issuing CA (DER), regenerated on revocation.
#[utoipa::path(get, path = "/pki/crl/{file}", tag = "pki",
    params(("file" = String, Path, description = "`{ca-id}.crl`, e.g. `sm2-issuing-1.crl`")),
    responses(
        (status = 200, description = "The CRL", content_type = "application/pkix-crl", body = Vec<u8>),
        (status = 404, description = "No such CA", body = ErrorBody)
    ))]
async fn crl(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let ca = ca(&state)?;
    let id = file
        .strip_suffix(".crl")
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such CRL"))?;
    let der = ca.crl(id).await.map_err(|e| match e {
        CaError::NotFound => ApiError::new(ErrorCode::NotFound, "no such CRL"),
        other => other.into(),
    })?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der))
}
