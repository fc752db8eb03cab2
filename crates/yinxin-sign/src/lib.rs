//! Electronic signatures and seals (issue 6; SIGN-1..SIGN-4 in ../shared/REQUIREMENTS.md).
//!
//! Pure code, no database and no vault, like the structural modules of `yinxin-pki`: the server
//! decides who may sign what (intent, seal authorizations) and records it; this crate makes and
//! checks the artifacts. docs/SIGNING.md says what each level means and what is missing.
//!
//! - [`cades`] — detached CMS signatures over a document or its digest (CAdES B-B, B-T).
//! - [`pdf`] — a careful reader of untrusted PDF and a writer of incremental updates.
//! - [`pades`] — PDF signatures (PAdES B-B, B-T, B-LT, B-LTA), visible or not, and their
//!   verification.
//! - [`chain`] — which trusted root a signer's certificate leads to, checked link by link.
//! - [`timestamp`] — the seam to a timestamp authority, and token checks.
//! - [`report`] — typeset reports (evidence reports, EVID-2) with an embedded CJK font subset
//!   and attached files.
//! - [`image`], [`seal`], [`signature`] — seal and signature images (SIGN-2, SIGN-3;
//!   docs/SEALS.md).

pub mod cades;
pub mod chain;
mod error;
pub mod image;
pub mod pades;
pub mod pdf;
pub mod report;
pub mod revocation;
pub mod seal;
pub mod signature;
#[cfg(test)]
mod testing;
pub mod timestamp;

pub use error::SignError;
