//! Errors of signing and verification; each message says what was wrong with the input.

use yinxin_pki::PkiError;

use crate::pdf::PdfError;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The PDF could not be read or does not fit the request.
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// The CMS structure or the signer refused (wrong key, bad certificate, …).
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The timestamp authority did not give a token; the message says why.
    #[error("the signature timestamp could not be obtained: {0}")]
    Timestamp(String),
    /// A request that cannot be carried out (the message says which part).
    #[error("{0}")]
    Invalid(String),
}
