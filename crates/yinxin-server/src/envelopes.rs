//! Envelopes over HTTP (issue 6 items 6 and 8; SIGN-1, SIGN-3, ACC-2).
//!
//! - `POST /api/v1/envelopes` sends one of the caller's documents to signers — persons, or
//!   enterprises through the agent who applies the seal — in `sequential` or `parallel` order,
//!   each with fields placed on pages (checked against the document: a page that does not exist
//!   or a rectangle off the page is refused naming `signers[i].fields[j].page` / `.rect`).
//! - `GET /api/v1/envelopes` lists the caller's (sent, or to sign); `GET /api/v1/envelopes/{id}`
//!   shows one with its signers, its current version (whose digest an intent binds) and its
//!   audit trail — to its owner and signers only (`404` for anyone else).
//! - `GET /api/v1/envelopes/{id}/content` is the current version (the final PDF once completed),
//!   and records a `viewed` event.
//! - `POST /api/v1/envelopes/{id}/sign` signs the caller's next field over the current version,
//!   with a confirmed intent for *its* digest (as for a document); `409` when it is not their
//!   turn, when the envelope is closed, or when another signature moved the version meanwhile
//!   (then nothing was stored, and the intent is still unused — but it binds the old digest).
//! - `POST /api/v1/envelopes/{id}/decline` (a signer) and `/cancel` (the owner) close it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::envelope::{Envelope, EnvelopeEvent, EnvelopeField, EnvelopeOrder, FieldKind};
use yinxin_domain::signing::{DocumentRecord, SignatureFormat};
use yinxin_domain::{AccountId, DomainError};
use yinxin_identity::SignerSpec;

use crate::AppState;
use crate::documents::{
    AppearanceKind, PadesLevel, Placement, SignOptions, check_placement, describe, pages_of,
    short_text, sign_pdf,
};
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};
use crate::signing::{KeyChoice, check_intent, key_use, signature_evidence, signature_record};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(send_envelope, my_envelopes))
        .routes(routes!(envelope_info))
        .routes(routes!(envelope_content))
        .routes(routes!(sign_envelope))
        .routes(routes!(decline_envelope))
        .routes(routes!(cancel_envelope))
}

/// A signer to send to.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignerRequest {
    /// The person (account id) who signs, or who applies `enterprise`'s seal as its agent.
    pub account: String,
    /// The enterprise (account id) whose seal is applied.
    #[serde(default)]
    pub enterprise: Option<String>,
    /// Their fields, signed in this order: `signature` for a person, `seal` or
    /// `cross_page_seal` for an enterprise.
    pub fields: Vec<EnvelopeField>,
}

/// An envelope to send.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeRequest {
    /// One of the caller's documents.
    pub document: String,
    /// `sequential` (default) or `parallel`.
    #[serde(default)]
    pub order: Option<EnvelopeOrder>,
    /// Unix second until which it may be signed (default and longest: 30 days).
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// 1 to 20 signers.
    pub signers: Vec<SignerRequest>,
}

/// An envelope with its current version and its trail.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnvelopeView {
    /// The envelope and its signers.
    pub envelope: Envelope,
    /// The current version: the document the next signature is made over, or the final one.
    pub current: DocumentRecord,
    /// The audit trail.
    pub events: Vec<EnvelopeEvent>,
}

/// A signature to make in an envelope: the caller's next field.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignRequest {
    /// The key: the caller's own certificate for a `signature` field, the enterprise's (with its
    /// seal) for a seal.
    #[serde(flatten)]
    pub key: KeyChoice,
    /// The confirmed intent for this certificate and the current version's digest.
    #[serde(default)]
    pub intent_id: Option<String>,
    /// For a `signature` field with a rectangle, a signature image of the caller's.
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

/// A field signed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnvelopeSigned {
    /// The signature's record.
    pub signature_id: String,
    /// The level reached.
    pub level: PadesLevel,
    /// The new current version.
    pub document: DocumentRecord,
    /// The envelope after it (`completed` when this was the last field).
    pub envelope: Envelope,
}

fn placement(f: &EnvelopeField) -> Placement {
    Placement {
        kind: match f.kind {
            FieldKind::Signature if f.rect.is_some() => AppearanceKind::Image,
            FieldKind::Signature => AppearanceKind::Invisible,
            FieldKind::Seal => AppearanceKind::Image,
            FieldKind::CrossPageSeal => AppearanceKind::CrossPageSeal,
        },
        page: f.page,
        rect: f.rect,
    }
}

async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<EnvelopeView, ApiError> {
    let (envelope, events) = state.accounts.envelope_events(&caller.account, id).await?;
    let current = state.accounts.envelope_record(&envelope).await?;
    Ok(EnvelopeView {
        envelope,
        current,
        events,
    })
}

/// Sends a document of the caller's to its signers; those who may sign first are notified.
#[utoipa::path(post, path = "/api/v1/envelopes", tag = "signing",
    request_body = EnvelopeRequest,
    responses(
        (status = 201, body = EnvelopeView),
        (status = 400, description = "A field is wrong (a signer who is not a person, a field off the page, …): the message names it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such document of the caller's", body = ErrorBody)))]
async fn send_envelope(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<EnvelopeRequest>,
) -> Result<(StatusCode, Json<EnvelopeView>), ApiError> {
    let (_, bytes) = state
        .accounts
        .document(&caller.account, &req.document)
        .await?;
    let pages = pages_of(&bytes)?;
    let mut signers = Vec::with_capacity(req.signers.len());
    for (i, s) in req.signers.into_iter().enumerate() {
        let account: AccountId = path_id(&s.account, &format!("signers[{i}].account"))?;
        let enterprise = s
            .enterprise
            .as_deref()
            .map(|e| path_id::<AccountId>(e, &format!("signers[{i}].enterprise")))
            .transpose()?;
        for (j, f) in s.fields.iter().enumerate() {
            if f.kind != FieldKind::Signature && f.rect.is_none() {
                return Err(DomainError::invalid(
                    &format!("signers[{i}].fields[{j}].rect"),
                    "a seal needs its rectangle",
                )
                .into());
            }
            check_placement(&pages, &placement(f), &format!("signers[{i}].fields[{j}]."))?;
        }
        signers.push(SignerSpec {
            account,
            enterprise,
            fields: s.fields,
        });
    }
    let (envelope, _) = state
        .accounts
        .send_envelope(
            &caller.account,
            &req.document,
            req.order.unwrap_or(EnvelopeOrder::Sequential),
            req.expires_at,
            signers,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &caller, &envelope.id).await?),
    ))
}

/// The envelopes the caller sent or signs in, newest first.
#[utoipa::path(get, path = "/api/v1/envelopes", tag = "signing",
    responses((status = 200, body = Vec<Envelope>), (status = 401, body = ErrorBody)))]
async fn my_envelopes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Envelope>>, ApiError> {
    Ok(Json(state.accounts.envelopes_of(&caller.account).await?))
}

/// An envelope of the caller's (sent, or to sign): signers, current version, trail.
#[utoipa::path(get, path = "/api/v1/envelopes/{id}", tag = "signing",
    params(("id" = String, Path, description = "The envelope")),
    responses((status = 200, body = EnvelopeView), (status = 404, body = ErrorBody)))]
async fn envelope_info(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnvelopeView>, ApiError> {
    Ok(Json(view(&state, &caller, &id).await?))
}

/// The envelope's current version (the final PDF once completed); recorded as viewed.
#[utoipa::path(get, path = "/api/v1/envelopes/{id}/content", tag = "signing",
    params(("id" = String, Path, description = "The envelope")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = ErrorBody)))]
async fn envelope_content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let e = state.accounts.envelope_for(&caller.account, &id).await?;
    let (_, bytes) = state.accounts.envelope_document(&e).await?;
    state.accounts.envelope_viewed(&caller.account, &e).await?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes.to_vec()))
}

/// Signs the caller's next field of the envelope over its current version.
#[utoipa::path(post, path = "/api/v1/envelopes/{id}/sign", tag = "signing",
    params(("id" = String, Path, description = "The envelope")),
    request_body = EnvelopeSignRequest,
    responses(
        (status = 201, body = EnvelopeSigned),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 403, description = "No confirmed intent for the current version (INTENT_REQUIRED), a key that is not the signer's, no seal authorization", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not the caller's turn, the envelope is closed, or it changed meanwhile", body = ErrorBody),
        (status = 503, description = "The timestamp authority cannot issue now; nothing was signed", body = ErrorBody)))]
async fn sign_envelope(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EnvelopeSignRequest>,
) -> Result<(StatusCode, Json<EnvelopeSigned>), ApiError> {
    short_text("reason", &req.reason)?;
    short_text("location", &req.location)?;
    let e = state.accounts.envelope_for(&caller.account, &id).await?;
    let u = key_use(&state, &caller, &req.key).await?;
    let signer = state
        .accounts
        .signer_turn(&caller.account, &e, u.enterprise)?
        .clone();
    let field = signer
        .fields
        .get(signer.signed_fields as usize)
        .cloned()
        .ok_or_else(|| ApiError::internal(yinxin_domain::ErrorCode::Internal, "no field left"))?;
    let (doc, bytes) = state.accounts.envelope_document(&e).await?;
    let digest = doc.digest(u.digest).to_vec();
    let intent = check_intent(&state, &caller, &u, req.intent_id.as_deref(), &digest).await?;
    let options = SignOptions {
        signature_image: req.signature_image.clone(),
        level: req.level.unwrap_or(PadesLevel::BT),
        reason: req.reason.clone(),
        location: req.location.clone(),
    };
    let level = options.level;
    let signed = sign_pdf(&state, &caller, &u, &bytes, &placement(&field), options).await?;
    let new = describe(&signed, e.owner, Some(doc.id.clone()))?;
    let record = signature_record(
        &caller,
        &u,
        intent.as_ref().map(|i| i.id.clone()),
        SignatureFormat::Pades,
        digest,
        Some(&new),
    );
    let evidence = signature_evidence(&record, &signed)?;
    state
        .accounts
        .envelope_signed(
            &e,
            &signer,
            &doc.id,
            &record,
            &new,
            &signed,
            intent.and_then(|i| i.confirmed_at),
            &evidence,
        )
        .await?;
    let envelope = state.accounts.envelope_for(&caller.account, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(EnvelopeSigned {
            signature_id: record.id,
            level,
            document: new,
            envelope,
        }),
    ))
}

/// A signer declines: the envelope ends, `declined`.
#[utoipa::path(post, path = "/api/v1/envelopes/{id}/decline", tag = "signing",
    params(("id" = String, Path, description = "The envelope")),
    responses(
        (status = 200, body = Envelope),
        (status = 403, description = "Not a signer with fields left", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Closed already", body = ErrorBody)))]
async fn decline_envelope(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope>, ApiError> {
    Ok(Json(
        state
            .accounts
            .decline_envelope(&caller.account, &id)
            .await?,
    ))
}

/// The owner cancels: the envelope ends, `cancelled`.
#[utoipa::path(post, path = "/api/v1/envelopes/{id}/cancel", tag = "signing",
    params(("id" = String, Path, description = "The envelope")),
    responses(
        (status = 200, body = Envelope),
        (status = 403, description = "Not the owner", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Closed already", body = ErrorBody)))]
async fn cancel_envelope(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope>, ApiError> {
    Ok(Json(
        state.accounts.cancel_envelope(&caller.account, &id).await?,
    ))
}
