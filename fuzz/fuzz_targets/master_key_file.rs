//! The master key file parser (`yinxin_privacy::master_key::MasterKey::parse`).
//!
//! File format (module docs and `write_new`): one line `yinxin-master-key-v1:<base64 of 32 bytes>`.
//!
//! Checked for every input: `parse` does not panic, is deterministic, and accepts exactly the inputs
//! of that format — UTF-8 whose trimmed text is the prefix followed by the canonical standard
//! base64 of 32 bytes (checked against an independent decoding). For an accepted input:
//!
//! - the key is the decoded 32 bytes (same fingerprint as `MasterKey::from_bytes`);
//! - the text `write_new` writes for it, and `load` of a file written by `write_new`, give the
//!   same fingerprint (so what the parser accepts survives a save and a reload);
//! - surrounding whitespace does not matter;
//! - the fingerprint is 32 lower-case hex digits and `Debug` shows it, never the key text.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use yinxin_privacy::master_key::MasterKey;

const PREFIX: &str = "yinxin-master-key-v1:";

/// The key bytes an input must decode to, by an implementation independent of `parse`'s.
fn expected(data: &[u8]) -> Option<[u8; 32]> {
    let text = std::str::from_utf8(data).ok()?;
    let b64 = text.trim().strip_prefix(PREFIX)?;
    // Standard alphabet, padded: 32 bytes are exactly 43 characters and one '='.
    if b64.len() != 44 || !b64.ends_with('=') {
        return None;
    }
    let raw = STANDARD.decode(b64).ok()?;
    let raw: [u8; 32] = raw.try_into().ok()?;
    // Canonical: the last character carries no stray low bits.
    (STANDARD.encode(raw) == b64).then_some(raw)
}

/// Where `write_new` may create its file: tmpfs when there is one (it syncs to disk).
fn scratch_file() -> PathBuf {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    static N: AtomicU64 = AtomicU64::new(0);
    let base = BASE.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            shm.to_owned()
        } else {
            std::env::temp_dir()
        }
    });
    base.join(format!(
        "yinxin-fuzz-master-key-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fuzz_target!(|data: &[u8]| {
    let parsed = MasterKey::parse(data);
    let again = MasterKey::parse(data);
    assert_eq!(
        parsed.as_ref().map(MasterKey::fingerprint),
        again.as_ref().map(MasterKey::fingerprint),
        "parse is not deterministic"
    );

    let reference = expected(data);
    assert_eq!(
        parsed.is_some(),
        reference.is_some(),
        "parse accepted={} but the file format says {}: {:?}",
        parsed.is_some(),
        reference.is_some(),
        String::from_utf8_lossy(data)
    );
    let (Some(key), Some(raw)) = (parsed, reference) else {
        return;
    };

    let fp = key.fingerprint();
    assert_eq!(
        fp,
        MasterKey::from_bytes(raw).fingerprint(),
        "wrong key bytes"
    );
    assert!(
        fp.len() == 32 && fp.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "fingerprint {fp:?} is not 32 lower-case hex digits"
    );

    let b64 = STANDARD.encode(raw);
    let dbg = format!("{key:?}");
    assert!(
        dbg.contains(&fp) && !dbg.contains(&b64),
        "Debug shows {dbg:?}"
    );

    // The canonical line, and the same with other surrounding whitespace.
    let line = format!("{PREFIX}{b64}\n");
    for text in [line.clone(), format!(" \t\r\n{PREFIX}{b64}\r\n\n")] {
        let k = MasterKey::parse(text.as_bytes()).expect("canonical line must parse");
        assert_eq!(
            k.fingerprint(),
            fp,
            "canonical line {text:?} gives another key"
        );
    }

    // Through the real writer and loader.
    let path = scratch_file();
    key.write_new(&path).expect("write_new");
    let written = std::fs::read(&path).expect("read back");
    let loaded = MasterKey::load(&path).expect("load what write_new wrote");
    let _ = std::fs::remove_file(&path);
    assert_eq!(written, line.as_bytes(), "write_new wrote another format");
    assert_eq!(loaded.fingerprint(), fp, "write_new + load changed the key");
});
