//! Enterprises and agent authorizations under `/api/v1` (ACC-2).

use std::net::SocketAddr;
use std::str::FromStr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::enterprise::AuthorizationRecord;
use yinxin_domain::{AccountId, AuthorizationId, ErrorCode};
use yinxin_identity::{AuthorizationGrant, EnterpriseProfile, EnterpriseRegistration};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The enterprise routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(register_enterprise))
        .routes(routes!(enterprise))
        .routes(routes!(list_authorizations, grant_authorization))
        .routes(routes!(revoke_authorization))
        .routes(routes!(my_authorizations))
}

/// A path parameter that must be a UUID; anything else is `400 INVALID_INPUT` naming it.
pub(crate) fn path_id<T: FromStr>(value: &str, name: &str) -> Result<T, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::InvalidInput, format!("{name}: must be a UUID")))
}

/// A new enterprise.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredEnterprise {
    /// The enterprise's account id.
    #[schema(value_type = String, format = Uuid)]
    pub enterprise_id: AccountId,
    /// The registrant's authorization (every scope).
    pub authorization: AuthorizationRecord,
}

/// Registers an enterprise (ACC-2). The caller, logged in to a personal account, becomes its first
/// agent. The credit code is checked by GB 32100 (or GB 11714 for an organization code), the legal
/// representative's document by its published rule; a refusal names the field and stores nothing.
#[utoipa::path(post, path = "/api/v1/accounts/enterprise", tag = "enterprises",
    request_body = EnterpriseRegistration,
    responses(
        (status = 201, description = "Registered", body = RegisteredEnterprise),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "A consent is missing (CONSENT_REQUIRED)", body = ErrorBody),
        (status = 409, description = "The enterprise is already registered", body = ErrorBody)
    ))]
async fn register_enterprise(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    ApiJson(r): ApiJson<EnterpriseRegistration>,
) -> Result<(StatusCode, Json<RegisteredEnterprise>), ApiError> {
    let done = state
        .accounts
        .register_enterprise(&caller.account, &r, peer.ip())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredEnterprise {
            enterprise_id: done.enterprise,
            authorization: done.authorization,
        }),
    ))
}

/// An enterprise, for its agents (scope `view` or `manage_agents`). Anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "enterprises",
    params(("id" = String, Path, description = "The enterprise's account id")),
    responses(
        (status = 200, description = "The enterprise", body = EnterpriseProfile),
        (status = 404, description = "No such enterprise that the caller acts for", body = ErrorBody)
    ))]
async fn enterprise(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnterpriseProfile>, ApiError> {
    let id = path_id(&id, "id")?;
    Ok(Json(
        state
            .accounts
            .enterprise_profile(caller.account.id, id)
            .await?,
    ))
}

/// Authorizations, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Authorizations {
    /// Revoked and expired ones included.
    pub authorizations: Vec<AuthorizationRecord>,
}

/// Every authorization of an enterprise (scope `manage_agents`).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/authorizations", tag = "enterprises",
    params(("id" = String, Path, description = "The enterprise's account id")),
    responses(
        (status = 200, description = "Authorizations", body = Authorizations),
        (status = 403, description = "The caller's authorization lacks manage_agents", body = ErrorBody),
        (status = 404, description = "No such enterprise that the caller acts for", body = ErrorBody)
    ))]
async fn list_authorizations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Authorizations>, ApiError> {
    let id = path_id(&id, "id")?;
    let authorizations = state
        .accounts
        .enterprise_authorizations(caller.account.id, id)
        .await?;
    Ok(Json(Authorizations { authorizations }))
}

/// Authorizes a personal account to act for the enterprise (scope `manage_agents`).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/authorizations", tag = "enterprises",
    params(("id" = String, Path, description = "The enterprise's account id")),
    request_body = AuthorizationGrant,
    responses(
        (status = 201, description = "Granted", body = AuthorizationRecord),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 403, description = "The caller's authorization lacks manage_agents", body = ErrorBody),
        (status = 404, description = "No such enterprise, or no such agent username", body = ErrorBody)
    ))]
async fn grant_authorization(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(g): ApiJson<AuthorizationGrant>,
) -> Result<(StatusCode, Json<AuthorizationRecord>), ApiError> {
    let id = path_id(&id, "id")?;
    let record = state
        .accounts
        .grant_authorization(caller.account.id, id, &g)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Revokes an authorization (scope `manage_agents`); the record stays, marked revoked.
#[utoipa::path(delete, path = "/api/v1/enterprises/{id}/authorizations/{authorization_id}",
    tag = "enterprises",
    params(
        ("id" = String, Path, description = "The enterprise's account id"),
        ("authorization_id" = String, Path, description = "The authorization")
    ),
    responses(
        (status = 200, description = "Revoked", body = AuthorizationRecord),
        (status = 403, description = "The caller's authorization lacks manage_agents", body = ErrorBody),
        (status = 404, description = "No such enterprise or authorization", body = ErrorBody),
        (status = 409, description = "Already revoked, or the last manager", body = ErrorBody)
    ))]
async fn revoke_authorization(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, authorization_id)): Path<(String, String)>,
) -> Result<Json<AuthorizationRecord>, ApiError> {
    let id = path_id(&id, "id")?;
    let authorization: AuthorizationId = path_id(&authorization_id, "authorization_id")?;
    Ok(Json(
        state
            .accounts
            .revoke_authorization(caller.account.id, id, authorization)
            .await?,
    ))
}

/// The authorizations the caller holds: the enterprises they act for (live or not).
#[utoipa::path(get, path = "/api/v1/me/authorizations", tag = "enterprises",
    responses(
        (status = 200, description = "Authorizations", body = Authorizations),
        (status = 401, description = "Not logged in", body = ErrorBody)
    ))]
async fn my_authorizations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Authorizations>, ApiError> {
    let authorizations = state.accounts.my_authorizations(caller.account.id).await?;
    Ok(Json(Authorizations { authorizations }))
}
