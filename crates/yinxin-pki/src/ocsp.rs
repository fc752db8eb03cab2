//! OCSP (RFC 6960): the request parser and the response builder, pure (no I/O, no database), over
//! ASN.1 structures of our own on der 0.8 (the released `x509-ocsp` is on der 0.7 and does not mix
//! with x509-cert 0.3).
//!
//! - [`parse_request`] reads an `OCSPRequest` (at most [`MAX_OCSP_REQUEST_LEN`] bytes, strict DER,
//!   no trailing bytes): its CertIDs (hash SHA-1 — OpenSSL's default —, SHA-256 or SM3), and the
//!   nonce (RFC 8954: 1..32 octets). A signed request is accepted; its `optionalSignature` is not
//!   checked (this responder does not ask for signed requests) and is only reported. Every refusal
//!   is a [`PkiError::Invalid`] starting "the OCSP request" that never repeats the input's bytes.
//! - [`ResponderIdentity`] is the issuing CA and its delegated responder (RFC 6960 §4.2.2.2): it
//!   precomputes the issuer name and key hashes of each supported hash, so that
//!   [`ResponderIdentity::matches`] says whether a CertID names this CA.
//! - [`build_response`] signs a successful `OCSPResponse` carrying a `BasicOCSPResponse`:
//!   ResponderID byKey, producedAt, one SingleResponse per CertID (echoed exactly as received),
//!   the nonce echoed when given, the responder certificate in `certs`. Times are whole seconds,
//!   GeneralizedTime.
//! - [`error_response`] is the unsigned `OCSPResponse` of an error status.
//!
//! **Pre-signed responses.** A response built with `nonce: None` depends only on the CertIDs and
//! their statuses and times, not on the request it answers. It is therefore valid to serve a
//! cached response for one CertID to *any* request for exactly that CertID (same hash algorithm,
//! issuer hashes, serial — [`CertId`] is `Eq + Hash` for use as the cache key) **that carries no
//! nonce**, until its `next_update` (and until the certificate's status changes). A request with a
//! nonce needs a response built for it with that nonce. [`ResponderIdentity::cert_id`] makes the
//! CertID of a serial for pre-signing before any request arrives.

use std::time::{Duration, SystemTime};

use der::asn1::{Any, BitString, GeneralizedTime, Int, Null, ObjectIdentifier, OctetString};
use der::{Choice, Decode, Encode, Enumerated, Sequence, Tagged};
use sha1::Digest;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::name::Name;
use yinxin_crypto::Signer;

use crate::PkiError;
use crate::crl::RevocationReason;

/// The largest request accepted, in bytes.
pub const MAX_OCSP_REQUEST_LEN: usize = 64 * 1024;
/// The longest nonce accepted (RFC 8954 §2.1: `Nonce ::= OCTET STRING(SIZE(1..32))`).
pub const MAX_NONCE_LEN: usize = 32;

/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1).
pub const OID_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
pub const OID_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-kp-OCSPSigning (RFC 5280 §4.2.1.12).
const OID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-sha1 (RFC 3279).
pub const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");

/// A hash algorithm a CertID may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertIdHash {
    /// SHA-1: OpenSSL's default (`openssl ocsp` without a digest option).
    Sha1,
    /// SHA-256 (`openssl ocsp -sha256`).
    Sha256,
    /// SM3 (GM/T 0004), for SM2 clients.
    Sm3,
}

impl CertIdHash {
    /// Every supported hash.
    pub const ALL: [Self; 3] = [Self::Sha1, Self::Sha256, Self::Sm3];

    /// Its AlgorithmIdentifier OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha1 => OID_SHA1,
            Self::Sha256 => yinxin_crypto::algorithm::oid::SHA256,
            Self::Sm3 => yinxin_crypto::algorithm::oid::SM3,
        }
    }

    /// The hash of an OID, if supported.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.oid() == *oid)
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 | Self::Sm3 => 32,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2_011::Sha256::digest(data).to_vec(),
            Self::Sm3 => sm3::Sm3::digest(data).to_vec(),
        }
    }
}

/// One CertID (RFC 6960 §4.1.1), kept as received so a response echoes it byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CertId {
    /// The hash algorithm of the two issuer hashes.
    pub hash_algorithm: ObjectIdentifier,
    /// Whether the hash AlgorithmIdentifier carried NULL parameters (OpenSSL writes NULL) rather
    /// than none; both are accepted and echoed as received.
    pub hash_parameters_null: bool,
    /// The hash of the issuer's DER-encoded name.
    pub issuer_name_hash: Vec<u8>,
    /// The hash of the issuer's subjectPublicKey BIT STRING value.
    pub issuer_key_hash: Vec<u8>,
    /// The serial number: the INTEGER's content octets as received (big-endian two's complement,
    /// so a leading 0x00 when the top bit is set) — what `SerialNumber::as_bytes` gives.
    pub serial: Vec<u8>,
}

/// A parsed OCSP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspRequest {
    /// The certificates asked about, in the request's order (at least one).
    pub cert_ids: Vec<CertId>,
    /// The nonce's value (the octets inside the extension's OCTET STRING), 1..32 octets.
    pub nonce: Option<Vec<u8>>,
    /// Whether the request carried an `optionalSignature` (accepted, not checked).
    pub signed: bool,
}

/// A certificate's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// Issued by this CA and not revoked.
    Good,
    /// Revoked at `at` (whole seconds are written); the reason is written unless it is `None` or
    /// `unspecified` (as in the CRL, RFC 5280 §5.3.1).
    Revoked {
        /// When.
        at: SystemTime,
        /// Why.
        reason: Option<RevocationReason>,
    },
    /// Not known to this responder.
    Unknown,
}

/// The error statuses of an unsuccessful response (RFC 6960 §4.2.1; 4 is not used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OcspResponseStatus {
    /// malformedRequest (1): the request could not be read.
    MalformedRequest,
    /// internalError (2).
    InternalError,
    /// tryLater (3).
    TryLater,
    /// sigRequired (5).
    SigRequired,
    /// unauthorized (6): not a CA this responder answers for.
    Unauthorized,
}

impl OcspResponseStatus {
    /// The OCSPResponseStatus code.
    pub fn code(self) -> u8 {
        match self {
            Self::MalformedRequest => 1,
            Self::InternalError => 2,
            Self::TryLater => 3,
            Self::SigRequired => 5,
            Self::Unauthorized => 6,
        }
    }
}

// ---- ASN.1 (RFC 6960 §4, explicit tags unless marked IMPLICIT) ----

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct OcspRequestAsn1 {
    tbs_request: TbsRequest,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    optional_signature: Option<Any>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct TbsRequest {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    version: Option<Int>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    requestor_name: Option<Any>,
    request_list: Vec<RequestAsn1>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    request_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RequestAsn1 {
    req_cert: CertIdAsn1,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    single_request_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct CertIdAsn1 {
    hash_algorithm: AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: Int,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumerated)]
#[repr(u8)]
enum StatusCode {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct OcspResponseAsn1 {
    response_status: StatusCode,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    response_bytes: Option<ResponseBytes>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct ResponseBytes {
    response_type: ObjectIdentifier,
    response: OctetString,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct BasicOcspResponse {
    tbs_response_data: ResponseData,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    certs: Option<Vec<Any>>,
}

/// ResponseData without `version` (DEFAULT v1, so never written in DER).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct ResponseData {
    responder_id: ResponderId,
    produced_at: GeneralizedTime,
    responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    response_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Choice)]
enum ResponderId {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct SingleResponse {
    cert_id: CertIdAsn1,
    cert_status: CertStatusAsn1,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    single_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Choice)]
enum CertStatusAsn1 {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RevokedInfo {
    revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    revocation_reason: Option<CrlReason>,
}

// ---- Requests ----

fn invalid(msg: impl Into<String>) -> PkiError {
    PkiError::Invalid(msg.into())
}

/// A decoding failure in words (see [`crate::der_error`]).
fn not_der(e: der::Error) -> PkiError {
    invalid(format!(
        "the OCSP request is not a DER OCSPRequest: {}",
        crate::der_error::describe(&e, true)
    ))
}

fn cert_id_of(index: usize, c: CertIdAsn1) -> Result<CertId, PkiError> {
    let n = index.saturating_add(1);
    let hash = CertIdHash::from_oid(&c.hash_algorithm.oid).ok_or_else(|| {
        invalid(format!(
            "the OCSP request's CertID {n} uses a hash algorithm that is not supported: \
             SHA-1, SHA-256 and SM3 are"
        ))
    })?;
    let hash_parameters_null = match &c.hash_algorithm.parameters {
        None => false,
        Some(p) if p.tag() == der::Tag::Null && p.value().is_empty() => true,
        Some(_) => {
            return Err(invalid(format!(
                "the OCSP request's CertID {n}: the hash algorithm carries parameters other \
                 than NULL"
            )));
        }
    };
    for (what, h) in [
        ("issuer name hash", &c.issuer_name_hash),
        ("issuer key hash", &c.issuer_key_hash),
    ] {
        if h.as_bytes().len() != hash.output_len() {
            return Err(invalid(format!(
                "the OCSP request's CertID {n}: the {what} is {} bytes; {hash:?} gives {}",
                h.as_bytes().len(),
                hash.output_len()
            )));
        }
    }
    Ok(CertId {
        hash_algorithm: c.hash_algorithm.oid,
        hash_parameters_null,
        issuer_name_hash: c.issuer_name_hash.into_bytes().into_vec(),
        issuer_key_hash: c.issuer_key_hash.into_bytes().into_vec(),
        serial: c.serial_number.as_bytes().to_vec(),
    })
}

fn refuse_critical(exts: Option<&Vec<Extension>>, where_: &str) -> Result<(), PkiError> {
    if exts
        .into_iter()
        .flatten()
        .any(|e| e.critical && e.extn_id != OID_NONCE)
    {
        return Err(invalid(format!(
            "the OCSP request carries a critical {where_} extension this responder does not know"
        )));
    }
    Ok(())
}

/// Reads a DER `OCSPRequest` (see the module documentation for what is accepted).
pub fn parse_request(der: &[u8]) -> Result<OcspRequest, PkiError> {
    if der.is_empty() {
        return Err(invalid(
            "the OCSP request is empty: send the DER of an OCSPRequest (RFC 6960)",
        ));
    }
    if der.len() > MAX_OCSP_REQUEST_LEN {
        return Err(invalid(format!(
            "the OCSP request is {} bytes; at most {MAX_OCSP_REQUEST_LEN} bytes are accepted",
            der.len()
        )));
    }
    let req = OcspRequestAsn1::from_der(der).map_err(not_der)?;
    let tbs = req.tbs_request;
    if let Some(v) = &tbs.version
        && v.as_bytes() != [0]
    {
        return Err(invalid(
            "the OCSP request's version is not v1 (0), the only version RFC 6960 defines",
        ));
    }
    if tbs.request_list.is_empty() {
        return Err(invalid("the OCSP request asks about no certificate"));
    }
    let mut nonce = None;
    for e in tbs.request_extensions.iter().flatten() {
        if e.extn_id != OID_NONCE {
            continue;
        }
        if nonce.is_some() {
            return Err(invalid("the OCSP request carries more than one nonce"));
        }
        let inner = OctetString::from_der(e.extn_value.as_bytes()).map_err(|_| {
            invalid("the OCSP request's nonce is not an OCTET STRING as RFC 8954 requires")
        })?;
        let len = inner.as_bytes().len();
        if len == 0 || len > MAX_NONCE_LEN {
            return Err(invalid(format!(
                "the OCSP request's nonce is {len} octets; RFC 8954 allows 1 to {MAX_NONCE_LEN}"
            )));
        }
        nonce = Some(inner.into_bytes().into_vec());
    }
    refuse_critical(tbs.request_extensions.as_ref(), "request")?;
    let mut cert_ids = Vec::with_capacity(tbs.request_list.len());
    for (i, r) in tbs.request_list.into_iter().enumerate() {
        refuse_critical(r.single_request_extensions.as_ref(), "single-request")?;
        cert_ids.push(cert_id_of(i, r.req_cert)?);
    }
    Ok(OcspRequest {
        cert_ids,
        nonce,
        signed: req.optional_signature.is_some(),
    })
}

// ---- The responder ----

/// The issuer hashes of one CertID hash algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IssuerHashes {
    hash: CertIdHash,
    name: Vec<u8>,
    key: Vec<u8>,
}

/// An issuing CA and the responder that signs for it (see the module documentation).
#[derive(Clone, Debug)]
pub struct ResponderIdentity {
    hashes: Vec<IssuerHashes>,
    /// SHA-1 of the responder's subjectPublicKey bits (ResponderID byKey).
    responder_key_hash: Vec<u8>,
    responder_spki: SubjectPublicKeyInfoOwned,
    responder_certificate: Any,
}

impl ResponderIdentity {
    /// The identity of the CA whose certificate is `issuer_certificate_der`, answered for by the
    /// responder whose certificate is `responder_certificate_der`: either a delegated responder
    /// (issued by that CA, EKU OCSPSigning — RFC 6960 §4.2.2.2) or the CA certificate itself.
    pub fn new(
        issuer_certificate_der: &[u8],
        responder_certificate_der: &[u8],
    ) -> Result<Self, PkiError> {
        let issuer = Certificate::from_der(issuer_certificate_der)
            .map_err(|e| invalid(format!("the issuer certificate cannot be read: {e}")))?;
        let responder = Certificate::from_der(responder_certificate_der).map_err(|e| {
            invalid(format!(
                "the OCSP responder certificate cannot be read: {e}"
            ))
        })?;
        let itbs = issuer.tbs_certificate();
        let rtbs = responder.tbs_certificate();
        if issuer_certificate_der != responder_certificate_der {
            if rtbs.issuer() != itbs.subject() {
                return Err(invalid(
                    "the OCSP responder certificate is not issued by the issuer certificate's CA",
                ));
            }
            let signing = rtbs
                .get_extension::<ExtendedKeyUsage>()?
                .is_some_and(|(_, eku)| eku.0.contains(&OID_KP_OCSP_SIGNING));
            if !signing {
                return Err(invalid(
                    "the OCSP responder certificate lacks the OCSPSigning extended key usage \
                     (RFC 6960 §4.2.2.2)",
                ));
            }
        }
        let name_der = itbs.subject().to_der()?;
        let key_bits = itbs
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        let hashes = CertIdHash::ALL
            .into_iter()
            .map(|hash| IssuerHashes {
                hash,
                name: hash.digest(&name_der),
                key: hash.digest(key_bits),
            })
            .collect();
        let responder_spki = rtbs.subject_public_key_info().clone();
        Ok(Self {
            hashes,
            responder_key_hash: CertIdHash::Sha1
                .digest(responder_spki.subject_public_key.raw_bytes()),
            responder_spki,
            responder_certificate: Any::from_der(responder_certificate_der)?,
        })
    }

    /// Whether `id` names this CA as the issuer (its hash algorithm supported, both issuer hashes
    /// equal). The serial is not looked at.
    pub fn matches(&self, id: &CertId) -> bool {
        self.hashes.iter().any(|h| {
            h.hash.oid() == id.hash_algorithm
                && h.name == id.issuer_name_hash
                && h.key == id.issuer_key_hash
        })
    }

    /// The CertID of `serial` (INTEGER content octets, as `SerialNumber::as_bytes` gives) under
    /// this CA with `hash`, with NULL hash parameters as OpenSSL writes them: for pre-signing.
    pub fn cert_id(&self, hash: CertIdHash, serial: &[u8]) -> Result<CertId, PkiError> {
        if !is_der_integer(serial) {
            return Err(invalid(
                "the serial number is not the content of a DER INTEGER (not empty, no redundant \
                 leading octets)",
            ));
        }
        let h =
            self.hashes.iter().find(|h| h.hash == hash).ok_or_else(|| {
                PkiError::Encoding("no issuer hashes for a supported hash".into())
            })?;
        Ok(CertId {
            hash_algorithm: hash.oid(),
            hash_parameters_null: true,
            issuer_name_hash: h.name.clone(),
            issuer_key_hash: h.key.clone(),
            serial: serial.to_vec(),
        })
    }

    /// SHA-1 of the responder's public key bits: the ResponderID byKey.
    pub fn responder_key_hash(&self) -> &[u8] {
        &self.responder_key_hash
    }
}

/// What a verified OCSP response says of one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OcspFinding {
    /// The status.
    pub status: CertStatus,
    /// The SingleResponse's thisUpdate.
    pub this_update: SystemTime,
    /// Its nextUpdate, if any.
    pub next_update: Option<SystemTime>,
    /// The response's producedAt.
    pub produced_at: SystemTime,
}

fn response_invalid(msg: impl std::fmt::Display) -> PkiError {
    invalid(format!("the OCSP response {msg}"))
}

/// Reads the OCSP response `response_der` for the certificate of `serial` (INTEGER content
/// octets) issued by the CA whose certificate is `issuer_der` (a relying party's check, e.g. of
/// the responses in a PDF's /DSS). The response must be successful and basic, and signed by the
/// CA itself or by a delegated responder whose certificate is in the response, issued by the CA
/// (its signature checked) with the OCSPSigning EKU (RFC 6960 §4.2.2.2). `Ok(None)`: a valid
/// response that does not speak of this certificate under this CA; `Err`: unreadable, not
/// successful, or not signed by the CA or its responder — a forged answer is never a finding.
pub fn check_response(
    response_der: &[u8],
    issuer_der: &[u8],
    serial: &[u8],
) -> Result<Option<OcspFinding>, PkiError> {
    let outer = OcspResponseAsn1::from_der(response_der)
        .map_err(|e| response_invalid(format!("is not a DER OCSPResponse: {e}")))?;
    if outer.response_status != StatusCode::Successful {
        return Err(response_invalid(format!(
            "is not successful (status {})",
            outer.response_status as u8
        )));
    }
    let bytes = outer
        .response_bytes
        .ok_or_else(|| response_invalid("carries no response bytes"))?;
    if bytes.response_type != OID_BASIC {
        return Err(response_invalid("is not a basic OCSP response"));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| response_invalid(format!("is not a DER BasicOCSPResponse: {e}")))?;
    let issuer = Certificate::from_der(issuer_der)
        .map_err(|e| response_invalid(format!("issuer certificate cannot be read: {e}")))?;
    let issuer_spki = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()?;
    let tbs = basic.tbs_response_data.to_der()?;
    let sig = basic
        .signature
        .as_bytes()
        .ok_or_else(|| response_invalid("signature is not whole bytes"))?;
    let oid = basic.signature_algorithm.oid;
    let by = |spki: &[u8]| yinxin_crypto::verify::verify_signature(spki, oid, &tbs, sig).is_ok();
    // The CA itself, or a delegated responder the CA certified for OCSP signing.
    let mut identity = None;
    if by(&issuer_spki) {
        identity = Some(ResponderIdentity::new(issuer_der, issuer_der)?);
    } else {
        for c in basic.certs.iter().flatten() {
            let der = c.to_der()?;
            let Ok(delegate) = ResponderIdentity::new(issuer_der, &der) else {
                continue;
            };
            let Ok(cert) = Certificate::from_der(&der) else {
                continue;
            };
            let certified = match (cert.tbs_certificate().to_der(), cert.signature().as_bytes()) {
                (Ok(ctbs), Some(csig)) => yinxin_crypto::verify::verify_signature(
                    &issuer_spki,
                    cert.signature_algorithm().oid,
                    &ctbs,
                    csig,
                )
                .is_ok(),
                _ => false,
            };
            if certified && by(&delegate.responder_spki.to_der()?) {
                identity = Some(delegate);
                break;
            }
        }
    }
    let identity = identity.ok_or_else(|| {
        response_invalid("is signed neither by the issuer nor by a responder it certified")
    })?;
    let produced_at = basic.tbs_response_data.produced_at.to_system_time();
    for (i, single) in basic.tbs_response_data.responses.into_iter().enumerate() {
        let Ok(id) = cert_id_of(i, single.cert_id) else {
            continue;
        };
        if !identity.matches(&id) || id.serial != serial {
            continue;
        }
        let status = match single.cert_status {
            CertStatusAsn1::Good(_) => CertStatus::Good,
            CertStatusAsn1::Unknown(_) => CertStatus::Unknown,
            CertStatusAsn1::Revoked(r) => CertStatus::Revoked {
                at: r.revocation_time.to_system_time(),
                reason: r.revocation_reason.map(RevocationReason::from_crl_reason),
            },
        };
        return Ok(Some(OcspFinding {
            status,
            this_update: single.this_update.to_system_time(),
            next_update: single.next_update.map(|t| t.to_system_time()),
            produced_at,
        }));
    }
    Ok(None)
}

/// Whether `b` is the content of a DER INTEGER: not empty, no redundant leading 0x00 or 0xFF.
fn is_der_integer(b: &[u8]) -> bool {
    match b {
        [] => false,
        [0x00, next, ..] => next & 0x80 != 0,
        [0xff, next, ..] => next & 0x80 == 0,
        _ => true,
    }
}

/// A time as GeneralizedTime in whole seconds.
fn gt(t: SystemTime, what: &str) -> Result<GeneralizedTime, PkiError> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| invalid(format!("{what} is before 1970")))?
        .as_secs();
    GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|e| invalid(format!("{what} cannot be encoded: {e}")))
}

fn cert_id_asn1(id: &CertId) -> Result<CertIdAsn1, PkiError> {
    if !is_der_integer(&id.serial) {
        return Err(invalid(
            "a CertID's serial number is not the content of a DER INTEGER",
        ));
    }
    let int = Int::new(&id.serial)?;
    Ok(CertIdAsn1 {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: id.hash_algorithm,
            parameters: id.hash_parameters_null.then(|| Null.into()),
        },
        issuer_name_hash: OctetString::new(id.issuer_name_hash.as_slice())?,
        issuer_key_hash: OctetString::new(id.issuer_key_hash.as_slice())?,
        serial_number: int,
    })
}

fn nonce_extension(nonce: &[u8]) -> Result<Extension, PkiError> {
    if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
        return Err(invalid(format!(
            "the nonce is {} octets; RFC 8954 allows 1 to {MAX_NONCE_LEN}",
            nonce.len()
        )));
    }
    Ok(Extension {
        extn_id: OID_NONCE,
        critical: false,
        extn_value: OctetString::new(OctetString::new(nonce)?.to_der()?)?,
    })
}

/// Builds and signs a successful OCSP response (see the module documentation) with `signer`, the
/// responder's key (refused if it is not the key of the identity's responder certificate).
///
/// Each `(CertId, CertStatus)` becomes one SingleResponse with `this_update` and `next_update`
/// (later than `this_update` when given). `Good` and `Revoked` are refused for a CertID that does
/// not name this CA ([`ResponderIdentity::matches`]): for another issuer only `Unknown` can be
/// said. `nonce` (1..32 octets) is echoed in the nonce extension; without it the response can be
/// cached and served to any nonce-less request for the same CertIDs.
pub fn build_response(
    identity: &ResponderIdentity,
    signer: &dyn Signer,
    responses: &[(CertId, CertStatus)],
    produced_at: SystemTime,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, PkiError> {
    let signer_spki = SubjectPublicKeyInfoOwned::from_der(signer.public_key_der())
        .map_err(|e| invalid(format!("the signer's public key cannot be read: {e}")))?;
    if signer_spki != identity.responder_spki {
        return Err(invalid(
            "the signer's key is not the key of the OCSP responder certificate",
        ));
    }
    if responses.is_empty() {
        return Err(invalid("an OCSP response needs at least one CertID"));
    }
    let produced = gt(produced_at, "produced_at")?;
    let this = gt(this_update, "this_update")?;
    let next = next_update.map(|t| gt(t, "next_update")).transpose()?;
    if let Some(n) = &next
        && n.to_unix_duration() <= this.to_unix_duration()
    {
        return Err(invalid("next_update must be later than this_update"));
    }
    let mut singles = Vec::with_capacity(responses.len());
    for (index, (id, status)) in responses.iter().enumerate() {
        let cert_status = match status {
            CertStatus::Unknown => CertStatusAsn1::Unknown(Null),
            _ if !identity.matches(id) => {
                return Err(invalid(format!(
                    "CertID {index} does not name this CA: only `unknown` can be answered for it"
                )));
            }
            CertStatus::Good => CertStatusAsn1::Good(Null),
            CertStatus::Revoked { at, reason } => CertStatusAsn1::Revoked(RevokedInfo {
                revocation_time: gt(*at, &format!("the revocation time of CertID {index}"))?,
                revocation_reason: match reason {
                    None | Some(RevocationReason::Unspecified) => None,
                    Some(r) => Some(
                        CrlReason::try_from(u32::from(r.code()))
                            .map_err(|e| PkiError::Encoding(e.to_string()))?,
                    ),
                },
            }),
        };
        singles.push(SingleResponse {
            cert_id: cert_id_asn1(id)?,
            cert_status,
            this_update: this,
            next_update: next,
            single_extensions: None,
        });
    }
    let tbs = ResponseData {
        responder_id: ResponderId::ByKey(OctetString::new(identity.responder_key_hash.as_slice())?),
        produced_at: produced,
        responses: singles,
        response_extensions: nonce.map(nonce_extension).transpose()?.map(|e| vec![e]),
    };
    let tbs_der = tbs.to_der()?;
    let signature = signer.sign(&tbs_der)?;
    let basic = BasicOcspResponse {
        tbs_response_data: tbs,
        signature_algorithm: signer.algorithm().signature_algorithm(),
        signature: BitString::from_bytes(&signature)?,
        certs: Some(vec![identity.responder_certificate.clone()]),
    };
    Ok(OcspResponseAsn1 {
        response_status: StatusCode::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: OID_BASIC,
            response: OctetString::new(basic.to_der()?)?,
        }),
    }
    .to_der()?)
}

/// The unsigned `OCSPResponse` of an error status: `SEQUENCE { ENUMERATED status }`.
pub fn error_response(status: OcspResponseStatus) -> Vec<u8> {
    vec![0x30, 0x03, 0x0a, 0x01, status.code()]
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::cert::{CertificateSpec, Issuer, issue, random_serial};
    use crate::hierarchy::{Hierarchy, create_hierarchy};
    use crate::name::NameBuilder;
    use crate::profile::{Profile, ProfileKind};
    use crate::testing::{openssl, sw_store, test_spec, write_pem};
    use yinxin_crypto::software::{SoftwareKey, SoftwareKeyStore};
    use yinxin_crypto::{KeyAlgorithm, KeyStore};
    use yinxin_store::testing::TestDb;

    fn s(p: &Path) -> String {
        p.display().to_string()
    }

    /// A hierarchy of one algorithm, two leaves issued by its issuing CA, the PEM files OpenSSL
    /// reads, and the responder identity with the OCSP responder's signer.
    struct Fixture {
        db: TestDb,
        _store: SoftwareKeyStore,
        alg: KeyAlgorithm,
        h: Hierarchy,
        leaf_serial: Vec<u8>,
        leaf2_serial: Vec<u8>,
        dir: tempfile::TempDir,
        identity: ResponderIdentity,
        responder: Arc<dyn Signer>,
    }

    async fn fixture(alg: KeyAlgorithm) -> Fixture {
        let (db, store) = sw_store().await;
        let spec = test_spec(alg);
        let h = create_hierarchy(&store, &spec, SystemTime::now())
            .await
            .unwrap();
        let issuing_signer = store.signer(&h.issuing.key.id).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::builtin(ProfileKind::PersonalSigning);
        let mut serials = Vec::new();
        for (i, file) in ["leaf.pem", "leaf2.pem"].into_iter().enumerate() {
            let subscriber = SoftwareKey::generate(alg).unwrap();
            let serial = random_serial().unwrap();
            serials.push(serial.as_bytes().to_vec());
            let (_, leaf) = issue(
                &CertificateSpec {
                    profile: &profile,
                    subject: NameBuilder::new()
                        .country("CN")
                        .common_name(&format!("张三 {i}"))
                        .build()
                        .unwrap(),
                    subject_public_key: subscriber.public_key_der(),
                    not_before: SystemTime::now() - Duration::from_secs(60),
                    validity: profile.default_validity,
                    extra_extensions: vec![],
                },
                Some(&Issuer {
                    name: h.issuing.name.clone(),
                    signer: issuing_signer.as_ref(),
                    urls: Some(spec.issuing_urls.clone()),
                }),
                None,
                serial,
            )
            .unwrap();
            write_pem(&dir.path().join(file), &leaf);
        }
        write_pem(&dir.path().join("root.pem"), &h.root.certificate_der);
        write_pem(&dir.path().join("issuing.pem"), &h.issuing.certificate_der);
        write_pem(&dir.path().join("ocsp.pem"), &h.ocsp.certificate_der);
        let chain = format!(
            "{}{}",
            crate::pem(&h.root.certificate_der, "CERTIFICATE"),
            crate::pem(&h.issuing.certificate_der, "CERTIFICATE")
        );
        std::fs::write(dir.path().join("chain.pem"), chain).unwrap();
        let identity =
            ResponderIdentity::new(&h.issuing.certificate_der, &h.ocsp.certificate_der).unwrap();
        let responder = store.signer(&h.ocsp.key.id).await.unwrap();
        let mut serials = serials.into_iter();
        Fixture {
            db,
            _store: store,
            alg,
            h,
            leaf_serial: serials.next().unwrap(),
            leaf2_serial: serials.next().unwrap(),
            dir,
            identity,
            responder,
        }
    }

    impl Fixture {
        fn p(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        /// `openssl ocsp -issuer issuing.pem -cert leaf.pem … -reqout name`: the request's DER.
        /// `before` goes before `-cert` (a digest option must), `after` after it (`-no_nonce`, a
        /// second `-cert`).
        fn request(&self, name: &str, before: &[&str], after: &[&str]) -> Vec<u8> {
            let mut args = vec!["ocsp".to_string()];
            args.extend(before.iter().map(|a| a.to_string()));
            args.extend([
                "-issuer".into(),
                s(&self.p("issuing.pem")),
                "-cert".into(),
                s(&self.p("leaf.pem")),
            ]);
            args.extend(after.iter().map(|a| a.to_string()));
            args.extend(["-reqout".into(), s(&self.p(name))]);
            let out = openssl(&args);
            std::fs::read(self.p(name))
                .unwrap_or_else(|_| panic!("{}: openssl ocsp -reqout: {out}", self.alg))
        }

        fn write(&self, name: &str, der: &[u8]) -> PathBuf {
            let p = self.p(name);
            std::fs::write(&p, der).unwrap();
            p
        }

        /// `openssl ocsp -respin … -resp_text` checking the response for leaf.pem under chain.pem,
        /// with `extra` (`-reqin req.der`, `-noverify`, …).
        fn check(&self, resp: &Path, before: &[&str], extra: &[&str]) -> String {
            let mut args = vec!["ocsp".to_string()];
            args.extend(before.iter().map(|a| a.to_string()));
            args.extend([
                "-respin".to_string(),
                s(resp),
                "-issuer".into(),
                s(&self.p("issuing.pem")),
                "-cert".into(),
                s(&self.p("leaf.pem")),
                "-CAfile".into(),
                s(&self.p("chain.pem")),
                "-resp_text".into(),
            ]);
            args.extend(extra.iter().map(|a| a.to_string()));
            openssl(&args)
        }

        fn respond(&self, responses: &[(CertId, CertStatus)], nonce: Option<&[u8]>) -> Vec<u8> {
            let now = SystemTime::now();
            build_response(
                &self.identity,
                self.responder.as_ref(),
                responses,
                now,
                now - Duration::from_secs(10),
                Some(now + Duration::from_secs(3600)),
                nonce,
            )
            .unwrap()
        }
    }

    /// 2026-03-01T08:00:00.750Z: the fraction must not reach the response.
    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_352_000_750)
    }

    fn basic_of(resp: &[u8]) -> BasicOcspResponse {
        let outer = OcspResponseAsn1::from_der(resp).unwrap();
        assert_eq!(outer.response_status, StatusCode::Successful);
        let rb = outer.response_bytes.unwrap();
        assert_eq!(rb.response_type, OID_BASIC);
        BasicOcspResponse::from_der(rb.response.as_bytes()).unwrap()
    }

    /// The same response with its tbsResponseData signed by `key` instead.
    fn resign(resp: &[u8], key: &dyn Signer) -> Vec<u8> {
        let mut outer = OcspResponseAsn1::from_der(resp).unwrap();
        let rb = outer.response_bytes.as_mut().unwrap();
        let mut basic = BasicOcspResponse::from_der(rb.response.as_bytes()).unwrap();
        let sig = key
            .sign(&basic.tbs_response_data.to_der().unwrap())
            .unwrap();
        basic.signature = BitString::from_bytes(&sig).unwrap();
        rb.response = OctetString::new(basic.to_der().unwrap()).unwrap();
        outer.to_der().unwrap()
    }

    /// The response's SM2 signature checked by OpenSSL as a raw signature over tbsResponseData
    /// with SM3 and the GM/T 0009 default distinguishing ID (`openssl ocsp` has no `-vfyopt`).
    fn openssl_sm2_tbs_verify(f: &Fixture, resp: &[u8], tag: &str) -> String {
        let basic = basic_of(resp);
        let tbs = f.write(
            &format!("{tag}-tbs.der"),
            &basic.tbs_response_data.to_der().unwrap(),
        );
        let sig = f.write(&format!("{tag}-sig.der"), basic.signature.raw_bytes());
        let public = f.write(&format!("{tag}-pub.der"), &f.h.ocsp.key.public_key_der);
        crate::testing::sm2_verify_with_distid(&public, &tbs, &sig)
    }

    /// Whether `out` is OpenSSL's verdict that the response verified; for SM2 (see
    /// [`openssl_sm2_tbs_verify`]) the expected `openssl ocsp` failure is asserted instead and the
    /// signature is checked with `pkeyutl`.
    fn assert_verified(f: &Fixture, out: &str, resp: &[u8], tag: &str) {
        if f.alg == KeyAlgorithm::Sm2 {
            assert!(
                out.contains("Response Verify Failure") && out.contains("signature failure"),
                "{tag}: SM2 now verifies in openssl ocsp: {out}"
            );
            let raw = openssl_sm2_tbs_verify(f, resp, tag);
            assert!(
                raw.contains("Signature Verified Successfully"),
                "{tag}: {raw}"
            );
        } else {
            assert!(out.contains("Response verify OK"), "{} {tag}: {out}", f.alg);
            assert!(!out.contains("Verify Failure"), "{} {tag}: {out}", f.alg);
        }
    }

    /// Steps 1-4 of the OpenSSL checks for one algorithm.
    async fn with_openssl(alg: KeyAlgorithm) {
        let f = fixture(alg).await;
        let leaf = s(&f.p("leaf.pem"));
        let leaf2 = s(&f.p("leaf2.pem"));

        // 1. Requests made by `openssl ocsp`: SHA-1 with and without nonce, SHA-256, SM3, two
        // certificates.
        let plain = parse_request(&f.request("plain.der", &[], &["-no_nonce"])).unwrap();
        let nonce_der = f.request("nonce.der", &[], &[]);
        let with_nonce = parse_request(&nonce_der).unwrap();
        let sha256 = parse_request(&f.request("sha256.der", &["-sha256"], &["-no_nonce"])).unwrap();
        let sm3 = parse_request(&f.request("sm3.der", &["-sm3"], &["-no_nonce"])).unwrap();
        let two =
            parse_request(&f.request("two.der", &[], &["-cert", &leaf2, "-no_nonce"])).unwrap();
        for (r, hash, nonce) in [
            (&plain, CertIdHash::Sha1, false),
            (&with_nonce, CertIdHash::Sha1, true),
            (&sha256, CertIdHash::Sha256, false),
            (&sm3, CertIdHash::Sm3, false),
        ] {
            assert_eq!(r.cert_ids.len(), 1, "{alg} {hash:?}");
            let id = &r.cert_ids[0];
            assert!(f.identity.matches(id), "{alg} {hash:?}: {id:?}");
            assert_eq!(id.serial, f.leaf_serial, "{alg} {hash:?}");
            assert_eq!(id.hash_algorithm, hash.oid());
            // Our precomputed CertID is OpenSSL's, byte for byte.
            assert_eq!(*id, f.identity.cert_id(hash, &f.leaf_serial).unwrap());
            assert!(!r.signed);
            assert_eq!(r.nonce.is_some(), nonce, "{alg} {hash:?}");
        }
        // OpenSSL's default nonce: 16 octets.
        assert_eq!(with_nonce.nonce.as_ref().unwrap().len(), 16);
        assert_eq!(two.cert_ids.len(), 2);
        assert_eq!(two.cert_ids[1].serial, f.leaf2_serial);
        assert!(two.cert_ids.iter().all(|id| f.identity.matches(id)));

        // 2. Good, without nonce: the summary line and the verification.
        let resp = f.respond(&[(plain.cert_ids[0].clone(), CertStatus::Good)], None);
        let path = f.write("good.der", &resp);
        let out = f.check(&path, &[], &["-no_nonce"]);
        assert!(out.contains(&format!("{leaf}: good")), "{alg}: {out}");
        assert!(out.contains("Cert Status: good"), "{alg}: {out}");
        assert_verified(&f, &out, &resp, "good");
        // … and with SHA-256 (OpenSSL looks the status up by its own SHA-256 CertID).
        let resp = f.respond(&[(sha256.cert_ids[0].clone(), CertStatus::Good)], None);
        let path = f.write("good-sha256.der", &resp);
        let out = f.check(&path, &["-sha256"], &["-no_nonce"]);
        assert!(out.contains(&format!("{leaf}: good")), "{alg}: {out}");
        assert!(out.contains("Hash Algorithm: sha256"), "{alg}: {out}");
        assert_verified(&f, &out, &resp, "good-sha256");
        // With the nonce request: `-reqin` alone (with `-cert`, openssl makes a new request with
        // a fresh nonce and ignores `-reqin`), so the echo of that request's nonce is checked.
        let resp = f.respond(
            &[(with_nonce.cert_ids[0].clone(), CertStatus::Good)],
            with_nonce.nonce.as_deref(),
        );
        let path = f.write("good-nonce.der", &resp);
        let out = openssl(&[
            "ocsp",
            "-respin",
            &s(&path),
            "-reqin",
            &s(&f.p("nonce.der")),
            "-CAfile",
            &s(&f.p("chain.pem")),
            "-resp_text",
        ]);
        assert!(out.contains("Cert Status: good"), "{alg}: {out}");
        assert!(out.contains("OCSP Nonce"), "{alg}: {out}");
        assert!(!out.contains("Nonce Verify error"), "{alg}: {out}");
        assert!(!out.contains("WARNING: no nonce"), "{alg}: {out}");
        assert_verified(&f, &out, &resp, "good-nonce");

        // 3. Revoked (keyCompromise) beside a good one, for the two-certificate request.
        let resp = f.respond(
            &[
                (
                    two.cert_ids[0].clone(),
                    CertStatus::Revoked {
                        at: t0(),
                        reason: Some(RevocationReason::KeyCompromise),
                    },
                ),
                (two.cert_ids[1].clone(), CertStatus::Good),
            ],
            None,
        );
        let path = f.write("revoked.der", &resp);
        let out = f.check(&path, &[], &["-cert", &leaf2, "-no_nonce"]);
        assert!(out.contains(&format!("{leaf}: revoked")), "{alg}: {out}");
        assert!(out.contains(&format!("{leaf2}: good")), "{alg}: {out}");
        assert!(out.contains("Reason: keyCompromise"), "{alg}: {out}");
        assert!(
            out.contains("Revocation Time: Mar  1 08:00:00 2026 GMT"),
            "{alg}: {out}"
        );
        assert_verified(&f, &out, &resp, "revoked");

        // 4. Signed by another key: the response (with the responder certificate it names) fails.
        let good = f.respond(&[(plain.cert_ids[0].clone(), CertStatus::Good)], None);
        let other = SoftwareKey::generate(alg).unwrap();
        let forged = resign(&good, &other);
        let path = f.write("forged.der", &forged);
        let out = f.check(&path, &[], &["-no_nonce"]);
        assert!(!out.contains("Response verify OK"), "{alg}: {out}");
        assert!(out.contains("Response Verify Failure"), "{alg}: {out}");
        if alg == KeyAlgorithm::Sm2 {
            let raw = openssl_sm2_tbs_verify(&f, &forged, "forged");
            assert!(raw.contains("Signature Verification Failure"), "{raw}");
        }
        // A nonce other than the request's.
        let resp = f.respond(
            &[(with_nonce.cert_ids[0].clone(), CertStatus::Good)],
            Some(b"not the nonce sent"),
        );
        let path = f.write("wrong-nonce.der", &resp);
        let out = openssl(&[
            "ocsp",
            "-respin",
            &s(&path),
            "-reqin",
            &s(&f.p("nonce.der")),
            "-CAfile",
            &s(&f.p("chain.pem")),
        ]);
        assert!(out.contains("Nonce Verify error"), "{alg}: {out}");
        assert!(!out.contains("Response verify OK"), "{alg}: {out}");
        // No nonce at all in answer to a request with one: a warning only.
        let resp = f.respond(&[(with_nonce.cert_ids[0].clone(), CertStatus::Good)], None);
        let path = f.write("no-nonce.der", &resp);
        let out = openssl(&[
            "ocsp",
            "-respin",
            &s(&path),
            "-reqin",
            &s(&f.p("nonce.der")),
            "-CAfile",
            &s(&f.p("chain.pem")),
        ]);
        assert!(
            out.contains("WARNING: no nonce in response"),
            "{alg}: {out}"
        );

        f.db.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_checks_p256_requests_and_responses() {
        with_openssl(KeyAlgorithm::EcdsaP256).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_checks_ed25519_requests_and_responses() {
        with_openssl(KeyAlgorithm::Ed25519).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_checks_rsa2048_requests_and_responses() {
        with_openssl(KeyAlgorithm::Rsa2048).await;
    }

    /// SM2: `openssl ocsp` (3.0) reads the requests and responses and finds the statuses, but
    /// cannot verify an SM2 signature made with the GM/T 0009 distinguishing ID (it has no
    /// `-vfyopt` and passes no ID); the signature is checked with `openssl pkeyutl` instead.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_checks_sm2_requests_and_responses() {
        with_openssl(KeyAlgorithm::Sm2).await;
    }

    fn cert_id_asn1_of(hash: CertIdHash, null: bool, serial: &[u8]) -> CertIdAsn1 {
        cert_id_asn1(&CertId {
            hash_algorithm: hash.oid(),
            hash_parameters_null: null,
            issuer_name_hash: vec![0x11; hash.output_len()],
            issuer_key_hash: vec![0x22; hash.output_len()],
            serial: serial.to_vec(),
        })
        .unwrap()
    }

    fn nonce_ext(value: &[u8]) -> Extension {
        Extension {
            extn_id: OID_NONCE,
            critical: false,
            extn_value: OctetString::new(value).unwrap(),
        }
    }

    /// An OCSPRequest of our own encoding.
    fn encode_request(
        ids: Vec<CertIdAsn1>,
        exts: Option<Vec<Extension>>,
        signature: Option<Any>,
    ) -> Vec<u8> {
        OcspRequestAsn1 {
            tbs_request: TbsRequest {
                version: None,
                requestor_name: None,
                request_list: ids
                    .into_iter()
                    .map(|req_cert| RequestAsn1 {
                        req_cert,
                        single_request_extensions: None,
                    })
                    .collect(),
                request_extensions: exts,
            },
            optional_signature: signature,
        }
        .to_der()
        .unwrap()
    }

    fn refusal(der: &[u8]) -> String {
        match parse_request(der) {
            Err(PkiError::Invalid(m)) => {
                assert!(m.starts_with("the OCSP request"), "{m}");
                m
            }
            other => panic!("not refused as Invalid: {other:?}"),
        }
    }

    #[test]
    fn malformed_requests_are_refused_clearly() {
        let id = || cert_id_asn1_of(CertIdHash::Sha1, true, &[0x4a, 1, 2, 3]);
        let good = encode_request(vec![id()], None, None);
        assert!(parse_request(&good).is_ok());

        let garbage = b"GET /pki/ocsp HTTP/1.1 hello-garbage-input";
        let m = refusal(garbage);
        assert!(m.contains("is not a DER OCSPRequest"), "{m}");
        assert!(!m.contains("hello") && !m.contains("GET"), "{m}");
        assert!(refusal(b"").contains("is empty"));
        let m = refusal(&good[..good.len() - 3]);
        assert!(m.contains("truncated"), "{m}");
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"\x00\x01");
        let m = refusal(&trailing);
        assert!(
            m.contains("followed by bytes that are not part of it"),
            "{m}"
        );
        let m = refusal(&vec![0x30; MAX_OCSP_REQUEST_LEN + 1]);
        assert!(m.contains("at most 65536 bytes"), "{m}");

        // Nonces (RFC 8954): 1..32 octets inside an OCTET STRING.
        let with = |value: &[u8]| encode_request(vec![id()], Some(vec![nonce_ext(value)]), None);
        let inner = |n: &[u8]| OctetString::new(n).unwrap().to_der().unwrap();
        assert_eq!(
            parse_request(&with(&inner(&[7; 32]))).unwrap().nonce,
            Some(vec![7; 32])
        );
        assert_eq!(
            parse_request(&with(&inner(&[7]))).unwrap().nonce,
            Some(vec![7])
        );
        let m = refusal(&with(&inner(&[0x5a; 33])));
        assert!(
            m.contains("nonce is 33 octets; RFC 8954 allows 1 to 32"),
            "{m}"
        );
        assert!(refusal(&with(&inner(&[]))).contains("nonce is 0 octets"));
        let m = refusal(&with(b"raw nonce bytes"));
        assert!(m.contains("not an OCTET STRING"), "{m}");
        assert!(!m.contains("raw nonce"), "{m}");
        let two = encode_request(
            vec![id()],
            Some(vec![nonce_ext(&inner(&[1])), nonce_ext(&inner(&[2]))]),
            None,
        );
        assert!(refusal(&two).contains("more than one nonce"));

        // CertIDs.
        assert!(refusal(&encode_request(vec![], None, None)).contains("no certificate"));
        let mut md5 = id();
        md5.hash_algorithm.oid = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        let m = refusal(&encode_request(vec![id(), md5], None, None));
        assert!(
            m.contains("CertID 2 uses a hash algorithm that is not supported"),
            "{m}"
        );
        assert!(!m.contains("1.2.840"), "{m}");
        let mut short = id();
        short.issuer_key_hash = OctetString::new(vec![0; 19]).unwrap();
        let m = refusal(&encode_request(vec![short], None, None));
        assert!(
            m.contains("issuer key hash is 19 bytes; Sha1 gives 20"),
            "{m}"
        );
        let mut params = id();
        params.hash_algorithm.parameters = Some(Any::from(ObjectIdentifier::new_unwrap("1.2.3")));
        assert!(refusal(&encode_request(vec![params], None, None)).contains("other than NULL"));

        // Extensions: an unknown critical one is refused, an unknown non-critical one ignored.
        let ext = |critical| Extension {
            extn_id: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.4"),
            critical,
            extn_value: OctetString::new(vec![0x30, 0]).unwrap(),
        };
        let m = refusal(&encode_request(vec![id()], Some(vec![ext(true)]), None));
        assert!(m.contains("critical request extension"), "{m}");
        assert!(parse_request(&encode_request(vec![id()], Some(vec![ext(false)]), None)).is_ok());

        // Version other than v1.
        let mut v2 = OcspRequestAsn1::from_der(&good).unwrap();
        v2.tbs_request.version = Some(Int::new(&[1]).unwrap());
        assert!(refusal(&v2.to_der().unwrap()).contains("version is not v1"));
        let mut v1 = OcspRequestAsn1::from_der(&good).unwrap();
        v1.tbs_request.version = Some(Int::new(&[0]).unwrap());
        assert!(parse_request(&v1.to_der().unwrap()).is_ok());

        // A signed request: accepted, its signature reported and not checked.
        let signature = Any::from_der(&[0x30, 0x03, 0x03, 0x01, 0x00]).unwrap();
        let signed = parse_request(&encode_request(vec![id()], None, Some(signature))).unwrap();
        assert!(signed.signed);
        assert_eq!(signed.cert_ids, parse_request(&good).unwrap().cert_ids);
    }

    #[test]
    fn error_responses_read_with_openssl() {
        let dir = tempfile::tempdir().unwrap();
        for (status, name) in [
            (OcspResponseStatus::MalformedRequest, "malformedrequest"),
            (OcspResponseStatus::InternalError, "internalerror"),
            (OcspResponseStatus::TryLater, "trylater"),
            (OcspResponseStatus::SigRequired, "sigrequired"),
            (OcspResponseStatus::Unauthorized, "unauthorized"),
        ] {
            let der = error_response(status);
            let decoded = OcspResponseAsn1::from_der(&der).unwrap();
            assert_eq!(decoded.response_status as u8, status.code());
            assert!(decoded.response_bytes.is_none());
            let p = dir.path().join(format!("{name}.der"));
            std::fs::write(&p, &der).unwrap();
            let out = openssl(&["ocsp", "-respin", &s(&p), "-resp_text"]);
            let want = format!("Responder Error: {name} ({})", status.code());
            assert!(out.contains(&want), "{out}");
        }
    }

    /// The structure read back: ResponderID byKey = the responder certificate's SKI, CertIDs
    /// echoed byte for byte (absent hash parameters stay absent), whole seconds, the responder
    /// certificate in `certs`, no reason for `unspecified`, the signature valid by
    /// yinxin-crypto's own check.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_response_reads_back_as_built() {
        let f = fixture(KeyAlgorithm::EcdsaP256).await;
        let req = f.request("r.der", &["-sha256"], &[]);
        let parsed = parse_request(&req).unwrap();
        let mut no_params = f
            .identity
            .cert_id(CertIdHash::Sm3, &f.leaf2_serial)
            .unwrap();
        no_params.hash_parameters_null = false;
        let responses = [
            (parsed.cert_ids[0].clone(), CertStatus::Good),
            (
                no_params.clone(),
                CertStatus::Revoked {
                    at: t0(),
                    reason: Some(RevocationReason::Unspecified),
                },
            ),
            (
                CertId {
                    issuer_key_hash: vec![0; 20],
                    ..f.identity.cert_id(CertIdHash::Sha1, &[0x01]).unwrap()
                },
                CertStatus::Unknown,
            ),
        ];
        let der = build_response(
            &f.identity,
            f.responder.as_ref(),
            &responses,
            t0(),
            t0(),
            Some(t0() + Duration::from_secs(3600)),
            parsed.nonce.as_deref(),
        )
        .unwrap();
        let basic = basic_of(&der);
        assert_eq!(basic.to_der().unwrap(), basic_of(&der).to_der().unwrap());
        let tbs = &basic.tbs_response_data;
        let ski = crate::cert::key_identifier(&f.h.ocsp.key.public_key_der).unwrap();
        assert_eq!(
            tbs.responder_id,
            ResponderId::ByKey(OctetString::new(ski.clone()).unwrap())
        );
        assert_eq!(f.identity.responder_key_hash(), ski.as_slice());
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_352_000);
        assert_eq!(tbs.produced_at.to_system_time(), whole);
        assert_eq!(tbs.responses.len(), 3);
        // The request's CertID bytes occur in the response as they were sent.
        let sent = OcspRequestAsn1::from_der(&req)
            .unwrap()
            .tbs_request
            .request_list[0]
            .req_cert
            .to_der()
            .unwrap();
        assert_eq!(tbs.responses[0].cert_id.to_der().unwrap(), sent);
        assert!(tbs.responses[1].cert_id.hash_algorithm.parameters.is_none());
        for r in &tbs.responses {
            assert_eq!(r.this_update.to_system_time(), whole);
            assert_eq!(
                r.next_update.unwrap().to_system_time(),
                whole + Duration::from_secs(3600)
            );
        }
        assert_eq!(tbs.responses[0].cert_status, CertStatusAsn1::Good(Null));
        assert_eq!(
            tbs.responses[1].cert_status,
            CertStatusAsn1::Revoked(RevokedInfo {
                revocation_time: GeneralizedTime::from_system_time(whole).unwrap(),
                revocation_reason: None,
            })
        );
        assert_eq!(tbs.responses[2].cert_status, CertStatusAsn1::Unknown(Null));
        let exts = tbs.response_extensions.as_ref().unwrap();
        assert_eq!(exts.len(), 1);
        assert_eq!(exts[0].extn_id, OID_NONCE);
        assert!(!exts[0].critical);
        assert_eq!(
            OctetString::from_der(exts[0].extn_value.as_bytes())
                .unwrap()
                .as_bytes(),
            parsed.nonce.as_deref().unwrap()
        );
        let certs = basic.certs.as_ref().unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].to_der().unwrap(), f.h.ocsp.certificate_der);
        assert_eq!(
            basic.signature_algorithm,
            KeyAlgorithm::EcdsaP256.signature_algorithm()
        );
        yinxin_crypto::verify::verify_signature(
            &f.h.ocsp.key.public_key_der,
            basic.signature_algorithm.oid,
            &tbs.to_der().unwrap(),
            basic.signature.raw_bytes(),
        )
        .unwrap();
        // Without a nonce: no extensions, and the same inputs give the same body (cacheable).
        let a = f.respond(&[(parsed.cert_ids[0].clone(), CertStatus::Good)], None);
        assert!(basic_of(&a).tbs_response_data.response_extensions.is_none());
        f.db.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn misuse_is_refused() {
        let f = fixture(KeyAlgorithm::EcdsaP256).await;
        let id = f
            .identity
            .cert_id(CertIdHash::Sha1, &f.leaf_serial)
            .unwrap();
        let build = |signer: &dyn Signer, responses: &[(CertId, CertStatus)], next, nonce| {
            build_response(&f.identity, signer, responses, t0(), t0(), next, nonce)
                .unwrap_err()
                .to_string()
        };
        let other = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let good = [(id.clone(), CertStatus::Good)];
        assert!(build(&other, &good, None, None).contains("not the key of the OCSP responder"));
        let r = f.responder.as_ref();
        assert!(build(r, &[], None, None).contains("at least one CertID"));
        assert!(build(r, &good, Some(t0()), None).contains("later than this_update"));
        assert!(build(r, &good, None, Some(&[0; 33])).contains("nonce is 33 octets"));
        assert!(build(r, &good, None, Some(&[])).contains("nonce is 0 octets"));
        let foreign = CertId {
            issuer_name_hash: vec![0; 20],
            ..id.clone()
        };
        let m = build(r, &[(foreign.clone(), CertStatus::Good)], None, None);
        assert!(m.contains("does not name this CA"), "{m}");
        build_response(
            &f.identity,
            r,
            &[(foreign, CertStatus::Unknown)],
            t0(),
            t0(),
            None,
            None,
        )
        .unwrap();
        let bad_serial = CertId {
            serial: vec![0, 1],
            ..id.clone()
        };
        assert!(build(r, &[(bad_serial, CertStatus::Good)], None, None).contains("INTEGER"));
        assert!(f.identity.cert_id(CertIdHash::Sha1, &[0xff, 0x80]).is_err());
        assert!(f.identity.cert_id(CertIdHash::Sha1, &[]).is_err());

        // Identities: the TSA certificate may not sign OCSP responses; a responder of another
        // CA is refused; the CA certificate itself may respond.
        let err = ResponderIdentity::new(&f.h.issuing.certificate_der, &f.h.tsa.certificate_der)
            .unwrap_err();
        assert!(err.to_string().contains("OCSPSigning"), "{err}");
        let err = ResponderIdentity::new(&f.h.root.certificate_der, &f.h.ocsp.certificate_der)
            .unwrap_err();
        assert!(err.to_string().contains("not issued by"), "{err}");
        let ca = ResponderIdentity::new(&f.h.issuing.certificate_der, &f.h.issuing.certificate_der)
            .unwrap();
        assert!(ca.matches(&id));
        assert!(ResponderIdentity::new(b"x", &f.h.ocsp.certificate_der).is_err());
        f.db.cleanup().await;
    }

    /// A relying party's reading of a response (a PDF's /DSS, issue 6 item 7): believed only
    /// when signed by the CA's certified responder, about the certificate asked for.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn relying_parties_check_responses_before_believing_them() {
        let f = fixture(KeyAlgorithm::EcdsaP256).await;
        let issuer = &f.h.issuing.certificate_der;
        let id = |serial: &[u8]| f.identity.cert_id(CertIdHash::Sha256, serial).unwrap();
        let good = f.respond(&[(id(&f.leaf_serial), CertStatus::Good)], None);
        let found = check_response(&good, issuer, &f.leaf_serial)
            .unwrap()
            .unwrap();
        assert_eq!(found.status, CertStatus::Good);
        assert!(found.this_update <= found.produced_at);
        assert!(found.next_update.is_some());
        // Of another certificate: nothing said.
        assert_eq!(
            check_response(&good, issuer, &f.leaf2_serial).unwrap(),
            None
        );
        // Revoked, with its time and reason.
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_352_000);
        let revoked = f.respond(
            &[
                (id(&f.leaf2_serial), CertStatus::Good),
                (
                    id(&f.leaf_serial),
                    CertStatus::Revoked {
                        at,
                        reason: Some(RevocationReason::KeyCompromise),
                    },
                ),
            ],
            None,
        );
        let found = check_response(&revoked, issuer, &f.leaf_serial)
            .unwrap()
            .unwrap();
        assert_eq!(
            found.status,
            CertStatus::Revoked {
                at,
                reason: Some(RevocationReason::KeyCompromise)
            }
        );
        // Forged: the same answer signed by a key the CA never certified.
        let other = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let forged = resign(&good, &other);
        let e = check_response(&forged, issuer, &f.leaf_serial).unwrap_err();
        assert!(e.to_string().contains("signed neither"), "{e}");
        // Asked of another CA (the root): its responder is not the root's.
        assert!(check_response(&good, &f.h.root.certificate_der, &f.leaf_serial).is_err());
        // Not successful, not an OCSP response at all.
        let e = check_response(
            &error_response(OcspResponseStatus::TryLater),
            issuer,
            &f.leaf_serial,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not successful"), "{e}");
        assert!(check_response(b"\x30\x03\x0a\x01", issuer, &f.leaf_serial).is_err());
        f.db.cleanup().await;
    }

    /// Writes the seed corpus of the `ocsp_request` fuzz target (`fuzz/corpus/ocsp_request/`).
    /// Run by hand: `cargo nextest run -p yinxin-pki --run-ignored only write_ocsp_fuzz_corpus`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "writes the fuzz seed corpus"]
    async fn write_ocsp_fuzz_corpus() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/ocsp_request");
        std::fs::create_dir_all(&out).unwrap();
        let f = fixture(KeyAlgorithm::EcdsaP256).await;
        let leaf2 = s(&f.p("leaf2.pem"));
        let seeds: [(&str, &[&str], &[&str]); 5] = [
            ("sha1-nonce", &[], &[]),
            ("sha1-no-nonce", &[], &["-no_nonce"]),
            ("sha256-nonce", &["-sha256"], &[]),
            ("sm3-no-nonce", &["-sm3"], &["-no_nonce"]),
            ("two-certs", &[], &["-cert", &leaf2]),
        ];
        for (name, before, after) in seeds {
            let der = f.request(&format!("{name}.der"), before, after);
            parse_request(&der).unwrap();
            std::fs::write(out.join(format!("{name}.der")), &der).unwrap();
            if name == "sha1-nonce" {
                std::fs::write(out.join("truncated.der"), &der[..der.len() / 2]).unwrap();
            }
        }
        f.db.cleanup().await;
    }
}
