//! `yinxin-authority-sim`: a verification provider on this machine, for development and tests.
//!
//! It speaks the protocol of the real provider yinxin's adapter talks to — Tencent Cloud API 3.0
//! with TC3-HMAC-SHA256 signatures (`yinxin_identity::idv::tencent`) — on loopback only, and
//! answers from a synthetic dataset ([`dataset`]) with the documented result codes. It checks
//! what the provider checks: the signature (wrong key, stale timestamp, tampered body →
//! `AuthFailure.*`), the action and version, and every parameter (unknown ones are refused).
//!
//! Its own routes, which are not the provider's and answer loopback peers only:
//!
//! - `GET /_fixtures` — the dataset: every person and enterprise with every value, the images in
//!   base64, a `note` on the deliberate mismatches and the `expected` outcome of each check;
//! - `GET /_deposits` — the deposits sent by `RemitVerificationDeposit`;
//! - `GET /_calls` — how many calls each action received (so a test can prove nothing was sent);
//! - `GET`/`POST /_control` — `{"latency_ms": u64, "down": bool}`: answer slowly, or answer 503
//!   to every provider call (timeouts, fallback, circuit breakers).
//!
//! It never logs a request, a body or a value. The credentials default to
//! [`DEFAULT_SECRET_ID`] / [`DEFAULT_SECRET_KEY`], which are for the simulator only.

pub mod api;
pub mod dataset;
pub mod png;
pub mod signature;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use api::{FACEID_VERSION, MATCH_THRESHOLD, OCR_VERSION};
pub use dataset::{Dataset, Enterprise, Person, dataset};

use dataset::Records;
use signature::{Credential, Received};

/// The simulator's SecretId unless told otherwise. For the simulator only: not a Tencent Cloud
/// credential.
pub const DEFAULT_SECRET_ID: &str = "AKIDyinxinSIMULATOR";
/// The simulator's SecretKey unless told otherwise. Public, for the simulator only: never a real
/// provider's key.
pub const DEFAULT_SECRET_KEY: &str = "yinxin-simulator-secret-key-not-for-production";
/// The dataset's seed unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_240_401;

/// How the simulator is set up.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The SecretId it accepts.
    pub secret_id: String,
    /// The SecretKey it checks signatures with.
    pub secret_key: String,
    /// The dataset's seed.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            secret_id: DEFAULT_SECRET_ID.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            seed: DEFAULT_SEED,
        }
    }
}

/// `POST /_control`: how the simulator misbehaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// Delay before every provider answer, in milliseconds.
    pub latency_ms: u64,
    /// Answer 503 to every provider call.
    pub down: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlChange {
    latency_ms: Option<u64>,
    down: Option<bool>,
}

/// A deposit sent by `RemitVerificationDeposit` (`GET /_deposits`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// The caller's reference.
    pub reference: String,
    /// The corporate account credited.
    pub account_number: String,
    /// The amount, in fen.
    pub amount_fen: u32,
    /// The simulator's transfer id.
    pub transfer_id: String,
}

/// The simulator's state.
pub(crate) struct Sim {
    config: SimConfig,
    pub(crate) dataset: Dataset,
    pub(crate) records: Records,
    control: Mutex<Control>,
    calls: Mutex<BTreeMap<String, u64>>,
    pub(crate) deposits: Mutex<Vec<Deposit>>,
    requests: AtomicU64,
}

impl Sim {
    fn new(config: SimConfig) -> Self {
        let (dataset, records) = dataset::build(config.seed);
        Self {
            config,
            dataset,
            records,
            control: Mutex::new(Control::default()),
            calls: Mutex::new(BTreeMap::new()),
            deposits: Mutex::new(Vec::new()),
            requests: AtomicU64::new(0),
        }
    }

    fn digest(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.config.seed.to_be_bytes());
        h.update(label.as_bytes());
        h.update(data);
        h.finalize().into()
    }

    /// A fresh RequestId, shaped like the provider's (a UUID).
    fn request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let h = signature::hex(&self.digest("request", &n.to_be_bytes()));
        let part = |a: usize, b: usize| h.get(a..b).unwrap_or("0");
        format!(
            "{}-{}-{}-{}-{}",
            part(0, 8),
            part(8, 12),
            part(12, 16),
            part(16, 20),
            part(20, 32)
        )
    }

    /// The transfer id of a deposit, from its reference.
    pub(crate) fn transfer_id(&self, reference: &str) -> String {
        let h = signature::hex(&self.digest("transfer", reference.as_bytes()));
        format!("TX{}", h.get(..20).unwrap_or("0").to_ascii_uppercase())
    }

    fn control(&self) -> Control {
        *self.control.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The router: `POST /` (the provider) and the `_` routes (the simulator's own, loopback peers
/// only, which needs the connect info that [`serve`] provides).
pub fn router(config: SimConfig) -> Router {
    let sim = Arc::new(Sim::new(config));
    let own = Router::new()
        .route("/_fixtures", get(fixtures))
        .route("/_deposits", get(deposits))
        .route("/_calls", get(calls))
        .route("/_control", get(get_control).post(set_control))
        .route_layer(middleware::from_fn(loopback_only));
    Router::new()
        .route("/", post(provider))
        .merge(own)
        // Images up to the documented 3 MB of base64, and some room.
        .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024))
        .with_state(sim)
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:port/`: the endpoint (faceid and ocr alike) to configure.
    pub fn endpoint(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serves the simulator on `listener`, which must be bound to a loopback address (the data is
/// synthetic, and the protocol runs over plain HTTP here).
pub async fn serve(listener: TcpListener, config: SimConfig) -> std::io::Result<SimHandle> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the simulator listens on loopback addresses only, not {addr}"),
        ));
    }
    let app = router(config).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(SimHandle {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn loopback_only(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if peer.is_some_and(|ip| ip.is_loopback()) {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "the simulator's own routes answer loopback peers only\n",
        )
            .into_response()
    }
}

fn envelope(request_id: String, mut body: Map<String, Value>) -> Response {
    body.insert("RequestId".into(), request_id.into());
    Json(json!({ "Response": body })).into_response()
}

fn error(sim: &Sim, code: &str, message: &str) -> Response {
    let mut body = Map::new();
    body.insert("Error".into(), json!({ "Code": code, "Message": message }));
    envelope(sim.request_id(), body)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `POST /`: one provider call.
async fn provider(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let action = headers
        .get("x-tc-action")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    {
        let mut calls = sim.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.entry(action.clone()).or_insert(0) += 1;
    }
    let control = sim.control();
    if control.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(control.latency_ms)).await;
    }
    if control.down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the simulator is down (POST /_control)\n",
        )
            .into_response();
    }

    let api = api::action_api(&action);
    let received = Received {
        method: "POST",
        query: uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    let credential = Credential {
        secret_id: &sim.config.secret_id,
        secret_key: &sim.config.secret_key,
    };
    if let Err(e) = signature::verify(&received, credential, api.map(|(s, _)| s), now()) {
        return error(&sim, e.code(), &e.message());
    }
    let Some((_, version)) = api else {
        return error(
            &sim,
            "InvalidAction",
            "The requested action does not exist.",
        );
    };
    match headers.get("x-tc-version").and_then(|v| v.to_str().ok()) {
        Some(v) if v == version => {}
        _ => {
            return error(
                &sim,
                "NoSuchVersion",
                "The API version does not exist for this action.",
            );
        }
    }
    let json_content = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_content {
        return error(
            &sim,
            "InvalidParameter",
            "The request body must be application/json.",
        );
    }
    let Ok(params) = serde_json::from_slice::<Map<String, Value>>(&body) else {
        return error(
            &sim,
            "InvalidParameter",
            "The request body is not a JSON object.",
        );
    };
    match api::run(&sim, &action, params) {
        Ok(answer) => envelope(sim.request_id(), answer),
        Err(e) => error(&sim, e.code, &e.message),
    }
}

async fn fixtures(State(sim): State<Arc<Sim>>) -> Json<Dataset> {
    Json(sim.dataset.clone())
}

async fn deposits(State(sim): State<Arc<Sim>>) -> Json<Vec<Deposit>> {
    Json(
        sim.deposits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
    )
}

async fn calls(State(sim): State<Arc<Sim>>) -> Json<BTreeMap<String, u64>> {
    Json(sim.calls.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

async fn get_control(State(sim): State<Arc<Sim>>) -> Json<Control> {
    Json(sim.control())
}

async fn set_control(
    State(sim): State<Arc<Sim>>,
    Json(change): Json<ControlChange>,
) -> Json<Control> {
    let mut control = sim.control.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(latency_ms) = change.latency_ms {
        control.latency_ms = latency_ms;
    }
    if let Some(down) = change.down {
        control.down = down;
    }
    Json(*control)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    /// One HTTP/1.1 exchange with `Connection: close`: (status, body).
    async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let response = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        })
        .await
        .unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_owned())
    }

    fn json(body: &str) -> Value {
        // Bodies may come chunked; the JSON object is between the first '{' or '[' and the end.
        let start = body.find(['{', '[']).unwrap();
        let end = body.rfind(['}', ']']).unwrap();
        serde_json::from_str(&body[start..=end]).unwrap()
    }

    #[tokio::test]
    async fn own_routes_and_control() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = serve(listener, SimConfig::default()).await.unwrap();
        let addr = sim.addr();
        assert_eq!(sim.endpoint(), format!("http://{addr}/"));

        let (status, body) = http(addr, "GET", "/_fixtures", "").await;
        assert_eq!(status, 200);
        let fixtures = json(&body);
        assert_eq!(
            fixtures["persons"].as_array().unwrap().len(),
            dataset::PERSONS
        );
        assert_eq!(
            fixtures["enterprises"].as_array().unwrap().len(),
            dataset::ENTERPRISES
        );
        assert!(
            fixtures["persons"][0]["photo"]
                .as_str()
                .unwrap()
                .starts_with("iVBORw0KGgo")
        );
        assert!(fixtures["persons"][dataset::NO_RECORD]["note"].is_string());

        // Unsigned: refused as the provider refuses, and counted.
        let (status, body) = http(addr, "POST", "/", "{}").await;
        assert_eq!(status, 200);
        assert_eq!(
            json(&body)["Response"]["Error"]["Code"],
            "AuthFailure.InvalidAuthorization"
        );

        let (_, body) = http(addr, "POST", "/_control", r#"{"down": true}"#).await;
        assert_eq!(json(&body), json!({"latency_ms": 0, "down": true}));
        let (status, _) = http(addr, "POST", "/", "{}").await;
        assert_eq!(status, 503);
        let (_, body) = http(
            addr,
            "POST",
            "/_control",
            r#"{"down": false, "latency_ms": 5}"#,
        )
        .await;
        assert_eq!(json(&body), json!({"latency_ms": 5, "down": false}));
        let (status, _) = http(addr, "POST", "/_control", r#"{"slow": true}"#).await;
        assert_eq!(status, 422);

        let (_, body) = http(addr, "GET", "/_calls", "").await;
        assert_eq!(json(&body), json!({"": 2}));
        let (_, body) = http(addr, "GET", "/_deposits", "").await;
        assert_eq!(json(&body), json!([]));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn only_loopback() {
        let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
        let err = serve(listener, SimConfig::default()).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
