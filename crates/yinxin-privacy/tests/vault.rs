//! The vault over real stores: every check runs on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use yinxin_domain::ErrorCode;
use yinxin_domain::SubjectId;
use yinxin_domain::inventory::{
    ACCOUNT_USERNAME, BIOMETRIC_FACE, PERSON_DOCUMENT_NUMBER, PERSON_EMAIL, PERSON_MOBILE,
    PERSON_NAME, SUPPORT_RECORD,
};
use yinxin_domain::pi::Purpose;
use yinxin_domain::repo::SealedField;
use yinxin_privacy::Cipher;
use yinxin_privacy::master_key::MasterKey;
use yinxin_privacy::vault::{MasterKeyCheck, Vault, VaultError, declared_field};
use yinxin_store::testing::TestDb;
use yinxin_store::{StoreConfig, Stores, backend_tests};

/// Seeded personal information. Every test that looks for leaks looks for these.
const NAME: &str = "张三丰";
const ID_NUMBER: &str = "11010519491231002X";
const MOBILE: &str = "13912345678";
const EMAIL: &str = "zhang.sanfeng@example.cn";

async fn vault(db: &TestDb, master: &MasterKey, cipher: Cipher) -> Vault {
    Vault::open(master, db.stores.keys.clone(), db.stores.pi.clone(), cipher)
        .await
        .unwrap()
}

async fn person(v: &Vault) -> SubjectId {
    let s = SubjectId::random();
    v.put_str(s, &PERSON_NAME, NAME).await.unwrap();
    v.put_str(s, &PERSON_DOCUMENT_NUMBER, ID_NUMBER)
        .await
        .unwrap();
    v.put_str(s, &PERSON_MOBILE, MOBILE).await.unwrap();
    v.put_str(s, &PERSON_EMAIL, EMAIL).await.unwrap();
    s
}

fn code(e: VaultError) -> ErrorCode {
    e.code()
}

async fn seals_and_opens_with_both_ciphers(db: &TestDb) {
    let master = MasterKey::generate();
    for cipher in [Cipher::Aes256Gcm, Cipher::Sm4Gcm] {
        let v = vault(db, &master, cipher).await;
        let s = person(&v).await;
        let name = v.get_string(s, &PERSON_NAME).await.unwrap().unwrap();
        assert_eq!(name.expose(Purpose::CertificateIssuance).unwrap(), NAME);
        // Several fields at once open as each does alone; one never stored is None.
        let [number, name, nothing, mobile] = v
            .get_strings(
                s,
                [
                    &PERSON_DOCUMENT_NUMBER,
                    &PERSON_NAME,
                    &ACCOUNT_USERNAME,
                    &PERSON_MOBILE,
                ],
            )
            .await
            .unwrap();
        let p = Purpose::CertificateIssuance;
        assert_eq!(number.unwrap().expose(p).unwrap(), ID_NUMBER);
        assert_eq!(name.unwrap().expose(p).unwrap(), NAME);
        assert!(nothing.is_none());
        assert_eq!(
            mobile.unwrap().expose(Purpose::SubjectAccess).unwrap(),
            MOBILE
        );
        let [none] = v
            .get_strings(SubjectId::random(), [&PERSON_NAME])
            .await
            .unwrap();
        assert!(none.is_none());
        let stored = db
            .stores
            .pi
            .get_field(s, "person.name")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.sealed[1],
            if cipher == Cipher::Aes256Gcm { 1 } else { 2 }
        );
        assert!(v.get(s, &PERSON_EMAIL).await.unwrap().is_some());
        assert!(
            v.get(SubjectId::random(), &PERSON_NAME)
                .await
                .unwrap()
                .is_none()
        );
    }
    // A vault configured for SM4 still reads what AES sealed, and the reverse.
    let s = person(&vault(db, &master, Cipher::Aes256Gcm).await).await;
    let sm4 = vault(db, &master, Cipher::Sm4Gcm).await;
    assert!(sm4.get(s, &PERSON_MOBILE).await.unwrap().is_some());
}

async fn refuses_what_the_inventory_does_not_allow(db: &TestDb) {
    let v = vault(db, &MasterKey::generate(), Cipher::default()).await;
    let s = SubjectId::random();
    // PRIV-5: a field nobody declared cannot even be named.
    assert_eq!(
        code(declared_field("person.shoe_size").unwrap_err()),
        ErrorCode::PiFieldUndeclared
    );
    // ACC-3 / IDV-1(c): biometric data is never stored.
    // Nor read: a field never stored is not looked for among the stored ones.
    assert!(
        v.get_strings(s, [&PERSON_NAME, &BIOMETRIC_FACE])
            .await
            .is_err()
    );
    let e = v.put(s, &BIOMETRIC_FACE, b"\x89PNG...").await.unwrap_err();
    assert_eq!(code(e), ErrorCode::PiFieldNotStorable);
    assert!(db.stores.pi.fields_of(s).await.unwrap().is_empty());
    assert_eq!(
        db.stores.keys.subject_key(s).await.unwrap(),
        yinxin_domain::repo::SubjectKeyState::Absent
    );
    // Only indexed fields can be searched.
    let e = v.find(&PERSON_NAME, NAME).await.unwrap_err();
    assert_eq!(code(e), ErrorCode::PiFieldNotIndexed);
    // A purpose the inventory does not declare is refused at the point of use.
    let id = person(&v).await;
    let doc = v
        .get_string(id, &PERSON_DOCUMENT_NUMBER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        doc.expose(Purpose::CustomerSupport).unwrap_err().code,
        ErrorCode::PurposeNotDeclared
    );
}

async fn blind_indexes_find_exact_normalized_matches(db: &TestDb) {
    let v = vault(db, &MasterKey::generate(), Cipher::default()).await;
    let a = person(&v).await;
    let b = SubjectId::random();
    v.put_str(b, &PERSON_MOBILE, "13700000000").await.unwrap();
    assert_eq!(
        v.find(&PERSON_MOBILE, "+86 139-1234-5678").await.unwrap(),
        vec![a]
    );
    assert_eq!(
        v.find(&PERSON_DOCUMENT_NUMBER, "11010519491231002x")
            .await
            .unwrap(),
        vec![a]
    );
    assert_eq!(
        v.find(&PERSON_EMAIL, " Zhang.SanFeng@Example.CN")
            .await
            .unwrap(),
        vec![a]
    );
    assert!(
        v.find(&PERSON_MOBILE, "13912345679")
            .await
            .unwrap()
            .is_empty()
    );
    // Index keys are per field: the mobile's digest does not match as an e-mail.
    assert!(v.find(&PERSON_EMAIL, MOBILE).await.unwrap().is_empty());
    // Changing the value moves the index.
    v.put_str(a, &PERSON_MOBILE, "13600000000").await.unwrap();
    assert!(v.find(&PERSON_MOBILE, MOBILE).await.unwrap().is_empty());
    assert_eq!(
        v.find(&PERSON_MOBILE, "13600000000").await.unwrap(),
        vec![a]
    );
}

async fn shred_makes_the_subject_unreadable_and_unfindable(db: &TestDb) {
    let v = vault(db, &MasterKey::generate(), Cipher::default()).await;
    let gone = person(&v).await;
    let kept = person(&v).await;
    let r = v.shred(gone).await.unwrap();
    assert!(r.key_destroyed);
    assert_eq!((r.fields_deleted, r.index_entries_deleted), (4, 3));
    assert_eq!(
        code(v.get(gone, &PERSON_NAME).await.unwrap_err()),
        ErrorCode::SubjectShredded
    );
    assert_eq!(
        code(
            v.get_strings(gone, [&PERSON_NAME, &PERSON_MOBILE])
                .await
                .unwrap_err()
        ),
        ErrorCode::SubjectShredded
    );
    assert_eq!(v.find(&PERSON_MOBILE, MOBILE).await.unwrap(), vec![kept]);
    // No new data for an erased subject.
    assert_eq!(
        code(v.put_str(gone, &PERSON_NAME, NAME).await.unwrap_err()),
        ErrorCode::SubjectShredded
    );
    // Idempotent.
    assert!(!v.shred(gone).await.unwrap().key_destroyed);
    let name = v.get_string(kept, &PERSON_NAME).await.unwrap().unwrap();
    assert_eq!(name.expose(Purpose::SubjectAccess).unwrap(), NAME);
}

/// IDV-4: some fields of a subject deleted with their index entries, in one transaction; the
/// subject, its other fields and its data key stay; other subjects are untouched.
async fn deleting_fields_leaves_the_rest_of_the_subject(db: &TestDb) {
    let v = vault(db, &MasterKey::generate(), Cipher::default()).await;
    let s = person(&v).await;
    let other = person(&v).await;
    let deleted = v
        .delete_fields(s, &[&PERSON_MOBILE, &PERSON_DOCUMENT_NUMBER])
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert!(v.get(s, &PERSON_MOBILE).await.unwrap().is_none());
    assert!(v.get(s, &PERSON_DOCUMENT_NUMBER).await.unwrap().is_none());
    assert!(v.get(s, &PERSON_NAME).await.unwrap().is_some());
    assert!(v.get(s, &PERSON_EMAIL).await.unwrap().is_some());
    // The index entries went with the fields.
    assert_eq!(v.find(&PERSON_MOBILE, MOBILE).await.unwrap(), vec![other]);
    assert_eq!(
        v.find(&PERSON_DOCUMENT_NUMBER, ID_NUMBER).await.unwrap(),
        vec![other]
    );
    assert!(v.get(other, &PERSON_MOBILE).await.unwrap().is_some());
    // Idempotent; a field never stored counts nothing.
    assert_eq!(
        v.delete_fields(s, &[&PERSON_MOBILE, &PERSON_DOCUMENT_NUMBER])
            .await
            .unwrap(),
        0
    );
    // The subject's key is intact: it takes new values.
    v.put_str(s, &PERSON_MOBILE, "13600000000").await.unwrap();
    assert_eq!(
        v.find(&PERSON_MOBILE, "13600000000").await.unwrap(),
        vec![s]
    );
}

async fn rotation_rewraps_keys_without_touching_data(db: &TestDb) {
    let old = MasterKey::generate();
    let v = vault(db, &old, Cipher::default()).await;
    let subjects = [person(&v).await, person(&v).await];
    let before: Vec<Vec<SealedField>> = futures_all(db, &subjects).await;

    let new = MasterKey::generate();
    let rotated = v.rotate_master_key(&new).await.unwrap();
    assert_eq!(rotated.master_key_fingerprint(), new.fingerprint());

    // The sealed data is byte-for-byte what it was.
    assert_eq!(futures_all(db, &subjects).await, before);
    for s in subjects {
        let m = rotated
            .get_string(s, &PERSON_MOBILE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.expose(Purpose::Login).unwrap(), MOBILE);
    }
    assert_eq!(rotated.find(&PERSON_EMAIL, EMAIL).await.unwrap().len(), 2);
    // The old key no longer opens the vault, and is refused before anything is written.
    let e = Vault::check_master_key(&old, db.stores.keys.as_ref())
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::MasterKeyMismatch);
    assert_eq!(
        Vault::check_master_key(&new, db.stores.keys.as_ref())
            .await
            .unwrap(),
        MasterKeyCheck::Opens
    );
}

async fn futures_all(db: &TestDb, subjects: &[SubjectId]) -> Vec<Vec<SealedField>> {
    let mut out = Vec::new();
    for s in subjects {
        out.push(db.stores.pi.fields_of(*s).await.unwrap());
    }
    out
}

async fn wrong_master_key_is_refused(db: &TestDb) {
    let right = MasterKey::generate();
    assert_eq!(
        Vault::check_master_key(&right, db.stores.keys.as_ref())
            .await
            .unwrap(),
        MasterKeyCheck::Fresh
    );
    vault(db, &right, Cipher::default()).await;
    let wrong = MasterKey::generate();
    let e = Vault::open(
        &wrong,
        db.stores.keys.clone(),
        db.stores.pi.clone(),
        Cipher::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(code(e), ErrorCode::MasterKeyMismatch);
}

async fn moved_or_altered_ciphertext_is_detected(db: &TestDb) {
    let v = vault(db, &MasterKey::generate(), Cipher::default()).await;
    let (a, b) = (person(&v).await, person(&v).await);
    // Copy a's sealed name into b's row: the AAD binds it to a, so it fails for b.
    let mut stolen = db
        .stores
        .pi
        .get_field(a, "person.name")
        .await
        .unwrap()
        .unwrap();
    stolen.subject = b;
    db.stores.pi.put_field(&stolen, None).await.unwrap();
    assert_eq!(
        code(v.get(b, &PERSON_NAME).await.unwrap_err()),
        ErrorCode::Tampered
    );
    assert_eq!(
        code(
            v.get_strings(b, [&PERSON_MOBILE, &PERSON_NAME])
                .await
                .unwrap_err()
        ),
        ErrorCode::Tampered
    );
    // And a's mobile moved into a's name field fails too (the field is bound as well).
    let mut moved = db
        .stores
        .pi
        .get_field(a, "person.mobile")
        .await
        .unwrap()
        .unwrap();
    moved.field = "person.name".into();
    db.stores.pi.put_field(&moved, None).await.unwrap();
    assert_eq!(
        code(v.get(a, &PERSON_NAME).await.unwrap_err()),
        ErrorCode::Tampered
    );
}

/// ACC-7: multi-valued records (support messages) sealed with `seal_record`: they open only as
/// the record, field and subject they were sealed for, and die with the subject's key.
async fn vault_records_open_only_as_their_record_until_shredded(db: &TestDb) {
    let v = vault(db, &MasterKey::generate(), Cipher::default()).await;
    let (a, b) = (person(&v).await, person(&v).await);
    let body = "我的证书无法下载，手机 13912345678".as_bytes();
    let blob = v
        .seal_record(a, &SUPPORT_RECORD, b"rec-1", body)
        .await
        .unwrap();
    assert!(!blob.windows(body.len()).any(|w| w == body));
    let opened = v
        .open_record(a, &SUPPORT_RECORD, b"rec-1", &blob)
        .await
        .unwrap();
    assert_eq!(
        opened.expose(Purpose::SubjectAccess).unwrap(),
        &body.to_vec()
    );
    // Moved to another record (or a prefix of its id) or to another subject: refused.
    for (subject, record) in [(a, b"rec-2".as_slice()), (b, b"rec-1"), (a, b"rec-")] {
        let e = v
            .open_record(subject, &SUPPORT_RECORD, record, &blob)
            .await
            .unwrap_err();
        assert_eq!(code(e), ErrorCode::Tampered);
    }
    let mut altered = blob.clone();
    *altered.last_mut().unwrap() ^= 1;
    let e = v
        .open_record(a, &SUPPORT_RECORD, b"rec-1", &altered)
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::Tampered);
    // Fields that may never be stored are refused, sealing or opening.
    let e = v
        .seal_record(a, &BIOMETRIC_FACE, b"rec-1", b"\x89PNG")
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::PiFieldNotStorable);
    let e = v
        .open_record(a, &BIOMETRIC_FACE, b"rec-1", &blob)
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::PiFieldNotStorable);
    // PRIV-16: after shredding, the blob (wherever a copy of it lies) no longer opens, and
    // nothing new is sealed for the subject.
    v.shred(a).await.unwrap();
    let e = v
        .open_record(a, &SUPPORT_RECORD, b"rec-1", &blob)
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::SubjectShredded);
    let e = v
        .seal_record(a, &SUPPORT_RECORD, b"rec-3", body)
        .await
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::SubjectShredded);
    // Another subject's records are untouched.
    let kept = v
        .seal_record(b, &SUPPORT_RECORD, b"rec-1", body)
        .await
        .unwrap();
    assert!(
        v.open_record(b, &SUPPORT_RECORD, b"rec-1", &kept)
            .await
            .is_ok()
    );
}

backend_tests!(
    vault_records_open_only_as_their_record_until_shredded,
    seals_and_opens_with_both_ciphers,
    refuses_what_the_inventory_does_not_allow,
    blind_indexes_find_exact_normalized_matches,
    shred_makes_the_subject_unreadable_and_unfindable,
    deleting_fields_leaves_the_rest_of_the_subject,
    rotation_rewraps_keys_without_touching_data,
    wrong_master_key_is_refused,
    moved_or_altered_ciphertext_is_detected,
);

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap_or_default();
    for suffix in ["-wal", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        all.extend(std::fs::read(std::path::PathBuf::from(p)).unwrap_or_default());
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// PRIV-10: PI written through the vault cannot be found as plaintext in any database file.
#[tokio::test]
async fn no_plaintext_in_the_sqlite_files() {
    let db = TestDb::new(yinxin_store::Backend::Sqlite).await;
    let v = vault(&db, &MasterKey::generate(), Cipher::default()).await;
    let s = person(&v).await;
    assert!(v.get(s, &PERSON_NAME).await.unwrap().is_some());
    for file in db.config.sqlite_files() {
        let bytes = file_bytes(&file);
        assert!(
            bytes.len() > 4096,
            "{} is empty: the test would prove nothing",
            file.display()
        );
        for pi in [NAME, ID_NUMBER, MOBILE, EMAIL, "13800138000"] {
            assert!(!contains(&bytes, pi), "{pi:?} found in {}", file.display());
        }
    }
    // Sanity check of the scanner itself: an unsealed write is found.
    db.stores
        .pi
        .put_field(
            &SealedField {
                subject: s,
                field: "canary".into(),
                sealed: b"13800138000".to_vec(),
                updated_at: 0,
            },
            None,
        )
        .await
        .unwrap();
    assert!(contains(
        &file_bytes(&db.sqlite_data_file().unwrap()),
        "13800138000"
    ));
    db.cleanup().await;
}

/// PRIV-16: after a shred, a copy of the database taken *before* the shred no longer yields the
/// subject's fields, while it still yields everyone else's.
#[tokio::test]
async fn a_backup_taken_before_shred_loses_the_subject() {
    let db = TestDb::new(yinxin_store::Backend::Sqlite).await;
    let master = MasterKey::generate();
    let v = vault(&db, &master, Cipher::default()).await;
    let gone = person(&v).await;
    let kept = person(&v).await;

    // The backup: a copy of the data database files, as a backup job would take them.
    let backup = tempfile::tempdir().unwrap();
    let data = db.sqlite_data_file().unwrap();
    for suffix in ["", "-wal"] {
        let mut from = data.as_os_str().to_owned();
        from.push(suffix);
        let from = std::path::PathBuf::from(from);
        if from.exists() {
            std::fs::copy(&from, backup.path().join(format!("yinxin.db{suffix}"))).unwrap();
        }
    }

    let yinxin_domain::repo::SubjectKeyState::Active(wrapped) =
        db.stores.keys.subject_key(gone).await.unwrap()
    else {
        panic!("subject has a key before the shred");
    };
    v.shred(gone).await.unwrap();

    // Restore: the backed-up data with the live key store and the same master key.
    let mut cfg = StoreConfig::sqlite_in(backup.path());
    cfg.keystore = db.config.keystore.clone();
    let restored = Stores::open(&cfg).await.unwrap();
    restored.migrate().await.unwrap();
    // The ciphertext really is in the backup...
    assert_eq!(restored.pi.fields_of(gone).await.unwrap().len(), 4);
    let rv = Vault::open(
        &master,
        restored.keys.clone(),
        restored.pi.clone(),
        Cipher::default(),
    )
    .await
    .unwrap();
    // ...and it no longer opens.
    for f in [
        &PERSON_NAME,
        &PERSON_DOCUMENT_NUMBER,
        &PERSON_MOBILE,
        &PERSON_EMAIL,
    ] {
        assert_eq!(
            code(rv.get(gone, f).await.unwrap_err()),
            ErrorCode::SubjectShredded,
            "{}",
            f.name
        );
    }
    let m = rv.get_string(kept, &PERSON_MOBILE).await.unwrap().unwrap();
    assert_eq!(m.expose(Purpose::Login).unwrap(), MOBILE);
    restored.close().await;
    // The destroyed key is in no file of the live key store (secure_delete, WAL truncated).
    let keystore = db.config.sqlite_files()[1].clone();
    let bytes = file_bytes(&keystore);
    assert!(
        !bytes
            .windows(wrapped.wrapped.len())
            .any(|w| w == wrapped.wrapped.as_slice()),
        "the shredded key's bytes remain in {}",
        keystore.display()
    );
    let kept_key = match db.stores.keys.subject_key(kept).await.unwrap() {
        yinxin_domain::repo::SubjectKeyState::Active(k) => k.wrapped,
        other => panic!("{other:?}"),
    };
    assert!(
        bytes
            .windows(kept_key.len())
            .any(|w| w == kept_key.as_slice()),
        "scanner sanity: a live key is found"
    );
    db.cleanup().await;
}

/// A writer that appends everything to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logging carries no PI: every vault operation, at TRACE, with errors, leaves none in the log.
#[tokio::test(flavor = "current_thread")]
async fn vault_operations_log_no_personal_information() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDb::new(yinxin_store::Backend::Sqlite).await;
    let master = MasterKey::generate();
    let v = vault(&db, &master, Cipher::default()).await;
    let s = person(&v).await;
    let _ = v.find(&PERSON_MOBILE, MOBILE).await.unwrap();
    let _ = v.find(&PERSON_NAME, NAME).await.unwrap_err();
    let doc = v
        .get_string(s, &PERSON_DOCUMENT_NUMBER)
        .await
        .unwrap()
        .unwrap();
    tracing::info!(?doc, "a careless log line with a Sensitive value");
    let _ = doc.expose(Purpose::CustomerSupport).unwrap_err();
    let _ = v.rotate_master_key(&MasterKey::generate()).await.unwrap();
    v.shred(s).await.unwrap();
    db.cleanup().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("subject shredded"),
        "the capture must see the vault's own lines:\n{log}"
    );
    assert!(log.contains("a careless log line"));
    for pi in [NAME, ID_NUMBER, MOBILE, EMAIL] {
        assert!(!log.contains(pi), "{pi:?} leaked into the log:\n{log}");
    }
}
