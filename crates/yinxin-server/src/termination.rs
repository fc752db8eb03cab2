//! Ending the service over HTTP (issue 8 item 12, in part; PRIV-12, CERT-8;
//! docs/TERMINATION.md): the plan and its clock, telling the subscribers, the regulator's
//! report, the closing mode, and the public closing notice.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_identity::termination::{ClosingNotice, TerminationView};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(plan_termination, termination_status))
        .routes(routes!(notify_subscribers))
        .routes(routes!(termination_report))
        .routes(routes!(begin_closing))
        .routes(routes!(closing_notice))
        .routes(routes!(handover_evidence))
}

/// The evidence of a handover made by `yinxin admin handover` (a disclosure entry of the log
/// committing to the handover's record as listed in the plan): the proof bundle and the salt
/// that opens it (docs/TERMINATION.md).
#[utoipa::path(get, path = "/api/v1/staff/termination/handovers/{id}/evidence", tag = "staff",
    params(("id" = String, Path, description = "The handover's id")),
    responses((status = 200, body = crate::log::RecordEvidence),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody),
        (status = 404, description = "No such handover, or its entry is not sequenced yet", body = ErrorBody)))]
async fn handover_evidence(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<crate::log::RecordEvidence>, ApiError> {
    let h = state.accounts.handover(&caller.account, &id).await?;
    Ok(Json(
        crate::log::record_evidence(&state, "handover", &h.id).await?,
    ))
}

/// The plan as the privacy officer records it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanFiling {
    /// The last day of the service, YYYY-MM-DD (Beijing), at least 90 days ahead.
    pub terminates_on: String,
    /// The closing notice subscribers will read (1 to 4,000 characters).
    pub notice: String,
}

/// Records (or, before any step, replaces) the termination plan.
#[utoipa::path(put, path = "/api/v1/staff/termination", tag = "staff",
    request_body = PlanFiling,
    responses((status = 200, body = TerminationView),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 409, description = "A step of the plan is done", body = ErrorBody)))]
async fn plan_termination(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(f): ApiJson<PlanFiling>,
) -> Result<Json<TerminationView>, ApiError> {
    Ok(Json(
        state
            .accounts
            .plan_termination(&caller.account, &f.terminates_on, &f.notice)
            .await?,
    ))
}

/// The plan and its clock.
#[utoipa::path(get, path = "/api/v1/staff/termination", tag = "staff",
    responses((status = 200, body = TerminationView),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody),
        (status = 404, description = "No plan", body = ErrorBody)))]
async fn termination_status(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TerminationView>, ApiError> {
    Ok(Json(
        state.accounts.termination_status(&caller.account).await?,
    ))
}

/// Tells every subscriber and publishes the closing notice; once.
#[utoipa::path(post, path = "/api/v1/staff/termination/notify-subscribers", tag = "staff",
    responses((status = 200, body = TerminationView),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, description = "No plan", body = ErrorBody),
        (status = 409, description = "Told already", body = ErrorBody)))]
async fn notify_subscribers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TerminationView>, ApiError> {
    Ok(Json(
        state.accounts.notify_subscribers(&caller.account).await?,
    ))
}

/// The report to the regulator, recorded as made.
#[utoipa::path(post, path = "/api/v1/staff/termination/regulator-report", tag = "staff",
    responses((status = 200, description = "The report", body = Object),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, description = "No plan", body = ErrorBody)))]
async fn termination_report(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        state.accounts.termination_report(&caller.account).await?,
    ))
}

/// Begins the closing mode: nothing new is collected.
#[utoipa::path(post, path = "/api/v1/staff/termination/close", tag = "staff",
    responses((status = 200, body = TerminationView),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 409, description = "Subscribers not told, no report, or closing already", body = ErrorBody)))]
async fn begin_closing(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TerminationView>, ApiError> {
    Ok(Json(state.accounts.begin_closing(&caller.account).await?))
}

/// The public closing notice, once the subscribers were told.
#[utoipa::path(get, path = "/api/v1/public/closing", tag = "privacy",
    responses((status = 200, body = ClosingNotice), (status = 404, body = ErrorBody)))]
async fn closing_notice(State(state): State<AppState>) -> Result<Json<ClosingNotice>, ApiError> {
    Ok(Json(state.accounts.closing_notice().await?))
}
