//! Documents and PDF signing (issue 6 items 5 and 8; SIGN-1, SIGN-3, SIGN-4, PRIV-3).
//!
//! - `POST /api/v1/documents` uploads a PDF (`application/pdf`, at most [`DOCUMENT_MAX`]): it is
//!   read with the signing reader's limits first (not a PDF, truncated, encrypted, broken: `400`
//!   naming `body`), then sealed under the uploader's subject (`signing.document`). The answer
//!   gives its SHA-256 and SM3 digests: the digest an intent binds (the key's algorithm).
//! - `GET /api/v1/documents/{id}` and `/content`: the owner's only (`404` for anyone else).
//! - `POST /api/v1/documents/{id}/signatures` signs it with a hosted key (PAdES, B-B to B-LTA) as
//!   `signing.rs` allows — a person's key with a confirmed intent for the document's digest, a
//!   seal under its authorization — with the signature image or the seal on the page (or a
//!   cross-page seal 骑缝章), and stores the signed file as a new version whose parent is the
//!   document. The intent is used up in the transaction that stores the new version and the
//!   signature record. `/Location` is written only when the signer gives one *and* their location
//!   permission is on (SIGN-4, PRIV-3).

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_crypto::Signer;
use yinxin_domain::account::Permission;
use yinxin_domain::signing::{DocumentRecord, SignatureFormat};
use yinxin_domain::{DomainError, ErrorCode, SignatureImageId};
use yinxin_pki::cms::DigestAlgorithm;
use yinxin_pki::tsa::TimestampAuthority;
use yinxin_sign::pades::{self, Appearance, Rgba};
use yinxin_sign::pdf::Document;

use crate::AppState;
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};
use crate::signing::{
    KeyChoice, KeyUse, blocking_sign, check_intent, key_use, pki_digest, record, signature_record,
    unix_now,
};

/// The largest document accepted (32 MiB).
pub const DOCUMENT_MAX: usize = 32 * 1024 * 1024;

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.merge(
        OpenApiRouter::new()
            .routes(routes!(upload_document))
            .layer(DefaultBodyLimit::max(DOCUMENT_MAX)),
    )
    .routes(routes!(document_info))
    .routes(routes!(document_content))
    .routes(routes!(sign_document))
}

/// The record of a file about to be stored: its digests, size and pages (read by the signing
/// reader, whose refusals name `field`).
pub(crate) fn describe(
    bytes: &[u8],
    owner: yinxin_domain::AccountId,
    parent: Option<String>,
) -> Result<DocumentRecord, ApiError> {
    let pages = Document::parse(bytes)
        .and_then(|d| d.pages())
        .map_err(|e| DomainError::invalid("body", format!("not a PDF that can be signed: {e}")))?
        .len();
    Ok(DocumentRecord {
        id: uuid::Uuid::new_v4().to_string(),
        owner,
        parent,
        sha256: DigestAlgorithm::Sha256.digest(bytes),
        sm3: DigestAlgorithm::Sm3.digest(bytes),
        size: bytes.len() as u64,
        pages: u32::try_from(pages).unwrap_or(u32::MAX),
        created_at: unix_now(),
    })
}

/// Uploads a PDF to sign. The body is the file (`application/pdf`).
#[utoipa::path(post, path = "/api/v1/documents", tag = "signing",
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses(
        (status = 201, body = DocumentRecord),
        (status = 400, description = "Not application/pdf, or not a PDF that can be signed (encrypted, truncated, broken): the message says why", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, description = "Larger than 32 MiB", body = ErrorBody)))]
async fn upload_document(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<DocumentRecord>), ApiError> {
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
    let owner = caller.account.id;
    let (d, body) =
        crate::verify::blocking(move || describe(&body, owner, None).map(|d| (d, body))).await??;
    state
        .accounts
        .store_document(&caller.account, &d, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// A document of the caller's: digests, size, pages, the version it was signed from.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "signing",
    params(("id" = String, Path, description = "The document")),
    responses((status = 200, body = DocumentRecord), (status = 404, body = ErrorBody)))]
async fn document_info(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DocumentRecord>, ApiError> {
    Ok(Json(state.accounts.document(&caller.account, &id).await?.0))
}

/// The file of a document of the caller's.
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "signing",
    params(("id" = String, Path, description = "The document")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = ErrorBody)))]
async fn document_content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (_, bytes) = state.accounts.document(&caller.account, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes.to_vec()))
}

/// How the signature shows on the page.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AppearanceKind {
    /// No visible mark.
    Invisible,
    /// The signature image (a person) or the seal (an enterprise) in `rect` on `page`.
    Image,
    /// The seal cut into strips at the right edge of every page from `page` on (骑缝章).
    CrossPageSeal,
}

/// The PAdES level to reach.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq, PartialOrd, Ord)]
pub enum PadesLevel {
    /// Signed, no timestamp.
    #[serde(rename = "B-B")]
    BB,
    /// With a signature timestamp from the service's TSA.
    #[serde(rename = "B-T")]
    BT,
    /// B-T plus the validation data (certificates, CRLs) in /DSS.
    #[serde(rename = "B-LT")]
    BLt,
    /// B-LT plus a document timestamp.
    #[serde(rename = "B-LTA")]
    BLta,
}

/// A PDF signature to make.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PdfSignRequest {
    /// The key.
    #[serde(flatten)]
    pub key: KeyChoice,
    /// The confirmed intent for this certificate and the document's digest (`sha256`, or `sm3`
    /// for an SM2 key); required except for `auto_sign`.
    #[serde(default)]
    pub intent_id: Option<String>,
    /// `invisible` (default without `rect`), `image` (default with `rect`) or `cross_page_seal`.
    #[serde(default)]
    pub appearance: Option<AppearanceKind>,
    /// The page, from 1 (default 1).
    #[serde(default)]
    pub page: Option<usize>,
    /// `[llx, lly, urx, ury]` in points, on the page.
    #[serde(default)]
    pub rect: Option<[f64; 4]>,
    /// A signature image of the caller's (a person's visible signature).
    #[serde(default)]
    pub signature_image: Option<String>,
    /// `B-B`, `B-T` (default), `B-LT` or `B-LTA`.
    #[serde(default)]
    pub level: Option<PadesLevel>,
    /// /Reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// /Location: written only with the location permission on (SIGN-4, PRIV-3).
    #[serde(default)]
    pub location: Option<String>,
}

/// A document signed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PdfSigned {
    /// The signature's record.
    pub signature_id: String,
    /// The level reached.
    pub level: PadesLevel,
    /// The signed version (its `parent` is the document signed).
    pub document: DocumentRecord,
}

fn rgba(png: &[u8]) -> Result<Rgba, ApiError> {
    let (width, height, pixels) = yinxin_sign::image::decode_png(png, "image")
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("stored image: {e}")))?;
    Ok(Rgba {
        width,
        height,
        pixels,
    })
}

pub(crate) fn short_text(field: &str, v: &Option<String>) -> Result<(), ApiError> {
    match v {
        Some(t) if t.trim().is_empty() || t.chars().count() > 200 => {
            Err(DomainError::invalid(field, "1 to 200 characters").into())
        }
        _ => Ok(()),
    }
}

/// Signs a document with a hosted key (PAdES). The intent, if needed, binds the document's
/// digest under the key's algorithm (`sha256` or `sm3` of the document as stored).
#[utoipa::path(post, path = "/api/v1/documents/{id}/signatures", tag = "signing",
    params(("id" = String, Path, description = "The document to sign")),
    request_body = PdfSignRequest,
    responses(
        (status = 201, body = PdfSigned),
        (status = 400, description = "A field is wrong (a page that does not exist, a rectangle off the page, …): the message names it", body = ErrorBody),
        (status = 403, description = "No confirmed intent (INTENT_REQUIRED), no seal authorization, or no location permission (FORBIDDEN)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The certificate cannot sign", body = ErrorBody),
        (status = 503, description = "The timestamp authority cannot issue now; nothing was signed", body = ErrorBody)))]
async fn sign_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PdfSignRequest>,
) -> Result<(StatusCode, Json<PdfSigned>), ApiError> {
    short_text("reason", &req.reason)?;
    short_text("location", &req.location)?;
    let (doc, bytes) = state.accounts.document(&caller.account, &id).await?;
    let u = key_use(&state, &caller, &req.key).await?;
    let digest = doc.digest(u.digest).to_vec();
    let intent = check_intent(&state, &caller, &u, req.intent_id.as_deref(), &digest)
        .await?
        .map(|i| i.id);
    let placement = Placement {
        kind: req.appearance.unwrap_or(if req.rect.is_some() {
            AppearanceKind::Image
        } else {
            AppearanceKind::Invisible
        }),
        page: req.page.unwrap_or(1),
        rect: req.rect,
    };
    let options = SignOptions {
        signature_image: req.signature_image.clone(),
        level: req.level.unwrap_or(PadesLevel::BT),
        reason: req.reason.clone(),
        location: req.location.clone(),
    };
    let level = options.level;
    let signed = sign_pdf(&state, &caller, &u, &bytes, &placement, options).await?;
    let new = describe(&signed, caller.account.id, Some(doc.id.clone()))?;
    let r = signature_record(
        &caller,
        &u,
        intent,
        SignatureFormat::Pades,
        digest,
        Some(&new),
    );
    record(&state, &r, Some((&caller.account, &new, &signed)), &signed).await?;
    let signature_id = r.id;
    Ok((
        StatusCode::CREATED,
        Json(PdfSigned {
            signature_id,
            level,
            document: new,
        }),
    ))
}

/// Where a signature goes: how it shows, on which page (from 1), in which rectangle.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement {
    pub(crate) kind: AppearanceKind,
    pub(crate) page: usize,
    pub(crate) rect: Option<[f64; 4]>,
}

/// The rest of a PDF signature's request.
#[derive(Clone, Debug)]
pub(crate) struct SignOptions {
    pub(crate) signature_image: Option<String>,
    pub(crate) level: PadesLevel,
    pub(crate) reason: Option<String>,
    pub(crate) location: Option<String>,
}

/// The pages of a stored document.
pub(crate) fn pages_of(bytes: &[u8]) -> Result<Vec<yinxin_sign::pdf::Page>, ApiError> {
    Document::parse(bytes)
        .and_then(|d| d.pages())
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("stored document: {e}")))
}

/// Checks that `p` lies on `pages` (refusals name `page` or `rect`): the page number and the
/// rectangle (zero for an invisible signature).
pub(crate) fn check_placement(
    pages: &[yinxin_sign::pdf::Page],
    p: &Placement,
    prefix: &str,
) -> Result<(usize, [f64; 4]), DomainError> {
    let page_field = format!("{prefix}page");
    let rect_field = format!("{prefix}rect");
    let page_no = p.page;
    let Some(page) = page_no.checked_sub(1).and_then(|i| pages.get(i)) else {
        return Err(DomainError::invalid(
            &page_field,
            format!("the document has {} page(s), counted from 1", pages.len()),
        ));
    };
    if p.kind == AppearanceKind::CrossPageSeal && pages.len() < page_no + 1 {
        return Err(DomainError::invalid(
            &page_field,
            "a cross-page seal needs at least two pages from this page on",
        ));
    }
    if p.kind == AppearanceKind::Invisible {
        return Ok((page_no, [0.0; 4]));
    }
    let r = p.rect.ok_or_else(|| {
        DomainError::invalid(&rect_field, "a visible signature needs its rectangle")
    })?;
    let m = page.media_box;
    let on_page = r.iter().all(|v| v.is_finite())
        && r[0] < r[2]
        && r[1] < r[3]
        && r[0] >= m[0]
        && r[1] >= m[1]
        && r[2] <= m[2]
        && r[3] <= m[3];
    if !on_page {
        return Err(DomainError::invalid(
            &rect_field,
            format!(
                "[llx, lly, urx, ury] must lie on page {page_no}, whose box is [{}, {}, {}, {}]",
                m[0], m[1], m[2], m[3]
            ),
        ));
    }
    Ok((page_no, r))
}

/// Makes a PAdES signature over `bytes` with `u` at `p`, to `o.level`: the location permission,
/// the placement and the appearance checked first (refusals name the field), then the signature,
/// its timestamp, /DSS and the document timestamp as the level asks. Nothing is stored.
pub(crate) async fn sign_pdf(
    state: &AppState,
    caller: &Caller,
    u: &KeyUse,
    bytes: &[u8],
    p: &Placement,
    o: SignOptions,
) -> Result<Vec<u8>, ApiError> {
    if o.location.is_some()
        && !state
            .accounts
            .permission_granted(caller.account.id, Permission::Location)
            .await?
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "location: the signing location is recorded only with the location permission on \
             (PUT /api/v1/me/permissions/location); sign without it, or turn it on",
        ));
    }

    let pages = pages_of(bytes)?;
    let (page_no, rect) = check_placement(&pages, p, "")?;
    let kind = p.kind;
    let appearance = match (kind, &u.seal, &o.signature_image) {
        (AppearanceKind::Invisible, _, None) => Appearance::Invisible,
        (_, Some(_), Some(_)) => {
            return Err(
                DomainError::invalid("signature_image", "a seal shows its own image").into(),
            );
        }
        (AppearanceKind::Invisible, None, Some(_)) => {
            return Err(
                DomainError::invalid("signature_image", "is for a visible signature").into(),
            );
        }
        (k, Some((seal, _)), None) => {
            let enterprise = u.enterprise.ok_or_else(|| {
                ApiError::internal(ErrorCode::Internal, "a seal without its enterprise")
            })?;
            let (_, png) = state
                .accounts
                .seal_image(caller.account.id, enterprise, *seal)
                .await?;
            if k == AppearanceKind::CrossPageSeal {
                Appearance::CrossPageSeal(rgba(&png)?)
            } else {
                Appearance::Image(rgba(&png)?)
            }
        }
        (AppearanceKind::CrossPageSeal, None, _) => {
            return Err(
                DomainError::invalid("appearance", "a cross-page seal needs a seal").into(),
            );
        }
        (AppearanceKind::Image, None, None) => {
            return Err(DomainError::invalid(
                "signature_image",
                "a visible personal signature shows one of your signature images: give its id",
            )
            .into());
        }
        (AppearanceKind::Image, None, Some(image)) => {
            let image: SignatureImageId = path_id(image, "signature_image")?;
            let (_, png) = state
                .accounts
                .signature_image(&caller.account, image)
                .await?;
            Appearance::Image(rgba(&png)?)
        }
    };
    let level = o.level;
    let tsa = tsa_for(state, level)?;
    // B-LT: the issuing CA's CRL and an OCSP response for the signer's certificate, from the
    // CA itself (its delegated responder), into /DSS — asked for once the signature is
    // timestamped, so that they cover the signing time (a response made before it would not).
    let status_from = if level >= PadesLevel::BLt {
        Some((
            crate::certificates::ca(state)?.clone(),
            u.key.record.ca_id.clone(),
            u.key.record.serial.clone(),
        ))
    } else {
        None
    };
    run_pades(PadesJob {
        parent: bytes.to_vec(),
        page: page_no,
        rect,
        appearance,
        reason: o.reason,
        location: o.location,
        signer: u.key.signer.clone(),
        certificate: u.key.certificate_der.clone(),
        chain: u.key.chain.clone(),
        level,
        tsa,
        crls: Vec::new(),
        ocsp_responses: Vec::new(),
        status_from,
        hash: pki_digest(u.digest),
    })
    .await
}

/// The TSA a signature at `level` needs (`None` for B-B); `503` when it is not configured.
pub(crate) fn tsa_for(
    state: &AppState,
    level: PadesLevel,
) -> Result<Option<Arc<TimestampAuthority>>, ApiError> {
    if level < PadesLevel::BT {
        return Ok(None);
    }
    state.tsa.clone().map(Some).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ProviderUnavailable,
            "level: the timestamp authority is not configured; only B-B is possible",
        )
    })
}

/// A PAdES signature to make, with what its level needs.
pub(crate) struct PadesJob {
    /// The file signed.
    pub(crate) parent: Vec<u8>,
    /// The page (from 1) and rectangle of the appearance.
    pub(crate) page: usize,
    pub(crate) rect: [f64; 4],
    pub(crate) appearance: Appearance,
    pub(crate) reason: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) signer: Arc<dyn Signer>,
    /// The signer's certificate and its chain (issuing CA first), DER.
    pub(crate) certificate: Vec<u8>,
    pub(crate) chain: Vec<Vec<u8>>,
    pub(crate) level: PadesLevel,
    /// The TSA, from B-T up.
    pub(crate) tsa: Option<Arc<TimestampAuthority>>,
    /// Validation data for /DSS (B-LT up), DER.
    pub(crate) crls: Vec<Vec<u8>>,
    pub(crate) ocsp_responses: Vec<Vec<u8>>,
    /// The CA, issuing CA id and serial of the signer's certificate, whose CRL and OCSP response
    /// go into /DSS (B-LT up), asked for after the signature's timestamp.
    pub(crate) status_from: Option<(Arc<yinxin_pki::ca::CertificateAuthority>, String, String)>,
    /// The document timestamp's digest (B-LTA).
    pub(crate) hash: DigestAlgorithm,
}

/// Signs on a blocking thread: the signature (with its timestamp from B-T), /DSS with the
/// certificates (the TSA's too) and `job`'s CRLs and OCSP responses (B-LT) — those of
/// `status_from` asked of the CA only once the signature is timestamped, so that they speak of
/// the certificate after the signing time — and the document timestamp (B-LTA).
pub(crate) async fn run_pades(job: PadesJob) -> Result<Vec<u8>, ApiError> {
    let PadesJob {
        parent,
        page,
        rect,
        appearance,
        reason,
        location,
        signer,
        certificate,
        chain,
        level,
        tsa,
        mut crls,
        mut ocsp_responses,
        status_from,
        hash,
    } = job;
    let (sign_tsa, certificate_der, sign_chain) = (tsa.clone(), certificate.clone(), chain.clone());
    let signed = blocking_sign(move || {
        let request = pades::Request {
            field_name: format!("Signature{}", uuid::Uuid::new_v4().simple()),
            page,
            rect,
            appearance,
            signing_time: std::time::SystemTime::now(),
            reason,
            location,
            name: None,
            signer_certificate_der: &certificate_der,
            chain: sign_chain.get(..1).unwrap_or_default(),
            contents_capacity: None,
        };
        let source = sign_tsa.map(crate::signing::TsaSource::new);
        let timestamps = source
            .as_ref()
            .map(|s| s as &dyn yinxin_sign::timestamp::TimestampSource);
        pades::sign(&parent, &request, signer.as_ref(), timestamps)
    })
    .await?;
    if level < PadesLevel::BLt {
        return Ok(signed);
    }
    if let Some((ca, ca_id, serial)) = status_from {
        crls.push(ca.crl(&ca_id).await.map_err(ApiError::from)?);
        ocsp_responses.push(ca.ocsp_for(&ca_id, &serial).await.map_err(ApiError::from)?);
    }
    blocking_sign(move || {
        let source = tsa.map(crate::signing::TsaSource::new);
        let mut certificates = vec![certificate];
        certificates.extend(chain);
        if let Some(s) = &source {
            certificates.extend(s.certificates());
        }
        let mut out = pades::add_dss(
            &signed,
            &pades::ValidationData {
                certificates,
                ocsp_responses,
                crls,
            },
        )?;
        if level == PadesLevel::BLta
            && let Some(s) = &source
        {
            out = pades::add_document_timestamp(&out, s, hash)?;
        }
        Ok(out)
    })
    .await
}
