//! Issue 8's retention figure (BENCHMARKS.md; target: a sweep over 1,000,000 subjects in < 60 s
//! on SQLite). One shot, not criterion: the store is seeded once with `BENCH_SUBJECTS` accounts
//! (1,000,000), of which `BENCH_DUE` (10,000) were cancelled past the grace period — each with
//! its sealed fields, blind indexes, data key and a consent with its evidence entry, so that
//! the erasure does all its work — a tenth of the rest cancelled within the grace period, the
//! others active. Measured: the dry run, the run that erases the due accounts, the steady-state
//! run with nothing due (what `serve` does every hour), and the raw `Vault::shred` of as many
//! subjects beside it — one by one, and 1,000 at a time with `Vault::shred_many` as the engine
//! does — so that the engine's overhead over the key destruction is visible.
//!
//! Beyond the first 10,000 the due accounts are replicated in SQL from the first one (the same
//! rows with new ids: account, consent and its evidence salt, the five sealed fields, a data
//! key; no evidence-log leaf), so that a store where every one of a million accounts is due can
//! be seeded in a minute; the erasure does the same work for a replica as for an original.
//!
//!   cargo bench -p yinxin-server --bench retention
//!   BENCH_DUE=1000000 cargo bench -p yinxin-server --bench retention   # every account due
//!   BENCH_SUBJECTS=100000 BENCH_DUE=1000 cargo bench -p yinxin-server --bench retention

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Instant;

use yinxin_domain::account::{
    AccountKind, AccountRecord, ConsentAction, ConsentRecord, ConsentScope,
};
use yinxin_domain::ids::{AccountId, ConsentId, SubjectId};
use yinxin_domain::inventory::{
    ACCOUNT_USERNAME, PERSON_DOCUMENT_NUMBER, PERSON_EMAIL, PERSON_MOBILE, PERSON_NAME,
};

mod common;

const DAY: i64 = 86_400;
/// Due accounts seeded through the services; the rest are replicated in SQL.
const SEEDED_THROUGH_SERVICES: u64 = 10_000;
/// A random UUID (version 4 layout) in SQLite.
const SQL_UUID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
     substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || \
     hex(randomblob(6)))";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it with a tiny store.
    let quick = !std::env::args().any(|a| a == "--bench");
    let subjects = if quick {
        2_000
    } else {
        env("BENCH_SUBJECTS", 1_000_000)
    };
    let due = if quick { 50 } else { env("BENCH_DUE", 10_000) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(subjects, due));
}

/// `n` subjects, each with a sealed name: what the raw primitive shreds.
async fn subjects_with_a_name(vault: &yinxin_privacy::vault::Vault, n: u64) -> Vec<SubjectId> {
    let mut out = Vec::new();
    for _ in 0..n {
        let s = SubjectId::random();
        vault
            .put_all(s, &[(&PERSON_NAME, "王小明".as_bytes())])
            .await
            .unwrap();
        out.push(s);
    }
    out
}

/// `n` more due accounts, each a copy of `account`'s rows (and its subject's) with new ids, in
/// one SQL transaction over the data file with the key store attached.
async fn replicate_due(
    db: &yinxin_store::testing::TestDb,
    account: AccountId,
    subject: SubjectId,
    n: u64,
) {
    use sqlx::{Connection, Executor};
    if n == 0 {
        return;
    }
    let data = db.sqlite_data_file().unwrap();
    let keys = db.sqlite_key_file().unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", data.display()))
        .await
        .unwrap();
    conn.execute(format!("ATTACH DATABASE '{}' AS k", keys.display()).as_str())
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query(&format!(
        "CREATE TEMP TABLE seed AS \
         WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $1) \
         SELECT {SQL_UUID} AS account, {SQL_UUID} AS subject, {SQL_UUID} AS consent FROM c"
    ))
    .bind(i64::try_from(n).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    for sql in [
        "INSERT INTO accounts (id, kind, subject_id, failed_logins, created_at, cancelled_at, accepted_policy) \
         SELECT s.account, a.kind, s.subject, 0, a.created_at, a.cancelled_at, a.accepted_policy \
         FROM seed s, accounts a WHERE a.id = $1",
        "INSERT INTO consents (id, account_id, policy_version, scope, action, channel, text_sha256, at) \
         SELECT s.consent, s.account, c.policy_version, c.scope, c.action, c.channel, c.text_sha256, c.at \
         FROM seed s, consents c WHERE c.account_id = $1",
        "INSERT INTO evidence_salts (kind, record_id, salt) \
         SELECT 'consent', s.consent, randomblob(32) FROM seed s WHERE $1 IS NOT NULL",
    ] {
        sqlx::query(sql)
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    for sql in [
        "INSERT INTO pi_fields (subject_id, field, sealed, updated_at) \
         SELECT s.subject, f.field, f.sealed, f.updated_at FROM seed s, pi_fields f \
         WHERE f.subject_id = $1",
        "INSERT INTO k.vault_subject_keys (subject_id, kek_fingerprint, wrapped_key, created_at) \
         SELECT s.subject, v.kek_fingerprint, v.wrapped_key, v.created_at \
         FROM seed s, k.vault_subject_keys v WHERE v.subject_id = $1",
    ] {
        sqlx::query(sql)
            .bind(subject.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    conn.close().await.unwrap();
}

async fn run(subjects: u64, due: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (db, vault, accounts) = common::accounts(dir.path(), |_| {}).await;
    let policy = accounts.current_policy().await.unwrap();
    let now = 1_800_000_000_i64;
    let long_ago = now - 200 * DAY;

    // The due accounts, with everything an erasure touches.
    let t = Instant::now();
    let mut template = None;
    for i in 0..due.min(SEEDED_THROUGH_SERVICES) {
        let record = AccountRecord {
            id: AccountId::random(),
            kind: AccountKind::Personal,
            subject: SubjectId::random(),
            password_hash: None,
            failed_logins: 0,
            locked_until: None,
            created_at: long_ago - DAY,
            accepted_policy: Some(policy.version.clone()),
        };
        let consent = ConsentRecord {
            id: ConsentId::random(),
            account: record.id,
            policy_version: policy.version.clone(),
            scope: ConsentScope::PrivacyPolicy,
            action: ConsentAction::Given,
            channel: "api".into(),
            text_sha256: "00".repeat(32),
            at: long_ago - DAY,
        };
        let evidence = yinxin_identity::consent_evidence(&consent, None).unwrap();
        db.stores
            .accounts
            .insert_account(&record, &[consent], &[evidence])
            .await
            .unwrap();
        let username = format!("due{i}");
        let mobile = format!("139{i:08}");
        let email = format!("due{i}@example.cn");
        vault
            .put_all(
                record.subject,
                &[
                    (&ACCOUNT_USERNAME, username.as_bytes()),
                    (&PERSON_NAME, "王小明".as_bytes()),
                    (&PERSON_DOCUMENT_NUMBER, b"110105198001011238"),
                    (&PERSON_MOBILE, mobile.as_bytes()),
                    (&PERSON_EMAIL, email.as_bytes()),
                ],
            )
            .await
            .unwrap();
        db.stores
            .accounts
            .cancel_account(record.id, record.subject, long_ago)
            .await
            .unwrap();
        template.get_or_insert((record.id, record.subject));
    }
    let seeded_due = t.elapsed();

    // The rest, in bulk: a tenth cancelled within the grace period, the others active.
    let t = Instant::now();
    let rest = subjects.saturating_sub(due);
    let file = db.sqlite_data_file().unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let uuid = SQL_UUID;
    sqlx::query(&format!(
        "INSERT INTO accounts (id, kind, subject_id, failed_logins, created_at, cancelled_at) \
         WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $1) \
         SELECT {uuid}, 'personal', {uuid}, 0, $2, \
                CASE WHEN n % 10 = 0 THEN $3 ELSE NULL END FROM c WHERE $1 > 0"
    ))
    .bind(i64::try_from(rest).unwrap())
    .bind(long_ago)
    .bind(now - 10 * DAY)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    if let Some((account, subject)) = template {
        replicate_due(
            &db,
            account,
            subject,
            due.saturating_sub(SEEDED_THROUGH_SERVICES),
        )
        .await;
    }
    let seeded_rest = t.elapsed();
    eprintln!(
        "seeded {} due accounts through the services in {:.1} s; the others ({rest} not due, \
         {} due replicated) in {:.1} s",
        due.min(SEEDED_THROUGH_SERVICES),
        seeded_due.as_secs_f64(),
        due.saturating_sub(SEEDED_THROUGH_SERVICES),
        seeded_rest.as_secs_f64()
    );

    let t = Instant::now();
    let plan = accounts.retention_plan(now).await.unwrap();
    let planned = t.elapsed();
    assert_eq!(plan.erased.len() as u64, due.min(1000));

    let t = Instant::now();
    let report = accounts.run_retention(now, "bench").await.unwrap();
    let swept = t.elapsed();
    assert_eq!(report.erased.len() as u64, due);

    let t = Instant::now();
    let idle = accounts.run_retention(now, "bench").await.unwrap();
    let steady = t.elapsed();
    assert!(idle.erased.is_empty());

    // The raw primitive: destroying as many subjects' keys and fields (at most 10,000), nothing
    // else.
    let raw_n = due.min(SEEDED_THROUGH_SERVICES);
    let raw_subjects = subjects_with_a_name(&vault, raw_n).await;
    let t = Instant::now();
    for s in raw_subjects {
        vault.shred(s).await.unwrap();
    }
    let raw = t.elapsed();
    // The same, 1,000 at a time as the engine does (one key-store transaction per batch).
    let raw_subjects = subjects_with_a_name(&vault, raw_n).await;
    let t = Instant::now();
    for batch in raw_subjects.chunks(1000) {
        vault.shred_many(batch).await.unwrap();
    }
    let raw_batched = t.elapsed();

    let per = |d: std::time::Duration| d.as_secs_f64() * 1e3 / due.max(1) as f64;
    let per_raw = |d: std::time::Duration| d.as_secs_f64() * 1e3 / raw_n.max(1) as f64;
    println!("retention over {subjects} subjects on SQLite, {due} due:");
    println!(
        "  dry run (plan):            {:>9.1} ms",
        planned.as_secs_f64() * 1e3
    );
    println!(
        "  sweep erasing {due}:   {:>9.2} s  ({:.2} ms per erasure)",
        swept.as_secs_f64(),
        per(swept)
    );
    println!(
        "  sweep with nothing due:    {:>9.1} ms",
        steady.as_secs_f64() * 1e3
    );
    println!(
        "  raw Vault::shred x {raw_n}: {:>9.2} s  ({:.2} ms per subject)",
        raw.as_secs_f64(),
        per_raw(raw)
    );
    println!(
        "  raw Vault::shred_many x {raw_n}, 1000 a batch: {:>9.2} s  ({:.3} ms per subject)",
        raw_batched.as_secs_f64(),
        per_raw(raw_batched)
    );
    db.cleanup().await;
}
