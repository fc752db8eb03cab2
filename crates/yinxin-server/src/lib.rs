//! The HTTP face of yinxin: routes, OpenAPI, metrics, request logging, and the one mapping from
//! errors to responses.
//!
//! A request's path: socket → hyper → [`middleware`] (request id, span, metrics, timeout, body
//! limit) → the route's handler in [`routes`] → the vault (`yinxin-privacy`) or a repository trait
//! (`yinxin-domain::repo`) → the store (`yinxin-store`, SQLite or PostgreSQL) → back as JSON, or as
//! an [`error::ApiError`] whose body is `{"code", "message"}`.

mod accounts;
pub mod anchor;
mod certificates;
mod documents;
mod enterprises;
mod envelopes;
pub mod error;
mod extract;
mod incidents;
mod log;
mod metrics;
mod middleware;
mod notice;
mod objections;
mod passkeys;
mod processing;
pub mod redact;
mod relying;
mod reports;
mod requests;
mod retention;
pub mod routes;
mod seals;
mod signing;
mod staff;
mod support;
mod termination;
mod tsa;
pub mod verifications;
pub mod verify;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use yinxin_domain::repo::HealthRepo;
use yinxin_identity::Accounts;
use yinxin_identity::idv::Verifications;
use yinxin_identity::sms::outbox::Outbox;
use yinxin_pki::ca::CertificateAuthority;
use yinxin_pki::tsa::TimestampAuthority;
use yinxin_privacy::vault::Vault;
use yinxin_sign::image::{FontConfig, Fonts};

pub use metrics::Metrics;

/// Everything a handler may reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The personal-information vault.
    pub vault: Vault,
    /// Database health, for `/readyz`.
    pub health: Arc<dyn HealthRepo>,
    /// Accounts, login, sessions, consents.
    pub accounts: Accounts,
    /// Identity verification, credentials, processors and disclosures (IDV).
    pub verifications: Verifications,
    /// The development SMS outbox, when it is the gateway: serves `GET /api/v1/dev/sms-outbox`.
    pub outbox: Option<Outbox>,
    /// The certificate authority (CERT-1); `None` answers 503 on the PKI routes.
    pub ca: Option<Arc<CertificateAuthority>>,
    /// Public certificate queries allowed per address per minute (CERT-5).
    pub certificate_queries_per_minute: u32,
    /// The timestamp authority (SIGN-1); `None` answers 503 on `/pki/tsa`.
    pub tsa: Option<Arc<TimestampAuthority>>,
    /// The evidence log (EVID-1); `None` answers 503 on the log routes.
    pub log: Option<Arc<yinxin_ledger::log::Log>>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The fonts signature and seal images are drawn with (SIGN-2, SIGN-3), read on first use.
    pub fonts: Arc<Fonts>,
}

impl AppState {
    /// State over a vault, a health check and the accounts service, with fresh metrics.
    pub fn new(
        vault: Vault,
        health: Arc<dyn HealthRepo>,
        accounts: Accounts,
        verifications: Verifications,
    ) -> Self {
        Self {
            vault,
            health,
            accounts,
            verifications,
            outbox: None,
            ca: None,
            certificate_queries_per_minute: 60,
            tsa: None,
            log: None,
            metrics: Arc::new(Metrics::new()),
            fonts: Arc::new(Fonts::new(FontConfig::default())),
        }
    }

    /// Draws signature and seal images with the fonts at `config` (default: Debian's paths).
    pub fn with_fonts(mut self, config: FontConfig) -> Self {
        self.fonts = Arc::new(Fonts::new(config));
        self
    }

    /// Serves the certificate authority, its public query limited to `queries_per_minute` per
    /// address.
    pub fn with_ca(mut self, ca: Arc<CertificateAuthority>, queries_per_minute: u32) -> Self {
        self.ca = Some(ca);
        self.certificate_queries_per_minute = queries_per_minute;
        self
    }

    /// Serves the timestamp authority at `/pki/tsa`.
    pub fn with_tsa(mut self, tsa: Arc<TimestampAuthority>) -> Self {
        self.tsa = Some(tsa);
        self
    }

    /// Serves the evidence log.
    pub fn with_log(mut self, log: Arc<yinxin_ledger::log::Log>) -> Self {
        self.log = Some(log);
        self
    }

    /// Enables the outbox endpoint (only when the outbox is the SMS gateway).
    pub fn with_outbox(mut self, outbox: Outbox) -> Self {
        self.outbox = Some(outbox);
        self
    }
}

/// Limits applied to every request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// The whole application.
pub fn app(state: AppState, limits: Limits) -> Router {
    let (router, _) = routes::router(state.clone());
    middleware::wrap(router, state, limits)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
