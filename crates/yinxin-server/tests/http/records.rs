//! Issue 8 item 10 (PIPL arts. 55–56; GB/T 35273 §11.3): the record of processing activities
//! and the impact assessment are generated from the inventory and the registers, a new version
//! stored only when what they say changes, each kept three years — the database itself refuses
//! to delete or change one. What they must cover is derived from the inventory and the
//! registers here, not listed by hand.

use serde_json::Value;
use yinxin_domain::inventory::INVENTORY;
use yinxin_domain::pi::Purpose;
use yinxin_domain::staff::StaffRole;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::signing::refused;

fn names(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_owned())
        .collect()
}

backend_tests!(processing_records_are_generated_versioned_and_kept);
async fn processing_records_are_generated_versioned_and_kept(db: &TestDb) {
    let app = TestApp::start(db).await;
    let accounts = &app.state.accounts;
    let officer = app.privacy_officer().await;
    let (_, auditor) = app.signed_up(4).await;
    let (_, outsider) = app.signed_up(5).await;
    accounts
        .grant_staff_role("user4", StaffRole::Auditor, "ops")
        .await
        .unwrap();
    let refresh = "/api/v1/staff/processing-records";
    for who in [&auditor, &outsider] {
        refused(
            &app.post_as(refresh, who, &serde_json::json!({})).await,
            403,
            "FORBIDDEN",
            "role",
        );
    }
    let (s, first) = app.post_as(refresh, &officer, &serde_json::json!({})).await;
    assert_eq!(s, 200, "{first}");
    for (i, kind) in ["ropa", "pia"].iter().enumerate() {
        assert_eq!(
            (&first[i]["kind"], &first[i]["version"], &first[i]["new"]),
            (&Value::from(*kind), &Value::from(1), &Value::from(true)),
            "{first}"
        );
        let kept =
            first[i]["retain_until"].as_i64().unwrap() - first[i]["created_at"].as_i64().unwrap();
        assert_eq!(kept, 3 * 365 * 86_400);
    }
    // Nothing changed: no new version.
    let (_, again) = app.post_as(refresh, &officer, &serde_json::json!({})).await;
    assert_eq!(
        (&again[0]["version"], &again[0]["new"], &again[1]["new"]),
        (&Value::from(1), &Value::from(false), &Value::from(false))
    );
    // A relying application registered: both documents change.
    accounts
        .register_relying_app(
            "shop",
            "网店",
            "某某网络科技有限公司",
            "privacy@shop.example",
            &["person.name".into()],
        )
        .await
        .unwrap();
    let (_, changed) = app.post_as(refresh, &officer, &serde_json::json!({})).await;
    assert_eq!(
        (
            &changed[0]["version"],
            &changed[0]["new"],
            &changed[1]["version"]
        ),
        (&Value::from(2), &Value::from(true), &Value::from(2))
    );
    let (s, versions) = app.get_as(&format!("{refresh}/ropa"), &auditor).await;
    assert_eq!(s, 200, "{versions}");
    assert_eq!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 1]
    );
    assert!(
        versions[0].get("document").is_none(),
        "lists leave documents out"
    );
    refused(
        &app.get_as(&format!("{refresh}/ropa"), &outsider).await,
        403,
        "FORBIDDEN",
        "role",
    );
    refused(
        &app.get_as(&format!("{refresh}/nope"), &auditor).await,
        400,
        "INVALID_INPUT",
        "kind",
    );
    refused(
        &app.get_as(&format!("{refresh}/ropa/9"), &auditor).await,
        404,
        "NOT_FOUND",
        "version",
    );

    // The record covers every field the inventory declares for a purpose, under that purpose,
    // every processor of the register and the application.
    let (s, ropa) = app.get_as(&format!("{refresh}/ropa/2"), &auditor).await;
    assert_eq!(s, 200, "{ropa}");
    let doc = &ropa["document"];
    assert_eq!(doc["type"], "yinxin.ropa.v1");
    for f in INVENTORY.iter() {
        for p in Purpose::ALL.iter().filter(|p| f.allows(**p)) {
            let activity = doc["activities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["purpose"] == p.as_str())
                .unwrap_or_else(|| panic!("no activity for {}", p.as_str()));
            assert!(
                names(&activity["fields"], "name").contains(&f.name.to_owned()),
                "{} under {}",
                f.name,
                p.as_str()
            );
        }
    }
    let processors: Vec<String> = db
        .stores
        .accounts
        .processors()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert!(!processors.is_empty());
    assert_eq!(names(&doc["processors"], "name"), processors);
    assert_eq!(names(&doc["relying_apps"], "id"), ["shop"]);

    // The assessment covers every sensitive field, every processor and the application.
    let (_, pia) = app.get_as(&format!("{refresh}/pia/2"), &auditor).await;
    let doc = &pia["document"];
    assert_eq!(doc["type"], "yinxin.pia.v1");
    let of = |trigger: &str| -> Vec<String> {
        doc["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["trigger"] == trigger)
            .map(|a| a["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let sensitive: Vec<String> = INVENTORY
        .iter()
        .filter(|f| f.sensitive)
        .map(|f| f.name.to_owned())
        .collect();
    assert_eq!(of("sensitive_personal_information"), sensitive);
    assert_eq!(of("entrusted_processing"), processors);
    assert_eq!(of("provision_to_others"), ["shop"]);
    let total: u64 = ["high", "medium", "low"]
        .iter()
        .map(|l| doc["summary"][l].as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, doc["assessments"].as_array().unwrap().len());

    // Kept three years, whatever code asks: no version is deleted or changed.
    for sql in [
        "DELETE FROM processing_records",
        "UPDATE processing_records SET document = '{}'",
        "UPDATE processing_records SET retain_until = 0",
    ] {
        let refused = db.stores.execute_raw(sql).await;
        assert!(refused.is_err(), "{sql}: {refused:?}");
    }
    let (_, still) = app.get_as(&format!("{refresh}/pia"), &auditor).await;
    assert_eq!(still.as_array().unwrap().len(), 2);
}
