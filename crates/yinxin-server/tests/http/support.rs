//! ACC-7: support requests and their sealed conversation, through the server.

use super::*;
use yinxin_domain::SupportRequestId;

/// A message that must never be found in clear outside the vault.
const SECRET: &str = "我的证书私钥丢了，工号 SUP-7731-锅炉房";

fn opening(category: &str, message: &str) -> Value {
    serde_json::json!({"category": category, "message": message})
}

/// ACC-7: open, list, read, reply, close; the owner alone reaches a request.
async fn support_requests_are_opened_answered_and_closed_by_their_owner(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (a1, t1) = app.signed_up(31).await;
    let (_a2, t2) = app.signed_up(32).await;

    // A session is needed for every route.
    let (s, e, _) = app
        .post("/api/v1/support/requests", &opening("certificate", SECRET))
        .await;
    assert_eq!((s, e["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    let (s, e) = app
        .get_as("/api/v1/support/requests", "not-a-session")
        .await;
    assert_eq!((s, e["code"].as_str()), (401, Some("UNAUTHENTICATED")));

    let (s, c) = app
        .post_as(
            "/api/v1/support/requests",
            &t1,
            &opening("certificate", &format!("{SECRET}\r\n\t请帮忙")),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let req = &c["request"];
    let id = req["id"].as_str().unwrap().to_owned();
    assert_eq!(req["account"], a1.as_str());
    assert_eq!(req["category"], "certificate");
    assert_eq!(req["status"], "open");
    assert_eq!(c["messages"].as_array().unwrap().len(), 1);
    assert_eq!(c["messages"][0]["author"], "customer");
    assert_eq!(c["messages"][0]["body"], format!("{SECRET}\n\t请帮忙"));

    let (s, list) = app.get_as("/api/v1/support/requests", &t1).await;
    assert_eq!(s, 200, "{list}");
    let list = list["requests"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert!(list[0].get("messages").is_none());

    let (s, m) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/messages"),
            &t1,
            &serde_json::json!({"message": "补充：是签名证书"}),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(m["author"], "customer");
    let (s, conv) = app
        .get_as(&format!("/api/v1/support/requests/{id}"), &t1)
        .await;
    assert_eq!(s, 200, "{conv}");
    let bodies: Vec<&str> = conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [format!("{SECRET}\n\t请帮忙").as_str(), "补充：是签名证书"]
    );
    assert_eq!(conv["request"]["status"], "open");
    assert_eq!(conv["messages"][1]["id"], m["id"]);

    // The store holds the bodies sealed, never in clear.
    let rid: SupportRequestId = id.parse().unwrap();
    let stored = db.stores.accounts.messages_of(rid).await.unwrap();
    assert_eq!(stored.len(), 2);
    for m in &stored {
        assert!(!m.body_sealed.is_empty());
        assert!(!contains(&m.body_sealed, "证书"));
    }

    // Another account learns nothing: not the request, not that it exists.
    let (s, list) = app.get_as("/api/v1/support/requests", &t2).await;
    assert_eq!((s, list["requests"].as_array().unwrap().len()), (200, 0));
    let (s, e) = app
        .get_as(&format!("/api/v1/support/requests/{id}"), &t2)
        .await;
    assert_eq!((s, e["code"].as_str()), (404, Some("NOT_FOUND")));
    let (s, e) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/messages"),
            &t2,
            &serde_json::json!({"message": "我也要看"}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (404, Some("NOT_FOUND")));
    let (s, e) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/close"),
            &t2,
            &Value::Null,
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (404, Some("NOT_FOUND")));
    assert_eq!(db.stores.accounts.messages_of(rid).await.unwrap().len(), 2);
    // An id nobody has, and one that is not an id.
    let unknown = SupportRequestId::ordered();
    let (s, e) = app
        .get_as(&format!("/api/v1/support/requests/{unknown}"), &t1)
        .await;
    assert_eq!((s, e["code"].as_str()), (404, Some("NOT_FOUND")));
    let (s, e) = app.get_as("/api/v1/support/requests/42", &t1).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")));
    assert!(e["message"].as_str().unwrap().starts_with("id:"), "{e}");

    // Closing keeps the conversation and ends it.
    let (s, closed) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/close"),
            &t1,
            &Value::Null,
        )
        .await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    let (s, e) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/messages"),
            &t1,
            &serde_json::json!({"message": "还在吗"}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("CONFLICT")));
    let (s, e) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/close"),
            &t1,
            &Value::Null,
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("CONFLICT")));
    let (s, conv) = app
        .get_as(&format!("/api/v1/support/requests/{id}"), &t1)
        .await;
    assert_eq!(s, 200);
    assert_eq!(conv["request"]["status"], "closed");
    assert_eq!(conv["messages"].as_array().unwrap().len(), 2);

    // Every route is in the OpenAPI document, under the tag "support".
    let (_, doc) = app.json("/api/v1/openapi.json").await;
    for (path, method) in [
        ("/api/v1/support/requests", "post"),
        ("/api/v1/support/requests", "get"),
        ("/api/v1/support/requests/{id}", "get"),
        ("/api/v1/support/requests/{id}/messages", "post"),
        ("/api/v1/support/requests/{id}/close", "post"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["tags"][0], "support",
            "{method} {path}"
        );
    }
}

/// ACC-7: refusals name the field and store nothing.
async fn support_refusals_name_the_field(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (_a, t) = app.signed_up(33).await;
    let too_long = "字".repeat(4001);
    for (body, field) in [
        (opening("certificate", ""), "message:"),
        (opening("certificate", " \n\t "), "message:"),
        (opening("certificate", &too_long), "message:"),
        (opening("certificate", "响铃\u{7}"), "message:"),
        (opening("complaint", "ok"), "category"),
        (serde_json::json!({"category": "other"}), "message"),
        (
            serde_json::json!({"category": "other", "message": "x", "subject": "y"}),
            "subject",
        ),
    ] {
        let (s, e) = app.post_as("/api/v1/support/requests", &t, &body).await;
        assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(field), "{field}: {msg}");
        assert!(!msg.contains('字') && !msg.contains("响铃"), "{msg}");
    }
    let longest = "字".repeat(4000);
    let (s, c) = app
        .post_as(
            "/api/v1/support/requests",
            &t,
            &opening("privacy", &longest),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["request"]["id"].as_str().unwrap().to_owned();
    let (s, e) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/messages"),
            &t,
            &serde_json::json!({"message": too_long}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");
    let (_, list) = app.get_as("/api/v1/support/requests", &t).await;
    assert_eq!(list["requests"].as_array().unwrap().len(), 1);
    let (_, conv) = app
        .get_as(&format!("/api/v1/support/requests/{id}"), &t)
        .await;
    assert_eq!(conv["messages"].as_array().unwrap().len(), 1);
}

/// ACC-7: at most `support_open_requests_max` (20) open at once; closing one makes room.
async fn support_open_requests_are_limited(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (_a, t) = app.signed_up(34).await;
    let mut first = String::new();
    for i in 0..20 {
        let (s, c) = app
            .post_as(
                "/api/v1/support/requests",
                &t,
                &opening("other", &format!("问题 {i}")),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        if i == 0 {
            first = c["request"]["id"].as_str().unwrap().to_owned();
        }
    }
    let (s, e) = app
        .post_as("/api/v1/support/requests", &t, &opening("other", "再一个"))
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("CONFLICT")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("close one"), "{e}");
    let (s, _) = app
        .post_as(
            &format!("/api/v1/support/requests/{first}/close"),
            &t,
            &Value::Null,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_as("/api/v1/support/requests", &t, &opening("other", "再一个"))
        .await;
    assert_eq!(s, 201);
    // Newest first.
    let (_, list) = app.get_as("/api/v1/support/requests", &t).await;
    let list = list["requests"].as_array().unwrap();
    assert_eq!(list.len(), 21);
    assert_eq!(list[20]["id"], first.as_str());
}

backend_tests!(
    support_requests_are_opened_answered_and_closed_by_their_owner,
    support_refusals_name_the_field,
    support_open_requests_are_limited,
);

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// ACC-7, PRIV-10: a support message is not plaintext anywhere in the SQLite data directory
/// (database, WAL, key store) nor in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_messages_never_reach_the_disk_or_the_log_in_clear() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db).await;
    let (_a, t) = app.signed_up(35).await;
    let (s, c) = app
        .post_as("/api/v1/support/requests", &t, &opening("account", SECRET))
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["request"]["id"].as_str().unwrap().to_owned();
    let reply = "第二条：SUP-9981-地下室";
    let (s, _) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/messages"),
            &t,
            &serde_json::json!({"message": reply}),
        )
        .await;
    assert_eq!(s, 201);
    // A refused message is not echoed, nor logged.
    let refused = format!("SUP-0000-{}", "x".repeat(4000));
    let (s, e) = app
        .post_as(
            &format!("/api/v1/support/requests/{id}/messages"),
            &t,
            &serde_json::json!({"message": refused}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(!e.to_string().contains("SUP-0000"), "{e}");
    let (s, conv) = app
        .get_as(&format!("/api/v1/support/requests/{id}"), &t)
        .await;
    assert_eq!(s, 200);
    assert_eq!(conv["messages"][1]["body"], reply);

    // The scan sees what the database holds: the request's id is there, in clear.
    let mut id_seen = false;
    for entry in std::fs::read_dir(db.dir().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        id_seen |= contains(&bytes, &id);
        for text in [SECRET, "SUP-7731", reply, "SUP-9981"] {
            assert!(
                !contains(&bytes, text),
                "{text} is plaintext in {}",
                path.display()
            );
        }
    }
    assert!(id_seen, "the scan found not even the request id");
    let log = log().text();
    assert!(log.contains("support request opened"), "{log}");
    assert!(log.contains("support message added"), "{log}");
    for text in ["SUP-7731", "锅炉房", "SUP-9981", "地下室", "SUP-0000"] {
        assert!(!log.contains(text), "{text} reached the log:\n{log}");
    }
    db.cleanup().await;
}
