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
use yinxin_crypto::{KeyAlgorithm, KeyId, KeyStore};
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
}

impl std::fmt::Debug for VerifiedSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedSubject")
            .field("account", &self.account)
            .field("enterprise", &self.enterprise)
            .finish_non_exhaustive()
    }
}

/// One issuance.
#[derive(Debug)]
pub struct IssueRequest<'a> {
    /// To whom.
    pub subject: VerifiedSubject,
    /// The PKCS#10 request (DER) carrying the subject's key.
    pub csr_der: &'a [u8],
    /// Which profile.
    pub profile: ProfileKind,
    /// Which hierarchy.
    pub ca_algorithm: KeyAlgorithm,
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

/// An operator's name as recorded (`operator:<name>`): 1 to 64 ASCII letters, digits or
/// `. _ - @`, so a record never carries spaces, markup or control characters.
pub fn check_operator_name(name: &str) -> Result<(), CaError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
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
    /// The input is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
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

/// The CA service.
pub struct CertificateAuthority {
    keys: Arc<dyn KeyStore>,
    repo: Arc<dyn CertificateRepo>,
    vault: Vault,
    config: CaConfig,
    issuing: HashMap<KeyAlgorithm, IssuingCa>,
    /// Issuing CAs rotated out: no issuance, only the CRL and OCSP answers for what they issued.
    retired: Vec<IssuingCa>,
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
            crls: Mutex::new(HashMap::new()),
            ocsp_cache: Mutex::new(HashMap::new()),
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

    /// Issues a certificate to a verified subject from their PKCS#10 request. The request's own
    /// subject is ignored (CERT-2: the subject comes from the verified identity).
    pub async fn issue(
        &self,
        req: IssueRequest<'_>,
    ) -> Result<(CertificateRecord, Vec<u8>), CaError> {
        let profile = Profile::builtin(req.profile);
        if matches!(
            req.profile,
            ProfileKind::RootCa
                | ProfileKind::IssuingCa
                | ProfileKind::OcspResponder
                | ProfileKind::Timestamping
        ) {
            return Err(CaError::Invalid(format!(
                "profile {} is not issued to subscribers",
                req.profile.as_str()
            )));
        }
        let checked = check_request(req.csr_der, &profile)?;
        let validity = req.validity.unwrap_or(profile.default_validity);
        let ca = self.issuing(req.ca_algorithm)?;
        let signer = self.keys.signer(&KeyId::new(&ca.record.key_id)).await?;
        let (subject, masked_subject) = self.subject_name(&req.subject)?;
        let serial = random_serial()?;
        let serial_hex = hex::encode(serial.as_bytes());
        let now = SystemTime::now();
        let (_, der) = issue(
            &CertificateSpec {
                profile: &profile,
                subject,
                subject_public_key: &checked.public_key_der,
                not_before: now,
                validity,
                extra_extensions: Vec::new(),
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
                req.subject.vault_subject,
                &SUBSCRIBER_CERTIFICATE,
                serial_hex.as_bytes(),
                &der,
            )
            .await
            .map_err(|e| CaError::Internal(e.to_string()))?;
        let not_before = unix(now);
        let not_after = not_before + validity.as_secs() as i64;
        let record = CertificateRecord {
            serial: serial_hex,
            fingerprint: hex::encode(Sha256::digest(&der)),
            ca_id: ca.record.id.clone(),
            holder: req.subject.account,
            profile: req.profile.as_str().to_owned(),
            algorithm: checked.algorithm.as_str().to_owned(),
            sealed_der: sealed,
            masked_subject,
            subject_mode: self.config.subject_mode.as_str().to_owned(),
            not_before,
            not_after,
            hosted_key_id: None,
            renews: None,
            issued_at: not_before,
            // CERT-7: kept five years after expiry.
            retain_until: not_after + 5 * 366 * 24 * 3600,
            revocation: None,
        };
        self.repo.insert_certificate(&record).await?;
        Ok((record, der))
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
        if !self.repo.revoke(serial, &revocation).await? {
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
        match self.ocsp_answer(&req).await {
            Ok(Some(der)) => der,
            Ok(None) => error_response(OcspResponseStatus::Unauthorized),
            Err(e) => {
                tracing::error!(error = %e, "OCSP response failed");
                error_response(OcspResponseStatus::InternalError)
            }
        }
    }

    async fn ocsp_answer(&self, req: &OcspRequest) -> Result<Option<Vec<u8>>, CaError> {
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

    async fn ca(db: &TestDb, master: &MasterKey, mode: SubjectMode) -> CertificateAuthority {
        let vault = Vault::open(
            master,
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let keys: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            Zeroizing::new([3; 32]),
        ));
        CertificateAuthority::start(keys, db.stores.certificates.clone(), vault, config(mode))
            .await
            .unwrap()
    }

    fn person() -> VerifiedSubject {
        VerifiedSubject {
            account: AccountId::random(),
            vault_subject: SubjectId::random(),
            name: NAME.into(),
            document_number: DOC.into(),
            enterprise: false,
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
        let ca2 = ca(db, &master, SubjectMode::KeyedHash).await;
        assert_eq!(db.stores.certificates.cas().await.unwrap().len(), 8);
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
                    csr_der: &csr,
                    profile: ProfileKind::PersonalSigning,
                    ca_algorithm: alg,
                    validity: None,
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
            assert!(stored.retain_until >= stored.not_after + 5 * 365 * 24 * 3600);

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
        let ca = ca(db, &master, SubjectMode::Masked).await;
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
                    csr_der: csr,
                    profile: ProfileKind::PersonalSigning,
                    ca_algorithm: KeyAlgorithm::EcdsaP256,
                    validity: None,
                })
                .await
                .unwrap_err();
            assert!(
                matches!(&err, CaError::Invalid(m) if m.contains(want)),
                "{want}: {err}"
            );
        }
        let too_long = ca
            .issue(IssueRequest {
                subject: person(),
                csr_der: &good,
                profile: ProfileKind::Event,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: Some(Duration::from_secs(3 * 24 * 3600)),
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&too_long, CaError::Invalid(m) if m.contains("at most")),
            "{too_long}"
        );
        let ca_profile = ca
            .issue(IssueRequest {
                subject: person(),
                csr_der: &good,
                profile: ProfileKind::IssuingCa,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
            })
            .await
            .unwrap_err();
        assert!(matches!(ca_profile, CaError::Invalid(_)));
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
                csr_der: &good,
                profile: ProfileKind::PersonalSigning,
                ca_algorithm: KeyAlgorithm::EcdsaP256,
                validity: None,
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

    backend_tests!(
        issue_and_revoke_with_records_openssl_accepts,
        refusals_name_what_is_wrong_and_record_nothing,
    );
}
