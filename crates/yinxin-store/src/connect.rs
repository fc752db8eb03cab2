//! Opening the data and key-store databases, and migrating them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Pool, Postgres, Sqlite};
use yinxin_domain::account::AccountRepo;
use yinxin_domain::certificate::CertificateRepo;
use yinxin_domain::keys::SigningKeyRepo;
use yinxin_domain::ledger::LedgerRepo;
use yinxin_domain::repo::{HealthRepo, KeyRepo, PiRepo};
use yinxin_domain::timestamp::TimestampRepo;

use crate::repos::SqlStore;

static SQLITE_DATA: Migrator = sqlx::migrate!("migrations/sqlite/data");
static SQLITE_KEYSTORE: Migrator = sqlx::migrate!("migrations/sqlite/keystore");
static POSTGRES_DATA: Migrator = sqlx::migrate!("migrations/postgres/data");
static POSTGRES_KEYSTORE: Migrator = sqlx::migrate!("migrations/postgres/keystore");

/// The database engine behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL, for several stateless nodes sharing one cluster.
    Postgres,
}

/// One database: a URL, and for PostgreSQL optionally the schema to work in (created if missing).
#[derive(Clone, PartialEq, Eq)]
pub struct DbTarget {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
    /// PostgreSQL only: the schema to create and put first on the search path.
    pub schema: Option<String>,
}

impl fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbTarget({}", redact_url(&self.url))?;
        if let Some(s) = &self.schema {
            write!(f, ", schema {s}")?;
        }
        f.write_str(")")
    }
}

/// Where the vault's data and its key store live.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Sealed PI, blind indexes, and (later) everything else.
    pub data: DbTarget,
    /// The vault's key store. Kept apart from `data` so that a backup of the data never carries
    /// the keys that open it (PRIV-16).
    pub keystore: DbTarget,
    /// Upper bound of pooled connections per database.
    pub max_connections: u32,
}

/// The schema the PostgreSQL key store uses when none is configured.
pub const DEFAULT_PG_KEYSTORE_SCHEMA: &str = "yinxin_keystore";

impl StoreConfig {
    /// The embedded default: `yinxin.db` and `keystore.db` in `dir`.
    pub fn sqlite_in(dir: &Path) -> Self {
        let url = |name: &str| format!("sqlite://{}", dir.join(name).display());
        Self {
            data: DbTarget {
                url: url("yinxin.db"),
                schema: None,
            },
            keystore: DbTarget {
                url: url("keystore.db"),
                schema: None,
            },
            max_connections: 8,
        }
    }

    /// PostgreSQL at `url`; the key store at `keystore_url`, or by default in the schema
    /// `yinxin_keystore` of the same database (so `pg_dump --exclude-schema=yinxin_keystore` backs
    /// up data without keys; see docs/VAULT.md).
    pub fn postgres(url: &str, keystore_url: Option<&str>) -> Self {
        Self {
            data: DbTarget {
                url: url.to_owned(),
                schema: None,
            },
            keystore: match keystore_url {
                Some(k) => DbTarget {
                    url: k.to_owned(),
                    schema: None,
                },
                None => DbTarget {
                    url: url.to_owned(),
                    schema: Some(DEFAULT_PG_KEYSTORE_SCHEMA.to_owned()),
                },
            },
            max_connections: 16,
        }
    }

    /// Which engine the data lives in.
    pub fn backend(&self) -> Result<Backend, OpenError> {
        backend_of(&self.data.url)
    }

    /// The SQLite files this configuration names (empty for PostgreSQL).
    pub fn sqlite_files(&self) -> Vec<PathBuf> {
        [&self.data, &self.keystore]
            .into_iter()
            .filter_map(|t| sqlite_path(&t.url))
            .collect()
    }
}

/// Why the stores could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not one this build understands.
    #[error("database URL {url} is not valid: {reason}")]
    InvalidUrl {
        /// The URL with any password removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// The database did not answer.
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable {
        /// The URL with any password removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// A migration failed.
    #[error("migrating the database at {url} failed: {reason}")]
    Migration {
        /// The URL with any password removed.
        url: String,
        /// Why.
        reason: String,
    },
}

fn backend_of(url: &str) -> Result<Backend, OpenError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(OpenError::InvalidUrl {
            url: redact_url(url),
            reason: "expected sqlite://PATH or postgres://USER@HOST:PORT/DATABASE".into(),
        })
    }
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// `url` with the password (if any) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let after = scheme_end + 3;
    let rest = url.get(after..).unwrap_or("");
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or("");
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = authority.get(..at).unwrap_or("");
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!(
                "{}{}{}",
                url.get(..after).unwrap_or(""),
                masked,
                rest.get(at..).unwrap_or("")
            )
        }
        None => url.to_owned(),
    }
}

/// The database files hold only sealed PI, but they are nobody else's business: owner-only.
fn restrict_permissions(url: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(path) = sqlite_path(url) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// An open pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum AnyPool {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
}

/// The repositories, open and ready (after [`Stores::migrate`]).
#[derive(Debug, Clone)]
pub struct Stores {
    /// Sealed PI and blind indexes.
    pub pi: Arc<dyn PiRepo>,
    /// The vault's key store.
    pub keys: Arc<dyn KeyRepo>,
    /// The software key store's signing keys (same database as `keys`).
    pub signing_keys: Arc<dyn SigningKeyRepo>,
    /// Health of the data database.
    pub health: Arc<dyn HealthRepo>,
    /// Accounts, sessions, policies, consents.
    pub accounts: Arc<dyn AccountRepo>,
    /// CAs and subscriber certificates.
    pub certificates: Arc<dyn CertificateRepo>,
    /// The timestamp authority's serial counter (SIGN-1).
    pub timestamps: Arc<dyn TimestampRepo>,
    /// The evidence log (issue 7, EVID-1).
    pub ledger: Arc<dyn LedgerRepo>,
    backend: Backend,
    config: StoreConfig,
    data: AnyPool,
    keystore: AnyPool,
}

impl Stores {
    /// Connects to both databases. Creates SQLite files (and PostgreSQL schemas) that do not exist;
    /// applies no migration.
    pub async fn open(config: &StoreConfig) -> Result<Self, OpenError> {
        let backend = config.backend()?;
        let keystore_backend = backend_of(&config.keystore.url)?;
        let data = connect(&config.data, config.max_connections).await?;
        let keystore = connect(&config.keystore, config.max_connections.min(4)).await?;
        type DataRepos = (
            Arc<dyn PiRepo>,
            Arc<dyn HealthRepo>,
            Arc<dyn AccountRepo>,
            Arc<dyn CertificateRepo>,
            Arc<dyn TimestampRepo>,
            Arc<dyn LedgerRepo>,
        );
        let (pi, health, accounts, certificates, timestamps, ledger): DataRepos = match &data {
            AnyPool::Sqlite(p) => {
                let path = sqlite_path(&config.data.url);
                let s = Arc::new(
                    SqlStore::sqlite(p.clone(), path.as_deref(), true)
                        .map_err(|e| unstartable(&config.data, e))?,
                );
                (s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s)
            }
            AnyPool::Postgres(p) => {
                let s = Arc::new(SqlStore::new(p.clone()));
                (s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s)
            }
        };
        let (keys, signing_keys): (Arc<dyn KeyRepo>, Arc<dyn SigningKeyRepo>) = match &keystore {
            AnyPool::Sqlite(p) => {
                let path = sqlite_path(&config.keystore.url);
                let s = Arc::new(
                    SqlStore::sqlite(p.clone(), path.as_deref(), false)
                        .map_err(|e| unstartable(&config.keystore, e))?,
                );
                (s.clone(), s)
            }
            AnyPool::Postgres(p) => {
                let s = Arc::new(SqlStore::new(p.clone()));
                (s.clone(), s)
            }
        };
        tracing::debug!(?backend, ?keystore_backend, "stores open");
        Ok(Self {
            pi,
            keys,
            signing_keys,
            health,
            accounts,
            certificates,
            timestamps,
            ledger,
            backend,
            config: config.clone(),
            data,
            keystore,
        })
    }

    /// Applies pending migrations to both databases.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        for (pool, target, which) in [
            (&self.data, &self.config.data, Which::Data),
            (&self.keystore, &self.config.keystore, Which::Keystore),
        ] {
            let migrated = match (pool, which) {
                (AnyPool::Sqlite(p), Which::Data) => SQLITE_DATA.run(p).await,
                (AnyPool::Sqlite(p), Which::Keystore) => SQLITE_KEYSTORE.run(p).await,
                (AnyPool::Postgres(p), Which::Data) => POSTGRES_DATA.run(p).await,
                (AnyPool::Postgres(p), Which::Keystore) => POSTGRES_KEYSTORE.run(p).await,
            };
            migrated.map_err(|e| OpenError::Migration {
                url: redact_url(&target.url),
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Runs one SQL statement on the data database, as a tampering or buggy caller would: for
    /// tests of what the database itself refuses (CERT-7 retention triggers). The number of rows
    /// it touched, or the database's refusal as text.
    #[cfg(feature = "test-support")]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, String> {
        match &self.data {
            AnyPool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            AnyPool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        }
        .map_err(|e| e.to_string())
    }

    /// The data backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The configuration these stores were opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Closes both pools. SQLite's WAL is checkpointed into the database file first, so a stopped
    /// server leaves self-contained files (what a file-level backup copies).
    pub async fn close(&self) {
        for p in [&self.data, &self.keystore] {
            match p {
                AnyPool::Sqlite(p) => {
                    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(p)
                        .await
                    {
                        tracing::warn!(error = %e, "WAL checkpoint at close failed");
                    }
                    p.close().await
                }
                AnyPool::Postgres(p) => p.close().await,
            }
        }
    }
}

/// The store's own thread (the group-commit writer) could not be started.
fn unstartable(target: &DbTarget, e: std::io::Error) -> OpenError {
    OpenError::Unreachable {
        url: redact_url(&target.url),
        reason: format!("cannot start the writer thread: {e}"),
    }
}

#[derive(Clone, Copy)]
enum Which {
    Data,
    Keystore,
}

async fn connect(target: &DbTarget, max: u32) -> Result<AnyPool, OpenError> {
    let unreachable = |e: sqlx::Error| OpenError::Unreachable {
        url: redact_url(&target.url),
        reason: e.to_string(),
    };
    let invalid = |e: sqlx::Error| OpenError::InvalidUrl {
        url: redact_url(&target.url),
        reason: e.to_string(),
    };
    match backend_of(&target.url)? {
        Backend::Sqlite => {
            let opts = SqliteConnectOptions::from_str(&target.url)
                .map_err(invalid)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // Durability over speed: a certification service must not lose a committed record.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // PRIV-16: deleted rows (shredded keys, erased index digests) are overwritten, not
                // left in free pages of the file.
                .pragma("secure_delete", "ON")
                .disable_statement_logging();
            let pool = SqlitePoolOptions::new()
                .max_connections(max)
                // A SQLite connection is an in-process handle on a local file: no server or
                // socket can have dropped it, so the ping sqlx sends before handing one out
                // (5–8% of the CPU of a certificate issuance, issue 5) checks nothing.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(unreachable)?;
            restrict_permissions(&target.url);
            Ok(AnyPool::Sqlite(pool))
        }
        Backend::Postgres => {
            let mut opts = PgConnectOptions::from_str(&target.url)
                .map_err(invalid)?
                .application_name("yinxin")
                .disable_statement_logging();
            if let Some(schema) = &target.schema
                && !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(OpenError::InvalidUrl {
                    url: redact_url(&target.url),
                    reason: format!("schema name {schema:?} may hold only letters, digits and _"),
                });
            }
            // One direct connection first: a refused or unresolvable server fails now, with its
            // own error, instead of after the pool's retries run out.
            let mut conn = tokio::time::timeout(Duration::from_secs(10), opts.connect())
                .await
                .map_err(|_| OpenError::Unreachable {
                    url: redact_url(&target.url),
                    reason: "no answer within 10 s".into(),
                })?
                .map_err(unreachable)?;
            if let Some(schema) = &target.schema {
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                    .execute(&mut conn)
                    .await
                    .map_err(unreachable)?;
                opts = opts.options([("search_path", schema.as_str())]);
            }
            conn.close().await.map_err(unreachable)?;
            let pool = PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(unreachable)?;
            Ok(AnyPool::Postgres(pool))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_in_messages() {
        assert_eq!(
            redact_url("postgres://yx:s3cret@db.internal:5432/yinxin"),
            "postgres://yx:***@db.internal:5432/yinxin"
        );
        assert_eq!(
            redact_url("postgres://yx@db:5432/yinxin"),
            "postgres://yx@db:5432/yinxin"
        );
        assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
        let e = backend_of("mysql://root:pw@h/db").unwrap_err().to_string();
        assert!(!e.contains("pw"), "{e}");
    }

    #[test]
    fn sqlite_files_are_listed() {
        let c = StoreConfig::sqlite_in(Path::new("/d"));
        assert_eq!(
            c.sqlite_files(),
            vec![
                PathBuf::from("/d/yinxin.db"),
                PathBuf::from("/d/keystore.db")
            ]
        );
        assert!(
            StoreConfig::postgres("postgres://h/db", None)
                .sqlite_files()
                .is_empty()
        );
    }
}
