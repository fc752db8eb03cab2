//! Test harness: a fresh store on each backend, for this crate's and other crates' tests.
//!
//! PostgreSQL is found at `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! The test command (`scripts/test`) starts one when none answers. A test that cannot reach it
//! FAILS, loudly; it never skips.

#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use rand::Rng;
use tempfile::TempDir;

use crate::{Backend, DbTarget, StoreConfig, Stores};

/// The default PostgreSQL for tests.
pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The PostgreSQL URL tests use.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_owned())
}

/// A fresh, migrated store that lives as long as the value.
#[derive(Debug)]
pub struct TestDb {
    /// The open stores.
    pub stores: Stores,
    /// The configuration (to open the same databases again).
    pub config: StoreConfig,
    dir: Option<TempDir>,
    schemas: Vec<String>,
}

impl TestDb {
    /// A fresh, migrated store on `backend`.
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, true).await
    }

    /// A fresh store on `backend`, migrated or not.
    pub async fn with(backend: Backend, migrate: bool) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite(migrate).await,
            Backend::Postgres => Self::postgres(migrate).await,
        }
    }

    async fn sqlite(migrate: bool) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = StoreConfig::sqlite_in(dir.path());
        let stores = open(&config, migrate).await;
        Self {
            stores,
            config,
            dir: Some(dir),
            schemas: vec![],
        }
    }

    async fn postgres(migrate: bool) -> Self {
        let url = postgres_url();
        let tag: u64 = rand::thread_rng().r#gen();
        let data = format!("yxt_{tag:016x}");
        let keys = format!("{data}_keys");
        let config = StoreConfig {
            data: DbTarget {
                url: url.clone(),
                schema: Some(data.clone()),
            },
            keystore: DbTarget {
                url,
                schema: Some(keys.clone()),
            },
            max_connections: 4,
        };
        let stores = open(&config, migrate).await;
        Self {
            stores,
            config,
            dir: None,
            schemas: vec![data, keys],
        }
    }

    /// The temporary directory of a SQLite store.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(TempDir::path)
    }

    /// The SQLite data file, if this is SQLite.
    pub fn sqlite_data_file(&self) -> Option<PathBuf> {
        self.config.sqlite_files().into_iter().next()
    }

    /// The SQLite key-store file, if this is SQLite.
    pub fn sqlite_key_file(&self) -> Option<PathBuf> {
        self.config.sqlite_files().into_iter().nth(1)
    }

    /// Closes the pools and drops PostgreSQL schemas. Call at the end of a test; a failed test
    /// leaves its schemas behind for inspection.
    pub async fn cleanup(self) {
        self.stores.close().await;
        if self.schemas.is_empty() {
            return;
        }
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&postgres_url())
            .await
            .expect("reconnect to drop test schemas");
        for s in &self.schemas {
            conn.execute(format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE").as_str())
                .await
                .expect("drop test schema");
        }
    }
}

async fn open(config: &StoreConfig, migrate: bool) -> Stores {
    let stores = Stores::open(config).await.unwrap_or_else(|e| {
        panic!(
            "{e}\n\nThe tests need PostgreSQL: run scripts/test (it starts one), or set TEST_POSTGRES_URL."
        )
    });
    if migrate {
        stores.migrate().await.expect("migrations apply");
    }
    stores
}

/// Defines one `#[tokio::test]` per backend for each `async fn(&TestDb)` check:
/// `backend_tests!(puts_and_gets);` makes `puts_and_gets::sqlite` and `puts_and_gets::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($check:ident),+ $(,)?) => {
        $(
            mod $check {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                    super::$check(&db).await;
                    db.cleanup().await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let db = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                    super::$check(&db).await;
                    db.cleanup().await;
                }
            }
        )+
    };
}

/// A fresh, empty PostgreSQL database (for tests that run the whole program against its own
/// database); dropped by [`drop_postgres_database`].
pub async fn create_postgres_database() -> (String, String) {
    use sqlx::{Connection, Executor};
    let admin = postgres_url();
    let tag: u64 = rand::thread_rng().r#gen();
    let name = format!("yxt_db_{tag:016x}");
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("{e}\n\nThe tests need PostgreSQL at {admin}: run scripts/test, or set TEST_POSTGRES_URL.")
    });
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    (format!("{base}/{name}"), name)
}

/// Drops a database made by [`create_postgres_database`].
pub async fn drop_postgres_database(name: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(&postgres_url())
        .await
        .expect("reconnect to drop test database");
    conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .expect("drop test database");
}
