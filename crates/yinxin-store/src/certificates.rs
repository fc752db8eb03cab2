//! [`CertificateRepo`] and [`RelyingAppRepo`] for both backends (migrations 0014, 0015, 0016).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::certificate::{
    CaRecord, CaRole, CertificateRecord, CertificateRepo, Revocation, RevokedSerial,
};
use yinxin_domain::ledger::EvidenceEntry;
use yinxin_domain::relying::{AppDisclosureRecord, RelyingAppRecord, RelyingAppRepo};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const CA_COLUMNS: &str =
    "id, algorithm, role, parent, key_id, token_serial, certificate, serial, created_at, active";

/// The tables of CA-side records: the CAs, and the service's own certificates (migration 0027).
const CA_TABLES: [&str; 2] = ["ca_certificates", "service_certificates"];

/// Where a record of `role` is kept.
fn ca_table(role: CaRole) -> &'static str {
    match role {
        CaRole::Evidence => CA_TABLES[1],
        _ => CA_TABLES[0],
    }
}

type CaRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Vec<u8>,
    String,
    i64,
    bool,
);

fn ca_of(r: CaRow) -> StoreResult<CaRecord> {
    let (
        id,
        algorithm,
        role,
        parent,
        key_id,
        token_serial,
        certificate,
        serial,
        created_at,
        active,
    ) = r;
    Ok(CaRecord {
        role: CaRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("CA role {role:?}")))?,
        id,
        algorithm,
        parent,
        key_id,
        token_serial,
        certificate,
        serial,
        created_at,
        active,
    })
}

macro_rules! cert_columns {
    () => {
        "serial, fingerprint, ca_id, holder, profile, algorithm, sealed_der, masked_subject, \
         subject_mode, not_before, not_after, hosted_key_id, renews, issued_at, retain_until, \
         revoked_at, revocation_reason, revoked_by, key_destroyed_at"
    };
}
const CERT_COLUMNS: &str = cert_columns!();
/// One certificate's row; its parameters in the order of [`CERT_COLUMNS`] (also the
/// group-commit writer's statement: [`crate::group_commit`]).
pub(crate) const INSERT_CERTIFICATE: &str = concat!(
    "INSERT INTO certificates (",
    cert_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19)"
);

#[derive(sqlx::FromRow)]
struct CertRow {
    serial: String,
    fingerprint: String,
    ca_id: String,
    holder: String,
    profile: String,
    algorithm: String,
    sealed_der: Vec<u8>,
    masked_subject: String,
    subject_mode: String,
    not_before: i64,
    not_after: i64,
    hosted_key_id: Option<String>,
    renews: Option<String>,
    issued_at: i64,
    retain_until: i64,
    revoked_at: Option<i64>,
    revocation_reason: Option<String>,
    revoked_by: Option<String>,
    key_destroyed_at: Option<i64>,
}

/// The same row read inline ([`crate::inline`]): columns in the order of [`CERT_COLUMNS`].
impl crate::inline::InlineRow for CertRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            serial: row.get(0)?,
            fingerprint: row.get(1)?,
            ca_id: row.get(2)?,
            holder: row.get(3)?,
            profile: row.get(4)?,
            algorithm: row.get(5)?,
            sealed_der: row.get(6)?,
            masked_subject: row.get(7)?,
            subject_mode: row.get(8)?,
            not_before: row.get(9)?,
            not_after: row.get(10)?,
            hosted_key_id: row.get(11)?,
            renews: row.get(12)?,
            issued_at: row.get(13)?,
            retain_until: row.get(14)?,
            revoked_at: row.get(15)?,
            revocation_reason: row.get(16)?,
            revoked_by: row.get(17)?,
            key_destroyed_at: row.get(18)?,
        })
    }
}

fn cert_of(r: CertRow) -> StoreResult<CertificateRecord> {
    let revocation = match (r.revoked_at, r.revocation_reason, r.revoked_by) {
        (Some(at), Some(reason), Some(by)) => Some(Revocation { at, reason, by }),
        (None, None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(format!(
                "certificate {} revocation",
                r.serial
            )));
        }
    };
    Ok(CertificateRecord {
        holder: uuid_of(&r.holder, "account")?,
        serial: r.serial,
        fingerprint: r.fingerprint,
        ca_id: r.ca_id,
        profile: r.profile,
        algorithm: r.algorithm,
        sealed_der: r.sealed_der,
        masked_subject: r.masked_subject,
        subject_mode: r.subject_mode,
        not_before: r.not_before,
        not_after: r.not_after,
        hosted_key_id: r.hosted_key_id,
        key_destroyed_at: r.key_destroyed_at,
        renews: r.renews,
        issued_at: r.issued_at,
        retain_until: r.retain_until,
        revocation,
    })
}

/// The certificate columns qualified by the table alias `c` (for joins).
fn cert_columns_of_c() -> String {
    CERT_COLUMNS
        .split(", ")
        .map(|c| format!("c.{0} AS {0}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

const APP_COLUMNS: &str = "id, name, legal_name, contact, data_items, key_hash, registered_at";
type AppRow = (String, String, String, String, String, Vec<u8>, i64);

fn list_of(s: &str, what: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt(format!("stored {what} {s:?}")))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn app_of(r: AppRow) -> StoreResult<RelyingAppRecord> {
    let (id, name, legal_name, contact, items, key_hash, registered_at) = r;
    Ok(RelyingAppRecord {
        data_items: list_of(&items, "data items")?,
        id,
        name,
        legal_name,
        contact,
        registered_at,
        key_hash,
    })
}

const APP_DISCLOSURE_COLUMNS: &str = "id, app_id, subject_id, serial, purpose, data_items, at";
type AppDisclosureRow = (String, String, String, String, String, String, i64);

fn app_disclosure_of(r: AppDisclosureRow) -> StoreResult<AppDisclosureRecord> {
    let (id, app, subject, serial, purpose, items, at) = r;
    Ok(AppDisclosureRecord {
        id: uuid_of(&id, "disclosure")?,
        app,
        subject: uuid_of(&subject, "account")?,
        serial,
        purpose,
        data_items: list_of(&items, "data items")?,
        at,
    })
}

macro_rules! certificate_repo {
    ($db:ty) => {
        impl SqlStore<$db> {
            async fn insert_ca_rows(
                tx: &mut sqlx::Transaction<'_, $db>,
                cas: &[CaRecord],
            ) -> StoreResult<()> {
                for c in cas {
                    sqlx::query(&format!(
                        "INSERT INTO {} ({CA_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        ca_table(c.role)
                    ))
                    .bind(&c.id)
                    .bind(&c.algorithm)
                    .bind(c.role.as_str())
                    .bind(&c.parent)
                    .bind(&c.key_id)
                    .bind(&c.token_serial)
                    .bind(&c.certificate)
                    .bind(&c.serial)
                    .bind(c.created_at)
                    .bind(c.active)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                }
                Ok(())
            }

            /// One certificate's row, on `e` (the pool, or the group-commit writer's
            /// transaction).
            pub(crate) async fn insert_certificate_row<'e, E>(
                e: E,
                c: &CertificateRecord,
            ) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let (revoked_at, reason, by) = match &c.revocation {
                    Some(r) => (Some(r.at), Some(r.reason.clone()), Some(r.by.clone())),
                    None => (None, None, None),
                };
                sqlx::query(INSERT_CERTIFICATE)
                    .bind(&c.serial)
                    .bind(&c.fingerprint)
                    .bind(&c.ca_id)
                    .bind(c.holder.to_string())
                    .bind(&c.profile)
                    .bind(&c.algorithm)
                    .bind(&c.sealed_der)
                    .bind(&c.masked_subject)
                    .bind(&c.subject_mode)
                    .bind(c.not_before)
                    .bind(c.not_after)
                    .bind(&c.hosted_key_id)
                    .bind(&c.renews)
                    .bind(c.issued_at)
                    .bind(c.retain_until)
                    .bind(revoked_at)
                    .bind(reason)
                    .bind(by)
                    .bind(c.key_destroyed_at)
                    .execute(e)
                    .await?;
                Ok(())
            }

            async fn one_certificate(
                &self,
                column: &str,
                value: &str,
            ) -> StoreResult<Option<CertificateRecord>> {
                // A hot read (every OCSP request, every public query): inline on SQLite.
                let sql = format!("SELECT {CERT_COLUMNS} FROM certificates WHERE {column} = $1");
                let row: Option<CertRow> = match &self.inline {
                    Some(r) => r.optional(&sql, [value])?,
                    None => sqlx::query_as(&sql)
                        .bind(value)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?,
                };
                row.map(cert_of).transpose()
            }
        }

        #[async_trait]
        impl CertificateRepo for SqlStore<$db> {
            async fn insert_cas(&self, cas: &[CaRecord]) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::insert_ca_rows(&mut tx, cas).await?;
                tx.commit().await.map_err(db_err)
            }

            async fn rotate_cas(&self, new: &[CaRecord], retire: &[String]) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for id in retire {
                    let mut n = 0;
                    for table in CA_TABLES {
                        n += sqlx::query(&format!(
                            "UPDATE {table} SET active = $1 WHERE id = $2 AND active = $3"
                        ))
                        .bind(false)
                        .bind(id)
                        .bind(true)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    }
                    if n != 1 {
                        // Dropping the transaction rolls back what was retired before it.
                        return Err(StoreError::Conflict(format!(
                            "CA {id} is not an active CA (retired by another rotation?)"
                        )));
                    }
                }
                Self::insert_ca_rows(&mut tx, new).await?;
                tx.commit().await.map_err(db_err)
            }

            async fn cas(&self) -> StoreResult<Vec<CaRecord>> {
                let rows: Vec<CaRow> = sqlx::query_as(&format!(
                    "SELECT {CA_COLUMNS} FROM ca_certificates UNION ALL \
                     SELECT {CA_COLUMNS} FROM service_certificates ORDER BY created_at, id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(ca_of).collect()
            }

            async fn insert_certificate(
                &self,
                c: &CertificateRecord,
                evidence: Option<&EvidenceEntry>,
            ) -> StoreResult<()> {
                if let Some(writer) = &self.certificate_writer {
                    return writer.insert(c, evidence).await;
                }
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::insert_certificate_row(&mut *tx, c)
                    .await
                    .map_err(db_err)?;
                if let Some(e) = evidence {
                    crate::ledger::queue_evidence!(tx, e);
                }
                tx.commit().await.map_err(db_err)
            }

            async fn certificate(&self, serial: &str) -> StoreResult<Option<CertificateRecord>> {
                self.one_certificate("serial", serial).await
            }

            async fn certificate_by_fingerprint(
                &self,
                fingerprint: &str,
            ) -> StoreResult<Option<CertificateRecord>> {
                self.one_certificate("fingerprint", fingerprint).await
            }

            async fn certificates_of(
                &self,
                holder: AccountId,
            ) -> StoreResult<Vec<CertificateRecord>> {
                let rows: Vec<CertRow> = sqlx::query_as(&format!(
                    "SELECT {CERT_COLUMNS} FROM certificates WHERE holder = $1 \
                     ORDER BY issued_at DESC, serial"
                ))
                .bind(holder.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(cert_of).collect()
            }

            async fn revoke(
                &self,
                serial: &str,
                r: &Revocation,
                evidence: &EvidenceEntry,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let n = sqlx::query(
                    "UPDATE certificates SET revoked_at = $1, revocation_reason = $2, \
                     revoked_by = $3 WHERE serial = $4 AND revoked_at IS NULL",
                )
                .bind(r.at)
                .bind(&r.reason)
                .bind(&r.by)
                .bind(serial)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                crate::ledger::queue_evidence!(tx, evidence);
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn revoked_of(&self, ca_id: &str, now: i64) -> StoreResult<Vec<RevokedSerial>> {
                let rows: Vec<(String, i64, String)> = sqlx::query_as(
                    "SELECT serial, revoked_at, revocation_reason FROM certificates \
                     WHERE ca_id = $1 AND revoked_at IS NOT NULL AND not_after > $2 \
                     ORDER BY revoked_at, serial",
                )
                .bind(ca_id)
                .bind(now)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(serial, at, reason)| RevokedSerial { serial, at, reason })
                    .collect())
            }

            async fn record_key_destroyed(&self, key: &str, at: i64) -> StoreResult<u64> {
                Ok(sqlx::query(
                    "UPDATE certificates SET key_destroyed_at = $1 WHERE hosted_key_id = $2 \
                     AND key_destroyed_at IS NULL",
                )
                .bind(at)
                .bind(key)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected())
            }

            async fn certificates_of_hosted_key(
                &self,
                key: &str,
            ) -> StoreResult<Vec<CertificateRecord>> {
                let rows: Vec<CertRow> = sqlx::query_as(&format!(
                    "SELECT {CERT_COLUMNS} FROM certificates WHERE hosted_key_id = $1 \
                     ORDER BY issued_at, serial"
                ))
                .bind(key)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(cert_of).collect()
            }

            async fn renewal_of(&self, serial: &str) -> StoreResult<Option<CertificateRecord>> {
                self.one_certificate("renews", serial).await
            }

            async fn event_keys_to_destroy(
                &self,
                now: i64,
                limit: u32,
            ) -> StoreResult<Vec<CertificateRecord>> {
                let rows: Vec<CertRow> = sqlx::query_as(&format!(
                    "SELECT {CERT_COLUMNS} FROM certificates WHERE profile = 'event' \
                     AND hosted_key_id IS NOT NULL AND key_destroyed_at IS NULL \
                     AND not_after <= $1 ORDER BY not_after, serial LIMIT $2"
                ))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(cert_of).collect()
            }

            async fn next_crl_number(&self, ca_id: &str) -> StoreResult<u64> {
                let n: Option<(i64,)> = sqlx::query_as(
                    "UPDATE ca_certificates SET crl_number = crl_number + 1 WHERE id = $1 \
                     RETURNING crl_number",
                )
                .bind(ca_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                let (n,) = n.ok_or_else(|| StoreError::Corrupt(format!("no CA {ca_id}")))?;
                u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("CRL number {n}")))
            }
        }
    };
}

macro_rules! relying_app_repo {
    ($db:ty) => {
        #[async_trait]
        impl RelyingAppRepo for SqlStore<$db> {
            async fn insert_relying_app(&self, a: &RelyingAppRecord) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO relying_apps ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(&a.id)
                .bind(&a.name)
                .bind(&a.legal_name)
                .bind(&a.contact)
                .bind(json_list(&a.data_items))
                .bind(&a.key_hash)
                .bind(a.registered_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn relying_app_by_key_hash(
                &self,
                hash: &[u8],
            ) -> StoreResult<Option<RelyingAppRecord>> {
                let row: Option<AppRow> = sqlx::query_as(&format!(
                    "SELECT {APP_COLUMNS} FROM relying_apps WHERE key_hash = $1"
                ))
                .bind(hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(app_of).transpose()
            }

            async fn relying_apps(&self) -> StoreResult<Vec<RelyingAppRecord>> {
                let rows: Vec<AppRow> = sqlx::query_as(&format!(
                    "SELECT {APP_COLUMNS} FROM relying_apps ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(app_of).collect()
            }

            async fn link_certificate(
                &self,
                serial: &str,
                app: &str,
                holder: AccountId,
                at: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO certificate_uses (serial, app_id, holder, linked_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (serial, app_id) DO UPDATE \
                     SET linked_at = excluded.linked_at, unlinked_at = NULL",
                )
                .bind(serial)
                .bind(app)
                .bind(holder.to_string())
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn unlink_certificate(&self, serial: &str, app: &str, at: i64) -> StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE certificate_uses SET unlinked_at = $1 WHERE serial = $2 \
                     AND app_id = $3 AND unlinked_at IS NULL",
                )
                .bind(at)
                .bind(serial)
                .bind(app)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn certificate_used_with(
                &self,
                serial: &str,
                app: &str,
            ) -> StoreResult<Option<CertificateRecord>> {
                let row: Option<CertRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM certificates c JOIN certificate_uses u \
                     ON u.serial = c.serial AND u.holder = c.holder \
                     WHERE c.serial = $1 AND u.app_id = $2 AND u.unlinked_at IS NULL",
                    cert_columns_of_c()
                ))
                .bind(serial)
                .bind(app)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(cert_of).transpose()
            }

            async fn expiring_used_with(
                &self,
                app: &str,
                from: i64,
                to: i64,
                limit: u32,
            ) -> StoreResult<Vec<CertificateRecord>> {
                let rows: Vec<CertRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM certificates c JOIN certificate_uses u \
                     ON u.serial = c.serial AND u.holder = c.holder \
                     WHERE u.app_id = $1 AND u.unlinked_at IS NULL AND c.profile <> 'event' \
                     AND c.revoked_at IS NULL AND c.not_after >= $2 AND c.not_after < $3 \
                     ORDER BY c.not_after, c.serial LIMIT $4",
                    cert_columns_of_c()
                ))
                .bind(app)
                .bind(from)
                .bind(to)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(cert_of).collect()
            }

            async fn insert_app_disclosures(
                &self,
                d: &[AppDisclosureRecord],
                evidence: &[EvidenceEntry],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for e in evidence {
                    crate::ledger::queue_evidence!(tx, e);
                }
                for r in d {
                    sqlx::query(&format!(
                        "INSERT INTO app_disclosures ({APP_DISCLOSURE_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    ))
                    .bind(r.id.to_string())
                    .bind(&r.app)
                    .bind(r.subject.to_string())
                    .bind(&r.serial)
                    .bind(&r.purpose)
                    .bind(json_list(&r.data_items))
                    .bind(r.at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn app_disclosures_of(
                &self,
                subject: AccountId,
            ) -> StoreResult<Vec<AppDisclosureRecord>> {
                let rows: Vec<AppDisclosureRow> = sqlx::query_as(&format!(
                    "SELECT {APP_DISCLOSURE_COLUMNS} FROM app_disclosures WHERE subject_id = $1 \
                     ORDER BY at DESC, id DESC"
                ))
                .bind(subject.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(app_disclosure_of).collect()
            }
        }
    };
}

certificate_repo!(sqlx::Sqlite);
relying_app_repo!(sqlx::Sqlite);
relying_app_repo!(sqlx::Postgres);
certificate_repo!(sqlx::Postgres);
