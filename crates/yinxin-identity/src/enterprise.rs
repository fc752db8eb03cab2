//! Enterprise registration and agent authorizations (ACC-2).
//!
//! A person registers an enterprise from their own personal account and becomes its first agent,
//! with every scope, on the basis of the registration (their declaration, until the enterprise's
//! identity is verified: IDV-2). Agents holding `manage_agents` grant other personal accounts
//! authorizations (scopes, validity) and revoke them. Every enterprise operation checks the
//! caller's live authorization for *that* enterprise: an account that acts for none of it learns
//! nothing, not even that the enterprise exists (404).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord, ConsentScope};
use yinxin_domain::enterprise::{
    AgentScope, AuthorizationBasis, AuthorizationRecord, CodeKind, EnterpriseKind, EnterpriseRecord,
};
use yinxin_domain::inventory::{
    ACCOUNT_USERNAME, ENTERPRISE_CREDIT_CODE, ENTERPRISE_NAME, LEGAL_REP_DOCUMENT_NUMBER,
    LEGAL_REP_DOCUMENT_TYPE, LEGAL_REP_NAME,
};
use yinxin_domain::pi::{PiField, Purpose};
use yinxin_domain::third_party::{ThirdPartyRole, ThirdPartyWarranty};
use yinxin_domain::validate::{self, DocumentType};
use yinxin_domain::{AccountId, AuthorizationId, DomainError, ErrorCode, SubjectId, WarrantyId};

use crate::service::{
    Accounts, ServiceError, ServiceResult, check_name, document_type_name, invalid, mask, now,
    registration_consents, today_in_china,
};

const DAY: i64 = 86_400;

/// The legal representative of an enterprise, as submitted (ACC-2).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalRepresentative {
    /// Name as on the identity document.
    pub name: String,
    /// ISO 3166-1 alpha-2 country or region of the document.
    pub country_region: String,
    /// Which identity document.
    pub document_type: DocumentType,
    /// Its number.
    pub document_number: String,
}

/// An enterprise registration as submitted by the person who will be its first agent (ACC-2).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseRegistration {
    /// Registered name.
    pub name: String,
    /// Kind of organization.
    pub kind: EnterpriseKind,
    /// Unified social credit code (18 characters, GB 32100) or, for a body without one, the
    /// organization code (9 characters, GB 11714).
    pub credit_code: String,
    /// The legal representative (or person in charge).
    pub legal_representative: LegalRepresentative,
    /// IDV-4: `true` warrants that the legal representative has given their separate consent to
    /// the processing of the information submitted about them. Needed unless the registrant *is*
    /// the legal representative: the same identity document as their own account's, and their
    /// identity verified. The legal representative may object, and it is then deleted.
    #[serde(default)]
    pub legal_representative_warranty: bool,
    /// The policy version accepted for the enterprise (PRIV-1).
    pub accept_policy_version: String,
    /// Separate consents (PRIV-2): `sensitive_personal_information` is needed, since the legal
    /// representative's document number is sensitive PI.
    #[serde(default)]
    pub consents: Vec<ConsentScope>,
}

impl std::fmt::Debug for LegalRepresentative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LegalRepresentative(<redacted>)")
    }
}

impl std::fmt::Debug for EnterpriseRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnterpriseRegistration(<redacted>)")
    }
}

/// A grant of authorization to an agent (ACC-2).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationGrant {
    /// The username of the personal account that will act for the enterprise.
    pub agent_username: String,
    /// What the agent may do.
    pub scopes: Vec<AgentScope>,
    /// Unix second from which it holds (default: now).
    #[serde(default)]
    pub valid_from: Option<i64>,
    /// Unix second until which it holds (at most the configured maximum from now).
    pub valid_until: i64,
}

/// A new enterprise.
#[derive(Clone, Debug)]
pub struct EnterpriseRegistered {
    /// The enterprise's account.
    pub enterprise: AccountId,
    /// The registrant's authorization.
    pub authorization: AuthorizationRecord,
}

/// What an agent sees of an enterprise.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnterpriseProfile {
    /// The enterprise's account id.
    #[schema(value_type = String, format = Uuid)]
    pub id: AccountId,
    /// Registered name.
    pub name: String,
    /// Kind.
    pub kind: EnterpriseKind,
    /// Which code it registered with.
    pub code_kind: CodeKind,
    /// The code (public on the business licence).
    pub credit_code: String,
    /// The legal representative's name; empty once they objected to its processing (IDV-4).
    pub legal_representative_name: String,
    /// Their document type; empty once they objected.
    pub legal_representative_document_type: String,
    /// Their document number, masked except the first 2 and last 2 characters; empty once they
    /// objected.
    pub legal_representative_document_number_masked: String,
    /// Unix second of registration.
    pub created_at: i64,
}

fn not_an_agent() -> DomainError {
    DomainError::new(
        ErrorCode::NotFound,
        "no enterprise with this id that you act for",
    )
}

impl Accounts {
    /// The start of an authorization's window (`valid_from`, or `at` when not given), checked
    /// with its end: not backdated (5 minutes of clock skew allowed), ending after it starts,
    /// and ending at most `agent_authorization_max_days` from `at`. Agent authorizations (ACC-2)
    /// and seal authorizations (SIGN-3) follow the same rule.
    pub(crate) fn validity_window(
        &self,
        at: i64,
        valid_from: Option<i64>,
        valid_until: i64,
    ) -> ServiceResult<i64> {
        let valid_from = valid_from.unwrap_or(at);
        if valid_from < at - 300 {
            return Err(DomainError::invalid(
                "valid_from",
                "must not be in the past: an authorization is not backdated",
            )
            .into());
        }
        if valid_until <= valid_from {
            return Err(DomainError::invalid("valid_until", "must be after valid_from").into());
        }
        let max_days = self.config.agent_authorization_max_days;
        if valid_until > at + max_days * DAY {
            return Err(DomainError::invalid(
                "valid_until",
                format!("must be at most {max_days} days from now"),
            )
            .into());
        }
        Ok(valid_from)
    }

    /// Registers an enterprise for `registrant`, who becomes its first agent with every scope
    /// (ACC-2). Validation and storage follow personal registration: every field checked before
    /// anything is written; the PI sealed in one vault transaction; a refusal stores nothing.
    /// Unless the registrant is the legal representative (same document, identity verified), their
    /// warranty of the legal representative's separate consent is required and recorded with the
    /// enterprise (IDV-4).
    pub async fn register_enterprise(
        &self,
        registrant: &AccountRecord,
        r: &EnterpriseRegistration,
        source: IpAddr,
    ) -> ServiceResult<EnterpriseRegistered> {
        self.ensure_collecting().await?;
        let at = now();
        if registrant.kind != AccountKind::Personal {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "an enterprise is registered by a person, from their personal account",
            )
            .into());
        }
        self.rate_limit(
            "register-address",
            &source.to_string(),
            self.config.registrations_per_address_per_hour,
            3600,
            at,
            "too many registrations from this address",
        )
        .await?;
        let today = today_in_china(at);
        let name = check_name("name", &r.name, 200)?;
        let credit_code = validate::credit_or_organization_code(&r.credit_code)
            .map_err(|e| invalid("credit_code", e))?;
        let code_kind = if credit_code.len() == 18 {
            CodeKind::UnifiedSocialCreditCode
        } else {
            CodeKind::OrganizationCode
        };
        let rep = &r.legal_representative;
        let rep_name = check_name("legal_representative.name", &rep.name, 100)?;
        let rep_country = validate::country_region(&rep.country_region)
            .map_err(|e| invalid("legal_representative.country_region", e))?;
        let rep_number =
            validate::document_number(rep.document_type, &rep_country, &rep.document_number, today)
                .map_err(|e| invalid("legal_representative.document_number", e))?;
        let doc_type = document_type_name(rep.document_type);
        // IDV-4: the legal representative's information is another person's, and needs the
        // registrant's warranty of that person's separate consent, unless the registrant is the
        // legal representative: registered with the same document *and* verified. Registering
        // with somebody's number costs nothing; were that enough, an impostor could register
        // the holder's enterprise with no warranty the holder could object to.
        let rep_key = self.document_key(doc_type, &rep_number);
        let registrant_is_rep = self
            .own_document_key(registrant, Purpose::AccountRegistration)
            .await?
            == Some(rep_key)
            && self.identity_verified(registrant.id).await?;
        if !registrant_is_rep && !r.legal_representative_warranty {
            return Err(DomainError::invalid(
                "legal_representative_warranty",
                "must be true: the legal representative's name and identity document are another \
                 person's information, submitted only with their separate consent; confirm that \
                 they gave it (they may object, and it is then deleted). A legal representative \
                 registering their own enterprise needs no warranty once their identity is verified",
            )
            .into());
        }
        let policy = self
            .check_registration_consents(
                &r.accept_policy_version,
                &r.consents,
                "legal representative's identity document number",
            )
            .await?;

        if !self
            .vault
            .find(&ENTERPRISE_CREDIT_CODE, &credit_code)
            .await?
            .is_empty()
        {
            return Err(already_registered().into());
        }
        let values: [(&'static PiField, &[u8]); 5] = [
            (&ENTERPRISE_NAME, name.as_bytes()),
            (&ENTERPRISE_CREDIT_CODE, credit_code.as_bytes()),
            (&LEGAL_REP_NAME, rep_name.as_bytes()),
            (&LEGAL_REP_DOCUMENT_TYPE, doc_type.as_bytes()),
            (&LEGAL_REP_DOCUMENT_NUMBER, rep_number.as_bytes()),
        ];
        let subject = self.seal_new_subject(&values, already_registered).await?;
        let account = AccountRecord {
            id: AccountId::random(),
            kind: AccountKind::Enterprise,
            subject,
            password_hash: None,
            failed_logins: 0,
            locked_until: None,
            created_at: at,
            accepted_policy: Some(policy.version.clone()),
        };
        let enterprise = EnterpriseRecord {
            account: account.id,
            kind: r.kind,
            code_kind,
            registered_by: registrant.id,
            created_at: at,
        };
        let first = AuthorizationRecord {
            id: AuthorizationId::ordered(),
            enterprise: account.id,
            agent: registrant.id,
            scopes: AgentScope::ALL.to_vec(),
            granted_by: registrant.id,
            basis: AuthorizationBasis::Registration,
            valid_from: at,
            valid_until: at + self.config.agent_authorization_max_days * DAY,
            created_at: at,
            revoked_at: None,
            revoked_by: None,
        };
        let consents = registration_consents(account.id, &policy, &r.consents, at);
        let warranty = (!registrant_is_rep).then(|| ThirdPartyWarranty {
            id: WarrantyId::ordered(),
            submitted_by: registrant.id,
            enterprise: account.id,
            about: ThirdPartyRole::LegalRepresentative,
            subject_key: rep_key.to_vec(),
            at,
            objected_at: None,
        });
        let evidence = crate::consent::evidence_of_given(&consents)?;
        if let Err(e) = self
            .repo
            .insert_enterprise(
                &account,
                &enterprise,
                &first,
                &consents,
                &evidence,
                warranty.as_ref(),
            )
            .await
        {
            let _ = self.vault.shred(subject).await;
            return Err(e.into());
        }
        tracing::info!(
            enterprise = %account.id,
            %subject,
            registrant = %registrant.id,
            warranty = ?warranty.as_ref().map(|w| w.id),
            "enterprise registered"
        );
        Ok(EnterpriseRegistered {
            enterprise: account.id,
            authorization: first,
        })
    }

    /// The caller's live authorization for `enterprise` allowing `scope`. An account with no live
    /// authorization for it gets `NOT_FOUND` (it may not learn the enterprise exists); one whose
    /// authorizations lack the scope gets `FORBIDDEN`.
    pub async fn require_scope(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        scope: AgentScope,
    ) -> ServiceResult<AuthorizationRecord> {
        let at = now();
        let live: Vec<AuthorizationRecord> = self
            .repo
            .authorizations_of_agent(agent)
            .await?
            .into_iter()
            .filter(|a| a.enterprise == enterprise && a.live(at))
            .collect();
        if live.is_empty() {
            return Err(not_an_agent().into());
        }
        live.into_iter()
            .find(|a| a.allows(scope, at))
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "your authorization for this enterprise does not include \"{}\"",
                        scope.as_str()
                    ),
                )
                .into()
            })
    }

    /// The enterprise's account, for an agent whose live authorization allows `scope` (ACC-2):
    /// `NOT_FOUND` / `FORBIDDEN` as [`Accounts::require_scope`].
    pub async fn enterprise_account(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        scope: AgentScope,
    ) -> ServiceResult<AccountRecord> {
        self.require_scope(agent, enterprise, scope).await?;
        Ok(self
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(not_an_agent)?)
    }

    /// The enterprise as its agents see it (scope `view`).
    pub async fn enterprise_profile(
        &self,
        agent: AccountId,
        enterprise: AccountId,
    ) -> ServiceResult<EnterpriseProfile> {
        self.require_scope(agent, enterprise, AgentScope::View)
            .await?;
        let record = self
            .repo
            .enterprise(enterprise)
            .await?
            .ok_or_else(not_an_agent)?;
        let account = self
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(not_an_agent)?;
        let get = |f: &'static PiField| self.read_text(account.subject, f);
        Ok(EnterpriseProfile {
            id: enterprise,
            name: get(&ENTERPRISE_NAME).await?,
            kind: record.kind,
            code_kind: record.code_kind,
            credit_code: get(&ENTERPRISE_CREDIT_CODE).await?,
            legal_representative_name: get(&LEGAL_REP_NAME).await?,
            legal_representative_document_type: get(&LEGAL_REP_DOCUMENT_TYPE).await?,
            legal_representative_document_number_masked: mask(
                &get(&LEGAL_REP_DOCUMENT_NUMBER).await?,
                2,
                2,
            ),
            created_at: record.created_at,
        })
    }

    /// A field of `subject` as text, read for the data subject's (or its agents') own access.
    pub(crate) async fn read_text(
        &self,
        subject: SubjectId,
        field: &'static PiField,
    ) -> ServiceResult<String> {
        Ok(self
            .read_for(subject, field, Purpose::SubjectAccess)
            .await?
            .map(|s| s.to_string())
            .unwrap_or_default())
    }

    /// A field of `subject` as text, read for `purpose` (refused unless the inventory declares
    /// it for the field); `None` if not stored.
    pub(crate) async fn read_for(
        &self,
        subject: SubjectId,
        field: &'static PiField,
        purpose: Purpose,
    ) -> ServiceResult<Option<zeroize::Zeroizing<String>>> {
        Ok(match self.vault.get_string(subject, field).await? {
            Some(s) => Some(zeroize::Zeroizing::new(s.expose(purpose)?.clone())),
            None => None,
        })
    }

    /// [`Accounts::read_for`] for several fields of one subject, in one read of the vault.
    pub(crate) async fn read_many_for<const N: usize>(
        &self,
        subject: SubjectId,
        fields: [&'static PiField; N],
        purpose: Purpose,
    ) -> ServiceResult<[Option<zeroize::Zeroizing<String>>; N]> {
        let values = self.vault.get_strings(subject, fields).await?;
        let mut out = [const { None }; N];
        for (slot, value) in out.iter_mut().zip(values) {
            if let Some(s) = value {
                *slot = Some(zeroize::Zeroizing::new(s.expose(purpose)?.clone()));
            }
        }
        Ok(out)
    }

    /// Grants `g` for `enterprise`; the caller needs `manage_agents` (ACC-2).
    pub async fn grant_authorization(
        &self,
        granter: AccountId,
        enterprise: AccountId,
        g: &AuthorizationGrant,
    ) -> ServiceResult<AuthorizationRecord> {
        self.require_scope(granter, enterprise, AgentScope::ManageAgents)
            .await?;
        let at = now();
        if g.scopes.is_empty() {
            return Err(DomainError::invalid("scopes", "name at least one scope").into());
        }
        let valid_from = self.validity_window(at, g.valid_from, g.valid_until)?;
        let agent = self
            .personal_account_by_username(&g.agent_username, "agent_username")
            .await?;
        let mut scopes = g.scopes.clone();
        scopes.sort();
        scopes.dedup();
        let record = AuthorizationRecord {
            id: AuthorizationId::ordered(),
            enterprise,
            agent: agent.id,
            scopes,
            granted_by: granter,
            basis: AuthorizationBasis::Grant,
            valid_from,
            valid_until: g.valid_until,
            created_at: at,
            revoked_at: None,
            revoked_by: None,
        };
        self.repo.insert_authorization(&record).await?;
        tracing::info!(%enterprise, authorization = %record.id, agent = %agent.id, %granter, "agent authorized");
        Ok(record)
    }

    pub(crate) async fn personal_account_by_username(
        &self,
        username: &str,
        field: &str,
    ) -> ServiceResult<AccountRecord> {
        let unknown = || {
            DomainError::new(
                ErrorCode::NotFound,
                format!("{field}: no personal account has this username"),
            )
        };
        let username = validate::username(username).map_err(|e| invalid(field, e))?;
        let subject = self
            .vault
            .find(&ACCOUNT_USERNAME, &username)
            .await?
            .first()
            .copied()
            .ok_or_else(unknown)?;
        self.repo
            .account_by_subject(subject)
            .await?
            .filter(|a| a.kind == AccountKind::Personal)
            .ok_or_else(|| unknown().into())
    }

    /// Revokes an authorization of `enterprise`; the caller needs `manage_agents`. The last live
    /// `manage_agents` authorization cannot be revoked: the enterprise would have nobody left to
    /// manage its agents.
    pub async fn revoke_authorization(
        &self,
        revoker: AccountId,
        enterprise: AccountId,
        id: AuthorizationId,
    ) -> ServiceResult<AuthorizationRecord> {
        self.require_scope(revoker, enterprise, AgentScope::ManageAgents)
            .await?;
        let at = now();
        let target = self
            .repo
            .authorization(enterprise, id)
            .await?
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::NotFound,
                    "no such authorization of this enterprise",
                )
            })?;
        if target.revoked_at.is_some() {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "this authorization is already revoked",
            )
            .into());
        }
        if target.allows(AgentScope::ManageAgents, at) {
            let managers = self
                .repo
                .authorizations_of_enterprise(enterprise)
                .await?
                .into_iter()
                .filter(|a| a.id != id && a.allows(AgentScope::ManageAgents, at))
                .count();
            if managers == 0 {
                return Err(DomainError::new(
                    ErrorCode::Conflict,
                    "this is the enterprise's last live authorization to manage agents; grant \
                     manage_agents to another agent first",
                )
                .into());
            }
        }
        if !self.repo.revoke_authorization(id, revoker, at).await? {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "this authorization is already revoked",
            )
            .into());
        }
        tracing::info!(%enterprise, authorization = %id, %revoker, "agent authorization revoked");
        self.repo
            .authorization(enterprise, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("revoked authorization vanished".into()))
    }

    /// Every authorization of `enterprise` (the caller needs `manage_agents`).
    pub async fn enterprise_authorizations(
        &self,
        agent: AccountId,
        enterprise: AccountId,
    ) -> ServiceResult<Vec<AuthorizationRecord>> {
        self.require_scope(agent, enterprise, AgentScope::ManageAgents)
            .await?;
        Ok(self.repo.authorizations_of_enterprise(enterprise).await?)
    }

    /// Every authorization the account holds (live or not), for "which enterprises can I act for".
    pub async fn my_authorizations(
        &self,
        agent: AccountId,
    ) -> ServiceResult<Vec<AuthorizationRecord>> {
        Ok(self.repo.authorizations_of_agent(agent).await?)
    }
}

fn already_registered() -> DomainError {
    DomainError::new(
        ErrorCode::AlreadyExists,
        "credit_code: this enterprise is already registered; ask an agent who manages it to \
         authorize you",
    )
}
