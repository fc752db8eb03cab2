//! Information about other people (IDV-4).
//!
//! A user who submits another person's personal information warrants that the person has given
//! their *separate* consent to its processing (seed 004); if that person objects, the data is
//! deleted. Today the case is an enterprise's legal representative, submitted by whoever
//! registers the enterprise (ACC-2).
//!
//! A [`ThirdPartyWarranty`] records the warranty: who gave it, for which enterprise, about whom
//! — as a keyed pseudonym of the person's identity document ([`ThirdPartyWarranty::subject_key`]),
//! never the document number — and whether the person has since objected. The pseudonym is what
//! lets a person, once their identity is verified, find the warranties about them without the
//! service keeping a searchable copy of their number beside the enterprise's data.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::{AccountId, WarrantyId};
use crate::inventory;
use crate::pi::PiField;
use crate::repo::StoreResult;

wire_enum!(
    /// Whose information a warranty covers: the role of the other person (IDV-4).
    ThirdPartyRole {
        /// An enterprise's legal representative (or person in charge), submitted at the
        /// enterprise's registration (ACC-2).
        LegalRepresentative = "legal_representative",
    }
);

static LEGAL_REPRESENTATIVE_FIELDS: [&PiField; 3] = [
    &inventory::LEGAL_REP_NAME,
    &inventory::LEGAL_REP_DOCUMENT_TYPE,
    &inventory::LEGAL_REP_DOCUMENT_NUMBER,
];

impl ThirdPartyRole {
    /// The fields that hold the person's information, deleted when they object.
    pub fn fields(self) -> &'static [&'static PiField] {
        match self {
            Self::LegalRepresentative => &LEGAL_REPRESENTATIVE_FIELDS,
        }
    }
}

/// A warranty that another person's information was submitted with their separate consent.
/// Holds no personal information in clear: the person is a keyed pseudonym of their identity
/// document, which only the vault's keys can compute.
#[derive(Clone, PartialEq, Eq)]
pub struct ThirdPartyWarranty {
    /// The warranty (UUID v7, time-ordered).
    pub id: WarrantyId,
    /// The personal account that submitted the information and gave the warranty.
    pub submitted_by: AccountId,
    /// The enterprise the information was submitted for; its vault subject holds the fields.
    pub enterprise: AccountId,
    /// Whose information: the other person's role.
    pub about: ThirdPartyRole,
    /// `Vault::pseudonym` of the person's identity document (type and number): 32 bytes.
    pub subject_key: Vec<u8>,
    /// Unix second the warranty was given.
    pub at: i64,
    /// Unix second the person objected (and the fields were deleted), if they did.
    pub objected_at: Option<i64>,
}

impl std::fmt::Debug for ThirdPartyWarranty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThirdPartyWarranty")
            .field("id", &self.id)
            .field("submitted_by", &self.submitted_by)
            .field("enterprise", &self.enterprise)
            .field("about", &self.about)
            .field(
                "subject_key",
                &format_args!("<{} bytes>", self.subject_key.len()),
            )
            .field("at", &self.at)
            .field("objected_at", &self.objected_at)
            .finish()
    }
}

/// Warranties about other people. A warranty is stored with the enterprise it belongs to, in the
/// same transaction (`EnterpriseRepo::insert_enterprise`).
#[async_trait]
pub trait WarrantyRepo: Send + Sync + std::fmt::Debug {
    /// Every warranty whose subject key is `subject_key`, objected ones included, oldest first.
    async fn warranties_about(&self, subject_key: &[u8]) -> StoreResult<Vec<ThirdPartyWarranty>>;

    /// Every warranty given for `enterprise`, oldest first.
    async fn warranties_of_enterprise(
        &self,
        enterprise: AccountId,
    ) -> StoreResult<Vec<ThirdPartyWarranty>>;

    /// Records the person's objection unless one is recorded; true if this call recorded it.
    async fn mark_objected(&self, id: WarrantyId, at: i64) -> StoreResult<bool>;
}
