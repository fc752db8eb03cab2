//! Evidence entries of the disclosure log (issue 7 item 2; PRIV-7, EVID-2; docs/LEDGER.md):
//! every provision of a subject's data to a processor (identity verification) or to a relying
//! application queues a type 9 entry in the same transaction as its disclosure record. The
//! entry commits under part salt 1 of a fresh salt to the record's canonical bytes, which hold
//! names, pseudonymous ids and inventory field names — never a value.

use yinxin_domain::ledger::EvidenceEntry;
use yinxin_domain::relying::AppDisclosureRecord;
use yinxin_domain::verification::DisclosureRecord;
use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};

use crate::service::{ServiceError, ServiceResult};

/// A processor disclosure's canonical bytes: `id \n processor \n subject \n verification \n
/// purpose \n data items (comma-separated) \n result \n at \n`.
pub fn disclosure_bytes(d: &DisclosureRecord) -> Vec<u8> {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        d.id,
        d.processor,
        d.subject,
        d.verification,
        d.purpose,
        d.data_items.join(","),
        d.result,
        d.at
    )
    .into_bytes()
}

/// A relying application disclosure's canonical bytes: `id \n app \n subject \n serial \n
/// purpose \n data items (comma-separated) \n at \n`.
pub fn app_disclosure_bytes(d: &AppDisclosureRecord) -> Vec<u8> {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        d.id,
        d.app,
        d.subject,
        d.serial,
        d.purpose,
        d.data_items.join(","),
        d.at
    )
    .into_bytes()
}

fn disclosure_entry(
    kind: &'static str,
    id: String,
    at: i64,
    bytes: &[u8],
) -> ServiceResult<EvidenceEntry> {
    let salt = Salt::random();
    Entry {
        time_ms: at.saturating_mul(1000),
        body: EntryBody::Disclosure {
            disclosure: Commitment::to(&salt.part(1), bytes),
        },
    }
    .evidence(kind, id, &salt)
    .map_err(|e| ServiceError::Internal(format!("disclosure evidence: {e}")))
}

/// The entries of processor disclosures (salts under kind `disclosure`).
pub(crate) fn of_disclosures(d: &[DisclosureRecord]) -> ServiceResult<Vec<EvidenceEntry>> {
    d.iter()
        .map(|r| disclosure_entry("disclosure", r.id.to_string(), r.at, &disclosure_bytes(r)))
        .collect()
}

/// The entries of relying application disclosures (salts under kind `app_disclosure`).
pub(crate) fn of_app_disclosures(d: &[AppDisclosureRecord]) -> ServiceResult<Vec<EvidenceEntry>> {
    d.iter()
        .map(|r| {
            disclosure_entry(
                "app_disclosure",
                r.id.to_string(),
                r.at,
                &app_disclosure_bytes(r),
            )
        })
        .collect()
}
