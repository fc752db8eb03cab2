//! The storage suite: every check runs against SQLite and against PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use yinxin_domain::AccountId;
use yinxin_domain::SubjectId;
use yinxin_domain::certificate::{CaRecord, CaRole, CertificateRecord, CertificateRepo};
use yinxin_domain::repo::{
    BlindIndexEntry, SealedField, StoreError, SubjectKeyState, VaultRoot, WrappedKey,
};
use yinxin_store::testing::TestDb;
use yinxin_store::{Backend, backend_tests};

fn sealed(subject: SubjectId, field: &str, bytes: &[u8]) -> SealedField {
    SealedField {
        subject,
        field: field.into(),
        sealed: bytes.to_vec(),
        updated_at: 1_700_000_000,
    }
}

fn ix(field: &str, d: u8) -> BlindIndexEntry {
    BlindIndexEntry {
        field: field.into(),
        digest: vec![d; 32],
    }
}

fn wk(fp: &str, b: u8) -> WrappedKey {
    WrappedKey {
        kek_fingerprint: fp.into(),
        wrapped: vec![b; 60],
    }
}

fn root(fp: &str) -> VaultRoot {
    VaultRoot {
        kek_fingerprint: fp.into(),
        wrapped_index_key: vec![7; 60],
        created_at: 1,
        rotated_at: None,
    }
}

async fn fields_round_trip_and_reindex(db: &TestDb) {
    let pi = &db.stores.pi;
    let s = SubjectId::random();
    assert_eq!(pi.get_field(s, "person.mobile").await.unwrap(), None);
    pi.put_field(
        &sealed(s, "person.mobile", b"one"),
        Some(&ix("person.mobile", 1)),
    )
    .await
    .unwrap();
    assert_eq!(
        pi.get_field(s, "person.mobile")
            .await
            .unwrap()
            .unwrap()
            .sealed,
        b"one"
    );
    assert_eq!(
        pi.find_by_index("person.mobile", &[1; 32]).await.unwrap(),
        vec![s]
    );

    // Overwriting replaces the value and moves the index entry.
    pi.put_field(
        &sealed(s, "person.mobile", b"two"),
        Some(&ix("person.mobile", 2)),
    )
    .await
    .unwrap();
    assert_eq!(
        pi.get_field(s, "person.mobile")
            .await
            .unwrap()
            .unwrap()
            .sealed,
        b"two"
    );
    assert!(
        pi.find_by_index("person.mobile", &[1; 32])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        pi.find_by_index("person.mobile", &[2; 32]).await.unwrap(),
        vec![s]
    );

    // Overwriting with no index removes the entry.
    pi.put_field(&sealed(s, "person.mobile", b"three"), None)
        .await
        .unwrap();
    assert!(
        pi.find_by_index("person.mobile", &[2; 32])
            .await
            .unwrap()
            .is_empty()
    );
}

async fn index_is_scoped_by_field_and_shared_by_subjects(db: &TestDb) {
    let pi = &db.stores.pi;
    let (a, b) = (SubjectId::random(), SubjectId::random());
    pi.put_field(
        &sealed(a, "person.email", b"a"),
        Some(&ix("person.email", 9)),
    )
    .await
    .unwrap();
    pi.put_field(
        &sealed(b, "person.email", b"b"),
        Some(&ix("person.email", 9)),
    )
    .await
    .unwrap();
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(
        pi.find_by_index("person.email", &[9; 32]).await.unwrap(),
        both
    );
    assert!(
        pi.find_by_index("person.mobile", &[9; 32])
            .await
            .unwrap()
            .is_empty()
    );
}

async fn erase_removes_one_subject_only(db: &TestDb) {
    let pi = &db.stores.pi;
    let (gone, kept) = (SubjectId::random(), SubjectId::random());
    for s in [gone, kept] {
        pi.put_field(&sealed(s, "person.name", b"n"), None)
            .await
            .unwrap();
        pi.put_field(
            &sealed(s, "person.document_number", b"d"),
            Some(&ix("person.document_number", 4)),
        )
        .await
        .unwrap();
    }
    let erased = pi.erase_subject(gone).await.unwrap();
    assert_eq!((erased.fields, erased.index_entries), (2, 1));
    assert!(pi.fields_of(gone).await.unwrap().is_empty());
    assert_eq!(
        pi.find_by_index("person.document_number", &[4; 32])
            .await
            .unwrap(),
        vec![kept]
    );
    assert_eq!(pi.fields_of(kept).await.unwrap().len(), 2);
    // Erasing again is harmless.
    assert_eq!(pi.erase_subject(gone).await.unwrap().fields, 0);

    assert!(
        pi.delete_field(kept, "person.document_number")
            .await
            .unwrap()
    );
    assert!(
        !pi.delete_field(kept, "person.document_number")
            .await
            .unwrap()
    );
    assert!(
        pi.find_by_index("person.document_number", &[4; 32])
            .await
            .unwrap()
            .is_empty()
    );
}

async fn vault_root_is_created_once(db: &TestDb) {
    let keys = &db.stores.keys;
    assert_eq!(keys.vault_root().await.unwrap(), None);
    let first = keys.create_vault_root(&root("fp-a")).await.unwrap();
    assert_eq!(first.kek_fingerprint, "fp-a");
    // A second node racing to initialize gets the first root back, not its own.
    let second = keys.create_vault_root(&root("fp-b")).await.unwrap();
    assert_eq!(second, first);
}

async fn subject_key_lifecycle(db: &TestDb) {
    let keys = &db.stores.keys;
    let s = SubjectId::random();
    assert_eq!(keys.subject_key(s).await.unwrap(), SubjectKeyState::Absent);
    let st = keys.create_subject_key(s, &wk("fp", 1), 10).await.unwrap();
    assert_eq!(st, SubjectKeyState::Active(wk("fp", 1)));
    // A concurrent creator loses and receives the stored key.
    let st = keys.create_subject_key(s, &wk("fp", 2), 11).await.unwrap();
    assert_eq!(st, SubjectKeyState::Active(wk("fp", 1)));

    assert!(keys.shred_subject_key(s, 20).await.unwrap());
    assert_eq!(
        keys.subject_key(s).await.unwrap(),
        SubjectKeyState::Shredded { at: 20 }
    );
    assert!(
        !keys.shred_subject_key(s, 21).await.unwrap(),
        "second shred destroys nothing"
    );
    assert_eq!(
        keys.subject_key(s).await.unwrap(),
        SubjectKeyState::Shredded { at: 20 }
    );
    // No key can come back for a shredded subject.
    let st = keys.create_subject_key(s, &wk("fp", 3), 30).await.unwrap();
    assert_eq!(st, SubjectKeyState::Shredded { at: 20 });
    assert!(keys.wrapped_keys().await.unwrap().is_empty());

    // Shredding a subject that never had a key leaves a tombstone that blocks a later key.
    let never = SubjectId::random();
    assert!(!keys.shred_subject_key(never, 40).await.unwrap());
    let st = keys
        .create_subject_key(never, &wk("fp", 4), 41)
        .await
        .unwrap();
    assert_eq!(st, SubjectKeyState::Shredded { at: 40 });
}

async fn concurrent_first_writes_agree_on_one_key(db: &TestDb) {
    let keys = Arc::clone(&db.stores.keys);
    let s = SubjectId::random();
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let keys = Arc::clone(&keys);
            tokio::spawn(async move { keys.create_subject_key(s, &wk("fp", i), 1).await })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap().unwrap());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}

async fn rewrap_is_all_or_nothing(db: &TestDb) {
    let keys = &db.stores.keys;
    keys.create_vault_root(&root("old")).await.unwrap();
    let (a, b) = (SubjectId::random(), SubjectId::random());
    keys.create_subject_key(a, &wk("old", 1), 1).await.unwrap();
    keys.create_subject_key(b, &wk("old", 2), 1).await.unwrap();
    let mut new_root = root("new");
    new_root.rotated_at = Some(5);

    // Leaving a key out is refused and changes nothing.
    let err = keys
        .rewrap("old", &new_root, &[(a, wk("new", 11))])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        keys.vault_root().await.unwrap().unwrap().kek_fingerprint,
        "old"
    );
    assert_eq!(
        keys.subject_key(a).await.unwrap(),
        SubjectKeyState::Active(wk("old", 1))
    );

    // Naming the wrong old key is refused.
    let err = keys
        .rewrap(
            "other",
            &new_root,
            &[(a, wk("new", 11)), (b, wk("new", 12))],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    keys.rewrap("old", &new_root, &[(a, wk("new", 11)), (b, wk("new", 12))])
        .await
        .unwrap();
    let r = keys.vault_root().await.unwrap().unwrap();
    assert_eq!((r.kek_fingerprint.as_str(), r.rotated_at), ("new", Some(5)));
    assert_eq!(
        keys.subject_key(b).await.unwrap(),
        SubjectKeyState::Active(wk("new", 12))
    );
}

fn ca(id: &str, role: CaRole, parent: Option<&str>, serial: &str) -> CaRecord {
    CaRecord {
        id: id.into(),
        algorithm: "p256".into(),
        role,
        parent: parent.map(Into::into),
        key_id: format!("sw:{id}"),
        token_serial: None,
        certificate: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        serial: serial.into(),
        created_at: 1_700_000_000,
        active: true,
    }
}

/// Issue 5 (`yinxin ca rotate`): the new issuing CA's records and the old ones' retirement are
/// one transaction: a retirement that finds the CA already retired writes nothing, nor does a
/// new record whose id exists; a good rotation does both.
async fn ca_rotation_is_all_or_none(db: &TestDb) {
    let repo = &db.stores.certificates;
    repo.insert_cas(&[
        ca("p256-root-1", CaRole::Root, None, "01"),
        ca("p256-issuing-1", CaRole::Issuing, Some("p256-root-1"), "02"),
        ca("p256-ocsp-1", CaRole::Ocsp, Some("p256-issuing-1"), "03"),
    ])
    .await
    .unwrap();
    let before = repo.cas().await.unwrap();
    let new = [
        ca("p256-issuing-2", CaRole::Issuing, Some("p256-root-1"), "04"),
        ca("p256-ocsp-2", CaRole::Ocsp, Some("p256-issuing-2"), "05"),
    ];
    let retire = ["p256-issuing-1".to_owned(), "p256-ocsp-1".to_owned()];

    // The second retirement names a CA that does not exist: the first is undone, nothing new.
    let err = repo
        .rotate_cas(&new, &[retire[0].clone(), "p256-ocsp-9".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("p256-ocsp-9")),
        "{err:?}"
    );
    assert_eq!(repo.cas().await.unwrap(), before);
    // A new record whose serial exists: the retirements are undone.
    let clash = [ca(
        "p256-issuing-2",
        CaRole::Issuing,
        Some("p256-root-1"),
        "01",
    )];
    let err = repo.rotate_cas(&clash, &retire).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(repo.cas().await.unwrap(), before);

    repo.rotate_cas(&new, &retire).await.unwrap();
    let after = repo.cas().await.unwrap();
    let active: Vec<(&str, bool)> = after.iter().map(|c| (c.id.as_str(), c.active)).collect();
    assert_eq!(
        active,
        [
            ("p256-issuing-1", false),
            ("p256-issuing-2", true),
            ("p256-ocsp-1", false),
            ("p256-ocsp-2", true),
            ("p256-root-1", true),
        ]
    );
    // A second rotation from the same state (a concurrent one) finds them retired.
    let again = [ca(
        "p256-issuing-3",
        CaRole::Issuing,
        Some("p256-root-1"),
        "06",
    )];
    let err = repo.rotate_cas(&again, &retire).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(repo.cas().await.unwrap(), after);
}

fn certificate(serial: &str, fingerprint: &str) -> CertificateRecord {
    CertificateRecord {
        serial: serial.into(),
        fingerprint: fingerprint.into(),
        ca_id: "p256-issuing-1".into(),
        holder: AccountId::random(),
        profile: "personal_signing".into(),
        algorithm: "p256".into(),
        sealed_der: vec![7; 600],
        masked_subject: "CN=*".into(),
        subject_mode: "keyed_hash".into(),
        not_before: 1_700_000_000,
        not_after: 1_731_536_000,
        hosted_key_id: None,
        key_destroyed_at: None,
        renews: None,
        issued_at: 1_700_000_000,
        retain_until: 1_889_216_000,
        revocation: None,
    }
}

/// Inserts `records` all at once; checks that every acknowledged row is stored as given and no
/// refused one is; each record's answer.
async fn insert_at_once(
    repo: &Arc<dyn CertificateRepo>,
    records: &[CertificateRecord],
) -> Vec<Result<(), StoreError>> {
    let tasks: Vec<_> = records
        .iter()
        .cloned()
        .map(|r| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.insert_certificate(&r, None).await })
        })
        .collect();
    let mut results = Vec::new();
    for (r, t) in records.iter().zip(tasks) {
        let result = t.await.unwrap();
        let stored = repo.certificate(&r.serial).await.unwrap();
        match &result {
            Ok(()) => assert_eq!(stored.as_ref(), Some(r), "acknowledged but not stored"),
            Err(e) => assert!(stored.as_ref() != Some(r), "refused ({e}) but stored"),
        }
        results.push(result);
    }
    results
}

/// Issue 5 (group commit on SQLite): certificate rows inserted at once, many to a commit, each
/// answer its own. Every acknowledged row is there, every refused one is absent; a row the
/// database refuses (a serial taken by a concurrent insert, a CHECK) fails alone and the rest
/// commit. On SQLite a failure that rolls the whole transaction back (a trigger raising
/// ROLLBACK for one marked row) fails its caller, and the others of its batch with it, and
/// writes nothing of that batch: never a caller told "ok" whose row is missing.
async fn certificate_rows_commit_in_groups_and_refusals_stay_their_own(db: &TestDb) {
    let repo = db.stores.certificates.clone();
    repo.insert_cas(&[
        ca("p256-root-1", CaRole::Root, None, "01"),
        ca("p256-issuing-1", CaRole::Issuing, Some("p256-root-1"), "02"),
    ])
    .await
    .unwrap();
    let mut records: Vec<CertificateRecord> = (0..300)
        .map(|i| certificate(&format!("{i:032x}"), &format!("fp{i}")))
        .collect();
    // Two inserts of one serial (distinct fingerprints): one wins.
    records.insert(100, certificate(&format!("{:032x}", 200), "fp-dup"));
    // A row its CHECK refuses: kept less long than it is valid.
    let mut short = certificate("aa", "fp-aa");
    short.retain_until = short.not_after - 1;
    records.insert(50, short);
    let results = insert_at_once(&repo, &records).await;
    let refused: Vec<(&str, &StoreError)> = records
        .iter()
        .zip(&results)
        .filter_map(|(r, res)| res.as_ref().err().map(|e| (r.serial.as_str(), e)))
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0].0, "aa");
    assert_eq!(refused[1].0, format!("{:032x}", 200));
    assert!(
        matches!(refused[1].1, StoreError::Conflict(_)),
        "{refused:?}"
    );

    if db.stores.backend() == Backend::Sqlite {
        db.stores
            .execute_raw(
                "CREATE TRIGGER poison BEFORE INSERT ON certificates \
                 WHEN NEW.profile = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END",
            )
            .await
            .unwrap();
        let mut records: Vec<CertificateRecord> = (0..100)
            .map(|i| certificate(&format!("b{i:031x}"), &format!("fpb{i}")))
            .collect();
        records[40].profile = "poison".into();
        let results = insert_at_once(&repo, &records).await;
        assert!(results[40].is_err());
        assert!(results.iter().filter(|r| r.is_ok()).count() < 100);
        // Rows go in again once nothing poisons them.
        let late = certificate("cc", "fp-cc");
        repo.insert_certificate(&late, None).await.unwrap();
        assert_eq!(repo.certificate("cc").await.unwrap(), Some(late));
    }
}

/// SIGN-1 (RFC 3161 §2.4.2): TSA serials are unique and strictly increase — concurrently, across
/// a reopening of the store — and a genTime earlier than the newest recorded by more than the
/// tolerance takes no serial. The database refuses to move the counter back or delete it.
async fn tsa_serials_only_move_forward(db: &TestDb) {
    use yinxin_domain::timestamp::SerialReservation;
    let repo = db.stores.timestamps.clone();
    assert_eq!(repo.newest_gen_time().await.unwrap(), None);
    assert_eq!(repo.last_serial().await.unwrap(), 0);
    let t = 1_772_352_000_000_i64;
    let none = |_: u64| Vec::new();
    assert_eq!(
        repo.reserve_serials(1, t, 1000, &none).await.unwrap(),
        SerialReservation::Granted {
            first: 1,
            newest_gen_time_ms: t
        }
    );
    assert_eq!(
        repo.reserve_serials(3, t + 5, 1000, &none).await.unwrap(),
        SerialReservation::Granted {
            first: 2,
            newest_gen_time_ms: t + 5
        }
    );
    // Back by more than the tolerance: refused, nothing taken.
    assert_eq!(
        repo.reserve_serials(1, t - 2000, 1000, &none)
            .await
            .unwrap(),
        SerialReservation::ClockBehind {
            newest_gen_time_ms: t + 5
        }
    );
    assert_eq!(
        repo.reserve_serials(1, t + 4, 0, &none).await.unwrap(),
        SerialReservation::ClockBehind {
            newest_gen_time_ms: t + 5
        }
    );
    assert_eq!(repo.last_serial().await.unwrap(), 4);
    // The tokens' evidence entries go in with a granted reservation, told its first serial
    // (issue 7 item 2), and not with a refused one.
    let pending = || async { db.stores.ledger.pending(100).await.unwrap().len() };
    assert_eq!(pending().await, 0);
    let entries = |first: u64| vec![first.to_be_bytes().to_vec()];
    assert!(matches!(
        repo.reserve_serials(1, t - 2000, 1000, &entries)
            .await
            .unwrap(),
        SerialReservation::ClockBehind { .. }
    ));
    assert_eq!(pending().await, 0);
    // Within it: granted, and the newest genTime stays the newest.
    assert_eq!(
        repo.reserve_serials(1, t - 500, 1000, &entries)
            .await
            .unwrap(),
        SerialReservation::Granted {
            first: 5,
            newest_gen_time_ms: t + 5
        }
    );
    let queued: Vec<Vec<u8>> = db
        .stores
        .ledger
        .pending(100)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.entry)
        .collect();
    assert_eq!(queued, entries(5));
    assert!(repo.reserve_serials(0, t, 1000, &none).await.is_err());

    // Concurrent reservations never share a serial.
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move {
                repo.reserve_serials(1, t + 10, 1000, &|_: u64| Vec::new())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            SerialReservation::Granted { first, .. } => got.push(first),
            other => panic!("{other:?}"),
        }
    }
    got.sort_unstable();
    assert_eq!(got, (6..46).collect::<Vec<u64>>());

    // Reopened (a restart): the counter goes on where it was.
    let again = yinxin_store::Stores::open(&db.config).await.unwrap();
    again.migrate().await.unwrap();
    assert_eq!(again.timestamps.last_serial().await.unwrap(), 45);
    assert_eq!(
        again.timestamps.newest_gen_time().await.unwrap(),
        Some(t + 10)
    );
    assert_eq!(
        again
            .timestamps
            .reserve_serials(1, t + 20, 1000, &none)
            .await
            .unwrap(),
        SerialReservation::Granted {
            first: 46,
            newest_gen_time_ms: t + 20
        }
    );
    again.close().await;

    // Whatever code asks, the database does not move it back or lose it.
    for sql in [
        "UPDATE tsa_serials SET last_serial = 1",
        "UPDATE tsa_serials SET last_gen_time_ms = 0",
        "DELETE FROM tsa_serials",
        "INSERT INTO tsa_serials (id, last_serial, last_gen_time_ms) VALUES (2, 0, 0)",
    ] {
        let refused = db.stores.execute_raw(sql).await;
        assert!(refused.is_err(), "{sql}: {refused:?}");
    }
    assert_eq!(repo.last_serial().await.unwrap(), 46);
}

async fn health_pings(db: &TestDb) {
    db.stores.health.ping().await.unwrap();
}

/// SIGN-2, SIGN-3: seals and signature images are reached only through their owner (a seal id
/// under another enterprise, an image id under another account, is not found); seal
/// authorizations are revoked once; sealed blobs come back as stored.
async fn seals_and_signature_images_are_scoped_to_their_owner(db: &TestDb) {
    use yinxin_domain::account::{AccountKind, AccountRecord};
    use yinxin_domain::seal::{
        SealAuthorization, SealCategory, SealPurpose, SealRecord, SignatureImageRecord,
        SignatureSource, SignatureStyle,
    };
    use yinxin_domain::{SealAuthorizationId, SealId, SignatureImageId};

    let repo = db.stores.accounts.clone();
    let account = |kind| AccountRecord {
        id: AccountId::random(),
        kind,
        subject: SubjectId::random(),
        password_hash: None,
        failed_logins: 0,
        locked_until: None,
        created_at: 1_700_000_000,
        accepted_policy: None,
    };
    let (ent, other, agent) = (
        account(AccountKind::Enterprise),
        account(AccountKind::Enterprise),
        account(AccountKind::Personal),
    );
    for a in [&ent, &other, &agent] {
        repo.insert_account(a, &[], &[]).await.unwrap();
    }

    let seal = SealRecord {
        id: SealId::ordered(),
        enterprise: ent.id,
        category: SealCategory::Contract,
        anti_counterfeit_code: Some("1234567890123".into()),
        width: 400,
        height: 400,
        created_by: agent.id,
        created_at: 1_700_000_001,
    };
    repo.insert_seal(&seal, b"sealed seal").await.unwrap();
    let legal = SealRecord {
        id: SealId::ordered(),
        category: SealCategory::LegalRepresentative,
        anti_counterfeit_code: None,
        ..seal.clone()
    };
    repo.insert_seal(&legal, b"sealed legal").await.unwrap();
    assert_eq!(
        repo.seal(ent.id, seal.id).await.unwrap(),
        Some((seal.clone(), b"sealed seal".to_vec()))
    );
    assert_eq!(repo.seal(other.id, seal.id).await.unwrap(), None);
    assert_eq!(
        repo.seals_of(ent.id).await.unwrap(),
        vec![seal.clone(), legal]
    );
    assert!(repo.seals_of(other.id).await.unwrap().is_empty());

    let auth = SealAuthorization {
        id: SealAuthorizationId::ordered(),
        enterprise: ent.id,
        seal: seal.id,
        agent: agent.id,
        purposes: vec![SealPurpose::ContractSigning, SealPurpose::AutoSign],
        valid_from: 1_700_000_000,
        valid_until: 1_800_000_000,
        granted_by: agent.id,
        created_at: 1_700_000_002,
        revoked_at: None,
        revoked_by: None,
    };
    repo.insert_seal_authorization(&auth).await.unwrap();
    let mut stored = repo
        .seal_authorization(ent.id, auth.id)
        .await
        .unwrap()
        .unwrap();
    stored.purposes.sort();
    let mut expected = auth.clone();
    expected.purposes.sort();
    assert_eq!(stored, expected);
    assert_eq!(
        repo.seal_authorization(other.id, auth.id).await.unwrap(),
        None
    );
    assert!(
        repo.seal_authorizations_of_seal(other.id, seal.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        repo.revoke_seal_authorization(auth.id, agent.id, 1_700_000_100)
            .await
            .unwrap()
    );
    assert!(
        !repo
            .revoke_seal_authorization(auth.id, agent.id, 1_700_000_200)
            .await
            .unwrap()
    );
    let revoked = repo
        .seal_authorizations_of_seal(ent.id, seal.id)
        .await
        .unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!(
        (revoked[0].revoked_at, revoked[0].revoked_by),
        (Some(1_700_000_100), Some(agent.id))
    );

    let image = SignatureImageRecord {
        id: SignatureImageId::ordered(),
        account: agent.id,
        source: SignatureSource::Style,
        style: Some(SignatureStyle::Kai),
        width: 320,
        height: 160,
        created_at: 1_700_000_003,
    };
    repo.insert_signature_image(&image, b"sealed png")
        .await
        .unwrap();
    assert_eq!(
        repo.signature_image(agent.id, image.id).await.unwrap(),
        Some((image.clone(), b"sealed png".to_vec()))
    );
    assert_eq!(
        repo.signature_image(other.id, image.id).await.unwrap(),
        None
    );
    assert_eq!(
        repo.signature_images_of(agent.id).await.unwrap(),
        vec![image.clone()]
    );
    assert!(
        !repo
            .delete_signature_image(other.id, image.id)
            .await
            .unwrap()
    );
    assert!(
        repo.delete_signature_image(agent.id, image.id)
            .await
            .unwrap()
    );
    assert!(
        !repo
            .delete_signature_image(agent.id, image.id)
            .await
            .unwrap()
    );
    assert!(repo.signature_images_of(agent.id).await.unwrap().is_empty());
}

/// Issue 7: a ledger batch is written only at the size it was computed on and under a valid
/// lease; the lease is one node's at a time; nodes are read back by id, missing ones as None.
async fn ledger_batches_are_fenced_by_size_and_lease(db: &TestDb) {
    use yinxin_domain::ledger::{Integration, NodeId, StoredCheckpoint};
    let repo = &db.stores.ledger;
    let empty = repo.tree_state().await.unwrap();
    assert_eq!(empty.size, 0);
    repo.enqueue(&[vec![1], vec![2], vec![3]], 5).await.unwrap();
    let pending = repo.pending(2).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| p.entry.clone()).collect::<Vec<_>>(),
        vec![vec![1], vec![2]]
    );
    assert!(repo.take_lease("a", 1_000, 500).await.unwrap());
    assert!(!repo.take_lease("b", 1_200, 500).await.unwrap());
    let node = |level, index| NodeId { level, index };
    let batch = Integration {
        old_size: 0,
        pending: pending.iter().map(|p| p.id).collect(),
        leaves: vec![vec![1], vec![2]],
        nodes: vec![
            (node(0, 0), [1; 32]),
            (node(0, 1), [2; 32]),
            (node(1, 0), [3; 32]),
        ],
        new_root: [3; 32],
        now_ms: 1_100,
    };
    // Not the lease holder: nothing written.
    assert!(matches!(
        repo.integrate("b", &batch).await,
        Err(StoreError::Conflict(_))
    ));
    // The holder, after its lease ran out: nothing written.
    let late = Integration {
        now_ms: 1_600,
        ..batch.clone()
    };
    assert!(matches!(
        repo.integrate("a", &late).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(repo.tree_state().await.unwrap(), empty);
    repo.integrate("a", &batch).await.unwrap();
    // The same batch again: the tree moved on.
    assert!(matches!(
        repo.integrate("a", &batch).await,
        Err(StoreError::Conflict(_))
    ));
    let state = repo.tree_state().await.unwrap();
    assert_eq!((state.size, state.root), (2, [3; 32]));
    assert_eq!(repo.pending(10).await.unwrap().len(), 1);
    assert_eq!(repo.leaves(0, 10).await.unwrap(), vec![vec![1], vec![2]]);
    assert_eq!(repo.leaves(1, 1).await.unwrap(), vec![vec![2]]);
    assert_eq!(
        repo.nodes(&[node(1, 0), node(2, 0), node(0, 1)])
            .await
            .unwrap(),
        vec![Some([3; 32]), None, Some([2; 32])]
    );
    repo.release_lease("a").await.unwrap();
    assert!(repo.take_lease("b", 1_200, 500).await.unwrap());

    assert_eq!(repo.latest_checkpoint().await.unwrap(), None);
    let c = StoredCheckpoint {
        size: 2,
        root: [3; 32],
        note: "note".into(),
        signed_at: 9,
    };
    repo.insert_checkpoint(&c).await.unwrap();
    assert!(matches!(
        repo.insert_checkpoint(&c).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(repo.latest_checkpoint().await.unwrap(), Some(c));
}

/// ACC-3: rate-limit buckets count per window across nodes, and a purge triggered by a short
/// limit (a bucket whose first byte is 0 purges) removes only buckets whose own windows ended —
/// an hour's counter survives a minute limit's purge (it used to be wiped: a reset anyone could
/// trigger, caught as a flaky envelope-limit test).
async fn rate_buckets_expire_by_their_own_window(db: &TestDb) {
    let repo = db.stores.accounts.clone();
    let now = 1_800_003_000;
    let (hour, hour_start) = (vec![1u8; 32], 1_800_000_000);
    for n in 1..=3 {
        let hits = repo
            .hit_rate_bucket(&hour, hour_start, hour_start + 3600, now)
            .await;
        assert_eq!(hits.unwrap(), n);
    }
    // A minute limit's bucket that purges, well past two minutes after the hour began.
    let (minute, minute_start) = (vec![0u8; 32], now - now.rem_euclid(60));
    let hits = repo.hit_rate_bucket(&minute, minute_start, minute_start + 60, now);
    assert_eq!(hits.await.unwrap(), 1);
    let hits = repo
        .hit_rate_bucket(&hour, hour_start, hour_start + 3600, now)
        .await;
    assert_eq!(hits.unwrap(), 4, "the hour's counter survives");
    // Once the hour is over, a purge removes it; the next window starts from one.
    let later = hour_start + 3600 + 10;
    let hits = repo.hit_rate_bucket(&minute, later - later.rem_euclid(60), later + 60, later);
    assert_eq!(hits.await.unwrap(), 1);
    let hits = repo
        .hit_rate_bucket(&hour, hour_start, hour_start + 3600, later)
        .await;
    assert_eq!(hits.unwrap(), 1, "an ended window was purged");
}

backend_tests!(
    fields_round_trip_and_reindex,
    rate_buckets_expire_by_their_own_window,
    index_is_scoped_by_field_and_shared_by_subjects,
    erase_removes_one_subject_only,
    vault_root_is_created_once,
    subject_key_lifecycle,
    concurrent_first_writes_agree_on_one_key,
    rewrap_is_all_or_nothing,
    health_pings,
    ca_rotation_is_all_or_none,
    certificate_rows_commit_in_groups_and_refusals_stay_their_own,
    tsa_serials_only_move_forward,
    seals_and_signature_images_are_scoped_to_their_owner,
    ledger_batches_are_fenced_by_size_and_lease,
);

/// The key store is read before migrations (to check the master key before writing anything):
/// a database without the tables reads as "no vault yet", not as an error.
mod unmigrated {
    use super::*;

    async fn check(backend: Backend) {
        let db = TestDb::with(backend, false).await;
        assert_eq!(db.stores.keys.vault_root().await.unwrap(), None);
        db.stores.migrate().await.unwrap();
        // Migrating twice is a no-op.
        db.stores.migrate().await.unwrap();
        assert_eq!(db.stores.keys.vault_root().await.unwrap(), None);
        db.cleanup().await;
    }

    #[tokio::test]
    async fn sqlite() {
        check(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        check(Backend::Postgres).await;
    }
}

#[tokio::test]
async fn unreachable_postgres_is_an_error_naming_the_host_without_the_password() {
    let cfg = yinxin_store::StoreConfig::postgres("postgres://yx:hunter2@127.0.0.1:1/yinxin", None);
    let err = yinxin_store::Stores::open(&cfg)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
