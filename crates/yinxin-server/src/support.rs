//! Support requests under `/api/v1/support` (ACC-7). Every route needs a session and reaches only
//! the caller's own requests.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::SupportRequestId;
use yinxin_domain::support::SupportRequestRecord;
use yinxin_identity::{SupportConversation, SupportMessage, SupportReply, SupportRequestOpening};

use crate::AppState;
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The support routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_requests, open_request))
        .routes(routes!(request))
        .routes(routes!(add_message))
        .routes(routes!(close_request))
}

/// The caller's support requests, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportRequests {
    /// Closed ones included.
    pub requests: Vec<SupportRequestRecord>,
}

/// Opens a support request with its first message (ACC-7). The message is sealed in the vault;
/// an account may have `support_open_requests_max` (20 by default) requests open at once
/// (`409 CONFLICT` beyond that).
#[utoipa::path(post, path = "/api/v1/support/requests", tag = "support",
    request_body = SupportRequestOpening,
    responses(
        (status = 201, description = "Opened", body = SupportConversation),
        (status = 400, description = "The category or message is invalid; the message names the field", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 409, description = "Too many requests open", body = ErrorBody)
    ))]
async fn open_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(o): ApiJson<SupportRequestOpening>,
) -> Result<(StatusCode, Json<SupportConversation>), ApiError> {
    let opened = state
        .accounts
        .open_support_request(&caller.account, &o)
        .await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

/// The caller's support requests, newest first, without their messages.
#[utoipa::path(get, path = "/api/v1/support/requests", tag = "support",
    responses(
        (status = 200, description = "Requests", body = SupportRequests),
        (status = 401, description = "Not logged in", body = ErrorBody)
    ))]
async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SupportRequests>, ApiError> {
    let requests = state.accounts.support_requests(caller.account.id).await?;
    Ok(Json(SupportRequests { requests }))
}

/// One of the caller's support requests with its messages, oldest first.
#[utoipa::path(get, path = "/api/v1/support/requests/{id}", tag = "support",
    params(("id" = String, Path, description = "The support request")),
    responses(
        (status = 200, description = "The request and its messages", body = SupportConversation),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "The caller has no request with this id", body = ErrorBody)
    ))]
async fn request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SupportConversation>, ApiError> {
    let id: SupportRequestId = path_id(&id, "id")?;
    Ok(Json(
        state.accounts.support_request(&caller.account, id).await?,
    ))
}

/// Adds a message to one of the caller's support requests; it becomes `open` again.
#[utoipa::path(post, path = "/api/v1/support/requests/{id}/messages", tag = "support",
    params(("id" = String, Path, description = "The support request")),
    request_body = SupportReply,
    responses(
        (status = 201, description = "Added", body = SupportMessage),
        (status = 400, description = "The id or the message is invalid", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "The caller has no request with this id", body = ErrorBody),
        (status = 409, description = "The request is closed", body = ErrorBody)
    ))]
async fn add_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<SupportReply>,
) -> Result<(StatusCode, Json<SupportMessage>), ApiError> {
    let id: SupportRequestId = path_id(&id, "id")?;
    let m = state
        .accounts
        .add_support_message(&caller.account, id, &r)
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Closes one of the caller's support requests. Its messages are kept.
#[utoipa::path(post, path = "/api/v1/support/requests/{id}/close", tag = "support",
    params(("id" = String, Path, description = "The support request")),
    responses(
        (status = 200, description = "Closed", body = SupportRequestRecord),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "The caller has no request with this id", body = ErrorBody),
        (status = 409, description = "Already closed", body = ErrorBody)
    ))]
async fn close_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SupportRequestRecord>, ApiError> {
    let id: SupportRequestId = path_id(&id, "id")?;
    Ok(Json(
        state
            .accounts
            .close_support_request(caller.account.id, id)
            .await?,
    ))
}
