//! Pure types and rules of yinxin. No I/O: nothing here opens a socket, a file or a database.
//!
//! - [`ids`] — identifiers (pseudonymous subject ids).
//! - [`error`] — the stable error codes every layer and every client shares.
//! - [`pi`] — the vocabulary of personal information (categories, purposes, legal bases, retention).
//! - [`inventory`] — the one declarative inventory of every personal-information field (PRIV-5).
//! - [`sensitive`] — [`Sensitive<T>`](sensitive::Sensitive), the wrapper PI travels in.
//! - [`repo`] — the repository traits the store crate implements (storage is domain-owned).
//! - [`validate`] — document numbers, credit codes, mobiles and e-mails checked by their published rules.
//! - [`account`] — accounts, sessions, policies and consents (ACC-1..ACC-3, PRIV-1..PRIV-4).
//! - [`enterprise`] — enterprises and the authorizations of their agents (ACC-2).
//! - [`support`] — support requests and their sealed conversation (ACC-7).
//! - [`risk`] — login events with their device and network facts (ACC-5).

pub mod account;
pub mod enterprise;
pub mod error;
pub mod ids;
pub mod inventory;
pub mod passkey;
pub mod pi;
pub mod repo;
pub mod risk;
pub mod sensitive;
pub mod support;
pub mod validate;

pub use error::{DomainError, ErrorCode};
pub use ids::{
    AccountId, AuthorizationId, ConsentId, GuardianConsentId, LoginEventId, SubjectId,
    SupportMessageId, SupportRequestId,
};
