//! The evidence log end to end (issue 7 acceptance): the RFC 6962 test vectors of the
//! Certificate Transparency reference implementation, an independent implementation in Python,
//! and the log over the real databases (SQLite and PostgreSQL) — append, restart, append more,
//! consistency between the checkpoints, refusals, tampering found by the start-up check.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use yinxin_crypto::KeyAlgorithm;
use yinxin_crypto::software::SoftwareKey;
use yinxin_domain::ledger::{LedgerRepo, NodeHash, NodeId};
use yinxin_ledger::tree::{verify_consistency, verify_inclusion};
use yinxin_ledger::{
    Commitment, Entry, EntryBody, LedgerError, Log, LogKey, MemoryLedger, NoteVerifier, Salt,
    TreeCheck,
};
use yinxin_store::testing::TestDb;
use yinxin_store::{Backend, Stores, backend_tests};

const ORIGIN: &str = "yinxin.test/log";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hash(s: &str) -> NodeHash {
    unhex(s).try_into().unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn log_key() -> LogKey {
    LogKey::new(
        ORIGIN,
        Arc::new(SoftwareKey::generate(KeyAlgorithm::Ed25519).unwrap()),
    )
    .unwrap()
}

/// Appends raw leaf data through the queue and the sequencer.
async fn append_raw(repo: &Arc<dyn LedgerRepo>, log: &Log, leaves: &[Vec<u8>], now: i64) {
    repo.enqueue(leaves, now).await.unwrap();
    while log.sequence(10_000, now).await.unwrap() > 0 {}
}

// The 8-leaf test tree of certificate-transparency's merkle_tree_test.cc (also in trillian and
// transparency-dev/merkle testdata): leaves, the root after each, and published proofs.
const CT_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, path); the reference lists the index 1-based, here it is 0-based.
fn ct_inclusion() -> Vec<(u64, u64, Vec<&'static str>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            vec!["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            vec![
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ]
}

fn ct_consistency() -> Vec<(u64, u64, Vec<&'static str>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ]
}

fn hashes(v: &[&str]) -> Vec<NodeHash> {
    v.iter().map(|s| hash(s)).collect()
}

#[tokio::test]
async fn the_certificate_transparency_test_vectors_hold_one_leaf_at_a_time() {
    let repo: Arc<dyn LedgerRepo> = Arc::new(MemoryLedger::default());
    let log = Log::new(repo.clone(), log_key(), None);
    for (n, leaf) in CT_LEAVES.iter().enumerate() {
        append_raw(&repo, &log, &[unhex(leaf)], 1).await;
        assert_eq!(
            log.root_at(n as u64 + 1).await.unwrap(),
            hash(CT_ROOTS[n]),
            "root after {} leaves",
            n + 1
        );
    }
    // Roots of every earlier size, from the final tree's stored nodes.
    for n in 1..=8u64 {
        assert_eq!(
            log.root_at(n).await.unwrap(),
            hash(CT_ROOTS[n as usize - 1])
        );
    }
    for (index, size, path) in ct_inclusion() {
        let p = log.inclusion_proof(index, size).await.unwrap();
        assert_eq!(p.path, hashes(&path), "inclusion of {index} in {size}");
        let root = hash(CT_ROOTS[size as usize - 1]);
        verify_inclusion(index, size, &p.leaf_hash, &p.path, &root).unwrap();
    }
    for (from, to, path) in ct_consistency() {
        let p = log.consistency_proof(from, to).await.unwrap();
        assert_eq!(p, hashes(&path), "consistency {from} → {to}");
        let (a, b) = (
            hash(CT_ROOTS[from as usize - 1]),
            hash(CT_ROOTS[to as usize - 1]),
        );
        verify_consistency(from, to, &a, &b, &p).unwrap();
        if from != to {
            assert!(verify_consistency(from, to, &b, &a, &p).is_err());
        }
    }
}

#[tokio::test]
async fn an_independent_python_implementation_agrees_on_every_root_and_proof() {
    const N: usize = 37;
    let leaves: Vec<Vec<u8>> = (0..N)
        .map(|i| (0..(i * 7 % 23)).map(|j| (i * 31 + j) as u8).collect())
        .collect();
    let repo: Arc<dyn LedgerRepo> = Arc::new(MemoryLedger::default());
    let log = Log::new(repo.clone(), log_key(), None);
    // In uneven batches, so that integration across batch boundaries is covered.
    let mut at = 0;
    for batch in [1, 2, 5, 8, 13, 8] {
        append_raw(&repo, &log, &leaves[at..at + batch], 1).await;
        at += batch;
    }
    assert_eq!(at, N);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rfc6962.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (the independent implementation)");
    let input: String = leaves.iter().map(|l| format!("{}\n", hex(l))).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the Python implementation failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let list = |s: Option<&str>| -> Vec<String> {
        s.unwrap_or("")
            .split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut checked = 0;
    for line in text.lines() {
        let mut f = line.split(' ');
        match f.next() {
            Some("root") => {
                let n: u64 = f.next().unwrap().parse().unwrap();
                assert_eq!(
                    hex(&log.root_at(n).await.unwrap()),
                    f.next().unwrap(),
                    "root {n}"
                );
            }
            Some("inclusion") => {
                let m: u64 = f.next().unwrap().parse().unwrap();
                let n: u64 = f.next().unwrap().parse().unwrap();
                let p = log.inclusion_proof(m, n).await.unwrap();
                let ours: Vec<String> = p.path.iter().map(|h| hex(h)).collect();
                assert_eq!(ours, list(f.next()), "inclusion {m} in {n}");
            }
            Some("consistency") => {
                let m: u64 = f.next().unwrap().parse().unwrap();
                let n: u64 = f.next().unwrap().parse().unwrap();
                let p = log.consistency_proof(m, n).await.unwrap();
                let ours: Vec<String> = p.iter().map(|h| hex(h)).collect();
                assert_eq!(ours, list(f.next()), "consistency {m} → {n}");
            }
            other => panic!("unexpected line {other:?}"),
        }
        checked += 1;
    }
    // N roots, N(N+1)/2 inclusion proofs, N(N+1)/2 consistency proofs.
    assert_eq!(checked, N + N * (N + 1));
}

fn entry(i: u8, time_ms: i64) -> Entry {
    let salt = Salt::random();
    let body = match i % 4 {
        0 => EntryBody::CertificateIssued {
            certificate: Commitment::to(&salt, &[i; 40]),
        },
        1 => EntryBody::ConsentGiven {
            consent: Commitment::to(&salt, &[i; 12]),
        },
        2 => EntryBody::Disclosure {
            disclosure: Commitment::to(&salt, &[i; 12]),
        },
        _ => EntryBody::StaffPiAccess {
            access: Commitment::to(&salt, &[i; 12]),
        },
    };
    Entry { time_ms, body }
}

async fn submit_and_sequence(log: &Log, from: u8, count: u8, now: i64) {
    let entries: Vec<Entry> = (from..from + count).map(|i| entry(i, now)).collect();
    log.submit(&entries, now).await.unwrap();
    while log.sequence(7, now).await.unwrap() > 0 {}
}

fn field_of(e: LedgerError) -> &'static str {
    match e {
        LedgerError::Input { field, .. } => field,
        other => panic!("expected an input error, got {other}"),
    }
}

async fn append_restart_append_and_the_checkpoints_are_consistent(db: &TestDb) {
    let key = log_key();
    let first = Log::new(db.stores.ledger.clone(), key.clone(), Some("node-a".into()));
    assert!(first.sign_checkpoint(1_000).await.unwrap().size == 0);
    submit_and_sequence(&first, 0, 20, 1_000).await;
    let one = first.sign_checkpoint(1_001).await.unwrap();
    assert_eq!(one.size, 20);
    first.step_down().await.unwrap();

    // A new instance over the same database: what a restarted server (or another node) is.
    let reopened = Stores::open(&db.config).await.unwrap();
    let second = Log::new(reopened.ledger.clone(), key.clone(), Some("node-b".into()));
    let report = second
        .verify_stored_tree(TreeCheck::EveryNode)
        .await
        .unwrap();
    assert_eq!((report.leaves, report.checkpoint_size), (20, 20));
    submit_and_sequence(&second, 20, 31, 2_000).await;
    let two = second.sign_checkpoint(2_001).await.unwrap();
    assert_eq!(two.size, 51);

    // Verified as an outsider would: the published key, the two notes, the proof.
    let v = NoteVerifier::parse(&second.vkey()).unwrap();
    let (a, b) = (v.open(&one.note).unwrap(), v.open(&two.note).unwrap());
    let proof = second.consistency_proof(a.size, b.size).await.unwrap();
    verify_consistency(a.size, b.size, &a.root, &b.root, &proof).unwrap();
    for index in [0, 19, 20, 50] {
        let p = second.inclusion_proof(index, b.size).await.unwrap();
        let data = second.entry(index).await.unwrap();
        assert_eq!(p.leaf_hash, yinxin_ledger::tree::leaf_hash(&data));
        Entry::decode(&data).unwrap();
        verify_inclusion(index, b.size, &p.leaf_hash, &p.path, &b.root).unwrap();
    }
    // Nothing new: the same checkpoint, not a second one of the same size.
    assert_eq!(second.sign_checkpoint(2_002).await.unwrap(), two);
    reopened.close().await;
}

async fn one_sequencer_per_database(db: &TestDb) {
    let key = log_key();
    let a = Log::new(db.stores.ledger.clone(), key.clone(), Some("node-a".into()));
    let b = Log::new(db.stores.ledger.clone(), key, Some("node-b".into()));
    submit_and_sequence(&a, 0, 3, 10_000).await;
    b.submit(&[entry(9, 10_001)], 10_001).await.unwrap();
    assert!(matches!(
        b.sequence(100, 10_001).await,
        Err(LedgerError::NotSequencer)
    ));
    assert!(matches!(
        b.sign_checkpoint(10_001).await,
        Err(LedgerError::NotSequencer)
    ));
    // Once a's lease runs out (30 s), b takes over and integrates what b submitted.
    assert_eq!(b.sequence(100, 40_001).await.unwrap(), 1);
    assert!(matches!(
        a.sequence(100, 40_002).await,
        Err(LedgerError::NotSequencer)
    ));
    assert_eq!(b.size().await.unwrap(), 4);
}

async fn bad_requests_name_the_field(db: &TestDb) {
    let log = Log::new(db.stores.ledger.clone(), log_key(), None);
    submit_and_sequence(&log, 0, 5, 1).await;
    let e = log.inclusion_proof(5, 5).await.unwrap_err();
    assert!(e.to_string().starts_with("index: 5 is beyond"), "{e}");
    assert_eq!(field_of(e), "index");
    assert_eq!(
        field_of(log.inclusion_proof(0, 0).await.unwrap_err()),
        "size"
    );
    let e = log.inclusion_proof(0, 6).await.unwrap_err();
    assert!(e.to_string().contains("larger than the tree"), "{e}");
    assert_eq!(field_of(e), "size");
    assert_eq!(
        field_of(log.consistency_proof(0, 3).await.unwrap_err()),
        "from"
    );
    let e = log.consistency_proof(4, 3).await.unwrap_err();
    assert!(
        e.to_string().starts_with("from: 4 is larger than to (3)"),
        "{e}"
    );
    assert_eq!(
        field_of(log.consistency_proof(1, 9).await.unwrap_err()),
        "to"
    );
    assert_eq!(field_of(log.entry(5).await.unwrap_err()), "index");
}

fn bytes_literal(backend: Backend, b: &[u8]) -> String {
    match backend {
        Backend::Sqlite => format!("X'{}'", hex(b)),
        Backend::Postgres => format!("'\\x{}'::bytea", hex(b)),
    }
}

/// Runs `sql` (an edit of `table`) as someone with the database owner's rights would: the
/// append-only trigger refuses it first; once they drop the trigger, it goes through.
async fn edit_by_hand(db: &TestDb, table: &str, sql: &str) -> u64 {
    let refused = db.stores.execute_raw(sql).await.unwrap_err();
    assert!(refused.contains("append-only"), "{refused}");
    let drop = match db.stores.backend() {
        Backend::Sqlite => format!("DROP TRIGGER {table}_append_only"),
        Backend::Postgres => format!("DROP TRIGGER {table}_append_only ON {table}"),
    };
    db.stores.execute_raw(&drop).await.unwrap();
    db.stores.execute_raw(sql).await.unwrap()
}

async fn a_leaf_edited_in_the_database_fails_the_start_up_check(db: &TestDb) {
    let log = Log::new(db.stores.ledger.clone(), log_key(), None);
    submit_and_sequence(&log, 0, 12, 1).await;
    log.sign_checkpoint(2).await.unwrap();
    log.verify_stored_tree(TreeCheck::Leaves).await.unwrap();

    // Someone with database access rewrites leaf 3 (keeping it a well-formed entry).
    let forged = entry(3, 1).encode().unwrap();
    let sql = format!(
        "UPDATE ledger_leaves SET entry = {} WHERE idx = 3",
        bytes_literal(db.stores.backend(), &forged)
    );
    assert_eq!(edit_by_hand(db, "ledger_leaves", &sql).await, 1);
    for depth in [TreeCheck::Leaves, TreeCheck::EveryNode] {
        let e = log.verify_stored_tree(depth).await.unwrap_err();
        assert!(matches!(e, LedgerError::TreeMismatch(_)), "{e}");
        assert!(
            e.to_string()
                .contains("does not match its last signed checkpoint"),
            "{e}"
        );
    }
}

async fn an_interior_node_edited_in_the_database_is_found(db: &TestDb) {
    let log = Log::new(db.stores.ledger.clone(), log_key(), None);
    submit_and_sequence(&log, 0, 12, 1).await;
    log.sign_checkpoint(2).await.unwrap();
    // Node (level 1, index 2) covers leaves 4 and 5; it is inside the left 8-leaf subtree, so
    // no root reads it: only the node-by-node check can see it.
    let key = NodeId { level: 1, index: 2 }.key().unwrap();
    let sql = format!(
        "UPDATE ledger_nodes SET hash = {} WHERE id = {key}",
        bytes_literal(db.stores.backend(), &[0xee; 32])
    );
    assert_eq!(edit_by_hand(db, "ledger_nodes", &sql).await, 1);
    log.verify_stored_tree(TreeCheck::Leaves).await.unwrap();
    let e = log
        .verify_stored_tree(TreeCheck::EveryNode)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("level 1, index 2"), "{e}");
}

async fn a_checkpoint_that_does_not_extend_the_last_is_refused(db: &TestDb) {
    let log = Log::new(db.stores.ledger.clone(), log_key(), None);
    submit_and_sequence(&log, 0, 6, 1).await;
    log.sign_checkpoint(2).await.unwrap();
    submit_and_sequence(&log, 6, 4, 3).await;
    // Rewrite history below the checkpoint: leaf 1's hash, and every node above it, as a
    // careless repair would — the new tree is self-consistent but is not an extension.
    let forged = entry(1, 1).encode().unwrap();
    let mut f = yinxin_ledger::tree::Frontier::empty();
    let mut nodes = vec![];
    for i in 0..10u64 {
        let data = if i == 1 {
            forged.clone()
        } else {
            log.entry(i).await.unwrap()
        };
        f.push(yinxin_ledger::tree::leaf_hash(&data), |id, h| {
            nodes.push((id, h))
        });
    }
    let b = db.stores.backend();
    for (n, (id, h)) in nodes.into_iter().enumerate() {
        let sql = format!(
            "UPDATE ledger_nodes SET hash = {} WHERE id = {}",
            bytes_literal(b, &h),
            id.key().unwrap()
        );
        if n == 0 {
            edit_by_hand(db, "ledger_nodes", &sql).await;
        } else {
            db.stores.execute_raw(&sql).await.unwrap();
        }
    }
    let root = bytes_literal(b, &f.root());
    db.stores
        .execute_raw(&format!(
            "UPDATE ledger_state SET root = {root} WHERE id = 1"
        ))
        .await
        .unwrap();
    let e = log.sign_checkpoint(4).await.unwrap_err();
    assert!(matches!(e, LedgerError::Inconsistent(_)), "{e}");
    assert!(
        e.to_string()
            .contains("does not extend the last checkpoint of 6"),
        "{e}"
    );
}

/// Issue 7 acceptance, PRIV-16: a subject's records are committed to with salts kept beside the
/// records; after erasure (record and salt gone) their leaves still verify, and nothing the log
/// holds — leaves, nodes, checkpoints, on SQLite the whole database file — carries their PI or
/// even the unsalted hash of a record.
async fn after_erasure_the_leaves_verify_and_reveal_nothing(db: &TestDb) {
    use sha2::{Digest, Sha256};
    let log = Log::new(db.stores.ledger.clone(), log_key(), None);
    let name = "张三丰-synthetic-测试".as_bytes();
    let id_number = b"11010519491231002X";
    let record = [name, &id_number[..]].concat();
    let salt = Salt::random();
    let consent = Entry {
        time_ms: 7,
        body: EntryBody::ConsentGiven {
            consent: Commitment::to(&salt, &record),
        },
    };
    log.submit(std::slice::from_ref(&consent), 7).await.unwrap();
    submit_and_sequence(&log, 0, 3, 8).await;
    let cp = log.sign_checkpoint(9).await.unwrap();

    // The record and its salt open leaf 0 while they exist.
    let leaf = log.entry(0).await.unwrap();
    let EntryBody::ConsentGiven { consent: k } = Entry::decode(&leaf).unwrap().body else {
        panic!("leaf 0 is the consent");
    };
    assert!(k.opens_to(&salt, &record));
    drop(salt); // erasure: the record's row and its salt are deleted, the salt wiped (PRIV-16).

    let p = log.inclusion_proof(0, cp.size).await.unwrap();
    verify_inclusion(0, cp.size, &p.leaf_hash, &p.path, &cp.root).unwrap();

    let unsalted: [u8; 32] = Sha256::digest(&record).into();
    let forbidden: [&[u8]; 3] = [name, id_number, &unsalted];
    let mut held = Vec::new();
    for i in 0..cp.size {
        held.extend(log.entry(i).await.unwrap());
    }
    held.extend(cp.note.as_bytes());
    if let Some(file) = db.sqlite_data_file() {
        db.stores.close().await;
        held.extend(std::fs::read(file).unwrap());
    }
    for f in forbidden {
        assert!(
            !held.windows(f.len()).any(|w| w == f),
            "the log holds {} bytes of the erased record",
            f.len()
        );
    }
}

/// An anchor that records what it was given and signs nothing: its receipt is the note's
/// SHA-256 (what an RFC 3161 token's imprint would be), or it fails when told to.
#[derive(Debug, Default)]
struct Notary {
    seen: std::sync::Mutex<Vec<String>>,
    failing: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl yinxin_ledger::anchor::Anchor for Notary {
    fn name(&self) -> &str {
        "test:notary"
    }

    async fn anchor(&self, note: &str) -> Result<Vec<u8>, String> {
        use sha2::{Digest, Sha256};
        if self.failing.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("the notary is closed".into());
        }
        self.seen.lock().unwrap().push(note.to_owned());
        Ok(Sha256::digest(note.as_bytes()).to_vec())
    }
}

/// Issue 7 items 3 and 5: a leaf's bundle is found by its hash (and a record's through the leaf
/// hash stored beside its salt); it verifies offline with the published key and fails with any
/// other key or any changed byte; it is proved against the first *anchored* checkpoint that
/// holds the leaf, carrying that checkpoint's receipts; the anchor is asked once per
/// checkpoint, a failing anchor is retried; only the sequencer anchors.
async fn bundles_prove_a_leaf_against_an_anchored_checkpoint(db: &TestDb) {
    use yinxin_ledger::anchor::{Anchor, AnchorOutcome};
    use yinxin_ledger::bundle::{Bundle, TlogProof};
    let log = Log::new(db.stores.ledger.clone(), log_key(), Some("node-a".into()));
    let v = NoteVerifier::parse(&log.vkey()).unwrap();
    submit_and_sequence(&log, 0, 5, 1_000).await;
    let wanted = log.entry(3).await.unwrap();
    let leaf = yinxin_ledger::tree::leaf_hash(&wanted);

    // Integrated but not under a checkpoint yet: not found; beyond the tree: refused, named.
    // (By hash, only a record's entry is found — through the hash kept beside its salt — and
    // these entries have no record: the HTTP tests find records' leaves by hash.)
    match log.bundle_at(3).await {
        Err(LedgerError::NotFound(m)) => assert!(m.contains("not yet under"), "{m}"),
        other => panic!("expected not found, got {other:?}"),
    }
    assert_eq!(field_of(log.bundle_at(5).await.unwrap_err()), "index");
    match log.bundle(&[0u8; 32]).await {
        Err(LedgerError::NotFound(m)) => assert!(m.starts_with("leaf_hash:"), "{m}"),
        other => panic!("expected not found, got {other:?}"),
    }
    let five = log.sign_checkpoint(1_001).await.unwrap();
    let b = log.bundle_at(3).await.unwrap();
    assert!(b.anchors.is_empty());
    let (_, proof) = Bundle::parse(b.to_json().as_bytes()).unwrap();
    let report = proof.verify(&v).unwrap();
    assert_eq!((report.index, report.checkpoint.size), (3, 5));
    assert_eq!(report.leaf_hash, leaf);
    assert_eq!(proof.extra.as_deref(), Some(wanted.as_slice()));

    // Anchored: the receipt is over the checkpoint's note; asked once; and a bundle made after
    // the log grew is still proved against the anchored checkpoint, with its receipt.
    let notary = Arc::new(Notary::default());
    let anchors: Vec<Arc<dyn Anchor>> = vec![notary.clone()];
    let out = log.anchor_latest(&anchors, 1_002).await.unwrap();
    assert_eq!(
        out,
        vec![AnchorOutcome::Anchored {
            anchor: "test:notary".into(),
            size: 5
        }]
    );
    assert_eq!(
        notary.seen.lock().unwrap().as_slice(),
        std::slice::from_ref(&five.note)
    );
    let out = log.anchor_latest(&anchors, 1_003).await.unwrap();
    assert!(matches!(out[0], AnchorOutcome::UpToDate { .. }), "{out:?}");
    submit_and_sequence(&log, 5, 4, 1_004).await;
    let nine = log.sign_checkpoint(1_005).await.unwrap();
    let b = log.bundle_at(3).await.unwrap();
    let (parsed, proof) = Bundle::parse(b.to_json().as_bytes()).unwrap();
    assert_eq!(proof.verify(&v).unwrap().checkpoint.size, 5);
    let receipts = parsed.receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].0, "test:notary");
    {
        use sha2::{Digest, Sha256};
        assert_eq!(receipts[0].1, Sha256::digest(five.note.as_bytes()).to_vec());
    }
    // A leaf after the anchored checkpoint is proved against the latest one, no receipt yet.
    let b7 = log.bundle_at(7).await.unwrap();
    assert!(b7.anchors.is_empty());
    let (_, p7) = Bundle::parse(b7.to_json().as_bytes()).unwrap();
    assert_eq!(p7.verify(&v).unwrap().checkpoint.size, nine.size);

    // A failing anchor is reported, stores nothing, and is asked again next time.
    notary
        .failing
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let out = log.anchor_latest(&anchors, 1_006).await.unwrap();
    assert!(matches!(&out[0], AnchorOutcome::Failed { reason, .. } if reason.contains("closed")));
    assert!(
        db.stores
            .ledger
            .anchors(nine.size)
            .await
            .unwrap()
            .is_empty()
    );
    notary
        .failing
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let out = log.anchor_latest(&anchors, 1_007).await.unwrap();
    assert!(
        matches!(out[0], AnchorOutcome::Anchored { size: 9, .. }),
        "{out:?}"
    );

    // Only the sequencer anchors.
    let other = Log::new(db.stores.ledger.clone(), log_key(), Some("node-b".into()));
    assert!(matches!(
        other.anchor_latest(&anchors, 1_008).await,
        Err(LedgerError::NotSequencer)
    ));

    // Another key, a changed entry, a changed path hash, another index: each refused, named.
    let other_key = NoteVerifier::parse(&other.vkey()).unwrap();
    assert_eq!(proof.verify(&other_key).unwrap_err().field, "checkpoint");
    let mut changed = proof.clone();
    changed.extra.as_mut().unwrap()[12] ^= 1;
    assert_eq!(changed.verify(&v).unwrap_err().field, "inclusion");
    let mut changed = proof.clone();
    changed.path[0][0] ^= 1;
    assert_eq!(changed.verify(&v).unwrap_err().field, "inclusion");
    let moved = TlogProof {
        index: 2,
        ..proof.clone()
    };
    assert_eq!(moved.verify(&v).unwrap_err().field, "inclusion");
    let bare = TlogProof {
        extra: None,
        ..proof.clone()
    };
    assert_eq!(bare.verify(&v).unwrap_err().field, "extra");
    // The bare tlog-proof text verifies on its own too (the C2SP form).
    let (_, again) = Bundle::parse(proof.render().as_bytes()).unwrap();
    assert_eq!(again.verify(&v).unwrap().index, 3);

    // A record's bundle goes through the leaf hash stored beside its salt.
    match log.bundle_of("signature", "no-such-record").await {
        Err(LedgerError::NotFound(m)) => assert!(m.starts_with("signature:"), "{m}"),
        other => panic!("expected not found, got {other:?}"),
    }
}

backend_tests!(
    bundles_prove_a_leaf_against_an_anchored_checkpoint,
    append_restart_append_and_the_checkpoints_are_consistent,
    one_sequencer_per_database,
    bad_requests_name_the_field,
    a_leaf_edited_in_the_database_fails_the_start_up_check,
    an_interior_node_edited_in_the_database_is_found,
    a_checkpoint_that_does_not_extend_the_last_is_refused,
    after_erasure_the_leaves_verify_and_reveal_nothing,
);

#[tokio::test]
async fn the_memory_store_finds_a_tampered_leaf_too() {
    let mem = Arc::new(MemoryLedger::default());
    let log = Log::new(mem.clone(), log_key(), None);
    submit_and_sequence(&log, 0, 9, 1).await;
    log.sign_checkpoint(2).await.unwrap();
    mem.tamper_leaf(8, vec![1, 2, 3]).unwrap();
    assert!(matches!(
        log.verify_stored_tree(TreeCheck::Leaves).await,
        Err(LedgerError::TreeMismatch(_))
    ));
}

/// Writes the seed corpus of the `log_bundle` fuzz target (`fuzz/corpus/log_bundle/`) and the
/// verifier key it checks against (`fuzz/fuzz_targets/log_bundle.vkey`). Run by hand:
/// `cargo nextest run -p yinxin-ledger --run-ignored only write_fuzz_corpus`.
#[tokio::test]
#[ignore = "writes the fuzz seed corpus"]
async fn write_fuzz_corpus() {
    use base64::Engine;
    use yinxin_ledger::bundle::{Bundle, BundleAnchor};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let out = root.join("corpus/log_bundle");
    std::fs::create_dir_all(&out).unwrap();
    let log = Log::new(Arc::new(MemoryLedger::default()), log_key(), None);
    std::fs::write(root.join("fuzz_targets/log_bundle.vkey"), log.vkey() + "\n").unwrap();
    submit_and_sequence(&log, 0, 6, 1_000).await;
    log.sign_checkpoint(1_001).await.unwrap();
    let bundle = log.bundle_at(4).await.unwrap();
    std::fs::write(out.join("bundle.json"), bundle.to_json()).unwrap();
    std::fs::write(out.join("proof.tlog-proof"), &bundle.tlog_proof).unwrap();
    let anchored = Bundle {
        anchors: vec![BundleAnchor {
            anchor: "rfc3161:https://tsa.example/".into(),
            receipt: base64::engine::general_purpose::STANDARD.encode([0x30, 0x03, 2, 1, 0]),
            anchored_at: 1_002,
        }],
        ..bundle.clone()
    };
    std::fs::write(out.join("anchored.json"), anchored.to_json()).unwrap();
    let single = log.bundle_at(0).await.unwrap();
    std::fs::write(out.join("first.tlog-proof"), &single.tlog_proof).unwrap();
    let t = &bundle.tlog_proof;
    std::fs::write(out.join("truncated.tlog-proof"), &t[..t.len() / 2]).unwrap();
}

/// The committed seeds of the `log_bundle` fuzz target read as they should: the bundles and
/// proofs verify with the committed key, the truncated one is refused.
#[test]
fn fuzz_seeds_read_as_expected() {
    use yinxin_ledger::bundle::Bundle;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let vkey = std::fs::read_to_string(root.join("fuzz_targets/log_bundle.vkey")).unwrap();
    let v = NoteVerifier::parse(vkey.trim()).unwrap();
    let seed = |n: &str| std::fs::read(root.join("corpus/log_bundle").join(n)).unwrap();
    for (name, index) in [
        ("bundle.json", 4),
        ("proof.tlog-proof", 4),
        ("anchored.json", 4),
        ("first.tlog-proof", 0),
    ] {
        let (_, proof) = Bundle::parse(&seed(name)).unwrap();
        assert_eq!(proof.verify(&v).unwrap().index, index, "{name}");
    }
    assert!(Bundle::parse(&seed("truncated.tlog-proof")).is_err());
}
