//! The certificate authority service (CERT-1, CERT-2, CERT-4, CERT-7, CERT-10): hierarchies
//! loaded (or created on first start) from the records, issuance from a PKCS#10 request to a
//! verified subject, revocation by the holder, staff or an operator, and the CRL of each issuing
//! CA — a rotated-out one included. Adding and rotating hierarchies: `ca/admin.rs`.
//!
//! Each issuance is one row written in one statement *before* the certificate is returned: a
//! client is never told of a certificate that has no record, and a certificate that failed to be
//! recorded is never handed out (its serial simply never existed). The certificate's DER carries
//! the holder's name, so it is sealed under the holder; the row keeps a masked subject for the
//! public query (CERT-5) and `retain_until` = expiry + 5 years (CERT-7).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use yinxin_crypto::{KeyAlgorithm, KeyId, KeyStore, Signer};
use yinxin_domain::certificate::{
    CaRecord, CaRole, CertificateRecord, CertificateRepo, Revocation,
};
use yinxin_domain::inventory::SUBSCRIBER_CERTIFICATE;
use yinxin_domain::pi::mask;
use yinxin_domain::repo::StoreError;
use yinxin_domain::{AccountId, SubjectId};
use yinxin_privacy::vault::Vault;

use crate::PkiError;
use crate::cert::{CertificateSpec, Issuer, StatusUrls, issue, random_serial};
use crate::crl::{RevocationReason, RevokedEntry, build_crl};
use crate::csr::check_request;
use crate::event::EventBinding;
use crate::name::NameBuilder;
use crate::ocsp::{
    CertId, CertStatus as OcspStatus, OcspRequest, OcspResponseStatus, ResponderIdentity,
    build_response, error_response, parse_request,
};
use crate::profile::{Profile, ProfileKind};

mod admin;
pub use admin::{CaInfo, KeyLocation};

/// How much of the subject's document goes into the certificate (CERT-4). Stated in the privacy
/// notice; the default is the keyed hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubjectMode {
    /// The document number in full (`serialNumber`).
    Full,
    /// First and last character only.
    Masked,
    /// HMAC-SHA-256 of the document number under a service key, 32 hex digits: the same person
    /// always gets the same value, and nobody without the key can compute it from a number.
    #[default]
    KeyedHash,
}

impl SubjectMode {
    /// The stable name stored and configured.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Masked => "masked",
            Self::KeyedHash => "keyed_hash",
        }
    }

    /// The mode of a configured name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Full, Self::Masked, Self::KeyedHash]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Settings of the CA service.
#[derive(Clone, Debug)]
pub struct CaConfig {
    /// The operator's name, in CA names.
    pub organization: String,
    /// Where the service is reached publicly (`https://ca.example.cn`), for CRL and AIA URLs.
    pub public_base_url: String,
    /// The hierarchies to have (first start creates the missing ones).
    pub algorithms: Vec<KeyAlgorithm>,
    /// CERT-4.
    pub subject_mode: SubjectMode,
    /// How long a CRL is valid (its nextUpdate).
    pub crl_validity: Duration,
}

/// Who the certificate is for: an identity the caller verified (CERT-2). Built by the server from
/// a verification record; the CA never takes a subject from the request.
#[derive(Clone)]
pub struct VerifiedSubject {
    /// The holder's account.
    pub account: AccountId,
    /// The holder's vault subject (the certificate is sealed under it).
    pub vault_subject: SubjectId,
    /// The verified name (person or enterprise).
    pub name: String,
    /// The verified document number (resident ID) or, for an enterprise, the USCC.
    pub document_number: String,
    /// Whether the subject is an enterprise (its USCC goes to organizationIdentifier).
    pub enterprise: bool,
    /// For a person acting for an enterprise (an enterprise agent certificate): the enterprise,
    /// verified, for whom the agent's authorization allows certificates (ACC-2).
    pub organization: Option<Organization>,
}

/// A verified enterprise named in an agent's certificate (GM/T 0015-2023: organizationName and
/// the unified social credit code in organizationIdentifier).
#[derive(Clone, Debug)]
pub struct Organization {
    /// The enterprise's registered name.
    pub name: String,
    /// Its unified social credit code (public registration data, not a person's PI).
    pub credit_code: String,
}

impl std::fmt::Debug for VerifiedSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedSubject")
            .field("account", &self.account)
            .field("enterprise", &self.enterprise)
            .finish_non_exhaustive()
    }
}

/// Where a subject's key comes from.
#[derive(Clone, Copy, Debug)]
pub enum SubjectKey<'a> {
    /// The subject's own key, proved by a PKCS#10 request (DER).
    Request(&'a [u8]),
    /// A key the key store generates and keeps for the subject (a hosted key, CERT-1): it signs
    /// for that subject only, through [`CertificateAuthority::hosted_signer`]. An event
    /// certificate's one-time key is always one (CERT-3).
    Hosted(KeyAlgorithm),
}

/// One issuance.
#[derive(Debug)]
pub struct IssueRequest<'a> {
    /// To whom.
    pub subject: VerifiedSubject,
    /// The subject's key.
    pub key: SubjectKey<'a>,
    /// Which profile.
    pub profile: ProfileKind,
    /// Which hierarchy.
    pub ca_algorithm: KeyAlgorithm,
    /// Shorter than the profile's default, if asked.
    pub validity: Option<Duration>,
    /// The event an event certificate is bound to (required for [`ProfileKind::Event`], refused
    /// for every other profile).
    pub event: Option<EventBinding>,
}

/// The key of a renewed certificate.
#[derive(Clone, Copy, Debug)]
pub enum RenewalKey<'a> {
    /// The old certificate's key again (hosted or not), where the profile allows it.
    Same,
    /// A new key.
    New(SubjectKey<'a>),
}

/// One renewal (CERT-1): a new certificate for the same holder and profile, linked to the old.
#[derive(Debug)]
pub struct RenewRequest<'a> {
    /// The certificate renewed (serial, lower-case hex).
    pub serial: &'a str,
    /// The holder, verified again now: the new subject comes from the identity as verified
    /// today (CERT-2), not from the old certificate.
    pub subject: VerifiedSubject,
    /// Same key or new.
    pub key: RenewalKey<'a>,
    /// Shorter than the profile's default, if asked.
    pub validity: Option<Duration>,
}

/// Who asks for a revocation (CERT-1: recorded with who and why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The certificate's holder (only their own certificates).
    Holder(AccountId),
    /// Staff (any certificate).
    Staff(AccountId),
    /// An operator at the console (`yinxin ca revoke --operator NAME`, any certificate), by the
    /// name they give: see [`check_operator_name`].
    Operator(String),
}

/// A certificate about to be signed and recorded: everything [`CertificateAuthority::issue`]
/// and [`CertificateAuthority::renew`] decided.
struct Draft<'a> {
    subject: &'a VerifiedSubject,
    profile: &'a Profile,
    ca_algorithm: KeyAlgorithm,
    validity: Duration,
    public_key_der: &'a [u8],
    key_algorithm: KeyAlgorithm,
    hosted_key_id: Option<String>,
    renews: Option<String>,
    extra_extensions: Vec<x509_cert::ext::Extension>,
}

/// An operator's name as recorded (`operator:<name>`): 1 to 64 ASCII letters, digits or
/// `. _ - @`, so a record never carries spaces, markup or control characters.
pub fn check_operator_name(name: &str) -> Result<(), CaError> {
    if yinxin_domain::validate::is_operator_name(name) {
        Ok(())
    } else {
        Err(CaError::Invalid(
            "operator: is 1 to 64 characters, ASCII letters, digits, '.', '_', '-' or '@'".into(),
        ))
    }
}

/// The reasons a certificate may be revoked with. `certificate_hold` is not among them (a hold
/// implies a release, which the service has not), nor `remove_from_crl` (RFC 5280 §5.3.1: delta
/// CRLs only).
pub const REVOCATION_REASONS: [RevocationReason; 8] = [
    RevocationReason::Unspecified,
    RevocationReason::KeyCompromise,
    RevocationReason::CaCompromise,
    RevocationReason::AffiliationChanged,
    RevocationReason::Superseded,
    RevocationReason::CessationOfOperation,
    RevocationReason::PrivilegeWithdrawn,
    RevocationReason::AaCompromise,
];

/// What went wrong, for the API to map.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The PKCS#10 request is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
    /// Another field of the request is wrong: which, and how.
    #[error("{1}")]
    InvalidField(&'static str, String),
    /// The certificate is in a state that does not allow this (revoked, expired, its key
    /// destroyed, already renewed); the message says which.
    #[error("{0}")]
    Refused(String),
    /// No such certificate (or not the caller's: the same answer, so ids cannot be probed).
    #[error("no such certificate")]
    NotFound,
    /// Already revoked.
    #[error("the certificate is already revoked")]
    AlreadyRevoked,
    /// No hierarchy of that algorithm.
    #[error("no {0} certificate authority is configured")]
    NoHierarchy(KeyAlgorithm),
    /// Keys, storage or the vault failed.
    #[error("{0}")]
    Internal(String),
}

impl From<PkiError> for CaError {
    fn from(e: PkiError) -> Self {
        match e {
            PkiError::Invalid(m) => Self::Invalid(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for CaError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<yinxin_crypto::CryptoError> for CaError {
    fn from(e: yinxin_crypto::CryptoError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// An issuing CA as loaded, with its delegated OCSP responder.
#[derive(Clone, Debug)]
struct IssuingCa {
    record: CaRecord,
    root_der: Vec<u8>,
    name: x509_cert::name::Name,
    responder: Arc<ResponderIdentity>,
    responder_key: String,
}

/// The record of an evidence-report signer and its chain (issuing CA, root), DER.
#[derive(Clone, Debug)]
struct EvidenceSigner {
    record: CaRecord,
    chain: Vec<Vec<u8>>,
}

/// What the service signs its evidence reports with (EVID-2): the key, its certificate and the
/// chain up to the root (issuing CA first).
#[derive(Clone)]
pub struct ServiceSigner {
    /// The key.
    pub signer: Arc<dyn Signer>,
    /// Its certificate (DER).
    pub certificate_der: Vec<u8>,
    /// The issuing CA's certificate, then the root's (DER).
    pub chain: Vec<Vec<u8>>,
    /// The issuing CA's id (its CRL goes into a report's validation data).
    pub issuing_ca: String,
}

impl std::fmt::Debug for ServiceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSigner")
            .field("issuing_ca", &self.issuing_ca)
            .finish_non_exhaustive()
    }
}

/// A pre-signed OCSP response (no nonce) for one CertID, with the status it says and when to
/// sign it again.
#[derive(Clone, Debug)]
struct CachedOcsp {
    der: Vec<u8>,
    revoked: bool,
    refresh_at: SystemTime,
}

/// How long an OCSP response is valid (nextUpdate); pre-signed ones are re-signed at half.
const OCSP_VALIDITY: Duration = Duration::from_secs(3600);

/// A hosted key ready to sign, with its certificate and chain ([`CertificateAuthority::hosted_signing`]).
pub struct HostedKey {
    /// The certificate's record.
    pub record: CertificateRecord,
    /// The key.
    pub signer: Arc<dyn Signer>,
    /// The certificate (DER).
    pub certificate_der: Vec<u8>,
    /// Issuing CA, then root (DER).
    pub chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for HostedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedKey")
            .field("serial", &self.record.serial)
            .finish_non_exhaustive()
    }
}

/// The CA service.
pub struct CertificateAuthority {
    keys: Arc<dyn KeyStore>,
    repo: Arc<dyn CertificateRepo>,
    vault: Vault,
    config: CaConfig,
    issuing: HashMap<KeyAlgorithm, IssuingCa>,
    /// Issuing CAs rotated out: no issuance, only the CRL and OCSP answers for what they issued.
    retired: Vec<IssuingCa>,
    /// The evidence-report signer of each active issuing CA (EVID-2).
    evidence: HashMap<KeyAlgorithm, EvidenceSigner>,
    crls: Mutex<HashMap<String, (Vec<u8>, SystemTime)>>,
    ocsp_cache: Mutex<HashMap<CertId, CachedOcsp>>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("algorithms", &self.issuing.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn from_unix(s: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

/// The evidence entry of an issuance (issue 7 item 2; EVID-1): type 1, or type 2 for a renewal,
/// committing under part salt 1 of a fresh salt to the certificate's DER and, for a renewal,
/// under part salt 2 to the renewed certificate's serial (hex, as recorded). Stored with the
/// record, in its transaction, salt beside it (`evidence_salts`, kind `certificate`, the serial).
fn issuance_evidence(
    record: &CertificateRecord,
    der: &[u8],
) -> Result<yinxin_domain::ledger::EvidenceEntry, CaError> {
    use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
    let salt = Salt::random();
    let certificate = Commitment::to(&salt.part(1), der);
    let body = match &record.renews {
        Some(old) => EntryBody::CertificateRenewed {
            certificate,
            renews: Commitment::to(&salt.part(2), old.as_bytes()),
        },
        None => EntryBody::CertificateIssued { certificate },
    };
    // The entry's time is the record's (as for signatures).
    Entry {
        time_ms: record.issued_at.saturating_mul(1000),
        body,
    }
    .evidence("certificate", record.serial.clone(), &salt)
    .map_err(|e| CaError::Internal(format!("evidence entry: {e}")))
}

/// The evidence entry of a revocation (issue 7 item 2; EVID-1): type 3, committing under part
/// salt 1 of a fresh salt to the revocation record `serial \n revoked_at \n reason \n by \n`
/// (the serial as recorded, hex; Unix seconds; the reason's stable name; who revoked), with the
/// RFC 5280 CRLReason code in the clear (a reason is no PI). The serial stands for the
/// certificate, as in a renewal's entry: the record's DER is sealed PI-bearing data. Salt in
/// `evidence_salts (kind = 'revocation', record_id = serial)`.
fn revocation_evidence(
    serial: &str,
    r: &Revocation,
    reason: RevocationReason,
) -> Result<yinxin_domain::ledger::EvidenceEntry, CaError> {
    use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
    let salt = Salt::random();
    let record = format!("{serial}\n{}\n{}\n{}\n", r.at, r.reason, r.by);
    Entry {
        time_ms: r.at.saturating_mul(1000),
        body: EntryBody::CertificateRevoked {
            certificate: Commitment::to(&salt.part(1), record.as_bytes()),
            reason: reason.code(),
        },
    }
    .evidence("revocation", serial.to_owned(), &salt)
    .map_err(|e| CaError::Internal(format!("evidence entry: {e}")))
}

/// When a certificate record may first be deleted (CERT-7): the inventory's retention rule of the
/// subscriber certificate — so many years after expiry (366-day years, so that leap days never
/// make it early) — read from the declaration, so that the rule stated in the privacy notice is
/// the rule applied.
fn retain_until(not_after: i64) -> i64 {
    let years = match SUBSCRIBER_CERTIFICATE.retention {
        yinxin_domain::pi::Retention::AfterCertificateExpiry { years } => i64::from(years),
        // Any other rule would be a declaration error; keep the ESL minimum then.
        _ => 5,
    };
    not_after + years.max(5) * 366 * 24 * 3600
}

fn urls(base: &str, ca: &str) -> StatusUrls {
    let base = base.trim_end_matches('/');
    StatusUrls {
        crl: format!("{base}/pki/crl/{ca}.crl"),
        ocsp: format!("{base}/pki/ocsp"),
        ca_issuers: format!("{base}/pki/ca/{ca}.cer"),
    }
}

impl CertificateAuthority {
    /// Loads the hierarchies from the records, creating on first start those of
    /// `config.algorithms` that do not exist yet (keys in `keys`, the four CA records of each in
    /// one transaction). Every active issuing CA in the records is loaded, configured or not (one
    /// `yinxin ca add` made is served too); issuing CAs rotated out are loaded for their CRLs and
    /// OCSP answers only.
    pub async fn start(
        keys: Arc<dyn KeyStore>,
        repo: Arc<dyn CertificateRepo>,
        vault: Vault,
        config: CaConfig,
    ) -> Result<Self, CaError> {
        let mut records = repo.cas().await?;
        for &alg in &config.algorithms {
            let have = records
                .iter()
                .any(|r| r.active && r.role == CaRole::Issuing && r.algorithm == alg.as_str());
            if have {
                continue;
            }
            let new = admin::create_recorded_hierarchy(keys.as_ref(), repo.as_ref(), &config, alg)
                .await?;
            records.extend(new);
        }
        // EVID-2: the evidence-report signer of each active issuing CA (read again: another
        // node may have made one at the same moment).
        if !admin::ensure_evidence_signers(keys.as_ref(), repo.as_ref(), &config, &records)
            .await?
            .is_empty()
        {
            records = repo.cas().await?;
        }
        let mut evidence = HashMap::new();
        for r in records
            .iter()
            .filter(|r| r.active && r.role == CaRole::Evidence)
        {
            let parent = records.iter().find(|p| Some(&p.id) == r.parent.as_ref());
            let root =
                parent.and_then(|p| records.iter().find(|q| Some(&q.id) == p.parent.as_ref()));
            let (Some(parent), Some(root)) = (parent, root) else {
                return Err(CaError::Internal(format!(
                    "CA {} has no issuing CA or root",
                    r.id
                )));
            };
            if !parent.active {
                continue;
            }
            let alg = KeyAlgorithm::parse(&r.algorithm)
                .ok_or_else(|| CaError::Internal(format!("CA {} algorithm", r.id)))?;
            evidence.insert(
                alg,
                EvidenceSigner {
                    record: r.clone(),
                    chain: vec![parent.certificate.clone(), root.certificate.clone()],
                },
            );
        }
        let mut issuing = HashMap::new();
        let mut retired = Vec::new();
        for r in records.iter().filter(|r| r.role == CaRole::Issuing) {
            let alg = KeyAlgorithm::parse(&r.algorithm)
                .ok_or_else(|| CaError::Internal(format!("CA {} algorithm", r.id)))?;
            let root = records
                .iter()
                .find(|p| Some(&p.id) == r.parent.as_ref())
                .ok_or_else(|| CaError::Internal(format!("CA {} has no root", r.id)))?;
            let cert = <x509_cert::Certificate as der::Decode>::from_der(&r.certificate)
                .map_err(|e| CaError::Internal(format!("CA {} certificate: {e}", r.id)))?;
            // Its own responder: the active one while it is in use, the one it had once retired.
            let ocsp = records
                .iter()
                .filter(|o| o.role == CaRole::Ocsp && o.parent.as_ref() == Some(&r.id))
                .max_by_key(|o| (o.active, o.created_at))
                .ok_or_else(|| CaError::Internal(format!("CA {} has no OCSP responder", r.id)))?;
            let responder = ResponderIdentity::new(&r.certificate, &ocsp.certificate)?;
            let loaded = IssuingCa {
                record: r.clone(),
                root_der: root.certificate.clone(),
                name: cert.tbs_certificate().subject().clone(),
                responder: Arc::new(responder),
                responder_key: ocsp.key_id.clone(),
            };
            if !r.active {
                retired.push(loaded);
            } else if let Some(other) = issuing.insert(alg, loaded) {
                return Err(CaError::Internal(format!(
                    "two active {alg} issuing CAs: {} and {}",
                    other.record.id, r.id
                )));
            }
        }
        Ok(Self {
            keys,
            repo,
            vault,
            config,
            issuing,
            retired,
            evidence,
            crls: Mutex::new(HashMap::new()),
            ocsp_cache: Mutex::new(HashMap::new()),
        })
    }

    /// How much identity goes into certificate subjects (CERT-4), for the privacy notice.
    pub fn subject_mode(&self) -> SubjectMode {
        self.config.subject_mode
    }

    /// The evidence-report signer of `alg`'s issuing CA (EVID-2).
    pub async fn evidence_signer(&self, alg: KeyAlgorithm) -> Result<ServiceSigner, CaError> {
        let e = self.evidence.get(&alg).ok_or(CaError::NoHierarchy(alg))?;
        Ok(ServiceSigner {
            signer: self.keys.signer(&KeyId::new(&e.record.key_id)).await?,
            certificate_der: e.record.certificate.clone(),
            chain: e.chain.clone(),
            issuing_ca: e.record.parent.clone().unwrap_or_default(),
        })
    }

    /// The algorithms with an issuing CA.
    pub fn algorithms(&self) -> Vec<KeyAlgorithm> {
        let mut a: Vec<_> = self.issuing.keys().copied().collect();
        a.sort();
        a
    }

    /// Every issuing CA loaded, in use or retired: those that answer for certificates.
    fn issuing_cas(&self) -> impl Iterator<Item = &IssuingCa> {
        self.issuing.values().chain(&self.retired)
    }

    fn issuing(&self, alg: KeyAlgorithm) -> Result<&IssuingCa, CaError> {
        self.issuing.get(&alg).ok_or(CaError::NoHierarchy(alg))
    }

    /// The issuing CA's id for an algorithm (`sm2-issuing-1`).
    pub fn issuing_ca_id(&self, alg: KeyAlgorithm) -> Result<String, CaError> {
        Ok(self.issuing(alg)?.record.id.clone())
    }

    /// The roots of every hierarchy loaded (DER, deduplicated): what a signature made with one
    /// of this service's certificates chains to (issue 6 item 7, `POST /api/v1/verify/*`).
    pub fn trust_anchors(&self) -> Vec<Vec<u8>> {
        let mut roots: Vec<Vec<u8>> = Vec::new();
        for ca in self.issuing_cas() {
            if !roots.contains(&ca.root_der) {
                roots.push(ca.root_der.clone());
            }
        }
        roots
    }

    /// The certificates of every issuing CA loaded, in use or retired (DER): the intermediates
    /// a signature need not carry.
    pub fn issuing_certificates(&self) -> Vec<Vec<u8>> {
        self.issuing_cas()
            .map(|ca| ca.record.certificate.clone())
            .collect()
    }

    /// The record of a certificate this service issued, by its DER: `None` for a certificate
    /// of another issuer (or one whose serial this service has, but not this certificate).
    pub async fn record_of(&self, der: &[u8]) -> Result<Option<CertificateRecord>, CaError> {
        let Ok(cert) = <x509_cert::Certificate as der::Decode>::from_der(der) else {
            return Ok(None);
        };
        let serial = hex::encode(cert.tbs_certificate().serial_number().as_bytes());
        let Some(record) = self.repo.certificate(&serial).await? else {
            return Ok(None);
        };
        let ours = self
            .issuing_cas()
            .any(|ca| ca.record.id == record.ca_id && &ca.name == cert.tbs_certificate().issuer());
        Ok((ours && record.fingerprint == hex::encode(Sha256::digest(der))).then_some(record))
    }

    /// Issuing CA then root, PEM (`/pki/chain.pem`).
    pub fn chain_pem(&self, alg: KeyAlgorithm) -> Result<String, CaError> {
        let ca = self.issuing(alg)?;
        Ok(crate::pem(&ca.record.certificate, "CERTIFICATE")
            + &crate::pem(&ca.root_der, "CERTIFICATE"))
    }

    fn subject_name(
        &self,
        s: &VerifiedSubject,
    ) -> Result<(x509_cert::name::Name, String), CaError> {
        let id = match self.config.subject_mode {
            SubjectMode::Full => s.document_number.clone(),
            SubjectMode::Masked => mask(&s.document_number, 1, 1),
            SubjectMode::KeyedHash => {
                let key = self.vault.service_secret("ca/subject-document-hash");
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
                    .map_err(|_| CaError::Internal("subject hash key".into()))?;
                mac.update(s.document_number.as_bytes());
                let digest = mac.finalize().into_bytes();
                hex::encode(digest.get(..16).unwrap_or_default())
            }
        };
        let mut b = NameBuilder::new().country("CN");
        if let Some(org) = &s.organization {
            b = b
                .organization(&org.name)
                .organization_identifier(&org.credit_code)
                .serial_number(&id)
                .common_name(&s.name);
            let masked = format!(
                "CN={}, O={}, serialNumber={}",
                mask(&s.name, 1, 0),
                org.name,
                mask(&id, 2, 2)
            );
            return Ok((b.build()?, masked));
        }
        if s.enterprise {
            // GM/T 0015-2023: the enterprise's USCC in organizationIdentifier; the credit code is
            // the enterprise's public registration, not a person's PI, so it is not hashed.
            b = b
                .organization(&s.name)
                .organization_identifier(&s.document_number)
                .common_name(&s.name);
        } else {
            b = b.serial_number(&id).common_name(&s.name);
        }
        let masked = if s.enterprise {
            format!(
                "CN={}, organizationIdentifier={}",
                s.name,
                mask(&s.document_number, 2, 2)
            )
        } else {
            format!(
                "CN={}, serialNumber={}",
                mask(&s.name, 1, 0),
                mask(&id, 2, 2)
            )
        };
        Ok((b.build()?, masked))
    }

    /// The profile of a subscriber certificate; the CA-side ones are refused.
    fn subscriber_profile(kind: ProfileKind) -> Result<Profile, CaError> {
        if matches!(
            kind,
            ProfileKind::RootCa
                | ProfileKind::IssuingCa
                | ProfileKind::OcspResponder
                | ProfileKind::Timestamping
                | ProfileKind::EvidenceSigning
        ) {
            return Err(CaError::InvalidField(
                "profile",
                format!("profile {} is not issued to subscribers", kind.as_str()),
            ));
        }
        Ok(Profile::builtin(kind))
    }

    /// Whether the subject is of the profile's kind: an enterprise for enterprise signing, a
    /// person acting for a named enterprise for an agent certificate, a person for the rest.
    fn subject_fits(s: &VerifiedSubject, kind: ProfileKind) -> Result<(), CaError> {
        let fits = match kind {
            ProfileKind::EnterpriseSigning => s.enterprise && s.organization.is_none(),
            ProfileKind::EnterpriseAgent => !s.enterprise && s.organization.is_some(),
            _ => !s.enterprise && s.organization.is_none(),
        };
        if fits {
            Ok(())
        } else {
            Err(CaError::InvalidField(
                "profile",
                format!(
                    "a {} certificate is not issued to this subject: enterprise_signing is for an \
                     enterprise, enterprise_agent for a person acting for one, the others for a \
                     person",
                    kind.as_str()
                ),
            ))
        }
    }

    /// The validity asked for, refused beyond the profile's maximum (before any key is made).
    fn validity(profile: &Profile, asked: Option<Duration>) -> Result<Duration, CaError> {
        let v = asked.unwrap_or(profile.default_validity);
        if v > profile.max_validity || v.is_zero() {
            return Err(CaError::InvalidField(
                "validity",
                format!(
                    "a {} certificate is valid for at least 1 second and at most {} seconds",
                    profile.kind.as_str(),
                    profile.max_validity.as_secs()
                ),
            ));
        }
        Ok(v)
    }

    /// The public key of a subject key: a request's, checked; or a hosted key generated now
    /// (whose id is returned so that a failed issuance can destroy it).
    async fn subject_key(
        &self,
        key: SubjectKey<'_>,
        profile: &Profile,
        holder: AccountId,
    ) -> Result<(Vec<u8>, KeyAlgorithm, Option<String>), CaError> {
        match key {
            SubjectKey::Request(csr) => {
                let checked = check_request(csr, profile)?;
                Ok((checked.public_key_der, checked.algorithm, None))
            }
            SubjectKey::Hosted(alg) => {
                if !profile.allowed_algorithms.contains(&alg) || !self.keys.supports(alg) {
                    return Err(CaError::InvalidField(
                        "hosted_key",
                        format!(
                            "a {} certificate's hosted key cannot be {alg} here",
                            profile.kind.as_str()
                        ),
                    ));
                }
                let label = format!("{}/{holder}", profile.kind.as_str());
                let h = self.keys.generate(alg, &label).await?;
                Ok((h.public_key_der, alg, Some(h.id.to_string())))
            }
        }
    }

    /// Issues a certificate to a verified subject, with their own key (a PKCS#10 request) or a
    /// hosted one. The request's own subject is ignored (CERT-2: the subject comes from the
    /// verified identity). An event certificate (CERT-3) gets a one-time hosted key and the
    /// event binding extension. Everything is checked before a key is generated; a hosted key
    /// whose certificate could not be recorded is destroyed again.
    pub async fn issue(
        &self,
        req: IssueRequest<'_>,
    ) -> Result<(CertificateRecord, Vec<u8>), CaError> {
        let profile = Self::subscriber_profile(req.profile)?;
        Self::subject_fits(&req.subject, req.profile)?;
        let event = req.profile == ProfileKind::Event;
        let extra_extensions = match (&req.event, event) {
            (Some(b), true) => vec![b.extension()?],
            (None, true) => {
                return Err(CaError::InvalidField(
                    "event_digest",
                    "an event certificate is bound to its event: give the digest of the \
                     event's features (CERT-3)"
                        .into(),
                ));
            }
            (Some(_), false) => {
                return Err(CaError::InvalidField(
                    "event_digest",
                    "only an event certificate carries an event digest".into(),
                ));
            }
            (None, false) => Vec::new(),
        };
        if event && matches!(req.key, SubjectKey::Request(_)) {
            return Err(CaError::InvalidField(
                "csr",
                "an event certificate's key is a one-time key the service generates for the \
                 event (CERT-3): ask for a hosted key instead of sending a request"
                    .into(),
            ));
        }
        let validity = Self::validity(&profile, req.validity)?;
        self.issuing(req.ca_algorithm)?;
        let (public_key_der, key_algorithm, hosted_key_id) = self
            .subject_key(req.key, &profile, req.subject.account)
            .await?;
        let result = self
            .sign_and_record(Draft {
                subject: &req.subject,
                profile: &profile,
                ca_algorithm: req.ca_algorithm,
                validity,
                public_key_der: &public_key_der,
                key_algorithm,
                hosted_key_id: hosted_key_id.clone(),
                renews: None,
                extra_extensions,
            })
            .await;
        if result.is_err()
            && let Some(id) = hosted_key_id
        {
            self.destroy_quietly(&id).await;
        }
        result
    }

    /// Destroys a key generated for a certificate that was never recorded.
    async fn destroy_quietly(&self, key_id: &str) {
        if let Err(e) = self.keys.destroy(&KeyId::new(key_id)).await {
            tracing::warn!(key = key_id, error = %e, "an unused hosted key could not be destroyed");
        }
    }

    /// Renews a certificate (CERT-1): a new certificate of the same profile for the same holder,
    /// with the subject as verified now, the old key (where the profile allows it and the key
    /// still exists) or a new one, linked to the old by `renews`. The old certificate stays
    /// valid until it expires or its holder revokes it. Refused for another holder's certificate
    /// (as [`CaError::NotFound`]), for an event certificate (CERT-3: never renewed), for a
    /// revoked one, and for one already renewed (once, enforced by the database).
    pub async fn renew(
        &self,
        req: RenewRequest<'_>,
    ) -> Result<(CertificateRecord, Vec<u8>), CaError> {
        let old = self
            .repo
            .certificate(req.serial)
            .await?
            .ok_or(CaError::NotFound)?;
        if old.holder != req.subject.account {
            return Err(CaError::NotFound);
        }
        let kind = ProfileKind::parse(&old.profile)
            .ok_or_else(|| CaError::Internal(format!("stored profile {}", old.profile)))?;
        if kind == ProfileKind::Event {
            return Err(CaError::Refused(
                "an event certificate is never renewed (CERT-3): ask for a new one for the next \
                 event"
                    .into(),
            ));
        }
        if old.revocation.is_some() {
            return Err(CaError::Refused(
                "a revoked certificate is not renewed: ask for a new certificate".into(),
            ));
        }
        if let Some(n) = self.repo.renewal_of(&old.serial).await? {
            return Err(CaError::Refused(format!(
                "the certificate was already renewed, by {}: renew that one",
                n.serial
            )));
        }
        let profile = Self::subscriber_profile(kind)?;
        Self::subject_fits(&req.subject, kind)?;
        let validity = Self::validity(&profile, req.validity)?;
        // The hierarchy of the old certificate; its active issuing CA signs (after a rotation, a
        // newer one than signed the old certificate).
        let ca_algorithm = self
            .repo
            .cas()
            .await?
            .into_iter()
            .find(|c| c.id == old.ca_id)
            .and_then(|c| KeyAlgorithm::parse(&c.algorithm))
            .ok_or_else(|| CaError::Internal(format!("CA {} of {}", old.ca_id, old.serial)))?;
        let (public_key_der, key_algorithm, hosted_key_id, fresh) = match req.key {
            RenewalKey::Same => {
                if !profile.same_key_renewal {
                    return Err(CaError::InvalidField(
                        "same_key",
                        format!(
                            "a {} certificate is renewed with a new key",
                            profile.kind.as_str()
                        ),
                    ));
                }
                if old.key_destroyed_at.is_some() {
                    return Err(CaError::Refused(
                        "the certificate's hosted key was destroyed: renew with a new key".into(),
                    ));
                }
                let der = self.unseal(&old, req.subject.vault_subject).await?;
                let cert = <x509_cert::Certificate as der::Decode>::from_der(&der)
                    .map_err(|e| CaError::Internal(format!("stored certificate: {e}")))?;
                let spki = der::Encode::to_der(cert.tbs_certificate().subject_public_key_info())
                    .map_err(|e| CaError::Internal(format!("stored certificate key: {e}")))?;
                let alg = KeyAlgorithm::parse(&old.algorithm).ok_or_else(|| {
                    CaError::Internal(format!("stored algorithm {}", old.algorithm))
                })?;
                (spki, alg, old.hosted_key_id.clone(), false)
            }
            RenewalKey::New(key) => {
                let (spki, alg, hosted) =
                    self.subject_key(key, &profile, req.subject.account).await?;
                (spki, alg, hosted, true)
            }
        };
        let result = self
            .sign_and_record(Draft {
                subject: &req.subject,
                profile: &profile,
                ca_algorithm,
                validity,
                public_key_der: &public_key_der,
                key_algorithm,
                hosted_key_id: hosted_key_id.clone(),
                renews: Some(old.serial.clone()),
                extra_extensions: Vec::new(),
            })
            .await;
        if result.is_err()
            && fresh
            && let Some(id) = &hosted_key_id
        {
            self.destroy_quietly(id).await;
        }
        result
    }

    /// Signs a certificate from its draft, seals it under the holder and records it in one
    /// statement before it is returned.
    async fn sign_and_record(&self, d: Draft<'_>) -> Result<(CertificateRecord, Vec<u8>), CaError> {
        let ca = self.issuing(d.ca_algorithm)?;
        let signer = self.keys.signer(&KeyId::new(&ca.record.key_id)).await?;
        let (subject, masked_subject) = self.subject_name(d.subject)?;
        let serial = random_serial()?;
        let serial_hex = hex::encode(serial.as_bytes());
        let now = SystemTime::now();
        let (_, der) = issue(
            &CertificateSpec {
                profile: d.profile,
                subject,
                subject_public_key: d.public_key_der,
                not_before: now,
                validity: d.validity,
                extra_extensions: d.extra_extensions,
            },
            Some(&Issuer {
                name: ca.name.clone(),
                signer: signer.as_ref(),
                urls: Some(urls(&self.config.public_base_url, &ca.record.id)),
            }),
            None,
            serial,
        )?;
        let sealed = self
            .vault
            .seal_record(
                d.subject.vault_subject,
                &SUBSCRIBER_CERTIFICATE,
                serial_hex.as_bytes(),
                &der,
            )
            .await
            .map_err(|e| CaError::Internal(e.to_string()))?;
        let not_before = unix(now);
        let not_after = not_before + d.validity.as_secs() as i64;
        let record = CertificateRecord {
            serial: serial_hex,
            fingerprint: hex::encode(Sha256::digest(&der)),
            ca_id: ca.record.id.clone(),
            holder: d.subject.account,
            profile: d.profile.kind.as_str().to_owned(),
            algorithm: d.key_algorithm.as_str().to_owned(),
            sealed_der: sealed,
            masked_subject,
            subject_mode: self.config.subject_mode.as_str().to_owned(),
            not_before,
            not_after,
            hosted_key_id: d.hosted_key_id,
            key_destroyed_at: None,
            renews: d.renews,
            issued_at: not_before,
            retain_until: retain_until(not_after),
            revocation: None,
        };
        let evidence = issuance_evidence(&record, &der)?;
        match self.repo.insert_certificate(&record, Some(&evidence)).await {
            Ok(()) => Ok((record, der)),
            // The serial is 126 random bits: a conflict is the one-renewal index.
            Err(StoreError::Conflict(_)) if record.renews.is_some() => Err(CaError::Refused(
                "the certificate was already renewed: renew the newer one".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// A holder's certificate records, newest first.
    pub async fn certificates_of(
        &self,
        holder: AccountId,
    ) -> Result<Vec<CertificateRecord>, CaError> {
        Ok(self.repo.certificates_of(holder).await?)
    }

    /// A certificate's record for the public query (CERT-5): the caller shows only its PI-free
    /// and masked columns.
    pub async fn public_record(&self, serial: &str) -> Result<CertificateRecord, CaError> {
        self.repo
            .certificate(serial)
            .await?
            .ok_or(CaError::NotFound)
    }

    /// A certificate's record by SHA-256 fingerprint (lower-case hex), for the public query.
    pub async fn public_record_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<CertificateRecord, CaError> {
        self.repo
            .certificate_by_fingerprint(fingerprint)
            .await?
            .ok_or(CaError::NotFound)
    }

    /// The holder's own certificate (DER), unsealed; another account gets [`CaError::NotFound`].
    pub async fn certificate_of_holder(
        &self,
        serial: &str,
        holder: AccountId,
        vault_subject: SubjectId,
    ) -> Result<(CertificateRecord, Vec<u8>), CaError> {
        let rec = self
            .repo
            .certificate(serial)
            .await?
            .ok_or(CaError::NotFound)?;
        if rec.holder != holder {
            return Err(CaError::NotFound);
        }
        let der = self.unseal(&rec, vault_subject).await?;
        Ok((rec, der))
    }

    /// The DER of a record already read, unsealed for its holder (`vault_subject` is theirs: a
    /// record of someone else does not open under it).
    pub async fn unseal(
        &self,
        rec: &CertificateRecord,
        vault_subject: SubjectId,
    ) -> Result<Vec<u8>, CaError> {
        let der = self
            .vault
            .open_record(
                vault_subject,
                &SUBSCRIBER_CERTIFICATE,
                rec.serial.as_bytes(),
                &rec.sealed_der,
            )
            .await
            .map_err(|e| CaError::Internal(e.to_string()))?;
        Ok(der
            .expose(yinxin_domain::pi::Purpose::SubjectAccess)
            .map_err(|e| CaError::Internal(e.to_string()))?
            .clone())
    }

    /// Revokes a certificate (CERT-1): the holder their own, staff any. The CRL of its CA is
    /// regenerated at once.
    pub async fn revoke(
        &self,
        serial: &str,
        actor: Actor,
        reason: RevocationReason,
    ) -> Result<CertificateRecord, CaError> {
        let rec = self
            .repo
            .certificate(serial)
            .await?
            .ok_or(CaError::NotFound)?;
        let by = match actor {
            Actor::Holder(a) if a == rec.holder => format!("holder:{a}"),
            Actor::Holder(_) => return Err(CaError::NotFound),
            Actor::Staff(a) => format!("staff:{a}"),
            Actor::Operator(name) => {
                check_operator_name(&name)?;
                format!("operator:{name}")
            }
        };
        if !REVOCATION_REASONS.contains(&reason) {
            return Err(CaError::Invalid(format!(
                "reason: {reason} is not a revocation reason here; one of {}",
                REVOCATION_REASONS.map(RevocationReason::as_str).join(", ")
            )));
        }
        if rec.revocation.is_some() {
            return Err(CaError::AlreadyRevoked);
        }
        let revocation = Revocation {
            at: unix(SystemTime::now()),
            reason: reason.as_str().to_owned(),
            by,
        };
        let evidence = revocation_evidence(serial, &revocation, reason)?;
        if !self.repo.revoke(serial, &revocation, &evidence).await? {
            return Err(CaError::AlreadyRevoked);
        }
        if let Ok(mut crls) = self.crls.lock() {
            crls.remove(&rec.ca_id);
        }
        self.crl(&rec.ca_id).await?;
        Ok(CertificateRecord {
            revocation: Some(revocation),
            ..rec
        })
    }

    /// The signer of a certificate's hosted key, for its holder only (CERT-1: "usable for that
    /// subject's signatures only"): another account gets [`CaError::NotFound`]; a certificate
    /// whose key is not hosted, destroyed, revoked, expired or not yet valid is
    /// [`CaError::Refused`] with the reason. This is the only way to a hosted key; the signing
    /// service puts a fresh confirmation of the holder's intent in front of every use of it.
    pub async fn hosted_signer(
        &self,
        serial: &str,
        holder: AccountId,
    ) -> Result<(CertificateRecord, Arc<dyn Signer>), CaError> {
        let rec = self
            .repo
            .certificate(serial)
            .await?
            .ok_or(CaError::NotFound)?;
        if rec.holder != holder {
            return Err(CaError::NotFound);
        }
        let now = unix(SystemTime::now());
        let refused = |m: &str| Err(CaError::Refused(m.to_owned()));
        let Some(key) = rec.hosted_key_id.clone() else {
            return refused("the certificate's key is the holder's own, not hosted by the service");
        };
        if rec.key_destroyed_at.is_some() {
            return refused("the certificate's hosted key was destroyed");
        }
        if rec.revocation.is_some() {
            return refused("the certificate is revoked");
        }
        if now >= rec.not_after {
            return refused("the certificate has expired");
        }
        if now < rec.not_before {
            return refused("the certificate is not valid yet");
        }
        let signer = match self.keys.signer(&KeyId::new(&key)).await {
            Ok(s) => s,
            // Destroyed, and the record not yet marked (a crash in between): it is gone.
            Err(yinxin_crypto::CryptoError::Destroyed(_)) => {
                return refused("the certificate's hosted key was destroyed");
            }
            Err(e) => return Err(e.into()),
        };
        Ok((rec, signer))
    }

    /// What signing with a hosted key needs: [`CertificateAuthority::hosted_signer`]'s checks
    /// and signer, the certificate's DER (unsealed under the holder's `vault_subject`, for
    /// electronic signing) and its chain (issuing CA, root). The caller must have the holder's
    /// confirmed intent for what it signs (issue 6 item 3).
    pub async fn hosted_signing(
        &self,
        serial: &str,
        holder: AccountId,
        vault_subject: SubjectId,
    ) -> Result<HostedKey, CaError> {
        let (record, signer) = self.hosted_signer(serial, holder).await?;
        let der = self
            .vault
            .open_record(
                vault_subject,
                &SUBSCRIBER_CERTIFICATE,
                record.serial.as_bytes(),
                &record.sealed_der,
            )
            .await
            .map_err(|e| CaError::Internal(e.to_string()))?;
        let certificate_der = der
            .expose(yinxin_domain::pi::Purpose::ElectronicSigning)
            .map_err(|e| CaError::Internal(e.to_string()))?
            .clone();
        let chain = self
            .issuing_cas()
            .find(|ca| ca.record.id == record.ca_id)
            .map(|ca| vec![ca.record.certificate.clone(), ca.root_der.clone()])
            .ok_or_else(|| {
                CaError::Internal(format!("the issuing CA {} is not loaded", record.ca_id))
            })?;
        Ok(HostedKey {
            record,
            signer,
            certificate_der,
            chain,
        })
    }

    /// Destroys a certificate's hosted key for good and records when (CERT-3: an event
    /// certificate's one-time key once its event is signed; any hosted key when its holder asks).
    /// The holder's own certificates only ([`CaError::NotFound`] otherwise). Every certificate
    /// of the key (a same-key renewal shares it) is marked; those that are not event certificates
    /// and not yet revoked are revoked too (`cessation_of_operation`): nothing can sign with them
    /// any more. An event certificate stays as it is, so that its event's signatures keep
    /// verifying until it expires. The key is destroyed before the destruction is recorded: a
    /// crash between the two leaves a record the next destruction or the expiry sweep finishes,
    /// never a record of a destruction that did not happen.
    pub async fn destroy_hosted_key(
        &self,
        serial: &str,
        holder: AccountId,
    ) -> Result<CertificateRecord, CaError> {
        let rec = self
            .repo
            .certificate(serial)
            .await?
            .ok_or(CaError::NotFound)?;
        if rec.holder != holder {
            return Err(CaError::NotFound);
        }
        let Some(key) = rec.hosted_key_id.clone() else {
            return Err(CaError::Refused(
                "the certificate's key is the holder's own, not hosted by the service".into(),
            ));
        };
        if rec.key_destroyed_at.is_some() {
            return Err(CaError::Refused(
                "the certificate's hosted key was already destroyed".into(),
            ));
        }
        self.destroy_key(&key).await?;
        let mut named = None;
        for c in self.repo.certificates_of_hosted_key(&key).await? {
            let c = if c.profile != ProfileKind::Event.as_str() && c.revocation.is_none() {
                match self
                    .revoke(
                        &c.serial,
                        Actor::Holder(holder),
                        RevocationReason::CessationOfOperation,
                    )
                    .await
                {
                    Ok(r) => r,
                    // Revoked meanwhile by someone else: as it is.
                    Err(CaError::AlreadyRevoked) => c,
                    Err(e) => return Err(e),
                }
            } else {
                c
            };
            if c.serial == rec.serial {
                named = Some(c);
            }
        }
        named.ok_or(CaError::NotFound)
    }

    /// Destroys a hosted key in the store, then records it against every certificate of it.
    async fn destroy_key(&self, key: &str) -> Result<i64, CaError> {
        self.keys.destroy(&KeyId::new(key)).await?;
        let at = unix(SystemTime::now());
        let n = self.repo.record_key_destroyed(key, at).await?;
        tracing::info!(key, certificates = n, "hosted key destroyed");
        Ok(at)
    }

    /// Destroys the one-time keys of event certificates that expired by `now` (CERT-3), in
    /// batches, and returns how many. Run on a schedule by the server: an event's key does not
    /// outlive its certificate even when nobody says the event is over.
    pub async fn destroy_expired_event_keys(&self, now: SystemTime) -> Result<usize, CaError> {
        let mut n = 0;
        loop {
            let batch = self.repo.event_keys_to_destroy(unix(now), 100).await?;
            if batch.is_empty() {
                return Ok(n);
            }
            let mut failed = 0;
            for rec in &batch {
                if let Some(key) = &rec.hosted_key_id {
                    match self.destroy_key(key).await {
                        Ok(_) => n += 1,
                        // Logged and left for the next sweep; the others go on.
                        Err(e) => {
                            tracing::warn!(serial = %rec.serial, error = %e, "event key not destroyed");
                            failed += 1;
                        }
                    }
                }
            }
            if failed == batch.len() {
                return Ok(n);
            }
        }
    }

    /// Answers an OCSP request (RFC 6960) as the delegated responder of the issuing CA its
    /// CertIDs name. The status is read from the records on every request, so a revocation shows
    /// at once on every node; a nonce-less single-CertID request is answered from a pre-signed
    /// response while the status it states is still the status recorded (re-signed at half its
    /// validity). A request that cannot be read gets `malformedRequest`, one for no CA here
    /// `unauthorized` — as OCSP responses, never as HTTP errors.
    pub async fn ocsp(&self, request_der: &[u8]) -> Vec<u8> {
        let Ok(req) = parse_request(request_der) else {
            return error_response(OcspResponseStatus::MalformedRequest);
        };
        match self.ocsp_answer(&req, false).await {
            Ok(Some(der)) => der,
            Ok(None) => error_response(OcspResponseStatus::Unauthorized),
            Err(e) => {
                tracing::error!(error = %e, "OCSP response failed");
                error_response(OcspResponseStatus::InternalError)
            }
        }
    }

    /// An OCSP response (DER) for the certificate `serial` (hex, as recorded) of issuing CA
    /// `ca_id`, with a SHA-256 CertID: the validation data a B-LT signature carries in its /DSS
    /// (ETSI EN 319 142-1), signed by the same delegated responder that answers `/pki/ocsp`.
    pub async fn ocsp_for(&self, ca_id: &str, serial: &str) -> Result<Vec<u8>, CaError> {
        let ca = self
            .issuing_cas()
            .find(|c| c.record.id == ca_id)
            .ok_or(CaError::NotFound)?;
        let serial = hex::decode(serial)
            .map_err(|_| CaError::Internal(format!("a recorded serial {serial:?} is not hex")))?;
        let id = ca
            .responder
            .cert_id(crate::ocsp::CertIdHash::Sha256, &serial)?;
        let req = OcspRequest {
            cert_ids: vec![id],
            nonce: None,
            signed: false,
        };
        // Signed now, never from the cache: it goes into a signature's /DSS right after the
        // signature's timestamp, and a response made before that would not cover the signing.
        self.ocsp_answer(&req, true).await?.ok_or(CaError::NotFound)
    }

    /// The answer to `req`; `fresh`: signed now even when a cached answer would do.
    async fn ocsp_answer(
        &self,
        req: &OcspRequest,
        fresh: bool,
    ) -> Result<Option<Vec<u8>>, CaError> {
        let Some(first) = req.cert_ids.first() else {
            return Ok(None);
        };
        let Some(ca) = self.issuing_cas().find(|c| c.responder.matches(first)) else {
            return Ok(None);
        };
        let mut statuses = Vec::with_capacity(req.cert_ids.len());
        for id in &req.cert_ids {
            let status = if !ca.responder.matches(id) {
                OcspStatus::Unknown
            } else {
                match self.repo.certificate(&hex::encode(&id.serial)).await? {
                    Some(r) if r.ca_id == ca.record.id => match &r.revocation {
                        Some(v) => OcspStatus::Revoked {
                            at: from_unix(v.at),
                            reason: RevocationReason::parse(&v.reason),
                        },
                        None => OcspStatus::Good,
                    },
                    _ => OcspStatus::Unknown,
                }
            };
            statuses.push((id.clone(), status));
        }
        let now = SystemTime::now();
        let cacheable = req.nonce.is_none() && statuses.len() == 1;
        if cacheable
            && !fresh
            && let Some((id, status)) = statuses.first()
            && let Ok(cache) = self.ocsp_cache.lock()
            && let Some(hit) = cache.get(id)
            && now < hit.refresh_at
            && hit.revoked == matches!(status, OcspStatus::Revoked { .. })
            && !matches!(status, OcspStatus::Unknown)
        {
            return Ok(Some(hit.der.clone()));
        }
        let signer = self.keys.signer(&KeyId::new(&ca.responder_key)).await?;
        let der = build_response(
            &ca.responder,
            signer.as_ref(),
            &statuses,
            now,
            now,
            Some(now + OCSP_VALIDITY),
            req.nonce.as_deref(),
        )?;
        if cacheable
            && let Some((id, status)) = statuses.first()
            && !matches!(status, OcspStatus::Unknown)
            && let Ok(mut cache) = self.ocsp_cache.lock()
        {
            cache.insert(
                id.clone(),
                CachedOcsp {
                    der: der.clone(),
                    revoked: matches!(status, OcspStatus::Revoked { .. }),
                    refresh_at: now + OCSP_VALIDITY / 2,
                },
            );
        }
        Ok(Some(der))
    }

    /// The current CRL (DER) of an issuing CA: cached, regenerated after a revocation and when
    /// half its validity has passed.
    pub async fn crl(&self, ca_id: &str) -> Result<Vec<u8>, CaError> {
        let now = SystemTime::now();
        if let Ok(crls) = self.crls.lock()
            && let Some((der, refresh_at)) = crls.get(ca_id)
            && now < *refresh_at
        {
            return Ok(der.clone());
        }
        let ca = self
            .issuing_cas()
            .find(|c| c.record.id == ca_id)
            .ok_or(CaError::NotFound)?;
        let revoked = self.repo.revoked_of(ca_id, unix(now)).await?;
        let entries = revoked
            .into_iter()
            .map(|r| {
                Ok(RevokedEntry {
                    serial: hex::decode(&r.serial)
                        .map_err(|_| CaError::Internal(format!("stored serial {}", r.serial)))?,
                    revoked_at: from_unix(r.at),
                    reason: RevocationReason::parse(&r.reason),
                })
            })
            .collect::<Result<Vec<_>, CaError>>()?;
        let number = self.repo.next_crl_number(ca_id).await?;
        let signer = self.keys.signer(&KeyId::new(&ca.record.key_id)).await?;
        let next = now + self.config.crl_validity;
        let der = build_crl(
            &ca.record.certificate,
            signer.as_ref(),
            number,
            now,
            next,
            &entries,
        )?;
        if let Ok(mut crls) = self.crls.lock() {
            crls.insert(
                ca_id.to_owned(),
                (der.clone(), now + self.config.crl_validity / 2),
            );
        }
        Ok(der)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventDigestAlgorithm;
    use crate::testing::{openssl, openssl_request, verify_chain, write_pem};
    use yinxin_crypto::software::SoftwareKeyStore;
    use yinxin_privacy::Cipher;
    use yinxin_privacy::master_key::MasterKey;
    use yinxin_store::backend_tests;
    use yinxin_store::testing::TestDb;
    use zeroize::Zeroizing;

    const NAME: &str = "张三丰";
    const DOC: &str = "11010519491231002X";

    fn config(mode: SubjectMode) -> CaConfig {
        CaConfig {
            organization: "yinxin test".into(),
            public_base_url: "http://127.0.0.1:1/".into(),
            algorithms: vec![KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256],
            subject_mode: mode,
            crl_validity: Duration::from_secs(3600),
        }
    }

    /// The software store, counting the keys generated (a refusal generates none).
    #[derive(Debug)]
    struct Counting(SoftwareKeyStore, std::sync::atomic::AtomicUsize);

    impl Counting {
        fn generated(&self) -> usize {
            self.1.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl KeyStore for Counting {
        fn backend(&self) -> &'static str {
            self.0.backend()
        }
        fn supports(&self, a: KeyAlgorithm) -> bool {
            self.0.supports(a)
        }
        async fn generate(
            &self,
            a: KeyAlgorithm,
            label: &str,
        ) -> Result<yinxin_crypto::KeyHandle, yinxin_crypto::CryptoError> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.generate(a, label).await
        }
        async fn signer(&self, id: &KeyId) -> Result<Arc<dyn Signer>, yinxin_crypto::CryptoError> {
            self.0.signer(id).await
        }
        async fn destroy(&self, id: &KeyId) -> Result<(), yinxin_crypto::CryptoError> {
            self.0.destroy(id).await
        }
    }

    async fn ca_counting(
        db: &TestDb,
        master: &MasterKey,
        mode: SubjectMode,
    ) -> (CertificateAuthority, Arc<Counting>) {
        let vault = Vault::open(
            master,
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let keys = Arc::new(Counting(
            SoftwareKeyStore::new(db.stores.signing_keys.clone(), Zeroizing::new([3; 32])),
            Default::default(),
        ));
        let ca = CertificateAuthority::start(
            keys.clone(),
            db.stores.certificates.clone(),
            vault,
            config(mode),
        )
        .await
        .unwrap();
        (ca, keys)
    }

    async fn ca(db: &TestDb, master: &MasterKey, mode: SubjectMode) -> CertificateAuthority {
        ca_counting(db, master, mode).await.0
    }

    fn person() -> VerifiedSubject {
        VerifiedSubject {
            account: AccountId::random(),
            vault_subject: SubjectId::random(),
            name: NAME.into(),
            document_number: DOC.into(),
            enterprise: false,
            organization: None,
        }
    }

    async fn issue_and_revoke_with_records_openssl_accepts(db: &TestDb) {
        let master = MasterKey::generate();
        let ca1 = ca(db, &master, SubjectMode::KeyedHash).await;
        assert_eq!(
            ca1.algorithms(),
            vec![KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256]
        );
        // A restart loads the same hierarchies instead of making new ones.
        // Two hierarchies of four, and an evidence-report signer under each issuing CA.
        let ca2 = ca(db, &master, SubjectMode::KeyedHash).await;
        assert_eq!(db.stores.certificates.cas().await.unwrap().len(), 10);
        assert_eq!(
            ca1.chain_pem(KeyAlgorithm::Sm2).unwrap(),
            ca2.chain_pem(KeyAlgorithm::Sm2).unwrap()
        );

        let dir = tempfile::tempdir().unwrap();
        let subject = person();
        for (alg, key) in [
            (KeyAlgorithm::EcdsaP256, "p256"),
            (KeyAlgorithm::Sm2, "sm2"),
        ] {
            let (csr, _) = openssl_request(dir.path(), key);
            let (rec, der) = ca2
                .issue(IssueRequest {
                    subject: subject.clone(),
                    key: SubjectKey::Request(&csr),
                    profile: ProfileKind::PersonalSigning,
                    ca_algorithm: alg,
                    validity: None,
                    event: None,
                })
                .await
                .unwrap();
            // Recorded before it was returned, and the record's DER is sealed.
            let stored = db
                .stores
                .certificates
                .certificate(&rec.serial)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.fingerprint, hex::encode(Sha256::digest(&der)));
            assert!(
                !stored
                    .sealed_der
                    .windows(NAME.len())
                    .any(|w| w == NAME.as_bytes())
            );
            assert!(
                !stored.masked_subject.contains(NAME),
                "{}",
                stored.masked_subject
            );
            // CERT-7: the inventory's rule, at least five years after expiry.
            assert_eq!(
                SUBSCRIBER_CERTIFICATE.retention,
                yinxin_domain::pi::Retention::AfterCertificateExpiry { years: 5 }
            );
            assert_eq!(stored.retain_until, stored.not_after + 5 * 366 * 24 * 3600);

            // OpenSSL accepts it under the chain the service publishes.
            let chain = ca2.chain_pem(alg).unwrap();
            let mut pems = chain.split_inclusive("-----END CERTIFICATE-----\n");
            let (issuing, root) = (pems.next().unwrap(), pems.next().unwrap());
            let p = |n: &str| dir.path().join(format!("{key}-{n}.pem"));
            std::fs::write(p("issuing"), issuing).unwrap();
            std::fs::write(p("root"), root).unwrap();
            write_pem(&p("leaf"), &der);
            let out = verify_chain(alg, &p("root"), &p("issuing"), &p("leaf"), false);
            assert!(out.contains(": OK"), "{alg}: {out}");
            // CERT-4 default: the subject carries a keyed hash, never the document number.
            let text = openssl(&[
                "x509",
                "-noout",
                "-subject",
                "-nameopt",
                "utf8",
                "-in",
                &p("leaf").display().to_string(),
            ]);
            assert!(text.contains(NAME) && !text.contains(DOC), "{text}");

            // The holder reads it back; another account cannot, nor revoke it.
            let (_, again) = ca2
                .certificate_of_holder(&rec.serial, subject.account, subject.vault_subject)
                .await
                .unwrap();
            assert_eq!(again, der);
            let stranger = AccountId::random();
            assert!(matches!(
                ca2.certificate_of_holder(&rec.serial, stranger, subject.vault_subject)
                    .await,
                Err(CaError::NotFound)
            ));
            assert!(matches!(
                ca2.revoke(
                    &rec.serial,
                    Actor::Holder(stranger),
                    RevocationReason::KeyCompromise
                )
                .await,
                Err(CaError::NotFound)
            ));

            // Revocation by the holder shows in the CRL at once; twice is refused.
            let before = ca2.crl(&rec.ca_id).await.unwrap();
            let revoked = ca2
                .revoke(
                    &rec.serial,
                    Actor::Holder(subject.account),
                    RevocationReason::KeyCompromise,
                )
                .await
                .unwrap();
            assert_eq!(
                revoked.revocation.as_ref().unwrap().by,
                format!("holder:{}", subject.account)
            );
            assert!(matches!(
                ca2.revoke(
                    &rec.serial,
                    Actor::Holder(subject.account),
                    RevocationReason::KeyCompromise
                )
                .await,
                Err(CaError::AlreadyRevoked)
            ));
            let crl = ca2.crl(&rec.ca_id).await.unwrap();
            assert_ne!(crl, before);
            std::fs::write(dir.path().join(format!("{key}.crl")), &crl).unwrap();
            let text = openssl(&[
                "crl",
                "-inform",
                "DER",
                "-noout",
                "-text",
                "-in",
                &dir.path().join(format!("{key}.crl")).display().to_string(),
            ]);
            assert!(text.contains(&rec.serial.to_uppercase()), "{text}");
            assert!(text.contains("Key Compromise"), "{text}");
        }
    }

    async fn refusals_name_what_is_wrong_and_record_nothing(db: &TestDb) {
        let master = MasterKey::generate();
        let (ca, keys) = ca_counting(db, &master, SubjectMode::Masked).await;
        let dir = tempfile::tempdir().unwrap();
        let (weak, _) = openssl_request(dir.path(), "rsa1024");
        let (mut bad, _) = openssl_request(dir.path(), "p256");
        *bad.last_mut().unwrap() ^= 1;
        let (good, _) = openssl_request(dir.path(), "ed25519");
        for (csr, want) in [
            (&weak[..], "too weak"),
            (&bad[..], "does not verify"),
            (&good[..good.len() / 2], "truncated"),
            (&b"garbage"[..], "not a DER PKCS#10"),
        ] {
            let err = ca
                .issue(IssueRequest {
                    subject: person(),
                    key: SubjectKey::Request(csr),
                    profile: ProfileKind::PersonalSigning,
                    ca_algorithm: KeyAlgorithm::EcdsaP256,
                    validity: None,
                    event: None,
                })
                .await
                .unwrap_err();
            assert!(
                matches!(&err, CaError::Invalid(m) if m.contains(want)),
                "{want}: {err}"
            );
        }
        // Every other refusal, before any key is generated: each names its field.
        let digest = || Some(EventBinding::new(EventDigestAlgorithm::Sm3, vec![9; 32]).unwrap());
        let hosted = SubjectKey::Hosted(KeyAlgorithm::EcdsaP256);
        let before = keys.generated();
        for (profile, key, validity, event, field, want) in [
            (
                ProfileKind::PersonalSigning,
                SubjectKey::Request(&good),
                Some(Duration::from_secs(4 * 366 * 24 * 3600)),
                None,
                "validity",
                "at most",
            ),
            (
                ProfileKind::Event,
                hosted,
                Some(Duration::from_secs(3 * 24 * 3600)),
                digest(),
                "validity",
                "at most",
            ),
            (
                ProfileKind::Event,
                hosted,
                None,
                None,
                "event_digest",
                "digest of the event",
            ),
            (
                ProfileKind::Event,
                SubjectKey::Request(&good),
                None,
                digest(),
                "csr",
                "one-time key",
            ),
            (
                ProfileKind::PersonalSigning,
                hosted,
                None,
                digest(),
                "event_digest",
                "only an event",
            ),
            (
                ProfileKind::IssuingCa,
                hosted,
                None,
                None,
                "profile",
                "not issued to subscribers",
            ),
            (
                ProfileKind::EnterpriseSigning,
                hosted,
                None,
                None,
                "profile",
                "not issued to this subject",
            ),
            (
                ProfileKind::EnterpriseAgent,
                hosted,
                None,
                None,
                "profile",
                "not issued to this subject",
            ),
        ] {
            let err = ca
                .issue(IssueRequest {
                    subject: person(),
                    key,
                    profile,
                    ca_algorithm: KeyAlgorithm::EcdsaP256,
                    validity,
                    event,
                })
                .await
                .unwrap_err();
            assert!(
                matches!(&err, CaError::InvalidField(f, m) if *f == field && m.contains(want)),
                "{field}: {err:?}"
            );
        }
        assert_eq!(
            keys.generated(),
            before,
            "a refused issuance generated a key"
        );
        let subject = person();
        assert!(
            db.stores
                .certificates
                .certificates_of(subject.account)
                .await
                .unwrap()
                .is_empty()
        );
        // Masked mode: the first and last characters of the document only.
        let (rec, der) = ca
            .issue(IssueRequest {
                subject: subject.clone(),
                key: SubjectKey::Request(&good),
                profile: ProfileKind::PersonalSigning,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
                event: None,
            })
            .await
            .unwrap();
        assert_eq!(rec.subject_mode, "masked");
        let p = dir.path().join("masked.pem");
        write_pem(&p, &der);
        let text = openssl(&[
            "x509",
            "-noout",
            "-subject",
            "-in",
            &p.display().to_string(),
        ]);
        assert!(text.contains("serialNumber = 1****************X"), "{text}");
        assert_eq!(
            db.stores
                .certificates
                .certificates_of(subject.account)
                .await
                .unwrap()
                .len(),
            1
        );
    }

    /// The chain of `alg` and `der` as files, and `openssl verify`'s answer.
    fn openssl_verifies(ca: &CertificateAuthority, alg: KeyAlgorithm, der: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let chain = ca.chain_pem(alg).unwrap();
        let mut pems = chain.split_inclusive("-----END CERTIFICATE-----\n");
        let p = |n: &str| dir.path().join(format!("{n}.pem"));
        std::fs::write(p("issuing"), pems.next().unwrap()).unwrap();
        std::fs::write(p("root"), pems.next().unwrap()).unwrap();
        write_pem(&p("leaf"), der);
        verify_chain(alg, &p("root"), &p("issuing"), &p("leaf"), false)
    }

    fn spki_of(der: &[u8]) -> Vec<u8> {
        let cert = <x509_cert::Certificate as der::Decode>::from_der(der).unwrap();
        der::Encode::to_der(cert.tbs_certificate().subject_public_key_info()).unwrap()
    }

    /// A hosted key signs for its holder only, and what it signs verifies under the certificate.
    fn signs_for_the_certificate(signer: &dyn Signer, der: &[u8]) {
        let sig = signer.sign(b"the document").unwrap();
        yinxin_crypto::verify::verify_signature(
            &spki_of(der),
            signer.algorithm().signature_oid(),
            b"the document",
            &sig,
        )
        .unwrap();
    }

    async fn hosted_keys_sign_for_their_holder_only(db: &TestDb) {
        let master = MasterKey::generate();
        let ca = ca(db, &master, SubjectMode::KeyedHash).await;
        let subject = person();
        for alg in [KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256] {
            let (rec, der) = ca
                .issue(IssueRequest {
                    subject: subject.clone(),
                    key: SubjectKey::Hosted(alg),
                    profile: ProfileKind::PersonalSigning,
                    ca_algorithm: alg,
                    validity: None,
                    event: None,
                })
                .await
                .unwrap();
            assert!(rec.hosted_key_id.is_some() && rec.key_destroyed_at.is_none());
            assert_eq!(rec.algorithm, alg.as_str());
            let out = openssl_verifies(&ca, alg, &der);
            assert!(out.contains(": OK"), "{alg}: {out}");

            let (_, signer) = ca
                .hosted_signer(&rec.serial, subject.account)
                .await
                .unwrap();
            signs_for_the_certificate(signer.as_ref(), &der);
            assert!(matches!(
                ca.hosted_signer(&rec.serial, AccountId::random()).await,
                Err(CaError::NotFound)
            ));
            assert!(matches!(
                ca.destroy_hosted_key(&rec.serial, AccountId::random())
                    .await,
                Err(CaError::NotFound)
            ));

            // The holder destroys it: recorded, revoked (nothing can sign any more), gone.
            let gone = ca
                .destroy_hosted_key(&rec.serial, subject.account)
                .await
                .unwrap();
            assert!(gone.key_destroyed_at.is_some());
            assert_eq!(
                gone.revocation.as_ref().unwrap().reason,
                "cessation_of_operation"
            );
            let stored = db
                .stores
                .certificates
                .certificate(&rec.serial)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.key_destroyed_at, gone.key_destroyed_at);
            let err = ca
                .hosted_signer(&rec.serial, subject.account)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, CaError::Refused(m) if m.contains("destroyed")),
                "{err}"
            );
            let key = KeyId::new(rec.hosted_key_id.as_deref().unwrap());
            assert!(matches!(
                ca.keys.signer(&key).await,
                Err(yinxin_crypto::CryptoError::Destroyed(_))
            ));
            let again = ca
                .destroy_hosted_key(&rec.serial, subject.account)
                .await
                .unwrap_err();
            assert!(
                matches!(&again, CaError::Refused(m) if m.contains("already")),
                "{again}"
            );
        }
        // A certificate of the holder's own key has no hosted key to use or destroy.
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        let (own, _) = ca
            .issue(IssueRequest {
                subject: subject.clone(),
                key: SubjectKey::Request(&csr),
                profile: ProfileKind::PersonalSigning,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
                event: None,
            })
            .await
            .unwrap();
        for err in [
            ca.hosted_signer(&own.serial, subject.account)
                .await
                .err()
                .unwrap(),
            ca.destroy_hosted_key(&own.serial, subject.account)
                .await
                .unwrap_err(),
        ] {
            assert!(
                matches!(&err, CaError::Refused(m) if m.contains("not hosted")),
                "{err}"
            );
        }
    }

    async fn event_certificates_bind_their_event_and_lose_their_key(db: &TestDb) {
        let master = MasterKey::generate();
        let ca = ca(db, &master, SubjectMode::KeyedHash).await;
        let subject = person();
        let binding = EventBinding::new(EventDigestAlgorithm::Sm3, vec![0x5a; 32]).unwrap();
        let mut serials = Vec::new();
        for alg in [KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256] {
            let (rec, der) = ca
                .issue(IssueRequest {
                    subject: subject.clone(),
                    key: SubjectKey::Hosted(alg),
                    profile: ProfileKind::Event,
                    ca_algorithm: alg,
                    validity: Some(Duration::from_secs(30 * 60)),
                    event: Some(binding.clone()),
                })
                .await
                .unwrap();
            assert_eq!(rec.profile, "event");
            assert_eq!(rec.not_after - rec.not_before, 30 * 60);
            assert_eq!(
                EventBinding::of_certificate(&der).unwrap(),
                Some(binding.clone())
            );
            // OpenSSL accepts it (the binding is not critical) and shows the binding.
            let out = openssl_verifies(&ca, alg, &der);
            assert!(out.contains(": OK"), "{alg}: {out}");
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("event.pem");
            write_pem(&p, &der);
            let text = openssl(&["x509", "-noout", "-text", "-in", &p.display().to_string()]);
            assert!(text.contains("2.25.3179520717.1"), "{text}");
            // OpenSSL dumps an extension it does not know: 0x5a is 'Z'.
            assert!(text.contains(&"Z".repeat(32)), "{text}");

            let (_, signer) = ca
                .hosted_signer(&rec.serial, subject.account)
                .await
                .unwrap();
            signs_for_the_certificate(signer.as_ref(), &der);
            // Never renewed (CERT-3).
            let err = ca
                .renew(RenewRequest {
                    serial: &rec.serial,
                    subject: subject.clone(),
                    key: RenewalKey::Same,
                    validity: None,
                })
                .await
                .unwrap_err();
            assert!(
                matches!(&err, CaError::Refused(m) if m.contains("never renewed")),
                "{err}"
            );
            serials.push(rec);
        }
        // The event is over: its key is destroyed and that is recorded; the certificate is not
        // revoked, so the event's signatures keep verifying.
        let done = ca
            .destroy_hosted_key(&serials[0].serial, subject.account)
            .await
            .unwrap();
        assert!(done.key_destroyed_at.is_some() && done.revocation.is_none());
        assert!(
            ca.hosted_signer(&serials[0].serial, subject.account)
                .await
                .is_err()
        );
        // The other one's event never said so: the sweep destroys its key once it expires.
        assert_eq!(
            ca.destroy_expired_event_keys(SystemTime::now())
                .await
                .unwrap(),
            0
        );
        let later = SystemTime::now() + Duration::from_secs(31 * 60);
        assert_eq!(ca.destroy_expired_event_keys(later).await.unwrap(), 1);
        let swept = db
            .stores
            .certificates
            .certificate(&serials[1].serial)
            .await
            .unwrap()
            .unwrap();
        assert!(swept.key_destroyed_at.is_some());
        let key = KeyId::new(serials[1].hosted_key_id.as_deref().unwrap());
        assert!(matches!(
            ca.keys.signer(&key).await,
            Err(yinxin_crypto::CryptoError::Destroyed(_))
        ));
        assert_eq!(ca.destroy_expired_event_keys(later).await.unwrap(), 0);
    }

    async fn renewal_links_old_and_new_once(db: &TestDb) {
        let master = MasterKey::generate();
        let ca = ca(db, &master, SubjectMode::KeyedHash).await;
        let subject = person();
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        let (old, old_der) = ca
            .issue(IssueRequest {
                subject: subject.clone(),
                key: SubjectKey::Request(&csr),
                profile: ProfileKind::PersonalSigning,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
                event: None,
            })
            .await
            .unwrap();
        let renew = |serial: String, who: VerifiedSubject, key: RenewalKey<'static>| {
            let ca = &ca;
            async move {
                ca.renew(RenewRequest {
                    serial: &serial,
                    subject: who,
                    key,
                    validity: None,
                })
                .await
            }
        };
        let mut stranger = person();
        stranger.vault_subject = subject.vault_subject;
        assert!(matches!(
            renew(old.serial.clone(), stranger, RenewalKey::Same).await,
            Err(CaError::NotFound)
        ));
        // Same key: the new certificate carries the old public key and links to the old one.
        let (new, new_der) = renew(old.serial.clone(), subject.clone(), RenewalKey::Same)
            .await
            .unwrap();
        assert_eq!(new.renews.as_deref(), Some(old.serial.as_str()));
        assert_eq!(spki_of(&new_der), spki_of(&old_der));
        assert_ne!(new.serial, old.serial);
        let out = openssl_verifies(&ca, KeyAlgorithm::EcdsaP256, &new_der);
        assert!(out.contains(": OK"), "{out}");
        assert_eq!(
            db.stores
                .certificates
                .renewal_of(&old.serial)
                .await
                .unwrap()
                .unwrap()
                .serial,
            new.serial
        );
        // Once only; the newer one renews on, here to a new hosted key.
        let err = renew(old.serial.clone(), subject.clone(), RenewalKey::Same)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CaError::Refused(m) if m.contains(&new.serial)),
            "{err}"
        );
        let (third, third_der) = renew(
            new.serial.clone(),
            subject.clone(),
            RenewalKey::New(SubjectKey::Hosted(KeyAlgorithm::EcdsaP256)),
        )
        .await
        .unwrap();
        assert!(third.hosted_key_id.is_some());
        assert_ne!(spki_of(&third_der), spki_of(&new_der));
        // A hosted key renewed with the same key keeps signing under the new certificate.
        let (fourth, fourth_der) = renew(third.serial.clone(), subject.clone(), RenewalKey::Same)
            .await
            .unwrap();
        assert_eq!(fourth.hosted_key_id, third.hosted_key_id);
        let (_, signer) = ca
            .hosted_signer(&fourth.serial, subject.account)
            .await
            .unwrap();
        signs_for_the_certificate(signer.as_ref(), &fourth_der);
        // A revoked certificate is not renewed.
        ca.revoke(
            &fourth.serial,
            Actor::Holder(subject.account),
            RevocationReason::Superseded,
        )
        .await
        .unwrap();
        let err = renew(fourth.serial.clone(), subject.clone(), RenewalKey::Same)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CaError::Refused(m) if m.contains("revoked")),
            "{err}"
        );
        assert_eq!(
            db.stores
                .certificates
                .certificates_of(subject.account)
                .await
                .unwrap()
                .len(),
            4
        );
    }

    /// CERT-7: the database refuses to delete a certificate record before its retain_until, or
    /// to move retain_until earlier — whoever asks, an account cancellation deleting everything
    /// of its holder included; after retain_until a record can go.
    async fn certificate_records_are_kept_until_retain_until(db: &TestDb) {
        let master = MasterKey::generate();
        let ca = ca(db, &master, SubjectMode::KeyedHash).await;
        let subject = person();
        let (rec, _) = ca
            .issue(IssueRequest {
                subject: subject.clone(),
                key: SubjectKey::Hosted(KeyAlgorithm::EcdsaP256),
                profile: ProfileKind::PersonalSigning,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
                event: None,
            })
            .await
            .unwrap();
        let raw = |sql: String| async move { db.stores.execute_raw(&sql).await };
        for sql in [
            format!("DELETE FROM certificates WHERE serial = '{}'", rec.serial),
            format!(
                "DELETE FROM certificates WHERE holder = '{}'",
                subject.account
            ),
            format!(
                "UPDATE certificates SET retain_until = not_after WHERE serial = '{}'",
                rec.serial
            ),
        ] {
            let err = raw(sql.clone()).await.unwrap_err();
            assert!(err.contains("retention (CERT-7)"), "{sql}: {err}");
        }
        assert!(
            db.stores
                .certificates
                .certificate(&rec.serial)
                .await
                .unwrap()
                .is_some()
        );
        // Later is allowed (a legal hold may extend it) …
        let n = raw(format!(
            "UPDATE certificates SET retain_until = retain_until + 1 WHERE serial = '{}'",
            rec.serial
        ))
        .await
        .unwrap();
        assert_eq!(n, 1);
        // … and a record whose retention has run out can be deleted.
        let n = raw(format!(
            "INSERT INTO certificates (serial, fingerprint, ca_id, holder, profile, algorithm, \
             sealed_der, masked_subject, subject_mode, not_before, not_after, issued_at, \
             retain_until) SELECT 'aa', 'bb', ca_id, holder, profile, algorithm, sealed_der, \
             masked_subject, subject_mode, 0, 1, 0, 2 FROM certificates WHERE serial = '{}'",
            rec.serial
        ))
        .await
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            raw("DELETE FROM certificates WHERE serial = 'aa'".into()).await,
            Ok(1)
        );
    }

    /// The same issuance, revocation and hosted keys with every key PKCS#11 offers on a SoftHSM2
    /// token (CERT-10): P-256 CA keys and hosted keys on the token, SM2 in the software store.
    async fn the_same_with_keys_on_a_pkcs11_token(db: &TestDb) {
        use yinxin_crypto::pkcs11::{Pkcs11Config, Pkcs11KeyStore};
        use yinxin_crypto::routed::RoutedKeyStore;
        let module = std::env::var_os("TEST_PKCS11_MODULE").unwrap_or_else(|| {
            panic!(
                "TEST_PKCS11_MODULE is not set: run `export SOFTHSM2_CONF=$(scripts/ensure-softhsm \
                 | tail -n 1) TEST_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so` (scripts/test does)"
            )
        });
        let token: Arc<dyn KeyStore> = Arc::new(
            Pkcs11KeyStore::open(&Pkcs11Config {
                module: module.into(),
                token_label: "yinxin-test".into(),
                pin: Zeroizing::new("1234".into()),
            })
            .unwrap(),
        );
        let software: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            Zeroizing::new([3; 32]),
        ));
        let keys: Arc<dyn KeyStore> = Arc::new(RoutedKeyStore::new(token, software));
        let master = MasterKey::generate();
        let vault = Vault::open(
            &master,
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let ca = CertificateAuthority::start(
            keys,
            db.stores.certificates.clone(),
            vault,
            config(SubjectMode::KeyedHash),
        )
        .await
        .unwrap();
        let cas = db.stores.certificates.cas().await.unwrap();
        assert!(
            cas.iter()
                .all(|c| (c.algorithm == "p256") == c.key_id.starts_with("p11:")),
            "P-256 CA keys on the token, SM2 in software: {cas:?}"
        );
        let subject = person();
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        for key in [
            SubjectKey::Request(&csr),
            SubjectKey::Hosted(KeyAlgorithm::EcdsaP256),
        ] {
            let (rec, der) = ca
                .issue(IssueRequest {
                    subject: subject.clone(),
                    key,
                    profile: ProfileKind::PersonalSigning,
                    ca_algorithm: KeyAlgorithm::EcdsaP256,
                    validity: None,
                    event: None,
                })
                .await
                .unwrap();
            let out = openssl_verifies(&ca, KeyAlgorithm::EcdsaP256, &der);
            assert!(out.contains(": OK"), "{out}");
            if let Some(hosted) = &rec.hosted_key_id {
                assert!(hosted.starts_with("p11:"), "{hosted}");
                let (_, signer) = ca
                    .hosted_signer(&rec.serial, subject.account)
                    .await
                    .unwrap();
                signs_for_the_certificate(signer.as_ref(), &der);
                ca.destroy_hosted_key(&rec.serial, subject.account)
                    .await
                    .unwrap();
                assert!(
                    ca.hosted_signer(&rec.serial, subject.account)
                        .await
                        .is_err()
                );
            } else {
                ca.revoke(
                    &rec.serial,
                    Actor::Holder(subject.account),
                    RevocationReason::KeyCompromise,
                )
                .await
                .unwrap();
            }
            // The CRL, signed on the token, lists it (revoked by the holder, or with its hosted
            // key destroyed), and OpenSSL verifies it under the issuing CA.
            let crl = ca.crl(&rec.ca_id).await.unwrap();
            let crl_path = dir.path().join("p11.crl");
            std::fs::write(&crl_path, &crl).unwrap();
            let chain = ca.chain_pem(KeyAlgorithm::EcdsaP256).unwrap();
            let issuing = dir.path().join("p11-issuing.pem");
            std::fs::write(
                &issuing,
                chain
                    .split_inclusive("-----END CERTIFICATE-----\n")
                    .next()
                    .unwrap(),
            )
            .unwrap();
            let text = openssl(&[
                "crl",
                "-inform",
                "DER",
                "-noout",
                "-text",
                "-in",
                &crl_path.display().to_string(),
                "-CAfile",
                &issuing.display().to_string(),
            ]);
            assert!(
                text.contains("verify OK") && text.contains(&rec.serial.to_uppercase()),
                "{text}"
            );
        }
    }

    /// Writes the seed corpus of the `event_binding` fuzz target (`fuzz/corpus/event_binding/`):
    /// event certificates of both hierarchies, a certificate without the binding, a truncated
    /// one. Run by hand: `cargo nextest run -p yinxin-pki --run-ignored only
    /// write_event_binding_fuzz_corpus`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "writes the fuzz seed corpus"]
    async fn write_event_binding_fuzz_corpus() {
        let db = TestDb::new(yinxin_store::Backend::Sqlite).await;
        let ca = ca(&db, &MasterKey::generate(), SubjectMode::KeyedHash).await;
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/event_binding");
        std::fs::create_dir_all(&out).unwrap();
        for (alg, digest) in [
            (KeyAlgorithm::Sm2, EventDigestAlgorithm::Sm3),
            (KeyAlgorithm::EcdsaP256, EventDigestAlgorithm::Sha256),
        ] {
            let (_, der) = ca
                .issue(IssueRequest {
                    subject: person(),
                    key: SubjectKey::Hosted(alg),
                    profile: ProfileKind::Event,
                    ca_algorithm: alg,
                    validity: None,
                    event: Some(EventBinding::new(digest, vec![0x42; 32]).unwrap()),
                })
                .await
                .unwrap();
            std::fs::write(out.join(format!("event-{alg}.der")), &der).unwrap();
            std::fs::write(
                out.join(format!("event-{alg}-truncated.der")),
                &der[..der.len() / 2],
            )
            .unwrap();
        }
        let (_, plain) = ca
            .issue(IssueRequest {
                subject: person(),
                key: SubjectKey::Hosted(KeyAlgorithm::EcdsaP256),
                profile: ProfileKind::PersonalSigning,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
                event: None,
            })
            .await
            .unwrap();
        std::fs::write(out.join("personal-p256.der"), &plain).unwrap();
        db.cleanup().await;
    }

    backend_tests!(
        issue_and_revoke_with_records_openssl_accepts,
        refusals_name_what_is_wrong_and_record_nothing,
        hosted_keys_sign_for_their_holder_only,
        event_certificates_bind_their_event_and_lose_their_key,
        renewal_links_old_and_new_once,
        certificate_records_are_kept_until_retain_until,
        the_same_with_keys_on_a_pkcs11_token,
    );
}
