//! PKCS#10 requests (RFC 2986), checked before issuance (CERT-1).
//!
//! [`check_request`] takes the DER of a `CertificationRequest` and refuses it unless
//!
//! - it is at most [`MAX_REQUEST_LEN`] bytes (checked before anything is parsed),
//! - it is one DER `CertificationRequest` and nothing after it,
//! - its version is 0 (v1, the only version RFC 2986 defines),
//! - its public key is of an algorithm and strength offered here
//!   ([`yinxin_crypto::verify::public_key_algorithm`]: RSA below 2048 bits is too weak),
//! - the profile allows that key algorithm,
//! - it is signed with its key's own signature algorithm, and that self-signature over the DER of
//!   `CertificationRequestInfo`, exactly as received, verifies with the request's public key
//!   (SM2 with the default distinguishing ID `1234567812345678`).
//!
//! Every refusal is [`PkiError::Invalid`] with a message that says what is wrong in words a user
//! can act on; none repeats bytes of the input. The subject the request claims is returned for
//! the record only: the issued subject comes from the verified identity.

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Header, Reader, SliceReader, Tag, Tagged};
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use yinxin_crypto::verify::{public_key_algorithm, verify_signature};
use yinxin_crypto::{CryptoError, KeyAlgorithm};

use crate::PkiError;
use crate::profile::Profile;

/// The largest request accepted, in bytes of DER (64 KiB; a request with an RSA-4096 key and a
/// long subject is under 2 KiB).
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// The PEM labels a request may carry (RFC 7468 §7; `NEW CERTIFICATE REQUEST` is the older
/// Netscape/Microsoft spelling).
const PEM_LABELS: [&str; 2] = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/// What a request that passed every check says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedRequest {
    /// The request's public key, a DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// Its algorithm.
    pub algorithm: KeyAlgorithm,
    /// The subject the request claimed. The service ignores it for the issued certificate, whose
    /// subject comes from the verified identity.
    pub subject: Name,
}

fn invalid(msg: impl Into<String>) -> PkiError {
    PkiError::Invalid(msg.into())
}

/// Checks a DER PKCS#10 request against `profile` (see the module documentation).
pub fn check_request(der: &[u8], profile: &Profile) -> Result<CheckedRequest, PkiError> {
    if der.is_empty() {
        return Err(invalid(
            "the request is empty: send the DER (or PEM) of a PKCS#10 CertificationRequest",
        ));
    }
    if der.len() > MAX_REQUEST_LEN {
        return Err(invalid(format!(
            "the request is {} bytes; at most {MAX_REQUEST_LEN} bytes are accepted",
            der.len()
        )));
    }
    match shape(der) {
        Shape::Version { is_zero: false } => {
            return Err(invalid(
                "the request's version is not 0: RFC 2986 defines only version 0 (v1)",
            ));
        }
        Shape::Certificate => {
            return Err(invalid(
                "this is an X.509 certificate, not a certificate request: send the PKCS#10 \
                 CertificationRequest made with the key",
            ));
        }
        Shape::Version { is_zero: true } | Shape::Unknown => {}
    }

    let mut reader = SliceReader::new(der).map_err(not_der)?;
    let request = CertReq::decode(&mut reader).map_err(not_der)?;
    if !reader.is_finished() {
        return Err(invalid(format!(
            "the request is followed by {} bytes that are not part of it: send the request alone",
            reader.remaining_len()
        )));
    }
    let signed = info_bytes(der)?;

    let public_key_der = request.info.public_key.to_der()?;
    let algorithm = public_key_algorithm(&public_key_der).map_err(|e| match e {
        CryptoError::Invalid(m) => invalid(format!("the request's public key is refused: {m}")),
        other => PkiError::Crypto(other),
    })?;
    if !profile.allowed_algorithms.contains(&algorithm) {
        let allowed: Vec<&str> = profile
            .allowed_algorithms
            .iter()
            .map(|a| a.as_str())
            .collect();
        return Err(invalid(format!(
            "the request's {algorithm} key is not allowed by the {} profile; it allows: {}",
            profile.kind.as_str(),
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        )));
    }

    check_signature_algorithm(
        algorithm,
        request.algorithm.oid,
        request.algorithm.parameters.as_ref(),
    )?;
    let signature = request.signature.as_bytes().ok_or_else(|| {
        invalid("the request's signature BIT STRING has unused bits; a signature has none")
    })?;
    verify_signature(&public_key_der, request.algorithm.oid, signed, signature).map_err(
        |e| match e {
            CryptoError::BadSignature => {
                invalid("the request's signature does not verify with its own public key")
            }
            CryptoError::Invalid(m) => invalid(format!("the request's signature is refused: {m}")),
            other => PkiError::Crypto(other),
        },
    )?;

    Ok(CheckedRequest {
        public_key_der,
        algorithm,
        subject: request.info.subject,
    })
}

/// Checks a PEM request (label `CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`); text before
/// the BEGIN line and after the END line is ignored.
pub fn check_request_pem(pem: &str, profile: &Profile) -> Result<CheckedRequest, PkiError> {
    check_request(&request_der_from_pem(pem)?, profile)
}

/// The DER inside a PEM request (same rules as [`check_request_pem`]), not yet checked.
pub fn request_der_from_pem(pem: &str) -> Result<Vec<u8>, PkiError> {
    // Base64 of 64 KiB plus line breaks; anything longer cannot hold an acceptable request.
    if pem.len() > MAX_REQUEST_LEN * 3 / 2 {
        return Err(invalid(format!(
            "the PEM request is {} bytes; at most {} bytes are accepted",
            pem.len(),
            MAX_REQUEST_LEN * 3 / 2
        )));
    }
    pem_body(pem)
}

fn pem_body(pem: &str) -> Result<Vec<u8>, PkiError> {
    use base64::Engine;
    let begin = "-----BEGIN ";
    let start = pem.find(begin).ok_or_else(|| {
        invalid("the request is not PEM: no \"-----BEGIN CERTIFICATE REQUEST-----\" line")
    })?;
    let after = pem.get(start + begin.len()..).unwrap_or_default();
    let (label, rest) = after
        .split_once("-----")
        .ok_or_else(|| invalid("the PEM BEGIN line is not closed by \"-----\""))?;
    if !PEM_LABELS.contains(&label) {
        return Err(invalid(match label {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                "the PEM holds a certificate, not a certificate request: send the \
                 \"CERTIFICATE REQUEST\" made with the key"
                    .to_string()
            }
            l if l.contains("PRIVATE KEY") => {
                "the PEM holds a private key: never send a private key; send the \
                 \"CERTIFICATE REQUEST\" made with it"
                    .to_string()
            }
            _ => "the PEM is not labelled \"CERTIFICATE REQUEST\" (nor \"NEW CERTIFICATE \
                  REQUEST\")"
                .to_string(),
        }));
    }
    let end = format!("-----END {label}-----");
    let (body, _) = rest
        .split_once(&end)
        .ok_or_else(|| invalid(format!("the PEM request has no \"{end}\" line")))?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| invalid("the PEM request's body is not valid base64"))
}

/// What the first elements of the input look like, read before the full parse so that the two
/// commonest mistakes get their own message.
enum Shape {
    /// `SEQUENCE { SEQUENCE { INTEGER v, …` — a request; whether `v` is 0.
    Version { is_zero: bool },
    /// `SEQUENCE { SEQUENCE { [0] …` — an X.509 certificate (its explicit version tag).
    Certificate,
    /// Anything else: the full parse says what is wrong.
    Unknown,
}

fn shape(der: &[u8]) -> Shape {
    let read = || -> Result<Shape, der::Error> {
        let mut r = SliceReader::new(der)?;
        for _ in 0..2 {
            if Header::decode(&mut r)?.tag() != Tag::Sequence {
                return Ok(Shape::Unknown);
            }
        }
        let first = Header::decode(&mut r)?;
        match first.tag() {
            Tag::Integer => {
                let v = r.read_slice(first.length())?;
                Ok(Shape::Version {
                    is_zero: !v.is_empty() && v.iter().all(|b| *b == 0),
                })
            }
            Tag::ContextSpecific {
                constructed: true,
                number,
            } if number.value() == 0 => Ok(Shape::Certificate),
            _ => Ok(Shape::Unknown),
        }
    };
    read().unwrap_or(Shape::Unknown)
}

/// The DER of `CertificationRequestInfo` exactly as received: what the signature covers.
fn info_bytes(der: &[u8]) -> Result<&[u8], PkiError> {
    let mut r = SliceReader::new(der).map_err(not_der)?;
    Header::decode(&mut r).map_err(not_der)?;
    r.tlv_bytes().map_err(not_der)
}

/// The key algorithm's signature algorithm, in words.
fn signature_name(algorithm: KeyAlgorithm) -> &'static str {
    match algorithm {
        KeyAlgorithm::Sm2 => "SM2 with SM3",
        KeyAlgorithm::EcdsaP256 => "ECDSA with SHA-256",
        KeyAlgorithm::EcdsaP384 => "ECDSA with SHA-384",
        KeyAlgorithm::Ed25519 => "Ed25519",
        _ => "RSA PKCS#1 v1.5 with SHA-256",
    }
}

/// The request must be signed with the one signature algorithm of its key's algorithm, with the
/// parameters that algorithm takes (none; NULL or none for RSA).
fn check_signature_algorithm(
    algorithm: KeyAlgorithm,
    oid: ObjectIdentifier,
    parameters: Option<&der::asn1::Any>,
) -> Result<(), PkiError> {
    if oid != algorithm.signature_oid() {
        return Err(invalid(format!(
            "the request is not signed with its {algorithm} key's signature algorithm: a \
             {algorithm} key signs with {} ({})",
            signature_name(algorithm),
            algorithm.signature_oid()
        )));
    }
    let fine = match parameters {
        None => true,
        Some(p) => algorithm.is_rsa() && p.tag() == Tag::Null && p.value().is_empty(),
    };
    if !fine {
        return Err(invalid(format!(
            "the request's signature algorithm identifier carries parameters that {} does not \
             take",
            signature_name(algorithm)
        )));
    }
    Ok(())
}

/// The refusal of input that does not decode (see [`crate::der_error`]).
fn not_der(e: der::Error) -> PkiError {
    invalid(format!(
        "the request is not a DER PKCS#10 CertificationRequest: {}",
        crate::der_error::describe(&e, false)
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::ProfileKind;
    use crate::testing::{openssl, openssl_request};

    fn personal() -> Profile {
        Profile::builtin(ProfileKind::PersonalSigning)
    }

    fn refusal(der: &[u8]) -> String {
        match check_request(der, &personal()) {
            Err(PkiError::Invalid(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    const ACCEPTED: [(&str, KeyAlgorithm); 5] = [
        ("p256", KeyAlgorithm::EcdsaP256),
        ("p384", KeyAlgorithm::EcdsaP384),
        ("rsa2048", KeyAlgorithm::Rsa2048),
        ("ed25519", KeyAlgorithm::Ed25519),
        ("sm2", KeyAlgorithm::Sm2),
    ];

    #[test]
    fn openssl_requests_of_every_algorithm_are_accepted_with_their_key() {
        let dir = tempfile::tempdir().unwrap();
        for (name, alg) in ACCEPTED {
            let (csr, public) = openssl_request(dir.path(), name);
            let checked =
                check_request(&csr, &personal()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(checked.algorithm, alg, "{name}");
            assert_eq!(checked.public_key_der, public, "{name}");
            assert_eq!(checked.subject.to_string(), "CN=x", "{name}");
        }
    }

    #[test]
    fn pem_requests_are_accepted_under_both_labels_and_others_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (csr, public) = openssl_request(dir.path(), "p256");
        for label in PEM_LABELS {
            let pem = format!("some text first\n{}", crate::pem(&csr, label));
            let checked = check_request_pem(&pem, &personal()).unwrap();
            assert_eq!(checked.public_key_der, public);
        }
        let err = check_request_pem(&crate::pem(&csr, "CERTIFICATE"), &personal()).unwrap_err();
        assert!(
            err.to_string()
                .contains("certificate, not a certificate request"),
            "{err}"
        );
        let err = check_request_pem(&crate::pem(&csr, "PRIVATE KEY"), &personal()).unwrap_err();
        assert!(
            err.to_string().contains("never send a private key"),
            "{err}"
        );
        let err = check_request_pem("hello", &personal()).unwrap_err();
        assert!(err.to_string().contains("not PEM"), "{err}");
        let bad = crate::pem(&csr, "CERTIFICATE REQUEST").replacen('M', "*", 1);
        let err = check_request_pem(&bad, &personal()).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
        let cut = crate::pem(&csr, "CERTIFICATE REQUEST").replace("-----END", "");
        assert!(check_request_pem(&cut, &personal()).is_err());
    }

    #[test]
    fn rsa_1024_is_refused_as_too_weak() {
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "rsa1024");
        let m = refusal(&csr);
        assert!(m.contains("too weak") && m.contains("at least 2048"), "{m}");
    }

    #[test]
    fn a_flipped_signature_byte_or_altered_subject_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (name, _) in ACCEPTED {
            let (csr, _) = openssl_request(dir.path(), name);
            let mut flipped = csr.clone();
            *flipped.last_mut().unwrap() ^= 0x01;
            let m = refusal(&flipped);
            assert_eq!(
                m, "the request's signature does not verify with its own public key",
                "{name}"
            );
            // The subject is covered by the signature: CN=x becomes CN=y.
            let pos = csr
                .windows(3)
                .position(|w| w == [0x0c, 0x01, b'x'])
                .unwrap();
            let mut altered = csr.clone();
            altered[pos + 2] = b'y';
            let m = refusal(&altered);
            assert!(m.contains("does not verify"), "{name}: {m}");
        }
    }

    #[test]
    fn a_truncated_request_is_refused_as_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        let m = refusal(&csr[..csr.len() / 2]);
        assert!(
            m.starts_with("the request is not a DER PKCS#10 CertificationRequest: ")
                && m.contains("truncated"),
            "{m}"
        );
        let m = refusal(&csr[..csr.len() - 1]);
        assert!(m.contains("truncated"), "{m}");
    }

    #[test]
    fn garbage_and_empty_input_are_refused_without_echoing_it() {
        let m = refusal(&[]);
        assert!(m.contains("empty"), "{m}");
        // Deterministic "random" bytes (a linear congruential sequence).
        let mut x: u32 = 0x1234_5678;
        let garbage: Vec<u8> = (0..300)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 24) as u8
            })
            .collect();
        let m = refusal(&garbage);
        assert!(
            m.starts_with("the request is not a DER PKCS#10 CertificationRequest"),
            "{m}"
        );
        let hex: String = garbage[..3].iter().map(|b| format!("{b:02x}")).collect();
        assert!(!m.contains(&hex), "{m}");
        for g in [
            &b"\x30"[..],
            b"\x30\x00",
            b"\x02\x01\x00",
            b"hello world",
            &[0xff; 64],
        ] {
            let m = refusal(g);
            assert!(m.starts_with("the request is not a DER PKCS#10"), "{m}");
        }
        let m = refusal(&vec![0x30; MAX_REQUEST_LEN + 1]);
        assert!(m.contains("at most 65536 bytes"), "{m}");
    }

    #[test]
    fn a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let out = openssl(&[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &d.join("k").display().to_string(),
            "-subj",
            "/CN=x",
            "-outform",
            "DER",
            "-out",
            &d.join("c.der").display().to_string(),
        ]);
        let cert = std::fs::read(d.join("c.der")).unwrap_or_else(|_| panic!("{out}"));
        let m = refusal(&cert);
        assert!(
            m.contains("X.509 certificate, not a certificate request"),
            "{m}"
        );
    }

    #[test]
    fn a_key_algorithm_the_profile_does_not_allow_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        let mut profile = personal();
        profile.allowed_algorithms = vec![KeyAlgorithm::Sm2];
        let m = check_request(&csr, &profile).unwrap_err().to_string();
        assert!(
            m.contains("p256") && m.contains("personal_signing") && m.contains("allows: sm2"),
            "{m}"
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (mut csr, _) = openssl_request(dir.path(), "sm2");
        csr.extend_from_slice(b"\x00garbage");
        let m = refusal(&csr);
        assert!(m.contains("followed by 8 bytes"), "{m}");
    }

    #[test]
    fn a_version_other_than_0_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        let pos = csr.windows(3).position(|w| w == [2, 1, 0]).unwrap();
        assert!(pos < 8);
        let mut v2 = csr.clone();
        v2[pos + 2] = 1;
        let m = refusal(&v2);
        assert!(m.contains("version is not 0"), "{m}");
    }

    #[test]
    fn a_signature_algorithm_other_than_the_keys_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (csr, _) = openssl_request(dir.path(), "p256");
        // ecdsa-with-SHA256 (…04 03 02) in signatureAlgorithm → ecdsa-with-SHA384 (…04 03 03).
        let oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
        let pos = csr.windows(oid.len()).rposition(|w| w == oid).unwrap();
        let mut other = csr.clone();
        other[pos + oid.len() - 1] = 0x03;
        let m = refusal(&other);
        assert!(
            m.contains("not signed with its p256 key's signature algorithm")
                && m.contains("ECDSA with SHA-256"),
            "{m}"
        );
    }

    fn openssl_verifies(dir: &Path, alg: KeyAlgorithm, der: &[u8]) -> String {
        let path = dir.join(format!("own-{alg}.csr"));
        std::fs::write(&path, crate::pem(der, "CERTIFICATE REQUEST")).unwrap();
        let mut args = vec![
            "req".to_string(),
            "-verify".into(),
            "-noout".into(),
            "-in".into(),
            path.display().to_string(),
        ];
        if alg == KeyAlgorithm::Sm2 {
            args.extend(["-vfyopt".into(), "distid:1234567812345678".into()]);
        }
        openssl(&args)
    }

    #[test]
    fn requests_built_with_our_keys_pass_our_check_and_openssl() {
        use std::str::FromStr;
        use x509_cert::builder::Builder;
        use x509_cert::request::RequestBuilder;
        use yinxin_crypto::Signer;
        use yinxin_crypto::software::SoftwareKey;

        use crate::cert::{EncodedSignature, KeySigner};

        let dir = tempfile::tempdir().unwrap();
        for (_, alg) in ACCEPTED {
            let key = SoftwareKey::generate(alg).unwrap();
            let subject = Name::from_str("CN=own,O=yinxin").unwrap();
            let req = RequestBuilder::new(subject.clone())
                .unwrap()
                .build::<_, EncodedSignature>(&KeySigner(&key))
                .unwrap();
            let der = req.to_der().unwrap();
            let checked = check_request(&der, &personal()).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(checked.algorithm, alg);
            assert_eq!(checked.public_key_der, key.public_key_der());
            assert_eq!(checked.subject, subject);
            let out = openssl_verifies(dir.path(), alg, &der);
            assert!(out.contains("verify OK"), "{alg}: {out}");
            // And OpenSSL sees a bad one as bad (so "verify OK" means something).
            let mut bad = der.clone();
            *bad.last_mut().unwrap() ^= 1;
            let out = openssl_verifies(dir.path(), alg, &bad);
            assert!(!out.contains("verify OK"), "{alg}: {out}");
        }
    }

    /// Writes the seed corpus of the `csr` fuzz target (`fuzz/corpus/csr/`). Run by hand:
    /// `cargo nextest run -p yinxin-pki --run-ignored only write_fuzz_corpus`.
    #[test]
    #[ignore = "writes the fuzz seed corpus"]
    fn write_fuzz_corpus() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/csr");
        std::fs::create_dir_all(&out).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for name in ["p256", "p384", "rsa2048", "ed25519", "sm2", "rsa1024"] {
            let (csr, _) = openssl_request(dir.path(), name);
            std::fs::write(out.join(format!("{name}.der")), &csr).unwrap();
            if name == "p256" {
                std::fs::write(out.join("p256-truncated.der"), &csr[..csr.len() / 2]).unwrap();
                let mut flipped = csr.clone();
                *flipped.last_mut().unwrap() ^= 1;
                std::fs::write(out.join("p256-bad-signature.der"), &flipped).unwrap();
            }
        }
    }
}
