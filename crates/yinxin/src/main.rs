//! `yinxin`: the one program. A thin layer over the libraries: parse the command line, load the
//! configuration, open what the command needs, run it.

mod config;
mod startup;

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
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&yinxin_server::routes::openapi())?
            );
            return Ok(());
        }
        Command::Serve { store, listen, .. } => (store, listen.clone()),
        Command::Migrate { store }
        | Command::RotateMasterKey { store }
        | Command::PublishPolicy { store, .. } => (store, None),
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
            Command::Inventory { .. } | Command::Openapi => Ok(()),
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
