//! Staff access to personal information (issue 8 item 7; PRIV-19, PRIV-10; docs/STAFF.md).
//!
//! - **Roles** are granted to personal accounts by an operator from the console and revoked the
//!   same way ([`Accounts::grant_staff_role`]); a staff member acts in one role at a time, named
//!   in each request, and only while the grant stands.
//! - **What a role sees** follows from the inventory: for one of the role's purposes
//!   ([`StaffRole::purposes`]), every field the subject has a value for that the inventory
//!   declares for that purpose — masked ([`mask_value`]). Fields of other purposes are listed as
//!   withheld, by name. An auditor sees no personal information at all.
//! - **Unmasking** names the purpose, the fields and the case it serves (`reference`:
//!   `support:<id>`, `verification:<id>`, `request:<id>` or `demand:<id>`, checked to be the
//!   subject's case on record); at most
//!   [`STAFF_UNMASKS_PER_HOUR`] a staff member per hour.
//! - **Every access**, the masked view as much as an unmasking, is a [`StaffAccessRecord`]
//!   written with its type 10 evidence entry in one transaction, before anything is shown: an
//!   access that cannot be recorded shows nothing. The record holds ids, field names, the purpose
//!   and the reference — never a value.
//! - **Review**: the privacy officer and the auditor list accesses by subject or by staff member;
//!   each subject lists the accesses to their own data ([`Accounts::accesses_to_me`]) — the role,
//!   purpose, fields and time, not who — except those for a legal demand, which the law may
//!   require to be kept from them (PIPL art. 18, 35).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord};
use yinxin_domain::inventory::{ACCOUNT_USERNAME, PERSON_EMAIL};
use yinxin_domain::legal::LegalDemand;
use yinxin_domain::pi::{Category, PiField, Purpose, mask};
use yinxin_domain::staff::{StaffAccessFilter, StaffAccessRecord, StaffGrant, StaffRole};
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
use yinxin_privacy::vault::declared_field;

use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The most fields a staff member may unmask per hour (each field of each request counts).
pub const STAFF_UNMASKS_PER_HOUR: u32 = 60;

/// The most accesses a review lists.
pub const STAFF_ACCESSES_LISTED: u32 = 500;

/// One field of a staff view.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StaffField {
    /// The inventory name.
    pub field: &'static str,
    /// Its label (zh-CN).
    pub label_zh: &'static str,
    /// Its label (English).
    pub label_en: &'static str,
    /// The value masked (a file: its size only).
    pub masked: String,
}

/// A subject as a staff role sees them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StaffView {
    /// The subject's account.
    #[schema(value_type = String, format = Uuid)]
    pub subject: AccountId,
    /// `personal` or `enterprise`.
    pub kind: &'static str,
    /// Unix second of registration.
    pub created_at: i64,
    /// The access recorded for this view.
    pub access_id: String,
    /// The fields the role may see for the purpose, masked.
    pub fields: Vec<StaffField>,
    /// The subject's other fields, by name only: not for this role and purpose.
    pub withheld: Vec<&'static str>,
}

/// An unmasking to make.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmaskRequest {
    /// The role acted in.
    pub role: StaffRole,
    /// One of the role's purposes.
    #[schema(value_type = String)]
    pub purpose: String,
    /// The case it serves: 1 to 64 of letters, digits, `.`, `_`, `:`, `-`.
    pub reference: String,
    /// The inventory fields to show, 1 to 10.
    pub fields: Vec<String>,
}

/// Values shown in full.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Unmasked {
    /// The access recorded.
    pub access_id: String,
    /// Each field asked for and its value.
    pub values: Vec<UnmaskedValue>,
}

/// One value shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnmaskedValue {
    /// The inventory name.
    pub field: &'static str,
    /// The value.
    pub value: String,
}

/// The largest legal demand document (10 MiB).
pub const LEGAL_DOCUMENT_MAX: usize = 10 * 1024 * 1024;

/// A legal demand to record (PRIV-6): who demands, on what basis, for whom and which fields,
/// with its document.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalDemandFiling {
    /// The authority, as on its document (1 to 200 characters).
    pub authority: String,
    /// The document's own number (文书编号).
    pub document_number: String,
    /// The legal basis it cites (statute and article).
    pub legal_basis: String,
    /// The subjects it covers (account ids, 1 to 100).
    pub subjects: Vec<String>,
    /// The inventory fields it covers (each declared for `legal_record_keeping`).
    pub data_items: Vec<String>,
    /// `application/pdf`, `image/png` or `image/jpeg`.
    pub document_type: String,
    /// The document, base64 (at most 10 MiB).
    pub document: String,
}

impl std::fmt::Debug for LegalDemandFiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegalDemandFiling")
            .field("subjects", &self.subjects.len())
            .finish_non_exhaustive()
    }
}

/// An access to the caller's own data, as they see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AccessToMe {
    /// The role of the staff member.
    pub role: StaffRole,
    /// Why.
    pub purpose: Purpose,
    /// The fields seen.
    pub fields: Vec<String>,
    /// Whether in full.
    pub unmasked: bool,
    /// Unix second.
    pub at: i64,
}

/// `value` of `field` masked for a staff view: a name keeps its first character, a mobile its
/// first three and last four digits, an identity document number its first three and last four,
/// an e-mail address its first character and its domain; anything else its first and last
/// character. A value too short for that shows at most its first character, never itself whole.
pub fn mask_value(field: &PiField, value: &str) -> String {
    let n = value.chars().count();
    if field.name == PERSON_EMAIL.name
        && let Some((local, domain)) = value.split_once('@')
    {
        return format!("{}@{domain}", mask(local, 1, 0));
    }
    let (start, end) = match field.category {
        _ if field.name.ends_with("name") || field.name == ACCOUNT_USERNAME.name => (1, 0),
        Category::Contact | Category::Financial => (3, 4),
        Category::IdentityDocument | Category::Enterprise if field.name.contains("number") => {
            (3, 4)
        }
        _ => (1, 1),
    };
    // A value too short to keep that much shows its first character at most, and never
    // itself whole.
    if start + end >= n {
        return mask(value, start.min(1).min(n.saturating_sub(1)), 0);
    }
    mask(value, start, end)
}

/// The text fields of an authority's order (a legal demand, a legal hold): 1 to 200
/// characters each, no control characters; the first wrong one is named.
pub(crate) fn check_order_text(fields: &[(&str, &str)]) -> ServiceResult<()> {
    for (name, value) in fields {
        let n = value.chars().count();
        if value.trim().is_empty() || n > 200 || value.chars().any(char::is_control) {
            return Err(
                DomainError::invalid(name, "1 to 200 characters, no control characters").into(),
            );
        }
    }
    Ok(())
}

/// An authority's order document from its base64 and media type: 1 byte to 10 MiB, a PDF, PNG
/// or JPEG that is what it says.
pub(crate) fn order_document(base64_text: &str, media: &str) -> ServiceResult<Vec<u8>> {
    use base64::Engine;
    let document = base64::engine::general_purpose::STANDARD
        .decode(base64_text.as_bytes())
        .map_err(|_| DomainError::invalid("document", "base64 of the order's document"))?;
    if document.is_empty() || document.len() > LEGAL_DOCUMENT_MAX {
        return Err(DomainError::invalid("document", "1 byte to 10 MiB").into());
    }
    let magic: &[u8] = match media {
        "application/pdf" => b"%PDF-",
        "image/png" => b"\x89PNG\r\n\x1a\n",
        "image/jpeg" => b"\xff\xd8\xff",
        _ => {
            return Err(DomainError::invalid(
                "document_type",
                "application/pdf, image/png or image/jpeg",
            )
            .into());
        }
    };
    if !document.starts_with(magic) {
        return Err(DomainError::invalid("document", format!("is not {media}")).into());
    }
    Ok(document)
}

fn refused(message: impl Into<String>) -> ServiceError {
    DomainError::new(ErrorCode::Forbidden, message).into()
}

fn subject_not_found() -> ServiceError {
    DomainError::new(ErrorCode::NotFound, "subject: no such account").into()
}

/// The staff access entry (type 10) of `r`: a fresh salt, part 1 committing to its canonical
/// bytes; salts under kind `staff_access`.
fn access_evidence(r: &StaffAccessRecord) -> ServiceResult<yinxin_domain::ledger::EvidenceEntry> {
    let salt = Salt::random();
    Entry {
        time_ms: r.at.saturating_mul(1000),
        body: EntryBody::StaffPiAccess {
            access: Commitment::to(&salt.part(1), &r.canonical_bytes()),
        },
    }
    .evidence("staff_access", r.id.clone(), &salt)
    .map_err(|e| ServiceError::Internal(format!("staff access evidence: {e}")))
}

fn operator_name(operator: &str) -> ServiceResult<()> {
    if yinxin_domain::validate::is_operator_name(operator) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "operator",
            "is 1 to 64 ASCII letters, digits, '.', '_', '-', '@'",
        )
        .into())
    }
}

impl Accounts {
    /// `yinxin admin staff grant`: gives the personal account `username` the role `role`,
    /// recorded as granted by `operator`. Refused for an unknown username, an enterprise account,
    /// or a role it already holds.
    pub async fn grant_staff_role(
        &self,
        username: &str,
        role: StaffRole,
        operator: &str,
    ) -> ServiceResult<StaffGrant> {
        operator_name(operator)?;
        let account = self
            .personal_account_by_username(username, "username")
            .await?;
        let grant = StaffGrant {
            account: account.id,
            role,
            granted_by: operator.to_owned(),
            granted_at: now(),
            revoked_at: None,
        };
        if !self.repo.grant_staff_role(&grant).await? {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!("role: this account already holds {}", role.as_str()),
            )
            .into());
        }
        tracing::info!(account = %account.id, role = role.as_str(), operator, "staff role granted");
        Ok(grant)
    }

    /// `yinxin admin staff revoke`: takes `role` from `username` at once (their next request
    /// in it is refused).
    pub async fn revoke_staff_role(
        &self,
        username: &str,
        role: StaffRole,
        operator: &str,
    ) -> ServiceResult<()> {
        operator_name(operator)?;
        let account = self
            .personal_account_by_username(username, "username")
            .await?;
        if !self.repo.revoke_staff_role(account.id, role, now()).await? {
            return Err(DomainError::new(
                ErrorCode::NotFound,
                format!("role: this account does not hold {}", role.as_str()),
            )
            .into());
        }
        tracing::info!(account = %account.id, role = role.as_str(), operator, "staff role revoked");
        Ok(())
    }

    /// Every grant, standing or revoked (`yinxin admin staff list`).
    pub async fn staff_grants(&self) -> ServiceResult<Vec<StaffGrant>> {
        Ok(self.repo.staff_grants(None).await?)
    }

    /// The roles `account` holds now.
    pub async fn staff_roles(&self, account: &AccountRecord) -> ServiceResult<Vec<StaffRole>> {
        Ok(self
            .repo
            .staff_grants(Some(account.id))
            .await?
            .into_iter()
            .filter(|g| g.revoked_at.is_none())
            .map(|g| g.role)
            .collect())
    }

    /// Refuses anyone but the privacy officer and the auditor (the reviews both may read).
    pub(crate) async fn officer_or_auditor(&self, staff: &AccountRecord) -> ServiceResult<()> {
        if self
            .acting_as(staff, StaffRole::PrivacyOfficer)
            .await
            .is_err()
        {
            self.acting_as(staff, StaffRole::Auditor).await?;
        }
        Ok(())
    }

    /// Refused unless `account` holds `role` now.
    pub(crate) async fn acting_as(
        &self,
        account: &AccountRecord,
        role: StaffRole,
    ) -> ServiceResult<()> {
        if self.staff_roles(account).await?.contains(&role) {
            Ok(())
        } else {
            Err(refused(format!(
                "role: this account does not hold the staff role {}",
                role.as_str()
            )))
        }
    }

    /// `purpose` (a stored name) if it is one of `role`'s; refused naming the field otherwise.
    fn purpose_of(role: StaffRole, purpose: Option<&str>) -> ServiceResult<Purpose> {
        let allowed = role.purposes();
        let Some(name) = purpose else {
            return allowed.first().copied().ok_or_else(|| {
                refused(format!(
                    "role: {} sees no personal information",
                    role.as_str()
                ))
            });
        };
        let names: Vec<&str> = allowed.iter().map(|p| p.as_str()).collect();
        Purpose::parse(name)
            .filter(|p| allowed.contains(p))
            .ok_or_else(|| {
                refused(format!(
                    "purpose: the role {} processes personal information only for {}",
                    role.as_str(),
                    if names.is_empty() {
                        "nothing".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            })
    }

    async fn subject_account(&self, subject: AccountId) -> ServiceResult<AccountRecord> {
        self.repo
            .account(subject)
            .await?
            .ok_or_else(subject_not_found)
    }

    /// Records an access (and queues its evidence) before anything is shown.
    async fn record_access(&self, r: &StaffAccessRecord) -> ServiceResult<()> {
        let evidence = access_evidence(r)?;
        self.repo.record_staff_access(r, &evidence).await?;
        tracing::info!(
            access = %r.id,
            staff = %r.staff,
            role = r.role.as_str(),
            subject = %r.subject,
            purpose = r.purpose.as_str(),
            unmasked = r.unmasked,
            fields = r.fields.len(),
            "staff access to personal information"
        );
        Ok(())
    }

    /// `subject` as `staff`, acting as `role` for `purpose` (default: the role's first), sees
    /// them: the fields declared for the purpose, masked; recorded as an access.
    pub async fn staff_view(
        &self,
        staff: &AccountRecord,
        role: StaffRole,
        purpose: Option<&str>,
        subject: AccountId,
    ) -> ServiceResult<StaffView> {
        self.acting_as(staff, role).await?;
        let purpose = Self::purpose_of(role, purpose)?;
        if purpose == Purpose::LegalRecordKeeping {
            return Err(refused(
                "purpose: data for a legal demand is provided only by unmasking against the \
                 demand recorded first, never browsed",
            ));
        }
        let target = self.subject_account(subject).await?;
        self.ensure_reachable(subject, purpose).await?;
        let stored = self.vault.stored_fields(target.subject).await?;
        let (shown, withheld): (Vec<&'static PiField>, Vec<&'static PiField>) =
            stored.into_iter().partition(|f| f.allows(purpose));
        let record = StaffAccessRecord {
            id: uuid::Uuid::new_v4().to_string(),
            staff: staff.id,
            role,
            subject,
            fields: shown.iter().map(|f| f.name.to_owned()).collect(),
            purpose,
            reference: "-".into(),
            unmasked: false,
            at: now(),
        };
        self.record_access(&record).await?;
        let mut fields = Vec::with_capacity(shown.len());
        for f in shown {
            let Some(value) = self.vault.get(target.subject, f).await? else {
                continue;
            };
            let bytes = value.expose(purpose)?;
            let masked = match std::str::from_utf8(bytes) {
                Ok(text) => mask_value(f, text),
                Err(_) => format!("[{} bytes]", bytes.len()),
            };
            fields.push(StaffField {
                field: f.name,
                label_zh: f.label_zh,
                label_en: f.label_en,
                masked,
            });
        }
        Ok(StaffView {
            subject,
            kind: match target.kind {
                AccountKind::Personal => "personal",
                AccountKind::Enterprise => "enterprise",
            },
            created_at: target.created_at,
            access_id: record.id,
            fields,
            withheld: withheld.iter().map(|f| f.name).collect(),
        })
    }

    /// Shows `subject`'s fields in full to `staff` for `req`'s purpose and case; refused (and
    /// nothing recorded or shown) for a role not held, a purpose not the role's, a field not
    /// declared for the purpose or not stored, a bad reference, or beyond the hourly limit.
    pub async fn staff_unmask(
        &self,
        staff: &AccountRecord,
        subject: AccountId,
        req: &UnmaskRequest,
    ) -> ServiceResult<Unmasked> {
        self.acting_as(staff, req.role).await?;
        let purpose = Self::purpose_of(req.role, Some(&req.purpose))?;
        if req.fields.is_empty() || req.fields.len() > 10 {
            return Err(DomainError::invalid("fields", "name 1 to 10 inventory fields").into());
        }
        let mut fields: Vec<&'static PiField> = Vec::with_capacity(req.fields.len());
        for (i, name) in req.fields.iter().enumerate() {
            let field = declared_field(name).map_err(|_| {
                DomainError::invalid(
                    &format!("fields[{i}]"),
                    "not a field of the inventory (GET /api/v1/privacy/inventory)",
                )
            })?;
            if !field.allows(purpose) {
                return Err(refused(format!(
                    "fields[{i}]: the inventory does not declare {} for {}",
                    field.name,
                    purpose.as_str()
                )));
            }
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        let target = self.subject_account(subject).await?;
        self.ensure_reachable(subject, purpose).await?;
        self.case_of(purpose, &req.reference, subject, &fields)
            .await?;
        let at = now();
        // An erased subject's data key is gone: what the law keeps is in custody (PIPL art. 47,
        // storage only), and `ensure_reachable` let only legal record keeping — against the
        // recorded demand `case_of` checked — come this far (issue 8 item 4).
        let custody = if self.repo.lifecycle(subject).await?.erased_at.is_some() {
            Some(self.custody_in_term(target.subject, at).await?)
        } else {
            None
        };
        let mut values = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let value = match &custody {
                None => self.vault.get(target.subject, f).await?,
                Some(kept) => match kept.iter().find(|c| c.field == f.name) {
                    Some(c) => Some(self.open_custody(target.subject, f, c).await?),
                    None => None,
                },
            }
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::NotFound,
                    format!(
                        "fields[{i}]: the subject has no {}{}",
                        f.name,
                        if custody.is_some() {
                            " (erased: only what the law keeps is in custody)"
                        } else {
                            ""
                        }
                    ),
                )
            })?;
            let text = std::str::from_utf8(value.expose(purpose)?)
                .map_err(|_| {
                    DomainError::invalid(
                        &format!("fields[{i}]"),
                        "a file, not text: it is not shown here",
                    )
                })?
                .to_owned();
            values.push(UnmaskedValue {
                field: f.name,
                value: text,
            });
        }
        // Every refusal above wrote nothing; the limit counts only what is shown.
        for _ in &fields {
            self.rate_limit(
                "staff-unmask",
                &staff.id.to_string(),
                STAFF_UNMASKS_PER_HOUR,
                3600,
                at,
                "fields: too many values unmasked this hour",
            )
            .await?;
        }
        let record = StaffAccessRecord {
            id: uuid::Uuid::new_v4().to_string(),
            staff: staff.id,
            role: req.role,
            subject,
            fields: fields.iter().map(|f| f.name.to_owned()).collect(),
            purpose,
            reference: req.reference.clone(),
            unmasked: true,
            at,
        };
        self.record_access(&record).await?;
        Ok(Unmasked {
            access_id: record.id,
            values,
        })
    }

    /// The case an unmasking serves, checked against the records: `support:<id>` (customer
    /// support) a support request of the subject's; `verification:<id>` (real-name verification,
    /// certificate issuance) a verification of the subject's; `request:<id>` (subject access) an
    /// open data-subject request of the subject's; `demand:<id>` (legal record keeping) a
    /// recorded legal demand covering the subject and every field. Anything else is refused
    /// naming `reference`, before anything is written.
    async fn case_of(
        &self,
        purpose: Purpose,
        reference: &str,
        subject: AccountId,
        fields: &[&'static PiField],
    ) -> ServiceResult<()> {
        let (kind, id) = reference.split_once(':').unwrap_or(("", ""));
        let expected = match purpose {
            Purpose::CustomerSupport => "support",
            Purpose::RealNameVerification | Purpose::CertificateIssuance => "verification",
            Purpose::SubjectAccess => "request",
            Purpose::LegalRecordKeeping => "demand",
            _ => "",
        };
        let no_case = || {
            refused(format!(
                "reference: give {expected}:<id> of the subject's case this serves; nothing is \
                 shown without one on record"
            ))
        };
        if kind != expected || id.is_empty() || id.len() > 64 {
            return Err(no_case());
        }
        let found = match purpose {
            Purpose::CustomerSupport => match id.parse() {
                Ok(id) => self.repo.request(subject, id).await?.is_some(),
                Err(_) => false,
            },
            Purpose::RealNameVerification | Purpose::CertificateIssuance => self
                .repo
                .verifications_of(subject)
                .await?
                .iter()
                .any(|v| v.id.to_string() == id),
            Purpose::SubjectAccess => self
                .repo
                .subject_request(id)
                .await?
                .is_some_and(|r| r.account == subject && !r.state.closed()),
            Purpose::LegalRecordKeeping => {
                return self.demand_covers(reference, subject, fields).await;
            }
            _ => false,
        };
        if found { Ok(()) } else { Err(no_case()) }
    }

    /// Refused unless `reference` is `demand:<id>` of a recorded legal demand covering every
    /// one of `fields` of `subject` (PRIV-6: the demand and its document are on record before
    /// anything is provided).
    async fn demand_covers(
        &self,
        reference: &str,
        subject: AccountId,
        fields: &[&'static PiField],
    ) -> ServiceResult<()> {
        let demand = match reference.strip_prefix("demand:") {
            Some(id) => self.repo.legal_demand(id).await?,
            None => None,
        }
        .ok_or_else(|| {
            refused(
                "reference: data is provided for a legal demand only against the demand recorded \
                 first (POST /api/v1/staff/legal-demands): give demand:<its id>",
            )
        })?;
        for (i, f) in fields.iter().enumerate() {
            if !demand.covers(subject, f.name) {
                return Err(refused(format!(
                    "fields[{i}]: demand {} does not cover {} of this subject",
                    demand.id, f.name
                )));
            }
        }
        Ok(())
    }

    /// Records a legal demand with its document (the privacy officer; PRIV-6, PRIV-7), before
    /// anything is provided against it. Every field is checked and named when wrong; nothing is
    /// written on a refusal.
    pub async fn record_legal_demand(
        &self,
        officer: &AccountRecord,
        f: &LegalDemandFiling,
    ) -> ServiceResult<LegalDemand> {
        use sha2::Digest;
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        check_order_text(&[
            ("authority", &f.authority),
            ("document_number", &f.document_number),
            ("legal_basis", &f.legal_basis),
        ])?;
        if f.subjects.is_empty() || f.subjects.len() > 100 {
            return Err(DomainError::invalid("subjects", "name 1 to 100 accounts").into());
        }
        let mut subjects = Vec::with_capacity(f.subjects.len());
        for (i, id) in f.subjects.iter().enumerate() {
            let field = format!("subjects[{i}]");
            let id: AccountId = id
                .parse()
                .map_err(|_| DomainError::invalid(&field, "must be a UUID"))?;
            if self.repo.account(id).await?.is_none() {
                return Err(DomainError::new(
                    ErrorCode::NotFound,
                    format!("{field}: no such account"),
                )
                .into());
            }
            if !subjects.contains(&id) {
                subjects.push(id);
            }
        }
        if f.data_items.is_empty() || f.data_items.len() > 40 {
            return Err(DomainError::invalid("data_items", "name 1 to 40 inventory fields").into());
        }
        for (i, name) in f.data_items.iter().enumerate() {
            let field = format!("data_items[{i}]");
            let declared = declared_field(name)
                .map_err(|_| DomainError::invalid(&field, "not a field of the inventory"))?;
            if !declared.allows(Purpose::LegalRecordKeeping) {
                return Err(DomainError::invalid(
                    &field,
                    format!(
                        "the inventory does not declare {} for legal_record_keeping",
                        declared.name
                    ),
                )
                .into());
            }
        }
        let document = order_document(&f.document, &f.document_type)?;
        let id = uuid::Uuid::new_v4().to_string();
        let demand = LegalDemand {
            document_sealed: self
                .vault
                .seal_service_record("legal-demand", &id, &document),
            id,
            authority: f.authority.trim().to_owned(),
            document_number: f.document_number.trim().to_owned(),
            legal_basis: f.legal_basis.trim().to_owned(),
            subjects,
            data_items: f.data_items.clone(),
            document_type: f.document_type.clone(),
            document_sha256: yinxin_domain::signing::to_hex(&sha2::Sha256::digest(&document)),
            recorded_by: officer.id,
            recorded_at: now(),
        };
        self.repo.insert_legal_demand(&demand).await?;
        tracing::info!(
            demand = %demand.id,
            officer = %officer.id,
            subjects = demand.subjects.len(),
            "legal demand recorded"
        );
        Ok(demand)
    }

    /// The recorded legal demands, newest first, for the privacy officer or the auditor.
    pub async fn legal_demands(
        &self,
        reviewer: &AccountRecord,
        role: StaffRole,
    ) -> ServiceResult<Vec<LegalDemand>> {
        self.reviewing(reviewer, role).await?;
        Ok(self.repo.legal_demands(STAFF_ACCESSES_LISTED).await?)
    }

    /// A recorded demand's document, for the privacy officer only (it names its subjects and
    /// may hold their numbers): its media type and bytes. Reading it is an access to each
    /// subject's data the demand covers, recorded with its evidence entry before it is shown.
    pub async fn legal_demand_document(
        &self,
        officer: &AccountRecord,
        id: &str,
    ) -> ServiceResult<(String, zeroize::Zeroizing<Vec<u8>>)> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        let d = self
            .repo
            .legal_demand(id)
            .await?
            .ok_or_else(|| -> ServiceError {
                DomainError::new(ErrorCode::NotFound, "demand: no such legal demand").into()
            })?;
        let bytes = self
            .vault
            .open_service_record("legal-demand", &d.id, &d.document_sealed)?;
        let at = now();
        for subject in &d.subjects {
            self.record_access(&StaffAccessRecord {
                id: uuid::Uuid::new_v4().to_string(),
                staff: officer.id,
                role: StaffRole::PrivacyOfficer,
                subject: *subject,
                fields: d.data_items.clone(),
                purpose: Purpose::LegalRecordKeeping,
                reference: format!("demand:{}", d.id),
                unmasked: true,
                at,
            })
            .await?;
        }
        Ok((d.document_type, bytes))
    }

    /// Refused unless `account` holds `role` now and the role reviews staff access.
    async fn reviewing(&self, account: &AccountRecord, role: StaffRole) -> ServiceResult<()> {
        self.acting_as(account, role).await?;
        if role.reviews_access() {
            Ok(())
        } else {
            Err(refused(format!(
                "role: {} does not review staff access (privacy_officer and auditor do)",
                role.as_str()
            )))
        }
    }

    /// The record of staff access, for the privacy officer or the auditor acting as `role`,
    /// newest first (at most [`STAFF_ACCESSES_LISTED`]).
    pub async fn staff_accesses(
        &self,
        reviewer: &AccountRecord,
        role: StaffRole,
        filter: StaffAccessFilter,
    ) -> ServiceResult<Vec<StaffAccessRecord>> {
        self.reviewing(reviewer, role).await?;
        Ok(self
            .repo
            .staff_accesses(filter, STAFF_ACCESSES_LISTED)
            .await?)
    }

    /// The accesses by staff to `account`'s own data, newest first — without who, and without
    /// those for a legal demand (which the law may require to be kept from the subject).
    pub async fn accesses_to_me(&self, account: &AccountRecord) -> ServiceResult<Vec<AccessToMe>> {
        let filter = StaffAccessFilter {
            subject: Some(account.id),
            staff: None,
        };
        Ok(self
            .repo
            .staff_accesses(filter, STAFF_ACCESSES_LISTED)
            .await?
            .into_iter()
            .filter(|r| !r.reference.starts_with("demand:"))
            .map(|r| AccessToMe {
                role: r.role,
                purpose: r.purpose,
                fields: r.fields,
                unmasked: r.unmasked,
                at: r.at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yinxin_domain::inventory::{INVENTORY, PERSON_DOCUMENT_NUMBER, PERSON_MOBILE, PERSON_NAME};

    #[test]
    fn masks_never_show_a_value_whole() {
        assert_eq!(mask_value(&PERSON_NAME, "张三丰"), "张**");
        assert_eq!(mask_value(&PERSON_MOBILE, "13812345678"), "138****5678");
        assert_eq!(
            mask_value(&PERSON_DOCUMENT_NUMBER, "11010519491231002X"),
            "110***********002X"
        );
        assert_eq!(
            mask_value(&PERSON_EMAIL, "zhang@example.cn"),
            "z****@example.cn"
        );
        assert_eq!(mask_value(&PERSON_MOBILE, "1234"), "1***");
        assert_eq!(mask_value(&PERSON_MOBILE, "1"), "*");
        // Whatever the field, a value never shows whole, nor more than seven characters.
        for f in INVENTORY {
            for v in ["a", "ab", "abcdef", "abcdefghijklmnop"] {
                let m = mask_value(f, v);
                let shown = m.chars().filter(|c| *c != '*').count();
                assert!(shown < v.len() && shown <= 7, "{}: {v} -> {m}", f.name);
                assert_eq!(m.chars().count(), v.chars().count());
            }
        }
    }

    /// What a role sees is derived from the inventory: the auditor nothing, every other role
    /// at least one field, and none of them biometric data (never stored).
    #[test]
    fn roles_see_what_the_inventory_declares_for_their_purposes() {
        for role in StaffRole::ALL {
            let seen: Vec<&str> = INVENTORY
                .iter()
                .filter(|f| role.may_see(f))
                .map(|f| f.name)
                .collect();
            match role {
                StaffRole::Auditor => assert!(seen.is_empty()),
                _ => assert!(!seen.is_empty(), "{}", role.as_str()),
            }
            assert!(!seen.iter().any(|f| f.starts_with("biometric.")));
        }
        assert!(StaffRole::Support.may_see(&PERSON_EMAIL));
        assert!(!StaffRole::Support.may_see(&PERSON_DOCUMENT_NUMBER));
        assert!(StaffRole::VerificationReviewer.may_see(&PERSON_DOCUMENT_NUMBER));
    }
}
