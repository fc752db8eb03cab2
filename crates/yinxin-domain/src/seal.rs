//! Enterprise seals, the authorizations to use them, and persons' signature images (SIGN-2,
//! SIGN-3, ACC-2).
//!
//! A seal belongs to an enterprise. Its image names the enterprise (or, for the legal
//! representative's seal, a person), so it is personal information of the enterprise's subject
//! and is stored sealed ([`crate::inventory::SEAL_IMAGE`]); the rows here hold ids, kinds and
//! times. Using a seal needs a [`SealAuthorization`] of the agent for that seal and purpose,
//! within its validity and not revoked, *and* the agent's live enterprise authorization with
//! `use_seals` (ACC-2): revoking either stops the use.
//!
//! A person's signature image belongs to their account and is theirs to see and delete (SIGN-2).
//! Of a hand-drawn signature only the rendered image is kept: no timing, pressure or velocity
//! (biometric data is never stored).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::{AccountId, SealAuthorizationId, SealId, SignatureImageId};
use crate::repo::StoreResult;

wire_enum!(
    /// What a seal is for (SIGN-3).
    SealCategory {
        /// The enterprise's official seal (公章).
        Official = "official",
        /// The contract seal (合同专用章).
        Contract = "contract",
        /// The finance seal (财务专用章).
        Finance = "finance",
        /// The human-resources seal (人事专用章).
        Hr = "hr",
        /// The legal representative's personal seal (法定代表人名章): square, the name and 印.
        LegalRepresentative = "legal_representative",
    }
);

impl SealCategory {
    /// The seal type written below the star of a round seal; `None` for the official seal,
    /// which carries the name and star only, and for the square legal representative's seal.
    pub fn type_text(self) -> Option<&'static str> {
        match self {
            Self::Official | Self::LegalRepresentative => None,
            Self::Contract => Some("合同专用章"),
            Self::Finance => Some("财务专用章"),
            Self::Hr => Some("人事专用章"),
        }
    }
}

wire_enum!(
    /// What an authorization lets an agent use a seal for.
    SealPurpose {
        /// Sealing contracts the agent signs with confirmed intent.
        ContractSigning = "contract_signing",
        /// Sealing other documents the agent signs with confirmed intent.
        DocumentSigning = "document_signing",
        /// Sealing automatically, without a person confirming each use (issue 6 item 3: only
        /// under an explicit enterprise authorization for that purpose).
        AutoSign = "auto_sign",
    }
);

wire_enum!(
    /// A signature style: the font a person's name is written in (SIGN-2).
    SignatureStyle {
        /// 楷书, a handwriting-like regular script (AR PL UKai).
        Kai = "kai",
        /// 明体 / 宋体, a printed serif style (AR PL UMing).
        Ming = "ming",
    }
);

wire_enum!(
    /// How a signature image was made (SIGN-2).
    SignatureSource {
        /// The registered name written in a chosen style.
        Style = "style",
        /// Strokes drawn by hand, rendered on the server.
        Strokes = "strokes",
        /// A PNG drawn by hand elsewhere and uploaded (decoded and re-encoded).
        Upload = "upload",
    }
);

/// An enterprise seal as stored (its sealed image beside it in the same row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SealRecord {
    /// The seal.
    #[schema(value_type = String, format = Uuid)]
    pub id: SealId,
    /// Whose seal (the enterprise's account).
    #[schema(value_type = String, format = Uuid)]
    pub enterprise: AccountId,
    /// What it is for.
    pub category: SealCategory,
    /// The 13-digit anti-counterfeit code along the lower rim (round seals only).
    pub anti_counterfeit_code: Option<String>,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// The agent who made it.
    #[schema(value_type = String, format = Uuid)]
    pub created_by: AccountId,
    /// Unix second.
    pub created_at: i64,
}

/// An agent's authorization to use one seal (SIGN-3, ACC-2). Append-only apart from revocation,
/// which sets `revoked_at` once and never clears it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SealAuthorization {
    /// The authorization.
    #[schema(value_type = String, format = Uuid)]
    pub id: SealAuthorizationId,
    /// The enterprise whose seal it is.
    #[schema(value_type = String, format = Uuid)]
    pub enterprise: AccountId,
    /// Which seal.
    #[schema(value_type = String, format = Uuid)]
    pub seal: SealId,
    /// Who may use it (a personal account).
    #[schema(value_type = String, format = Uuid)]
    pub agent: AccountId,
    /// For what.
    pub purposes: Vec<SealPurpose>,
    /// Unix second from which it holds.
    pub valid_from: i64,
    /// Unix second until which it holds.
    pub valid_until: i64,
    /// Who granted it.
    #[schema(value_type = String, format = Uuid)]
    pub granted_by: AccountId,
    /// Unix second of the grant.
    pub created_at: i64,
    /// Unix second of revocation, if revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub revoked_by: Option<AccountId>,
}

impl SealAuthorization {
    /// In its validity window and not revoked.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.valid_from <= now && now < self.valid_until
    }

    /// Whether it lets its agent use its seal for `purpose` at `now`.
    pub fn allows(&self, purpose: SealPurpose, now: i64) -> bool {
        self.live(now) && self.purposes.contains(&purpose)
    }
}

/// A person's signature image as stored (its sealed PNG beside it in the same row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SignatureImageRecord {
    /// The image.
    #[schema(value_type = String, format = Uuid)]
    pub id: SignatureImageId,
    /// Whose (a personal account).
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// How it was made.
    pub source: SignatureSource,
    /// The style, for `source = style`.
    pub style: Option<SignatureStyle>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Unix second.
    pub created_at: i64,
}

/// Seals, seal authorizations and signature images.
#[async_trait]
pub trait SealRepo: Send + Sync + std::fmt::Debug {
    /// Stores a seal with its sealed image.
    async fn insert_seal(&self, seal: &SealRecord, image_sealed: &[u8]) -> StoreResult<()>;

    /// One seal of an enterprise, with its sealed image.
    async fn seal(
        &self,
        enterprise: AccountId,
        id: SealId,
    ) -> StoreResult<Option<(SealRecord, Vec<u8>)>>;

    /// Every seal of an enterprise, oldest first.
    async fn seals_of(&self, enterprise: AccountId) -> StoreResult<Vec<SealRecord>>;

    /// Stores a seal authorization.
    async fn insert_seal_authorization(&self, a: &SealAuthorization) -> StoreResult<()>;

    /// One seal authorization of an enterprise.
    async fn seal_authorization(
        &self,
        enterprise: AccountId,
        id: SealAuthorizationId,
    ) -> StoreResult<Option<SealAuthorization>>;

    /// Every authorization for a seal, oldest first (revoked and expired included).
    async fn seal_authorizations_of_seal(
        &self,
        enterprise: AccountId,
        seal: SealId,
    ) -> StoreResult<Vec<SealAuthorization>>;

    /// Revokes a seal authorization unless already revoked; true if this call revoked it.
    async fn revoke_seal_authorization(
        &self,
        id: SealAuthorizationId,
        by: AccountId,
        at: i64,
    ) -> StoreResult<bool>;

    /// Stores a signature image with its sealed PNG.
    async fn insert_signature_image(
        &self,
        image: &SignatureImageRecord,
        png_sealed: &[u8],
    ) -> StoreResult<()>;

    /// Every signature image of an account, oldest first.
    async fn signature_images_of(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<SignatureImageRecord>>;

    /// One signature image of an account, with its sealed PNG.
    async fn signature_image(
        &self,
        account: AccountId,
        id: SignatureImageId,
    ) -> StoreResult<Option<(SignatureImageRecord, Vec<u8>)>>;

    /// Deletes one signature image of an account; true if it existed.
    async fn delete_signature_image(
        &self,
        account: AccountId,
        id: SignatureImageId,
    ) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_authorization_holds_for_its_purposes_in_its_window_until_revoked() {
        let mut a = SealAuthorization {
            id: SealAuthorizationId::ordered(),
            enterprise: AccountId::random(),
            seal: SealId::ordered(),
            agent: AccountId::random(),
            purposes: vec![SealPurpose::ContractSigning],
            valid_from: 100,
            valid_until: 200,
            granted_by: AccountId::random(),
            created_at: 100,
            revoked_at: None,
            revoked_by: None,
        };
        assert!(!a.allows(SealPurpose::ContractSigning, 99));
        assert!(a.allows(SealPurpose::ContractSigning, 100));
        assert!(a.allows(SealPurpose::ContractSigning, 199));
        assert!(!a.allows(SealPurpose::ContractSigning, 200));
        assert!(!a.allows(SealPurpose::AutoSign, 150));
        a.revoked_at = Some(150);
        assert!(!a.allows(SealPurpose::ContractSigning, 120));
    }

    #[test]
    fn categories_and_purposes_round_trip() {
        for c in SealCategory::ALL {
            assert_eq!(SealCategory::parse(c.as_str()), Some(*c));
        }
        for p in SealPurpose::ALL {
            assert_eq!(SealPurpose::parse(p.as_str()), Some(*p));
        }
        assert_eq!(SealCategory::Contract.type_text(), Some("合同专用章"));
        assert_eq!(SealCategory::parse("personal"), None);
    }
}
