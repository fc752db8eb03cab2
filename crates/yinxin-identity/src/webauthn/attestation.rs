//! The attestation object (WebAuthn L3 §6.5.4) and the statement formats this verifier checks
//! (§8.2 "packed", §8.7 "none").
//!
//! We ask for attestation `"none"` ([`super::creation_options`]): the service does not decide
//! which authenticator models may be used, so it relies on no attestation statement. What is
//! checked anyway:
//!
//! - `none`: `attStmt` is the empty map;
//! - `packed` without `x5c` (self attestation): `alg` is the credential key's and `sig` verifies
//!   with the credential key over `authData ‖ SHA-256(clientDataJSON)`;
//! - `packed` with `x5c`: `sig` verifies with the public key of the first (leaf) certificate, read
//!   with a small DER walk (P-256 or Ed25519 keys). The chain is NOT validated against any root
//!   and the certificate's contents are not checked: nothing is trusted because of it;
//! - the other registered formats (`tpm`, `android-key`, `android-safetynet`, `fido-u2f`, `apple`,
//!   `compound`): the statement is not verified and not relied on; the format name is recorded.
//!   A browser asked for `"none"` normally replaces them with `none` anyway;
//! - any other `fmt` is refused: it is not a WebAuthn attestation format.

use ciborium::Value;

use super::cbor;
use super::cose::CredentialPublicKey;
use super::error::{WebauthnError, field};

/// The formats of the IANA "WebAuthn Attestation Statement Format Identifiers" registry.
pub const REGISTERED_FORMATS: [&str; 8] = [
    "packed",
    "tpm",
    "android-key",
    "android-safetynet",
    "fido-u2f",
    "apple",
    "none",
    "compound",
];

/// A decoded attestation object: `{"fmt": tstr, "attStmt": map, "authData": bstr}`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationObject {
    /// The statement format; one of [`REGISTERED_FORMATS`].
    pub fmt: &'static str,
    /// The statement (a CBOR map).
    pub att_stmt: Value,
    /// The authenticator data bytes.
    pub auth_data: Vec<u8>,
}

impl AttestationObject {
    /// Decodes the CBOR of an attestation object; bytes after the map are refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, WebauthnError> {
        let malformed = |what| WebauthnError::Malformed {
            field: field::ATTESTATION_OBJECT,
            what,
        };
        let value = cbor::decode_exact(bytes).map_err(|trailing| {
            if trailing {
                WebauthnError::TrailingBytes {
                    field: field::ATTESTATION_OBJECT,
                }
            } else {
                malformed("not well-formed CBOR")
            }
        })?;
        let entries =
            cbor::unique_map(&value).ok_or(malformed("not a CBOR map with distinct keys"))?;
        let fmt = cbor::by_text(entries, "fmt")
            .and_then(Value::as_text)
            .ok_or(malformed("fmt missing or not text"))?;
        let fmt = REGISTERED_FORMATS
            .into_iter()
            .find(|known| *known == fmt)
            .ok_or(WebauthnError::UnsupportedAttestation {
                what: "fmt is not a registered attestation statement format",
            })?;
        let att_stmt = cbor::by_text(entries, "attStmt")
            .filter(|v| v.is_map())
            .ok_or(malformed("attStmt missing or not a map"))?
            .clone();
        let auth_data = cbor::by_text(entries, "authData")
            .and_then(Value::as_bytes)
            .ok_or(malformed("authData missing or not a byte string"))?
            .clone();
        Ok(Self {
            fmt,
            att_stmt,
            auth_data,
        })
    }

    /// Verifies the statement as the module docs say. `credential_key` is the key from the
    /// attested credential data; `client_data_hash` is SHA-256 of `clientDataJSON`.
    pub fn verify_statement(
        &self,
        credential_key: &CredentialPublicKey,
        client_data_hash: &[u8; 32],
    ) -> Result<(), WebauthnError> {
        let bad = |what| WebauthnError::Attestation { what };
        match self.fmt {
            "none" => {
                let empty = self.att_stmt.as_map().is_some_and(Vec::is_empty);
                if empty {
                    Ok(())
                } else {
                    Err(bad("format \"none\" requires an empty attStmt"))
                }
            }
            "packed" => {
                let entries = cbor::unique_map(&self.att_stmt)
                    .ok_or(bad("packed attStmt is not a map with distinct keys"))?;
                let alg = cbor::by_text(entries, "alg")
                    .and_then(cbor::as_int)
                    .ok_or(bad("packed attStmt: alg missing or not an integer"))?;
                let sig = cbor::by_text(entries, "sig")
                    .and_then(Value::as_bytes)
                    .ok_or(bad("packed attStmt: sig missing or not a byte string"))?;
                if cbor::by_text(entries, "ecdaaKeyId").is_some() {
                    return Err(WebauthnError::UnsupportedAttestation {
                        what: "ECDAA attestation",
                    });
                }
                let signer = match cbor::by_text(entries, "x5c") {
                    None => {
                        if alg != i128::from(credential_key.algorithm()) {
                            return Err(bad(
                                "packed self attestation: alg is not the credential key's",
                            ));
                        }
                        credential_key.clone()
                    }
                    Some(x5c) => {
                        let leaf = x5c
                            .as_array()
                            .and_then(|certs| certs.first())
                            .and_then(Value::as_bytes)
                            .ok_or(bad(
                                "packed attStmt: x5c is not a non-empty array of certificates",
                            ))?;
                        let key = leaf_public_key(leaf)?;
                        if alg != i128::from(key.algorithm()) {
                            return Err(bad(
                                "packed attStmt: alg does not match the attestation certificate's key",
                            ));
                        }
                        key
                    }
                };
                let mut signed = Vec::with_capacity(self.auth_data.len().saturating_add(32));
                signed.extend_from_slice(&self.auth_data);
                signed.extend_from_slice(client_data_hash);
                if signer.verify(&signed, sig) {
                    Ok(())
                } else {
                    Err(bad("packed attStmt: sig does not verify"))
                }
            }
            // Registered, not verified, not relied on (module docs).
            _ => Ok(()),
        }
    }
}

/// DER of OID 1.2.840.10045.2.1 (id-ecPublicKey), tag and length included.
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER of OID 1.2.840.10045.3.1.7 (prime256v1 / P-256).
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of OID 1.3.101.112 (id-Ed25519).
const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

const TAG_SEQUENCE: u8 = 0x30;
const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
/// `[0] EXPLICIT`, the optional version of a TBSCertificate.
const TAG_VERSION: u8 = 0xa0;

/// The subject public key of an X.509 certificate (RFC 5280 §4.1), P-256 or Ed25519.
fn leaf_public_key(der: &[u8]) -> Result<CredentialPublicKey, WebauthnError> {
    let unsupported = WebauthnError::UnsupportedAttestation {
        what: "x5c leaf certificate is not a DER certificate with a P-256 or Ed25519 key",
    };
    spki_of_certificate(der)
        .and_then(key_of_spki)
        .ok_or(unsupported)
}

/// The `SubjectPublicKeyInfo` TLV contents of a certificate: the seventh element of the
/// TBSCertificate when `version` is present, the sixth otherwise.
fn spki_of_certificate(der: &[u8]) -> Option<&[u8]> {
    let (tag, certificate, _) = tlv(der)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = tlv(certificate)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag == TAG_VERSION {
        let (tag, _, after) = tlv(rest)?;
        if tag != TAG_INTEGER {
            return None;
        }
        rest = after;
    } else if tag != TAG_INTEGER {
        return None;
    }
    // signature, issuer, validity, subject
    for _ in 0..4 {
        let (tag, _, after) = tlv(rest)?;
        if tag != TAG_SEQUENCE {
            return None;
        }
        rest = after;
    }
    let (tag, spki, _) = tlv(rest)?;
    (tag == TAG_SEQUENCE).then_some(spki)
}

/// The key in `SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey
/// BIT STRING }` (contents given).
fn key_of_spki(spki: &[u8]) -> Option<CredentialPublicKey> {
    let (tag, algorithm, rest) = tlv(spki)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (tag, bits, rest) = tlv(rest)?;
    if tag != TAG_BIT_STRING || !rest.is_empty() {
        return None;
    }
    // No unused bits in a key's BIT STRING.
    let key = bits.strip_prefix(&[0])?;
    if algorithm == [OID_EC_PUBLIC_KEY, OID_P256].concat() {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
            .ok()
            .map(CredentialPublicKey::Es256)
    } else if algorithm == OID_ED25519 {
        CredentialPublicKey::ed25519_from_bytes(key.try_into().ok()?)
    } else {
        None
    }
}

/// One DER TLV at the start of `bytes`: (tag, contents, rest). Definite, minimal lengths of up to
/// four bytes only; low tag numbers only (all that a certificate's outer structure uses).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (len_bytes, rest) = rest.split_at_checked(count)?;
        if len_bytes.first() == Some(&0) {
            return None;
        }
        let len = len_bytes.iter().try_fold(0usize, |acc, &b| {
            acc.checked_mul(256)?.checked_add(usize::from(b))
        })?;
        if len < 0x80 {
            return None;
        }
        (len, rest)
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_refuses_non_minimal_and_overlong_lengths() {
        assert_eq!(tlv(&[0x30, 0x00]), Some((0x30, &[][..], &[][..])));
        assert_eq!(tlv(&[0x30, 0x81, 0x05]), None, "non-minimal long form");
        assert_eq!(tlv(&[0x30, 0x80]), None, "indefinite length");
        assert_eq!(
            tlv(&[0x30, 0x82, 0x00, 0x80]),
            None,
            "leading zero length byte"
        );
        assert_eq!(tlv(&[0x30, 0x02, 0x01]), None, "contents run past the end");
        assert_eq!(tlv(&[0x1f, 0x00]), None, "high tag number");
    }
}
