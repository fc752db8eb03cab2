//! Accounts, sessions, policies and consents under `/api/v1` (ACC-1, ACC-3, PRIV-1, PRIV-2, PRIV-17).

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::account::{
    AccountKind, ConsentAction, ConsentRecord, ConsentScope, GuardianConsentRecord, Permission,
    PermissionRecord,
};
use yinxin_domain::risk::LoginEventView;
use yinxin_identity::sms::outbox::OutboxEntry;
use yinxin_identity::{
    ClientFacts, ConsentReceipt, GuardianConsentRequest, Login, PersonalRegistration, Profile,
    ReceiptJwk,
};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller, SESSION_COOKIE, SessionCaller};

/// The accounts routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(current_policy))
        .routes(routes!(register_personal))
        .routes(routes!(create_session))
        .routes(routes!(delete_session))
        .routes(routes!(me))
        .routes(routes!(my_profile))
        .routes(routes!(my_consents))
        .routes(routes!(send_sms_code))
        .routes(routes!(post_consent))
        .routes(routes!(put_permission))
        .routes(routes!(my_permissions))
        .routes(routes!(sms_outbox))
        .routes(routes!(consent_receipt))
        .routes(routes!(give_guardian_consent))
        .routes(routes!(my_guardian_consents))
        .routes(routes!(receipt_keys))
        .routes(routes!(my_login_events))
}

/// The header a client may send with a login to name its device (ACC-5): opaque, 1 to 128
/// printable ASCII characters; anything else counts as absent.
pub const DEVICE_ID_HEADER: &str = "x-device-id";

/// What the client tells about itself with a login: the source address, `User-Agent` and
/// `X-Device-Id` (ACC-5). Never logged.
pub(crate) fn client_facts(peer: SocketAddr, headers: &HeaderMap) -> ClientFacts {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    ClientFacts::new(
        peer.ip(),
        text(header::USER_AGENT.as_str()),
        text(DEVICE_ID_HEADER),
    )
}

/// A request for a one-time SMS code.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    /// The real-name mainland mobile number of the account.
    pub mobile: String,
    /// What the code is for; only `login` for now.
    pub purpose: SmsPurpose,
}

/// What an SMS code is for.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmsPurpose {
    /// Logging in (ACC-3).
    Login,
    /// Opening the public form of data-subject requests (PRIV-14): sent to any mainland
    /// mobile, the requester's own (docs/REQUESTS.md).
    PublicRequest,
}

/// The code is on its way (if the number belongs to an account: the answer is the same either way).
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsCodeAccepted {
    /// Seconds the code stays valid.
    pub expires_in: i64,
}

/// Sends a one-time login code by SMS (ACC-3). The same answer whether or not the number has an
/// account; limited per number and per source address per hour.
#[utoipa::path(post, path = "/api/v1/sms/codes", tag = "accounts",
    request_body = SmsCodeRequest,
    responses(
        (status = 202, description = "Accepted", body = SmsCodeAccepted),
        (status = 400, description = "The number is not a mainland mobile", body = ErrorBody),
        (status = 429, description = "Too many codes for this number or address", body = ErrorBody)
    ))]
async fn send_sms_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(r): ApiJson<SmsCodeRequest>,
) -> Result<(StatusCode, Json<SmsCodeAccepted>), ApiError> {
    let expires_in = match r.purpose {
        SmsPurpose::Login => state.accounts.send_login_code(&r.mobile, peer.ip()).await?,
        SmsPurpose::PublicRequest => {
            state
                .accounts
                .send_public_request_code(&r.mobile, peer.ip())
                .await?
        }
    };
    Ok((StatusCode::ACCEPTED, Json(SmsCodeAccepted { expires_in })))
}

/// Outbox query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct OutboxQuery {
    /// The number whose messages to list.
    pub mobile: String,
}

/// Messages in the development outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessages {
    /// Oldest first.
    pub messages: Vec<OutboxEntry>,
}

/// Development only: the messages the SMS outbox "sent" to a number. Answers 404 unless the
/// outbox is the configured gateway.
#[utoipa::path(get, path = "/api/v1/dev/sms-outbox", tag = "accounts",
    params(OutboxQuery),
    responses(
        (status = 200, description = "Messages", body = OutboxMessages),
        (status = 404, description = "The outbox is not enabled", body = ErrorBody)
    ))]
async fn sms_outbox(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<OutboxQuery>,
) -> Result<Json<OutboxMessages>, ApiError> {
    let Some(outbox) = &state.outbox else {
        return Err(ApiError::new(
            yinxin_domain::ErrorCode::NotFound,
            "the SMS outbox is not enabled (sms_gateway is not \"outbox\")",
        ));
    };
    let messages = outbox
        .messages_for(&q.mobile)
        .await
        .map_err(|e| ApiError::internal(yinxin_domain::ErrorCode::Internal, e.to_string()))?;
    Ok(Json(OutboxMessages { messages }))
}

/// The privacy policy in effect (PRIV-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentPolicy {
    /// Version label; registration must accept exactly this.
    pub version: String,
    /// Publication date.
    pub updated_on: String,
    /// Effective date.
    pub effective_on: String,
    /// Whether the change from the previous version is material.
    pub material: bool,
    /// SHA-256 (hex) of `text`.
    pub text_sha256: String,
    /// The text shown to the user.
    pub text: String,
}

/// The privacy policy in effect, with its text and hash.
#[utoipa::path(get, path = "/api/v1/policies/current", tag = "accounts",
    responses((status = 200, description = "The policy in effect", body = CurrentPolicy)))]
async fn current_policy(State(state): State<AppState>) -> Result<Json<CurrentPolicy>, ApiError> {
    let p = state.accounts.current_policy().await?;
    let text = state
        .accounts
        .policy_text(&p.version)
        .await?
        .unwrap_or_default();
    Ok(Json(CurrentPolicy {
        version: p.version,
        updated_on: p.updated_on,
        effective_on: p.effective_on,
        material: p.material,
        text_sha256: p.text_sha256,
        text,
    }))
}

/// A new account.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredAccount {
    /// The account id.
    #[schema(value_type = String, format = Uuid)]
    pub account_id: yinxin_domain::AccountId,
    /// The consent records made with the registration (receipts).
    pub consents: Vec<ConsentRecord>,
}

/// Registers a person (ACC-1). Every field is checked by its published rule; a refusal names the
/// field and stores nothing. Requires acceptance of the policy in effect and the separate consent
/// `sensitive_personal_information` (PRIV-1, PRIV-2).
#[utoipa::path(post, path = "/api/v1/accounts/personal", tag = "accounts",
    request_body = PersonalRegistration,
    responses(
        (status = 201, description = "Registered", body = RegisteredAccount),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 403, description = "A consent is missing (CONSENT_REQUIRED)", body = ErrorBody),
        (status = 409, description = "The username is taken", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address", body = ErrorBody)
    ))]
async fn register_personal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(r): ApiJson<PersonalRegistration>,
) -> Result<(StatusCode, Json<RegisteredAccount>), ApiError> {
    let done = state.accounts.register_personal(&r, peer.ip()).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredAccount {
            account_id: done.account,
            consents: done.consents,
        }),
    ))
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewSession {
    /// The account.
    #[schema(value_type = String, format = Uuid)]
    pub account_id: yinxin_domain::AccountId,
    /// Opaque bearer token (also set as the `yinxin_session` cookie). Shown once.
    pub token: String,
    /// Unix second the session expires.
    pub expires_at: i64,
}

/// Logs in (ACC-3). The token is returned and set as an HttpOnly, Secure, SameSite=Strict cookie
/// that holds only the opaque token (PRIV-17). Wrong username and wrong password get the same
/// answer; repeated wrong passwords lock password login (423). A correct password that looks
/// abnormal (a new device *and* a new network for an account that has logged in before, or
/// repeated wrong passwords just before) answers `401 STEP_UP_REQUIRED`: a code went by SMS to
/// the account's mobile; repeat the login with it as `sms_code` (ACC-5). Every attempt on an
/// existing account is recorded with the source address, `User-Agent` and `X-Device-Id`, sealed.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts",
    request_body = Login,
    params(
        ("X-Device-Id" = Option<String>, Header, description = "Opaque id of the client device (1 to 128 printable ASCII characters), for risk control (ACC-5)"),
        ("User-Agent" = Option<String>, Header, description = "Recorded (sealed, first 512 characters) with the login event")
    ),
    responses(
        (status = 201, description = "Logged in", body = NewSession),
        (status = 401, description = "Wrong credentials (UNAUTHENTICATED), or an SMS step-up code is needed (STEP_UP_REQUIRED)", body = ErrorBody),
        (status = 423, description = "Password login locked; use an SMS code", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody)
    ))]
async fn create_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(login): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let out = state
        .accounts
        .login(&login, &client_facts(peer, &headers))
        .await?;
    let max_age = state.accounts.config().session_seconds;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict",
        out.token.0.as_str()
    );
    let body = NewSession {
        account_id: out.account,
        token: out.token.0.as_str().to_owned(),
        expires_at: out.expires_at,
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response())
}

/// Logs out: the session is deleted and the cookie cleared.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn delete_session(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
) -> Result<Response, ApiError> {
    state.accounts.logout(&caller.token).await?;
    let cookie = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The caller's account, without personal information.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The account id.
    #[schema(value_type = String, format = Uuid)]
    pub account_id: yinxin_domain::AccountId,
    /// Personal or enterprise.
    pub kind: AccountKind,
    /// Unix second of registration.
    pub created_at: i64,
    /// How this session was opened.
    pub session_method: String,
    /// Unix second this session expires.
    pub session_expires_at: i64,
}

/// The caller's account. Carries no personal information; see `/api/v1/me/profile`.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, description = "The account", body = Me),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        account_id: caller.account.id,
        kind: caller.account.kind,
        created_at: caller.account.created_at,
        session_method: caller.session.method,
        session_expires_at: caller.session.expires_at,
    })
}

/// The caller's own personal information, masked (read from the vault for the purpose
/// "subject access").
#[utoipa::path(get, path = "/api/v1/me/profile", tag = "accounts",
    responses(
        (status = 200, description = "Masked profile", body = Profile),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn my_profile(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(state.accounts.profile(&caller.account).await?))
}

/// The caller's consent records.
#[derive(Debug, Serialize, ToSchema)]
pub struct Consents {
    /// Oldest first; withdrawals are records of their own.
    pub consents: Vec<ConsentRecord>,
}

/// The caller's consents, given and withdrawn (PRIV-1, PRIV-4).
#[utoipa::path(get, path = "/api/v1/me/consents", tag = "accounts",
    responses(
        (status = 200, description = "Consent records", body = Consents),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn my_consents(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
) -> Result<Json<Consents>, ApiError> {
    Ok(Json(Consents {
        consents: state.accounts.consents(caller.account.id).await?,
    }))
}

/// A consent given or withdrawn.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// What the consent covers.
    pub scope: ConsentScope,
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// The policy version shown (must be the one in effect to give consent).
    pub policy_version: String,
}

/// Gives or withdraws a consent (PRIV-1, PRIV-2, PRIV-4). Append-only: a withdrawal is a new
/// record and never deletes the history.
#[utoipa::path(post, path = "/api/v1/consents", tag = "accounts",
    request_body = ConsentRequest,
    responses(
        (status = 201, description = "Recorded", body = ConsentRecord),
        (status = 400, description = "Malformed", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Not the policy version in effect", body = ErrorBody)
    ))]
async fn post_consent(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiJson(r): ApiJson<ConsentRequest>,
) -> Result<(StatusCode, Json<ConsentRecord>), ApiError> {
    let rec = state
        .accounts
        .record_consent(caller.account.id, r.scope, r.action, &r.policy_version)
        .await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

/// A permission setting.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionSetting {
    /// On or off.
    pub granted: bool,
}

/// Turns a device permission (`location`, `camera`, `photo_album`, `push`) on or off (PRIV-3).
/// Turning it off stops the collection it covers; earlier records stay valid.
#[utoipa::path(put, path = "/api/v1/me/permissions/{name}", tag = "accounts",
    params(("name" = String, Path, description = "location, camera, photo_album or push")),
    request_body = PermissionSetting,
    responses(
        (status = 200, description = "Recorded", body = PermissionRecord),
        (status = 400, description = "Unknown permission", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn put_permission(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(name): axum::extract::Path<String>,
    ApiJson(r): ApiJson<PermissionSetting>,
) -> Result<Json<PermissionRecord>, ApiError> {
    let permission = Permission::parse(&name).ok_or_else(|| {
        ApiError::new(
            yinxin_domain::ErrorCode::InvalidInput,
            "name: not a permission; use location, camera, photo_album or push",
        )
    })?;
    Ok(Json(
        state
            .accounts
            .set_permission(caller.account.id, permission, r.granted)
            .await?,
    ))
}

/// The caller's permissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Permissions {
    /// Each permission that is on now.
    pub granted: Vec<Permission>,
    /// Every change, oldest first.
    pub history: Vec<PermissionRecord>,
}

/// The caller's device permissions: which are on, and every change (PRIV-3).
#[utoipa::path(get, path = "/api/v1/me/permissions", tag = "accounts",
    responses(
        (status = 200, description = "Permissions", body = Permissions),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn my_permissions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Permissions>, ApiError> {
    let history = state.accounts.permissions(caller.account.id).await?;
    let granted = Permission::ALL
        .into_iter()
        .filter(|p| yinxin_domain::account::permission_granted(&history, *p))
        .collect();
    Ok(Json(Permissions { granted, history }))
}

/// One of the caller's consent records as a receipt signed by the service: a JWT (EdDSA, Ed25519)
/// with the Kantara consent-receipt fields; verify it with a key from
/// `GET /api/v1/consent-receipts/keys` (PRIV-1). Open whatever the consent state.
#[utoipa::path(get, path = "/api/v1/me/consents/{id}/receipt", tag = "accounts",
    params(("id" = String, Path, description = "The consent record (receipt) id")),
    responses(
        (status = 200, description = "The signed receipt", body = ConsentReceipt),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 404, description = "No such consent record of the caller's", body = ErrorBody)
    ))]
async fn consent_receipt(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<ConsentReceipt>, ApiError> {
    let id = crate::enterprises::path_id(&id, "id")?;
    Ok(Json(
        state
            .accounts
            .consent_receipt(caller.account.id, id)
            .await?,
    ))
}

/// A JWK set (RFC 7517).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptKeys {
    /// Every key that has signed receipts, newest first.
    pub keys: Vec<ReceiptJwk>,
}

/// The public keys that verify consent receipts (PRIV-1).
#[utoipa::path(get, path = "/api/v1/consent-receipts/keys", tag = "accounts",
    responses((status = 200, description = "JWK set", body = ReceiptKeys)))]
async fn receipt_keys(State(state): State<AppState>) -> Result<Json<ReceiptKeys>, ApiError> {
    Ok(Json(ReceiptKeys {
        keys: state.accounts.receipt_keys().await?,
    }))
}

/// A parent or guardian consents, from their own account, to the registration of a child under
/// 14 named by the child's resident ID number (PRIV-13). The answer's `id` goes into the child's
/// registration as `guardian_consent_id`; it is single use and expires after 7 days.
#[utoipa::path(post, path = "/api/v1/guardian-consents", tag = "accounts",
    request_body = GuardianConsentRequest,
    responses(
        (status = 201, description = "Consent recorded", body = GuardianConsentRecord),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 403, description = "The caller cannot consent as a guardian, or a consent is missing", body = ErrorBody)
    ))]
async fn give_guardian_consent(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(r): ApiJson<GuardianConsentRequest>,
) -> Result<(StatusCode, Json<GuardianConsentRecord>), ApiError> {
    let record = state
        .accounts
        .give_guardian_consent(&caller.account, &r)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Guardian consents given.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuardianConsents {
    /// Oldest first; `used_by` is the child's account once registered.
    pub guardian_consents: Vec<GuardianConsentRecord>,
}

/// The guardian consents the caller gave (PRIV-13).
#[utoipa::path(get, path = "/api/v1/me/guardian-consents", tag = "accounts",
    responses(
        (status = 200, description = "Guardian consents", body = GuardianConsents),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn my_guardian_consents(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<GuardianConsents>, ApiError> {
    Ok(Json(GuardianConsents {
        guardian_consents: state.accounts.guardian_consents(caller.account.id).await?,
    }))
}

/// The caller's login events.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginEvents {
    /// Newest first, at most 100.
    pub events: Vec<LoginEventView>,
}

/// The caller's recent login attempts (ACC-5): time, method, outcome, whether the device and the
/// network were new, and the source address masked (IPv4 `a.b.*.*`, IPv6 the first three
/// groups). Opened from the sealed records for the holder's own access. Kept 180 days.
#[utoipa::path(get, path = "/api/v1/me/login-events", tag = "accounts",
    responses(
        (status = 200, description = "Login events, newest first", body = LoginEvents),
        (status = 401, description = "No session", body = ErrorBody)
    ))]
async fn my_login_events(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<LoginEvents>, ApiError> {
    Ok(Json(LoginEvents {
        events: state.accounts.login_events(&caller.account).await?,
    }))
}
