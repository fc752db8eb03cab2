//! Blind-index lookup among 1,000,000 subjects, on SQLite and on PostgreSQL, through
//! `Vault::find` (HMAC of the normalized value + indexed query).
//!
//! Run: `cargo bench -p yinxin-privacy --bench blind_index`
//! (PostgreSQL at TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres.)
//!
//! The first run loads 1,000,000 index entries into `target/bench-data/` (SQLite) and into the
//! database `yinxin_bench_blind_index` (PostgreSQL), bulk-inserted with the vault's own digests;
//! later runs reuse them. Before criterion's mean, a latency distribution of 20,000 random lookups
//! is printed (p50/p90/p99/p99.9/max), since the target is a p99.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::Rng;
use sqlx::{Connection, Executor};
use yinxin_domain::inventory::PERSON_DOCUMENT_NUMBER as FIELD;
use yinxin_privacy::Cipher;
use yinxin_privacy::master_key::MasterKey;
use yinxin_privacy::vault::Vault;
use yinxin_store::{StoreConfig, Stores};

const SUBJECTS: u64 = 1_000_000;
const PG_DB: &str = "yinxin_bench_blind_index";

fn value(i: u64) -> String {
    format!("1101051949{i:08}")
}

fn subject(i: u64) -> String {
    uuid::Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 | u128::from(i)).to_string()
}

fn bench_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data/blind-index");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn master_key(path: &std::path::Path) -> (MasterKey, bool) {
    match MasterKey::load(path) {
        Ok(k) => (k, false),
        Err(_) => {
            let _ = std::fs::remove_file(path);
            let k = MasterKey::generate();
            k.write_new(path).unwrap();
            (k, true)
        }
    }
}

async fn open(config: &StoreConfig, key: &MasterKey) -> (Stores, Vault) {
    let stores = Stores::open(config).await.unwrap();
    stores.migrate().await.unwrap();
    let vault = Vault::open(
        key,
        stores.keys.clone(),
        stores.pi.clone(),
        Cipher::Aes256Gcm,
    )
    .await
    .unwrap();
    (stores, vault)
}

fn digests(vault: &Vault, range: std::ops::Range<u64>) -> (Vec<String>, Vec<Vec<u8>>, Vec<String>) {
    let mut f = Vec::new();
    let mut d = Vec::new();
    let mut s = Vec::new();
    for i in range {
        f.push(FIELD.name.to_owned());
        d.push(vault.blind_digest(&FIELD, &value(i)).unwrap().unwrap());
        s.push(subject(i));
    }
    (f, d, s)
}

async fn sqlite_fixture() -> (Stores, Vault) {
    let dir = bench_dir().join("sqlite");
    let (key, fresh) = master_key(&bench_dir().join("sqlite-master.key"));
    if fresh {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).unwrap();
    let config = StoreConfig::sqlite_in(&dir);
    let (stores, vault) = open(&config, &key).await;
    let url = config.data.url.clone();
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pi_blind_index")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    if n as u64 != SUBJECTS {
        eprintln!("loading {SUBJECTS} blind-index entries into SQLite (once)...");
        conn.execute("DELETE FROM pi_blind_index").await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        for chunk in (0..SUBJECTS).step_by(500) {
            let (f, d, s) = digests(&vault, chunk..(chunk + 500).min(SUBJECTS));
            let mut q =
                String::from("INSERT INTO pi_blind_index (field, digest, subject_id) VALUES ");
            for i in 0..f.len() {
                if i > 0 {
                    q.push(',');
                }
                q.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            let mut query = sqlx::query(&q);
            for i in 0..f.len() {
                query = query.bind(&f[i]).bind(&d[i]).bind(&s[i]);
            }
            query.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        conn.execute("ANALYZE").await.unwrap();
    }
    (stores, vault)
}

async fn postgres_fixture() -> (Stores, Vault) {
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let (key, fresh) = master_key(&bench_dir().join("pg-master.key"));
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    if fresh {
        conn.execute(format!("DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)").as_str())
            .await
            .unwrap();
    }
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(PG_DB)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    if exists.is_none() {
        conn.execute(format!("CREATE DATABASE {PG_DB}").as_str())
            .await
            .unwrap();
    }
    let url = format!("{}/{PG_DB}", admin.rsplit_once('/').unwrap().0);
    let (stores, vault) = open(&StoreConfig::postgres(&url, None), &key).await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pi_blind_index")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    if n as u64 != SUBJECTS {
        eprintln!("loading {SUBJECTS} blind-index entries into PostgreSQL (once)...");
        conn.execute("TRUNCATE pi_blind_index").await.unwrap();
        for chunk in (0..SUBJECTS).step_by(20_000) {
            let (f, d, s) = digests(&vault, chunk..(chunk + 20_000).min(SUBJECTS));
            sqlx::query(
                "INSERT INTO pi_blind_index (field, digest, subject_id) \
                 SELECT * FROM UNNEST($1::text[], $2::bytea[], $3::text[])",
            )
            .bind(&f)
            .bind(&d)
            .bind(&s)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.execute("VACUUM ANALYZE pi_blind_index").await.unwrap();
    }
    (stores, vault)
}

fn distribution(rt: &tokio::runtime::Runtime, vault: &Vault, backend: &str) {
    const N: usize = 20_000;
    let mut rng = rand::thread_rng();
    let mut lat: Vec<Duration> = Vec::with_capacity(N);
    rt.block_on(async {
        for _ in 0..1_000 {
            vault
                .find(&FIELD, &value(rng.gen_range(0..SUBJECTS)))
                .await
                .unwrap();
        }
        for _ in 0..N {
            let i = rng.gen_range(0..SUBJECTS);
            let t = Instant::now();
            let found = vault.find(&FIELD, &value(i)).await.unwrap();
            lat.push(t.elapsed());
            assert_eq!(found.len(), 1, "subject {i} must be found exactly once");
        }
    });
    lat.sort();
    let p = |q: f64| lat[((N as f64 * q) as usize).min(N - 1)].as_secs_f64() * 1e6;
    println!(
        "blind-index lookup among {SUBJECTS} subjects ({backend}), {N} random lookups: \
         p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
        p(0.50),
        p(0.90),
        p(0.99),
        p(0.999),
        lat[N - 1].as_secs_f64() * 1e6
    );
}

fn lookups(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for backend in ["sqlite", "postgres"] {
        let (stores, vault) = rt.block_on(async {
            match backend {
                "sqlite" => sqlite_fixture().await,
                _ => postgres_fixture().await,
            }
        });
        distribution(&rt, &vault, backend);
        let mut rng = rand::thread_rng();
        c.bench_function(
            &format!("blind-index lookup among 1M subjects ({backend})"),
            |b| {
                b.iter(|| {
                    let i = rng.gen_range(0..SUBJECTS);
                    rt.block_on(async { black_box(vault.find(&FIELD, &value(i)).await.unwrap()) })
                });
            },
        );
        rt.block_on(stores.close());
    }
}

criterion_group!(benches, lookups);
criterion_main!(benches);
