//! Staff access to personal information over HTTP (issue 8 item 7; PRIV-19; docs/STAFF.md).
//!
//! A staff member is a signed-in personal account holding a role (granted with `yinxin admin
//! staff grant`); each request names the role it acts in.
//!
//! - `GET /api/v1/staff/me` — the roles the caller holds.
//! - `GET /api/v1/staff/subjects/{id}?role=&purpose=` — the subject's fields for one of the
//!   role's purposes, masked; recorded as an access (and in the evidence log).
//! - `POST /api/v1/staff/subjects/{id}/unmask` — named fields in full, for a purpose and a case
//!   reference; recorded the same way; rate-limited.
//! - `GET /api/v1/staff/accesses?role=&subject=&staff=` — the record of staff access, for the
//!   privacy officer and the auditor.
//! - `GET /api/v1/me/staff-accesses` — the accesses to the caller's own data.
//! - `POST /api/v1/staff/legal-demands` (the privacy officer) records a legal demand with its
//!   document; `GET` lists them (the privacy officer, the auditor) and `GET …/{id}/document`
//!   returns the document (the privacy officer, recorded as an access). Data is provided for a demand only by a `legal_record_keeping`
//!   unmasking whose `reference` is `demand:<id>` of a demand covering the subject and fields.
//!
//! A caller without the role gets `403` naming `role`; an unknown subject `404`. Answers that
//! carry personal information are `Cache-Control: private, no-store`.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::legal::LegalDemand;
use yinxin_domain::staff::{StaffAccessFilter, StaffAccessRecord, StaffRole};
use yinxin_domain::{AccountId, DomainError};
use yinxin_identity::staff::{AccessToMe, LegalDemandFiling, StaffView, UnmaskRequest, Unmasked};

use crate::AppState;
use crate::enterprises::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.merge(
        OpenApiRouter::new()
            .routes(routes!(record_legal_demand, legal_demands))
            .layer(DefaultBodyLimit::max(LEGAL_DEMAND_BODY_MAX)),
    )
    .routes(routes!(legal_demand_document))
    .routes(routes!(staff_me))
    .routes(routes!(staff_view))
    .routes(routes!(staff_unmask))
    .routes(routes!(staff_accesses))
    .routes(routes!(accesses_to_me))
}

const NO_STORE: [(header::HeaderName, &str); 1] = [(header::CACHE_CONTROL, "private, no-store")];

/// A legal demand's JSON body: a 10 MiB document in base64 and the rest.
const LEGAL_DEMAND_BODY_MAX: usize = 14 * 1024 * 1024;

fn role_of(s: &str) -> Result<StaffRole, ApiError> {
    StaffRole::parse(s).ok_or_else(|| {
        let names: Vec<&str> = StaffRole::ALL.iter().map(|r| r.as_str()).collect();
        DomainError::invalid("role", format!("one of {}", names.join(", "))).into()
    })
}

/// The caller's staff roles.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffRoles {
    /// The roles held now (empty: not staff).
    pub roles: Vec<StaffRole>,
}

#[utoipa::path(get, path = "/api/v1/staff/me", tag = "privacy",
    responses((status = 200, body = StaffRoles), (status = 401, body = ErrorBody)))]
async fn staff_me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<StaffRoles>, ApiError> {
    Ok(Json(StaffRoles {
        roles: state.accounts.staff_roles(&caller.account).await?,
    }))
}

/// The role to act in, and the purpose.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ViewQuery {
    /// The staff role acted in.
    pub role: String,
    /// One of the role's purposes (default: its first).
    pub purpose: Option<String>,
}

/// A subject's personal information as the role sees it for the purpose: masked, recorded as an
/// access (PRIV-19).
#[utoipa::path(get, path = "/api/v1/staff/subjects/{id}", tag = "privacy",
    params(("id" = String, Path, description = "The subject's account"), ViewQuery),
    responses(
        (status = 200, body = StaffView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The caller does not hold the role, or the purpose is not the role's", body = ErrorBody),
        (status = 404, description = "No such subject", body = ErrorBody)))]
async fn staff_view(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let role = role_of(&q.role)?;
    let subject: AccountId = path_id(&id, "id")?;
    let view = state
        .accounts
        .staff_view(&caller.account, role, q.purpose.as_deref(), subject)
        .await?;
    Ok((NO_STORE, Json(view)))
}

/// Fields of a subject in full, for a purpose of the role and a case reference; recorded as an
/// access (PRIV-19) before they are shown.
#[utoipa::path(post, path = "/api/v1/staff/subjects/{id}/unmask", tag = "privacy",
    params(("id" = String, Path, description = "The subject's account")),
    request_body = UnmaskRequest,
    responses(
        (status = 200, body = Unmasked),
        (status = 400, description = "A field that is not in the inventory, a bad reference", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The role is not held, the purpose is not the role's, or a field is not declared for it", body = ErrorBody),
        (status = 404, description = "No such subject, or the subject has no such field", body = ErrorBody),
        (status = 429, description = "Too many values unmasked this hour", body = ErrorBody)))]
async fn staff_unmask(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UnmaskRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let subject: AccountId = path_id(&id, "id")?;
    let shown = state
        .accounts
        .staff_unmask(&caller.account, subject, &req)
        .await?;
    Ok((NO_STORE, Json(shown)))
}

/// Which accesses to review.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AccessQuery {
    /// `privacy_officer` or `auditor`.
    pub role: String,
    /// Only accesses to this subject's data.
    pub subject: Option<String>,
    /// Only accesses by this staff member.
    pub staff: Option<String>,
}

/// The record of staff access to personal information, newest first (at most 500): for the
/// privacy officer and the auditor.
#[utoipa::path(get, path = "/api/v1/staff/accesses", tag = "privacy",
    params(AccessQuery),
    responses(
        (status = 200, body = Vec<StaffAccessRecord>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The role is not held, or does not review access", body = ErrorBody)))]
async fn staff_accesses(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AccessQuery>,
) -> Result<Json<Vec<StaffAccessRecord>>, ApiError> {
    let role = role_of(&q.role)?;
    let filter = StaffAccessFilter {
        subject: q
            .subject
            .as_deref()
            .map(|s| path_id(s, "subject"))
            .transpose()?,
        staff: q
            .staff
            .as_deref()
            .map(|s| path_id(s, "staff"))
            .transpose()?,
    };
    Ok(Json(
        state
            .accounts
            .staff_accesses(&caller.account, role, filter)
            .await?,
    ))
}

/// The accesses by staff to the caller's own data (PRIV-19): role, purpose, fields and time,
/// newest first; not who, and not those for a legal demand the law may keep from the subject.
#[utoipa::path(get, path = "/api/v1/me/staff-accesses", tag = "privacy",
    responses((status = 200, body = Vec<AccessToMe>), (status = 401, body = ErrorBody)))]
async fn accesses_to_me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AccessToMe>>, ApiError> {
    Ok(Json(state.accounts.accesses_to_me(&caller.account).await?))
}

/// Records a legal demand with its document, before anything is provided against it (PRIV-6,
/// PRIV-7): the privacy officer.
#[utoipa::path(post, path = "/api/v1/staff/legal-demands", tag = "privacy",
    request_body = LegalDemandFiling,
    responses(
        (status = 201, body = LegalDemand),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not a privacy officer", body = ErrorBody),
        (status = 404, description = "A subject that does not exist", body = ErrorBody)))]
async fn record_legal_demand(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(f): ApiJson<LegalDemandFiling>,
) -> Result<(axum::http::StatusCode, Json<LegalDemand>), ApiError> {
    let d = state
        .accounts
        .record_legal_demand(&caller.account, &f)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(d)))
}

/// The role reviewing.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RoleQuery {
    /// `privacy_officer` or `auditor`.
    pub role: String,
}

/// The recorded legal demands, newest first: the privacy officer and the auditor.
#[utoipa::path(get, path = "/api/v1/staff/legal-demands", tag = "privacy",
    params(RoleQuery),
    responses(
        (status = 200, body = Vec<LegalDemand>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn legal_demands(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<RoleQuery>,
) -> Result<Json<Vec<LegalDemand>>, ApiError> {
    let role = role_of(&q.role)?;
    Ok(Json(
        state.accounts.legal_demands(&caller.account, role).await?,
    ))
}

/// A recorded demand's document: the privacy officer only; reading it is recorded as an access
/// to each subject's data the demand covers.
#[utoipa::path(get, path = "/api/v1/staff/legal-demands/{id}/document", tag = "privacy",
    params(("id" = String, Path, description = "The demand")),
    responses(
        (status = 200, description = "The document as recorded", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn legal_demand_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (kind, bytes) = state
        .accounts
        .legal_demand_document(&caller.account, &id)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes.to_vec(),
    ))
}
