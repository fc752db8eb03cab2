//! The timestamp authority over HTTP (SIGN-1, issue 6): `POST /pki/tsa` and `GET /pki/tsa.pem`,
//! checked with `openssl ts`.

use std::path::Path;

use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use super::TestApp;

/// `openssl` with stdout and stderr together (it does not talk to the server: blocking is fine).
fn openssl<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// POSTs `body` to `/pki/tsa{query}` as `content_type`: status, content type, body.
async fn post_tsa(
    app: &TestApp,
    query: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let mut req = app
        .http
        .post(format!("{}/pki/tsa{query}", app.base))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

fn query(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let mut a = vec![
        "ts".to_string(),
        "-query".into(),
        "-data".into(),
        s(&dir.join("doc.txt")),
    ];
    a.extend(args.iter().map(|x| x.to_string()));
    a.extend(["-out".into(), s(&out)]);
    let said = openssl(&a);
    std::fs::read(&out).unwrap_or_else(|_| panic!("openssl ts -query: {said}"))
}

async fn timestamps_over_http(db: &TestDb) {
    let app = TestApp::start(db).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("doc.txt"), "电子合同 v1".as_bytes()).unwrap();
    let (st, chain, _) = app.get("/pki/chain.pem?alg=p256").await;
    assert_eq!(st, 200);
    std::fs::write(d.join("chain.pem"), chain).unwrap();
    let (st, tsa_pem, _) = app.get("/pki/tsa.pem?alg=p256").await;
    assert_eq!(st, 200, "{tsa_pem}");
    assert!(tsa_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    std::fs::write(d.join("tsa.pem"), tsa_pem).unwrap();

    // SHA-256 with certReq: verified over the data and against the query (nonce, policy).
    let q = query(d, "q.tsq", &["-sha256", "-cert"]);
    let (st, ct, body) = post_tsa(&app, "", Some("application/timestamp-query"), q).await;
    assert_eq!((st, ct.as_str()), (200, "application/timestamp-reply"));
    std::fs::write(d.join("r.tsr"), &body).unwrap();
    let (r, doc, chain_p, q_p) = (
        s(&d.join("r.tsr")),
        s(&d.join("doc.txt")),
        s(&d.join("chain.pem")),
        s(&d.join("q.tsq")),
    );
    let out = openssl(&[
        "ts", "-verify", "-data", &doc, "-in", &r, "-CAfile", &chain_p,
    ]);
    assert!(out.contains("Verification: OK"), "{out}");
    let out = openssl(&[
        "ts",
        "-verify",
        "-queryfile",
        &q_p,
        "-in",
        &r,
        "-CAfile",
        &chain_p,
    ]);
    assert!(out.contains("Verification: OK"), "{out}");
    let text = openssl(&["ts", "-reply", "-in", &r, "-text"]);
    let asked = openssl(&["ts", "-query", "-in", &q_p, "-text"]);
    let nonce = asked.lines().find(|l| l.starts_with("Nonce:")).unwrap();
    assert!(text.contains(nonce), "{nonce}: {text}");
    let serial_of = |text: &str| {
        let line = text
            .lines()
            .find(|l| l.starts_with("Serial number: 0x"))
            .unwrap()
            .to_owned();
        u64::from_str_radix(line.trim_start_matches("Serial number: 0x"), 16).unwrap()
    };
    let first = serial_of(&text);
    // Its evidence entry went into the log with its serial (issue 7 item 2): the holder gets the
    // proof bundle by the token's serial and checks that its leaf is the one computed from the
    // token alone; it verifies offline; a token over another imprint has another leaf.
    {
        use yinxin_ledger::bundle::Bundle;
        let token = yinxin_sign::timestamp::token_from_response(&body).unwrap();
        let leaf = yinxin_pki::tsa::token_leaf(&token, None).unwrap();
        let log = app.state.log.clone().unwrap();
        let at = 1_900_000_000_000;
        while log.sequence(1000, at).await.unwrap() > 0 {}
        log.sign_checkpoint(at).await.unwrap();
        let (st, b) = app
            .json(&format!("/api/v1/log/bundle?tsa_serial={first}"))
            .await;
        assert_eq!(st, 200, "{b}");
        let (_, proof) = Bundle::parse(b.to_string().as_bytes()).unwrap();
        let verifier = yinxin_ledger::note::NoteVerifier::parse(&log.vkey()).unwrap();
        let report = proof.verify(&verifier).unwrap();
        assert_eq!(report.leaf_hash, leaf, "the entry is this token's");
        let (st, _) = app
            .json(&format!("/api/v1/log/bundle?tsa_serial={}", first + 1000))
            .await;
        assert_eq!(st, 404);
        assert_eq!(report.entry.body.type_name(), "timestamp");
        assert_eq!(report.entry.time_ms % 1000, 0, "genTime is whole seconds");
        let other = yinxin_pki::tsa::timestamp_entry(
            first,
            report.entry.time_ms / 1000,
            &yinxin_pki::tsa::DEFAULT_POLICY,
            yinxin_pki::cms::DigestAlgorithm::Sha256,
            &[0u8; 32],
        )
        .encode()
        .unwrap();
        assert_ne!(yinxin_ledger::tree::leaf_hash(&other), leaf);
    }

    // Without certReq: verified with the served TSA certificate; the serial went up.
    let q = query(d, "q2.tsq", &["-sha256"]);
    let (st, _, body) = post_tsa(
        &app,
        "",
        Some("application/timestamp-query; charset=binary"),
        q,
    )
    .await;
    assert_eq!(st, 200);
    std::fs::write(d.join("r2.tsr"), &body).unwrap();
    let r2 = s(&d.join("r2.tsr"));
    let out = openssl(&[
        "ts",
        "-verify",
        "-data",
        &doc,
        "-in",
        &r2,
        "-CAfile",
        &chain_p,
        "-untrusted",
        &s(&d.join("tsa.pem")),
    ]);
    assert!(out.contains("Verification: OK"), "{out}");
    let second = serial_of(&openssl(&["ts", "-reply", "-in", &r2, "-text"]));
    assert!(second > first, "{second} after {first}");

    // SM3 goes to the SM2 TSA; `alg` chooses explicitly.
    let q = query(d, "q3.tsq", &["-sm3"]);
    let (st, _, body) = post_tsa(&app, "", Some("application/timestamp-query"), q).await;
    assert_eq!(st, 200);
    std::fs::write(d.join("r3.tsr"), &body).unwrap();
    let text = openssl(&["ts", "-reply", "-in", &s(&d.join("r3.tsr")), "-text"]);
    assert!(
        text.contains("Status: Granted.") && text.contains("SM2 Timestamp Authority"),
        "{text}"
    );
    let q = query(d, "q4.tsq", &["-sha256"]);
    let (st, _, body) = post_tsa(
        &app,
        "?alg=sm2",
        Some("application/timestamp-query"),
        q.clone(),
    )
    .await;
    assert_eq!(st, 200);
    std::fs::write(d.join("r4.tsr"), &body).unwrap();
    let text = openssl(&["ts", "-reply", "-in", &s(&d.join("r4.tsr")), "-text"]);
    assert!(
        text.contains("Hash Algorithm: sha256") && text.contains("SM2 Timestamp Authority"),
        "{text}"
    );

    // HTTP-level refusals: 400 with a JSON error naming the field.
    for (ct, qs) in [
        (Some("application/octet-stream"), ""),
        (None, ""),
        (Some("application/timestamp-query"), "?alg=ed25519"),
        (Some("application/timestamp-query"), "?alg=nope"),
    ] {
        let (st, rct, body) = post_tsa(&app, qs, ct, q.clone()).await;
        assert_eq!(st, 400, "{ct:?} {qs}");
        assert!(rct.starts_with("application/json"), "{rct}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "INVALID_INPUT", "{v}");
        let field = if qs.is_empty() { "content-type" } else { "alg" };
        assert!(v["message"].as_str().unwrap().contains(field), "{v}");
    }
    let (st, _, _) = app.get("/pki/tsa.pem?alg=ed25519").await;
    assert_eq!(st, 400);

    // Garbage as a timestamp query: a rejection (badDataFormat), HTTP 200; the server goes on.
    let (st, ct, body) = post_tsa(
        &app,
        "",
        Some("application/timestamp-query"),
        b"not a request".to_vec(),
    )
    .await;
    assert_eq!((st, ct.as_str()), (200, "application/timestamp-reply"));
    std::fs::write(d.join("bad.tsr"), &body).unwrap();
    let text = openssl(&["ts", "-reply", "-in", &s(&d.join("bad.tsr")), "-text"]);
    assert!(text.contains("Status: Rejected."), "{text}");
    assert!(
        text.contains("the data submitted has the wrong format"),
        "{text}"
    );
    let (st, _, body) = post_tsa(&app, "", Some("application/timestamp-query"), q).await;
    assert_eq!(st, 200);
    std::fs::write(d.join("after.tsr"), &body).unwrap();
    let text = openssl(&["ts", "-reply", "-in", &s(&d.join("after.tsr")), "-text"]);
    assert!(text.contains("Status: Granted."), "{text}");

    // In the OpenAPI document.
    let (st, doc, _) = app.get("/api/v1/openapi.json").await;
    assert_eq!(st, 200);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let post = &doc["paths"]["/pki/tsa"]["post"];
    assert!(
        post["requestBody"]["content"]["application/timestamp-query"].is_object(),
        "{post}"
    );
    assert!(
        post["responses"]["200"]["content"]["application/timestamp-reply"].is_object(),
        "{post}"
    );
    assert!(doc["paths"]["/pki/tsa.pem"]["get"].is_object());
}

backend_tests!(timestamps_over_http);
