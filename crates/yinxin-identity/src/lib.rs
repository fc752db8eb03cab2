//! Accounts and login (ACC-1..ACC-3), sessions (PRIV-17), privacy-policy versions and consents
//! (PRIV-1, PRIV-2, PRIV-4).
//!
//! [`Accounts`] is the service the HTTP layer calls. Personal information goes into the vault
//! (`yinxin-privacy`), never into an account row; validation uses the published rules in
//! `yinxin_domain::validate`.

mod consent;
mod enterprise;
mod envelope;
pub mod erasure;
pub mod evidence;
pub mod export;
mod guardian;
pub mod handover;
pub mod idv;
pub mod incidents;
mod intent;
mod passkey;
mod password;
pub mod policy;
pub mod processing;
mod receipt;
mod relying;
pub mod requests;
pub mod retention;
mod risk;
mod seals;
mod service;
pub mod sms;
pub mod staff;
mod support;
pub mod termination;
mod third_party;
pub mod webauthn;

pub use consent::{PolicyDocument, consent_bytes, consent_evidence};
pub use enterprise::{
    AuthorizationGrant, EnterpriseProfile, EnterpriseRegistered, EnterpriseRegistration,
    LegalRepresentative,
};
pub use envelope::{ENVELOPE_FIELDS_MAX, ENVELOPE_SIGNERS_MAX, EnvelopeFacts, SignerSpec};
pub use guardian::{GuardianConsentRequest, Relationship};
pub use intent::{
    IntentChallenge, IntentConfirmation, IntentConfirmed, intent_challenge, intent_refused,
};
pub use passkey::{PasskeyChallenge, PasskeyInfo, PasskeyRegistration};
pub use password::{PasswordHasher, PasswordParams};
pub use receipt::{ConsentReceipt, Controller, ReceiptJwk};
pub use relying::{
    APP_DATA_ITEMS, CertificateInformation, PUBLIC_INFORMATION, RegisteredApp, RenewalReminder,
};
pub use risk::{ClientFacts, LOGIN_EVENTS_SHOWN, login_event_retention_days};
pub use seals::{SealGrant, SealInscription};
pub use service::{
    Accounts, AccountsConfig, Login, LoginOutcome, PersonalRegistration, Profile, Registered,
    ServiceError, ServiceResult, SessionToken, today_in_china,
};
pub use support::{SupportConversation, SupportMessage, SupportReply, SupportRequestOpening};
pub use third_party::{Objected, Objection};
