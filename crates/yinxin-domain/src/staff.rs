//! Staff and their access to personal information (issue 8 item 7; PRIV-19, PRIV-10).
//!
//! A member of staff is a personal account holding one or more roles, granted and revoked by an
//! operator from the console (`yinxin admin staff`). What a role may see follows from the
//! inventory, not from a hand-written list: a role processes PI for its purposes
//! ([`StaffRole::purposes`]), and it sees — masked by default — exactly the fields the inventory
//! declares for one of them. Unmasking a field names one of those purposes and the reference of
//! the case it serves (a support request, a verification, a data-subject request, a legal
//! demand). Every access, masked or not, is an [`StaffAccessRecord`] written with its evidence
//! log entry (type 10) in one transaction; the privacy officer and the auditor review them, and
//! each subject sees the accesses to their own data.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::AccountId;
use crate::ledger::EvidenceEntry;
use crate::pi::{PiField, Purpose};
use crate::repo::StoreResult;

wire_enum!(
    /// A staff role: least privilege, each for one kind of work.
    StaffRole {
        /// Answers users' support requests (ACC-7).
        Support = "support",
        /// Reviews identity verifications that need a person's eye (IDV).
        VerificationReviewer = "verification_reviewer",
        /// Operates the certificate authority (issuance reviews; CERT-1).
        CaOperator = "ca_operator",
        /// Answers data-subject requests and legal demands, and reviews staff access (PRIV-14,
        /// PRIV-6, PRIV-19).
        PrivacyOfficer = "privacy_officer",
        /// Reviews staff access; sees no personal information.
        Auditor = "auditor",
    }
);

impl StaffRole {
    /// The purposes the role processes personal information for.
    pub fn purposes(self) -> &'static [Purpose] {
        match self {
            Self::Support => &[Purpose::CustomerSupport],
            Self::VerificationReviewer => &[Purpose::RealNameVerification],
            Self::CaOperator => &[Purpose::CertificateIssuance],
            Self::PrivacyOfficer => &[Purpose::SubjectAccess, Purpose::LegalRecordKeeping],
            Self::Auditor => &[],
        }
    }

    /// Whether the role may see `field` at all: the field is stored (biometric data never is)
    /// and the inventory declares it for one of the role's purposes.
    pub fn may_see(self, field: &PiField) -> bool {
        field.storable() && self.purposes().iter().any(|p| field.allows(*p))
    }

    /// Whether the role reviews the record of staff access (PRIV-19).
    pub fn reviews_access(self) -> bool {
        matches!(self, Self::PrivacyOfficer | Self::Auditor)
    }
}

/// A role held by an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffGrant {
    /// The staff member's account.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// The role.
    pub role: StaffRole,
    /// The operator who granted it (`yinxin admin staff grant --operator`).
    pub granted_by: String,
    /// Unix second.
    pub granted_at: i64,
    /// Unix second of revocation; `None` while it stands.
    pub revoked_at: Option<i64>,
}

/// One access by staff to a subject's personal information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffAccessRecord {
    /// Random id.
    pub id: String,
    /// The staff member's account.
    #[schema(value_type = String, format = Uuid)]
    pub staff: AccountId,
    /// The role they acted in.
    pub role: StaffRole,
    /// Whose data.
    #[schema(value_type = String, format = Uuid)]
    pub subject: AccountId,
    /// The inventory fields seen (names, never values).
    pub fields: Vec<String>,
    /// Why: one of the role's purposes.
    pub purpose: Purpose,
    /// The case it serves: a support request's, verification's, request's or legal demand's id
    /// (`-` for a masked view, which needs none).
    pub reference: String,
    /// Whether values were shown in full (`false`: masked).
    pub unmasked: bool,
    /// Unix second.
    pub at: i64,
}

impl StaffAccessRecord {
    /// The record's canonical bytes, which its evidence entry commits to: `id \n staff \n role \n
    /// subject \n fields (comma-separated) \n purpose \n reference \n unmasked (0/1) \n at \n`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.id,
            self.staff,
            self.role.as_str(),
            self.subject,
            self.fields.join(","),
            self.purpose.as_str(),
            self.reference,
            u8::from(self.unmasked),
            self.at
        )
        .into_bytes()
    }
}

/// Which accesses to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StaffAccessFilter {
    /// Only accesses to this subject's data.
    pub subject: Option<AccountId>,
    /// Only accesses by this staff member.
    pub staff: Option<AccountId>,
}

/// Staff roles and the record of their access.
#[async_trait]
pub trait StaffRepo: Send + Sync + std::fmt::Debug {
    /// Grants a role; `false` (nothing written) if the account already holds it.
    async fn grant_staff_role(&self, g: &StaffGrant) -> StoreResult<bool>;

    /// Revokes a role at `at`; `false` if the account did not hold it.
    async fn revoke_staff_role(
        &self,
        account: AccountId,
        role: StaffRole,
        at: i64,
    ) -> StoreResult<bool>;

    /// Every grant, standing or revoked, oldest first; of one account if given.
    async fn staff_grants(&self, account: Option<AccountId>) -> StoreResult<Vec<StaffGrant>>;

    /// Records an access with its evidence entry, in one transaction.
    async fn record_staff_access(
        &self,
        r: &StaffAccessRecord,
        evidence: &EvidenceEntry,
    ) -> StoreResult<()>;

    /// The accesses matching `filter`, newest first, at most `limit`.
    async fn staff_accesses(
        &self,
        filter: StaffAccessFilter,
        limit: u32,
    ) -> StoreResult<Vec<StaffAccessRecord>>;
}
