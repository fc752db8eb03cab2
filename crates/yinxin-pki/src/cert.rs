//! The certificate builder (RFC 5280 §4.1) over any [`yinxin_crypto::Signer`], so that a CA key in
//! the software store and one on a PKCS#11 token issue the same way. It drives x509-cert's
//! `CertificateBuilder` through a small adapter ([`KeySigner`]) and adds the extensions the
//! [`Profile`] asks for.

use std::time::{Duration, SystemTime};

use der::asn1::{BitString, Ia5String, Null, OctetString};
use der::{Decode, Encode};
use sha1::Digest;
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding, SubjectPublicKeyInfoOwned,
};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::ext::{Criticality, Extension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use yinxin_crypto::Signer;

use crate::PkiError;
use crate::profile::{Profile, ProfileKind};

/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): a delegated responder's certificate is not itself
/// checked for revocation.
pub const OCSP_NOCHECK: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// id-ad-ocsp (RFC 5280 §4.2.2.1).
pub const AD_OCSP: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
/// id-ad-caIssuers (RFC 5280 §4.2.2.1).
pub const AD_CA_ISSUERS: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");

/// Where relying parties find an issuing CA's status and certificate (CERT-1: built from the
/// configured public base URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUrls {
    /// The CRL of the issuer (`…/pki/crl/{ca}.crl`).
    pub crl: String,
    /// The OCSP responder (`…/pki/ocsp`).
    pub ocsp: String,
    /// The issuer's certificate (`…/pki/ca/{ca}.cer`).
    pub ca_issuers: String,
}

/// The issuer of a certificate being built: its name and key, and its key identifier.
#[derive(Debug)]
pub struct Issuer<'a> {
    /// The issuer's subject name.
    pub name: Name,
    /// The issuer's key.
    pub signer: &'a dyn Signer,
    /// Status URLs to write into certificates it issues (when the profile wants them).
    pub urls: Option<StatusUrls>,
}

/// One certificate to build.
#[derive(Debug)]
pub struct CertificateSpec<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// The subject name.
    pub subject: Name,
    /// The subject's public key (DER SubjectPublicKeyInfo).
    pub subject_public_key: &'a [u8],
    /// Start of validity.
    pub not_before: SystemTime,
    /// How long it is valid; at most the profile's `max_validity`.
    pub validity: Duration,
    /// Extensions beyond the profile's (an event certificate's event binding, say).
    pub extra_extensions: Vec<Extension>,
}

/// A fresh serial number: 16 bytes from the OS RNG, the top bit cleared so it is positive, and
/// non-zero leading byte so the encoding is exactly 16 bytes (RFC 5280 §4.1.2.2: at most 20
/// octets; CA/B BR §7.1: at least 64 random bits — this carries 126).
pub fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| PkiError::Encoding(format!("RNG: {e}")))?;
    b[0] = (b[0] & 0x7f) | 0x40;
    Ok(SerialNumber::new(&b)?)
}

/// The key identifier of a public key: SHA-1 of the subjectPublicKey BIT STRING's bytes (RFC 5280
/// §4.2.1.2, method 1), the form OpenSSL computes.
pub fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(|e| {
        PkiError::Invalid(format!("the public key is not a SubjectPublicKeyInfo: {e}"))
    })?;
    Ok(sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec())
}

/// The public key as x509-cert wants to see it from a signer.
#[derive(Clone, Debug)]
pub struct SpkiDer(Vec<u8>);

impl EncodePublicKey for SpkiDer {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::try_from(self.0.as_slice())?)
    }
}

/// A signature already in its X.509 encoding.
#[derive(Clone, Debug)]
pub struct EncodedSignature(pub Vec<u8>);

impl SignatureBitStringEncoding for EncodedSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

/// Adapts a [`yinxin_crypto::Signer`] to the traits x509-cert's builders sign with.
#[derive(Debug)]
pub struct KeySigner<'a>(pub &'a dyn Signer);

impl signature::Keypair for KeySigner<'_> {
    type VerifyingKey = SpkiDer;
    fn verifying_key(&self) -> SpkiDer {
        SpkiDer(self.0.public_key_der().to_vec())
    }
}

impl DynSignatureAlgorithmIdentifier for KeySigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.0.algorithm().signature_algorithm())
    }
}

impl signature::Signer<EncodedSignature> for KeySigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> Result<EncodedSignature, signature::Error> {
        self.0
            .sign(msg)
            .map(EncodedSignature)
            .map_err(signature::Error::from_source)
    }
}

/// The subject, issuer and extensions of one build, as x509-cert's profile seam wants them.
struct Plan {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Plan {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

fn ext<E>(subject: &Name, e: &E) -> Result<Extension, PkiError>
where
    E: Criticality + const_oid::AssociatedOid + Encode,
{
    use x509_cert::ext::ToExtension;
    Ok(e.to_extension(subject, &[])?)
}

fn uri(s: &str) -> Result<GeneralName, PkiError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(s)?))
}

/// A time in whole seconds as RFC 5280 wants it (§4.1.2.5, §5.1.2.4: UTCTime through 2049,
/// GeneralizedTime after, no fractions). `what` names the field in the refusal.
pub(crate) fn der_time(t: SystemTime, what: &str) -> Result<Time, PkiError> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| PkiError::Invalid(format!("{what} is before 1970")))?
        .as_secs();
    Time::try_from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .map_err(|e| PkiError::Invalid(format!("{what} cannot be encoded: {e}")))
}

/// A certificate of the built-in profile `kind` for `subject_key`, named `CN=<cn>`, valid from now
/// for the profile's default validity, issued by `issuer` (its common name and key) or
/// self-signed: the short form for tests, benchmarks and fuzz seeds, where a hierarchy is needed
/// and its details are not the point.
pub fn simple_certificate(
    kind: crate::profile::ProfileKind,
    cn: &str,
    subject_key: &dyn Signer,
    issuer: Option<(&str, &dyn Signer)>,
) -> Result<Vec<u8>, PkiError> {
    let profile = crate::profile::Profile::builtin(kind);
    let name = |cn: &str| crate::name::NameBuilder::new().common_name(cn).build();
    let issuer = match issuer {
        Some((icn, signer)) => Some(Issuer {
            name: name(icn)?,
            signer,
            urls: None,
        }),
        None => None,
    };
    let (_, der) = issue(
        &CertificateSpec {
            profile: &profile,
            subject: name(cn)?,
            subject_public_key: subject_key.public_key_der(),
            not_before: std::time::SystemTime::now(),
            validity: profile.default_validity,
            extra_extensions: vec![],
        },
        issuer.as_ref(),
        Some(subject_key),
        random_serial()?,
    )?;
    Ok(der)
}

/// Builds and signs a certificate. `issuer: None` makes it self-signed by `self_signer`
/// (a root). Returns the certificate and its DER.
pub fn issue(
    spec: &CertificateSpec<'_>,
    issuer: Option<&Issuer<'_>>,
    self_signer: Option<&dyn Signer>,
    serial: SerialNumber,
) -> Result<(Certificate, Vec<u8>), PkiError> {
    let profile = spec.profile;
    if spec.validity > profile.max_validity {
        return Err(PkiError::Invalid(format!(
            "a {} certificate is valid for at most {} seconds",
            profile.kind.as_str(),
            profile.max_validity.as_secs()
        )));
    }
    let (issuer_name, signer, urls) = match (issuer, self_signer) {
        (Some(i), _) => (i.name.clone(), i.signer, i.urls.as_ref()),
        (None, Some(s)) => (spec.subject.clone(), s, None),
        (None, None) => return Err(PkiError::Invalid("a certificate needs an issuer".into())),
    };
    let subject = &spec.subject;
    let mut extensions = Vec::new();
    if let Some(path_len) = profile.ca_path_len {
        extensions.push(ext(
            subject,
            &BasicConstraints {
                ca: true,
                path_len_constraint: path_len,
            },
        )?);
    }
    let ku = profile
        .key_usage
        .iter()
        .fold(der::flagset::FlagSet::default(), |acc, u| acc | *u);
    extensions.push(ext(subject, &KeyUsage(ku))?);
    if !profile.extended_key_usage.is_empty() {
        let mut e = ext(
            subject,
            &ExtendedKeyUsage(profile.extended_key_usage.clone()),
        )?;
        e.critical = profile.eku_critical;
        extensions.push(e);
    }
    extensions.push(ext(
        subject,
        &SubjectKeyIdentifier(OctetString::new(key_identifier(spec.subject_public_key)?)?),
    )?);
    extensions.push(ext(
        subject,
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(key_identifier(signer.public_key_der())?)?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
    )?);
    if profile.status_urls
        && let Some(urls) = urls
    {
        extensions.push(ext(
            subject,
            &CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![uri(&urls.crl)?])),
                reasons: None,
                crl_issuer: None,
            }]),
        )?);
        extensions.push(ext(
            subject,
            &AuthorityInfoAccessSyntax(vec![
                AccessDescription {
                    access_method: AD_OCSP,
                    access_location: uri(&urls.ocsp)?,
                },
                AccessDescription {
                    access_method: AD_CA_ISSUERS,
                    access_location: uri(&urls.ca_issuers)?,
                },
            ]),
        )?);
    }
    if profile.kind == ProfileKind::OcspResponder {
        extensions.push(Extension {
            extn_id: OCSP_NOCHECK,
            critical: false,
            extn_value: OctetString::new(Null.to_der()?)?,
        });
    }
    extensions.extend(spec.extra_extensions.iter().cloned());

    let validity = Validity::new(
        der_time(spec.not_before, "not_before")?,
        der_time(spec.not_before + spec.validity, "not_after")?,
    );
    let spki = SubjectPublicKeyInfoOwned::from_der(spec.subject_public_key).map_err(|e| {
        PkiError::Invalid(format!("the public key is not a SubjectPublicKeyInfo: {e}"))
    })?;
    let plan = Plan {
        subject: spec.subject.clone(),
        issuer: issuer_name,
        extensions,
    };
    let builder = CertificateBuilder::new(plan, serial, validity, spki)?;
    let cert = builder.build::<_, EncodedSignature>(&KeySigner(signer))?;
    let der = cert.to_der()?;
    Ok((cert, der))
}
