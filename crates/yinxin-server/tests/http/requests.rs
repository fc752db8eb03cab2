//! Issue 8 item 1 over HTTP (PRIV-14, ACC-6): data-subject requests of every kind are filed
//! from the account with their clock started (15 days; a cancellation 15 working days),
//! refused field by field when malformed, flagged when excessive, worked by the privacy officer
//! through the state machine — a refusal naming its ground to the requester — and reminded once
//! before they fall due. Nobody else sees them.

use serde_json::{Value, json};
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::signing::refused;

fn events(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["event"].as_str().unwrap().to_owned())
        .collect()
}

async fn requests_are_filed_worked_refused_with_a_ground_and_reminded(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (_, token) = app.signed_up(1).await;
    let (_, other) = app.signed_up(2).await;
    let officer = app.privacy_officer().await;
    let mine = "/api/v1/me/requests";

    // Malformed filings are refused naming the field; nothing is filed.
    for (body, field) in [
        (json!({"kind": "correction"}), "scope"),
        (
            json!({"kind": "correction", "scope": ["person.shoe_size"]}),
            "scope[0]",
        ),
        (
            json!({"kind": "deletion", "scope": ["person.email"], "ground": "bored"}),
            "ground",
        ),
        (
            json!({"kind": "deletion", "scope": ["person.email"]}),
            "ground",
        ),
        (
            json!({"kind": "consent_withdrawal", "scope": ["marketing"]}),
            "scope[0]",
        ),
        (json!({"kind": "access", "scope": ["person.name"]}), "scope"),
        (json!({"kind": "access", "ground": "no_consent"}), "ground"),
        (json!({"kind": "forget_me"}), "kind"),
        (
            json!({"kind": "correction", "scope": ["person.email"]}),
            "value",
        ),
        (
            json!({"kind": "correction", "scope": ["person.email"], "value": "not an address"}),
            "value",
        ),
        (
            json!({"kind": "correction", "scope": ["person.mobile"], "value": "12"}),
            "value",
        ),
        (json!({"kind": "access", "value": "x"}), "value"),
    ] {
        refused(
            &app.post_as(mine, &token, &body).await,
            400,
            "INVALID_INPUT",
            field,
        );
    }
    // A record of what happened is not corrected (a clear refusal, logged).
    refused(
        &app.post_as(
            mine,
            &token,
            &json!({"kind": "correction", "scope": ["log.ip_address"], "value": "1.2.3.4"}),
        )
        .await,
        403,
        "FORBIDDEN",
        "log.ip_address",
    );
    let (_, none) = app.get_as(mine, &token).await;
    assert_eq!(none, json!([]));

    // Every kind files, identity verified by the session, its clock started.
    let mut filed = std::collections::BTreeMap::new();
    for body in [
        json!({"kind": "access"}),
        json!({"kind": "copy"}),
        json!({"kind": "correction", "scope": ["person.email"], "value": "fixed@example.com"}),
        json!({"kind": "deletion", "scope": ["person.email"], "ground": "no_longer_used"}),
        json!({"kind": "consent_withdrawal", "scope": ["sensitive_personal_information"]}),
        json!({"kind": "cancellation"}),
    ] {
        let (s, v) = app.post_as(mine, &token, &body).await;
        assert_eq!(s, 201, "{v}");
        let r = &v["request"];
        assert_eq!(r["state"], "identity_verified", "{v}");
        assert_eq!(r["excessive"], false);
        assert_eq!(events(&v), ["received", "identity_verified"]);
        let received = r["received_at"].as_i64().unwrap();
        let due = r["due_at"].as_i64().unwrap() - received;
        if body["kind"] == "cancellation" {
            // 15 working days, to the end of a Beijing day: three weeks, give or take a day.
            assert!((20 * 86_400..=23 * 86_400).contains(&due), "{due}");
        } else {
            assert_eq!(due, 15 * 86_400);
        }
        filed.insert(
            body["kind"].as_str().unwrap().to_owned(),
            r["id"].as_str().unwrap().to_owned(),
        );
    }
    let path = |kind: &str| format!("{mine}/{}", filed[kind]);
    // Nobody else sees them.
    assert_eq!(app.get_as(&path("access"), &other).await.0, 404);
    let (_, theirs) = app.get_as(mine, &other).await;
    assert_eq!(theirs, json!([]));

    // The fourth access request in 30 days is flagged excessive (filed, not refused).
    for _ in 0..2 {
        let (s, v) = app.post_as(mine, &token, &json!({"kind": "access"})).await;
        assert_eq!((s, &v["request"]["excessive"]), (201, &json!(false)), "{v}");
    }
    let (s, v) = app.post_as(mine, &token, &json!({"kind": "access"})).await;
    assert_eq!((s, &v["request"]["excessive"]), (201, &json!(true)), "{v}");
    assert_eq!(
        events(&v).last().map(String::as_str),
        Some("flagged_excessive")
    );

    // The privacy officer works them; anyone else is refused.
    refused(
        &app.get_as("/api/v1/staff/requests", &other).await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (s, open) = app.get_as("/api/v1/staff/requests", &officer).await;
    assert_eq!((s, open.as_array().unwrap().len()), (200, 9), "{open}");
    let (_, soon) = app
        .get_as("/api/v1/staff/requests?due_within_days=16", &officer)
        .await;
    assert_eq!(
        soon.as_array().unwrap().len(),
        8,
        "all but the cancellation: {soon}"
    );
    refused(
        &app.get_as("/api/v1/staff/requests?due_within_days=-1", &officer)
            .await,
        400,
        "INVALID_INPUT",
        "due_within_days",
    );
    let act = |kind: &str| format!("/api/v1/staff/requests/{}/action", filed[kind]);
    refused(
        &app.post_as(&act("copy"), &officer, &json!({"action": "refuse"}))
            .await,
        400,
        "INVALID_INPUT",
        "ground",
    );
    refused(
        &app.post_as(
            &act("copy"),
            &officer,
            &json!({"action": "start", "ground": "trade_secret"}),
        )
        .await,
        400,
        "INVALID_INPUT",
        "ground",
    );
    refused(
        &app.post_as(&act("copy"), &other, &json!({"action": "start"}))
            .await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (s, v) = app
        .post_as(&act("copy"), &officer, &json!({"action": "start"}))
        .await;
    assert_eq!(
        (s, &v["request"]["state"]),
        (200, &json!("in_progress")),
        "{v}"
    );
    let (s, v) = app
        .post_as(
            &act("copy"),
            &officer,
            &json!({"action": "refuse", "ground": "trade_secret"}),
        )
        .await;
    assert_eq!((s, &v["request"]["state"]), (200, &json!("refused")), "{v}");
    refused(
        &app.post_as(&act("copy"), &officer, &json!({"action": "fulfil"}))
            .await,
        409,
        "CONFLICT",
        "refused",
    );
    let (s, v) = app
        .post_as(
            &act("deletion"),
            &officer,
            &json!({"action": "fulfil_partly", "ground": "legal_obligation"}),
        )
        .await;
    assert_eq!(
        (s, &v["request"]["state"]),
        (200, &json!("partly_fulfilled")),
        "{v}"
    );
    // Carried out: the e-mail it names is gone from the vault (004 4.2).
    let (_, me) = app.get_as("/api/v1/me", &token).await;
    let id = me["account_id"].as_str().unwrap().parse().unwrap();
    let subject = db
        .stores
        .accounts
        .account(id)
        .await
        .unwrap()
        .unwrap()
        .subject;
    let email = &yinxin_domain::inventory::PERSON_EMAIL;
    assert!(app.state.vault.get(subject, email).await.unwrap().is_none());
    let (s, v) = app
        .post_as(&act("correction"), &officer, &json!({"action": "fulfil"}))
        .await;
    assert_eq!(
        (s, &v["request"]["state"]),
        (200, &json!("fulfilled")),
        "{v}"
    );
    assert!(v["request"]["closed_at"].is_i64());
    // A consent withdrawal, fulfilled, withdraws the consent.
    crate::idv::consent_to(&app, &token, "sensitive_personal_information").await;
    let scope =
        yinxin_domain::account::ConsentScope::parse("sensitive_personal_information").unwrap();
    assert!(app.state.accounts.consent_stands(id, scope).await.unwrap());
    let (s, v) = app
        .post_as(
            &act("consent_withdrawal"),
            &officer,
            &json!({"action": "fulfil"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(!app.state.accounts.consent_stands(id, scope).await.unwrap());
    // Carried out: the value proposed is the e-mail now.
    let stored = app.state.vault.get(subject, email).await.unwrap().unwrap();
    assert_eq!(
        stored
            .expose(yinxin_domain::pi::Purpose::SubjectAccess)
            .unwrap()
            .as_slice(),
        b"fixed@example.com"
    );

    // The requester sees the refusal and its ground, and every step.
    let (s, v) = app.get_as(&path("copy"), &token).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["request"]["refusal_ground"], "trade_secret");
    assert_eq!(
        events(&v),
        ["received", "identity_verified", "in_progress", "refused"]
    );
    assert_eq!(v["steps"][3]["actor"], "staff:privacy_officer");
    assert_eq!(v["steps"][3]["ground"], "trade_secret");

    // Correction (issue 8 item 3): the e-mail address by the subject at once, recorded as a
    // fulfilled correction; the name only by a reviewed request (it is re-verified); a bad value
    // or an unknown field refused naming it; nothing written on a refusal.
    let (_, before) = app.get_as("/api/v1/me/profile", &token).await;
    let field = |name: &str| format!("/api/v1/me/fields/{name}");
    for (name, value, status, code, what) in [
        ("person.name", "王大明", 403, "FORBIDDEN", "person.name"),
        ("person.shoe_size", "42", 400, "INVALID_INPUT", "field"),
        (
            "person.email",
            "not an address",
            400,
            "INVALID_INPUT",
            "value",
        ),
        ("person.work_unit", "", 400, "INVALID_INPUT", "value"),
    ] {
        let got = app
            .send(
                app.http
                    .put(format!("{}{}", app.base, field(name)))
                    .bearer_auth(&token)
                    .json(&json!({"value": value})),
            )
            .await;
        refused(&(got.0, got.1), status, code, what);
    }
    let (_, unchanged) = app.get_as("/api/v1/me/profile", &token).await;
    assert_eq!(unchanged, before);
    let (s, v, _) = app
        .send(
            app.http
                .put(format!("{}{}", app.base, field("person.email")))
                .bearer_auth(&token)
                .json(&json!({"value": "new.address@example.org"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["request"]["kind"], "correction");
    assert_eq!(v["request"]["state"], "fulfilled");
    assert_eq!(v["request"]["scope"], json!(["person.email"]));
    assert_eq!(events(&v), ["received", "identity_verified", "fulfilled"]);
    let (_, after) = app.get_as("/api/v1/me/profile", &token).await;
    assert_ne!(after, before, "the profile shows the new address");

    // Reminders: two weeks on, every open request due within three days is reminded, once.
    let two_weeks = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 13 * 86_400;
    let reminded = app
        .state
        .accounts
        .remind_due_requests(two_weeks)
        .await
        .unwrap();
    let ids: Vec<&str> = reminded.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "the open ones but the cancellation: {ids:?}");
    assert!(ids.contains(&filed["access"].as_str()));
    assert!(!ids.contains(&filed["copy"].as_str()), "closed");
    assert!(
        !ids.contains(&filed["cancellation"].as_str()),
        "not yet due"
    );
    assert!(
        app.state
            .accounts
            .remind_due_requests(two_weeks)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, v) = app.get_as(&path("access"), &token).await;
    assert_eq!(events(&v).last().map(String::as_str), Some("reminded"));
}

/// Issue 8 item 2 (PRIV-14): the export holds every field the inventory declares that the vault
/// holds for the subject — the list derived from the inventory, each read back on its own — with
/// the same values, and their records; sealed to the passphrase (nothing readable without it),
/// recorded as a fulfilled copy request; a short passphrase is refused.
async fn an_export_holds_every_declared_field_and_opens_only_with_its_passphrase(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (id, token) = app.signed_up(1).await;
    let version = crate::policy_version(&app).await;
    let me = crate::person(1, &version);
    refused(
        &app.post_as("/api/v1/me/export", &token, &json!({"passphrase": "short"}))
            .await,
        400,
        "INVALID_INPUT",
        "passphrase",
    );
    // The subject's files: a signature image and an uploaded document.
    let (s, image) = app
        .post_as(
            "/api/v1/signature-images",
            &token,
            &json!({"source": "style", "style": "kai"}),
        )
        .await;
    assert_eq!(s, 201, "{image}");
    let pdf_in = crate::documents::pdf_of_pages(2);
    let (s, uploaded) = crate::documents::upload(&app, &token, pdf_in.clone()).await;
    assert_eq!(s, 201, "{uploaded}");
    let passphrase = "correct horse battery staple";
    let (s, envelope) = app
        .post_as(
            "/api/v1/me/export",
            &token,
            &json!({"passphrase": passphrase}),
        )
        .await;
    assert_eq!(s, 200, "{envelope}");
    let text = envelope.to_string();
    for k in ["name", "document_number", "mobile"] {
        assert!(
            !text.contains(me[k].as_str().unwrap()),
            "{k} readable in the envelope"
        );
    }
    let sealed: yinxin_identity::export::ExportEnvelope = serde_json::from_value(envelope).unwrap();
    assert!(yinxin_identity::export::open(&sealed, "wrong horse battery staple").is_err());
    let plain = yinxin_identity::export::open(&sealed, passphrase).unwrap();
    let doc: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(doc["format"], "yinxin-subject-data-v1");
    // The document meets its published schema, as a validator we did not write finds; one
    // with a field the inventory does not declare does not.
    let (s, schema) = app.json("/api/v1/privacy/export-schema").await;
    assert_eq!(s, 200, "{schema}");
    schema_check(&schema, &doc).unwrap();
    let mut forged = doc.clone();
    forged["fields"][0]["field"] = json!("person.shoe_size");
    assert!(schema_check(&schema, &forged).is_err());
    let mut extra = doc.clone();
    extra["secret"] = json!(1);
    assert!(schema_check(&schema, &extra).is_err());
    let exported: std::collections::BTreeMap<&str, &Value> = doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), &f["value"]))
        .collect();
    // Every declared field the vault holds for the subject, read on its own.
    let account = db
        .stores
        .accounts
        .account(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut held = 0;
    for f in yinxin_domain::inventory::INVENTORY {
        if !f.storable() {
            continue;
        }
        if let Some(v) = app
            .state
            .vault
            .get_string(account.subject, f)
            .await
            .unwrap()
        {
            held += 1;
            let v = v.expose(yinxin_domain::pi::Purpose::SubjectAccess).unwrap();
            assert_eq!(
                exported.get(f.name).and_then(|x| x.as_str()),
                Some(v.as_str()),
                "{} is in the export with its value",
                f.name
            );
        }
    }
    assert!(
        held >= 7,
        "registration stores at least seven fields: {held}"
    );
    assert_eq!(
        exported.len(),
        held,
        "nothing but the fields held: {exported:?}"
    );
    assert!(!doc["consents"].as_array().unwrap().is_empty());
    // Its files, each under the inventory field it is stored as, with the very bytes.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let files: std::collections::BTreeMap<&str, &Value> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f))
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let png = &files[image["id"].as_str().unwrap()];
    assert_eq!(png["field"], "signing.signature_image");
    assert_eq!(png["media_type"], "image/png");
    let (s, _, png_bytes) = crate::seals::get_bytes(
        &app,
        &format!("/api/v1/signature-images/{}", image["id"].as_str().unwrap()),
        &token,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        b64.decode(png["content_base64"].as_str().unwrap()).unwrap(),
        png_bytes
    );
    let document = &files[uploaded["id"].as_str().unwrap()];
    assert_eq!(document["field"], "signing.document");
    assert_eq!(
        b64.decode(document["content_base64"].as_str().unwrap())
            .unwrap(),
        pdf_in
    );
    for f in files.values() {
        let field = f["field"].as_str().unwrap();
        assert!(
            yinxin_domain::inventory::INVENTORY
                .iter()
                .any(|d| d.name == field && d.storable()),
            "{field} is a stored field of the inventory"
        );
    }
    // The human-readable copy inside it: a PDF qpdf finds clean, whose text holds the values.
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(doc["report_pdf_base64"].as_str().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let (ok, out) = crate::documents::tool("qpdf", &["--check"], &file);
    assert!(ok, "qpdf --check: {out}");
    let (ok, out) = crate::documents::tool("pdftotext", &["-enc", "UTF-8"], &file);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(dir.path().join("copy.txt")).unwrap();
    for want in [
        "个人信息副本",
        me["name"].as_str().unwrap(),
        "同意记录 Consents",
    ] {
        assert!(text.contains(want), "the PDF lacks {want:?}: {text}");
    }
    let (_, mine) = app.get_as("/api/v1/me/requests", &token).await;
    assert_eq!(mine[0]["kind"], "copy");
    assert_eq!(mine[0]["state"], "fulfilled");
}

backend_tests!(
    requests_are_filed_worked_refused_with_a_ground_and_reminded,
    an_export_holds_every_declared_field_and_opens_only_with_its_passphrase
);

backend_tests!(the_public_form_verifies_the_requester_before_the_clock_starts);

/// The public form's SMS code sent to `mobile`, read from the outbox.
/// The public-form tests' people: the verified account holder (as the simulator knows them),
/// a stranger the simulator also knows, the holder's session token and `/api/v1/me`.
async fn public_form_people(app: &TestApp) -> (Value, Value, String, Value) {
    use crate::certificates::verified_person;
    use crate::idv::{clean_persons, fixtures};
    let f = fixtures(app).await;
    let persons = clean_persons(&f);
    let (p, stranger) = (persons[0].clone(), persons[1].clone());
    let (token, _) = verified_person(app).await;
    let (_, me) = app.get_as("/api/v1/me", &token).await;
    (p, stranger, token, me)
}

async fn public_form_code(app: &TestApp, mobile: String) -> String {
    let (s, v, _) = app
        .post(
            "/api/v1/sms/codes",
            &json!({"mobile": mobile, "purpose": "public_request"}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    crate::outbox_codes(app, &mobile).await.pop().unwrap()
}
/// Issue 8 item 1, the public form (PRIV-14): someone who cannot log in files a request with
/// the code sent to their mobile and the carrier check of their identity against the account
/// that holds their document number. A malformed form is refused field by field; a wrong code
/// and a forged identity are refused — the forged one recorded on the account as refused on the
/// ground `identity_not_verified`, with the same answer as a document number nobody holds; the
/// genuine requester's request starts its clock at verification and is followed by its ticket.
async fn the_public_form_verifies_the_requester_before_the_clock_starts(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (p, stranger, token, me) = public_form_people(&app).await;
    let account: yinxin_domain::AccountId = me["account_id"].as_str().unwrap().parse().unwrap();
    let disclosures = || async {
        db.stores
            .accounts
            .disclosures_of(account)
            .await
            .unwrap()
            .len()
    };
    let disclosed = disclosures().await;
    let mobile = p["mobile"].as_str().unwrap().to_owned();
    let code_for = |mobile: String| public_form_code(&app, mobile);
    let form = |who: &Value, code: &str| {
        json!({"kind": "access", "name": who["name"], "document_number": who["id_number"],
               "mobile": who["mobile"], "code": code, "consent_to_verification": true})
    };
    let public = "/api/v1/public/requests";
    let post = |body: Value| {
        let app = &app;
        async move {
            let (s, v, _) = app.post(public, &body).await;
            (s, v)
        }
    };

    // Malformed forms name the field; nothing is checked, sent or filed.
    let code = code_for(mobile.clone()).await;
    for (key, value, field) in [
        ("kind", json!("correction"), "scope"),
        ("document_number", json!("110101"), "document_number"),
        ("mobile", json!("12"), "mobile"),
        ("name", json!(""), "name"),
        ("code", json!(" "), "code"),
        (
            "consent_to_verification",
            json!(false),
            "consent_to_verification",
        ),
    ] {
        let mut body = form(&p, &code);
        body[key] = value;
        refused(&post(body).await, 400, "INVALID_INPUT", field);
    }
    let mut unknown = form(&p, &code);
    unknown["extra"] = json!(1);
    assert_eq!(post(unknown).await.0, 400);
    // A wrong code.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    refused(&post(form(&p, wrong)).await, 403, "FORBIDDEN", "code");

    // A forged identity: the document number of the account, another name. Refused, and
    // recorded on the account as refused; nothing went to a provider.
    let mut forged = form(&p, &code);
    forged["name"] = json!("冒名者");
    let forged_answer = post(forged).await;
    refused(&forged_answer, 403, "FORBIDDEN", "identity");
    let (_, mine) = app.get_as("/api/v1/me/requests", &token).await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        (
            mine[0]["state"].as_str(),
            mine[0]["refusal_ground"].as_str()
        ),
        (Some("refused"), Some("identity_not_verified"))
    );
    let (_, one) = app
        .get_as(
            &format!("/api/v1/me/requests/{}", mine[0]["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(events(&one), ["received", "refused"]);
    assert_eq!(one["steps"][0]["actor"], "public_form");
    assert_eq!(disclosures().await, disclosed);
    // A document number nobody holds: the same answer, nothing filed for anyone.
    let code = code_for(stranger["mobile"].as_str().unwrap().to_owned()).await;
    let nobody = post(form(&stranger, &code)).await;
    assert_eq!(nobody, forged_answer);
    let (_, mine) = app.get_as("/api/v1/me/requests", &token).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // The genuine requester: filed, verified by the carrier check (its disclosure logged for
    // the account), the clock started at verification.
    let code = code_for(mobile.clone()).await;
    let (s, filed) = post(form(&p, &code)).await;
    assert_eq!(s, 201, "{filed}");
    assert_eq!(filed["request"]["state"], "identity_verified", "{filed}");
    assert_eq!(filed["request"]["account"], account.to_string().as_str());
    let verified_at = filed["request"]["identity_verified_at"].as_i64().unwrap();
    assert_eq!(
        filed["request"]["due_at"].as_i64(),
        Some(verified_at + 15 * 86_400)
    );
    assert_eq!(events(&filed), ["received", "identity_verified"]);
    assert_eq!(disclosures().await, disclosed + 1);
    // The code is used up.
    refused(&post(form(&p, &code)).await, 403, "FORBIDDEN", "code");
    // The ticket shows it; anything else is 404.
    let ticket = filed["ticket"].as_str().unwrap();
    assert!(
        ticket.starts_with("yxreq_") && ticket.len() > 40,
        "{ticket}"
    );
    let (s, shown) = app.json(&format!("{public}/{ticket}")).await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(shown["request"]["id"], filed["request"]["id"]);
    assert_eq!(events(&shown), ["received", "identity_verified"]);
    for bad in ["yxreq_nope", "nope", &ticket[..ticket.len() - 1]] {
        let (s, v) = app.json(&format!("{public}/{bad}")).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{bad}: {v}"
        );
    }
    // The holder sees it too, among their requests.
    let (_, mine) = app.get_as("/api/v1/me/requests", &token).await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
}

backend_tests!(the_public_form_delivers_the_data_once_to_the_verified_requester);

/// Issue 8 items 1–2: the data of an access request filed through the public form reaches the
/// requester who cannot log in — once the privacy officer fulfils it, against the ticket and a
/// fresh code to the very mobile proved at filing, sealed to their passphrase, once. Before
/// fulfilment, with another mobile, a wrong code, a short passphrase or a second time: refused
/// naming what is wrong, nothing delivered.
async fn the_public_form_delivers_the_data_once_to_the_verified_requester(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (p, stranger, _, me) = public_form_people(&app).await;
    let officer = app.privacy_officer().await;
    let mobile = p["mobile"].as_str().unwrap().to_owned();
    let code_for = |mobile: String| public_form_code(&app, mobile);
    let code = code_for(mobile.clone()).await;
    let (s, filed, _) = app
        .post(
            "/api/v1/public/requests",
            &json!({"kind": "access", "name": p["name"], "document_number": p["id_number"],
                    "mobile": mobile, "code": code, "consent_to_verification": true}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let ticket = filed["ticket"].as_str().unwrap().to_owned();
    let id = filed["request"]["id"].as_str().unwrap().to_owned();
    let deliver = format!("/api/v1/public/requests/{ticket}/export");
    let post = |body: Value| {
        let (app, deliver) = (&app, &deliver);
        async move {
            let (s, v, _) = app.post(deliver, &body).await;
            (s, v)
        }
    };
    let body = |mobile: &str, code: &str, passphrase: &str| json!({"mobile": mobile, "code": code, "passphrase": passphrase});
    let passphrase = "a long passphrase of mine";

    // Not fulfilled yet.
    refused(
        &post(body(&mobile, "000000", passphrase)).await,
        409,
        "CONFLICT",
        "ticket",
    );
    let act = format!("/api/v1/staff/requests/{id}/action");
    for action in ["start", "fulfil"] {
        let (s, v) = app
            .post_as(&act, &officer, &json!({"action": action}))
            .await;
        assert_eq!(s, 200, "{action}: {v}");
    }
    refused(
        &post(body(&mobile, "000000", "short")).await,
        400,
        "INVALID_INPUT",
        "passphrase",
    );
    // Another mobile, with its own good code: not the one proved.
    let other = stranger["mobile"].as_str().unwrap().to_owned();
    let other_code = code_for(other.clone()).await;
    refused(
        &post(body(&other, &other_code, passphrase)).await,
        403,
        "FORBIDDEN",
        "mobile",
    );
    let code = code_for(mobile.clone()).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    refused(
        &post(body(&mobile, wrong, passphrase)).await,
        403,
        "FORBIDDEN",
        "code",
    );
    let (s, envelope) = post(body(&mobile, &code, passphrase)).await;
    assert_eq!(s, 200, "{envelope}");
    let sealed: yinxin_identity::export::ExportEnvelope = serde_json::from_value(envelope).unwrap();
    let plain = yinxin_identity::export::open(&sealed, passphrase).unwrap();
    let doc: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(doc["account"]["id"], me["account_id"]);
    assert!(
        doc["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["value"] == p["name"])
    );
    // Once: a second collection is refused, and the delivery is a step of the request.
    let code = code_for(mobile.clone()).await;
    refused(
        &post(body(&mobile, &code, passphrase)).await,
        409,
        "CONFLICT",
        "delivered already",
    );
    let (_, shown) = app.json(&format!("/api/v1/public/requests/{ticket}")).await;
    assert_eq!(
        events(&shown),
        [
            "received",
            "identity_verified",
            "in_progress",
            "fulfilled",
            "delivered"
        ]
    );
}

backend_tests!(a_reviewed_correction_of_the_name_asks_for_verification_and_renewal);
/// Issue 8 item 3: a correction of an identity field, reviewed by the privacy officer, replaces
/// the value, makes the earlier verifications stop counting (no certificate is issued on the
/// identity until it is verified again), and flags the certificates carrying the old value for
/// renewal; refused, it changes nothing.
async fn a_reviewed_correction_of_the_name_asks_for_verification_and_renewal(db: &TestDb) {
    use crate::certificates::verified_person;
    use crate::idv::{carrier, clean_person, fixtures, verify};
    use yinxin_domain::inventory::PERSON_NAME;
    let app = TestApp::start(db).await;
    let f = fixtures(&app).await;
    let p = clean_person(&f).clone();
    let (token, _) = verified_person(&app).await;
    let officer = app.privacy_officer().await;
    let issue = json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"});
    let (s, cert) = app.post_as("/api/v1/certificates", &token, &issue).await;
    assert_eq!(s, 201, "{cert}");
    let serial = cert["serial"].as_str().unwrap().to_owned();
    let (_, me) = app.get_as("/api/v1/me", &token).await;
    let id = me["account_id"].as_str().unwrap().parse().unwrap();
    let subject = db
        .stores
        .accounts
        .account(id)
        .await
        .unwrap()
        .unwrap()
        .subject;
    let name = || async {
        String::from_utf8(
            app.state
                .vault
                .get(subject, &PERSON_NAME)
                .await
                .unwrap()
                .unwrap()
                .expose(yinxin_domain::pi::Purpose::SubjectAccess)
                .unwrap()
                .clone(),
        )
        .unwrap()
    };
    let verified = || async {
        let (_, v) = app.get_as("/api/v1/me/verifications", &token).await;
        v["status"]["verified"].as_bool().unwrap()
    };
    assert!(verified().await);
    let file = |value: &str| {
        let (app, token) = (&app, &token);
        let body = json!({"kind": "correction", "scope": ["person.name"], "value": value});
        async move {
            let (s, v) = app.post_as("/api/v1/me/requests", token, &body).await;
            assert_eq!(s, 201, "{v}");
            format!(
                "/api/v1/staff/requests/{}/action",
                v["request"]["id"].as_str().unwrap()
            )
        }
    };

    // Refused: nothing changes.
    let act = file("张错名").await;
    let (s, v) = app
        .post_as(
            &act,
            &officer,
            &json!({"action": "refuse", "ground": "impractical"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(name().await, p["name"].as_str().unwrap());
    assert!(verified().await);

    // Fulfilled: the name is the value proposed; the identity is no longer verified, so no
    // certificate is issued on it; the certificate carrying the old name is flagged.
    let act = file("张错名").await;
    let (s, v) = app
        .post_as(&act, &officer, &json!({"action": "fulfil"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        events(&v),
        [
            "received",
            "identity_verified",
            "certificates_flagged_for_renewal",
            "fulfilled"
        ]
    );
    assert_eq!(name().await, "张错名");
    assert!(!verified().await);
    let (s, _) = app.post_as("/api/v1/certificates", &token, &issue).await;
    assert_eq!(s, 403, "no certificate on an identity not verified again");
    let (_, mine) = app.get_as("/api/v1/me/certificates", &token).await;
    let flagged = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["serial"] == serial.as_str())
        .unwrap();
    assert_eq!(
        flagged["renewal_needed"]["field"], "person.name",
        "{flagged}"
    );
    // A second fulfilment of the same request is refused by the state machine.
    assert_eq!(
        app.post_as(&act, &officer, &json!({"action": "fulfil"}))
            .await
            .0,
        409
    );

    // Corrected back and verified again: certificates are issued once more.
    let act = file(p["name"].as_str().unwrap()).await;
    let (s, v) = app
        .post_as(&act, &officer, &json!({"action": "fulfil"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        !verified().await,
        "a correction always asks for verification again"
    );
    let (s, v) = verify(&app, &token, &carrier(&p)).await;
    assert_eq!(s, 201, "{v}");
    assert!(verified().await);
    let (s, v) = app.post_as("/api/v1/certificates", &token, &issue).await;
    assert_eq!(s, 201, "{v}");
}

/// Validates `doc` against the JSON Schema `schema` with Python's `jsonschema` (draft 2020-12;
/// `TEST_PYTHON` is scripts/test's venv, which has it): `Err` with the validator's message when
/// invalid.
fn schema_check(schema: &Value, doc: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let (s, d) = (dir.path().join("schema.json"), dir.path().join("doc.json"));
    std::fs::write(&s, schema.to_string()).unwrap();
    std::fs::write(&d, doc.to_string()).unwrap();
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             s = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(s)\n\
             jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))",
        ])
        .arg(&s)
        .arg(&d)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !err.contains("ModuleNotFoundError"),
        "{python} lacks jsonschema: run the tests through scripts/test ({err})"
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(err)
    }
}
