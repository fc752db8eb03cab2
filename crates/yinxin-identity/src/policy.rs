//! The privacy-policy versions this build knows (PRIV-1, PRIV-4). Each is published into the
//! store at start (a stored version is never edited); the newest in effect is the current one.

use sha2::{Digest, Sha256};
use yinxin_domain::account::PolicyVersion;

/// One built-in version: its metadata and the text shown to the user.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinPolicy {
    /// Version label.
    pub version: &'static str,
    /// Publication date.
    pub updated_on: &'static str,
    /// Effective date.
    pub effective_on: &'static str,
    /// Whether accounts must consent again.
    pub material: bool,
    /// The text (Markdown, zh-CN and English).
    pub text: &'static str,
}

/// Every version, oldest first.
pub const POLICIES: &[BuiltinPolicy] = &[BuiltinPolicy {
    version: "2026-11-23",
    updated_on: "2026-11-23",
    effective_on: "2026-11-23",
    material: true,
    text: include_str!("../policy/2026-11-23.md"),
}];

impl BuiltinPolicy {
    /// The stored record, with the SHA-256 of the text.
    pub fn record(&self) -> PolicyVersion {
        PolicyVersion {
            version: self.version.to_owned(),
            updated_on: self.updated_on.to_owned(),
            effective_on: self.effective_on.to_owned(),
            material: self.material,
            text_sha256: sha256_hex(self.text.as_bytes()),
        }
    }
}

/// The built-in version with this label.
pub fn builtin(version: &str) -> Option<&'static BuiltinPolicy> {
    POLICIES.iter().find(|p| p.version == version)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
