//! Extractors: JSON bodies whose errors are ours, and the session of the caller.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use yinxin_domain::ErrorCode;
use yinxin_domain::account::{AccountRecord, SessionRecord};

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name. It holds only the opaque random token (PRIV-17).
pub const SESSION_COOKIE: &str = "yinxin_session";

/// A JSON body; a malformed one is `400 INVALID_INPUT` with serde's account of what is wrong
/// (which names the field), in our error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("request body: {}", rejection.body_text()),
            )),
        }
    }
}

/// A JSON body that may also be left empty, for requests whose every field is optional: an empty
/// (or blank) body is `T::default()`; anything else is read as [`ApiJson`] reads it, refusals
/// included.
#[derive(Debug)]
pub struct ApiJsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for ApiJsonOrEmpty<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("request body: {}", rejection.body_text()),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        let ApiJson(v) =
            ApiJson::from_request(Request::from_parts(parts, Body::from(bytes)), state).await?;
        Ok(Self(v))
    }
}

/// The caller's session token, from `Authorization: Bearer` or the session cookie.
pub fn session_token(parts: &Parts) -> Option<&str> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        return v
            .to_str()
            .ok()
            .and_then(|s| s.strip_prefix("Bearer "))
            .map(str::trim);
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
}

/// An authenticated caller: the account and its live session. Handlers that take this answer
/// `401 UNAUTHENTICATED` without it, and `403 CONSENT_REQUIRED` while the account has not
/// accepted the newest material policy version or has withdrawn its consent (PRIV-4): nothing
/// more is collected from it until it consents again. The few handlers that must stay open in
/// that state (log out, read and give or withdraw consents, object to others' information about
/// oneself) take [`SessionCaller`].
#[derive(Debug)]
pub struct Caller {
    /// The account.
    pub account: AccountRecord,
    /// The session.
    pub session: SessionRecord,
    /// The raw token (for logout).
    pub token: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SessionCaller(caller) = SessionCaller::from_request_parts(parts, state).await?;
        state.accounts.consent_gate(&caller.account).await?;
        Ok(caller)
    }
}

/// A caller who may or may not be signed in: `None` without a session token, [`Caller`] (with
/// all its checks) with one — a token that does not authenticate is still `401`, never quietly
/// anonymous. For public views that show more to the object's owner (a certificate's holder).
#[derive(Debug)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if session_token(parts).is_none() {
            return Ok(Self(None));
        }
        Ok(Self(Some(Caller::from_request_parts(parts, state).await?)))
    }
}

/// An authenticated caller *not* held by the re-consent gate: only for logging out, for reading,
/// giving and withdrawing consents (PRIV-4), and for objecting to information about oneself
/// (IDV-4), which must work whatever the consent state: exercising a right collects nothing.
#[derive(Debug)]
pub struct SessionCaller(pub Caller);

impl FromRequestParts<AppState> for SessionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = session_token(parts).unwrap_or_default().to_owned();
        let (account, session) = state.accounts.authenticate(&token).await?;
        Ok(Self(Caller {
            account,
            session,
            token,
        }))
    }
}
