//! Passkeys under `/api/v1` (ACC-3): register, list, delete, and the options that start a login.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_identity::{PasskeyChallenge, PasskeyInfo, PasskeyRegistration};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The passkey routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(registration_options))
        .routes(routes!(register_passkey, my_passkeys))
        .routes(routes!(delete_passkey))
        .routes(routes!(login_options))
}

/// Starts registering a passkey for the caller: creation options for
/// `navigator.credentials.create` (user verification required; attestation "none").
#[utoipa::path(post, path = "/api/v1/me/passkeys/options", tag = "accounts",
    responses(
        (status = 200, description = "Creation options", body = PasskeyChallenge),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn registration_options(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    Ok(Json(
        state
            .accounts
            .begin_passkey_registration(&caller.account)
            .await?,
    ))
}

/// Finishes registering a passkey: the authenticator's answer is verified (challenge, origin,
/// RP ID, user presence and verification, key algorithm) and the public key stored, sealed.
#[utoipa::path(post, path = "/api/v1/me/passkeys", tag = "accounts",
    request_body = PasskeyRegistration,
    responses(
        (status = 201, description = "Registered", body = PasskeyInfo),
        (status = 400, description = "The answer is not acceptable; the message names the field", body = ErrorBody),
        (status = 409, description = "Already registered", body = ErrorBody)
    ))]
async fn register_passkey(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(r): ApiJson<PasskeyRegistration>,
) -> Result<(StatusCode, Json<PasskeyInfo>), ApiError> {
    let info = state
        .accounts
        .finish_passkey_registration(&caller.account, &r)
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// The caller's passkeys.
#[derive(Debug, Serialize, ToSchema)]
pub struct Passkeys {
    /// Oldest first.
    pub passkeys: Vec<PasskeyInfo>,
}

/// Lists the caller's passkeys.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "accounts",
    responses(
        (status = 200, description = "Passkeys", body = Passkeys),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn my_passkeys(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Passkeys>, ApiError> {
    Ok(Json(Passkeys {
        passkeys: state.accounts.passkeys(&caller.account).await?,
    }))
}

/// Deletes one of the caller's passkeys.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The passkey id from the list")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such passkey of the caller's", body = ErrorBody)
    ))]
async fn delete_passkey(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .delete_passkey(caller.account.id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a passkey login: request options for `navigator.credentials.get` with an empty allow
/// list (the device offers its passkeys for this site; nothing about accounts is revealed).
/// Then `POST /api/v1/sessions` with `{"method": "passkey", "challenge_id", "credential"}`.
#[utoipa::path(post, path = "/api/v1/sessions/passkey-options", tag = "accounts",
    responses(
        (status = 200, description = "Request options", body = PasskeyChallenge),
        (status = 429, description = "Too many from this address", body = ErrorBody)
    ))]
async fn login_options(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    Ok(Json(state.accounts.begin_passkey_login(peer.ip()).await?))
}
