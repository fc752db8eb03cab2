//! The revocation status of a signer's certificate from the validation data a document carries
//! (its /DSS: EN 319 142-1 §5.4.2; issue 6 item 7): what a relying party without the issuing
//! CA's records — `yinxin verify pdf` offline, or this service for another CA's certificate —
//! can still establish. Pure, like the rest of the crate.
//!
//! Each OCSP response and CRL is checked before it is believed: an OCSP response must be signed
//! by the issuing CA or by a responder it certified for OCSP signing, a CRL by the CA
//! (`yinxin_pki::ocsp::check_response`, `yinxin_pki::crl::lookup`). Those that are not, or
//! speak of other certificates, are passed over. An OCSP answer is preferred to a CRL (it is
//! about the one certificate), and among several the most recent.

use std::time::SystemTime;

use der::Decode;
use x509_cert::Certificate;
use yinxin_pki::crl::{self, RevocationReason};
use yinxin_pki::ocsp::{self, CertStatus};

use crate::pades::ValidationData;

/// Where a finding comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An OCSP response in the document.
    Ocsp,
    /// A CRL in the document.
    Crl,
}

impl Source {
    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ocsp => "dss_ocsp",
            Self::Crl => "dss_crl",
        }
    }
}

/// The certificate's status by one piece of validation data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not revoked as of [`Finding::as_of`].
    Good,
    /// Revoked at `at`.
    Revoked {
        /// When.
        at: SystemTime,
        /// Why.
        reason: RevocationReason,
    },
    /// The responder does not know the certificate.
    Unknown,
}

/// What the document's validation data says of the signer's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The status.
    pub status: Status,
    /// From an OCSP response or a CRL.
    pub source: Source,
    /// The time the status is as of (the response's or the CRL's thisUpdate).
    pub as_of: SystemTime,
}

/// The status of `signer_der`, issued by the CA whose certificate is `issuer_der`, by the
/// checked OCSP responses and CRLs of `data`; `None` when none of them speaks of it.
pub fn status(signer_der: &[u8], issuer_der: &[u8], data: &ValidationData) -> Option<Finding> {
    let signer = Certificate::from_der(signer_der).ok()?;
    let serial = signer.tbs_certificate().serial_number().as_bytes();
    let latest = |found: Vec<Finding>| found.into_iter().max_by_key(|f| f.as_of);
    let by_ocsp: Vec<Finding> = data
        .ocsp_responses
        .iter()
        .filter_map(|r| ocsp::check_response(r, issuer_der, serial).ok().flatten())
        .map(|f| Finding {
            status: match f.status {
                CertStatus::Good => Status::Good,
                CertStatus::Unknown => Status::Unknown,
                CertStatus::Revoked { at, reason } => Status::Revoked {
                    at,
                    reason: reason.unwrap_or(RevocationReason::Unspecified),
                },
            },
            source: Source::Ocsp,
            as_of: f.this_update,
        })
        .collect();
    if let Some(f) = latest(by_ocsp) {
        return Some(f);
    }
    let by_crl: Vec<Finding> = data
        .crls
        .iter()
        .filter_map(|c| crl::lookup(c, issuer_der, serial).ok().flatten())
        .map(|f| Finding {
            status: match f.revoked {
                None => Status::Good,
                Some((at, reason)) => Status::Revoked { at, reason },
            },
            source: Source::Crl,
            as_of: f.this_update,
        })
        .collect();
    latest(by_crl)
}
