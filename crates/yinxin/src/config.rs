//! Configuration: defaults → TOML file (`--config`) → `YINXIN_*` environment → `YINXIN_*_FILE`
//! secrets → command-line flags. Unknown keys are refused, naming the key and where it came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use yinxin_domain::verification::{Method, ProcessorRecord};
use yinxin_identity::idv::IdvConfig;
use yinxin_identity::idv::router::{BreakerConfig, ProviderEntry, ProviderRouter};
use yinxin_identity::idv::tencent::{TencentCloud, TencentConfig};
use yinxin_identity::sms::aliyun::AliyunConfig;
use yinxin_identity::{AccountsConfig, PasswordParams};
use yinxin_privacy::Cipher;

/// A configuration error: exit code 2, one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting. Keys are flat so that each has one obvious environment variable:
/// `listen` ↔ `YINXIN_LISTEN`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the embedded database and, by default, the master key live.
    pub data_dir: PathBuf,
    /// Address to listen on. Loopback by default; put a TLS-terminating proxy in front.
    pub listen: SocketAddr,
    /// `postgres://…` to run on PostgreSQL instead of the embedded SQLite.
    pub database_url: Option<String>,
    /// PostgreSQL only: a separate database for the vault's key store (default: schema
    /// `yinxin_keystore` of `database_url`).
    pub keystore_url: Option<String>,
    /// The master key file (default `<data_dir>/master.key`).
    pub master_key_file: Option<PathBuf>,
    /// Cipher for new sealed values: `aes-256-gcm` or `sm4-gcm`.
    pub vault_cipher: Cipher,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `yinxin_server=debug,info`.
    pub log_level: String,
    /// Seconds before a request is abandoned.
    pub request_timeout_secs: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// argon2id memory cost for password hashes, KiB (ACC-3).
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
    /// Consecutive wrong passwords that lock password login for an account.
    pub password_max_failures: u32,
    /// Seconds password login stays locked.
    pub password_lockout_secs: i64,
    /// Session lifetime, seconds.
    pub session_secs: i64,
    /// Days a data-subject request is answered in, from identity verification (PRIV-14).
    pub request_due_days: i64,
    /// Working days on the mainland calendar an account cancellation is answered in (ACC-6).
    pub cancellation_due_working_days: u32,
    /// Days after cancellation before the retention engine erases an account (ACC-6: 6 months).
    pub cancellation_grace_days: u32,
    /// Requests of one kind an account may file in 30 days before the next is flagged excessive.
    pub requests_before_excessive: u32,
    /// Public holidays, `YYYY-MM-DD` (the State Council's yearly notice): not working days.
    pub public_holidays: Vec<String>,
    /// Weekend days worked in place of holidays (调休), `YYYY-MM-DD`.
    pub adjusted_workdays: Vec<String>,
    /// Password attempts per source address per minute (all accounts together).
    pub logins_per_address_per_minute: u32,
    /// Registration attempts per source address per hour.
    pub registrations_per_address_per_hour: u32,
    /// SMS codes per mobile number per hour.
    pub sms_per_mobile_per_hour: u32,
    /// SMS codes requested per source address per hour.
    pub sms_per_address_per_hour: u32,
    /// `outbox` (development default: nothing is sent) or `aliyun`.
    pub sms_gateway: SmsGatewayKind,
    /// The outbox file (default `<data_dir>/sms-outbox.jsonl`).
    pub sms_outbox_file: Option<PathBuf>,
    /// Alibaba Cloud SMS endpoint.
    pub aliyun_sms_endpoint: String,
    /// Alibaba Cloud region id.
    pub aliyun_sms_region_id: String,
    /// Alibaba Cloud AccessKey id.
    pub aliyun_sms_access_key_id: Option<String>,
    /// Alibaba Cloud AccessKey secret (a secret: prefer `YINXIN_ALIYUN_SMS_ACCESS_KEY_SECRET_FILE`).
    pub aliyun_sms_access_key_secret: Option<String>,
    /// Approved SMS signature name (签名).
    pub aliyun_sms_sign_name: Option<String>,
    /// The URL clients reach the service at (default `http://<listen>`); policy and notice URLs
    /// in consent receipts are built from it.
    pub public_base_url: Option<String>,
    /// The personal-information handler named in consent receipts (PRIV-1).
    pub controller_name: String,
    /// Its e-mail for privacy matters.
    pub controller_email: String,
    /// Passkeys (ACC-3): the WebAuthn relying-party id, the host name users see.
    pub webauthn_rp_id: String,
    /// Passkeys: the origins users reach the service at (default: `public_base_url` if set,
    /// else `http://localhost:<listen port>`).
    pub webauthn_origins: Vec<String>,
    /// Identity-verification providers (IDV-3), each a registered processor. Unset: the
    /// simulator on `authority_sim_listen` (synthetic data only).
    pub idv_providers: Option<Vec<IdvProviderConfig>>,
    /// The providers of each method, in the order tried (`{"carrier": ["a", "b"]}`). A method
    /// left out is routed to every provider that offers it, in `idv_providers` order.
    pub idv_routes: BTreeMap<Method, Vec<String>>,
    /// Bound on one provider call unless the provider sets its own, milliseconds.
    pub idv_timeout_ms: u64,
    /// Consecutive failed calls that open a provider's circuit breaker.
    pub idv_breaker_failures: u32,
    /// Seconds a breaker stays open before one trial call.
    pub idv_breaker_cooldown_secs: u64,
    /// Seconds an enterprise has to confirm a deposit.
    pub idv_deposit_ttl_secs: i64,
    /// Wrong deposit amounts allowed.
    pub idv_deposit_attempts: u32,
    /// Verification attempts per account per day.
    pub idv_attempts_per_day: u32,
    /// Validity of a personal identity credential, days.
    pub credential_validity_days: i64,
    /// Where `yinxin serve --with-simulator` starts the provider simulator (loopback only).
    pub authority_sim_listen: SocketAddr,
    /// How much of a person's document number goes into their certificate (CERT-4): `full`,
    /// `masked` or `keyed_hash`.
    pub ca_subject_mode: String,
    /// Seconds a CRL is valid (its nextUpdate); it is regenerated at half that, and on revocation.
    pub crl_validity_secs: u64,
    /// Public certificate queries allowed per address per minute (CERT-5).
    pub certificate_queries_per_minute: u32,
    /// The evidence log's origin: the first line of its checkpoints and its key's name (C2SP,
    /// a schema-less URL). Default: `public_base_url` without its scheme, then `/log`.
    pub log_origin: Option<String>,
    /// RFC 3161 TSAs that anchor the evidence log's checkpoints (issue 7 item 5; EVID-1): URLs,
    /// separated by commas or spaces (a third party's TSA; the service's own `/pki/tsa` works
    /// too but proves less). Empty: no anchoring.
    pub log_anchor_urls: String,
    /// How often (seconds) the latest checkpoint is sent to the anchors.
    pub log_anchor_seconds: u64,
    /// The TSA policy OID written in every timestamp token (SIGN-1, RFC 3161).
    pub tsa_policy_oid: String,
    /// How far (ms) the clock may be behind the newest timestamp issued before the TSA refuses
    /// (at most 1000, the accuracy its tokens state).
    pub tsa_clock_tolerance_ms: u64,
    /// Where CA keys are generated: `software` (sealed in the key-store database) or `pkcs11`
    /// (a token; algorithms it lacks, such as SM2 on SoftHSM2, go to the software store).
    pub ca_key_store: String,
    /// The PKCS#11 module (`ca_key_store = "pkcs11"`).
    pub pkcs11_module: Option<PathBuf>,
    /// The token's label.
    pub pkcs11_token_label: Option<String>,
    /// A file holding the user PIN (never the PIN itself in configuration).
    pub pkcs11_pin_file: Option<PathBuf>,
    /// The font of the `kai` signature style (SIGN-2; Debian `fonts-arphic-ukai`).
    pub font_kai: PathBuf,
    /// The font of the `ming` signature style (SIGN-2; Debian `fonts-arphic-uming`).
    pub font_ming: PathBuf,
    /// The font of seals (SIGN-3; Debian `fonts-wqy-zenhei`).
    pub font_seal: PathBuf,
}

/// One identity-verification provider (Tencent Cloud API 3.0 protocol) and its processor
/// register entry (IDV-3, PRIV-7; the columns of seed 000 §4.4).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdvProviderConfig {
    /// Its name (routes, disclosure log).
    pub name: String,
    /// The processor's legal name (服务主体).
    pub legal_name: String,
    /// Contact for privacy matters.
    pub contact: String,
    /// Where it processes.
    pub location: String,
    /// It processes outside the mainland of the PRC (CERT-9, PRIV-2): it then receives a
    /// subject's data only with their separate consent to the transfer and a recorded
    /// `security_assessment`; otherwise it is passed over.
    #[serde(default)]
    pub outside_prc: bool,
    /// The reference of the transfer's security assessment (PIPL arts. 38, 40), for a provider
    /// outside the mainland.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_assessment: Option<String>,
    /// faceid endpoint (`https://faceid.tencentcloudapi.com/` for the real service).
    pub endpoint: String,
    /// ocr endpoint (`https://ocr.tencentcloudapi.com/`).
    pub ocr_endpoint: String,
    /// SecretId.
    pub secret_id: String,
    /// SecretKey (prefer `secret_key_file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// A file holding the SecretKey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_file: Option<PathBuf>,
    /// `X-TC-Region`, when the provider needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Methods it offers (default: all).
    #[serde(default = "all_methods")]
    pub methods: Vec<Method>,
    /// Bound on one call, milliseconds (default `idv_timeout_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The webhook the processor receives erasure notices at (PRIV-15; docs/RETENTION.md):
    /// `https://…`. Without one, its notices wait for the privacy officer to record an
    /// acknowledgment received another way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure_webhook: Option<String>,
    /// A file holding the HMAC secret agreed with the processor for its erasure notices (at
    /// least 16 bytes); required with `erasure_webhook`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure_webhook_secret_file: Option<PathBuf>,
}

fn all_methods() -> Vec<Method> {
    Method::ALL.to_vec()
}

impl std::fmt::Debug for IdvProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdvProviderConfig")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("ocr_endpoint", &self.ocr_endpoint)
            .finish_non_exhaustive()
    }
}

impl IdvProviderConfig {
    /// The simulator at `addr`, with its public simulator-only credentials.
    pub fn simulator(addr: SocketAddr) -> Self {
        let url = format!("http://{addr}/");
        Self {
            name: "authority-sim".into(),
            legal_name: "yinxin-authority-sim (simulator; synthetic data only)".into(),
            contact: "none: a local simulator".into(),
            location: "this machine (loopback)".into(),
            outside_prc: false,
            security_assessment: None,
            endpoint: url.clone(),
            ocr_endpoint: url,
            secret_id: yinxin_authority_sim::DEFAULT_SECRET_ID.into(),
            secret_key: Some(yinxin_authority_sim::DEFAULT_SECRET_KEY.into()),
            secret_key_file: None,
            region: None,
            methods: all_methods(),
            timeout_ms: None,
            erasure_webhook: None,
            erasure_webhook_secret_file: None,
        }
    }

    /// Whether this is the simulator's protocol endpoint on loopback with its credentials.
    pub fn is_simulator(&self) -> bool {
        self.secret_id == yinxin_authority_sim::DEFAULT_SECRET_ID
    }
}

/// Which SMS gateway.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsGatewayKind {
    /// Write to a file; serve it at `GET /api/v1/dev/sms-outbox`.
    #[default]
    Outbox,
    /// Alibaba Cloud SMS.
    Aliyun,
}

impl Config {
    /// The service's public base URL, without a trailing slash.
    pub fn public_base_url(&self) -> String {
        self.public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The evidence log's origin.
    pub fn log_origin(&self) -> String {
        self.log_origin.clone().unwrap_or_else(|| {
            let base = self.public_base_url();
            let host = base.split_once("://").map_or(base.as_str(), |(_, h)| h);
            format!("{host}/log")
        })
    }

    /// The evidence log's external anchors; a URL that is not http(s), or a period of 0, names
    /// the setting.
    pub fn log_anchors(&self) -> Result<Vec<Arc<dyn yinxin_ledger::anchor::Anchor>>, ConfigError> {
        if self.log_anchor_seconds == 0 {
            return Err(ConfigError("log_anchor_seconds: is at least 1".into()));
        }
        self.log_anchor_urls
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|u| !u.is_empty())
            .map(|u| {
                yinxin_server::anchor::Rfc3161Anchor::new(u, Duration::from_secs(30))
                    .map(|a| Arc::new(a) as Arc<dyn yinxin_ledger::anchor::Anchor>)
                    .map_err(|e| ConfigError(format!("log_anchor_urls: {e}")))
            })
            .collect()
    }

    /// The passkey relying party.
    pub fn relying_party(&self) -> yinxin_identity::webauthn::RelyingParty {
        let origins = if !self.webauthn_origins.is_empty() {
            self.webauthn_origins.clone()
        } else if self.public_base_url.is_some() {
            vec![self.public_base_url()]
        } else {
            vec![format!("http://localhost:{}", self.listen.port())]
        };
        yinxin_identity::webauthn::RelyingParty {
            id: self.webauthn_rp_id.clone(),
            name: self.controller_name.clone(),
            origins,
        }
    }

    /// The handler named in consent receipts.
    /// The CA's settings (CERT-1, CERT-4); a bad `ca_subject_mode` or `crl_validity_secs` names
    /// the setting.
    pub fn ca(&self) -> anyhow::Result<yinxin_pki::ca::CaConfig> {
        let subject_mode =
            yinxin_pki::ca::SubjectMode::parse(&self.ca_subject_mode).ok_or_else(|| {
                anyhow::Error::from(ConfigError(
                    "ca_subject_mode: is one of full, masked, keyed_hash".into(),
                ))
            })?;
        if !(60..=30 * 24 * 3600).contains(&self.crl_validity_secs) {
            return Err(ConfigError(
                "crl_validity_secs: is between 60 and 2592000 (30 days)".into(),
            )
            .into());
        }
        Ok(yinxin_pki::ca::CaConfig {
            organization: self.controller_name.clone(),
            public_base_url: self.public_base_url(),
            algorithms: vec![
                yinxin_crypto::KeyAlgorithm::Sm2,
                yinxin_crypto::KeyAlgorithm::EcdsaP256,
            ],
            subject_mode,
            crl_validity: Duration::from_secs(self.crl_validity_secs),
        })
    }

    /// The timestamp authority's settings (SIGN-1); a bad `tsa_policy_oid` or
    /// `tsa_clock_tolerance_ms` names the setting.
    pub fn tsa(&self) -> anyhow::Result<yinxin_pki::tsa::TsaConfig> {
        let policy = yinxin_pki::tsa::parse_policy(&self.tsa_policy_oid).ok_or_else(|| {
            anyhow::Error::from(ConfigError(
                "tsa_policy_oid: is an object identifier in dotted form (2.25.3179520717.2)".into(),
            ))
        })?;
        if self.tsa_clock_tolerance_ms > 1000 {
            return Err(ConfigError(
                "tsa_clock_tolerance_ms: is between 0 and 1000 (the accuracy tokens state)".into(),
            )
            .into());
        }
        Ok(yinxin_pki::tsa::TsaConfig {
            policy,
            clock_tolerance: Duration::from_millis(self.tsa_clock_tolerance_ms),
        })
    }

    /// The PKCS#11 token for CA keys, when `ca_key_store = "pkcs11"`; each missing or unreadable
    /// setting is named.
    pub fn pkcs11(&self) -> anyhow::Result<Option<yinxin_crypto::pkcs11::Pkcs11Config>> {
        match self.ca_key_store.as_str() {
            "software" => Ok(None),
            "pkcs11" => {
                let module = self.pkcs11_module.clone().ok_or_else(|| {
                    anyhow::Error::from(ConfigError(
                        "pkcs11_module: needed when ca_key_store is pkcs11".into(),
                    ))
                })?;
                let token_label = self.pkcs11_token_label.clone().ok_or_else(|| {
                    anyhow::Error::from(ConfigError(
                        "pkcs11_token_label: needed when ca_key_store is pkcs11".into(),
                    ))
                })?;
                let pin_file = self.pkcs11_pin_file.as_ref().ok_or_else(|| {
                    anyhow::Error::from(ConfigError(
                        "pkcs11_pin_file: needed when ca_key_store is pkcs11".into(),
                    ))
                })?;
                let pin = std::fs::read_to_string(pin_file).map_err(|e| {
                    anyhow::Error::from(ConfigError(format!(
                        "pkcs11_pin_file: {}: {e}",
                        pin_file.display()
                    )))
                })?;
                Ok(Some(yinxin_crypto::pkcs11::Pkcs11Config {
                    module,
                    token_label,
                    pin: zeroize::Zeroizing::new(pin.trim_end_matches(['\n', '\r']).to_owned()),
                }))
            }
            _ => Err(ConfigError("ca_key_store: is software or pkcs11".into()).into()),
        }
    }

    pub fn controller(&self) -> yinxin_identity::Controller {
        yinxin_identity::Controller {
            name: self.controller_name.clone(),
            email: self.controller_email.clone(),
            url: self.public_base_url(),
            ..yinxin_identity::Controller::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("yinxin-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            keystore_url: None,
            master_key_file: None,
            vault_cipher: Cipher::default(),
            log_format: LogFormat::default(),
            log_level: "info".into(),
            request_timeout_secs: 30,
            max_body_bytes: 1024 * 1024,
            argon2_memory_kib: AccountsConfig::default().password.memory_kib,
            argon2_iterations: AccountsConfig::default().password.iterations,
            argon2_parallelism: AccountsConfig::default().password.parallelism,
            password_max_failures: AccountsConfig::default().max_password_failures,
            password_lockout_secs: AccountsConfig::default().lockout_seconds,
            session_secs: AccountsConfig::default().session_seconds,
            request_due_days: AccountsConfig::default().request_due_days,
            cancellation_due_working_days: AccountsConfig::default().cancellation_due_working_days,
            cancellation_grace_days: AccountsConfig::default().cancellation_grace_days,
            requests_before_excessive: AccountsConfig::default().requests_before_excessive,
            public_holidays: Vec::new(),
            adjusted_workdays: Vec::new(),
            logins_per_address_per_minute: AccountsConfig::default().logins_per_address_per_minute,
            registrations_per_address_per_hour: AccountsConfig::default()
                .registrations_per_address_per_hour,
            sms_per_mobile_per_hour: AccountsConfig::default().sms_per_mobile_per_hour,
            sms_per_address_per_hour: AccountsConfig::default().sms_per_address_per_hour,
            sms_gateway: SmsGatewayKind::default(),
            sms_outbox_file: None,
            aliyun_sms_endpoint: "https://dysmsapi.aliyuncs.com/".into(),
            aliyun_sms_region_id: "cn-hangzhou".into(),
            aliyun_sms_access_key_id: None,
            aliyun_sms_access_key_secret: None,
            aliyun_sms_sign_name: None,
            public_base_url: None,
            log_origin: None,
            log_anchor_urls: String::new(),
            log_anchor_seconds: 3600,
            controller_name: yinxin_identity::Controller::default().name,
            controller_email: yinxin_identity::Controller::default().email,
            webauthn_rp_id: "localhost".into(),
            webauthn_origins: Vec::new(),
            idv_providers: None,
            idv_routes: BTreeMap::new(),
            idv_timeout_ms: 5000,
            idv_breaker_failures: BreakerConfig::default().failures,
            idv_breaker_cooldown_secs: BreakerConfig::default().cooldown.as_secs(),
            idv_deposit_ttl_secs: IdvConfig::default().deposit_ttl_secs,
            idv_deposit_attempts: IdvConfig::default().deposit_attempts,
            idv_attempts_per_day: IdvConfig::default().attempts_per_day,
            credential_validity_days: IdvConfig::default().credential_validity_days,
            ca_subject_mode: "keyed_hash".into(),
            crl_validity_secs: 24 * 3600,
            certificate_queries_per_minute: 60,
            tsa_policy_oid: yinxin_pki::tsa::DEFAULT_POLICY.to_string(),
            tsa_clock_tolerance_ms: 1000,
            ca_key_store: "software".into(),
            pkcs11_module: None,
            pkcs11_token_label: None,
            pkcs11_pin_file: None,
            font_kai: yinxin_sign::image::FontConfig::default().kai,
            font_ming: yinxin_sign::image::FontConfig::default().ming,
            font_seal: yinxin_sign::image::FontConfig::default().seal,
            authority_sim_listen: DEFAULT_SIM_LISTEN,
        }
    }
}

/// Where the simulator listens unless told otherwise.
pub const DEFAULT_SIM_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8091);

/// Settings given on the command line (highest precedence).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

/// A processor's erasure channel: its name, webhook and HMAC secret.
pub type ErasureChannelConfig = (String, String, zeroize::Zeroizing<Vec<u8>>);

/// Settings that may come from a file named by `YINXIN_<KEY>_FILE` (secrets: URLs with passwords).
const SECRET_KEYS: [&str; 3] = [
    "database_url",
    "keystore_url",
    "aliyun_sms_access_key_secret",
];

impl Config {
    /// The identity-verification router and settings; names the first setting that is wrong.
    pub fn idv(&self) -> Result<(ProviderRouter, IdvConfig), ConfigError> {
        let providers = self.providers();
        let mut entries = Vec::new();
        for (i, p) in providers.iter().enumerate() {
            let at = |k: &str| format!("idv_providers[{i}].{k}");
            let secret_key = match (&p.secret_key, &p.secret_key_file) {
                (Some(k), None) => k.clone(),
                (None, Some(f)) => std::fs::read_to_string(f)
                    .map_err(|e| {
                        ConfigError(format!("{}: {}: {e}", at("secret_key_file"), f.display()))
                    })?
                    .trim()
                    .to_owned(),
                _ => {
                    return Err(ConfigError(format!(
                        "{}: give exactly one of secret_key and secret_key_file",
                        at("secret_key")
                    )));
                }
            };
            let provider = TencentCloud::new(TencentConfig {
                name: p.name.clone(),
                endpoint: p.endpoint.clone(),
                ocr_endpoint: p.ocr_endpoint.clone(),
                secret_id: p.secret_id.clone(),
                secret_key: zeroize::Zeroizing::new(secret_key),
                region: p.region.clone(),
                connect_timeout_secs: 5,
            })
            .map_err(|e| ConfigError(format!("{}: {e}", at("endpoint"))))?;
            if p.security_assessment
                .as_deref()
                .is_some_and(|a| a.trim().is_empty() || a.len() > 200)
            {
                return Err(ConfigError(format!(
                    "{}: the assessment's reference, 1 to 200 characters",
                    at("security_assessment")
                )));
            }
            entries.push(ProviderEntry {
                provider: Arc::new(provider),
                processor: ProcessorRecord {
                    outside_prc: p.outside_prc,
                    security_assessment: p.security_assessment.clone(),
                    ..yinxin_identity::idv::processor_entry(
                        &p.name,
                        &p.legal_name,
                        &p.contact,
                        &p.location,
                        &p.methods,
                    )
                },
                timeout: Duration::from_millis(p.timeout_ms.unwrap_or(self.idv_timeout_ms)),
            });
        }
        let mut routes = self.idv_routes.clone();
        for m in Method::ALL {
            routes.entry(m).or_insert_with(|| {
                providers
                    .iter()
                    .filter(|p| p.methods.contains(&m))
                    .map(|p| p.name.clone())
                    .collect()
            });
        }
        let breaker = BreakerConfig {
            failures: self.idv_breaker_failures.max(1),
            cooldown: Duration::from_secs(self.idv_breaker_cooldown_secs),
        };
        let router = ProviderRouter::new(entries, &routes, breaker)
            .map_err(|e| ConfigError(format!("idv_routes: {e}")))?;
        Ok((
            router,
            IdvConfig {
                routes,
                breaker,
                deposit_ttl_secs: self.idv_deposit_ttl_secs,
                deposit_attempts: self.idv_deposit_attempts.max(1),
                credential_validity_days: self.credential_validity_days,
                attempts_per_day: self.idv_attempts_per_day,
                ..IdvConfig::default()
            },
        ))
    }

    /// The processors' erasure channels (PRIV-15): `(name, webhook, secret)` for each provider
    /// with an `erasure_webhook`; names the setting that is wrong.
    pub fn erasure_channels(&self) -> Result<Vec<ErasureChannelConfig>, ConfigError> {
        let mut out = Vec::new();
        for (i, p) in self.providers().iter().enumerate() {
            let at = |k: &str| format!("idv_providers[{i}].{k}");
            match (&p.erasure_webhook, &p.erasure_webhook_secret_file) {
                (None, None) => {}
                (Some(url), Some(f)) => {
                    let secret = std::fs::read_to_string(f).map_err(|e| {
                        ConfigError(format!(
                            "{}: {}: {e}",
                            at("erasure_webhook_secret_file"),
                            f.display()
                        ))
                    })?;
                    out.push((
                        p.name.clone(),
                        url.clone(),
                        zeroize::Zeroizing::new(secret.trim().as_bytes().to_vec()),
                    ));
                }
                _ => {
                    return Err(ConfigError(format!(
                        "{}: give erasure_webhook and erasure_webhook_secret_file together",
                        at("erasure_webhook")
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The configured providers, or the simulator on `authority_sim_listen`.
    pub fn providers(&self) -> Vec<IdvProviderConfig> {
        self.idv_providers
            .clone()
            .unwrap_or_else(|| vec![IdvProviderConfig::simulator(self.authority_sim_listen)])
    }

    /// The accounts service settings.
    pub fn accounts(&self) -> AccountsConfig {
        AccountsConfig {
            password: PasswordParams {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
            max_password_failures: self.password_max_failures,
            lockout_seconds: self.password_lockout_secs,
            session_seconds: self.session_secs,
            request_due_days: self.request_due_days,
            cancellation_due_working_days: self.cancellation_due_working_days,
            cancellation_grace_days: self.cancellation_grace_days,
            requests_before_excessive: self.requests_before_excessive,
            logins_per_address_per_minute: self.logins_per_address_per_minute,
            registrations_per_address_per_hour: self.registrations_per_address_per_hour,
            sms_per_mobile_per_hour: self.sms_per_mobile_per_hour,
            sms_per_address_per_hour: self.sms_per_address_per_hour,
            ..AccountsConfig::default()
        }
    }

    /// The mainland working calendar of `public_holidays` and `adjusted_workdays`; names the
    /// first date that is not one.
    pub fn work_calendar(&self) -> Result<yinxin_domain::requests::WorkCalendar, ConfigError> {
        let dates = |key: &str, v: &[String]| {
            v.iter()
                .enumerate()
                .map(|(i, d)| {
                    let parsed = (d.len() == 10)
                        .then(|| {
                            let year: i32 = d.get(0..4)?.parse().ok()?;
                            let month: u8 = d.get(5..7)?.parse().ok()?;
                            let day: u8 = d.get(8..10)?.parse().ok()?;
                            yinxin_domain::validate::CivilDate::new(year, month, day)
                        })
                        .flatten()
                        .filter(|_| d.get(4..5) == Some("-") && d.get(7..8) == Some("-"));
                    parsed.ok_or_else(|| {
                        ConfigError(format!("{key}[{i}]: {d:?} is not a date YYYY-MM-DD"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(yinxin_domain::requests::WorkCalendar {
            holidays: dates("public_holidays", &self.public_holidays)?,
            adjusted_workdays: dates("adjusted_workdays", &self.adjusted_workdays)?,
        })
    }

    /// The Alibaba Cloud SMS settings; names the first one missing.
    pub fn aliyun_sms(&self) -> Result<AliyunConfig, ConfigError> {
        let need = |v: &Option<String>, key: &str| {
            v.clone().ok_or_else(|| {
                ConfigError(format!(
                    "sms_gateway = \"aliyun\" needs {key} (YINXIN_{})",
                    key.to_ascii_uppercase()
                ))
            })
        };
        Ok(AliyunConfig {
            endpoint: self.aliyun_sms_endpoint.clone(),
            region_id: self.aliyun_sms_region_id.clone(),
            access_key_id: need(&self.aliyun_sms_access_key_id, "aliyun_sms_access_key_id")?,
            access_key_secret: need(
                &self.aliyun_sms_access_key_secret,
                "aliyun_sms_access_key_secret",
            )?
            .into(),
            sign_name: need(&self.aliyun_sms_sign_name, "aliyun_sms_sign_name")?,
        })
    }

    /// Loads the layers in order. `env` is the process environment (a parameter, for tests).
    pub fn load(
        file: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        let secret_file_keys: Vec<String> =
            SECRET_KEYS.iter().map(|k| format!("{k}_file")).collect();
        let vars: Vec<(String, String)> = env
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("YINXIN_")?.to_ascii_lowercase();
                (!key.is_empty()).then(|| (key, v.clone()))
            })
            .collect();
        let plain: Vec<(String, String)> = vars
            .iter()
            .filter(|(k, _)| !secret_file_keys.contains(k))
            .cloned()
            .collect();
        fig = fig.merge(EnvLayer(
            plain
                .iter()
                .map(|(k, v)| (k.clone(), env_value(v)))
                .collect(),
        ));
        for (key, file_key) in SECRET_KEYS.iter().zip(&secret_file_keys) {
            if let Some((_, path)) = vars.iter().find(|(k, _)| k == file_key) {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "YINXIN_{}: cannot read {path}: {e}",
                        file_key.to_ascii_uppercase()
                    ))
                })?;
                fig = fig.merge(Named {
                    name: format!("the file named by YINXIN_{}", file_key.to_ascii_uppercase()),
                    data: Serialized::default(key, text.trim()),
                });
            }
        }
        fig = fig.merge(Named {
            name: "command-line flags".to_owned(),
            data: Serialized::defaults(overrides),
        });
        let cfg: Config = fig.extract().map_err(|e| {
            let msg = e
                .into_iter()
                .map(|e| one_line(&e.to_string()))
                .collect::<Vec<_>>()
                .join("; ");
            ConfigError(msg)
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.log_anchors()?;
        self.accounts().password.check().map_err(|e| {
            ConfigError(format!(
                "{e} (argon2_memory_kib must be at least 8 × argon2_parallelism, argon2_iterations at least 1)"
            ))
        })?;
        self.relying_party()
            .check()
            .map_err(|e| ConfigError(format!("webauthn_rp_id / webauthn_origins: {e}")))?;
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(format!(
                "database_url {} is not a postgres:// URL (the embedded SQLite database lives in data_dir)",
                yinxin_store::redact_url(url)
            )));
        }
        if self.keystore_url.is_some() && self.database_url.is_none() {
            return Err(ConfigError(
                "keystore_url is set but database_url is not: the embedded store keeps its key store in data_dir".into(),
            ));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError(
                "request_timeout_secs must be at least 1".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_level).map_err(|e| {
            ConfigError(format!(
                "log_level {:?} is not a valid filter: {e}",
                self.log_level
            ))
        })?;
        Ok(())
    }

    /// The master key file this configuration names.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

/// `YINXIN_*` variables as a figment layer whose errors name the variable.
struct EnvLayer(figment::value::Dict);

impl figment::Provider for EnvLayer {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("the environment")
            .interpolater(|_, keys| format!("YINXIN_{}", keys.join("_").to_ascii_uppercase()))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        Ok(figment::Profile::Default.collect(self.0.clone()))
    }
}

/// A layer with a name fit for an error message.
struct Named<P> {
    name: String,
    data: P,
}

impl<P: figment::Provider> figment::Provider for Named<P> {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(self.name.clone()).interpolater(|_, keys| keys.join("."))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        self.data.data()
    }
}

/// An environment value as TOML would read it (numbers as numbers), else as a string.
fn env_value(v: &str) -> figment::value::Value {
    match v.parse::<i64>() {
        Ok(n) if !v.starts_with('0') || v == "0" => figment::value::Value::from(n),
        _ => figment::value::Value::from(v.to_owned()),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn bad_argon2_parameters_are_a_configuration_error() {
        let env = vec![("YINXIN_ARGON2_ITERATIONS".to_owned(), "0".to_owned())];
        let e = Config::load(None, &env, &Overrides::default()).unwrap_err();
        assert!(e.0.contains("argon2"), "{e}");
    }

    #[test]
    fn passkey_origins_must_belong_to_the_relying_party() {
        let c = Config::load(None, &[], &Overrides::default()).unwrap();
        let rp = c.relying_party();
        assert_eq!(
            (rp.id.as_str(), rp.origins.as_slice()),
            ("localhost", &["http://localhost:8080".to_owned()][..])
        );
        let env = vec![
            (
                "YINXIN_WEBAUTHN_RP_ID".to_owned(),
                "sign.example.cn".to_owned(),
            ),
            (
                "YINXIN_PUBLIC_BASE_URL".to_owned(),
                "https://other.example.cn".to_owned(),
            ),
        ];
        let e = Config::load(None, &env, &Overrides::default()).unwrap_err();
        assert!(e.0.contains("webauthn_rp_id"), "{e}");
        let env = vec![
            ("YINXIN_WEBAUTHN_RP_ID".to_owned(), "example.cn".to_owned()),
            (
                "YINXIN_PUBLIC_BASE_URL".to_owned(),
                "https://sign.example.cn/".to_owned(),
            ),
        ];
        let c = Config::load(None, &env, &Overrides::default()).unwrap();
        assert_eq!(c.relying_party().origins, ["https://sign.example.cn"]);
        assert_eq!(c.controller().url, "https://sign.example.cn");
    }

    #[test]
    fn defaults_need_no_configuration() {
        let c = Config::load(None, &[], &Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("yinxin-data"));
        assert_eq!(c.master_key_path(), PathBuf::from("yinxin-data/master.key"));
        assert_eq!(c.vault_cipher, Cipher::Aes256Gcm);
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("y.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nlog_level = \"debug\"\nvault_cipher = \"sm4-gcm\"\n",
        )
        .unwrap();
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://yx:pw@db/yinxin\n").unwrap();
        let e = env(&[
            ("YINXIN_LOG_LEVEL", "warn"),
            ("YINXIN_DATABASE_URL", "postgres://from-env/db"),
            ("YINXIN_DATABASE_URL_FILE", secret.to_str().unwrap()),
            ("YINXIN_REQUEST_TIMEOUT_SECS", "7"),
            ("PATH", "/bin"),
        ]);
        let o = Overrides {
            data_dir: Some("/srv/yx".into()),
            ..Overrides::default()
        };
        let c = Config::load(Some(&file), &e, &o).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9000"); // file
        assert_eq!(c.log_level, "warn"); // env over file
        assert_eq!(
            c.database_url.as_deref(),
            Some("postgres://yx:pw@db/yinxin")
        ); // _FILE over env
        assert_eq!(c.request_timeout_secs, 7);
        assert_eq!(c.vault_cipher, Cipher::Sm4Gcm);
        assert_eq!(c.data_dir, PathBuf::from("/srv/yx")); // flag over everything
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("y.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let e = Config::load(Some(&file), &[], &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("lisen") && !e.contains('\n'), "{e}");
        let e = Config::load(
            None,
            &env(&[("YINXIN_DATABSE_URL", "x")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("databse_url"), "{e}");
    }

    #[test]
    fn bad_values_are_named_without_secrets() {
        let e = Config::load(
            None,
            &env(&[("YINXIN_LISTEN", "nowhere")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("YINXIN_LISTEN"), "{e}");
        let e = Config::load(
            None,
            &env(&[("YINXIN_DATABASE_URL", "mysql://root:hunter2@h/db")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("database_url") && !e.contains("hunter2"), "{e}");
        let e = Config::load(
            None,
            &env(&[("YINXIN_VAULT_CIPHER", "des")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("vault_cipher") || e.contains("des"), "{e}");
        let e = Config::load(
            None,
            &env(&[("YINXIN_DATABASE_URL_FILE", "/nonexistent/x")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("YINXIN_DATABASE_URL_FILE"), "{e}");
    }
}
