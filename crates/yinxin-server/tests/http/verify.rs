//! Verification for anyone (issue 6 item 7): `POST /api/v1/verify/pdf` and
//! `POST /api/v1/verify/cms` on signatures made with a certificate this service issued — intact,
//! chained to the service's root, revocation from the service's records — and refusals.

use std::time::SystemTime;

use base64::Engine;
use serde_json::{Value, json};
use yinxin_crypto::KeyAlgorithm;
use yinxin_crypto::software::SoftwareKey;
use yinxin_server::verify::pem_blocks;
use yinxin_sign::{cades, pades};
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use super::TestApp;
use super::certificates::{openssl_csr, verified_person};

/// A one-page PDF (classic xref table).
fn one_page_pdf() -> Vec<u8> {
    yinxin_sign::pdf::text_document(&["q Q".to_owned()])
}

async fn post_pdf(app: &TestApp, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{}/api/v1/verify/pdf", app.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

backend_tests!(signatures_by_our_certificates_are_verified_for_anyone);
async fn signatures_by_our_certificates_are_verified_for_anyone(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (token, _) = verified_person(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let csr = openssl_csr(dir.path(), "p256");
    let (s, cert) = app
        .post_as(
            "/api/v1/certificates",
            &token,
            &json!({"csr": csr, "profile": "personal_signing", "algorithm": "p256"}),
        )
        .await;
    assert_eq!(s, 201, "{cert}");
    let serial = cert["serial"].as_str().unwrap().to_owned();
    let leaf = pem_blocks(cert["certificate_pem"].as_str().unwrap(), &["CERTIFICATE"]).unwrap();
    let (_, chain, _) = app.get("/pki/chain.pem?alg=p256").await;
    let chain = pem_blocks(&chain, &["CERTIFICATE"]).unwrap();
    let key_pem = std::fs::read_to_string(dir.path().join("p256.key")).unwrap();
    let key_der = pem_blocks(&key_pem, &["PRIVATE KEY"]).unwrap();
    let key = SoftwareKey::from_pkcs8_der(KeyAlgorithm::EcdsaP256, &key_der[0]).unwrap();

    // A PAdES B-B signature with the issuing CA inside.
    let issuing = vec![chain[0].clone()];
    let request = pades::Request {
        field_name: "Signature1".into(),
        page: 1,
        rect: [0.0; 4],
        appearance: pades::Appearance::Invisible,
        signing_time: SystemTime::now(),
        reason: None,
        location: None,
        name: None,
        signer_certificate_der: &leaf[0],
        chain: &issuing,
        contents_capacity: None,
    };
    let signed = pades::sign(&one_page_pdf(), &request, &key, None).unwrap();
    let (s, v) = post_pdf(&app, "application/pdf", signed.clone()).await;
    assert_eq!(s, 200, "{v}");
    let sig = &v["signatures"][0];
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(
        (
            sig["integrity"].as_bool(),
            sig["chain"]["trusted"].as_bool()
        ),
        (Some(true), Some(true)),
        "{v}"
    );
    assert_eq!(
        sig["chain"]["path"].as_array().map(Vec::len),
        Some(3),
        "{v}"
    );
    assert_eq!(
        sig["signer"]["serial"].as_str(),
        Some(serial.as_str()),
        "{v}"
    );
    assert_eq!(sig["level"].as_str(), Some("B-B"), "{v}");
    assert_eq!(
        (
            sig["revocation"]["status"].as_str(),
            sig["revocation"]["at_signing_time"].as_str()
        ),
        (Some("good"), Some("good")),
        "{v}"
    );
    assert_eq!(
        (
            sig["covers_whole_file"].as_bool(),
            sig["modified_after"].as_bool()
        ),
        (Some(true), Some(false)),
        "{v}"
    );

    // One signed byte changed (the page's content stream, inside the first byte range): not
    // intact, not valid; the server keeps serving.
    let mut tampered = signed.clone();
    let at = tampered.windows(8).position(|w| w == b"stream\nq").unwrap() + 7;
    tampered[at] = b'Q';
    let (s, v) = post_pdf(&app, "application/pdf", tampered).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["valid"].as_bool(),
            v["signatures"][0]["integrity"].as_bool()
        ),
        (Some(false), Some(false)),
        "{v}"
    );

    // A detached CMS signature over a document, verified with the document or its digest.
    let document = b"contract of 2026-12-02".to_vec();
    let cms = cades::sign(
        &cades::Request {
            input: cades::Input::Content(&document),
            signer_certificate_der: &leaf[0],
            chain: &issuing,
            signing_time: Some(SystemTime::now()),
        },
        &key,
        None,
    )
    .unwrap();
    let digest = hex::encode(yinxin_pki::cms::DigestAlgorithm::Sha256.digest(&document));
    for body in [
        json!({"signature": b64(&cms), "content": b64(&document)}),
        json!({"signature": yinxin_pki::pem(&cms, "CMS"), "digest": digest}),
    ] {
        let (s, v, _) = app.post("/api/v1/verify/cms", &body).await;
        assert_eq!((s, v["valid"].as_bool()), (200, Some(true)), "{v}");
        assert_eq!(v["signatures"][0]["chain"]["trusted"], true, "{v}");
    }
    let (s, v, _) = app
        .post(
            "/api/v1/verify/cms",
            &json!({"signature": b64(&cms), "content": b64(b"another contract")}),
        )
        .await;
    assert_eq!((s, v["valid"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(v["signatures"][0]["integrity"], false, "{v}");

    // The same at B-T: a token from the service's TSA proves when it was signed.
    let tsa = app.state.tsa.clone().unwrap();
    let runtime = tokio::runtime::Handle::current();
    let source = move |hash: yinxin_pki::cms::DigestAlgorithm, digest: &[u8]| {
        let q = yinxin_pki::tsp::request(hash, digest, None, true)?;
        let reply = tokio::task::block_in_place(|| runtime.block_on(tsa.respond(&q, None)))
            .map_err(|e| yinxin_sign::SignError::Timestamp(e.to_string()))?;
        yinxin_sign::timestamp::token_from_response(&reply.der)
    };
    let stamped = pades::sign(&one_page_pdf(), &request, &key, Some(&source)).unwrap();
    let (_, v) = post_pdf(&app, "application/pdf", stamped.clone()).await;
    assert_eq!(v["signatures"][0]["level"], "B-T", "{v}");
    assert_eq!(
        v["signatures"][0]["revocation"]["source"], "service_records",
        "{v}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Revoked now, no timestamp proving the signature came first: not valid any more.
    let (s, r) = app
        .post_as(
            &format!("/api/v1/certificates/{serial}/revocation"),
            &token,
            &json!({"reason": "key_compromise"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (s, v) = post_pdf(&app, "application/pdf", signed).await;
    assert_eq!(s, 200, "{v}");
    let sig = &v["signatures"][0];
    assert_eq!(
        (
            v["valid"].as_bool(),
            sig["integrity"].as_bool(),
            sig["revocation"]["status"].as_str(),
            sig["revocation"]["at_signing_time"].as_str(),
            sig["revocation"]["reason"].as_str()
        ),
        (
            Some(false),
            Some(true),
            Some("revoked"),
            Some("unknown"),
            Some("key_compromise")
        ),
        "{v}"
    );

    // Revoked after the timestamp: good at signing time, so still valid (issue 6 item 7).
    let (_, v) = post_pdf(&app, "application/pdf", stamped).await;
    let sig = &v["signatures"][0];
    assert_eq!(
        (
            v["valid"].as_bool(),
            sig["revocation"]["status"].as_str(),
            sig["revocation"]["at_signing_time"].as_str(),
        ),
        (Some(true), Some("revoked"), Some("good")),
        "{v}"
    );

    // A signer of another hierarchy: intact, but not trusted.
    let stranger = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let (s, v, _) = app
        .post(
            "/api/v1/verify/cms",
            &json!({"signature": b64(&cms_by(&stranger, &document)), "content": b64(&document)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let sig = &v["signatures"][0];
    assert_eq!(
        (
            v["valid"].as_bool(),
            sig["integrity"].as_bool(),
            sig["chain"]["trusted"].as_bool()
        ),
        (Some(false), Some(true), Some(false)),
        "{v}"
    );
}

/// A CMS signature by `key` under a self-signed certificate of its own.
fn cms_by(key: &SoftwareKey, document: &[u8]) -> Vec<u8> {
    use yinxin_crypto::Signer;
    let profile = yinxin_pki::profile::Profile::builtin(yinxin_pki::profile::ProfileKind::RootCa);
    let name = yinxin_pki::name::NameBuilder::new()
        .common_name("Not our CA")
        .build()
        .unwrap();
    let (_, der) = yinxin_pki::cert::issue(
        &yinxin_pki::cert::CertificateSpec {
            profile: &profile,
            subject: name,
            subject_public_key: key.public_key_der(),
            not_before: SystemTime::now(),
            validity: profile.default_validity,
            extra_extensions: Vec::new(),
        },
        None,
        Some(key),
        yinxin_pki::cert::random_serial().unwrap(),
    )
    .unwrap();
    cades::sign(
        &cades::Request {
            input: cades::Input::Content(document),
            signer_certificate_der: &der,
            chain: &[],
            signing_time: None,
        },
        key,
        None,
    )
    .unwrap()
}

backend_tests!(verification_refusals_name_the_field);
async fn verification_refusals_name_the_field(db: &TestDb) {
    let app = TestApp::start(db).await;
    for (ct, body, field) in [
        ("text/plain", one_page_pdf(), "content-type"),
        ("application/pdf", b"not a pdf at all".to_vec(), "body"),
        ("application/pdf", one_page_pdf()[..40].to_vec(), "body"),
    ] {
        let (s, v) = post_pdf(&app, ct, body).await;
        assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
        let message = v["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{field}: ")), "{v}");
    }
    // An unsigned PDF is read, and is not valid: nothing vouches for it.
    let (s, v) = post_pdf(&app, "application/pdf", one_page_pdf()).await;
    assert_eq!((s, v["valid"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(0), "{v}");

    for (body, field) in [
        (json!({"signature": "%%%", "content": "AA=="}), "signature"),
        (json!({"signature": "MAA="}), "content"),
        (
            json!({"signature": "MAA=", "content": "AA==", "digest": "00"}),
            "content",
        ),
        (json!({"signature": "MAA=", "digest": "xyz"}), "digest"),
        (
            json!({"signature": "MAA=", "content": "not base64!"}),
            "content",
        ),
        (json!({"signature": "MAA=", "content": "AA=="}), "signature"),
    ] {
        let (s, v, _) = app.post("/api/v1/verify/cms", &body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{body} -> {v}"
        );
        let message = v["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{field}: ")), "{body} -> {v}");
    }
}
