//! [`AccountRepo`] for both backends: accounts, sessions, policy versions, consents. The SQL is
//! shared verbatim, as in `repos.rs`.

use async_trait::async_trait;
use yinxin_domain::account::{
    AccountKind, AccountRecord, AccountRepo, ConsentAction, ConsentRecord, ConsentScope,
    GuardianConsentRecord, Permission, PermissionRecord, PolicyVersion, SessionRecord,
    SmsCodeRecord,
};
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::{AccountId, GuardianConsentId, SubjectId};

use crate::repos::{SqlStore, db_err, subject_of};

/// `accounts` columns in [`ACCOUNT_COLUMNS`] order.
type AccountRow = (
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    i64,
    Option<String>,
);
/// A `sessions` row (method, created, expires) joined with its account's [`AccountRow`].
type SessionAccountRow = (
    String,
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    i64,
    Option<String>,
);

const ACCOUNT_COLUMNS: &str =
    "id, kind, subject_id, password_hash, failed_logins, locked_until, created_at, accepted_policy";

type ConsentRow = (String, String, String, String, String, String, String, i64);
type PolicyRow = (String, String, String, i64, String);

pub(crate) fn uuid_of<T: std::str::FromStr>(s: &str, what: &str) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("stored {what} id {s:?} is not a UUID")))
}

fn account_of(r: AccountRow) -> StoreResult<AccountRecord> {
    let (id, kind, subject, password_hash, failed, locked_until, created_at, accepted_policy) = r;
    Ok(AccountRecord {
        id: uuid_of(&id, "account")?,
        kind: AccountKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("account kind {kind:?}")))?,
        subject: subject_of(&subject)?,
        password_hash,
        failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until,
        created_at,
        accepted_policy,
    })
}

fn consent_of(r: ConsentRow) -> StoreResult<ConsentRecord> {
    let (id, account, policy_version, scope, action, channel, text_sha256, at) = r;
    Ok(ConsentRecord {
        id: uuid_of(&id, "consent")?,
        account: uuid_of(&account, "account")?,
        policy_version,
        scope: ConsentScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("consent scope {scope:?}")))?,
        action: ConsentAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("consent action {action:?}")))?,
        channel,
        text_sha256,
        at,
    })
}

type GuardianRow = (
    String,
    String,
    String,
    String,
    Vec<u8>,
    i64,
    i64,
    Option<String>,
);
const GUARDIAN_COLUMNS: &str =
    "id, guardian_id, relationship, policy_version, ward_key, created_at, expires_at, used_by";

fn guardian_of(r: GuardianRow) -> StoreResult<GuardianConsentRecord> {
    let (id, guardian, relationship, policy_version, ward_key, created_at, expires_at, used_by) = r;
    Ok(GuardianConsentRecord {
        id: uuid_of(&id, "guardian consent")?,
        guardian: uuid_of(&guardian, "account")?,
        relationship,
        policy_version,
        ward_key,
        created_at,
        expires_at,
        used_by: used_by.map(|u| uuid_of(&u, "account")).transpose()?,
    })
}

fn policy_of(r: PolicyRow) -> PolicyVersion {
    let (version, updated_on, effective_on, material, text_sha256) = r;
    PolicyVersion {
        version,
        updated_on,
        effective_on,
        material: material != 0,
        text_sha256,
    }
}

/// The consent insert, bound to a record; executed on a pool or inside a transaction.
macro_rules! consent_insert {
    ($c:expr) => {
        sqlx::query(
            "INSERT INTO consents (id, account_id, policy_version, scope, action, channel, text_sha256, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($c.id.to_string())
        .bind($c.account.to_string())
        .bind(&$c.policy_version)
        .bind($c.scope.as_str())
        .bind($c.action.as_str())
        .bind(&$c.channel)
        .bind(&$c.text_sha256)
        .bind($c.at)
    };
}

pub(crate) use consent_insert;

/// The account insert, bound to a record.
macro_rules! account_insert {
    ($a:expr) => {
        sqlx::query(
            "INSERT INTO accounts (id, kind, subject_id, password_hash, failed_logins, locked_until, \
             created_at, accepted_policy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($a.id.to_string())
        .bind($a.kind.as_str())
        .bind($a.subject.to_string())
        .bind(&$a.password_hash)
        .bind(i64::from($a.failed_logins))
        .bind($a.locked_until)
        .bind($a.created_at)
        .bind(&$a.accepted_policy)
    };
}
pub(crate) use account_insert;

/// Keeps `accounts.accepted_policy` in step with a `privacy_policy` consent record.
macro_rules! accepted_policy_update {
    ($c:expr) => {
        sqlx::query(
            "UPDATE accounts SET accepted_policy = CASE WHEN $1 = 'given' THEN $2 ELSE NULL END \
             WHERE id = $3",
        )
        .bind($c.action.as_str())
        .bind(&$c.policy_version)
        .bind($c.account.to_string())
    };
}

macro_rules! account_repo {
    ($db:ty) => {
        #[async_trait]
        impl AccountRepo for SqlStore<$db> {
            async fn insert_account(
                &self,
                a: &AccountRecord,
                consents: &[ConsentRecord],
                evidence: &[yinxin_domain::ledger::EvidenceEntry],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                account_insert!(a).execute(&mut *tx).await.map_err(db_err)?;
                for c in consents {
                    consent_insert!(c).execute(&mut *tx).await.map_err(db_err)?;
                }
                for e in evidence {
                    crate::ledger::queue_evidence!(tx, e);
                }
                tx.commit().await.map_err(db_err)
            }

            async fn account(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
                let row: Option<AccountRow> =
                    sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"))
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                row.map(account_of).transpose()
            }

            async fn account_by_subject(&self, subject: SubjectId) -> StoreResult<Option<AccountRecord>> {
                let row: Option<AccountRow> = sqlx::query_as(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE subject_id = $1"
                ))
                .bind(subject.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(account_of).transpose()
            }

            async fn record_login_failure(
                &self,
                id: AccountId,
                max_failures: u32,
                lock_until: i64,
            ) -> StoreResult<Option<AccountRecord>> {
                // One statement, so concurrent failures are all counted.
                let row: Option<AccountRow> = sqlx::query_as(&format!(
                    "UPDATE accounts SET failed_logins = failed_logins + 1, \
                     locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
                     WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}"
                ))
                .bind(id.to_string())
                .bind(i64::from(max_failures))
                .bind(lock_until)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(account_of).transpose()
            }

            async fn clear_login_failures(&self, id: AccountId) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE accounts SET failed_logins = 0, locked_until = NULL \
                     WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
                )
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, method, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&s.token_hash)
                .bind(s.account.to_string())
                .bind(&s.method)
                .bind(s.created_at)
                .bind(s.expires_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &[u8],
                now: i64,
            ) -> StoreResult<Option<(SessionRecord, AccountRecord)>> {
                const SQL: &str =
                    "SELECT s.method, s.created_at, s.expires_at, a.id, a.kind, a.subject_id, \
                     a.password_hash, a.failed_logins, a.locked_until, a.created_at, \
                     a.accepted_policy FROM sessions s JOIN accounts a ON a.id = s.account_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.cancelled_at IS NULL";
                let row: Option<SessionAccountRow> = match &self.inline {
                    Some(r) => r.optional(SQL, rusqlite::params![token_hash, now])?,
                    None => sqlx::query_as(SQL)
                        .bind(token_hash)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?,
                };
                row.map(|(method, created_at, expires_at, a0, a1, a2, a3, a4, a5, a6, a7)| {
                    let account = account_of((a0, a1, a2, a3, a4, a5, a6, a7))?;
                    let session = SessionRecord {
                        token_hash: token_hash.to_vec(),
                        account: account.id,
                        method,
                        created_at,
                        expires_at,
                    };
                    Ok((session, account))
                })
                .transpose()
            }

            async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<bool> {
                let n = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                Ok(n > 0)
            }

            async fn publish_policy(&self, p: &PolicyVersion, text: &str) -> StoreResult<PolicyVersion> {
                sqlx::query(
                    "INSERT INTO policy_versions (version, updated_on, effective_on, material, text_sha256, text) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (version) DO NOTHING",
                )
                .bind(&p.version)
                .bind(&p.updated_on)
                .bind(&p.effective_on)
                .bind(i64::from(p.material))
                .bind(&p.text_sha256)
                .bind(text)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                // A version stored before texts were kept gets its text now (same hash only).
                sqlx::query(
                    "UPDATE policy_versions SET text = $1 WHERE version = $2 AND text IS NULL AND text_sha256 = $3",
                )
                .bind(text)
                .bind(&p.version)
                .bind(&p.text_sha256)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                let row: PolicyRow = sqlx::query_as(
                    "SELECT version, updated_on, effective_on, material, text_sha256 FROM policy_versions \
                     WHERE version = $1",
                )
                .bind(&p.version)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(policy_of(row))
            }

            async fn policies(&self) -> StoreResult<Vec<PolicyVersion>> {
                let rows: Vec<PolicyRow> = sqlx::query_as(
                    "SELECT version, updated_on, effective_on, material, text_sha256 FROM policy_versions \
                     ORDER BY effective_on, version",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows.into_iter().map(policy_of).collect())
            }

            async fn policy_text(&self, version: &str) -> StoreResult<Option<String>> {
                let row: Option<(Option<String>,)> =
                    sqlx::query_as("SELECT text FROM policy_versions WHERE version = $1")
                        .bind(version)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                Ok(row.and_then(|(t,)| t))
            }

            async fn insert_consent(
                &self,
                c: &ConsentRecord,
                evidence: &yinxin_domain::ledger::EvidenceEntry,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                consent_insert!(c).execute(&mut *tx).await.map_err(db_err)?;
                crate::ledger::queue_evidence!(tx, evidence);
                if c.scope == ConsentScope::PrivacyPolicy {
                    accepted_policy_update!(c).execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn insert_guardian_consent(&self, c: &GuardianConsentRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO guardian_consents (id, guardian_id, relationship, policy_version, ward_key, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(c.id.to_string())
                .bind(c.guardian.to_string())
                .bind(&c.relationship)
                .bind(&c.policy_version)
                .bind(&c.ward_key)
                .bind(c.created_at)
                .bind(c.expires_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn take_guardian_consent(
                &self,
                id: GuardianConsentId,
                ward_key: &[u8],
                account: AccountId,
                now: i64,
            ) -> StoreResult<Option<GuardianConsentRecord>> {
                let row: Option<GuardianRow> = sqlx::query_as(&format!(
                    "UPDATE guardian_consents SET used_by = $1, used_at = $2 \
                     WHERE id = $3 AND ward_key = $4 AND used_by IS NULL AND expires_at > $2 \
                     RETURNING {GUARDIAN_COLUMNS}"
                ))
                .bind(account.to_string())
                .bind(now)
                .bind(id.to_string())
                .bind(ward_key)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(guardian_of).transpose()
            }

            async fn release_guardian_consent(&self, id: GuardianConsentId) -> StoreResult<()> {
                sqlx::query("UPDATE guardian_consents SET used_by = NULL, used_at = NULL WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn guardian_consents_of(&self, guardian: AccountId) -> StoreResult<Vec<GuardianConsentRecord>> {
                let rows: Vec<GuardianRow> = sqlx::query_as(&format!(
                    "SELECT {GUARDIAN_COLUMNS} FROM guardian_consents WHERE guardian_id = $1 ORDER BY created_at, id"
                ))
                .bind(guardian.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(guardian_of).collect()
            }

            async fn publish_receipt_key(&self, kid: &str, public_key: &[u8], at: i64) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO receipt_keys (kid, public_key, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (kid) DO NOTHING",
                )
                .bind(kid)
                .bind(public_key)
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn receipt_keys(&self) -> StoreResult<Vec<Vec<u8>>> {
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT public_key FROM receipt_keys ORDER BY created_at DESC, kid",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows.into_iter().map(|(k,)| k).collect())
            }

            async fn consents_of(&self, account: AccountId) -> StoreResult<Vec<ConsentRecord>> {
                let rows: Vec<ConsentRow> = sqlx::query_as(
                    "SELECT id, account_id, policy_version, scope, action, channel, text_sha256, at \
                     FROM consents WHERE account_id = $1 ORDER BY at, id",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(consent_of).collect()
            }

            async fn insert_permission(&self, account: AccountId, c: &PermissionRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO permission_events (account_id, permission, granted, at) VALUES ($1, $2, $3, $4)",
                )
                .bind(account.to_string())
                .bind(c.permission.as_str())
                .bind(i64::from(c.granted))
                .bind(c.at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn permissions_of(&self, account: AccountId) -> StoreResult<Vec<PermissionRecord>> {
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT permission, granted, at FROM permission_events WHERE account_id = $1 ORDER BY at, seq",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(p, granted, at)| {
                        Ok(PermissionRecord {
                            permission: Permission::parse(&p)
                                .ok_or_else(|| StoreError::Corrupt(format!("permission {p:?}")))?,
                            granted: granted != 0,
                            at,
                        })
                    })
                    .collect()
            }

            async fn insert_sms_code(&self, c: &SmsCodeRecord) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(
                    "UPDATE sms_codes SET used_at = $1 \
                     WHERE mobile_key = $2 AND purpose = $3 AND used_at IS NULL",
                )
                .bind(c.created_at)
                .bind(&c.mobile_key)
                .bind(&c.purpose)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                sqlx::query(
                    "INSERT INTO sms_codes (id, mobile_key, purpose, code_hash, created_at, expires_at, attempts) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&c.id)
                .bind(&c.mobile_key)
                .bind(&c.purpose)
                .bind(&c.code_hash)
                .bind(c.created_at)
                .bind(c.expires_at)
                .bind(i64::from(c.attempts))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn live_sms_code(
                &self,
                mobile_key: &[u8],
                purpose: &str,
                now: i64,
            ) -> StoreResult<Option<SmsCodeRecord>> {
                let row: Option<(String, Vec<u8>, i64, i64, i64)> = sqlx::query_as(
                    "SELECT id, code_hash, created_at, expires_at, attempts FROM sms_codes \
                     WHERE mobile_key = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
                     ORDER BY created_at DESC LIMIT 1",
                )
                .bind(mobile_key)
                .bind(purpose)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|(id, code_hash, created_at, expires_at, attempts)| SmsCodeRecord {
                    id,
                    mobile_key: mobile_key.to_vec(),
                    purpose: purpose.to_owned(),
                    code_hash,
                    created_at,
                    expires_at,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                }))
            }

            async fn sms_code_failed(&self, id: &str) -> StoreResult<u32> {
                let (n,): (i64,) = sqlx::query_as(
                    "UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn consume_sms_code(&self, id: &str, now: i64) -> StoreResult<bool> {
                let n = sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn hit_rate_bucket(
                &self,
                bucket: &[u8],
                window_start: i64,
                expires_at: i64,
                now: i64,
            ) -> StoreResult<u64> {
                // Purge now and then (1 in 64 hits), so old buckets do not accumulate; by each
                // bucket's own expiry (migration 0026), so a short limit never resets a long one.
                if bucket.first().is_some_and(|b| b % 64 == 0) {
                    sqlx::query("DELETE FROM rate_buckets WHERE expires_at < $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                }
                let (hits,): (i64,) = sqlx::query_as(
                    "INSERT INTO rate_buckets (bucket, window_start, hits, expires_at) \
                     VALUES ($1, $2, 1, $3) \
                     ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_buckets.hits + 1 \
                     RETURNING hits",
                )
                .bind(bucket)
                .bind(window_start)
                .bind(expires_at)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(u64::try_from(hits).unwrap_or(0))
            }
        }
    };
}

account_repo!(sqlx::Sqlite);
account_repo!(sqlx::Postgres);
