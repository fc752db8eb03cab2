//! CMS SignedData (RFC 5652 §5) with one signer, over ASN.1 structures of our own on der 0.8, and
//! the ESS signing-certificate-v2 attribute (RFC 5035, RFC 5816). Pure: no I/O.
//!
//! - [`sign`] wraps an encapsulated content (its type and its octets) in a `ContentInfo` of type
//!   id-signedData signed by any [`yinxin_crypto::Signer`]: SignedData v3, the content inside
//!   (`eContent`), the signer by issuerAndSerialNumber (SignerInfo v1), signed attributes
//!   contentType, messageDigest, signingTime when asked, and SigningCertificateV2 with the
//!   ESSCertIDv2 (hash, issuer and serial) of the signer's certificate; the certificate itself
//!   in `certificates` only when asked.
//! - [`sign_signed_data`] does the same for a [`SignedDataSpec`]: also *detached* (no eContent,
//!   RFC 5652 §5.2), over the content or over a digest the caller made (SIGN-1: the content never
//!   has to reach the server), with a certificate chain after the signer's certificate. Over
//!   id-data the SignedData is v1 (RFC 5652 §5.1), as CAdES and PAdES signatures are.
//! - [`add_signature_timestamp`] puts an RFC 3161 token over the signature value into the
//!   signer's unsigned attribute id-aa-signatureTimeStampToken (RFC 3161 appendix A, the CAdES-T
//!   of ETSI EN 319 122-1 §5.3); [`signature_value`] is what the token's imprint is over.
//! - [`verify`] checks such a SignedData: one signer, found among its certificates or the ones
//!   given; contentType and messageDigest attributes equal to the content's; the signature over
//!   the DER of the signed attributes (RFC 5652 §5.4: re-tagged as SET OF); the ESSCertIDv2 of the
//!   signer certificate when the attribute is there (required when asked).
//!   [`verify_detached`] checks a detached one against the content or its digest.
//!
//! Digests per key (RFC 5754, RFC 8419, GM/T 0010): SM2 → SM3; P-256 and RSA → SHA-256; P-384 →
//! SHA-384; Ed25519 → SHA-512. The signature algorithm is the key's own
//! ([`yinxin_crypto::KeyAlgorithm::signature_algorithm`]): for SM2 `SM2-with-SM3`
//! (1.2.156.10197.1.501, GM/T 0006), which OpenSSL also writes; the content types stay those of
//! RFC 5652 (GM/T 0010's own 1.2.156.10197.6.1.4.2.x are not understood by RFC 3161 clients).
//! An SM2 signature uses the GM/T 0009 default distinguishing ID, as every SM2 signature here.

use std::cmp::Ordering;
use std::time::SystemTime;

use der::asn1::{Any, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, DerOrd, Encode, Sequence};
use sha2_011::Digest;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::time::Time;
use yinxin_crypto::{KeyAlgorithm, Signer};

use crate::PkiError;

/// id-signedData (RFC 5652 §5.1).
pub const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-contentType (RFC 5652 §11.1).
pub const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest (RFC 5652 §11.2).
pub const OID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime (RFC 5652 §11.3).
pub const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signingCertificateV2 (RFC 5035 §3).
pub const OID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// id-data (RFC 5652 §4): the content type of CAdES and PAdES signatures.
pub const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-aa-signatureTimeStampToken (RFC 3161 appendix A): an unsigned attribute holding a
/// TimeStampToken over the signature value.
pub const OID_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-sha512 (RFC 5754 §2.4).
pub const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// A digest algorithm of CMS (and of RFC 3161 imprints).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SM3 (GB/T 32905).
    Sm3,
}

impl DigestAlgorithm {
    /// Every one.
    pub const ALL: [Self; 4] = [Self::Sha256, Self::Sha384, Self::Sha512, Self::Sm3];

    /// Its OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => yinxin_crypto::algorithm::oid::SHA256,
            Self::Sha384 => yinxin_crypto::algorithm::oid::SHA384,
            Self::Sha512 => OID_SHA512,
            Self::Sm3 => yinxin_crypto::algorithm::oid::SM3,
        }
    }

    /// The algorithm of an OID, if it is one of these.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.oid() == *oid)
    }

    /// Its AlgorithmIdentifier, parameters absent (RFC 5754 §2: SHOULD be absent; SM3 likewise).
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// The output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Sm3 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2_011::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2_011::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2_011::Sha512::digest(data).to_vec(),
            Self::Sm3 => sm3::Sm3::digest(data).to_vec(),
        }
    }

    /// The name OpenSSL uses (`sha256`, `sm3`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Sm3 => "sm3",
        }
    }

    /// The digest a key of `alg` signs CMS content with (see the module documentation).
    pub fn for_key(alg: KeyAlgorithm) -> Self {
        match alg {
            KeyAlgorithm::Sm2 => Self::Sm3,
            KeyAlgorithm::EcdsaP384 => Self::Sha384,
            KeyAlgorithm::Ed25519 => Self::Sha512,
            _ => Self::Sha256,
        }
    }
}

// ---- ASN.1 (RFC 5652 §5, RFC 5035 §5.4; EXPLICIT tags unless marked IMPLICIT) ----

/// ContentInfo with its content kept as read.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct ContentInfo {
    pub(crate) content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub(crate) content: Any,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct SignedData {
    pub(crate) version: u8,
    pub(crate) digest_algorithms: SetOfVec<AlgorithmIdentifierOwned>,
    pub(crate) encap_content_info: EncapsulatedContentInfo,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) certificates: Option<SetOfVec<Any>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) crls: Option<SetOfVec<Any>>,
    pub(crate) signer_infos: SetOfVec<SignerInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct EncapsulatedContentInfo {
    pub(crate) e_content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) e_content: Option<OctetString>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct SignerInfo {
    pub(crate) version: u8,
    /// The SignerIdentifier CHOICE as read: issuerAndSerialNumber (a SEQUENCE) or
    /// subjectKeyIdentifier (`[0]`).
    pub(crate) sid: Any,
    pub(crate) digest_algorithm: AlgorithmIdentifierOwned,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) signed_attrs: Option<SetOfVec<Attribute>>,
    pub(crate) signature_algorithm: AlgorithmIdentifierOwned,
    pub(crate) signature: OctetString,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) unsigned_attrs: Option<SetOfVec<Attribute>>,
}

/// DER orders a SET OF by the encodings of its elements (X.690 §11.6).
impl DerOrd for SignerInfo {
    fn der_cmp(&self, other: &Self) -> der::Result<Ordering> {
        Ok(self.to_der()?.cmp(&other.to_der()?))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct IssuerAndSerialNumber {
    pub(crate) issuer: Name,
    pub(crate) serial_number: Int,
}

/// SigningCertificateV2 (RFC 5035 §5.4.1); `policies` is never written and ignored when read.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub(crate) certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    pub(crate) policies: Option<Any>,
}

/// ESSCertIDv2: `hash_algorithm` DEFAULT id-sha256, so `None` (absent) means SHA-256 and is what
/// is written for it.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub(crate) hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub(crate) cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub(crate) issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct IssuerSerial {
    pub(crate) issuer: Vec<GeneralName>,
    pub(crate) serial_number: Int,
}

// ---- Signing ----

/// What goes into a signature besides the content.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignOptions {
    /// Put the signer's certificate in `certificates` (RFC 3161 `certReq`).
    pub include_certificate: bool,
    /// A signingTime attribute (UTCTime until 2049, GeneralizedTime after, RFC 5652 §11.3).
    pub signing_time: Option<SystemTime>,
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, PkiError> {
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

fn any_of(value: &impl Encode) -> Result<Any, PkiError> {
    Ok(Any::from_der(&value.to_der()?)?)
}

/// The ESSCertIDv2 of a certificate: its hash under `digest` (the signer's digest; SHA-256 is
/// written as the DEFAULT, absent), its issuer as a directoryName and its serial.
fn ess_cert_id(
    cert: &Certificate,
    cert_der: &[u8],
    digest: DigestAlgorithm,
) -> Result<EssCertIdV2, PkiError> {
    let tbs = cert.tbs_certificate();
    Ok(EssCertIdV2 {
        hash_algorithm: (digest != DigestAlgorithm::Sha256).then(|| digest.algorithm_identifier()),
        cert_hash: OctetString::new(digest.digest(cert_der))?,
        issuer_serial: Some(IssuerSerial {
            issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
            serial_number: Int::new(tbs.serial_number().as_bytes())?,
        }),
    })
}

/// What is signed: carried inside the SignedData, or detached (RFC 5652 §5.2: `eContent` absent,
/// the content kept by the caller).
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// The content, carried inside (`eContent`).
    Encapsulated(&'a [u8]),
    /// The content, not carried: only its digest is signed.
    Detached(&'a [u8]),
    /// Not carried, and given as its digest only, under the signer's digest algorithm
    /// ([`DigestAlgorithm::for_key`]): the content never reaches the signer (SIGN-1).
    DetachedDigest(&'a [u8]),
}

/// A SignedData to make (see [`sign_signed_data`]).
#[derive(Clone, Copy, Debug)]
pub struct SignedDataSpec<'a> {
    /// The content type: [`OID_DATA`] for documents (CAdES, PAdES).
    pub content_type: ObjectIdentifier,
    /// The content or its digest.
    pub payload: Payload<'a>,
    /// The signer's certificate (DER); the key must be its key.
    pub signer_certificate_der: &'a [u8],
    /// Put the signer's certificate in `certificates`.
    pub include_certificate: bool,
    /// Further certificates for `certificates` after the signer's (the issuing CA, …), written
    /// whether or not `include_certificate` is set.
    pub chain: &'a [Vec<u8>],
    /// A signingTime attribute (UTCTime until 2049, GeneralizedTime after, RFC 5652 §11.3).
    /// PAdES forbids it (ETSI EN 319 142-1 §5.2.1: the time is the dictionary's /M).
    pub signing_time: Option<SystemTime>,
}

/// Signs `content` of type `content_type` (see the module documentation) with `signer`, whose
/// certificate is `signer_certificate_der` (refused if the key is not the certificate's).
/// Returns the DER ContentInfo.
pub fn sign(
    content_type: ObjectIdentifier,
    content: &[u8],
    signer: &dyn Signer,
    signer_certificate_der: &[u8],
    options: SignOptions,
) -> Result<Vec<u8>, PkiError> {
    sign_signed_data(
        &SignedDataSpec {
            content_type,
            payload: Payload::Encapsulated(content),
            signer_certificate_der,
            include_certificate: options.include_certificate,
            chain: &[],
            signing_time: options.signing_time,
        },
        signer,
    )
}

/// Makes the SignedData `spec` describes, signed by `signer` (refused if the key is not the
/// signer certificate's, or a given digest is not of the signer's digest algorithm's length).
/// Returns the DER ContentInfo.
pub fn sign_signed_data(
    spec: &SignedDataSpec<'_>,
    signer: &dyn Signer,
) -> Result<Vec<u8>, PkiError> {
    let content_type = spec.content_type;
    let signer_certificate_der = spec.signer_certificate_der;
    let cert = Certificate::from_der(signer_certificate_der)
        .map_err(|e| PkiError::Invalid(format!("the signer certificate cannot be read: {e}")))?;
    let tbs = cert.tbs_certificate();
    if tbs.subject_public_key_info().to_der()? != signer.public_key_der() {
        return Err(PkiError::Invalid(
            "the signing key is not the key of the signer certificate".into(),
        ));
    }
    let digest = DigestAlgorithm::for_key(signer.algorithm());
    let (message_digest, e_content) = match spec.payload {
        Payload::Encapsulated(c) => (digest.digest(c), Some(OctetString::new(c)?)),
        Payload::Detached(c) => (digest.digest(c), None),
        Payload::DetachedDigest(d) => {
            if d.len() != digest.output_len() {
                return Err(PkiError::Invalid(format!(
                    "the digest to sign is {} bytes, but a {} key signs {} digests of {} bytes",
                    d.len(),
                    signer.algorithm(),
                    digest.name(),
                    digest.output_len()
                )));
            }
            (d.to_vec(), None)
        }
    };
    let mut attrs = SetOfVec::new();
    attrs.insert(attribute(OID_CONTENT_TYPE, any_of(&content_type)?)?)?;
    attrs.insert(attribute(
        OID_MESSAGE_DIGEST,
        any_of(&OctetString::new(message_digest)?)?,
    )?)?;
    if let Some(t) = spec.signing_time {
        let whole = SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .map_err(|_| PkiError::Invalid("the signing time is before 1970".into()))?
                    .as_secs(),
            );
        let time = Time::try_from(whole).map_err(|e| PkiError::Encoding(e.to_string()))?;
        attrs.insert(attribute(OID_SIGNING_TIME, any_of(&time)?)?)?;
    }
    let signing_certificate = SigningCertificateV2 {
        certs: vec![ess_cert_id(&cert, signer_certificate_der, digest)?],
        policies: None,
    };
    attrs.insert(attribute(
        OID_SIGNING_CERTIFICATE_V2,
        any_of(&signing_certificate)?,
    )?)?;
    // RFC 5652 §5.4: the signature is over the DER of the attributes as a SET OF (tag 0x31),
    // not over the [0] IMPLICIT form they take inside SignerInfo.
    let signature = signer.sign(&attrs.to_der()?)?;
    let sid = IssuerAndSerialNumber {
        issuer: tbs.issuer().clone(),
        serial_number: Int::new(tbs.serial_number().as_bytes())?,
    };
    let signer_info = SignerInfo {
        version: 1,
        sid: any_of(&sid)?,
        digest_algorithm: digest.algorithm_identifier(),
        signed_attrs: Some(attrs),
        signature_algorithm: signer.algorithm().signature_algorithm(),
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let mut digest_algorithms = SetOfVec::new();
    digest_algorithms.insert(digest.algorithm_identifier())?;
    let mut signer_infos = SetOfVec::new();
    signer_infos.insert(signer_info)?;
    let mut set = SetOfVec::new();
    if spec.include_certificate {
        set.insert(Any::from_der(signer_certificate_der)?)?;
    }
    for c in spec.chain {
        let c = Any::from_der(c).map_err(|e| {
            PkiError::Invalid(format!("a certificate of the chain is not DER: {e}"))
        })?;
        if !set.iter().any(|have| *have == c) {
            set.insert(c)?;
        }
    }
    let certificates = (!set.is_empty()).then_some(set);
    let signed_data = SignedData {
        // RFC 5652 §5.1: 3 when the encapsulated content is not id-data, else 1 (no attribute
        // certificates, every SignerInfo v1).
        version: if content_type == OID_DATA { 1 } else { 3 },
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo {
            e_content_type: content_type,
            e_content,
        },
        certificates,
        crls: None,
        signer_infos,
    };
    Ok(ContentInfo {
        content_type: OID_SIGNED_DATA,
        content: any_of(&signed_data)?,
    }
    .to_der()?)
}

fn read_signed_data(der: &[u8]) -> Result<SignedData, PkiError> {
    let info =
        ContentInfo::from_der(der).map_err(|e| bad(format!("is not a DER ContentInfo: {e}")))?;
    if info.content_type != OID_SIGNED_DATA {
        return Err(bad("is not a SignedData"));
    }
    info.content
        .decode_as()
        .map_err(|e| bad(format!("is not a DER SignedData: {e}")))
}

fn write_signed_data(sd: &SignedData) -> Result<Vec<u8>, PkiError> {
    Ok(ContentInfo {
        content_type: OID_SIGNED_DATA,
        content: any_of(sd)?,
    }
    .to_der()?)
}

/// The signature value (the OCTET STRING's content) of the one signer of a DER SignedData: what
/// a signature timestamp's imprint is over (RFC 3161 appendix A).
pub fn signature_value(der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let sd = read_signed_data(der)?;
    let [si] = sd.signer_infos.as_slice() else {
        return Err(bad("does not have exactly one signer"));
    };
    Ok(si.signature.as_bytes().to_vec())
}

/// The digest algorithm of the one signer of a DER SignedData (what a detached digest given to
/// [`verify_detached`] must be made with).
pub fn digest_algorithm(der: &[u8]) -> Result<DigestAlgorithm, PkiError> {
    let sd = read_signed_data(der)?;
    let [si] = sd.signer_infos.as_slice() else {
        return Err(bad("does not have exactly one signer"));
    };
    DigestAlgorithm::from_oid(&si.digest_algorithm.oid)
        .ok_or_else(|| bad("uses a digest algorithm that is not supported"))
}

/// Adds an unsigned attribute (`value_der`: one DER value) to the one signer of a DER
/// SignedData and returns the new DER. The signature is untouched: unsigned attributes are
/// outside what is signed.
pub fn add_unsigned_attribute(
    der: &[u8],
    oid: ObjectIdentifier,
    value_der: &[u8],
) -> Result<Vec<u8>, PkiError> {
    let mut sd = read_signed_data(der)?;
    let value = Any::from_der(value_der)
        .map_err(|e| PkiError::Invalid(format!("the attribute value {oid} is not DER: {e}")))?;
    let mut infos: Vec<SignerInfo> = sd.signer_infos.into_vec();
    let [si] = infos.as_mut_slice() else {
        return Err(bad("does not have exactly one signer"));
    };
    let mut attrs = si.unsigned_attrs.take().unwrap_or_default();
    if attrs.iter().any(|a| a.oid == oid) {
        return Err(bad(format!("already has the unsigned attribute {oid}")));
    }
    attrs.insert(attribute(oid, value)?)?;
    si.unsigned_attrs = Some(attrs);
    sd.signer_infos = SetOfVec::try_from(infos)?;
    write_signed_data(&sd)
}

/// Adds `token` (a DER TimeStampToken, i.e. ContentInfo) as the signer's
/// id-aa-signatureTimeStampToken. The token should be over [`signature_value`]; this is not
/// checked here ([`verify`] reports whether it is).
pub fn add_signature_timestamp(der: &[u8], token: &[u8]) -> Result<Vec<u8>, PkiError> {
    add_unsigned_attribute(der, OID_SIGNATURE_TIME_STAMP_TOKEN, token)
}

// ---- Verification ----

/// The content of a detached SignedData, given to [`verify_detached`].
#[derive(Clone, Copy, Debug)]
pub enum Detached<'a> {
    /// The content itself.
    Content(&'a [u8]),
    /// Its digest under the given algorithm (which must be the signer's).
    Digest(DigestAlgorithm, &'a [u8]),
}

/// A SignedData whose signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignedData {
    /// The encapsulated content's type.
    pub content_type: ObjectIdentifier,
    /// The encapsulated content; for a detached signature the content given, or empty when only
    /// its digest was given.
    pub content: Vec<u8>,
    /// Whether the content was detached (not inside).
    pub detached: bool,
    /// The messageDigest attribute (equal to the content's digest).
    pub message_digest: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
    /// Every certificate inside the SignedData (DER), in its order (a SET OF: DER order).
    pub certificates_der: Vec<Vec<u8>>,
    /// The id-aa-signatureTimeStampToken unsigned attribute (a DER TimeStampToken), if any; not
    /// checked here.
    pub signature_timestamp_token: Option<Vec<u8>>,
    /// The signer's certificate (DER), from the SignedData or the ones given.
    pub signer_certificate_der: Vec<u8>,
    /// Whether the SignedData carried the signer's certificate.
    pub certificate_included: bool,
    /// The digest of the signer.
    pub digest: DigestAlgorithm,
    /// The signingTime attribute, if any.
    pub signing_time: Option<SystemTime>,
    /// Whether a SigningCertificateV2 attribute named the signer's certificate.
    pub signing_certificate_v2: bool,
}

fn bad(msg: impl Into<String>) -> PkiError {
    PkiError::Invalid(format!("the signature {}", msg.into()))
}

fn single_value<'a>(
    attrs: &'a SetOfVec<Attribute>,
    oid: &ObjectIdentifier,
) -> Result<Option<&'a Any>, PkiError> {
    let mut found = attrs.iter().filter(|a| a.oid == *oid);
    let Some(a) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() || a.values.len() != 1 {
        return Err(bad(format!("has the attribute {oid} more than once")));
    }
    Ok(a.values.get(0))
}

/// Checks a DER ContentInfo of type SignedData (see the module documentation). `certificates`
/// are candidates for the signer's certificate besides those inside. With
/// `require_signing_certificate`, a SigningCertificateV2 attribute naming the signer's
/// certificate is required (RFC 5816 for timestamp tokens).
pub fn verify(
    der: &[u8],
    certificates: &[&[u8]],
    require_signing_certificate: bool,
) -> Result<VerifiedSignedData, PkiError> {
    check(der, certificates, require_signing_certificate, None)
}

/// Checks a detached DER SignedData (no eContent) against its content or the content's digest,
/// as [`verify`] does otherwise. `certificates` are candidates for the signer's certificate
/// besides those inside.
pub fn verify_detached(
    der: &[u8],
    detached: Detached<'_>,
    certificates: &[&[u8]],
    require_signing_certificate: bool,
) -> Result<VerifiedSignedData, PkiError> {
    check(
        der,
        certificates,
        require_signing_certificate,
        Some(detached),
    )
}

fn check(
    der: &[u8],
    certificates: &[&[u8]],
    require_signing_certificate: bool,
    detached: Option<Detached<'_>>,
) -> Result<VerifiedSignedData, PkiError> {
    let sd = read_signed_data(der)?;
    let [si] = sd.signer_infos.as_slice() else {
        return Err(bad("does not have exactly one signer"));
    };
    let inner = sd.encap_content_info.e_content.as_ref();
    let content = match (inner, detached) {
        (Some(c), None) => c.as_bytes().to_vec(),
        (None, None) => {
            return Err(bad(
                "does not carry its content (a detached signature: give the content or its digest)",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                "carries its content, but was checked as a detached signature",
            ));
        }
        (None, Some(Detached::Content(c))) => c.to_vec(),
        (None, Some(Detached::Digest(..))) => Vec::new(),
    };
    let sid = IssuerAndSerialNumber::from_der(&si.sid.to_der()?)
        .map_err(|_| bad("names its signer other than by issuer and serial number"))?;
    let inside: Vec<Vec<u8>> = sd
        .certificates
        .iter()
        .flat_map(|s| s.iter())
        .map(|c| c.to_der())
        .collect::<Result<_, _>>()?;
    let mut signer_cert = None;
    for (i, c) in inside
        .iter()
        .map(Vec::as_slice)
        .chain(certificates.iter().copied())
        .enumerate()
    {
        let Ok(cert) = Certificate::from_der(c) else {
            continue;
        };
        let tbs = cert.tbs_certificate();
        if tbs.issuer() == &sid.issuer
            && tbs.serial_number().as_bytes() == sid.serial_number.as_bytes()
        {
            signer_cert = Some((cert, c.to_vec(), i < inside.len()));
            break;
        }
    }
    let (cert, cert_der, certificate_included) =
        signer_cert.ok_or_else(|| bad("names a signer certificate that was not given"))?;
    let digest = DigestAlgorithm::from_oid(&si.digest_algorithm.oid)
        .ok_or_else(|| bad("uses a digest algorithm that is not supported"))?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("has no signed attributes"))?;
    let ct: ObjectIdentifier = single_value(attrs, &OID_CONTENT_TYPE)?
        .ok_or_else(|| bad("has no contentType attribute"))?
        .decode_as()
        .map_err(|_| bad("has a contentType attribute that is not an OID"))?;
    if ct != sd.encap_content_info.e_content_type {
        return Err(bad(
            "has a contentType attribute other than the content's type",
        ));
    }
    let md: OctetString = single_value(attrs, &OID_MESSAGE_DIGEST)?
        .ok_or_else(|| bad("has no messageDigest attribute"))?
        .decode_as()
        .map_err(|_| bad("has a messageDigest attribute that is not an OCTET STRING"))?;
    let expected = match detached {
        Some(Detached::Digest(alg, d)) => {
            if alg != digest {
                return Err(bad(format!(
                    "is over a {} digest, but a {} digest was given",
                    digest.name(),
                    alg.name()
                )));
            }
            d.to_vec()
        }
        _ => digest.digest(&content),
    };
    if md.as_bytes() != expected.as_slice() {
        return Err(bad("does not match the content (messageDigest)"));
    }
    let signing_time = single_value(attrs, &OID_SIGNING_TIME)?
        .map(|v| v.decode_as::<Time>().map(|t| t.to_system_time()))
        .transpose()
        .map_err(|_| bad("has a signingTime that is not a time"))?;
    let spki = cert.tbs_certificate().subject_public_key_info().to_der()?;
    yinxin_crypto::verify::verify_signature(
        &spki,
        si.signature_algorithm.oid,
        &attrs.to_der()?,
        si.signature.as_bytes(),
    )
    .map_err(|e| bad(format!("does not verify: {e}")))?;
    let signing_certificate_v2 = match single_value(attrs, &OID_SIGNING_CERTIFICATE_V2)? {
        None => false,
        Some(v) => {
            let sc: SigningCertificateV2 = v
                .decode_as()
                .map_err(|_| bad("has a SigningCertificateV2 that cannot be read"))?;
            let first = sc
                .certs
                .first()
                .ok_or_else(|| bad("has an empty SigningCertificateV2"))?;
            let hash = match &first.hash_algorithm {
                None => DigestAlgorithm::Sha256,
                Some(a) => DigestAlgorithm::from_oid(&a.oid)
                    .ok_or_else(|| bad("has an ESSCertIDv2 hash that is not supported"))?,
            };
            if first.cert_hash.as_bytes() != hash.digest(&cert_der).as_slice() {
                return Err(bad("names another certificate in its ESSCertIDv2"));
            }
            if let Some(is) = &first.issuer_serial {
                let named = is.issuer.iter().any(|g| {
                    matches!(g, GeneralName::DirectoryName(n) if n == cert.tbs_certificate().issuer())
                });
                if !named
                    || is.serial_number.as_bytes()
                        != cert.tbs_certificate().serial_number().as_bytes()
                {
                    return Err(bad("names another issuer or serial in its ESSCertIDv2"));
                }
            }
            true
        }
    };
    if require_signing_certificate && !signing_certificate_v2 {
        return Err(bad("has no SigningCertificateV2 attribute (RFC 5816)"));
    }
    let signature_timestamp_token = match &si.unsigned_attrs {
        None => None,
        Some(u) => single_value(u, &OID_SIGNATURE_TIME_STAMP_TOKEN)?
            .map(|v| v.to_der())
            .transpose()?,
    };
    Ok(VerifiedSignedData {
        content_type: sd.encap_content_info.e_content_type,
        content,
        detached: inner.is_none(),
        message_digest: md.as_bytes().to_vec(),
        signature: si.signature.as_bytes().to_vec(),
        certificates_der: inside,
        signature_timestamp_token,
        signer_certificate_der: cert_der,
        certificate_included,
        digest,
        signing_time,
        signing_certificate_v2,
    })
}

/// The DER of the signed attributes of the (one) signer of a SignedData and its signature: what an
/// outside tool checks an SM2 signature over (`openssl pkeyutl`, since OpenSSL 3.0's CMS code does
/// not do SM2).
pub fn signed_attributes_and_signature(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), PkiError> {
    let info = ContentInfo::from_der(der)?;
    let sd: SignedData = info.content.decode_as()?;
    let si = sd
        .signer_infos
        .get(0)
        .ok_or_else(|| bad("does not have a signer"))?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("has no signed attributes"))?;
    Ok((attrs.to_der()?, si.signature.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::create_hierarchy;
    use crate::testing::{sw_store, test_spec};
    use yinxin_crypto::KeyStore;
    use yinxin_crypto::software::SoftwareKey;

    /// Every algorithm signs and verifies, with its digest; a changed content, a changed
    /// attribute, another certificate, or a key that is not the certificate's fail.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn signed_data_verifies_and_tampering_fails() {
        let (db, store) = sw_store().await;
        let ct = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::Ed25519,
        ] {
            let h = create_hierarchy(&store, &test_spec(alg), SystemTime::now())
                .await
                .unwrap();
            let signer = store.signer(&h.tsa.key.id).await.unwrap();
            let cert = &h.tsa.certificate_der;
            let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_772_352_000);
            let der = sign(
                ct,
                b"content",
                signer.as_ref(),
                cert,
                SignOptions {
                    include_certificate: true,
                    signing_time: Some(t),
                },
            )
            .unwrap();
            let v = verify(&der, &[], true).unwrap();
            assert_eq!(v.content, b"content", "{alg}");
            assert_eq!(v.content_type, ct);
            assert_eq!(v.digest, DigestAlgorithm::for_key(alg));
            assert_eq!(v.signing_time, Some(t));
            assert!(v.certificate_included && v.signing_certificate_v2);
            // Without the certificate inside: found among those given only.
            let bare = sign(
                ct,
                b"content",
                signer.as_ref(),
                cert,
                SignOptions::default(),
            )
            .unwrap();
            assert!(verify(&bare, &[], false).is_err(), "{alg}");
            assert!(verify(&bare, &[&h.issuing.certificate_der], false).is_err());
            assert!(!verify(&bare, &[cert], true).unwrap().certificate_included);
            // The content changed inside (the OCTET STRING's last byte).
            let at = der.windows(7).position(|w| w == b"content").unwrap() + 6;
            let mut changed = der.clone();
            changed[at] ^= 1;
            let e = verify(&changed, &[], true).unwrap_err().to_string();
            assert!(e.contains("messageDigest"), "{alg}: {e}");
            // The signature's last byte changed.
            let (_, sig) = signed_attributes_and_signature(&der).unwrap();
            let at = der.windows(sig.len()).position(|w| w == sig).unwrap() + sig.len() - 1;
            let mut forged = der.clone();
            forged[at] ^= 1;
            assert!(verify(&forged, &[], true).is_err(), "{alg}");
            // A key that is not the certificate's.
            let other = SoftwareKey::generate(alg).unwrap();
            let e = sign(ct, b"x", &other, cert, SignOptions::default()).unwrap_err();
            assert!(e.to_string().contains("not the key"), "{e}");
        }
        db.cleanup().await;
    }

    /// Detached over the content and over its digest: the same signature checks against either,
    /// not against other content, nor carried-content checks; the chain is inside; a signature
    /// timestamp added afterwards leaves the signature valid and is reported.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn detached_signatures_with_chain_and_timestamp() {
        let (db, store) = sw_store().await;
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::Ed25519,
        ] {
            let h = create_hierarchy(&store, &test_spec(alg), SystemTime::now())
                .await
                .unwrap();
            let signer = store.signer(&h.tsa.key.id).await.unwrap();
            let cert = &h.tsa.certificate_der;
            let digest = DigestAlgorithm::for_key(alg);
            let chain = vec![h.issuing.certificate_der.clone()];
            let spec = |payload| SignedDataSpec {
                content_type: OID_DATA,
                payload,
                signer_certificate_der: cert,
                include_certificate: true,
                chain: &chain,
                signing_time: None,
            };
            let over_content =
                sign_signed_data(&spec(Payload::Detached(b"document")), signer.as_ref()).unwrap();
            let d = digest.digest(b"document");
            let over_digest =
                sign_signed_data(&spec(Payload::DetachedDigest(&d)), signer.as_ref()).unwrap();
            for der in [&over_content, &over_digest] {
                assert!(!der.windows(8).any(|w| w == b"document"), "{alg}: detached");
                let v = verify_detached(der, Detached::Content(b"document"), &[], true).unwrap();
                assert!(v.detached && v.signing_time.is_none());
                // A SET OF: in DER order, not the order given.
                let mut inside = v.certificates_der.clone();
                inside.sort();
                let mut want = vec![cert.clone(), chain[0].clone()];
                want.sort();
                assert!(
                    inside == want,
                    "{alg}: the signer and its issuing CA inside"
                );
                let v = verify_detached(der, Detached::Digest(digest, &d), &[], true).unwrap();
                assert!(v.content.is_empty());
                assert_eq!(v.message_digest, d);
                let e = verify_detached(der, Detached::Content(b"documenT"), &[], true)
                    .unwrap_err()
                    .to_string();
                assert!(e.contains("messageDigest"), "{e}");
                assert!(
                    verify(der, &[], true)
                        .unwrap_err()
                        .to_string()
                        .contains("detached")
                );
            }
            let other = if digest == DigestAlgorithm::Sha256 {
                DigestAlgorithm::Sha384
            } else {
                DigestAlgorithm::Sha256
            };
            let e = verify_detached(&over_digest, Detached::Digest(other, &d), &[], true)
                .unwrap_err()
                .to_string();
            assert!(e.contains("digest was given"), "{e}");
            let e = sign_signed_data(&spec(Payload::DetachedDigest(&[1; 20])), signer.as_ref())
                .unwrap_err()
                .to_string();
            assert!(e.contains("20 bytes"), "{e}");
            // A timestamp (any ContentInfo will do for the attribute's mechanics).
            let token = sign(
                ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4"),
                &signature_value(&over_content).unwrap(),
                signer.as_ref(),
                cert,
                SignOptions::default(),
            )
            .unwrap();
            let stamped = add_signature_timestamp(&over_content, &token).unwrap();
            let v = verify_detached(&stamped, Detached::Content(b"document"), &[], true).unwrap();
            assert_eq!(v.signature_timestamp_token, Some(token.clone()));
            assert!(add_signature_timestamp(&stamped, &token).is_err());
        }
        db.cleanup().await;
    }
}
