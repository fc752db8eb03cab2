//! Signature images and enterprise seals under `/api/v1` (SIGN-2, SIGN-3, ACC-2).
//!
//! Images are drawn by `yinxin-sign` on a blocking thread; the accounts service checks who may
//! make, see and use what, and seals the images in the vault. Another account's signature
//! image, or a seal of an enterprise the caller does not act for, answers 404.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::seal::{
    SealAuthorization, SealCategory, SealPurpose, SealRecord, SignatureImageRecord,
    SignatureSource, SignatureStyle,
};
use yinxin_domain::{AccountId, ErrorCode, SealAuthorizationId, SealId, SignatureImageId};
use yinxin_identity::SealGrant;
use yinxin_sign::image::{ImageError, RenderedImage};
use yinxin_sign::signature::Drawing;

use crate::AppState;
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The largest signature-image body: a 2 MiB PNG in base64 (4/3), plus fields; or strokes.
pub const SIGNATURE_BODY_MAX: usize = 3 * 1024 * 1024;

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    let with_images = OpenApiRouter::new()
        .routes(routes!(list_signature_images, create_signature_image))
        .layer(DefaultBodyLimit::max(SIGNATURE_BODY_MAX));
    r.merge(with_images)
        .routes(routes!(signature_image, delete_signature_image))
        .routes(routes!(list_seals, create_seal))
        .routes(routes!(seal_image))
        .routes(routes!(list_seal_authorizations, grant_seal_authorization))
        .routes(routes!(revoke_seal_authorization))
        .routes(routes!(may_use_seal))
}

/// How to make a signature image (SIGN-2). `source` says which of the other fields apply:
/// `style` for `style`; `width`, `height`, `strokes` (and `pen_width`) for `strokes`; `png` for
/// `upload`. Of hand-drawn strokes only positions are accepted: no timing or pressure.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureImageRequest {
    /// `style` (the registered name written in a style), `strokes` (drawn by hand, rendered
    /// here) or `upload` (a PNG drawn elsewhere).
    pub source: SignatureSource,
    /// `kai` (楷书, handwriting-like) or `ming` (明体); with `source = style`.
    #[serde(default)]
    pub style: Option<SignatureStyle>,
    /// Drawing box width in pixels (16 to 2048); with `source = strokes`.
    #[serde(default)]
    pub width: Option<u32>,
    /// Drawing box height in pixels (16 to 2048); with `source = strokes`.
    #[serde(default)]
    pub height: Option<u32>,
    /// Pen width in pixels (1 to 40; default 6); with `source = strokes`.
    #[serde(default)]
    pub pen_width: Option<f32>,
    /// The strokes, each a list of `[x, y]` points in pixels from the box's top-left corner (1 to
    /// 256 strokes, at most 2048 points each and 20000 in all); with `source = strokes`.
    #[serde(default)]
    pub strokes: Option<Vec<Vec<[f32; 2]>>>,
    /// The PNG, base64 (at most 2 MiB, 16 to 2048 pixels a side; decoded and re-encoded, so no
    /// metadata is kept); with `source = upload`.
    #[serde(default)]
    pub png: Option<String>,
}

fn required<T>(value: Option<T>, field: &str, source: SignatureSource) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("{field}: required when source is {}", source.as_str()),
        )
    })
}

impl std::fmt::Debug for SignatureImageRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignatureImageRequest(<redacted>)")
    }
}

/// The caller's signature images.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureImages {
    /// Oldest first.
    pub images: Vec<SignatureImageRecord>,
}

fn image_error(e: ImageError) -> ApiError {
    match e {
        ImageError::Invalid { field, message } => {
            ApiError::new(ErrorCode::InvalidInput, format!("{field}: {message}"))
        }
        other => ApiError::internal(ErrorCode::Internal, format!("drawing an image: {other}")),
    }
}

/// Runs a drawing on a blocking thread (a seal takes some milliseconds of CPU; a font's first
/// use reads its file).
async fn draw(
    job: impl FnOnce() -> Result<RenderedImage, ImageError> + Send + 'static,
) -> Result<RenderedImage, ApiError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("drawing task: {e}")))?
        .map_err(image_error)
}

fn png_response(png: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        png,
    )
        .into_response()
}

/// Makes a signature image for the caller (SIGN-2): the registered name in a style, strokes
/// drawn by hand, or an uploaded PNG. A hand-drawn one is sensitive personal information and
/// needs the separate consent `sensitive_personal_information` to stand.
#[utoipa::path(post, path = "/api/v1/signature-images", tag = "signatures",
    request_body = SignatureImageRequest,
    responses(
        (status = 201, description = "Made", body = SignatureImageRecord),
        (status = 400, description = "A field is invalid (unknown style, a character the style's font lacks, strokes outside the box, not a PNG); the message names it", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a personal account, or the separate consent was withdrawn (CONSENT_REQUIRED)", body = ErrorBody)
    ))]
async fn create_signature_image(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<SignatureImageRequest>,
) -> Result<(StatusCode, Json<SignatureImageRecord>), ApiError> {
    let fonts = state.fonts.clone();
    let r = request;
    let source = r.source;
    for (value, field) in [
        (r.style.is_some(), "style"),
        (r.width.is_some(), "width"),
        (r.height.is_some(), "height"),
        (r.pen_width.is_some(), "pen_width"),
        (r.strokes.is_some(), "strokes"),
        (r.png.is_some(), "png"),
    ] {
        let used = match source {
            SignatureSource::Style => field == "style",
            SignatureSource::Strokes => {
                matches!(field, "width" | "height" | "pen_width" | "strokes")
            }
            SignatureSource::Upload => field == "png",
        };
        if value && !used {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{field}: not used when source is {}; leave it out",
                    source.as_str()
                ),
            ));
        }
    }
    let (style, image) = match source {
        SignatureSource::Style => {
            let style = required(r.style, "style", source)?;
            let name = state.accounts.signature_name(&caller.account).await?;
            let image =
                draw(move || yinxin_sign::signature::styled(&fonts, style, name.as_str())).await?;
            (Some(style), image)
        }
        SignatureSource::Strokes => {
            let drawing = Drawing {
                width: required(r.width, "width", source)?,
                height: required(r.height, "height", source)?,
                pen_width: r.pen_width,
                strokes: required(r.strokes, "strokes", source)?,
            };
            (
                None,
                draw(move || yinxin_sign::signature::drawn(&drawing)).await?,
            )
        }
        SignatureSource::Upload => {
            let png = required(r.png, "png", source)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(png.as_bytes())
                .map_err(|_| ApiError::new(ErrorCode::InvalidInput, "png: must be base64"))?;
            (
                None,
                draw(move || yinxin_sign::signature::uploaded(&bytes, "png")).await?,
            )
        }
    };
    let record = state
        .accounts
        .record_signature_image(
            &caller.account,
            source,
            style,
            &image.png,
            image.width,
            image.height,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The caller's signature images (without the images).
#[utoipa::path(get, path = "/api/v1/signature-images", tag = "signatures",
    responses(
        (status = 200, description = "The caller's signature images", body = SignatureImages),
        (status = 401, description = "Not logged in", body = ErrorBody)
    ))]
async fn list_signature_images(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SignatureImages>, ApiError> {
    let images = state.accounts.signature_images(caller.account.id).await?;
    Ok(Json(SignatureImages { images }))
}

/// One of the caller's signature images, as PNG (SIGN-2: viewable).
#[utoipa::path(get, path = "/api/v1/signature-images/{id}", tag = "signatures",
    params(("id" = String, Path, description = "The signature image")),
    responses(
        (status = 200, description = "The image", content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "No signature image of the caller's with this id", body = ErrorBody)
    ))]
async fn signature_image(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: SignatureImageId = path_id(&id, "id")?;
    let (_, png) = state.accounts.signature_image(&caller.account, id).await?;
    Ok(png_response(png))
}

/// Deletes one of the caller's signature images.
#[utoipa::path(delete, path = "/api/v1/signature-images/{id}", tag = "signatures",
    params(("id" = String, Path, description = "The signature image")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No signature image of the caller's with this id", body = ErrorBody)
    ))]
async fn delete_signature_image(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: SignatureImageId = path_id(&id, "id")?;
    state
        .accounts
        .delete_signature_image(caller.account.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new seal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealRequest {
    /// `official`, `contract`, `finance`, `hr` or `legal_representative`.
    pub category: SealCategory,
}

/// An enterprise's seals.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seals {
    /// Oldest first.
    pub seals: Vec<SealRecord>,
}

/// Makes a seal for the enterprise (scope `manage_seals`; SIGN-3): a round red seal with the
/// registered name, or the legal representative's square seal.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/seals", tag = "signatures",
    params(("id" = String, Path, description = "The enterprise's account id")),
    request_body = SealRequest,
    responses(
        (status = 201, description = "Made", body = SealRecord),
        (status = 400, description = "Unknown category, or a name the seal font cannot draw; the message names the field", body = ErrorBody),
        (status = 403, description = "The caller's authorization lacks manage_seals", body = ErrorBody),
        (status = 404, description = "No such enterprise that the caller acts for", body = ErrorBody)
    ))]
async fn create_seal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SealRequest>,
) -> Result<(StatusCode, Json<SealRecord>), ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let category = request.category;
    let inscription = state
        .accounts
        .seal_inscription(caller.account.id, enterprise, category)
        .await?;
    let fonts = state.fonts.clone();
    let code = inscription.anti_counterfeit_code.clone();
    let image = draw(move || {
        yinxin_sign::seal::render(
            &fonts,
            category,
            inscription.name.as_str(),
            &inscription.anti_counterfeit_code,
        )
    })
    .await?;
    let code = (category != SealCategory::LegalRepresentative).then_some(code);
    let record = state
        .accounts
        .record_seal(
            caller.account.id,
            enterprise,
            category,
            code,
            &image.png,
            image.width,
            image.height,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The enterprise's seals (scope `view`, `use_seals` or `manage_seals`).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/seals", tag = "signatures",
    params(("id" = String, Path, description = "The enterprise's account id")),
    responses(
        (status = 200, description = "Seals", body = Seals),
        (status = 404, description = "No such enterprise that the caller acts for", body = ErrorBody)
    ))]
async fn list_seals(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Seals>, ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let seals = state.accounts.seals(caller.account.id, enterprise).await?;
    Ok(Json(Seals { seals }))
}

/// A seal's image as PNG (scope `view`, `use_seals` or `manage_seals`).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/seals/{seal_id}/image", tag = "signatures",
    params(
        ("id" = String, Path, description = "The enterprise's account id"),
        ("seal_id" = String, Path, description = "The seal")
    ),
    responses(
        (status = 200, description = "The image", content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "No such enterprise that the caller acts for, or no such seal of it", body = ErrorBody)
    ))]
async fn seal_image(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, seal_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let seal: SealId = path_id(&seal_id, "seal_id")?;
    let (_, png) = state
        .accounts
        .seal_image(caller.account.id, enterprise, seal)
        .await?;
    Ok(png_response(png))
}

/// A seal's authorizations.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealAuthorizations {
    /// Oldest first, revoked and expired included.
    pub authorizations: Vec<SealAuthorization>,
}

/// Authorizes an agent to use a seal for purposes, within a validity window (scope
/// `manage_seals`). The agent needs a live enterprise authorization with `use_seals` too.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/seals/{seal_id}/authorizations", tag = "signatures",
    params(
        ("id" = String, Path, description = "The enterprise's account id"),
        ("seal_id" = String, Path, description = "The seal")
    ),
    request_body = SealGrant,
    responses(
        (status = 201, description = "Granted", body = SealAuthorization),
        (status = 400, description = "A field is invalid, or the agent may not use the enterprise's seals; the message names the field", body = ErrorBody),
        (status = 403, description = "The caller's authorization lacks manage_seals", body = ErrorBody),
        (status = 404, description = "No such enterprise, seal or agent username", body = ErrorBody)
    ))]
async fn grant_seal_authorization(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, seal_id)): Path<(String, String)>,
    ApiJson(g): ApiJson<SealGrant>,
) -> Result<(StatusCode, Json<SealAuthorization>), ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let seal: SealId = path_id(&seal_id, "seal_id")?;
    let record = state
        .accounts
        .grant_seal_authorization(caller.account.id, enterprise, seal, &g)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// A seal's authorizations (scope `manage_seals`).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/seals/{seal_id}/authorizations", tag = "signatures",
    params(
        ("id" = String, Path, description = "The enterprise's account id"),
        ("seal_id" = String, Path, description = "The seal")
    ),
    responses(
        (status = 200, description = "Authorizations", body = SealAuthorizations),
        (status = 403, description = "The caller's authorization lacks manage_seals", body = ErrorBody),
        (status = 404, description = "No such enterprise or seal", body = ErrorBody)
    ))]
async fn list_seal_authorizations(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, seal_id)): Path<(String, String)>,
) -> Result<Json<SealAuthorizations>, ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let seal: SealId = path_id(&seal_id, "seal_id")?;
    let authorizations = state
        .accounts
        .seal_authorizations(caller.account.id, enterprise, seal)
        .await?;
    Ok(Json(SealAuthorizations { authorizations }))
}

/// Revokes a seal authorization (scope `manage_seals`); the record stays, marked revoked with
/// who and when.
#[utoipa::path(post,
    path = "/api/v1/enterprises/{id}/seals/{seal_id}/authorizations/{authorization_id}/revoke",
    tag = "signatures",
    params(
        ("id" = String, Path, description = "The enterprise's account id"),
        ("seal_id" = String, Path, description = "The seal"),
        ("authorization_id" = String, Path, description = "The seal authorization")
    ),
    responses(
        (status = 200, description = "Revoked", body = SealAuthorization),
        (status = 403, description = "The caller's authorization lacks manage_seals", body = ErrorBody),
        (status = 404, description = "No such enterprise, seal or authorization", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody)
    ))]
async fn revoke_seal_authorization(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, seal_id, authorization_id)): Path<(String, String, String)>,
) -> Result<Json<SealAuthorization>, ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let seal: SealId = path_id(&seal_id, "seal_id")?;
    let authorization: SealAuthorizationId = path_id(&authorization_id, "authorization_id")?;
    Ok(Json(
        state
            .accounts
            .revoke_seal_authorization(caller.account.id, enterprise, seal, authorization)
            .await?,
    ))
}

/// The purpose asked about.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SealUseQuery {
    /// `contract_signing`, `document_signing` or `auto_sign`.
    pub purpose: SealPurpose,
}

/// Whether the caller may use a seal now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealUse {
    /// True when a live seal authorization for the purpose and a live enterprise authorization
    /// with `use_seals` both hold now.
    pub allowed: bool,
    /// The seal authorization that allows it.
    pub authorization: Option<SealAuthorization>,
}

/// Whether the caller may use this seal now for `purpose` (SIGN-3, ACC-2): the question the
/// signing code asks before it applies a seal.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/seals/{seal_id}/may-use", tag = "signatures",
    params(
        ("id" = String, Path, description = "The enterprise's account id"),
        ("seal_id" = String, Path, description = "The seal"),
        SealUseQuery
    ),
    responses(
        (status = 200, description = "The answer", body = SealUse),
        (status = 400, description = "Unknown purpose", body = ErrorBody),
        (status = 404, description = "No such enterprise that the caller acts for, or no such seal of it", body = ErrorBody)
    ))]
async fn may_use_seal(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, seal_id)): Path<(String, String)>,
    query: Result<Query<SealUseQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SealUse>, ApiError> {
    let enterprise: AccountId = path_id(&id, "id")?;
    let seal: SealId = path_id(&seal_id, "seal_id")?;
    let Query(q) = query.map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidInput,
            "purpose: must be contract_signing, document_signing or auto_sign",
        )
    })?;
    // Strangers and unknown seals get 404 here, as everywhere.
    state
        .accounts
        .seal(caller.account.id, enterprise, seal)
        .await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let authorization = state
        .accounts
        .may_use_seal(caller.account.id, enterprise, seal, q.purpose, now)
        .await?;
    Ok(Json(SealUse {
        allowed: authorization.is_some(),
        authorization,
    }))
}
