//! Guardian consent for children under 14 (PRIV-13; PIPL art. 31).
//!
//! A parent or guardian, logged in to their own personal account, gives consent for one child,
//! named by the child's resident ID number (whose birth date shows the age). The consent is single
//! use, expires after a week, and is taken by the child's registration, which must carry the same
//! ID number. The child's number is never stored with the consent: only a keyed pseudonym of it.
//!
//! Who may consent: an adult whose age the service can check — an account registered with a
//! resident ID card showing 18 or more years. When real-name verification arrives (IDV, issue 4),
//! a verified identity must be required here as well.

use serde::Deserialize;
use utoipa::ToSchema;
use yinxin_domain::account::{
    AccountKind, AccountRecord, ConsentScope, GuardianConsentRecord, PolicyVersion,
};
use yinxin_domain::inventory::{PERSON_DOCUMENT_NUMBER, PERSON_DOCUMENT_TYPE};
use yinxin_domain::pi::Purpose;
use yinxin_domain::validate;
use yinxin_domain::{AccountId, DomainError, ErrorCode, GuardianConsentId};

use crate::service::{
    Accounts, MINOR_AGE, ServiceResult, document_type_name, invalid, now, today_in_china,
};

/// Days a guardian's consent stays usable.
const GUARDIAN_CONSENT_DAYS: i64 = 7;
/// Age of majority (Civil Code art. 17).
const ADULT_AGE: i32 = 18;

/// How the consenting adult is related to the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// Father or mother.
    Parent,
    /// Another legal guardian.
    Guardian,
}

/// A guardian's consent as submitted.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianConsentRequest {
    /// The child's resident ID number.
    pub ward_document_number: String,
    /// Parent or guardian.
    pub relationship: Relationship,
    /// The policy version accepted for the child (the one in effect).
    pub accept_policy_version: String,
    /// Separate consents (PRIV-2): `sensitive_personal_information` is needed — all personal
    /// information of a child under 14 is sensitive (PIPL art. 28).
    #[serde(default)]
    pub consents: Vec<ConsentScope>,
}

impl std::fmt::Debug for GuardianConsentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuardianConsentRequest(<redacted>)")
    }
}

impl Accounts {
    fn ward_key(&self, document_number: &str) -> Vec<u8> {
        self.vault
            .pseudonym("guardian-ward", document_number.as_bytes())
            .to_vec()
    }

    /// Records a guardian's consent for a child under 14 (PRIV-13).
    pub async fn give_guardian_consent(
        &self,
        guardian: &AccountRecord,
        r: &GuardianConsentRequest,
    ) -> ServiceResult<GuardianConsentRecord> {
        let at = now();
        let today = today_in_china(at);
        if guardian.kind != AccountKind::Personal {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "a guardian's consent is given by a person, from their personal account",
            )
            .into());
        }
        let ward = validate::resident_id(&r.ward_document_number, today)
            .map_err(|e| invalid("ward_document_number", e))?;
        if ward.birth_date.years_until(today) >= MINOR_AGE {
            return Err(DomainError::invalid(
                "ward_document_number",
                "the holder is 14 or older and registers with their own consent",
            )
            .into());
        }
        // The guardian's own age, from their resident ID number.
        let doc_type = self
            .read_for(
                guardian.subject,
                &PERSON_DOCUMENT_TYPE,
                Purpose::AccountRegistration,
            )
            .await?;
        let number = self
            .read_for(
                guardian.subject,
                &PERSON_DOCUMENT_NUMBER,
                Purpose::AccountRegistration,
            )
            .await?;
        let number = number.as_deref().map(String::as_str);
        let adult = match (doc_type.as_deref().map(String::as_str), number) {
            (Some(t), Some(n))
                if t == document_type_name(validate::DocumentType::ResidentIdCard) =>
            {
                validate::resident_id(n, today)
                    .map(|id| id.birth_date.years_until(today) >= ADULT_AGE)
                    .unwrap_or(false)
            }
            _ => {
                return Err(DomainError::new(
                    ErrorCode::Forbidden,
                    "a guardian's consent needs a guardian whose age the service can check: an \
                     account registered with a resident ID card",
                )
                .into());
            }
        };
        if !adult {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "a guardian's consent must come from an adult (18 or older)",
            )
            .into());
        }
        if number == Some(ward.number.as_str()) {
            return Err(DomainError::invalid(
                "ward_document_number",
                "is your own number; give the child's",
            )
            .into());
        }
        let policy = self
            .check_registration_consents(
                &r.accept_policy_version,
                &r.consents,
                "child's personal information (all of it sensitive under 14)",
            )
            .await?;
        let record = GuardianConsentRecord {
            id: GuardianConsentId::ordered(),
            guardian: guardian.id,
            relationship: match r.relationship {
                Relationship::Parent => "parent".into(),
                Relationship::Guardian => "guardian".into(),
            },
            policy_version: policy.version,
            ward_key: self.ward_key(&ward.number),
            created_at: at,
            expires_at: at + GUARDIAN_CONSENT_DAYS * 86_400,
            used_by: None,
        };
        self.repo.insert_guardian_consent(&record).await?;
        tracing::info!(guardian = %guardian.id, consent = %record.id, "guardian consent given");
        Ok(record)
    }

    /// The consents a guardian gave.
    pub async fn guardian_consents(
        &self,
        guardian: AccountId,
    ) -> ServiceResult<Vec<GuardianConsentRecord>> {
        Ok(self.repo.guardian_consents_of(guardian).await?)
    }

    /// Takes the guardian's consent `id` for the child with `document_number`, registering as
    /// `account` under `policy`.
    pub(crate) async fn take_guardian_consent(
        &self,
        id: GuardianConsentId,
        document_number: &str,
        account: AccountId,
        policy: &PolicyVersion,
        at: i64,
    ) -> ServiceResult<GuardianConsentRecord> {
        let taken = self
            .repo
            .take_guardian_consent(id, &self.ward_key(document_number), account, at)
            .await?
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::ConsentRequired,
                    "guardian_consent_id: no usable guardian's consent for this child (unknown, \
                     used, expired, or given for another child)",
                )
            })?;
        if taken.policy_version != policy.version {
            let _ = self.repo.release_guardian_consent(id).await;
            return Err(DomainError::new(
                ErrorCode::ConsentRequired,
                format!(
                    "guardian_consent_id: the guardian consented to policy version {}, but {} is \
                     in effect; the guardian must consent again",
                    taken.policy_version, policy.version
                ),
            )
            .into());
        }
        Ok(taken)
    }
}
