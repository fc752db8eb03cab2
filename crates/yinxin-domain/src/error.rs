//! The error every layer agrees on: a stable machine-readable code and a message a person can act on.

use std::fmt;

use serde::Serialize;

/// Stable error codes. NEVER rename one: clients match on these strings.
///
/// The HTTP status of each code is decided in one place, the server's error mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request or a value in it is malformed; the message names the field.
    InvalidInput,
    /// No such resource (or the caller may not know it exists).
    NotFound,
    /// The PI field named is not declared in the inventory (PRIV-5).
    PiFieldUndeclared,
    /// The PI field is declared as never stored (biometric data, ACC-3, IDV-1(c)).
    PiFieldNotStorable,
    /// A blind-index lookup was asked of a field that has no blind index.
    PiFieldNotIndexed,
    /// The purpose stated to read a PI field is not one the inventory declares for it (PRIV-5).
    PurposeNotDeclared,
    /// The subject's data key was destroyed (crypto-shredded, PRIV-16): its fields are gone.
    SubjectShredded,
    /// The master key does not open the vault's keys.
    MasterKeyMismatch,
    /// Stored data failed authentication: it was altered or belongs elsewhere.
    Tampered,
    /// The database is unreachable or failed.
    StorageUnavailable,
    /// A concurrent change won; retry.
    Conflict,
    /// No valid session, or the credentials are wrong (never says which).
    Unauthenticated,
    /// Password login is locked after repeated failures; another method still works (ACC-3).
    AccountLocked,
    /// A consent is needed first: the message names which (PRIV-1, PRIV-2, PRIV-4, PRIV-13).
    ConsentRequired,
    /// Too many attempts; retry after the time in the `retry-after` header.
    RateLimited,
    /// The value is taken (a username, an identity already registered).
    AlreadyExists,
    /// Authenticated, but this account may not do this (an agent without the scope, ACC-2).
    Forbidden,
    /// The login looks abnormal (new device and network, or repeated failures): repeat it with
    /// the SMS code just sent to the account's mobile (ACC-5).
    StepUpRequired,
    /// No identity-verification provider answered (down, timed out, or breaker open): nothing
    /// changed; try again later (IDV-3).
    ProviderUnavailable,
    /// A certificate is issued only to a verified identity (CERT-2): verify first.
    IdentityNotVerified,
    /// A key the service holds signs for a person only with a fresh, confirmed intent of theirs
    /// for exactly what is signed (issue 6 item 3): none was given, or it is unconfirmed,
    /// expired, used, or for something else.
    IntentRequired,
    /// Anything else: the detail is in the server log, never in the response.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidInput => "INVALID_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::PiFieldUndeclared => "PI_FIELD_UNDECLARED",
            Self::PiFieldNotStorable => "PI_FIELD_NOT_STORABLE",
            Self::PiFieldNotIndexed => "PI_FIELD_NOT_INDEXED",
            Self::PurposeNotDeclared => "PURPOSE_NOT_DECLARED",
            Self::SubjectShredded => "SUBJECT_SHREDDED",
            Self::MasterKeyMismatch => "MASTER_KEY_MISMATCH",
            Self::Tampered => "TAMPERED",
            Self::StorageUnavailable => "STORAGE_UNAVAILABLE",
            Self::Conflict => "CONFLICT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::AccountLocked => "ACCOUNT_LOCKED",
            Self::ConsentRequired => "CONSENT_REQUIRED",
            Self::RateLimited => "RATE_LIMITED",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::Forbidden => "FORBIDDEN",
            Self::StepUpRequired => "STEP_UP_REQUIRED",
            Self::ProviderUnavailable => "PROVIDER_UNAVAILABLE",
            Self::IdentityNotVerified => "IDENTITY_NOT_VERIFIED",
            Self::IntentRequired => "INTENT_REQUIRED",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain error: a stable code plus a message. Messages NEVER contain personal information.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DomainError {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong, in words the caller can act on.
    pub message: String,
}

impl DomainError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `INVALID_INPUT` naming the field: "`field`: what is wrong".
    pub fn invalid(field: &str, what: impl fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidInput, format!("{field}: {what}"))
    }
}
