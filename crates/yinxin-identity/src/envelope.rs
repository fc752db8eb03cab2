//! Envelopes: sending one document to several signers, their turns, and the audit trail (issue 6
//! item 6; SIGN-1, SIGN-3, ACC-2).
//!
//! This module decides *who* may do what to an envelope; making the PDF signature is the
//! server's (it holds the keys and the PDF code), and the store makes each signature's changes
//! in one transaction ([`EnvelopeRepo::envelope_signed`]).
//!
//! - **Who sees it**: its owner and its signers (the account who signs, or the agent who applies
//!   the enterprise's seal); anyone else gets `NOT_FOUND`, as for a document.
//! - **Whose turn**: [`Envelope::turn`]. A signer out of turn is refused (`CONFLICT`, naming the
//!   signer who comes first).
//! - **The document's versions** are sealed under the owner's subject: the envelope is the
//!   owner's record, which its signers read while they take part in it.
//! - **Expiry** is applied when an envelope is read: one still `sent` after `expires_at` is
//!   closed as `expired` (with its event) before anything else happens to it; the store's
//!   compare-and-set also refuses a signature after expiry.
//! - **Notices**: when it becomes a signer's turn (all at once in parallel order), an SMS with the
//!   template `sms_envelope_template` goes to their real-name mobile, and a `notified` event is
//!   written; a signer without a mobile gets no SMS (the event says nothing was sent by its
//!   absence). When the envelope closes — completed, declined, cancelled or expired — its owner
//!   and every signer but the one who closed it get the template `sms_envelope_closed_template`
//!   (parameters `envelope` and `state`), each with its `notified` event.
//! - **Expiry sweep**: [`Accounts::expire_envelopes`] (run by `serve` every few minutes) closes
//!   the envelopes still `sent` past their `expires_at` that nobody touched; the close is a
//!   compare-and-set, so with several nodes each envelope is closed, and announced, once.

use yinxin_domain::account::{AccountKind, AccountRecord};
use yinxin_domain::envelope::{
    Envelope, EnvelopeEvent, EnvelopeEventKind, EnvelopeField, EnvelopeOrder, EnvelopeRefusal,
    EnvelopeSigner, EnvelopeSigning, EnvelopeState, FieldKind,
};
use yinxin_domain::inventory::{PERSON_MOBILE, SIGNING_DOCUMENT};
use yinxin_domain::pi::Purpose;
use yinxin_domain::signing::{DocumentRecord, IntentRecord, SignatureRecord};
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use zeroize::Zeroizing;

use crate::intent::intent_refused;
use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The most signers an envelope has.
pub const ENVELOPE_SIGNERS_MAX: usize = 20;
/// The most fields a signer has.
pub const ENVELOPE_FIELDS_MAX: usize = 10;

/// A signer to send an envelope to.
#[derive(Clone, Debug)]
pub struct SignerSpec {
    /// The person who signs (or the agent who seals for `enterprise`).
    pub account: AccountId,
    /// The enterprise whose seal is applied.
    pub enterprise: Option<AccountId>,
    /// The fields, already checked to lie on the document's pages.
    pub fields: Vec<EnvelopeField>,
}

/// What an envelope's evidence report states beyond the envelope and its trail (issue 7 item 4;
/// EVID-2): each signature made in it with the intent it used, in the order made, and every
/// version of the document from the one sent to the current one.
#[derive(Clone, Debug)]
pub struct EnvelopeFacts {
    /// The signatures, in the order of their `signed` events, each with its intent (none for a
    /// seal applied under an `auto_sign` authorization).
    pub signatures: Vec<(SignatureRecord, Option<IntentRecord>)>,
    /// The versions, the document sent first.
    pub versions: Vec<DocumentRecord>,
}

fn not_found() -> ServiceError {
    DomainError::new(ErrorCode::NotFound, "envelope: no such envelope of yours").into()
}

fn signer_field(i: usize, what: &str) -> String {
    format!("signers[{i}].{what}")
}

impl Accounts {
    /// Sends `document` (one of `owner`'s) to `signers` in `order`, open until `expires_at`, and
    /// notifies whoever may sign first.
    pub async fn send_envelope(
        &self,
        owner: &AccountRecord,
        document: &str,
        order: EnvelopeOrder,
        expires_at: Option<i64>,
        signers: Vec<SignerSpec>,
    ) -> ServiceResult<(Envelope, Vec<EnvelopeEvent>)> {
        let at = now();
        if signers.is_empty() || signers.len() > ENVELOPE_SIGNERS_MAX {
            return Err(DomainError::invalid(
                "signers",
                format!("an envelope has 1 to {ENVELOPE_SIGNERS_MAX} signers"),
            )
            .into());
        }
        let expires_at = expires_at.unwrap_or(at + self.config.envelope_max_seconds);
        let (min, max) = (
            self.config.envelope_min_seconds,
            self.config.envelope_max_seconds,
        );
        if expires_at < at + min || expires_at > at + max {
            return Err(DomainError::invalid(
                "expires_at",
                format!("a Unix second {min} s to {max} s from now"),
            )
            .into());
        }
        self.repo
            .document(document, owner.id)
            .await?
            .ok_or_else(|| -> ServiceError {
                DomainError::new(ErrorCode::NotFound, "document: no such document of yours").into()
            })?;
        let mut seen = std::collections::HashSet::new();
        for (i, s) in signers.iter().enumerate() {
            if s.fields.is_empty() || s.fields.len() > ENVELOPE_FIELDS_MAX {
                return Err(DomainError::invalid(
                    &signer_field(i, "fields"),
                    format!("a signer has 1 to {ENVELOPE_FIELDS_MAX} fields"),
                )
                .into());
            }
            if !seen.insert((s.account, s.enterprise)) {
                return Err(DomainError::invalid(
                    &signer_field(i, "account"),
                    "is listed twice for the same role; give one signer all their fields",
                )
                .into());
            }
            let person = self.repo.account(s.account).await?;
            if !person.is_some_and(|a| a.kind == AccountKind::Personal) {
                return Err(DomainError::invalid(
                    &signer_field(i, "account"),
                    "not a personal account: a person signs, or seals as an enterprise's agent",
                )
                .into());
            }
            if let Some(ent) = s.enterprise {
                let e = self.repo.account(ent).await?;
                if !e.is_some_and(|a| a.kind == AccountKind::Enterprise) {
                    return Err(DomainError::invalid(
                        &signer_field(i, "enterprise"),
                        "not an enterprise account",
                    )
                    .into());
                }
            }
            for (j, f) in s.fields.iter().enumerate() {
                let sealing = f.kind != FieldKind::Signature;
                if sealing != s.enterprise.is_some() {
                    return Err(DomainError::invalid(
                        &signer_field(i, &format!("fields[{j}].kind")),
                        if sealing {
                            "a seal is applied for an enterprise: give the signer's enterprise"
                        } else {
                            "an enterprise signs with its seal: `seal` or `cross_page_seal`"
                        },
                    )
                    .into());
                }
            }
        }
        // Every envelope sends SMS notices to people the sender names: bounded per sender.
        self.rate_limit(
            "envelope-account",
            &owner.id.to_string(),
            self.config.envelopes_per_account_per_hour,
            3600,
            at,
            "too many envelopes sent by this account",
        )
        .await?;
        let envelope = Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            owner: owner.id,
            document: document.to_owned(),
            current: document.to_owned(),
            order,
            state: EnvelopeState::Sent,
            created_at: at,
            expires_at,
            closed_at: None,
            signers: signers
                .into_iter()
                .enumerate()
                .map(|(i, s)| EnvelopeSigner {
                    position: u32::try_from(i).unwrap_or(u32::MAX),
                    account: s.account,
                    enterprise: s.enterprise,
                    fields: s.fields,
                    signed_fields: 0,
                    declined: false,
                })
                .collect(),
        };
        self.repo.insert_envelope(&envelope).await?;
        tracing::info!(account = %owner.id, envelope = %envelope.id, signers = envelope.signers.len(), "envelope sent");
        let first: Vec<EnvelopeSigner> = envelope.turn(at).into_iter().cloned().collect();
        self.notify(&envelope, &first, at).await;
        let events = self.repo.events(&envelope.id).await?;
        Ok((envelope, events))
    }

    /// Tells each of `signers` it is their turn, by SMS, and records it. Best effort: it runs
    /// after what it announces is stored, so a failure is logged (ids only) and not returned —
    /// the signer still finds the envelope in their list.
    async fn notify(&self, e: &Envelope, signers: &[EnvelopeSigner], at: i64) {
        for s in signers {
            if let Err(err) = self.notify_one(e, s, at).await {
                tracing::warn!(envelope = %e.id, position = s.position, error = %err, "envelope notice not sent");
            }
        }
    }

    async fn notify_one(&self, e: &Envelope, s: &EnvelopeSigner, at: i64) -> ServiceResult<()> {
        let short: String = e.id.chars().take(8).collect();
        self.send_envelope_notice(
            e,
            s.account,
            Some(s.position),
            self.config.sms_envelope_template,
            &[("envelope", &short)],
            at,
        )
        .await
    }

    /// Tells the owner and every signer but `by` that `e` closed, as `e.state` says. Best
    /// effort, like [`Self::notify`]: the close is stored already.
    async fn notify_closed(&self, e: &Envelope, by: Option<AccountId>, at: i64) {
        let short: String = e.id.chars().take(8).collect();
        let state = e.state.as_str();
        let mut told: Vec<AccountId> = by.into_iter().collect();
        let everyone = std::iter::once((e.owner, None))
            .chain(e.signers.iter().map(|s| (s.account, Some(s.position))));
        for (account, position) in everyone {
            if told.contains(&account) {
                continue;
            }
            told.push(account);
            if let Err(err) = self
                .send_envelope_notice(
                    e,
                    account,
                    position,
                    self.config.sms_envelope_closed_template,
                    &[("envelope", &short), ("state", state)],
                    at,
                )
                .await
            {
                tracing::warn!(envelope = %e.id, ?position, error = %err, "envelope closing notice not sent");
            }
        }
    }

    /// Sends one envelope notice to `to`'s real-name mobile, within the per-number limit, and
    /// records its `notified` event; nothing when `to` has no account or no mobile.
    async fn send_envelope_notice(
        &self,
        e: &Envelope,
        to: AccountId,
        position: Option<u32>,
        template: &str,
        params: &[(&str, &str)],
        at: i64,
    ) -> ServiceResult<()> {
        let Some(account) = self.repo.account(to).await? else {
            return Ok(());
        };
        let Some(mobile) = self
            .vault
            .get_string(account.subject, &PERSON_MOBILE)
            .await?
        else {
            return Ok(());
        };
        let mobile = Zeroizing::new(mobile.expose(Purpose::ElectronicSigning)?.to_string());
        // However many senders name them, a person gets a bounded number of notices.
        self.rate_limit(
            "envelope-notice-mobile",
            &mobile,
            self.config.envelope_notices_per_mobile_per_hour,
            3600,
            at,
            "too many envelope notices to this number",
        )
        .await?;
        self.send_notice(&mobile, template, params).await?;
        self.repo
            .push_event(
                &e.id,
                EnvelopeEventKind::Notified,
                Some(to),
                position,
                None,
                at,
            )
            .await?;
        Ok(())
    }

    /// The envelope `id` if `account` owns it or signs in it, with expiry applied.
    pub async fn envelope_for(&self, account: &AccountRecord, id: &str) -> ServiceResult<Envelope> {
        let e = self.repo.envelope(id).await?.ok_or_else(not_found)?;
        if e.owner != account.id && e.signer_of(account.id).is_empty() {
            return Err(not_found());
        }
        let at = now();
        if e.state == EnvelopeState::Sent && e.state_at(at) == EnvelopeState::Expired {
            self.expire(&e.id, at).await?;
            return self.repo.envelope(id).await?.ok_or_else(not_found);
        }
        Ok(e)
    }

    /// Closes the `sent` envelope `id` as expired at `at`, and announces it if this call closed
    /// it (another node, or a reader, may have first). Returns whether it did.
    async fn expire(&self, id: &str, at: i64) -> ServiceResult<bool> {
        if !self
            .repo
            .close_envelope(id, EnvelopeState::Expired, None, None, at)
            .await?
        {
            return Ok(false);
        }
        tracing::info!(envelope = %id, "envelope expired");
        if let Some(closed) = self.repo.envelope(id).await? {
            self.notify_closed(&closed, None, at).await;
        }
        Ok(true)
    }

    /// Closes every envelope still `sent` whose `expires_at` has passed at `at`, announcing each
    /// (issue 6 item 6): `serve` runs it every few minutes, so an envelope nobody opens still
    /// ends when it should and its owner hears of it. Returns the ids this call closed.
    pub async fn expire_envelopes(&self, at: i64) -> ServiceResult<Vec<String>> {
        let mut closed = Vec::new();
        for id in self.repo.expired_envelopes(at, 500).await? {
            match self.expire(&id, at).await {
                Ok(true) => closed.push(id),
                Ok(false) => {}
                Err(e) => tracing::warn!(envelope = %id, error = %e, "expiring an envelope failed"),
            }
        }
        Ok(closed)
    }

    /// The trail of an envelope `account` may see.
    pub async fn envelope_events(
        &self,
        account: &AccountRecord,
        id: &str,
    ) -> ServiceResult<(Envelope, Vec<EnvelopeEvent>)> {
        let e = self.envelope_for(account, id).await?;
        let events = self.repo.events(id).await?;
        Ok((e, events))
    }

    /// The envelopes `account` sent or signs in, newest first.
    pub async fn envelopes_of(&self, account: &AccountRecord) -> ServiceResult<Vec<Envelope>> {
        let at = now();
        let mut out = self.repo.envelopes_of(account.id, 200).await?;
        for e in &mut out {
            if e.state == EnvelopeState::Sent && e.state_at(at) == EnvelopeState::Expired {
                self.expire(&e.id, at).await?;
                e.state = EnvelopeState::Expired;
                e.closed_at = Some(at);
            }
        }
        Ok(out)
    }

    /// The envelope's current version and its bytes (opened under the owner's subject).
    pub async fn envelope_document(
        &self,
        e: &Envelope,
    ) -> ServiceResult<(DocumentRecord, Zeroizing<Vec<u8>>)> {
        let owner = self
            .repo
            .account(e.owner)
            .await?
            .ok_or_else(|| ServiceError::Internal("an envelope without its owner".into()))?;
        self.document(&owner, &e.current).await
    }

    /// The record of the envelope's current version (digests, size, pages), without its bytes.
    pub async fn envelope_record(&self, e: &Envelope) -> ServiceResult<DocumentRecord> {
        Ok(self
            .repo
            .document(&e.current, e.owner)
            .await?
            .ok_or_else(|| ServiceError::Internal("an envelope without its version".into()))?
            .0)
    }

    /// The signatures and versions of `e` (which the caller may see) for its evidence report,
    /// from the `signed` events of its trail and the versions' parent links.
    pub async fn envelope_facts(
        &self,
        e: &Envelope,
        events: &[EnvelopeEvent],
    ) -> ServiceResult<EnvelopeFacts> {
        let broken = |what: &str| ServiceError::Internal(format!("envelope {}: {what}", e.id));
        let mut signatures = Vec::new();
        for ev in events
            .iter()
            .filter(|ev| ev.kind == EnvelopeEventKind::Signed)
        {
            let (Some(account), Some(id)) = (ev.account, ev.reference.as_deref()) else {
                return Err(broken("a signed event without its signature"));
            };
            let record = self
                .repo
                .signature(id, account)
                .await?
                .ok_or_else(|| broken("a signed event whose signature is missing"))?;
            let intent = match &record.intent {
                Some(i) => self.repo.intent(i, account).await?,
                None => None,
            };
            signatures.push((record, intent));
        }
        let mut versions = Vec::new();
        let mut next = Some(e.current.clone());
        while let Some(id) = next {
            if versions.len() > signatures.len() + 1 {
                return Err(broken("a version chain longer than its signatures"));
            }
            let (d, _) = self
                .repo
                .document(&id, e.owner)
                .await?
                .ok_or_else(|| broken("a version is missing"))?;
            next = if d.id == e.document {
                None
            } else {
                d.parent.clone()
            };
            versions.push(d);
        }
        versions.reverse();
        Ok(EnvelopeFacts {
            signatures,
            versions,
        })
    }

    /// Records that `account` read the current version.
    pub async fn envelope_viewed(
        &self,
        account: &AccountRecord,
        e: &Envelope,
    ) -> ServiceResult<()> {
        let position = e.signer_of(account.id).first().map(|s| s.position);
        self.repo
            .push_event(
                &e.id,
                EnvelopeEventKind::Viewed,
                Some(account.id),
                position,
                Some(&e.current),
                now(),
            )
            .await?;
        Ok(())
    }

    /// The signer `account` acts as for this signature (for `enterprise` as its agent, or as
    /// themself), if it is their turn: the refusal says why not.
    pub fn signer_turn<'a>(
        &self,
        account: &AccountRecord,
        e: &'a Envelope,
        enterprise: Option<AccountId>,
    ) -> ServiceResult<&'a EnvelopeSigner> {
        let at = now();
        let state = e.state_at(at);
        if state != EnvelopeState::Sent {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "envelope: it is {}; nothing more is signed in it",
                    state.as_str()
                ),
            )
            .into());
        }
        if e.signer_of(account.id).is_empty() {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "envelope: you are not one of its signers",
            )
            .into());
        }
        let Some(signer) = e
            .signers
            .iter()
            .find(|s| s.account == account.id && s.enterprise == enterprise)
        else {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                if enterprise.is_some() {
                    "enterprise: you are not this envelope's signer for that enterprise"
                } else {
                    "certificate: this envelope asks you to seal for an enterprise, not to sign \
                     as yourself"
                },
            )
            .into());
        };
        if signer.done() {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "envelope: you have signed every field given to you",
            )
            .into());
        }
        let turn = e.turn(at);
        if !turn.iter().any(|s| s.position == signer.position) {
            let first = turn.first().map(|s| s.position).unwrap_or_default();
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "envelope: it is not your turn; the signer at position {first} signs first"
                ),
            )
            .into());
        }
        Ok(signer)
    }

    /// Stores a signature made in `e` by `signer` over `from` (the version it was made over),
    /// with the new version, in one transaction, then notifies whoever's turn it has become.
    #[allow(clippy::too_many_arguments)]
    pub async fn envelope_signed(
        &self,
        e: &Envelope,
        signer: &EnvelopeSigner,
        from: &str,
        record: &SignatureRecord,
        version: &DocumentRecord,
        bytes: &[u8],
        intent_confirmed_at: Option<i64>,
        evidence: &yinxin_domain::ledger::EvidenceEntry,
    ) -> ServiceResult<()> {
        let owner = self
            .repo
            .account(e.owner)
            .await?
            .ok_or_else(|| ServiceError::Internal("an envelope without its owner".into()))?;
        let sealed = self
            .vault
            .seal_record(
                owner.subject,
                &SIGNING_DOCUMENT,
                version.id.as_bytes(),
                bytes,
            )
            .await?;
        let completes = e.signers.iter().all(|s| {
            if s.position == signer.position {
                s.signed_fields as usize + 1 >= s.fields.len()
            } else {
                s.done()
            }
        });
        let signing = EnvelopeSigning {
            envelope: &e.id,
            position: signer.position,
            from_version: from,
            signed_fields: signer.signed_fields,
            record,
            version: (version, &sealed),
            intent_confirmed_at,
            completes,
            evidence,
        };
        match self.repo.envelope_signed(&signing).await? {
            Ok(()) => {}
            Err(EnvelopeRefusal::Intent(r)) => return Err(intent_refused(r).into()),
            Err(EnvelopeRefusal::Moved) => {
                let state = self
                    .repo
                    .envelope(&e.id)
                    .await?
                    .map_or(EnvelopeState::Sent, |x| x.state_at(now()));
                if state != EnvelopeState::Sent {
                    return Err(DomainError::new(
                        ErrorCode::Conflict,
                        format!(
                            "envelope: it is {} now; nothing more is signed in it",
                            state.as_str()
                        ),
                    )
                    .into());
                }
                return Err(DomainError::new(
                    ErrorCode::Conflict,
                    "envelope: it changed while you signed (another signature, or it closed); \
                     read it again and confirm a new intent for its current version",
                )
                .into());
            }
        }
        tracing::info!(envelope = %e.id, position = signer.position, signature = %record.id, completes, "envelope signed");
        if completes {
            if let Ok(Some(done)) = self.repo.envelope(&e.id).await {
                self.notify_closed(&done, Some(signer.account), now()).await;
            }
        } else {
            let before: Vec<u32> = e.turn(now()).iter().map(|s| s.position).collect();
            // Stored already: a failure to read it back only skips the notices.
            if let Ok(Some(after)) = self.repo.envelope(&e.id).await {
                let next: Vec<EnvelopeSigner> = after
                    .turn(now())
                    .into_iter()
                    .filter(|s| !before.contains(&s.position))
                    .cloned()
                    .collect();
                self.notify(&after, &next, now()).await;
            }
        }
        Ok(())
    }

    /// A signer declines: the envelope ends, declined.
    pub async fn decline_envelope(
        &self,
        account: &AccountRecord,
        id: &str,
    ) -> ServiceResult<Envelope> {
        let e = self.envelope_for(account, id).await?;
        let Some(signer) = e.signer_of(account.id).into_iter().find(|s| !s.done()) else {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "envelope: only a signer with fields left to sign may decline",
            )
            .into());
        };
        self.close(&e, EnvelopeState::Declined, account, Some(signer.position))
            .await
    }

    /// The owner cancels a sent envelope.
    pub async fn cancel_envelope(
        &self,
        account: &AccountRecord,
        id: &str,
    ) -> ServiceResult<Envelope> {
        let e = self.envelope_for(account, id).await?;
        if e.owner != account.id {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "envelope: only the one who sent it may cancel it",
            )
            .into());
        }
        self.close(&e, EnvelopeState::Cancelled, account, None)
            .await
    }

    async fn close(
        &self,
        e: &Envelope,
        state: EnvelopeState,
        account: &AccountRecord,
        position: Option<u32>,
    ) -> ServiceResult<Envelope> {
        if !self
            .repo
            .close_envelope(&e.id, state, Some(account.id), position, now())
            .await?
        {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "envelope: it is {} already",
                    self.repo
                        .envelope(&e.id)
                        .await?
                        .map_or("closed", |x| x.state.as_str())
                ),
            )
            .into());
        }
        tracing::info!(envelope = %e.id, state = state.as_str(), "envelope closed");
        let closed = self.repo.envelope(&e.id).await?.ok_or_else(not_found)?;
        self.notify_closed(&closed, Some(account.id), now()).await;
        Ok(closed)
    }
}
