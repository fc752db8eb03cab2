//! Authenticated encryption of small values: the sealed-blob format shared by PI fields and
//! wrapped keys.
//!
//! Blob layout (NEVER change a published version; add a new one):
//!
//! ```text
//! [0] format version = 1
//! [1] cipher id: 1 = AES-256-GCM, 2 = SM4-GCM
//! [2..14] 96-bit random nonce
//! [14..] ciphertext || 128-bit tag
//! ```
//!
//! The associated data binds a blob to where it belongs (subject, field, purpose of the key), so a
//! blob copied to another row fails to open.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use serde::Deserialize;
use sha2::Sha256;
use zeroize::Zeroizing;

/// SM4 in Galois/Counter mode (GB/T 32907 block cipher; RFC 8998 names SM4-GCM for TLS).
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 2 + NONCE_LEN;
/// Bytes a sealed blob adds to its plaintext.
#[cfg(test)]
const OVERHEAD: usize = HEADER_LEN + 16;

/// The symmetric cipher new blobs are sealed with. Blobs name their cipher, so a vault can read
/// both whatever it writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cipher {
    /// AES-256 in GCM (the default).
    #[default]
    #[serde(rename = "aes-256-gcm")]
    Aes256Gcm,
    /// SM4 in GCM, for deployments that must use the Chinese commercial algorithms.
    Sm4Gcm,
}

impl Cipher {
    fn id(self) -> u8 {
        match self {
            Self::Aes256Gcm => 1,
            Self::Sm4Gcm => 2,
        }
    }

    fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(Self::Aes256Gcm),
            2 => Some(Self::Sm4Gcm),
            _ => None,
        }
    }

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes-256-gcm",
            Self::Sm4Gcm => "sm4-gcm",
        }
    }
}

/// A blob did not open: wrong key, wrong place, altered, or not a blob.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("sealed value failed to open")]
pub(crate) struct OpenFailed;

/// The 16-byte SM4 key derived from a 32-byte key (SM4 keys are 128 bits).
fn sm4_key(key: &[u8; 32]) -> Zeroizing<[u8; 16]> {
    let mut out = Zeroizing::new([0u8; 16]);
    // Expanding 16 bytes from a 32-byte PRK cannot fail.
    let _ = Hkdf::<Sha256>::from_prk(key).map(|h| h.expand(b"yinxin/sm4-gcm/v1", out.as_mut()));
    out
}

/// Seals `plaintext` under `key`, bound to `aad`.
pub(crate) fn seal(cipher: Cipher, key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    let n = Nonce::<U12>::from_slice(&nonce);
    let ct = match cipher {
        Cipher::Aes256Gcm => Aes256Gcm::new(key.into()).encrypt(n, payload),
        Cipher::Sm4Gcm => Sm4Gcm::new(sm4_key(key).as_ref().into()).encrypt(n, payload),
    };
    // Encryption of an in-memory buffer below GCM's 64 GiB limit does not fail.
    let ct = ct.unwrap_or_default();
    let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
    out.push(FORMAT_V1);
    out.push(cipher.id());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens a blob sealed by [`seal`] under `key` and `aad`.
pub(crate) fn open(
    key: &[u8; 32],
    aad: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenFailed> {
    let (header, ct) = blob.split_at_checked(HEADER_LEN).ok_or(OpenFailed)?;
    let [version, cipher_id, nonce @ ..] = header else {
        return Err(OpenFailed);
    };
    if *version != FORMAT_V1 || ct.len() < 16 {
        return Err(OpenFailed);
    }
    let cipher = Cipher::from_id(*cipher_id).ok_or(OpenFailed)?;
    let n = Nonce::<U12>::from_slice(nonce);
    let payload = Payload { msg: ct, aad };
    let pt = match cipher {
        Cipher::Aes256Gcm => Aes256Gcm::new(key.into()).decrypt(n, payload),
        Cipher::Sm4Gcm => Sm4Gcm::new(sm4_key(key).as_ref().into()).decrypt(n, payload),
    };
    pt.map(Zeroizing::new).map_err(|_| OpenFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: [u8; 32] = [0x42; 32];

    #[test]
    fn both_ciphers_round_trip_and_name_themselves() {
        for c in [Cipher::Aes256Gcm, Cipher::Sm4Gcm] {
            let b = seal(c, &K, b"aad", b"13800138000");
            assert_eq!(b.len(), 11 + OVERHEAD);
            assert_eq!(Cipher::from_id(b[1]), Some(c));
            assert_eq!(open(&K, b"aad", &b).unwrap().as_slice(), b"13800138000");
            assert!(!b.windows(11).any(|w| w == b"13800138000"));
        }
    }

    #[test]
    fn nonces_differ_between_seals() {
        let a = seal(Cipher::Aes256Gcm, &K, b"", b"x");
        let b = seal(Cipher::Aes256Gcm, &K, b"", b"x");
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_key_aad_or_any_flipped_bit_fails() {
        for c in [Cipher::Aes256Gcm, Cipher::Sm4Gcm] {
            let b = seal(c, &K, b"subject-a", b"secret");
            assert_eq!(open(&[0x43; 32], b"subject-a", &b), Err(OpenFailed));
            assert_eq!(open(&K, b"subject-b", &b), Err(OpenFailed));
            for i in 0..b.len() {
                let mut t = b.clone();
                t[i] ^= 1;
                assert!(
                    open(&K, b"subject-a", &t).is_err(),
                    "bit flip at {i} accepted"
                );
            }
            for n in 0..b.len() {
                assert!(
                    open(&K, b"subject-a", &b[..n]).is_err(),
                    "truncation to {n} accepted"
                );
            }
        }
    }

    #[test]
    fn sm4_gcm_matches_a_known_answer() {
        // SM4 block cipher test vector of GB/T 32907-2016 appendix A.1, through the cipher the
        // GCM mode is built on.
        use aes_gcm::aead::generic_array::GenericArray;
        use sm4::cipher::{BlockEncrypt, KeyInit as _};
        let key = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
            0x32, 0x10,
        ];
        let mut block = GenericArray::clone_from_slice(&key);
        sm4::Sm4::new(GenericArray::from_slice(&key)).encrypt_block(&mut block);
        assert_eq!(
            block.as_slice(),
            [
                0x68, 0x1e, 0xdf, 0x34, 0xd2, 0x06, 0x96, 0x5e, 0x86, 0xb3, 0xe9, 0x4f, 0x53, 0x6e,
                0x42, 0x46
            ]
        );
    }
}
