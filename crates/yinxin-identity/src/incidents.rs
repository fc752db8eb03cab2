//! Personal-information incidents (issue 8 item 11; PRIV-11; PIPL art. 57; GB/T 35273 §10;
//! docs/INCIDENTS.md).
//!
//! The privacy officer records an incident — what happened, its impact, the measures taken,
//! advice to the subjects, remedies, whom to contact — with its **scope**: the processors,
//! relying applications or staff accounts where it happened, a time window and, optionally, the
//! fields concerned. The subjects affected are **found from the records** of who received what:
//! the disclosure logs and the staff-access records. Each is sent a notice through their contact
//! channel (an SMS pointing to `GET /api/v1/me/incidents`, where the notice's full contents are);
//! a public notice can be published for those who cannot be reached (`GET
//! /api/v1/public/incidents/{id}`); the report to the regulator is produced as a document.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::incident::{Incident, IncidentScope, IncidentTexts, NoticeCounts};
use yinxin_domain::inventory::{INVENTORY, PERSON_MOBILE};
use yinxin_domain::pi::Purpose;
use yinxin_domain::staff::StaffRole;
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use yinxin_privacy::vault::declared_field;

use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The SMS template of an incident notice (parameter `incident`: the first eight characters of
/// its id).
pub const INCIDENT_TEMPLATE: &str = "SMS_INCIDENT";

/// An incident as the privacy officer records it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentFiling {
    /// 1 to 200 characters.
    pub title: String,
    /// What happened: its cause, when, which kinds of information (1 to 4,000 characters).
    pub what_happened: String,
    /// The possible impact on the subjects.
    pub impact: String,
    /// The measures taken.
    pub measures: String,
    /// What the subjects can do to reduce the harm.
    pub advice: String,
    /// The remedies offered.
    pub remedies: String,
    /// Whom to contact.
    pub contact: String,
    /// Where and when.
    pub scope: IncidentScope,
}

/// An incident with how far its notices went.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IncidentView {
    /// The incident.
    #[serde(flatten)]
    pub incident: Incident,
    /// The notices.
    pub notices: NoticeCounts,
}

/// The notice of an incident, as a subject (or the public) reads it: every content PIPL art. 57
/// requires.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IncidentNotice {
    /// The incident.
    pub id: String,
    /// What it says.
    #[serde(flatten)]
    pub texts: IncidentTexts,
    /// Unix second it was recorded.
    pub recorded_at: i64,
}

impl From<Incident> for IncidentNotice {
    fn from(i: Incident) -> Self {
        Self {
            id: i.id,
            texts: i.texts,
            recorded_at: i.recorded_at,
        }
    }
}

impl IncidentFiling {
    /// Its texts, each checked and named when wrong.
    fn texts(&self) -> Result<IncidentTexts, DomainError> {
        Ok(IncidentTexts {
            title: check_text("title", &self.title, 200)?,
            what_happened: check_text("what_happened", &self.what_happened, 4000)?,
            impact: check_text("impact", &self.impact, 4000)?,
            measures: check_text("measures", &self.measures, 4000)?,
            advice: check_text("advice", &self.advice, 4000)?,
            remedies: check_text("remedies", &self.remedies, 4000)?,
            contact: check_text("contact", &self.contact, 500)?,
        })
    }
}

fn check_text(field: &str, v: &str, max: usize) -> Result<String, DomainError> {
    let t = v.trim();
    let n = t.chars().count();
    if n == 0 || n > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::invalid(
            field,
            format!("1 to {max} characters, no control characters but line breaks"),
        ));
    }
    Ok(t.to_owned())
}

fn not_found() -> ServiceError {
    DomainError::new(ErrorCode::NotFound, "incident: no such incident").into()
}

impl Accounts {
    async fn check_scope(&self, s: &IncidentScope) -> ServiceResult<()> {
        if s.processors.is_empty() && s.apps.is_empty() && s.staff.is_empty() {
            return Err(DomainError::invalid(
                "scope",
                "name where it happened: processors, apps or staff",
            )
            .into());
        }
        if s.from > s.to || s.from < 0 {
            return Err(DomainError::invalid("scope.from", "must not be after scope.to").into());
        }
        let processors = self.repo.processors().await?;
        for (i, p) in s.processors.iter().enumerate() {
            if !processors.iter().any(|r| r.name == *p) {
                return Err(DomainError::invalid(
                    &format!("scope.processors[{i}]"),
                    "not a processor of the register",
                )
                .into());
            }
        }
        let apps = self.repo.relying_apps().await?;
        for (i, a) in s.apps.iter().enumerate() {
            if !apps.iter().any(|r| r.id == *a) {
                return Err(DomainError::invalid(
                    &format!("scope.apps[{i}]"),
                    "not a registered application",
                )
                .into());
            }
        }
        for (i, a) in s.staff.iter().enumerate() {
            if a.parse::<AccountId>().is_err() {
                return Err(
                    DomainError::invalid(&format!("scope.staff[{i}]"), "an account id").into(),
                );
            }
        }
        for (i, f) in s.fields.iter().enumerate() {
            declared_field(f).map_err(|_| {
                DomainError::invalid(
                    &format!("scope.fields[{i}]"),
                    "not a field of the inventory",
                )
            })?;
        }
        Ok(())
    }

    /// The privacy officer records an incident; the subjects affected are found from the
    /// records at once (none are notified yet).
    pub async fn record_incident(
        &self,
        officer: &AccountRecord,
        f: &IncidentFiling,
    ) -> ServiceResult<IncidentView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let incident = Incident {
            id: uuid::Uuid::new_v4().to_string(),
            texts: f.texts()?,
            scope: f.scope.clone(),
            recorded_by: officer.id,
            recorded_at: now(),
            published_at: None,
        };
        self.check_scope(&incident.scope).await?;
        let affected = self.repo.affected_subjects(&incident.scope).await?;
        self.repo.insert_incident(&incident, &affected).await?;
        tracing::warn!(incident = %incident.id, affected = affected.len(), "incident recorded");
        self.incident_view(incident).await
    }

    async fn incident_view(&self, incident: Incident) -> ServiceResult<IncidentView> {
        let notices = self.repo.notice_counts(&incident.id).await?;
        Ok(IncidentView { incident, notices })
    }

    async fn staff_incident(&self, staff: &AccountRecord, id: &str) -> ServiceResult<Incident> {
        self.officer_or_auditor(staff).await?;
        self.repo.incident(id).await?.ok_or_else(not_found)
    }

    /// Sends the notice to every affected subject not notified yet: an SMS to their real-name
    /// mobile; a subject without one (erased, say) is recorded as unreachable — the public
    /// notice is for them. Safe to repeat: each subject is notified once.
    pub async fn notify_incident(
        &self,
        officer: &AccountRecord,
        id: &str,
    ) -> ServiceResult<IncidentView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let incident = self.repo.incident(id).await?.ok_or_else(not_found)?;
        let short: String = incident.id.chars().take(8).collect();
        for account in self.repo.unnotified_subjects(id).await? {
            let mobile = match self.repo.account(account).await? {
                Some(a) => self
                    .vault
                    .get_string(a.subject, &PERSON_MOBILE)
                    .await
                    .ok()
                    .flatten(),
                None => None,
            };
            let channel = match mobile {
                Some(m) => {
                    let m = m.expose(Purpose::AccountSecurity)?;
                    self.send_notice(m, INCIDENT_TEMPLATE, &[("incident", &short)])
                        .await?;
                    "sms"
                }
                None => "none",
            };
            self.repo.mark_notified(id, account, channel, now()).await?;
        }
        tracing::info!(incident = %id, "incident notices sent");
        self.incident_view(incident).await
    }

    /// Publishes the public notice of an incident (`409` if published already).
    pub async fn publish_incident(
        &self,
        officer: &AccountRecord,
        id: &str,
    ) -> ServiceResult<IncidentView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        self.repo.incident(id).await?.ok_or_else(not_found)?;
        if !self.repo.publish_incident(id, now()).await? {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "incident: its public notice is published already",
            )
            .into());
        }
        let incident = self.repo.incident(id).await?.ok_or_else(not_found)?;
        self.incident_view(incident).await
    }

    /// Incidents, newest first (privacy officer, auditor).
    pub async fn staff_incidents(&self, staff: &AccountRecord) -> ServiceResult<Vec<IncidentView>> {
        self.officer_or_auditor(staff).await?;
        let mut out = Vec::new();
        for i in self.repo.incidents(200).await? {
            out.push(self.incident_view(i).await?);
        }
        Ok(out)
    }

    /// The report to the regulator (PIPL art. 57; the CAC's incident reporting): the incident's
    /// contents, scope, the kinds of information concerned, how many subjects it affected and
    /// were notified, the timeline.
    pub async fn incident_report(&self, staff: &AccountRecord, id: &str) -> ServiceResult<Value> {
        let incident = self.staff_incident(staff, id).await?;
        let counts = self.repo.notice_counts(id).await?;
        let fields: Vec<_> = INVENTORY
            .iter()
            .filter(|f| {
                incident.scope.fields.is_empty()
                    || incident.scope.fields.iter().any(|n| n == f.name)
            })
            .collect();
        let mut categories: Vec<Value> = fields.iter().map(|f| json!(f.category)).collect();
        categories.dedup();
        // The incident as its notice says it, with its scope.
        #[derive(Serialize)]
        struct Described<'a> {
            id: &'a str,
            #[serde(flatten)]
            texts: &'a IncidentTexts,
            scope: &'a IncidentScope,
        }
        let described = Described {
            id: &incident.id,
            texts: &incident.texts,
            scope: &incident.scope,
        };
        let c = &self.controller;
        Ok(json!({
            "type": "yinxin.incident-report.v1",
            "controller": {"name": c.name, "contact": c.contact, "email": c.email},
            "incident": described,
            "information": {
                "fields": fields.iter().map(|f| f.name).collect::<Vec<_>>(),
                "categories": categories,
                "sensitive": fields.iter().any(|f| f.sensitive),
            },
            "subjects": counts,
            "timeline": {
                "recorded_at": incident.recorded_at,
                "public_notice_at": incident.published_at,
            },
            "reported_at": now(),
        }))
    }

    /// The notices of the incidents that affected the caller, newest first.
    pub async fn my_incidents(
        &self,
        account: &AccountRecord,
    ) -> ServiceResult<Vec<IncidentNotice>> {
        Ok(self
            .repo
            .incidents_of(account.id)
            .await?
            .into_iter()
            .map(IncidentNotice::from)
            .collect())
    }

    /// A published public notice; `404` for anything else.
    pub async fn public_incident(&self, id: &str) -> ServiceResult<IncidentNotice> {
        self.repo
            .incident(id)
            .await?
            .filter(|i| i.published_at.is_some())
            .map(IncidentNotice::from)
            .ok_or_else(not_found)
    }
}
