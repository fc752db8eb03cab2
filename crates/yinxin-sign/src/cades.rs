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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Pki, run};
    use yinxin_crypto::KeyAlgorithm;

    fn s(p: &std::path::Path) -> String {
        p.display().to_string()
    }

    /// Every algorithm: over the content and over the digest only the same verification holds,
    /// with the chain inside, the signing time, and at B-T a timestamp whose imprint is the
    /// signature value's digest; other content fails; a wrong-length digest is refused.
    #[test]
    fn signs_and_verifies_every_algorithm_over_content_or_digest() {
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::Ed25519,
        ] {
            let pki = Pki::new(alg);
            let doc = b"contract text";
            let hash = digest_algorithm(&pki.signer_key);
            let d = hash.digest(doc);
            let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_780_000_000);
            let chain = vec![pki.issuing.clone()];
            let tsa = |h: DigestAlgorithm, d: &[u8]| pki.timestamp(h, d);
            for input in [Input::Content(doc), Input::Digest(&d)] {
                let req = Request {
                    input,
                    signer_certificate_der: &pki.signer,
                    chain: &chain,
                    signing_time: Some(t),
                };
                let bb = sign(&req, &pki.signer_key, None).unwrap();
                let bt = sign(&req, &pki.signer_key, Some(&tsa)).unwrap();
                for (der, stamped) in [(&bb, false), (&bt, true)] {
                    for check in [Input::Content(doc), Input::Digest(&d)] {
                        let r = verify(der, check, &[]).unwrap();
                        assert!(r.integrity, "{alg}: {:?}", r.problem);
                        assert_eq!(r.signer_certificate_der.as_deref(), Some(&pki.signer[..]));
                        assert!(
                            r.signer_subject.as_deref().unwrap().contains("张三"),
                            "{alg}"
                        );
                        assert_eq!(r.signing_time, Some(t));
                        assert_eq!(r.digest, Some(hash));
                        assert!(r.signing_certificate_v2);
                        assert_eq!(r.certificates_der.len(), 2);
                        let ts = r.timestamp;
                        assert_eq!(ts.is_some(), stamped, "{alg}");
                        if let Some(ts) = ts {
                            assert!(ts.ok(), "{alg}: {:?}", ts.problem);
                            assert!(ts.time.is_some());
                        }
                    }
                    let r = verify(der, Input::Content(b"contract texT"), &[]).unwrap();
                    assert!(!r.integrity);
                    assert!(r.problem.unwrap().contains("messageDigest"));
                }
            }
            let e = sign(
                &Request {
                    input: Input::Digest(&[0; 5]),
                    signer_certificate_der: &pki.signer,
                    chain: &[],
                    signing_time: None,
                },
                &pki.signer_key,
                None,
            )
            .unwrap_err();
            assert!(e.to_string().contains("5 bytes"), "{e}");
            assert!(verify(b"not a cms", Input::Content(doc), &[]).is_err());
        }
    }

    /// A token over something else than the signature value is refused at signing and reported
    /// as not matching when found in a signature.
    #[test]
    fn a_timestamp_over_other_bytes_is_refused_and_reported() {
        let pki = Pki::new(KeyAlgorithm::EcdsaP256);
        let wrong = |h: DigestAlgorithm, _: &[u8]| pki.timestamp(h, &h.digest(b"other"));
        let req = Request {
            input: Input::Content(b"x"),
            signer_certificate_der: &pki.signer,
            chain: &[],
            signing_time: None,
        };
        let e = sign(&req, &pki.signer_key, Some(&wrong)).unwrap_err();
        assert!(e.to_string().contains("imprint"), "{e}");
        let bb = sign(&req, &pki.signer_key, None).unwrap();
        let token = wrong(DigestAlgorithm::Sha256, &[]).unwrap();
        let bad = cms::add_signature_timestamp(&bb, &token).unwrap();
        let r = verify(&bad, Input::Content(b"x"), &[]).unwrap();
        assert!(r.integrity);
        let ts = r.timestamp.unwrap();
        assert!(ts.token_valid && !ts.imprint_matches);
    }

    /// `openssl cms -verify -binary -content` accepts the P-256 and RSA signatures (B-B and B-T)
    /// under the test root, with the issuing CA taken from inside the signature, and refuses
    /// other content. OpenSSL 3.0 does not verify SM2 CMS: asserted as such, and the SM2
    /// signature checked over the signed attributes by `openssl pkeyutl` with the GM/T 0009
    /// distinguishing ID instead.
    #[test]
    fn openssl_cms_verifies_detached_signatures() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content.bin");
        std::fs::write(&content, b"contract text\n").unwrap();
        let other = dir.path().join("other.bin");
        std::fs::write(&other, b"contract text!\n").unwrap();
        for alg in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::Sm2,
        ] {
            let pki = Pki::new(alg);
            pki.write_pems(dir.path());
            let chain = vec![pki.issuing.clone()];
            let tsa = |h: DigestAlgorithm, d: &[u8]| pki.timestamp(h, d);
            let d = digest_algorithm(&pki.signer_key).digest(b"contract text\n");
            let req = Request {
                input: Input::Digest(&d),
                signer_certificate_der: &pki.signer,
                chain: &chain,
                signing_time: Some(SystemTime::now()),
            };
            for (name, der) in [
                ("bb", sign(&req, &pki.signer_key, None).unwrap()),
                ("bt", sign(&req, &pki.signer_key, Some(&tsa)).unwrap()),
            ] {
                let p7 = dir.path().join(format!("{alg}-{name}.p7s"));
                std::fs::write(&p7, &der).unwrap();
                let args = |c: &std::path::Path| {
                    vec![
                        "cms".to_string(),
                        "-verify".into(),
                        "-binary".into(),
                        "-inform".into(),
                        "DER".into(),
                        "-in".into(),
                        s(&p7),
                        "-content".into(),
                        s(c),
                        "-CAfile".into(),
                        s(&dir.path().join("root.pem")),
                        "-purpose".into(),
                        "any".into(),
                        "-out".into(),
                        "/dev/null".into(),
                    ]
                };
                let (ok, out) = run("openssl", &args(&content));
                if alg == KeyAlgorithm::Sm2 {
                    assert!(
                        !ok,
                        "OpenSSL verifies SM2 CMS now: update docs/SIGNING.md and this test: {out}"
                    );
                    let (attrs, sig) = cms::signed_attributes_and_signature(&der).unwrap();
                    std::fs::write(dir.path().join("attrs.der"), attrs).unwrap();
                    std::fs::write(dir.path().join("sig.der"), sig).unwrap();
                    let (ok, out) = run(
                        "openssl",
                        &[
                            "pkeyutl",
                            "-verify",
                            "-rawin",
                            "-digest",
                            "sm3",
                            "-pubin",
                            "-keyform",
                            "DER",
                            "-inkey",
                            &s(&dir.path().join("signer.pub.der")),
                            "-in",
                            &s(&dir.path().join("attrs.der")),
                            "-sigfile",
                            &s(&dir.path().join("sig.der")),
                            "-pkeyopt",
                            "distid:1234567812345678",
                        ],
                    );
                    assert!(
                        ok && out.contains("Signature Verified Successfully"),
                        "{out}"
                    );
                    continue;
                }
                assert!(
                    ok && out.contains("Verification successful"),
                    "{alg} {name}: {out}"
                );
                let (ok, out) = run("openssl", &args(&other));
                // OpenSSL 3.0 reports a messageDigest mismatch as "verification failure".
                assert!(
                    !ok && out.contains("CMS_SignerInfo_verify_content:verification failure"),
                    "{alg} {name}: {out}"
                );
                // OpenSSL reads the timestamp attribute: the unsigned attribute is printed.
                if name == "bt" {
                    let (_, out) = run(
                        "openssl",
                        &["cms", "-cmsout", "-print", "-inform", "DER", "-in", &s(&p7)],
                    );
                    assert!(out.contains("id-smime-aa-timeStampToken"), "{out}");
                }
            }
        }
    }
}
