//! Group commit of certificate records on SQLite (issue 5: issuances per second, durably).
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every commit fsyncs the WAL. When
//! each issuance commits its own `INSERT`, concurrent issuances queue on the write lock (SQLite's
//! busy handler sleeps and retries: the latency tail) and pay one fsync each. Here one task
//! writes every certificate row: it takes the records waiting for it, inserts them all in one
//! `BEGIN IMMEDIATE` transaction and commits once — one fsync for the batch — and only then
//! answers each caller. A record is acknowledged only once it is committed, exactly as before;
//! what changes is that a batch of callers shares one commit.
//!
//! A row the database refuses on its own (a constraint: the one-renewal index, a duplicate
//! serial) is refused to its own caller only: SQLite aborts the statement and keeps the
//! transaction, so the other rows of the batch still commit. Any other failure, or a failed
//! commit, fails every caller of the batch, and nothing of it is written.
//!
//! PostgreSQL needs none of this (concurrent transactions commit in parallel, and the server
//! groups WAL flushes itself), so the PostgreSQL store inserts directly.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};
use yinxin_domain::certificate::CertificateRecord;
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::repos::{SqlStore, db_err};

/// The most rows one commit takes; more waiting callers go in the next batch.
const MAX_BATCH: usize = 256;

struct Job {
    record: CertificateRecord,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The handle callers send their certificate records to; the writer task stops when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct CertificateWriter {
    jobs: mpsc::Sender<Job>,
}

impl CertificateWriter {
    /// Starts the writer task on the current Tokio runtime.
    pub(crate) fn start(pool: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, rx));
        Self { jobs }
    }

    /// Inserts `record`; returns once the transaction holding it has committed (or failed).
    pub(crate) async fn insert(&self, record: &CertificateRecord) -> StoreResult<()> {
        let stopped = || StoreError::Unavailable("the certificate writer has stopped".into());
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                record: record.clone(),
                done,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let results = write(&pool, &batch).await;
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that gave up (its request was cancelled) no longer listens; its row
            // stays committed, as it would have without the writer.
            let _ = job.done.send(result);
        }
    }
}

/// Whether SQLite refused the statement alone (aborting it and keeping the transaction).
fn statement_refused(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d)
        if d.is_unique_violation() || d.is_foreign_key_violation() || d.is_check_violation())
}

/// Writes `jobs` in one transaction: each job's own result.
async fn write(pool: &SqlitePool, jobs: &[Job]) -> Vec<StoreResult<()>> {
    let all = |e: sqlx::Error| {
        let e = db_err(e);
        jobs.iter().map(|_| Err(e.clone())).collect()
    };
    let mut conn = match pool.acquire().await {
        Ok(c) => c,
        Err(e) => return all(e),
    };
    match write_on(&mut conn, jobs).await {
        Ok(results) => results,
        Err(e) => {
            // SQLite may have rolled the transaction back itself (a trigger's RAISE(ROLLBACK),
            // a full disk, an I/O error), which leaves sqlx's count of open transactions on
            // this connection wrong and the connection unusable. A failed batch is rare: the
            // connection is closed rather than returned, and the pool opens another.
            let _ = conn.close().await;
            all(e)
        }
    }
}

/// The batch's transaction on `conn`: each job's result, or the error that failed the batch
/// (nothing of it written: the transaction is rolled back when dropped).
async fn write_on(
    conn: &mut sqlx::SqliteConnection,
    jobs: &[Job],
) -> Result<Vec<StoreResult<()>>, sqlx::Error> {
    let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        match SqlStore::<sqlx::Sqlite>::insert_certificate_row(&mut *tx, &job.record).await {
            Ok(()) => results.push(Ok(())),
            Err(e) if statement_refused(&e) => results.push(Err(db_err(e))),
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
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
                done: oneshot::channel().0,
            })
            .collect()
    }

    async fn stored(pool: &SqlitePool, serial: &str) -> bool {
        sqlx::query("SELECT 1 FROM certificates WHERE serial = $1")
            .bind(serial)
            .fetch_optional(pool)
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
        // One connection: the batch after a failed one runs on the same connection.
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&db.config.data.url)
            .await
            .unwrap();
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
        let results = write(&pool, &batch).await;
        assert!(results[0].is_ok() && results[4].is_ok(), "{results:?}");
        assert!(
            matches!(results[1], Err(StoreError::Conflict(_))),
            "{results:?}"
        );
        assert!(results[2].is_err() && results[3].is_err(), "{results:?}");
        for (serial, there) in [("01", true), ("02", true), ("03", false), ("04", false)] {
            assert_eq!(stored(&pool, serial).await, there, "{serial}");
        }

        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON certificates \
             WHEN NEW.profile = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END",
        )
        .execute(&pool)
        .await
        .unwrap();
        let mut poison = record("06");
        poison.profile = "poison".into();
        let results = write(&pool, &jobs(vec![record("05"), poison, record("07")])).await;
        assert!(results.iter().all(Result::is_err), "{results:?}");
        for serial in ["05", "06", "07"] {
            assert!(!stored(&pool, serial).await, "{serial}");
        }
        // The connection went back to the pool usable: the next batch commits.
        assert!(write(&pool, &jobs(vec![record("08")])).await[0].is_ok());
        assert!(stored(&pool, "08").await);
        pool.close().await;
        db.cleanup().await;
    }
}
