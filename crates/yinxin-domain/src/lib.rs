//! Pure types and rules of yinxin. No I/O: nothing here opens a socket, a file or a database.
//!
//! - [`ids`] — identifiers (pseudonymous subject ids).
//! - [`error`] — the stable error codes every layer and every client shares.
//! - [`pi`] — the vocabulary of personal information (categories, purposes, legal bases, retention).
//! - [`inventory`] — the one declarative inventory of every personal-information field (PRIV-5).
//! - [`sensitive`] — [`Sensitive<T>`](sensitive::Sensitive), the wrapper PI travels in.
//! - [`repo`] — the repository traits the store crate implements (storage is domain-owned).
//! - [`validate`] — document numbers, credit codes, mobiles, e-mails and bank card numbers checked
//!   by their published rules.
//! - [`image`] — the structural check of an uploaded PNG or JPEG before it goes anywhere (IDV-1),
//!   and a small PNG encoder for synthetic images.
//! - [`account`] — accounts, sessions, policies and consents (ACC-1..ACC-3, PRIV-1..PRIV-4).
//! - [`enterprise`] — enterprises and the authorizations of their agents (ACC-2).
//! - [`support`] — support requests and their sealed conversation (ACC-7).
//! - [`risk`] — login events with their device and network facts (ACC-5).
//! - [`verification`] — identity verification methods, outcomes, assurance levels (IDV-1..IDV-6).
//! - [`certificate`] — CAs and subscriber certificates as recorded (CERT-1, CERT-5, CERT-7).
//! - [`keys`] — signing keys of the software key store (CERT-1, CERT-10).
//! - [`timestamp`] — the timestamp authority's serial counter (SIGN-1, RFC 3161).
//! - [`third_party`] — information about other people: warranties and objections (IDV-4).

pub mod account;
pub mod certificate;
pub mod enterprise;
pub mod envelope;
pub mod erasure;
pub mod error;
pub mod ids;
pub mod image;
pub mod incident;
pub mod inventory;
pub mod keys;
pub mod ledger;
pub mod legal;
pub mod passkey;
pub mod pi;
pub mod processing;
pub mod relying;
pub mod repo;
pub mod requests;
pub mod retention;
pub mod risk;
pub mod seal;
pub mod sensitive;
pub mod signing;
pub mod staff;
pub mod support;
pub mod termination;
pub mod third_party;
pub mod timestamp;
pub mod validate;
pub mod verification;

pub use error::{DomainError, ErrorCode};
pub use ids::{
    AccountId, AuthorizationId, ConsentId, CredentialId, DepositId, DisclosureId,
    GuardianConsentId, LoginEventId, SealAuthorizationId, SealId, SignatureImageId, SubjectId,
    SupportMessageId, SupportRequestId, VerificationId, WarrantyId,
};
