//! Ending the service (issue 8 item 12; PRIV-12, CERT-8; Electronic Signature Law art. 23;
//! docs/TERMINATION.md): the plan with its clock — subscribers told at least 90 days before,
//! the regulator at least 60 days before — and the closing mode, which stops all collection.

use async_trait::async_trait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::repo::StoreResult;

/// Subscribers are told at least this long before the end (ESL art. 23: 90 days).
pub const SUBSCRIBER_NOTICE_SECS: i64 = 90 * 86_400;
/// The regulator is told at least this long before the end (ESL art. 23: 60 days).
pub const REGULATOR_REPORT_SECS: i64 = 60 * 86_400;

/// The plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TerminationPlan {
    /// Unix second the service ends (Beijing midnight of the date given).
    pub terminates_at: i64,
    /// The closing notice, as published.
    pub notice: String,
    /// Who recorded it (the privacy officer's account id).
    pub recorded_by: String,
    /// Unix second.
    pub recorded_at: i64,
    /// Unix second the subscribers were told.
    pub subscribers_notified_at: Option<i64>,
    /// Unix second the regulator's report was made.
    pub regulator_reported_at: Option<i64>,
    /// Unix second the closing mode began (nothing is collected any more).
    pub closing_at: Option<i64>,
}

/// Which step of the plan to mark done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanStep {
    /// The subscribers were told.
    SubscribersNotified,
    /// The regulator's report was made.
    RegulatorReported,
    /// Closing mode began.
    Closing,
}

/// One handover archive made for a successor provider (issue 8 item 12; Electronic Signature
/// Law art. 23, PIPL art. 22): who made it, for whom, and the digest of what was handed over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Handover {
    /// Its id (UUID).
    pub id: String,
    /// Unix second.
    pub made_at: i64,
    /// The operator at the console.
    pub operator: String,
    /// The successor's certificate subject, as RFC 4514 text.
    pub successor_subject: String,
    /// SHA-256 of the successor's certificate, lower-case hex.
    pub successor_fingerprint: String,
    /// SHA-256 of the archive written (the enveloped DER), lower-case hex.
    pub archive_sha256: String,
    /// Certificate holders in it.
    pub holders: u64,
    /// Certificates in it.
    pub certificates: u64,
}

/// Storage of the plan and its handovers.
#[async_trait]
pub trait TerminationRepo: Send + Sync + std::fmt::Debug {
    /// The plan, if there is one.
    async fn termination_plan(&self) -> StoreResult<Option<TerminationPlan>>;

    /// Records the plan (replacing one whose steps have not begun); false if a plan with a
    /// step done stands.
    async fn put_termination_plan(&self, p: &TerminationPlan) -> StoreResult<bool>;

    /// Marks a step done at `at` (once); false if it was done already or there is no plan.
    async fn mark_plan_step(&self, step: PlanStep, at: i64) -> StoreResult<bool>;

    /// The subjects of the personal accounts not cancelled, the subscribers to tell.
    async fn subscriber_subjects(&self) -> StoreResult<Vec<crate::ids::SubjectId>>;

    /// Records a handover archive made, with its evidence entry, in one transaction.
    async fn insert_handover(
        &self,
        h: &Handover,
        evidence: &crate::ledger::EvidenceEntry,
    ) -> StoreResult<()>;

    /// The handovers made, oldest first.
    async fn handovers(&self) -> StoreResult<Vec<Handover>>;

    /// Accounts holding at least one certificate record, in id order, after `after`, at most
    /// `limit`: the holders a handover walks.
    async fn certificate_holders(
        &self,
        after: Option<crate::AccountId>,
        limit: u32,
    ) -> StoreResult<Vec<crate::AccountId>>;
}
