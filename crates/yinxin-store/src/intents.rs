//! [`IntentRepo`] for both backends (migration 0020): confirmations of intent to sign and the
//! record of every signature made with a key the service holds (issue 6 item 3).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::signing::{
    DocumentRecord, IntentDigest, IntentMethod, IntentRecord, IntentRefusal, IntentRepo,
    SignatureFormat, SignatureRecord,
};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const INTENT_COLUMNS: &str = "id, account_id, certificate_serial, digest_algorithm, digest, \
     method, challenge, created_at, expires_at, confirmed_at, evidence, used_at";

type IntentRow = (
    String,
    String,
    String,
    String,
    Vec<u8>,
    String,
    Option<Vec<u8>>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

pub(crate) const SIGNATURE_COLUMNS: &str = "id, account_id, certificate_serial, intent_id, enterprise_id, \
     seal_id, seal_authorization_id, format, digest_algorithm, digest, document_id, created_at";

type SignatureRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    Vec<u8>,
    Option<String>,
    i64,
);

fn digest_of(s: &str) -> StoreResult<IntentDigest> {
    IntentDigest::parse(s).ok_or_else(|| StoreError::Corrupt(format!("digest algorithm {s:?}")))
}

fn intent_of(r: IntentRow) -> StoreResult<IntentRecord> {
    let (
        id,
        account,
        serial,
        alg,
        digest,
        method,
        challenge,
        created,
        expires,
        confirmed,
        ev,
        used,
    ) = r;
    Ok(IntentRecord {
        id,
        account: uuid_of(&account, "account")?,
        certificate_serial: serial,
        digest_algorithm: digest_of(&alg)?,
        digest,
        method: IntentMethod::parse(&method)
            .ok_or_else(|| StoreError::Corrupt(format!("intent method {method:?}")))?,
        challenge,
        created_at: created,
        expires_at: expires,
        confirmed_at: confirmed,
        evidence: ev,
        used_at: used,
    })
}

fn signature_of(r: SignatureRow) -> StoreResult<SignatureRecord> {
    let (id, account, serial, intent, enterprise, seal, auth, format, alg, digest, doc, at) = r;
    Ok(SignatureRecord {
        id,
        account: uuid_of(&account, "account")?,
        certificate_serial: serial,
        intent,
        enterprise: enterprise.map(|e| uuid_of(&e, "enterprise")).transpose()?,
        seal,
        seal_authorization: auth,
        format: SignatureFormat::parse(&format)
            .ok_or_else(|| StoreError::Corrupt(format!("signature format {format:?}")))?,
        digest_algorithm: digest_of(&alg)?,
        digest,
        document: doc,
        created_at: at,
    })
}

pub(crate) const DOCUMENT_COLUMNS: &str =
    "id, owner_id, parent_id, sha256, sm3, size, pages, created_at";

type DocumentRow = (
    String,
    String,
    Option<String>,
    Vec<u8>,
    Vec<u8>,
    i64,
    i64,
    i64,
);

/// A document row and its sealed bytes.
type SealedDocumentRow = (
    String,
    String,
    Option<String>,
    Vec<u8>,
    Vec<u8>,
    i64,
    i64,
    i64,
    Vec<u8>,
);

fn document_of(r: DocumentRow) -> StoreResult<DocumentRecord> {
    let (id, owner, parent, sha256, sm3, size, pages, at) = r;
    Ok(DocumentRecord {
        id,
        owner: uuid_of(&owner, "account")?,
        parent,
        sha256,
        sm3,
        size: u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("document size {size}")))?,
        pages: u32::try_from(pages)
            .map_err(|_| StoreError::Corrupt(format!("document pages {pages}")))?,
        created_at: at,
    })
}

/// The document insert, bound; executed on a pool or inside a transaction.
macro_rules! insert_document {
    ($d:expr, $sealed:expr) => {
        sqlx::query(&format!(
            "INSERT INTO documents ({}, content_sealed) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            $crate::intents::DOCUMENT_COLUMNS
        ))
        .bind(&$d.id)
        .bind($d.owner.to_string())
        .bind(&$d.parent)
        .bind(&$d.sha256)
        .bind(&$d.sm3)
        .bind(i64::try_from($d.size).unwrap_or(i64::MAX))
        .bind(i64::from($d.pages))
        .bind($d.created_at)
        .bind($sealed)
    };
}

pub(crate) use insert_document;

/// Inside the transaction `$tx`: uses up the record's intent, stores the signed document if
/// there is one, and stores the record; the value is `Err(refusal)` (the caller rolls back) when
/// the intent cannot be used. Shared by [`IntentRepo::record_signature`] and the envelope store,
/// whose signature moves the envelope in the same transaction.
macro_rules! record_in_tx {
    ($tx:ident, $r:expr, $signed:expr, $evidence:expr) => {
        'record: {
            let r: &yinxin_domain::signing::SignatureRecord = $r;
            let at = r.created_at;
            if let Some(intent) = &r.intent {
                let n = sqlx::query(
                    "UPDATE signing_intents SET used_at = $2 \
                     WHERE id = $1 AND account_id = $3 AND confirmed_at IS NOT NULL \
                     AND used_at IS NULL AND expires_at > $2",
                )
                .bind(intent)
                .bind(at)
                .bind(r.account.to_string())
                .execute(&mut *$tx)
                .await
                .map_err($crate::repos::db_err)?
                .rows_affected();
                if n != 1 {
                    let row: Option<(Option<i64>, Option<i64>, i64)> = sqlx::query_as(
                        "SELECT confirmed_at, used_at, expires_at FROM signing_intents \
                         WHERE id = $1 AND account_id = $2",
                    )
                    .bind(intent)
                    .bind(r.account.to_string())
                    .fetch_optional(&mut *$tx)
                    .await
                    .map_err($crate::repos::db_err)?;
                    break 'record Err($crate::intents::refusal(row, at));
                }
            }
            let signed: Option<(&yinxin_domain::signing::DocumentRecord, &[u8])> = $signed;
            if let Some((d, sealed)) = signed {
                $crate::intents::insert_document!(d, sealed)
                    .execute(&mut *$tx)
                    .await
                    .map_err($crate::repos::db_err)?;
            }
            sqlx::query(&format!(
                "INSERT INTO signatures ({}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                $crate::intents::SIGNATURE_COLUMNS
            ))
            .bind(&r.id)
            .bind(r.account.to_string())
            .bind(&r.certificate_serial)
            .bind(&r.intent)
            .bind(r.enterprise.map(|e| e.to_string()))
            .bind(&r.seal)
            .bind(&r.seal_authorization)
            .bind(r.format.as_str())
            .bind(r.digest_algorithm.as_str())
            .bind(&r.digest)
            .bind(&r.document)
            .bind(at)
            .execute(&mut *$tx)
            .await
            .map_err($crate::repos::db_err)?;
            $crate::ledger::queue_evidence!($tx, $evidence);
            Ok(())
        }
    };
}

pub(crate) use record_in_tx;

/// Why an intent that could not be used up was refused, from its row as it stands.
pub(crate) fn refusal(row: Option<(Option<i64>, Option<i64>, i64)>, at: i64) -> IntentRefusal {
    match row {
        Some((_, Some(_), _)) | None => IntentRefusal::Used,
        Some((None, None, _)) => IntentRefusal::Unconfirmed,
        Some((Some(_), None, expires)) if expires <= at => IntentRefusal::Expired,
        // Confirmed, unused, unexpired, yet not updated: another account's, or raced; treat it as
        // used, which refuses without saying more.
        Some(_) => IntentRefusal::Used,
    }
}

macro_rules! intent_repo {
    ($db:ty) => {
        #[async_trait]
        impl IntentRepo for SqlStore<$db> {
            async fn insert_intent(&self, r: &IntentRecord) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO signing_intents ({INTENT_COLUMNS}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(&r.id)
                .bind(r.account.to_string())
                .bind(&r.certificate_serial)
                .bind(r.digest_algorithm.as_str())
                .bind(&r.digest)
                .bind(r.method.as_str())
                .bind(&r.challenge)
                .bind(r.created_at)
                .bind(r.expires_at)
                .bind(r.confirmed_at)
                .bind(&r.evidence)
                .bind(r.used_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn intent(
                &self,
                id: &str,
                account: AccountId,
            ) -> StoreResult<Option<IntentRecord>> {
                let row: Option<IntentRow> = sqlx::query_as(&format!(
                    "SELECT {INTENT_COLUMNS} FROM signing_intents \
                     WHERE id = $1 AND account_id = $2"
                ))
                .bind(id)
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(intent_of).transpose()
            }

            async fn confirm_intent(&self, id: &str, evidence: &str, at: i64) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE signing_intents SET confirmed_at = $2, evidence = $3 \
                     WHERE id = $1 AND confirmed_at IS NULL AND used_at IS NULL \
                     AND expires_at > $2",
                )
                .bind(id)
                .bind(at)
                .bind(evidence)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn record_signature(
                &self,
                r: &SignatureRecord,
                signed: Option<(&DocumentRecord, &[u8])>,
                evidence: &yinxin_domain::ledger::EvidenceEntry,
            ) -> StoreResult<Result<(), IntentRefusal>> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                match record_in_tx!(tx, r, signed, evidence) {
                    Ok(()) => {
                        tx.commit().await.map_err(db_err)?;
                        Ok(Ok(()))
                    }
                    Err(refusal) => {
                        tx.rollback().await.map_err(db_err)?;
                        Ok(Err(refusal))
                    }
                }
            }

            async fn insert_document(&self, d: &DocumentRecord, sealed: &[u8]) -> StoreResult<()> {
                insert_document!(d, sealed)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn document(
                &self,
                id: &str,
                owner: AccountId,
            ) -> StoreResult<Option<(DocumentRecord, Vec<u8>)>> {
                let row: Option<SealedDocumentRow> = sqlx::query_as(&format!(
                    "SELECT {DOCUMENT_COLUMNS}, content_sealed FROM documents \
                         WHERE id = $1 AND owner_id = $2"
                ))
                .bind(id)
                .bind(owner.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|(a, b, c, d, e, f, g, h, sealed)| {
                    Ok((document_of((a, b, c, d, e, f, g, h))?, sealed))
                })
                .transpose()
            }

            async fn documents_of(&self, owner: AccountId) -> StoreResult<Vec<DocumentRecord>> {
                let rows: Vec<DocumentRow> = sqlx::query_as(&format!(
                    "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE owner_id = $1 \
                     ORDER BY created_at, id"
                ))
                .bind(owner.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(document_of).collect()
            }

            async fn signature(
                &self,
                id: &str,
                account: AccountId,
            ) -> StoreResult<Option<SignatureRecord>> {
                let row: Option<SignatureRow> = sqlx::query_as(&format!(
                    "SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE id = $1 AND account_id = $2"
                ))
                .bind(id)
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(signature_of).transpose()
            }

            async fn signatures_by(
                &self,
                account: AccountId,
                limit: u32,
            ) -> StoreResult<Vec<SignatureRecord>> {
                let rows: Vec<SignatureRow> = sqlx::query_as(&format!(
                    "SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE account_id = $1 \
                     ORDER BY created_at DESC, id LIMIT $2"
                ))
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(signature_of).collect()
            }
        }
    };
}

intent_repo!(sqlx::Sqlite);
intent_repo!(sqlx::Postgres);
