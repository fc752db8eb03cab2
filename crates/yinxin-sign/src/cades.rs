//! CAdES-style detached CMS signatures (ETSI EN 319 122-1 baseline B-B and B-T; SIGN-1, issue 6
//! item 4) over a document or only its digest: the content never has to reach the server.
//!
//! A signature is a CMS SignedData ([`yinxin_pki::cms`]) of content type id-data without eContent,
//! whose signer carries the signed attributes contentType, messageDigest, signingTime (when
//! given) and SigningCertificateV2, with the signer's certificate and its chain in
//! `certificates`; at B-T an unsigned id-aa-signatureTimeStampToken holds an RFC 3161 token over
//! the signature value. Digest and signature algorithm follow the key: SM2/SM3, P-256/SHA-256,
//! P-384/SHA-384, RSA/SHA-256, Ed25519/SHA-512.

use std::time::SystemTime;

use der::Decode;
use x509_cert::Certificate;
use yinxin_crypto::Signer;
use yinxin_pki::cms::{self, Detached, DigestAlgorithm, OID_DATA, Payload, SignedDataSpec};

use crate::SignError;
use crate::timestamp::{TimestampReport, TimestampSource, check_token, obtain};

/// What is signed: the document, or its digest under the signer's algorithm
/// ([`DigestAlgorithm::for_key`]).
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// The document itself.
    Content(&'a [u8]),
    /// Its digest (SIGN-1: the content never has to reach the server).
    Digest(&'a [u8]),
}

/// A signature to make.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The document or its digest.
    pub input: Input<'a>,
    /// The signer's certificate (DER); the signer's key must be its key.
    pub signer_certificate_der: &'a [u8],
    /// The issuing CA (and further) certificates, DER, put in the signature after the signer's.
    pub chain: &'a [Vec<u8>],
    /// The signingTime attribute.
    pub signing_time: Option<SystemTime>,
}

/// The digest algorithm a key of the signer signs with, for callers that send only a digest.
pub fn digest_algorithm(signer: &dyn Signer) -> DigestAlgorithm {
    DigestAlgorithm::for_key(signer.algorithm())
}

/// Makes the detached signature (DER ContentInfo); with `timestamps`, at B-T (the token obtained
/// over the signature value and checked before it is added).
pub fn sign(
    request: &Request<'_>,
    signer: &dyn Signer,
    timestamps: Option<&dyn TimestampSource>,
) -> Result<Vec<u8>, SignError> {
    let payload = match request.input {
        Input::Content(c) => Payload::Detached(c),
        Input::Digest(d) => Payload::DetachedDigest(d),
    };
    let der = cms::sign_signed_data(
        &SignedDataSpec {
            content_type: OID_DATA,
            payload,
            signer_certificate_der: request.signer_certificate_der,
            include_certificate: true,
            chain: request.chain,
            signing_time: request.signing_time,
        },
        signer,
    )?;
    match timestamps {
        None => Ok(der),
        Some(source) => add_timestamp(&der, source),
    }
}

/// Raises a signature to B-T: a token from `source` over its signature value, under the
/// signature's digest algorithm (so an SM2 signature gets an SM3 imprint).
pub fn add_timestamp(signature: &[u8], source: &dyn TimestampSource) -> Result<Vec<u8>, SignError> {
    let (hash, value) = timestamp_imprint_input(signature)?;
    let token = obtain(source, hash, &value)?;
    Ok(cms::add_signature_timestamp(signature, &token)?)
}

/// What a signature timestamp must be over: the digest algorithm to use and the signature value
/// (for callers that get the token asynchronously and add it with
/// [`yinxin_pki::cms::add_signature_timestamp`]).
pub fn timestamp_imprint_input(signature: &[u8]) -> Result<(DigestAlgorithm, Vec<u8>), SignError> {
    let value = cms::signature_value(signature)?;
    let hash = signer_digest(signature)?;
    Ok((hash, value))
}

fn signer_digest(signature: &[u8]) -> Result<DigestAlgorithm, SignError> {
    Ok(cms::digest_algorithm(signature)?)
}

/// What a verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Whether the signature is intact over the content or digest given and by the certificate
    /// it names.
    pub integrity: bool,
    /// Why not, if not.
    pub problem: Option<String>,
    /// The signer's certificate (DER), when the signature verified.
    pub signer_certificate_der: Option<Vec<u8>>,
    /// The signer certificate's subject (RFC 4514 form).
    pub signer_subject: Option<String>,
    /// The signer's digest algorithm.
    pub digest: Option<DigestAlgorithm>,
    /// The signingTime attribute.
    pub signing_time: Option<SystemTime>,
    /// Whether SigningCertificateV2 named the signer's certificate.
    pub signing_certificate_v2: bool,
    /// The certificates carried (DER).
    pub certificates_der: Vec<Vec<u8>>,
    /// The signature timestamp, if there is one.
    pub timestamp: Option<TimestampReport>,
}

/// The subject of a DER certificate in RFC 4514 form.
pub fn subject_of(certificate_der: &[u8]) -> Option<String> {
    Certificate::from_der(certificate_der)
        .ok()
        .map(|c| c.tbs_certificate().subject().to_string())
}

/// Verifies a detached signature over `content` or its digest; `certificates` are candidates for
/// the signer's certificate besides those inside. Only what cannot be read at all is an error:
/// a signature that does not verify is a report with `integrity: false` saying why. The chain to
/// a trusted root and revocation are not judged here.
pub fn verify(
    signature: &[u8],
    input: Input<'_>,
    certificates: &[&[u8]],
) -> Result<Report, SignError> {
    let detached = match input {
        Input::Content(c) => Detached::Content(c),
        Input::Digest(d) => Detached::Digest(signer_digest(signature)?, d),
    };
    let v = match cms::verify_detached(signature, detached, certificates, false) {
        Ok(v) => v,
        Err(e) => {
            // Readable at all? Unreadable input is an error, not a report.
            cms::signature_value(signature)?;
            return Ok(Report {
                integrity: false,
                problem: Some(e.to_string()),
                signer_certificate_der: None,
                signer_subject: None,
                digest: None,
                signing_time: None,
                signing_certificate_v2: false,
                certificates_der: Vec::new(),
                timestamp: None,
            });
        }
    };
    let timestamp = v
        .signature_timestamp_token
        .as_deref()
        .map(|t| check_token(t, &v.signature));
    Ok(Report {
        integrity: true,
        problem: None,
        signer_subject: subject_of(&v.signer_certificate_der),
        signer_certificate_der: Some(v.signer_certificate_der),
        digest: Some(v.digest),
        signing_time: v.signing_time,
        signing_certificate_v2: v.signing_certificate_v2,
        certificates_der: v.certificates_der,
        timestamp,
    })
}
