//! Errors of certificate building and request checks. Messages name what was wrong with the
//! input; none carries key material.

use yinxin_crypto::CryptoError;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A PKCS#10 request or other input that is malformed or not allowed; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The key store failed or refused.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// Encoding failed (a bug or a value out of range, never the client's input).
    #[error("encoding: {0}")]
    Encoding(String),
}

impl From<der::Error> for PkiError {
    fn from(e: der::Error) -> Self {
        Self::Encoding(e.to_string())
    }
}

impl From<x509_cert::builder::Error> for PkiError {
    fn from(e: x509_cert::builder::Error) -> Self {
        Self::Encoding(e.to_string())
    }
}
