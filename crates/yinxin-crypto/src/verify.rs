//! Checks of public keys and signatures that arrive from outside (a PKCS#10 request's key and
//! self-signature, CERT-1): which algorithm a SubjectPublicKeyInfo is, whether its strength is
//! allowed, and whether a signature over a message verifies. Every refusal says what was wrong.

use der::Decode;
use der::asn1::ObjectIdentifier;
use pkcs8::DecodePublicKey;
use signature::Verifier;
use spki::SubjectPublicKeyInfoRef;

use crate::algorithm::{SM2_DEFAULT_DISTID, oid};
use crate::{CryptoError, KeyAlgorithm};

/// The smallest RSA modulus accepted (NIST SP 800-131A: 2048 bits since 2014).
pub const RSA_MIN_BITS: usize = 2048;

fn invalid(msg: impl Into<String>) -> CryptoError {
    CryptoError::Invalid(msg.into())
}

/// The algorithm of a DER SubjectPublicKeyInfo, refusing curves and sizes not offered here
/// (RSA below [`RSA_MIN_BITS`] is named as too weak).
pub fn public_key_algorithm(spki_der: &[u8]) -> Result<KeyAlgorithm, CryptoError> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der).map_err(|e| {
        invalid(format!(
            "the public key is not a DER SubjectPublicKeyInfo: {e}"
        ))
    })?;
    let alg = spki.algorithm.oid;
    if alg == oid::EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .ok_or_else(|| invalid("an EC public key without its named curve"))?
            .decode_as()
            .map_err(|_| invalid("an EC public key whose parameters are not a named curve"))?;
        return match curve {
            c if c == oid::SM2_CURVE => Ok(KeyAlgorithm::Sm2),
            c if c == oid::SECP256R1 => Ok(KeyAlgorithm::EcdsaP256),
            c if c == oid::SECP384R1 => Ok(KeyAlgorithm::EcdsaP384),
            c => Err(invalid(format!(
                "the EC curve {c} is not offered (SM2, P-256 and P-384 are)"
            ))),
        };
    }
    if alg == oid::RSA_ENCRYPTION {
        let key = rsa::PublicKey::from_public_key_der(spki_der)
            .map_err(|e| invalid(format!("the RSA public key cannot be read: {e}")))?;
        let bits = rsa::traits::PublicKeyParts::n(&key).bit_width() as usize;
        return match bits {
            2048 => Ok(KeyAlgorithm::Rsa2048),
            3072 => Ok(KeyAlgorithm::Rsa3072),
            4096 => Ok(KeyAlgorithm::Rsa4096),
            b if b < RSA_MIN_BITS => Err(invalid(format!(
                "an RSA key of {b} bits is too weak: at least {RSA_MIN_BITS} bits are required"
            ))),
            b => Err(invalid(format!(
                "an RSA key of {b} bits is not offered (2048, 3072 and 4096 are)"
            ))),
        };
    }
    if alg == oid::ED25519 {
        return Ok(KeyAlgorithm::Ed25519);
    }
    Err(invalid(format!(
        "the public key algorithm {alg} is not offered"
    )))
}

/// Verifies `signature` over `message` by the key `spki_der`, where the signature claims the
/// algorithm `signature_oid`. The claim must be the one signature algorithm of the key's
/// algorithm (an SM2 key signs with SM3, a P-384 key with SHA-384, RSA with SHA-256). Returns the
/// key's algorithm.
pub fn verify_signature(
    spki_der: &[u8],
    signature_oid: ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<KeyAlgorithm, CryptoError> {
    let algorithm = public_key_algorithm(spki_der)?;
    if signature_oid != algorithm.signature_oid() {
        return Err(invalid(format!(
            "a {algorithm} key signs with {}, not {signature_oid}",
            algorithm.signature_oid()
        )));
    }
    let unreadable = |e: pkcs8::spki::Error| invalid(format!("the public key cannot be read: {e}"));
    let bad = |_| CryptoError::BadSignature;
    match algorithm {
        KeyAlgorithm::Sm2 => {
            let public = sm2::PublicKey::from_public_key_der(spki_der).map_err(unreadable)?;
            let key = sm2::dsa::VerifyingKey::new(SM2_DEFAULT_DISTID, public)
                .map_err(|_| invalid("the SM2 public key is not usable"))?;
            let sig = sm2::dsa::Signature::from_der(signature).map_err(bad)?;
            key.verify(message, &sig).map_err(bad)
        }
        // P-256 and P-384 verify through ring (its assembly field arithmetic: a P-256
        // verification costs a third of RustCrypto's, and every issuance checks one). The key is
        // read, checked to be a point of the curve, and put in uncompressed form by RustCrypto
        // first, so ring sees only a valid point and the refusals read as for the other curves.
        KeyAlgorithm::EcdsaP256 => {
            let key =
                p256::ecdsa::VerifyingKey::from_public_key_der(spki_der).map_err(unreadable)?;
            ring_ecdsa(
                &ring::signature::ECDSA_P256_SHA256_ASN1,
                &key.to_sec1_point(false),
                message,
                signature,
            )
        }
        KeyAlgorithm::EcdsaP384 => {
            let key =
                p384::ecdsa::VerifyingKey::from_public_key_der(spki_der).map_err(unreadable)?;
            ring_ecdsa(
                &ring::signature::ECDSA_P384_SHA384_ASN1,
                &key.to_sec1_point(false),
                message,
                signature,
            )
        }
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
            let public = rsa::PublicKey::from_public_key_der(spki_der).map_err(unreadable)?;
            let key = rsa::pkcs1v15::VerifyingKey::<sha2_011::Sha256>::new(public);
            let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(bad)?;
            key.verify(message, &sig).map_err(bad)
        }
        KeyAlgorithm::Ed25519 => {
            let key =
                ed25519_dalek::VerifyingKey::from_public_key_der(spki_der).map_err(unreadable)?;
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(bad)?;
            key.verify(message, &sig).map_err(bad)
        }
    }?;
    Ok(algorithm)
}

/// An ECDSA signature (DER `ECDSA-Sig-Value`) over `message` by the uncompressed SEC1 point
/// `point`, checked by ring.
fn ring_ecdsa(
    algorithm: &'static ring::signature::EcdsaVerificationAlgorithm,
    point: &impl AsRef<[u8]>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    ring::signature::UnparsedPublicKey::new(algorithm, point.as_ref())
        .verify(message, signature)
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signer;
    use crate::software::SoftwareKey;

    #[test]
    fn every_algorithm_signs_and_verifies_and_tampering_fails() {
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::Ed25519,
        ] {
            let key = SoftwareKey::generate(alg).unwrap();
            assert_eq!(public_key_algorithm(key.public_key_der()).unwrap(), alg);
            let sig = key.sign(b"to be signed").unwrap();
            let got = verify_signature(
                key.public_key_der(),
                alg.signature_oid(),
                b"to be signed",
                &sig,
            );
            assert_eq!(got.unwrap(), alg);
            let tampered = verify_signature(
                key.public_key_der(),
                alg.signature_oid(),
                b"to be signeD",
                &sig,
            );
            assert!(matches!(tampered, Err(CryptoError::BadSignature)), "{alg}");
            // The claimed signature algorithm must be the key's own.
            let other = if alg == KeyAlgorithm::Sm2 {
                oid::ECDSA_WITH_SHA256
            } else {
                oid::SM2_WITH_SM3
            };
            let err = verify_signature(key.public_key_der(), other, b"to be signed", &sig);
            assert!(matches!(err, Err(CryptoError::Invalid(_))), "{alg}");
        }
    }

    /// A key given as a compressed point is decompressed before ring sees it; a signature of
    /// one curve's key does not pass for the other's; a signature that is not DER is refused.
    #[test]
    fn ecdsa_keys_in_compressed_form_verify_and_foreign_signatures_do_not() {
        use der::Encode;
        for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384] {
            let key = SoftwareKey::generate(alg).unwrap();
            let sig = key.sign(b"m").unwrap();
            let spki = SubjectPublicKeyInfoRef::from_der(key.public_key_der()).unwrap();
            let point = spki.subject_public_key.raw_bytes();
            assert_eq!(point[0], 4, "uncompressed");
            let half = (point.len() - 1) / 2;
            let mut compressed = vec![2 + (point[point.len() - 1] & 1)];
            compressed.extend_from_slice(&point[1..=half]);
            let compressed_spki = spki::SubjectPublicKeyInfo {
                algorithm: spki.algorithm,
                subject_public_key: der::asn1::BitStringRef::from_bytes(&compressed).unwrap(),
            }
            .to_der()
            .unwrap();
            let oid = alg.signature_oid();
            assert_eq!(
                verify_signature(&compressed_spki, oid, b"m", &sig).unwrap(),
                alg
            );
            assert!(matches!(
                verify_signature(&compressed_spki, oid, b"n", &sig),
                Err(CryptoError::BadSignature)
            ));
            let mut not_der = sig.clone();
            not_der[0] = 0x31;
            assert!(matches!(
                verify_signature(key.public_key_der(), oid, b"m", &not_der),
                Err(CryptoError::BadSignature)
            ));
        }
        let p256 = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let p384 = SoftwareKey::generate(KeyAlgorithm::EcdsaP384).unwrap();
        let sig = p256.sign(b"m").unwrap();
        assert!(matches!(
            verify_signature(
                p384.public_key_der(),
                KeyAlgorithm::EcdsaP384.signature_oid(),
                b"m",
                &sig
            ),
            Err(CryptoError::BadSignature)
        ));
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_key() {
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::Ed25519,
        ] {
            let key = SoftwareKey::generate(alg).unwrap();
            let again = SoftwareKey::from_pkcs8_der(alg, &key.to_pkcs8_der().unwrap()).unwrap();
            assert_eq!(again.public_key_der(), key.public_key_der());
        }
        let p256 = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let der = p256.to_pkcs8_der().unwrap();
        assert!(SoftwareKey::from_pkcs8_der(KeyAlgorithm::Sm2, &der).is_err());
    }

    #[test]
    fn garbage_keys_are_refused_with_a_reason() {
        let err = public_key_algorithm(b"\x30\x03\x02\x01\x01").unwrap_err();
        assert!(err.to_string().contains("SubjectPublicKeyInfo"), "{err}");
        assert!(public_key_algorithm(&[]).is_err());
    }
}
