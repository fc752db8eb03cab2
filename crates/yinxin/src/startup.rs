//! Opening everything a command needs, in an order that writes nothing until every check passed:
//! configuration → listener → database reachable → data directory writable → master key opens the
//! existing vault → migrations → vault → serve.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use std::sync::Arc;
use tokio::net::TcpListener;

use yinxin_domain::erasure::RecipientKind;
use yinxin_identity::Accounts;
use yinxin_identity::idv::Verifications;
use yinxin_identity::sms::SmsGateway;
use yinxin_identity::sms::aliyun::Aliyun;
use yinxin_identity::sms::outbox::Outbox;
use yinxin_privacy::master_key::{self, MasterKey};
use yinxin_privacy::vault::{MasterKeyCheck, Vault, VaultError};
use yinxin_server::{AppState, Limits};
use yinxin_store::{Backend, StoreConfig, Stores, redact_url};

use crate::config::{Config, SmsGatewayKind};

/// Everything open and checked.
pub(crate) struct Opened {
    pub(crate) stores: Stores,
    vault: Vault,
    key_path: PathBuf,
    key_created: bool,
}

pub async fn serve(config: Config, with_simulator: bool) -> anyhow::Result<()> {
    let (idv_router, idv_config) = config.idv()?;
    let ca_config = config.ca()?;
    let tsa_config = config.tsa()?;
    let token = open_token(&config)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Handlers first: a SIGTERM that arrives right after the banner must stop the server cleanly
    // (closing the stores), not kill it with the default action.
    let shutdown = shutdown_signal()?;
    let opened = open(&config).await?;
    let (sms, outbox, sms_line) = sms_gateway(&config, &opened.vault)?;
    let accounts = Accounts::open(
        opened.vault.clone(),
        opened.stores.accounts.clone(),
        sms,
        config.accounts(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("accounts: {e}"))?
    .with_controller(config.controller())
    .with_work_calendar(config.work_calendar()?)
    .with_relying_party(config.relying_party())
    .map_err(|e| anyhow::anyhow!("passkeys (webauthn_rp_id, webauthn_origins): {e}"))?;
    let sim = if with_simulator {
        Some(start_simulator(config.authority_sim_listen).await?)
    } else {
        None
    };
    let verifications = Verifications::open(accounts.clone(), idv_router, idv_config)
        .await
        .map_err(|e| anyhow::anyhow!("identity verification: {e}"))?;
    for (name, url, secret) in config.erasure_channels()? {
        accounts
            .set_erasure_channel(RecipientKind::Processor, &name, &url, Some(&secret))
            .await
            .map_err(|e| anyhow::anyhow!("idv_providers {name}: erasure_webhook: {e}"))?;
    }
    // The record of processing activities and the impact assessment follow the registers
    // (issue 8 item 10): a new version when the configured processors changed.
    refresh_processing_records(&accounts).await;
    let (ca, where_keys, keys) = start_ca(&opened, ca_config, token).await?;
    // After the CA: its first start makes the hierarchies whose TSA certificates this loads.
    // The evidence log: its key from the CA's key store; its stored tree checked against its
    // last signed checkpoint before anything is served (issue 7 item 6).
    let log = open_log(&opened, keys.as_ref(), &config.log_origin()).await?;
    let tsa = yinxin_pki::tsa::TimestampAuthority::start(
        keys,
        opened.stores.certificates.as_ref(),
        opened.stores.timestamps.clone(),
        tsa_config,
    )
    .await
    .map_err(|e| anyhow::anyhow!("timestamp authority: {e}"))?;
    let mut lines = idv_lines(&config, sim.as_ref());
    lines.push(format!(
        "  ca:         {} ({where_keys})",
        ca.algorithms()
            .iter()
            .filter_map(|a| ca.issuing_ca_id(*a).ok())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    lines.push(format!(
        "  tsa:        POST /pki/tsa, policy {}, TSAs {}",
        tsa.policy(),
        tsa.algorithms()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    lines.push(format!(
        "  log:        {} (GET /log/checkpoint)",
        log.vkey()
    ));
    announce(&opened, addr, &sms_line, &lines);
    let mut state = AppState::new(
        opened.vault.clone(),
        opened.stores.health.clone(),
        accounts,
        verifications,
    );
    if let Some(outbox) = outbox {
        state = state.with_outbox(outbox);
    }
    let ca = Arc::new(ca);
    let sweep = tokio::spawn(sweep_event_keys(ca.clone()));
    let reminders = tokio::spawn(remind_due_requests(state.accounts.clone()));
    let expiries = tokio::spawn(expire_envelopes(state.accounts.clone()));
    let retention = tokio::spawn(run_retention(state.accounts.clone()));
    let erasure_notices = tokio::spawn(deliver_erasure_notices(state.accounts.clone()));
    let log = Arc::new(log);
    let sequencer = tokio::spawn(run_sequencer(log.clone()));
    let anchors = config.log_anchors()?;
    let anchoring = (!anchors.is_empty()).then(|| {
        tokio::spawn(run_anchors(
            log.clone(),
            anchors,
            Duration::from_secs(config.log_anchor_seconds),
        ))
    });
    let log_at_stop = log.clone();
    state = state
        .with_ca(ca, config.certificate_queries_per_minute)
        .with_tsa(Arc::new(tsa))
        .with_log(log)
        .with_fonts(yinxin_sign::image::FontConfig {
            kai: config.font_kai.clone(),
            ming: config.font_ming.clone(),
            seal: config.font_seal.clone(),
        });
    let limits = Limits {
        request_timeout: Duration::from_secs(config.request_timeout_secs),
        max_body_bytes: config.max_body_bytes,
    };
    tracing::info!(%addr, "serving");
    yinxin_server::serve(listener, yinxin_server::app(state, limits), shutdown)
        .await
        .context("server failed")?;
    sweep.abort();
    reminders.abort();
    expiries.abort();
    retention.abort();
    erasure_notices.abort();
    sequencer.abort();
    if let Some(a) = anchoring {
        a.abort();
    }
    // Another node may take the sequencer over at once, not after the lease runs out.
    if let Err(e) = log_at_stop.step_down().await {
        tracing::warn!(error = %e, "evidence log: the sequencer lease was not released");
    }
    opened.stores.close().await;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    tracing::info!("stopped");
    Ok(())
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Opens the evidence log and runs its start-up check: a stored tree that does not match its last
/// signed checkpoint stops the server, naming what differs.
pub(crate) async fn open_log(
    opened: &Opened,
    keys: &dyn yinxin_crypto::KeyStore,
    origin: &str,
) -> anyhow::Result<yinxin_ledger::log::Log> {
    let log = yinxin_ledger::log::Log::open(
        opened.stores.ledger.clone(),
        keys,
        origin,
        None,
        unix_ms() / 1000,
    )
    .await
    .map_err(|e| anyhow::anyhow!("evidence log ({origin}): {e}"))?;
    let report = log
        .verify_stored_tree(yinxin_ledger::log::TreeCheck::Leaves)
        .await
        .map_err(|e| anyhow::anyhow!("evidence log: {e}; the server does not start over it"))?;
    tracing::info!(
        leaves = report.leaves,
        checkpoint = report.checkpoint_size,
        "evidence log checked against its last checkpoint"
    );
    Ok(log)
}

/// The sequencer: integrates pending entries every 100 ms and signs a checkpoint when the tree
/// grew, at most every 2 s. Only the node holding the lease does either; the others keep trying
/// and take over when it expires. Errors are logged, and the loop goes on.
async fn run_sequencer(log: Arc<yinxin_ledger::log::Log>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_signed = 0i64;
    let mut dirty = true;
    loop {
        tick.tick().await;
        let now = unix_ms();
        match log.sequence(4096, now).await {
            Ok(n) if n > 0 => dirty = true,
            Ok(_) | Err(yinxin_ledger::log::LedgerError::NotSequencer) => {}
            Err(e) => tracing::error!(error = %e, "evidence log: sequencing failed"),
        }
        if dirty && now - last_signed >= 2000 {
            match log.sign_checkpoint(now).await {
                Ok(c) => {
                    dirty = false;
                    last_signed = now;
                    tracing::debug!(size = c.size, "evidence log checkpoint");
                }
                Err(yinxin_ledger::log::LedgerError::NotSequencer) => {}
                Err(e) => tracing::error!(error = %e, "evidence log: checkpoint refused"),
            }
        }
    }
}

/// Every `period`, sends the latest signed checkpoint to each external anchor that has no
/// receipt for it (issue 7 item 5; EVID-1); only the sequencer's node does. The first round
/// waits for the first checkpoint of this start (a few seconds).
async fn run_anchors(
    log: Arc<yinxin_ledger::log::Log>,
    anchors: Vec<Arc<dyn yinxin_ledger::anchor::Anchor>>,
    period: Duration,
) {
    tokio::time::sleep(Duration::from_secs(3).min(period)).await;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match log.anchor_latest(&anchors, unix_ms()).await {
            Ok(outcomes) => {
                for o in outcomes {
                    if let yinxin_ledger::anchor::AnchorOutcome::Anchored { anchor, size } = o {
                        tracing::info!(%anchor, size, "evidence log checkpoint anchored");
                    }
                }
            }
            Err(yinxin_ledger::log::LedgerError::NotSequencer) => {}
            Err(e) => tracing::error!(error = %e, "evidence log: anchoring failed"),
        }
    }
}

/// The Unix second now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Every hour, reminds the privacy officer of the data-subject requests falling due (PRIV-14):
/// each request's reminder is recorded once, whichever node runs first.
async fn remind_due_requests(accounts: Accounts) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = accounts.remind_due_requests(unix_now()).await {
            tracing::warn!(error = %e, "reminding of due requests failed");
        }
    }
}

/// Every hour, applies the retention rules (issue 8 item 5; PRIV-9): cancelled accounts past
/// their grace period erased, custody ended, old network logs deleted — under a lease in the
/// database, so that with several nodes one runs at a time.
async fn run_retention(accounts: Accounts) {
    let node = format!("node-{}", uuid::Uuid::new_v4());
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = accounts.run_retention(unix_now(), &node).await {
            tracing::warn!(error = %e, "the retention run failed");
        }
    }
}

/// Stores new versions of the record of processing activities and of the impact assessment
/// where the registers changed; a failure (another node storing the same version) is logged,
/// not fatal: the next start or the privacy officer stores it.
async fn refresh_processing_records(accounts: &Accounts) {
    if let Err(e) = accounts.refresh_processing_records("system").await {
        tracing::warn!(error = %e, "processing records not refreshed");
    }
}

/// Every minute, delivers the erasure notices due (issue 8 item 6; PRIV-15) — under a lease in
/// the database, so that with several nodes one delivers at a time.
async fn deliver_erasure_notices(accounts: Accounts) {
    let node = format!("node-{}", uuid::Uuid::new_v4());
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = accounts.deliver_erasure_notices(unix_now(), &node).await {
            tracing::warn!(error = %e, "delivering erasure notices failed");
        }
    }
}

/// Every five minutes, closes the envelopes that expired unopened and tells their parties
/// (issue 6 item 6); the close is a compare-and-set, so several nodes announce each once.
async fn expire_envelopes(accounts: Accounts) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = accounts.expire_envelopes(unix_now()).await {
            tracing::warn!(error = %e, "expiring envelopes failed");
        }
    }
}

/// Every minute, destroys the one-time keys of event certificates that expired (CERT-3): an
/// event's key never outlives its certificate, whether or not the event was said to be over.
/// With several nodes each sweeps; destroying a destroyed key is not an error.
async fn sweep_event_keys(ca: Arc<yinxin_pki::ca::CertificateAuthority>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match ca
            .destroy_expired_event_keys(std::time::SystemTime::now())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(keys = n, "expired event certificates' keys destroyed"),
            Err(e) => tracing::warn!(error = %e, "destroying expired event keys failed"),
        }
    }
}

/// The PKCS#11 token of `ca_key_store = "pkcs11"`, opened before anything is written: a wrong
/// PIN or label stops the command.
pub(crate) fn open_token(
    config: &Config,
) -> anyhow::Result<Option<Arc<yinxin_crypto::pkcs11::Pkcs11KeyStore>>> {
    Ok(match config.pkcs11()? {
        Some(c) => Some(Arc::new(
            yinxin_crypto::pkcs11::Pkcs11KeyStore::open(&c).map_err(|e| {
                crate::config::ConfigError(format!(
                    "ca_key_store pkcs11 (pkcs11_module, pkcs11_token_label, pkcs11_pin_file): {e}"
                ))
            })?,
        )),
        None => None,
    })
}

/// The certificate authority: loads its hierarchies, creating on first start the SM2 and P-256
/// ones. CA keys are in the software store, sealed under a key derived from the vault root (so
/// master-key rotation needs no rewrap of them), or on the token where it offers the algorithm.
pub(crate) async fn start_ca(
    opened: &Opened,
    config: yinxin_pki::ca::CaConfig,
    token: Option<Arc<yinxin_crypto::pkcs11::Pkcs11KeyStore>>,
) -> anyhow::Result<(
    yinxin_pki::ca::CertificateAuthority,
    String,
    Arc<dyn yinxin_crypto::KeyStore>,
)> {
    use yinxin_crypto::KeyStore;
    let software: Arc<dyn KeyStore> = Arc::new(yinxin_crypto::software::SoftwareKeyStore::new(
        opened.stores.signing_keys.clone(),
        opened.vault.service_secret("ca-keystore"),
    ));
    let (keys, routed): (Arc<dyn KeyStore>, _) = match &token {
        None => (software, None),
        Some(t) => {
            let routed = Arc::new(yinxin_crypto::routed::RoutedKeyStore::new(
                t.clone(),
                software,
            ));
            (routed.clone() as Arc<dyn KeyStore>, Some(routed))
        }
    };
    let ca = yinxin_pki::ca::CertificateAuthority::start(
        keys.clone(),
        opened.stores.certificates.clone(),
        opened.vault.clone(),
        config,
    )
    .await
    .map_err(|e| anyhow::anyhow!("certificate authority: {e}"))?;
    let where_keys = match (&token, routed) {
        (Some(t), Some(routed)) => {
            let on_token: Vec<&str> = ca
                .algorithms()
                .into_iter()
                .filter(|a| routed.backend_for(*a) == "pkcs11")
                .map(|a| a.as_str())
                .collect();
            format!(
                "keys of {} on PKCS#11 token {} (serial {}), others in the software store",
                if on_token.is_empty() {
                    "none".into()
                } else {
                    on_token.join(", ")
                },
                t.token_label(),
                t.token_serial()
            )
        }
        _ => "keys in the software store, key-store database".into(),
    };
    Ok((ca, where_keys, keys))
}

/// A `yinxin ca` command, its arguments checked.
#[derive(Debug)]
pub enum CaRequest {
    /// `ca show [--json]`.
    Show { json: bool },
    /// `ca add --algorithm ALG`.
    Add(yinxin_crypto::KeyAlgorithm),
    /// `ca rotate --algorithm ALG`.
    Rotate(yinxin_crypto::KeyAlgorithm),
    /// `ca revoke SERIAL --reason REASON --operator NAME` (serial lower-case hex).
    Revoke {
        serial: String,
        reason: yinxin_pki::crl::RevocationReason,
        operator: String,
    },
}

/// `yinxin ca …`: the CA opened as `serve` opens it (same data, key store, configuration), one
/// operation, the stores closed whatever the outcome.
pub async fn ca(config: Config, request: CaRequest) -> anyhow::Result<()> {
    let ca_config = config.ca()?;
    let crl_refresh = ca_config.crl_validity / 2;
    let token = open_token(&config)?;
    let opened = open(&config).await?;
    let result = async {
        let (ca, where_keys, _) = start_ca(&opened, ca_config, token).await?;
        ca_operation(&ca, &where_keys, request, crl_refresh).await
    }
    .await;
    opened.stores.close().await;
    result
}

async fn ca_operation(
    ca: &yinxin_pki::ca::CertificateAuthority,
    where_keys: &str,
    request: CaRequest,
    crl_refresh: Duration,
) -> anyhow::Result<()> {
    use yinxin_pki::ca::{Actor, CaError, KeyLocation};
    match request {
        CaRequest::Show { json } => {
            let cas = ca.ca_infos().await?;
            if json {
                let doc: Vec<serde_json::Value> = cas
                    .iter()
                    .map(|c| {
                        let (store, token) = match &c.key_location {
                            KeyLocation::Software => ("software", None),
                            KeyLocation::Token(serial) => ("pkcs11", serial.clone()),
                        };
                        serde_json::json!({
                            "id": c.id,
                            "algorithm": c.algorithm,
                            "role": c.role.as_str(),
                            "parent": c.parent,
                            "active": c.active,
                            "serial": c.serial,
                            "subject": c.subject,
                            "not_after": c.not_after,
                            "key_id": c.key_id,
                            "key_store": store,
                            "token_serial": token,
                            "sha256_fingerprint": c.fingerprint,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                for c in &cas {
                    println!(
                        "{} ({} {}, {})",
                        c.id,
                        c.algorithm,
                        c.role.as_str(),
                        if c.active { "active" } else { "retired" }
                    );
                    println!("  parent:    {}", c.parent.as_deref().unwrap_or("-"));
                    println!("  subject:   {}", c.subject);
                    println!("  serial:    {}", c.serial);
                    println!("  not after: {}", c.not_after);
                    println!("  key:       {} ({})", c.key_id, c.key_location);
                    println!("  SHA-256:   {}", c.fingerprint);
                }
            }
        }
        CaRequest::Add(alg) => {
            let new = ca
                .add_hierarchy(alg)
                .await
                .map_err(|e| anyhow::anyhow!("no hierarchy added: {e}"))?;
            println!(
                "yinxin: {alg} hierarchy added: {} ({where_keys}); a running server serves it \
                 from its next start",
                new.iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        CaRequest::Rotate(alg) => {
            let (new, retired) = ca
                .rotate_issuing(alg)
                .await
                .map_err(|e| anyhow::anyhow!("nothing rotated: {e}"))?;
            println!(
                "yinxin: {alg} issuing CA rotated: {} new ({where_keys}); {} retired, still \
                 answering CRL and OCSP for what they issued; a running server issues from the \
                 new one from its next start",
                new.iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                retired.join(", ")
            );
        }
        CaRequest::Revoke {
            serial,
            reason,
            operator,
        } => {
            let rec = ca
                .revoke(&serial, Actor::Operator(operator), reason)
                .await
                .map_err(|e| match e {
                    CaError::NotFound => anyhow::anyhow!("SERIAL: no certificate {serial}"),
                    CaError::AlreadyRevoked => {
                        anyhow::anyhow!("SERIAL: certificate {serial} is already revoked")
                    }
                    other => anyhow::anyhow!("not revoked: {other}"),
                })?;
            let by = rec
                .revocation
                .as_ref()
                .map(|r| r.by.as_str())
                .unwrap_or_default();
            println!(
                "yinxin: certificate {serial} of {} revoked ({reason}) by {by}; OCSP says so at \
                 once, a running server's CRL within {} s",
                rec.ca_id,
                crl_refresh.as_secs()
            );
        }
    }
    Ok(())
}

/// Starts the provider simulator in this process (`--with-simulator`).
async fn start_simulator(listen: SocketAddr) -> anyhow::Result<yinxin_authority_sim::SimHandle> {
    if !listen.ip().is_loopback() {
        bail!("authority_sim_listen: the simulator listens on loopback only, not {listen}");
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("authority_sim_listen: cannot listen on {listen}"))?;
    Ok(yinxin_authority_sim::serve(listener, yinxin_authority_sim::SimConfig::default()).await?)
}

/// Where identity verification goes, and whether that is the simulator: banner lines.
fn idv_lines(config: &Config, sim: Option<&yinxin_authority_sim::SimHandle>) -> Vec<String> {
    let providers = config.providers();
    let mut lines = Vec::new();
    for p in &providers {
        let what = if p.is_simulator() {
            match sim {
                Some(s) => format!(
                    "the simulator, started here on {} (synthetic data only; identities at {}_fixtures)",
                    s.addr(),
                    s.endpoint()
                ),
                None => "the simulator (synthetic data only), not started here: run \
                         `yinxin-authority-sim` or `yinxin serve --with-simulator`"
                    .to_owned(),
            }
        } else {
            p.legal_name.clone()
        };
        lines.push(format!(
            "  identity:   {} → {} — {what}",
            p.name, p.endpoint
        ));
    }
    if providers.is_empty() {
        lines.push("  identity:   no verification provider configured (idv_providers)".into());
    }
    lines
}

pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let store_config = store_config(&config);
    if store_config.backend()? == Backend::Sqlite {
        ensure_writable_dir(&config.data_dir)?;
    }
    let stores = Stores::open(&store_config).await?;
    stores.migrate().await?;
    println!("yinxin: migrations applied to {}", describe(&store_config));
    stores.close().await;
    Ok(())
}

/// The stores and the accounts service, for a console command.
async fn open_accounts(config: &Config) -> anyhow::Result<(Opened, Accounts)> {
    let opened = open(config).await?;
    match open_accounts_with(config, &opened).await {
        Ok(accounts) => Ok((opened, accounts)),
        Err(e) => {
            opened.stores.close().await;
            Err(e)
        }
    }
}

/// The accounts service over stores opened already.
pub(crate) async fn open_accounts_with(
    config: &Config,
    opened: &Opened,
) -> anyhow::Result<Accounts> {
    let (sms, _, _) = sms_gateway(config, &opened.vault)?;
    Ok(Accounts::open(
        opened.vault.clone(),
        opened.stores.accounts.clone(),
        sms,
        config.accounts(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("accounts: {e}"))?
    .with_controller(config.controller()))
}

pub async fn publish_policy(
    config: Config,
    doc: yinxin_identity::PolicyDocument,
) -> anyhow::Result<()> {
    let (opened, accounts) = open_accounts(&config).await?;
    let published = accounts
        .publish_policy(&doc)
        .await
        .map_err(|e| anyhow::anyhow!("policy not published: {e}"))?;
    println!(
        "yinxin: privacy policy {} published: effective {}, {}, text SHA-256 {}",
        published.version,
        published.effective_on,
        if published.material {
            "material (accounts consent again once it takes effect)"
        } else {
            "not material"
        },
        published.text_sha256
    );
    opened.stores.close().await;
    Ok(())
}

/// `yinxin register-app`: registers a relying application (CERT-6) and prints its API key once.
pub async fn register_app(
    config: Config,
    id: &str,
    name: &str,
    legal_name: &str,
    contact: &str,
    data_items: &[String],
    erasure_webhook: Option<&str>,
) -> anyhow::Result<()> {
    let (opened, accounts) = open_accounts(&config).await?;
    let registered = accounts
        .register_relying_app(id, name, legal_name, contact, data_items)
        .await
        .map_err(|e| anyhow::anyhow!("application not registered: {e}"));
    let channel = match (&registered, erasure_webhook) {
        (Ok(_), Some(url)) => Some(
            accounts
                .set_erasure_channel(RecipientKind::App, id, url, None)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "the application is registered, its erasure webhook is not ({e}); it may \
                     register one itself: PUT /api/v1/relying/erasure-webhook"
                    )
                }),
        ),
        _ => None,
    };
    if registered.is_ok() {
        refresh_processing_records(&accounts).await;
    }
    opened.stores.close().await;
    let registered = registered?;
    println!(
        "yinxin: relying application {} registered (data items: {}); its API key, shown once:",
        registered.record.id,
        if data_items.is_empty() {
            "the certificates' public information only".to_owned()
        } else {
            data_items.join(", ")
        }
    );
    println!("{}", registered.api_key.as_str());
    if let Some(channel) = channel {
        let channel = channel?;
        println!(
            "yinxin: erasure notices go to {}; their HMAC secret, shown once:",
            channel.url
        );
        println!(
            "{}",
            channel.secret.as_deref().map(String::as_str).unwrap_or("")
        );
    }
    Ok(())
}

/// A `yinxin admin` command, checked.
#[derive(Debug)]
pub enum AdminRequest {
    /// `admin staff grant`.
    Grant {
        username: String,
        role: yinxin_domain::staff::StaffRole,
        operator: String,
    },
    /// `admin staff revoke`.
    Revoke {
        username: String,
        role: yinxin_domain::staff::StaffRole,
        operator: String,
    },
    /// `admin staff list [--json]`.
    List { json: bool },
    /// `admin retention plan [--json]`.
    RetentionPlan { json: bool },
    /// `admin retention run [--json]`.
    RetentionRun { json: bool },
    /// `admin handover --successor-certificate FILE --out FILE --operator NAME`.
    Handover(crate::handover::HandoverRequest),
}

/// Runs a `yinxin admin` command: staff roles (issue 8 item 7; docs/STAFF.md), the retention
/// engine (item 5; docs/RETENTION.md).
pub async fn admin(config: Config, request: AdminRequest) -> anyhow::Result<()> {
    let request = match request {
        AdminRequest::Handover(h) => return crate::handover::run(config, h).await,
        other => other,
    };
    let (opened, accounts) = open_accounts(&config).await?;
    let result = async {
        match request {
            AdminRequest::Grant {
                username,
                role,
                operator,
            } => {
                let g = accounts
                    .grant_staff_role(&username, role, &operator)
                    .await
                    .map_err(|e| anyhow::anyhow!("not granted: {e}"))?;
                println!(
                    "yinxin: account {} holds the staff role {} (granted by {})",
                    g.account,
                    role.as_str(),
                    g.granted_by
                );
            }
            AdminRequest::Revoke {
                username,
                role,
                operator,
            } => {
                accounts
                    .revoke_staff_role(&username, role, &operator)
                    .await
                    .map_err(|e| anyhow::anyhow!("not revoked: {e}"))?;
                println!("yinxin: the staff role {} is revoked", role.as_str());
            }
            AdminRequest::RetentionPlan { json } => {
                print_retention(&accounts.retention_plan(unix_now()).await?, json)?;
            }
            AdminRequest::RetentionRun { json } => {
                let node = format!("console-{}", uuid::Uuid::new_v4());
                print_retention(&accounts.run_retention(unix_now(), &node).await?, json)?;
            }
            // Made above, with the CA opened too.
            AdminRequest::Handover(_) => {}
            AdminRequest::List { json } => {
                let grants = accounts.staff_grants().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&grants)?);
                } else {
                    for g in &grants {
                        println!(
                            "{} {} granted {} by {}{}",
                            g.account,
                            g.role.as_str(),
                            g.granted_at,
                            g.granted_by,
                            g.revoked_at
                                .map(|t| format!(", revoked {t}"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
        }
        anyhow::Ok(())
    }
    .await;
    opened.stores.close().await;
    result
}

/// A retention report, as JSON or one line per fact (ids and counts only: no PI).
fn print_retention(
    r: &yinxin_identity::retention::RetentionReport,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    if r.lease_busy {
        println!("yinxin: another node is running the retention rules; nothing done");
        return Ok(());
    }
    let what = if r.dry_run { "would erase" } else { "erased" };
    println!("yinxin: {what} {} account(s)", r.erased.len());
    for a in &r.erased {
        println!("  {a}");
    }
    println!("  kept by a legal hold: {}", r.held);
    println!("  custody ended: {}", r.custody_released);
    let logs = if r.dry_run { "to delete" } else { "deleted" };
    println!("  login events {logs}: {}", r.login_events);
    Ok(())
}

pub async fn rotate_master_key(config: Config) -> anyhow::Result<()> {
    let opened = open(&config).await?;
    let pending = master_key::pending_path(&opened.key_path);
    let new = MasterKey::generate();
    new.write_new(&pending)
        .with_context(|| "cannot write the new master key beside the current one".to_owned())?;
    match opened.vault.rotate_master_key(&new).await {
        Ok(_) => {}
        Err(e) => {
            let _ = std::fs::remove_file(&pending);
            return Err(e).context("rotation failed; the current master key stays in use");
        }
    }
    // From here the key store is wrapped by the new key. If the rename does not happen (a crash),
    // the next start finds `<key>.next`, sees it opens the vault, and finishes the rename.
    master_key::promote_pending(&pending, &opened.key_path).with_context(|| {
        format!(
            "cannot move {} to {}",
            pending.display(),
            opened.key_path.display()
        )
    })?;
    println!(
        "yinxin: master key rotated: {} now holds key {} (was {})",
        opened.key_path.display(),
        new.fingerprint(),
        opened.vault.master_key_fingerprint()
    );
    opened.stores.close().await;
    Ok(())
}

fn store_config(config: &Config) -> StoreConfig {
    match &config.database_url {
        Some(url) => StoreConfig::postgres(url, config.keystore_url.as_deref()),
        None => StoreConfig::sqlite_in(&config.data_dir),
    }
}

pub(crate) async fn open(config: &Config) -> anyhow::Result<Opened> {
    let store_config = store_config(config);
    // On PostgreSQL nothing local exists yet: an unreachable server fails before anything is
    // created. On SQLite the data directory must be writable before the database is created in it.
    if store_config.backend()? == Backend::Sqlite {
        ensure_writable_dir(&config.data_dir)?;
    }
    let stores = Stores::open(&store_config).await?;
    match open_vault(config, &stores).await {
        Ok((vault, key_path, key_created)) => Ok(Opened {
            stores,
            vault,
            key_path,
            key_created,
        }),
        Err(e) => {
            // Closing checkpoints SQLite's WAL and removes its side files: a refused start leaves
            // the directory as it found it.
            stores.close().await;
            Err(e)
        }
    }
}

async fn open_vault(config: &Config, stores: &Stores) -> anyhow::Result<(Vault, PathBuf, bool)> {
    let store_config = stores.config();
    let key_path = config.master_key_path();

    let (master, key_created) = if key_path.exists() {
        let key = MasterKey::load(&key_path)?;
        (check_or_recover(key, &key_path, stores).await?, false)
    } else {
        if stores.keys.vault_root().await?.is_some() {
            bail!(
                "the database at {} already has a vault, but there is no master key at {}: point YINXIN_MASTER_KEY_FILE at the key it was created with",
                describe(store_config),
                key_path.display()
            );
        }
        if let Some(dir) = key_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            ensure_writable_dir(dir)?;
        }
        let key = MasterKey::generate();
        key.write_new(&key_path)?;
        (key, true)
    };

    stores.migrate().await?;
    let vault = Vault::open(
        &master,
        stores.keys.clone(),
        stores.pi.clone(),
        config.vault_cipher,
    )
    .await?;
    Ok((vault, key_path, key_created))
}

/// The key must open the existing vault. If it does not, but an interrupted rotation left
/// `<key>.next` that does, finish that rotation.
async fn check_or_recover(
    key: MasterKey,
    path: &Path,
    stores: &Stores,
) -> anyhow::Result<MasterKey> {
    match Vault::check_master_key(&key, stores.keys.as_ref()).await {
        Ok(MasterKeyCheck::Fresh | MasterKeyCheck::Opens) => Ok(key),
        Err(mismatch @ VaultError::MasterKeyMismatch { .. }) => {
            let pending = master_key::pending_path(path);
            if pending.exists() {
                let next = MasterKey::load(&pending)?;
                if Vault::check_master_key(&next, stores.keys.as_ref())
                    .await
                    .is_ok()
                {
                    master_key::promote_pending(&pending, path)?;
                    tracing::warn!(path = %path.display(), "finished an interrupted master-key rotation");
                    return Ok(next);
                }
            }
            Err(anyhow::Error::new(mismatch)).with_context(|| {
                format!(
                    "the master key in {} does not open the existing data in {}",
                    path.display(),
                    describe(stores.config())
                )
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates `dir` (mode 0700) if missing and proves it writable with a probe file.
fn ensure_writable_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    } else if !dir.is_dir() {
        bail!(
            "data directory {} exists and is not a directory",
            dir.display()
        );
    }
    let probe = dir.join(".yinxin-write-probe");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| format!("data directory {} is not writable", dir.display()))
}

fn describe(c: &StoreConfig) -> String {
    match c.backend() {
        Ok(Backend::Sqlite) => c
            .sqlite_files()
            .first()
            .map(|p| absolute(p).display().to_string())
            .unwrap_or_default(),
        _ => redact_url(&c.data.url),
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// Printed once at start: where the data and the key are.
/// The `listening:` line comes last: tools read the banner up to it.
fn announce(opened: &Opened, addr: SocketAddr, sms: &str, idv: &[String]) {
    let sc = opened.stores.config();
    let (data, keystore) = match opened.stores.backend() {
        Backend::Sqlite => {
            let files = sc.sqlite_files();
            let show = |i: usize| {
                files
                    .get(i)
                    .map(|p| absolute(p).display().to_string())
                    .unwrap_or_default()
            };
            (format!("{} (SQLite)", show(0)), show(1))
        }
        Backend::Postgres => (
            format!("{} (PostgreSQL)", redact_url(&sc.data.url)),
            match &sc.keystore.schema {
                Some(s) => format!("{} schema {s}", redact_url(&sc.keystore.url)),
                None => redact_url(&sc.keystore.url),
            },
        ),
    };
    println!("yinxin {} ready", env!("CARGO_PKG_VERSION"));
    println!("  data:       {data}");
    println!("  key store:  {keystore}");
    println!(
        "  master key: {} (fingerprint {}{}) — keep a copy apart from database backups",
        absolute(&opened.key_path).display(),
        opened.vault.master_key_fingerprint(),
        if opened.key_created {
            ", created now"
        } else {
            ""
        }
    );
    println!("  vault:      {}", opened.vault.cipher().name());
    println!("  sms:        {sms}");
    for line in idv {
        println!("{line}");
    }
    println!("  listening:  http://{addr}");
}

/// The configured SMS gateway, the outbox if that is it, and a line for the banner.
fn sms_gateway(
    config: &Config,
    vault: &Vault,
) -> anyhow::Result<(Arc<dyn SmsGateway>, Option<Outbox>, String)> {
    match config.sms_gateway {
        SmsGatewayKind::Outbox => {
            let path = config
                .sms_outbox_file
                .clone()
                .unwrap_or_else(|| config.data_dir.join("sms-outbox.jsonl"));
            let outbox = Outbox::new(path.clone(), vault.clone());
            let line = format!(
                "development outbox {} — nothing is sent; codes are readable at GET /api/v1/dev/sms-outbox?mobile=…",
                absolute(&path).display()
            );
            Ok((Arc::new(outbox.clone()), Some(outbox), line))
        }
        SmsGatewayKind::Aliyun => {
            let c = config.aliyun_sms()?;
            let line = format!(
                "Alibaba Cloud SMS at {} (sign name {})",
                c.endpoint, c.sign_name
            );
            let gw = Aliyun::new(c).map_err(|e| anyhow::anyhow!("aliyun sms: {e}"))?;
            Ok((Arc::new(gw), None, line))
        }
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}
