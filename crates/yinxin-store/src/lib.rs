//! SQLite (embedded default) and PostgreSQL implementations of the domain's repository traits.
//!
//! Backend differences stay in this crate: the query code is written once, in [`repos`], and
//! instantiated for each backend by a macro; what truly differs (connection options, "table does
//! not exist" detection, locking) lives in [`dialect`]. Everything else in yinxin sees only
//! `Arc<dyn PiRepo>`, `Arc<dyn KeyRepo>`, `Arc<dyn HealthRepo>` and `Arc<dyn AccountRepo>` (which includes
//! `EnterpriseRepo`, `SupportRepo`, `PasskeyRepo`, `LoginEventRepo`, `VerificationRepo` and
//! `WarrantyRepo`), `Arc<dyn CertificateRepo>`, `Arc<dyn TimestampRepo>`, `Arc<dyn LedgerRepo>` (the evidence log), and on the key-store database `Arc<dyn KeyRepo>` and
//! `Arc<dyn SigningKeyRepo>`.

mod accounts;
mod certificates;
mod connect;
mod dialect;
mod enterprises;
mod envelopes;
mod erasure;
mod group_commit;
mod incidents;
mod inline;
mod intents;
mod ledger;
mod passkeys;
mod processing;
mod repos;
mod requests;
mod retention;
mod risk;
mod seals;
mod signing_keys;
mod staff;
mod support;
mod termination;
#[cfg(feature = "test-support")]
pub mod testing;
mod timestamps;
mod verifications;
mod warranties;

pub use connect::{Backend, DbTarget, OpenError, StoreConfig, Stores, redact_url};
