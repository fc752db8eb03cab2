//! Issuance policy, one [`Profile`] per kind of certificate (after RustCrypto x509-cert's
//! `builder::profile`): which key usages and extended key usages a certificate carries, whether
//! it is a CA, how long it may live, and which key algorithms its subject may use.

use std::time::Duration;

use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::KeyUsages;
use yinxin_crypto::KeyAlgorithm;

/// Extended key usage OIDs (RFC 5280 §4.2.1.12) used by the profiles.
pub mod eku {
    use der::asn1::ObjectIdentifier;

    /// id-kp-OCSPSigning.
    pub const OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
    /// id-kp-timeStamping.
    pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
    /// id-kp-emailProtection (document signing clients commonly look for it).
    pub const EMAIL_PROTECTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
    /// id-kp-documentSigning (RFC 9336).
    pub const DOCUMENT_SIGNING: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");
}

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// The kinds of certificate the service issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileKind {
    /// A self-signed root CA.
    RootCa,
    /// An issuing (subordinate) CA, path length 0.
    IssuingCa,
    /// The delegated OCSP responder of an issuing CA (RFC 6960 §4.2.2.2).
    OcspResponder,
    /// The timestamp authority (RFC 3161 §2.3: the one EKU, critical).
    Timestamping,
    /// A person's signing certificate.
    PersonalSigning,
    /// An enterprise's signing (seal) certificate.
    EnterpriseSigning,
    /// A certificate of a person acting for an enterprise.
    EnterpriseAgent,
    /// An event certificate (CERT-3): minutes to hours, bound to one event.
    Event,
    /// The service's evidence-report signer (EVID-2): documents only, never to subscribers.
    EvidenceSigning,
}

impl ProfileKind {
    /// The stable name used in records and the API. NEVER rename one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RootCa => "root_ca",
            Self::IssuingCa => "issuing_ca",
            Self::OcspResponder => "ocsp_responder",
            Self::Timestamping => "timestamping",
            Self::PersonalSigning => "personal_signing",
            Self::EnterpriseSigning => "enterprise_signing",
            Self::EnterpriseAgent => "enterprise_agent",
            Self::Event => "event",
            Self::EvidenceSigning => "evidence_signing",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::RootCa,
            Self::IssuingCa,
            Self::OcspResponder,
            Self::Timestamping,
            Self::PersonalSigning,
            Self::EnterpriseSigning,
            Self::EnterpriseAgent,
            Self::Event,
            Self::EvidenceSigning,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What a certificate of one kind carries and allows.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Which kind.
    pub kind: ProfileKind,
    /// `Some(path length)` for a CA certificate.
    pub ca_path_len: Option<Option<u8>>,
    /// Key usages (critical, RFC 5280 §4.2.1.3).
    pub key_usage: Vec<KeyUsages>,
    /// Extended key usages; empty for none.
    pub extended_key_usage: Vec<ObjectIdentifier>,
    /// Whether the EKU extension is critical (RFC 3161 requires it for a TSA).
    pub eku_critical: bool,
    /// The longest validity allowed.
    pub max_validity: Duration,
    /// The validity used when a request does not ask for less.
    pub default_validity: Duration,
    /// The key algorithms a subject may use.
    pub allowed_algorithms: Vec<KeyAlgorithm>,
    /// Whether the certificate carries CRL distribution point and AIA URLs (not a root).
    pub status_urls: bool,
    /// Whether a renewal may keep the old key (CERT-1: "new key or same key, as the profile
    /// allows"). Event certificates are never renewed at all (CERT-3).
    pub same_key_renewal: bool,
}

impl Profile {
    /// The built-in profile of a kind.
    pub fn builtin(kind: ProfileKind) -> Self {
        use KeyUsages::*;
        let every = KeyAlgorithm::ALL.to_vec();
        let (ca, ku, eku, eku_crit, max, default, urls) = match kind {
            ProfileKind::RootCa => (
                Some(None),
                vec![KeyCertSign, CRLSign],
                vec![],
                false,
                25 * 365 * DAY,
                20 * 365 * DAY,
                false,
            ),
            ProfileKind::IssuingCa => (
                Some(Some(0)),
                vec![KeyCertSign, CRLSign],
                vec![],
                false,
                15 * 365 * DAY,
                10 * 365 * DAY,
                true,
            ),
            ProfileKind::OcspResponder => (
                None,
                vec![DigitalSignature],
                vec![eku::OCSP_SIGNING],
                false,
                2 * 365 * DAY,
                365 * DAY,
                false,
            ),
            ProfileKind::Timestamping => (
                None,
                vec![DigitalSignature],
                vec![eku::TIME_STAMPING],
                true,
                10 * 365 * DAY,
                5 * 365 * DAY,
                true,
            ),
            ProfileKind::PersonalSigning
            | ProfileKind::EnterpriseSigning
            | ProfileKind::EnterpriseAgent => (
                None,
                vec![DigitalSignature, NonRepudiation],
                vec![eku::DOCUMENT_SIGNING, eku::EMAIL_PROTECTION],
                false,
                3 * 365 * DAY,
                365 * DAY,
                true,
            ),
            // RFC 9336 id-kp-documentSigning; non-repudiation: a report is the service's word.
            ProfileKind::EvidenceSigning => (
                None,
                vec![DigitalSignature, NonRepudiation],
                vec![eku::DOCUMENT_SIGNING],
                false,
                5 * 365 * DAY,
                3 * 365 * DAY,
                true,
            ),
            ProfileKind::Event => (
                None,
                vec![DigitalSignature, NonRepudiation],
                vec![eku::DOCUMENT_SIGNING],
                false,
                24 * HOUR,
                HOUR,
                true,
            ),
        };
        Self {
            kind,
            ca_path_len: ca,
            key_usage: ku,
            extended_key_usage: eku,
            eku_critical: eku_crit,
            max_validity: Duration::from_secs(max),
            default_validity: Duration::from_secs(default),
            allowed_algorithms: every,
            status_urls: urls,
            same_key_renewal: matches!(
                kind,
                ProfileKind::PersonalSigning
                    | ProfileKind::EnterpriseSigning
                    | ProfileKind::EnterpriseAgent
            ),
        }
    }
}
