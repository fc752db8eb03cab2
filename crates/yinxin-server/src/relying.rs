//! Relying applications over HTTP (CERT-6): the register of applications, the holder's
//! statement that they use a certificate with one, and the application's own API — certificate
//! information and renewal reminders, authenticated by its API key (`X-Api-Key`). Every
//! provision is in the holder's disclosure log (`GET /api/v1/me/disclosures`).

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::erasure::RecipientKind;
use yinxin_domain::relying::RelyingAppRecord;
use yinxin_identity::erasure::RegisteredChannel;
use yinxin_identity::{CertificateInformation, RenewalReminder};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_apps))
        .routes(routes!(use_certificate))
        .routes(routes!(stop_using_certificate))
        .routes(routes!(certificate_information))
        .routes(routes!(renewal_reminders))
        .routes(routes!(set_erasure_webhook))
}

/// The header carrying a relying application's API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A relying application, authenticated by its API key; `401` without a valid one.
#[derive(Debug)]
pub struct RelyingApp(pub RelyingAppRecord);

impl FromRequestParts<AppState> for RelyingApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim()
            .to_owned();
        Ok(Self(state.accounts.authenticate_app(&key).await?))
    }
}

/// A registered application as users see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppView {
    /// Its id (what `POST …/uses` takes).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Who operates it and receives the data.
    pub legal_name: String,
    /// Contact for privacy matters.
    pub contact: String,
    /// What it receives with certificate information, beyond the public part.
    pub data_items: Vec<String>,
}

impl From<RelyingAppRecord> for AppView {
    fn from(a: RelyingAppRecord) -> Self {
        Self {
            id: a.id,
            name: a.name,
            legal_name: a.legal_name,
            contact: a.contact,
            data_items: a.data_items,
        }
    }
}

/// The registered relying applications, and what each receives.
#[utoipa::path(get, path = "/api/v1/relying-apps", tag = "pki",
    responses((status = 200, description = "The register", body = [AppView])))]
async fn list_apps(State(state): State<AppState>) -> Result<Json<Vec<AppView>>, ApiError> {
    Ok(Json(
        state
            .accounts
            .relying_apps()
            .await?
            .into_iter()
            .map(AppView::from)
            .collect(),
    ))
}

/// `POST /api/v1/certificates/{serial}/uses`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseRequest {
    /// The application's id.
    pub app: String,
}

/// A certificate's use with an application.
#[derive(Debug, Serialize, ToSchema)]
pub struct UseView {
    /// The certificate.
    pub serial: String,
    /// The application.
    pub app: AppView,
}

/// The caller says they use one of their certificates with an application (CERT-6): from now on
/// it may read the certificate's information (and the data items it is registered for) and get
/// renewal reminders with the caller's mobile — each provision logged.
#[utoipa::path(post, path = "/api/v1/certificates/{serial}/uses", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    request_body = UseRequest,
    responses(
        (status = 201, description = "Recorded", body = UseView),
        (status = 400, description = "Not a registered application", body = ErrorBody),
        (status = 404, description = "No such certificate of the caller's", body = ErrorBody)
    ))]
async fn use_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    ApiJson(req): ApiJson<UseRequest>,
) -> Result<(StatusCode, Json<UseView>), ApiError> {
    let cert = own_certificate(&state, &caller, &serial).await?;
    let a = state
        .accounts
        .link_certificate(caller.account.id, &cert, &req.app)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UseView {
            serial: cert.serial,
            app: a.into(),
        }),
    ))
}

/// The caller stops using a certificate with an application: it reads nothing more of it.
#[utoipa::path(delete, path = "/api/v1/certificates/{serial}/uses/{app}", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex"), ("app" = String, Path, description = "The application's id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such use of a certificate of the caller's", body = ErrorBody)
    ))]
async fn stop_using_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path((serial, app)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let cert = own_certificate(&state, &caller, &serial).await?;
    state
        .accounts
        .unlink_certificate(caller.account.id, &cert, &app)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's certificate of `serial`; another's is `404` like a missing one.
async fn own_certificate(
    state: &AppState,
    caller: &Caller,
    serial: &str,
) -> Result<yinxin_domain::certificate::CertificateRecord, ApiError> {
    let ca = crate::certificates::ca(state)?;
    let serial = crate::certificates::normalize_serial(serial)?;
    let cert = ca.public_record(&serial).await?;
    if cert.holder != caller.account.id {
        return Err(yinxin_pki::ca::CaError::NotFound.into());
    }
    Ok(cert)
}

/// For a relying application (`X-Api-Key`): the information of a certificate its holder uses
/// with it — public part, plus the holder's name, document number and work unit as far as the
/// application is registered for them (CERT-6). Logged in the holder's disclosure log.
#[utoipa::path(get, path = "/api/v1/relying/certificates/{serial}", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex")),
    responses(
        (status = 200, description = "The information", body = CertificateInformation),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No certificate of that serial is used with this application", body = ErrorBody)
    ))]
async fn certificate_information(
    State(state): State<AppState>,
    RelyingApp(app): RelyingApp,
    Path(serial): Path<String>,
) -> Result<Json<CertificateInformation>, ApiError> {
    let serial = crate::certificates::normalize_serial(&serial)?;
    Ok(Json(
        state
            .accounts
            .certificate_information(&app, &serial)
            .await?,
    ))
}

/// `?within_days=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReminderQuery {
    /// Certificates expiring within this many days (1 to 90; default 30).
    pub within_days: Option<u32>,
}

/// For a relying application (`X-Api-Key`): the certificates used with it that expire soon,
/// with each holder's mobile for a renewal reminder (CERT-6) — never event certificates
/// (CERT-3), never revoked ones. Logged in each holder's disclosure log.
#[utoipa::path(get, path = "/api/v1/relying/renewal-reminders", tag = "pki",
    params(ReminderQuery),
    responses(
        (status = 200, description = "Earliest expiry first, at most 500", body = [RenewalReminder]),
        (status = 400, description = "within_days out of range", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody)
    ))]
async fn renewal_reminders(
    State(state): State<AppState>,
    RelyingApp(app): RelyingApp,
    Query(q): Query<ReminderQuery>,
) -> Result<Json<Vec<RenewalReminder>>, ApiError> {
    Ok(Json(
        state
            .accounts
            .renewal_reminders(&app, q.within_days.unwrap_or(30))
            .await?,
    ))
}

/// Where an application receives erasure notices.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ErasureWebhook {
    /// `https://…` (`http://` only to a loopback address), at most 2,000 characters.
    pub url: String,
}

/// For a relying application (`X-Api-Key`): registers (or replaces) the webhook it receives
/// erasure notices at (PRIV-15; docs/RETENTION.md, "Erasure propagation"), and returns a new
/// HMAC secret the notices are signed with — shown this once. A `2xx` answer to a notice
/// acknowledges it; anything else is retried.
#[utoipa::path(put, path = "/api/v1/relying/erasure-webhook", tag = "pki",
    request_body = ErasureWebhook,
    responses(
        (status = 200, description = "Registered; the secret is shown once", body = RegisteredChannel),
        (status = 400, description = "The URL is wrong: the message says how", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody)
    ))]
async fn set_erasure_webhook(
    State(state): State<AppState>,
    RelyingApp(app): RelyingApp,
    ApiJson(w): ApiJson<ErasureWebhook>,
) -> Result<Json<RegisteredChannel>, ApiError> {
    Ok(Json(
        state
            .accounts
            .set_erasure_channel(RecipientKind::App, &app.id, &w.url, None)
            .await?,
    ))
}
