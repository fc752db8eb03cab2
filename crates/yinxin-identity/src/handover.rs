//! The certification records of each certificate holder, as the law keeps them (Electronic
//! Signature Law art. 24, CERT-7), read for the handover to a successor provider (issue 8 item
//! 12; art. 23; docs/TERMINATION.md). `yinxin admin handover` walks the holders, puts these
//! records with the certificates, CRLs and the evidence log into the archive, signs and
//! envelopes it to the successor.
//!
//! What a holder's records are: the fields the inventory keeps under a legal rule
//! (`Disposition::KeepSealed`: name, document type and number, work unit) — from the vault while
//! the account lives, from **custody** once it is erased (`Vault::custody_subject`) — the
//! verification records, and the DER of each certificate, opened under the holder or under its
//! custody key. Nothing else: no mobile, no e-mail, no login, no image (PIPL art. 22 and the
//! principle of the least: the successor receives what it must keep, not what it would like).
//! Values are read for the purpose `legal_record_keeping`.

use std::collections::BTreeMap;

use serde::Serialize;
use yinxin_domain::inventory::{INVENTORY, SUBSCRIBER_CERTIFICATE};
use yinxin_domain::pi::{Disposition, Purpose};
use yinxin_domain::termination::Handover;
use yinxin_domain::verification::VerificationRecord;
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use yinxin_privacy::vault::{Vault, VaultError, declared_field};

use crate::service::{Accounts, ServiceResult};

/// One holder's certification records.
#[derive(Clone, Serialize)]
pub struct HolderRecords {
    /// The account.
    pub account: AccountId,
    /// `personal` or `enterprise`.
    pub kind: &'static str,
    /// Unix second the account was cancelled, if it was.
    pub cancelled_at: Option<i64>,
    /// Unix second it was erased (its records then come from custody), if it was.
    pub erased_at: Option<i64>,
    /// The kept fields (inventory name → its text, or `{"base64": …}` for a file such as a
    /// business licence image).
    pub identity: BTreeMap<&'static str, serde_json::Value>,
    /// Its identity verifications, oldest first.
    pub verifications: Vec<VerificationRecord>,
    /// The certificate DERs that still open, by serial (a certificate whose retention ended,
    /// custody released, has none).
    #[serde(skip)]
    pub certificates: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for HolderRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderRecords")
            .field("account", &self.account)
            .field("fields", &self.identity.keys().collect::<Vec<_>>())
            .field("certificates", &self.certificates.len())
            .finish_non_exhaustive()
    }
}

/// A kept value as the archive holds it: text, or base64 for a file.
fn kept(plain: &[u8]) -> serde_json::Value {
    use base64::Engine;
    match std::str::from_utf8(plain) {
        Ok(text) => text.into(),
        Err(_) => {
            serde_json::json!({"base64": base64::engine::general_purpose::STANDARD.encode(plain)})
        }
    }
}

fn shredded(e: &VaultError) -> bool {
    e.code() == ErrorCode::SubjectShredded
}

impl Accounts {
    /// The termination plan, checked for a handover: it must exist and be in its closing mode
    /// (nothing new collected, so the archive is the whole of the records but revocations).
    pub async fn handover_plan(
        &self,
    ) -> ServiceResult<yinxin_domain::termination::TerminationPlan> {
        let plan = self.repo.termination_plan().await?.ok_or_else(|| {
            DomainError::new(
                ErrorCode::Conflict,
                "plan: no termination plan is recorded (PUT /api/v1/staff/termination); a \
                 handover comes at the end of one",
            )
        })?;
        if plan.closing_at.is_none() {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "plan: the closing mode has not begun (tell the subscribers, report to the \
                 regulator, then POST /api/v1/staff/termination/close); a handover comes after",
            )
            .into());
        }
        Ok(plan)
    }

    /// Holders of certificate records after `after`, at most `limit`, in id order.
    pub async fn certificate_holders(
        &self,
        after: Option<AccountId>,
        limit: u32,
    ) -> ServiceResult<Vec<AccountId>> {
        Ok(self.repo.certificate_holders(after, limit).await?)
    }

    /// One holder's certification records (see the module documentation).
    pub async fn certification_records(&self, holder: AccountId) -> ServiceResult<HolderRecords> {
        let account = self.repo.account(holder).await?.ok_or_else(|| {
            DomainError::new(ErrorCode::NotFound, "account: no such certificate holder")
        })?;
        let lifecycle = self.repo.lifecycle(holder).await?;
        let subject = account.subject;
        let custody_subject = Vault::custody_subject(subject);
        let mut identity = BTreeMap::new();
        if lifecycle.erased_at.is_none() {
            for field in INVENTORY
                .iter()
                .copied()
                .filter(|f| matches!(f.disposition, Disposition::KeepSealed { .. }))
            {
                match self.vault.get(subject, field).await {
                    Ok(Some(v)) => {
                        identity.insert(field.name, kept(v.expose(Purpose::LegalRecordKeeping)?));
                    }
                    Ok(None) => {}
                    Err(e) if shredded(&e) => break,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if identity.is_empty() {
            for c in self.custody_in_term(subject, crate::service::now()).await? {
                let field = declared_field(&c.field)?;
                match self.open_custody(subject, field, &c).await {
                    Ok(v) => {
                        identity.insert(field.name, kept(v.expose(Purpose::LegalRecordKeeping)?));
                    }
                    Err(e) if shredded(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let mut certificates = BTreeMap::new();
        for c in self.repo.retained_certificates(holder).await? {
            let under = if c.custody { custody_subject } else { subject };
            match self
                .vault
                .open_record(
                    under,
                    &SUBSCRIBER_CERTIFICATE,
                    c.serial.as_bytes(),
                    &c.sealed_der,
                )
                .await
            {
                Ok(der) => {
                    let der = der.expose(Purpose::LegalRecordKeeping)?;
                    certificates.insert(c.serial, der.clone());
                }
                Err(e) if shredded(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut verifications = self.repo.verifications_of(holder).await?;
        verifications.sort_by_key(|v| v.at);
        Ok(HolderRecords {
            account: holder,
            kind: account.kind.as_str(),
            cancelled_at: lifecycle.cancelled_at,
            erased_at: lifecycle.erased_at,
            identity,
            verifications,
            certificates,
        })
    }

    /// A handover made, for the privacy officer or the auditor (its evidence is theirs to
    /// check); `404` for an id that is not one.
    pub async fn handover(
        &self,
        staff: &yinxin_domain::account::AccountRecord,
        id: &str,
    ) -> ServiceResult<Handover> {
        self.officer_or_auditor(staff).await?;
        self.repo
            .handovers()
            .await?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| {
                DomainError::new(ErrorCode::NotFound, "handover: no such handover").into()
            })
    }

    /// Records a handover made, with its evidence entry (type 9, a disclosure: the holders'
    /// records went to another controller), in one transaction.
    pub async fn record_handover(&self, h: &Handover) -> ServiceResult<()> {
        use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
        let canonical = serde_json::to_vec(h)
            .map_err(|e| crate::service::ServiceError::Internal(format!("handover: {e}")))?;
        let salt = Salt::random();
        let evidence = Entry {
            time_ms: h.made_at.saturating_mul(1000),
            body: EntryBody::Disclosure {
                disclosure: Commitment::to(&salt.part(1), &canonical),
            },
        }
        .evidence("handover", h.id.clone(), &salt)
        .map_err(|e| crate::service::ServiceError::Internal(format!("handover evidence: {e}")))?;
        self.repo.insert_handover(h, &evidence).await?;
        tracing::warn!(
            handover = %h.id,
            successor = %h.successor_fingerprint,
            holders = h.holders,
            certificates = h.certificates,
            "handover archive made for the successor"
        );
        Ok(())
    }
}
