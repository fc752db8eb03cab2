//! CMS EnvelopedData (RFC 5652 §6) to one recipient certificate: what the handover archive to a
//! successor provider is sealed in (issue 8 item 12; docs/TERMINATION.md), so that only the
//! holder of the successor's private key opens it — with any CMS implementation
//! (`openssl cms -decrypt`), not only ours. Pure: no I/O.
//!
//! - The content is encrypted with a fresh 256-bit key under AES-256-CBC (RFC 3565 §2.1), the IV
//!   as the algorithm's parameter.
//! - The content key goes to the recipient by its certificate's key:
//!   - **RSA** (2048 bits or more): KeyTransRecipientInfo v0, RSAES-OAEP with SHA-256 and
//!     MGF1-SHA-256 (RFC 3560, RFC 4055 §4).
//!   - **EC P-256**: KeyAgreeRecipientInfo v3 (RFC 5753 §3.1): an ephemeral-static ECDH, the
//!     ephemeral public key as `originatorKey`, `dhSinglePass-stdDH-sha256kdf-scheme` (the ANSI
//!     X9.63 KDF over SHA-256 with the DER `ECC-CMS-SharedInfo`, RFC 5753 §7.2) deriving the key
//!     that wraps the content key by AES-256 key wrap (RFC 3394, RFC 3565 §2.3.2).
//!   - Anything else (SM2, P-384, Ed25519, a weak RSA key) is refused naming the key: SM2 digital
//!     envelopes (GM/T 0010) are not read by the common CMS tools, and a successor may present
//!     an RSA or P-256 encryption certificate.
//! - The recipient is identified by the certificate's issuer and serial number.
//!
//! Integrity is not this layer's: the handover signs its content (CMS SignedData) before it is
//! enveloped, so a successor that opens it also checks who made it.

use der::asn1::{Any, BitString, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

use crate::PkiError;
use crate::cms::IssuerAndSerialNumber;

/// id-envelopedData (RFC 5652 §6.1).
pub const OID_ENVELOPED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
/// id-aes256-CBC (RFC 3565 §4.1).
pub const OID_AES256_CBC: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
/// id-aes256-wrap (RFC 3565 §4.2).
pub const OID_AES256_WRAP: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.45");
/// id-RSAES-OAEP (RFC 4055 §4.1).
pub const OID_RSAES_OAEP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.7");
/// dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753 §7.1.4, SEC 1).
pub const OID_ECDH_SHA256_KDF: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.1.11.1");
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// The smallest RSA modulus a recipient may have (NIST SP 800-57: 112-bit security).
pub const MIN_RSA_BITS: usize = 2048;

// ---- ASN.1 (RFC 5652 §6, RFC 5753 §7.2, RFC 4055 §4.1) ----

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct EnvelopedData {
    version: u8,
    /// RecipientInfo CHOICEs, each as written (ktri a SEQUENCE, kari `[1]`).
    recipient_infos: SetOfVec<Any>,
    encrypted_content_info: EncryptedContentInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct EncryptedContentInfo {
    content_type: ObjectIdentifier,
    content_encryption_algorithm: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    encrypted_content: Option<OctetString>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct KeyTransRecipientInfo {
    version: u8,
    rid: IssuerAndSerialNumber,
    key_encryption_algorithm: AlgorithmIdentifierOwned,
    encrypted_key: OctetString,
}

/// KeyAgreeRecipientInfo, written as a SEQUENCE and re-tagged `[1]` IMPLICIT in the CHOICE.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct KeyAgreeRecipientInfo {
    version: u8,
    /// OriginatorIdentifierOrKey: the `[1]` originatorKey alternative.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    originator: Any,
    key_encryption_algorithm: AlgorithmIdentifierOwned,
    recipient_encrypted_keys: Vec<RecipientEncryptedKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct OriginatorPublicKey {
    algorithm: AlgorithmIdentifierOwned,
    public_key: BitString,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RecipientEncryptedKey {
    rid: IssuerAndSerialNumber,
    encrypted_key: OctetString,
}

/// ECC-CMS-SharedInfo (RFC 5753 §7.2): the KDF's SharedInfo.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct EccCmsSharedInfo {
    key_info: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    supp_pub_info: OctetString,
}

/// RSAES-OAEP-params (RFC 4055 §4.1) with SHA-256; pSourceFunc stays the DEFAULT (empty label).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RsaesOaepParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    hash_func: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    mask_gen_func: AlgorithmIdentifierOwned,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct ContentInfo {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: Any,
}

fn any_of(value: &impl Encode) -> Result<Any, PkiError> {
    Ok(Any::from_der(&value.to_der()?)?)
}

/// The DER of a SEQUENCE re-tagged as `[n]` IMPLICIT (constructed): a CHOICE alternative.
fn retag_implicit(sequence_der: &[u8], n: u8) -> Result<Any, PkiError> {
    let mut der = sequence_der.to_vec();
    match der.first_mut() {
        Some(tag) if *tag == 0x30 => *tag = 0xA0 | n,
        _ => {
            return Err(PkiError::Encoding(
                "a CHOICE alternative is not a SEQUENCE".into(),
            ));
        }
    }
    Ok(Any::from_der(&der)?)
}

fn sha256_id() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: OID_SHA256,
        parameters: None,
    }
}

fn random<const N: usize>() -> Result<[u8; N], PkiError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| PkiError::Encoding(format!("no randomness: {e}")))?;
    Ok(b)
}

/// The recipient's key, as the envelope uses it.
enum RecipientKey {
    Rsa(rsa::PublicKey),
    /// The uncompressed P-256 point.
    P256(Vec<u8>),
}

fn refused(msg: impl Into<String>) -> PkiError {
    PkiError::Invalid(format!("the recipient certificate {}", msg.into()))
}

fn recipient_key(cert: &Certificate) -> Result<RecipientKey, PkiError> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| refused("has a public key that is not whole octets"))?;
    if spki.algorithm.oid == OID_RSA_ENCRYPTION {
        use rsa::pkcs8::DecodePublicKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::PublicKey::from_public_key_der(&spki.to_der()?)
            .map_err(|e| refused(format!("has an RSA key that cannot be read: {e}")))?;
        let bits = key.n().bit_width() as usize;
        if bits < MIN_RSA_BITS {
            return Err(refused(format!(
                "has an RSA key of {bits} bits; at least {MIN_RSA_BITS} are needed"
            )));
        }
        return Ok(RecipientKey::Rsa(key));
    }
    if spki.algorithm.oid == OID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if curve != Some(OID_P256) {
            return Err(refused(
                "has an EC key on a curve other than P-256; an RSA or P-256 key is needed",
            ));
        }
        if point.len() != 65 || point.first() != Some(&0x04) {
            return Err(refused("has a P-256 key that is not an uncompressed point"));
        }
        return Ok(RecipientKey::P256(point.to_vec()));
    }
    Err(refused(format!(
        "has a key of algorithm {} (SM2, Ed25519 …), which CMS tools cannot open an envelope \
         to; an RSA or P-256 key is needed",
        spki.algorithm.oid
    )))
}

/// A recipient certificate, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// Its subject, RFC 4514 text.
    pub subject: String,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    /// Unix second its validity begins.
    pub not_before: i64,
    /// Unix second it ends.
    pub not_after: i64,
    /// `rsa` or `p256`.
    pub key: &'static str,
}

/// Checks that a certificate can receive an envelope (its key is RSA of at least 2048 bits or
/// P-256) and is valid at `now` (unix second), before anything is made for it.
pub fn check_recipient(certificate_der: &[u8], now: i64) -> Result<Recipient, PkiError> {
    let cert = Certificate::from_der(certificate_der)
        .map_err(|e| refused(format!("is not a DER X.509 certificate: {e}")))?;
    let (key, usage, usage_name) = match recipient_key(&cert)? {
        RecipientKey::Rsa(_) => ("rsa", KeyUsages::KeyEncipherment, "keyEncipherment"),
        RecipientKey::P256(_) => ("p256", KeyUsages::KeyAgreement, "keyAgreement"),
    };
    // RFC 5280 §4.2.1.3: a key usage, when the certificate has one, must allow the envelope.
    if let Some((_, KeyUsage(ku))) = cert
        .tbs_certificate()
        .get_extension::<KeyUsage>()
        .map_err(|e| refused(format!("has a key usage that cannot be read: {e}")))?
        && !ku.contains(usage)
    {
        return Err(refused(format!(
            "does not allow {usage_name} (its key usage): it is not an encryption certificate"
        )));
    }
    let validity = cert.tbs_certificate().validity();
    let unix = |t: &x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let (not_before, not_after) = (unix(&validity.not_before), unix(&validity.not_after));
    if now < not_before {
        return Err(refused(format!(
            "is not valid yet (from {})",
            validity.not_before
        )));
    }
    if now > not_after {
        return Err(refused(format!("expired on {}", validity.not_after)));
    }
    Ok(Recipient {
        subject: cert.tbs_certificate().subject().to_string(),
        fingerprint: hex::encode(<sha2_011::Sha256 as sha2_011::Digest>::digest(
            certificate_der,
        )),
        not_before,
        not_after,
        key,
    })
}

/// X9.63 KDF over SHA-256 for a 256-bit key: SHA-256(Z ‖ 00000001 ‖ SharedInfo).
fn x963_kdf_sha256(z: &[u8], shared_info: &[u8]) -> [u8; 32] {
    use sha2_011::Digest;
    let mut h = sha2_011::Sha256::new();
    h.update(z);
    h.update(1u32.to_be_bytes());
    h.update(shared_info);
    h.finalize().into()
}

/// The RecipientInfo giving `cek` to the holder of `cert`.
fn recipient_info(cert: &Certificate, cek: &[u8; 32]) -> Result<(Any, u8), PkiError> {
    let tbs = cert.tbs_certificate();
    let rid = IssuerAndSerialNumber {
        issuer: tbs.issuer().clone(),
        serial_number: Int::new(tbs.serial_number().as_bytes())?,
    };
    match recipient_key(cert)? {
        RecipientKey::Rsa(key) => {
            let encrypted = key
                .encrypt(
                    &mut getrandom::SysRng,
                    rsa::Oaep::<sha2_011::Sha256>::new(),
                    cek,
                )
                .map_err(|e| PkiError::Encoding(format!("RSA-OAEP: {e}")))?;
            let params = RsaesOaepParams {
                hash_func: sha256_id(),
                mask_gen_func: AlgorithmIdentifierOwned {
                    oid: OID_MGF1,
                    parameters: Some(any_of(&sha256_id())?),
                },
            };
            let ktri = KeyTransRecipientInfo {
                version: 0,
                rid,
                key_encryption_algorithm: AlgorithmIdentifierOwned {
                    oid: OID_RSAES_OAEP,
                    parameters: Some(any_of(&params)?),
                },
                encrypted_key: OctetString::new(encrypted)?,
            };
            Ok((any_of(&ktri)?, 0))
        }
        RecipientKey::P256(point) => {
            use ring::agreement;
            let rng = ring::rand::SystemRandom::new();
            let ephemeral = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
                .map_err(|_| PkiError::Encoding("ECDH: no ephemeral key".into()))?;
            let ephemeral_public = ephemeral
                .compute_public_key()
                .map_err(|_| PkiError::Encoding("ECDH: no ephemeral public key".into()))?;
            let wrap = AlgorithmIdentifierOwned {
                oid: OID_AES256_WRAP,
                parameters: None,
            };
            let shared_info = EccCmsSharedInfo {
                key_info: wrap.clone(),
                // The KEK's length in bits, 32-bit big-endian (RFC 5753 §7.2).
                supp_pub_info: OctetString::new(256u32.to_be_bytes().to_vec())?,
            }
            .to_der()?;
            let kek = zeroize::Zeroizing::new(
                agreement::agree_ephemeral(
                    ephemeral,
                    &agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, &point),
                    |z| x963_kdf_sha256(z, &shared_info),
                )
                .map_err(|_| refused("has a P-256 key that is not a point of the curve"))?,
            );
            let wrapped = aes_kw::KekAes256::from(*kek)
                .wrap_vec(cek)
                .map_err(|e| PkiError::Encoding(format!("AES key wrap: {e}")))?;
            let originator = OriginatorPublicKey {
                algorithm: AlgorithmIdentifierOwned {
                    oid: OID_EC_PUBLIC_KEY,
                    parameters: None,
                },
                public_key: BitString::from_bytes(ephemeral_public.as_ref())?,
            };
            let kari = KeyAgreeRecipientInfo {
                version: 3,
                originator: retag_implicit(&originator.to_der()?, 1)?,
                key_encryption_algorithm: AlgorithmIdentifierOwned {
                    oid: OID_ECDH_SHA256_KDF,
                    parameters: Some(any_of(&wrap)?),
                },
                recipient_encrypted_keys: vec![RecipientEncryptedKey {
                    rid,
                    encrypted_key: OctetString::new(wrapped)?,
                }],
            };
            Ok((retag_implicit(&kari.to_der()?, 1)?, 3))
        }
    }
}

/// `content` (of CMS type `content_type`: id-signedData for a signed archive) in a DER
/// `ContentInfo` of type id-envelopedData that only the holder of the private key of
/// `recipient_der` (a DER certificate) opens.
pub fn envelop(
    content_type: ObjectIdentifier,
    content: &[u8],
    recipient_der: &[u8],
) -> Result<Vec<u8>, PkiError> {
    use cbc::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    let cert = Certificate::from_der(recipient_der)
        .map_err(|e| refused(format!("is not a DER X.509 certificate: {e}")))?;
    let cek = zeroize::Zeroizing::new(random::<32>()?);
    let iv = random::<16>()?;
    let (info, ri_version) = recipient_info(&cert, &cek)?;
    let encrypted = cbc::Encryptor::<aes::Aes256>::new(cek.as_ref().into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(content);
    let mut recipient_infos = SetOfVec::new();
    recipient_infos.insert(info)?;
    let enveloped = EnvelopedData {
        // RFC 5652 §6.1: 0 when every RecipientInfo is v0 (no originatorInfo, no unprotected
        // attributes), else 2.
        version: if ri_version == 0 { 0 } else { 2 },
        recipient_infos,
        encrypted_content_info: EncryptedContentInfo {
            content_type,
            content_encryption_algorithm: AlgorithmIdentifierOwned {
                oid: OID_AES256_CBC,
                parameters: Some(any_of(&OctetString::new(iv.to_vec())?)?),
            },
            encrypted_content: Some(OctetString::new(encrypted)?),
        },
    };
    Ok(ContentInfo {
        content_type: OID_ENVELOPED_DATA,
        content: any_of(&enveloped)?,
    }
    .to_der()?)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::cms::OID_DATA;

    fn openssl(args: &[&str]) -> std::process::Output {
        Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl is installed (scripts/test)")
    }

    /// `openssl cms -decrypt` of the DER envelope `file` with `key` (and the recipient's
    /// certificate, when given) into `out`.
    fn cms_decrypt(
        file: &Path,
        recip: Option<&Path>,
        key: &str,
        out: &Path,
    ) -> std::process::Output {
        let mut args = vec![
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            file.to_str().unwrap(),
        ];
        if let Some(cert) = recip {
            args.extend(["-recip", cert.to_str().unwrap()]);
        }
        args.extend(["-inkey", key, "-out", out.to_str().unwrap()]);
        openssl(&args)
    }

    /// A self-signed certificate and its key made by OpenSSL: (certificate DER, key path).
    fn recipient(dir: &Path, name: &str, newkey: &[&str]) -> (Vec<u8>, String) {
        let key = dir.join(format!("{name}.key"));
        let cert = dir.join(format!("{name}.der"));
        let mut args = vec![
            "req",
            "-x509",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=successor",
        ];
        args.extend_from_slice(newkey);
        args.extend_from_slice(&[
            "-keyout",
            key.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            cert.to_str().unwrap(),
        ]);
        let out = openssl(&args);
        assert!(out.status.success(), "{out:?}");
        (
            std::fs::read(&cert).unwrap(),
            key.to_str().unwrap().to_owned(),
        )
    }

    /// OpenSSL opens what `envelop` made for an RSA and for a P-256 recipient, and gets the
    /// content back exactly; another key of the same kind does not open it.
    #[test]
    fn openssl_opens_the_envelope_for_rsa_and_p256_recipients() {
        let tmp = tempfile::tempdir().unwrap();
        let content: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for (name, newkey) in [
            ("rsa", &["-newkey", "rsa:2048"][..]),
            (
                "p256",
                &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
            ),
        ] {
            let (cert, key) = recipient(tmp.path(), name, newkey);
            let (_, other_key) = recipient(tmp.path(), &format!("{name}-other"), newkey);
            let env = envelop(OID_DATA, &content, &cert).unwrap();
            let file = tmp.path().join(format!("{name}.p7m"));
            std::fs::write(&file, &env).unwrap();
            let out_file = tmp.path().join(format!("{name}.out"));
            let cert_file = tmp.path().join(format!("{name}.der"));
            let out = cms_decrypt(&file, Some(&cert_file), &key, &out_file);
            assert!(out.status.success(), "{name}: {out:?}");
            assert_eq!(std::fs::read(&out_file).unwrap(), content, "{name}");
            // Another key of the same kind: OpenSSL opens nothing with it.
            let out = cms_decrypt(&file, None, &other_key, &out_file);
            assert!(
                !out.status.success() || std::fs::read(&out_file).unwrap() != content,
                "{name}: another key opened it"
            );
            // `openssl cms -cmsout -print` reads the structure as RFC 5652 says.
            let out = openssl(&[
                "cms",
                "-cmsout",
                "-print",
                "-inform",
                "DER",
                "-in",
                file.to_str().unwrap(),
            ]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("aes-256-cbc"), "{text}");
        }
    }

    /// Keys no CMS tool opens an envelope to, and what is not a certificate, are refused naming
    /// what is wrong, before anything is encrypted.
    #[test]
    fn unsupported_recipients_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        // The time of each check is taken after the certificate it checks was made: a second
        // may turn between the two.
        let now = || {
            i64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap()
        };
        let e = check_recipient(b"not a certificate", now())
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a DER X.509 certificate"), "{e}");
        let (p384, _) = recipient(
            tmp.path(),
            "p384",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        );
        let e = check_recipient(&p384, now()).unwrap_err().to_string();
        assert!(e.contains("curve other than P-256"), "{e}");
        let (ed, _) = recipient(tmp.path(), "ed", &["-newkey", "ed25519"]);
        let e = envelop(OID_DATA, b"x", &ed).unwrap_err().to_string();
        assert!(e.contains("an RSA or P-256 key is needed"), "{e}");
        // A signing-only certificate is not an encryption one.
        let (signing, _) = recipient(
            tmp.path(),
            "signing",
            &[
                "-newkey",
                "rsa:2048",
                "-addext",
                "keyUsage=critical,digitalSignature",
            ],
        );
        let e = check_recipient(&signing, now()).unwrap_err().to_string();
        assert!(e.contains("does not allow keyEncipherment"), "{e}");
        // A good key, but the certificate is not valid at the time asked.
        let (rsa, _) = recipient(tmp.path(), "later", &["-newkey", "rsa:2048"]);
        let r = check_recipient(&rsa, now()).unwrap();
        assert_eq!((r.key, r.subject.as_str()), ("rsa", "CN=successor"));
        let e = check_recipient(&rsa, r.not_after + 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expired on"), "{e}");
        let e = check_recipient(&rsa, r.not_before - 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not valid yet"), "{e}");
        let (weak, _) = recipient(tmp.path(), "weak", &["-newkey", "rsa:1024"]);
        let e = check_recipient(&weak, now()).unwrap_err().to_string();
        assert!(e.contains("1024 bits"), "{e}");
    }
}
