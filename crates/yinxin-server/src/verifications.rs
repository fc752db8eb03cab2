//! Identity verification under `/api/v1` (IDV-1..IDV-6, PRIV-7): verifications, the enterprise
//! deposit, the identity credential and its keys, the processor register and the disclosure log.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::verification::{DisclosureRecord, ProcessorRecord};
use yinxin_identity::ReceiptJwk;
use yinxin_identity::idv::{
    DepositSent, IssuedCredential, VerificationHistory, VerificationRequest, VerificationResult,
    VerificationStatus,
};
use zeroize::Zeroizing;

use crate::AppState;
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The largest verification body: two images of at most 4 MiB each, base64 (4/3), plus fields.
pub const VERIFICATION_BODY_MAX: usize = 12 * 1024 * 1024;

/// The verification routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    let with_images = OpenApiRouter::new()
        .routes(routes!(verify))
        .layer(DefaultBodyLimit::max(VERIFICATION_BODY_MAX));
    r.merge(with_images)
        .routes(routes!(my_verifications))
        .routes(routes!(my_credential))
        .routes(routes!(my_disclosures))
        .routes(routes!(enterprise_verifications))
        .routes(routes!(start_deposit))
        .routes(routes!(confirm_deposit))
        .routes(routes!(processors))
        .routes(routes!(credential_keys))
}

/// Verifies the caller's identity (or, with `enterprise`, an enterprise's) by one method. Each
/// method needs its separate consent first (`idv_carrier`, `idv_bank_card`, `idv_face`,
/// `idv_id_card_capture`, `idv_enterprise`). The name and document number must be the ones
/// registered with the account. Images are base64 PNG or JPEG, at most 4 MiB; they are used for
/// this call only and never stored. A match issues a new identity credential (the old one is
/// superseded).
#[utoipa::path(post, path = "/api/v1/verifications", tag = "verification",
    request_body = VerificationRequest,
    responses(
        (status = 201, description = "Verified, or a mismatch recorded (see `record.outcome`)", body = VerificationResult),
        (status = 400, description = "A field is invalid; the message names it; nothing was sent", body = ErrorBody),
        (status = 403, description = "The method's separate consent is missing (CONSENT_REQUIRED)", body = ErrorBody),
        (status = 429, description = "Too many attempts today", body = ErrorBody),
        (status = 503, description = "No provider answered (PROVIDER_UNAVAILABLE); status unchanged", body = ErrorBody)
    ))]
async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<VerificationRequest>,
) -> Result<(StatusCode, Json<VerificationResult>), ApiError> {
    let result = state.verifications.verify(&caller.account, request).await?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// The caller's verification records, status and credentials.
#[utoipa::path(get, path = "/api/v1/me/verifications", tag = "verification",
    responses((status = 200, description = "Records, newest first", body = VerificationHistory)))]
async fn my_verifications(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<VerificationHistory>, ApiError> {
    Ok(Json(state.verifications.history(caller.account.id).await?))
}

/// The caller's current personal identity credential (IDV-6): a JWS a relying party checks
/// offline with the keys at `/.well-known/yinxin-credential-keys`.
#[utoipa::path(get, path = "/api/v1/me/credential", tag = "verification",
    responses(
        (status = 200, description = "The credential", body = IssuedCredential),
        (status = 404, description = "Not verified yet", body = ErrorBody)
    ))]
async fn my_credential(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<IssuedCredential>, ApiError> {
    Ok(Json(state.verifications.credential(&caller.account).await?))
}

/// Disclosures, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Disclosures {
    /// Which data items went to which processor, when, why, with what result — never values.
    pub disclosures: Vec<DisclosureRecord>,
    /// Which data items went to which relying application where the caller uses a certificate
    /// (CERT-6), when and why — never values.
    pub to_applications: Vec<yinxin_domain::relying::AppDisclosureRecord>,
}

/// Where the caller's data went (IDV-3, PRIV-7).
#[utoipa::path(get, path = "/api/v1/me/disclosures", tag = "verification",
    responses((status = 200, description = "The disclosure log of the caller", body = Disclosures)))]
async fn my_disclosures(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Disclosures>, ApiError> {
    Ok(Json(Disclosures {
        disclosures: state.verifications.disclosures(caller.account.id).await?,
        to_applications: state.accounts.app_disclosures_of(caller.account.id).await?,
    }))
}

/// An enterprise's verification records (scope `view`).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/verifications", tag = "verification",
    params(("id" = String, Path, description = "The enterprise's account id")),
    responses(
        (status = 200, description = "Records, newest first", body = VerificationHistory),
        (status = 404, description = "No such enterprise that the caller acts for", body = ErrorBody)
    ))]
async fn enterprise_verifications(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VerificationHistory>, ApiError> {
    let id = path_id(&id, "id")?;
    Ok(Json(
        state
            .verifications
            .enterprise_history(caller.account.id, id)
            .await?,
    ))
}

/// The corporate account to send a deposit to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// The corporate bank account number (held in the enterprise's registered name).
    #[schema(value_type = String)]
    pub account_number: Zeroizing<String>,
}

impl std::fmt::Debug for DepositRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DepositRequest(..)")
    }
}

/// Sends a small random deposit (0.01 to 0.99 yuan) to the enterprise's corporate account
/// (IDV-2; scope `manage_agents`, consent `idv_enterprise`, after a matched `enterprise`
/// check). The account number is sent to the provider and not stored (only its last four digits).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/deposit", tag = "verification",
    params(("id" = String, Path, description = "The enterprise's account id")),
    request_body = DepositRequest,
    responses(
        (status = 201, description = "Sent; confirm the amount received", body = DepositSent),
        (status = 400, description = "A field is invalid, or the enterprise is not checked yet", body = ErrorBody),
        (status = 403, description = "Missing scope or consent", body = ErrorBody),
        (status = 503, description = "No provider answered", body = ErrorBody)
    ))]
async fn start_deposit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<DepositRequest>,
) -> Result<(StatusCode, Json<DepositSent>), ApiError> {
    let id = path_id(&id, "id")?;
    let sent = state
        .verifications
        .start_deposit(&caller.account, id, &r.account_number)
        .await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// The amount the enterprise received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositConfirmation {
    /// In fen (1 to 99).
    pub amount_fen: i64,
}

/// Confirms the deposit's amount. A wrong amount answers 400 with the attempts left; after the
/// last one the deposit fails and a new one must be started.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/deposit/confirm", tag = "verification",
    params(("id" = String, Path, description = "The enterprise's account id")),
    request_body = DepositConfirmation,
    responses(
        (status = 200, description = "Confirmed: the enterprise's status", body = VerificationStatus),
        (status = 400, description = "Wrong amount (attempts left in the message), or expired", body = ErrorBody),
        (status = 404, description = "No pending deposit", body = ErrorBody)
    ))]
async fn confirm_deposit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<DepositConfirmation>,
) -> Result<Json<VerificationStatus>, ApiError> {
    let id = path_id(&id, "id")?;
    Ok(Json(
        state
            .verifications
            .confirm_deposit(&caller.account, id, r.amount_fen)
            .await?,
    ))
}

/// The processor register.
#[derive(Debug, Serialize, ToSchema)]
pub struct Processors {
    /// Every provider that receives personal information on the service's behalf.
    pub processors: Vec<ProcessorRecord>,
}

/// The processors that receive personal information on the service's behalf (IDV-3, PRIV-7):
/// name, contact, data items, purpose, processing method, location.
#[utoipa::path(get, path = "/api/v1/privacy/processors", tag = "privacy",
    responses((status = 200, description = "The register", body = Processors)))]
async fn processors(State(state): State<AppState>) -> Result<Json<Processors>, ApiError> {
    Ok(Json(Processors {
        processors: state.verifications.processors().await?,
    }))
}

/// A JWK set (RFC 7517).
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialKeys {
    /// Every key that has signed identity credentials, newest first.
    pub keys: Vec<ReceiptJwk>,
}

/// The public keys that verify identity credentials (IDV-6).
#[utoipa::path(get, path = "/.well-known/yinxin-credential-keys", tag = "verification",
    responses((status = 200, description = "JWK set", body = CredentialKeys)))]
async fn credential_keys(State(state): State<AppState>) -> Result<Json<CredentialKeys>, ApiError> {
    Ok(Json(CredentialKeys {
        keys: state.verifications.credential_keys().await?,
    }))
}
