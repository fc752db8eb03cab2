//! Issue 8's export figure (BENCHMARKS.md; target < 1 s): the copy of a subject with 10,000
//! records — here consent records, each with its evidence entry, on SQLite — made by
//! `Accounts::export` (every vault field, every record list, the JSON, the Argon2id derivation
//! and the AES-256-GCM seal, the `copy` request recorded), beside the seal alone of a document
//! of the same size, so the derivation's fixed cost is visible.
//!
//!   cargo bench -p yinxin-server --bench export

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_domain::account::{ConsentAction, ConsentRecord, ConsentScope};
use yinxin_domain::ids::ConsentId;

mod common;

const RECORDS: usize = 10_000;
const PASSPHRASE: &str = "correct horse battery staple";

fn export(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, accounts, account) = rt.block_on(async {
        let (db, _, accounts) =
            common::accounts(dir.path(), |c| c.exports_per_hour = u32::MAX).await;
        let policy = accounts.current_policy().await.unwrap();
        let registration = serde_json::from_value(serde_json::json!({
            "username": "exporter",
            "password": "correct horse 42",
            "name": "王小明",
            "country_region": "CN",
            "document_type": "resident_id_card",
            "document_number": "110105198001011238",
            "mobile": "13800138000",
            "email": "exporter@example.cn",
            "accept_policy_version": policy.version,
            "consents": ["sensitive_personal_information"],
        }))
        .unwrap();
        let registered = accounts
            .register_personal(&registration, "127.0.0.1".parse().unwrap())
            .await
            .unwrap();
        for i in 0..RECORDS {
            let record = ConsentRecord {
                id: ConsentId::random(),
                account: registered.account,
                policy_version: policy.version.clone(),
                scope: ConsentScope::ThirdPartyProvision,
                action: if i % 2 == 0 {
                    ConsentAction::Given
                } else {
                    ConsentAction::Withdrawn
                },
                channel: "api".into(),
                text_sha256: "00".repeat(32),
                at: 1_796_000_000 + i as i64,
            };
            let evidence = yinxin_identity::consent_evidence(&record, None).unwrap();
            db.stores
                .accounts
                .insert_consent(&record, &evidence)
                .await
                .unwrap();
        }
        let account = db
            .stores
            .accounts
            .account(registered.account)
            .await
            .unwrap()
            .unwrap();
        (db, accounts, account)
    });
    let size = {
        let e = rt
            .block_on(accounts.export(&account, PASSPHRASE, None))
            .unwrap();
        let plain = yinxin_identity::export::open(&e, PASSPHRASE).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        assert!(doc["consents"].as_array().unwrap().len() > RECORDS);
        plain.len()
    };
    eprintln!("export document: {size} bytes, {RECORDS}+ consent records");
    let mut g = c.benchmark_group("export_10000_records");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("export", |b| {
        b.iter(|| {
            rt.block_on(accounts.export(&account, PASSPHRASE, None))
                .unwrap()
        })
    });
    let document = vec![b'x'; size];
    g.bench_function("seal_only_argon2id_aes_gcm", |b| {
        b.iter(|| yinxin_identity::export::seal(PASSPHRASE, &document).unwrap())
    });
    g.finish();
    drop(db);
}

criterion_group!(benches, export);
criterion_main!(benches);
