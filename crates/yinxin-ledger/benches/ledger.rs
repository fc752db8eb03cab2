//! The evidence log on SQLite (issue 7 benchmarks): sustained appends per second through the
//! queue and the sequencer (batches of 4,096 leaves, one transaction each, `synchronous=FULL`),
//! and the latency of inclusion and consistency proofs (O(log n) node reads each).
//!
//! `cargo bench -p yinxin-ledger --bench ledger` — tree size for the proofs:
//! `YINXIN_BENCH_LEDGER_LEAVES` (default 1,000,000; the target is stated at 10,000,000).

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_crypto::KeyAlgorithm;
use yinxin_crypto::software::SoftwareKey;
use yinxin_ledger::{Commitment, Entry, EntryBody, Log, LogKey, Salt};
use yinxin_store::Backend;
use yinxin_store::testing::TestDb;

const BATCH: u32 = 4096;

fn entries(n: usize) -> Vec<Entry> {
    let salt = Salt::random();
    (0..n)
        .map(|i| Entry {
            time_ms: i as i64,
            body: EntryBody::Signature {
                signature: Commitment::to(&salt, &i.to_be_bytes()),
                document: Commitment::to(&salt, b"document"),
                intent: Commitment::to(&salt, b"intent"),
            },
        })
        .collect()
}

async fn fill(log: &Log, n: usize) -> Duration {
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        let take = (n - done).min(BATCH as usize);
        log.submit(&entries(take), 1).await.unwrap();
        while log.sequence(BATCH, 1).await.unwrap() > 0 {}
        done += take;
    }
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let leaves: usize = std::env::var("YINXIN_BENCH_LEDGER_LEAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (db, log) = rt.block_on(async {
        let db = TestDb::new(Backend::Sqlite).await;
        let key = LogKey::new(
            "yinxin.bench/log",
            Arc::new(SoftwareKey::generate(KeyAlgorithm::Ed25519).unwrap()),
        )
        .unwrap();
        let log = Log::new(db.stores.ledger.clone(), key, None);
        (db, log)
    });

    // Sustained appends: submit + sequence, batch after batch, to `leaves`.
    let took = rt.block_on(fill(&log, leaves));
    eprintln!(
        "ledger appends (SQLite, batches of {BATCH}, submit + sequence): {leaves} leaves in {:.2} s = {:.0} leaves/s",
        took.as_secs_f64(),
        leaves as f64 / took.as_secs_f64()
    );

    // Proof latency percentiles at that size, pseudo-random indexes.
    let size = leaves as u64;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for kind in ["inclusion", "consistency"] {
        let mut times = Vec::with_capacity(5000);
        rt.block_on(async {
            for _ in 0..5000 {
                let r = next() % size;
                let t = Instant::now();
                if kind == "inclusion" {
                    log.inclusion_proof(r, size).await.unwrap();
                } else {
                    log.consistency_proof(r.max(1), size).await.unwrap();
                }
                times.push(t.elapsed());
            }
        });
        times.sort();
        eprintln!(
            "{kind} proof at {size} leaves: p50 {:?} p99 {:?} max {:?}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or_default()
        );
    }

    let mut g = c.benchmark_group("ledger_sqlite");
    g.sample_size(20);
    g.bench_function("inclusion_proof", |b| {
        b.iter(|| {
            rt.block_on(log.inclusion_proof(next() % size, size))
                .unwrap()
        })
    });
    g.bench_function("consistency_proof", |b| {
        b.iter(|| {
            rt.block_on(log.consistency_proof((next() % size).max(1), size))
                .unwrap()
        })
    });
    g.bench_function("append_batch_4096", |b| {
        b.iter(|| rt.block_on(fill(&log, BATCH as usize)))
    });
    g.finish();
    rt.block_on(db.cleanup());
}

criterion_group!(benches, bench);
criterion_main!(benches);
