//! Account cancellation and the retention engine (issue 8 items 4–5; ACC-6, PRIV-9, PRIV-14…16,
//! CERT-7; docs/RETENTION.md).
//!
//! - [`Accounts::cancel_account`]: the account is unusable at once (sessions, passkeys and
//!   password gone, nothing finds it by username, mobile, e-mail or document number), and staff
//!   views of it are refused ([`Accounts::ensure_reachable`]) but for a recorded legal demand.
//! - [`Accounts::run_retention`]: the job `serve` runs every hour, under a lease in the database
//!   so that one node at a time does: every account cancelled more than `cancellation_grace_days`
//!   ago without a standing legal hold is erased, a thousand at a time; custody whose
//!   retention ended is destroyed; network logs older than their term are deleted.
//!   [`Accounts::retention_plan`] says what the next run would do, changing nothing.
//! - Erasure: what the inventory keeps under a legal rule (`Disposition::KeepSealed`) and the
//!   certificate DERs are re-sealed under the subject's custody key while a certificate record
//!   is retained (expiry + 5 years, CERT-7); then the subject's data key is destroyed — every
//!   copy of the data, backups included, no longer opens — and the account's other records are
//!   deleted with their evidence salts. Each step is idempotent, so a run interrupted anywhere is
//!   finished by the next.

use serde::Serialize;
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::erasure::NoticeCause;
use yinxin_domain::inventory::{INVENTORY, SUBSCRIBER_CERTIFICATE};
use yinxin_domain::pi::{Disposition, Purpose};
use yinxin_domain::requests::RequestKind;
use yinxin_domain::retention::{CustodyValue, DueErasure, ErasedRecords, ErasureWrite, LegalHold};
use yinxin_domain::staff::StaffRole;
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use yinxin_privacy::vault::Vault;

use crate::service::{Accounts, ServiceError, ServiceResult, now};
use crate::staff::{check_order_text, order_document};

/// The lease name of the retention job.
const LEASE: &str = "retention";
/// How long a run may hold the lease before another node may take over.
const LEASE_SECS: i64 = 600;
/// Accounts erased per batch: one data transaction, one key-store transaction and one WAL
/// truncation each (a parameter per account in their statements: well within both backends'
/// limits).
const BATCH: u32 = 1000;
/// Custody values released per read.
const CUSTODY_BATCH: u32 = 200;

/// One erasure, as reported (ids and counts only).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Erasure {
    /// The account erased.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// Fields moved into custody (storage only).
    pub custody_fields: Vec<String>,
    /// Certificate records whose DER moved into custody.
    pub custody_certificates: usize,
    /// Erasure notices owed to the recipients of the subject's data (PRIV-15); a run that
    /// finishes an interrupted erasure counts them again but stores each once.
    pub notices: usize,
}

/// An erasure prepared for its batch's data transaction.
struct PreparedErasure<'d> {
    due: &'d DueErasure,
    custody: Vec<CustodyValue>,
    certificates: Vec<(String, Vec<u8>)>,
    notices: Vec<yinxin_domain::erasure::ErasureNotice>,
}

impl PreparedErasure<'_> {
    fn write(&self) -> ErasureWrite<'_> {
        ErasureWrite {
            account: self.due.account,
            subject: self.due.subject,
            custody: &self.custody,
            certificates: &self.certificates,
            notices: &self.notices,
        }
    }
}

/// What a run did, or (a plan) would do.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct RetentionReport {
    /// Whether this is a plan (nothing changed).
    pub dry_run: bool,
    /// The time the run is for (Unix second).
    pub at: i64,
    /// Accounts erased (a plan: due for erasure), by id.
    #[schema(value_type = Vec<String>)]
    pub erased: Vec<AccountId>,
    /// The erasures that moved anything into custody or owed erasure notices, in detail (a run
    /// only; the others are in `erased` alone).
    pub erasures: Vec<Erasure>,
    /// Rows the run's erasures deleted, by table, and evidence salts (a run only).
    pub records: ErasedRecords,
    /// Accounts due whose erasure failed in this run (logged; the next run tries again).
    #[schema(value_type = Vec<String>)]
    pub failed: Vec<AccountId>,
    /// Cancelled accounts past their grace period that a standing legal hold keeps.
    pub held: u64,
    /// Subjects whose custody ended (custody keys destroyed), by count.
    pub custody_released: u64,
    /// Login events older than the network-log term deleted (a plan: to delete).
    pub login_events: u64,
    /// Whether another node held the lease (nothing done).
    pub lease_busy: bool,
}

/// A legal hold as filed by the privacy officer.
#[derive(Clone, serde::Deserialize, ToSchema)]
pub struct LegalHoldFiling {
    /// The account to hold.
    pub account: String,
    /// The authority, as on its order (1 to 200 characters).
    pub authority: String,
    /// The order's own number (文书编号).
    pub document_number: String,
    /// `application/pdf`, `image/png` or `image/jpeg`.
    pub document_type: String,
    /// The order, base64 (at most 10 MiB).
    pub document: String,
}

impl std::fmt::Debug for LegalHoldFiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegalHoldFiling").finish_non_exhaustive()
    }
}

fn cancelled() -> ServiceError {
    DomainError::new(
        ErrorCode::Forbidden,
        "subject: the account was cancelled; its information is reachable only to provide it \
         against a recorded legal demand",
    )
    .into()
}

impl Accounts {
    /// Confirms that the caller may cancel their account (ACC-6): the session proves who asks;
    /// an account with a password confirms it again (missing: `400` naming `password`; wrong:
    /// `403`, five tries an hour). Nothing is changed: the server revokes the account's
    /// certificates next, then [`Accounts::cancel_confirmed`].
    pub async fn confirm_cancellation(
        &self,
        account: &AccountRecord,
        password: Option<&str>,
    ) -> ServiceResult<()> {
        let Some(phc) = account.password_hash.clone() else {
            return Ok(());
        };
        self.rate_limit(
            "cancel-account",
            &account.id.to_string(),
            5,
            3600,
            now(),
            "too many attempts to cancel this account; try again in an hour",
        )
        .await?;
        let Some(pw) = password.map(str::to_owned) else {
            return Err(DomainError::invalid(
                "password",
                "confirm the cancellation with the account's password",
            )
            .into());
        };
        let hasher = self.hasher.clone();
        let ok = tokio::task::spawn_blocking(move || hasher.verify(&pw, Some(&phc)))
            .await
            .map_err(|e| ServiceError::Internal(format!("verify task: {e}")))?;
        if !ok {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "password: not the account's password; nothing was cancelled",
            )
            .into());
        }
        Ok(())
    }

    /// Cancels the caller's account once confirmed; returns the time of cancellation. Recorded
    /// as a fulfilled `cancellation` request.
    pub async fn cancel_confirmed(&self, account: &AccountRecord) -> ServiceResult<i64> {
        let at = now();
        self.cancel_now(account, "subject", at).await?;
        Ok(at)
    }

    /// The grace period between cancellation and erasure, in seconds.
    pub fn cancellation_grace_secs(&self) -> i64 {
        i64::from(self.config.cancellation_grace_days).saturating_mul(86_400)
    }

    /// Cancels `account` at `at`, recording it as a fulfilled cancellation by `by` (the
    /// subject, or the privacy officer fulfilling a request).
    pub(crate) async fn cancel_now(
        &self,
        account: &AccountRecord,
        by: &str,
        at: i64,
    ) -> ServiceResult<()> {
        if self
            .repo
            .cancel_account(account.id, account.subject, at)
            .await?
        {
            self.record_met_request(account, RequestKind::Cancellation, Vec::new(), by, at)
                .await?;
            tracing::info!(account = %account.id, "account cancelled");
        }
        Ok(())
    }

    /// Refuses access to a cancelled account's information for any purpose but a legal
    /// demand's (ACC-6: "can no longer be retrieved or accessed").
    pub(crate) async fn ensure_reachable(
        &self,
        account: AccountId,
        purpose: Purpose,
    ) -> ServiceResult<()> {
        let life = self.repo.lifecycle(account).await?;
        if life.cancelled_at.is_some() && purpose != Purpose::LegalRecordKeeping {
            return Err(cancelled());
        }
        Ok(())
    }

    /// Whether `account` is cancelled.
    pub async fn is_cancelled(&self, account: AccountId) -> ServiceResult<bool> {
        Ok(self.repo.lifecycle(account).await?.cancelled_at.is_some())
    }

    /// The network-log term of the inventory (login events: six months, Cybersecurity Law art.
    /// 21(3)).
    fn network_log_secs(&self) -> i64 {
        i64::from(crate::risk::login_event_retention_days()).saturating_mul(86_400)
    }

    /// What [`Accounts::run_retention`] would do at `at`, changing nothing: the accounts due for
    /// erasure (at most 1,000 listed), those a hold keeps, the custody ending, the logs to go.
    pub async fn retention_plan(&self, at: i64) -> ServiceResult<RetentionReport> {
        let cutoff = at.saturating_sub(self.cancellation_grace_secs());
        let due = self.repo.due_erasures(cutoff, 1000).await?;
        Ok(RetentionReport {
            dry_run: true,
            at,
            erased: due.iter().map(|d| d.account).collect(),
            held: self.repo.held_erasures(cutoff).await?,
            custody_released: u64::try_from(self.repo.custody_expired(at, 1000).await?.len())
                .unwrap_or(0),
            login_events: self
                .repo
                .count_login_events_before(at.saturating_sub(self.network_log_secs()))
                .await?,
            ..RetentionReport::default()
        })
    }

    /// Runs the retention rules at `at` (see the module documentation) under the database lease,
    /// as `holder` (a node's name). Another node's standing lease: nothing done, `lease_busy`.
    pub async fn run_retention(&self, at: i64, holder: &str) -> ServiceResult<RetentionReport> {
        let mut report = RetentionReport {
            at,
            ..RetentionReport::default()
        };
        if !self
            .repo
            .try_lease(LEASE, holder, now().saturating_add(LEASE_SECS), now())
            .await?
        {
            report.lease_busy = true;
            return Ok(report);
        }
        let result = self.run_rules(at, holder, &mut report).await;
        self.repo.release_lease(LEASE, holder).await?;
        result.map(|()| report)
    }

    async fn run_rules(
        &self,
        at: i64,
        holder: &str,
        report: &mut RetentionReport,
    ) -> ServiceResult<()> {
        let cutoff = at.saturating_sub(self.cancellation_grace_secs());
        loop {
            // An account whose erasure fails is reported and left for the next run; it neither
            // stops the accounts behind it nor comes round again in this one.
            let limit =
                BATCH.saturating_add(u32::try_from(report.failed.len()).unwrap_or(u32::MAX));
            let due: Vec<DueErasure> = self
                .repo
                .due_erasures(cutoff, limit)
                .await?
                .into_iter()
                .filter(|d| !report.failed.contains(&d.account))
                .collect();
            if due.is_empty() {
                break;
            }
            self.erase_batch(&due, at, report).await?;
            // Keep the lease while the work lasts.
            self.repo
                .try_lease(LEASE, holder, now().saturating_add(LEASE_SECS), now())
                .await?;
        }
        report.held = self.repo.held_erasures(cutoff).await?;
        loop {
            let ended = self.repo.custody_expired(at, CUSTODY_BATCH).await?;
            if ended.is_empty() {
                break;
            }
            for subject in ended {
                self.vault.shred(Vault::custody_subject(subject)).await?;
                self.repo.release_custody(subject).await?;
                report.custody_released += 1;
                tracing::info!(%subject, "custody ended: custody key destroyed");
            }
        }
        report.login_events = self
            .repo
            .delete_login_events_before(at.saturating_sub(self.network_log_secs()))
            .await?;
        // A public-form ticket's mobile pseudonym serves only the delivery window.
        self.repo
            .clear_stale_ticket_pseudonyms(
                at.saturating_sub(crate::idv::public_request::DELIVERY_WINDOW_SECS),
            )
            .await?;
        tracing::info!(
            erased = report.erased.len(),
            held = report.held,
            custody_released = report.custody_released,
            login_events = report.login_events,
            "retention run"
        );
        Ok(())
    }

    /// Erases a batch of due accounts (see the module documentation): custody and erasure
    /// notices prepared account by account where there are any (found for the batch in two
    /// queries), the records of the whole batch deleted set-wise in one data transaction, then
    /// every data key of the batch destroyed in one key-store transaction, then the batch
    /// marked erased. Custody is written before any key is destroyed and each step is
    /// idempotent, so a run interrupted anywhere is finished by the next. An account whose
    /// preparation fails is reported and left for the next run; a batch whose data
    /// transaction fails is retried account by account, so that one account cannot hold up
    /// the others.
    async fn erase_batch(
        &self,
        due: &[DueErasure],
        at: i64,
        report: &mut RetentionReport,
    ) -> ServiceResult<()> {
        let ids: Vec<AccountId> = due.iter().map(|d| d.account).collect();
        let holders = self.repo.certificate_holders_among(&ids).await?;
        let disclosed = self.repo.disclosed_among(&ids).await?;
        let mut prepared = Vec::with_capacity(due.len());
        for d in due {
            match self
                .prepare_erasure(
                    d,
                    holders.contains(&d.account),
                    disclosed.contains(&d.account),
                    at,
                )
                .await
            {
                Ok(p) => prepared.push(p),
                Err(e) => {
                    tracing::error!(account = %d.account, error = %e, "erasure failed; left for the next run");
                    report.failed.push(d.account);
                }
            }
        }
        let writes: Vec<ErasureWrite<'_>> = prepared.iter().map(PreparedErasure::write).collect();
        let written: Vec<&PreparedErasure> = match self.repo.erase_accounts_records(&writes).await {
            Ok(records) => {
                report.records.add(&records);
                prepared.iter().collect()
            }
            Err(e) if prepared.len() > 1 => {
                tracing::warn!(error = %e, "batch erasure failed; erasing its accounts one by one");
                let mut written = Vec::with_capacity(prepared.len());
                for p in &prepared {
                    match self.repo.erase_accounts_records(&[p.write()]).await {
                        Ok(records) => {
                            report.records.add(&records);
                            written.push(p);
                        }
                        Err(e) => {
                            tracing::error!(account = %p.due.account, error = %e, "erasure failed; left for the next run");
                            report.failed.push(p.due.account);
                        }
                    }
                }
                written
            }
            Err(e) => return Err(e.into()),
        };
        let subjects: Vec<_> = written.iter().map(|p| p.due.subject).collect();
        self.vault.shred_many(&subjects).await?;
        let accounts: Vec<_> = written.iter().map(|p| p.due.account).collect();
        self.repo.mark_erased(&accounts, at).await?;
        report.erased.extend(&accounts);
        report.erasures.extend(
            written
                .iter()
                .filter(|p| {
                    !p.custody.is_empty() || !p.certificates.is_empty() || !p.notices.is_empty()
                })
                .map(|p| Erasure {
                    account: p.due.account,
                    custody_fields: p.custody.iter().map(|c| c.field.clone()).collect(),
                    custody_certificates: p.certificates.len(),
                    notices: p.notices.len(),
                }),
        );
        tracing::info!(
            erased = accounts.len(),
            failed = prepared.len() - written.len(),
            "batch erased: records deleted, custody written, data keys destroyed"
        );
        Ok(())
    }

    /// An erasure's writes before its key is destroyed: the custody values and certificate DERs
    /// re-sealed under the custody key while a certificate record is retained (`holder`: the
    /// account holds one), and the erasure notices owed (`disclosed`: its data went to a
    /// processor or an application). Idempotent.
    async fn prepare_erasure<'d>(
        &self,
        d: &'d DueErasure,
        holder: bool,
        disclosed: bool,
        at: i64,
    ) -> ServiceResult<PreparedErasure<'d>> {
        let (custody, certificates) = if holder {
            self.custody_for(d, at).await?
        } else {
            (Vec::new(), Vec::new())
        };
        // PRIV-15: every recipient of the subject's data is told, from the disclosure logs as
        // they are before this erasure deletes the applications' part of them.
        let notices = if disclosed {
            self.erasure_notices_for(
                d.account,
                NoticeCause::AccountErasure,
                &d.account.to_string(),
                None,
                at,
            )
            .await?
        } else {
            Vec::new()
        };
        Ok(PreparedErasure {
            due: d,
            custody,
            certificates,
            notices,
        })
    }

    /// What the law keeps of a certificate holder while a certificate record is retained
    /// (CERT-7): the fields the inventory keeps sealed and the certificate DERs, re-sealed under
    /// the subject's custody key.
    async fn custody_for(
        &self,
        d: &DueErasure,
        at: i64,
    ) -> ServiceResult<(Vec<CustodyValue>, Vec<(String, Vec<u8>)>)> {
        let certificates = self.repo.retained_certificates(d.account).await?;
        let keep_until = certificates.iter().map(|c| c.retain_until).max();
        let custody_subject = Vault::custody_subject(d.subject);
        let mut custody = Vec::new();
        let mut resealed = Vec::new();
        let shredded =
            |e: &yinxin_privacy::vault::VaultError| e.code() == ErrorCode::SubjectShredded;
        if let Some(until) = keep_until.filter(|u| *u > at) {
            for field in INVENTORY
                .iter()
                .copied()
                .filter(|f| matches!(f.disposition, Disposition::KeepSealed { .. }))
            {
                let value = match self.vault.get(d.subject, field).await {
                    Ok(Some(v)) => v,
                    Ok(None) => continue,
                    // Interrupted after the key was destroyed: custody was written before.
                    Err(e) if shredded(&e) => break,
                    Err(e) => return Err(e.into()),
                };
                let plain = value.expose(Purpose::LegalRecordKeeping)?;
                custody.push(CustodyValue {
                    field: field.name.to_owned(),
                    sealed: self
                        .vault
                        .seal_record(custody_subject, field, b"custody", plain)
                        .await?,
                    retain_until: until,
                });
            }
            for c in certificates.iter().filter(|c| !c.custody) {
                let der = match self
                    .vault
                    .open_record(
                        d.subject,
                        &SUBSCRIBER_CERTIFICATE,
                        c.serial.as_bytes(),
                        &c.sealed_der,
                    )
                    .await
                {
                    Ok(der) => der,
                    Err(e) if shredded(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                let der = der.expose(Purpose::LegalRecordKeeping)?;
                resealed.push((
                    c.serial.clone(),
                    self.vault
                        .seal_record(
                            custody_subject,
                            &SUBSCRIBER_CERTIFICATE,
                            c.serial.as_bytes(),
                            der,
                        )
                        .await?,
                ));
            }
        }
        Ok((custody, resealed))
    }

    /// The erased `subject`'s values in custody whose term has not ended at `at` (custody past
    /// its term is no longer the law's to keep; the next run destroys it).
    pub(crate) async fn custody_in_term(
        &self,
        subject: yinxin_domain::SubjectId,
        at: i64,
    ) -> ServiceResult<Vec<CustodyValue>> {
        let mut kept = self.repo.custody_of(subject).await?;
        kept.retain(|c| c.retain_until > at);
        Ok(kept)
    }

    /// Opens one of `subject`'s custody values as the inventory field `field`.
    pub(crate) async fn open_custody(
        &self,
        subject: yinxin_domain::SubjectId,
        field: &'static yinxin_domain::pi::PiField,
        c: &CustodyValue,
    ) -> yinxin_privacy::vault::VaultResult<yinxin_domain::sensitive::Sensitive<Vec<u8>>> {
        self.vault
            .open_record(
                Vault::custody_subject(subject),
                field,
                b"custody",
                &c.sealed,
            )
            .await
    }

    /// Carries out a deletion request as the privacy officer closes it (issue 8 item 4; 004
    /// 4.2): the fields it names (none: every field stored) are deleted with their blind-index
    /// entries — except those the inventory keeps under a legal rule while a certificate record
    /// of the account is retained (CERT-7), which a full fulfilment cannot delete (`409`: close
    /// it `fulfil_partly` with the ground `legal_obligation`) and a partial one leaves. Returns
    /// the fields deleted and those kept.
    pub(crate) async fn carry_out_deletion(
        &self,
        account: AccountId,
        request: &str,
        scope: &[String],
        partly: bool,
        at: i64,
    ) -> ServiceResult<(Vec<&'static str>, Vec<&'static str>)> {
        let subject = self
            .repo
            .account(account)
            .await?
            .ok_or_else(|| ServiceError::Internal("a request without its account".into()))?
            .subject;
        let retained = self
            .repo
            .retained_certificates(account)
            .await?
            .iter()
            .any(|c| c.retain_until > at);
        let stored = self.vault.stored_fields(subject).await?;
        let named: Vec<&'static yinxin_domain::pi::PiField> = if scope.is_empty() {
            stored
        } else {
            INVENTORY
                .iter()
                .copied()
                .filter(|f| scope.iter().any(|n| n == f.name))
                .collect()
        };
        let (kept, gone): (Vec<_>, Vec<_>) = named
            .into_iter()
            .partition(|f| retained && matches!(f.disposition, Disposition::KeepSealed { .. }));
        if !kept.is_empty() && !partly {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "action: {} are kept under a legal rule while the account's certificate \
                     records are retained (CERT-7); close the request fulfil_partly with the \
                     ground legal_obligation",
                    kept.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ),
            )
            .into());
        }
        self.vault.delete_fields(subject, &gone).await?;
        // PRIV-15: the recipients of the fields deleted are told to delete them too.
        let names: Vec<&str> = gone.iter().map(|f| f.name).collect();
        let notices = self
            .erasure_notices_for(
                account,
                NoticeCause::DeletionRequest,
                request,
                Some(&names),
                at,
            )
            .await?;
        self.repo.insert_erasure_notices(&notices).await?;
        tracing::info!(
            %account,
            deleted = gone.len(),
            kept = kept.len(),
            notices = notices.len(),
            "deletion request carried out"
        );
        Ok((
            gone.iter().map(|f| f.name).collect(),
            kept.iter().map(|f| f.name).collect(),
        ))
    }

    /// The privacy officer places a legal hold on an account, with the order's document
    /// (sealed under the service's key before anything else): while it stands nothing of the
    /// account is erased.
    pub async fn place_legal_hold(
        &self,
        officer: &AccountRecord,
        f: &LegalHoldFiling,
    ) -> ServiceResult<LegalHold> {
        use sha2::Digest;
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        check_order_text(&[
            ("authority", &f.authority),
            ("document_number", &f.document_number),
        ])?;
        let account: AccountId = f
            .account
            .parse()
            .map_err(|_| DomainError::invalid("account", "must be a UUID"))?;
        if self.repo.account(account).await?.is_none() {
            return Err(DomainError::new(ErrorCode::NotFound, "account: no such account").into());
        }
        let document = order_document(&f.document, &f.document_type)?;
        let id = uuid::Uuid::new_v4().to_string();
        let hold = LegalHold {
            document_sealed: self.vault.seal_service_record("legal-hold", &id, &document),
            id,
            account,
            authority: f.authority.trim().to_owned(),
            document_number: f.document_number.trim().to_owned(),
            document_type: f.document_type.clone(),
            document_sha256: yinxin_domain::signing::to_hex(&sha2::Sha256::digest(&document)),
            placed_by: officer.id,
            placed_at: now(),
            released_by: None,
            released_at: None,
        };
        self.repo.insert_legal_hold(&hold).await?;
        tracing::info!(hold = %hold.id, %account, officer = %officer.id, "legal hold placed");
        Ok(hold)
    }

    /// The privacy officer releases a standing hold; `409` if it is not standing.
    pub async fn release_legal_hold(
        &self,
        officer: &AccountRecord,
        id: &str,
    ) -> ServiceResult<LegalHold> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        if self.repo.legal_hold(id).await?.is_none() {
            return Err(DomainError::new(ErrorCode::NotFound, "hold: no such legal hold").into());
        }
        if !self.repo.release_legal_hold(id, officer.id, now()).await? {
            return Err(
                DomainError::new(ErrorCode::Conflict, "hold: it was released already").into(),
            );
        }
        tracing::info!(hold = %id, officer = %officer.id, "legal hold released");
        self.repo
            .legal_hold(id)
            .await?
            .ok_or_else(|| ServiceError::Internal("a released hold vanished".into()))
    }

    /// Legal holds, newest first, for the privacy officer or the auditor.
    pub async fn legal_holds(
        &self,
        staff: &AccountRecord,
        standing_only: bool,
    ) -> ServiceResult<Vec<LegalHold>> {
        self.officer_or_auditor(staff).await?;
        Ok(self.repo.legal_holds(standing_only, 500).await?)
    }

    /// The retention plan, for the privacy officer or the auditor.
    pub async fn staff_retention_plan(
        &self,
        staff: &AccountRecord,
    ) -> ServiceResult<RetentionReport> {
        self.officer_or_auditor(staff).await?;
        self.retention_plan(now()).await
    }
}
