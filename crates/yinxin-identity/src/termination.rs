//! Ending the service (issue 8 item 12, in part; PRIV-12, CERT-8; Electronic Signature Law art.
//! 23; docs/TERMINATION.md): the privacy officer records the plan — the date it ends and the
//! closing notice, at least 90 days ahead — and its clock runs: the subscribers are told (an
//! SMS to every personal account, pointing to the public closing notice) at least 90 days
//! before, the regulator's report made at least 60 days before; then the **closing mode**
//! stops all collection — no registration, no identity verification, no certificate issued —
//! while the subjects' rights (login, export, requests) go on.

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::inventory::PERSON_MOBILE;
use yinxin_domain::pi::Purpose;
use yinxin_domain::staff::StaffRole;
use yinxin_domain::termination::{
    Handover, PlanStep, REGULATOR_REPORT_SECS, SUBSCRIBER_NOTICE_SECS, TerminationPlan,
};
use yinxin_domain::validate::CivilDate;
use yinxin_domain::{DomainError, ErrorCode};

use crate::service::{Accounts, ServiceResult, now};

/// The SMS template of the closing notice (parameter `date`, the last day, YYYY-MM-DD).
pub const TERMINATION_TEMPLATE: &str = "SMS_TERMINATION";

/// The plan with its clock.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TerminationView {
    /// The plan.
    #[serde(flatten)]
    pub plan: TerminationPlan,
    /// The last day, YYYY-MM-DD (Beijing).
    pub terminates_on: String,
    /// Unix second by which the subscribers must be told.
    pub subscriber_notice_due: i64,
    /// Unix second by which the regulator's report must be made.
    pub regulator_report_due: i64,
    /// The subscribers were not told in time.
    pub subscriber_notice_overdue: bool,
    /// The report was not made in time.
    pub regulator_report_overdue: bool,
    /// The handover archives made for a successor (`yinxin admin handover`), oldest first.
    pub handovers: Vec<Handover>,
}

/// The public closing notice.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClosingNotice {
    /// The last day, YYYY-MM-DD (Beijing).
    pub terminates_on: String,
    /// The notice.
    pub notice: String,
    /// Whether collection has stopped already.
    pub closing: bool,
}

fn date_of(terminates_at: i64) -> String {
    // terminates_at is the Beijing midnight ending the last day.
    let d = CivilDate::from_unix_days((terminates_at + 8 * 3600 - 1).div_euclid(86_400));
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

fn no_plan() -> DomainError {
    DomainError::new(ErrorCode::NotFound, "plan: no termination plan is recorded")
}

impl Accounts {
    /// Refuses new collection once the closing mode began (issue 8 item 12).
    pub async fn ensure_collecting(&self) -> ServiceResult<()> {
        if self
            .repo
            .termination_plan()
            .await?
            .is_some_and(|p| p.closing_at.is_some())
        {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "service: it is closing (GET /api/v1/public/closing) and collects nothing new; \
                 you can still log in, export your data and file requests",
            )
            .into());
        }
        Ok(())
    }

    /// The privacy officer records the plan: `terminates_on` (YYYY-MM-DD, the last day) at
    /// least 90 days ahead, and the closing notice (1 to 4,000 characters). Replaces a plan none
    /// of whose steps is done; `409` otherwise.
    pub async fn plan_termination(
        &self,
        officer: &AccountRecord,
        terminates_on: &str,
        notice: &str,
    ) -> ServiceResult<TerminationView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let bad_date = || DomainError::invalid("terminates_on", "a date, YYYY-MM-DD");
        let mut parts = terminates_on.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad_date().into());
        };
        let date = match (y.parse(), m.parse(), d.parse()) {
            (Ok(y), Ok(m), Ok(d)) => CivilDate::new(y, m, d).ok_or_else(bad_date)?,
            _ => return Err(bad_date().into()),
        };
        // The end of the last day, Beijing time.
        let terminates_at = (date.unix_days() + 1) * 86_400 - 8 * 3600;
        let at = now();
        if terminates_at - at < SUBSCRIBER_NOTICE_SECS {
            return Err(DomainError::invalid(
                "terminates_on",
                "at least 90 days ahead: subscribers are told 90 days before (ESL art. 23)",
            )
            .into());
        }
        let notice = notice.trim();
        if notice.is_empty() || notice.chars().count() > 4000 {
            return Err(DomainError::invalid("notice", "1 to 4,000 characters").into());
        }
        let plan = TerminationPlan {
            terminates_at,
            notice: notice.to_owned(),
            recorded_by: officer.id.to_string(),
            recorded_at: at,
            subscribers_notified_at: None,
            regulator_reported_at: None,
            closing_at: None,
        };
        if !self.repo.put_termination_plan(&plan).await? {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "plan: a step of the standing plan is done; it is not replaced",
            )
            .into());
        }
        tracing::warn!(terminates_on, "termination plan recorded");
        self.termination_view().await
    }

    async fn termination_view(&self) -> ServiceResult<TerminationView> {
        let plan = self.repo.termination_plan().await?.ok_or_else(no_plan)?;
        let at = now();
        let subscriber_notice_due = plan.terminates_at - SUBSCRIBER_NOTICE_SECS;
        let regulator_report_due = plan.terminates_at - REGULATOR_REPORT_SECS;
        Ok(TerminationView {
            terminates_on: date_of(plan.terminates_at),
            subscriber_notice_due,
            regulator_report_due,
            subscriber_notice_overdue: plan.subscribers_notified_at.is_none()
                && at > subscriber_notice_due,
            regulator_report_overdue: plan.regulator_reported_at.is_none()
                && at > regulator_report_due,
            handovers: self.repo.handovers().await?,
            plan,
        })
    }

    /// The plan and its clock (privacy officer, auditor).
    pub async fn termination_status(
        &self,
        staff: &AccountRecord,
    ) -> ServiceResult<TerminationView> {
        self.officer_or_auditor(staff).await?;
        self.termination_view().await
    }

    /// Tells every subscriber (an SMS to each personal account's mobile) and publishes the
    /// closing notice; once.
    pub async fn notify_subscribers(
        &self,
        officer: &AccountRecord,
    ) -> ServiceResult<TerminationView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let view = self.termination_view().await?;
        if view.plan.subscribers_notified_at.is_some() {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "plan: subscribers were told already",
            )
            .into());
        }
        let mut told = 0u64;
        for subject in self.repo.subscriber_subjects().await? {
            let Ok(Some(mobile)) = self.vault.get_string(subject, &PERSON_MOBILE).await else {
                continue;
            };
            let mobile = mobile.expose(Purpose::AccountSecurity)?;
            self.send_notice(
                mobile,
                TERMINATION_TEMPLATE,
                &[("date", &view.terminates_on)],
            )
            .await?;
            told += 1;
        }
        self.repo
            .mark_plan_step(PlanStep::SubscribersNotified, now())
            .await?;
        tracing::warn!(told, "subscribers told of the termination");
        self.termination_view().await
    }

    /// The report to the regulator (`yinxin.termination-report.v1`): the date, the notice, the
    /// subscribers and when they were told; recorded as made.
    pub async fn termination_report(&self, officer: &AccountRecord) -> ServiceResult<Value> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let view = self.termination_view().await?;
        let subscribers = self.repo.subscriber_subjects().await?.len();
        self.repo
            .mark_plan_step(PlanStep::RegulatorReported, now())
            .await?;
        let c = &self.controller;
        Ok(json!({
            "type": "yinxin.termination-report.v1",
            "controller": {"name": c.name, "contact": c.contact, "email": c.email},
            "terminates_on": view.terminates_on,
            "notice": view.plan.notice,
            "subscribers": subscribers,
            "subscribers_notified_at": view.plan.subscribers_notified_at,
            "reported_at": now(),
        }))
    }

    /// Begins the closing mode: nothing new is collected. Only once the subscribers were told
    /// and the regulator's report made (`409` otherwise); once.
    pub async fn begin_closing(&self, officer: &AccountRecord) -> ServiceResult<TerminationView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let view = self.termination_view().await?;
        if view.plan.subscribers_notified_at.is_none() || view.plan.regulator_reported_at.is_none()
        {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "plan: tell the subscribers and make the regulator's report first",
            )
            .into());
        }
        if !self.repo.mark_plan_step(PlanStep::Closing, now()).await? {
            return Err(DomainError::new(ErrorCode::Conflict, "plan: closing already").into());
        }
        tracing::warn!("closing mode: collection stopped");
        self.termination_view().await
    }

    /// The public closing notice, once the subscribers were told; `404` before.
    pub async fn closing_notice(&self) -> ServiceResult<ClosingNotice> {
        let plan = self
            .repo
            .termination_plan()
            .await?
            .filter(|p| p.subscribers_notified_at.is_some())
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "no closing notice"))?;
        Ok(ClosingNotice {
            terminates_on: date_of(plan.terminates_at),
            notice: plan.notice,
            closing: plan.closing_at.is_some(),
        })
    }
}
