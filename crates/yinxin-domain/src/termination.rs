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

/// Storage of the plan.
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
}
