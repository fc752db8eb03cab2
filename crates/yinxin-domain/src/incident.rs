//! Personal-information incidents (issue 8 item 11; PRIV-11; PIPL art. 57; docs/INCIDENTS.md):
//! what happened, its scope, the subjects it affected — found from the records of who received
//! what (the disclosure logs and staff accesses) — and the notice each was sent.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::AccountId;
use crate::repo::StoreResult;

/// Where an incident happened and when: the subjects affected are those whose data one of
/// these received within the window (with one of `fields`, when given).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentScope {
    /// Processors (register names) where it happened.
    #[serde(default)]
    pub processors: Vec<String>,
    /// Relying applications (ids) where it happened.
    #[serde(default)]
    pub apps: Vec<String>,
    /// Staff accounts (ids) whose accesses were compromised or misused.
    #[serde(default)]
    pub staff: Vec<String>,
    /// Inventory fields concerned (none: any).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Unix second the window opens.
    pub from: i64,
    /// Unix second it closes.
    pub to: i64,
}

/// What every copy of an incident's notice says (PIPL art. 57): the record, the subjects'
/// notice, the public notice and the regulator's report carry these, flattened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentTexts {
    /// A short title.
    pub title: String,
    /// What happened: cause, time, kinds of information (PIPL art. 57(1)).
    pub what_happened: String,
    /// The possible impact on the subjects (art. 57(1)).
    pub impact: String,
    /// The measures taken (art. 57(2)).
    pub measures: String,
    /// What the subjects can do to reduce the harm (art. 57(2)).
    pub advice: String,
    /// Remedies offered to the subjects (GB/T 35273 §10.2).
    pub remedies: String,
    /// Whom to contact (art. 57(3)).
    pub contact: String,
}

/// An incident as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Incident {
    /// Random id.
    pub id: String,
    /// What its notices say.
    #[serde(flatten)]
    pub texts: IncidentTexts,
    /// Where and when.
    pub scope: IncidentScope,
    /// The privacy officer who recorded it.
    #[schema(value_type = String, format = Uuid)]
    pub recorded_by: AccountId,
    /// Unix second.
    pub recorded_at: i64,
    /// Unix second the public notice was published, if it was.
    pub published_at: Option<i64>,
}

/// How far the notices of an incident went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct NoticeCounts {
    /// Subjects affected.
    pub affected: u64,
    /// Of them, notified through their contact channel.
    pub notified: u64,
    /// Of them, without a channel (no mobile held: erased, say) — reached by the public notice.
    pub unreachable: u64,
}

/// Storage of incidents.
#[async_trait]
pub trait IncidentRepo: Send + Sync + std::fmt::Debug {
    /// Subjects whose data the scope's recipients received within its window (with one of its
    /// fields, when given), each once.
    async fn affected_subjects(&self, scope: &IncidentScope) -> StoreResult<Vec<AccountId>>;

    /// Stores an incident with its affected subjects, in one transaction.
    async fn insert_incident(&self, i: &Incident, affected: &[AccountId]) -> StoreResult<()>;

    /// An incident.
    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>>;

    /// Incidents, newest first.
    async fn incidents(&self, limit: u32) -> StoreResult<Vec<Incident>>;

    /// Affected subjects not yet notified.
    async fn unnotified_subjects(&self, incident: &str) -> StoreResult<Vec<AccountId>>;

    /// Records that `account` was notified at `at` through `channel` (`sms`, `none`).
    async fn mark_notified(
        &self,
        incident: &str,
        account: AccountId,
        channel: &str,
        at: i64,
    ) -> StoreResult<()>;

    /// The counts of an incident's notices.
    async fn notice_counts(&self, incident: &str) -> StoreResult<NoticeCounts>;

    /// Publishes the public notice (once); false if it was published already.
    async fn publish_incident(&self, id: &str, at: i64) -> StoreResult<bool>;

    /// The incidents that affected `account`, newest first.
    async fn incidents_of(&self, account: AccountId) -> StoreResult<Vec<Incident>>;
}
