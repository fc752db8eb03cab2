//! Personal-information incidents over HTTP (issue 8 item 11; PRIV-11; docs/INCIDENTS.md).
//!
//! - `POST /api/v1/staff/incidents` records one (the privacy officer), its affected subjects
//!   found from the records; `GET /api/v1/staff/incidents` lists them (officer, auditor).
//! - `POST /api/v1/staff/incidents/{id}/notify` sends the notices; `POST …/publish` publishes
//!   the public notice; `GET …/report` is the report to the regulator.
//! - `GET /api/v1/me/incidents`: the notices of the incidents that affected the caller;
//!   `GET /api/v1/public/incidents/{id}`: a published public notice.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_identity::incidents::{IncidentFiling, IncidentNotice, IncidentView};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(record_incident, list_incidents))
        .routes(routes!(notify_incident))
        .routes(routes!(publish_incident))
        .routes(routes!(incident_report))
        .routes(routes!(my_incidents))
        .routes(routes!(public_incident))
}

/// Records an incident with its scope; the subjects it affected are found from the disclosure
/// and staff-access records.
#[utoipa::path(post, path = "/api/v1/staff/incidents", tag = "staff",
    request_body = IncidentFiling,
    responses((status = 201, body = IncidentView),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody)))]
async fn record_incident(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(f): ApiJson<IncidentFiling>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    let v = state.accounts.record_incident(&caller.account, &f).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Incidents, newest first, with how far their notices went.
#[utoipa::path(get, path = "/api/v1/staff/incidents", tag = "staff",
    responses((status = 200, body = Vec<IncidentView>), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody)))]
async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<IncidentView>>, ApiError> {
    Ok(Json(state.accounts.staff_incidents(&caller.account).await?))
}

/// Sends the notice to every affected subject not notified yet (an SMS to their real-name
/// mobile); safe to repeat.
#[utoipa::path(post, path = "/api/v1/staff/incidents/{id}/notify", tag = "staff",
    params(("id" = String, Path, description = "The incident")),
    responses((status = 200, body = IncidentView), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn notify_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(
        state.accounts.notify_incident(&caller.account, &id).await?,
    ))
}

/// Publishes the public notice (for the subjects who cannot be reached).
#[utoipa::path(post, path = "/api/v1/staff/incidents/{id}/publish", tag = "staff",
    params(("id" = String, Path, description = "The incident")),
    responses((status = 200, body = IncidentView), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Published already", body = ErrorBody)))]
async fn publish_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(
        state
            .accounts
            .publish_incident(&caller.account, &id)
            .await?,
    ))
}

/// The report to the regulator (`yinxin.incident-report.v1`).
#[utoipa::path(get, path = "/api/v1/staff/incidents/{id}/report", tag = "staff",
    params(("id" = String, Path, description = "The incident")),
    responses((status = 200, description = "The report", body = Object),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn incident_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        state.accounts.incident_report(&caller.account, &id).await?,
    ))
}

/// The notices of the incidents that affected the caller, with everything the law requires
/// them to say.
#[utoipa::path(get, path = "/api/v1/me/incidents", tag = "privacy",
    responses((status = 200, body = Vec<IncidentNotice>), (status = 401, body = ErrorBody)))]
async fn my_incidents(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<IncidentNotice>>, ApiError> {
    Ok(Json(state.accounts.my_incidents(&caller.account).await?))
}

/// A published public notice of an incident.
#[utoipa::path(get, path = "/api/v1/public/incidents/{id}", tag = "privacy",
    params(("id" = String, Path, description = "The incident")),
    responses((status = 200, body = IncidentNotice), (status = 404, body = ErrorBody)))]
async fn public_incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<IncidentNotice>, ApiError> {
    Ok(Json(state.accounts.public_incident(&id).await?))
}
