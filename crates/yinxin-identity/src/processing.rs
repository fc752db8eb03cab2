//! The record of processing activities (RoPA) and the personal-information impact assessment
//! (PIA) (issue 8 item 10; PIPL arts. 55–56; GB/T 35273 §11.3; docs/RECORDS.md).
//!
//! Both are generated, never written by hand: from the inventory (every field, its purposes,
//! legal basis, retention, disposition and storage), the processor register and the register of
//! relying applications. A new version is stored whenever what they say changes — `serve`
//! checks at every start (the processor register comes from the configuration), and the privacy
//! officer may ask at any time — and each version is kept at least three years: the database
//! refuses to delete one earlier or to change one.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::inventory::INVENTORY;
use yinxin_domain::pi::{Category, PiField, Purpose, Storage};
use yinxin_domain::processing::{KEPT_SECS, ProcessingRecord, RecordKind};
use yinxin_domain::relying::RelyingAppRecord;
use yinxin_domain::repo::StoreError;
use yinxin_domain::staff::StaffRole;
use yinxin_domain::verification::ProcessorRecord;
use yinxin_domain::{DomainError, ErrorCode};

use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The security measures every stored field has (GB/T 35273 §6, §11.3 c).
const MEASURES: &[&str] = &[
    "every value sealed under its subject's own data key (AES-256-GCM or SM4-GCM), the data keys \
     wrapped by the master key in a separate key store",
    "erasure destroys the subject's data key first (crypto-shredding): copies and backups stop \
     opening",
    "exact lookup only through keyed blind indexes (HMAC), never by the value",
    "staff see values masked; unmasking needs a stated purpose and is recorded in the evidence log",
    "every provision to a processor or relying application recorded in the subject's disclosure log",
    "no value in logs, errors, cookies or the evidence log",
];

/// A version stored or found, as the privacy officer sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordVersion {
    /// The version.
    #[serde(flatten)]
    pub record: ProcessingRecord,
    /// Whether this call stored it (false: it says what the latest version says).
    pub new: bool,
}

/// One version with its document.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordDocument {
    /// The version.
    #[serde(flatten)]
    pub record: ProcessingRecord,
    /// The document (`yinxin.ropa.v1` or `yinxin.pia.v1`).
    #[schema(value_type = Object)]
    pub document: Value,
}

fn field_entry(f: &PiField) -> Value {
    json!({
        "name": f.name,
        "label_zh": f.label_zh,
        "label_en": f.label_en,
        "category": f.category,
        "sensitive": f.sensitive,
        "legal_basis": f.legal_basis,
        "retention": f.retention,
        "disposition": f.disposition,
        "storage": f.storage,
    })
}

fn processor_entry(p: &ProcessorRecord) -> Value {
    json!({
        "name": p.name,
        "legal_name": p.legal_name,
        "contact": p.contact,
        "location": p.location,
        "outside_prc": p.outside_prc,
        "security_assessment": p.security_assessment,
        "data_items": p.data_items,
        "purpose": p.purpose,
        "processing_method": p.processing_method,
    })
}

fn app_entry(a: &RelyingAppRecord) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "legal_name": a.legal_name,
        "contact": a.contact,
        "data_items": a.data_items,
    })
}

/// The record of processing activities: one activity per purpose, with the fields it processes
/// and who receives them.
pub fn ropa(controller: Value, processors: &[ProcessorRecord], apps: &[RelyingAppRecord]) -> Value {
    let activities: Vec<Value> = Purpose::ALL
        .iter()
        .filter_map(|p| {
            let fields: Vec<&PiField> = INVENTORY
                .iter()
                .copied()
                .filter(|f| f.allows(*p))
                .collect();
            if fields.is_empty() {
                return None;
            }
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            let receives = |items: &[String]| items.iter().any(|i| names.contains(&i.as_str()));
            let mut recipients: Vec<Value> = Vec::new();
            if *p == Purpose::RealNameVerification {
                recipients.extend(
                    processors
                        .iter()
                        .filter(|r| receives(&r.data_items))
                        .map(|r| json!({"kind": "processor", "name": r.name})),
                );
            }
            if matches!(p, Purpose::CertificateInformation | Purpose::RenewalReminder) {
                recipients.extend(apps.iter().map(|a| json!({"kind": "app", "name": a.id})));
            }
            Some(json!({
                "purpose": p.as_str(),
                "fields": fields.iter().map(|f| field_entry(f)).collect::<Vec<_>>(),
                "sensitive_fields": fields.iter().filter(|f| f.sensitive).map(|f| f.name).collect::<Vec<_>>(),
                "recipients": recipients,
            }))
        })
        .collect();
    json!({
        "type": "yinxin.ropa.v1",
        "controller": controller,
        "activities": activities,
        "processors": processors.iter().map(processor_entry).collect::<Vec<_>>(),
        "relying_apps": apps.iter().map(app_entry).collect::<Vec<_>>(),
        "security_measures": MEASURES,
    })
}

/// The impact assessment: one assessment per processing PIPL art. 55 names — sensitive
/// information, entrusted processing, provision to other handlers, transfer abroad — each with
/// its risk and the measures against it.
pub fn pia(controller: Value, processors: &[ProcessorRecord], apps: &[RelyingAppRecord]) -> Value {
    let mut assessments = Vec::new();
    for f in INVENTORY.iter().copied().filter(|f| f.sensitive) {
        let stored = !matches!(f.storage, Storage::NeverStored);
        let risk = match (stored, f.category) {
            (false, _) => "low",
            (true, Category::Biometric | Category::Financial) => "high",
            (true, _) => "medium",
        };
        let purposes: Vec<&str> = Purpose::ALL
            .iter()
            .filter(|p| f.allows(**p))
            .map(|p| p.as_str())
            .collect();
        assessments.push(json!({
            "trigger": "sensitive_personal_information",
            "subject": f.name,
            "purposes": purposes,
            "legal_basis": f.legal_basis,
            "retention": f.retention,
            "risk": risk,
            "measures": if stored { MEASURES.to_vec() } else {
                vec!["never stored: it passes through memory to the provider and is zeroized"]
            },
        }));
    }
    for p in processors {
        assessments.push(json!({
            "trigger": "entrusted_processing",
            "subject": p.name,
            "data_items": p.data_items,
            "location": p.location,
            "risk": "medium",
            "measures": [
                p.processing_method.as_str(),
                "each call recorded in the subject's disclosure log",
                "erasure notices to the processor when the subject's data is erased (PRIV-15)",
            ],
        }));
        if p.outside_prc {
            let finding = if p.security_assessment.is_some() {
                "receives a subject's data only with their separate consent to the transfer"
            } else {
                "no security assessment recorded: it receives nothing (passed over)"
            };
            assessments.push(json!({
                "trigger": "cross_border_transfer",
                "subject": p.name,
                "security_assessment": p.security_assessment,
                "risk": if p.security_assessment.is_some() { "medium" } else { "high" },
                "measures": [finding],
            }));
        }
    }
    for a in apps {
        let personal = a.data_items.iter().any(|i| i.starts_with("person."));
        assessments.push(json!({
            "trigger": "provision_to_others",
            "subject": a.id,
            "data_items": a.data_items,
            "risk": if personal { "medium" } else { "low" },
            "measures": [
                "only for certificates their holder says they use with the application",
                "each provision recorded in the holder's disclosure log",
                "erasure notices to the application when the holder's data is erased (PRIV-15)",
            ],
        }));
    }
    let count = |level: &str| assessments.iter().filter(|a| a["risk"] == level).count();
    let summary = json!({"high": count("high"), "medium": count("medium"), "low": count("low")});
    json!({
        "type": "yinxin.pia.v1",
        "controller": controller,
        "assessments": assessments,
        "summary": summary,
    })
}

impl Accounts {
    /// The documents as the registers stand now, as `(kind, JSON text)`.
    async fn current_documents(&self) -> ServiceResult<[(RecordKind, String); 2]> {
        let processors = self.repo.processors().await?;
        let apps = self.repo.relying_apps().await?;
        let c = &self.controller;
        let controller = json!({"name": c.name, "contact": c.contact, "email": c.email});
        let text = |v: Value| {
            serde_json::to_string(&v)
                .map_err(|e| ServiceError::Internal(format!("processing record: {e}")))
        };
        Ok([
            (
                RecordKind::Ropa,
                text(ropa(controller.clone(), &processors, &apps))?,
            ),
            (RecordKind::Pia, text(pia(controller, &processors, &apps))?),
        ])
    }

    /// Stores a new version of each document whose content changed since its latest version,
    /// by `by`; returns the latest version of each, saying which are new.
    pub async fn refresh_processing_records(&self, by: &str) -> ServiceResult<Vec<RecordVersion>> {
        let mut out = Vec::new();
        for (kind, document) in self.current_documents().await? {
            let sha256 = yinxin_domain::signing::to_hex(&Sha256::digest(document.as_bytes()));
            let latest = self.repo.latest_processing_record(kind).await?;
            if let Some(l) = latest.as_ref().filter(|l| l.sha256 == sha256) {
                out.push(RecordVersion {
                    record: l.clone(),
                    new: false,
                });
                continue;
            }
            let at = now();
            let record = ProcessingRecord {
                kind,
                version: latest.map_or(1, |l| l.version.saturating_add(1)),
                sha256,
                document,
                created_by: by.to_owned(),
                created_at: at,
                retain_until: at.saturating_add(KEPT_SECS),
            };
            match self.repo.insert_processing_record(&record).await {
                Ok(()) => {}
                // Another node stored the same version meanwhile.
                Err(StoreError::Conflict(_)) => {
                    return Err(DomainError::new(
                        ErrorCode::Conflict,
                        "kind: another version was stored meanwhile; ask again",
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
            tracing::info!(
                kind = kind.as_str(),
                version = record.version,
                "processing record version stored"
            );
            out.push(RecordVersion { record, new: true });
        }
        Ok(out)
    }

    /// The privacy officer stores new versions where the registers changed.
    pub async fn staff_refresh_processing_records(
        &self,
        officer: &AccountRecord,
    ) -> ServiceResult<Vec<RecordVersion>> {
        self.acting_as(officer, StaffRole::PrivacyOfficer).await?;
        self.refresh_processing_records(&officer.id.to_string())
            .await
    }

    /// Every version of `kind`, newest first (privacy officer, auditor).
    pub async fn staff_processing_records(
        &self,
        staff: &AccountRecord,
        kind: RecordKind,
    ) -> ServiceResult<Vec<ProcessingRecord>> {
        self.officer_or_auditor(staff).await?;
        Ok(self.repo.processing_records(kind).await?)
    }

    /// One version with its document (privacy officer, auditor); `404` if there is none.
    pub async fn staff_processing_record(
        &self,
        staff: &AccountRecord,
        kind: RecordKind,
        version: u32,
    ) -> ServiceResult<RecordDocument> {
        self.officer_or_auditor(staff).await?;
        let record = self
            .repo
            .processing_record(kind, version)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "version: no such version"))?;
        let document = serde_json::from_str(&record.document)
            .map_err(|e| ServiceError::Internal(format!("stored processing record: {e}")))?;
        Ok(RecordDocument { record, document })
    }
}
