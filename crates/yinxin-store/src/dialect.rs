//! What truly differs between SQLite and PostgreSQL, and nothing else.

use sqlx::{Postgres, Sqlite};

/// Backend-specific behaviour the shared query code needs.
pub(crate) trait Dialect: sqlx::Database {
    /// Whether `e` says a table does not exist (read before migrations have run).
    fn is_undefined_table(e: &sqlx::Error) -> bool;

    /// Run after a key is destroyed, to push the old key bytes out of write-ahead files.
    const AFTER_SHRED: Option<&'static str>;
}

impl Dialect for Sqlite {
    // PRIV-16: the WAL still holds the page image that carried the key; truncate it now rather
    // than at the next automatic checkpoint. (secure_delete already zeroes the main file's copy.)
    const AFTER_SHRED: Option<&'static str> = Some("PRAGMA wal_checkpoint(TRUNCATE)");

    fn is_undefined_table(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.message().starts_with("no such table"))
    }
}

impl Dialect for Postgres {
    // PostgreSQL reclaims dead tuples by VACUUM; see docs/VAULT.md for the operator's part.
    const AFTER_SHRED: Option<&'static str> = None;

    fn is_undefined_table(e: &sqlx::Error) -> bool {
        // 42P01 undefined_table
        matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("42P01"))
    }
}
