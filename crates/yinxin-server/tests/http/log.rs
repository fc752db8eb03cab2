//! Issue 7 item 3 over HTTP: the evidence log's checkpoint, key, entries and proofs — each proof
//! checked against a checkpoint signed by the published key — and the refusals of requests
//! outside the tree (an index beyond it, a size of 0, `from` > `to`, …), each a 400 naming the
//! parameter, with the server still serving.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use yinxin_ledger::entry::{Commitment, Entry, EntryBody, Salt};
use yinxin_ledger::note::NoteVerifier;
use yinxin_ledger::tree;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::signing::refused;

async fn text(app: &TestApp, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn hash_of(v: &Value) -> [u8; 32] {
    let b = yinxin_domain::signing::from_hex(v.as_str().unwrap()).unwrap();
    b.try_into().unwrap()
}

fn path_of(v: &Value) -> Vec<[u8; 32]> {
    v["path"].as_array().unwrap().iter().map(hash_of).collect()
}

/// Appends `n` timestamp entries, integrates them and signs a checkpoint; its (size, root).
async fn append(app: &TestApp, n: usize, at: i64) -> (u64, [u8; 32]) {
    let log = app.state.log.clone().unwrap();
    let entries: Vec<Entry> = (0..n)
        .map(|i| Entry {
            time_ms: at + i as i64,
            body: EntryBody::Timestamp {
                token: Commitment::to(&Salt::random(), format!("token {at} {i}").as_bytes()),
            },
        })
        .collect();
    log.submit(&entries, at).await.unwrap();
    log.sequence(1000, at).await.unwrap();
    let c = log.sign_checkpoint(at).await.unwrap();
    (c.size, c.root)
}

async fn the_log_is_served_with_proofs_that_verify(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, vkey) = text(&app, "/log/key").await;
    assert_eq!(s, 200);
    let verifier = NoteVerifier::parse(vkey.trim()).unwrap();
    assert_eq!(verifier.name(), crate::LOG_ORIGIN);
    let (s, none) = text(&app, "/log/checkpoint").await;
    assert_eq!(s, 404, "{none}");

    let now = 1_800_000_000_000;
    let (size, root) = append(&app, 5, now).await;
    let (s, note) = text(&app, "/log/checkpoint").await;
    assert_eq!(s, 200);
    let c = verifier.open(&note).unwrap();
    assert_eq!(
        (c.origin.as_str(), c.size, c.root),
        (crate::LOG_ORIGIN, size, root)
    );
    assert_eq!(size, 5);

    // Each entry: its leaf hash is the RFC 6962 hash of its encoding, and its inclusion proof
    // leads to the signed root.
    for i in 0..5u64 {
        let (s, e) = app.json(&format!("/api/v1/log/entries/{i}")).await;
        assert_eq!(s, 200, "{e}");
        assert_eq!(e["type"], "timestamp");
        assert_eq!(e["time_ms"], now + i as i64);
        let bytes = STANDARD.decode(e["entry"].as_str().unwrap()).unwrap();
        assert_eq!(tree::leaf_hash(&bytes), hash_of(&e["leaf_hash"]));
        let (s, p) = app
            .json(&format!("/api/v1/log/proof/inclusion?index={i}&size=5"))
            .await;
        assert_eq!(s, 200, "{p}");
        tree::verify_inclusion(i, 5, &hash_of(&p["leaf_hash"]), &path_of(&p), &c.root).unwrap();
        // A proof for another leaf does not verify this one.
        let other = tree::leaf_hash(b"not in the log");
        assert!(tree::verify_inclusion(i, 5, &other, &path_of(&p), &c.root).is_err());
    }

    // More entries, a second checkpoint, and the consistency proof between the two.
    let (size2, _) = append(&app, 3, now + 1000).await;
    let (_, note2) = text(&app, "/log/checkpoint").await;
    let c2 = verifier.open(&note2).unwrap();
    assert_eq!((size2, c2.size), (8, 8));
    let (s, p) = app.json("/api/v1/log/proof/consistency?from=5&to=8").await;
    assert_eq!(s, 200, "{p}");
    tree::verify_consistency(5, 8, &c.root, &c2.root, &path_of(&p)).unwrap();
    assert!(tree::verify_consistency(5, 8, &c2.root, &c.root, &path_of(&p)).is_err());

    // Requests outside the tree name the parameter.
    for (path, field) in [
        ("/api/v1/log/entries/8", "index"),
        ("/api/v1/log/entries/abc", "index"),
        ("/api/v1/log/proof/inclusion?index=8&size=8", "index"),
        ("/api/v1/log/proof/inclusion?index=0&size=0", "size"),
        ("/api/v1/log/proof/inclusion?index=0&size=99", "size"),
        ("/api/v1/log/proof/inclusion?index=0", "size"),
        ("/api/v1/log/proof/inclusion?index=-1&size=2", "index"),
        ("/api/v1/log/proof/consistency?from=6&to=5", "from"),
        ("/api/v1/log/proof/consistency?from=0&to=5", "from"),
        ("/api/v1/log/proof/consistency?from=2&to=99", "to"),
        ("/api/v1/log/proof/consistency?to=5", "from"),
    ] {
        refused(&app.json(path).await, 400, "INVALID_INPUT", field);
    }
    assert_eq!(app.json("/healthz").await.0, 200);
}

/// Issue 7 item 3: a record's evidence as its owner gets it from `path` (after the log has
/// integrated and checkpointed what was queued): every bundle verifies offline with the
/// published key, the public bundle of the same leaf and the inclusion proof by leaf hash
/// agree with it. Each item's kind, salt and entry.
pub(crate) async fn owner_evidence(
    app: &TestApp,
    path: &str,
    token: &str,
) -> Vec<(String, Salt, Entry)> {
    use yinxin_ledger::bundle::Bundle;
    let log = app.state.log.clone().unwrap();
    let at = 1_900_000_000_000;
    while log.sequence(1000, at).await.unwrap() > 0 {}
    log.sign_checkpoint(at).await.unwrap();
    let verifier = NoteVerifier::parse(&log.vkey()).unwrap();
    let (s, got) = app.get_as(path, token).await;
    assert_eq!(s, 200, "{got}");
    let items = match got {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut out = Vec::new();
    for item in items {
        let text = serde_json::to_vec(&item["bundle"]).unwrap();
        let (_, proof) = Bundle::parse(&text).unwrap();
        let report = proof.verify(&verifier).unwrap();
        let leaf = yinxin_domain::signing::to_hex(&report.leaf_hash);
        let (s, public) = app
            .json(&format!("/api/v1/log/bundle?leaf_hash={leaf}"))
            .await;
        assert_eq!((s, &public), (200, &item["bundle"]));
        let size = report.checkpoint.size;
        let (s, p) = app
            .json(&format!(
                "/api/v1/log/proof/inclusion?leaf_hash={leaf}&size={size}"
            ))
            .await;
        assert_eq!((s, p["index"].as_u64()), (200, Some(report.index)), "{p}");
        let salt = yinxin_domain::signing::from_hex(item["salt"].as_str().unwrap()).unwrap();
        out.push((
            item["kind"].as_str().unwrap().to_owned(),
            Salt(salt.try_into().unwrap()),
            report.entry,
        ));
    }
    out
}

/// An evidence report (issue 7 item 4; EVID-2) as `token` gets it from `path`, after the log
/// has checkpointed what was queued, checked with tools the project did not write: `qpdf
/// --check` finds it clean, `pdfsig` finds its signature valid and the document timestamp,
/// `pdffonts` an embedded subset font; the service's own verifier says B-LTA and valid. Every
/// attachment `pdfdetach` extracts that is a proof bundle verifies offline with the log's key,
/// and `evidence.json` holds the same bundles with their salts. Returns the text (`pdftotext`)
/// and the attachments by name.
pub(crate) async fn evidence_report(
    app: &TestApp,
    path: &str,
    token: &str,
) -> (String, std::collections::BTreeMap<String, Vec<u8>>) {
    use crate::documents::{tool, verify_pdf};
    use yinxin_ledger::bundle::Bundle;
    let log = app.state.log.clone().unwrap();
    let at = 1_900_000_000_000;
    while log.sequence(1000, at).await.unwrap() > 0 {}
    log.sign_checkpoint(at).await.unwrap();
    let (status, content_type, pdf) = crate::seals::get_bytes(app, path, token).await;
    let want = if status == 200 {
        "application/pdf"
    } else {
        "application/json"
    };
    assert_eq!(content_type, want);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let (ok, out) = tool("qpdf", &["--check"], &file);
    assert!(ok && !out.contains("WARNING"), "qpdf --check: {out}");
    let (_, out) = tool("pdfsig", &[], &file);
    assert_eq!(
        out.matches("Signature Validation: Signature is Valid.")
            .count(),
        1,
        "pdfsig: {out}"
    );
    // poppler lists the document timestamp (B-LTA) as a second signature it cannot validate;
    // the service's verifier below checks it.
    assert!(
        out.contains("Signature #2:") && out.contains("Total document signed"),
        "the document timestamp: {out}"
    );
    let (ok, fonts) = tool("pdffonts", &[], &file);
    assert!(ok && fonts.contains("CID TrueType"), "{fonts}");
    let report = verify_pdf(app, pdf.clone()).await;
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["signatures"][0]["level"], "B-LTA", "{report}");
    assert!(
        report["signatures"][0]["signer"]["subject"]
            .as_str()
            .unwrap()
            .contains("Evidence Report Signer"),
        "{report}"
    );
    let (ok, out) = tool("pdftotext", &["-enc", "UTF-8"], &file);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    let saved = dir.path().join("attachments");
    std::fs::create_dir(&saved).unwrap();
    let (ok, out) = tool(
        "pdfdetach",
        &["-saveall", "-o", saved.to_str().unwrap()],
        &file,
    );
    assert!(ok, "{out}");
    let mut attachments = std::collections::BTreeMap::new();
    for f in std::fs::read_dir(&saved).unwrap() {
        let f = f.unwrap();
        attachments.insert(
            f.file_name().into_string().unwrap(),
            std::fs::read(f.path()).unwrap(),
        );
    }
    let verifier = NoteVerifier::parse(&log.vkey()).unwrap();
    let evidence: Value = serde_json::from_slice(&attachments["evidence.json"]).unwrap();
    let records = evidence["records"].as_array().unwrap();
    let proofs: Vec<&String> = attachments
        .keys()
        .filter(|n| n.ends_with(".proof.json"))
        .collect();
    assert_eq!(proofs.len(), records.len(), "{attachments:?}");
    for name in proofs {
        let (bundle, proof) = Bundle::parse(&attachments[name]).unwrap();
        proof.verify(&verifier).unwrap();
        let listed = records
            .iter()
            .find(|r| serde_json::to_value(&bundle).unwrap() == r["bundle"])
            .unwrap_or_else(|| panic!("{name} is in evidence.json"));
        assert!(name.starts_with(listed["kind"].as_str().unwrap()), "{name}");
        assert_eq!(listed["salt"].as_str().unwrap().len(), 64);
    }
    (text, attachments)
}

/// Bundles and leaf-hash lookups refuse what is not a leaf hash (400, naming it) and answer 404
/// for a hash not in the log.
async fn bundle_requests_are_checked(db: &TestDb) {
    let app = TestApp::start(db).await;
    append(&app, 2, 1_800_000_000_000).await;
    let absent = "00".repeat(32);
    for (path, status, code, field) in [
        ("/api/v1/log/bundle", 400, "INVALID_INPUT", "leaf_hash"),
        (
            "/api/v1/log/bundle?leaf_hash=xyz",
            400,
            "INVALID_INPUT",
            "leaf_hash",
        ),
        (
            "/api/v1/log/bundle?leaf_hash=abcd",
            400,
            "INVALID_INPUT",
            "leaf_hash",
        ),
        ("/api/v1/log/bundle?index=2", 400, "INVALID_INPUT", "index"),
        (
            "/api/v1/log/bundle?index=0&tsa_serial=1",
            400,
            "INVALID_INPUT",
            "leaf_hash",
        ),
        (
            "/api/v1/log/bundle?tsa_serial=18446744073709551615",
            400,
            "INVALID_INPUT",
            "tsa_serial",
        ),
        (
            "/api/v1/log/bundle?tsa_serial=7",
            404,
            "NOT_FOUND",
            "tsa_serial",
        ),
        (
            &format!("/api/v1/log/bundle?leaf_hash={absent}"),
            404,
            "NOT_FOUND",
            "leaf_hash",
        ),
        (
            &format!("/api/v1/log/proof/inclusion?leaf_hash={absent}&size=2"),
            404,
            "NOT_FOUND",
            "leaf_hash",
        ),
        (
            &format!("/api/v1/log/proof/inclusion?index=0&leaf_hash={absent}&size=2"),
            400,
            "INVALID_INPUT",
            "leaf_hash",
        ),
    ] {
        refused(&app.json(path).await, status, code, field);
    }
    assert_eq!(app.json("/healthz").await.0, 200);
}

backend_tests!(
    the_log_is_served_with_proofs_that_verify,
    bundle_requests_are_checked
);
