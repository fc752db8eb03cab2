//! `yinxin`: the one program. A thin layer over the libraries: parse the command line, load the
//! configuration, open what the command needs, run it.

mod config;
mod handover;
mod startup;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, LogFormat, Overrides};

/// yinxin (印信): electronic certification service.
#[derive(Debug, Parser)]
#[command(name = "yinxin", version, about)]
struct Cli {
    /// TOML configuration file (keys as in docs/CONFIGURATION.md).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct StoreArgs {
    /// Data directory for the embedded database and the master key [default: ./yinxin-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Run on PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server (creates the data directory, master key and database on first start).
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Also start the identity-verification provider simulator (synthetic data only) on
        /// `authority_sim_listen` [default: 127.0.0.1:8091], where the default configuration
        /// points.
        #[arg(long)]
        with_simulator: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the personal-information inventory (PRIV-5).
    Inventory {
        /// As JSON, the same document GET /api/v1/privacy/inventory serves.
        #[arg(long)]
        json: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Generate a new master key and re-wrap every data key under it; the sealed data is untouched.
    RotateMasterKey {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Publish a new version of the privacy policy (PRIV-4). A published version never changes;
    /// a material one makes every account consent again once it takes effect.
    PublishPolicy {
        #[command(flatten)]
        store: StoreArgs,
        /// Version label (letters, digits, '.', '_', '-').
        #[arg(long = "policy-version", value_name = "LABEL")]
        version: String,
        /// Date it takes effect, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        effective_on: String,
        /// Publication date, YYYY-MM-DD [default: today, Beijing time].
        #[arg(long, value_name = "DATE")]
        updated_on: Option<String>,
        /// The change is material: accounts must consent again.
        #[arg(long)]
        material: bool,
        /// The policy text (Markdown, UTF-8).
        #[arg(value_name = "FILE")]
        text: PathBuf,
    },
    /// Operate the certificate authority (docs/CA.md): show, add and rotate CAs, revoke a
    /// certificate. Uses the same data and configuration as `serve` (ca_key_store included), and
    /// may run beside a running server; like a first `serve`, it creates the configured
    /// hierarchies if they do not exist yet.
    Ca {
        #[command(subcommand)]
        command: CaCommand,
    },
    /// Administer the service from the console (issue 8): staff roles (docs/STAFF.md).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Open a copy of your data (POST /api/v1/me/export) with its passphrase, offline: the JSON
    /// to standard output, and with `--pdf` its human-readable copy to a file.
    OpenExport {
        /// The export (yinxin-export-v1 JSON).
        file: PathBuf,
        /// A file holding the passphrase (first line); without it, read from standard input.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Write the PDF inside it here.
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
    },
    /// Verify signatures offline (issue 6): every signature of a PDF, or a detached CMS
    /// signature; the same report as POST /api/v1/verify/*. Exit status 1 when not valid.
    Verify {
        #[command(subcommand)]
        command: verify::VerifyCommand,
    },
    /// Register a relying application (CERT-6) and print its API key, once: the application
    /// sends it as `X-Api-Key` to read the certificates their holders use with it.
    RegisterApp {
        #[command(flatten)]
        store: StoreArgs,
        /// Its id: 3 to 40 of a-z, 0-9, '-'.
        #[arg(long)]
        id: String,
        /// The name users know it by.
        #[arg(long)]
        name: String,
        /// The legal entity that operates it and receives the data.
        #[arg(long)]
        legal_name: String,
        /// Contact for privacy matters.
        #[arg(long)]
        contact: String,
        /// A data item it receives with certificate information (person.name,
        /// person.document_number, person.work_unit); repeat for several.
        #[arg(long = "data-item", value_name = "FIELD")]
        data_items: Vec<String>,
        /// The webhook it receives erasure notices at (PRIV-15; docs/RETENTION.md): the HMAC
        /// secret they are signed with is printed once. (The application may register or
        /// replace it itself: PUT /api/v1/relying/erasure-webhook.)
        #[arg(long, value_name = "URL")]
        erasure_webhook: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Staff roles (PRIV-19): grant, revoke, list. A role takes effect on the staff member's next
    /// request; every access it allows is recorded.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The retention engine (issue 8 item 5; docs/RETENTION.md): what the next run would do, or
    /// a run now (`serve` runs it every hour).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// The end of the service (issue 8 item 12; docs/TERMINATION.md): the certification
    /// records for the successor provider in one archive, signed by the service's
    /// evidence-report key and enveloped (CMS) to the successor's certificate. Only in the
    /// closing mode; each archive is recorded.
    Handover {
        #[command(flatten)]
        store: StoreArgs,
        /// The successor's encryption certificate (PEM or DER; an RSA key of 2048 bits or
        /// more, or P-256), valid now.
        #[arg(long, value_name = "FILE")]
        successor_certificate: PathBuf,
        /// Where the archive goes (CMS, DER); it must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Who makes it: 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'.
        #[arg(long, value_name = "NAME")]
        operator: String,
        /// The evidence-report key that signs it: p256 (the default), sm2, p384, rsa2048 ….
        #[arg(long, value_name = "ALG")]
        algorithm: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum RetentionCommand {
    /// The dry run: accounts due for erasure, those a legal hold keeps, custody ending, login
    /// events to delete. Changes nothing.
    Plan {
        #[command(flatten)]
        store: StoreArgs,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Applies the retention rules now, under the database lease (does nothing while another
    /// node holds it).
    Run {
        #[command(flatten)]
        store: StoreArgs,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Give a personal account a staff role.
    Grant {
        #[command(flatten)]
        store: StoreArgs,
        /// The account's username.
        #[arg(long)]
        username: String,
        /// support, verification_reviewer, ca_operator, privacy_officer or auditor.
        #[arg(long)]
        role: String,
        /// Who grants: 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'.
        #[arg(long, value_name = "NAME")]
        operator: String,
    },
    /// Take a staff role away, at once.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// The account's username.
        #[arg(long)]
        username: String,
        /// The role.
        #[arg(long)]
        role: String,
        /// Who revokes.
        #[arg(long, value_name = "NAME")]
        operator: String,
    },
    /// Every grant, standing or revoked, oldest first.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `--algorithm NAME`, checked.
fn parse_algorithm(name: &str) -> anyhow::Result<yinxin_crypto::KeyAlgorithm> {
    yinxin_crypto::KeyAlgorithm::parse(name).ok_or_else(|| {
        anyhow::anyhow!(
            "--algorithm: {name:?} is not a key algorithm; one of {}",
            yinxin_crypto::KeyAlgorithm::ALL
                .map(|a| a.as_str())
                .join(", ")
        )
    })
}

impl AdminCommand {
    fn store(&self) -> &StoreArgs {
        match self {
            Self::Staff {
                command:
                    StaffCommand::Grant { store, .. }
                    | StaffCommand::Revoke { store, .. }
                    | StaffCommand::List { store, .. },
            }
            | Self::Retention {
                command: RetentionCommand::Plan { store, .. } | RetentionCommand::Run { store, .. },
            }
            | Self::Handover { store, .. } => store,
        }
    }

    /// The request, every argument checked before anything is opened.
    fn request(&self) -> anyhow::Result<startup::AdminRequest> {
        use yinxin_domain::staff::StaffRole;
        let role = |name: &str| {
            StaffRole::parse(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role: {name:?} is not a staff role; one of {}",
                    StaffRole::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        };
        let operator = |name: &str| {
            if yinxin_domain::validate::is_operator_name(name) {
                Ok(name.to_owned())
            } else {
                Err(anyhow::anyhow!(
                    "--operator: is 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'"
                ))
            }
        };
        let command = match self {
            Self::Staff { command } => command,
            Self::Handover {
                successor_certificate,
                out,
                operator: o,
                algorithm: a,
                ..
            } => {
                return Ok(startup::AdminRequest::Handover(
                    crate::handover::HandoverRequest {
                        operator: operator(o)?,
                        algorithm: a.as_deref().map(parse_algorithm).transpose()?,
                        successor_der: crate::handover::read_certificate(successor_certificate)?,
                        out: out.clone(),
                    },
                ));
            }
            Self::Retention {
                command: RetentionCommand::Plan { json, .. },
            } => return Ok(startup::AdminRequest::RetentionPlan { json: *json }),
            Self::Retention {
                command: RetentionCommand::Run { json, .. },
            } => return Ok(startup::AdminRequest::RetentionRun { json: *json }),
        };
        Ok(match command {
            StaffCommand::Grant {
                username,
                role: r,
                operator: o,
                ..
            } => startup::AdminRequest::Grant {
                username: username.clone(),
                role: role(r)?,
                operator: operator(o)?,
            },
            StaffCommand::Revoke {
                username,
                role: r,
                operator: o,
                ..
            } => startup::AdminRequest::Revoke {
                username: username.clone(),
                role: role(r)?,
                operator: operator(o)?,
            },
            StaffCommand::List { json, .. } => startup::AdminRequest::List { json: *json },
        })
    }
}

#[derive(Debug, Subcommand)]
enum CaCommand {
    /// Every CA of every hierarchy: id, algorithm, role, parent, whether active, serial, subject,
    /// notAfter, key id and where the key is, SHA-256 fingerprint.
    Show {
        #[command(flatten)]
        store: StoreArgs,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a whole new hierarchy (root, issuing CA, OCSP responder, TSA) for an algorithm
    /// that has none; a running server serves it from its next start.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// sm2, p256, p384, rsa2048, rsa3072, rsa4096 or ed25519.
        #[arg(long, value_name = "ALG")]
        algorithm: String,
    },
    /// Replace an algorithm's issuing CA (and its OCSP and TSA certificates) by a new one under
    /// the same root. The old one stops issuing but keeps its CRL and OCSP answers for the
    /// certificates it issued; a running server issues from the new one from its next start.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
        /// The hierarchy's algorithm.
        #[arg(long, value_name = "ALG")]
        algorithm: String,
    },
    /// Revoke a certificate as staff (CERT-1), recorded as `operator:NAME`. OCSP answers
    /// "revoked" at once; a running server's CRL shows it within half of crl_validity_secs.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// The certificate's serial, hex (colons allowed).
        #[arg(value_name = "SERIAL")]
        serial: String,
        /// RFC 5280 reason: unspecified, key_compromise, ca_compromise, affiliation_changed,
        /// superseded, cessation_of_operation, privilege_withdrawn, aa_compromise.
        #[arg(long, value_name = "REASON")]
        reason: String,
        /// Who revokes: 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'.
        #[arg(long, value_name = "NAME")]
        operator: String,
    },
}

impl CaCommand {
    fn store(&self) -> &StoreArgs {
        match self {
            Self::Show { store, .. }
            | Self::Add { store, .. }
            | Self::Rotate { store, .. }
            | Self::Revoke { store, .. } => store,
        }
    }

    /// The request, every argument checked before anything is opened.
    fn request(&self) -> anyhow::Result<startup::CaRequest> {
        use yinxin_pki::ca::{REVOCATION_REASONS, check_operator_name};
        use yinxin_pki::crl::RevocationReason;
        Ok(match self {
            Self::Show { json, .. } => startup::CaRequest::Show { json: *json },
            Self::Add { algorithm: a, .. } => startup::CaRequest::Add(parse_algorithm(a)?),
            Self::Rotate { algorithm: a, .. } => startup::CaRequest::Rotate(parse_algorithm(a)?),
            Self::Revoke {
                serial,
                reason,
                operator,
                ..
            } => {
                let serial = serial.trim().to_ascii_lowercase().replace(':', "");
                if serial.is_empty()
                    || serial.len() > 40
                    || !serial.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    anyhow::bail!("SERIAL: is 1 to 40 hexadecimal digits (colons allowed)");
                }
                let reason = RevocationReason::parse(reason)
                    .filter(|r| REVOCATION_REASONS.contains(r))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--reason: {reason:?} is not a revocation reason; one of {}",
                            REVOCATION_REASONS.map(RevocationReason::as_str).join(", ")
                        )
                    })?;
                check_operator_name(operator).map_err(|e| anyhow::anyhow!("--{e}"))?;
                startup::CaRequest::Revoke {
                    serial,
                    reason,
                    operator: operator.clone(),
                }
            }
        })
    }
}

/// `yinxin open-export`: the document to standard output, its PDF to `pdf`.
fn open_export(
    file: &std::path::Path,
    passphrase_file: Option<&std::path::Path>,
    pdf: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use base64::Engine;
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let envelope: yinxin_identity::export::ExportEnvelope = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a yinxin export: {e}", file.display()))?;
    let mut passphrase = zeroize::Zeroizing::new(String::new());
    match passphrase_file {
        Some(p) => {
            let all = zeroize::Zeroizing::new(
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
            );
            passphrase.push_str(all.lines().next().unwrap_or_default());
        }
        None => {
            std::io::stdin().read_line(&mut passphrase)?;
            let trimmed = passphrase.trim_end_matches(['\r', '\n']).len();
            passphrase.truncate(trimmed);
        }
    }
    let plain = yinxin_identity::export::open(&envelope, &passphrase)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let doc: serde_json::Value = serde_json::from_slice(&plain)?;
    if let Some(out) = pdf {
        let b64 = doc
            .get("report_pdf_base64")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| anyhow::anyhow!("--pdf: this export holds no PDF"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| anyhow::anyhow!("--pdf: the PDF inside is not base64"))?;
        std::fs::write(out, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    }
    let mut doc = doc;
    if let Some(o) = doc.as_object_mut() {
        o.remove("report_pdf_base64");
    }
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the cause chain joined, no newlines, no secrets (messages never carry them).
            let line = format!("{e:#}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("yinxin: error: {line}");
            if e.is::<ConfigError>() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let (store, listen) = match &cli.command {
        Command::Inventory { json } => return print_inventory(*json),
        Command::Verify { command } => return verify::run(command),
        Command::OpenExport {
            file,
            passphrase_file,
            pdf,
        } => return open_export(file, passphrase_file.as_deref(), pdf.as_deref()),
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&yinxin_server::routes::openapi())?
            );
            return Ok(());
        }
        Command::Serve { store, listen, .. } => (store, listen.clone()),
        Command::Ca { command } => (command.store(), None),
        Command::Admin { command } => (command.store(), None),
        Command::Migrate { store }
        | Command::RotateMasterKey { store }
        | Command::RegisterApp { store, .. }
        | Command::PublishPolicy { store, .. } => (store, None),
    };
    // A `ca` command's arguments are checked before the configuration is read or anything opened.
    let ca_request = match &cli.command {
        Command::Ca { command } => Some(command.request()?),
        _ => None,
    };
    let staff_request = match &cli.command {
        Command::Admin { command } => Some(command.request()?),
        _ => None,
    };
    let overrides = Overrides {
        data_dir: store.data_dir.clone(),
        listen,
        database_url: store.database_url.clone(),
    };
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = Config::load(cli.config.as_deref(), &env, &overrides)?;
    init_logging(&config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match cli.command {
            Command::Serve { with_simulator, .. } => startup::serve(config, with_simulator).await,
            Command::Migrate { .. } => startup::migrate(config).await,
            Command::RotateMasterKey { .. } => startup::rotate_master_key(config).await,
            Command::PublishPolicy {
                version,
                effective_on,
                updated_on,
                material,
                text,
                ..
            } => {
                let text = std::fs::read_to_string(&text)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", text.display()))?;
                let today = {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
                        .unwrap_or(0);
                    let d = yinxin_identity::today_in_china(now);
                    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
                };
                let doc = yinxin_identity::PolicyDocument {
                    version,
                    updated_on: updated_on.unwrap_or(today),
                    effective_on,
                    material,
                    text,
                };
                startup::publish_policy(config, doc).await
            }
            Command::Ca { .. } => match ca_request {
                Some(request) => startup::ca(config, request).await,
                None => Ok(()),
            },
            Command::Admin { .. } => match staff_request {
                Some(request) => startup::admin(config, request).await,
                None => Ok(()),
            },
            Command::RegisterApp {
                id,
                name,
                legal_name,
                contact,
                data_items,
                erasure_webhook,
                ..
            } => {
                startup::register_app(
                    config,
                    &id,
                    &name,
                    &legal_name,
                    &contact,
                    &data_items,
                    erasure_webhook.as_deref(),
                )
                .await
            }
            Command::Inventory { .. }
            | Command::Openapi
            | Command::Verify { .. }
            | Command::OpenExport { .. } => Ok(()),
        }
    })
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        // Defence in depth: anything PI-shaped is masked on its way out (docs/LOGGING.md).
        .with_writer(yinxin_server::redact::Redacting(std::io::stderr));
    let _ = match config.log_format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn print_inventory(json: bool) -> anyhow::Result<()> {
    use yinxin_domain::inventory::INVENTORY;
    if json {
        let doc = serde_json::json!({ "fields": INVENTORY });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "{:<40} {:<18} {:<4} {:<17} {:<30} {:<12} REQUIREMENTS",
        "FIELD", "CATEGORY", "SENS", "LEGAL BASIS", "RETENTION", "AT END"
    );
    for f in INVENTORY {
        let retention = match f.retention {
            yinxin_domain::pi::Retention::Transient => "never stored".to_owned(),
            yinxin_domain::pi::Retention::UntilAccountCancelled { grace_days } => {
                format!("account + {grace_days} days")
            }
            yinxin_domain::pi::Retention::AfterCertificateExpiry { years } => {
                format!("cert expiry + {years} years")
            }
            yinxin_domain::pi::Retention::Days { days } => format!("{days} days"),
            yinxin_domain::pi::Retention::UntilConsentWithdrawn => "until withdrawn".to_owned(),
        };
        let end = match f.disposition {
            yinxin_domain::pi::Disposition::Erase => "erase",
            yinxin_domain::pi::Disposition::Anonymize => "anonymize",
            yinxin_domain::pi::Disposition::KeepSealed { .. } => "keep sealed",
        };
        println!(
            "{:<40} {:<18} {:<4} {:<17} {:<30} {:<12} {}",
            f.name,
            format!("{:?}", f.category),
            if f.sensitive { "yes" } else { "no" },
            format!("{:?}", f.legal_basis),
            retention,
            end,
            f.requirements.join(" ")
        );
    }
    Ok(())
}
