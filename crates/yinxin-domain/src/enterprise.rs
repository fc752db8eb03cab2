//! Enterprises and the agents (经办人) who act for them (ACC-2).
//!
//! An enterprise is an account of kind `enterprise` with no password: nobody logs in *as* an
//! enterprise. People log in to their own personal accounts and act for an enterprise only under an
//! [`AuthorizationRecord`] — who granted it, what it covers, from when until when — which the
//! enterprise can revoke. Its PI (name, credit code, legal representative) is in the vault under
//! the enterprise account's subject; the rows here hold ids, kinds, scopes and times.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::{AccountRecord, ConsentRecord};
use crate::ids::{AccountId, AuthorizationId};
use crate::repo::StoreResult;
use crate::third_party::ThirdPartyWarranty;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The stored (and wire) form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }

            /// Parses the stored form.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum!(
    /// What kind of organization (ACC-2; the subject types of GB 32100's registration authorities).
    EnterpriseKind {
        /// A company or other legal person registered with market regulation.
        LegalPerson = "legal_person",
        /// A government body or public institution.
        GovernmentBody = "government_body",
        /// Another organization (social organization, foundation, ...).
        OtherOrganization = "other_organization",
        /// A partnership.
        Partnership = "partnership",
        /// An individual business (个体工商户).
        IndividualBusiness = "individual_business",
    }
);

wire_enum!(
    /// What an authorization lets an agent do for the enterprise (ACC-2).
    AgentScope {
        /// Grant and revoke other agents' authorizations; see the enterprise's profile.
        ManageAgents = "manage_agents",
        /// See the enterprise's profile.
        View = "view",
        /// Apply for, renew and revoke the enterprise's certificates (CERT-1).
        Certificates = "certificates",
        /// Sign for the enterprise with its certificate (SIGN-1).
        Sign = "sign",
        /// Apply the enterprise's seals (SIGN-3), each under its own seal authorization.
        UseSeals = "use_seals",
        /// Make the enterprise's seals and grant and revoke their seal authorizations (SIGN-3).
        ManageSeals = "manage_seals",
    }
);

/// How an authorization came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationBasis {
    /// The person who registered the enterprise became its first administrator. Until the
    /// enterprise's identity is verified (IDV-2), this rests on the registrant's declaration.
    Registration,
    /// Granted by an agent holding `manage_agents`.
    Grant,
}

impl AuthorizationBasis {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Grant => "grant",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "registration" => Some(Self::Registration),
            "grant" => Some(Self::Grant),
            _ => None,
        }
    }
}

/// Which code identifies the enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// Unified social credit code, GB 32100 (18 characters).
    UnifiedSocialCreditCode,
    /// Organization code, GB 11714 (9 characters), for bodies without a credit code.
    OrganizationCode,
}

impl CodeKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnifiedSocialCreditCode => "uscc",
            Self::OrganizationCode => "organization_code",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "uscc" => Some(Self::UnifiedSocialCreditCode),
            "organization_code" => Some(Self::OrganizationCode),
            _ => None,
        }
    }
}

/// An enterprise as stored (beside its account row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnterpriseRecord {
    /// The enterprise's account.
    pub account: AccountId,
    /// Kind of organization.
    pub kind: EnterpriseKind,
    /// Which code it registered with.
    pub code_kind: CodeKind,
    /// The personal account that registered it.
    pub registered_by: AccountId,
    /// Unix second.
    pub created_at: i64,
}

/// An agent's authorization to act for an enterprise (ACC-2). Append-only apart from revocation,
/// which sets `revoked_at` once and never clears it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuthorizationRecord {
    /// The authorization.
    #[schema(value_type = String, format = Uuid)]
    pub id: AuthorizationId,
    /// For which enterprise.
    #[schema(value_type = String, format = Uuid)]
    pub enterprise: AccountId,
    /// Who may act (a personal account).
    #[schema(value_type = String, format = Uuid)]
    pub agent: AccountId,
    /// What they may do.
    pub scopes: Vec<AgentScope>,
    /// Who granted it (a personal account acting for the enterprise).
    #[schema(value_type = String, format = Uuid)]
    pub granted_by: AccountId,
    /// How it came about.
    pub basis: AuthorizationBasis,
    /// Unix second from which it holds.
    pub valid_from: i64,
    /// Unix second until which it holds.
    pub valid_until: i64,
    /// Unix second of the grant.
    pub created_at: i64,
    /// Unix second of revocation, if revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub revoked_by: Option<AccountId>,
}

impl AuthorizationRecord {
    /// Whether it lets its agent do `scope` at `now`: in its validity window and not revoked.
    /// `manage_agents` implies `view`.
    pub fn allows(&self, scope: AgentScope, now: i64) -> bool {
        self.live(now)
            && (self.scopes.contains(&scope)
                || (scope == AgentScope::View && self.scopes.contains(&AgentScope::ManageAgents)))
    }

    /// In its validity window and not revoked.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.valid_from <= now && now < self.valid_until
    }
}

/// Enterprises and agent authorizations.
#[async_trait]
pub trait EnterpriseRepo: Send + Sync + std::fmt::Debug {
    /// Stores a new enterprise account, its enterprise row, the registrant's first authorization,
    /// the registration's consent records and the registrant's warranty for the legal
    /// representative's information (IDV-4; none when the registrant is the legal
    /// representative), in one transaction.
    async fn insert_enterprise(
        &self,
        account: &AccountRecord,
        enterprise: &EnterpriseRecord,
        first: &AuthorizationRecord,
        consents: &[ConsentRecord],
        evidence: &[crate::ledger::EvidenceEntry],
        warranty: Option<&ThirdPartyWarranty>,
    ) -> StoreResult<()>;

    /// The enterprise row of an enterprise account.
    async fn enterprise(&self, account: AccountId) -> StoreResult<Option<EnterpriseRecord>>;

    /// Stores an authorization.
    async fn insert_authorization(&self, a: &AuthorizationRecord) -> StoreResult<()>;

    /// One authorization of an enterprise.
    async fn authorization(
        &self,
        enterprise: AccountId,
        id: AuthorizationId,
    ) -> StoreResult<Option<AuthorizationRecord>>;

    /// Every authorization of an enterprise, oldest first (revoked and expired included).
    async fn authorizations_of_enterprise(
        &self,
        enterprise: AccountId,
    ) -> StoreResult<Vec<AuthorizationRecord>>;

    /// Every authorization held by an agent, oldest first.
    async fn authorizations_of_agent(
        &self,
        agent: AccountId,
    ) -> StoreResult<Vec<AuthorizationRecord>>;

    /// Revokes an authorization unless already revoked; true if this call revoked it.
    async fn revoke_authorization(
        &self,
        id: AuthorizationId,
        by: AccountId,
        at: i64,
    ) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(scopes: Vec<AgentScope>) -> AuthorizationRecord {
        AuthorizationRecord {
            id: AuthorizationId::ordered(),
            enterprise: AccountId::random(),
            agent: AccountId::random(),
            scopes,
            granted_by: AccountId::random(),
            basis: AuthorizationBasis::Grant,
            valid_from: 100,
            valid_until: 200,
            created_at: 100,
            revoked_at: None,
            revoked_by: None,
        }
    }

    #[test]
    fn an_authorization_holds_only_in_its_window_and_until_revoked() {
        let mut a = auth(vec![AgentScope::Sign]);
        assert!(!a.allows(AgentScope::Sign, 99));
        assert!(a.allows(AgentScope::Sign, 100));
        assert!(a.allows(AgentScope::Sign, 199));
        assert!(!a.allows(AgentScope::Sign, 200));
        assert!(!a.allows(AgentScope::UseSeals, 150));
        assert!(!a.allows(AgentScope::View, 150));
        a.revoked_at = Some(150);
        assert!(!a.allows(AgentScope::Sign, 120));
    }

    #[test]
    fn managing_agents_implies_viewing_only() {
        let a = auth(vec![AgentScope::ManageAgents]);
        assert!(a.allows(AgentScope::View, 150));
        assert!(!a.allows(AgentScope::Sign, 150));
        assert!(!a.allows(AgentScope::Certificates, 150));
    }

    #[test]
    fn wire_forms_round_trip() {
        for k in EnterpriseKind::ALL {
            assert_eq!(EnterpriseKind::parse(k.as_str()), Some(*k));
        }
        for s in AgentScope::ALL {
            assert_eq!(AgentScope::parse(s.as_str()), Some(*s));
        }
        assert_eq!(AgentScope::parse("everything"), None);
    }
}
