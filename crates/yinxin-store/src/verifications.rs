//! [`VerificationRepo`] for both backends: identity verifications, the processor register, the
//! disclosure log, deposit challenges and identity credentials (IDV-1..IDV-6, PRIV-7).
//!
//! Lists (factors, data items, methods) are stored as JSON arrays of their wire names.

use async_trait::async_trait;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::verification::{
    AssuranceLevel, CredentialRecord, DepositRecord, DepositState, DisclosureRecord, Factor,
    Method, OutcomeKind, ProcessorRecord, VerificationRecord, VerificationRepo,
};
use yinxin_domain::{AccountId, DepositId, VerificationId};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

fn json_list<T: AsRef<str>>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(|s| s.as_ref()).collect::<Vec<_>>()).to_string()
}

fn parse_list(s: &str, what: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt(format!("stored {what} {s:?}")))
}

fn parse_each<T>(s: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<Vec<T>> {
    parse_list(s, what)?
        .iter()
        .map(|x| parse(x).ok_or_else(|| StoreError::Corrupt(format!("stored {what} {x:?}"))))
        .collect()
}

fn parsed<T>(s: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(s).ok_or_else(|| StoreError::Corrupt(format!("stored {what} {s:?}")))
}

const PROCESSOR_COLUMNS: &str = "name, legal_name, contact, data_items, purpose, processing_method, location, methods, registered_at, outside_prc, security_assessment";
type ProcessorRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    bool,
    Option<String>,
);

fn processor_of(r: ProcessorRow) -> StoreResult<ProcessorRecord> {
    let (
        name,
        legal_name,
        contact,
        items,
        purpose,
        processing_method,
        location,
        methods,
        at,
        outside_prc,
        security_assessment,
    ) = r;
    Ok(ProcessorRecord {
        name,
        legal_name,
        contact,
        data_items: parse_list(&items, "data items")?,
        purpose,
        processing_method,
        location,
        outside_prc,
        security_assessment,
        methods: parse_each(&methods, "method", Method::parse)?,
        registered_at: at,
    })
}

macro_rules! verification_columns {
    () => {
        "id, subject_id, requested_by, method, provider, outcome, mismatched, assurance, error, at"
    };
}
const VERIFICATION_COLUMNS: &str = verification_columns!();
/// An account's verifications, newest first (a hot read: [`crate::inline`]).
const VERIFICATIONS_OF: &str = concat!(
    "SELECT ",
    verification_columns!(),
    " FROM verifications WHERE subject_id = $1 ORDER BY id DESC"
);
type VerificationRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

fn verification_of(r: VerificationRow) -> StoreResult<VerificationRecord> {
    let (id, subject, by, method, provider, outcome, mismatched, assurance, error, at) = r;
    Ok(VerificationRecord {
        id: uuid_of(&id, "verification")?,
        subject: uuid_of(&subject, "account")?,
        requested_by: uuid_of(&by, "account")?,
        method: parsed(&method, "method", Method::parse)?,
        provider,
        outcome: parsed(&outcome, "outcome", OutcomeKind::parse)?,
        mismatched: parse_each(&mismatched, "factor", Factor::parse)?,
        assurance: assurance
            .map(|a| parsed(&a, "assurance", AssuranceLevel::parse))
            .transpose()?,
        error,
        at,
    })
}

const DISCLOSURE_COLUMNS: &str =
    "id, processor, subject_id, verification_id, purpose, data_items, result, at";
type DisclosureRow = (String, String, String, String, String, String, String, i64);

fn disclosure_of(r: DisclosureRow) -> StoreResult<DisclosureRecord> {
    let (id, processor, subject, verification, purpose, items, result, at) = r;
    Ok(DisclosureRecord {
        id: uuid_of(&id, "disclosure")?,
        processor,
        subject: uuid_of(&subject, "account")?,
        verification: uuid_of(&verification, "verification")?,
        purpose,
        data_items: parse_list(&items, "data items")?,
        result,
        at,
    })
}

const DEPOSIT_COLUMNS: &str = "id, enterprise_id, requested_by, verification_id, amount_hash, \
                               account_hint, provider, created_at, expires_at, attempts, state";
type DepositRow = (
    String,
    String,
    String,
    String,
    Vec<u8>,
    String,
    String,
    i64,
    i64,
    i64,
    String,
);

fn deposit_of(r: DepositRow) -> StoreResult<DepositRecord> {
    let (id, ent, by, ver, hash, hint, provider, created, expires, attempts, state) = r;
    Ok(DepositRecord {
        id: uuid_of(&id, "deposit")?,
        enterprise: uuid_of(&ent, "account")?,
        requested_by: uuid_of(&by, "account")?,
        verification: uuid_of(&ver, "verification")?,
        amount_hash: hash,
        account_hint: hint,
        provider,
        created_at: created,
        expires_at: expires,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        state: parsed(&state, "deposit state", DepositState::parse)?,
    })
}

const CREDENTIAL_COLUMNS: &str = "id, account_id, verification_id, method, assurance, issued_at, \
                                  expires_at, superseded_at";
type CredentialRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

fn credential_of(r: CredentialRow) -> StoreResult<CredentialRecord> {
    let (id, account, ver, method, assurance, issued, expires, superseded) = r;
    Ok(CredentialRecord {
        id: uuid_of(&id, "credential")?,
        account: uuid_of(&account, "account")?,
        verification: uuid_of(&ver, "verification")?,
        method: parsed(&method, "method", Method::parse)?,
        assurance: parsed(&assurance, "assurance", AssuranceLevel::parse)?,
        issued_at: issued,
        expires_at: expires,
        superseded_at: superseded,
    })
}

fn factor_names(f: &[Factor]) -> Vec<&'static str> {
    f.iter().map(|f| f.as_str()).collect()
}

macro_rules! verification_repo {
    ($db:ty) => {
        #[async_trait]
        impl VerificationRepo for SqlStore<$db> {
            async fn upsert_processor(&self, p: &ProcessorRecord) -> StoreResult<()> {
                let methods: Vec<&str> = p.methods.iter().map(|m| m.as_str()).collect();
                sqlx::query(
                    "INSERT INTO processors (name, legal_name, contact, data_items, purpose, \
                     processing_method, location, methods, registered_at, updated_at, \
                     outside_prc, security_assessment) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) \
                     ON CONFLICT (name) DO UPDATE SET legal_name = $2, contact = $3, \
                     data_items = $4, purpose = $5, processing_method = $6, location = $7, \
                     methods = $8, updated_at = $9, outside_prc = $10, \
                     security_assessment = $11",
                )
                .bind(&p.name)
                .bind(&p.legal_name)
                .bind(&p.contact)
                .bind(json_list(&p.data_items))
                .bind(&p.purpose)
                .bind(&p.processing_method)
                .bind(&p.location)
                .bind(json_list(&methods))
                .bind(p.registered_at)
                .bind(p.outside_prc)
                .bind(p.security_assessment.as_deref())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn processors(&self) -> StoreResult<Vec<ProcessorRecord>> {
                let rows: Vec<ProcessorRow> = sqlx::query_as(&format!(
                    "SELECT {PROCESSOR_COLUMNS} FROM processors ORDER BY name"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(processor_of).collect()
            }

            async fn insert_verification(
                &self,
                v: &VerificationRecord,
                disclosures: &[DisclosureRecord],
                evidence: &[yinxin_domain::ledger::EvidenceEntry],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO verifications ({VERIFICATION_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(v.id.to_string())
                .bind(v.subject.to_string())
                .bind(v.requested_by.to_string())
                .bind(v.method.as_str())
                .bind(v.provider.as_deref())
                .bind(v.outcome.as_str())
                .bind(json_list(&factor_names(&v.mismatched)))
                .bind(v.assurance.map(AssuranceLevel::as_str))
                .bind(v.error.as_deref())
                .bind(v.at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                for d in disclosures {
                    sqlx::query(&format!(
                        "INSERT INTO disclosures ({DISCLOSURE_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ))
                    .bind(d.id.to_string())
                    .bind(&d.processor)
                    .bind(d.subject.to_string())
                    .bind(d.verification.to_string())
                    .bind(&d.purpose)
                    .bind(json_list(&d.data_items))
                    .bind(&d.result)
                    .bind(d.at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                for e in evidence {
                    crate::ledger::queue_evidence!(tx, e);
                }
                tx.commit().await.map_err(db_err)
            }

            async fn settle_verification(
                &self,
                id: VerificationId,
                outcome: OutcomeKind,
                mismatched: &[Factor],
                assurance: Option<AssuranceLevel>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE verifications SET outcome = $2, mismatched = $3, assurance = $4 \
                     WHERE id = $1 AND outcome = 'pending'",
                )
                .bind(id.to_string())
                .bind(outcome.as_str())
                .bind(json_list(&factor_names(mismatched)))
                .bind(assurance.map(AssuranceLevel::as_str))
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn verifications_of(
                &self,
                subject: AccountId,
            ) -> StoreResult<Vec<VerificationRecord>> {
                let id = subject.to_string();
                let rows: Vec<VerificationRow> = match &self.inline {
                    Some(r) => r.all(VERIFICATIONS_OF, [&id])?,
                    None => sqlx::query_as(VERIFICATIONS_OF)
                        .bind(&id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?,
                };
                rows.into_iter().map(verification_of).collect()
            }

            async fn disclosures_of(
                &self,
                subject: AccountId,
            ) -> StoreResult<Vec<DisclosureRecord>> {
                let rows: Vec<DisclosureRow> = sqlx::query_as(&format!(
                    "SELECT {DISCLOSURE_COLUMNS} FROM disclosures WHERE subject_id = $1 \
                     ORDER BY id DESC"
                ))
                .bind(subject.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(disclosure_of).collect()
            }

            async fn insert_deposit(&self, d: &DepositRecord) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO deposit_challenges ({DEPOSIT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(d.id.to_string())
                .bind(d.enterprise.to_string())
                .bind(d.requested_by.to_string())
                .bind(d.verification.to_string())
                .bind(&d.amount_hash)
                .bind(&d.account_hint)
                .bind(&d.provider)
                .bind(d.created_at)
                .bind(d.expires_at)
                .bind(i64::from(d.attempts))
                .bind(d.state.as_str())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn latest_deposit(
                &self,
                enterprise: AccountId,
            ) -> StoreResult<Option<DepositRecord>> {
                let row: Option<DepositRow> = sqlx::query_as(&format!(
                    "SELECT {DEPOSIT_COLUMNS} FROM deposit_challenges WHERE enterprise_id = $1 \
                     ORDER BY id DESC LIMIT 1"
                ))
                .bind(enterprise.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(deposit_of).transpose()
            }

            async fn deposit_attempt(&self, id: DepositId, fail: bool) -> StoreResult<bool> {
                let state = if fail { "failed" } else { "pending" };
                Ok(sqlx::query(
                    "UPDATE deposit_challenges SET attempts = attempts + 1, state = $2 \
                     WHERE id = $1 AND state = 'pending'",
                )
                .bind(id.to_string())
                .bind(state)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }

            async fn confirm_deposit(&self, id: DepositId) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE deposit_challenges SET state = 'confirmed' \
                     WHERE id = $1 AND state = 'pending'",
                )
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }

            async fn insert_credential(&self, c: &CredentialRecord) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(
                    "UPDATE identity_credentials SET superseded_at = $2 \
                     WHERE account_id = $1 AND superseded_at IS NULL",
                )
                .bind(c.account.to_string())
                .bind(c.issued_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO identity_credentials ({CREDENTIAL_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(c.id.to_string())
                .bind(c.account.to_string())
                .bind(c.verification.to_string())
                .bind(c.method.as_str())
                .bind(c.assurance.as_str())
                .bind(c.issued_at)
                .bind(c.expires_at)
                .bind(c.superseded_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn credentials_of(
                &self,
                account: AccountId,
            ) -> StoreResult<Vec<CredentialRecord>> {
                let rows: Vec<CredentialRow> = sqlx::query_as(&format!(
                    "SELECT {CREDENTIAL_COLUMNS} FROM identity_credentials WHERE account_id = $1 \
                     ORDER BY id DESC"
                ))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(credential_of).collect()
            }

            async fn publish_credential_key(
                &self,
                kid: &str,
                public_key: &[u8],
                at: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO credential_keys (kid, public_key, created_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING",
                )
                .bind(kid)
                .bind(public_key)
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn credential_keys(&self) -> StoreResult<Vec<Vec<u8>>> {
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT public_key FROM credential_keys ORDER BY created_at DESC, kid",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows.into_iter().map(|(k,)| k).collect())
            }
        }
    };
}

verification_repo!(sqlx::Sqlite);
verification_repo!(sqlx::Postgres);
