//! The Time-Stamp Protocol (RFC 3161, with RFC 5816's ESSCertIDv2): the request parser, the
//! TSTInfo and token builder, the responses, and a token verifier — pure (no I/O, no database),
//! over ASN.1 structures of our own on der 0.8 (the released `x509-tsp` is on der 0.7).
//!
//! - [`parse_request`] reads a `TimeStampReq` (at most [`MAX_REQUEST_LEN`] bytes, strict DER, no
//!   trailing bytes). A request that cannot be accepted is a [`Rejection`] carrying the
//!   PKIFailureInfo bit RFC 3161 §2.4.2 names and a text that never repeats the input's bytes:
//!   not DER → `badDataFormat`; a version other than 1 → `badRequest`; a hash algorithm other than
//!   SHA-256, SHA-384, SHA-512 or SM3, or with parameters other than NULL → `badAlg`; an imprint
//!   whose length is not the algorithm's → `badDataFormat`; a nonce over [`MAX_NONCE_LEN`]
//!   octets → `badRequest`; a critical extension → `unacceptedExtension` (none is known; a
//!   non-critical one is ignored). The policy is the caller's to judge (`unacceptedPolicy`).
//! - [`build_token`] makes the TSTInfo (version 1, the policy, the imprint exactly as received,
//!   the serial, genTime in whole seconds, accuracy, the nonce exactly as received, the TSA's
//!   name) and signs it as CMS SignedData ([`crate::cms::sign`]) with eContentType id-ct-TSTInfo.
//! - [`granted`] and [`rejected`] are the two kinds of `TimeStampResp`.
//! - [`read_response`] and [`verify_token`] read them back (tests, and verifiers of our tokens).
//! - [`request`] writes a `TimeStampReq`, for clients (the signature timestamps of yinxin-sign).

use std::time::{Duration, SystemTime};

use der::asn1::{
    Any, BitString, GeneralizedTime, Int, ObjectIdentifier, OctetString, Utf8StringRef,
};
use der::{Decode, Encode, Sequence, Tagged};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use yinxin_crypto::Signer;

use crate::PkiError;
use crate::cms::{DigestAlgorithm, SignOptions};

/// The largest request accepted, in bytes (a request is about a hundred).
pub const MAX_REQUEST_LEN: usize = 64 * 1024;
/// The longest nonce accepted, in octets (RFC 3161 asks for a large random number; OpenSSL sends
/// 8 octets).
pub const MAX_NONCE_LEN: usize = 64;

/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub const OID_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// The PKIFailureInfo bits of RFC 3161 §2.4.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureInfo {
    /// badAlg (0): an unrecognized or unsupported algorithm identifier.
    BadAlg,
    /// badRequest (2): a transaction not permitted or supported.
    BadRequest,
    /// badDataFormat (5): the data submitted has the wrong format.
    BadDataFormat,
    /// timeNotAvailable (14): the TSA's time source is not available (or not trusted).
    TimeNotAvailable,
    /// unacceptedPolicy (15): the requested TSA policy is not supported.
    UnacceptedPolicy,
    /// unacceptedExtension (16): the requested extension is not supported.
    UnacceptedExtension,
    /// addInfoNotAvailable (17).
    AddInfoNotAvailable,
    /// systemFailure (25): the request cannot be handled because of a system failure.
    SystemFailure,
}

impl FailureInfo {
    /// Every one.
    pub const ALL: [Self; 8] = [
        Self::BadAlg,
        Self::BadRequest,
        Self::BadDataFormat,
        Self::TimeNotAvailable,
        Self::UnacceptedPolicy,
        Self::UnacceptedExtension,
        Self::AddInfoNotAvailable,
        Self::SystemFailure,
    ];

    /// The bit number.
    pub fn bit(self) -> u8 {
        match self {
            Self::BadAlg => 0,
            Self::BadRequest => 2,
            Self::BadDataFormat => 5,
            Self::TimeNotAvailable => 14,
            Self::UnacceptedPolicy => 15,
            Self::UnacceptedExtension => 16,
            Self::AddInfoNotAvailable => 17,
            Self::SystemFailure => 25,
        }
    }

    /// RFC 3161's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadAlg => "badAlg",
            Self::BadRequest => "badRequest",
            Self::BadDataFormat => "badDataFormat",
            Self::TimeNotAvailable => "timeNotAvailable",
            Self::UnacceptedPolicy => "unacceptedPolicy",
            Self::UnacceptedExtension => "unacceptedExtension",
            Self::AddInfoNotAvailable => "addInfoNotAvailable",
            Self::SystemFailure => "systemFailure",
        }
    }

    /// The DER BIT STRING of this one bit: named-bit lists drop trailing zero bits (X.690
    /// §11.2.2), so it ends with this bit.
    fn bit_string(self) -> Result<BitString, PkiError> {
        let n = usize::from(self.bit());
        let mut bytes = vec![0u8; n / 8 + 1];
        if let Some(last) = bytes.last_mut() {
            *last = 0x80 >> (n % 8);
        }
        // n % 8 < 8, so the cast is exact.
        Ok(BitString::new((7 - n % 8) as u8, bytes)?)
    }
}

/// A request that is not granted: why, in RFC 3161's terms and in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The failure bit.
    pub failure: FailureInfo,
    /// What was wrong, for the statusString (never the input's bytes).
    pub text: String,
}

impl Rejection {
    /// A rejection for `failure` saying `text`.
    pub fn new(failure: FailureInfo, text: impl Into<String>) -> Self {
        Self {
            failure,
            text: text.into(),
        }
    }
}

// ---- ASN.1 (RFC 3161 §2.4, IMPLICIT TAGS module; GeneralName is a CHOICE, so `tsa` is
// explicit) ----

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct MessageImprint {
    pub(crate) hash_algorithm: AlgorithmIdentifierOwned,
    pub(crate) hashed_message: OctetString,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct TimeStampReq {
    pub(crate) version: Int,
    pub(crate) message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    pub(crate) req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub(crate) nonce: Option<Int>,
    /// DEFAULT FALSE: absent in DER when false; an explicit FALSE is read too.
    #[asn1(optional = "true")]
    pub(crate) cert_req: Option<bool>,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct PkiStatusInfo {
    pub(crate) status: u8,
    #[asn1(optional = "true")]
    pub(crate) status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    pub(crate) fail_info: Option<BitString>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct TimeStampResp {
    pub(crate) status: PkiStatusInfo,
    #[asn1(optional = "true")]
    pub(crate) time_stamp_token: Option<Any>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct Accuracy {
    #[asn1(optional = "true")]
    pub(crate) seconds: Option<u32>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) micros: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct TstInfoAsn1 {
    pub(crate) version: u8,
    pub(crate) policy: ObjectIdentifier,
    pub(crate) message_imprint: MessageImprint,
    pub(crate) serial_number: Int,
    pub(crate) gen_time: GeneralizedTime,
    #[asn1(optional = "true")]
    pub(crate) accuracy: Option<Accuracy>,
    /// DEFAULT FALSE: never written.
    #[asn1(optional = "true")]
    pub(crate) ordering: Option<bool>,
    #[asn1(optional = "true")]
    pub(crate) nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) tsa: Option<GeneralName>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) extensions: Option<Vec<Extension>>,
}

// ---- Requests ----

/// A request that can be answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampRequest {
    /// The imprint's hash algorithm.
    pub hash: DigestAlgorithm,
    /// The hashed message (the imprint), of the algorithm's length.
    pub hashed_message: Vec<u8>,
    /// The policy asked for (`reqPolicy`), if any.
    pub policy: Option<ObjectIdentifier>,
    /// The nonce: the INTEGER's content octets as received, echoed byte for byte.
    pub nonce: Option<Vec<u8>>,
    /// Whether the TSA's certificate is to be included (`certReq`).
    pub cert_req: bool,
    /// The MessageImprint as received: RFC 3161 §2.4.2 wants it in the TSTInfo unchanged
    /// (absent or NULL hash parameters stay as they were).
    imprint: MessageImprint,
}

/// A DER `TimeStampReq` (version 1) for `hashed_message` under `hash`, with `nonce` (an
/// INTEGER's content octets) and `certReq`: what a client of a TSA sends (a signature
/// timestamp, ETSI EN 319 122-1 §5.3). Refused when the digest is not of the algorithm's length.
pub fn request(
    hash: DigestAlgorithm,
    hashed_message: &[u8],
    nonce: Option<&[u8]>,
    cert_req: bool,
) -> Result<Vec<u8>, PkiError> {
    if hashed_message.len() != hash.output_len() {
        return Err(PkiError::Invalid(format!(
            "a {} imprint is {} bytes, not {}",
            hash.name(),
            hash.output_len(),
            hashed_message.len()
        )));
    }
    Ok(TimeStampReq {
        version: Int::new(&[1])?,
        message_imprint: MessageImprint {
            hash_algorithm: hash.algorithm_identifier(),
            hashed_message: OctetString::new(hashed_message)?,
        },
        req_policy: None,
        nonce: nonce.map(|n| Int::new(&positive_integer(n))).transpose()?,
        cert_req: cert_req.then_some(true),
        extensions: None,
    }
    .to_der()?)
}

/// `bytes` (big-endian, unsigned) as the minimal two's-complement content of a positive DER
/// INTEGER: leading zero bytes dropped, one put back when the top bit is set. Random nonce bytes
/// used as they come are not DER one time in 256 (a leading 0x00 before a byte under 0x80) and
/// negative one time in two.
fn positive_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let digits = bytes.get(start..).unwrap_or_default();
    let mut out = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

fn reject(failure: FailureInfo, text: impl Into<String>) -> Rejection {
    Rejection::new(failure, text)
}

/// Reads a DER `TimeStampReq` (see the module documentation for what is accepted and the
/// failure bit of each refusal).
pub fn parse_request(der: &[u8]) -> Result<TimestampRequest, Rejection> {
    if der.is_empty() {
        return Err(reject(
            FailureInfo::BadDataFormat,
            "the request is empty: send the DER of a TimeStampReq (RFC 3161)",
        ));
    }
    if der.len() > MAX_REQUEST_LEN {
        return Err(reject(
            FailureInfo::BadDataFormat,
            format!(
                "the request is {} bytes; at most {MAX_REQUEST_LEN} bytes are accepted",
                der.len()
            ),
        ));
    }
    let req = TimeStampReq::from_der(der).map_err(|e| {
        reject(
            FailureInfo::BadDataFormat,
            format!(
                "the request is not a DER TimeStampReq: {}",
                crate::der_error::describe(&e, true)
            ),
        )
    })?;
    if req.version.as_bytes() != [1] {
        return Err(reject(
            FailureInfo::BadRequest,
            "the request's version is not 1, the only version RFC 3161 defines",
        ));
    }
    let alg = &req.message_imprint.hash_algorithm;
    let hash = DigestAlgorithm::from_oid(&alg.oid).ok_or_else(|| {
        reject(
            FailureInfo::BadAlg,
            "the imprint's hash algorithm is not supported: SHA-256, SHA-384, SHA-512 and SM3 are",
        )
    })?;
    match &alg.parameters {
        None => {}
        Some(p) if p.tag() == der::Tag::Null && p.value().is_empty() => {}
        Some(_) => {
            return Err(reject(
                FailureInfo::BadAlg,
                "the imprint's hash algorithm carries parameters other than NULL",
            ));
        }
    }
    let len = req.message_imprint.hashed_message.as_bytes().len();
    if len != hash.output_len() {
        return Err(reject(
            FailureInfo::BadDataFormat,
            format!(
                "the imprint is {len} bytes; {} gives {}",
                hash.name(),
                hash.output_len()
            ),
        ));
    }
    if let Some(n) = &req.nonce
        && n.as_bytes().len() > MAX_NONCE_LEN
    {
        return Err(reject(
            FailureInfo::BadRequest,
            format!(
                "the nonce is {} octets; at most {MAX_NONCE_LEN} are accepted",
                n.as_bytes().len()
            ),
        ));
    }
    if req.extensions.iter().flatten().any(|e| e.critical) {
        return Err(reject(
            FailureInfo::UnacceptedExtension,
            "the request carries a critical extension this TSA does not know",
        ));
    }
    Ok(TimestampRequest {
        hash,
        hashed_message: req.message_imprint.hashed_message.as_bytes().to_vec(),
        policy: req.req_policy,
        nonce: req.nonce.map(|n| n.as_bytes().to_vec()),
        cert_req: req.cert_req.unwrap_or(false),
        imprint: req.message_imprint,
    })
}

// ---- Tokens and responses ----

/// What a token says besides the request.
#[derive(Clone, Debug)]
pub struct TokenSpec<'a> {
    /// The TSA policy under which it is issued.
    pub policy: ObjectIdentifier,
    /// The serial number (unique for this TSA, RFC 3161 §2.4.2).
    pub serial: u64,
    /// The time; written in whole seconds (the fraction is dropped, never rounded up).
    pub gen_time: SystemTime,
    /// The accuracy written (whole seconds; `None` writes none).
    pub accuracy: Option<Duration>,
    /// The TSA's name (its certificate's subject), written as `tsa` directoryName.
    pub tsa_name: Option<&'a Name>,
}

/// Whole seconds as GeneralizedTime.
fn whole_seconds(t: SystemTime) -> Result<GeneralizedTime, PkiError> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| PkiError::Invalid("the time is before 1970".into()))?
        .as_secs();
    GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|e| PkiError::Invalid(format!("the time cannot be encoded: {e}")))
}

/// A positive INTEGER in its minimal DER form (a 0x00 in front when the top bit is set).
fn positive_int(n: u64) -> Result<Int, PkiError> {
    let bytes = n.to_be_bytes();
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut v = Vec::with_capacity(9);
    if bytes.get(start).is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(bytes.get(start..).unwrap_or_default());
    Ok(Int::new(&v)?)
}

/// The DER TSTInfo of a token answering `request`.
pub fn tst_info(request: &TimestampRequest, spec: &TokenSpec<'_>) -> Result<Vec<u8>, PkiError> {
    let info = TstInfoAsn1 {
        version: 1,
        policy: spec.policy,
        message_imprint: request.imprint.clone(),
        serial_number: positive_int(spec.serial)?,
        gen_time: whole_seconds(spec.gen_time)?,
        accuracy: spec.accuracy.map(|a| Accuracy {
            seconds: u32::try_from(a.as_secs()).ok().filter(|s| *s > 0),
            millis: None,
            micros: None,
        }),
        ordering: None,
        nonce: request.nonce.as_deref().map(Int::new).transpose()?,
        tsa: spec.tsa_name.map(|n| GeneralName::DirectoryName(n.clone())),
        extensions: None,
    };
    Ok(info.to_der()?)
}

/// The token (a DER ContentInfo of SignedData over the TSTInfo) answering `request`, signed by
/// `signer` whose certificate is `tsa_certificate_der`, the certificate inside when the request
/// asked for it (`certReq`).
pub fn build_token(
    request: &TimestampRequest,
    spec: &TokenSpec<'_>,
    signer: &dyn Signer,
    tsa_certificate_der: &[u8],
) -> Result<Vec<u8>, PkiError> {
    let info = tst_info(request, spec)?;
    crate::cms::sign(
        OID_TST_INFO,
        &info,
        signer,
        tsa_certificate_der,
        SignOptions {
            include_certificate: request.cert_req,
            signing_time: None,
        },
    )
}

/// The `TimeStampResp` granting `token`: status granted (0), no text.
pub fn granted(token: &[u8]) -> Result<Vec<u8>, PkiError> {
    Ok(TimeStampResp {
        status: PkiStatusInfo {
            status: 0,
            status_string: None,
            fail_info: None,
        },
        time_stamp_token: Some(Any::from_der(token)?),
    }
    .to_der()?)
}

/// The `TimeStampResp` of a rejection: status rejection (2), the text, the failure bit.
pub fn rejected(r: &Rejection) -> Vec<u8> {
    let resp = || -> Result<Vec<u8>, PkiError> {
        // A UTF8String, so a text in any language; checked to encode.
        Utf8StringRef::new(&r.text)?;
        Ok(TimeStampResp {
            status: PkiStatusInfo {
                status: 2,
                status_string: Some(vec![r.text.clone()]),
                fail_info: Some(r.failure.bit_string()?),
            },
            time_stamp_token: None,
        }
        .to_der()?)
    };
    // The status alone cannot fail to encode; the text is dropped only if it would not.
    resp().unwrap_or_else(|_| {
        let bit = r.failure.bit_string().ok();
        TimeStampResp {
            status: PkiStatusInfo {
                status: 2,
                status_string: None,
                fail_info: bit,
            },
            time_stamp_token: None,
        }
        .to_der()
        .unwrap_or_default()
    })
}

// ---- Reading back ----

/// A `TimeStampResp` as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// PKIStatus: 0 granted, 2 rejection, ….
    pub status: u8,
    /// The statusString's texts.
    pub text: Vec<String>,
    /// The failure bits set.
    pub failures: Vec<FailureInfo>,
    /// The token (DER ContentInfo), if granted.
    pub token: Option<Vec<u8>>,
}

/// Reads a DER `TimeStampResp`.
pub fn read_response(der: &[u8]) -> Result<Response, PkiError> {
    let r = TimeStampResp::from_der(der)
        .map_err(|e| PkiError::Invalid(format!("not a DER TimeStampResp: {e}")))?;
    let failures = match &r.status.fail_info {
        None => Vec::new(),
        Some(bits) => FailureInfo::ALL
            .into_iter()
            .filter(|f| {
                let n = usize::from(f.bit());
                bits.raw_bytes()
                    .get(n / 8)
                    .is_some_and(|b| b & (0x80 >> (n % 8)) != 0)
            })
            .collect(),
    };
    Ok(Response {
        status: r.status.status,
        text: r.status.status_string.unwrap_or_default(),
        failures,
        token: r.time_stamp_token.map(|t| t.to_der()).transpose()?,
    })
}

/// What a verified token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The policy.
    pub policy: ObjectIdentifier,
    /// The imprint's hash algorithm.
    pub hash: DigestAlgorithm,
    /// The imprint.
    pub hashed_message: Vec<u8>,
    /// The serial number (INTEGER content octets).
    pub serial: Vec<u8>,
    /// genTime.
    pub gen_time: SystemTime,
    /// The nonce's content octets.
    pub nonce: Option<Vec<u8>>,
    /// The accuracy in whole seconds, if written.
    pub accuracy_seconds: Option<u32>,
    /// The TSA name, if written as a directoryName.
    pub tsa_name: Option<Name>,
    /// The signed CMS as verified.
    pub signed: crate::cms::VerifiedSignedData,
}

/// Checks a token (DER ContentInfo): the CMS signature by the TSA certificate (inside the token
/// or `tsa_certificate_der`) with its SigningCertificateV2 (RFC 5816), the content type
/// id-ct-TSTInfo, and the TSTInfo's shape. The imprint and nonce are returned for the caller to
/// compare. The certificate's chain and its timeStamping key purpose are not checked here.
pub fn verify_token(
    token: &[u8],
    tsa_certificate_der: Option<&[u8]>,
) -> Result<VerifiedToken, PkiError> {
    let certs: Vec<&[u8]> = tsa_certificate_der.into_iter().collect();
    let signed = crate::cms::verify(token, &certs, true)?;
    if signed.content_type != OID_TST_INFO {
        return Err(PkiError::Invalid(
            "the token's content is not a TSTInfo".into(),
        ));
    }
    let info = TstInfoAsn1::from_der(&signed.content)
        .map_err(|e| PkiError::Invalid(format!("the token's TSTInfo cannot be read: {e}")))?;
    if info.version != 1 {
        return Err(PkiError::Invalid("the token's version is not 1".into()));
    }
    let hash =
        DigestAlgorithm::from_oid(&info.message_imprint.hash_algorithm.oid).ok_or_else(|| {
            PkiError::Invalid("the token's imprint algorithm is not supported".into())
        })?;
    Ok(VerifiedToken {
        policy: info.policy,
        hash,
        hashed_message: info.message_imprint.hashed_message.as_bytes().to_vec(),
        serial: info.serial_number.as_bytes().to_vec(),
        gen_time: info.gen_time.to_system_time(),
        nonce: info.nonce.map(|n| n.as_bytes().to_vec()),
        accuracy_seconds: info.accuracy.and_then(|a| a.seconds),
        tsa_name: match info.tsa {
            Some(GeneralName::DirectoryName(n)) => Some(n),
            _ => None,
        },
        signed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nonce from random bytes is always a positive DER INTEGER, whatever its first bytes
    /// (CI once drew a leading 0x00 and the TSA rightly refused the request as not DER).
    #[test]
    fn nonces_are_positive_der_integers_whatever_their_bytes() {
        let digest = DigestAlgorithm::Sha256.digest(b"x");
        for (bytes, content) in [
            (vec![0x00, 0x12, 0x34], vec![0x12, 0x34]),
            (vec![0x00, 0x00, 0x90], vec![0x00, 0x90]),
            (vec![0x90, 0x01], vec![0x00, 0x90, 0x01]),
            (vec![0x00, 0x00], vec![0x00]),
            (vec![0x7f], vec![0x7f]),
        ] {
            let der = request(DigestAlgorithm::Sha256, &digest, Some(&bytes), true).unwrap();
            let parsed = parse_request(&der).unwrap_or_else(|r| panic!("{bytes:?}: {}", r.text));
            assert_eq!(parsed.nonce, Some(content), "{bytes:?}");
        }
    }
}
