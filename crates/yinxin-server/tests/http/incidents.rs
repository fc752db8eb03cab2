//! Issue 8 item 11 (PRIV-11; PIPL art. 57): an incident recorded with its scope finds the
//! subjects it affected from the disclosure and staff-access records, notifies each once
//! through their mobile with a notice carrying every content the law requires, publishes a
//! public notice, and produces the report to the regulator; refusals name the field.

use serde_json::{Value, json};
use yinxin_domain::staff::StaffRole;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::idv::{carrier, clean_persons, consent_to, fixtures, signed_up_as, verify};
use crate::signing::refused;

fn filing(scope: Value) -> Value {
    json!({
        "title": "核验服务商数据泄露",
        "what_happened": "The provider's request log was exposed on 1 December.",
        "impact": "Name, ID number and mobile may be known to others.",
        "measures": "The provider's access was cut; its keys were rotated.",
        "advice": "Beware of calls asking for SMS codes.",
        "remedies": "Free credit monitoring for a year.",
        "contact": "privacy@yinxin.example",
        "scope": scope,
    })
}

async fn incident_messages(app: &TestApp, mobile: &str) -> usize {
    crate::outbox_messages(app, mobile)
        .await
        .iter()
        .filter(|m| m["template"] == "SMS_INCIDENT")
        .count()
}

backend_tests!(incidents_find_notify_publish_and_report);
async fn incidents_find_notify_publish_and_report(db: &TestDb) {
    let app = TestApp::start(db).await;
    let accounts = &app.state.accounts;
    let f = fixtures(&app).await;
    let persons: Vec<Value> = clean_persons(&f).into_iter().take(2).cloned().collect();
    let mut tokens = Vec::new();
    for (i, p) in persons.iter().enumerate() {
        let (_, token) = signed_up_as(&app, 1 + i as u32, p).await;
        consent_to(&app, &token, "idv_carrier").await;
        let (s, v) = verify(&app, &token, &carrier(p)).await;
        assert_eq!(s, 201, "{v}");
        tokens.push(token);
    }
    let officer = app.privacy_officer().await;
    let (staff_id, support) = app.signed_up(4).await;
    let (_, outsider) = app.signed_up(5).await;
    accounts
        .grant_staff_role("user4", StaffRole::Support, "ops")
        .await
        .unwrap();
    let (_, me) = app.get_as("/api/v1/me", &tokens[0]).await;
    let first = me["account_id"].as_str().unwrap().to_owned();
    // The support agent looks at the first person (a recorded access).
    let (s, v) = app
        .get_as(
            &format!("/api/v1/staff/subjects/{first}?role=support"),
            &support,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let processor = db.stores.accounts.processors().await.unwrap()[0]
        .name
        .clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let window = |k: &str, v: Value| {
        let mut s = json!({"from": now - 3600, "to": now + 60});
        s[k] = v;
        s
    };
    let incidents = "/api/v1/staff/incidents";

    // Refusals name the field; nothing is recorded.
    let mut untitled = filing(window("processors", json!([processor])));
    untitled["title"] = json!(" ");
    for (body, field) in [
        (filing(json!({"from": now, "to": now})), "scope"),
        (
            filing(window("processors", json!(["nobody"]))),
            "scope.processors[0]",
        ),
        (filing(window("apps", json!(["nope"]))), "scope.apps[0]"),
        (filing(window("staff", json!(["x"]))), "scope.staff[0]"),
        (
            filing(json!({"processors": [processor], "from": now, "to": now - 1})),
            "scope.from",
        ),
        (
            filing(
                json!({"processors": [processor], "fields": ["person.shoe_size"], "from": 0, "to": now}),
            ),
            "scope.fields[0]",
        ),
        (untitled, "title"),
    ] {
        refused(
            &app.post_as(incidents, &officer, &body).await,
            400,
            "INVALID_INPUT",
            field,
        );
    }
    refused(
        &app.post_as(
            incidents,
            &outsider,
            &filing(window("processors", json!([processor]))),
        )
        .await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (_, none) = app.get_as(incidents, &officer).await;
    assert_eq!(none, json!([]));

    // Found from the records: the processor's window holds both persons; a field it never
    // received, none; the support agent's accesses, the first only.
    let (s, narrow) = app
        .post_as(
            incidents,
            &officer,
            &filing(json!({"processors": [processor], "fields": ["bank.card_number"], "from": now - 3600, "to": now + 60})),
        )
        .await;
    assert_eq!(
        (s, &narrow["notices"]["affected"]),
        (201, &json!(0)),
        "{narrow}"
    );
    let (s, by_staff) = app
        .post_as(
            incidents,
            &officer,
            &filing(window("staff", json!([staff_id]))),
        )
        .await;
    assert_eq!(
        (s, &by_staff["notices"]["affected"]),
        (201, &json!(1)),
        "{by_staff}"
    );
    let (s, leak) = app
        .post_as(
            incidents,
            &officer,
            &filing(window("processors", json!([processor]))),
        )
        .await;
    assert_eq!(
        (s, &leak["notices"]["affected"]),
        (201, &json!(2)),
        "{leak}"
    );
    let id = leak["id"].as_str().unwrap().to_owned();

    // Notified once each, by SMS; a second run sends nothing more.
    let notify = format!("{incidents}/{id}/notify");
    refused(
        &app.post_as(&notify, &support, &json!({})).await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (s, v) = app.post_as(&notify, &officer, &json!({})).await;
    assert_eq!((s, &v["notices"]["notified"]), (200, &json!(2)), "{v}");
    app.post_as(&notify, &officer, &json!({})).await;
    for p in &persons {
        assert_eq!(
            incident_messages(&app, p["mobile"].as_str().unwrap()).await,
            1
        );
    }
    // The notice itself: every content art. 57 requires, to the subjects affected only.
    let (s, mine) = app.get_as("/api/v1/me/incidents", &tokens[1]).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    for k in [
        "what_happened",
        "impact",
        "measures",
        "advice",
        "remedies",
        "contact",
    ] {
        assert_eq!(mine[0][k], filing(json!({}))[k], "{k}");
    }
    let (_, theirs) = app.get_as("/api/v1/me/incidents", &outsider).await;
    assert_eq!(theirs, json!([]));

    // The public notice: nothing before it is published, then the same contents; once.
    let public = format!("/api/v1/public/incidents/{id}");
    assert_eq!(app.json(&public).await.0, 404);
    let publish = format!("{incidents}/{id}/publish");
    let (s, v) = app.post_as(&publish, &officer, &json!({})).await;
    assert_eq!((s, v["published_at"].is_i64()), (200, true), "{v}");
    refused(
        &app.post_as(&publish, &officer, &json!({})).await,
        409,
        "CONFLICT",
        "already",
    );
    let (s, shown) = app.json(&public).await;
    assert_eq!(
        (s, &shown["remedies"]),
        (200, &mine[0]["remedies"]),
        "{shown}"
    );
    assert_eq!(
        app.json(&format!(
            "/api/v1/public/incidents/{}",
            narrow["id"].as_str().unwrap()
        ))
        .await
        .0,
        404
    );

    // The report to the regulator.
    let (s, report) = app
        .get_as(&format!("{incidents}/{id}/report"), &officer)
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["type"], "yinxin.incident-report.v1");
    assert_eq!(report["subjects"]["affected"], 2);
    assert_eq!(report["subjects"]["notified"], 2);
    assert_eq!(report["information"]["sensitive"], true);
    assert!(report["timeline"]["public_notice_at"].is_i64());
    refused(
        &app.get_as(&format!("{incidents}/{id}/report"), &outsider)
            .await,
        403,
        "FORBIDDEN",
        "role",
    );
    // No personal information in the report or the notices.
    for p in &persons {
        for k in ["name", "id_number", "mobile"] {
            let v = p[k].as_str().unwrap();
            for doc in [&report, &shown, &mine] {
                assert!(!doc.to_string().contains(v), "{k} in {doc}");
            }
        }
    }
}
