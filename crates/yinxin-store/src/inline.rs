//! Hot reads on SQLite, run on the calling task instead of through sqlx's connection threads
//! (issue 5).
//!
//! sqlx runs every SQLite connection on a thread of its own: each statement is a message to that
//! thread and its rows come back as messages, so one read costs two thread wake-ups and two
//! context switches. On the issuance path (a session with its account, the verification
//! history, the subject's sealed fields, its data key twice) those hand-offs were about half of
//! the server's CPU time under load (perf, 2026-12-02: 48% of samples in `sqlx-sqlite-worker`
//! threads, most of it in the scheduler). A read that finds its pages in SQLite's cache or the
//! OS's takes microseconds, less than the hand-off, so here it runs where it is asked: a
//! [`InlineReader`] keeps a few connections of its own to the same file, in WAL mode (readers
//! never wait for the writer), `query_only`, and answers synchronously.
//!
//! Only reads go this way, and only those a request makes on its hot path; every write stays on
//! sqlx (and the group-commit writer), so transactions and the write lock are where they were.
//! A read here sees every transaction committed before it starts, as a pool read does: a writer
//! answers its caller only after its commit, so a caller reads its own writes.
//!
//! The SQL is the same text the sqlx path runs (`$1`-style placeholders are SQLite's numbered
//! parameters, bound in order), so the two paths cannot drift apart: each hot read names one
//! `const` query used by both. The storage tests run on SQLite files, so they run this path.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::FromSql;
use rusqlite::{Connection, OpenFlags, Params, Row};
use yinxin_domain::repo::{StoreError, StoreResult};

/// Connections kept idle; more are opened when more callers read at once, and closed after.
const MAX_IDLE: usize = 8;

/// Prepared statements kept per connection (the hot reads are a handful).
const STATEMENT_CACHE: usize = 32;

/// Reads of one SQLite file on the calling task (see the module documentation).
pub(crate) struct InlineReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InlineReader({})", self.path.display())
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Unavailable(e.to_string()),
    }
}

impl InlineReader {
    /// A reader of the database file at `path`, which must exist (sqlx creates and migrates it);
    /// connections are opened when first needed.
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> StoreResult<Connection> {
        // Never creates the file: a reader of a missing database is an error, not an empty one.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(unavailable)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(unavailable)?;
        // This connection must never write, whatever SQL reaches it.
        conn.pragma_update(None, "query_only", true)
            .map_err(unavailable)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Runs `f` on an idle connection (or a new one), then keeps the connection for the next
    /// caller. Holds no lock while `f` runs.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&conn).map_err(unavailable);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
        out
    }

    /// The first row of `sql`, if any.
    pub(crate) fn optional<T: InlineRow>(
        &self,
        sql: &str,
        params: impl Params,
    ) -> StoreResult<Option<T>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            rows.next()?.map(T::from_row).transpose()
        })
    }

    /// Every row of `sql`.
    pub(crate) fn all<T: InlineRow>(&self, sql: &str, params: impl Params) -> StoreResult<Vec<T>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(T::from_row(row)?);
            }
            Ok(out)
        })
    }
}

/// A row decoded as a tuple, column by column, like sqlx's `query_as` into a tuple.
pub(crate) trait InlineRow: Sized {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! inline_row_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromSql),+> InlineRow for ($($t,)+) {
            fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<usize, $t>($i)?,)+))
            }
        }
    };
}

inline_row_tuple!(A 0);
inline_row_tuple!(A 0, B 1, C 2);
inline_row_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
inline_row_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (a TEXT NOT NULL, b BLOB, c INTEGER);
             INSERT INTO t VALUES ('x', x'0102', 7), ('y', NULL, 8);",
        )
        .unwrap();
        (dir, path)
    }

    #[test]
    fn reads_rows_as_tuples_and_never_writes() {
        let (_dir, path) = database();
        let r = InlineReader::new(&path);
        let one: Option<(String, Option<Vec<u8>>, i64)> = r
            .optional("SELECT a, b, c FROM t WHERE c = $1", [7])
            .unwrap();
        assert_eq!(one, Some(("x".to_owned(), Some(vec![1, 2]), 7)));
        let none: Option<(String,)> = r.optional("SELECT a FROM t WHERE c = $1", [9]).unwrap();
        assert_eq!(none, None);
        let all: Vec<(String,)> = r
            .all("SELECT a FROM t WHERE c > $1 ORDER BY a", [0])
            .unwrap();
        assert_eq!(all, vec![("x".to_owned(),), ("y".to_owned(),)]);
        // query_only: a write through this reader is refused, and nothing is written.
        let w: StoreResult<Vec<(i64,)>> = r.all("DELETE FROM t RETURNING c", []);
        assert!(matches!(w, Err(StoreError::Unavailable(_))), "{w:?}");
        let count: Option<(i64,)> = r.optional("SELECT count(*) FROM t", []).unwrap();
        assert_eq!(count, Some((2,)));
    }

    #[test]
    fn a_column_of_another_type_is_corrupt_and_a_missing_file_unavailable() {
        let (_dir, path) = database();
        let r = InlineReader::new(&path);
        let bad: StoreResult<Option<(i64,)>> = r.optional("SELECT a FROM t", []);
        assert!(matches!(bad, Err(StoreError::Corrupt(_))), "{bad:?}");
        let missing = InlineReader::new(&path.with_file_name("absent.db"));
        let r: StoreResult<Option<(i64,)>> = missing.optional("SELECT 1", []);
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert!(!path.with_file_name("absent.db").exists());
    }
}
