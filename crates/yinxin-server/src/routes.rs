//! Routes and their OpenAPI description, generated from the handlers themselves.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::ErrorCode;
use yinxin_domain::inventory::INVENTORY;
use yinxin_domain::pi::PiField;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "yinxin",
        description = "yinxin (印信): electronic certification service — accounts, real-name verification, certificates, signatures, timestamps, evidence and privacy.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics"),
        (name = "privacy", description = "Personal-information inventory and privacy notices"),
        (name = "accounts", description = "Registration, login, sessions, policies and consents"),
        (name = "enterprises", description = "Enterprises and the authorizations of their agents"),
        (name = "support", description = "Support requests and their conversation (ACC-7)"),
        (name = "verification", description = "Real-name identity verification, identity credentials, deposits (IDV)"),
        (name = "signatures", description = "Signature images of persons (SIGN-2), enterprise seals and the authorizations to use them (SIGN-3, ACC-2)"),
        (name = "pki", description = "Certificates: issuance, revocation, query, CA chains and CRLs (CERT); RFC 3161 timestamps (SIGN-1)"),
        (name = "signing", description = "Electronic signatures: confirmation of intent (意愿认证), signing with hosted keys and seals, verification of PDF (PAdES) and CMS signatures (SIGN-1, SIGN-3); envelopes"),
        (name = "log", description = "The evidence log: signed checkpoints, entries, inclusion and consistency proofs (EVID-1, EVID-2)")
    )
)]
struct ApiDoc;

/// The router and the OpenAPI document describing it.
pub fn router(state: AppState) -> (axum::Router, OpenApiDoc) {
    let (router, doc) = api().split_for_parts();
    let served = doc.clone();
    let router = router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let d = served.clone();
                async move { Json(d) }
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    (router, doc)
}

fn api() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(inventory))
        .routes(routes!(export_schema))
        .routes(routes!(crate::notice::privacy_notice));
    let r = crate::enterprises::routes(crate::accounts::routes(r));
    let r = crate::certificates::routes(crate::objections::routes(crate::verifications::routes(r)));
    let r = crate::verify::routes(crate::tsa::routes(crate::relying::routes(r)));
    let r = crate::reports::routes(crate::log::routes(r));
    let r = crate::envelopes::routes(crate::documents::routes(crate::signing::routes(
        crate::seals::routes(r),
    )));
    let r = crate::retention::routes(crate::requests::routes(crate::staff::routes(r)));
    let r = crate::termination::routes(crate::incidents::routes(crate::processing::routes(r)));
    crate::passkeys::routes(crate::support::routes(r))
}

/// The OpenAPI document, without a running server.
pub fn openapi() -> OpenApiDoc {
    api().split_for_parts().1
}

async fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "no such endpoint; the API is described at /api/v1/openapi.json",
    )
}

async fn method_not_allowed() -> Response {
    let mut r = ApiError::new(
        ErrorCode::InvalidInput,
        "this endpoint does not accept that method; see /api/v1/openapi.json",
    )
    .into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// A liveness or readiness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = Status)))]
async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Readiness: the database answers a query.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Status),
        (status = 503, description = "The database does not answer", body = ErrorBody)
    ))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    state.health.ping().await.map_err(|e| {
        ApiError::internal(ErrorCode::StorageUnavailable, format!("readiness: {e}"))
    })?;
    Ok(Json(Status { status: "ready" }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", content_type = "application/openmetrics-text", body = String)))]
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state
        .metrics
        .encode()
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("encoding metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The JSON Schema (draft 2020-12) of the document inside an export (`yinxin-subject-data-v1`),
/// generated from the inventory (issue 8 item 2).
#[utoipa::path(get, path = "/api/v1/privacy/export-schema", tag = "privacy",
    responses((status = 200, description = "The JSON Schema", body = Object)))]
async fn export_schema() -> Json<serde_json::Value> {
    Json(yinxin_identity::export::export_schema())
}

/// The personal-information inventory (PRIV-5).
#[derive(Debug, Serialize, ToSchema)]
pub struct Inventory {
    /// Every PI field the service may hold, in the order of the published notice.
    pub fields: Vec<&'static PiField>,
}

/// Every personal-information field the service may hold: category, sensitivity, purposes, legal
/// basis, retention, disposition and storage. The published privacy notice is generated from it.
#[utoipa::path(get, path = "/api/v1/privacy/inventory", tag = "privacy",
    responses((status = 200, description = "The inventory", body = Inventory)))]
async fn inventory() -> Json<Inventory> {
    Json(Inventory {
        fields: INVENTORY.to_vec(),
    })
}
