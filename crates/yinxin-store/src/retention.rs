//! [`RetentionRepo`] for both backends: cancellation, erasure of an account's records, custody,
//! legal holds and job leases (issue 8 items 4–5; ACC-6, PRIV-9, PRIV-15, PRIV-16, CERT-7).

use async_trait::async_trait;
use yinxin_domain::repo::StoreResult;
use yinxin_domain::retention::{
    AccountLifecycle, CustodyValue, DueErasure, ErasedRecords, ErasureWrite, LegalHold,
    RetainedCertificate, RetentionRepo,
};
use yinxin_domain::{AccountId, SubjectId};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err, placeholders, subject_of};

const HOLD_COLUMNS: &str = "id, account_id, authority, document_number, document_type, \
     document_sha256, document_sealed, placed_by, placed_at, released_by, released_at";

/// `legal_holds` columns in [`HOLD_COLUMNS`] order.
type HoldRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Vec<u8>,
    String,
    i64,
    Option<String>,
    Option<i64>,
);

fn hold_of(r: HoldRow) -> StoreResult<LegalHold> {
    let (id, account, authority, number, media, sha, sealed, by, at, released_by, released_at) = r;
    Ok(LegalHold {
        id,
        account: uuid_of(&account, "account")?,
        authority,
        document_number: number,
        document_type: media,
        document_sha256: sha,
        document_sealed: sealed,
        placed_by: uuid_of(&by, "account")?,
        placed_at: at,
        released_by: released_by.map(|b| uuid_of(&b, "account")).transpose()?,
        released_at,
    })
}

/// What an erasure deletes, in order (children before parents), with the evidence salts of the
/// records that went to the log deleted first: `(table, salt kind, statement)`. `{ids}` stands
/// for the batch's account ids (`$1, $2, …`). What is not here is kept (docs/RETENTION.md):
/// certification records (certificates, verifications, identity credentials, processor
/// disclosures, signatures, envelopes), the
/// handling of requests, staff accesses and legal demands — none holds a value, and once the
/// subject's key is gone none leads to a person.
const ERASED: &[(&str, Option<&str>, &str)] = &[
    (
        "consents",
        Some("SELECT id FROM consents WHERE account_id IN ({ids})"),
        "DELETE FROM consents WHERE account_id IN ({ids})",
    ),
    (
        "app_disclosures",
        Some("SELECT id FROM app_disclosures WHERE subject_id IN ({ids})"),
        "DELETE FROM app_disclosures WHERE subject_id IN ({ids})",
    ),
    (
        "correction_proposals",
        None,
        "DELETE FROM correction_proposals WHERE request_id IN \
         (SELECT id FROM subject_requests WHERE account_id IN ({ids}))",
    ),
    (
        "support_messages",
        None,
        "DELETE FROM support_messages WHERE request_id IN \
         (SELECT id FROM support_requests WHERE account_id IN ({ids}))",
    ),
    (
        "support_requests",
        None,
        "DELETE FROM support_requests WHERE account_id IN ({ids})",
    ),
    (
        "login_events",
        None,
        "DELETE FROM login_events WHERE account_id IN ({ids})",
    ),
    (
        "permission_events",
        None,
        "DELETE FROM permission_events WHERE account_id IN ({ids})",
    ),
    (
        "signature_images",
        None,
        "DELETE FROM signature_images WHERE account_id IN ({ids})",
    ),
];

/// The evidence-salt kind of the records of `table` (as their writers name it).
fn salt_kind(table: &str) -> &str {
    match table {
        "consents" => "consent",
        "app_disclosures" => "app_disclosure",
        other => other,
    }
}

macro_rules! retention_repo {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// The accounts among `accounts` that `select` (one account-id column; `{ids}` the
            /// list of them) returns.
            async fn accounts_among(
                &self,
                select: &str,
                accounts: &[AccountId],
            ) -> StoreResult<Vec<AccountId>> {
                if accounts.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = select.replace("{ids}", &placeholders(1, accounts.len()));
                let mut q = sqlx::query_as::<_, (String,)>(&sql);
                for a in accounts {
                    q = q.bind(a.to_string());
                }
                q.fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?
                    .into_iter()
                    .map(|(a,)| uuid_of(&a, "account"))
                    .collect()
            }
        }

        #[async_trait]
        impl RetentionRepo for SqlStore<$db> {
            async fn cancel_account(
                &self,
                account: AccountId,
                subject: SubjectId,
                at: i64,
            ) -> StoreResult<bool> {
                let id = account.to_string();
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let n = sqlx::query(
                    "UPDATE accounts SET cancelled_at = $2, password_hash = NULL \
                     WHERE id = $1 AND cancelled_at IS NULL",
                )
                .bind(&id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                for sql in [
                    "DELETE FROM sessions WHERE account_id = $1",
                    "DELETE FROM passkeys WHERE account_id = $1",
                    "DELETE FROM webauthn_challenges WHERE account_id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                sqlx::query("DELETE FROM pi_blind_index WHERE subject_id = $1")
                    .bind(subject.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(n == 1)
            }

            async fn lifecycle(&self, account: AccountId) -> StoreResult<AccountLifecycle> {
                let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT cancelled_at, erased_at FROM accounts WHERE id = $1",
                )
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                let (cancelled_at, erased_at) = row.unwrap_or((None, None));
                Ok(AccountLifecycle {
                    cancelled_at,
                    erased_at,
                })
            }

            async fn due_erasures(
                &self,
                cancelled_by: i64,
                limit: u32,
            ) -> StoreResult<Vec<DueErasure>> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT a.id, a.subject_id, a.cancelled_at FROM accounts a \
                     WHERE a.cancelled_at IS NOT NULL AND a.erased_at IS NULL \
                       AND a.cancelled_at <= $1 \
                       AND NOT EXISTS (SELECT 1 FROM legal_holds h \
                           WHERE h.account_id = a.id AND h.released_at IS NULL) \
                     ORDER BY a.cancelled_at, a.id LIMIT $2",
                )
                .bind(cancelled_by)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(a, s, at)| {
                        Ok(DueErasure {
                            account: uuid_of(&a, "account")?,
                            subject: subject_of(&s)?,
                            cancelled_at: at,
                        })
                    })
                    .collect()
            }

            async fn held_erasures(&self, cancelled_by: i64) -> StoreResult<u64> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM accounts a \
                     WHERE a.cancelled_at IS NOT NULL AND a.erased_at IS NULL \
                       AND a.cancelled_at <= $1 \
                       AND EXISTS (SELECT 1 FROM legal_holds h \
                           WHERE h.account_id = a.id AND h.released_at IS NULL)",
                )
                .bind(cancelled_by)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn retained_certificates(
                &self,
                holder: AccountId,
            ) -> StoreResult<Vec<RetainedCertificate>> {
                let rows: Vec<(String, i64, Vec<u8>, i64)> = sqlx::query_as(
                    "SELECT serial, retain_until, sealed_der, CAST(custody AS BIGINT) \
                     FROM certificates WHERE holder = $1 ORDER BY issued_at, serial",
                )
                .bind(holder.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(serial, retain_until, sealed_der, custody)| RetainedCertificate {
                        serial,
                        retain_until,
                        sealed_der,
                        custody: custody != 0,
                    })
                    .collect())
            }

            async fn certificate_holders_among(
                &self,
                accounts: &[AccountId],
            ) -> StoreResult<Vec<AccountId>> {
                self.accounts_among(
                    "SELECT DISTINCT holder FROM certificates WHERE holder IN ({ids})",
                    accounts,
                )
                .await
            }

            async fn disclosed_among(&self, accounts: &[AccountId]) -> StoreResult<Vec<AccountId>> {
                self.accounts_among(
                    "SELECT subject_id FROM disclosures WHERE subject_id IN ({ids}) \
                     UNION SELECT subject_id FROM app_disclosures WHERE subject_id IN ({ids})",
                    accounts,
                )
                .await
            }

            async fn erase_accounts_records(
                &self,
                writes: &[ErasureWrite<'_>],
            ) -> StoreResult<ErasedRecords> {
                let mut out = ErasedRecords::default();
                if writes.is_empty() {
                    return Ok(out);
                }
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for w in writes {
                    let subject = w.subject.to_string();
                    for c in w.custody {
                        sqlx::query(
                            "INSERT INTO pi_custody (subject_id, field, sealed, retain_until) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id, field) DO UPDATE \
                             SET sealed = excluded.sealed, retain_until = excluded.retain_until",
                        )
                        .bind(&subject)
                        .bind(&c.field)
                        .bind(&c.sealed)
                        .bind(c.retain_until)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    for (serial, sealed) in w.certificates {
                        sqlx::query(
                            "UPDATE certificates SET sealed_der = $1, custody = 1 \
                             WHERE serial = $2 AND holder = $3",
                        )
                        .bind(sealed)
                        .bind(serial)
                        .bind(w.account.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    for n in w.notices {
                        crate::erasure::notice_insert!(n)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                }
                // The records themselves set-wise: one statement a table for the whole batch.
                let ids: Vec<String> = writes.iter().map(|w| w.account.to_string()).collect();
                let list = placeholders(1, ids.len());
                let kind = format!("${}", ids.len() + 1);
                for (table, salted, delete) in ERASED {
                    if let Some(select) = salted {
                        let sql = format!(
                            "DELETE FROM evidence_salts WHERE kind = {kind} AND record_id IN ({})",
                            select.replace("{ids}", &list)
                        );
                        let mut q = sqlx::query(&sql);
                        for id in &ids {
                            q = q.bind(id);
                        }
                        out.salts += q
                            .bind(salt_kind(table))
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?
                            .rows_affected();
                    }
                    let sql = delete.replace("{ids}", &list);
                    let mut q = sqlx::query(&sql);
                    for id in &ids {
                        q = q.bind(id);
                    }
                    let n = q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                    out.rows.push(((*table).to_owned(), n));
                }
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }

            async fn mark_erased(&self, accounts: &[AccountId], at: i64) -> StoreResult<()> {
                if accounts.is_empty() {
                    return Ok(());
                }
                let sql = format!(
                    "UPDATE accounts SET erased_at = $1 WHERE erased_at IS NULL AND id IN ({})",
                    placeholders(2, accounts.len())
                );
                let mut q = sqlx::query(&sql).bind(at);
                for account in accounts {
                    q = q.bind(account.to_string());
                }
                q.execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }

            async fn custody_of(&self, subject: SubjectId) -> StoreResult<Vec<CustodyValue>> {
                let rows: Vec<(String, Vec<u8>, i64)> = sqlx::query_as(
                    "SELECT field, sealed, retain_until FROM pi_custody WHERE subject_id = $1 \
                     ORDER BY field",
                )
                .bind(subject.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(field, sealed, retain_until)| CustodyValue {
                        field,
                        sealed,
                        retain_until,
                    })
                    .collect())
            }

            async fn custody_expired(&self, at: i64, limit: u32) -> StoreResult<Vec<SubjectId>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT subject_id FROM pi_custody GROUP BY subject_id \
                     HAVING MAX(retain_until) <= $1 ORDER BY subject_id LIMIT $2",
                )
                .bind(at)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(|(s,)| subject_of(&s)).collect()
            }

            async fn release_custody(&self, subject: SubjectId) -> StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM pi_custody WHERE subject_id = $1")
                    .bind(subject.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected())
            }

            async fn delete_login_events_before(&self, before: i64) -> StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM login_events WHERE at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected())
            }

            async fn count_login_events_before(&self, before: i64) -> StoreResult<u64> {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM login_events WHERE at < $1")
                        .bind(before)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn insert_legal_hold(&self, h: &LegalHold) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO legal_holds ({HOLD_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(&h.id)
                .bind(h.account.to_string())
                .bind(&h.authority)
                .bind(&h.document_number)
                .bind(&h.document_type)
                .bind(&h.document_sha256)
                .bind(&h.document_sealed)
                .bind(h.placed_by.to_string())
                .bind(h.placed_at)
                .bind(h.released_by.map(|b| b.to_string()))
                .bind(h.released_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn legal_hold(&self, id: &str) -> StoreResult<Option<LegalHold>> {
                let row: Option<HoldRow> = sqlx::query_as(&format!(
                    "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(hold_of).transpose()
            }

            async fn legal_holds(
                &self,
                standing_only: bool,
                limit: u32,
            ) -> StoreResult<Vec<LegalHold>> {
                let rows: Vec<HoldRow> = sqlx::query_as(&format!(
                    "SELECT {HOLD_COLUMNS} FROM legal_holds \
                     WHERE ($1 = 0 OR released_at IS NULL) ORDER BY seq DESC LIMIT $2"
                ))
                .bind(i64::from(standing_only))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(hold_of).collect()
            }

            async fn release_legal_hold(
                &self,
                id: &str,
                by: AccountId,
                at: i64,
            ) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE legal_holds SET released_by = $2, released_at = $3 \
                     WHERE id = $1 AND released_at IS NULL",
                )
                .bind(id)
                .bind(by.to_string())
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }

            async fn try_lease(
                &self,
                job: &str,
                holder: &str,
                until: i64,
                now: i64,
            ) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, \
                     expires_at = excluded.expires_at \
                     WHERE job_leases.expires_at <= $4 OR job_leases.holder = $2",
                )
                .bind(job)
                .bind(holder)
                .bind(until)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1)
            }

            async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
                    .bind(job)
                    .bind(holder)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }
        }
    };
}

retention_repo!(sqlx::Sqlite);
retention_repo!(sqlx::Postgres);
