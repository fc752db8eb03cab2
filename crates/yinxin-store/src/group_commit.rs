//! Group commit of certificate records on SQLite (issue 5: issuances per second, durably).
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every commit fsyncs the WAL. When
//! each issuance commits its own `INSERT`, concurrent issuances queue on the write lock (SQLite's
//! busy handler sleeps and retries: the latency tail) and pay one fsync each. Here one thread,
//! with a connection of its own, writes every certificate row: it takes the records waiting for
//! it, inserts them all in one `BEGIN IMMEDIATE` transaction and commits once — one fsync for
//! the batch — and only then answers each caller. A record is acknowledged only once it is committed, exactly as before;
//! what changes is that a batch of callers shares one commit.
//!
//! A row the database refuses on its own (a constraint: the one-renewal index, a duplicate
//! serial) is refused to its own caller only: SQLite aborts the statement and keeps the
//! transaction, so the other rows of the batch still commit. Any other failure, or a failed
//! commit, fails every caller of the batch, and nothing of it is written.
//!
//! PostgreSQL needs none of this (concurrent transactions commit in parallel, and the server
//! groups WAL flushes itself), so the PostgreSQL store inserts directly.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::{mpsc, oneshot};
use yinxin_domain::certificate::CertificateRecord;
use yinxin_domain::ledger::EvidenceEntry;
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::certificates::INSERT_CERTIFICATE;

/// The most rows one commit takes; more waiting callers go in the next batch.
const MAX_BATCH: usize = 256;

struct Job {
    record: CertificateRecord,
    evidence: Option<EvidenceEntry>,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The handle callers send their certificate records to; the writer thread stops when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct CertificateWriter {
    jobs: mpsc::Sender<Job>,
}

impl CertificateWriter {
    /// Starts the writer on a thread of its own, writing to the SQLite file at `path` through a
    /// connection of its own (opened on the first batch, and again after a failed one). A
    /// thread, not a task: a commit waits for its fsync, which must not hold a runtime worker,
    /// and a statement runs where it is asked instead of being handed to sqlx's connection
    /// thread and back (two context switches a row: the hot reads' reason, [`crate::inline`]).
    pub(crate) fn start(path: &Path) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("yinxin-certificate-writer".into())
            .spawn(move || run(&path, rx))?;
        Ok(Self { jobs })
    }

    /// Inserts `record`; returns once the transaction holding it has committed (or failed).
    pub(crate) async fn insert(
        &self,
        record: &CertificateRecord,
        evidence: Option<&EvidenceEntry>,
    ) -> StoreResult<()> {
        let stopped = || StoreError::Unavailable("the certificate writer has stopped".into());
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                record: record.clone(),
                evidence: evidence.cloned(),
                done,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn run(path: &Path, mut rx: mpsc::Receiver<Job>) {
    let mut writer = Writer::new(path);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = writer.write(&batch);
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that gave up (its request was cancelled) no longer listens; its row
            // stays committed, as it would have without the writer.
            let _ = job.done.send(result);
        }
    }
}

/// A row refused by a constraint is a conflict for a unique key (as `db_err` says for sqlx),
/// anything else the database's refusal as it is.
fn store_err(e: &rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict(e.to_string())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

/// The writer's connection, and the file it opens.
struct Writer {
    path: PathBuf,
    conn: Option<Connection>,
}

impl Writer {
    fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            conn: None,
        }
    }

    /// The same settings as the pool's connections (`connect.rs`): WAL, every commit fsynced,
    /// foreign keys enforced, deleted rows overwritten.
    fn open(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA secure_delete = ON;",
        )?;
        Ok(conn)
    }

    /// Writes `jobs` in one transaction: each job's own result. After a failed batch the
    /// connection is closed, and the next batch opens another.
    fn write(&mut self, jobs: &[Job]) -> Vec<StoreResult<()>> {
        let conn = match self.conn.take() {
            Some(c) => Ok(c),
            None => Self::open(&self.path),
        };
        let outcome = conn.and_then(|c| {
            let results = write_on(&c, jobs);
            Ok((c, results?))
        });
        match outcome {
            Ok((conn, results)) => {
                self.conn = Some(conn);
                results
            }
            Err(e) => {
                let e = store_err(&e);
                jobs.iter().map(|_| Err(e.clone())).collect()
            }
        }
    }
}

/// The batch's transaction on `conn`: each job's result, or the error that failed the batch
/// (nothing of it written: the transaction is rolled back).
fn write_on(conn: &Connection, jobs: &[Job]) -> rusqlite::Result<Vec<StoreResult<()>>> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let written = insert_all(conn, jobs).and_then(|results| {
        conn.execute_batch("COMMIT")?;
        Ok(results)
    });
    if written.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    written
}

fn insert_all(conn: &Connection, jobs: &[Job]) -> rusqlite::Result<Vec<StoreResult<()>>> {
    let mut stmt = conn.prepare_cached(INSERT_CERTIFICATE)?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let c = &job.record;
        let (revoked_at, reason, by) = match &c.revocation {
            Some(r) => (Some(r.at), Some(r.reason.as_str()), Some(r.by.as_str())),
            None => (None, None, None),
        };
        let inserted = stmt.execute(rusqlite::params![
            c.serial,
            c.fingerprint,
            c.ca_id,
            c.holder.to_string(),
            c.profile,
            c.algorithm,
            c.sealed_der,
            c.masked_subject,
            c.subject_mode,
            c.not_before,
            c.not_after,
            c.hosted_key_id,
            c.renews,
            c.issued_at,
            c.retain_until,
            revoked_at,
            reason,
            by,
            c.key_destroyed_at,
        ]);
        match inserted {
            Ok(_) => {
                // The record's evidence entry and salt, in the same transaction; a failure here
                // fails the batch (it is not a refusal of this row alone).
                if let Some(e) = &job.evidence {
                    let pending_id: i64 = conn
                        .prepare_cached(crate::ledger::INSERT_PENDING)?
                        .query_row(rusqlite::params![e.entry, e.queued_at_ms], |r| r.get(0))?;
                    conn.prepare_cached(crate::ledger::INSERT_EVIDENCE_SALT)?
                        .execute(rusqlite::params![
                            e.kind,
                            e.record_id,
                            e.salt.as_slice(),
                            e.leaf_hash.as_slice(),
                            pending_id
                        ])?;
                }
                results.push(Ok(()))
            }
            // SQLite aborted this statement alone and kept the transaction (a constraint):
            // this row fails, the others go on. If the transaction is gone (a trigger's
            // RAISE(ROLLBACK), a full disk), the rows before were rolled back with it, and
            // the statements after would each commit on their own: the batch fails.
            Err(e)
                if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
                    && !conn.is_autocommit() =>
            {
                results.push(Err(store_err(&e)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(results)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use yinxin_domain::AccountId;
    use yinxin_domain::certificate::{CaRecord, CaRole};

    use super::*;
    use crate::testing::TestDb;

    fn record(serial: &str) -> CertificateRecord {
        CertificateRecord {
            serial: serial.into(),
            fingerprint: format!("fp-{serial}"),
            ca_id: "issuing".into(),
            holder: AccountId::random(),
            profile: "personal_signing".into(),
            algorithm: "p256".into(),
            sealed_der: vec![1; 100],
            masked_subject: "CN=*".into(),
            subject_mode: "keyed_hash".into(),
            not_before: 100,
            not_after: 200,
            hosted_key_id: None,
            key_destroyed_at: None,
            renews: None,
            issued_at: 100,
            retain_until: 300,
            revocation: None,
        }
    }

    fn jobs(records: Vec<CertificateRecord>) -> Vec<Job> {
        records
            .into_iter()
            .map(|record| Job {
                record,
                evidence: None,
                done: oneshot::channel().0,
            })
            .collect()
    }

    async fn stored(db: &TestDb, serial: &str) -> bool {
        db.stores
            .certificates
            .certificate(serial)
            .await
            .unwrap()
            .is_some()
    }

    /// One batch, written by the writer's own routine (no timing involved): rows the database
    /// refuses by themselves fail alone and the rest of the batch commits; a failure that
    /// rolls the transaction back fails every row of the batch and stores none.
    #[tokio::test]
    async fn a_batch_commits_all_but_its_refused_rows_or_nothing() {
        let db = TestDb::new(crate::Backend::Sqlite).await;
        let mut writer = Writer::new(&db.sqlite_data_file().unwrap());
        let ca = |id: &str, role, parent: Option<&str>| CaRecord {
            id: id.into(),
            algorithm: "p256".into(),
            role,
            parent: parent.map(Into::into),
            key_id: id.into(),
            token_serial: None,
            certificate: vec![0x30, 0],
            serial: id.into(),
            created_at: 1,
            active: true,
        };
        db.stores
            .certificates
            .insert_cas(&[
                ca("root", CaRole::Root, None),
                ca("issuing", CaRole::Issuing, Some("root")),
            ])
            .await
            .unwrap();

        let mut duplicate = record("01");
        duplicate.fingerprint = "another".into();
        let mut unchecked = record("03");
        unchecked.retain_until = 199; // CHECK (retain_until >= not_after)
        let mut orphan = record("04");
        orphan.ca_id = "no-such-ca".into(); // REFERENCES ca_certificates
        let batch = jobs(vec![
            record("01"),
            duplicate,
            unchecked,
            orphan,
            record("02"),
        ]);
        let results = writer.write(&batch);
        assert!(results[0].is_ok() && results[4].is_ok(), "{results:?}");
        assert!(
            matches!(results[1], Err(StoreError::Conflict(_))),
            "{results:?}"
        );
        assert!(results[2].is_err() && results[3].is_err(), "{results:?}");
        for (serial, there) in [("01", true), ("02", true), ("03", false), ("04", false)] {
            assert_eq!(stored(&db, serial).await, there, "{serial}");
        }

        db.stores
            .execute_raw(
                "CREATE TRIGGER poison BEFORE INSERT ON certificates \
                 WHEN NEW.profile = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END",
            )
            .await
            .unwrap();
        let mut poison = record("06");
        poison.profile = "poison".into();
        // The trigger rolls the whole transaction back: "05" before it is gone with it, and
        // "07" after it must not commit on its own.
        let results = writer.write(&jobs(vec![record("05"), poison, record("07")]));
        assert!(results.iter().all(Result::is_err), "{results:?}");
        for serial in ["05", "06", "07"] {
            assert!(!stored(&db, serial).await, "{serial}");
        }
        // The failed batch's connection was closed; the next batch opens another and commits.
        assert!(writer.conn.is_none());
        assert!(writer.write(&jobs(vec![record("08")]))[0].is_ok());
        assert!(stored(&db, "08").await);
        assert!(writer.conn.is_some());
        db.cleanup().await;
    }
}
