//! ACC-5: login events with device and network facts, and the SMS step-up on abnormal logins.

use super::*;
use yinxin_domain::risk::{LoginEventOutcome, LoginEventRecord, LoginMethod};
use yinxin_identity::{Login, ServiceError};

const PASSWORD: &str = "correct horse 42";
/// A user agent and addresses that must never be found in clear outside the vault.
const AGENT: &str = "RiskTestBrowser/7.3 (ua-marker-5c1e)";
const FAR_IP: &str = "203.0.113.57";
const OTHER_IP: &str = "198.51.100.23";

fn password_login(n: u32, sms_code: Option<&str>) -> Login {
    let mut v = serde_json::json!({"method": "password", "username": format!("user{n}"), "password": PASSWORD});
    if let Some(c) = sms_code {
        v["sms_code"] = Value::from(c);
    }
    serde_json::from_value(v).unwrap()
}

fn facts(ip: &str, device: Option<&str>) -> ClientFacts {
    ClientFacts::new(ip.parse().unwrap(), Some(AGENT), device)
}

fn mobile(n: u32) -> String {
    format!("1380013{n:04}")
}

async fn login(app: &TestApp, n: u32, code: Option<&str>, f: &ClientFacts) -> Result<(), String> {
    match app.state.accounts.login(&password_login(n, code), f).await {
        Ok(_) => Ok(()),
        Err(ServiceError::Refused(d)) => Err(format!("{}: {}", d.code.as_str(), d.message)),
        Err(e) => panic!("not a refusal: {e}"),
    }
}

/// ACC-5: the abnormal-login rule, the step-up by SMS, and the holder's view of the events.
async fn a_new_device_on_a_new_network_needs_an_sms_code(db: &TestDb) {
    let app = TestApp::start(db).await;
    // The first login (through HTTP, from 127.0.0.1, no device id) never steps up.
    let (_a, token) = app.signed_up(61).await;
    // A new device on a known network: no step-up.
    login(&app, 61, None, &facts("127.0.9.9", Some("phone-1")))
        .await
        .unwrap();
    // The same device from a new network: no step-up.
    login(&app, 61, None, &facts(OTHER_IP, Some("phone-1")))
        .await
        .unwrap();
    // A device id that breaks the rule counts as absent, i.e. a new device; known network.
    login(&app, 61, None, &facts(OTHER_IP, Some(&"x".repeat(129))))
        .await
        .unwrap();
    assert!(outbox_codes(&app, &mobile(61)).await.is_empty());

    // A new device on a new network: STEP_UP_REQUIRED, and one SMS.
    let far = facts(FAR_IP, Some("laptop-9"));
    let e = login(&app, 61, None, &far).await.unwrap_err();
    assert!(e.starts_with("STEP_UP_REQUIRED: "), "{e}");
    assert!(e.contains("138****0061") && e.contains("sms_code"), "{e}");
    assert!(!e.contains(&mobile(61)), "{e}");
    let codes = outbox_codes(&app, &mobile(61)).await;
    assert_eq!(codes.len(), 1, "exactly one SMS");
    let code = codes[0].clone();
    // A wrong code is refused (and counts as a failure); the right one then logs in.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let e = login(&app, 61, Some(wrong), &far).await.unwrap_err();
    assert!(e.starts_with("UNAUTHENTICATED: "), "{e}");
    login(&app, 61, Some(&code), &far).await.unwrap();
    // Now known: no step-up, and a stale sms_code is simply not needed.
    login(&app, 61, Some(&code), &far).await.unwrap();
    // The device and network are known now: no step-up, also from elsewhere in that /16.
    login(&app, 61, None, &facts("203.0.7.7", Some("laptop-9")))
        .await
        .unwrap();
    assert_eq!(outbox_codes(&app, &mobile(61)).await.len(), 1);

    // Through HTTP the wire field and the error code are the same.
    let (s, e, _) = app
        .send(
            app.http
                .post(format!("{}/api/v1/sessions", app.base))
                .header("x-device-id", "tablet-3")
                .header("user-agent", AGENT)
                .json(&serde_json::json!({"method": "password", "username": "user61", "password": PASSWORD, "sms_code": "123456"})),
        )
        .await;
    assert_eq!(s, 201, "known network, sms_code ignored: {e}");

    // The holder sees the events, newest first, with masked addresses.
    let (s, body) = app.get_as("/api/v1/me/login-events", &token).await;
    assert_eq!(s, 200, "{body}");
    let events = body["events"].as_array().unwrap();
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "success",
            "success",
            "success",
            "step_up_passed",
            "step_up_failed",
            "step_up_required",
            "success",
            "success",
            "success",
            "success"
        ],
        "{body}"
    );
    assert!(events.iter().all(|e| e["method"] == "password"));
    let first = events.last().unwrap();
    assert_eq!(first["ip_masked"], "127.0.*.*");
    assert_eq!(
        (
            first["new_device"].as_bool(),
            first["new_network"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let required = &events[5];
    assert_eq!(required["ip_masked"], "203.0.*.*");
    assert_eq!(
        (
            required["new_device"].as_bool(),
            required["new_network"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let same_device_far = &events[7];
    assert_eq!(same_device_far["ip_masked"], "198.51.*.*");
    assert_eq!(
        (
            same_device_far["new_device"].as_bool(),
            same_device_far["new_network"].as_bool()
        ),
        (Some(false), Some(true))
    );
    assert_eq!(
        events[2]["new_device"], false,
        "laptop-9 is known after the step-up"
    );
    let text = body.to_string();
    for raw in [FAR_IP, OTHER_IP, AGENT, "laptop-9"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }

    // Another account sees only its own.
    let (_b, other) = app.signed_up(62).await;
    let (s, body) = app.get_as("/api/v1/me/login-events", &other).await;
    assert_eq!(s, 200);
    assert_eq!(body["events"].as_array().unwrap().len(), 1, "{body}");
    // A session is needed.
    let (s, _) = app.get_as("/api/v1/me/login-events", "nope").await;
    assert_eq!(s, 401);

    // Nothing raw in the data directory (SQLite: database, WAL, key store) or the log.
    if let Some(dir) = db.dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for raw in [FAR_IP, OTHER_IP, AGENT, "laptop-9", "phone-1"] {
                assert!(
                    !bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
                    "{raw} is plaintext in {}",
                    path.display()
                );
            }
        }
    }
    let log = log().text();
    assert!(log.contains("login event recorded"));
    for raw in [
        FAR_IP,
        OTHER_IP,
        AGENT,
        "ua-marker-5c1e",
        "laptop-9",
        "phone-1",
    ] {
        assert!(!log.contains(raw), "{raw} reached the log");
    }
}

/// ACC-5: three wrong passwords right before the right one need a step-up, even from a known
/// device and network; the answer goes through HTTP as 401 STEP_UP_REQUIRED.
async fn repeated_failures_need_an_sms_code(db: &TestDb) {
    let app = TestApp::start(db).await;
    app.signed_up(63).await;
    let attempt = |pw: &str, code: Option<&str>| {
        let mut v = serde_json::json!({"method": "password", "username": "user63", "password": pw});
        if let Some(c) = code {
            v["sms_code"] = Value::from(c);
        }
        v
    };
    for i in 0..3 {
        let (s, e, _) = app
            .post("/api/v1/sessions", &attempt(&format!("wrong {i}"), None))
            .await;
        assert_eq!((s, e["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    }
    let (s, e, _) = app.post("/api/v1/sessions", &attempt(PASSWORD, None)).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (401, Some("STEP_UP_REQUIRED")),
        "{e}"
    );
    let code = outbox_codes(&app, &mobile(63)).await.pop().unwrap();
    // The step-up code is no SMS login code.
    let (s, _, _) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "sms_code", "mobile": mobile(63), "code": code}),
        )
        .await;
    assert_eq!(s, 401);
    let (s, sess, _) = app
        .post("/api/v1/sessions", &attempt(PASSWORD, Some(&code)))
        .await;
    assert_eq!(s, 201, "{sess}");
    // The failures are cleared: the next login is plain.
    let (s, _, _) = app.post("/api/v1/sessions", &attempt(PASSWORD, None)).await;
    assert_eq!(s, 201);
    let (_, body) = app
        .get_as("/api/v1/me/login-events", sess["token"].as_str().unwrap())
        .await;
    let outcomes: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "success",
            "step_up_passed",
            "failure",
            "step_up_required",
            "failure",
            "failure",
            "failure",
            "success"
        ]
    );
}

/// PRIV-9: login events past their 180 days are purged; newer ones stay.
async fn expired_login_events_are_purged(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (account, token) = app.signed_up(64).await;
    let repo = &db.stores.accounts;
    let old = LoginEventRecord {
        id: yinxin_domain::LoginEventId::ordered(),
        account: account.parse().unwrap(),
        at: 1_000_000,
        method: LoginMethod::Sms,
        outcome: LoginEventOutcome::Failure,
        device_key: None,
        network_key: vec![1; 32],
        new_device: true,
        new_network: true,
        ip_sealed: vec![0; 40],
        client_sealed: None,
    };
    repo.insert_login_event(&old).await.unwrap();
    assert_eq!(
        repo.login_events_of(old.account, 100).await.unwrap().len(),
        2
    );
    assert_eq!(yinxin_identity::login_event_retention_days(), 180);
    assert_eq!(app.state.accounts.purge_login_events().await.unwrap(), 1);
    let left = repo.login_events_of(old.account, 100).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, old.id);
    let (s, body) = app.get_as("/api/v1/me/login-events", &token).await;
    assert_eq!((s, body["events"].as_array().unwrap().len()), (200, 1));
}

backend_tests!(
    a_new_device_on_a_new_network_needs_an_sms_code,
    repeated_failures_need_an_sms_code,
    expired_login_events_are_purged,
);
