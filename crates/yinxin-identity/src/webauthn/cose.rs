//! Credential public keys as COSE_Key (RFC 9052 §7, RFC 9053 §2 and §7), and signature
//! verification with them.
//!
//! Two kinds only, the ones [`super::creation_options`] asks for:
//!
//! | alg | kty | crv | members |
//! |---|---|---|---|
//! | ES256 (-7) | EC2 (2) | P-256 (1) | x (-2) and y (-3), 32 bytes each; the point must be on the curve |
//! | EdDSA (-8) | OKP (1) | Ed25519 (6) | x (-2), 32 bytes; a valid, not small-order point |
//!
//! `alg` (3) is required (WebAuthn L3 §6.5.1 "credentialPublicKey"), as is every member above.

use ciborium::Value;
use p256::ecdsa::signature::Verifier as _;

use super::cbor;
use super::error::WebauthnError;

/// COSE algorithm identifier of ECDSA with SHA-256 on P-256.
pub const ALG_ES256: i64 = -7;
/// COSE algorithm identifier of EdDSA (here always Ed25519).
pub const ALG_EDDSA: i64 = -8;

const KEY_KTY: i64 = 1;
const KEY_ALG: i64 = 3;
const KEY_CRV: i64 = -1;
const KEY_X: i64 = -2;
const KEY_Y: i64 = -3;
const KTY_OKP: i128 = 1;
const KTY_EC2: i128 = 2;
const CRV_P256: i128 = 1;
const CRV_ED25519: i128 = 6;

/// A credential public key this verifier can check signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialPublicKey {
    /// ES256: ECDSA P-256 with SHA-256; signatures are ASN.1 DER `Ecdsa-Sig-Value`.
    Es256(p256::ecdsa::VerifyingKey),
    /// EdDSA over Ed25519; signatures are the raw 64 bytes.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl CredentialPublicKey {
    /// Parses a COSE_Key (exactly one CBOR map, nothing after it). `field` names where it came
    /// from, for refusals.
    pub fn from_cose(bytes: &[u8], field: &'static str) -> Result<Self, WebauthnError> {
        let bad = |what| WebauthnError::CoseKey { field, what };
        let value = cbor::decode_exact(bytes).map_err(|trailing| {
            if trailing {
                bad("bytes after the key")
            } else {
                bad("not well-formed CBOR")
            }
        })?;
        let entries = cbor::unique_map(&value).ok_or(bad("not a CBOR map with distinct keys"))?;
        let int = |key| cbor::by_int(entries, key).and_then(cbor::as_int);
        let alg = int(KEY_ALG).ok_or(bad("alg (3) missing or not an integer"))?;
        let kty = int(KEY_KTY).ok_or(bad("kty (1) missing or not an integer"))?;
        let alg = i64::try_from(alg).map_err(|_| bad("alg (3) out of range"))?;
        match alg {
            ALG_ES256 => {
                if kty != KTY_EC2 || int(KEY_CRV) != Some(CRV_P256) {
                    return Err(bad("ES256 needs kty EC2 (2) and crv P-256 (1)"));
                }
                let x = coordinate(entries, KEY_X).ok_or(bad("x (-2) is not 32 bytes"))?;
                let y = coordinate(entries, KEY_Y).ok_or(bad("y (-3) is not 32 bytes"))?;
                let point =
                    p256::EncodedPoint::from_affine_coordinates(&(*x).into(), &(*y).into(), false);
                p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                    .map(Self::Es256)
                    .map_err(|_| bad("(x, y) is not a point on P-256"))
            }
            ALG_EDDSA => {
                if kty != KTY_OKP || int(KEY_CRV) != Some(CRV_ED25519) {
                    return Err(bad("EdDSA needs kty OKP (1) and crv Ed25519 (6)"));
                }
                let x = coordinate(entries, KEY_X).ok_or(bad("x (-2) is not 32 bytes"))?;
                Self::ed25519_from_bytes(x).ok_or(bad("x (-2) is not a usable Ed25519 key"))
            }
            alg => Err(WebauthnError::UnsupportedAlgorithm { field, alg }),
        }
    }

    /// An Ed25519 key from its 32 bytes; `None` if not a point, or a small-order ("weak") one,
    /// for which a signature proves nothing.
    pub(crate) fn ed25519_from_bytes(x: &[u8; 32]) -> Option<Self> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(x).ok()?;
        (!key.is_weak()).then_some(Self::Ed25519(key))
    }

    /// The COSE algorithm identifier (`ALG_ES256` or `ALG_EDDSA`).
    pub fn algorithm(&self) -> i64 {
        match self {
            Self::Es256(_) => ALG_ES256,
            Self::Ed25519(_) => ALG_EDDSA,
        }
    }

    /// Whether `signature` is this key's signature of `message`. ES256 signatures are DER
    /// (WebAuthn L3 §6.5.6); high-S values are accepted, as authenticators produce them.
    /// Ed25519 uses the strict check (canonical S, no small-order R or key).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Es256(key) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            Self::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify_strict(message, &signature).is_ok()),
        }
    }
}

/// A 32-byte byte-string member of a COSE key.
fn coordinate(entries: &[(Value, Value)], key: i64) -> Option<&[u8; 32]> {
    cbor::by_int(entries, key)?
        .as_bytes()?
        .as_slice()
        .try_into()
        .ok()
}
