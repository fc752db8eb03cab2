//! Checkpoints in the C2SP `tlog-checkpoint` format, signed as C2SP `signed-note`s with Ed25519
//! (EVID-1): what the log publishes and what a user, court or auditor checks offline.
//!
//! ```text
//! <origin>\n
//! <tree size, decimal>\n
//! <root hash, base64>\n
//! \n
//! — <key name> <base64(key ID (4 bytes) || Ed25519 signature (64 bytes))>\n
//! ```
//!
//! The signature is over the note text (the three lines, final newline included). The key ID is
//! `SHA-256(key name || 0x0A || 0x01 || public key)[:4]`; the verifier key is published as
//! `<name>+<key ID, 8 hex digits>+<base64(0x01 || public key)>` (the vkey format).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use yinxin_crypto::{KeyAlgorithm, Signer};
use yinxin_domain::ledger::NodeHash;

/// The signed-note signature type of Ed25519.
const ED25519_TYPE: u8 = 0x01;

/// The DER SubjectPublicKeyInfo of an Ed25519 key, less its 32 key bytes (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Notes larger than this are refused before parsing (checkpoints are a few hundred bytes).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Why a note, checkpoint or key is not accepted. Names the part at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct NoteError {
    /// The part at fault (`origin`, `size`, `root`, `signature`, `key name`, `vkey`, `note`…).
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> NoteError {
    NoteError {
        field,
        reason: reason.into(),
    }
}

/// Whether `name` may be a key name or an origin: non-empty, no spaces, no `+`, no control
/// characters.
fn check_name(field: &'static str, name: &str) -> Result<(), NoteError> {
    if name.is_empty() {
        return Err(bad(field, "must not be empty"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '+')
    {
        return Err(bad(
            field,
            format!("{name:?} contains {c:?}; spaces, '+' and control characters are not allowed"),
        ));
    }
    Ok(())
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, ED25519_TYPE]);
    h.update(public);
    let d = h.finalize();
    let mut id = [0u8; 4];
    id.copy_from_slice(d.get(..4).unwrap_or(&[0; 4]));
    id
}

/// A checkpoint: the log's identity, a tree size and its root (C2SP tlog-checkpoint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (a schema-less URL, e.g. `yinxin.example/log`).
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root at that size.
    pub root: NodeHash,
}

impl Checkpoint {
    /// The note text: origin, size, base64 root, each ending in a newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Reads a note text. Extension lines after the root are refused: this log writes none.
    pub fn parse_body(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("checkpoint", "the text must end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        check_name("origin", origin)?;
        let size_line = lines
            .next()
            .ok_or_else(|| bad("size", "the tree size line is missing"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(bad(
                "size",
                format!("{size_line:?} is not a decimal number without leading zeros"),
            ));
        }
        let size: u64 = size_line
            .parse()
            .map_err(|_| bad("size", format!("{size_line:?} is too large")))?;
        let root_line = lines
            .next()
            .ok_or_else(|| bad("root", "the root hash line is missing"))?;
        let root: NodeHash = B64
            .decode(root_line)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| {
                bad(
                    "root",
                    format!("{root_line:?} is not a base64 SHA-256 hash"),
                )
            })?;
        if lines.next().is_some() {
            return Err(bad(
                "checkpoint",
                "lines after the root hash are not accepted by this log",
            ));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// The log's signing key: an Ed25519 [`Signer`] (from the KeyStore) with its key name.
#[derive(Clone)]
pub struct LogKey {
    name: String,
    public: [u8; 32],
    id: [u8; 4],
    signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogKey({})", self.vkey())
    }
}

impl LogKey {
    /// The key named `name` (C2SP: a schema-less URL; by convention the log's origin). Refuses a
    /// signer that is not Ed25519.
    pub fn new(name: &str, signer: Arc<dyn Signer>) -> Result<Self, NoteError> {
        check_name("key name", name)?;
        if signer.algorithm() != KeyAlgorithm::Ed25519 {
            return Err(bad(
                "key",
                format!(
                    "checkpoints are signed with Ed25519, not {}",
                    signer.algorithm()
                ),
            ));
        }
        let public = public_of_spki(signer.public_key_der())?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, &public),
            public,
            signer,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key to publish: `name+hex(key ID)+base64(0x01 || public key)`.
    pub fn vkey(&self) -> String {
        let mut k = vec![ED25519_TYPE];
        k.extend_from_slice(&self.public);
        format!("{}+{}+{}", self.name, hex(&self.id), B64.encode(k))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            public: self.public,
            id: self.id,
        }
    }

    /// Signs a checkpoint: the whole signed note.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, NoteError> {
        check_name("origin", &checkpoint.origin)?;
        let body = checkpoint.body();
        let sig = self
            .signer
            .sign(body.as_bytes())
            .map_err(|e| bad("signature", format!("the log key did not sign: {e}")))?;
        let mut blob = self.id.to_vec();
        blob.extend_from_slice(&sig);
        Ok(format!(
            "{body}\n\u{2014} {} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn public_of_spki(spki: &[u8]) -> Result<[u8; 32], NoteError> {
    spki.strip_prefix(&ED25519_SPKI_PREFIX[..])
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| {
            bad(
                "key",
                "the public key is not an Ed25519 SubjectPublicKeyInfo",
            )
        })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A verifier key: checks notes signed by one Ed25519 key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    public: [u8; 32],
    id: [u8; 4],
}

impl NoteVerifier {
    /// Reads a verifier key `name+hash+base64(0x01 || key)`, checking the hash against the key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("vkey", "expected name+hash+key"));
        };
        check_name("vkey", name)?;
        let key = B64
            .decode(key_b64)
            .map_err(|_| bad("vkey", "the key part is not base64"))?;
        let (&kind, public) = key
            .split_first()
            .ok_or_else(|| bad("vkey", "the key part is empty"))?;
        if kind != ED25519_TYPE {
            return Err(bad(
                "vkey",
                format!("signature type {kind:#04x} is not Ed25519 (0x01)"),
            ));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad("vkey", "an Ed25519 public key is 32 bytes"))?;
        let id = key_id(name, &public);
        if id_hex.len() != 8 || !id_hex.eq_ignore_ascii_case(&hex(&id)) {
            return Err(bad(
                "vkey",
                format!("the hash {id_hex:?} does not match the name and key"),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            public,
            id,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the note's signature by this key and reads its checkpoint. Signatures by other
    /// keys are ignored (C2SP); a note with none by this key, or a bad one, is refused.
    pub fn open(&self, note: &str) -> Result<Checkpoint, NoteError> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(bad("note", format!("larger than {MAX_NOTE_BYTES} bytes")));
        }
        if let Some(c) = note.chars().find(|c| c.is_control() && *c != '\n') {
            return Err(bad("note", format!("contains the control character {c:?}")));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("note", "no blank line before the signatures"))?;
        let text = note.get(..=split).unwrap_or_default();
        let sigs = note.get(split + 2..).unwrap_or_default();
        if !sigs.ends_with('\n') || sigs.len() < 2 {
            return Err(bad(
                "signature",
                "the signature lines must end in a newline",
            ));
        }
        let mut verified = false;
        for line in sigs.trim_end_matches('\n').split('\n') {
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| bad("signature", "a signature line starts with '— '"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad("signature", "a signature line is '— name signature'"))?;
            let blob = B64
                .decode(b64)
                .map_err(|_| bad("signature", "the signature is not base64"))?;
            if blob.len() < 5 {
                return Err(bad("signature", "the signature is too short"));
            }
            let (id, sig) = blob.split_at(4);
            if name != self.name || id != self.id {
                continue; // another key's signature (a witness's, say): not ours to judge.
            }
            let mut spki = ED25519_SPKI_PREFIX.to_vec();
            spki.extend_from_slice(&self.public);
            yinxin_crypto::verify::verify_signature(
                &spki,
                KeyAlgorithm::Ed25519.signature_oid(),
                text.as_bytes(),
                sig,
            )
            .map_err(|_| {
                bad(
                    "signature",
                    format!("the signature by {name} does not verify"),
                )
            })?;
            verified = true;
        }
        if !verified {
            return Err(bad(
                "signature",
                format!("the note carries no signature by {}", self.name),
            ));
        }
        Checkpoint::parse_body(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use yinxin_crypto::software::SoftwareKey;

    use super::*;

    fn key(name: &str) -> LogKey {
        LogKey::new(
            name,
            Arc::new(SoftwareKey::generate(KeyAlgorithm::Ed25519).unwrap()),
        )
        .unwrap()
    }

    fn cp() -> Checkpoint {
        Checkpoint {
            origin: "yinxin.test/log".into(),
            size: 8,
            root: [7; 32],
        }
    }

    #[test]
    fn a_signed_checkpoint_has_the_c2sp_shape_and_opens() {
        let k = key("yinxin.test/log");
        let note = k.sign(&cp()).unwrap();
        let lines: Vec<&str> = note.split('\n').collect();
        assert_eq!(lines.first(), Some(&"yinxin.test/log"));
        assert_eq!(lines.get(1), Some(&"8"));
        assert_eq!(lines.get(2), Some(&B64.encode([7u8; 32]).as_str()));
        assert_eq!(lines.get(3), Some(&""));
        assert!(lines.get(4).unwrap().starts_with("— yinxin.test/log "));
        // 4-byte key ID + 64-byte signature.
        let sig = lines.get(4).unwrap().rsplit(' ').next().unwrap();
        assert_eq!(B64.decode(sig).unwrap().len(), 68);
        let v = NoteVerifier::parse(&k.vkey()).unwrap();
        assert_eq!(v, k.verifier());
        assert_eq!(v.open(&note).unwrap(), cp());
    }

    #[test]
    fn the_key_id_is_the_c2sp_one() {
        // SHA-256("a" || 0x0A || 0x01 || 32 zero bytes)[:4], computed independently:
        // python3 -c 'import hashlib;print(hashlib.sha256(b"a\n\x01"+bytes(32)).hexdigest()[:8])'
        assert_eq!(hex(&key_id("a", &[0; 32])), "a5269a0a");
    }

    #[test]
    fn a_forged_or_foreign_note_is_refused() {
        let k = key("yinxin.test/log");
        let note = k.sign(&cp()).unwrap();
        let v = k.verifier();
        let forged = note.replacen("\n8\n", "\n9\n", 1);
        assert_eq!(v.open(&forged).unwrap_err().field, "signature");
        let other = key("yinxin.test/log");
        assert_eq!(other.verifier().open(&note).unwrap_err().field, "signature");
        // Another key's extra line is ignored; ours still verifies.
        let cosigned = format!("{note}\u{2014} witness.test AAAAAAAAAAA=\n");
        assert_eq!(v.open(&cosigned).unwrap(), cp());
    }

    #[test]
    fn bad_parts_are_named() {
        let e = |t: &str| Checkpoint::parse_body(t).unwrap_err().field;
        assert_eq!(e("a b\n1\nAAAA\n"), "origin");
        assert_eq!(e("o\n01\nAAAA\n"), "size");
        assert_eq!(e("o\n-1\nAAAA\n"), "size");
        assert_eq!(e("o\n1\nAAAA\n"), "root");
        assert_eq!(e("o\n1\n"), "root");
        assert!(
            LogKey::new(
                "has space",
                Arc::new(SoftwareKey::generate(KeyAlgorithm::Ed25519).unwrap())
            )
            .is_err()
        );
        let p256 = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        assert_eq!(LogKey::new("n", p256).unwrap_err().field, "key");
        let k = key("n");
        let vk = k.vkey();
        let tampered = vk.replacen("n+", "m+", 1);
        assert_eq!(NoteVerifier::parse(&tampered).unwrap_err().field, "vkey");
        assert_eq!(NoteVerifier::parse("n+1234").unwrap_err().field, "vkey");
    }
}
