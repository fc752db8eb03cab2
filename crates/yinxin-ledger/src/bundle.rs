//! Proof bundles (issue 7 item 3; EVID-1, EVID-2): everything needed to check, offline and
//! without trusting the service's database, that one evidence entry is in the log.
//!
//! The core is a C2SP [tlog-proof](https://c2sp.org/tlog-proof) — the text
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64 of the entry: the leaf data>
//! index <leaf index>
//! <base64 audit-path hash, leaf's sibling first, one per line>
//!
//! <the checkpoint's signed note, verbatim>
//! ```
//!
//! with the entry itself (its canonical encoding, docs/LEDGER.md) as the `extra` data, so that
//! the proof is self-contained: the verifier hashes the entry as an RFC 6962 leaf, walks the
//! audit path to the checkpoint's root and checks the checkpoint's signature with the log's
//! published key. A bundle file wraps that text in JSON with the external anchors' receipts for
//! the same checkpoint (item 5):
//!
//! ```json
//! {"format": "yinxin-evidence-bundle/v1", "tlog_proof": "c2sp.org/tlog-proof@v1\n…",
//!  "anchors": [{"anchor": "rfc3161:https://tsa.example/", "receipt": "<base64 DER>",
//!               "anchored_at": 1764000000000}],
//!  "log_key": "<the log's vkey, for information: verify with the key you trust>"}
//! ```
//!
//! Parsing is of untrusted input: bounded (a bundle of at most [`MAX_BUNDLE`] bytes, an audit
//! path of at most 64 hashes, at most [`MAX_ANCHORS`] anchors), strict (no leading zeros, no
//! unknown lines, standard padded base64), and every refusal names the part at fault.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use yinxin_domain::ledger::NodeHash;

use crate::entry::Entry;
use crate::note::{Checkpoint, NoteVerifier};
use crate::tree;

/// The first line of a tlog-proof.
pub const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The `format` of a bundle file.
pub const BUNDLE_FORMAT: &str = "yinxin-evidence-bundle/v1";

/// The largest bundle file read.
pub const MAX_BUNDLE: usize = 1 << 20;

/// The most anchor receipts a bundle may carry.
pub const MAX_ANCHORS: usize = 16;

/// An audit path is at most one hash per level of a tree of 2^64 leaves.
const MAX_PATH: usize = 64;

/// Why a bundle or proof does not hold. Names the part at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BundleError {
    /// `bundle`, `format`, `tlog_proof`, `extra`, `index`, `path`, `checkpoint`, `entry`,
    /// `inclusion`, `anchors`.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> BundleError {
    BundleError {
        field,
        reason: reason.into(),
    }
}

/// A C2SP tlog-proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// The opaque extra data: for this log, the entry (leaf data).
    pub extra: Option<Vec<u8>>,
    /// The leaf's index.
    pub index: u64,
    /// The audit path, from the leaf's sibling up.
    pub path: Vec<NodeHash>,
    /// The checkpoint's signed note, verbatim (ends in a newline).
    pub checkpoint: String,
}

impl TlogProof {
    /// The text form.
    pub fn render(&self) -> String {
        let mut out = format!("{PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", B64.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Reads the text form, strictly.
    pub fn parse(text: &str) -> Result<Self, BundleError> {
        if text.len() > MAX_BUNDLE {
            return Err(bad("tlog_proof", format!("over {MAX_BUNDLE} bytes")));
        }
        let (head, checkpoint) = text.split_once("\n\n").ok_or_else(|| {
            bad(
                "tlog_proof",
                "no empty line between the proof and the checkpoint",
            )
        })?;
        let mut lines = head.split('\n');
        if lines.next() != Some(PROOF_HEADER) {
            return Err(bad(
                "tlog_proof",
                format!("the first line must be {PROOF_HEADER}"),
            ));
        }
        let mut line = lines.next();
        let mut extra = None;
        if let Some(e) = line.and_then(|l| l.strip_prefix("extra ")) {
            extra = Some(
                B64.decode(e)
                    .map_err(|_| bad("extra", "not standard base64"))?,
            );
            line = lines.next();
        }
        let index = line
            .and_then(|l| l.strip_prefix("index "))
            .ok_or_else(|| bad("index", "the line `index <n>` is missing"))?;
        if index.is_empty()
            || !index.bytes().all(|b| b.is_ascii_digit())
            || (index.len() > 1 && index.starts_with('0'))
        {
            return Err(bad("index", "a decimal number without leading zeros"));
        }
        let index = index.parse().map_err(|_| bad("index", "beyond 64 bits"))?;
        let mut path = Vec::new();
        for (n, l) in lines.enumerate() {
            if path.len() == MAX_PATH {
                return Err(bad("path", format!("more than {MAX_PATH} hashes")));
            }
            let h = B64
                .decode(l)
                .ok()
                .and_then(|v| NodeHash::try_from(v.as_slice()).ok())
                .ok_or_else(|| {
                    bad(
                        "path",
                        format!("hash {} is not the base64 of 32 bytes", n + 1),
                    )
                })?;
            path.push(h);
        }
        if checkpoint.is_empty() {
            return Err(bad("checkpoint", "missing after the empty line"));
        }
        Ok(Self {
            extra,
            index,
            path,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Checks the proof with the log key `verifier` trusts: the checkpoint's signature, then
    /// that the entry in `extra`, hashed as a leaf, is at `index` of the checkpointed tree.
    pub fn verify(&self, verifier: &NoteVerifier) -> Result<ProofReport, BundleError> {
        let data = self.extra.as_deref().ok_or_else(|| {
            bad(
                "extra",
                "the proof carries no entry (this log's proofs carry it as extra data)",
            )
        })?;
        let checkpoint = verifier
            .open(&self.checkpoint)
            .map_err(|e| bad("checkpoint", e.to_string()))?;
        let leaf_hash = tree::leaf_hash(data);
        tree::verify_inclusion(
            self.index,
            checkpoint.size,
            &leaf_hash,
            &self.path,
            &checkpoint.root,
        )
        .map_err(|e| bad("inclusion", e.to_string()))?;
        let entry = Entry::decode(data).map_err(|e| bad("entry", e.to_string()))?;
        Ok(ProofReport {
            checkpoint,
            index: self.index,
            leaf_hash,
            entry,
        })
    }
}

/// What a verified proof shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofReport {
    /// The checkpoint, signature checked.
    pub checkpoint: Checkpoint,
    /// The leaf's index.
    pub index: u64,
    /// The leaf's hash.
    pub leaf_hash: NodeHash,
    /// The entry.
    pub entry: Entry,
}

/// An external anchor's receipt for the bundle's checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleAnchor {
    /// The anchor (`rfc3161:<url>`).
    pub anchor: String,
    /// The receipt, base64 (for RFC 3161, a TimeStampToken over SHA-256 of the signed note).
    pub receipt: String,
    /// When it was received, Unix milliseconds.
    pub anchored_at: i64,
}

/// A bundle file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The tlog-proof text.
    pub tlog_proof: String,
    /// Receipts of the checkpoint in the proof.
    pub anchors: Vec<BundleAnchor>,
    /// The log's verifier key as the service published it (for information only).
    pub log_key: String,
}

impl Bundle {
    /// Reads a bundle file — or a bare tlog-proof, as a bundle without anchors.
    pub fn parse(bytes: &[u8]) -> Result<(Self, TlogProof), BundleError> {
        if bytes.len() > MAX_BUNDLE {
            return Err(bad("bundle", format!("over {MAX_BUNDLE} bytes")));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| bad("bundle", "not UTF-8 text"))?;
        if text.starts_with(PROOF_HEADER) {
            let proof = TlogProof::parse(text)?;
            return Ok((
                Self {
                    format: BUNDLE_FORMAT.into(),
                    tlog_proof: text.to_owned(),
                    anchors: Vec::new(),
                    log_key: String::new(),
                },
                proof,
            ));
        }
        let bundle: Self = serde_json::from_str(text).map_err(|e| {
            bad(
                "bundle",
                format!("neither a tlog-proof nor a bundle's JSON ({e})"),
            )
        })?;
        if bundle.format != BUNDLE_FORMAT {
            return Err(bad(
                "format",
                format!("{:?} is not {BUNDLE_FORMAT}", bundle.format),
            ));
        }
        if bundle.anchors.len() > MAX_ANCHORS {
            return Err(bad("anchors", format!("more than {MAX_ANCHORS}")));
        }
        for (n, a) in bundle.anchors.iter().enumerate() {
            if B64.decode(&a.receipt).is_err() {
                return Err(bad(
                    "anchors",
                    format!("receipt {} is not standard base64", n + 1),
                ));
            }
        }
        let proof = TlogProof::parse(&bundle.tlog_proof)?;
        Ok((bundle, proof))
    }

    /// The file form (pretty JSON, newline at the end).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The receipts, decoded (checked by [`Bundle::parse`]).
    pub fn receipts(&self) -> Vec<(String, Vec<u8>, i64)> {
        self.anchors
            .iter()
            .filter_map(|a| {
                B64.decode(&a.receipt)
                    .ok()
                    .map(|r| (a.anchor.clone(), r, a.anchored_at))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof() -> TlogProof {
        TlogProof {
            extra: Some(vec![1, 2, 3]),
            index: 5,
            path: vec![[7u8; 32], [9u8; 32]],
            checkpoint: "log.example\n8\nAAAA\n\n— log.example abc=\n".into(),
        }
    }

    #[test]
    fn a_proof_round_trips_in_the_c2sp_shape() {
        let p = proof();
        let text = p.render();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra AQID\nindex 5\n"));
        assert!(text.contains("\n\nlog.example\n8\n"));
        assert_eq!(TlogProof::parse(&text).unwrap(), p);
        let bare = TlogProof {
            extra: None,
            path: vec![],
            ..p
        };
        assert_eq!(TlogProof::parse(&bare.render()).unwrap(), bare);
    }

    #[test]
    fn bad_proofs_name_their_part() {
        let good = proof().render();
        let cases = [
            (
                good.replacen("tlog-proof@v1", "tlog-proof@v2", 1),
                "tlog_proof",
            ),
            // Without the empty line, the checkpoint's lines are read as path hashes.
            (good.replacen("\n\n", "\n", 1), "path"),
            (good.replace("\n\n", "\n"), "tlog_proof"),
            (good.replacen("extra AQID", "extra A*ID", 1), "extra"),
            (good.replacen("index 5", "index 05", 1), "index"),
            (good.replacen("index 5", "index -5", 1), "index"),
            (
                good.replacen("index 5", "index 99999999999999999999", 1),
                "index",
            ),
            (good.replacen("index 5\n", "", 1), "index"),
            (good.replacen("index 5\n", "index 5\nAAAA\n", 1), "path"),
            (
                format!("{}\n\n", good.split("\n\n").next().unwrap()),
                "checkpoint",
            ),
        ];
        for (text, field) in cases {
            let e = TlogProof::parse(&text).unwrap_err();
            assert_eq!(e.field, field, "{text:?}: {e}");
        }
        let long = format!(
            "{PROOF_HEADER}\nindex 0\n{}\ncp\n",
            format!("{}\n", B64.encode([0u8; 32])).repeat(65)
        );
        assert_eq!(TlogProof::parse(&long).unwrap_err().field, "path");
    }

    #[test]
    fn bad_bundles_name_their_part() {
        let p = proof().render();
        let ok = Bundle {
            format: BUNDLE_FORMAT.into(),
            tlog_proof: p.clone(),
            anchors: vec![],
            log_key: String::new(),
        };
        assert_eq!(Bundle::parse(ok.to_json().as_bytes()).unwrap().0, ok);
        assert_eq!(Bundle::parse(p.as_bytes()).unwrap().1, proof());
        let wrong_format = Bundle {
            format: "other/v1".into(),
            ..ok.clone()
        };
        let bad_receipt = Bundle {
            anchors: vec![BundleAnchor {
                anchor: "rfc3161:x".into(),
                receipt: "**".into(),
                anchored_at: 0,
            }],
            ..ok.clone()
        };
        let cases: [(Vec<u8>, &str); 5] = [
            (b"{}".to_vec(), "bundle"),
            (vec![0xff, 0xfe], "bundle"),
            (wrong_format.to_json().into_bytes(), "format"),
            (bad_receipt.to_json().into_bytes(), "anchors"),
            (vec![b' '; MAX_BUNDLE + 1], "bundle"),
        ];
        for (bytes, field) in cases {
            assert_eq!(Bundle::parse(&bytes).unwrap_err().field, field);
        }
    }
}
