//! Account cancellation and the retention engine over HTTP (issue 8 items 4–5; ACC-6, PRIV-9,
//! CERT-7; docs/RETENTION.md).
//!
//! - `POST /api/v1/me/cancellation` cancels the caller's account at once: its certificates still
//!   valid are revoked (`cessation_of_operation`), then the account is made unusable and its
//!   information unreachable; the retention engine erases it after the grace period.
//! - `GET /api/v1/staff/retention/plan`: what the next retention run would do (a dry run).
//! - `POST /api/v1/staff/legal-holds`, `GET /api/v1/staff/legal-holds[?standing=true]`,
//!   `POST /api/v1/staff/legal-holds/{id}/release`: orders that suspend erasure.
//! - `GET /api/v1/staff/erasure-notices[?pending=true]`, `POST
//!   /api/v1/staff/erasure-notices/{id}/acknowledge`: the notices of erasure sent to the
//!   recipients of erased data (PRIV-15), their attempts, and an acknowledgment received
//!   another way.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::erasure::ErasureNotice;
use yinxin_domain::retention::LegalHold;
use yinxin_identity::erasure::NoticeView;
use yinxin_identity::retention::{LegalHoldFiling, RetentionReport};
use yinxin_pki::ca::Actor;
use yinxin_pki::crl::RevocationReason;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(cancel_my_account))
        .routes(routes!(retention_plan))
        .routes(routes!(place_legal_hold, legal_holds))
        .routes(routes!(release_legal_hold))
        .routes(routes!(erasure_notices))
        .routes(routes!(acknowledge_erasure_notice))
}

/// The confirmation of a cancellation.
#[derive(Clone, Deserialize, ToSchema)]
pub struct CancellationRequest {
    /// The account's password, when it has one.
    pub password: Option<String>,
}

impl std::fmt::Debug for CancellationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancellationRequest")
            .finish_non_exhaustive()
    }
}

/// What a cancellation did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    /// Always true.
    pub cancelled: bool,
    /// Serials of the certificates revoked with it.
    pub revoked: Vec<String>,
    /// Unix second from which the retention engine erases the account (the grace period).
    pub erased_from: i64,
}

/// Cancels the caller's account (ACC-6): certificates revoked, sessions, passkeys and password
/// gone, nothing finds the account any more; erased after the grace period.
#[utoipa::path(post, path = "/api/v1/me/cancellation", tag = "privacy",
    request_body = CancellationRequest,
    responses(
        (status = 200, body = Cancelled),
        (status = 400, description = "The password is missing", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the account's password: nothing cancelled", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn cancel_my_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CancellationRequest>,
) -> Result<Json<Cancelled>, ApiError> {
    let account = &caller.account;
    state
        .accounts
        .confirm_cancellation(account, req.password.as_deref())
        .await?;
    // Its certificates end with it: revoked before the account goes, so that nothing signs in
    // its name afterwards (the records themselves stay, CERT-7).
    let mut revoked = Vec::new();
    if let Some(ca) = &state.ca {
        for c in ca.certificates_of(account.id).await? {
            if c.revocation.is_some() {
                continue;
            }
            ca.revoke(
                &c.serial,
                Actor::Holder(account.id),
                RevocationReason::CessationOfOperation,
            )
            .await?;
            revoked.push(c.serial);
        }
    }
    let at = state.accounts.cancel_confirmed(account).await?;
    Ok(Json(Cancelled {
        cancelled: true,
        revoked,
        erased_from: at.saturating_add(state.accounts.cancellation_grace_secs()),
    }))
}

/// What the next retention run would do, changing nothing: accounts due for erasure, those a
/// legal hold keeps, custody ending, network logs to delete.
#[utoipa::path(get, path = "/api/v1/staff/retention/plan", tag = "staff",
    responses((status = 200, body = RetentionReport), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody)))]
async fn retention_plan(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RetentionReport>, ApiError> {
    Ok(Json(
        state.accounts.staff_retention_plan(&caller.account).await?,
    ))
}

/// Places a legal hold, with the order's document: nothing of the account is erased while it
/// stands.
#[utoipa::path(post, path = "/api/v1/staff/legal-holds", tag = "staff",
    request_body = LegalHoldFiling,
    responses((status = 201, body = LegalHold),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
async fn place_legal_hold(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(f): ApiJson<LegalHoldFiling>,
) -> Result<(StatusCode, Json<LegalHold>), ApiError> {
    let h = state.accounts.place_legal_hold(&caller.account, &f).await?;
    Ok((StatusCode::CREATED, Json(h)))
}

/// Which holds to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HoldsQuery {
    /// Only those standing.
    pub standing: Option<bool>,
}

/// Legal holds, newest first.
#[utoipa::path(get, path = "/api/v1/staff/legal-holds", tag = "staff",
    params(HoldsQuery),
    responses((status = 200, body = Vec<LegalHold>), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody)))]
async fn legal_holds(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HoldsQuery>,
) -> Result<Json<Vec<LegalHold>>, ApiError> {
    Ok(Json(
        state
            .accounts
            .legal_holds(&caller.account, q.standing.unwrap_or(false))
            .await?,
    ))
}

/// Releases a standing legal hold.
#[utoipa::path(post, path = "/api/v1/staff/legal-holds/{id}/release", tag = "staff",
    params(("id" = String, Path, description = "The hold")),
    responses((status = 200, body = LegalHold), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Released already", body = ErrorBody)))]
async fn release_legal_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<LegalHold>, ApiError> {
    Ok(Json(
        state
            .accounts
            .release_legal_hold(&caller.account, &id)
            .await?,
    ))
}

/// Which notices to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NoticesQuery {
    /// Only those not acknowledged yet.
    pub pending: Option<bool>,
}

/// The erasure notices sent to the processors and relying applications that received erased
/// data (PRIV-15), newest first (at most 500), each with its attempts.
#[utoipa::path(get, path = "/api/v1/staff/erasure-notices", tag = "staff",
    params(NoticesQuery),
    responses((status = 200, body = Vec<NoticeView>), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer or the auditor", body = ErrorBody)))]
async fn erasure_notices(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NoticesQuery>,
) -> Result<Json<Vec<NoticeView>>, ApiError> {
    Ok(Json(
        state
            .accounts
            .staff_erasure_notices(&caller.account, q.pending.unwrap_or(false))
            .await?,
    ))
}

/// How a recipient acknowledged a notice another way.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Acknowledgment {
    /// 1 to 500 characters: by what, when.
    pub note: String,
}

/// Records that a pending notice was acknowledged another way (a recipient without a webhook,
/// say), with a note; delivery stops.
#[utoipa::path(post, path = "/api/v1/staff/erasure-notices/{id}/acknowledge", tag = "staff",
    params(("id" = String, Path, description = "The notice")),
    request_body = Acknowledgment,
    responses((status = 200, body = ErasureNotice),
        (status = 400, description = "The note is wrong", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the privacy officer", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Acknowledged already", body = ErrorBody)))]
async fn acknowledge_erasure_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Acknowledgment>,
) -> Result<Json<ErasureNotice>, ApiError> {
    Ok(Json(
        state
            .accounts
            .acknowledge_erasure_notice(&caller.account, &id, &a.note)
            .await?,
    ))
}
