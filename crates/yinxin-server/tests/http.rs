//! The server over real sockets and real stores, on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tokio::net::TcpListener;
use yinxin_domain::SubjectId;
use yinxin_domain::inventory::{
    INVENTORY, PERSON_DOCUMENT_NUMBER, PERSON_EMAIL, PERSON_MOBILE, PERSON_NAME,
};
use yinxin_privacy::Cipher;
use yinxin_privacy::master_key::MasterKey;
use yinxin_privacy::vault::Vault;
use yinxin_server::{AppState, Limits};
use yinxin_store::testing::TestDb;
use yinxin_store::{Backend, backend_tests};

/// A writer that appends everything to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Every log line of this test binary, at TRACE, as the production JSON format writes them.
fn log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let c = Captured::default();
        let sink = c.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        c
    })
}

/// A running server on a loopback port.
struct TestApp {
    base: String,
    http: reqwest::Client,
    state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    async fn start(db: &TestDb) -> Self {
        log();
        let vault = Vault::open(
            &MasterKey::generate(),
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let state = AppState::new(vault, db.stores.health.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = yinxin_server::app(state.clone(), Limits::default());
        tokio::spawn(yinxin_server::serve(listener, app, async {
            let _ = rx.await;
        }));
        Self {
            base,
            http: reqwest::Client::new(),
            state,
            shutdown: Some(tx),
        }
    }

    async fn get(&self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, r.text().await.unwrap(), headers)
    }

    async fn json(&self, path: &str) -> (u16, Value) {
        let (s, body, _) = self.get(path).await;
        (
            s,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn health_readiness_and_request_ids(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, body) = app.json("/healthz").await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ok")));
    let (s, body) = app.json("/readyz").await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ready")));
    let (_, _, h) = app.get("/healthz").await;
    let id = h.get("x-request-id").unwrap().to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

async fn readiness_fails_with_a_generic_503_when_the_database_is_gone(db: &TestDb) {
    let app = TestApp::start(db).await;
    db.stores.close().await;
    let (s, body) = app.json("/readyz").await;
    assert_eq!(s, 503);
    assert_eq!(body["code"], "STORAGE_UNAVAILABLE");
    let msg = body["message"].as_str().unwrap();
    assert!(
        !msg.to_lowercase().contains("pool"),
        "5xx bodies are generic: {msg}"
    );
    // Liveness is not readiness: the process still answers.
    assert_eq!(app.json("/healthz").await.0, 200);
    // The detail went to the log.
    assert!(log().text().contains("readiness:"));
}

async fn errors_are_json_with_stable_codes(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, body) = app.json("/no/such/thing").await;
    assert_eq!((s, body["code"].as_str()), (404, Some("NOT_FOUND")));
    assert!(body["message"].as_str().unwrap().contains("openapi.json"));
    let r = app
        .http
        .delete(format!("{}/api/v1/privacy/inventory", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_INPUT");
}

async fn openapi_describes_every_route(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, doc) = app.json("/api/v1/openapi.json").await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/privacy/inventory",
    ] {
        assert!(
            doc["paths"][p]["get"].is_object(),
            "{p} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["schemas"]["PiField"].is_object());
    assert_eq!(
        serde_json::to_value(yinxin_server::routes::openapi()).unwrap(),
        doc
    );
}

async fn inventory_is_served_in_full(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, body) = app.json("/api/v1/privacy/inventory").await;
    assert_eq!(s, 200);
    let fields = body["fields"].as_array().unwrap();
    assert_eq!(fields.len(), INVENTORY.len());
    let face = fields
        .iter()
        .find(|f| f["name"] == "biometric.face")
        .unwrap();
    assert_eq!(face["category"], "biometric");
    assert_eq!(face["storage"]["kind"], "never_stored");
    assert_eq!(face["retention"]["rule"], "transient");
    let id = fields
        .iter()
        .find(|f| f["name"] == "person.document_number")
        .unwrap();
    assert_eq!(id["sensitive"], true);
    assert_eq!(id["storage"]["normalization"], "document_number");
    assert!(
        id["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "ACC-1")
    );
}

async fn metrics_count_requests_by_route_template(db: &TestDb) {
    let app = TestApp::start(db).await;
    app.get("/healthz").await;
    app.get("/api/v1/privacy/inventory?x=1").await;
    app.get("/nothing/13912345678").await;
    let (s, text, h) = app.get("/metrics").await;
    assert_eq!(s, 200);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .contains("openmetrics-text")
    );
    assert!(
        text.contains(
            r#"yinxin_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/v1/privacy/inventory""#));
    assert!(text.contains(r#"route="unmatched",status="404""#));
    assert!(
        !text.contains("13912345678"),
        "raw paths never become labels"
    );
    assert!(text.contains("yinxin_http_request_duration_seconds_bucket"));
}

backend_tests!(
    health_readiness_and_request_ids,
    readiness_fails_with_a_generic_503_when_the_database_is_gone,
    errors_are_json_with_stable_codes,
    openapi_describes_every_route,
    inventory_is_served_in_full,
    metrics_count_requests_by_route_template,
);

/// No captured log line holds PI, whether it arrived in a path, a query, a header, a cookie or a
/// body, or was stored through the vault of the running server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_information_never_reaches_the_log() {
    const NAME: &str = "李四光";
    const ID: &str = "44030519800101003X";
    const MOBILE: &str = "13787654321";
    const EMAIL: &str = "li.siguang@example.cn";

    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db).await;
    let c = &app.http;
    let b = &app.base;
    c.get(format!(
        "{b}/api/v1/privacy/inventory?mobile={MOBILE}&id={ID}"
    ))
    .header("user-agent", format!("agent {EMAIL}"))
    .header("cookie", format!("name={MOBILE}"))
    .header("x-request-id", ID)
    .header("x-forwarded-for", "10.1.2.3")
    .send()
    .await
    .unwrap();
    c.get(format!("{b}/api/v1/accounts/{ID}"))
        .send()
        .await
        .unwrap();
    c.post(format!("{b}/healthz"))
        .json(&serde_json::json!({ "name": NAME, "email": EMAIL, "mobile": MOBILE }))
        .send()
        .await
        .unwrap();
    c.put(format!("{b}/readyz/{MOBILE}"))
        .body(format!("{NAME} {ID}"))
        .send()
        .await
        .unwrap();

    // PI stored through the same server's vault.
    let s = SubjectId::random();
    let v = &app.state.vault;
    v.put_str(s, &PERSON_NAME, NAME).await.unwrap();
    v.put_str(s, &PERSON_DOCUMENT_NUMBER, ID).await.unwrap();
    v.put_str(s, &PERSON_MOBILE, MOBILE).await.unwrap();
    v.put_str(s, &PERSON_EMAIL, EMAIL).await.unwrap();
    assert_eq!(v.find(&PERSON_MOBILE, MOBILE).await.unwrap(), vec![s]);
    v.shred(s).await.unwrap();

    let text = log().text();
    // The capture really holds the requests and the vault's lines.
    assert!(
        text.contains("request answered") && text.contains(r#""route":"unmatched""#),
        "{text}"
    );
    assert!(text.contains("subject shredded"), "{text}");
    for pi in [NAME, ID, MOBILE, EMAIL] {
        assert!(!text.contains(pi), "{pi} reached the log:\n{text}");
    }
    db.cleanup().await;
}
