//! Erasure propagation (issue 8 item 6; PRIV-15): when a subject's data is erased by the
//! retention engine, or some of it deleted on a deletion request, every processor and relying
//! application that received it — as the disclosure logs record — is sent a notice through its
//! registered channel (a webhook), retried until acknowledged, each attempt recorded
//! (docs/RETENTION.md, "Erasure propagation").
//!
//! A notice holds no personal information: the disclosures' ids, the references the recipient
//! knows them by (a verification id, a certificate serial), inventory field names and times.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::AccountId;
use crate::repo::StoreResult;

/// Who received a subject's data.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A processor of the register (an identity-verification provider; IDV-3).
    Processor,
    /// A relying application (CERT-6).
    App,
}

impl RecipientKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processor => "processor",
            Self::App => "app",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "processor" => Some(Self::Processor),
            "app" => Some(Self::App),
            _ => None,
        }
    }
}

/// Why a notice was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeCause {
    /// The account was erased (cancellation plus the grace period): erase everything received.
    AccountErasure,
    /// A deletion request was carried out: erase the fields named.
    DeletionRequest,
}

impl NoticeCause {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountErasure => "account_erasure",
            Self::DeletionRequest => "deletion_request",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "account_erasure" => Some(Self::AccountErasure),
            "deletion_request" => Some(Self::DeletionRequest),
            _ => None,
        }
    }
}

/// A recipient's registered channel: the webhook notices are posted to, and the secret they are
/// signed under (sealed under the service's key; never serialized).
#[derive(Clone, PartialEq, Eq)]
pub struct ErasureChannel {
    /// Processor or application.
    pub kind: RecipientKind,
    /// The processor's register name or the application's id.
    pub recipient: String,
    /// `https://…` (or `http://` on a loopback address).
    pub url: String,
    /// The HMAC secret, sealed.
    pub secret_sealed: Vec<u8>,
    /// Unix second.
    pub updated_at: i64,
}

impl std::fmt::Debug for ErasureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErasureChannel")
            .field("kind", &self.kind)
            .field("recipient", &self.recipient)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A notice of erasure to one recipient, and where its delivery stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErasureNotice {
    /// Random id (the recipient's idempotency key: `Yinxin-Notice-Id`).
    pub id: String,
    /// Whose data (pseudonymous account id; not sent to the recipient).
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// Processor or application.
    pub recipient_kind: RecipientKind,
    /// Its register name or id.
    pub recipient: String,
    /// Why.
    pub cause: NoticeCause,
    /// The account id for an erasure, the request id for a deletion request.
    pub cause_ref: String,
    /// The JSON body posted (ids, field names, times): what the signature covers.
    pub payload: String,
    /// Unix second.
    pub created_at: i64,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Unix second of the next attempt (while unacknowledged).
    pub next_attempt_at: i64,
    /// Unix second of the last attempt.
    pub last_attempt_at: Option<i64>,
    /// The last attempt's outcome (`http 200`, `http 503`, `timeout`, `no channel`, …).
    pub last_outcome: Option<String>,
    /// Unix second of acknowledgment; none while pending.
    pub acknowledged_at: Option<i64>,
    /// `webhook` (a 2xx answer), or the privacy officer's account id (acknowledged another way).
    pub acknowledged_by: Option<String>,
    /// The privacy officer's note of an acknowledgment another way.
    pub note: Option<String>,
}

/// One delivery attempt of a notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct NoticeAttempt {
    /// 1, 2, …
    pub n: u32,
    /// Unix second.
    pub at: i64,
    /// `http 200`, `http 503`, `timeout`, `connect`, `no channel`, …
    pub outcome: String,
    /// Whether it acknowledged the notice.
    pub acknowledged: bool,
}

/// Storage of channels, notices and attempts.
#[async_trait]
pub trait ErasureRepo: Send + Sync + std::fmt::Debug {
    /// Registers or replaces a recipient's channel.
    async fn upsert_erasure_channel(&self, c: &ErasureChannel) -> StoreResult<()>;

    /// A recipient's channel.
    async fn erasure_channel(
        &self,
        kind: RecipientKind,
        recipient: &str,
    ) -> StoreResult<Option<ErasureChannel>>;

    /// Stores notices; one of the same recipient, cause and reference as a stored one is left
    /// out (a run that is repeated notifies once). Returns how many were stored.
    async fn insert_erasure_notices(&self, notices: &[ErasureNotice]) -> StoreResult<u64>;

    /// Unacknowledged notices whose next attempt is at or before `at`, the earliest first.
    async fn due_erasure_notices(&self, at: i64, limit: u32) -> StoreResult<Vec<ErasureNotice>>;

    /// Records an attempt (the `attempts`-th) in one transaction: the attempt row, the notice's
    /// last outcome, and either its acknowledgment or its next attempt. False if the notice was
    /// acknowledged meanwhile (nothing written).
    async fn record_notice_attempt(
        &self,
        id: &str,
        attempt: &NoticeAttempt,
        next_attempt_at: i64,
    ) -> StoreResult<bool>;

    /// A notice by id.
    async fn erasure_notice(&self, id: &str) -> StoreResult<Option<ErasureNotice>>;

    /// Notices, newest first (unacknowledged ones only when `pending_only`).
    async fn erasure_notices(
        &self,
        pending_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<ErasureNotice>>;

    /// A notice's attempts, in order.
    async fn notice_attempts(&self, id: &str) -> StoreResult<Vec<NoticeAttempt>>;

    /// Acknowledges a pending notice by `by` with `note`; false if it was not pending.
    async fn acknowledge_notice(
        &self,
        id: &str,
        by: &str,
        note: &str,
        at: i64,
    ) -> StoreResult<bool>;
}
