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
    ACCOUNT_USERNAME, INVENTORY, PERSON_DOCUMENT_NUMBER, PERSON_EMAIL, PERSON_MOBILE, PERSON_NAME,
};
use yinxin_identity::idv::router::{BreakerConfig, ProviderEntry, ProviderRouter};
use yinxin_identity::idv::tencent::{TencentCloud, TencentConfig};
use yinxin_identity::idv::{IdvConfig, Verifications, processor_entry};
use yinxin_identity::sms::outbox::Outbox;
use yinxin_identity::{Accounts, AccountsConfig, ClientFacts, PasswordParams};
use yinxin_privacy::Cipher;
use yinxin_privacy::master_key::MasterKey;
use yinxin_privacy::vault::Vault;
use yinxin_server::{AppState, Limits};
use yinxin_store::testing::TestDb;
use yinxin_store::{Backend, backend_tests};

#[path = "http/certificates.rs"]
mod certificates;
#[path = "http/consent.rs"]
mod consent;
#[path = "http/documents.rs"]
mod documents;
#[path = "http/enterprise.rs"]
mod enterprise;
#[path = "http/envelopes.rs"]
mod envelopes;
#[path = "http/erasure.rs"]
mod erasure;
#[path = "http/guardian.rs"]
mod guardian;
#[path = "http/idv.rs"]
mod idv;
#[path = "http/incidents.rs"]
mod incidents;
#[path = "http/log.rs"]
mod log_routes;
#[path = "http/objection.rs"]
mod objection;
#[path = "http/passkey.rs"]
mod passkey;
#[path = "http/records.rs"]
mod records;
#[path = "http/requests.rs"]
mod requests;
#[path = "http/retention.rs"]
mod retention;
#[path = "http/risk.rs"]
mod risk;
#[path = "http/seals.rs"]
mod seals;
#[path = "http/signing.rs"]
mod signing;
#[path = "http/staff.rs"]
mod staff;
#[path = "http/support.rs"]
mod support;
#[path = "http/termination.rs"]
mod termination;
#[path = "http/tsa.rs"]
mod tsa;
#[path = "http/verify.rs"]
mod verify;

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

/// Cheap argon2 (the cost is benchmarked, not tested) and a lockout after 5 failures.
fn test_accounts_config() -> AccountsConfig {
    AccountsConfig {
        password: PasswordParams {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        max_password_failures: 5,
        lockout_seconds: 900,
        session_seconds: 3600,
        logins_per_address_per_minute: 20,
        registrations_per_address_per_hour: 40,
        sms_per_mobile_per_hour: 3,
        sms_per_address_per_hour: 200,
        envelope_min_seconds: 1,
        envelopes_per_account_per_hour: 6,
        ..AccountsConfig::default()
    }
}

/// The test server's evidence-log origin.
const LOG_ORIGIN: &str = "test.yinxin.invalid/log";

/// A running server on a loopback port.
struct TestApp {
    base: String,
    http: reqwest::Client,
    state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _outbox_dir: tempfile::TempDir,
    /// Two identity-verification simulators: `primary`, then `secondary` on every route.
    sims: Vec<yinxin_authority_sim::SimHandle>,
}

/// The verification service over `sims`, named `primary` and `secondary`, routed in that order
/// for every method, each call bounded by 2 s.
/// The providers of a test app: the simulators as `primary` and `secondary`, on the mainland;
/// with `abroad`, both outside it (CERT-9), only `primary` with a security assessment.
async fn test_verifications(
    accounts: &Accounts,
    sims: &[yinxin_authority_sim::SimHandle],
    abroad: bool,
) -> Verifications {
    use yinxin_domain::verification::Method;
    let names = ["primary", "secondary"];
    let entries = sims
        .iter()
        .zip(names)
        .map(|(sim, name)| {
            let provider = TencentCloud::new(TencentConfig {
                name: name.into(),
                endpoint: sim.endpoint(),
                ocr_endpoint: sim.endpoint(),
                secret_id: yinxin_authority_sim::DEFAULT_SECRET_ID.into(),
                secret_key: zeroize::Zeroizing::new(
                    yinxin_authority_sim::DEFAULT_SECRET_KEY.into(),
                ),
                region: None,
                connect_timeout_secs: 2,
            })
            .unwrap();
            ProviderEntry {
                provider: Arc::new(provider),
                processor: yinxin_domain::verification::ProcessorRecord {
                    outside_prc: abroad,
                    security_assessment: (abroad && name == "primary")
                        .then(|| "CAC-assessment-2026-0001".to_owned()),
                    ..processor_entry(
                        name,
                        &format!("{name} simulator"),
                        "privacy@sim.invalid",
                        "127.0.0.1 (mainland)",
                        &Method::ALL,
                    )
                },
                timeout: std::time::Duration::from_secs(2),
            }
        })
        .collect();
    let routes = Method::ALL
        .iter()
        .map(|m| (*m, names.iter().map(|n| (*n).to_owned()).collect()))
        .collect();
    let router = ProviderRouter::new(entries, &routes, BreakerConfig::default()).unwrap();
    Verifications::open(
        accounts.clone(),
        router,
        IdvConfig {
            routes,
            ..IdvConfig::default()
        },
    )
    .await
    .unwrap()
}

/// The certificate authority of a test app: SM2 and P-256 hierarchies, keys in the software store
/// on the test database, CRLs valid one hour, the default subject mode (keyed hash).
async fn test_ca(db: &TestDb, vault: &Vault) -> Arc<yinxin_pki::ca::CertificateAuthority> {
    let keys: Arc<dyn yinxin_crypto::KeyStore> =
        Arc::new(yinxin_crypto::software::SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            vault.service_secret("ca-keystore"),
        ));
    let config = yinxin_pki::ca::CaConfig {
        organization: "yinxin test".into(),
        public_base_url: "http://127.0.0.1:1".into(),
        algorithms: vec![
            yinxin_crypto::KeyAlgorithm::Sm2,
            yinxin_crypto::KeyAlgorithm::EcdsaP256,
        ],
        subject_mode: yinxin_pki::ca::SubjectMode::default(),
        crl_validity: std::time::Duration::from_secs(3600),
    };
    Arc::new(
        yinxin_pki::ca::CertificateAuthority::start(
            keys,
            db.stores.certificates.clone(),
            vault.clone(),
            config,
        )
        .await
        .unwrap(),
    )
}

/// The timestamp authority over the test CA's hierarchies (start the CA first), default policy
/// and clock check.
async fn test_tsa(db: &TestDb, vault: &Vault) -> Arc<yinxin_pki::tsa::TimestampAuthority> {
    let keys: Arc<dyn yinxin_crypto::KeyStore> =
        Arc::new(yinxin_crypto::software::SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            vault.service_secret("ca-keystore"),
        ));
    Arc::new(
        yinxin_pki::tsa::TimestampAuthority::start(
            keys,
            db.stores.certificates.as_ref(),
            db.stores.timestamps.clone(),
            yinxin_pki::tsa::TsaConfig::default(),
        )
        .await
        .unwrap(),
    )
}

async fn start_sim() -> yinxin_authority_sim::SimHandle {
    yinxin_authority_sim::serve(
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        yinxin_authority_sim::SimConfig::default(),
    )
    .await
    .unwrap()
}

impl TestApp {
    async fn start(db: &TestDb) -> Self {
        Self::start_with(db, false).await
    }

    /// A test app whose identity providers are outside the mainland (see [`test_verifications`]).
    async fn start_abroad(db: &TestDb) -> Self {
        Self::start_with(db, true).await
    }

    async fn start_with(db: &TestDb, abroad: bool) -> Self {
        log();
        let vault = Vault::open(
            &MasterKey::generate(),
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let outbox_dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(outbox_dir.path().join("sms-outbox.jsonl"), vault.clone());
        let accounts = Accounts::open(
            vault.clone(),
            db.stores.accounts.clone(),
            Arc::new(outbox.clone()),
            test_accounts_config(),
        )
        .await
        .unwrap();
        let sims = vec![start_sim().await, start_sim().await];
        let verifications = test_verifications(&accounts, &sims, abroad).await;
        let ca = test_ca(db, &vault).await;
        let tsa = test_tsa(db, &vault).await;
        let keys = yinxin_crypto::software::SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            vault.service_secret("ca-keystore"),
        );
        let log =
            yinxin_ledger::log::Log::open(db.stores.ledger.clone(), &keys, LOG_ORIGIN, None, 0)
                .await
                .unwrap();
        let state = AppState::new(vault, db.stores.health.clone(), accounts, verifications)
            .with_outbox(outbox)
            .with_ca(ca, 20)
            .with_tsa(tsa)
            .with_log(Arc::new(log));
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
            _outbox_dir: outbox_dir,
            sims,
        }
    }

    /// The directory of the SMS outbox file.
    fn outbox_dir(&self) -> &std::path::Path {
        self._outbox_dir.path()
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

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value, reqwest::header::HeaderMap) {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        let v = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
        };
        (status, v, headers)
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// Sends `req` with the bearer session `token`: (status, body).
    async fn send_as(&self, req: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
        let (s, v, _) = self.send(req.bearer_auth(token)).await;
        (s, v)
    }

    async fn get_as(&self, path: &str, token: &str) -> (u16, Value) {
        self.send_as(self.http.get(format!("{}{path}", self.base)), token)
            .await
    }

    async fn post_as(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send_as(
            self.http.post(format!("{}{path}", self.base)).json(body),
            token,
        )
        .await
    }

    async fn delete_as(&self, path: &str, token: &str) -> (u16, Value) {
        self.send_as(self.http.delete(format!("{}{path}", self.base)), token)
            .await
    }

    /// Registers `person(n)` and logs in by password: (account id, session token).
    async fn signed_up(&self, n: u32) -> (String, String) {
        let version = policy_version(self).await;
        let (s, reg, _) = self
            .post("/api/v1/accounts/personal", &person(n, &version))
            .await;
        assert_eq!(s, 201, "{reg}");
        let (s, sess, _) = self
            .post(
                "/api/v1/sessions",
                &serde_json::json!({"method": "password", "username": format!("user{n}"), "password": "correct horse 42"}),
            )
            .await;
        assert_eq!(s, 201, "{sess}");
        (
            reg["account_id"].as_str().unwrap().to_owned(),
            sess["token"].as_str().unwrap().to_owned(),
        )
    }

    /// Registers user 3 and makes them privacy officer: their session token.
    async fn privacy_officer(&self) -> String {
        let (_, token) = self.signed_up(3).await;
        self.state
            .accounts
            .grant_staff_role(
                "user3",
                yinxin_domain::staff::StaffRole::PrivacyOfficer,
                "ops",
            )
            .await
            .unwrap();
        token
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
    // Every operation has an operationId of its own (OpenAPI 3 §4.8.10: unique among all
    // operations; utoipa takes the handler's name, so two handlers of one name in two modules
    // would clash and generated clients break).
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} of {method} {path} is also that of {other}");
            }
        }
    }
    assert!(seen.len() > 100, "{} operations", seen.len());
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

/// A resident ID number with the right GB 11643 check character for `first17`.
fn resident_id(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
    format!("{first17}{check}")
}

/// A valid registration; `n` varies the username and mobile.
fn person(n: u32, policy: &str) -> Value {
    serde_json::json!({
        "username": format!("user{n}"),
        "password": "correct horse 42",
        "name": "王小明",
        "country_region": "CN",
        "document_type": "resident_id_card",
        "document_number": resident_id("11010519800101123"),
        "mobile": format!("1380013{n:04}"),
        "email": format!("Xiaoming.{n}@Example.CN"),
        "accept_policy_version": policy,
        "consents": ["sensitive_personal_information"],
    })
}

async fn policy_version(app: &TestApp) -> String {
    let (s, p) = app.json("/api/v1/policies/current").await;
    assert_eq!(s, 200, "{p}");
    p["version"].as_str().unwrap().to_owned()
}

/// ACC-1, ACC-3, PRIV-1, PRIV-2, PRIV-17: register, log in, use the session, log out.
async fn register_login_and_session(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (s, policy) = app.json("/api/v1/policies/current").await;
    assert_eq!(s, 200);
    let version = policy["version"].as_str().unwrap().to_owned();
    let text = policy["text"].as_str().unwrap();
    assert!(text.contains("隐私政策"));

    let (s, reg, _) = app
        .post("/api/v1/accounts/personal", &person(1, &version))
        .await;
    assert_eq!(s, 201, "{reg}");
    let account = reg["account_id"].as_str().unwrap().to_owned();
    let scopes: Vec<&str> = reg["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["privacy_policy", "sensitive_personal_information"]);
    for c in reg["consents"].as_array().unwrap() {
        assert_eq!(c["policy_version"], version.as_str());
        assert_eq!(c["text_sha256"], policy["text_sha256"]);
        assert_eq!(c["action"], "given");
    }

    // Usernames are case-insensitive; the cookie holds only the opaque token.
    let (s, sess, headers) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "password", "username": "USER1", "password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 201, "{sess}");
    assert_eq!(sess["account_id"], account.as_str());
    let token = sess["token"].as_str().unwrap().to_owned();
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert_eq!(
        cookie.split(';').next().unwrap(),
        format!("yinxin_session={token}")
    );
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }

    let (s, me) = app.get_as("/api/v1/me", &token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["account_id"], account.as_str());
    assert_eq!(me["kind"], "personal");
    assert_eq!(me["session_method"], "password");
    // The same session by cookie.
    let (s, me2, _) = app
        .send(
            app.http
                .get(format!("{}/api/v1/me", app.base))
                .header("cookie", format!("theme=dark; yinxin_session={token}")),
        )
        .await;
    assert_eq!((s, &me2["account_id"]), (200, &me["account_id"]));

    let (s, profile) = app.get_as("/api/v1/me/profile", &token).await;
    assert_eq!(s, 200, "{profile}");
    assert_eq!(profile["username"], "user1");
    assert_eq!(profile["name"], "王小明");
    assert_eq!(profile["mobile_masked"], "138****0001");
    assert_eq!(profile["email_masked"], "X*********@example.cn");
    let masked = profile["document_number_masked"].as_str().unwrap();
    assert!(
        masked.starts_with("11") && masked.contains("**************"),
        "{masked}"
    );

    let (s, consents) = app.get_as("/api/v1/me/consents", &token).await;
    assert_eq!(s, 200);
    assert_eq!(consents["consents"].as_array().unwrap().len(), 2);

    // Logout ends the session; a made-up or missing token is 401 in the error shape.
    let (s, _, headers) = app
        .send(
            app.http
                .delete(format!("{}/api/v1/sessions/current", app.base))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(s, 204);
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    for t in [token.as_str(), "x", &"A".repeat(43)] {
        let (s, e) = app.get_as("/api/v1/me", t).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (401, Some("UNAUTHENTICATED")),
            "{t}"
        );
    }
    let (s, e) = app.json("/api/v1/me").await;
    assert_eq!((s, e["code"].as_str()), (401, Some("UNAUTHENTICATED")));
}

/// ACC-1: each bad field is refused with its own message naming the field, and nothing of the
/// refused registration is stored. PRIV-1, PRIV-2, PRIV-13: consents and minors.
async fn registration_refusals_name_the_field_and_store_nothing(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let good = resident_id("11010519800101123");
    let wrong_check = {
        let last = good.chars().last().unwrap();
        let other = if last == '0' { '1' } else { '0' };
        format!("{}{other}", &good[..17])
    };
    let minor = resident_id("11010520200101123");
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "document_number",
            Value::from(wrong_check),
            400,
            "INVALID_INPUT",
            "check",
        ),
        (
            "document_number",
            Value::from("110105198013011234"),
            400,
            "INVALID_INPUT",
            "document_number",
        ),
        (
            "mobile",
            Value::from("12012345678"),
            400,
            "INVALID_INPUT",
            "prefix",
        ),
        (
            "mobile",
            Value::from("1381234"),
            400,
            "INVALID_INPUT",
            "11 digits",
        ),
        (
            "email",
            Value::from("no-at-sign.example.cn"),
            400,
            "INVALID_INPUT",
            "email",
        ),
        (
            "password",
            Value::from("short1"),
            400,
            "INVALID_INPUT",
            "at least 8",
        ),
        (
            "password",
            Value::from("onlyletters"),
            400,
            "INVALID_INPUT",
            "two of",
        ),
        (
            "username",
            Value::from("13800138000"),
            400,
            "INVALID_INPUT",
            "username",
        ),
        (
            "country_region",
            Value::from("XX"),
            400,
            "INVALID_INPUT",
            "country_region",
        ),
        ("name", Value::from(""), 400, "INVALID_INPUT", "name"),
        (
            "document_type",
            Value::from("driving_licence"),
            400,
            "INVALID_INPUT",
            "document_type",
        ),
        (
            "accept_policy_version",
            Value::from("1999-01-01"),
            403,
            "CONSENT_REQUIRED",
            "policy",
        ),
        (
            "consents",
            serde_json::json!([]),
            403,
            "CONSENT_REQUIRED",
            "sensitive_personal_information",
        ),
        (
            "document_number",
            Value::from(minor),
            403,
            "CONSENT_REQUIRED",
            "guardian",
        ),
        ("surprise", Value::from(1), 400, "INVALID_INPUT", "surprise"),
    ];
    let mut messages = Vec::new();
    for (i, (field, value, status, code, says)) in cases.into_iter().enumerate() {
        let n = 100 + u32::try_from(i).unwrap();
        let mut body = person(n, &version);
        body[field] = value;
        let (s, e, _) = app.post("/api/v1/accounts/personal", &body).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (status, Some(code)),
            "{field}: {e}"
        );
        let msg = e["message"].as_str().unwrap().to_owned();
        assert!(msg.contains(field), "message does not name {field}: {msg}");
        assert!(msg.contains(says), "{field}: {msg} does not say {says}");
        messages.push(msg);
        // Nothing of it was stored.
        let v = &app.state.vault;
        assert!(
            v.find(&PERSON_MOBILE, body["mobile"].as_str().unwrap_or(""))
                .await
                .map(|x| x.is_empty())
                .unwrap_or(true)
        );
        assert!(
            v.find(&ACCOUNT_USERNAME, &format!("user{n}"))
                .await
                .unwrap()
                .is_empty(),
            "{field}"
        );
    }
    // The three rules of the acceptance list each have their own message.
    assert_ne!(messages[0], messages[2]);

    // A username is taken once, whatever its case; the refused one stores nothing.
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(7, &version))
        .await;
    assert_eq!(s, 201);
    let mut dup = person(8, &version);
    dup["username"] = Value::from("USER7");
    let (s, e, _) = app.post("/api/v1/accounts/personal", &dup).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("ALREADY_EXISTS")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().starts_with("username"));
    assert!(
        app.state
            .vault
            .find(&PERSON_MOBILE, "13800130008")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.state
            .vault
            .find(&ACCOUNT_USERNAME, "user7")
            .await
            .unwrap()
            .len(),
        1
    );
    // Not JSON at all.
    let (s, e, _) = app
        .send(
            app.http
                .post(format!("{}/api/v1/accounts/personal", app.base))
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");
    // The server still serves.
    assert_eq!(app.json("/healthz").await.0, 200);

    // Attempts from one address are limited (40 per hour here), refused ones included: a
    // refusal such as "username taken" tells something.
    let other: std::net::IpAddr = "192.0.2.9".parse().unwrap();
    let mut bad: yinxin_identity::PersonalRegistration =
        serde_json::from_value(person(500, &version)).unwrap();
    bad.mobile = "12000000000".into();
    for i in 0..40 {
        let e = ApiErrorish::of(
            app.state
                .accounts
                .register_personal(&bad, other)
                .await
                .unwrap_err(),
        );
        assert_eq!(e.code, "INVALID_INPUT", "attempt {i}");
    }
    let e = ApiErrorish::of(
        app.state
            .accounts
            .register_personal(&bad, other)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, "RATE_LIMITED", "{}", e.message);
    assert!(
        e.message.contains("registrations from this address"),
        "{}",
        e.message
    );
}

/// ACC-3: 1,000 wrong passwords from one address: none succeeds, the account locks after the
/// configured 5 and stays locked even for the right password; a wrong username answers exactly
/// like a wrong password.
async fn wrong_passwords_lock_the_account(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(3, &version))
        .await;
    assert_eq!(s, 201);
    let attempt =
        |pw: String| serde_json::json!({"method": "password", "username": "user3", "password": pw});
    // The per-address limit counts per clock minute: start early in a minute so that the 1,000
    // attempts (a few seconds) do not straddle two windows and shift the counts below.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }

    let (s, nobody, _) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "password", "username": "nobody", "password": "x"}),
        )
        .await;
    let mut codes = std::collections::BTreeMap::new();
    let mut first_wrong = None;
    for i in 0..1000 {
        let (s, e, _) = app
            .post("/api/v1/sessions", &attempt(format!("wrong {i}")))
            .await;
        assert_ne!(s, 201, "attempt {i} succeeded");
        if i == 0 {
            first_wrong = Some(e.clone());
        }
        // The unknown-username attempt above was the first of this address's 20 per minute.
        match i {
            0..=3 => assert_eq!(s, 401, "attempt {i}: {e}"),
            4..=18 => assert_eq!(
                (s, e["code"].as_str()),
                (423, Some("ACCOUNT_LOCKED")),
                "attempt {i}: {e}"
            ),
            _ => assert_eq!(
                (s, e["code"].as_str()),
                (429, Some("RATE_LIMITED")),
                "attempt {i}: {e}"
            ),
        }
        *codes.entry(s).or_insert(0) += 1;
    }
    assert_eq!(codes.get(&401), Some(&4), "{codes:?}");
    assert_eq!(codes.get(&423), Some(&15), "{codes:?}");
    assert_eq!(codes.get(&429), Some(&981), "{codes:?}");
    assert_eq!(s, 401);
    assert_eq!(
        Some(nobody),
        first_wrong,
        "a wrong username must look like a wrong password"
    );
    // The account is locked for everyone, whatever the address: checked through the service
    // with another source address, the right password is still refused.
    let other: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let login = serde_json::from_value(attempt("correct horse 42".into())).unwrap();
    let e = app
        .state
        .accounts
        .login(&login, &ClientFacts::from_ip(other))
        .await
        .unwrap_err();
    let ApiErrorish { code, message } = ApiErrorish::of(e);
    assert_eq!(code, "ACCOUNT_LOCKED");
    assert!(message.contains("SMS"), "{message}");
    // Another account from another address is unaffected.
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(4, &version))
        .await;
    assert_eq!(s, 201);
    let login4 = serde_json::from_value(serde_json::json!({"method": "password", "username": "user4", "password": "correct horse 42"})).unwrap();
    assert!(
        app.state
            .accounts
            .login(&login4, &ClientFacts::from_ip(other))
            .await
            .is_ok()
    );
}

/// The messages the outbox holds for `mobile`, oldest first; each checked to show the number
/// only masked.
async fn outbox_messages(app: &TestApp, mobile: &str) -> Vec<Value> {
    let (s, body) = app
        .json(&format!("/api/v1/dev/sms-outbox?mobile={mobile}"))
        .await;
    assert_eq!(s, 200, "{body}");
    let messages = body["messages"].as_array().unwrap().clone();
    for m in &messages {
        assert_eq!(
            m["to_masked"].as_str().unwrap(),
            format!("{}****{}", &mobile[..3], &mobile[7..])
        );
        assert!(
            !m.to_string().contains(mobile),
            "the outbox holds the number: {m}"
        );
    }
    messages
}

/// The codes the outbox holds for `mobile`, oldest first (notices, which carry no code, left
/// out).
async fn outbox_codes(app: &TestApp, mobile: &str) -> Vec<String> {
    outbox_messages(app, mobile)
        .await
        .iter()
        .filter(|m| m["params"][0][0] == "code")
        .map(|m| m["params"][0][1].as_str().unwrap().to_owned())
        .collect()
}

/// ACC-3: SMS login. 100 code requests for one number in a minute send only the configured 3;
/// codes are single use and die after wrong guesses; a number without an account gets the same
/// answer and no message; the legitimate user of a password-locked account logs in by SMS.
async fn sms_code_login_is_limited_and_single_use(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(5, &version))
        .await;
    assert_eq!(s, 201);
    let mobile = "13800130005";
    // Lock password login first.
    for i in 0..5 {
        app.post("/api/v1/sessions", &serde_json::json!({"method": "password", "username": "user5", "password": format!("nope {i}")}))
            .await;
    }
    let (s, e, _) = app
        .post("/api/v1/sessions", &serde_json::json!({"method": "password", "username": "user5", "password": "correct horse 42"}))
        .await;
    assert_eq!((s, e["code"].as_str()), (423, Some("ACCOUNT_LOCKED")));

    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..100 {
        let (s, b, _) = app
            .post(
                "/api/v1/sms/codes",
                &serde_json::json!({"mobile": mobile, "purpose": "login"}),
            )
            .await;
        if s == 429 {
            assert_eq!(b["code"], "RATE_LIMITED");
        }
        *statuses.entry(s).or_insert(0) += 1;
    }
    assert_eq!(statuses.get(&202), Some(&3), "{statuses:?}");
    assert_eq!(statuses.get(&429), Some(&97), "{statuses:?}");
    let codes = outbox_codes(&app, mobile).await;
    assert_eq!(codes.len(), 3, "exactly the configured number were sent");
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
    );

    let sms_login =
        |code: &str| serde_json::json!({"method": "sms_code", "mobile": mobile, "code": code});
    // Only the newest code works; an older one is dead.
    let newest = codes.last().unwrap().clone();
    if codes[0] != newest {
        let (s, _, _) = app.post("/api/v1/sessions", &sms_login(&codes[0])).await;
        assert_eq!(s, 401);
    }
    let (s, sess, _) = app.post("/api/v1/sessions", &sms_login(&newest)).await;
    assert_eq!(s, 201, "{sess}");
    let (s, me) = app
        .get_as("/api/v1/me", sess["token"].as_str().unwrap())
        .await;
    assert_eq!((s, me["session_method"].as_str()), (200, Some("sms")));
    // Single use.
    let (s, e, _) = app.post("/api/v1/sessions", &sms_login(&newest)).await;
    assert_eq!((s, e["code"].as_str()), (401, Some("UNAUTHENTICATED")));

    // A number with no account: same answer, nothing sent.
    let (s, b, _) = app
        .post(
            "/api/v1/sms/codes",
            &serde_json::json!({"mobile": "13900001111", "purpose": "login"}),
        )
        .await;
    assert_eq!((s, b["expires_in"].as_i64()), (202, Some(300)));
    assert!(outbox_codes(&app, "13900001111").await.is_empty());
    // A bad number is refused by its rule.
    let (s, e, _) = app
        .post(
            "/api/v1/sms/codes",
            &serde_json::json!({"mobile": "12000001111", "purpose": "login"}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")));
    assert!(e["message"].as_str().unwrap().starts_with("mobile"));
}

/// Wrong guesses kill a code: after the configured 5, even the right code is refused.
async fn sms_code_dies_after_wrong_guesses(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(6, &version))
        .await;
    assert_eq!(s, 201);
    let mobile = "13800130006";
    let (s, _, _) = app
        .post(
            "/api/v1/sms/codes",
            &serde_json::json!({"mobile": mobile, "purpose": "login"}),
        )
        .await;
    assert_eq!(s, 202);
    let code = outbox_codes(&app, mobile).await.pop().unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let (s, _, _) = app
            .post(
                "/api/v1/sessions",
                &serde_json::json!({"method": "sms_code", "mobile": mobile, "code": wrong}),
            )
            .await;
        assert_eq!(s, 401);
    }
    let (s, _, _) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "sms_code", "mobile": mobile, "code": code}),
        )
        .await;
    assert_eq!(s, 401, "a code past its wrong guesses must be dead");
}

/// PRIV-1, PRIV-2, PRIV-4: separate consents are their own records; withdrawal is a new record
/// and the history stays. PRIV-3: permissions are recorded per account, off by default.
async fn consents_and_permissions_are_append_only(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(11, &version))
        .await;
    assert_eq!(s, 201);
    let (_, sess, _) = app
        .post("/api/v1/sessions", &serde_json::json!({"method": "password", "username": "user11", "password": "correct horse 42"}))
        .await;
    let token = sess["token"].as_str().unwrap().to_owned();
    let post = |body: Value| {
        let req = app
            .http
            .post(format!("{}/api/v1/consents", app.base))
            .bearer_auth(&token)
            .json(&body);
        app.send(req)
    };
    let (s, c, _) = post(serde_json::json!({"scope": "cross_border_transfer", "action": "given", "policy_version": version})).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(
        (c["scope"].as_str(), c["action"].as_str()),
        (Some("cross_border_transfer"), Some("given"))
    );
    let (s, _, _) = post(serde_json::json!({"scope": "cross_border_transfer", "action": "withdrawn", "policy_version": version})).await;
    assert_eq!(s, 201);
    // Giving consent to a version not in effect, an unknown scope, no session: refused.
    let (s, e, _) = post(serde_json::json!({"scope": "third_party_provision", "action": "given", "policy_version": "2000-01-01"})).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{e}"
    );
    let (s, e, _) = post(
        serde_json::json!({"scope": "everything", "action": "given", "policy_version": version}),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");
    let (s, _, _) = app.post("/api/v1/consents", &serde_json::json!({"scope": "cross_border_transfer", "action": "given", "policy_version": version})).await;
    assert_eq!(s, 401);
    let (_, all) = app.get_as("/api/v1/me/consents", &token).await;
    let trail: Vec<(String, String)> = all["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["scope"].as_str().unwrap().to_owned(),
                c["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(trail.len(), 4, "{trail:?}");
    assert_eq!(
        trail[2],
        ("cross_border_transfer".to_owned(), "given".to_owned())
    );
    assert_eq!(
        trail[3],
        ("cross_border_transfer".to_owned(), "withdrawn".to_owned())
    );
    // Each consent queued its evidence entry with its record (issue 7 item 2): in the log, the
    // three grants open (with the salts beside the records) to their records, and the
    // withdrawal to itself and to the grant it withdrew.
    {
        use yinxin_identity::consent_bytes;
        use yinxin_ledger::entry::{Entry, EntryBody, Salt};
        let (_, me) = app.get_as("/api/v1/me", &token).await;
        let account = me["account_id"].as_str().unwrap().parse().unwrap();
        let records = db.stores.accounts.consents_of(account).await.unwrap();
        assert_eq!(records.len(), 4);
        let log = app.state.log.clone().unwrap();
        log.sequence(1000, 1_900_000_000_000).await.unwrap();
        let mut entries = Vec::new();
        for i in 0..log.size().await.unwrap() {
            entries.push(Entry::decode(&log.entry(i).await.unwrap()).unwrap().body);
        }
        let mut opened = 0;
        for (n, r) in records.iter().enumerate() {
            let salt = Salt(
                db.stores
                    .ledger
                    .evidence_salt("consent", &r.id.to_string())
                    .await
                    .unwrap()
                    .expect("a salt beside every consent record"),
            );
            let found = entries.iter().filter(|e| match e {
                EntryBody::ConsentGiven { consent } => {
                    consent.opens_to(&salt.part(1), &consent_bytes(r))
                }
                EntryBody::ConsentWithdrawn {
                    consent,
                    withdrawal,
                } => {
                    withdrawal.opens_to(&salt.part(2), &consent_bytes(r))
                        && consent.opens_to(&salt.part(1), &consent_bytes(&records[2]))
                }
                _ => false,
            });
            assert_eq!(found.count(), 1, "record {n}: {r:?}");
            opened += 1;
        }
        assert_eq!(opened, 4);
    }

    // Permissions: off by default, on, off again; the history keeps both changes.
    let put = |name: &str, granted: bool| {
        let req = app
            .http
            .put(format!("{}/api/v1/me/permissions/{name}", app.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "granted": granted }));
        app.send(req)
    };
    let (_, p) = app.get_as("/api/v1/me/permissions", &token).await;
    assert_eq!(p["granted"], serde_json::json!([]));
    assert_eq!(put("location", true).await.0, 200);
    assert_eq!(put("camera", true).await.0, 200);
    let (_, p) = app.get_as("/api/v1/me/permissions", &token).await;
    assert_eq!(p["granted"], serde_json::json!(["location", "camera"]));
    assert_eq!(put("location", false).await.0, 200);
    let (_, p) = app.get_as("/api/v1/me/permissions", &token).await;
    assert_eq!(p["granted"], serde_json::json!(["camera"]));
    assert_eq!(p["history"].as_array().unwrap().len(), 3);
    let (s, e, _) = put("microphone", true).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")));
    assert!(e["message"].as_str().unwrap().starts_with("name"));
}

/// PRIV-5: the notice at /privacy is rendered from the inventory, in zh-CN by default and in
/// English on request; every declared field appears with its labels.
async fn privacy_notice_is_generated_from_the_inventory(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (s, zh, headers) = app.get("/privacy").await;
    assert_eq!(s, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains(&version));
    let (s, en, _) = app.get("/privacy?lang=en").await;
    assert_eq!(s, 200);
    assert!(en.contains("<html lang=\"en\">"));
    for f in INVENTORY {
        assert!(
            zh.contains(&format!("<tr id=\"{}\"><td>{}</td>", f.name, f.label_zh)),
            "{} missing (zh)",
            f.name
        );
        assert!(
            en.contains(&format!(
                "<tr id=\"{}\"><td>{}</td>",
                f.name,
                f.label_en.replace('\'', "&#39;")
            )),
            "{} missing (en)",
            f.name
        );
    }
    assert_eq!(zh.matches("<tr id=").count(), INVENTORY.len());
    // Sensitive fields and the separate-consent basis show as such.
    assert!(en.contains("<td>Identity document number</td><td>Identity document</td><td>yes</td>"));
    assert!(en.contains("separate consent"));
    assert!(
        en.contains("never stored"),
        "biometrics are declared never stored"
    );
    // CERT-4: how much identity certificates carry, as configured (keyed hash by default).
    assert!(
        en.contains("Identity in your certificates") && en.contains("keyed hash"),
        "{en}"
    );
    assert!(zh.contains("数字证书中的身份信息"));
    // IDV-3: the processors of the register, by legal name; CERT-6: the relying applications.
    let (_, register) = app.json("/api/v1/privacy/processors").await;
    let processors = register["processors"]
        .as_array()
        .or(register.as_array())
        .unwrap();
    assert!(!processors.is_empty(), "{register}");
    for p in processors {
        assert!(
            en.contains(&p["legal_name"].as_str().unwrap().replace('\'', "&#39;")),
            "{p}"
        );
    }
    assert!(!en.contains("No personal information is currently provided"));
    app.state
        .accounts
        .register_relying_app(
            "tender",
            "Tender platform",
            "Tender Co",
            "dpo@t.example",
            &[],
        )
        .await
        .unwrap();
    let (_, en, _) = app.get("/privacy?lang=en").await;
    assert!(en.contains("<li>Tender platform (Tender Co)"), "{en}");
    let (s, e) = app.json("/privacy?lang=fr").await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")));
}

/// A service error's code and message.
struct ApiErrorish {
    code: &'static str,
    message: String,
}

impl ApiErrorish {
    fn of(e: yinxin_identity::ServiceError) -> Self {
        match e {
            yinxin_identity::ServiceError::Refused(d) => Self {
                code: d.code.as_str(),
                message: d.message,
            },
            other => panic!("not a refusal: {other}"),
        }
    }
}

backend_tests!(
    privacy_notice_is_generated_from_the_inventory,
    consents_and_permissions_are_append_only,
    sms_code_login_is_limited_and_single_use,
    sms_code_dies_after_wrong_guesses,
    register_login_and_session,
    registration_refusals_name_the_field_and_store_nothing,
    wrong_passwords_lock_the_account,
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

    // A person registered through the API, then logged in.
    let version = policy_version(&app).await;
    let id = resident_id("44030519800101003");
    let mut reg = person(9, &version);
    reg["name"] = Value::from(NAME);
    reg["document_number"] = Value::from(id.as_str());
    reg["mobile"] = Value::from(MOBILE);
    reg["email"] = Value::from(EMAIL);
    reg["username"] = Value::from("lisiguang");
    let (st, body, _) = app.post("/api/v1/accounts/personal", &reg).await;
    assert_eq!(st, 201, "{body}");
    let (st, sess, _) = app
        .post("/api/v1/sessions", &serde_json::json!({"method": "password", "username": "lisiguang", "password": "correct horse 42"}))
        .await;
    assert_eq!(st, 201);
    // The same person registers an enterprise whose legal representative is another person.
    const REP: &str = "钱学森";
    let rep_id = resident_id("31010419111211001");
    let (st, body) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            sess["token"].as_str().unwrap(),
            &serde_json::json!({
                "name": "上海某某科技有限公司", "kind": "legal_person", "credit_code": "91440300708461136T",
                "legal_representative": {"name": REP, "country_region": "CN",
                    "document_type": "resident_id_card", "document_number": rep_id},
                "legal_representative_warranty": true,
                "accept_policy_version": version, "consents": ["sensitive_personal_information"],
            }),
        )
        .await;
    assert_eq!(st, 201, "{body}");
    // SIGN-2, SIGN-3: the person's name as a signature image; the enterprise's seals, one with
    // the legal representative's name. The names go into images, never into the log.
    let token = sess["token"].as_str().unwrap();
    let (st, sig) = app
        .post_as(
            "/api/v1/signature-images",
            token,
            &serde_json::json!({"source": "style", "style": "kai"}),
        )
        .await;
    assert_eq!(st, 201, "{sig}");
    let seals = format!(
        "/api/v1/enterprises/{}/seals",
        body["enterprise_id"].as_str().unwrap()
    );
    for category in ["official", "legal_representative"] {
        let (st, seal) = app
            .post_as(&seals, token, &serde_json::json!({"category": category}))
            .await;
        assert_eq!(st, 201, "{seal}");
    }
    // A refused one too (its message must not echo the value).
    reg["mobile"] = Value::from("12087654321");
    let (st, body, _) = app.post("/api/v1/accounts/personal", &reg).await;
    assert_eq!(st, 400);
    assert!(!body.to_string().contains("12087654321"), "{body}");
    // Nothing of it is plaintext in the data directory (database, WAL, key store).
    for entry in std::fs::read_dir(db.dir().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for pi in [
            NAME,
            id.as_str(),
            MOBILE,
            EMAIL,
            "lisiguang",
            REP,
            rep_id.as_str(),
        ] {
            assert!(
                !bytes.windows(pi.len()).any(|w| w == pi.as_bytes()),
                "{pi} is plaintext in {}",
                path.display()
            );
        }
    }

    // PI stored through the same server's vault.
    let s = SubjectId::random();
    let v = &app.state.vault;
    v.put_str(s, &PERSON_NAME, NAME).await.unwrap();
    v.put_str(s, &PERSON_DOCUMENT_NUMBER, ID).await.unwrap();
    v.put_str(s, &PERSON_MOBILE, MOBILE).await.unwrap();
    v.put_str(s, &PERSON_EMAIL, EMAIL).await.unwrap();
    assert!(v.find(&PERSON_MOBILE, MOBILE).await.unwrap().contains(&s));
    v.shred(s).await.unwrap();

    let text = log().text();
    // The capture really holds the requests and the vault's lines.
    assert!(
        text.contains("request answered") && text.contains(r#""route":"unmatched""#),
        "{text}"
    );
    assert!(text.contains("subject shredded"), "{text}");
    assert!(text.contains("personal account registered"), "{text}");
    assert!(
        text.contains("signature image stored") && text.contains("seal made"),
        "{text}"
    );
    for pi in [
        NAME,
        ID,
        MOBILE,
        EMAIL,
        id.as_str(),
        "lisiguang",
        "12087654321",
        REP,
        rep_id.as_str(),
    ] {
        assert!(!text.contains(pi), "{pi} reached the log:\n{text}");
    }
    db.cleanup().await;
}
