//! Identity verification end to end (IDV-1..IDV-6, PRIV-2, PRIV-7): every method through the
//! HTTP API, the Tencent Cloud adapter and two simulators speaking its protocol on loopback
//! (`primary`, then `secondary` as fallback), identities picked from the simulator's
//! `GET /_fixtures`.

use serde_json::{Value, json};
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use super::{TestApp, policy_version};

/// The simulator's dataset, from `GET /_fixtures` of the primary.
pub(crate) async fn fixtures(app: &TestApp) -> Value {
    let r = app
        .http
        .get(format!("{}_fixtures", app.sims[0].endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Total provider calls the simulator `i` received.
async fn calls(app: &TestApp, i: usize) -> u64 {
    let v: Value = app
        .http
        .get(format!("{}_calls", app.sims[i].endpoint()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum()
}

async fn control(app: &TestApp, i: usize, change: Value) {
    let r = app
        .http
        .post(format!("{}_control", app.sims[i].endpoint()))
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// The fixture persons whose every check is expected to match.
pub(crate) fn clean_persons(f: &Value) -> Vec<&Value> {
    f["persons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p.get("note").is_none()
                && p["expected"]["carrier"] == "match"
                && p["expected"]["bank_card"] == "match"
                && p["expected"]["face"] == "match"
        })
        .collect()
}

/// The first person whose every check is expected to match.
pub(crate) fn clean_person(f: &Value) -> &Value {
    clean_persons(f)
        .first()
        .copied()
        .expect("a person whose checks all match")
}

/// The first person whose `check` is expected to be a mismatch.
fn person_expecting<'a>(f: &'a Value, check: &str) -> &'a Value {
    f["persons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["expected"][check] == "mismatch")
        .unwrap_or_else(|| panic!("a person whose {check} check is a deliberate mismatch"))
}

/// A Luhn-valid card number near `card` that the dataset does not hold: the 8th digit changed,
/// the check digit recomputed.
fn unissued_card(card: &str) -> String {
    let mut d: Vec<u32> = card.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let n = d.len();
    d[7] = (d[7] + 5) % 10;
    let sum: u32 = d[..n - 1]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    d[n - 1] = (10 - sum % 10) % 10;
    d.iter()
        .map(|x| char::from_digit(*x, 10).unwrap())
        .collect()
}

/// Registers the fixture person `p` as user `n` and logs in: (account id, token).
pub(crate) async fn signed_up_as(app: &TestApp, n: u32, p: &Value) -> (String, String) {
    let version = policy_version(app).await;
    let (s, reg, _) = app
        .post(
            "/api/v1/accounts/personal",
            &json!({
                "username": format!("idv{n}"),
                "password": "correct horse 42",
                "name": p["name"],
                "country_region": "CN",
                "document_type": "resident_id_card",
                "document_number": p["id_number"],
                "mobile": p["mobile"],
                "email": format!("idv{n}@example.cn"),
                "accept_policy_version": version,
                "consents": ["sensitive_personal_information"],
            }),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let (s, sess, _) = app
        .post(
            "/api/v1/sessions",
            &json!({"method": "password", "username": format!("idv{n}"), "password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 201, "{sess}");
    (
        reg["account_id"].as_str().unwrap().to_owned(),
        sess["token"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn consent_to(app: &TestApp, token: &str, scope: &str) {
    let version = policy_version(app).await;
    let (s, c) = app
        .post_as(
            "/api/v1/consents",
            token,
            &json!({"scope": scope, "action": "given", "policy_version": version}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
}

pub(crate) fn carrier(p: &Value) -> Value {
    json!({"method": "carrier", "name": p["name"], "document_number": p["id_number"], "mobile": p["mobile"]})
}

fn bank_card(p: &Value) -> Value {
    json!({"method": "bank_card", "name": p["name"], "document_number": p["id_number"],
           "card_number": p["card_number"], "mobile": p["reserved_mobile"]})
}

fn face(p: &Value, face_image: &Value) -> Value {
    json!({"method": "face", "name": p["name"], "document_number": p["id_number"],
           "document_photo": p["photo"], "face_image": face_image})
}

pub(crate) async fn verify(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    app.post_as("/api/v1/verifications", token, body).await
}

/// IDV-1, IDV-5, IDV-6: each personal method matches for a clean identity; a match issues a
/// credential, a later one supersedes it; ID-card capture shows what it read.
async fn every_personal_method_verifies_through_the_simulator(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;

    let (s, me) = app.get_as("/api/v1/me/verifications", &token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["status"]["verified"], false);
    let (s, _) = app.get_as("/api/v1/me/credential", &token).await;
    assert_eq!(s, 404);

    for scope in [
        "idv_carrier",
        "idv_bank_card",
        "idv_face",
        "idv_id_card_capture",
    ] {
        consent_to(&app, &token, scope).await;
    }
    let (s, v) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["record"]["outcome"], "match", "{v}");
    assert_eq!(v["record"]["provider"], "primary");
    assert_eq!(v["record"]["assurance"], "substantial");
    assert_eq!(v["status"]["verified"], true);
    let first = v["credential"]["record"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["credential"]["claims"]["name"], p["name"]);
    let masked = v["credential"]["claims"]["document_number_masked"]
        .as_str()
        .unwrap();
    assert!(masked.contains('*') && !masked.contains(p["id_number"].as_str().unwrap()));

    let (s, v) = verify(&app, &token, &bank_card(p)).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );

    let (s, v) = verify(&app, &token, &face(p, &p["live_face"])).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );
    assert_eq!(v["record"]["assurance"], "high");
    assert_eq!(v["status"]["assurance"], "high");

    let (s, v) = verify(
        &app,
        &token,
        &json!({"method": "id_card_capture", "front_image": p["id_card_front"], "back_image": p["id_card_back"]}),
    )
    .await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );
    assert_eq!(v["id_card"]["name"], p["name"]);
    assert_eq!(v["id_card"]["id_number"], p["id_number"]);
    assert_eq!(v["id_card"]["issuing_authority"], p["authority"]);
    assert_eq!(v["id_card"]["validity_period"], p["valid_date"]);

    // IDV-5: every match issued a new credential; only the newest stands.
    let (s, me) = app.get_as("/api/v1/me/verifications", &token).await;
    assert_eq!(s, 200);
    let creds = me["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 4, "{me}");
    assert!(creds[0]["superseded_at"].is_null());
    assert!(creds[1..].iter().all(|c| c["superseded_at"].is_i64()));
    assert!(creds.iter().any(|c| c["id"] == first.as_str()));
    let (s, current) = app.get_as("/api/v1/me/credential", &token).await;
    assert_eq!(s, 200, "{current}");
    assert_eq!(current["record"]["id"], creds[0]["id"]);
    assert_eq!(me["records"].as_array().unwrap().len(), 4);
}

/// IDV-1: a wrong value of each factor is a recorded mismatch naming that factor, and never
/// verifies; the deliberate mismatches of the dataset come out as such.
async fn a_wrong_factor_is_a_mismatch_naming_it(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    for scope in ["idv_carrier", "idv_bank_card", "idv_face"] {
        consent_to(&app, &token, scope).await;
    }
    let other = f["persons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id_number"] != p["id_number"])
        .unwrap();
    let mismatch = |v: &Value, factor: &str| {
        assert_eq!(v["record"]["outcome"], "mismatch", "{v}");
        let m = v["record"]["mismatched"].as_array().unwrap();
        assert!(m.iter().any(|x| x == factor), "{factor} not in {v}");
        assert!(v["credential"].is_null());
    };

    let mut wrong = carrier(p);
    wrong["mobile"] = other["mobile"].clone();
    let (s, v) = verify(&app, &token, &wrong).await;
    assert_eq!(s, 201, "{v}");
    mismatch(&v, "mobile");

    // A card no bank issued (Luhn-valid): the card number is what is wrong.
    let mut wrong = bank_card(p);
    wrong["card_number"] = json!(unissued_card(p["card_number"].as_str().unwrap()));
    let (_, v) = verify(&app, &token, &wrong).await;
    mismatch(&v, "card_number");
    // Someone else's card: the provider says the holder's details do not match it.
    let mut wrong = bank_card(p);
    wrong["card_number"] = other["card_number"].clone();
    let (_, v) = verify(&app, &token, &wrong).await;
    assert_eq!(v["record"]["outcome"], "mismatch", "{v}");
    let mut wrong = bank_card(p);
    wrong["mobile"] = other["reserved_mobile"].clone();
    let (_, v) = verify(&app, &token, &wrong).await;
    mismatch(&v, "reserved_mobile");

    let (_, v) = verify(&app, &token, &face(p, &other["live_face"])).await;
    mismatch(&v, "face");
    let mut wrong = face(p, &p["live_face"]);
    wrong["document_photo"] = other["photo"].clone();
    let (_, v) = verify(&app, &token, &wrong).await;
    mismatch(&v, "document_photo");

    let (_, me) = app.get_as("/api/v1/me/verifications", &token).await;
    assert_eq!(me["status"]["verified"], false, "{me}");
    assert_eq!(me["records"].as_array().unwrap().len(), 6);

    // The dataset's own deliberate mismatches, each on a fresh account of that person.
    for (n, check) in [(2, "carrier"), (3, "bank_card"), (4, "face")] {
        let q = person_expecting(&f, check);
        let (_, t) = signed_up_as(&app, n, q).await;
        consent_to(&app, &t, &format!("idv_{check}")).await;
        let body = match check {
            "carrier" => carrier(q),
            "bank_card" => bank_card(q),
            _ => face(q, &q["live_face"]),
        };
        let (s, v) = verify(&app, &t, &body).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["record"]["outcome"], "mismatch", "{check}: {v}");
        assert!(!v["record"]["mismatched"].as_array().unwrap().is_empty());
    }
}

/// IDV-3: a provider that times out is followed by the next on the route, and both calls are in
/// the disclosure log; with every provider down the answer is PROVIDER_UNAVAILABLE, the status
/// is unchanged, and the attempt is recorded as a provider error.
async fn timeout_falls_back_and_all_down_is_unavailable(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    consent_to(&app, &token, "idv_carrier").await;

    control(&app, 0, json!({"latency_ms": 3000})).await;
    let (s, v) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["record"]["outcome"], "match");
    assert_eq!(v["record"]["provider"], "secondary");
    let (_, d) = app.get_as("/api/v1/me/disclosures", &token).await;
    let d = d["disclosures"].as_array().unwrap();
    assert_eq!(d.len(), 2, "{d:?}");
    let results: Vec<(&str, &str)> = d
        .iter()
        .map(|x| {
            (
                x["processor"].as_str().unwrap(),
                x["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(results.contains(&("primary", "timeout")), "{results:?}");
    assert!(results.contains(&("secondary", "match")), "{results:?}");

    let (_, before) = app.get_as("/api/v1/me/verifications", &token).await;
    control(&app, 0, json!({"latency_ms": 0, "down": true})).await;
    control(&app, 1, json!({"down": true})).await;
    let (s, e) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(s, 503, "{e}");
    assert_eq!(e["code"], "PROVIDER_UNAVAILABLE");
    assert!(e["message"].as_str().unwrap().contains("nothing changed"));
    let (_, after) = app.get_as("/api/v1/me/verifications", &token).await;
    assert_eq!(after["status"], before["status"]);
    assert_eq!(after["records"][0]["outcome"], "provider_error");
    assert!(after["records"][0]["error"].is_string());
    assert_eq!(
        after["credentials"].as_array().unwrap().len(),
        before["credentials"].as_array().unwrap().len(),
        "an unavailable provider issues no credential"
    );
}

/// IDV-1, PRIV-2: malformed images, a bad check character, a card failing Luhn, factors that
/// are not the account's, a missing consent — each a 4xx naming the field, and no provider call.
async fn bad_input_is_refused_before_any_provider_call(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    let calls_before = calls(&app, 0).await + calls(&app, 1).await;

    // No consent yet.
    let (s, e) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{e}"
    );
    assert!(
        e["message"].as_str().unwrap().contains("idv_carrier"),
        "{e}"
    );
    for scope in [
        "idv_carrier",
        "idv_bank_card",
        "idv_face",
        "idv_id_card_capture",
    ] {
        consent_to(&app, &token, scope).await;
    }

    let id = p["id_number"].as_str().unwrap();
    let last = id.chars().last().unwrap();
    let wrong_check = format!("{}{}", &id[..17], if last == '0' { '1' } else { '0' });
    let mut bad_id = carrier(p);
    bad_id["document_number"] = json!(wrong_check);
    let mut bad_card = bank_card(p);
    let card = p["card_number"].as_str().unwrap();
    let flipped = (card.as_bytes()[card.len() - 1] - b'0' + 1) % 10;
    bad_card["card_number"] = json!(format!("{}{flipped}", &card[..card.len() - 1]));
    let mut truncated = face(p, &p["live_face"]);
    {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        let png = STANDARD.decode(p["live_face"].as_str().unwrap()).unwrap();
        truncated["face_image"] = json!(STANDARD.encode(&png[..png.len() / 2]));
    }
    let mut not_base64 = face(p, &p["live_face"]);
    not_base64["document_photo"] = json!("this is not an image!");
    let mut gif = face(p, &p["live_face"]);
    gif["face_image"] = json!("R0lGODlhAQABAAAAACw=");
    let mut other_name = carrier(p);
    other_name["name"] = json!("张冒名");
    let mut bad_mobile = carrier(p);
    bad_mobile["mobile"] = json!("12345678901");

    for (body, field) in [
        (bad_id, "document_number"),
        (bad_card, "card_number"),
        (truncated, "face_image"),
        (not_base64, "document_photo"),
        (gif, "face_image"),
        (other_name, "name"),
        (bad_mobile, "mobile"),
        (
            json!({"method": "id_card_capture", "front_image": "", "back_image": ""}),
            "front_image",
        ),
        (json!({"method": "palm_reading"}), "method"),
    ] {
        let (s, e) = verify(&app, &token, &body).await;
        assert_eq!(s, 400, "{field}: {e}");
        assert_eq!(e["code"], "INVALID_INPUT", "{field}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(field),
            "the message names {field}: {e}"
        );
    }
    assert_eq!(
        calls(&app, 0).await + calls(&app, 1).await,
        calls_before,
        "nothing was sent to a provider"
    );
    let (_, me) = app.get_as("/api/v1/me/verifications", &token).await;
    assert!(
        me["records"].as_array().unwrap().is_empty(),
        "nothing recorded: {me}"
    );
    let (_, d) = app.get_as("/api/v1/me/disclosures", &token).await;
    assert!(d["disclosures"].as_array().unwrap().is_empty());
}

/// IDV-2: the enterprise information check, then a deposit to the corporate account whose
/// amount is confirmed; a wrong amount counts down the attempts.
async fn enterprise_check_and_deposit(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let e = f["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("note").is_none() && e["expected"]["enterprise"] == "match")
        .expect("a clean enterprise");
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    let ent = registered_enterprise(&app, &token, e).await;
    let deposit_path = format!("/api/v1/enterprises/{ent}/deposit");
    let body = json!({"account_number": e["account_number"]});

    // Consent first; then the information check before the account.
    let (s, err) = verify(
        &app,
        &token,
        &json!({"method": "enterprise", "enterprise_id": ent}),
    )
    .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{err}"
    );
    consent_to(&app, &token, "idv_enterprise").await;
    let (s, err) = app.post_as(&deposit_path, &token, &body).await;
    assert_eq!(s, 400, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("enterprise"),
        "{err}"
    );

    let (s, v) = verify(
        &app,
        &token,
        &json!({"method": "enterprise", "enterprise_id": ent}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["record"]["outcome"], "match", "{v}");
    assert_eq!(v["status"]["assurance"], "substantial");
    assert!(
        v["credential"].is_null(),
        "a personal credential is not for enterprises"
    );

    // Another account cannot verify or deposit for it.
    let (_, stranger) = signed_up_as(&app, 2, person_expecting(&f, "carrier")).await;
    consent_to(&app, &stranger, "idv_enterprise").await;
    let (s, _) = verify(
        &app,
        &stranger,
        &json!({"method": "enterprise", "enterprise_id": ent}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = app.post_as(&deposit_path, &stranger, &body).await;
    assert_eq!(s, 404);

    let (s, sent) = app.post_as(&deposit_path, &token, &body).await;
    assert_eq!(s, 201, "{sent}");
    let account = e["account_number"].as_str().unwrap();
    assert!(
        sent["account_hint"]
            .as_str()
            .unwrap()
            .ends_with(&account[account.len() - 4..])
    );
    let deposits: Value = app
        .http
        .get(format!("{}_deposits", app.sims[0].endpoint()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let amount = deposits
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reference"] == sent["deposit_id"])
        .expect("the simulator received the deposit")["amount_fen"]
        .as_i64()
        .unwrap();
    let confirm = format!("{deposit_path}/confirm");
    let wrong = if amount == 99 { 98 } else { amount + 1 };
    let (s, err) = app
        .post_as(&confirm, &token, &json!({"amount_fen": wrong}))
        .await;
    assert_eq!(s, 400, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("2 attempt(s) left"),
        "{err}"
    );
    let (s, err) = app
        .post_as(&confirm, &token, &json!({"amount_fen": 100}))
        .await;
    assert_eq!(s, 400, "{err}");
    assert!(err["message"].as_str().unwrap().contains("amount_fen"));
    let (s, status) = app
        .post_as(&confirm, &token, &json!({"amount_fen": amount}))
        .await;
    assert_eq!(s, 200, "{status}");
    assert_eq!(status["verified"], true);
    assert_eq!(status["assurance"], "high");
    let (s, _) = app
        .post_as(&confirm, &token, &json!({"amount_fen": amount}))
        .await;
    assert_eq!(s, 404, "a confirmed deposit cannot be confirmed again");

    // A new deposit, three wrong amounts: it fails.
    let (s, _) = app.post_as(&deposit_path, &token, &body).await;
    assert_eq!(s, 201);
    for left in [
        "2 attempt(s) left",
        "1 attempt(s) left",
        "no attempt is left",
    ] {
        let (s, err) = app
            .post_as(&confirm, &token, &json!({"amount_fen": 100 - 1}))
            .await;
        // 99 may be the real amount; then this deposit happened to be confirmed.
        if s == 200 {
            return;
        }
        assert!(err["message"].as_str().unwrap().contains(left), "{err}");
    }
    let (_, h) = app
        .get_as(&format!("/api/v1/enterprises/{ent}/verifications"), &token)
        .await;
    let recs = h["records"].as_array().unwrap();
    assert_eq!(recs[0]["outcome"], "mismatch");
    assert_eq!(recs[0]["mismatched"], json!(["deposit_amount"]));
    assert_eq!(
        h["status"]["assurance"], "high",
        "the earlier confirmation stands"
    );
}

/// IDV-3, PRIV-7: the processor register lists every provider with the seed-000 columns; the
/// disclosure log names data items and processor per call, and holds no value.
async fn processors_and_disclosures_hold_no_values(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, reg) = app.json("/api/v1/privacy/processors").await;
    assert_eq!(s, 200, "{reg}");
    let procs = reg["processors"].as_array().unwrap();
    assert_eq!(procs.len(), 2);
    for p in procs {
        for k in [
            "name",
            "legal_name",
            "contact",
            "purpose",
            "processing_method",
            "location",
        ] {
            assert!(!p[k].as_str().unwrap().is_empty(), "{k} of {p}");
        }
        assert!(
            p["data_items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i == "person.name")
        );
    }
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (account, token) = signed_up_as(&app, 1, p).await;
    consent_to(&app, &token, "idv_bank_card").await;
    let (s, v) = verify(&app, &token, &bank_card(p)).await;
    assert_eq!(s, 201, "{v}");
    let (_, d) = app.get_as("/api/v1/me/disclosures", &token).await;
    let log = d["disclosures"].as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["processor"], "primary");
    assert_eq!(log[0]["purpose"], "real_name_verification");
    assert_eq!(log[0]["result"], "match");
    assert_eq!(
        log[0]["data_items"],
        json!([
            "person.name",
            "person.document_number",
            "bank.card_number",
            "bank.reserved_mobile"
        ])
    );
    let text = d.to_string();
    for k in ["name", "id_number", "card_number", "reserved_mobile"] {
        assert!(
            !text.contains(p[k].as_str().unwrap()),
            "{k} leaked into the log"
        );
    }
    // The provision queued its evidence entry with its record (issue 7 item 2; PRIV-7): in the
    // evidence log, one entry opens with the salt beside the record to the record's bytes, and
    // no entry holds a value sent.
    let records = db
        .stores
        .accounts
        .disclosures_of(account.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    let salt = yinxin_ledger::entry::Salt(
        db.stores
            .ledger
            .evidence_salt("disclosure", &records[0].id.to_string())
            .await
            .unwrap()
            .expect("the salt beside the disclosure"),
    );
    let evidence_log = app.state.log.clone().unwrap();
    evidence_log
        .sequence(1000, 1_900_000_000_000)
        .await
        .unwrap();
    let bytes = yinxin_identity::evidence::disclosure_bytes(&records[0]);
    let mut opened = 0;
    for i in 0..evidence_log.size().await.unwrap() {
        let leaf = evidence_log.entry(i).await.unwrap();
        for k in ["name", "id_number", "card_number", "reserved_mobile"] {
            let v = p[k].as_str().unwrap().as_bytes();
            assert!(!leaf.windows(v.len()).any(|w| w == v), "{k} in a leaf");
        }
        if let yinxin_ledger::entry::EntryBody::Disclosure { disclosure } =
            yinxin_ledger::entry::Entry::decode(&leaf).unwrap().body
            && disclosure.opens_to(&salt.part(1), &bytes)
        {
            opened += 1;
        }
    }
    assert_eq!(opened, 1);
}

/// IDV-6: the credential verifies offline, with OpenSSL, against the key published at
/// `/.well-known/yinxin-credential-keys`; a tampered one does not.
async fn credential_verifies_offline_and_tampering_fails(db: &TestDb) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (account, token) = signed_up_as(&app, 1, p).await;
    consent_to(&app, &token, "idv_carrier").await;
    let (s, v) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(s, 201, "{v}");
    let (s, c) = app.get_as("/api/v1/me/credential", &token).await;
    assert_eq!(s, 200, "{c}");
    let jws = c["credential"].as_str().unwrap();
    assert_eq!(
        jws,
        v["credential"]["credential"].as_str().unwrap(),
        "signed again, the same"
    );
    let (s, keys) = app.json("/.well-known/yinxin-credential-keys").await;
    assert_eq!(s, 200);
    let x = keys["keys"][0]["x"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jws.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], keys["keys"][0]["kid"]);
    assert!(
        super::consent::openssl_verifies(jws, x),
        "OpenSSL refused the credential"
    );
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jws.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], account.as_str());
    assert_eq!(claims["assurance_level"], "substantial");
    assert_eq!(claims["verification_method"], "carrier");
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    // Tampered: raise the assurance level, keep the signature.
    let mut forged = claims.clone();
    forged["assurance_level"] = json!("high");
    let parts: Vec<&str> = jws.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged.to_string()),
        parts[2]
    );
    assert!(!super::consent::openssl_verifies(&tampered, x));
}

/// Registers fixture enterprise `e` from the session `token`: its account id.
pub(crate) async fn registered_enterprise(app: &TestApp, token: &str, e: &Value) -> String {
    let version = policy_version(app).await;
    let (s, reg) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            token,
            &json!({
                "name": e["name"],
                "kind": "legal_person",
                "credit_code": e["credit_code"],
                "legal_representative": {
                    "name": e["legal_rep_name"],
                    "country_region": "CN",
                    "document_type": "resident_id_card",
                    "document_number": e["legal_rep_id_number"],
                },
                "legal_representative_warranty": true,
                "accept_policy_version": version,
                "consents": ["sensitive_personal_information"],
            }),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    reg["enterprise_id"].as_str().unwrap().to_owned()
}

/// IDV-1, IDV-2: the factors the provider names — an ID number without record, a legal
/// representative who is not the registered one — and a deposit to an account held by someone
/// else, refused naming the account.
async fn provider_mismatches_name_their_factor(db: &TestDb) {
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let persons = f["persons"].as_array().unwrap();
    let no_record = persons
        .iter()
        .find(|p| p["note"].as_str().is_some_and(|n| n.contains("no record")))
        .unwrap();
    let (_, token) = signed_up_as(&app, 1, no_record).await;
    consent_to(&app, &token, "idv_carrier").await;
    let (s, v) = verify(&app, &token, &carrier(no_record)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["record"]["outcome"], "mismatch", "{v}");
    assert!(
        v["record"]["mismatched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "document_number"),
        "{v}"
    );

    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 2, p).await;
    consent_to(&app, &token, "idv_enterprise").await;
    let ents = f["enterprises"].as_array().unwrap();
    let differs = ents
        .iter()
        .find(|e| e["expected"]["enterprise"] == "mismatch")
        .unwrap();
    let ent = registered_enterprise(&app, &token, differs).await;
    let (s, v) = verify(
        &app,
        &token,
        &json!({"method": "enterprise", "enterprise_id": ent}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["record"]["outcome"], "mismatch", "{v}");
    let m = v["record"]["mismatched"].as_array().unwrap();
    assert!(
        m.iter()
            .any(|x| x.as_str().unwrap().starts_with("legal_rep")),
        "{v}"
    );
    assert_eq!(v["status"]["verified"], false);

    let other_holder = ents
        .iter()
        .find(|e| e["expected"]["deposit"] == "mismatch")
        .unwrap();
    let ent = registered_enterprise(&app, &token, other_holder).await;
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
    let (s, e) = app
        .post_as(
            &format!("/api/v1/enterprises/{ent}/deposit"),
            &token,
            &json!({"account_number": other_holder["account_number"]}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("account_number"),
        "{e}"
    );
    let (_, h) = app
        .get_as(&format!("/api/v1/enterprises/{ent}/verifications"), &token)
        .await;
    assert_eq!(h["records"][0]["method"], "enterprise_account");
    assert_eq!(h["records"][0]["outcome"], "mismatch", "{h}");
    assert_eq!(h["status"]["assurance"], "substantial");
}

/// Issue 8 item 9 (CERT-9, PRIV-2): with every provider outside the mainland, a verification
/// without the subject's separate consent to the transfer is refused naming it, and nothing is
/// sent (no disclosure, no verification record); with the consent it goes to the provider whose
/// security assessment is recorded, never to the one without. The register says which is where.
async fn providers_abroad_receive_nothing_without_the_transfer_consent(db: &TestDb) {
    let app = TestApp::start_abroad(db).await;
    let (s, reg) = app.json("/api/v1/privacy/processors").await;
    assert_eq!(s, 200, "{reg}");
    let by_name = |n: &str| {
        reg["processors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("primary")["outside_prc"], true);
    assert_eq!(
        by_name("primary")["security_assessment"],
        "CAC-assessment-2026-0001"
    );
    assert_eq!(by_name("secondary")["security_assessment"], Value::Null);
    let (_, notice, _) = app.get("/privacy").await;
    assert!(
        notice.contains("outside the mainland"),
        "the notice names the transfer"
    );
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    consent_to(&app, &token, "idv_carrier").await;
    let got = verify(&app, &token, &carrier(p)).await;
    crate::signing::refused(&got, 403, "CONSENT_REQUIRED", "cross_border_transfer");
    let (_, d) = app.get_as("/api/v1/me/disclosures", &token).await;
    assert_eq!(d["disclosures"], json!([]), "nothing was sent: {d}");
    let (_, h) = app.get_as("/api/v1/me/verifications", &token).await;
    assert_eq!(h["records"], json!([]), "nothing was recorded: {h}");

    consent_to(&app, &token, "cross_border_transfer").await;
    let (s, v) = verify(&app, &token, &carrier(p)).await;
    assert_eq!(s, 201, "{v}");
    let (_, d) = app.get_as("/api/v1/me/disclosures", &token).await;
    let sent: Vec<&str> = d["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["processor"].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["primary"], "{d}");
}

backend_tests!(
    providers_abroad_receive_nothing_without_the_transfer_consent,
    provider_mismatches_name_their_factor,
    every_personal_method_verifies_through_the_simulator,
    a_wrong_factor_is_a_mismatch_naming_it,
    timeout_falls_back_and_all_down_is_unavailable,
    bad_input_is_refused_before_any_provider_call,
    enterprise_check_and_deposit,
    processors_and_disclosures_hold_no_values,
    credential_verifies_offline_and_tampering_fails,
    face_image_is_not_retained_anywhere,
);

/// True if any 32-byte window of `needle` occurs in `hay`.
fn any_window_in(needle: &[u8], hay: &[u8]) -> bool {
    use std::collections::HashSet;
    if needle.len() < 32 || hay.len() < 32 {
        return false;
    }
    let windows: HashSet<&[u8]> = needle.windows(32).collect();
    hay.windows(32).any(|w| windows.contains(w))
}

/// Every row of every table of the PostgreSQL schemas of `db`, as text (bytea as `\\x` hex).
fn postgres_rows(db: &TestDb) -> String {
    let mut all = String::new();
    for target in [&db.config.data, &db.config.keystore] {
        let schema = target.schema.clone().unwrap_or_else(|| "public".into());
        let psql = |sql: String| {
            let o = std::process::Command::new("psql")
                .arg(&target.url)
                .args(["-At", "-c", &sql])
                .output()
                .expect("psql is installed");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8(o.stdout).unwrap()
        };
        let tables = psql(format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"
        ));
        assert!(tables.lines().count() > 1, "{schema}: {tables}");
        for t in tables.lines() {
            all.push_str(&psql(format!("SELECT x::text FROM \"{schema}\".\"{t}\" x")));
        }
    }
    all
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// IDV-1(c), 004 "not retained": after a face comparison, no 32-byte window of the face image or
/// the document photo — raw or base64 — is in the data directory (database, WAL, key store,
/// outbox), in any row of the PostgreSQL schemas, or in the log.
async fn face_image_is_not_retained_anywhere(db: &TestDb) {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f);
    let (_, token) = signed_up_as(&app, 1, p).await;
    consent_to(&app, &token, "idv_face").await;
    let face_b64 = p["live_face"].as_str().unwrap();
    let face_raw = STANDARD.decode(face_b64).unwrap();
    let photo_raw = STANDARD.decode(p["photo"].as_str().unwrap()).unwrap();
    let (s, v) = verify(&app, &token, &face(p, &p["live_face"])).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );
    // A refused one too (a mismatch still carried images).
    let other = person_expecting(&f, "face");
    let (s, _) = verify(&app, &token, &face(p, &other["live_face"])).await;
    assert_eq!(s, 201);

    let mut searched = 0;
    let mut stack = vec![app.outbox_dir().to_path_buf()];
    if let Some(file) = db.config.data.url.strip_prefix("sqlite://") {
        stack.push(std::path::Path::new(file).parent().unwrap().to_path_buf());
    } else {
        let rows = postgres_rows(db);
        searched += rows.len();
        assert!(
            rows.contains("real_name_verification"),
            "the disclosures were dumped"
        );
        for (what, raw) in [("face", &face_raw), ("document photo", &photo_raw)] {
            for w in raw.windows(32) {
                assert!(!rows.contains(&hex(w)), "{what} found in PostgreSQL");
            }
        }
        assert!(
            !any_window_in(face_b64.as_bytes(), rows.as_bytes()),
            "face in PostgreSQL"
        );
    }
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            searched += bytes.len();
            for (what, needle) in [
                ("face", face_raw.as_slice()),
                ("face base64", face_b64.as_bytes()),
                ("document photo", photo_raw.as_slice()),
            ] {
                assert!(
                    !any_window_in(needle, &bytes),
                    "{what} found in {}",
                    path.display()
                );
            }
        }
    }
    assert!(searched > 0, "the database was searched");
    let log = super::log().text();
    assert!(!log.is_empty());
    assert!(
        !any_window_in(face_b64.as_bytes(), log.as_bytes()),
        "face in the log"
    );
    assert!(!any_window_in(&face_raw, log.as_bytes()), "face in the log");
}
