//! Information about other people (IDV-4): the warranty a submitter gives, and the objection of
//! the person the information is about.
//!
//! Whoever registers an enterprise submits its legal representative's name and identity
//! document. Unless the registrant *is* the legal representative (registered with the same
//! document, and verified), they warrant that the legal representative gave their separate
//! consent (seed 004), and a [`ThirdPartyWarranty`] records it, naming the legal representative
//! only by a keyed pseudonym of their document. The legal representative, logged in to their own
//! account with a verified identity, may object: every un-objected warranty naming their document
//! then has its fields deleted from the enterprise's vault subject, and is marked objected.
//!
//! Why a verified identity, for the objection and for the registrant's exemption: both go by the
//! document number the account *registered* with, and registering with somebody else's number
//! costs nothing (an impostor could otherwise delete the holder's information, or register the
//! holder's enterprise with no warranty for the holder to object to). Only a verification that
//! checked the number against an authoritative source (carrier, bank card, face: assurance
//! `substantial` or more; reading an ID-card image proves only that one has a picture of the
//! card) makes the caller the person the number belongs to.
//!
//! [`ThirdPartyWarranty`]: yinxin_domain::third_party::ThirdPartyWarranty

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord};
use yinxin_domain::inventory::{
    LEGAL_REP_DOCUMENT_NUMBER, PERSON_DOCUMENT_NUMBER, PERSON_DOCUMENT_TYPE,
};
use yinxin_domain::pi::Purpose;
use yinxin_domain::third_party::ThirdPartyRole;
use yinxin_domain::verification::AssuranceLevel;
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use zeroize::Zeroizing;

use crate::idv::status_of;
use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The pseudonym context of identity documents in warranties.
/// NEVER change it: stored warranties would no longer match the people they name.
const DOCUMENT_KEY_CONTEXT: &str = "third-party/identity-document/v1";

/// An objection to information about the caller submitted by others
/// (`POST /api/v1/me/objections`; an empty body objects to all of it).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Objection {
    /// Only information submitted about the caller in this role; every role when absent.
    #[serde(default)]
    pub about: Option<ThirdPartyRole>,
}

/// What an objection did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Objected {
    /// Warranties objected to now (0 when there were none, or all were objected to before).
    pub objections: usize,
    /// The enterprises those warranties were given for: they hold nothing about the caller now.
    #[schema(value_type = Vec<String>)]
    pub enterprises: Vec<AccountId>,
}

impl Accounts {
    /// The keyed pseudonym of an identity document (IDV-4): its type and normalized number, so
    /// that the same number under another document type names nobody else.
    pub(crate) fn document_key(&self, document_type: &str, number: &str) -> [u8; 32] {
        let value = Zeroizing::new([document_type.as_bytes(), b"\0", number.as_bytes()].concat());
        self.vault.pseudonym(DOCUMENT_KEY_CONTEXT, &value)
    }

    /// The pseudonym of the document `account` registered with, read for `purpose`; `None` for
    /// an account without one (an enterprise).
    pub(crate) async fn own_document_key(
        &self,
        account: &AccountRecord,
        purpose: Purpose,
    ) -> ServiceResult<Option<[u8; 32]>> {
        let Some(number) = self.own_document_number(account, purpose).await? else {
            return Ok(None);
        };
        let Some(doc_type) = self
            .read_for(account.subject, &PERSON_DOCUMENT_TYPE, purpose)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(self.document_key(&doc_type, &number)))
    }

    async fn own_document_number(
        &self,
        account: &AccountRecord,
        purpose: Purpose,
    ) -> ServiceResult<Option<Zeroizing<String>>> {
        if account.kind != AccountKind::Personal {
            return Ok(None);
        }
        self.read_for(account.subject, &PERSON_DOCUMENT_NUMBER, purpose)
            .await
    }

    /// Whether the person's identity is verified against an authoritative source: a match at
    /// assurance `substantial` or more (carrier, bank card, face), not an ID-card image read.
    pub(crate) async fn identity_verified(&self, account: AccountId) -> ServiceResult<bool> {
        let status = status_of(&self.standing_verifications(account).await?);
        Ok(status.verified && status.assurance >= Some(AssuranceLevel::Substantial))
    }

    /// The caller objects to information about them that others submitted (IDV-4, PRIV-14):
    /// for every un-objected warranty naming the identity document the caller registered with
    /// (and `about`, if given), the information is deleted from the enterprise's vault subject
    /// and the warranty is marked objected. Only a person whose identity is verified at
    /// assurance `substantial` or more may object (`FORBIDDEN` otherwise). Idempotent: a second
    /// objection finds nothing left and answers 0.
    pub async fn object_to_third_party_data(
        &self,
        caller: &AccountRecord,
        objection: &Objection,
    ) -> ServiceResult<Objected> {
        if caller.kind != AccountKind::Personal {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "an objection is made by a person, from their personal account",
            )
            .into());
        }
        if !self.identity_verified(caller.id).await? {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "verify your identity first (carrier, bank card or face: POST \
                 /api/v1/verifications): an objection deletes what others submitted about the \
                 holder of the identity document you registered with, so the service must know \
                 you are that person",
            )
            .into());
        }
        let purpose = Purpose::SubjectAccess;
        let (Some(key), Some(number)) = (
            self.own_document_key(caller, purpose).await?,
            self.own_document_number(caller, purpose).await?,
        ) else {
            return Ok(Objected {
                objections: 0,
                enterprises: vec![],
            });
        };
        // The enterprises whose stored legal representative is still the caller: a warranty whose
        // enterprise now holds someone else's information (none can today; a later change of
        // legal representative could) is marked objected without deleting that other person's.
        let holding = self.vault.find(&LEGAL_REP_DOCUMENT_NUMBER, &number).await?;
        let at = now();
        let mut done = Objected {
            objections: 0,
            enterprises: vec![],
        };
        for w in self.repo.warranties_about(&key).await? {
            if w.objected_at.is_some() || objection.about.is_some_and(|a| a != w.about) {
                continue;
            }
            let enterprise = self.repo.account(w.enterprise).await?.ok_or_else(|| {
                ServiceError::Internal(format!(
                    "warranty {} names enterprise {} which has no account",
                    w.id, w.enterprise
                ))
            })?;
            // Deleted first, then marked: a failure in between leaves the warranty open, and the
            // next objection finishes the deletion (it is idempotent).
            let deleted = if holding.contains(&enterprise.subject) {
                self.vault
                    .delete_fields(enterprise.subject, w.about.fields())
                    .await?
            } else {
                0
            };
            if self.repo.mark_objected(w.id, at).await? {
                done.objections += 1;
                if !done.enterprises.contains(&w.enterprise) {
                    done.enterprises.push(w.enterprise);
                }
            }
            tracing::info!(
                warranty = %w.id,
                enterprise = %w.enterprise,
                objector = %caller.id,
                about = w.about.as_str(),
                fields_deleted = deleted,
                "third-party information deleted at the person's objection"
            );
        }
        Ok(done)
    }
}
