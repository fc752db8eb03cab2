//! The master key: 32 random bytes in a file outside the databases (mode 0600), the root of the
//! vault's key hierarchy. It wraps the subjects' data keys and the blind-index root key; it never
//! touches data directly.
//!
//! File format, one line: `yinxin-master-key-v1:<base64 of 32 bytes>`.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

const PREFIX: &str = "yinxin-master-key-v1:";

/// The master key. Zeroized on drop; its `Debug` shows only the fingerprint.
pub struct MasterKey {
    bytes: Zeroizing<[u8; 32]>,
}

/// Why a master key file could not be used. Messages name the file, never the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a yinxin master key.
    #[error(
        "master key file {path} is not a yinxin master key (expected one line `{PREFIX}<base64 of 32 bytes>`)"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
    },
}

impl MasterKey {
    /// A new random key (from the operating system's generator).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        Self { bytes }
    }

    /// A key from raw bytes (tests and HSM-unwrapped keys).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut b = bytes;
        let key = Self {
            bytes: Zeroizing::new(b),
        };
        b.zeroize();
        key
    }

    /// Reads the key at `path`.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let io = |source| KeyFileError::Io {
            path: path.to_owned(),
            source,
        };
        let text = Zeroizing::new(fs::read(path).map_err(io)?);
        let key = Self::parse(&text).ok_or_else(|| KeyFileError::Malformed {
            path: path.to_owned(),
        })?;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "master key file is readable by group or others; chmod 600 it"
            );
        }
        Ok(key)
    }

    /// Parses the content of a key file; `None` if it is not one.
    pub fn parse(text: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(text).ok()?;
        let b64 = text.trim().strip_prefix(PREFIX)?;
        let raw = Zeroizing::new(STANDARD.decode(b64).ok()?);
        let arr: [u8; 32] = raw.as_slice().try_into().ok()?;
        Some(Self::from_bytes(arr))
    }

    /// Writes this key to a new file at `path` (mode 0600; refuses to overwrite), flushed to disk.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyFileError> {
        let io = |source| KeyFileError::Io {
            path: path.to_owned(),
            source,
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        let line = Zeroizing::new(format!(
            "{PREFIX}{}\n",
            STANDARD.encode(self.bytes.as_ref())
        ));
        f.write_all(line.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        sync_parent(path).map_err(io)
    }

    /// A short public identifier of the key (HKDF-derived; reveals nothing about the key).
    pub fn fingerprint(&self) -> String {
        let okm: [u8; 16] = self.derive(b"yinxin/master-key/fingerprint/v1");
        okm.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key-encryption key: derived, so the master key itself encrypts nothing.
    pub(crate) fn kek(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.derive(b"yinxin/master-key/kek/v1"))
    }

    fn derive<const N: usize>(&self, info: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        // Expanding at most 32 bytes with HKDF-SHA256 cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"yinxin"), self.bytes.as_ref()).expand(info, &mut out);
        out
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(fingerprint {})", self.fingerprint())
    }
}

/// The file a rotation writes the next key to before it replaces `path`.
pub fn pending_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".next");
    PathBuf::from(p)
}

/// Replaces `path` with `pending` atomically and makes the rename durable.
pub fn promote_pending(pending: &Path, path: &Path) -> std::io::Result<()> {
    fs::rename(pending, path)?;
    sync_parent(path)
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let k = MasterKey::generate();
        k.write_new(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            MasterKey::load(&path).unwrap().fingerprint(),
            k.fingerprint()
        );
        assert!(matches!(
            MasterKey::generate().write_new(&path),
            Err(KeyFileError::Io { .. })
        ));
    }

    #[test]
    fn malformed_files_are_named_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        for body in [
            "",
            "hello",
            "yinxin-master-key-v1:AAAA",
            "yinxin-master-key-v1:!!!",
        ] {
            fs::write(&path, body).unwrap();
            let e = MasterKey::load(&path).unwrap_err().to_string();
            assert!(e.contains(&path.display().to_string()), "{e}");
        }
    }

    #[test]
    fn debug_shows_fingerprint_only() {
        let k = MasterKey::from_bytes([9; 32]);
        let d = format!("{k:?}");
        assert!(d.contains(&k.fingerprint()));
        assert!(!d.contains("9, 9"));
        assert_ne!(
            k.fingerprint(),
            MasterKey::from_bytes([8; 32]).fingerprint()
        );
    }
}
