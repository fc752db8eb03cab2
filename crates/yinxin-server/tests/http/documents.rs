//! Issue 6 items 5 and 8 over HTTP: documents uploaded, signed by a person (with intent, their
//! signature image on the page) and then sealed by an enterprise (a cross-page seal), raised to
//! B-LTA; every signature intact by the service's verifier, `pdfsig` and `qpdf --check`; one byte
//! changed breaks it in both. Refusals: not a PDF, truncated, encrypted, a page that does not
//! exist, a rectangle off the page, no intent, no seal authorization, a location without the
//! permission — each a 4xx naming the field, and the server keeps serving.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::certificates::verified_person;
use crate::idv::{clean_person, fixtures};
use crate::signing::{refused, sealing_enterprise, sms_intent};

/// A PDF of `n` A4 pages (classic xref table).
pub(crate) fn pdf_of_pages(n: usize) -> Vec<u8> {
    yinxin_sign::pdf::text_document(
        &(1..=n)
            .map(|i| format!("BT /F1 12 Tf 72 720 Td (page {i}) Tj ET"))
            .collect::<Vec<_>>(),
    )
}

pub(crate) async fn upload(app: &TestApp, token: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{}/api/v1/documents", app.base))
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn content(app: &TestApp, token: &str, id: &str) -> (u16, Vec<u8>) {
    content_of(app, token, &format!("/api/v1/documents/{id}/content")).await
}

/// The bytes at `path` (a PDF), with the status.
pub(crate) async fn content_of(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

pub(crate) async fn verify_pdf(app: &TestApp, pdf: Vec<u8>) -> Value {
    let r = app
        .http
        .post(format!("{}/api/v1/verify/pdf", app.base))
        .header("content-type", "application/pdf")
        .body(pdf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

pub(crate) fn tool(cmd: &str, args: &[&str], file: &Path) -> (bool, String) {
    let out = Command::new(cmd).args(args).arg(file).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn documents_are_signed_in_order_and_kept_to_b_lta(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let mobile = clean_person(&f)["mobile"].as_str().unwrap().to_owned();
    let (token, stranger) = verified_person(&app).await;
    let (s, cert) = app
        .post_as(
            "/api/v1/certificates",
            &token,
            &json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
        )
        .await;
    assert_eq!(s, 201, "{cert}");
    let serial = cert["serial"].as_str().unwrap().to_owned();
    let (s, image) = app
        .post_as(
            "/api/v1/signature-images",
            &token,
            &json!({"source": "style", "style": "kai"}),
        )
        .await;
    assert_eq!(s, 201, "{image}");
    let image_id = image["id"].as_str().unwrap().to_owned();

    // Uploads that are not PDFs one can sign are refused by name; the server goes on.
    let original = pdf_of_pages(3);
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("plain.pdf"), &original).unwrap();
    let enc = Command::new("qpdf")
        .args(["--encrypt", "user", "owner", "256", "--"])
        .arg(p("plain.pdf"))
        .arg(p("encrypted.pdf"))
        .output()
        .unwrap();
    assert!(enc.status.success(), "{enc:?}");
    let encrypted = std::fs::read(p("encrypted.pdf")).unwrap();
    for (body, why) in [
        (b"just some text".to_vec(), "not a PDF"),
        (original[..original.len() / 2].to_vec(), "truncated"),
        (encrypted, "not supported"),
    ] {
        let got = upload(&app, &token, body).await;
        refused(&got, 400, "INVALID_INPUT", "body");
        assert!(
            got.1["message"].as_str().unwrap().contains(why),
            "{why}: {}",
            got.1
        );
    }
    let r = app
        .http
        .post(format!("{}/api/v1/documents", app.base))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(original.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let (s, doc) = upload(&app, &token, original.clone()).await;
    assert_eq!(s, 201, "{doc}");
    assert_eq!(doc["pages"], 3);
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    let sha256 = doc["sha256"].as_str().unwrap().to_owned();
    // The owner's only.
    assert_eq!(content(&app, &stranger, &doc_id).await.0, 404);
    assert_eq!(
        app.get_as(&format!("/api/v1/documents/{doc_id}"), &stranger)
            .await
            .0,
        404
    );
    assert_eq!(
        content(&app, &token, &doc_id).await,
        (200, original.clone())
    );

    let sign_path = format!("/api/v1/documents/{doc_id}/signatures");
    let visible = |intent: Option<&str>| {
        let mut b = json!({"certificate": serial, "signature_image": image_id,
            "page": 1, "rect": [350, 80, 530, 160], "reason": "同意"});
        if let Some(i) = intent {
            b["intent_id"] = json!(i);
        }
        b
    };
    // No intent: refused.
    refused(
        &app.post_as(&sign_path, &token, &visible(None)).await,
        403,
        "INTENT_REQUIRED",
        "intent_id",
    );
    // An intent for another digest does not sign this document.
    let wrong = sms_intent(
        &app,
        &token,
        &mobile,
        &json!({"certificate": serial, "digest_algorithm": "sha256", "digest": "00".repeat(32), "method": "sms"}),
    )
    .await;
    refused(
        &app.post_as(&sign_path, &token, &visible(Some(&wrong)))
            .await,
        403,
        "INTENT_REQUIRED",
        "digest",
    );
    let intent = sms_intent(
        &app,
        &token,
        &mobile,
        &json!({"certificate": serial, "digest_algorithm": "sha256", "digest": sha256, "method": "sms"}),
    )
    .await;
    // Placement refusals name the field, and leave the intent usable.
    for (patch, field) in [
        (json!({"page": 9}), "page"),
        (json!({"rect": [500, 80, 700, 160]}), "rect"),
        (json!({"rect": [300, 200, 100, 100]}), "rect"),
        (json!({"signature_image": "nope"}), "signature_image"),
        (json!({"level": "B-Z"}), "level"),
        (json!({"appearance": "cross_page_seal"}), "appearance"),
        (json!({"bogus": 1}), "bogus"),
    ] {
        let mut body = visible(Some(&intent));
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        refused(
            &app.post_as(&sign_path, &token, &body).await,
            400,
            "INVALID_INPUT",
            field,
        );
    }
    // A location is written only with the location permission on.
    let mut located = visible(Some(&intent));
    located["location"] = json!("北京市海淀区");
    refused(
        &app.post_as(&sign_path, &token, &located).await,
        403,
        "FORBIDDEN",
        "location",
    );
    // Another account can neither see the document nor sign it.
    refused(
        &app.post_as(&sign_path, &stranger, &visible(Some(&intent)))
            .await,
        404,
        "NOT_FOUND",
        "document",
    );

    // The person signs at B-T, their signature image on page 1.
    let (s, first) = app
        .post_as(&sign_path, &token, &visible(Some(&intent)))
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["level"], "B-T");
    assert_eq!(first["document"]["parent"].as_str(), Some(doc_id.as_str()));
    let v1 = first["document"]["id"].as_str().unwrap().to_owned();
    // The intent is used up.
    refused(
        &app.post_as(&sign_path, &token, &visible(Some(&intent)))
            .await,
        403,
        "INTENT_REQUIRED",
        "used already",
    );
    // An expired confirmation for exactly this document is refused too (issue 6 acceptance).
    let expired = crate::signing::expired_intent(&app, db, &token, &serial, &original).await;
    refused(
        &app.post_as(&sign_path, &token, &visible(Some(&expired)))
            .await,
        403,
        "INTENT_REQUIRED",
        "expired",
    );

    // The enterprise seals next, across the pages, to B-LTA — with its own authorization.
    let (ent, eserial, seal_id) = sealing_enterprise(&app, &f, &token, "p256").await;
    let v1_path = format!("/api/v1/documents/{v1}/signatures");
    let sealing = json!({"certificate": eserial, "enterprise": ent, "seal": seal_id,
        "purpose": "contract_signing", "appearance": "cross_page_seal", "page": 1,
        "rect": [0, 300, 120, 420], "level": "B-LTA"});
    refused(
        &app.post_as(&v1_path, &token, &sealing).await,
        403,
        "FORBIDDEN",
        "seal",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (s, grant) = app
        .post_as(
            &format!("/api/v1/enterprises/{ent}/seals/{seal_id}/authorizations"),
            &token,
            &json!({"agent_username": "idv1", "purposes": ["contract_signing"], "valid_until": now + 86_400}),
        )
        .await;
    assert_eq!(s, 201, "{grant}");
    refused(
        &app.post_as(&v1_path, &token, &sealing).await,
        403,
        "INTENT_REQUIRED",
        "intent_id",
    );
    let (_, v1_info) = app.get_as(&format!("/api/v1/documents/{v1}"), &token).await;
    let seal_intent = sms_intent(
        &app,
        &token,
        &mobile,
        &json!({"certificate": eserial, "enterprise": ent, "seal": seal_id, "purpose": "contract_signing",
            "digest_algorithm": "sha256", "digest": v1_info["sha256"], "method": "sms"}),
    )
    .await;
    let mut body = sealing.clone();
    body["intent_id"] = json!(seal_intent);
    let (s, second) = app.post_as(&v1_path, &token, &body).await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["level"], "B-LTA");
    let v2 = second["document"]["id"].as_str().unwrap().to_owned();
    let (s, signed) = content(&app, &token, &v2).await;
    assert_eq!(s, 200);
    assert!(signed.starts_with(&original), "incremental updates only");
    // B-LT put the CA's OCSP response for the seal's certificate in /DSS: OpenSSL reads it as
    // a successful response saying "good" for that serial.
    {
        use yinxin_sign::pdf::{Document, Limits, Object, decode};
        let doc = Document::parse(&signed).unwrap();
        let dss = doc
            .dict(doc.catalog().unwrap().get(b"DSS").unwrap(), "dss")
            .unwrap();
        let Object::Array(ocsps) = doc.resolve(dss.get(b"OCSPs").unwrap()).unwrap() else {
            panic!("/OCSPs is not an array");
        };
        assert_eq!(ocsps.len(), 1);
        let Object::Stream(st) = doc.resolve(&ocsps[0]).unwrap() else {
            panic!("an OCSP entry that is not a stream");
        };
        std::fs::write(p("dss-ocsp.der"), decode(&st, &Limits::default()).unwrap()).unwrap();
        let (ok, out) = tool(
            "openssl",
            &["ocsp", "-noverify", "-resp_text", "-respin"],
            &p("dss-ocsp.der"),
        );
        assert!(ok, "openssl ocsp: {out}");
        assert!(out.contains("Response Status: successful"), "{out}");
        assert!(out.contains("Cert Status: good"), "{out}");
        assert!(
            out.to_ascii_lowercase()
                .contains(&format!("serial number: {}", eserial.to_ascii_lowercase())),
            "{out}"
        );
    }
    // A relying party without the service's records (offline, `yinxin verify pdf`) reads the
    // seal's status from that response, its signature checked against the issuing CA; the
    // person's signature, made before B-LT was asked for, has none of its own but the CA's
    // CRL in the same /DSS speaks of it (issue 6 item 7).
    {
        use yinxin_server::verify::{Trust, finish, pdf_report};
        let ca = app.state.ca.as_ref().unwrap();
        let trust = Trust {
            anchors: ca.trust_anchors(),
            intermediates: Vec::new(),
        };
        let offline = finish(pdf_report(&signed, &trust).unwrap(), &[]);
        let source = |i: usize| {
            let r = &offline.signatures[i].revocation;
            (r.source.as_str(), r.status.as_str())
        };
        assert_eq!(source(1), ("dss_ocsp", "good"));
        assert_eq!(source(0), ("dss_crl", "good"));
        // The OCSP response is made after the seal's timestamp: it covers the signing time.
        assert_eq!(offline.signatures[1].revocation.at_signing_time, "good");
        assert!(offline.valid);
    }

    // Every signature intact, by the service's verifier…
    let report = verify_pdf(&app, signed.clone()).await;
    assert_eq!(report["valid"], true, "{report}");
    let sigs = report["signatures"].as_array().unwrap();
    assert_eq!(
        sigs.len(),
        3,
        "two signatures and the document timestamp: {report}"
    );
    assert_eq!(sigs[0]["signer"]["serial"].as_str(), Some(serial.as_str()));
    assert_eq!(sigs[1]["signer"]["serial"].as_str(), Some(eserial.as_str()));
    assert_eq!(sigs[2]["kind"], "document_timestamp", "{report}");
    assert!(sigs.iter().all(|s| s["integrity"] == true), "{report}");
    assert_eq!(sigs[1]["level"], "B-LTA", "{report}");
    // …by pdfsig and qpdf.
    std::fs::write(p("signed.pdf"), &signed).unwrap();
    let (ok, out) = tool("qpdf", &["--check"], &p("signed.pdf"));
    assert!(ok, "qpdf --check: {out}");
    // poppler 22.12 validates the two CAdES signatures; it does not implement ETSI.RFC3161
    // document timestamps ("Unable to validate this type of signature"): ours checks that one.
    let (_, out) = tool("pdfsig", &[], &p("signed.pdf"));
    assert_eq!(
        out.matches("Signature Validation: Signature is Valid.")
            .count(),
        2,
        "pdfsig: {out}"
    );
    assert!(
        out.contains("Signature #3:") && out.contains("Total document signed"),
        "pdfsig: {out}"
    );

    // One byte of the first signed range changed: both verifiers say so.
    let mut tampered = signed.clone();
    let at = original.len() / 2;
    tampered[at] ^= 0x01;
    let report = verify_pdf(&app, tampered.clone()).await;
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["signatures"][0]["integrity"], false, "{report}");
    std::fs::write(p("tampered.pdf"), &tampered).unwrap();
    let (_, out) = tool("pdfsig", &[], &p("tampered.pdf"));
    assert!(out.contains("Digest Mismatch"), "pdfsig: {out}");
    assert!(
        out.matches("Signature is Valid.").count() < 2,
        "pdfsig: {out}"
    );

    // Both signatures are recorded with their intents, documents and (the seal's) authorization.
    let (_, list) = app.get_as("/api/v1/signing/signatures", &token).await;
    let list = list.as_array().unwrap();
    let pades: Vec<&Value> = list.iter().filter(|r| r["format"] == "pades").collect();
    assert_eq!(pades.len(), 2, "{list:?}");
    assert!(
        pades
            .iter()
            .any(|r| r["document"] == v1.as_str() && r["intent"] == intent.as_str())
    );
    assert!(pades.iter().any(|r| r["document"] == v2.as_str()
        && r["intent"] == seal_intent.as_str()
        && r["seal_authorization"] == grant["id"]));

    // With the location permission on, the location the signer marks is written (/Location).
    let (s, perm) = app
        .send_as(
            app.http
                .put(format!("{}/api/v1/me/permissions/location", app.base))
                .json(&json!({"granted": true})),
            &token,
        )
        .await;
    assert_eq!(s, 200, "{perm}");
    let (_, v2_info) = app.get_as(&format!("/api/v1/documents/{v2}"), &token).await;
    let located_intent = sms_intent(
        &app,
        &token,
        &mobile,
        &json!({"certificate": serial, "digest_algorithm": "sha256", "digest": v2_info["sha256"], "method": "sms"}),
    )
    .await;
    let (s, third) = app
        .post_as(
            &format!("/api/v1/documents/{v2}/signatures"),
            &token,
            &json!({"certificate": serial, "intent_id": located_intent, "location": "Beijing Haidian",
                "level": "B-B"}),
        )
        .await;
    assert_eq!(s, 201, "{third}");
    let (_, bytes) = content(&app, &token, third["document"]["id"].as_str().unwrap()).await;
    let tail = String::from_utf8_lossy(&bytes[signed.len()..]).into_owned();
    assert!(tail.contains("/Location (Beijing Haidian)"), "{tail}");
    assert!(!String::from_utf8_lossy(&signed).contains("/Location"));
    assert_eq!(app.json("/healthz").await.0, 200);
}

backend_tests!(documents_are_signed_in_order_and_kept_to_b_lta);
