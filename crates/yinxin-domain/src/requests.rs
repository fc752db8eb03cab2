//! Data-subject requests (issue 8 item 1; PRIV-14, ACC-6): access, copy, correction, deletion,
//! consent withdrawal and account cancellation, each with a state machine, a due date, a record
//! of every step, and refusals that name one of the listed grounds (000 §11.4; 001 4.5).
//!
//! States: `received` → `identity_verified` → `in_progress` → `fulfilled` | `partly_fulfilled`
//! | `refused`; a request may also be closed (any of the three) straight from
//! `identity_verified`, and refused from `received` (an identity that does not check out).
//! The due date runs from identity verification: 15 calendar days by default, and for an
//! account cancellation 15 **working** days on the mainland calendar ([`WorkCalendar`]); both
//! configurable.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::AccountId;
use crate::repo::StoreResult;
use crate::validate::CivilDate;

wire_enum!(
    /// What the subject asks for (PRIV-14).
    RequestKind {
        /// To see what is held about them (003 5.1).
        Access = "access",
        /// A copy of it (004).
        Copy = "copy",
        /// To correct a field.
        Correction = "correction",
        /// To delete data, on one of the grounds of 004 4.2.
        Deletion = "deletion",
        /// To withdraw a consent.
        ConsentWithdrawal = "consent_withdrawal",
        /// To cancel the account (ACC-6).
        Cancellation = "cancellation",
    }
);

wire_enum!(
    /// Where a request stands.
    RequestState {
        /// Filed; the requester's identity not yet verified (the public form).
        Received = "received",
        /// The requester is the subject: the clock runs.
        IdentityVerified = "identity_verified",
        /// Staff are working on it.
        InProgress = "in_progress",
        /// Done.
        Fulfilled = "fulfilled",
        /// Done in part; the rest refused on a ground.
        PartlyFulfilled = "partly_fulfilled",
        /// Refused on a ground.
        Refused = "refused",
    }
);

impl RequestState {
    /// Whether nothing more happens to the request.
    pub fn closed(self) -> bool {
        matches!(
            self,
            Self::Fulfilled | Self::PartlyFulfilled | Self::Refused
        )
    }

    /// Whether `self` may move to `to`.
    pub fn may_become(self, to: RequestState) -> bool {
        use RequestState::*;
        matches!(
            (self, to),
            (Received, IdentityVerified | Refused)
                | (
                    IdentityVerified,
                    InProgress | Fulfilled | PartlyFulfilled | Refused
                )
                | (InProgress, Fulfilled | PartlyFulfilled | Refused)
        )
    }
}

wire_enum!(
    /// Why a request is not (fully) met: the grounds of 000 §11.4 / 001 4.5, and the
    /// unreasonable requests the same sections allow refusing.
    RefusalGround {
        /// Related to the controller's performance of a legal obligation.
        LegalObligation = "legal_obligation",
        /// Directly related to national security or national defence.
        NationalSecurity = "national_security",
        /// Directly related to public safety, public health or major public interests.
        PublicInterest = "public_interest",
        /// Directly related to criminal investigation, prosecution, trial or enforcement.
        CriminalProceedings = "criminal_proceedings",
        /// Sufficient evidence of the subject's malice or abuse of rights.
        AbuseOfRights = "abuse_of_rights",
        /// To protect the life or property of the subject or others when consent is hard to get.
        VitalInterests = "vital_interests",
        /// Answering would seriously harm the rights of the subject or of others.
        HarmToOthers = "harm_to_others",
        /// It involves trade secrets.
        TradeSecret = "trade_secret",
        /// Unduly repetitive.
        UndulyRepetitive = "unduly_repetitive",
        /// It would need excessive technical means (a new system, a change of practice).
        ExcessiveTechnicalMeans = "excessive_technical_means",
        /// Very impractical (e.g. information on backup media).
        Impractical = "impractical",
        /// The requester's identity did not check out (a request through the public form whose
        /// identity verification did not match the account's holder).
        IdentityNotVerified = "identity_not_verified",
    }
);

/// One data-subject request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubjectRequest {
    /// Random id.
    pub id: String,
    /// The subject.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// What is asked.
    pub kind: RequestKind,
    /// What it concerns, by name only: the inventory field to correct or the fields to delete,
    /// the consent scope to withdraw. Never a value.
    pub scope: Vec<String>,
    /// For a deletion, its ground (004 4.2): `unlawful_processing`, `no_consent`,
    /// `breach_of_agreement`, `no_longer_used`, `service_ended`.
    pub ground: Option<String>,
    /// Where it stands.
    pub state: RequestState,
    /// Unix second it was filed.
    pub received_at: i64,
    /// Unix second the requester's identity was verified (the clock's start).
    pub identity_verified_at: Option<i64>,
    /// Unix second by which it must be answered.
    pub due_at: Option<i64>,
    /// Unix second it was closed.
    pub closed_at: Option<i64>,
    /// The refusal's ground (a refusal or partial fulfilment), shown to the requester.
    pub refusal_ground: Option<RefusalGround>,
    /// More requests of this kind in the period than configured: flagged for staff (PRIV-14:
    /// free unless excessive).
    pub excessive: bool,
}

/// One step of a request's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RequestStep {
    /// From 1, in order.
    pub seq: u32,
    /// Unix second.
    pub at: i64,
    /// `subject`, `system` or `staff:<role>`.
    pub actor: String,
    /// What happened: a state's name, or `reminded`.
    pub event: String,
    /// The refusal ground, if the step is one.
    pub ground: Option<RefusalGround>,
}

/// Which requests staff list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only open ones (not closed).
    pub open_only: bool,
    /// Only those due at or before this Unix second.
    pub due_by: Option<i64>,
    /// Only those not yet reminded.
    pub unreminded_only: bool,
}

/// The mainland working calendar: Monday to Friday, less the public holidays, plus the
/// weekend days worked in their place (调休), as the State Council publishes them each year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Public holidays (off even on a weekday).
    pub holidays: Vec<CivilDate>,
    /// Weekend days that are working days.
    pub adjusted_workdays: Vec<CivilDate>,
}

impl WorkCalendar {
    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: CivilDate) -> bool {
        if self.adjusted_workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        // 1970-01-01 was a Thursday: 0 = Thursday … 2 = Saturday, 3 = Sunday.
        !matches!(d.unix_days().rem_euclid(7), 2 | 3)
    }

    /// The end (Beijing midnight after) of the `n`th working day after the day of `from`
    /// (Beijing time), as a Unix second.
    pub fn after_working_days(&self, from: i64, n: u32) -> i64 {
        let beijing = 8 * 3600;
        let mut day = (from + beijing).div_euclid(86_400);
        let mut left = n;
        while left > 0 {
            day += 1;
            if self.is_working_day(CivilDate::from_unix_days(day)) {
                left -= 1;
            }
        }
        (day + 1) * 86_400 - beijing
    }
}

/// Data-subject requests and their steps.
#[async_trait]
pub trait RequestRepo: Send + Sync + std::fmt::Debug {
    /// Stores a new request with its first steps.
    async fn insert_subject_request(
        &self,
        r: &SubjectRequest,
        steps: &[RequestStep],
    ) -> StoreResult<()>;

    /// The request `id`.
    async fn subject_request(&self, id: &str) -> StoreResult<Option<SubjectRequest>>;

    /// `account`'s requests, newest first.
    async fn subject_requests_of(&self, account: AccountId) -> StoreResult<Vec<SubjectRequest>>;

    /// Requests matching `filter`, the soonest due first (at most `limit`).
    async fn subject_requests(
        &self,
        filter: RequestFilter,
        limit: u32,
    ) -> StoreResult<Vec<SubjectRequest>>;

    /// How many requests of `kind` `account` filed since `since`.
    async fn count_subject_requests(
        &self,
        account: AccountId,
        kind: RequestKind,
        since: i64,
    ) -> StoreResult<u32>;

    /// Moves the request from `from` to the state in `r` (with its times and ground) and
    /// appends `step`, in one transaction; `false` (nothing written) if it was no longer in
    /// `from`.
    async fn update_subject_request(
        &self,
        r: &SubjectRequest,
        from: RequestState,
        step: &RequestStep,
    ) -> StoreResult<bool>;

    /// Appends a step that changes no state (a reminder); `false` if an identical `event` is
    /// already recorded for the request (reminders are sent once).
    async fn push_subject_request_step_once(
        &self,
        id: &str,
        step: &RequestStep,
    ) -> StoreResult<bool>;

    /// Appends a step to a request open or closed (the delivery of a fulfilled request's data);
    /// `false` if an identical `event` is already recorded (it happens once).
    async fn push_closed_request_step_once(
        &self,
        id: &str,
        step: &RequestStep,
    ) -> StoreResult<bool>;

    /// The request's steps, in order.
    async fn subject_request_steps(&self, id: &str) -> StoreResult<Vec<RequestStep>>;

    /// Stores the SHA-256 of a public-form request's ticket (before the request itself), with
    /// the keyed pseudonym of the mobile the requester proved (for the delivery of the data).
    async fn insert_request_ticket(
        &self,
        ticket_hash: &[u8],
        request: &str,
        mobile_pseudonym: Option<&[u8]>,
        at: i64,
    ) -> StoreResult<()>;

    /// The request id of a ticket's SHA-256.
    async fn request_by_ticket(&self, ticket_hash: &[u8]) -> StoreResult<Option<String>>;

    /// The mobile pseudonym stored with a ticket (`None`: no such ticket, or one filed before
    /// pseudonyms were kept).
    async fn ticket_mobile_pseudonym(&self, ticket_hash: &[u8]) -> StoreResult<Option<Vec<u8>>>;

    /// Forgets a ticket's mobile pseudonym (its data was delivered).
    async fn clear_ticket_pseudonym(&self, ticket_hash: &[u8]) -> StoreResult<()>;

    /// Forgets the mobile pseudonyms of tickets whose requests closed before `closed_before`
    /// (their delivery window is over); returns how many.
    async fn clear_stale_ticket_pseudonyms(&self, closed_before: i64) -> StoreResult<u64>;

    /// Stores the value a correction request proposes for `field`, sealed (before the request).
    async fn insert_correction_proposal(
        &self,
        request: &str,
        field: &str,
        sealed: &[u8],
    ) -> StoreResult<()>;

    /// The sealed value a correction request proposes.
    async fn correction_proposal(&self, request: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Deletes it (the request is closed).
    async fn delete_correction_proposal(&self, request: &str) -> StoreResult<()>;

    /// Records that an identity field of `account` was corrected: its verifications so far
    /// stop counting (the newest one's id is kept; ids are time-ordered).
    async fn mark_identity_corrected(&self, account: AccountId) -> StoreResult<()>;

    /// The id of the newest verification of `account` that no longer counts, if any.
    async fn verifications_void_through(&self, account: AccountId) -> StoreResult<Option<String>>;

    /// Flags every certificate of `holder` still valid at `at` (not revoked, not expired) for
    /// renewal: it carries the old value of `field`. Returns their serials.
    async fn flag_certificates_for_renewal(
        &self,
        holder: AccountId,
        field: &str,
        request: &str,
        at: i64,
    ) -> StoreResult<Vec<String>>;

    /// The renewal flags of `holder`'s certificates.
    async fn renewal_flags_of(&self, holder: AccountId) -> StoreResult<Vec<RenewalFlag>>;
}

/// A certificate flagged for renewal: it carries a value its holder had corrected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RenewalFlag {
    /// The certificate.
    pub serial: String,
    /// The field corrected.
    pub field: String,
    /// The correction request.
    pub request: String,
    /// Unix second.
    pub flagged_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).unwrap()
    }

    #[test]
    fn the_state_machine_moves_forward_only() {
        use RequestState::*;
        assert!(Received.may_become(IdentityVerified));
        assert!(IdentityVerified.may_become(Refused));
        assert!(InProgress.may_become(PartlyFulfilled));
        assert!(!Fulfilled.may_become(InProgress));
        assert!(!Refused.may_become(Fulfilled));
        assert!(!Received.may_become(Fulfilled), "identity first");
        assert!(Fulfilled.closed() && !InProgress.closed());
    }

    /// Working days skip weekends and holidays and count adjusted working weekends: from
    /// Wednesday 2026-09-30, with 10-01..10-07 a holiday and Saturday 10-10 worked, the first
    /// working day after is Thursday 10-08, the third Saturday 10-10.
    #[test]
    fn working_days_follow_the_calendar() {
        let cal = WorkCalendar {
            holidays: (1..=7).map(|n| d(2026, 10, n)).collect(),
            adjusted_workdays: vec![d(2026, 10, 10)],
        };
        assert!(!cal.is_working_day(d(2026, 10, 3)));
        assert!(cal.is_working_day(d(2026, 10, 10)));
        assert!(!cal.is_working_day(d(2026, 10, 11)), "a Sunday");
        let noon = |c: CivilDate| c.unix_days() * 86_400 + 4 * 3600; // 12:00 Beijing
        let end_of = |c: CivilDate| (c.unix_days() + 1) * 86_400 - 8 * 3600;
        let from = noon(d(2026, 9, 30));
        assert_eq!(cal.after_working_days(from, 1), end_of(d(2026, 10, 8)));
        assert_eq!(cal.after_working_days(from, 3), end_of(d(2026, 10, 10)));
        assert_eq!(cal.after_working_days(from, 4), end_of(d(2026, 10, 12)));
        // No holidays: 15 working days from a Monday end on the Monday three weeks later.
        let plain = WorkCalendar::default();
        assert_eq!(
            plain.after_working_days(noon(d(2026, 11, 2)), 15),
            end_of(d(2026, 11, 23))
        );
    }
}
