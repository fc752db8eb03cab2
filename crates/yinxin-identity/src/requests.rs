//! Data-subject requests (issue 8 item 1; PRIV-14, ACC-6; docs/REQUESTS.md): filed by the
//! subject from their account, worked by the privacy officer, every step recorded.
//!
//! - **Filing** from the account: the session proves who files, so the request is
//!   `identity_verified` at once and its clock starts — 15 days (`request_due_days`), or for an
//!   account cancellation 15 working days on the mainland calendar
//!   (`cancellation_due_working_days`, [`WorkCalendar`]). What it concerns is named, never valued:
//!   an inventory field to correct (one the inventory declares), fields to delete with their
//!   ground (004 4.2), a consent scope to withdraw. A request beyond `requests_before_excessive`
//!   of its kind in `request_excess_period_days` is flagged `excessive` — filed, not refused:
//!   staff decide.
//! - **Working it** (the privacy officer): `start`, `fulfil`, `fulfil_partly` (with a ground for
//!   the rest) or `refuse` (with a ground: [`RefusalGround`], the grounds of 000 §11.4 / 001
//!   4.5). The state machine ([`RequestState::may_become`]) is enforced with a compare-and-set,
//!   so two officers never both close one request.
//! - **Reminders**: [`Accounts::remind_due_requests`] (run by `serve` every hour) records a
//!   `reminded` step once for every open request due within `request_reminder_secs`, and returns
//!   them for the staff notice.
//! - The subject sees their requests with every step, the ground of a refusal included.

use serde::Deserialize;
use utoipa::ToSchema;
use yinxin_domain::account::{AccountRecord, ConsentAction, ConsentScope};
use yinxin_domain::requests::{
    RefusalGround, RequestFilter, RequestKind, RequestState, RequestStep, SubjectRequest,
    WorkCalendar,
};
use yinxin_domain::staff::StaffRole;
use yinxin_domain::{DomainError, ErrorCode};
use yinxin_privacy::vault::declared_field;

use zeroize::Zeroizing;

use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The grounds on which deletion may be asked (004 4.2; 000 §11.2).
pub const DELETION_GROUNDS: [&str; 5] = [
    "unlawful_processing",
    "no_consent",
    "breach_of_agreement",
    "no_longer_used",
    "service_ended",
];

/// A request as the subject files it.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestFiling {
    /// What is asked.
    pub kind: RequestKind,
    /// For a correction, the one inventory field; for a deletion, the fields (none: every field
    /// the ground allows); for a consent withdrawal, the one consent scope.
    #[serde(default)]
    pub scope: Vec<String>,
    /// For a deletion, its ground: `unlawful_processing`, `no_consent`, `breach_of_agreement`,
    /// `no_longer_used`, `service_ended`.
    #[serde(default)]
    pub ground: Option<String>,
    /// For a correction, the value proposed: checked as at registration, sealed until the
    /// request is closed, applied when the privacy officer fulfils it; never shown.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub value: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for RequestFiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestFiling")
            .field("kind", &self.kind)
            .field("scope", &self.scope)
            .field("ground", &self.ground)
            .finish_non_exhaustive()
    }
}

/// A filing, checked.
pub(crate) struct CheckedFiling {
    /// Its scope, deduplicated.
    pub scope: Vec<String>,
    /// A correction's value, normalized.
    pub value: Option<Zeroizing<String>>,
}

/// Checks a correction's proposed value for `field` as registration would.
fn check_value(field: &str, v: &str) -> ServiceResult<Zeroizing<String>> {
    use yinxin_domain::inventory::{
        PERSON_DOCUMENT_NUMBER, PERSON_EMAIL, PERSON_MOBILE, PERSON_NAME,
    };
    use yinxin_domain::validate;
    let bad = |e| crate::service::invalid("value", e);
    let v = v.trim();
    let out = if field == PERSON_EMAIL.name {
        validate::email(v).map_err(bad)?
    } else if field == PERSON_MOBILE.name {
        validate::mainland_mobile(v).map_err(bad)?
    } else if field == PERSON_NAME.name {
        crate::service::check_name("value", v, 64)?.to_owned()
    } else if field == PERSON_DOCUMENT_NUMBER.name {
        match validate::resident_id(v, crate::service::today_in_china(now())) {
            Ok(id) => id.number,
            Err(_)
                if (4..=40).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                v.to_ascii_uppercase()
            }
            Err(e) => return Err(bad(e).into()),
        }
    } else {
        if v.is_empty() || v.chars().count() > 100 || v.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "value",
                "1 to 100 characters, no control characters",
            )
            .into());
        }
        v.to_owned()
    };
    Ok(Zeroizing::new(out))
}

/// What the privacy officer does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestAction {
    /// Starts work on it.
    Start,
    /// It is met.
    Fulfil,
    /// It is met in part; the rest refused on `ground`.
    FulfilPartly,
    /// It is refused on `ground`.
    Refuse,
}

/// A request with its record.
#[derive(Clone, Debug, serde::Serialize, ToSchema)]
pub struct RequestView {
    /// The request.
    pub request: SubjectRequest,
    /// Every step, in order.
    pub steps: Vec<RequestStep>,
}

fn not_found() -> ServiceError {
    DomainError::new(ErrorCode::NotFound, "request: no such request of yours").into()
}

pub(crate) fn step(
    at: i64,
    actor: &str,
    event: &str,
    ground: Option<RefusalGround>,
) -> RequestStep {
    RequestStep {
        seq: 0,
        at,
        actor: actor.to_owned(),
        event: event.to_owned(),
        ground,
    }
}

/// Checks a filing field by field: its scope (deduplicated) and a correction's value. Nothing
/// is written.
pub(crate) fn check_filing(f: &RequestFiling) -> ServiceResult<CheckedFiling> {
    let invalid =
        |field: &str, why: &str| -> ServiceError { DomainError::invalid(field, why).into() };
    let mut scope = Vec::new();
    let mut value = None;
    match f.kind {
        RequestKind::Correction => {
            let [name] = f.scope.as_slice() else {
                return Err(invalid("scope", "name the one inventory field to correct"));
            };
            declared_field(name)
                .map_err(|_| invalid("scope[0]", "not a field of the inventory"))?;
            if !yinxin_domain::inventory::CORRECTED_BY_REQUEST
                .iter()
                .any(|c| c.name == name)
            {
                tracing::info!(field = %name, "correction refused: not a correctable field");
                return Err(DomainError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "scope[0]: {name} is a record of what happened, not a statement of \
                         yours; it is not corrected (what may be: {})",
                        yinxin_domain::inventory::CORRECTED_BY_REQUEST
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .into());
            }
            scope.push(name.clone());
            let Some(v) = f.value.as_deref() else {
                return Err(invalid("value", "a correction gives the value proposed"));
            };
            value = Some(check_value(name, v)?);
        }
        RequestKind::Deletion => {
            for (i, name) in f.scope.iter().enumerate() {
                declared_field(name)
                    .map_err(|_| invalid(&format!("scope[{i}]"), "not a field of the inventory"))?;
                if !scope.contains(name) {
                    scope.push(name.clone());
                }
            }
            let ground = f.ground.as_deref().unwrap_or_default();
            if !DELETION_GROUNDS.contains(&ground) {
                return Err(invalid(
                    "ground",
                    &format!("one of {}", DELETION_GROUNDS.join(", ")),
                ));
            }
        }
        RequestKind::ConsentWithdrawal => {
            let [name] = f.scope.as_slice() else {
                return Err(invalid("scope", "name the one consent scope to withdraw"));
            };
            ConsentScope::parse(name).ok_or_else(|| invalid("scope[0]", "not a consent scope"))?;
            scope.push(name.clone());
        }
        RequestKind::Access | RequestKind::Copy | RequestKind::Cancellation => {
            if !f.scope.is_empty() {
                return Err(invalid("scope", "this request concerns everything held"));
            }
        }
    }
    if f.kind != RequestKind::Deletion && f.ground.is_some() {
        return Err(invalid("ground", "only a deletion has a ground"));
    }
    if f.kind != RequestKind::Correction && f.value.is_some() {
        return Err(invalid("value", "only a correction has a value"));
    }
    Ok(CheckedFiling { scope, value })
}

impl Accounts {
    /// The due time of a request of `kind` whose requester was verified at `at`.
    pub(crate) fn request_due(&self, kind: RequestKind, at: i64) -> i64 {
        match kind {
            RequestKind::Cancellation => self
                .calendar
                .after_working_days(at, self.config.cancellation_due_working_days),
            _ => at.saturating_add(self.config.request_due_days.saturating_mul(86_400)),
        }
    }

    /// Whether one more request of `kind` from `account` at `at` is beyond
    /// `requests_before_excessive` in `request_excess_period_days` (PRIV-14: flagged, not
    /// refused).
    pub(crate) async fn is_excessive(
        &self,
        account: &AccountRecord,
        kind: RequestKind,
        at: i64,
    ) -> ServiceResult<bool> {
        let since = at
            - self
                .config
                .request_excess_period_days
                .saturating_mul(86_400);
        let before = self
            .repo
            .count_subject_requests(account.id, kind, since)
            .await?;
        Ok(before >= self.config.requests_before_excessive)
    }

    /// Stores a new request with its steps; a correction's proposed value first, sealed under
    /// the subject as the field it would replace.
    pub(crate) async fn insert_request(
        &self,
        account: &AccountRecord,
        request: &SubjectRequest,
        steps: &[RequestStep],
        value: Option<&String>,
    ) -> ServiceResult<()> {
        if let (Some(v), [name]) = (value, request.scope.as_slice()) {
            let field = declared_field(name)?;
            let sealed = self
                .vault
                .seal_record(account.subject, field, request.id.as_bytes(), v.as_bytes())
                .await?;
            self.repo
                .insert_correction_proposal(&request.id, field.name, &sealed)
                .await?;
        }
        self.repo.insert_subject_request(request, steps).await?;
        Ok(())
    }

    /// Carries out a correction request as the privacy officer fulfils it (issue 8 item 3):
    /// the proposed value replaces the field's; a corrected identity field makes the earlier
    /// verifications stop counting — the identity is verified again before a certificate is
    /// issued on it — and flags the holder's certificates still valid, which carry the old
    /// value, for renewal. Returns those serials.
    pub(crate) async fn carry_out_correction(
        &self,
        request: &SubjectRequest,
        at: i64,
    ) -> ServiceResult<Vec<String>> {
        use yinxin_domain::inventory::REVERIFIED_ON_CORRECTION;
        let [name] = request.scope.as_slice() else {
            return Err(ServiceError::Internal(
                "a correction without its field".into(),
            ));
        };
        let field = declared_field(name)?;
        let account = self
            .repo
            .account(request.account)
            .await?
            .ok_or_else(|| ServiceError::Internal("a request without its account".into()))?;
        let Some(sealed) = self.repo.correction_proposal(&request.id).await? else {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "action: the request holds no proposed value; refuse it, and the subject files \
                 it again with one",
            )
            .into());
        };
        let value = self
            .vault
            .open_record(account.subject, field, request.id.as_bytes(), &sealed)
            .await?;
        self.vault
            .put(
                account.subject,
                field,
                value.expose(yinxin_domain::pi::Purpose::SubjectAccess)?,
            )
            .await?;
        self.repo.delete_correction_proposal(&request.id).await?;
        let mut flagged = Vec::new();
        if REVERIFIED_ON_CORRECTION
            .iter()
            .any(|f| f.name == field.name)
        {
            self.repo.mark_identity_corrected(account.id).await?;
            flagged = self
                .repo
                .flag_certificates_for_renewal(account.id, field.name, &request.id, at)
                .await?;
        }
        tracing::info!(
            request = %request.id,
            account = %account.id,
            field = field.name,
            certificates_flagged = flagged.len(),
            "correction carried out"
        );
        Ok(flagged)
    }

    /// `account`'s verification records that still count: those after the last correction of
    /// an identity field (issue 8 item 3: the identity is verified again).
    pub(crate) async fn standing_verifications(
        &self,
        account: yinxin_domain::AccountId,
    ) -> ServiceResult<Vec<yinxin_domain::verification::VerificationRecord>> {
        let mut records = self.repo.verifications_of(account).await?;
        if let Some(void) = self.repo.verifications_void_through(account).await? {
            records.retain(|r| r.id.to_string() > void);
        }
        Ok(records)
    }

    /// The holder's certificates flagged for renewal by a correction.
    pub async fn renewal_flags(
        &self,
        holder: yinxin_domain::AccountId,
    ) -> ServiceResult<Vec<yinxin_domain::requests::RenewalFlag>> {
        Ok(self.repo.renewal_flags_of(holder).await?)
    }

    /// The working calendar in force.
    pub fn work_calendar(&self) -> &WorkCalendar {
        &self.calendar
    }

    /// Files a request from `account` (PRIV-14): checked field by field, identity verified by
    /// the session, its due date set, flagged when excessive.
    pub async fn file_request(
        &self,
        account: &AccountRecord,
        f: &RequestFiling,
    ) -> ServiceResult<RequestView> {
        let CheckedFiling { scope, value } = check_filing(f)?;
        let at = now();
        let excessive = self.is_excessive(account, f.kind, at).await?;
        let request = SubjectRequest {
            id: uuid::Uuid::new_v4().to_string(),
            account: account.id,
            kind: f.kind,
            scope,
            ground: f.ground.clone(),
            state: RequestState::IdentityVerified,
            received_at: at,
            identity_verified_at: Some(at),
            due_at: Some(self.request_due(f.kind, at)),
            closed_at: None,
            refusal_ground: None,
            excessive,
        };
        let mut steps = vec![
            step(at, "subject", RequestState::Received.as_str(), None),
            step(at, "system", RequestState::IdentityVerified.as_str(), None),
        ];
        if excessive {
            steps.push(step(at, "system", "flagged_excessive", None));
        }
        self.insert_request(account, &request, &steps, value.as_deref())
            .await?;
        tracing::info!(
            request = %request.id,
            account = %account.id,
            kind = request.kind.as_str(),
            excessive,
            "data-subject request filed"
        );
        self.request_view(request).await
    }

    /// Corrects one of `account`'s self-correctable fields (issue 8 item 3; PRIV-14): the value
    /// checked as at registration, sealed in place of the old one, and the correction recorded
    /// as a correction request fulfilled by the subject. A field that is not self-correctable is
    /// refused naming it and pointing to the request a reviewer handles; nothing is written.
    pub async fn correct_field(
        &self,
        account: &AccountRecord,
        name: &str,
        value: &str,
    ) -> ServiceResult<RequestView> {
        use yinxin_domain::inventory::{PERSON_EMAIL, REVERIFIED_ON_CORRECTION, SELF_CORRECTABLE};
        let field = declared_field(name).map_err(|_| -> ServiceError {
            DomainError::invalid("field", "not a field of the inventory").into()
        })?;
        if !SELF_CORRECTABLE.iter().any(|f| f.name == field.name)
            || account.kind != yinxin_domain::account::AccountKind::Personal
        {
            let why = if REVERIFIED_ON_CORRECTION
                .iter()
                .any(|f| f.name == field.name)
            {
                "its correction needs the identity verified again"
            } else {
                "it is corrected by review"
            };
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                format!(
                    "field: {} is not corrected by the subject ({why}); file a correction \
                     request (POST /api/v1/me/requests with kind correction)",
                    field.name
                ),
            )
            .into());
        }
        let value = if field.name == PERSON_EMAIL.name {
            yinxin_domain::validate::email(value)
                .map_err(|e| crate::service::invalid("value", e))?
        } else {
            let v = value.trim();
            if v.is_empty() || v.chars().count() > 100 || v.chars().any(char::is_control) {
                return Err(DomainError::invalid(
                    "value",
                    "1 to 100 characters, no control characters",
                )
                .into());
            }
            v.to_owned()
        };
        self.vault
            .put(account.subject, field, value.as_bytes())
            .await?;
        let request = self
            .record_met_request(
                account,
                RequestKind::Correction,
                vec![field.name.to_owned()],
                "subject",
                now(),
            )
            .await?;
        tracing::info!(account = %account.id, field = field.name, "field corrected by the subject");
        self.request_view(request).await
    }

    /// Records a request the subject's own action met at once (a self-service correction, an
    /// export): filed, identity verified by the session, fulfilled by `by`, all at `at`.
    pub(crate) async fn record_met_request(
        &self,
        account: &AccountRecord,
        kind: RequestKind,
        scope: Vec<String>,
        by: &str,
        at: i64,
    ) -> ServiceResult<SubjectRequest> {
        let request = SubjectRequest {
            id: uuid::Uuid::new_v4().to_string(),
            account: account.id,
            kind,
            scope,
            ground: None,
            state: RequestState::Fulfilled,
            received_at: at,
            identity_verified_at: Some(at),
            due_at: Some(at),
            closed_at: Some(at),
            refusal_ground: None,
            excessive: false,
        };
        let steps = [
            step(at, "subject", RequestState::Received.as_str(), None),
            step(at, "system", RequestState::IdentityVerified.as_str(), None),
            step(at, by, RequestState::Fulfilled.as_str(), None),
        ];
        self.repo.insert_subject_request(&request, &steps).await?;
        Ok(request)
    }

    pub(crate) async fn request_view(&self, request: SubjectRequest) -> ServiceResult<RequestView> {
        let steps = self.repo.subject_request_steps(&request.id).await?;
        Ok(RequestView { request, steps })
    }

    /// `account`'s requests, newest first.
    pub async fn my_requests(&self, account: &AccountRecord) -> ServiceResult<Vec<SubjectRequest>> {
        Ok(self.repo.subject_requests_of(account.id).await?)
    }

    /// One of `account`'s requests with its record; another's is `NOT_FOUND` as a missing one.
    pub async fn my_request(
        &self,
        account: &AccountRecord,
        id: &str,
    ) -> ServiceResult<RequestView> {
        let r = self
            .repo
            .subject_request(id)
            .await?
            .filter(|r| r.account == account.id)
            .ok_or_else(not_found)?;
        self.request_view(r).await
    }

    /// Requests for the privacy officer: open ones (or all), the soonest due first; only those
    /// due within `due_within_secs` when given.
    pub async fn staff_requests(
        &self,
        officer: &AccountRecord,
        open_only: bool,
        due_within_secs: Option<i64>,
    ) -> ServiceResult<Vec<SubjectRequest>> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let filter = RequestFilter {
            open_only,
            due_by: due_within_secs.map(|s| now().saturating_add(s)),
            unreminded_only: false,
        };
        Ok(self.repo.subject_requests(filter, 500).await?)
    }

    /// One request with its record, for the privacy officer.
    pub async fn staff_request(
        &self,
        officer: &AccountRecord,
        id: &str,
    ) -> ServiceResult<RequestView> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let r = self
            .repo
            .subject_request(id)
            .await?
            .ok_or_else(|| -> ServiceError {
                DomainError::new(ErrorCode::NotFound, "request: no such request").into()
            })?;
        self.request_view(r).await
    }

    /// The privacy officer acts on a request; refused naming what is wrong: an action the
    /// state does not allow (`CONFLICT` naming the state), a refusal without a ground, a ground
    /// where none belongs.
    pub async fn act_on_request(
        &self,
        officer: &AccountRecord,
        id: &str,
        action: RequestAction,
        ground: Option<RefusalGround>,
    ) -> ServiceResult<RequestView> {
        let view = self.staff_request(officer, id).await?;
        let from = view.request.state;
        let to = match action {
            RequestAction::Start => RequestState::InProgress,
            RequestAction::Fulfil => RequestState::Fulfilled,
            RequestAction::FulfilPartly => RequestState::PartlyFulfilled,
            RequestAction::Refuse => RequestState::Refused,
        };
        let needs_ground = matches!(action, RequestAction::Refuse | RequestAction::FulfilPartly);
        match (needs_ground, ground) {
            (true, None) => {
                return Err(DomainError::invalid(
                    "ground",
                    "a refusal names one of the grounds (000 §11.4): legal_obligation, \
                     national_security, public_interest, criminal_proceedings, abuse_of_rights, \
                     vital_interests, harm_to_others, trade_secret, unduly_repetitive, \
                     excessive_technical_means, impractical, identity_not_verified",
                )
                .into());
            }
            (false, Some(_)) => {
                return Err(DomainError::invalid("ground", "only a refusal has a ground").into());
            }
            _ => {}
        }
        if !from.may_become(to) {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "action: the request is {}; it cannot become {}",
                    from.as_str(),
                    to.as_str()
                ),
            )
            .into());
        }
        let at = now();
        // Fulfilling a deletion deletes (004 4.2), before the request says so.
        if view.request.kind == RequestKind::Deletion
            && matches!(to, RequestState::Fulfilled | RequestState::PartlyFulfilled)
        {
            self.carry_out_deletion(
                view.request.account,
                &view.request.id,
                &view.request.scope,
                to == RequestState::PartlyFulfilled,
                at,
            )
            .await?;
        }
        // Fulfilling a consent withdrawal withdraws the consent, if it stands (PRIV-14).
        if view.request.kind == RequestKind::ConsentWithdrawal
            && to == RequestState::Fulfilled
            && let Some(scope) = view
                .request
                .scope
                .first()
                .and_then(|s| ConsentScope::parse(s))
            && self.consent_stands(view.request.account, scope).await?
        {
            self.record_consent(view.request.account, scope, ConsentAction::Withdrawn, "")
                .await?;
        }
        // Fulfilling a correction corrects (issue 8 item 3), before the request says so.
        if view.request.kind == RequestKind::Correction && to == RequestState::Fulfilled {
            let flagged = self.carry_out_correction(&view.request, at).await?;
            if !flagged.is_empty() {
                self.repo
                    .push_subject_request_step_once(
                        &view.request.id,
                        &step(at, "system", "certificates_flagged_for_renewal", None),
                    )
                    .await?;
            }
        }
        let mut r = view.request.clone();
        r.state = to;
        if to.closed() {
            r.closed_at = Some(at);
        }
        r.refusal_ground = ground;
        let actor = format!("staff:{}", StaffRole::PrivacyOfficer.as_str());
        let s = step(at, &actor, to.as_str(), ground);
        if !self.repo.update_subject_request(&r, from, &s).await? {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "action: the request changed meanwhile; read it again",
            )
            .into());
        }
        // A closed correction's proposed value is kept no longer.
        if r.kind == RequestKind::Correction && to.closed() {
            self.repo.delete_correction_proposal(&r.id).await?;
        }
        // Fulfilling a cancellation cancels the account (ACC-6), at once.
        if r.kind == RequestKind::Cancellation
            && to == RequestState::Fulfilled
            && let Some(subject) = self.repo.account(r.account).await?
        {
            self.repo
                .cancel_account(subject.id, subject.subject, at)
                .await?;
            tracing::info!(account = %subject.id, request = %r.id, "account cancelled");
        }
        tracing::info!(
            request = %r.id,
            officer = %officer.id,
            state = to.as_str(),
            ground = ground.map(RefusalGround::as_str).unwrap_or("-"),
            "data-subject request updated"
        );
        self.request_view(r).await
    }

    /// Records a `reminded` step, once, on every open request due by `at + request_reminder_secs`
    /// and returns them (for the staff notice). Safe to run on several nodes: a reminder is
    /// recorded once per request.
    pub async fn remind_due_requests(&self, at: i64) -> ServiceResult<Vec<SubjectRequest>> {
        let filter = RequestFilter {
            open_only: true,
            due_by: Some(at.saturating_add(self.config.request_reminder_secs)),
            unreminded_only: true,
        };
        let mut reminded = Vec::new();
        for r in self.repo.subject_requests(filter, 500).await? {
            let pushed = self
                .repo
                .push_subject_request_step_once(&r.id, &step(at, "system", "reminded", None))
                .await;
            let pushed = match pushed {
                Ok(p) => p,
                Err(e) => {
                    // One request's failure does not hold up the others' reminders.
                    tracing::warn!(request = %r.id, error = %e, "reminder not recorded");
                    continue;
                }
            };
            if pushed {
                tracing::warn!(
                    request = %r.id,
                    kind = r.kind.as_str(),
                    due_at = r.due_at.unwrap_or_default(),
                    "data-subject request falls due soon: privacy officer reminded"
                );
                reminded.push(r);
            }
        }
        Ok(reminded)
    }
}
