//! Which root a signer's certificate chains to (issue 6 item 7): a path from the signer's
//! certificate through the certificates a signature carries (or others given) to one of the
//! trust anchors given, each link checked by its signature, each certificate within its
//! validity at the time asked about (RFC 5280 §6.1, the basic checks: names chain, signatures
//! verify, validity; no policy or name constraints processing).
//!
//! Pure: the caller says what it trusts — the server its own roots, `yinxin verify` the roots it
//! is given — and when (the signature's timestamp, else its claimed signing time).

use std::time::{Duration, SystemTime};

use der::{Decode, Encode};
use x509_cert::Certificate;
use yinxin_crypto::verify::verify_signature;
use yinxin_domain::validate::CivilDate;

/// The longest path followed (signer, intermediates, root).
const MAX_PATH: usize = 8;

/// Where a signer's certificate leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Subjects from the signer's certificate up, as far as a path was found (RFC 4514).
    pub path: Vec<String>,
    /// The trust anchor reached (its subject), if one was.
    pub root: Option<String>,
    /// The DER of the certificates of the path, signer first (the root last when reached).
    pub path_der: Vec<Vec<u8>>,
    /// Whether the path ends at a trust anchor and every certificate of it was valid at the
    /// time asked about.
    pub trusted: bool,
    /// Why not, if not.
    pub problem: Option<String>,
}

struct Cert {
    der: Vec<u8>,
    cert: Certificate,
}

impl Cert {
    fn read(der: &[u8]) -> Option<Self> {
        Certificate::from_der(der).ok().map(|cert| Self {
            der: der.to_vec(),
            cert,
        })
    }

    fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// Whether `issuer` signed this certificate: names chain and the signature verifies.
    fn issued_by(&self, issuer: &Cert) -> bool {
        let tbs = self.cert.tbs_certificate();
        if tbs.issuer() != issuer.cert.tbs_certificate().subject() {
            return false;
        }
        let (Ok(tbs_der), Ok(spki)) = (
            tbs.to_der(),
            issuer
                .cert
                .tbs_certificate()
                .subject_public_key_info()
                .to_der(),
        ) else {
            return false;
        };
        let Some(sig) = self.cert.signature().as_bytes() else {
            return false;
        };
        verify_signature(&spki, self.cert.signature_algorithm().oid, &tbs_der, sig).is_ok()
    }

    /// Why this certificate was not valid at `at`, if it was not.
    fn invalid_at(&self, at: SystemTime) -> Option<String> {
        let v = self.cert.tbs_certificate().validity();
        let from = v.not_before.to_system_time();
        let until = v.not_after.to_system_time();
        let when = rfc3339(at);
        if at < from {
            Some(format!(
                "the certificate of {} was not yet valid at {when} (valid from {})",
                self.subject(),
                rfc3339(from)
            ))
        } else if at > until {
            Some(format!(
                "the certificate of {} had expired at {when} (valid until {})",
                self.subject(),
                rfc3339(until)
            ))
        } else {
            None
        }
    }
}

/// `t` as RFC 3339 in UTC to the second (`2026-12-02T05:00:00Z`); before 1970: the epoch.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    rfc3339_unix(i64::try_from(secs).unwrap_or(i64::MAX / 2))
}

/// Unix seconds as RFC 3339 in UTC (proleptic Gregorian).
pub fn rfc3339_unix(unix: i64) -> String {
    let (d, hh, mm, ss) = civil(unix);
    format!(
        "{:04}-{:02}-{:02}T{hh:02}:{mm:02}:{ss:02}Z",
        d.year, d.month, d.day
    )
}

/// The UTC date and time of day of Unix seconds.
pub(crate) fn civil(unix: i64) -> (CivilDate, i64, i64, i64) {
    let rem = unix.rem_euclid(86_400);
    (
        CivilDate::from_unix_days(unix.div_euclid(86_400)),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
    )
}

/// A certificate as a verification report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
}

/// What a DER certificate says of itself; `None` if it cannot be read.
pub fn describe(der: &[u8]) -> Option<CertificateInfo> {
    let c = Certificate::from_der(der).ok()?;
    let tbs = c.tbs_certificate();
    Some(CertificateInfo {
        subject: tbs.subject().to_string(),
        issuer: tbs.issuer().to_string(),
        serial: hex::encode(tbs.serial_number().as_bytes()),
        fingerprint: hex::encode(yinxin_pki::cms::DigestAlgorithm::Sha256.digest(der)),
        not_before: rfc3339(tbs.validity().not_before.to_system_time()),
        not_after: rfc3339(tbs.validity().not_after.to_system_time()),
    })
}

/// Builds the path from `signer_der` through `intermediates` to one of `anchors`, checked at
/// `at` (validity of every certificate of the path; `None`: not checked).
pub fn build(
    signer_der: &[u8],
    intermediates: &[Vec<u8>],
    anchors: &[Vec<u8>],
    at: Option<SystemTime>,
) -> ChainReport {
    let mut report = ChainReport {
        path: Vec::new(),
        root: None,
        path_der: Vec::new(),
        trusted: false,
        problem: None,
    };
    let Some(mut current) = Cert::read(signer_der) else {
        report.problem = Some("the signer's certificate cannot be read".into());
        return report;
    };
    let pool: Vec<Cert> = intermediates.iter().filter_map(|d| Cert::read(d)).collect();
    let roots: Vec<Cert> = anchors.iter().filter_map(|d| Cert::read(d)).collect();
    let mut invalid = None;
    for _ in 0..MAX_PATH {
        report.path.push(current.subject());
        report.path_der.push(current.der.clone());
        if invalid.is_none() {
            invalid = at.and_then(|t| current.invalid_at(t));
        }
        if roots.iter().any(|r| r.der == current.der) {
            report.root = Some(current.subject());
            break;
        }
        if let Some(root) = roots.iter().find(|r| current.issued_by(r)) {
            report.path.push(root.subject());
            report.path_der.push(root.der.clone());
            if invalid.is_none() {
                invalid = at.and_then(|t| root.invalid_at(t));
            }
            report.root = Some(root.subject());
            break;
        }
        let next = pool.iter().find(|c| {
            c.der != current.der && !report.path_der.contains(&c.der) && current.issued_by(c)
        });
        match next {
            Some(c) => {
                current = Cert {
                    der: c.der.clone(),
                    cert: c.cert.clone(),
                }
            }
            None => {
                report.problem = Some(format!(
                    "no certificate of the issuer of {} ({}) is carried or trusted",
                    current.subject(),
                    current.cert.tbs_certificate().issuer()
                ));
                return report;
            }
        }
    }
    if report.root.is_none() {
        report.problem = Some(format!("no trusted root within {MAX_PATH} certificates"));
        return report;
    }
    report.trusted = invalid.is_none();
    report.problem = invalid;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Pki;

    #[test]
    fn a_signer_chains_to_its_root_and_not_to_another() {
        let pki = Pki::new(yinxin_crypto::KeyAlgorithm::EcdsaP256);
        let now = SystemTime::now();
        let r = build(
            &pki.signer,
            std::slice::from_ref(&pki.issuing),
            std::slice::from_ref(&pki.root),
            Some(now),
        );
        assert!(r.trusted, "{r:?}");
        assert_eq!(r.path.len(), 3, "{r:?}");
        assert_eq!(r.path_der.last(), Some(&pki.root));
        assert!(r.root.is_some());

        // Without the issuing CA there is no path.
        let r = build(&pki.signer, &[], std::slice::from_ref(&pki.root), Some(now));
        assert!(!r.trusted && r.root.is_none(), "{r:?}");
        assert!(r.problem.unwrap().contains("no certificate of the issuer"));

        // Another hierarchy's root is not this one's, even with a chain carried.
        let other = Pki::new(yinxin_crypto::KeyAlgorithm::EcdsaP256);
        let r = build(
            &pki.signer,
            std::slice::from_ref(&pki.issuing),
            std::slice::from_ref(&other.root),
            Some(now),
        );
        assert!(!r.trusted, "{r:?}");
        // A certificate of the same name but another key does not link: the signature fails.
        let r = build(
            &pki.signer,
            std::slice::from_ref(&other.issuing),
            std::slice::from_ref(&pki.root),
            Some(now),
        );
        assert!(!r.trusted, "{r:?}");

        // Valid now, not a century later.
        let later = now + Duration::from_secs(100 * 365 * 86_400);
        let r = build(
            &pki.signer,
            std::slice::from_ref(&pki.issuing),
            std::slice::from_ref(&pki.root),
            Some(later),
        );
        assert!(!r.trusted && r.root.is_some(), "{r:?}");
        assert!(r.problem.unwrap().contains("had expired"), "expired");

        let r = build(b"not a certificate", &[], &[], None);
        assert!(!r.trusted);
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_unix(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339_unix(951_782_400), "2000-02-29T00:00:00Z");
        let info = describe(&pki.signer).unwrap();
        assert_eq!(info.issuer, describe(&pki.issuing).unwrap().subject);
        assert_eq!(info.fingerprint.len(), 64);
        assert!(describe(b"junk").is_none());
    }
}
