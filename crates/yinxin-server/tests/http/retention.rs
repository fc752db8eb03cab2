//! Cancellation and the retention engine end to end (issue 8 items 4–5; ACC-6, PRIV-9, PRIV-16,
//! CERT-7): a cancelled account is unusable and unreachable at once; a legal hold keeps it; the
//! dry run says what the sweep will do; after the grace period (a simulated clock) the sweep
//! erases it — no API and no copy of the data taken before yields its information — while its
//! certificate record stays, sealed in custody, until its own term ends; the evidence log still
//! verifies with the erased records' salts gone.

use base64::Engine;
use serde_json::json;
use yinxin_domain::inventory::{
    PERSON_DOCUMENT_NUMBER, PERSON_EMAIL, PERSON_MOBILE, PERSON_NAME, SUBSCRIBER_CERTIFICATE,
};
use yinxin_domain::repo::SealedField;
use yinxin_domain::retention::CustodyValue;
use yinxin_domain::{AccountId, ErrorCode};
use yinxin_ledger::log::TreeCheck;
use yinxin_privacy::vault::Vault;
use yinxin_store::testing::TestDb;
use yinxin_store::{Backend, backend_tests};

use crate::TestApp;
use crate::certificates::{openssl_csr, verified_person};
use crate::signing::refused;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const DAY: i64 = 86_400;

backend_tests!(cancelled_accounts_are_unreachable_then_erased_keeping_certificate_records);
async fn cancelled_accounts_are_unreachable_then_erased_keeping_certificate_records(db: &TestDb) {
    let app = TestApp::start(db).await;
    let accounts = &app.state.accounts;
    let (token, _) = verified_person(&app).await;
    let officer = app.privacy_officer().await;
    let dir = tempfile::tempdir().unwrap();
    let (s, cert) = app
        .post_as(
            "/api/v1/certificates",
            &token,
            &json!({"csr": openssl_csr(dir.path(), "p256"), "profile": "personal_signing", "algorithm": "p256"}),
        )
        .await;
    assert_eq!(s, 201, "{cert}");
    let serial = cert["serial"].as_str().unwrap().to_owned();
    let (_, me) = app.get_as("/api/v1/me", &token).await;
    let account: AccountId = me["account_id"].as_str().unwrap().parse().unwrap();
    let record = db.stores.accounts.account(account).await.unwrap().unwrap();
    let subject = record.subject;
    let name = text_of(&app, subject, &PERSON_NAME).await;
    let consents = db.stores.accounts.consents_of(account).await.unwrap();
    assert!(!consents.is_empty());
    let consent_salt = |id: String| async move {
        db.stores
            .ledger
            .evidence_salt("consent", &id)
            .await
            .unwrap()
    };
    assert!(consent_salt(consents[0].id.to_string()).await.is_some());
    // "A copy of the database taken before": the subject's sealed rows as they are now.
    let backup: Vec<SealedField> = db.stores.pi.fields_of(subject).await.unwrap();
    assert!(backup.len() >= 4, "{}", backup.len());

    // A deletion request (004 4.2) carried out as it is closed: the name is kept while the
    // certificate record is retained (CERT-7), so only a partial fulfilment goes through, and
    // it deletes the e-mail alone.
    let (s, filed) = app
        .post_as(
            "/api/v1/me/requests",
            &token,
            &json!({"kind": "deletion", "scope": ["person.name", "person.email"], "ground": "no_longer_used"}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let act = format!(
        "/api/v1/staff/requests/{}/action",
        filed["request"]["id"].as_str().unwrap()
    );
    refused(
        &app.post_as(&act, &officer, &json!({"action": "fulfil"}))
            .await,
        409,
        "CONFLICT",
        "person.name",
    );
    assert!(stored(&app, subject, &PERSON_EMAIL).await);
    let (s, v) = app
        .post_as(
            &act,
            &officer,
            &json!({"action": "fulfil_partly", "ground": "legal_obligation"}),
        )
        .await;
    assert_eq!(
        (s, v["request"]["state"].as_str()),
        (200, Some("partly_fulfilled")),
        "{v}"
    );
    assert!(!stored(&app, subject, &PERSON_EMAIL).await);
    assert!(stored(&app, subject, &PERSON_NAME).await);

    // Refusals: no password, a wrong one — nothing cancelled, the account still works.
    let cancel = "/api/v1/me/cancellation";
    refused(
        &app.post_as(cancel, &token, &json!({})).await,
        400,
        "INVALID_INPUT",
        "password",
    );
    refused(
        &app.post_as(cancel, &token, &json!({"password": "wrong horse 42"}))
            .await,
        403,
        "FORBIDDEN",
        "password",
    );
    assert_eq!(app.get_as("/api/v1/me", &token).await.0, 200);
    assert!(!accounts.is_cancelled(account).await.unwrap());

    // Cancelled: its certificate revoked with it, the session dead, the password refused, the
    // username free to find nothing.
    let (s, done) = app
        .post_as(cancel, &token, &json!({"password": "correct horse 42"}))
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["revoked"], json!([serial]));
    assert_eq!(app.get_as("/api/v1/me", &token).await.0, 401);
    let (s, _, _) = app
        .post(
            "/api/v1/sessions",
            &json!({"method": "password", "username": "idv1", "password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 401);
    assert!(
        app.state
            .vault
            .find(
                &PERSON_MOBILE,
                &text_of(&app, subject, &PERSON_MOBILE).await
            )
            .await
            .unwrap()
            .is_empty(),
        "nothing finds it by its mobile"
    );
    let (_, status, _) = app.get(&format!("/api/v1/certificates/{serial}")).await;
    assert!(status.contains("revoked"), "{status}");
    // Staff see nothing of it, whatever the purpose; recorded as a fulfilled cancellation.
    refused(
        &app.get_as(
            &format!("/api/v1/staff/subjects/{account}?role=privacy_officer"),
            &officer,
        )
        .await,
        403,
        "FORBIDDEN",
        "cancelled",
    );
    let requests = db
        .stores
        .accounts
        .subject_requests_of(account)
        .await
        .unwrap();
    assert!(
        requests
            .iter()
            .any(|r| r.kind.as_str() == "cancellation" && r.closed_at.is_some())
    );

    // Within the grace period nothing is due.
    let plan = accounts.retention_plan(now() + 100 * DAY).await.unwrap();
    assert!(plan.erased.is_empty(), "{plan:?}");

    // A legal hold keeps it past the grace period; the hold's refusals name their field.
    let holds = "/api/v1/staff/legal-holds";
    let order = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 court order");
    let hold = |account: &str, media: &str, doc: &str| {
        json!({"account": account, "authority": "北京市海淀区人民法院", "document_number": "(2026)京0108民初1号",
            "document_type": media, "document": doc})
    };
    let account_s = account.to_string();
    refused(
        &app.post_as(holds, &officer, &hold("nope", "application/pdf", &order))
            .await,
        400,
        "INVALID_INPUT",
        "account",
    );
    refused(
        &app.post_as(holds, &officer, &hold(&account_s, "image/png", &order))
            .await,
        400,
        "INVALID_INPUT",
        "document",
    );
    let (_, outsider) = app.signed_up(4).await;
    refused(
        &app.post_as(
            holds,
            &outsider,
            &hold(&account_s, "application/pdf", &order),
        )
        .await,
        403,
        "FORBIDDEN",
        "role",
    );
    let (s, placed) = app
        .post_as(
            holds,
            &officer,
            &hold(&account_s, "application/pdf", &order),
        )
        .await;
    assert_eq!(s, 201, "{placed}");
    assert!(placed.get("document_sealed").is_none());
    let later = now() + 184 * DAY;
    let held = accounts.run_retention(later, "node-a").await.unwrap();
    assert_eq!((held.erased.len(), held.held), (0, 1), "{held:?}");
    assert!(stored(&app, subject, &PERSON_NAME).await);
    let release = format!("{holds}/{}/release", placed["id"].as_str().unwrap());
    let (s, released) = app.post_as(&release, &officer, &json!({})).await;
    assert_eq!(
        (s, released["released_by"].is_string()),
        (200, true),
        "{released}"
    );
    refused(
        &app.post_as(&release, &officer, &json!({})).await,
        409,
        "CONFLICT",
        "released",
    );
    let (_, listed) = app
        .get_as(&format!("{holds}?standing=true"), &officer)
        .await;
    assert_eq!(listed, json!([]));

    // The dry run names it and changes nothing.
    let plan = accounts.retention_plan(later).await.unwrap();
    assert_eq!((plan.dry_run, plan.erased.clone()), (true, vec![account]));
    assert!(stored(&app, subject, &PERSON_NAME).await);
    let (s, staff_plan) = app.get_as("/api/v1/staff/retention/plan", &officer).await;
    assert_eq!(
        (s, staff_plan["dry_run"].as_bool()),
        (200, Some(true)),
        "{staff_plan}"
    );
    refused(
        &app.get_as("/api/v1/staff/retention/plan", &outsider).await,
        403,
        "FORBIDDEN",
        "role",
    );

    // Another node's lease stands: this one does nothing.
    assert!(
        db.stores
            .accounts
            .try_lease("retention", "node-b", now() + 600, now())
            .await
            .unwrap()
    );
    let busy = accounts.run_retention(later, "node-a").await.unwrap();
    assert!(busy.lease_busy && busy.erased.is_empty());
    db.stores
        .accounts
        .release_lease("retention", "node-b")
        .await
        .unwrap();

    // A second cancelled account in the same batch, and the first's name made unreadable (as a
    // damaged row would be): its custody cannot be written, so its erasure fails and is left
    // for the next run — keys and all — while the other's goes through.
    let (other, other_token) = app.signed_up(5).await;
    let other: AccountId = other.parse().unwrap();
    let (s, done) = app
        .post_as(
            cancel,
            &other_token,
            &json!({"password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    let good = db
        .stores
        .pi
        .get_field(subject, PERSON_NAME.name)
        .await
        .unwrap()
        .unwrap();
    let mut damaged = good.clone();
    *damaged.sealed.last_mut().unwrap() ^= 1;
    db.stores.pi.put_field(&damaged, None).await.unwrap();
    let run = accounts.run_retention(later, "node-a").await.unwrap();
    assert_eq!(
        (run.erased.clone(), run.failed.clone()),
        (vec![other], vec![account]),
        "{run:?}"
    );
    assert!(run.erasures.is_empty(), "{run:?}");
    assert!(run.records.salts >= 1, "{run:?}");
    assert!(stored(&app, subject, &PERSON_MOBILE).await);
    assert!(in_custody(db, subject).await.is_empty());
    db.stores.pi.put_field(&good, None).await.unwrap();

    // The sweep: erased, what the law keeps in custody.
    let run = accounts.run_retention(later, "node-a").await.unwrap();
    assert_eq!(run.erased, vec![account], "{run:?}");
    let e = &run.erasures[0];
    for f in [PERSON_NAME.name, PERSON_DOCUMENT_NUMBER.name] {
        assert!(e.custody_fields.iter().any(|c| c == f), "{e:?}");
    }
    assert!(
        !e.custody_fields.iter().any(|c| c == PERSON_MOBILE.name),
        "{e:?}"
    );
    assert_eq!(e.custody_certificates, 1);
    assert!(run.records.salts >= 1, "{run:?}");
    assert!(run.failed.is_empty(), "{run:?}");
    assert!(
        accounts
            .run_retention(later, "node-a")
            .await
            .unwrap()
            .erased
            .is_empty()
    );

    // No API yields its information; nor does the copy taken before, restored.
    let shredded = |r: Result<_, yinxin_privacy::vault::VaultError>| match r {
        Err(e) => assert_eq!(e.code(), ErrorCode::SubjectShredded, "{e}"),
        Ok(_) => panic!("the erased subject's data opened"),
    };
    shredded(app.state.vault.get(subject, &PERSON_NAME).await.map(|_| ()));
    assert!(db.stores.pi.fields_of(subject).await.unwrap().is_empty());
    let restored: Vec<_> = backup.iter().cloned().map(|f| (f, None)).collect();
    db.stores.pi.put_fields(&restored).await.unwrap();
    for f in [&PERSON_NAME, &PERSON_DOCUMENT_NUMBER, &PERSON_MOBILE] {
        shredded(app.state.vault.get(subject, f).await.map(|_| ()));
    }
    let export = app
        .post_as(
            "/api/v1/me/export",
            &token,
            &json!({"passphrase": "a long passphrase"}),
        )
        .await;
    assert_eq!(export.0, 401);
    // Its consents went with their salts: their leaves now reveal nothing.
    assert!(consent_salt(consents[0].id.to_string()).await.is_none());
    assert!(
        db.stores
            .accounts
            .consents_of(account)
            .await
            .unwrap()
            .is_empty()
    );

    // The certificate record remains, sealed under the custody key, with its salt.
    let rec = db
        .stores
        .certificates
        .certificate(&serial)
        .await
        .unwrap()
        .unwrap();
    let custody = Vault::custody_subject(subject);
    let der = app
        .state
        .vault
        .open_record(
            custody,
            &SUBSCRIBER_CERTIFICATE,
            serial.as_bytes(),
            &rec.sealed_der,
        )
        .await
        .unwrap();
    let der = der
        .expose(yinxin_domain::pi::Purpose::LegalRecordKeeping)
        .unwrap();
    let pem_der = yinxin_server::verify::pem_blocks(
        cert["certificate_pem"].as_str().unwrap(),
        &["CERTIFICATE"],
    )
    .unwrap();
    assert_eq!(der, &pem_der[0]);
    assert!(
        db.stores
            .ledger
            .evidence_salt("certificate", &serial)
            .await
            .unwrap()
            .is_some()
    );
    let kept = in_custody(db, subject).await;
    let name_kept = kept.iter().find(|c| c.field == PERSON_NAME.name).unwrap();
    let opened = app
        .state
        .vault
        .open_record(custody, &PERSON_NAME, b"custody", &name_kept.sealed)
        .await
        .unwrap();
    assert_eq!(
        opened
            .expose(yinxin_domain::pi::Purpose::LegalRecordKeeping)
            .unwrap(),
        name.as_bytes()
    );
    assert_eq!(name_kept.retain_until, rec.retain_until);
    // What a handover to a successor reads of the erased holder (issue 8 item 12): the kept
    // identity from custody, the certificate's DER from custody, and nothing else.
    let records = accounts.certification_records(account).await.unwrap();
    assert!(records.erased_at.is_some());
    assert_eq!(
        records
            .identity
            .get(PERSON_NAME.name)
            .and_then(|v| v.as_str()),
        Some(name.as_str())
    );
    assert!(
        records
            .identity
            .keys()
            .all(|f| e.custody_fields.iter().any(|c| c == f)),
        "{records:?}"
    );
    assert_eq!(records.certificates.get(&serial), Some(&pem_der[0]));
    assert_eq!(
        accounts.certificate_holders(None, 10).await.unwrap(),
        vec![account]
    );
    // Custody is released only to a recorded legal demand (PIPL art. 47; issue 8 item 4): the
    // privacy officer's unmasking without one is refused; with one covering the name, the
    // name comes from custody; a field the law did not keep is not there.
    let unmask = format!("/api/v1/staff/subjects/{account}/unmask");
    let legal = |reference: &str, fields: serde_json::Value| {
        json!({"role": "privacy_officer", "purpose": "legal_record_keeping",
               "reference": reference, "fields": fields})
    };
    let (s, body) = app
        .post_as(
            &unmask,
            &officer,
            &legal("demand:none", json!(["person.name"])),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{body}"
    );
    let (s, demand) = app
        .post_as(
            "/api/v1/staff/legal-demands",
            &officer,
            &json!({"authority": "北京市海淀区人民法院", "document_number": "(2027)京0108民初3号",
                    "legal_basis": "《民事诉讼法》第七十条", "subjects": [account],
                    "data_items": ["person.name", "person.document_number", "log.ip_address"],
                    "document_type": "application/pdf",
                    "document": base64::engine::general_purpose::STANDARD
                        .encode(crate::documents::pdf_of_pages(1))}),
        )
        .await;
    assert_eq!(s, 201, "{demand}");
    let demand_ref = format!("demand:{}", demand["id"].as_str().unwrap());
    let (s, shown) = app
        .post_as(
            &unmask,
            &officer,
            &legal(
                &demand_ref,
                json!(["person.name", "person.document_number"]),
            ),
        )
        .await;
    assert_eq!(s, 200, "{shown}");
    assert_eq!(shown["values"][0]["value"], name.as_str());
    assert_eq!(shown["values"][1]["field"], "person.document_number");
    // A field a demand may cover but the law did not keep: not in custody.
    let (s, body) = app
        .post_as(
            &unmask,
            &officer,
            &legal(&demand_ref, json!(["log.ip_address"])),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("in custody"),
        "{body}"
    );
    // The mobile was not kept, and no demand can ask for it.
    let (s, body) = app
        .post_as(
            &unmask,
            &officer,
            &legal(&demand_ref, json!(["person.mobile"])),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{body}"
    );

    // The evidence log still verifies, every leaf rehashed.
    let log = app.state.log.as_ref().unwrap();
    log.sequence(10_000, now() * 1000).await.unwrap();
    log.verify_stored_tree(TreeCheck::EveryNode).await.unwrap();

    // Custody ends with the last certificate record's term: its key destroyed in turn.
    let run = accounts
        .run_retention(rec.retain_until + DAY, "node-a")
        .await
        .unwrap();
    assert_eq!(run.custody_released, 1, "{run:?}");
    shredded(
        app.state
            .vault
            .open_record(custody, &PERSON_NAME, b"custody", &name_kept.sealed)
            .await
            .map(|_| ()),
    );
    assert!(in_custody(db, subject).await.is_empty());
}

/// PRIV-9: a batch whose data transaction fails — here the database refuses one account's
/// consents going — is erased account by account: that account is reported and left whole
/// for the next run, the others of its batch are erased. (SQLite: the refusal is a trigger
/// the test adds; the engine's code is the same on both backends.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_is_erased_account_by_account() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db).await;
    let mut cancelled = Vec::new();
    for n in 40..43 {
        let (account, token) = app.signed_up(n).await;
        let (s, done) = app
            .post_as(
                "/api/v1/me/cancellation",
                &token,
                &json!({"password": "correct horse 42"}),
            )
            .await;
        assert_eq!(s, 200, "{done}");
        let account: AccountId = account.parse().unwrap();
        let subject = db
            .stores
            .accounts
            .account(account)
            .await
            .unwrap()
            .unwrap()
            .subject;
        assert!(stored(&app, subject, &PERSON_NAME).await);
        cancelled.push((account, subject));
    }
    let (refused, refused_subject) = cancelled[1];
    let file = db.sqlite_data_file().unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query(&format!(
        "CREATE TRIGGER refuse_one BEFORE DELETE ON consents WHEN OLD.account_id = '{refused}' \
         BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let later = now() + 184 * DAY;
    let run = sweep(&app, later).await;
    assert_eq!(run.failed, vec![refused], "{run:?}");
    let mut erased = run.erased.clone();
    erased.sort();
    let mut others = vec![cancelled[0].0, cancelled[2].0];
    others.sort();
    assert_eq!(erased, others, "{run:?}");
    assert!(stored(&app, refused_subject, &PERSON_NAME).await);
    for (_, subject) in [cancelled[0], cancelled[2]] {
        assert!(app.state.vault.get(subject, &PERSON_NAME).await.is_err());
    }
    // The refusal lifted, the next run finishes it.
    sqlx::query("DROP TRIGGER refuse_one")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let run = sweep(&app, later).await;
    assert_eq!((run.erased, run.failed), (vec![refused], vec![]));
    assert!(
        app.state
            .vault
            .get(refused_subject, &PERSON_NAME)
            .await
            .is_err()
    );
    db.cleanup().await;
}

/// A retention run at `at`, as one node.
async fn sweep(app: &TestApp, at: i64) -> yinxin_identity::retention::RetentionReport {
    app.state
        .accounts
        .run_retention(at, "node-a")
        .await
        .unwrap()
}

/// The values in custody for `subject`.
async fn in_custody(db: &TestDb, subject: yinxin_domain::SubjectId) -> Vec<CustodyValue> {
    db.stores.accounts.custody_of(subject).await.unwrap()
}

/// Whether the vault holds `field` of `subject` (and it opens).
async fn stored(
    app: &TestApp,
    subject: yinxin_domain::SubjectId,
    field: &'static yinxin_domain::pi::PiField,
) -> bool {
    app.state.vault.get(subject, field).await.unwrap().is_some()
}

/// A text field of `subject`, read while it is stored.
async fn text_of(
    app: &TestApp,
    subject: yinxin_domain::SubjectId,
    field: &'static yinxin_domain::pi::PiField,
) -> String {
    app.state
        .vault
        .get_string(subject, field)
        .await
        .unwrap()
        .unwrap()
        .expose(yinxin_domain::pi::Purpose::SubjectAccess)
        .unwrap()
        .clone()
}
