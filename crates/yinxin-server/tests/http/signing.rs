//! Issue 6 item 3 (意愿认证) and items 4/8: a person's hosted key signs only with a fresh,
//! confirmed intent for exactly what is signed, by SMS code or passkey; an expired, unconfirmed,
//! reused, foreign or mismatched one is refused; an enterprise's seal is applied only under a
//! live seal authorization, automatically only under `auto_sign`. Outputs are checked by
//! `openssl cms -verify` and by the service's own verifier.

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use yinxin_domain::signing::{IntentDigest, IntentMethod, IntentRecord};
use yinxin_identity::webauthn::soft::SoftAuthenticator;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::certificates::verified_person;
use crate::idv::{clean_person, consent_to, fixtures, registered_enterprise, verify};
use crate::{TestApp, outbox_codes};

const RP: &str = "localhost";
const ORIGIN: &str = "http://localhost:8080";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn code_of(v: &Value) -> (&str, &str) {
    (
        v["code"].as_str().unwrap_or_default(),
        v["message"].as_str().unwrap_or_default(),
    )
}

/// Asserts a refusal: status, code, and a message naming `field`.
pub(crate) fn refused(got: &(u16, Value), status: u16, code: &str, field: &str) {
    let (s, v) = got;
    let (c, m) = code_of(v);
    assert_eq!((*s, c), (status, code), "{v}");
    assert!(m.contains(field), "{field}: {v}");
}

/// A confirmation of intent by the caller of `token` for `serial` over SHA-256 of `content`,
/// confirmed and then expired, written as the store would hold it; its id.
pub(crate) async fn expired_intent(
    app: &TestApp,
    db: &TestDb,
    token: &str,
    serial: &str,
    content: &[u8],
) -> String {
    let (_, me) = app.get_as("/api/v1/me", token).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expired = IntentRecord {
        id: uuid::Uuid::new_v4().to_string(),
        account: me["account_id"].as_str().unwrap().parse().unwrap(),
        certificate_serial: serial.to_owned(),
        digest_algorithm: IntentDigest::Sha256,
        digest: Sha256::digest(content).to_vec(),
        method: IntentMethod::Sms,
        challenge: None,
        created_at: now - 400,
        expires_at: now - 100,
        confirmed_at: Some(now - 390),
        evidence: Some("sms".into()),
        used_at: None,
    };
    db.stores.accounts.insert_intent(&expired).await.unwrap();
    expired.id
}

/// `openssl cms -verify` of a detached DER signature over `content`, against the chain of `alg`.
async fn openssl_verifies(app: &TestApp, alg: &str, signature: &[u8], content: &[u8]) {
    let (s, chain, _) = app.get(&format!("/pki/chain.pem?alg={alg}")).await;
    assert_eq!(s, 200);
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("chain.pem"), chain).unwrap();
    std::fs::write(d.path().join("sig.der"), signature).unwrap();
    std::fs::write(d.path().join("doc"), content).unwrap();
    let p = |n: &str| d.path().join(n).to_string_lossy().into_owned();
    let out = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .args(["-in", &p("sig.der"), "-content", &p("doc")])
        .args(["-CAfile", &p("chain.pem"), "-out", &p("out")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Verification successful"));
}

/// Starts an SMS intent and confirms it with the code from the outbox; the intent id.
pub(crate) async fn sms_intent(app: &TestApp, token: &str, mobile: &str, body: &Value) -> String {
    let (s, i) = app.post_as("/api/v1/signing/intents", token, body).await;
    assert_eq!(s, 201, "{i}");
    let id = i["intent_id"].as_str().unwrap().to_owned();
    let code = outbox_codes(app, mobile).await.pop().unwrap();
    let (s, c) = app
        .post_as(
            &format!("/api/v1/signing/intents/{id}/confirm"),
            token,
            &json!({ "code": code }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    id
}

/// The first fixture enterprise whose check matches.
pub(crate) fn clean_enterprise(f: &Value) -> &Value {
    f["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("note").is_none() && e["expected"]["enterprise"] == "match")
        .expect("a clean enterprise")
}

/// The clean fixture enterprise registered and verified by `token`'s person (its legal
/// representative), with a hosted `alg` certificate and a contract seal: (enterprise, serial,
/// seal). Nobody is authorized to apply the seal yet.
pub(crate) async fn sealing_enterprise(
    app: &TestApp,
    f: &Value,
    token: &str,
    alg: &str,
) -> (String, String, String) {
    let ent = registered_enterprise(app, token, clean_enterprise(f)).await;
    consent_to(app, token, "idv_enterprise").await;
    let (s, v) = verify(
        app,
        token,
        &json!({"method": "enterprise", "enterprise_id": ent}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let serial = hosted_certificate(
        app,
        token,
        &json!({"hosted_key": alg, "profile": "enterprise_signing", "algorithm": alg, "enterprise": ent}),
    )
    .await;
    let (s, seal) = app
        .post_as(
            &format!("/api/v1/enterprises/{ent}/seals"),
            token,
            &json!({"category": "contract"}),
        )
        .await;
    assert_eq!(s, 201, "{seal}");
    let seal_id = seal["id"].as_str().unwrap().to_owned();
    (ent, serial, seal_id)
}

pub(crate) async fn hosted_certificate(app: &TestApp, token: &str, body: &Value) -> String {
    let (s, cert) = app.post_as("/api/v1/certificates", token, body).await;
    assert_eq!(s, 201, "{cert}");
    cert["serial"].as_str().unwrap().to_owned()
}

async fn a_persons_key_signs_only_with_a_fresh_confirmed_intent(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let mobile = clean_person(&f)["mobile"].as_str().unwrap().to_owned();
    let (token, stranger) = verified_person(&app).await;
    let serial = hosted_certificate(
        &app,
        &token,
        &json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
    )
    .await;
    let document = "借款合同 第1版".as_bytes().to_vec();
    let digest = hex(&Sha256::digest(&document));
    let content = STANDARD.encode(&document);
    let sign = |intent: Option<&str>| {
        let mut b = json!({"certificate": serial, "content": content});
        if let Some(i) = intent {
            b["intent_id"] = json!(i);
        }
        b
    };
    let cms = "/api/v1/signing/cms";

    // No intent: refused, nothing recorded.
    refused(
        &app.post_as(cms, &token, &sign(None)).await,
        403,
        "INTENT_REQUIRED",
        "intent_id",
    );
    // A person's key never signs automatically.
    refused(
        &app.post_as(
            cms,
            &token,
            &json!({"certificate": serial, "content": content, "purpose": "auto_sign"}),
        )
        .await,
        400,
        "INVALID_INPUT",
        "purpose",
    );

    // Starting an intent: refusals name their field.
    let intents = "/api/v1/signing/intents";
    let start = json!({"certificate": serial, "digest_algorithm": "sha256", "digest": digest, "method": "sms"});
    for (body, status, code, field) in [
        (
            json!({"certificate": serial, "digest_algorithm": "sm3", "digest": digest, "method": "sms"}),
            400,
            "INVALID_INPUT",
            "digest_algorithm",
        ),
        (
            json!({"certificate": serial, "digest_algorithm": "sha256", "digest": "abcd", "method": "sms"}),
            400,
            "INVALID_INPUT",
            "digest",
        ),
        (
            json!({"certificate": serial, "digest_algorithm": "sha256", "digest": "zz".repeat(32), "method": "sms"}),
            400,
            "INVALID_INPUT",
            "digest",
        ),
        (
            json!({"certificate": serial, "digest_algorithm": "sha256", "digest": digest, "method": "fax"}),
            400,
            "INVALID_INPUT",
            "method",
        ),
        (
            json!({"certificate": serial, "digest_algorithm": "sha256", "digest": digest, "method": "passkey"}),
            400,
            "INVALID_INPUT",
            "method",
        ),
        (
            json!({"certificate": "00ff", "digest_algorithm": "sha256", "digest": digest, "method": "sms"}),
            404,
            "NOT_FOUND",
            "certificate",
        ),
    ] {
        refused(
            &app.post_as(intents, &token, &body).await,
            status,
            code,
            field,
        );
    }
    // Someone else's certificate is not found for them.
    refused(
        &app.post_as(intents, &stranger, &start).await,
        404,
        "NOT_FOUND",
        "certificate",
    );

    // By SMS: the code goes to the real-name mobile, masked in the answer.
    let before = outbox_codes(&app, &mobile).await.len();
    let (s, i) = app.post_as(intents, &token, &start).await;
    assert_eq!(s, 201, "{i}");
    assert_eq!(i["method"], "sms");
    let masked = i["sent_to"].as_str().unwrap();
    assert!(
        masked.contains('*') && !masked.contains(&mobile[3..7]),
        "{i}"
    );
    let id = i["intent_id"].as_str().unwrap().to_owned();
    let codes = outbox_codes(&app, &mobile).await;
    assert_eq!(codes.len(), before + 1);
    let code = codes.last().unwrap().clone();
    let confirm = format!("{intents}/{id}/confirm");

    // Unconfirmed: refused.
    refused(
        &app.post_as(cms, &token, &sign(Some(&id))).await,
        403,
        "INTENT_REQUIRED",
        "not confirmed",
    );
    // A wrong code, and the wrong kind of answer.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    refused(
        &app.post_as(&confirm, &token, &json!({"code": wrong})).await,
        401,
        "UNAUTHENTICATED",
        "code",
    );
    refused(
        &app.post_as(&confirm, &token, &json!({"credential": {}}))
            .await,
        400,
        "INVALID_INPUT",
        "credential",
    );
    // Another account cannot confirm it, nor sign with it.
    refused(
        &app.post_as(&confirm, &stranger, &json!({"code": code}))
            .await,
        404,
        "NOT_FOUND",
        "intent_id",
    );
    let (s, c) = app.post_as(&confirm, &token, &json!({"code": code})).await;
    assert_eq!(s, 200, "{c}");
    refused(
        &app.post_as(&confirm, &token, &json!({"code": code})).await,
        409,
        "CONFLICT",
        "confirmed already",
    );

    // Bound to the digest: another document is refused, and the intent survives it.
    let other = STANDARD.encode("借款合同 第2版".as_bytes());
    refused(
        &app.post_as(
            cms,
            &token,
            &json!({"certificate": serial, "content": other, "intent_id": id}),
        )
        .await,
        403,
        "INTENT_REQUIRED",
        "digest",
    );
    // Exactly one of content and digest.
    refused(
        &app.post_as(
            cms,
            &token,
            &json!({"certificate": serial, "content": content, "digest": digest, "intent_id": id}),
        )
        .await,
        400,
        "INVALID_INPUT",
        "content",
    );

    // Signed at B-T; OpenSSL and the service's verifier agree.
    let (s, signed) = app.post_as(cms, &token, &sign(Some(&id))).await;
    assert_eq!(s, 200, "{signed}");
    assert_eq!(signed["level"], "B-T");
    assert_eq!(signed["digest"].as_str(), Some(digest.as_str()));
    let der = STANDARD
        .decode(signed["signature"].as_str().unwrap())
        .unwrap();
    openssl_verifies(&app, "p256", &der, &document).await;
    let (s, report) = app
        .post_as(
            "/api/v1/verify/cms",
            &token,
            &json!({"signature": signed["signature"], "content": content}),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(
        report["signatures"][0]["signer"]["serial"].as_str(),
        Some(serial.as_str()),
        "{report}"
    );
    assert!(report["signatures"][0]["timestamp"].is_object(), "{report}");

    // Used: never again.
    refused(
        &app.post_as(cms, &token, &sign(Some(&id))).await,
        403,
        "INTENT_REQUIRED",
        "used already",
    );

    // Over a digest only, B-B: the document never reaches the server.
    let id2 = sms_intent(&app, &token, &mobile, &start).await;
    let (s, signed2) = app
        .post_as(
            cms,
            &token,
            &json!({"certificate": serial, "digest": digest, "intent_id": id2, "timestamp": false}),
        )
        .await;
    assert_eq!(
        (s, signed2["level"].as_str()),
        (200, Some("B-B")),
        "{signed2}"
    );
    let der2 = STANDARD
        .decode(signed2["signature"].as_str().unwrap())
        .unwrap();
    openssl_verifies(&app, "p256", &der2, &document).await;

    // Each signature queued its evidence entry with its record (issue 7 item 2): sequenced into
    // the log, the entry of this one opens, with the salt stored beside the record, to the digest
    // signed, the intent and the signature — and shows none of them in the clear.
    let log = app.state.log.clone().unwrap();
    log.sequence(100, 1_900_000_000_000).await.unwrap();
    let size = log.size().await.unwrap();
    assert!(size >= 2, "every signature so far is in the log: {size}");
    let salt = db
        .stores
        .ledger
        .evidence_salt("signature", signed2["signature_id"].as_str().unwrap())
        .await
        .unwrap()
        .expect("the salt beside the record");
    let part = |n: u8| {
        let mut h = Sha256::new();
        h.update(salt);
        h.update([n]);
        yinxin_ledger::entry::Salt(h.finalize().into())
    };
    let digest_bytes = Sha256::digest(&document).to_vec();
    let mut found = 0;
    for i in 0..size {
        let bytes = log.entry(i).await.unwrap();
        let e = yinxin_ledger::entry::Entry::decode(&bytes).unwrap();
        if let yinxin_ledger::entry::EntryBody::Signature {
            signature,
            document: d,
            intent,
        } = e.body
        {
            if d.opens_to(&part(2), &digest_bytes) {
                assert!(intent.opens_to(&part(3), id2.as_bytes()));
                assert!(signature.opens_to(&part(1), &der2));
                found += 1;
            }
            assert!(
                !bytes.windows(32).any(|w| w == digest_bytes.as_slice()),
                "a digest in the clear"
            );
        }
    }
    assert_eq!(found, 1, "exactly one entry is this signature's");
    // Its owner gets its proof bundle and salt (issue 7 item 3); the bundle verifies offline
    // and the salt opens the entry; a stranger gets 404 as for a signature that does not exist.
    let sid = signed2["signature_id"].as_str().unwrap();
    let evidence_path = format!("/api/v1/signing/signatures/{sid}/evidence");
    let evidence = crate::log_routes::owner_evidence(&app, &evidence_path, &token).await;
    let [(kind, salt, entry)] = evidence.as_slice() else {
        panic!("one record: {evidence:?}");
    };
    assert_eq!(kind, "signature");
    let yinxin_ledger::entry::EntryBody::Signature {
        signature,
        document: d,
        ..
    } = &entry.body
    else {
        panic!("a signature entry: {entry:?}");
    };
    assert!(d.opens_to(&salt.part(2), &digest_bytes) && signature.opens_to(&salt.part(1), &der2));
    for (who, path) in [
        (&stranger, evidence_path.clone()),
        (
            &token,
            "/api/v1/signing/signatures/no-such-id/evidence".to_owned(),
        ),
    ] {
        refused(&app.get_as(&path, who).await, 404, "NOT_FOUND", "signature");
    }

    // An expired confirmation (written as the store would hold it) is refused.
    let expired = expired_intent(&app, db, &token, &serial, &document).await;
    refused(
        &app.post_as(cms, &token, &sign(Some(&expired))).await,
        403,
        "INTENT_REQUIRED",
        "expired",
    );

    // By passkey: the challenge commits to the digest; a user-verified assertion confirms.
    let mut authenticator = SoftAuthenticator::new_es256();
    let (s, o) = app
        .post_as("/api/v1/me/passkeys/options", &token, &Value::Null)
        .await;
    assert_eq!(s, 200, "{o}");
    let challenge = URL_SAFE_NO_PAD
        .decode(o["public_key"]["challenge"].as_str().unwrap())
        .unwrap();
    let handle = URL_SAFE_NO_PAD
        .decode(o["public_key"]["user"]["id"].as_str().unwrap())
        .unwrap();
    let credential = authenticator.register(RP, ORIGIN, &challenge, &handle);
    let (s, r) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &json!({"challenge_id": o["challenge_id"], "credential": credential}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, p) = app
        .post_as(
            intents,
            &token,
            &json!({"certificate": serial, "digest_algorithm": "sha256", "digest": digest, "method": "passkey"}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let nonce = URL_SAFE_NO_PAD
        .decode(p["nonce"].as_str().unwrap())
        .unwrap();
    let challenge = URL_SAFE_NO_PAD
        .decode(p["public_key"]["challenge"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        challenge,
        yinxin_identity::intent_challenge(&nonce, IntentDigest::Sha256, &Sha256::digest(&document)),
        "the challenge commits to the digest"
    );
    assert_eq!(
        p["public_key"]["allowCredentials"].as_array().map(Vec::len),
        Some(1),
        "{p}"
    );
    assert_eq!(p["public_key"]["userVerification"], "required", "{p}");
    let pid = p["intent_id"].as_str().unwrap().to_owned();
    let pconfirm = format!("{intents}/{pid}/confirm");
    // An assertion over another challenge, or without user verification, is not accepted.
    let stale = authenticator.assert(RP, ORIGIN, b"some other challenge");
    refused(
        &app.post_as(&pconfirm, &token, &json!({"credential": stale}))
            .await,
        401,
        "UNAUTHENTICATED",
        "credential",
    );
    authenticator.user_verified = false;
    let no_uv = authenticator.assert(RP, ORIGIN, &challenge);
    refused(
        &app.post_as(&pconfirm, &token, &json!({"credential": no_uv}))
            .await,
        401,
        "UNAUTHENTICATED",
        "credential",
    );
    authenticator.user_verified = true;
    let good = authenticator.assert(RP, ORIGIN, &challenge);
    let (s, c) = app
        .post_as(&pconfirm, &token, &json!({"credential": good}))
        .await;
    assert_eq!(s, 200, "{c}");
    let (s, signed3) = app.post_as(cms, &token, &sign(Some(&pid))).await;
    assert_eq!(s, 200, "{signed3}");

    // Each signature is recorded with the intent it used; the stranger sees none of them.
    let (s, list) = app.get_as("/api/v1/signing/signatures", &token).await;
    assert_eq!(s, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    let mut used: Vec<&str> = list.iter().map(|r| r["intent"].as_str().unwrap()).collect();
    used.sort_unstable();
    let mut want = vec![id.as_str(), id2.as_str(), pid.as_str()];
    want.sort_unstable();
    assert_eq!(used, want);
    assert!(
        list.iter()
            .all(|r| r["certificate_serial"] == serial.as_str()
                && r["format"] == "cms"
                && r["digest"] == digest.as_str())
    );
    let (_, theirs) = app.get_as("/api/v1/signing/signatures", &stranger).await;
    assert_eq!(theirs.as_array().map(Vec::len), Some(0), "{theirs}");
}

backend_tests!(a_persons_key_signs_only_with_a_fresh_confirmed_intent);

async fn seals_are_applied_under_their_authorization_only(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let mobile = clean_person(&f)["mobile"].as_str().unwrap().to_owned();
    let (token, stranger) = verified_person(&app).await;
    let (ent, serial, seal_id) = sealing_enterprise(&app, &f, &token, "sm2").await;
    let seals = format!("/api/v1/enterprises/{ent}/seals");
    let digest = "5a".repeat(32);
    let body = |purpose: &str, intent: Option<&str>| {
        let mut b = json!({"certificate": serial, "enterprise": ent, "seal": seal_id,
            "purpose": purpose, "digest": digest});
        if let Some(i) = intent {
            b["intent_id"] = json!(i);
        }
        b
    };
    let cms = "/api/v1/signing/cms";

    // The enterprise's key, without a seal; a seal without the enterprise.
    refused(
        &app.post_as(
            cms,
            &token,
            &json!({"certificate": serial, "enterprise": ent, "digest": digest}),
        )
        .await,
        400,
        "INVALID_INPUT",
        "seal",
    );
    refused(
        &app.post_as(
            cms,
            &token,
            &json!({"certificate": serial, "seal": seal_id, "digest": digest}),
        )
        .await,
        400,
        "INVALID_INPUT",
        "enterprise",
    );
    // The enterprise's certificate as if it were the agent's own: not theirs.
    refused(
        &app.post_as(
            cms,
            &token,
            &json!({"certificate": serial, "digest": digest}),
        )
        .await,
        404,
        "NOT_FOUND",
        "certificate",
    );
    // No seal authorization yet: refused, for every purpose; a stranger likewise.
    for purpose in ["document_signing", "auto_sign"] {
        refused(
            &app.post_as(cms, &token, &body(purpose, None)).await,
            403,
            "FORBIDDEN",
            "seal",
        );
    }
    refused(
        &app.post_as(cms, &stranger, &body("auto_sign", None)).await,
        403,
        "FORBIDDEN",
        "seal",
    );

    // Authorized for document signing: the agent's own confirmed intent is still needed.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let auths = format!("{seals}/{seal_id}/authorizations");
    let (s, grant) = app
        .post_as(
            &auths,
            &token,
            &json!({"agent_username": "idv1", "purposes": ["document_signing"], "valid_until": now + 86_400}),
        )
        .await;
    assert_eq!(s, 201, "{grant}");
    refused(
        &app.post_as(cms, &token, &body("document_signing", None))
            .await,
        403,
        "INTENT_REQUIRED",
        "intent_id",
    );
    refused(
        &app.post_as(cms, &token, &body("auto_sign", None)).await,
        403,
        "FORBIDDEN",
        "seal",
    );
    let intent = sms_intent(
        &app,
        &token,
        &mobile,
        &json!({"certificate": serial, "enterprise": ent, "seal": seal_id,
            "purpose": "document_signing", "digest_algorithm": "sm3", "digest": digest, "method": "sms"}),
    )
    .await;
    let (s, signed) = app
        .post_as(cms, &token, &body("document_signing", Some(&intent)))
        .await;
    assert_eq!(s, 200, "{signed}");
    let (s, report) = app
        .post_as(
            "/api/v1/verify/cms",
            &token,
            &json!({"signature": signed["signature"], "digest": digest}),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(
        report["signatures"][0]["signer"]["serial"].as_str(),
        Some(serial.as_str())
    );

    // An explicit auto_sign authorization: sealed without a confirmation, and recorded with it.
    let (s, auto) = app
        .post_as(
            &auths,
            &token,
            &json!({"agent_username": "idv1", "purposes": ["auto_sign"], "valid_until": now + 86_400}),
        )
        .await;
    assert_eq!(s, 201, "{auto}");
    let (s, sealed) = app.post_as(cms, &token, &body("auto_sign", None)).await;
    assert_eq!(s, 200, "{sealed}");
    // No intent can be started for auto_sign: it needs none.
    refused(
        &app.post_as(
            "/api/v1/signing/intents",
            &token,
            &json!({"certificate": serial, "enterprise": ent, "seal": seal_id,
                "purpose": "auto_sign", "digest_algorithm": "sm3", "digest": digest, "method": "sms"}),
        )
        .await,
        400,
        "INVALID_INPUT",
        "purpose",
    );
    let (_, list) = app.get_as("/api/v1/signing/signatures", &token).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let auto_id = auto["id"].as_str().unwrap();
    let by_auto = list
        .iter()
        .find(|r| r["intent"].is_null())
        .expect("the automatic one");
    assert_eq!(by_auto["seal_authorization"].as_str(), Some(auto_id));
    assert_eq!(by_auto["seal"].as_str(), Some(seal_id.as_str()));
    assert_eq!(by_auto["enterprise"].as_str(), Some(ent.as_str()));
    assert_eq!(by_auto["digest_algorithm"], "sm3");

    // Revoked: the automatic use stops at once.
    let (s, r) = app
        .post_as(&format!("{auths}/{auto_id}/revoke"), &token, &Value::Null)
        .await;
    assert_eq!(s, 200, "{r}");
    refused(
        &app.post_as(cms, &token, &body("auto_sign", None)).await,
        403,
        "FORBIDDEN",
        "seal",
    );
}

backend_tests!(seals_are_applied_under_their_authorization_only);
