//! The record of processing activities and the impact assessment over HTTP (issue 8 item 10;
//! PIPL arts. 55–56; docs/RECORDS.md).
//!
//! - `POST /api/v1/staff/processing-records` (the privacy officer): stores a new version of each
//!   document whose content changed.
//! - `GET /api/v1/staff/processing-records/{kind}` (privacy officer, auditor): the versions.
//! - `GET /api/v1/staff/processing-records/{kind}/{version}`: one, with its document.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::DomainError;
use yinxin_domain::processing::{ProcessingRecord, RecordKind};
use yinxin_identity::processing::{RecordDocument, RecordVersion};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(refresh_processing_records))
        .routes(routes!(processing_record_versions))
        .routes(routes!(processing_record_version))
}

fn kind_of(s: &str) -> Result<RecordKind, ApiError> {
    RecordKind::parse(s).ok_or_else(|| DomainError::invalid("kind", "ropa or pia").into())
}

/// Stores a new version of the record of processing activities and of the impact assessment
/// where what they say changed (both are generated from the inventory and the registers);
/// answers the latest version of each.
#[utoipa::path(post, path = "/api/v1/staff/processing-records", tag = "staff",
    responses((status = 200, body = Vec<RecordVersion>), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody)))]
async fn refresh_processing_records(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RecordVersion>>, ApiError> {
    Ok(Json(
        state
            .accounts
            .staff_refresh_processing_records(&caller.account)
            .await?,
    ))
}

/// The versions of a document, newest first.
#[utoipa::path(get, path = "/api/v1/staff/processing-records/{kind}", tag = "staff",
    params(("kind" = String, Path, description = "`ropa` or `pia`")),
    responses((status = 200, body = Vec<ProcessingRecord>),
        (status = 400, description = "Not a kind", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody)))]
async fn processing_record_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
) -> Result<Json<Vec<ProcessingRecord>>, ApiError> {
    Ok(Json(
        state
            .accounts
            .staff_processing_records(&caller.account, kind_of(&kind)?)
            .await?,
    ))
}

/// One version, with its document.
#[utoipa::path(get, path = "/api/v1/staff/processing-records/{kind}/{version}", tag = "staff",
    params(("kind" = String, Path, description = "`ropa` or `pia`"),
        ("version" = u32, Path, description = "1, 2, …")),
    responses((status = 200, body = RecordDocument),
        (status = 400, description = "Not a kind", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn processing_record_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, version)): Path<(String, u32)>,
) -> Result<Json<RecordDocument>, ApiError> {
    Ok(Json(
        state
            .accounts
            .staff_processing_record(&caller.account, kind_of(&kind)?, version)
            .await?,
    ))
}
