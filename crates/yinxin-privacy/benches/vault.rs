//! Vault sealing cost: seal + open of a 64-byte field, beside the raw AEAD primitive it is built on,
//! and the whole `Vault::put` + `Vault::get` path through SQLite.
//!
//! Run: `cargo bench -p yinxin-privacy --bench vault`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use yinxin_domain::SubjectId;
use yinxin_domain::inventory::IDCARD_ADDRESS as FIELD;
use yinxin_privacy::Cipher;
use yinxin_privacy::master_key::MasterKey;
use yinxin_privacy::vault::{Vault, open_with_data_key, seal_with_data_key};
use yinxin_store::testing::TestDb;

const VALUE: [u8; 64] = [0x5a; 64];

fn seal_open(c: &mut Criterion) {
    let key = [7u8; 32];
    let subject = SubjectId::random();
    let mut g = c.benchmark_group("seal+open 64-byte field");
    g.throughput(Throughput::Elements(1));
    for cipher in [Cipher::Aes256Gcm, Cipher::Sm4Gcm] {
        g.bench_function(format!("vault {}", cipher.name()), |b| {
            b.iter(|| {
                let blob = seal_with_data_key(cipher, &key, subject, FIELD.name, black_box(&VALUE));
                let plain = open_with_data_key(&key, subject, FIELD.name, &blob).unwrap();
                black_box(plain);
            });
        });
    }
    // The raw primitive: a keyed cipher reused, a fixed nonce, the same AAD length. What the vault
    // adds on top is a fresh key schedule per call, a random nonce, and the blob framing.
    let aes = Aes256Gcm::new(&key.into());
    let nonce = Nonce::from_slice(&[1u8; 12]);
    let aad = [0u8; 43];
    g.bench_function("raw aes-256-gcm encrypt+decrypt (cipher reused)", |b| {
        b.iter(|| {
            let ct = aes
                .encrypt(
                    nonce,
                    Payload {
                        msg: black_box(&VALUE),
                        aad: &aad,
                    },
                )
                .unwrap();
            black_box(
                aes.decrypt(
                    nonce,
                    Payload {
                        msg: &ct,
                        aad: &aad,
                    },
                )
                .unwrap(),
            );
        });
    });
    g.finish();
}

fn put_get_sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (db, vault) = rt.block_on(async {
        let db = TestDb::new(yinxin_store::Backend::Sqlite).await;
        let v = Vault::open(
            &MasterKey::generate(),
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::Aes256Gcm,
        )
        .await
        .unwrap();
        (db, v)
    });
    let subject = SubjectId::random();
    let mut g = c.benchmark_group("vault put+get through SQLite (synchronous=FULL)");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.bench_function("put+get 64-byte field", |b| {
        b.iter(|| {
            rt.block_on(async {
                vault.put(subject, &FIELD, &VALUE).await.unwrap();
                black_box(vault.get(subject, &FIELD).await.unwrap());
            });
        });
    });
    g.bench_function("get 64-byte field", |b| {
        b.iter(|| rt.block_on(async { black_box(vault.get(subject, &FIELD).await.unwrap()) }));
    });
    g.finish();
    rt.block_on(db.cleanup());
}

criterion_group!(benches, seal_open, put_get_sqlite);
criterion_main!(benches);
