//! The one mapping from errors to HTTP responses.
//!
//! 4xx bodies say what to fix, with a stable code. 5xx bodies are generic; the detail goes to the
//! log once, here, with the request's id.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yinxin_domain::{DomainError, ErrorCode};
use yinxin_privacy::vault::VaultError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `INVALID_INPUT`.
    #[schema(example = "NOT_FOUND")]
    pub code: &'static str,
    /// What went wrong, in words the caller can act on.
    pub message: String,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    /// For 5xx: what to log (never sent).
    detail: Option<String>,
}

impl ApiError {
    /// A client error with a message that says what to fix.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// Its stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// A server-side failure: the client sees a generic message, the log sees `detail`.
    pub fn internal(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            message: String::new(),
            detail: Some(detail.into()),
        }
    }

    /// The HTTP status of a code. The only place this mapping is made.
    pub fn status_of(code: ErrorCode) -> StatusCode {
        match code {
            ErrorCode::InvalidInput
            | ErrorCode::PiFieldUndeclared
            | ErrorCode::PiFieldNotStorable
            | ErrorCode::PiFieldNotIndexed => StatusCode::BAD_REQUEST,
            ErrorCode::PurposeNotDeclared => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::SubjectShredded => StatusCode::GONE,
            ErrorCode::Conflict | ErrorCode::AlreadyExists => StatusCode::CONFLICT,
            ErrorCode::Unauthenticated | ErrorCode::StepUpRequired => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::IdentityNotVerified | ErrorCode::IntentRequired => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::AccountLocked => StatusCode::LOCKED,
            ErrorCode::ConsentRequired => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::StorageUnavailable | ErrorCode::ProviderUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self::new(e.code, e.message)
    }
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Refused(d) => d.into(),
            other => Self::internal(other.code(), other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = Self::status_of(self.code);
        let message = if status.is_server_error() {
            if let Some(detail) = &self.detail {
                tracing::error!(code = self.code.as_str(), detail = %detail, "request failed");
            }
            match self.code {
                ErrorCode::StorageUnavailable => "the service is temporarily unavailable; retry later".to_owned(),
                // A fixed text of the verification service, naming no value: shown as it is.
                ErrorCode::ProviderUnavailable => self.message,
                _ => "internal error; the request id in the x-request-id header identifies it in the log".to_owned(),
            }
        } else {
            self.message
        };
        let body = ErrorBody {
            code: self.code.as_str(),
            message,
        };
        (status, Json(body)).into_response()
    }
}

impl From<yinxin_identity::ServiceError> for ApiError {
    fn from(e: yinxin_identity::ServiceError) -> Self {
        match e {
            yinxin_identity::ServiceError::Refused(d) => d.into(),
            yinxin_identity::ServiceError::Vault(v) => v.into(),
            yinxin_identity::ServiceError::Internal(m) => Self::internal(ErrorCode::Internal, m),
        }
    }
}
