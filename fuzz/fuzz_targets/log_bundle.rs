//! The evidence log's proof-bundle parser and verifier (`yinxin_ledger::bundle`, issue 7 item 3):
//! `yinxin verify proof FILE` reads bundles from anyone (a court, a relying party, an attacker).
//!
//! The whole input is the file. Checked: no panic; deterministic; a refusal names one of the
//! documented parts; an accepted bare tlog-proof renders back to exactly its input (one
//! encoding per proof); an accepted bundle's proof renders back to its `tlog_proof`, its anchors
//! are at most `MAX_ANCHORS` and decode; nothing over `MAX_BUNDLE` is accepted; verification
//! against the seed log's key never panics, and when it passes the entry decodes and the leaf
//! hash is the RFC 6962 hash of the entry carried (`extra`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_ledger::bundle::{Bundle, MAX_ANCHORS, MAX_BUNDLE, PROOF_HEADER};
use yinxin_ledger::note::NoteVerifier;

/// The key of the log that made the seeds (written by the seed generator beside them).
const SEED_VKEY: &str = include_str!("log_bundle.vkey");

const PARTS: [&str; 11] = [
    "bundle",
    "format",
    "tlog_proof",
    "extra",
    "index",
    "path",
    "checkpoint",
    "entry",
    "inclusion",
    "anchors",
    "checkpoint",
];

fuzz_target!(|data: &[u8]| {
    let first = Bundle::parse(data);
    assert_eq!(first, Bundle::parse(data), "not deterministic");
    match first {
        Err(e) => assert!(PARTS.contains(&e.field), "{e}"),
        Ok((bundle, proof)) => {
            assert!(data.len() <= MAX_BUNDLE);
            assert!(bundle.anchors.len() <= MAX_ANCHORS);
            assert_eq!(bundle.receipts().len(), bundle.anchors.len());
            assert_eq!(proof.render(), bundle.tlog_proof, "two encodings of one proof");
            if data.starts_with(PROOF_HEADER.as_bytes()) {
                assert_eq!(proof.render().as_bytes(), data);
            }
            let verifier = NoteVerifier::parse(SEED_VKEY.trim()).expect("the seed key");
            match proof.verify(&verifier) {
                Ok(r) => {
                    let extra = proof.extra.as_deref().expect("verified with an entry");
                    assert_eq!(r.leaf_hash, yinxin_ledger::tree::leaf_hash(extra));
                    assert_eq!(r.entry.encode().expect("re-encodes"), extra);
                    assert_eq!(r.index, proof.index);
                }
                Err(e) => assert!(PARTS.contains(&e.field), "{e}"),
            }
        }
    }
});
