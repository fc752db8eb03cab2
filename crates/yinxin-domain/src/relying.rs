//! Relying applications (CERT-6): the applications where holders use their certificates. An
//! operator registers an application (its legal name, contact, and the data items it may
//! receive) and hands it an API key; a holder says which of their certificates they use with it
//! (and can take that back); the application then reads those certificates' information and,
//! before they expire, the holder's mobile number for a renewal reminder — never for an event
//! certificate (CERT-3). Every provision is a disclosure, logged with its data items (PRIV-7).
//!
//! The API key itself is never stored: only its SHA-256 (the key has 256 random bits, so a plain
//! hash cannot be searched).

use async_trait::async_trait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::certificate::CertificateRecord;
use crate::ids::{AccountId, DisclosureId};
use crate::repo::StoreResult;

/// A registered relying application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RelyingAppRecord {
    /// Stable id (`a-z`, `0-9`, `-`; 3 to 40), chosen by the operator.
    pub id: String,
    /// The name users know it by.
    pub name: String,
    /// The legal entity operating it (who receives the data).
    pub legal_name: String,
    /// Contact for privacy matters.
    pub contact: String,
    /// The inventory fields it may receive, beyond the certificate's public information.
    pub data_items: Vec<String>,
    /// Unix second.
    pub registered_at: i64,
    /// SHA-256 of its API key.
    #[serde(skip)]
    pub key_hash: Vec<u8>,
}

/// One provision of a holder's data to a relying application (CERT-6, PRIV-7): which data items,
/// about which certificate, why, when. Never the values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct AppDisclosureRecord {
    /// The record.
    #[schema(value_type = String, format = Uuid)]
    pub id: DisclosureId,
    /// The application.
    pub app: String,
    /// Whose data (pseudonymous account id).
    #[schema(value_type = String, format = Uuid)]
    pub subject: AccountId,
    /// The certificate it concerned.
    pub serial: String,
    /// `certificate_information` or `renewal_reminder`.
    pub purpose: String,
    /// Inventory field names provided (`certificate.public_information` for the public part).
    pub data_items: Vec<String>,
    /// Unix second.
    pub at: i64,
}

/// Storage of relying applications, certificate uses and their disclosures.
#[async_trait]
pub trait RelyingAppRepo: Send + Sync + std::fmt::Debug {
    /// Registers an application; an id or key hash that exists is a conflict.
    async fn insert_relying_app(&self, app: &RelyingAppRecord) -> StoreResult<()>;
    /// The application of an API key's hash.
    async fn relying_app_by_key_hash(&self, hash: &[u8]) -> StoreResult<Option<RelyingAppRecord>>;
    /// Every registered application, by id.
    async fn relying_apps(&self) -> StoreResult<Vec<RelyingAppRecord>>;
    /// Records that `holder` uses certificate `serial` with `app` (again, if they had stopped).
    async fn link_certificate(
        &self,
        serial: &str,
        app: &str,
        holder: AccountId,
        at: i64,
    ) -> StoreResult<()>;
    /// Ends a use; `false` if there was no live one.
    async fn unlink_certificate(&self, serial: &str, app: &str, at: i64) -> StoreResult<bool>;
    /// The certificate `serial` if its holder uses it with `app` now.
    async fn certificate_used_with(
        &self,
        serial: &str,
        app: &str,
    ) -> StoreResult<Option<CertificateRecord>>;
    /// The unrevoked, non-event certificates used with `app` that expire in `[from, to)`, at most
    /// `limit`, earliest first.
    async fn expiring_used_with(
        &self,
        app: &str,
        from: i64,
        to: i64,
        limit: u32,
    ) -> StoreResult<Vec<CertificateRecord>>;
    /// Logs provisions.
    /// Their evidence entries are queued in the same transaction (issue 7 item 2).
    async fn insert_app_disclosures(
        &self,
        d: &[AppDisclosureRecord],
        evidence: &[crate::ledger::EvidenceEntry],
    ) -> StoreResult<()>;
    /// A subject's provisions to applications, newest first.
    async fn app_disclosures_of(&self, subject: AccountId)
    -> StoreResult<Vec<AppDisclosureRecord>>;
}
