//! Real-name identity verification (IDV-1..IDV-6).
//!
//! - [`provider`] — the provider seam: checks, answers, errors.
//! - [`tencent`] — Tencent Cloud API 3.0 (TC3-HMAC-SHA256): faceid, ocr and the yinxin extension
//!   actions; `yinxin-authority-sim` serves the same protocol on loopback.
//! - [`router`] — routing per method, fallback, timeouts, circuit breakers.
//! - [`service`] — the verification service: validation, consent, routing, records, deposits.
//! - [`credential`] — the personal identity credential (a signed JWS) and its keys.

pub mod credential;
pub mod provider;
pub mod public_request;
pub mod router;
pub mod service;
pub mod tencent;

pub use credential::IssuedCredential;
pub use service::{
    DepositSent, IdCardRead, IdvConfig, VerificationHistory, VerificationRequest,
    VerificationResult, VerificationStatus, Verifications, processor_entry, status_of,
};
