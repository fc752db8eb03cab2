//! Erasure propagation (issue 8 item 6; PRIV-15; docs/RETENTION.md, "Erasure propagation").
//!
//! When the retention engine erases an account, or a deletion request deletes some of its
//! fields, every recipient of the subject's data in the disclosure logs — the processors
//! (identity-verification providers) and the relying applications — gets a notice: the
//! disclosures concerned (their ids, the reference the recipient knows each by, the fields, the
//! time) and the fields to erase. No personal information travels: the recipient finds the data
//! by the references.
//!
//! The notices are stored with the erasure itself (the account's erasure writes them in the
//! transaction that deletes the application disclosures they come from), then delivered by
//! [`Accounts::deliver_erasure_notices`], which `serve` runs every minute under a database
//! lease: each is `POST`ed as JSON to the recipient's registered webhook, signed
//!
//! ```text
//! Yinxin-Signature: t=<unix second>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//! Yinxin-Notice-Id: <notice id>
//! ```
//!
//! with the secret shared with that recipient (sealed under the service's key at rest). A `2xx`
//! answer acknowledges it; anything else — another status, a timeout, no channel registered —
//! is recorded as an attempt and retried after 1, 2, 4 … minutes (at most six hours apart)
//! until it is acknowledged, or the privacy officer records an acknowledgment received another
//! way, with a note.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::erasure::{
    ErasureChannel, ErasureNotice, NoticeAttempt, NoticeCause, RecipientKind,
};
use yinxin_domain::staff::StaffRole;
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use zeroize::Zeroizing;

use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The lease name of the delivery job.
const LEASE: &str = "erasure-notices";
/// How long a delivery run may hold the lease.
const LEASE_SECS: i64 = 300;
/// Notices attempted per run.
const BATCH: u32 = 100;
/// The first retry's delay; each further one doubles it …
const FIRST_RETRY_SECS: i64 = 60;
/// … up to this.
const MAX_RETRY_SECS: i64 = 6 * 3600;
/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The payload's type.
pub const PAYLOAD_TYPE: &str = "yinxin.erasure.v1";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "yinxin-signature";
/// The notice id header (the recipient's idempotency key).
pub const NOTICE_ID_HEADER: &str = "yinxin-notice-id";
/// The service-record context the channel secrets are sealed under.
const SECRET_CONTEXT: &str = "erasure-channel";

/// One disclosure a notice concerns, as the recipient knows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeDisclosure {
    /// The disclosure record's id.
    pub id: String,
    /// What the recipient knows it by: the verification id it served (a processor), or the
    /// certificate serial (an application).
    pub reference: String,
    /// The inventory fields it carried.
    pub data_items: Vec<String>,
    /// Unix second.
    pub at: i64,
}

/// The body of a notice (`yinxin.erasure.v1`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticePayload {
    /// `yinxin.erasure.v1`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The notice's id (also `Yinxin-Notice-Id`).
    pub notice: String,
    /// `account_erasure` (erase everything received about the subject) or `deletion_request`
    /// (erase the fields named).
    pub cause: NoticeCause,
    /// Who it is for.
    pub recipient_kind: RecipientKind,
    /// Its register name or id.
    pub recipient: String,
    /// The inventory fields to erase.
    pub fields: Vec<String>,
    /// The disclosures concerned.
    pub disclosures: Vec<NoticeDisclosure>,
    /// Unix second.
    pub issued_at: i64,
}

/// What a delivery run did.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct DeliveryReport {
    /// Notices attempted.
    pub attempted: u64,
    /// Of them, acknowledged.
    pub acknowledged: u64,
    /// Whether another node held the lease (nothing done).
    pub lease_busy: bool,
}

/// A notice with its attempts, for the privacy officer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeView {
    /// The notice.
    #[serde(flatten)]
    pub notice: ErasureNotice,
    /// Every attempt, in order.
    pub attempt_log: Vec<NoticeAttempt>,
}

/// A channel registered, with its secret shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredChannel {
    /// The webhook.
    pub url: String,
    /// The HMAC secret (shown this once when generated here; never again).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub secret: Option<Zeroizing<String>>,
}

/// The delay before attempt `n + 1` after `n` attempts.
fn retry_after(n: u32) -> i64 {
    let doublings = n.saturating_sub(1).min(20);
    FIRST_RETRY_SECS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_SECS)
}

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    // An HMAC key of any length is accepted.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={t},v1={}",
        yinxin_domain::signing::to_hex(&mac.finalize().into_bytes())
    )
}

/// Checks a webhook URL: `https://`, or `http://` to a loopback address; no user information;
/// at most 2,000 characters.
fn check_url(url: &str) -> Result<(), DomainError> {
    let bad = |why: &str| DomainError::invalid("url", why.to_owned());
    if url.len() > 2000 {
        return Err(bad("is at most 2,000 characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| bad("is not a URL"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry user information"));
    }
    let host = parsed.host_str().ok_or_else(|| bad("has no host"))?;
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(bad("must be https:// (http:// only to a loopback address)")),
    }
}

/// Groups disclosures by recipient into notices: with `only`, the disclosures carrying one of
/// those fields, and only those fields to erase; without, everything.
fn group_notices(
    account: AccountId,
    cause: NoticeCause,
    cause_ref: &str,
    only: Option<&[&str]>,
    disclosures: Vec<(RecipientKind, String, NoticeDisclosure)>,
    at: i64,
) -> ServiceResult<Vec<ErasureNotice>> {
    let mut by: BTreeMap<(RecipientKind, String), Vec<NoticeDisclosure>> = BTreeMap::new();
    for (kind, recipient, mut d) in disclosures {
        if let Some(only) = only {
            d.data_items.retain(|i| only.contains(&i.as_str()));
            if d.data_items.is_empty() {
                continue;
            }
        }
        by.entry((kind, recipient)).or_default().push(d);
    }
    by.into_iter()
        .map(|((kind, recipient), disclosures)| {
            let mut fields: Vec<String> = disclosures
                .iter()
                .flat_map(|d| d.data_items.iter().cloned())
                .collect();
            fields.sort();
            fields.dedup();
            let id = uuid::Uuid::new_v4().to_string();
            let payload = serde_json::to_string(&NoticePayload {
                kind: PAYLOAD_TYPE,
                notice: id.clone(),
                cause,
                recipient_kind: kind,
                recipient: recipient.clone(),
                fields,
                disclosures,
                issued_at: at,
            })
            .map_err(|e| ServiceError::Internal(format!("notice payload: {e}")))?;
            Ok(ErasureNotice {
                id,
                account,
                recipient_kind: kind,
                recipient,
                cause,
                cause_ref: cause_ref.to_owned(),
                payload,
                created_at: at,
                attempts: 0,
                next_attempt_at: at,
                last_attempt_at: None,
                last_outcome: None,
                acknowledged_at: None,
                acknowledged_by: None,
                note: None,
            })
        })
        .collect()
}

impl Accounts {
    /// The notices owed for erasing `account`'s data (every field with `only` unset, those
    /// fields otherwise), built from its disclosure logs: one per recipient.
    pub(crate) async fn erasure_notices_for(
        &self,
        account: AccountId,
        cause: NoticeCause,
        cause_ref: &str,
        only: Option<&[&str]>,
        at: i64,
    ) -> ServiceResult<Vec<ErasureNotice>> {
        let mut all = Vec::new();
        for d in self.repo.disclosures_of(account).await? {
            all.push((
                RecipientKind::Processor,
                d.processor,
                NoticeDisclosure {
                    id: d.id.to_string(),
                    reference: d.verification.to_string(),
                    data_items: d.data_items,
                    at: d.at,
                },
            ));
        }
        for d in self.repo.app_disclosures_of(account).await? {
            all.push((
                RecipientKind::App,
                d.app,
                NoticeDisclosure {
                    id: d.id.to_string(),
                    reference: d.serial,
                    data_items: d.data_items,
                    at: d.at,
                },
            ));
        }
        group_notices(account, cause, cause_ref, only, all, at)
    }

    /// Registers `recipient`'s webhook. With `secret` (agreed with a processor, from the
    /// configuration) that secret is used; without, one is generated and returned, once.
    pub async fn set_erasure_channel(
        &self,
        kind: RecipientKind,
        recipient: &str,
        url: &str,
        secret: Option<&[u8]>,
    ) -> ServiceResult<RegisteredChannel> {
        check_url(url)?;
        let generated = match secret {
            Some(s) if s.len() < 16 => {
                return Err(DomainError::invalid(
                    "erasure_webhook_secret",
                    "must be at least 16 bytes",
                )
                .into());
            }
            Some(_) => None,
            None => {
                let mut raw = Zeroizing::new([0u8; 32]);
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, raw.as_mut());
                Some(Zeroizing::new(format!(
                    "whsec_{}",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_ref())
                )))
            }
        };
        let plain: &[u8] = match (&generated, secret) {
            (Some(g), _) => g.as_bytes(),
            (None, Some(s)) => s,
            (None, None) => &[],
        };
        let record_id = format!("{}/{recipient}", kind.as_str());
        self.repo
            .upsert_erasure_channel(&ErasureChannel {
                kind,
                recipient: recipient.to_owned(),
                url: url.to_owned(),
                secret_sealed: self
                    .vault
                    .seal_service_record(SECRET_CONTEXT, &record_id, plain),
                updated_at: now(),
            })
            .await?;
        tracing::info!(
            kind = kind.as_str(),
            recipient,
            "erasure channel registered"
        );
        Ok(RegisteredChannel {
            url: url.to_owned(),
            secret: generated,
        })
    }

    /// Delivers the notices due at `at` (see the module documentation) under the database
    /// lease, as `holder`. Another node's standing lease: nothing done, `lease_busy`.
    pub async fn deliver_erasure_notices(
        &self,
        at: i64,
        holder: &str,
    ) -> ServiceResult<DeliveryReport> {
        let mut report = DeliveryReport::default();
        if !self
            .repo
            .try_lease(LEASE, holder, now().saturating_add(LEASE_SECS), now())
            .await?
        {
            report.lease_busy = true;
            return Ok(report);
        }
        let result = self.deliver_due(at, &mut report).await;
        self.repo.release_lease(LEASE, holder).await?;
        result.map(|()| report)
    }

    async fn deliver_due(&self, at: i64, report: &mut DeliveryReport) -> ServiceResult<()> {
        let due = self.repo.due_erasure_notices(at, BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ServiceError::Internal(format!("HTTP client: {e}")))?;
        for n in due {
            let outcome = self.attempt(&client, &n).await?;
            let acknowledged = outcome.starts_with("http 2");
            let attempt = NoticeAttempt {
                n: n.attempts.saturating_add(1),
                at,
                outcome,
                acknowledged,
            };
            let next = at.saturating_add(retry_after(attempt.n));
            if self
                .repo
                .record_notice_attempt(&n.id, &attempt, next)
                .await?
            {
                report.attempted += 1;
                report.acknowledged += u64::from(acknowledged);
                tracing::info!(
                    notice = %n.id,
                    kind = n.recipient_kind.as_str(),
                    recipient = %n.recipient,
                    attempt = attempt.n,
                    outcome = %attempt.outcome,
                    "erasure notice attempted"
                );
            }
        }
        Ok(())
    }

    /// One delivery: the outcome as recorded (`http <status>`, `timeout`, `connect`, `no
    /// channel`, `transport`). Nothing of the answer's body is kept.
    async fn attempt(&self, client: &reqwest::Client, n: &ErasureNotice) -> ServiceResult<String> {
        let Some(channel) = self
            .repo
            .erasure_channel(n.recipient_kind, &n.recipient)
            .await?
        else {
            return Ok("no channel".to_owned());
        };
        let record_id = format!("{}/{}", n.recipient_kind.as_str(), n.recipient);
        let secret =
            self.vault
                .open_service_record(SECRET_CONTEXT, &record_id, &channel.secret_sealed)?;
        let sig = signature(&secret, now(), n.payload.as_bytes());
        let sent = client
            .post(&channel.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sig)
            .header(NOTICE_ID_HEADER, &n.id)
            .body(n.payload.clone())
            .send()
            .await;
        Ok(match sent {
            Ok(r) => format!("http {}", r.status().as_u16()),
            Err(e) if e.is_timeout() => "timeout".to_owned(),
            Err(e) if e.is_connect() => "connect".to_owned(),
            Err(_) => "transport".to_owned(),
        })
    }

    /// Erasure notices with their attempts, newest first (pending ones only when
    /// `pending_only`), for the privacy officer or the auditor.
    pub async fn staff_erasure_notices(
        &self,
        staff: &AccountRecord,
        pending_only: bool,
    ) -> ServiceResult<Vec<NoticeView>> {
        self.officer_or_auditor(staff).await?;
        let mut out = Vec::new();
        for notice in self.repo.erasure_notices(pending_only, 500).await? {
            let attempt_log = self.repo.notice_attempts(&notice.id).await?;
            out.push(NoticeView {
                notice,
                attempt_log,
            });
        }
        Ok(out)
    }

    /// The privacy officer records that a pending notice was acknowledged another way (a
    /// recipient without a webhook confirmed by letter, say), with a note of how: 1 to 500
    /// characters. `409` if it was acknowledged already.
    pub async fn acknowledge_erasure_notice(
        &self,
        officer: &AccountRecord,
        id: &str,
        note: &str,
    ) -> ServiceResult<ErasureNotice> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 500 || note.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "note",
                "says how the recipient acknowledged: 1 to 500 characters, no control characters",
            )
            .into());
        }
        let not_found = || DomainError::new(ErrorCode::NotFound, "notice: no such erasure notice");
        self.repo.erasure_notice(id).await?.ok_or_else(not_found)?;
        if !self
            .repo
            .acknowledge_notice(id, &officer.id.to_string(), note, now())
            .await?
        {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "notice: it was acknowledged already",
            )
            .into());
        }
        tracing::info!(notice = %id, officer = %officer.id, "erasure notice acknowledged by hand");
        Ok(self.repo.erasure_notice(id).await?.ok_or_else(not_found)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_six_hours() {
        assert_eq!(retry_after(1), 60);
        assert_eq!(retry_after(2), 120);
        assert_eq!(retry_after(3), 240);
        assert_eq!(retry_after(9), 60 * 256);
        assert_eq!(retry_after(10), 6 * 3600);
        assert_eq!(retry_after(u32::MAX), 6 * 3600);
    }

    #[test]
    fn webhook_urls_are_https_or_loopback() {
        for ok in [
            "https://hooks.example.com/erasure",
            "http://127.0.0.1:9000/e",
            "http://localhost/e",
            "http://[::1]:8080/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com/erasure",
            "ftp://127.0.0.1/",
            "https://user:pw@example.com/",
            "not a url",
            "",
        ] {
            let e = check_url(bad).unwrap_err();
            assert!(e.message.starts_with("url"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_time_and_body() {
        let s = signature(b"Jefe", 1, b"what do ya want for nothing?");
        assert!(s.starts_with("t=1,v1="), "{s}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1.what do ya want for nothing?");
        let hex = yinxin_domain::signing::to_hex(&mac.finalize().into_bytes());
        assert_eq!(s, format!("t=1,v1={hex}"));
        assert_ne!(s, signature(b"Jeff", 1, b"what do ya want for nothing?"));
    }
}
