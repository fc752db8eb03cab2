//! Privacy-policy versions, consent records, and the re-consent gate (PRIV-1, PRIV-2, PRIV-4).
//!
//! Versions are published once and never edited (the built-in ones at start, later ones with
//! [`Accounts::publish_policy`]). The account row carries the version it last accepted, kept in
//! step with the consent records by the store, so the gate costs no query: after a *material*
//! update takes effect, every request of an account that has not accepted it (or that withdrew
//! its consent) is answered `CONSENT_REQUIRED`, and nothing more is collected from it, until it
//! consents again. Logging out and reading or withdrawing consents stay open.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use utoipa::ToSchema;
use yinxin_domain::account::{
    AccountRecord, ConsentAction, ConsentRecord, ConsentScope, PolicyVersion,
};
use yinxin_domain::validate::CivilDate;
use yinxin_domain::{AccountId, ConsentId, DomainError, ErrorCode};

use crate::policy::sha256_hex;
use crate::service::{Accounts, ServiceError, ServiceResult, iso, now, today_in_china};

/// How long a node trusts its copy of the published versions. Another node's publication is
/// seen within this time; this node's own at once.
const POLICY_CACHE_TTL: Duration = Duration::from_secs(30);

/// The published versions, cached: the gate runs on every authenticated request.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    inner: RwLock<Option<(Instant, Arc<Vec<PolicyVersion>>)>>,
}

/// A new version of the privacy policy, as published by staff (PRIV-4).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Version label: 1 to 32 letters, digits, `.`, `_` or `-` (e.g. `2027-03-01`).
    pub version: String,
    /// Publication date (ISO 8601).
    pub updated_on: String,
    /// Date it takes effect (ISO 8601), on or after `updated_on`.
    pub effective_on: String,
    /// Whether the change is material: every account must consent again once it takes effect.
    pub material: bool,
    /// The full text shown to users (Markdown).
    pub text: String,
}

fn parse_date(field: &str, s: &str) -> Result<CivilDate, DomainError> {
    let bad = || DomainError::invalid(field, "must be a date written YYYY-MM-DD");
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    CivilDate::new(
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    )
    .ok_or_else(bad)
}

impl Accounts {
    /// Reads the published versions from the store into the cache.
    pub(crate) async fn reload_policies(&self) -> ServiceResult<Arc<Vec<PolicyVersion>>> {
        let list = Arc::new(self.repo.policies().await?);
        if let Ok(mut w) = self.policies.inner.write() {
            *w = Some((Instant::now(), list.clone()));
        }
        Ok(list)
    }

    /// Every published version, oldest first (cached for [`POLICY_CACHE_TTL`]).
    pub async fn published_policies(&self) -> ServiceResult<Arc<Vec<PolicyVersion>>> {
        let cached = self.policies.inner.read().ok().and_then(|r| {
            r.as_ref()
                .filter(|(at, _)| at.elapsed() < POLICY_CACHE_TTL)
                .map(|(_, l)| l.clone())
        });
        match cached {
            Some(l) => Ok(l),
            None => self.reload_policies().await,
        }
    }

    /// The policy in effect today: the newest version whose effective date has come.
    pub async fn current_policy(&self) -> ServiceResult<PolicyVersion> {
        let today = iso(today_in_china(now()));
        self.published_policies()
            .await?
            .iter()
            .rev()
            .find(|p| p.effective_on <= today)
            .cloned()
            .ok_or_else(|| ServiceError::Internal("no privacy policy is in effect".into()))
    }

    /// The text a version was published with.
    pub async fn policy_text(&self, version: &str) -> ServiceResult<Option<String>> {
        Ok(self.repo.policy_text(version).await?)
    }

    /// Publishes a new version (PRIV-4). A version is published once: publishing it again with
    /// the same text changes nothing; with another text it is refused.
    pub async fn publish_policy(&self, doc: &PolicyDocument) -> ServiceResult<PolicyVersion> {
        let version = doc.version.trim();
        if version.is_empty()
            || version.len() > 32
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(DomainError::invalid(
                "version",
                "must have 1 to 32 letters, digits, '.', '_' or '-'",
            )
            .into());
        }
        let updated = parse_date("updated_on", &doc.updated_on)?;
        let effective = parse_date("effective_on", &doc.effective_on)?;
        if effective < updated {
            return Err(
                DomainError::invalid("effective_on", "must not be before updated_on").into(),
            );
        }
        if doc.text.trim().is_empty() || doc.text.len() > 1024 * 1024 {
            return Err(DomainError::invalid("text", "must have 1 byte to 1 MiB of text").into());
        }
        let record = PolicyVersion {
            version: version.to_owned(),
            updated_on: iso(updated),
            effective_on: iso(effective),
            material: doc.material,
            text_sha256: sha256_hex(doc.text.as_bytes()),
        };
        let stored = self.repo.publish_policy(&record, &doc.text).await?;
        if stored != record {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "version {version} is already published with other content; a published \
                     version never changes: publish a new version"
                ),
            )
            .into());
        }
        self.reload_policies().await?;
        tracing::info!(version, material = doc.material, effective_on = %record.effective_on, "privacy policy published");
        Ok(stored)
    }

    /// The re-consent gate (PRIV-4): refuses every request of an account that has not accepted
    /// the newest material version in effect, or that withdrew its consent to the policy.
    pub async fn consent_gate(&self, account: &AccountRecord) -> ServiceResult<()> {
        let policies = self.published_policies().await?;
        let today = iso(today_in_china(now()));
        // `policies` is sorted by effective date, so the versions in effect are a prefix.
        let in_effect = policies
            .get(
                ..policies
                    .iter()
                    .take_while(|p| p.effective_on <= today)
                    .count(),
            )
            .unwrap_or_default();
        let required = in_effect.iter().rposition(|p| p.material);
        let accepted = account
            .accepted_policy
            .as_deref()
            .and_then(|v| policies.iter().position(|p| p.version == v));
        let current = in_effect.last();
        match (accepted, required) {
            (Some(a), Some(r)) if a >= r => Ok(()),
            (Some(_), None) => Ok(()),
            (None, _) if account.accepted_policy.is_none() => Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "you have withdrawn your consent to the privacy policy, so the service \
                     collects nothing more from this account; to use it again, accept version {} \
                     (GET /api/v1/policies/current, then POST /api/v1/consents with scope \
                     privacy_policy); you can still log out and read or withdraw your consents",
                    current.map(|p| p.version.as_str()).unwrap_or("in effect")
                ),
            )
            .into()),
            _ => Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "the privacy policy has changed materially (version {}); read it at \
                     GET /api/v1/policies/current and accept it with POST /api/v1/consents \
                     (scope privacy_policy); until then the service collects nothing more from \
                     this account; you can still log out and read or withdraw your consents",
                    current.map(|p| p.version.as_str()).unwrap_or("in effect")
                ),
            )
            .into()),
        }
    }

    /// Records a consent given or withdrawn by the account (PRIV-1, PRIV-2, PRIV-4). Giving one
    /// needs the version in effect; withdrawing never deletes the history. Withdrawing
    /// `privacy_policy` closes the gate: the account can do nothing but log out, read and
    /// manage its consents.
    pub async fn record_consent(
        &self,
        account: AccountId,
        scope: ConsentScope,
        action: ConsentAction,
        policy_version: &str,
    ) -> ServiceResult<ConsentRecord> {
        let policy = self.current_policy().await?;
        if action == ConsentAction::Given && policy_version != policy.version {
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "policy_version: consent is given to the version in effect, {}",
                    policy.version
                ),
            )
            .into());
        }
        let record = ConsentRecord {
            id: ConsentId::ordered(),
            account,
            policy_version: policy.version.clone(),
            scope,
            action,
            channel: "api".into(),
            text_sha256: policy.text_sha256.clone(),
            at: now(),
        };
        // A withdrawal's entry names the grant it withdraws (the latest for the scope).
        let withdrawn = match action {
            ConsentAction::Given => None,
            ConsentAction::Withdrawn => self
                .repo
                .consents_of(account)
                .await?
                .into_iter()
                .rev()
                .find(|c| c.scope == scope)
                .filter(|c| c.action == ConsentAction::Given),
        };
        let evidence = consent_evidence(&record, withdrawn.as_ref())?;
        self.repo.insert_consent(&record, &evidence).await?;
        tracing::info!(%account, scope = scope.as_str(), action = action.as_str(), "consent recorded");
        Ok(record)
    }

    /// Whether the account's consent for `scope` stands: its latest record for the scope is a
    /// grant. Collection that needs a separate consent (PRIV-2) asks this first and stops when
    /// the consent was withdrawn.
    pub async fn consent_stands(
        &self,
        account: AccountId,
        scope: ConsentScope,
    ) -> ServiceResult<bool> {
        Ok(self
            .repo
            .consents_of(account)
            .await?
            .iter()
            .rev()
            .find(|c| c.scope == scope)
            .is_some_and(|c| c.action == ConsentAction::Given))
    }
}

/// A consent record's canonical bytes, as its evidence entry commits to them:
/// `id \n account \n policy_version \n scope \n action \n channel \n text_sha256 \n at \n`
/// (ids as UUIDs, names as stored, Unix seconds). No PI: ids, names, a digest and a time.
pub fn consent_bytes(c: &ConsentRecord) -> Vec<u8> {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        c.id,
        c.account,
        c.policy_version,
        c.scope.as_str(),
        c.action.as_str(),
        c.channel,
        c.text_sha256,
        c.at
    )
    .into_bytes()
}

/// The evidence entry of a consent (issue 7 item 2; PRIV-1, PRIV-2, PRIV-4; docs/LEDGER.md):
/// type 7 for a consent given — part 1 the record's bytes ([`consent_bytes`]); type 8 for a
/// withdrawal — part 1 the bytes of the grant withdrawn (empty if there was none), part 2 the
/// withdrawal's. Salt in `evidence_salts (kind = 'consent', record_id = the record's id)`.
pub fn consent_evidence(
    record: &ConsentRecord,
    withdrawn: Option<&ConsentRecord>,
) -> ServiceResult<yinxin_domain::ledger::EvidenceEntry> {
    use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
    let salt = Salt::random();
    let body = match record.action {
        ConsentAction::Given => EntryBody::ConsentGiven {
            consent: Commitment::to(&salt.part(1), &consent_bytes(record)),
        },
        ConsentAction::Withdrawn => EntryBody::ConsentWithdrawn {
            consent: Commitment::to(
                &salt.part(1),
                &withdrawn.map(consent_bytes).unwrap_or_default(),
            ),
            withdrawal: Commitment::to(&salt.part(2), &consent_bytes(record)),
        },
    };
    Entry {
        time_ms: record.at.saturating_mul(1000),
        body,
    }
    .evidence("consent", record.id.to_string(), &salt)
    .map_err(|e| ServiceError::Internal(format!("consent evidence: {e}")))
}

/// The evidence entries of registration consents (all given).
pub(crate) fn evidence_of_given(
    consents: &[ConsentRecord],
) -> ServiceResult<Vec<yinxin_domain::ledger::EvidenceEntry>> {
    consents.iter().map(|c| consent_evidence(c, None)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert!(parse_date("d", "2027-02-28").is_ok());
        for bad in [
            "2027-02-29",
            "2027-2-28",
            "27-02-28",
            "2027-02-28-1",
            "",
            "2027-13-01",
        ] {
            let e = parse_date("effective_on", bad).unwrap_err();
            assert!(e.message.starts_with("effective_on: "), "{bad}");
        }
    }
}
