//! IDV-4: information about other people, through the server. Whoever registers an enterprise
//! warrants the legal representative's separate consent (unless they are the legal
//! representative); the legal representative, once their identity is verified, objects and the
//! information about them is deleted. Identities that verify are the simulator's fixtures.

use serde_json::{Value, json};
use yinxin_domain::AccountId;
use yinxin_domain::inventory::{
    ENTERPRISE_CREDIT_CODE, ENTERPRISE_NAME, LEGAL_REP_DOCUMENT_NUMBER, LEGAL_REP_DOCUMENT_TYPE,
    LEGAL_REP_NAME,
};
use yinxin_domain::third_party::{ThirdPartyRole, ThirdPartyWarranty};
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use super::idv::{carrier, consent_to, fixtures, signed_up_as, verify};
use super::{TestApp, log, policy_version, resident_id};

/// An organization code (GB 11714) with its check character: 8 digits from `n`, then the check.
fn organization_code(n: u32) -> String {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("{n:08}");
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap(),
    };
    format!("{body}-{check}")
}

/// An enterprise registration naming `rep` (name, resident ID number); `warranty` is left out
/// when `None`.
fn enterprise(code: &str, policy: &str, rep: (&str, &str), warranty: Option<bool>) -> Value {
    let mut body = json!({
        "name": format!("某某科技有限公司 {code}"),
        "kind": "legal_person",
        "credit_code": code,
        "legal_representative": {
            "name": rep.0,
            "country_region": "CN",
            "document_type": "resident_id_card",
            "document_number": rep.1,
        },
        "accept_policy_version": policy,
        "consents": ["sensitive_personal_information"],
    });
    if let Some(w) = warranty {
        body["legal_representative_warranty"] = Value::from(w);
    }
    body
}

async fn register(app: &TestApp, token: &str, body: &Value) -> String {
    let (s, reg) = app
        .post_as("/api/v1/accounts/enterprise", token, body)
        .await;
    assert_eq!(s, 201, "{reg}");
    reg["enterprise_id"].as_str().unwrap().to_owned()
}

async fn warranties(db: &TestDb, enterprise: &str) -> Vec<ThirdPartyWarranty> {
    db.stores
        .accounts
        .warranties_of_enterprise(enterprise.parse().unwrap())
        .await
        .unwrap()
}

/// Whether the enterprise's vault subject holds its name and each legal-representative field,
/// read straight from the vault: [name, rep name, rep document type, rep document number].
async fn stored(app: &TestApp, db: &TestDb, enterprise: &str) -> [bool; 4] {
    let id: AccountId = enterprise.parse().unwrap();
    let subject = db
        .stores
        .accounts
        .account(id)
        .await
        .unwrap()
        .unwrap()
        .subject;
    let mut held = [false; 4];
    for (i, f) in [
        &ENTERPRISE_NAME,
        &LEGAL_REP_NAME,
        &LEGAL_REP_DOCUMENT_TYPE,
        &LEGAL_REP_DOCUMENT_NUMBER,
    ]
    .into_iter()
    .enumerate()
    {
        held[i] = app.state.vault.get(subject, f).await.unwrap().is_some();
    }
    held
}

async fn object(app: &TestApp, token: &str, body: Option<Value>) -> (u16, Value) {
    let req = app.http.post(format!("{}/api/v1/me/objections", app.base));
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    app.send_as(req, token).await
}

/// IDV-4: a registrant who names another person as legal representative warrants that person's
/// separate consent, or nothing is stored; one who names themself (the same document as their
/// own account's) needs no warranty, and none is recorded, once their identity is verified.
async fn the_legal_representative_warranty_is_required_unless_the_registrant_is_them(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (registrant, token) = app.signed_up(41).await;
    let rep_number = resident_id("44030419711029001");
    let rep = ("马化腾", rep_number.as_str());
    let code = organization_code(41);

    for warranty in [None, Some(false)] {
        let (s, e) = app
            .post_as(
                "/api/v1/accounts/enterprise",
                &token,
                &enterprise(&code, &version, rep, warranty),
            )
            .await;
        assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");
        let m = e["message"].as_str().unwrap();
        assert!(m.starts_with("legal_representative_warranty: "), "{m}");
        assert!(!m.contains(&rep_number), "the value is echoed: {m}");
    }
    // Nothing was stored: no enterprise, no legal representative, no authorization.
    let v = &app.state.vault;
    assert!(
        v.find(&ENTERPRISE_CREDIT_CODE, &code)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        v.find(&LEGAL_REP_DOCUMENT_NUMBER, &rep_number)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, mine) = app.get_as("/api/v1/me/authorizations", &token).await;
    assert_eq!(mine["authorizations"].as_array().unwrap().len(), 0);

    // With the warranty: registered, and the warranty recorded without the number.
    let ent = register(&app, &token, &enterprise(&code, &version, rep, Some(true))).await;
    let ws = warranties(db, &ent).await;
    assert_eq!(ws.len(), 1, "{ws:?}");
    let w = &ws[0];
    assert_eq!(w.submitted_by.to_string(), registrant);
    assert_eq!(w.enterprise.to_string(), ent);
    assert_eq!(w.about, ThirdPartyRole::LegalRepresentative);
    assert_eq!(w.subject_key.len(), 32);
    assert!(
        !w.subject_key
            .windows(6)
            .any(|x| rep_number.as_bytes().windows(6).any(|y| x == y)),
        "the key carries the number"
    );
    assert!(w.at > 0 && w.objected_at.is_none());
    assert!(!format!("{w:?}").contains(&rep_number));

    // The registrant names the number they registered with (`signed_up` registers 王小明 with
    // it), but nothing says it is theirs: the warranty is needed, and recorded, so that the
    // number's verified holder can still object.
    let own = resident_id("11010519800101123");
    let myself = ("王小明", own.as_str());
    let (s, e) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            &token,
            &enterprise(&organization_code(42), &version, myself, None),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("legal_representative_warranty: ")
    );
    let ent = register(
        &app,
        &token,
        &enterprise(&organization_code(42), &version, myself, Some(true)),
    )
    .await;
    assert_eq!(warranties(db, &ent).await.len(), 1);

    // A verified registrant who is the legal representative needs no warranty; none is recorded.
    let f = fixtures(&app).await;
    let p = clean_persons(&f)[0];
    let (_, tp) = signed_up_as(&app, 1, p).await;
    consent_to(&app, &tp, "idv_carrier").await;
    let (s, v) = verify(&app, &tp, &carrier(p)).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );
    let p_rep = (
        p["name"].as_str().unwrap(),
        p["id_number"].as_str().unwrap(),
    );
    for (n, warranty) in [(43, None), (44, Some(true))] {
        let ent = register(
            &app,
            &tp,
            &enterprise(&organization_code(n), &version, p_rep, warranty),
        )
        .await;
        assert!(warranties(db, &ent).await.is_empty());
    }
}

/// The simulator's persons whose carrier check matches and who carry no deliberate mismatch.
fn clean_persons(f: &Value) -> Vec<&Value> {
    f["persons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.get("note").is_none() && p["expected"]["carrier"] == "match")
        .collect()
}

/// IDV-4: only a verified person may object; a bystander's objection touches nothing; the legal
/// representative's objection deletes their information from every enterprise that named them
/// (and only theirs), marks the warranties objected, and a second objection finds nothing.
async fn a_verified_legal_representative_objects_and_their_information_is_deleted(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let f = fixtures(&app).await;
    let clean = clean_persons(&f);
    let (p, q, bystander) = (clean[0], clean[1], clean[2]);
    let uscc = f["enterprises"][0]["credit_code"]
        .as_str()
        .unwrap()
        .to_owned();

    // One registrant names p as legal representative of two enterprises, q of a third.
    let (_, registrant) = app.signed_up(51).await;
    let p_rep = (
        p["name"].as_str().unwrap(),
        p["id_number"].as_str().unwrap(),
    );
    let q_rep = (
        q["name"].as_str().unwrap(),
        q["id_number"].as_str().unwrap(),
    );
    let e1 = register(
        &app,
        &registrant,
        &enterprise(&uscc, &version, p_rep, Some(true)),
    )
    .await;
    let e2 = register(
        &app,
        &registrant,
        &enterprise(&organization_code(52), &version, q_rep, Some(true)),
    )
    .await;
    let e3 = register(
        &app,
        &registrant,
        &enterprise(&organization_code(53), &version, p_rep, Some(true)),
    )
    .await;
    for e in [&e1, &e2, &e3] {
        assert_eq!(stored(&app, db, e).await, [true; 4]);
    }

    // p, not yet verified, may not object: anyone can register with someone's number.
    let (_, tp) = signed_up_as(&app, 1, p).await;
    let (s, e) = object(&app, &tp, None).await;
    assert_eq!((s, e["code"].as_str()), (403, Some("FORBIDDEN")), "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("verify your identity first"),
        "{e}"
    );
    assert_eq!(stored(&app, db, &e1).await, [true; 4]);
    let (s, _) = object(&app, "not-a-session", None).await;
    assert_eq!(s, 401);

    // Verified through the carrier check (the simulator on loopback).
    consent_to(&app, &tp, "idv_carrier").await;
    let (s, v) = verify(&app, &tp, &carrier(p)).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );

    // A verified bystander objects: nothing is about them, nothing is touched.
    let (_, tb) = signed_up_as(&app, 2, bystander).await;
    consent_to(&app, &tb, "idv_carrier").await;
    let (s, v) = verify(&app, &tb, &carrier(bystander)).await;
    assert_eq!(
        (s, v["record"]["outcome"].as_str()),
        (201, Some("match")),
        "{v}"
    );
    let (s, o) = object(&app, &tb, None).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o, json!({"objections": 0, "enterprises": []}));
    for e in [&e1, &e2, &e3] {
        assert_eq!(stored(&app, db, e).await, [true; 4]);
        assert!(warranties(db, e).await[0].objected_at.is_none());
    }

    // A body naming no known role is refused.
    let (s, e) = object(&app, &tp, Some(json!({"about": "guardian"}))).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");

    // p objects (an empty body: every role): both enterprises naming p lose p's information.
    let (s, o) = object(&app, &tp, None).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["objections"], 2, "{o}");
    let mut named: Vec<&str> = o["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    named.sort_unstable();
    let mut expected = vec![e1.as_str(), e3.as_str()];
    expected.sort_unstable();
    assert_eq!(named, expected);
    for e in [&e1, &e3] {
        // The enterprise stays; the legal representative's fields are gone from the vault.
        assert_eq!(stored(&app, db, e).await, [true, false, false, false]);
        let ws = warranties(db, e).await;
        assert!(ws[0].objected_at.is_some(), "{ws:?}");
    }
    assert!(
        app.state
            .vault
            .find(&LEGAL_REP_DOCUMENT_NUMBER, p_rep.1)
            .await
            .unwrap()
            .is_empty()
    );
    // q's is untouched.
    assert_eq!(stored(&app, db, &e2).await, [true; 4]);
    assert!(warranties(db, &e2).await[0].objected_at.is_none());
    assert_eq!(
        app.state
            .vault
            .find(&LEGAL_REP_DOCUMENT_NUMBER, q_rep.1)
            .await
            .unwrap()
            .len(),
        1
    );

    // The agents see the enterprise without a legal representative.
    let (s, profile) = app
        .get_as(&format!("/api/v1/enterprises/{e1}"), &registrant)
        .await;
    assert_eq!(s, 200, "{profile}");
    assert_eq!(profile["credit_code"], uscc.as_str());
    assert_eq!(profile["legal_representative_name"], "");
    assert_eq!(profile["legal_representative_document_type"], "");
    assert_eq!(profile["legal_representative_document_number_masked"], "");
    // ... and the enterprise check has nothing to send in the legal representative's place.
    consent_to(&app, &registrant, "idv_enterprise").await;
    let (s, e) = verify(
        &app,
        &registrant,
        &json!({"method": "enterprise", "enterprise_id": e1}),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("CONFLICT")), "{e}");

    // A second objection finds nothing left.
    let (s, o) = object(&app, &tp, Some(json!({"about": "legal_representative"}))).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o, json!({"objections": 0, "enterprises": []}));

    // The objections were logged by ids only.
    let text = log().text();
    assert!(text.contains("third-party information deleted at the person's objection"));
    for pi in [p_rep.0, p_rep.1, q_rep.1] {
        assert!(!text.contains(pi), "{pi} in the log");
    }
}

backend_tests!(
    the_legal_representative_warranty_is_required_unless_the_registrant_is_them,
    a_verified_legal_representative_objects_and_their_information_is_deleted,
);
