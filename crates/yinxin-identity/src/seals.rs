//! Enterprise seals and their authorizations, and persons' signature images (SIGN-2, SIGN-3,
//! ACC-2): who may make, see and use which, and the sealed storage of the images.
//!
//! Images are drawn by the caller (`yinxin-sign`, on a blocking thread) between
//! [`Accounts::seal_inscription`] / [`Accounts::signature_name`], which check the caller and read
//! the name to draw, and [`Accounts::record_seal`] / [`Accounts::record_signature_image`], which
//! check again and store the image sealed under its owner's subject. Every object is reached
//! through its owner: another account's signature image, or a seal of an enterprise the caller
//! does not act for, is `NOT_FOUND`, never "forbidden", so ids reveal nothing.

use rand::Rng;
use serde::Deserialize;
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord, ConsentScope};
use yinxin_domain::enterprise::{AgentScope, AuthorizationRecord};
use yinxin_domain::inventory::{
    ENTERPRISE_NAME, HANDWRITTEN_SIGNATURE, LEGAL_REP_NAME, PERSON_NAME, SEAL_IMAGE,
    SIGNATURE_IMAGE,
};
use yinxin_domain::pi::{PiField, Purpose};
use yinxin_domain::seal::{
    SealAuthorization, SealCategory, SealPurpose, SealRecord, SignatureImageRecord,
    SignatureSource, SignatureStyle,
};
use yinxin_domain::{
    AccountId, DomainError, ErrorCode, SealAuthorizationId, SealId, SignatureImageId,
};
use zeroize::Zeroizing;

use crate::service::{Accounts, ServiceResult, now};

/// A grant of a seal authorization (SIGN-3, ACC-2).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealGrant {
    /// The username of the agent who may use the seal. They need a live authorization for the
    /// enterprise with `use_seals` too, now and whenever they use it.
    pub agent_username: String,
    /// What for.
    pub purposes: Vec<SealPurpose>,
    /// Unix second from which it holds (default: now).
    #[serde(default)]
    pub valid_from: Option<i64>,
    /// Unix second until which it holds (at most the agent authorization maximum from now).
    pub valid_until: i64,
}

/// What a seal is to show, read for the agent who makes it.
pub struct SealInscription {
    /// The enterprise's registered name, or the legal representative's for their seal.
    pub name: Zeroizing<String>,
    /// A fresh 13-digit anti-counterfeit code (round seals).
    pub anti_counterfeit_code: String,
}

impl std::fmt::Debug for SealInscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealInscription(<redacted>)")
    }
}

fn no_such(what: &str) -> DomainError {
    DomainError::new(ErrorCode::NotFound, format!("no {what} with this id"))
}

fn not_an_agent() -> DomainError {
    DomainError::new(
        ErrorCode::NotFound,
        "no enterprise with this id that you act for",
    )
}

/// The vault field a signature image of `source` is sealed as.
pub(crate) fn signature_field(source: SignatureSource) -> &'static PiField {
    match source {
        SignatureSource::Style => &SIGNATURE_IMAGE,
        SignatureSource::Strokes | SignatureSource::Upload => &HANDWRITTEN_SIGNATURE,
    }
}

impl Accounts {
    /// The caller's live authorization for `enterprise` allowing any of `scopes`: `NOT_FOUND`
    /// with none live for it, `FORBIDDEN` when the live ones lack every scope.
    async fn require_any_scope(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        scopes: &[AgentScope],
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
            .find(|a| scopes.iter().any(|s| a.allows(*s, at)))
            .ok_or_else(|| {
                let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
                DomainError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "your authorization for this enterprise includes none of \"{}\"",
                        names.join("\", \"")
                    ),
                )
                .into()
            })
    }

    /// The name a new seal of `category` shows, and its anti-counterfeit code, for an agent
    /// holding `manage_seals` (SIGN-3).
    pub async fn seal_inscription(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        category: SealCategory,
    ) -> ServiceResult<SealInscription> {
        self.require_scope(agent, enterprise, AgentScope::ManageSeals)
            .await?;
        let account = self
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(not_an_agent)?;
        let field = match category {
            SealCategory::LegalRepresentative => &LEGAL_REP_NAME,
            _ => &ENTERPRISE_NAME,
        };
        let name = self
            .read_for(account.subject, field, Purpose::ElectronicSigning)
            .await?
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::Conflict,
                    "the enterprise has no name on record to put on a seal",
                )
            })?;
        let mut rng = rand::thread_rng();
        let anti_counterfeit_code: String = (0..13)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        Ok(SealInscription {
            name,
            anti_counterfeit_code,
        })
    }

    /// Stores a seal drawn from [`Accounts::seal_inscription`]: the PNG sealed under the
    /// enterprise's subject (field `signing.seal_image`), for an agent holding `manage_seals`.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_seal(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        category: SealCategory,
        anti_counterfeit_code: Option<String>,
        png: &[u8],
        width: u32,
        height: u32,
    ) -> ServiceResult<SealRecord> {
        self.require_scope(agent, enterprise, AgentScope::ManageSeals)
            .await?;
        let account = self
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(not_an_agent)?;
        let record = SealRecord {
            id: SealId::ordered(),
            enterprise,
            category,
            anti_counterfeit_code,
            width,
            height,
            created_by: agent,
            created_at: now(),
        };
        let sealed = self
            .vault
            .seal_record(account.subject, &SEAL_IMAGE, record.id.as_bytes(), png)
            .await?;
        self.repo.insert_seal(&record, &sealed).await?;
        tracing::info!(%enterprise, seal = %record.id, category = category.as_str(), %agent, "seal made");
        Ok(record)
    }

    /// The enterprise's seals, for an agent holding `view`, `use_seals` or `manage_seals`.
    pub async fn seals(
        &self,
        agent: AccountId,
        enterprise: AccountId,
    ) -> ServiceResult<Vec<SealRecord>> {
        self.require_any_scope(
            agent,
            enterprise,
            &[
                AgentScope::View,
                AgentScope::UseSeals,
                AgentScope::ManageSeals,
            ],
        )
        .await?;
        Ok(self.repo.seals_of(enterprise).await?)
    }

    /// A seal, for an agent holding `view`, `use_seals` or `manage_seals`.
    pub async fn seal(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        seal: SealId,
    ) -> ServiceResult<SealRecord> {
        self.require_any_scope(
            agent,
            enterprise,
            &[
                AgentScope::View,
                AgentScope::UseSeals,
                AgentScope::ManageSeals,
            ],
        )
        .await?;
        Ok(self
            .repo
            .seal(enterprise, seal)
            .await?
            .ok_or_else(|| no_such("seal of this enterprise"))?
            .0)
    }

    /// A seal and its PNG, for an agent holding `view`, `use_seals` or `manage_seals`.
    pub async fn seal_image(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        seal: SealId,
    ) -> ServiceResult<(SealRecord, Vec<u8>)> {
        self.require_any_scope(
            agent,
            enterprise,
            &[
                AgentScope::View,
                AgentScope::UseSeals,
                AgentScope::ManageSeals,
            ],
        )
        .await?;
        let (record, sealed) = self
            .repo
            .seal(enterprise, seal)
            .await?
            .ok_or_else(|| no_such("seal of this enterprise"))?;
        let account = self
            .repo
            .account(enterprise)
            .await?
            .ok_or_else(not_an_agent)?;
        let png = self
            .vault
            .open_record(account.subject, &SEAL_IMAGE, record.id.as_bytes(), &sealed)
            .await?;
        Ok((record, png.expose(Purpose::SubjectAccess)?.clone()))
    }

    /// Authorizes an agent to use a seal (`manage_seals`). The agent must hold a live
    /// authorization for the enterprise with `use_seals` (ACC-2).
    pub async fn grant_seal_authorization(
        &self,
        granter: AccountId,
        enterprise: AccountId,
        seal: SealId,
        g: &SealGrant,
    ) -> ServiceResult<SealAuthorization> {
        self.require_scope(granter, enterprise, AgentScope::ManageSeals)
            .await?;
        self.repo
            .seal(enterprise, seal)
            .await?
            .ok_or_else(|| no_such("seal of this enterprise"))?;
        let at = now();
        if g.purposes.is_empty() {
            return Err(DomainError::invalid("purposes", "name at least one purpose").into());
        }
        let valid_from = self.validity_window(at, g.valid_from, g.valid_until)?;
        let agent = self
            .personal_account_by_username(&g.agent_username, "agent_username")
            .await?;
        let acts = self
            .repo
            .authorizations_of_agent(agent.id)
            .await?
            .iter()
            .any(|a| a.enterprise == enterprise && a.allows(AgentScope::UseSeals, at));
        if !acts {
            return Err(DomainError::invalid(
                "agent_username",
                "this account holds no live authorization for the enterprise with \"use_seals\"; \
                 grant one first (POST /api/v1/enterprises/{id}/authorizations)",
            )
            .into());
        }
        let mut purposes = g.purposes.clone();
        purposes.sort();
        purposes.dedup();
        let record = SealAuthorization {
            id: SealAuthorizationId::ordered(),
            enterprise,
            seal,
            agent: agent.id,
            purposes,
            valid_from,
            valid_until: g.valid_until,
            granted_by: granter,
            created_at: at,
            revoked_at: None,
            revoked_by: None,
        };
        self.repo.insert_seal_authorization(&record).await?;
        tracing::info!(%enterprise, %seal, seal_authorization = %record.id, agent = %agent.id, %granter, "seal use authorized");
        Ok(record)
    }

    /// Every authorization for a seal (`manage_seals`), revoked and expired included.
    pub async fn seal_authorizations(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        seal: SealId,
    ) -> ServiceResult<Vec<SealAuthorization>> {
        self.require_scope(agent, enterprise, AgentScope::ManageSeals)
            .await?;
        self.repo
            .seal(enterprise, seal)
            .await?
            .ok_or_else(|| no_such("seal of this enterprise"))?;
        Ok(self
            .repo
            .seal_authorizations_of_seal(enterprise, seal)
            .await?)
    }

    /// Revokes a seal authorization (`manage_seals`); the record stays, marked revoked.
    pub async fn revoke_seal_authorization(
        &self,
        by: AccountId,
        enterprise: AccountId,
        seal: SealId,
        id: SealAuthorizationId,
    ) -> ServiceResult<SealAuthorization> {
        self.require_scope(by, enterprise, AgentScope::ManageSeals)
            .await?;
        let found = self
            .repo
            .seal_authorization(enterprise, id)
            .await?
            .filter(|a| a.seal == seal)
            .ok_or_else(|| no_such("authorization of this seal"))?;
        if found.revoked_at.is_some() {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "this authorization is already revoked",
            )
            .into());
        }
        let at = now();
        if !self.repo.revoke_seal_authorization(id, by, at).await? {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "this authorization is already revoked",
            )
            .into());
        }
        tracing::info!(%enterprise, %seal, seal_authorization = %id, %by, "seal use revoked");
        Ok(SealAuthorization {
            revoked_at: Some(at),
            revoked_by: Some(by),
            ..found
        })
    }

    /// Whether `agent` may use `seal` of `enterprise` for `purpose` at `at` (SIGN-3, ACC-2): a
    /// seal authorization for it that allows the purpose then, *and* a live enterprise
    /// authorization with `use_seals`. The authorization that allows it, for the signing code to
    /// record; `None` when nothing does (including when the seal is not the enterprise's).
    pub async fn may_use_seal(
        &self,
        agent: AccountId,
        enterprise: AccountId,
        seal: SealId,
        purpose: SealPurpose,
        at: i64,
    ) -> ServiceResult<Option<SealAuthorization>> {
        let acts = self
            .repo
            .authorizations_of_agent(agent)
            .await?
            .iter()
            .any(|a| a.enterprise == enterprise && a.allows(AgentScope::UseSeals, at));
        if !acts {
            return Ok(None);
        }
        Ok(self
            .repo
            .seal_authorizations_of_seal(enterprise, seal)
            .await?
            .into_iter()
            .find(|a| a.agent == agent && a.allows(purpose, at)))
    }

    /// The registered name of a personal account, read to write it in a signature style
    /// (SIGN-2).
    pub async fn signature_name(
        &self,
        account: &AccountRecord,
    ) -> ServiceResult<Zeroizing<String>> {
        if account.kind != AccountKind::Personal {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "signature images belong to personal accounts",
            )
            .into());
        }
        Ok(self
            .read_for(account.subject, &PERSON_NAME, Purpose::ElectronicSigning)
            .await?
            .ok_or_else(|| {
                DomainError::new(ErrorCode::Conflict, "the account has no registered name")
            })?)
    }

    /// Stores a signature image of the caller's own, sealed under their subject (SIGN-2): a
    /// styled name as `signing.signature_image`, a hand-drawn one as
    /// `signing.handwritten_signature`, which is sensitive and needs the separate consent to
    /// sensitive personal information to stand (PRIV-2).
    pub async fn record_signature_image(
        &self,
        account: &AccountRecord,
        source: SignatureSource,
        style: Option<SignatureStyle>,
        png: &[u8],
        width: u32,
        height: u32,
    ) -> ServiceResult<SignatureImageRecord> {
        if account.kind != AccountKind::Personal {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "signature images belong to personal accounts",
            )
            .into());
        }
        let field = signature_field(source);
        if field.sensitive
            && !self
                .consent_stands(account.id, ConsentScope::SensitivePersonalInformation)
                .await?
        {
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                "a hand-drawn signature is sensitive personal information: give the separate \
                 consent \"sensitive_personal_information\" first",
            )
            .into());
        }
        let record = SignatureImageRecord {
            id: SignatureImageId::ordered(),
            account: account.id,
            source,
            style,
            width,
            height,
            created_at: now(),
        };
        let sealed = self
            .vault
            .seal_record(account.subject, field, record.id.as_bytes(), png)
            .await?;
        self.repo.insert_signature_image(&record, &sealed).await?;
        tracing::info!(account = %account.id, signature_image = %record.id, source = source.as_str(), "signature image stored");
        Ok(record)
    }

    /// The caller's own signature images, oldest first.
    pub async fn signature_images(
        &self,
        account: AccountId,
    ) -> ServiceResult<Vec<SignatureImageRecord>> {
        Ok(self.repo.signature_images_of(account).await?)
    }

    /// One of the caller's own signature images and its PNG (SIGN-2: viewable). Another
    /// account's is `NOT_FOUND`.
    pub async fn signature_image(
        &self,
        account: &AccountRecord,
        id: SignatureImageId,
    ) -> ServiceResult<(SignatureImageRecord, Vec<u8>)> {
        let (record, sealed) = self
            .repo
            .signature_image(account.id, id)
            .await?
            .ok_or_else(|| no_such("signature image of yours"))?;
        let png = self
            .vault
            .open_record(
                account.subject,
                signature_field(record.source),
                record.id.as_bytes(),
                &sealed,
            )
            .await?;
        Ok((record, png.expose(Purpose::SubjectAccess)?.clone()))
    }

    /// Deletes one of the caller's own signature images, with its sealed PNG.
    pub async fn delete_signature_image(
        &self,
        account: AccountId,
        id: SignatureImageId,
    ) -> ServiceResult<()> {
        if !self.repo.delete_signature_image(account, id).await? {
            return Err(no_such("signature image of yours").into());
        }
        tracing::info!(%account, signature_image = %id, "signature image deleted");
        Ok(())
    }
}
