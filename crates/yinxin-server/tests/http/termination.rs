//! Issue 8 item 12, in part (PRIV-12, CERT-8; ESL art. 23): the termination plan and its clock;
//! the subscribers told (90 days before) and the regulator's report (60 days before) before the
//! closing mode, which stops all collection while login, export and requests go on; the public
//! closing notice. Refusals name the field.

use serde_json::json;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::signing::refused;

fn day(offset_days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let d = yinxin_domain::validate::CivilDate::from_unix_days(now / 86_400 + offset_days);
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

backend_tests!(the_service_ends_on_its_clock_and_stops_collecting);
async fn the_service_ends_on_its_clock_and_stops_collecting(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (_, token) = app.signed_up(1).await;
    let officer = app.privacy_officer().await;
    let version = crate::policy_version(&app).await;
    let plan = "/api/v1/staff/termination";
    let put = |body: serde_json::Value, who: &str| {
        let (app, who) = (&app, who.to_owned());
        async move {
            app.send_as(
                app.http.put(format!("{}{plan}", app.base)).json(&body),
                &who,
            )
            .await
        }
    };
    assert_eq!(app.get_as(plan, &officer).await.0, 404);
    let last_day = day(120);
    let good = json!({"terminates_on": last_day, "notice": "印信将于该日终止服务。证书记录移交给继任机构。"});
    refused(&put(good.clone(), &token).await, 403, "FORBIDDEN", "role");
    for (body, field) in [
        (
            json!({"terminates_on": "2027-13-01", "notice": "x"}),
            "terminates_on",
        ),
        (
            json!({"terminates_on": day(30), "notice": "x"}),
            "terminates_on",
        ),
        (json!({"terminates_on": last_day, "notice": " "}), "notice"),
    ] {
        refused(&put(body, &officer).await, 400, "INVALID_INPUT", field);
    }
    let (s, v) = put(good.clone(), &officer).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["terminates_on"], last_day.as_str());
    let end = v["terminates_at"].as_i64().unwrap();
    assert_eq!(v["subscriber_notice_due"].as_i64(), Some(end - 90 * 86_400));
    assert_eq!(v["regulator_report_due"].as_i64(), Some(end - 60 * 86_400));
    assert_eq!(v["subscriber_notice_overdue"], false);

    // The closing mode waits for the notices; the public notice for the subscribers' notice.
    let close = format!("{plan}/close");
    refused(
        &app.post_as(&close, &officer, &json!({})).await,
        409,
        "CONFLICT",
        "subscribers",
    );
    assert_eq!(app.json("/api/v1/public/closing").await.0, 404);
    let notify = format!("{plan}/notify-subscribers");
    let (s, v) = app.post_as(&notify, &officer, &json!({})).await;
    assert_eq!(
        (s, v["subscribers_notified_at"].is_i64()),
        (200, true),
        "{v}"
    );
    for n in [1, 3] {
        let mobile = crate::person(n, &version)["mobile"]
            .as_str()
            .unwrap()
            .to_owned();
        let told = crate::outbox_messages(&app, &mobile)
            .await
            .iter()
            .filter(|m| m["template"] == "SMS_TERMINATION")
            .count();
        assert_eq!(told, 1, "user{n}");
    }
    refused(
        &app.post_as(&notify, &officer, &json!({})).await,
        409,
        "CONFLICT",
        "already",
    );
    refused(&put(good.clone(), &officer).await, 409, "CONFLICT", "step");
    let (s, notice) = app.json("/api/v1/public/closing").await;
    assert_eq!((s, &notice["closing"]), (200, &json!(false)), "{notice}");
    assert_eq!(notice["notice"], good["notice"]);
    refused(
        &app.post_as(&close, &officer, &json!({})).await,
        409,
        "CONFLICT",
        "regulator",
    );
    let (s, report) = app
        .post_as(&format!("{plan}/regulator-report"), &officer, &json!({}))
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["type"], "yinxin.termination-report.v1");
    assert_eq!(report["subscribers"], 2);
    let (s, v) = app.post_as(&close, &officer, &json!({})).await;
    assert_eq!((s, v["closing_at"].is_i64()), (200, true), "{v}");
    refused(
        &app.post_as(&close, &officer, &json!({})).await,
        409,
        "CONFLICT",
        "already",
    );

    // Closing: nothing new is collected …
    let (s, v, _) = app
        .post("/api/v1/accounts/personal", &crate::person(9, &version))
        .await;
    refused(&(s, v), 403, "FORBIDDEN", "service");
    refused(
        &app.post_as(
            "/api/v1/certificates",
            &token,
            &json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
        )
        .await,
        403,
        "FORBIDDEN",
        "service",
    );
    refused(
        &app.post_as(
            "/api/v1/verifications",
            &token,
            &json!({"method": "carrier", "name": "张三", "document_number": "110101199003077777", "mobile": "13800000000"}),
        )
        .await,
        403,
        "FORBIDDEN",
        "service",
    );
    // … while the subjects' rights go on: login, export, requests.
    let (s, _, _) = app
        .post(
            "/api/v1/sessions",
            &json!({"method": "password", "username": "user1", "password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = app
        .post_as(
            "/api/v1/me/export",
            &token,
            &json!({"passphrase": "a long passphrase for the copy"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post_as("/api/v1/me/requests", &token, &json!({"kind": "access"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, notice) = app.json("/api/v1/public/closing").await;
    assert_eq!(notice["closing"], true);
}
