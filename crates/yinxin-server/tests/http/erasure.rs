//! Erasure propagation end to end (issue 8 item 6; PRIV-15): a deletion request and then the
//! account's erasure notify every processor and relying application that received the
//! subject's data, through their webhooks, signed; a notice is retried with backoff until a
//! `2xx` acknowledges it, every attempt recorded; a recipient without a channel waits for the
//! privacy officer's recorded acknowledgment; the notices carry no personal information.
//!
//! The receiver here is written against the documented protocol (docs/RETENTION.md), with its
//! own HMAC: a notice whose signature does not verify is answered `401` and never acknowledged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use yinxin_domain::AccountId;
use yinxin_domain::erasure::RecipientKind;
use yinxin_store::backend_tests;
use yinxin_store::testing::TestDb;

use crate::TestApp;
use crate::certificates::verified_person;
use crate::idv::{clean_person, fixtures};
use crate::signing::refused;

const DAY: i64 = 86_400;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What the receiver was sent, per endpoint: (notice id header, body), and how it answered.
#[derive(Default)]
struct Inbox {
    secrets: HashMap<String, Vec<u8>>,
    /// Endpoints that answer `503` to their next notice.
    failing: Vec<String>,
    received: Vec<(String, String, String, u16)>,
}

type Shared = Arc<Mutex<Inbox>>;

/// Verifies `Yinxin-Signature: t=…,v1=…` as a recipient would: HMAC-SHA256 over "t.body",
/// and `t` within five minutes.
fn verified(secret: &[u8], header: &str, body: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = Some(x.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now() - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    want == v1
}

async fn receive(
    State(inbox): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut inbox = inbox.lock().unwrap();
    let status = match inbox.secrets.get(&name) {
        Some(secret) if verified(secret, &header("yinxin-signature"), &body) => {
            if let Some(i) = inbox.failing.iter().position(|f| *f == name) {
                inbox.failing.remove(i);
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::NO_CONTENT
            }
        }
        _ => StatusCode::UNAUTHORIZED,
    };
    inbox
        .received
        .push((name, header("yinxin-notice-id"), body, status.as_u16()));
    status
}

async fn start_receiver() -> (String, Shared) {
    let inbox = Shared::default();
    let app = axum::Router::new()
        .route("/hooks/{name}", axum::routing::post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, inbox)
}

async fn put_as_app(app: &TestApp, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let (s, v, _) = app
        .send(
            app.http
                .put(format!("{}{path}", app.base))
                .header("x-api-key", key)
                .json(body),
        )
        .await;
    (s, v)
}

/// The pending notices' (recipient, cause) pairs, sorted.
fn pairs(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["recipient"].as_str().unwrap().to_owned(),
                n["cause"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

backend_tests!(erasure_reaches_every_recipient_until_acknowledged);
async fn erasure_reaches_every_recipient_until_acknowledged(db: &TestDb) {
    let app = TestApp::start(db).await;
    let accounts = &app.state.accounts;
    let f = fixtures(&app).await;
    let person = clean_person(&f).clone();
    let (token, outsider) = verified_person(&app).await;
    let officer = app.privacy_officer().await;
    let (_, me) = app.get_as("/api/v1/me", &token).await;
    let account: AccountId = me["account_id"].as_str().unwrap().parse().unwrap();
    // The processor that verified the person received their mobile with the rest.
    let disclosed = db.stores.accounts.disclosures_of(account).await.unwrap();
    let processor = disclosed[0].processor.clone();
    assert!(
        disclosed
            .iter()
            .all(|d| d.processor == processor && d.data_items.iter().any(|i| i == "person.mobile")),
        "{disclosed:?}"
    );

    // A relying application reads the holder's name with their certificate.
    let shop = accounts
        .register_relying_app(
            "shop",
            "网店",
            "某某网络科技有限公司",
            "privacy@shop.example",
            &["person.name".into()],
        )
        .await
        .unwrap();
    let key = shop.api_key.as_str();
    let (s, cert) = app
        .post_as(
            "/api/v1/certificates",
            &token,
            &json!({"hosted_key": "p256", "profile": "personal_signing", "algorithm": "p256"}),
        )
        .await;
    assert_eq!(s, 201, "{cert}");
    let serial = cert["serial"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post_as(
            &format!("/api/v1/certificates/{serial}/uses"),
            &token,
            &json!({"app": "shop"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v, _) = app
        .send(
            app.http
                .get(format!("{}/api/v1/relying/certificates/{serial}", app.base))
                .header("x-api-key", key),
        )
        .await;
    assert_eq!((s, &v["name"]), (200, &person["name"]), "{v}");

    // A deletion request for the mobile: the processor that received it is told; the
    // application, which never did, is not.
    let (s, filed) = app
        .post_as(
            "/api/v1/me/requests",
            &token,
            &json!({"kind": "deletion", "scope": ["person.mobile"], "ground": "no_longer_used"}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let request = filed["request"]["id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post_as(
            &format!("/api/v1/staff/requests/{request}/action"),
            &officer,
            &json!({"action": "fulfil"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let notices = "/api/v1/staff/erasure-notices?pending=true";
    let (s, pending) = app.get_as(notices, &officer).await;
    assert_eq!(s, 200, "{pending}");
    assert_eq!(
        pairs(&pending),
        vec![(processor.clone(), "deletion_request".to_owned())]
    );
    let deletion = &pending[0];
    assert_eq!(deletion["cause_ref"], request.as_str());
    let body: Value = serde_json::from_str(deletion["payload"].as_str().unwrap()).unwrap();
    assert_eq!(body["fields"], json!(["person.mobile"]), "{body}");
    assert_eq!(
        body["disclosures"][0]["reference"],
        disclosed[0].verification.to_string().as_str()
    );

    // Cancelled, and erased after the grace period: both recipients are owed a notice, stored
    // with the erasure; a second run stores none again.
    let (s, v) = app
        .post_as(
            "/api/v1/me/cancellation",
            &token,
            &json!({"password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let later = now() + 184 * DAY;
    let run = accounts.run_retention(later, "node-a").await.unwrap();
    assert_eq!(
        (run.erased.clone(), run.erasures[0].notices),
        (vec![account], 2),
        "{run:?}"
    );
    assert!(
        db.stores
            .accounts
            .app_disclosures_of(account)
            .await
            .unwrap()
            .is_empty(),
        "the application disclosures went with the erasure"
    );
    let (_, pending) = app.get_as(notices, &officer).await;
    let expected = vec![
        (processor.clone(), "account_erasure".to_owned()),
        (processor.clone(), "deletion_request".to_owned()),
        ("shop".to_owned(), "account_erasure".to_owned()),
    ];
    assert_eq!(pairs(&pending), expected);
    accounts.run_retention(later, "node-a").await.unwrap();
    let (_, again) = app.get_as(notices, &officer).await;
    assert_eq!(pairs(&again), expected);
    refused(
        &app.get_as(notices, &outsider).await,
        403,
        "FORBIDDEN",
        "role",
    );
    // What the application is told: the certificate it read, the fields it received.
    let to_shop = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["recipient"] == "shop")
        .unwrap()
        .clone();
    let body: Value = serde_json::from_str(to_shop["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&body["type"], &body["cause"], &body["recipient_kind"]),
        (
            &json!("yinxin.erasure.v1"),
            &json!("account_erasure"),
            &json!("app")
        )
    );
    assert_eq!(body["disclosures"][0]["reference"], serial.as_str());
    assert!(
        body["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("person.name")),
        "{body}"
    );

    // No channel registered yet: an attempt each, recorded as such, nothing acknowledged.
    let d = accounts
        .deliver_erasure_notices(later, "node-a")
        .await
        .unwrap();
    assert_eq!((d.attempted, d.acknowledged), (3, 0), "{d:?}");

    // The privacy officer records that the processor confirmed the deletion by letter.
    let ack = format!(
        "/api/v1/staff/erasure-notices/{}/acknowledge",
        deletion["id"].as_str().unwrap()
    );
    refused(
        &app.post_as(&ack, &officer, &json!({"note": " "})).await,
        400,
        "INVALID_INPUT",
        "note",
    );
    refused(
        &app.post_as(&ack, &outsider, &json!({"note": "by letter"}))
            .await,
        403,
        "FORBIDDEN",
        "role",
    );
    refused(
        &app.post_as(
            "/api/v1/staff/erasure-notices/nope/acknowledge",
            &officer,
            &json!({"note": "by letter"}),
        )
        .await,
        404,
        "NOT_FOUND",
        "notice",
    );
    let (s, v) = app
        .post_as(
            &ack,
            &officer,
            &json!({"note": "confirmed by letter of 3 Dec"}),
        )
        .await;
    assert_eq!((s, v["acknowledged_by"].is_string()), (200, true), "{v}");
    refused(
        &app.post_as(&ack, &officer, &json!({"note": "again"})).await,
        409,
        "CONFLICT",
        "already",
    );

    // The channels: the application registers its own (refusals first); the processor's comes
    // from the configuration, with the secret agreed with it.
    let (base, inbox) = start_receiver().await;
    let hook = "/api/v1/relying/erasure-webhook";
    for bad in ["http://hooks.example.com/e", "ftp://127.0.0.1/", "no"] {
        refused(
            &put_as_app(&app, hook, key, &json!({"url": bad})).await,
            400,
            "INVALID_INPUT",
            "url",
        );
    }
    refused(
        &put_as_app(
            &app,
            hook,
            "yxapp_nope",
            &json!({"url": format!("{base}/shop")}),
        )
        .await,
        401,
        "UNAUTHENTICATED",
        "",
    );
    let (s, channel) = put_as_app(&app, hook, key, &json!({"url": format!("{base}/shop")})).await;
    assert_eq!(s, 200, "{channel}");
    let secret = channel["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 40, "{secret}");
    let err = accounts
        .set_erasure_channel(
            RecipientKind::Processor,
            &processor,
            &format!("{base}/processor"),
            Some(b"short"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("erasure_webhook_secret"), "{err}");
    accounts
        .set_erasure_channel(
            RecipientKind::Processor,
            &processor,
            &format!("{base}/processor"),
            Some(b"agreed with the processor, 32 b"),
        )
        .await
        .unwrap();
    {
        let mut i = inbox.lock().unwrap();
        i.secrets.insert("shop".into(), secret.into_bytes());
        i.secrets.insert(
            "processor".into(),
            b"agreed with the processor, 32 b".to_vec(),
        );
        i.failing.push("shop".into());
    }

    // Retries wait: nothing is due 30 seconds after the first attempt.
    let d = accounts
        .deliver_erasure_notices(later + 30, "node-a")
        .await
        .unwrap();
    assert_eq!(d.attempted, 0, "{d:?}");
    // Another node's lease stands: this one delivers nothing.
    assert!(
        db.stores
            .accounts
            .try_lease("erasure-notices", "node-b", now() + 300, now())
            .await
            .unwrap()
    );
    let busy = accounts
        .deliver_erasure_notices(later + 61, "node-a")
        .await
        .unwrap();
    assert!(busy.lease_busy && busy.attempted == 0, "{busy:?}");
    db.stores
        .accounts
        .release_lease("erasure-notices", "node-b")
        .await
        .unwrap();
    // A minute on: the processor acknowledges; the application's endpoint fails once.
    let d = accounts
        .deliver_erasure_notices(later + 61, "node-a")
        .await
        .unwrap();
    assert_eq!((d.attempted, d.acknowledged), (2, 1), "{d:?}");
    let (_, pending) = app.get_as(notices, &officer).await;
    assert_eq!(
        pairs(&pending),
        vec![("shop".to_owned(), "account_erasure".to_owned())]
    );
    // The next retry is two minutes after the second attempt: not at one minute …
    let d = accounts
        .deliver_erasure_notices(later + 61 + 60, "node-a")
        .await
        .unwrap();
    assert_eq!(d.attempted, 0, "{d:?}");
    // … at two, it is acknowledged.
    let d = accounts
        .deliver_erasure_notices(later + 61 + 120, "node-a")
        .await
        .unwrap();
    assert_eq!((d.attempted, d.acknowledged), (1, 1), "{d:?}");
    let (_, pending) = app.get_as(notices, &officer).await;
    assert_eq!(pending, json!([]));
    let d = accounts
        .deliver_erasure_notices(later + DAY, "node-a")
        .await
        .unwrap();
    assert_eq!(d.attempted, 0, "acknowledged notices are not sent again");

    // Every attempt is on record.
    let (_, all) = app.get_as("/api/v1/staff/erasure-notices", &officer).await;
    let shop_notice = all
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["recipient"] == "shop")
        .unwrap();
    let outcomes: Vec<&str> = shop_notice["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["no channel", "http 503", "http 204"]);
    assert_eq!(shop_notice["acknowledged_by"], "webhook");

    // What the receiver got: signed notices (it answered 401 to none), each its id in the
    // header and the body, and no personal information in any.
    let received = inbox.lock().unwrap().received.clone();
    assert_eq!(
        received
            .iter()
            .map(|(name, _, _, status)| (name.as_str(), *status))
            .collect::<Vec<_>>(),
        [("processor", 204), ("shop", 503), ("shop", 204)]
    );
    for (_, id, body, _) in &received {
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["notice"].as_str(), Some(id.as_str()));
        for pi in ["name", "id_number", "mobile"] {
            let value = person[pi].as_str().unwrap();
            assert!(!body.contains(value), "{pi} in a notice: {body}");
        }
        assert!(!body.contains(&account.to_string()), "{body}");
    }
}
