//! Data-subject requests over HTTP (issue 8 item 1; PRIV-14, ACC-6; docs/REQUESTS.md).
//!
//! - `POST /api/v1/me/requests` files one (access, copy, correction, deletion, consent
//!   withdrawal, cancellation); `GET /api/v1/me/requests` lists the caller's, `GET
//!   /api/v1/me/requests/{id}` shows one with every step (another account's is `404`).
//! - `PUT /api/v1/me/fields/{name}` corrects a self-correctable field at once (issue 8 item 3),
//!   recorded as a fulfilled correction request; any other field is refused, pointing to the
//!   request a reviewer handles.
//! - `POST /api/v1/me/export` makes the caller's copy (issue 8 item 2): every field the vault
//!   holds and their records, encrypted to their passphrase, recorded as a fulfilled `copy`.
//! - `GET /api/v1/staff/requests[?all=true][&due_within_days=N]` lists them for the privacy
//!   officer, the soonest due first; `GET /api/v1/staff/requests/{id}` shows one;
//!   `POST /api/v1/staff/requests/{id}/action` starts, fulfils, partly fulfils or refuses it.
//! - `POST /api/v1/public/requests` files one for someone who cannot log in, starting with
//!   identity verification; `GET /api/v1/public/requests/{ticket}` follows it.

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::DomainError;
use yinxin_domain::requests::{RefusalGround, RequestState, SubjectRequest};
use yinxin_identity::idv::public_request::{
    PublicDelivery, PublicRequestFiled, PublicRequestFiling,
};
use yinxin_identity::requests::{RequestAction, RequestFiling, RequestView};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(file_request, my_requests))
        .routes(routes!(correct_field))
        .routes(routes!(export_my_data))
        .routes(routes!(my_request))
        .routes(routes!(staff_requests))
        .routes(routes!(staff_request))
        .routes(routes!(act_on_request))
        .routes(routes!(file_public_request))
        .routes(routes!(public_request))
        .routes(routes!(deliver_public_request))
}

/// Files a data-subject request; the session proves who files, so its clock starts at once.
#[utoipa::path(post, path = "/api/v1/me/requests", tag = "privacy",
    request_body = RequestFiling,
    responses(
        (status = 201, body = RequestView),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn file_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(f): ApiJson<RequestFiling>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let v = state.accounts.file_request(&caller.account, &f).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The caller's requests, newest first.
#[utoipa::path(get, path = "/api/v1/me/requests", tag = "privacy",
    responses((status = 200, body = Vec<SubjectRequest>), (status = 401, body = ErrorBody)))]
async fn my_requests(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SubjectRequest>>, ApiError> {
    Ok(Json(state.accounts.my_requests(&caller.account).await?))
}

/// One of the caller's requests with every step (a refusal's ground included).
#[utoipa::path(get, path = "/api/v1/me/requests/{id}", tag = "privacy",
    params(("id" = String, Path, description = "The request")),
    responses((status = 200, body = RequestView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(state.accounts.my_request(&caller.account, &id).await?))
}

/// Which requests to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RequestsQuery {
    /// Closed ones too (default: open only).
    pub all: Option<bool>,
    /// Only those due within this many days (reminders).
    pub due_within_days: Option<i64>,
}

/// Requests for the privacy officer, the soonest due first.
#[utoipa::path(get, path = "/api/v1/staff/requests", tag = "privacy",
    params(RequestsQuery),
    responses((status = 200, body = Vec<SubjectRequest>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn staff_requests(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<RequestsQuery>,
) -> Result<Json<Vec<SubjectRequest>>, ApiError> {
    let within = match q.due_within_days {
        Some(d) if !(0..=366).contains(&d) => {
            return Err(DomainError::invalid("due_within_days", "0 to 366").into());
        }
        d => d.map(|d| d * 86_400),
    };
    Ok(Json(
        state
            .accounts
            .staff_requests(&caller.account, !q.all.unwrap_or(false), within)
            .await?,
    ))
}

/// One request with its record, for the privacy officer.
#[utoipa::path(get, path = "/api/v1/staff/requests/{id}", tag = "privacy",
    params(("id" = String, Path, description = "The request")),
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn staff_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        state.accounts.staff_request(&caller.account, &id).await?,
    ))
}

/// What the privacy officer does.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestActionBody {
    /// `start`, `fulfil`, `fulfil_partly` or `refuse`.
    pub action: RequestAction,
    /// For a refusal or a partial fulfilment, the ground (000 §11.4).
    #[serde(default)]
    pub ground: Option<RefusalGround>,
}

/// Starts, fulfils, partly fulfils or refuses a request (the privacy officer); every step is
/// recorded, and a refusal names its ground to the requester.
#[utoipa::path(post, path = "/api/v1/staff/requests/{id}/action", tag = "privacy",
    params(("id" = String, Path, description = "The request")),
    request_body = RequestActionBody,
    responses(
        (status = 200, body = RequestView),
        (status = 400, description = "A refusal without a ground, a ground where none belongs", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The request's state does not allow it", body = ErrorBody)))]
async fn act_on_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RequestActionBody>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        state
            .accounts
            .act_on_request(&caller.account, &id, b.action, b.ground)
            .await?,
    ))
}

/// A corrected value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The new value.
    pub value: String,
}

impl std::fmt::Debug for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Correction")
    }
}

/// Corrects one of the caller's self-correctable fields (`person.email`, `person.work_unit`) at
/// once, recorded as a fulfilled correction request (PRIV-14). Any other field is `403` naming it:
/// its correction is a request (`POST /api/v1/me/requests`) staff review.
#[utoipa::path(put, path = "/api/v1/me/fields/{name}", tag = "privacy",
    params(("name" = String, Path, description = "The inventory field")),
    request_body = Correction,
    responses(
        (status = 200, body = RequestView),
        (status = 400, description = "Not an inventory field, or a value that is not valid for it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The field is not corrected by the subject", body = ErrorBody)))]
async fn correct_field(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(c): ApiJson<Correction>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        state
            .accounts
            .correct_field(&caller.account, &name, &c.value)
            .await?,
    ))
}

/// The passphrase an export is encrypted to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// 12 characters or more; the service does not keep it.
    pub passphrase: String,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExportRequest")
    }
}

/// The caller's copy of their data (PRIV-14): every field the vault holds (from the inventory)
/// and their consents, verifications, disclosures, signatures, staff accesses and requests, as
/// JSON sealed to the passphrase (Argon2id + AES-256-GCM; `yinxin_identity::export::open`), with
/// the same as a human-readable PDF inside it (`report_pdf_base64`).
/// Recorded as a fulfilled `copy` request; at most 10 an hour.
#[utoipa::path(post, path = "/api/v1/me/export", tag = "privacy",
    request_body = ExportRequest,
    responses(
        (status = 200, description = "The sealed export", body = yinxin_identity::export::ExportEnvelope),
        (status = 400, description = "A passphrase shorter than 12 characters", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn export_my_data(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(r): ApiJson<ExportRequest>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let render = export_renderer(&state)?;
    let envelope = state
        .accounts
        .export(&caller.account, &r.passphrase, Some(&render))
        .await?;
    Ok(export_answer(envelope))
}

/// The export's PDF renderer, with the report font.
fn export_renderer(
    state: &AppState,
) -> Result<impl Fn(&serde_json::Value) -> Result<Vec<u8>, String> + Send + Sync + use<>, ApiError>
{
    let font = state.fonts.report().map_err(|e| {
        ApiError::internal(
            yinxin_domain::ErrorCode::ProviderUnavailable,
            format!("report font: {e}"),
        )
    })?;
    Ok(move |doc: &serde_json::Value| export_pdf(doc, &font))
}

/// A sealed export as the answer: a private download.
fn export_answer(
    envelope: yinxin_identity::export::ExportEnvelope,
) -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CACHE_CONTROL, "private, no-store"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"yinxin-export.json\"",
            ),
        ],
        Json(envelope),
    )
}

/// The most records of each kind the PDF lists one by one (the JSON has them all).
const PDF_RECORDS_LISTED: usize = 200;

/// The human-readable copy of an export document (zh-CN with English labels): every field with
/// its value, then each kind of record with its count and the records, one line each.
fn export_pdf(
    doc: &serde_json::Value,
    font: &yinxin_sign::report::ReportFont,
) -> Result<Vec<u8>, String> {
    use yinxin_sign::report::{Block, Report, render};
    const NULL: serde_json::Value = serde_json::Value::Null;
    let g = |v: &'_ serde_json::Value, k: &str| v.get(k).cloned().unwrap_or(NULL);
    let text = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let mut blocks = vec![
        Block::Title("个人信息副本 Copy of your personal information".into()),
        Block::Paragraph(format!(
            "本副本由印信电子认证服务依您的请求生成，列出我们持有的您的全部个人信息及相关记录；\
             机器可读的完整内容见同一导出文件中的 JSON。This copy lists every item of personal \
             information the service holds about you and your records; the same export holds \
             them all as JSON. Account {}, generated at Unix time {}.",
            text(g(&g(doc, "account"), "id")),
            g(doc, "generated_at")
        )),
        Block::Heading("个人信息 Personal information".into()),
    ];
    for f in g(doc, "fields").as_array().into_iter().flatten() {
        let value = match (g(f, "value").as_str(), g(f, "value_base64").as_str()) {
            (Some(v), _) => v.to_owned(),
            (None, Some(b)) => format!("[文件 file, {} base64 characters]", b.len()),
            _ => String::new(),
        };
        blocks.push(Block::Field {
            label: format!("{} {}", text(g(f, "label_zh")), text(g(f, "label_en"))),
            value,
        });
    }
    // The files themselves are in the JSON beside this copy; here, what each is.
    let files = g(doc, "files").as_array().cloned().unwrap_or_default();
    blocks.push(Block::Heading(format!("文件 Files ({})", files.len())));
    for f in &files {
        let size = g(f, "content_base64").as_str().map_or_else(
            || text(g(f, "omitted")),
            |b| format!("{} bytes", b.len() / 4 * 3),
        );
        blocks.push(Block::Field {
            label: format!("{} {}", text(g(f, "field")), text(g(f, "id"))),
            value: format!("{}, {size}", text(g(f, "media_type"))),
        });
    }
    for (key, title) in [
        ("consents", "同意记录 Consents"),
        ("verifications", "身份核验 Identity verifications"),
        ("disclosures", "对外提供 Disclosures"),
        ("signatures", "签名 Signatures"),
        ("staff_accesses", "工作人员访问 Staff accesses"),
        ("requests", "请求 Requests"),
    ] {
        let items = g(doc, key).as_array().cloned().unwrap_or_default();
        blocks.push(Block::Heading(format!("{title} ({})", items.len())));
        for item in items.iter().take(PDF_RECORDS_LISTED) {
            blocks.push(Block::Mono(item.to_string()));
        }
        if items.len() > PDF_RECORDS_LISTED {
            let rest = items.len() - PDF_RECORDS_LISTED;
            blocks.push(Block::Paragraph(format!(
                "其余 {rest} 条见 JSON。The other {rest} are in the JSON."
            )));
        }
    }
    render(
        &Report {
            title: "个人信息副本 Copy of your personal information".into(),
            language: "zh-CN".into(),
            blocks,
            attachments: Vec::new(),
            footer: "印信 yinxin — 个人信息副本 personal data copy".into(),
            page_label: "第 {n} 页，共 {N} 页".into(),
            created: std::time::SystemTime::now(),
        },
        font,
    )
    .map_err(|e| e.to_string())
}

/// Files a data-subject request for someone who cannot log in (PRIV-14; docs/REQUESTS.md, "The
/// public form"): the code sent to their mobile (`POST /api/v1/sms/codes` with purpose
/// `public_request`), then the carrier check of their name, resident ID number and mobile
/// against the account that holds the number. `201` when the identity is verified (the clock
/// starts), `202` when the provider could not answer (it waits, `received`); a ticket to follow
/// it, shown once.
#[utoipa::path(post, path = "/api/v1/public/requests", tag = "privacy",
    request_body = PublicRequestFiling,
    responses(
        (status = 201, description = "Filed, identity verified", body = PublicRequestFiled),
        (status = 202, description = "Filed, identity not verified yet", body = PublicRequestFiled),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 403, description = "A wrong code, or details that do not verify an account's holder", body = ErrorBody),
        (status = 429, description = "Too many filings from this address", body = ErrorBody)))]
async fn file_public_request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(f): ApiJson<PublicRequestFiling>,
) -> Result<(StatusCode, Json<PublicRequestFiled>), ApiError> {
    let filed = state
        .verifications
        .file_public_request(&f, peer.ip())
        .await?;
    let status = if filed.view.request.state == RequestState::Received {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(filed)))
}

/// The data of a fulfilled access or copy request filed through the public form (issue 8 item
/// 2; docs/REQUESTS.md): once, within 30 days of fulfilment, against the ticket and a fresh code
/// to the mobile proved at filing; sealed to the passphrase given, as `POST /api/v1/me/export`.
#[utoipa::path(post, path = "/api/v1/public/requests/{ticket}/export", tag = "privacy",
    params(("ticket" = String, Path, description = "The ticket given at filing")),
    request_body = PublicDelivery,
    responses(
        (status = 200, description = "The sealed copy", body = yinxin_identity::export::ExportEnvelope),
        (status = 400, description = "A field is wrong: the message names it", body = ErrorBody),
        (status = 403, description = "Not the mobile proved at filing, or a wrong code", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not an access or copy request, not fulfilled, delivered already, or past its window", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn deliver_public_request(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
    ApiJson(d): ApiJson<PublicDelivery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let render = export_renderer(&state)?;
    let envelope = state
        .verifications
        .deliver_public_request(&ticket, &d, Some(&render))
        .await?;
    Ok(export_answer(envelope))
}

/// A request filed through the public form, by its ticket, with every step (a refusal's ground
/// included).
#[utoipa::path(get, path = "/api/v1/public/requests/{ticket}", tag = "privacy",
    params(("ticket" = String, Path, description = "The ticket given at filing")),
    responses((status = 200, body = RequestView), (status = 404, body = ErrorBody)))]
async fn public_request(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(state.verifications.public_request(&ticket).await?))
}
