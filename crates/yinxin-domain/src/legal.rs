//! Legal demands (issue 8 item 8; PRIV-6, PRIV-7): a court's, procuratorate's, public security
//! organ's or regulator's demand for a subject's data, recorded with its document and legal
//! basis **before** anything is provided. The privacy officer provides data only against a
//! recorded demand that covers the subject and the fields (`reference: demand:<id>` of a
//! `legal_record_keeping` unmasking), and each provision is a staff access with its evidence
//! entry (docs/STAFF.md).

use async_trait::async_trait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::ids::AccountId;
use crate::repo::StoreResult;

/// A recorded legal demand.
#[derive(Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LegalDemand {
    /// Random id; provisions name it as `demand:<id>`.
    pub id: String,
    /// Who demands (the authority's name as on its document).
    pub authority: String,
    /// The document's own number (文书编号).
    pub document_number: String,
    /// The legal basis it cites (statute and article).
    pub legal_basis: String,
    /// The subjects it covers.
    #[schema(value_type = Vec<String>)]
    pub subjects: Vec<AccountId>,
    /// The inventory fields it covers.
    pub data_items: Vec<String>,
    /// The document's media type (`application/pdf`, `image/png`, `image/jpeg`).
    pub document_type: String,
    /// SHA-256 of the document, hex.
    pub document_sha256: String,
    /// The document, sealed under the service's key (never serialized).
    #[serde(skip)]
    pub document_sealed: Vec<u8>,
    /// The privacy officer who recorded it.
    #[schema(value_type = String, format = Uuid)]
    pub recorded_by: AccountId,
    /// Unix second.
    pub recorded_at: i64,
}

impl std::fmt::Debug for LegalDemand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegalDemand")
            .field("id", &self.id)
            .field("subjects", &self.subjects.len())
            .finish_non_exhaustive()
    }
}

impl LegalDemand {
    /// Whether the demand covers `field` of `subject`.
    pub fn covers(&self, subject: AccountId, field: &str) -> bool {
        self.subjects.contains(&subject) && self.data_items.iter().any(|f| f == field)
    }
}

/// Recorded legal demands.
#[async_trait]
pub trait LegalDemandRepo: Send + Sync + std::fmt::Debug {
    /// Records a demand.
    async fn insert_legal_demand(&self, d: &LegalDemand) -> StoreResult<()>;

    /// The demand `id`, with its sealed document.
    async fn legal_demand(&self, id: &str) -> StoreResult<Option<LegalDemand>>;

    /// Every demand, newest first, at most `limit` (documents left out).
    async fn legal_demands(&self, limit: u32) -> StoreResult<Vec<LegalDemand>>;
}
