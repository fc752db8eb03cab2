//! The certificate authority through HTTP (CERT-1, CERT-2, CERT-3, CERT-5): identity first,
//! issuance from a PKCS#10 request checked by OpenSSL or with a hosted key, event certificates,
//! renewal, the public query with PI masked (the holder sees the certificate), revocation by the
//! holder only, and the CRL at once.

use std::process::Command;

use serde_json::json;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::idv::{
    carrier, clean_person, consent_to, fixtures, registered_enterprise, signed_up_as, verify,
};

/// A PEM request made by `openssl req` with a fresh key of `kind` (`p256`, `sm2`, `rsa1024`).
pub(crate) fn openssl_csr(dir: &std::path::Path, kind: &str) -> String {
    let key = dir.join(format!("{kind}.key"));
    let csr = dir.join(format!("{kind}.csr"));
    let gen_args: Vec<&str> = match kind {
        "p256" => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "sm2" => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"],
        "rsa1024" => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        other => panic!("no key kind {other}"),
    };
    let out = Command::new("openssl")
        .arg("genpkey")
        .args(&gen_args)
        .arg("-out")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut req = Command::new("openssl");
    req.args([
        "req",
        "-new",
        "-subj",
        "/CN=Someone Else/serialNumber=110105194912310021",
    ])
    .arg("-key")
    .arg(&key)
    .arg("-out")
    .arg(&csr);
    if kind == "sm2" {
        req.args(["-sm3", "-sigopt", "distid:1234567812345678"]);
    }
    assert!(req.status().unwrap().success());
    std::fs::read_to_string(csr).unwrap()
}

/// `openssl` in a blocking thread: it talks to the server running on this runtime.
async fn openssl_async(args: Vec<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&a)
    })
    .await
    .unwrap()
}

/// `openssl ocsp` against the server's responder for `leaf` (POST). SM2 responses are read but
/// not verified: OpenSSL 3.0's `ocsp` cannot take the SM2 distinguishing ID (docs/CA.md).
async fn ocsp_status(app: &TestApp, alg: &str, root: &str, issuing: &str, leaf: &str) -> String {
    let chain = std::fs::read_to_string(issuing).unwrap() + &std::fs::read_to_string(root).unwrap();
    let chain_path = format!("{issuing}.chain");
    std::fs::write(&chain_path, chain).unwrap();
    let mut args: Vec<String> = [
        "ocsp",
        "-issuer",
        issuing,
        "-cert",
        leaf,
        "-url",
        &format!("{}/pki/ocsp", app.base),
        "-CAfile",
        &chain_path,
        "-resp_text",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if alg == "sm2" {
        args.push("-noverify".into());
    }
    openssl_async(args).await
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn certificates_go_to_verified_persons_only(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    let dir = tempfile::tempdir().unwrap();
    let csr = openssl_csr(dir.path(), "p256");
    let body = json!({"csr": csr, "profile": "personal_signing", "algorithm": "p256"});

    // CERT-2: not verified yet, nothing issued.
    let (s, v) = app.post_as("/api/v1/certificates", &token, &body).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("IDENTITY_NOT_VERIFIED")),
        "{v}"
    );
    let (s, list) = app.get_as("/api/v1/me/certificates", &token).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(0)), "{list}");

    consent_to(&app, &token, "idv_carrier").await;
    let (s, v) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );

    // Bad requests are refused naming the field, nothing recorded.
    let weak = openssl_csr(dir.path(), "rsa1024");
    for (body, want) in [
        (
            json!({"csr": weak, "profile": "personal_signing", "algorithm": "p256"}),
            "too weak",
        ),
        (
            json!({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "profile": "personal_signing", "algorithm": "p256"}),
            "csr",
        ),
        (
            json!({"csr": csr, "profile": "personal_signing", "algorithm": "rsa9"}),
            "algorithm",
        ),
        (
            json!({"csr": csr, "profile": "root_ca", "algorithm": "p256"}),
            "profile",
        ),
    ] {
        let (s, v) = app.post_as("/api/v1/certificates", &token, &body).await;
        assert_eq!(s, 400, "{want}: {v}");
        assert!(v["message"].as_str().unwrap().contains(want), "{want}: {v}");
    }
    let (_, list) = app.get_as("/api/v1/me/certificates", &token).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");

    let (_, stranger) = app.signed_up(7).await;
    for (alg, kind) in [("p256", "p256"), ("sm2", "sm2")] {
        let csr = openssl_csr(dir.path(), kind);
        let body = json!({"csr": csr, "profile": "personal_signing", "algorithm": alg});
        let (s, cert) = app.post_as("/api/v1/certificates", &token, &body).await;
        assert_eq!(s, 201, "{cert}");
        assert_eq!(cert["status"], "good");
        let serial = cert["serial"].as_str().unwrap().to_owned();
        let leaf = dir.path().join(format!("{alg}-leaf.pem"));
        std::fs::write(&leaf, cert["certificate_pem"].as_str().unwrap()).unwrap();

        // The subject is the verified identity, not what the request claimed (CERT-2), and
        // carries no document number (CERT-4 default: keyed hash).
        let subject = openssl(&[
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8",
            "-in",
            leaf.to_str().unwrap(),
        ]);
        let name = p["name"].as_str().unwrap();
        let number = p["id_number"].as_str().unwrap();
        assert!(subject.contains(name), "{subject}");
        assert!(
            !subject.contains("Someone Else") && !subject.contains(number),
            "{subject}"
        );

        // OpenSSL accepts it under the published chain.
        let (s, chain, _) = app.get(&format!("/pki/chain.pem?alg={alg}")).await;
        assert_eq!(s, 200);
        let mut parts = chain.split_inclusive("-----END CERTIFICATE-----\n");
        let issuing = dir.path().join(format!("{alg}-issuing.pem"));
        let root = dir.path().join(format!("{alg}-root.pem"));
        std::fs::write(&issuing, parts.next().unwrap()).unwrap();
        std::fs::write(&root, parts.next().unwrap()).unwrap();
        let (i, r, l) = (
            issuing.to_str().unwrap(),
            root.to_str().unwrap(),
            leaf.to_str().unwrap(),
        );
        let out = if alg == "sm2" {
            // OpenSSL 3.0 passes the SM2 distid only to the certificate verified: link by link.
            let up = openssl(&[
                "verify",
                "-CAfile",
                r,
                "-vfyopt",
                "distid:1234567812345678",
                i,
            ]);
            assert!(up.contains(": OK"), "{up}");
            openssl(&[
                "verify",
                "-partial_chain",
                "-CAfile",
                i,
                "-vfyopt",
                "distid:1234567812345678",
                l,
            ])
        } else {
            openssl(&["verify", "-CAfile", r, "-untrusted", i, l])
        };
        assert!(out.contains(": OK"), "{alg}: {out}");

        // OCSP says good (and, for P-256, OpenSSL verifies the responder's signature).
        let status = ocsp_status(&app, alg, r, i, l).await;
        assert!(status.contains(&format!("{l}: good")), "{alg}: {status}");
        if alg == "p256" {
            assert!(status.contains("Response verify OK"), "{status}");
        }

        // Anyone can query it, PI masked; a stranger cannot revoke it.
        let (s, public) = app.json(&format!("/api/v1/certificates/{serial}")).await;
        assert_eq!(s, 200, "{public}");
        assert!(public.get("certificate_pem").is_none(), "{public}");
        let fp = cert["fingerprint_sha256"].as_str().unwrap().to_uppercase();
        let (s, by_fp) = app
            .json(&format!("/api/v1/certificates?fingerprint={fp}"))
            .await;
        assert_eq!(
            (s, by_fp["serial"].as_str()),
            (200, Some(serial.as_str())),
            "{by_fp}"
        );
        let shown = public["subject"].as_str().unwrap();
        assert!(!shown.contains(name) && !shown.contains(number), "{shown}");
        let revoke = json!({"reason": "key_compromise"});
        let path = format!("/api/v1/certificates/{serial}/revocation");
        let (s, v) = app.post_as(&path, &stranger, &revoke).await;
        assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");

        // The holder revokes; the query and the CRL say so at once; twice is a conflict.
        let (s, v) = app
            .post_as(&path, &token, &json!({"reason": "ca_compromise"}))
            .await;
        assert_eq!(s, 400, "a subscriber cannot claim a CA compromise: {v}");
        let (s, v) = app.post_as(&path, &token, &revoke).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("revoked")), "{v}");
        let (s, v) = app.post_as(&path, &token, &revoke).await;
        assert_eq!((s, v["code"].as_str()), (409, Some("CONFLICT")), "{v}");
        let (_, public) = app.json(&format!("/api/v1/certificates/{serial}")).await;
        assert_eq!(public["status"], "revoked");
        // OCSP says so at once, with the reason.
        let status = ocsp_status(&app, alg, r, i, l).await;
        assert!(status.contains(&format!("{l}: revoked")), "{alg}: {status}");
        assert!(status.contains("Reason: keyCompromise"), "{alg}: {status}");
        assert_eq!(public["revocation_reason"], "key_compromise");
        // Its evidence (issue 7 items 2, 3), for the holder only: the issuance's bundle, then
        // the revocation's, whose entry carries keyCompromise (1) and opens, with its salt, to
        // the revocation record; a stranger gets 404 as for a missing certificate.
        let evidence_path = format!("/api/v1/certificates/{serial}/evidence");
        let evidence = crate::log_routes::owner_evidence(&app, &evidence_path, &token).await;
        let kinds: Vec<&str> = evidence.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(kinds, ["certificate", "revocation"]);
        let (_, me) = app.get_as("/api/v1/me", &token).await;
        let record = format!(
            "{serial}\n{}\nkey_compromise\nholder:{}\n",
            public["revoked_at"],
            me["account_id"].as_str().unwrap()
        );
        match &evidence[1].2.body {
            yinxin_ledger::entry::EntryBody::CertificateRevoked {
                certificate,
                reason,
            } => {
                assert_eq!(*reason, 1);
                assert!(certificate.opens_to(&evidence[1].1.part(1), record.as_bytes()));
            }
            other => panic!("a revocation entry: {other:?}"),
        }
        let (s, v) = app.get_as(&evidence_path, &stranger).await;
        assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
        // Its evidence report (issue 7 item 4): the certificate, its revocation and both log
        // entries, the certificate attached as issued; for the holder only.
        let report_path = format!("/api/v1/certificates/{serial}/evidence-report");
        let (text, files) = crate::log_routes::evidence_report(&app, &report_path, &token).await;
        for want in [
            "数字证书出证报告",
            "已吊销",
            "key_compromise",
            "签发所依身份核验",
            &serial,
        ] {
            assert!(
                text.contains(want),
                "{alg}: the report lacks {want:?}: {text}"
            );
        }
        for name in [
            format!("certificate-{serial}.proof.json"),
            format!("revocation-{serial}.proof.json"),
        ] {
            assert!(files.contains_key(&name), "{name}: {:?}", files.keys());
        }
        let (_, mine) = app
            .get_as(&format!("/api/v1/certificates/{serial}"), &token)
            .await;
        let pem = mine["certificate_pem"].as_str().unwrap();
        assert_eq!(
            yinxin_pki::pem(&files[&format!("certificate-{serial}.cer")], "CERTIFICATE"),
            pem
        );
        assert!(!text.contains(number), "{alg}: the ID number in the report");
        assert_eq!(app.get_as(&report_path, &stranger).await.0, 404);
        let issuer = public["issuer"].as_str().unwrap();
        let crl = app
            .http
            .get(format!("{}/pki/crl/{issuer}.crl", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(crl.status(), 200);
        assert_eq!(crl.headers()["content-type"], "application/pkix-crl");
        let path = dir.path().join(format!("{alg}.crl"));
        std::fs::write(&path, crl.bytes().await.unwrap()).unwrap();
        let text = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-noout",
            "-text",
            "-in",
            path.to_str().unwrap(),
        ]);
        assert!(
            text.contains(&serial.to_uppercase()) && text.contains("Key Compromise"),
            "{text}"
        );
    }
    let (_, list) = app.get_as("/api/v1/me/certificates", &token).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let (s, v) = app.json("/api/v1/certificates/not-hex").await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, _) = app.json("/api/v1/certificates/00ff").await;
    assert_eq!(s, 404);
    let (s, v) = app.json("/api/v1/certificates?fingerprint=abc").await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, _, _) = app.get("/pki/crl/nope.crl").await;
    assert_eq!(s, 404);
    // CERT-5: the public query is limited per address (20 a minute in the test app). Windows are
    // clock minutes: 50 queries in a row put at least 25 into one window even if a minute turns
    // among them, so the limit is met however the clock falls.
    let mut limited = None;
    for i in 0..50 {
        let (s, v) = app.json("/api/v1/certificates/00ff").await;
        if s == 429 {
            assert_eq!(v["code"], "RATE_LIMITED", "{v}");
            limited = Some(i);
            break;
        }
        assert_eq!(s, 404, "{v}");
    }
    assert!(limited.is_some(), "50 queries in a row were never limited");
    // OCSP refusals are OCSP responses: malformedRequest for garbage, POST and GET.
    let bad = app
        .http
        .post(format!("{}/pki/ocsp", app.base))
        .header("content-type", "application/ocsp-request")
        .body(b"not der".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 200);
    assert_eq!(
        bad.bytes().await.unwrap().as_ref(),
        [0x30, 0x03, 0x0a, 0x01, 0x01]
    );
    let (s, _, _) = app.get("/pki/ocsp/%%%").await;
    assert!(s == 200 || s == 400, "{s}");
    let (s, body, _) = app.get("/pki/ocsp/bm90IGRlcg%3D%3D").await;
    assert_eq!(s, 200);
    assert_eq!(body.as_bytes(), [0x30, 0x03, 0x0a, 0x01, 0x01]);
}

/// A verified person of the simulator's fixtures, signed in: their token and the stranger's.
pub(crate) async fn verified_person(app: &TestApp) -> (String, String) {
    let f = fixtures(app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(app, 1, p).await;
    consent_to(app, &token, "idv_carrier").await;
    let (s, v) = verify(app, &token, &carrier(p)).await;
    assert_eq!(s, 201, "{v}");
    let (_, stranger) = app.signed_up(7).await;
    (token, stranger)
}

async fn hosted_keys_event_certificates_and_renewal(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (token, stranger) = verified_person(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let csr = openssl_csr(dir.path(), "p256");
    let digest = "ab".repeat(32);

    // Refusals name their field; nothing is issued.
    for (body, field) in [
        (
            json!({"profile": "personal_signing", "algorithm": "p256"}),
            "csr",
        ),
        (
            json!({"csr": csr, "hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
            "hosted_key",
        ),
        (
            json!({"hosted_key": "rsa9", "profile": "personal_signing", "algorithm": "p256"}),
            "hosted_key",
        ),
        (
            json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2"}),
            "event_digest",
        ),
        (
            json!({"csr": csr, "profile": "event", "algorithm": "p256", "event_digest": digest, "event_digest_algorithm": "sha256"}),
            "csr",
        ),
        (
            json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2", "event_digest": "abc", "event_digest_algorithm": "sm3"}),
            "event_digest",
        ),
        (
            json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2", "event_digest": digest, "event_digest_algorithm": "md5"}),
            "event_digest_algorithm",
        ),
        (
            json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2", "event_digest": digest, "event_digest_algorithm": "sm3", "validity_days": 1}),
            "validity_days",
        ),
        (
            json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2", "event_digest": digest, "event_digest_algorithm": "sm3", "validity_minutes": 1441}),
            "validity",
        ),
        (
            json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256", "event_digest": digest, "event_digest_algorithm": "sm3"}),
            "event_digest",
        ),
    ] {
        let (s, v) = app.post_as("/api/v1/certificates", &token, &body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{field}: {v}"
        );
        assert!(
            v["message"].as_str().unwrap().contains(field),
            "{field}: {v}"
        );
    }
    let (_, list) = app.get_as("/api/v1/me/certificates", &token).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    // An unverified account gets no hosted key either.
    let hosted = json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"});
    let (s, v) = app
        .post_as("/api/v1/certificates", &stranger, &hosted)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("IDENTITY_NOT_VERIFIED")),
        "{v}"
    );

    // A hosted key: the certificate is the holder's to see whole; others see the public view.
    let (s, cert) = app.post_as("/api/v1/certificates", &token, &hosted).await;
    assert_eq!(
        (s, cert["hosted_key"].as_bool()),
        (201, Some(true)),
        "{cert}"
    );
    let serial = cert["serial"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/certificates/{serial}");
    let (s, mine) = app.get_as(&path, &token).await;
    assert_eq!(
        (s, &mine["certificate_pem"]),
        (200, &cert["certificate_pem"]),
        "{mine}"
    );
    let (s, theirs) = app.get_as(&path, &stranger).await;
    assert!(
        s == 200 && theirs.get("certificate_pem").is_none(),
        "{theirs}"
    );
    let (s, public) = app.json(&path).await;
    assert!(
        s == 200 && public.get("certificate_pem").is_none(),
        "{public}"
    );
    let (s, _) = app.get_as(&path, "not-a-token").await;
    assert_eq!(s, 401);

    // Renewal: same key, linked, once; then a new own key from the newer one.
    let renewal = format!("{path}/renewal");
    let (s, v) = app
        .post_as(&renewal, &stranger, &json!({"same_key": true}))
        .await;
    assert!(s == 403 || s == 404, "{s}: {v}");
    let (s, v) = app
        .post_as(&renewal, &token, &json!({"same_key": true, "csr": csr}))
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, renewed) = app
        .post_as(&renewal, &token, &json!({"same_key": true}))
        .await;
    assert_eq!(
        (s, renewed["renews"].as_str()),
        (201, Some(serial.as_str())),
        "{renewed}"
    );
    assert_eq!(renewed["hosted_key"], true);
    // Every issuance queued its evidence with its record (issue 7 item 2): the renewal's entry
    // opens, with the salt stored beside the record, to its DER and to the serial it renews.
    {
        use base64::Engine;
        use yinxin_ledger::entry::{Entry, EntryBody, Salt};
        let log = app.state.log.clone().unwrap();
        log.sequence(1000, 1_900_000_000_000).await.unwrap();
        let new_serial = renewed["serial"].as_str().unwrap();
        let salt = Salt(
            db.stores
                .ledger
                .evidence_salt("certificate", new_serial)
                .await
                .unwrap()
                .expect("the salt beside the certificate record"),
        );
        let pem = renewed["certificate_pem"].as_str().unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut issued = 0;
        let mut found = 0;
        for i in 0..log.size().await.unwrap() {
            match Entry::decode(&log.entry(i).await.unwrap()).unwrap().body {
                EntryBody::CertificateIssued { .. } => issued += 1,
                EntryBody::CertificateRenewed {
                    certificate,
                    renews,
                } if certificate.opens_to(&salt.part(1), &der) => {
                    assert!(renews.opens_to(&salt.part(2), serial.as_bytes()));
                    found += 1;
                }
                _ => {}
            }
        }
        assert_eq!(found, 1, "the renewal's entry");
        assert!(issued >= 1, "the issuance it renews: {issued}");
    }
    let (s, v) = app
        .post_as(&renewal, &token, &json!({"same_key": true}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("CONFLICT")), "{v}");
    let newer = renewed["serial"].as_str().unwrap().to_owned();
    let (s, third) = app
        .post_as(
            &format!("/api/v1/certificates/{newer}/renewal"),
            &token,
            &json!({"csr": csr, "validity_days": 30}),
        )
        .await;
    assert_eq!(
        (s, third["hosted_key"].as_bool()),
        (201, Some(false)),
        "{third}"
    );
    assert_eq!(
        third["not_after"].as_i64().unwrap() - third["not_before"].as_i64().unwrap(),
        30 * 24 * 3600
    );

    // An event certificate: bound to its digest, never renewed; its key destroyed at the end,
    // recorded, the certificate left valid.
    let event = json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2",
        "event_digest": digest, "event_digest_algorithm": "sm3", "validity_minutes": 10});
    let (s, ev) = app.post_as("/api/v1/certificates", &token, &event).await;
    assert_eq!((s, ev["profile"].as_str()), (201, Some("event")), "{ev}");
    assert_eq!(
        ev["not_after"].as_i64().unwrap() - ev["not_before"].as_i64().unwrap(),
        600
    );
    let leaf = dir.path().join("event.pem");
    std::fs::write(&leaf, ev["certificate_pem"].as_str().unwrap()).unwrap();
    let text = openssl(&["x509", "-noout", "-text", "-in", leaf.to_str().unwrap()]);
    assert!(text.contains("2.25.3179520717.1"), "{text}");
    let ev_serial = ev["serial"].as_str().unwrap();
    let (s, v) = app
        .post_as(
            &format!("/api/v1/certificates/{ev_serial}/renewal"),
            &token,
            &json!({"same_key": true}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("CONFLICT")), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("never renewed"),
        "{v}"
    );
    let key_path = format!("/api/v1/certificates/{ev_serial}/hosted-key");
    let (s, v) = app.delete_as(&key_path, &stranger).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, done) = app.delete_as(&key_path, &token).await;
    assert_eq!(s, 200, "{done}");
    assert!(
        done["key_destroyed_at"].is_i64() && done["status"] == "good",
        "{done}"
    );
    let (s, v) = app.delete_as(&key_path, &token).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("CONFLICT")), "{v}");

    // Destroying a personal hosted key revokes its certificate; an own key has none to destroy.
    let (s, v) = app
        .delete_as(&format!("/api/v1/certificates/{newer}/hosted-key"), &token)
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["revocation_reason"].as_str()),
        (200, Some("revoked"), Some("cessation_of_operation")),
        "{v}"
    );
    let third_serial = third["serial"].as_str().unwrap();
    let (s, v) = app
        .delete_as(
            &format!("/api/v1/certificates/{third_serial}/hosted-key"),
            &token,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("CONFLICT")), "{v}");
    let (_, list) = app.get_as("/api/v1/me/certificates", &token).await;
    assert_eq!(list.as_array().map(Vec::len), Some(4), "{list}");
}

/// GET as a relying application.
async fn get_as_app(app: &TestApp, path: &str, key: &str) -> (u16, serde_json::Value) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn relying_applications_read_what_holders_allow(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (token, stranger) = verified_person(&app).await;
    let accounts = &app.state.accounts;
    let shop = accounts
        .register_relying_app(
            "shop",
            "网店",
            "某某网络科技有限公司",
            "privacy@shop.example",
            &["person.name".into()],
        )
        .await
        .unwrap();
    let bank = accounts
        .register_relying_app("bank", "Bank", "Bank Ltd", "dpo@bank.example", &[])
        .await
        .unwrap();
    // Refusals at registration name the field.
    for (id, items, field) in [
        ("Bad Id", vec![], "id"),
        ("shop", vec![], "already registered"),
        ("other", vec!["person.mobile".to_owned()], "data_items"),
    ] {
        let err = accounts
            .register_relying_app(id, "n", "l", "c", &items)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
    let (s, list) = app.json("/api/v1/relying-apps").await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(2)), "{list}");
    assert!(!list.to_string().contains("key"), "{list}");

    let issue = |body: serde_json::Value| {
        let (app, token) = (&app, &token);
        async move {
            let (s, c) = app.post_as("/api/v1/certificates", token, &body).await;
            assert_eq!(s, 201, "{c}");
            c["serial"].as_str().unwrap().to_owned()
        }
    };
    let soon = issue(json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256", "validity_days": 10})).await;
    let later =
        issue(json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}))
            .await;
    let event = issue(
        json!({"hosted_key": "sm2", "profile": "event", "algorithm": "sm2",
        "event_digest": "cd".repeat(32), "event_digest_algorithm": "sm3"}),
    )
    .await;

    let key = shop.api_key.as_str();
    let info = format!("/api/v1/relying/certificates/{soon}");
    // Nothing before the holder says they use it there; bad keys are 401.
    let (s, v) = get_as_app(&app, &info, key).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let mut altered = key.to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == 'x' { 'y' } else { 'x' });
    for bad in ["", "yxapp_nope", "Bearer x", altered.as_str()] {
        let (s, v) = get_as_app(&app, &info, bad).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (401, Some("UNAUTHENTICATED")),
            "{bad}: {v}"
        );
    }
    let uses = |serial: &str| format!("/api/v1/certificates/{serial}/uses");
    let (s, v) = app
        .post_as(&uses(&soon), &stranger, &json!({"app": "shop"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, v) = app
        .post_as(&uses(&soon), &token, &json!({"app": "nope"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    for serial in [&soon, &later, &event] {
        let (s, v) = app
            .post_as(&uses(serial), &token, &json!({"app": "shop"}))
            .await;
        assert_eq!((s, v["app"]["id"].as_str()), (201, Some("shop")), "{v}");
    }

    // The application reads what it is registered for, and nothing more.
    let (s, v) = get_as_app(&app, &info, key).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("good")), "{v}");
    assert_eq!(v["name"], p["name"], "{v}");
    assert!(v.get("document_number").is_none(), "{v}");
    let (s, _) = get_as_app(&app, &info, bank.api_key.as_str()).await;
    assert_eq!(s, 404, "another application reads nothing");

    // Renewal reminders: the certificate expiring within the window, with the holder's mobile;
    // never the event certificate (it expires within the hour), nor the one a year out.
    let (s, v) = get_as_app(
        &app,
        "/api/v1/relying/renewal-reminders?within_days=30",
        key,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let got: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["serial"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![soon.as_str()], "{v}");
    assert_eq!(v[0]["mobile"], p["mobile"], "{v}");
    let (s, v) = get_as_app(&app, "/api/v1/relying/renewal-reminders?within_days=0", key).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");

    // Every provision is in the holder's disclosure log, with its data items, never values.
    let (s, log) = app.get_as("/api/v1/me/disclosures", &token).await;
    assert_eq!(s, 200, "{log}");
    let to_apps = log["to_applications"].as_array().unwrap();
    let items = |purpose: &str| -> Vec<serde_json::Value> {
        to_apps
            .iter()
            .filter(|d| d["purpose"] == purpose)
            .map(|d| d["data_items"].clone())
            .collect()
    };
    assert_eq!(
        items("certificate_information"),
        vec![json!(["certificate.public_information", "person.name"])]
    );
    assert_eq!(
        items("renewal_reminder"),
        vec![json!(["certificate.public_information", "person.mobile"])]
    );
    assert!(
        to_apps
            .iter()
            .all(|d| d["app"] == "shop" && d["serial"] == soon.as_str()),
        "{log}"
    );
    let text = log.to_string();
    assert!(
        !text.contains(p["mobile"].as_str().unwrap())
            && !text.contains(p["name"].as_str().unwrap())
    );
    // Each provision queued its evidence entry with its record (issue 7 item 2; PRIV-7): each
    // opens, with the salt beside the record, exactly one entry of the evidence log.
    {
        let (_, me) = app.get_as("/api/v1/me", &token).await;
        let holder = me["account_id"].as_str().unwrap().parse().unwrap();
        let records = db.stores.accounts.app_disclosures_of(holder).await.unwrap();
        assert_eq!(records.len(), to_apps.len());
        let log = app.state.log.clone().unwrap();
        log.sequence(1000, 1_900_000_000_000).await.unwrap();
        let mut leaves = Vec::new();
        for i in 0..log.size().await.unwrap() {
            leaves.push(yinxin_ledger::entry::Entry::decode(&log.entry(i).await.unwrap()).unwrap());
        }
        for r in &records {
            let salt = yinxin_ledger::entry::Salt(
                db.stores
                    .ledger
                    .evidence_salt("app_disclosure", &r.id.to_string())
                    .await
                    .unwrap()
                    .expect("the salt beside the disclosure"),
            );
            let bytes = yinxin_identity::evidence::app_disclosure_bytes(r);
            let opened = leaves
                .iter()
                .filter(|e| {
                    matches!(&e.body, yinxin_ledger::entry::EntryBody::Disclosure { disclosure }
                        if disclosure.opens_to(&salt.part(1), &bytes))
                })
                .count();
            assert_eq!(opened, 1, "{r:?}");
        }
    }

    // The holder stops: the application reads nothing more.
    let stop = format!("/api/v1/certificates/{soon}/uses/shop");
    let (s, _) = app.delete_as(&stop, &token).await;
    assert_eq!(s, 204);
    let (s, _) = get_as_app(&app, &info, key).await;
    assert_eq!(s, 404);
    let (s, v) = app.delete_as(&stop, &token).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
}

/// The subject line of a PEM certificate, as OpenSSL prints it (UTF-8).
fn subject_of(dir: &std::path::Path, pem: &str) -> String {
    let path = dir.join("subject.pem");
    std::fs::write(&path, pem).unwrap();
    openssl(&[
        "x509",
        "-noout",
        "-subject",
        "-nameopt",
        "utf8",
        "-in",
        path.to_str().unwrap(),
    ])
}

async fn enterprise_certificates_name_the_verified_enterprise(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let e = f["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("note").is_none() && e["expected"]["enterprise"] == "match")
        .expect("a clean enterprise");
    let (token, stranger) = verified_person(&app).await;
    let ent = registered_enterprise(&app, &token, e).await;
    let dir = tempfile::tempdir().unwrap();
    let csr = openssl_csr(dir.path(), "p256");
    let seal = json!({"hosted_key": "p256", "profile": "enterprise_signing", "algorithm": "p256", "enterprise": ent});

    // Not verified yet; not an agent; the field missing or where it does not belong.
    let (s, v) = app.post_as("/api/v1/certificates", &token, &seal).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("IDENTITY_NOT_VERIFIED")),
        "{v}"
    );
    let (s, v) = app.post_as("/api/v1/certificates", &stranger, &seal).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    for (body, field) in [
        (
            json!({"hosted_key": "p256", "profile": "enterprise_signing", "algorithm": "p256"}),
            "enterprise",
        ),
        (
            json!({"hosted_key": "p256", "profile": "enterprise_signing", "algorithm": "p256", "enterprise": "nope"}),
            "enterprise",
        ),
        (
            json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256", "enterprise": ent}),
            "enterprise",
        ),
    ] {
        let (s, v) = app.post_as("/api/v1/certificates", &token, &body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{field}: {v}"
        );
        assert!(v["message"].as_str().unwrap().contains(field), "{v}");
    }
    consent_to(&app, &token, "idv_enterprise").await;
    let (s, v) = verify(
        &app,
        &token,
        &json!({"method": "enterprise", "enterprise_id": ent}),
    )
    .await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );

    // The enterprise's certificate: held by the enterprise, its name and credit code inside.
    let (s, cert) = app.post_as("/api/v1/certificates", &token, &seal).await;
    assert_eq!(
        (s, cert["profile"].as_str()),
        (201, Some("enterprise_signing")),
        "{cert}"
    );
    let subject = subject_of(dir.path(), cert["certificate_pem"].as_str().unwrap());
    let (name, code) = (
        e["name"].as_str().unwrap(),
        e["credit_code"].as_str().unwrap(),
    );
    assert!(
        subject.contains(name) && subject.contains(code),
        "{subject}"
    );
    // The agent's own certificate: their verified name beside the enterprise's.
    let agent =
        json!({"csr": csr, "profile": "enterprise_agent", "algorithm": "p256", "enterprise": ent});
    let (s, mine) = app.post_as("/api/v1/certificates", &token, &agent).await;
    assert_eq!(s, 201, "{mine}");
    let subject = subject_of(dir.path(), mine["certificate_pem"].as_str().unwrap());
    let person = clean_person(&f)["name"].as_str().unwrap();
    assert!(
        subject.contains(person) && subject.contains(name) && subject.contains(code),
        "{subject}"
    );

    // Who sees which: the enterprise's agents its certificates; the person theirs.
    let path = format!("/api/v1/enterprises/{ent}/certificates");
    let (s, list) = app.get_as(&path, &token).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| &c["serial"])
            .collect::<Vec<_>>(),
        vec![&cert["serial"]]
    );
    assert!(list[0]["certificate_pem"].is_string());
    let (s, v) = app.get_as(&path, &stranger).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (_, list) = app.get_as("/api/v1/me/certificates", &token).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| &c["serial"])
            .collect::<Vec<_>>(),
        vec![&mine["serial"]]
    );
    // Its agents renew and revoke the enterprise's certificate, naming the enterprise; without
    // it, or as a stranger, there is no such certificate.
    let serial = cert["serial"].as_str().unwrap();
    let (s, renewed) = app
        .post_as(
            &format!("/api/v1/certificates/{serial}/renewal"),
            &token,
            &json!({"same_key": true, "enterprise": ent}),
        )
        .await;
    assert_eq!(
        (s, renewed["renews"].as_str()),
        (201, Some(serial)),
        "{renewed}"
    );
    let (s, again) = app
        .post_as(
            &format!(
                "/api/v1/certificates/{}/renewal",
                mine["serial"].as_str().unwrap()
            ),
            &token,
            &json!({"csr": csr, "enterprise": ent}),
        )
        .await;
    assert_eq!(
        (s, again["profile"].as_str()),
        (201, Some("enterprise_agent")),
        "{again}"
    );
    let revoke = format!("/api/v1/certificates/{serial}/revocation");
    let (s, v) = app
        .post_as(&revoke, &token, &json!({"reason": "superseded"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let body = json!({"reason": "superseded", "enterprise": ent});
    let (s, v) = app.post_as(&revoke, &stranger, &body).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, v) = app.post_as(&revoke, &token, &body).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("revoked")), "{v}");
}

backend_tests!(
    enterprise_certificates_name_the_verified_enterprise,
    relying_applications_read_what_holders_allow,
    certificates_go_to_verified_persons_only,
    hosted_keys_event_certificates_and_renewal,
);
