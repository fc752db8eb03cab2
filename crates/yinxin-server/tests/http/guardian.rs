//! PRIV-13: a child under 14 registers only with a guardian's consent, given by an adult from
//! their own account for that child's resident ID number; single use.

use super::*;

fn guardian_consent(ward: &str, policy: &str) -> Value {
    serde_json::json!({
        "ward_document_number": ward,
        "relationship": "parent",
        "accept_policy_version": policy,
        "consents": ["sensitive_personal_information"],
    })
}

async fn children_register_only_with_a_guardians_consent(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (guardian, tg) = app.signed_up(71).await;
    let child = resident_id("11010520200101123");
    let sibling = resident_id("11010520180601124");
    let mut child_reg = person(72, &version);
    child_reg["name"] = Value::from("王小小");
    child_reg["document_number"] = Value::from(child.as_str());

    // Without a guardian's consent: refused, naming what is missing.
    let (s, e, _) = app.post("/api/v1/accounts/personal", &child_reg).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{e}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("guardian_consent_id:"),
        "{e}"
    );

    // Refusals of the guardian's consent.
    let (s, _, _) = app
        .post(
            "/api/v1/guardian-consents",
            &guardian_consent(&child, &version),
        )
        .await;
    assert_eq!(s, 401);
    let adult = resident_id("11010519800101123");
    for (body, status, starts) in [
        (
            guardian_consent(&adult, &version),
            400,
            "ward_document_number:",
        ),
        (
            guardian_consent("110105202001011239", &version),
            400,
            "ward_document_number:",
        ),
        (
            guardian_consent(&child, "1999-01-01"),
            403,
            "accept_policy_version:",
        ),
        (
            serde_json::json!({"ward_document_number": child, "relationship": "parent", "accept_policy_version": version}),
            403,
            "consents:",
        ),
        (
            serde_json::json!({"ward_document_number": child, "relationship": "uncle", "accept_policy_version": version}),
            400,
            "request body:",
        ),
    ] {
        let (s, e) = app.post_as("/api/v1/guardian-consents", &tg, &body).await;
        assert_eq!(s, status, "{body}: {e}");
        assert!(e["message"].as_str().unwrap().starts_with(starts), "{e}");
        assert!(!e["message"].as_str().unwrap().contains(&child), "{e}");
    }
    // Someone registered with a passport: their age cannot be checked, so they cannot consent.
    let mut foreign = person(73, &version);
    foreign["document_type"] = Value::from("passport");
    foreign["country_region"] = Value::from("GB");
    foreign["document_number"] = Value::from("123456789");
    let (s, r, _) = app.post("/api/v1/accounts/personal", &foreign).await;
    assert_eq!(s, 201, "{r}");
    let (s, sess, _) = app
        .post("/api/v1/sessions", &serde_json::json!({"method": "password", "username": "user73", "password": "correct horse 42"}))
        .await;
    assert_eq!(s, 201);
    let (s, e) = app
        .post_as(
            "/api/v1/guardian-consents",
            sess["token"].as_str().unwrap(),
            &guardian_consent(&child, &version),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (403, Some("FORBIDDEN")), "{e}");

    // Given for the child.
    let (s, gc) = app
        .post_as(
            "/api/v1/guardian-consents",
            &tg,
            &guardian_consent(&child, &version),
        )
        .await;
    assert_eq!(s, 201, "{gc}");
    assert_eq!(gc["guardian"], guardian.as_str());
    assert!(
        gc.get("ward_key").is_none(),
        "the child's key is not shown: {gc}"
    );
    let id = gc["id"].as_str().unwrap().to_owned();

    // Not for another child, not for an adult.
    let mut other_child = child_reg.clone();
    other_child["document_number"] = Value::from(sibling.as_str());
    other_child["guardian_consent_id"] = Value::from(id.as_str());
    let (s, e, _) = app.post("/api/v1/accounts/personal", &other_child).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{e}"
    );
    let mut grown_up = person(74, &version);
    grown_up["guardian_consent_id"] = Value::from(id.as_str());
    let (s, e, _) = app.post("/api/v1/accounts/personal", &grown_up).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("guardian_consent_id:")
    );

    // The child registers with it; its consent records say a guardian gave them.
    child_reg["guardian_consent_id"] = Value::from(id.as_str());
    let (s, reg, _) = app.post("/api/v1/accounts/personal", &child_reg).await;
    assert_eq!(s, 201, "{reg}");
    for c in reg["consents"].as_array().unwrap() {
        assert_eq!(c["channel"], "guardian");
    }
    let child_account = reg["account_id"].as_str().unwrap().to_owned();

    // Single use.
    let mut again = child_reg.clone();
    again["username"] = Value::from("user75");
    again["mobile"] = Value::from("13800130075");
    let (s, e, _) = app.post("/api/v1/accounts/personal", &again).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{e}"
    );

    // The guardian sees which account used it; the child cannot consent for anyone.
    let (s, mine) = app.get_as("/api/v1/me/guardian-consents", &tg).await;
    assert_eq!(s, 200);
    assert_eq!(
        mine["guardian_consents"][0]["used_by"],
        child_account.as_str()
    );
    let (s, sess, _) = app
        .post("/api/v1/sessions", &serde_json::json!({"method": "password", "username": "user72", "password": "correct horse 42"}))
        .await;
    assert_eq!(s, 201);
    let (s, e) = app
        .post_as(
            "/api/v1/guardian-consents",
            sess["token"].as_str().unwrap(),
            &guardian_consent(&sibling, &version),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (403, Some("FORBIDDEN")), "{e}");
}

backend_tests!(children_register_only_with_a_guardians_consent,);
