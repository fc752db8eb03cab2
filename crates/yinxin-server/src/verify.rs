//! Signature verification for anyone (issue 6 item 7): `POST /api/v1/verify/pdf` takes a PDF and
//! `POST /api/v1/verify/cms` a detached CMS signature with its content or digest, and each
//! answers a report per signature — integrity, signer, the chain to which root, revocation status
//! at signing time, the timestamp, the PAdES level reached and whether the document was modified
//! after. `yinxin verify` makes the same reports offline ([`pdf_report`], [`cms_report`]).
//!
//! What is trusted: this service's own roots (every hierarchy loaded), and its issuing CAs as
//! intermediates a signature need not carry. Revocation is known for the certificates this
//! service issued (its own records, the same source as its OCSP responder); for others — and
//! offline, for every certificate — from the OCSP responses and CRLs the PDF carries in its /DSS,
//! each checked to be signed by the issuer or its certified responder
//! (`yinxin_sign::revocation`); else it is `unknown` — nothing is fetched from the network. "At signing time" is the time of a
//! valid signature timestamp: a claimed signing time (`/M`, signingTime) is the signer's word and
//! proves nothing, so without a timestamp a certificate revoked now is `unknown` at signing time,
//! and one never revoked is `good`.
//!
//! No account is needed (verifying reveals nothing the file does not hold); the public-query
//! limit per address (`certificate_queries_per_minute`) applies, and bodies are at most
//! [`VERIFY_BODY_MAX`]. The work runs on a blocking thread: a large PDF never stalls other
//! requests.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::certificate::CertificateRecord;
use yinxin_domain::{DomainError, ErrorCode};
use yinxin_sign::chain::{self, ChainReport, rfc3339, rfc3339_unix};
use yinxin_sign::pades::{self, Level, SignatureReport, ValidationData};
use yinxin_sign::revocation;
use yinxin_sign::timestamp::TimestampReport;
use yinxin_sign::{SignError, cades};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The largest PDF or CMS request accepted (32 MiB).
pub const VERIFY_BODY_MAX: usize = 32 * 1024 * 1024;

/// The verification routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.merge(
        OpenApiRouter::new()
            .routes(routes!(verify_pdf))
            .routes(routes!(verify_cms))
            .layer(DefaultBodyLimit::max(VERIFY_BODY_MAX)),
    )
}

/// What the verifier trusts and knows.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// Roots (DER).
    pub anchors: Vec<Vec<u8>>,
    /// Intermediates a signature need not carry (DER).
    pub intermediates: Vec<Vec<u8>>,
}

/// The verification of a document: one entry per signature and document timestamp.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerificationReport {
    /// Whether every signature is intact, chains to a trusted root, was not revoked at signing
    /// time, and nothing but signatures, validation data and timestamps was added after it.
    pub valid: bool,
    /// Each signature, in the order of the revisions they cover (a PDF) or the one (CMS).
    pub signatures: Vec<SignatureView>,
}

/// One signature's report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignatureView {
    /// `signature` or `document_timestamp` (PAdES B-LTA).
    pub kind: String,
    /// The PDF signature field's name.
    pub field_name: Option<String>,
    /// The PDF signature's /SubFilter.
    pub sub_filter: Option<String>,
    /// Whether the signature verifies over the signed bytes (content, digest or byte ranges).
    pub integrity: bool,
    /// Why it does not, or what else is wrong with it.
    pub problem: Option<String>,
    /// The signer's (a document timestamp's: the TSA's) certificate.
    pub signer: Option<SignerView>,
    /// Where the signer's certificate leads.
    pub chain: ChainView,
    /// The signer certificate's revocation status.
    pub revocation: RevocationView,
    /// The signing time the signer claims (`/M` of a PDF, signingTime of a CMS); not proof.
    pub claimed_signing_time: Option<String>,
    /// The signature timestamp (for a document timestamp: the token itself).
    pub timestamp: Option<TimestampView>,
    /// The PAdES baseline level reached: `B-B`, `B-T`, `B-LT`, `B-LTA` (PDF only).
    pub level: Option<String>,
    /// What keeps an intact signature from being a PAdES baseline signature.
    pub baseline_problems: Vec<String>,
    /// The PDF revision the signature covers (1: the original file).
    pub revision: Option<usize>,
    /// Whether the signature covers the whole file as it is.
    pub covers_whole_file: Option<bool>,
    /// Whether anything was appended after the signed revision.
    pub modified_after: Option<bool>,
    /// What later revisions changed beyond signatures, validation data and timestamps.
    pub changes_after: Vec<String>,
}

/// A certificate, as a report shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignerView {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint: String,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
}

/// The chain of the signer's certificate.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChainView {
    /// Whether it reaches a trusted root, every certificate valid at signing time.
    pub trusted: bool,
    /// The root reached (subject).
    pub root: Option<String>,
    /// Subjects from the signer up.
    pub path: Vec<String>,
    /// Why not trusted.
    pub problem: Option<String>,
}

/// Revocation of the signer's certificate.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RevocationView {
    /// Where the status comes from: `service_records` (this service issued the certificate),
    /// `dss_ocsp` or `dss_crl` (a checked OCSP response or CRL in the PDF's /DSS), `none`.
    pub source: String,
    /// The time the status is as of, for a /DSS source (the response's or CRL's thisUpdate).
    pub as_of: Option<String>,
    /// `good`, `revoked`, or `unknown` (not a certificate of this service).
    pub status: String,
    /// At signing time (the timestamp's): `good`, `revoked` or `unknown`.
    pub at_signing_time: String,
    /// When it was revoked (RFC 3339).
    pub revoked_at: Option<String>,
    /// The RFC 5280 reason's name.
    pub reason: Option<String>,
}

/// A timestamp token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimestampView {
    /// The token's signature verifies and its imprint is over the right bytes.
    pub valid: bool,
    /// genTime (RFC 3339).
    pub time: Option<String>,
    /// The imprint is the digest of the signature value (of the byte ranges: a document
    /// timestamp).
    pub imprint_matches: bool,
    /// The TSA certificate's subject.
    pub tsa: Option<String>,
    /// Whether the TSA certificate chains to a trusted root.
    pub tsa_trusted: bool,
    /// Why not valid.
    pub problem: Option<String>,
}

fn signer_view(der: &[u8]) -> Option<SignerView> {
    let c = chain::describe(der)?;
    Some(SignerView {
        subject: c.subject,
        issuer: c.issuer,
        serial: c.serial,
        fingerprint: c.fingerprint,
        not_before: c.not_before,
        not_after: c.not_after,
    })
}

fn chain_view(c: ChainReport) -> ChainView {
    ChainView {
        trusted: c.trusted,
        root: c.root,
        path: c.path,
        problem: c.problem,
    }
}

/// The revocation status from this service's record of the certificate (`None`: not one of
/// its certificates), at `signed_at` when a timestamp proves it.
fn revocation_view(
    record: Option<&CertificateRecord>,
    signed_at: Option<SystemTime>,
) -> RevocationView {
    let Some(r) = record else {
        return unknown_revocation();
    };
    let source = "service_records".to_owned();
    match &r.revocation {
        None => RevocationView {
            source,
            as_of: None,
            status: "good".into(),
            at_signing_time: "good".into(),
            revoked_at: None,
            reason: None,
        },
        Some(rev) => {
            let revoked_at =
                SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(rev.at).unwrap_or(0));
            RevocationView {
                source,
                as_of: None,
                status: "revoked".into(),
                at_signing_time: revoked_at_signing(revoked_at, signed_at).into(),
                revoked_at: Some(rfc3339_unix(rev.at)),
                reason: Some(rev.reason.clone()),
            }
        }
    }
}

fn unknown_revocation() -> RevocationView {
    RevocationView {
        source: "none".into(),
        as_of: None,
        status: "unknown".into(),
        at_signing_time: "unknown".into(),
        revoked_at: None,
        reason: None,
    }
}

/// A certificate revoked at `revoked_at` was good at signing time only if a timestamp proves
/// the signature came first.
fn revoked_at_signing(revoked_at: SystemTime, signed_at: Option<SystemTime>) -> &'static str {
    match signed_at {
        Some(t) if t < revoked_at => "good",
        Some(_) => "revoked",
        None => "unknown",
    }
}

/// The status by the checked validation data of the PDF's /DSS (see the module documentation).
/// A `good` answer covers the signing time unless a timestamp puts the signature after it.
fn dss_revocation(f: &revocation::Finding, signed_at: Option<SystemTime>) -> RevocationView {
    let (status, at_signing, revoked_at, reason) = match f.status {
        revocation::Status::Good => {
            let covered = signed_at.is_none_or(|t| t <= f.as_of);
            ("good", if covered { "good" } else { "unknown" }, None, None)
        }
        revocation::Status::Revoked { at, reason } => (
            "revoked",
            revoked_at_signing(at, signed_at),
            Some(rfc3339(at)),
            Some(reason.as_str().to_owned()),
        ),
        revocation::Status::Unknown => ("unknown", "unknown", None, None),
    };
    RevocationView {
        source: f.source.as_str().into(),
        as_of: Some(rfc3339(f.as_of)),
        status: status.into(),
        at_signing_time: at_signing.into(),
        revoked_at,
        reason,
    }
}

fn timestamp_view(t: &TimestampReport, trust: &Trust) -> TimestampView {
    let tsa_trusted = t
        .tsa_certificate_der
        .as_deref()
        .is_some_and(|der| chain::build(der, &trust.intermediates, &trust.anchors, t.time).trusted);
    TimestampView {
        valid: t.ok(),
        time: t.time.map(rfc3339),
        imprint_matches: t.imprint_matches,
        tsa: t.tsa_certificate_der.as_deref().and_then(cades::subject_of),
        tsa_trusted,
        problem: t.problem.clone(),
    }
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::BB => "B-B",
        Level::BT => "B-T",
        Level::BLT => "B-LT",
        Level::BLTA => "B-LTA",
    }
}

/// A signature's certificate (DER) and the proven signing time, for the revocation lookup.
#[derive(Debug)]
pub struct Pending {
    /// The signer's certificate.
    pub signer_der: Option<Vec<u8>>,
    /// The time a valid, trusted timestamp proves.
    pub signed_at: Option<SystemTime>,
    /// The status by the PDF's /DSS, if its validation data speaks of the signer's certificate.
    pub dss: Option<RevocationView>,
}

/// Reports of a PDF's signatures, before revocation (see [`finish`]). `Err`: not a PDF one can
/// read (the message says why).
pub fn pdf_report(pdf: &[u8], trust: &Trust) -> Result<Vec<(SignatureView, Pending)>, SignError> {
    let reports = pades::verify(pdf)?;
    // A /DSS that cannot be read gives no validation data; the signatures are still reported.
    let dss = pades::validation_data(pdf).unwrap_or_default();
    let mut trust = trust.clone();
    trust.intermediates.extend(dss.certificates.iter().cloned());
    Ok(reports.iter().map(|r| pdf_view(r, &trust, &dss)).collect())
}

fn proven_time(t: Option<&TimestampView>, r: Option<&TimestampReport>) -> Option<SystemTime> {
    match (t, r) {
        (Some(v), Some(r)) if v.valid && v.tsa_trusted => r.time,
        _ => None,
    }
}

fn pdf_view(r: &SignatureReport, trust: &Trust, dss: &ValidationData) -> (SignatureView, Pending) {
    let timestamp = r.timestamp.as_ref().map(|t| timestamp_view(t, trust));
    let signed_at = proven_time(timestamp.as_ref(), r.timestamp.as_ref());
    let chain = match &r.signer_certificate_der {
        Some(der) => chain::build(
            der,
            &trust.intermediates,
            &trust.anchors,
            Some(signed_at.unwrap_or_else(SystemTime::now)),
        ),
        None => no_signer(),
    };
    let dss = match (&r.signer_certificate_der, chain.path_der.get(1)) {
        (Some(signer), Some(issuer)) => {
            revocation::status(signer, issuer, dss).map(|f| dss_revocation(&f, signed_at))
        }
        _ => None,
    };
    let view = SignatureView {
        kind: if r.document_timestamp {
            "document_timestamp"
        } else {
            "signature"
        }
        .into(),
        field_name: Some(r.field_name.clone()),
        sub_filter: Some(r.sub_filter.clone()),
        integrity: r.integrity,
        problem: r.problem.clone(),
        signer: r.signer_certificate_der.as_deref().and_then(signer_view),
        chain: chain_view(chain),
        revocation: dss.clone().unwrap_or_else(unknown_revocation),
        claimed_signing_time: r.signing_time.clone(),
        timestamp,
        level: r.level.map(|l| level_name(l).to_owned()),
        baseline_problems: r.baseline_problems.clone(),
        revision: r.revision,
        covers_whole_file: Some(r.covers_whole_file),
        modified_after: Some(r.modified_after),
        changes_after: r.changes_after.clone(),
    };
    (
        view,
        Pending {
            signer_der: r.signer_certificate_der.clone(),
            signed_at,
            dss,
        },
    )
}

fn no_signer() -> ChainReport {
    ChainReport {
        path: Vec::new(),
        root: None,
        path_der: Vec::new(),
        trusted: false,
        problem: Some("no signer certificate was found".into()),
    }
}

/// What a detached CMS signature is over.
#[derive(Debug, Clone, Copy)]
pub enum Signed<'a> {
    /// The content itself.
    Content(&'a [u8]),
    /// Its digest, with the signer's digest algorithm.
    Digest(&'a [u8]),
}

/// The report of a detached CMS signature, before revocation (see [`finish`]).
pub fn cms_report(
    signature: &[u8],
    signed: Signed<'_>,
    trust: &Trust,
) -> Result<(SignatureView, Pending), SignError> {
    let input = match signed {
        Signed::Content(c) => cades::Input::Content(c),
        Signed::Digest(d) => cades::Input::Digest(d),
    };
    let r = cades::verify(signature, input, &[])?;
    let timestamp = r.timestamp.as_ref().map(|t| timestamp_view(t, trust));
    let signed_at = proven_time(timestamp.as_ref(), r.timestamp.as_ref());
    let mut intermediates = trust.intermediates.clone();
    intermediates.extend(r.certificates_der.iter().cloned());
    let chain = match &r.signer_certificate_der {
        Some(der) => chain::build(
            der,
            &intermediates,
            &trust.anchors,
            Some(signed_at.unwrap_or_else(SystemTime::now)),
        ),
        None => no_signer(),
    };
    Ok((
        SignatureView {
            kind: "signature".into(),
            field_name: None,
            sub_filter: None,
            integrity: r.integrity,
            problem: r.problem.clone(),
            signer: r.signer_certificate_der.as_deref().and_then(signer_view),
            chain: chain_view(chain),
            revocation: unknown_revocation(),
            claimed_signing_time: r.signing_time.map(rfc3339),
            timestamp,
            level: None,
            baseline_problems: Vec::new(),
            revision: None,
            covers_whole_file: None,
            modified_after: None,
            changes_after: Vec::new(),
        },
        Pending {
            signer_der: r.signer_certificate_der,
            signed_at,
            dss: None,
        },
    ))
}

/// The report, with each signer's revocation status from `records` (this service's record of
/// the signer's certificate, in the order of `views`; `None`: unknown).
pub fn finish(
    views: Vec<(SignatureView, Pending)>,
    records: &[Option<CertificateRecord>],
) -> VerificationReport {
    let mut signatures = Vec::with_capacity(views.len());
    for (i, (mut v, p)) in views.into_iter().enumerate() {
        // This service's own record first (it is current); else what the /DSS proves.
        v.revocation = match (records.get(i).and_then(Option::as_ref), p.dss) {
            (Some(record), _) => revocation_view(Some(record), p.signed_at),
            (None, Some(dss)) => dss,
            (None, None) => unknown_revocation(),
        };
        signatures.push(v);
    }
    let valid = !signatures.is_empty()
        && signatures.iter().all(|s| {
            s.integrity
                && s.chain.trusted
                // Revoked, and nothing proves the signature came before: not valid. A status
                // not known at signing time (not this service's certificate and no validation
                // data, or validation data older than the signature) is reported, not held
                // against it.
                && (s.revocation.status != "revoked" || s.revocation.at_signing_time == "good")
                && s.changes_after.is_empty()
                && s.timestamp.as_ref().is_none_or(|t| t.valid)
        });
    VerificationReport { valid, signatures }
}

fn trust_of(state: &AppState) -> Trust {
    match &state.ca {
        Some(ca) => Trust {
            anchors: ca.trust_anchors(),
            intermediates: ca.issuing_certificates(),
        },
        None => Trust::default(),
    }
}

/// This service's records of the signers' certificates.
async fn records(
    state: &AppState,
    views: &[(SignatureView, Pending)],
) -> Result<Vec<Option<CertificateRecord>>, ApiError> {
    let mut out = Vec::with_capacity(views.len());
    for (_, p) in views {
        out.push(match (&state.ca, &p.signer_der) {
            (Some(ca), Some(der)) => ca.record_of(der).await?,
            _ => None,
        });
    }
    Ok(out)
}

async fn limited(state: &AppState, peer: SocketAddr) -> Result<(), ApiError> {
    state
        .accounts
        .limit_address(
            "verify-address",
            peer.ip(),
            state.certificate_queries_per_minute,
            60,
            "too many verifications from this address",
        )
        .await?;
    Ok(())
}

fn unreadable(field: &'static str, e: &SignError) -> ApiError {
    DomainError::invalid(field, e.to_string()).into()
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("verification failed: {e}")))
}

/// Verifies every signature and document timestamp of a PDF (PAdES, and adbe.pkcs7.detached):
/// the body is the PDF. Anyone may ask; the public-query limit per address applies.
#[utoipa::path(post, path = "/api/v1/verify/pdf", tag = "signing",
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses(
        (status = 200, description = "A report per signature", body = VerificationReport),
        (status = 400, description = "Not application/pdf, or not a PDF that can be read (the message says why)", body = ErrorBody),
        (status = 413, description = "Larger than 32 MiB", body = ErrorBody),
        (status = 429, description = "Too many verifications from this address", body = ErrorBody)
    ))]
async fn verify_pdf(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<VerificationReport>, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media.as_deref() != Some("application/pdf") {
        return Err(
            DomainError::invalid("content-type", "a PDF is sent as application/pdf").into(),
        );
    }
    limited(&state, peer).await?;
    Ok(Json(verify_document(&state, body.to_vec()).await?))
}

/// The verification of `pdf` against this service's roots and records (a PDF that cannot be
/// read is a `400` naming `body`).
pub(crate) async fn verify_document(
    state: &AppState,
    pdf: Vec<u8>,
) -> Result<VerificationReport, ApiError> {
    let trust = trust_of(state);
    let views = blocking(move || pdf_report(&pdf, &trust))
        .await?
        .map_err(|e| unreadable("body", &e))?;
    let records = records(state, &views).await?;
    Ok(finish(views, &records))
}

/// A detached CMS signature to verify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CmsVerifyRequest {
    /// The signature: DER in base64, or PEM (`-----BEGIN CMS-----` / `PKCS7`).
    pub signature: String,
    /// The signed content, base64. Give this or `digest`.
    pub content: Option<String>,
    /// The content's digest with the signer's algorithm (SM3 for SM2, SHA-256 for P-256 and
    /// RSA, SHA-384 for P-384, SHA-512 for Ed25519), hex. Give this or `content`.
    pub digest: Option<String>,
}

/// The DER of every PEM block of `text` labelled `label` (`CERTIFICATE`, `CMS`, `PKCS7`, …),
/// in order; blocks of other labels and text between blocks are skipped. `None` if a block's
/// body is not base64.
pub fn pem_blocks(text: &str, labels: &[&str]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            body = labels.contains(&label).then(String::new);
        } else if line.starts_with("-----END ") {
            if let Some(b) = body.take() {
                out.push(
                    base64::engine::general_purpose::STANDARD
                        .decode(b.as_bytes())
                        .ok()?,
                );
            }
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    Some(out)
}

fn signature_der(s: &str) -> Result<Vec<u8>, ApiError> {
    let bad = || ApiError::from(DomainError::invalid("signature", "is base64 DER or PEM"));
    if s.trim_start().starts_with("-----BEGIN") {
        return pem_blocks(s, &["CMS", "PKCS7"])
            .and_then(|b| b.into_iter().next())
            .ok_or_else(bad);
    }
    let body: String = s.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| bad())
}

/// Verifies a detached CMS (CAdES) signature over the content or its digest (the content
/// never has to be sent). Anyone may ask; the public-query limit per address applies.
#[utoipa::path(post, path = "/api/v1/verify/cms", tag = "signing",
    request_body = CmsVerifyRequest,
    responses(
        (status = 200, description = "The signature's report", body = VerificationReport),
        (status = 400, description = "A field is missing or malformed, or the signature is not CMS (the message says which)", body = ErrorBody),
        (status = 429, description = "Too many verifications from this address", body = ErrorBody)
    ))]
async fn verify_cms(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    crate::extract::ApiJson(req): crate::extract::ApiJson<CmsVerifyRequest>,
) -> Result<Json<VerificationReport>, ApiError> {
    let signature = signature_der(&req.signature)?;
    let signed = match (req.content.as_deref(), req.digest.as_deref()) {
        (Some(c), None) => Ok(base64::engine::general_purpose::STANDARD
            .decode(c.as_bytes())
            .map_err(|_| ApiError::from(DomainError::invalid("content", "is base64")))?),
        (None, Some(d)) => Err(hex::decode(d.trim())
            .map_err(|_| ApiError::from(DomainError::invalid("digest", "is hexadecimal")))?),
        _ => {
            return Err(DomainError::invalid(
                "content",
                "give the signed content (base64) or its digest (hex), one of them",
            )
            .into());
        }
    };
    limited(&state, peer).await?;
    let trust = trust_of(&state);
    let view = blocking(move || {
        let s = match &signed {
            Ok(c) => Signed::Content(c),
            Err(d) => Signed::Digest(d),
        };
        cms_report(&signature, s, &trust)
    })
    .await?
    .map_err(|e| unreadable("signature", &e))?;
    let views = vec![view];
    let records = records(&state, &views).await?;
    Ok(Json(finish(views, &records)))
}
