//! ACC-2: enterprise registration and agent authorizations, through the server.

use super::*;
use yinxin_domain::inventory::{ENTERPRISE_CREDIT_CODE, LEGAL_REP_DOCUMENT_NUMBER};
use yinxin_domain::validate::message;

/// A real unified social credit code (GB 32100 check character correct).
const USCC: &str = "91440300708461136T";

fn enterprise(code: &str, policy: &str) -> Value {
    serde_json::json!({
        "name": "深圳市腾讯计算机系统有限公司",
        "kind": "legal_person",
        "credit_code": code,
        "legal_representative": {
            "name": "马化腾",
            "country_region": "CN",
            "document_type": "resident_id_card",
            "document_number": resident_id("44030419711029001"),
        },
        "legal_representative_warranty": true,
        "accept_policy_version": policy,
        "consents": ["sensitive_personal_information"],
    })
}

fn in_days(days: i64) -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + days * 86_400
}

fn grant(username: &str, scopes: &[&str], days: i64) -> Value {
    serde_json::json!({"agent_username": username, "scopes": scopes, "valid_until": in_days(days)})
}

/// ACC-2: register, grant, act, revoke; every refusal of an agent who lacks the authorization.
async fn enterprise_agents_act_only_under_a_live_authorization(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (a1, t1) = app.signed_up(11).await;
    let (a2, t2) = app.signed_up(12).await;
    let (_a3, t3) = app.signed_up(13).await;

    // Registration needs a session.
    let (s, e, _) = app
        .post("/api/v1/accounts/enterprise", &enterprise(USCC, &version))
        .await;
    assert_eq!((s, e["code"].as_str()), (401, Some("UNAUTHENTICATED")));

    let (s, reg) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            &t1,
            &enterprise(USCC, &version),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let ent = reg["enterprise_id"].as_str().unwrap().to_owned();
    let first = &reg["authorization"];
    assert_eq!(first["agent"], a1.as_str());
    assert_eq!(first["granted_by"], a1.as_str());
    assert_eq!(first["basis"], "registration");
    assert_eq!(
        first["scopes"],
        serde_json::json!([
            "manage_agents",
            "view",
            "certificates",
            "sign",
            "use_seals",
            "manage_seals"
        ])
    );
    let first_id = first["id"].as_str().unwrap().to_owned();

    let (s, p) = app.get_as(&format!("/api/v1/enterprises/{ent}"), &t1).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["name"], "深圳市腾讯计算机系统有限公司");
    assert_eq!(p["credit_code"], USCC);
    assert_eq!(p["code_kind"], "unified_social_credit_code");
    assert_eq!(p["kind"], "legal_person");
    assert_eq!(p["legal_representative_name"], "马化腾");
    let masked = p["legal_representative_document_number_masked"]
        .as_str()
        .unwrap();
    assert!(
        masked.starts_with("44") && masked.contains("**************"),
        "{masked}"
    );

    // Someone who acts for none of it learns nothing, not even that it exists.
    let (s, e) = app.get_as(&format!("/api/v1/enterprises/{ent}"), &t2).await;
    assert_eq!((s, e["code"].as_str()), (404, Some("NOT_FOUND")), "{e}");
    let (s, e) = app.get_as("/api/v1/enterprises/not-a-uuid", &t1).await;
    assert_eq!(
        (s, e["message"].as_str()),
        (400, Some("id: must be a UUID"))
    );
    let (s, e) = app
        .get_as(&format!("/api/v1/enterprises/{ent}/authorizations"), &t2)
        .await;
    assert_eq!(s, 404, "{e}");
    let (s, e) = app
        .post_as(
            &format!("/api/v1/enterprises/{ent}/authorizations"),
            &t2,
            &grant("user12", &["sign"], 30),
        )
        .await;
    assert_eq!(s, 404, "{e}");

    // An enterprise is registered once.
    let (s, e) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            &t2,
            &enterprise(USCC, &version),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("ALREADY_EXISTS")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().starts_with("credit_code:"));

    // Grants: refusals first.
    let grants = format!("/api/v1/enterprises/{ent}/authorizations");
    for (body, status, starts) in [
        (grant("nobody", &["sign"], 30), 404, "agent_username:"),
        (grant("user12", &[], 30), 400, "scopes:"),
        (grant("user12", &["sign"], -1), 400, "valid_until:"),
        (grant("user12", &["sign"], 731), 400, "valid_until:"),
        (
            serde_json::json!({"agent_username": "user12", "scopes": ["everything"], "valid_until": in_days(1)}),
            400,
            "request body:",
        ),
    ] {
        let (s, e) = app.post_as(&grants, &t1, &body).await;
        assert_eq!(s, status, "{body}: {e}");
        assert!(e["message"].as_str().unwrap().starts_with(starts), "{e}");
    }
    let (s, g2) = app
        .post_as(&grants, &t1, &grant("user12", &["sign"], 30))
        .await;
    assert_eq!(s, 201, "{g2}");
    assert_eq!(g2["agent"], a2.as_str());
    assert_eq!(g2["granted_by"], a1.as_str());
    assert_eq!(g2["basis"], "grant");
    let g2_id = g2["id"].as_str().unwrap().to_owned();

    // The signing agent acts for the enterprise but may neither view it nor manage agents.
    let (s, mine) = app.get_as("/api/v1/me/authorizations", &t2).await;
    assert_eq!(s, 200);
    assert_eq!(mine["authorizations"][0]["enterprise"], ent.as_str());
    let (s, e) = app.get_as(&format!("/api/v1/enterprises/{ent}"), &t2).await;
    assert_eq!((s, e["code"].as_str()), (403, Some("FORBIDDEN")), "{e}");
    let (s, e) = app
        .post_as(&grants, &t2, &grant("user13", &["sign"], 30))
        .await;
    assert_eq!((s, e["code"].as_str()), (403, Some("FORBIDDEN")), "{e}");
    let (s, e) = app.delete_as(&format!("{grants}/{first_id}"), &t2).await;
    assert_eq!(s, 403, "{e}");

    // Revocation: recorded, once; afterwards the agent is a stranger again.
    let (s, r) = app.delete_as(&format!("{grants}/{g2_id}"), &t1).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["revoked_by"], a1.as_str());
    assert!(r["revoked_at"].as_i64().is_some());
    let (s, e) = app.delete_as(&format!("{grants}/{g2_id}"), &t1).await;
    assert_eq!((s, e["code"].as_str()), (409, Some("CONFLICT")));
    let (s, _) = app.get_as(&format!("/api/v1/enterprises/{ent}"), &t2).await;
    assert_eq!(s, 404);
    let other = yinxin_domain::AuthorizationId::ordered();
    let (s, _) = app.delete_as(&format!("{grants}/{other}"), &t1).await;
    assert_eq!(s, 404);

    // The last manager cannot be removed; once another manages, it can.
    let (s, e) = app.delete_as(&format!("{grants}/{first_id}"), &t1).await;
    assert_eq!((s, e["code"].as_str()), (409, Some("CONFLICT")), "{e}");
    let (s, g3) = app
        .post_as(&grants, &t1, &grant("user13", &["manage_agents"], 365))
        .await;
    assert_eq!(s, 201, "{g3}");
    let (s, p) = app.get_as(&format!("/api/v1/enterprises/{ent}"), &t3).await;
    assert_eq!(s, 200, "manage_agents implies view: {p}");
    let (s, _) = app.delete_as(&format!("{grants}/{first_id}"), &t3).await;
    assert_eq!(s, 200);
    let (s, _) = app.get_as(&format!("/api/v1/enterprises/{ent}"), &t1).await;
    assert_eq!(s, 404);

    // The history stays: three grants, two revoked.
    let (s, all) = app.get_as(&grants, &t3).await;
    assert_eq!(s, 200);
    let all = all["authorizations"].as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.iter().filter(|a| a["revoked_at"].is_i64()).count(), 2);
}

/// ACC-2 refusals, each naming its field; nothing of a refused registration is stored. The
/// acceptance item: a wrong resident-ID check character, a wrong USCC check character and a wrong
/// mobile prefix are each refused with their own message.
async fn enterprise_registration_refusals_name_the_field(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (_, t1) = app.signed_up(21).await;
    let bad_uscc = "91440300708461136U";
    let mut cases: Vec<(Value, u16, &str)> = Vec::new();
    cases.push((enterprise(bad_uscc, &version), 400, message::USCC_CHECK));
    cases.push((
        enterprise("70846113-7", &version),
        400,
        message::ORGANIZATION_CODE_CHECK,
    ));
    let mut e = enterprise(USCC, &version);
    e["name"] = Value::from("  ");
    cases.push((e, 400, "name: must have 1 to 200 characters"));
    let mut e = enterprise(USCC, &version);
    let good = resident_id("44030419711029001");
    let last = good.chars().last().unwrap();
    e["legal_representative"]["document_number"] = Value::from(format!(
        "{}{}",
        &good[..17],
        if last == '0' { '1' } else { '0' }
    ));
    cases.push((e, 400, message::RESIDENT_ID_CHECK));
    let mut e = enterprise(USCC, &version);
    e["kind"] = Value::from("church");
    cases.push((e, 400, "request body:"));
    let mut e = enterprise(USCC, &version);
    e["consents"] = serde_json::json!([]);
    cases.push((e, 403, "consents:"));
    cases.push((
        enterprise(USCC, "1999-01-01"),
        403,
        "accept_policy_version:",
    ));
    let mut messages = Vec::new();
    for (body, status, expected) in &cases {
        let (s, e) = app.post_as("/api/v1/accounts/enterprise", &t1, body).await;
        assert_eq!(s, *status, "{body}: {e}");
        let m = e["message"].as_str().unwrap();
        assert!(m.contains(expected), "{m} lacks {expected}");
        assert!(!m.contains(bad_uscc), "the value is echoed: {m}");
        messages.push(m.to_owned());
    }
    assert!(messages[0].starts_with("credit_code: "));
    assert!(messages[3].starts_with("legal_representative.document_number: "));

    // Each of the three check-character / prefix refusals has its own message.
    let mut p = person(22, &version);
    p["mobile"] = Value::from("12087654321");
    let (s, m, _) = app.post("/api/v1/accounts/personal", &p).await;
    assert_eq!(s, 400);
    let mobile_message = m["message"].as_str().unwrap().to_owned();
    assert_eq!(
        mobile_message,
        "mobile: 120 is not a mainland mobile prefix"
    );
    let distinct: std::collections::BTreeSet<&str> = [
        messages[0].as_str(),
        messages[3].as_str(),
        mobile_message.as_str(),
    ]
    .into_iter()
    .collect();
    assert_eq!(distinct.len(), 3);

    // Nothing was stored: no enterprise, no legal representative, no authorization.
    let v = &app.state.vault;
    assert!(
        v.find(&ENTERPRISE_CREDIT_CODE, USCC)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        v.find(&ENTERPRISE_CREDIT_CODE, bad_uscc)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        v.find(&LEGAL_REP_DOCUMENT_NUMBER, &good)
            .await
            .unwrap()
            .is_empty()
    );
    let (s, mine) = app.get_as("/api/v1/me/authorizations", &t1).await;
    assert_eq!(
        (s, mine["authorizations"].as_array().unwrap().len()),
        (200, 0)
    );

    // An organization code (no credit code) registers.
    let (s, r) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            &t1,
            &enterprise("70846113-6", &version),
        )
        .await;
    assert_eq!(s, 201, "{r}");
}

backend_tests!(
    enterprise_agents_act_only_under_a_live_authorization,
    enterprise_registration_refusals_name_the_field,
);
