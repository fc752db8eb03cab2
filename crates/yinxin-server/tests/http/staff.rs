//! Issue 8 item 7 over HTTP (PRIV-19, PRIV-10): staff see personal information only as their
//! role needs — masked by default, each field only for a purpose the inventory declares it for —
//! unmask named fields for a purpose and a case, and every access is recorded (in the evidence
//! log too) and reviewable by the privacy officer, the auditor and the subject. Refusals name
//! what is wrong and record nothing.

use serde_json::{Value, json};
use yinxin_domain::staff::StaffRole;
use yinxin_ledger::bundle::Bundle;
use yinxin_ledger::entry::{EntryBody, Salt};
use yinxin_ledger::note::NoteVerifier;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::signing::refused;

async fn grant(app: &TestApp, username: &str, role: StaffRole) {
    app.state
        .accounts
        .grant_staff_role(username, role, "ops@ca.example")
        .await
        .unwrap();
}

fn fields_of(view: &Value) -> Vec<String> {
    view["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn staff_see_what_their_role_needs_and_every_access_is_recorded(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (subject, subject_token) = app.signed_up(1).await;
    let (staff, staff_token) = app.signed_up(2).await;
    let (_, officer_token) = app.signed_up(3).await;
    let version = crate::policy_version(&app).await;
    let me = crate::person(1, &version);
    let pi: Vec<String> = ["name", "document_number", "mobile", "email"]
        .iter()
        .map(|k| me[*k].as_str().unwrap().to_lowercase())
        .collect();
    let holds_no_pi = |v: &Value, what: &str| {
        let text = v.to_string().to_lowercase();
        for p in &pi {
            assert!(!text.contains(p.as_str()), "{what} shows {p}: {v}");
        }
    };
    let view = |role: &str| format!("/api/v1/staff/subjects/{subject}?role={role}");
    let unmask = format!("/api/v1/staff/subjects/{subject}/unmask");

    // Not staff: no role, every staff route refused naming the role.
    let (s, roles) = app.get_as("/api/v1/staff/me", &staff_token).await;
    assert_eq!((s, &roles["roles"]), (200, &json!([])));
    refused(
        &app.get_as(&view("support"), &staff_token).await,
        403,
        "FORBIDDEN",
        "role",
    );
    refused(
        &app.get_as(&view("janitor"), &staff_token).await,
        400,
        "INVALID_INPUT",
        "role",
    );

    // Support: the fields the inventory declares for customer support, masked; the rest
    // withheld by name. The view is an access, recorded.
    grant(&app, "user2", StaffRole::Support).await;
    let again = app
        .state
        .accounts
        .grant_staff_role("user2", StaffRole::Support, "ops")
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already holds"), "{again}");
    let (s, roles) = app.get_as("/api/v1/staff/me", &staff_token).await;
    assert_eq!((s, &roles["roles"]), (200, &json!(["support"])));
    let (s, seen) = app.get_as(&view("support"), &staff_token).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(fields_of(&seen), ["person.email"], "{seen}");
    let withheld: Vec<&str> = seen["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in ["person.name", "person.document_number", "person.mobile"] {
        assert!(withheld.contains(&f), "{f} withheld: {seen}");
    }
    assert!(seen["fields"][0]["masked"].as_str().unwrap().contains('*'));
    holds_no_pi(&seen, "a masked view");
    let raw = app
        .http
        .get(format!("{}{}", app.base, view("support")))
        .bearer_auth(&staff_token)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers()["cache-control"], "private, no-store");

    // Unmasking: for a purpose of the role, a declared field and the subject's case on record
    // (here a support request the subject opened; the staff member's own is not theirs).
    let open_support = |t: String| {
        let app = &app;
        async move {
            let (s, c) = app
                .post_as(
                    "/api/v1/support/requests",
                    &t,
                    &json!({"category": "account", "message": "请帮我查看邮箱"}),
                )
                .await;
            assert_eq!(s, 201, "{c}");
            format!("support:{}", c["request"]["id"].as_str().unwrap())
        }
    };
    let case = open_support(subject_token.clone()).await;
    let not_theirs = open_support(staff_token.clone()).await;
    let body = |purpose: &str, fields: Value, reference: &str| json!({"role": "support", "purpose": purpose, "reference": reference, "fields": fields});
    let (s, shown) = app
        .post_as(
            &unmask,
            &staff_token,
            &body("customer_support", json!(["person.email"]), &case),
        )
        .await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(shown["values"][0]["field"], "person.email");
    assert_eq!(
        shown["values"][0]["value"].as_str().unwrap().to_lowercase(),
        pi[3]
    );
    let unmasked_id = shown["access_id"].as_str().unwrap().to_owned();
    for (req, status, code, field) in [
        (
            body("customer_support", json!(["person.document_number"]), "s:1"),
            403,
            "FORBIDDEN",
            "fields[0]",
        ),
        (
            body("subject_access", json!(["person.email"]), "s:1"),
            403,
            "FORBIDDEN",
            "purpose",
        ),
        (
            body("customer_support", json!(["person.shoe_size"]), "s:1"),
            400,
            "INVALID_INPUT",
            "fields[0]",
        ),
        (
            body("customer_support", json!(["person.email"]), "no spaces"),
            403,
            "FORBIDDEN",
            "reference",
        ),
        (
            body("customer_support", json!(["person.email"]), "support:42"),
            403,
            "FORBIDDEN",
            "reference",
        ),
        (
            body("customer_support", json!(["person.email"]), &not_theirs),
            403,
            "FORBIDDEN",
            "reference",
        ),
        (
            body("customer_support", json!([]), "s:1"),
            400,
            "INVALID_INPUT",
            "fields",
        ),
        (
            json!({"role": "auditor", "purpose": "customer_support", "reference": "s:1", "fields": ["person.email"]}),
            403,
            "FORBIDDEN",
            "role",
        ),
    ] {
        refused(
            &app.post_as(&unmask, &staff_token, &req).await,
            status,
            code,
            field,
        );
    }
    refused(
        &app.post_as(
            &format!("/api/v1/staff/subjects/{}/unmask", uuid::Uuid::new_v4()),
            &staff_token,
            &body("customer_support", json!(["person.email"]), "s:1"),
        )
        .await,
        404,
        "NOT_FOUND",
        "subject",
    );

    // A verification reviewer sees the identity fields, masked; the support grant revoked,
    // support is refused at once.
    grant(&app, "user2", StaffRole::VerificationReviewer).await;
    let (s, reviewed) = app
        .get_as(&view("verification_reviewer"), &staff_token)
        .await;
    assert_eq!(s, 200, "{reviewed}");
    let seen_fields = fields_of(&reviewed);
    for f in ["person.name", "person.document_number", "person.mobile"] {
        assert!(seen_fields.iter().any(|x| x == f), "{f}: {reviewed}");
    }
    assert!(
        !seen_fields.iter().any(|x| x == "person.email"),
        "{reviewed}"
    );
    holds_no_pi(&reviewed, "a reviewer's masked view");
    app.state
        .accounts
        .revoke_staff_role("user2", StaffRole::Support, "ops")
        .await
        .unwrap();
    refused(
        &app.get_as(&view("support"), &staff_token).await,
        403,
        "FORBIDDEN",
        "role",
    );

    // A legal demand (issue 8 item 8; PRIV-6): nothing is provided for one that is not on
    // record; the privacy officer records it with its document, then provides what it covers,
    // and only that (the provision is kept from the subject's own list).
    grant(&app, "user3", StaffRole::PrivacyOfficer).await;
    let legal = |reference: &str, fields: Value| {
        json!({"role": "privacy_officer", "purpose": "legal_record_keeping",
            "reference": reference, "fields": fields})
    };
    refused(
        &app.post_as(
            &unmask,
            &officer_token,
            &legal("demand:2026-17", json!(["person.name"])),
        )
        .await,
        403,
        "FORBIDDEN",
        "reference",
    );
    refused(
        &app.get_as(
            &format!("{}&purpose=legal_record_keeping", view("privacy_officer")),
            &officer_token,
        )
        .await,
        403,
        "FORBIDDEN",
        "purpose",
    );
    let document = crate::documents::pdf_of_pages(1);
    let filing = |subjects: Value, items: Value, kind: &str, doc: &[u8]| {
        use base64::Engine;
        json!({"authority": "北京市海淀区人民法院", "document_number": "(2026)京0108民初17号",
            "legal_basis": "《民事诉讼法》第七十条", "subjects": subjects, "data_items": items,
            "document_type": kind,
            "document": base64::engine::general_purpose::STANDARD.encode(doc)})
    };
    let demands = "/api/v1/staff/legal-demands";
    let names = json!(["person.name", "person.document_number"]);
    for (body, token, status, code, field) in [
        (
            filing(
                json!([subject]),
                names.clone(),
                "application/pdf",
                &document,
            ),
            &staff_token,
            403,
            "FORBIDDEN",
            "role",
        ),
        (
            filing(
                json!([subject]),
                names.clone(),
                "application/pdf",
                b"not a pdf",
            ),
            &officer_token,
            400,
            "INVALID_INPUT",
            "document",
        ),
        (
            filing(json!([subject]), names.clone(), "text/plain", &document),
            &officer_token,
            400,
            "INVALID_INPUT",
            "document_type",
        ),
        (
            filing(
                json!([subject]),
                json!(["person.email"]),
                "application/pdf",
                &document,
            ),
            &officer_token,
            400,
            "INVALID_INPUT",
            "data_items[0]",
        ),
        (
            filing(
                json!([uuid::Uuid::new_v4()]),
                names.clone(),
                "application/pdf",
                &document,
            ),
            &officer_token,
            404,
            "NOT_FOUND",
            "subjects[0]",
        ),
        (
            filing(json!([]), names.clone(), "application/pdf", &document),
            &officer_token,
            400,
            "INVALID_INPUT",
            "subjects",
        ),
    ] {
        refused(
            &app.post_as(demands, token, &body).await,
            status,
            code,
            field,
        );
    }
    let (s, demand) = app
        .post_as(
            demands,
            &officer_token,
            &filing(
                json!([subject]),
                json!(["person.name"]),
                "application/pdf",
                &document,
            ),
        )
        .await;
    assert_eq!(s, 201, "{demand}");
    let demand_ref = format!("demand:{}", demand["id"].as_str().unwrap());
    refused(
        &app.post_as(&unmask, &officer_token, &legal(&demand_ref, names.clone()))
            .await,
        403,
        "FORBIDDEN",
        "fields[1]",
    );
    let (s, demanded) = app
        .post_as(
            &unmask,
            &officer_token,
            &legal(&demand_ref, json!(["person.name"])),
        )
        .await;
    assert_eq!(s, 200, "{demanded}");
    assert_eq!(demanded["values"][0]["value"], me["name"]);

    // Review: every access, refused attempts none of them; the auditor sees them and no PI.
    refused(
        &app.get_as(
            "/api/v1/staff/accesses?role=verification_reviewer",
            &staff_token,
        )
        .await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (s, all) = app
        .get_as(
            &format!("/api/v1/staff/accesses?role=privacy_officer&subject={subject}"),
            &officer_token,
        )
        .await;
    assert_eq!(s, 200, "{all}");
    let all = all.as_array().unwrap().clone();
    let kinds: Vec<(&str, &str, bool)> = all
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap(),
                a["purpose"].as_str().unwrap(),
                a["unmasked"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("privacy_officer", "legal_record_keeping", true),
            ("verification_reviewer", "real_name_verification", false),
            ("support", "customer_support", true),
            ("support", "customer_support", false),
            ("support", "customer_support", false),
        ],
        "newest first (the two support views: JSON, then the header check): {all:?}"
    );
    assert_eq!(all[2]["id"].as_str(), Some(unmasked_id.as_str()));
    assert_eq!(all[2]["reference"], case.as_str());
    assert_eq!(all[2]["staff"].as_str(), Some(staff.as_str()));
    for a in &all {
        holds_no_pi(a, "an access record");
    }
    grant(&app, "user3", StaffRole::Auditor).await;
    let (s, listed) = app
        .get_as(&format!("{demands}?role=auditor"), &officer_token)
        .await;
    assert_eq!(s, 200, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(listed[0].get("document_sealed").is_none(), "{listed}");
    // The document: the privacy officer only, and reading it is recorded as an access.
    let doc_path = format!("{demands}/{}/document", demand["id"].as_str().unwrap());
    let (s, _, _) = crate::seals::get_bytes(&app, &doc_path, &staff_token).await;
    assert_eq!(s, 403);
    let (s, kind, bytes) = crate::seals::get_bytes(&app, &doc_path, &officer_token).await;
    assert_eq!(
        (s, kind.as_str(), bytes == document),
        (200, "application/pdf", true)
    );
    let (_, after) = app
        .get_as(
            &format!("/api/v1/staff/accesses?role=auditor&subject={subject}"),
            &officer_token,
        )
        .await;
    assert_eq!(after.as_array().unwrap().len(), all.len() + 1, "{after}");
    assert_eq!(after[0]["reference"], demand_ref.as_str());
    refused(
        &app.get_as(
            &format!("{demands}?role=verification_reviewer"),
            &staff_token,
        )
        .await,
        403,
        "FORBIDDEN",
        "role",
    );
    refused(
        &app.get_as(&view("auditor"), &officer_token).await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (s, by_staff) = app
        .get_as(
            &format!("/api/v1/staff/accesses?role=auditor&staff={staff}"),
            &officer_token,
        )
        .await;
    assert_eq!(
        (s, by_staff.as_array().unwrap().len()),
        (200, 4),
        "{by_staff}"
    );

    // The subject sees the accesses to their data: role, purpose, fields, time — not who, and
    // not the legal demand.
    let (s, mine) = app
        .get_as("/api/v1/me/staff-accesses", &subject_token)
        .await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine.as_array().unwrap().len(), 4, "{mine}");
    assert!(!mine.to_string().contains(&staff), "{mine}");
    assert!(!mine.to_string().contains("legal_record_keeping"), "{mine}");

    // Each access is in the evidence log (type 10): its entry opens, with its salt, to the
    // record; no leaf holds any of the subject's values.
    let log = app.state.log.clone().unwrap();
    let at = 1_900_000_000_000;
    while log.sequence(1000, at).await.unwrap() > 0 {}
    log.sign_checkpoint(at).await.unwrap();
    let verifier = NoteVerifier::parse(&log.vkey()).unwrap();
    for a in &all {
        let id = a["id"].as_str().unwrap();
        let bundle = log.bundle_of("staff_access", id).await.unwrap();
        let (_, proof) = Bundle::parse(&serde_json::to_vec(&bundle).unwrap()).unwrap();
        let report = proof.verify(&verifier).unwrap();
        let salt = Salt(
            log.evidence_salt("staff_access", id)
                .await
                .unwrap()
                .unwrap(),
        );
        let fields: Vec<&str> = a["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let record = format!(
            "{id}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            a["staff"].as_str().unwrap(),
            a["role"].as_str().unwrap(),
            a["subject"].as_str().unwrap(),
            fields.join(","),
            a["purpose"].as_str().unwrap(),
            a["reference"].as_str().unwrap(),
            u8::from(a["unmasked"].as_bool().unwrap()),
            a["at"]
        );
        match &report.entry.body {
            EntryBody::StaffPiAccess { access } => {
                assert!(access.opens_to(&salt.part(1), record.as_bytes()), "{a}");
            }
            other => panic!("a staff access entry: {other:?}"),
        }
    }
    for index in 0..log.size().await.unwrap() {
        let entry = log.entry(index).await.unwrap();
        for p in &pi {
            let hay = String::from_utf8_lossy(&entry).to_lowercase();
            assert!(!hay.contains(p.as_str()), "log entry {index} holds {p}");
        }
    }
}

backend_tests!(staff_see_what_their_role_needs_and_every_access_is_recorded);
