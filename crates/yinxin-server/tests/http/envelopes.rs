//! Issue 6 item 6 over HTTP: envelopes. A document sent to a person and then an enterprise (its
//! agent applying a cross-page seal) in order: out-of-turn and intent-less signatures refused,
//! each signer notified in turn, the final PDF carrying both signatures to B-LTA (the service's
//! verifier, `pdfsig`, `qpdf --check`), and the audit trail holding every event and no personal
//! information. In parallel order, two signers racing over one version: one signs, the other is
//! refused and signs again over the new version. Decline, cancel and expiry each close an
//! envelope; refusals name their field; strangers see nothing.

use serde_json::{Value, json};
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::documents::{content_of, pdf_of_pages, tool, upload, verify_pdf};
use crate::idv::{carrier, clean_persons, consent_to, fixtures, signed_up_as, verify};
use crate::signing::{hosted_certificate, refused, sealing_enterprise, sms_intent};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The notices (not codes) the outbox holds for `mobile`.
async fn notices(app: &TestApp, mobile: &str) -> Vec<Value> {
    crate::outbox_messages(app, mobile)
        .await
        .into_iter()
        .filter(|m| m["params"][0][0] == "envelope")
        .collect()
}

/// The states the closing notices to `mobile` announce for the envelope `id` (issue 6 item 6).
async fn closings(app: &TestApp, mobile: &str, id: &str) -> Vec<String> {
    let short: String = id.chars().take(8).collect();
    notices(app, mobile)
        .await
        .into_iter()
        .filter(|m| m["params"][0][1] == short.as_str() && m["params"][1][0] == "state")
        .map(|m| m["params"][1][1].as_str().unwrap().to_owned())
        .collect()
}

fn kinds(view: &Value) -> Vec<String> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn envelopes_are_signed_in_turn_with_a_full_trail(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let persons = clean_persons(&f);
    assert!(persons.len() >= 2, "two clean fixture persons");
    // A (idv1) owns the document and seals for the enterprise; B (idv2) signs as a person.
    let mut people = Vec::new();
    for (n, p) in persons.iter().take(2).enumerate() {
        let (id, token) = signed_up_as(&app, n as u32 + 1, p).await;
        consent_to(&app, &token, "idv_carrier").await;
        let (s, v) = verify(&app, &token, &carrier(p)).await;
        assert_eq!(s, 201, "{v}");
        people.push((id, token, p["mobile"].as_str().unwrap().to_owned()));
    }
    let [(id_a, token_a, mobile_a), (id_b, token_b, mobile_b)] =
        <[_; 2]>::try_from(people).unwrap();
    let (_, stranger) = app.signed_up(7).await;
    let serial_a = hosted_certificate(
        &app,
        &token_a,
        &json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
    )
    .await;
    let serial_b = hosted_certificate(
        &app,
        &token_b,
        &json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
    )
    .await;
    let (s, image) = app
        .post_as(
            "/api/v1/signature-images",
            &token_b,
            &json!({"source": "style", "style": "kai"}),
        )
        .await;
    assert_eq!(s, 201, "{image}");
    let image_b = image["id"].as_str().unwrap().to_owned();

    // The enterprise, its certificate, its seal, and A's authorization to apply it.
    let (ent, eserial, seal_id) = sealing_enterprise(&app, &f, &token_a, "p256").await;
    let (s, grant) = app
        .post_as(
            &format!("/api/v1/enterprises/{ent}/seals/{seal_id}/authorizations"),
            &token_a,
            &json!({"agent_username": "idv1", "purposes": ["contract_signing"], "valid_until": now() + 86_400}),
        )
        .await;
    assert_eq!(s, 201, "{grant}");

    let original = pdf_of_pages(3);
    let (s, doc) = upload(&app, &token_a, original.clone()).await;
    assert_eq!(s, 201, "{doc}");
    let doc_id = doc["id"].as_str().unwrap().to_owned();

    let person_b = json!({"account": id_b, "fields": [{"kind": "signature", "page": 1, "rect": [350, 80, 530, 160]}]});
    let sealer_a = json!({"account": id_a, "enterprise": ent,
        "fields": [{"kind": "cross_page_seal", "page": 1, "rect": [0, 300, 120, 420]}]});
    let envelope = |order: &str, signers: Value| json!({"document": doc_id, "order": order, "signers": signers});

    // Refusals name their field; nothing is sent.
    for (body, status, code, field) in [
        (
            json!({"document": doc_id, "signers": [{"account": "nope", "fields": [{"kind": "signature", "page": 1}]}]}),
            400,
            "INVALID_INPUT",
            "signers[0].account",
        ),
        (
            json!({"document": doc_id, "signers": [{"account": id_b, "fields": [{"kind": "signature", "page": 9}]}]}),
            400,
            "INVALID_INPUT",
            "signers[0].fields[0].page",
        ),
        (
            json!({"document": doc_id, "signers": [{"account": id_b, "fields": [{"kind": "signature", "page": 1, "rect": [500, 80, 700, 160]}]}]}),
            400,
            "INVALID_INPUT",
            "signers[0].fields[0].rect",
        ),
        (
            json!({"document": doc_id, "signers": [{"account": id_b, "fields": [{"kind": "seal", "page": 1, "rect": [50, 80, 150, 180]}]}]}),
            400,
            "INVALID_INPUT",
            "signers[0].fields[0].kind",
        ),
        (
            json!({"document": doc_id, "signers": [{"account": ent, "fields": [{"kind": "signature", "page": 1}]}]}),
            400,
            "INVALID_INPUT",
            "signers[0].account",
        ),
        (
            json!({"document": doc_id, "signers": []}),
            400,
            "INVALID_INPUT",
            "signers",
        ),
        (
            json!({"document": doc_id, "expires_at": now() + 400 * 86_400, "signers": [person_b]}),
            400,
            "INVALID_INPUT",
            "expires_at",
        ),
        (
            json!({"document": doc_id, "order": "random", "signers": [person_b]}),
            400,
            "INVALID_INPUT",
            "order",
        ),
    ] {
        refused(
            &app.post_as("/api/v1/envelopes", &token_a, &body).await,
            status,
            code,
            field,
        );
    }
    // Another account's document cannot be sent.
    refused(
        &app.post_as(
            "/api/v1/envelopes",
            &stranger,
            &envelope("sequential", json!([person_b])),
        )
        .await,
        404,
        "NOT_FOUND",
        "document",
    );
    assert!(notices(&app, &mobile_b).await.is_empty());

    // Sequential: B signs, then A seals for the enterprise.
    let (s, sent) = app
        .post_as(
            "/api/v1/envelopes",
            &token_a,
            &envelope("sequential", json!([person_b, sealer_a])),
        )
        .await;
    assert_eq!(s, 201, "{sent}");
    let env = sent["envelope"]["id"].as_str().unwrap().to_owned();
    assert_eq!(sent["envelope"]["state"], "sent");
    assert_eq!(kinds(&sent), ["sent", "notified"]);
    assert_eq!(sent["events"][1]["position"], 0);
    assert_eq!(notices(&app, &mobile_b).await.len(), 1, "B is told");
    assert!(notices(&app, &mobile_a).await.is_empty(), "A waits");
    let path = |what: &str| format!("/api/v1/envelopes/{env}{what}");
    // Strangers see nothing of it.
    assert_eq!(app.get_as(&path(""), &stranger).await.0, 404);
    assert_eq!(app.get_as(&path("/content"), &stranger).await.0, 404);
    refused(
        &app.post_as(&path("/sign"), &stranger, &json!({"certificate": serial_a}))
            .await,
        404,
        "NOT_FOUND",
        "envelope",
    );
    let (s, listed) = app.get_as("/api/v1/envelopes", &token_b).await;
    assert_eq!(s, 200);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == env.as_str())
    );

    // A may not seal before B signs.
    let seal_req = json!({"certificate": eserial, "enterprise": ent, "seal": seal_id,
        "purpose": "contract_signing", "level": "B-LTA"});
    refused(
        &app.post_as(&path("/sign"), &token_a, &seal_req).await,
        409,
        "CONFLICT",
        "not your turn",
    );
    // A's personal key is not what the envelope asks of A.
    refused(
        &app.post_as(&path("/sign"), &token_a, &json!({"certificate": serial_a}))
            .await,
        403,
        "FORBIDDEN",
        "certificate",
    );
    // B without an intent: refused.
    let sign_b = |intent: Option<&str>| json!({"certificate": serial_b, "signature_image": image_b, "intent_id": intent});
    refused(
        &app.post_as(&path("/sign"), &token_b, &sign_b(None)).await,
        403,
        "INTENT_REQUIRED",
        "intent_id",
    );
    // B reads it (recorded), confirms intent over its current version, signs.
    let (s, seen) = app.get_as(&path(""), &token_b).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["current"]["id"].as_str(), Some(doc_id.as_str()));
    let (s, bytes) = content_of(&app, &token_b, &path("/content")).await;
    assert_eq!((s, bytes == original), (200, true));
    let intent_b = sms_intent(
        &app,
        &token_b,
        &mobile_b,
        &json!({"certificate": serial_b, "digest_algorithm": "sha256", "digest": seen["current"]["sha256"], "method": "sms"}),
    )
    .await;
    let (s, first) = app
        .post_as(&path("/sign"), &token_b, &sign_b(Some(&intent_b)))
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["envelope"]["state"], "sent");
    assert_eq!(first["envelope"]["signers"][0]["signed_fields"], 1);
    assert_eq!(first["document"]["parent"].as_str(), Some(doc_id.as_str()));
    assert_eq!(notices(&app, &mobile_a).await.len(), 1, "A is told now");
    // B has nothing left to sign.
    refused(
        &app.post_as(&path("/sign"), &token_b, &sign_b(Some(&intent_b)))
            .await,
        409,
        "CONFLICT",
        "every field",
    );
    // An intent A confirmed over the version B signed over does not cover the new one.
    let stale = sms_intent(
        &app,
        &token_a,
        &mobile_a,
        &json!({"certificate": eserial, "enterprise": ent, "seal": seal_id, "purpose": "contract_signing",
            "digest_algorithm": "sha256", "digest": seen["current"]["sha256"], "method": "sms"}),
    )
    .await;
    let mut with_stale = seal_req.clone();
    with_stale["intent_id"] = json!(stale);
    refused(
        &app.post_as(&path("/sign"), &token_a, &with_stale).await,
        403,
        "INTENT_REQUIRED",
        "digest",
    );
    let (_, now_seen) = app.get_as(&path(""), &token_a).await;
    let intent_a = sms_intent(
        &app,
        &token_a,
        &mobile_a,
        &json!({"certificate": eserial, "enterprise": ent, "seal": seal_id, "purpose": "contract_signing",
            "digest_algorithm": "sha256", "digest": now_seen["current"]["sha256"], "method": "sms"}),
    )
    .await;
    let mut sealing = seal_req.clone();
    sealing["intent_id"] = json!(intent_a);
    let (s, second) = app.post_as(&path("/sign"), &token_a, &sealing).await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["level"], "B-LTA");
    assert_eq!(second["envelope"]["state"], "completed");

    // The final PDF carries both signatures and the document timestamp.
    let (s, signed) = content_of(&app, &token_b, &path("/content")).await;
    assert_eq!(s, 200);
    assert!(signed.starts_with(&original), "incremental updates only");
    let report = verify_pdf(&app, signed.clone()).await;
    assert_eq!(report["valid"], true, "{report}");
    let sigs = report["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 3, "{report}");
    assert_eq!(
        sigs[0]["signer"]["serial"].as_str(),
        Some(serial_b.as_str())
    );
    assert_eq!(sigs[1]["signer"]["serial"].as_str(), Some(eserial.as_str()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envelope.pdf");
    std::fs::write(&file, &signed).unwrap();
    let (ok, out) = tool("qpdf", &["--check"], &file);
    assert!(ok, "qpdf --check: {out}");
    let (_, out) = tool("pdfsig", &[], &file);
    assert_eq!(
        out.matches("Signature Validation: Signature is Valid.")
            .count(),
        2,
        "pdfsig: {out}"
    );

    // Its evidence report (issue 7 item 4; EVID-2), for a signer in Chinese and for the owner
    // in English: signed and timestamped by the service, every signature with its certificate,
    // identity check, intent and digests, the proof bundle of each attached; nobody else gets
    // it, and an unknown language is refused naming `lang`.
    let report_path = path("/evidence-report");
    let (zh, files) = crate::log_routes::evidence_report(&app, &report_path, &token_b).await;
    for want in [
        "电子签署出证报告",
        "一、签署流程",
        "签署方 2",
        "意愿认证",
        "短信验证码",
        "运营商实名核验",
        "企业身份核验",
        "北京时间（UTC+8）",
        &serial_b,
        &eserial,
        first["signature_id"].as_str().unwrap(),
        second["signature_id"].as_str().unwrap(),
        &seen["current"]["sha256"].as_str().unwrap()[..32],
    ] {
        assert!(zh.contains(want), "the report lacks {want:?}: {zh}");
    }
    for sid in [&first["signature_id"], &second["signature_id"]] {
        let name = format!("signature-{}.proof.json", sid.as_str().unwrap());
        assert!(files.contains_key(&name), "{name}: {:?}", files.keys());
    }
    let (en, _) =
        crate::log_routes::evidence_report(&app, &format!("{report_path}?lang=en"), &token_a).await;
    for want in [
        "Evidence Report: Electronic Signing",
        "Intent confirmed",
        "All times are UTC",
    ] {
        assert!(en.contains(want), "the report lacks {want:?}: {en}");
    }
    for p in [persons[0], persons[1]] {
        for k in ["mobile", "id_number"] {
            let v = p[k].as_str().unwrap();
            assert!(!zh.contains(v) && !en.contains(v), "{k} in the report");
        }
    }
    assert_eq!(app.get_as(&report_path, &stranger).await.0, 404);
    refused(
        &app.get_as(&format!("{report_path}?lang=fr"), &token_a)
            .await,
        400,
        "INVALID_INPUT",
        "lang",
    );

    // The trail: every event, in order, for the owner and the signers alike; no PI in it.
    let (_, done) = app.get_as(&path(""), &token_b).await;
    let trail = kinds(&done);
    let want = [
        "sent",
        "notified",
        "viewed",
        "intent_confirmed",
        "signed",
        "notified",
        "intent_confirmed",
        "signed",
        "completed",
        "notified",
        "viewed",
    ];
    assert_eq!(trail, want, "{done}");
    // Its completion is announced to B; A, who completed it, is not told.
    assert_eq!(closings(&app, &mobile_b, &env).await, ["completed"]);
    assert!(closings(&app, &mobile_a, &env).await.is_empty());
    let events = done["events"].as_array().unwrap();
    assert!(events.iter().enumerate().all(|(i, e)| e["seq"] == i + 1));
    assert_eq!(events[3]["reference"].as_str(), Some(intent_b.as_str()));
    assert_eq!(events[4]["reference"], first["signature_id"]);
    assert_eq!(events[6]["reference"].as_str(), Some(intent_a.as_str()));
    let text = done.to_string();
    for p in [persons[0], persons[1]] {
        for k in ["mobile", "name", "id_number"] {
            assert!(!text.contains(p[k].as_str().unwrap()), "{k} in the trail");
        }
    }
    // Closed: nothing more happens to it.
    refused(
        &app.post_as(&path("/decline"), &token_b, &json!({})).await,
        403,
        "FORBIDDEN",
        "envelope",
    );
    refused(
        &app.post_as(&path("/cancel"), &token_a, &json!({})).await,
        409,
        "CONFLICT",
        "completed",
    );

    // Parallel: A (as a person) and B confirm over the same version and sign at once. One signs;
    // the other is refused (the version moved) and signs again over the new one.
    let (s, par) = app
        .post_as(
            "/api/v1/envelopes",
            &token_a,
            &envelope(
                "parallel",
                json!([{"account": id_a, "fields": [{"kind": "signature", "page": 2}]},
                       {"account": id_b, "fields": [{"kind": "signature", "page": 3}]}]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{par}");
    assert_eq!(kinds(&par), ["sent", "notified", "notified"], "both told");
    let par_id = par["envelope"]["id"].as_str().unwrap().to_owned();
    let par_path = format!("/api/v1/envelopes/{par_id}/sign");
    let digest = par["current"]["sha256"].clone();
    let ia = sms_intent(
        &app,
        &token_a,
        &mobile_a,
        &json!({"certificate": serial_a, "digest_algorithm": "sha256", "digest": digest, "method": "sms"}),
    )
    .await;
    let ib = sms_intent(
        &app,
        &token_b,
        &mobile_b,
        &json!({"certificate": serial_b, "digest_algorithm": "sha256", "digest": digest, "method": "sms"}),
    )
    .await;
    let body_a = json!({"certificate": serial_a, "intent_id": ia, "level": "B-B"});
    let body_b = json!({"certificate": serial_b, "intent_id": ib, "level": "B-B"});
    let (ra, rb) = tokio::join!(
        app.post_as(&par_path, &token_a, &body_a),
        app.post_as(&par_path, &token_b, &body_b)
    );
    let wins = [&ra, &rb].iter().filter(|r| r.0 == 201).count();
    assert_eq!(wins, 1, "exactly one signs over the version: {ra:?} {rb:?}");
    let (loser_token, loser_serial, loser_mobile, lost) = if ra.0 == 201 {
        (&token_b, &serial_b, &mobile_b, &rb)
    } else {
        (&token_a, &serial_a, &mobile_a, &ra)
    };
    // Refused as a moved version (409) or, if it read after the winner stored, as an intent
    // over another digest (403): either way nothing of it was stored.
    assert!(
        (lost.0 == 409 && lost.1["code"] == "CONFLICT")
            || (lost.0 == 403 && lost.1["code"] == "INTENT_REQUIRED"),
        "{lost:?}"
    );
    let (_, mid) = app
        .get_as(&format!("/api/v1/envelopes/{par_id}"), loser_token)
        .await;
    assert_eq!(kinds(&mid).iter().filter(|k| *k == "signed").count(), 1);
    let again = sms_intent(
        &app,
        loser_token,
        loser_mobile,
        &json!({"certificate": loser_serial, "digest_algorithm": "sha256", "digest": mid["current"]["sha256"], "method": "sms"}),
    )
    .await;
    let (s, last) = app
        .post_as(
            &par_path,
            loser_token,
            &json!({"certificate": loser_serial, "intent_id": again, "level": "B-B"}),
        )
        .await;
    assert_eq!(s, 201, "{last}");
    assert_eq!(last["envelope"]["state"], "completed");
    let (_, final_pdf) = content_of(
        &app,
        &token_a,
        &format!("/api/v1/envelopes/{par_id}/content"),
    )
    .await;
    let report = verify_pdf(&app, final_pdf).await;
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);

    // Decline: B declines; the envelope ends and nobody signs in it.
    let (s, dec) = app
        .post_as(
            "/api/v1/envelopes",
            &token_a,
            &envelope("sequential", json!([person_b, sealer_a])),
        )
        .await;
    assert_eq!(s, 201, "{dec}");
    let dec_id = dec["envelope"]["id"].as_str().unwrap().to_owned();
    refused(
        &app.post_as(
            &format!("/api/v1/envelopes/{dec_id}/decline"),
            &stranger,
            &json!({}),
        )
        .await,
        404,
        "NOT_FOUND",
        "envelope",
    );
    let (s, declined) = app
        .post_as(
            &format!("/api/v1/envelopes/{dec_id}/decline"),
            &token_b,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{declined}");
    assert_eq!(declined["state"], "declined");
    assert_eq!(
        closings(&app, &mobile_a, &dec_id).await,
        ["declined"],
        "the owner is told"
    );
    assert!(
        closings(&app, &mobile_b, &dec_id).await.is_empty(),
        "not who declined"
    );
    assert_eq!(declined["signers"][0]["declined"], true);
    refused(
        &app.post_as(
            &format!("/api/v1/envelopes/{dec_id}/sign"),
            &token_b,
            &sign_b(None),
        )
        .await,
        409,
        "CONFLICT",
        "declined",
    );
    refused(
        &app.post_as(
            &format!("/api/v1/envelopes/{dec_id}/cancel"),
            &token_a,
            &json!({}),
        )
        .await,
        409,
        "CONFLICT",
        "declined",
    );

    // Cancel: only the owner; then it is closed.
    let (_, can) = app
        .post_as(
            "/api/v1/envelopes",
            &token_a,
            &envelope("sequential", json!([person_b])),
        )
        .await;
    let can_id = can["envelope"]["id"].as_str().unwrap().to_owned();
    refused(
        &app.post_as(
            &format!("/api/v1/envelopes/{can_id}/cancel"),
            &token_b,
            &json!({}),
        )
        .await,
        403,
        "FORBIDDEN",
        "envelope",
    );
    let (s, cancelled) = app
        .post_as(
            &format!("/api/v1/envelopes/{can_id}/cancel"),
            &token_a,
            &json!({}),
        )
        .await;
    assert_eq!((s, cancelled["state"].as_str()), (200, Some("cancelled")));
    assert_eq!(
        closings(&app, &mobile_b, &can_id).await,
        ["cancelled"],
        "the signer is told"
    );
    assert!(closings(&app, &mobile_a, &can_id).await.is_empty());
    refused(
        &app.post_as(
            &format!("/api/v1/envelopes/{can_id}/sign"),
            &token_b,
            &sign_b(None),
        )
        .await,
        409,
        "CONFLICT",
        "cancelled",
    );

    // Expiry: past its time an envelope is expired, with its event, and cannot be signed.
    let (s, exp) = app
        .post_as(
            "/api/v1/envelopes",
            &token_a,
            &json!({"document": doc_id, "expires_at": now() + 2, "signers": [person_b]}),
        )
        .await;
    assert_eq!(s, 201, "{exp}");
    let exp_id = exp["envelope"]["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    // The sweep closes it though nobody opened it, once, and tells both parties.
    let swept = app.state.accounts.expire_envelopes(now()).await.unwrap();
    assert_eq!(swept, std::slice::from_ref(&exp_id));
    assert!(
        app.state
            .accounts
            .expire_envelopes(now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(closings(&app, &mobile_b, &exp_id).await, ["expired"]);
    assert_eq!(closings(&app, &mobile_a, &exp_id).await, ["expired"]);
    // The list shows it expired…
    let (_, listed) = app.get_as("/api/v1/envelopes", &token_b).await;
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == exp_id.as_str())
        .unwrap();
    assert_eq!(mine["state"], "expired", "{mine}");
    // …and nothing is signed in it.
    refused(
        &app.post_as(
            &format!("/api/v1/envelopes/{exp_id}/sign"),
            &token_b,
            &sign_b(None),
        )
        .await,
        409,
        "CONFLICT",
        "expired",
    );
    let (_, expired) = app
        .get_as(&format!("/api/v1/envelopes/{exp_id}"), &token_a)
        .await;
    assert_eq!(expired["envelope"]["state"], "expired");
    assert!(
        kinds(&expired).ends_with(&["expired".into(), "notified".into(), "notified".into()]),
        "{expired}"
    );

    // Sending is limited per account (each envelope sends SMS notices): five sent so far, the
    // test's limit is six an hour; the seventh is refused and notifies nobody.
    let again = envelope("sequential", json!([person_b]));
    let (s, _) = app.post_as("/api/v1/envelopes", &token_a, &again).await;
    assert_eq!(s, 201);
    let before = notices(&app, &mobile_b).await.len();
    refused(
        &app.post_as("/api/v1/envelopes", &token_a, &again).await,
        429,
        "RATE_LIMITED",
        "too many envelopes",
    );
    assert_eq!(notices(&app, &mobile_b).await.len(), before);
    assert_eq!(app.json("/healthz").await.0, 200);
}

backend_tests!(envelopes_are_signed_in_turn_with_a_full_trail);
