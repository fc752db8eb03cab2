//! [`RequestRepo`] for both backends: data-subject requests and their steps (issue 8 item 1;
//! PRIV-14).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::requests::{
    RefusalGround, RenewalFlag, RequestFilter, RequestKind, RequestRepo, RequestState, RequestStep,
    SubjectRequest,
};

use crate::accounts::uuid_of;
use crate::repos::{SqlStore, db_err};

const COLUMNS: &str = "id, account_id, kind, scope, ground, state, received_at, \
     identity_verified_at, due_at, closed_at, refusal_ground, excessive";

/// `subject_requests` columns in [`COLUMNS`] order.
type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    bool,
);

/// `subject_request_steps` columns: seq, at, actor, event, ground.
type StepRow = (i64, i64, String, String, Option<String>);

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("stored request {what} {v:?}"))
}

fn ground_of(g: Option<String>) -> StoreResult<Option<RefusalGround>> {
    g.map(|g| RefusalGround::parse(&g).ok_or_else(|| corrupt("refusal ground", &g)))
        .transpose()
}

fn request_of(r: Row) -> StoreResult<SubjectRequest> {
    let (id, account, kind, scope, ground, state, received, verified, due, closed, refusal, ex) = r;
    Ok(SubjectRequest {
        id,
        account: uuid_of(&account, "account")?,
        kind: RequestKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        scope: serde_json::from_str(&scope).map_err(|_| corrupt("scope", &scope))?,
        ground,
        state: RequestState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        received_at: received,
        identity_verified_at: verified,
        due_at: due,
        closed_at: closed,
        refusal_ground: ground_of(refusal)?,
        excessive: ex,
    })
}

fn step_of(r: StepRow) -> StoreResult<RequestStep> {
    let (seq, at, actor, event, ground) = r;
    Ok(RequestStep {
        seq: u32::try_from(seq).map_err(|_| corrupt("step", &seq.to_string()))?,
        at,
        actor,
        event,
        ground: ground_of(ground)?,
    })
}

/// A step's insert (its seq the next of the request's).
macro_rules! step_insert {
    ($tx:ident, $id:expr, $s:expr) => {{
        let s: &RequestStep = $s;
        sqlx::query(
            "INSERT INTO subject_request_steps (request_id, seq, at, actor, event, ground) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 \
             FROM subject_request_steps WHERE request_id = $1",
        )
        .bind($id)
        .bind(s.at)
        .bind(&s.actor)
        .bind(&s.event)
        .bind(s.ground.map(RefusalGround::as_str))
        .execute(&mut *$tx)
        .await
        .map_err(db_err)?;
    }};
}

macro_rules! request_repo {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// Appends `step` unless its event is recorded already, the request's row locked
            /// first (it serialises with an officer's update and another node's reminder: a
            /// write lock on both backends); `open_only`: only while the request is open (a
            /// request closed meanwhile is not reminded).
            async fn push_step_once(
                &self,
                id: &str,
                step: &RequestStep,
                open_only: bool,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let locked = sqlx::query(if open_only {
                    "UPDATE subject_requests SET state = state WHERE id = $1 AND closed_at IS NULL"
                } else {
                    "UPDATE subject_requests SET state = state WHERE id = $1"
                })
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if locked != 1 {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(false);
                }
                let (have,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM subject_request_steps \
                     WHERE request_id = $1 AND event = $2",
                )
                .bind(id)
                .bind(&step.event)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                if have > 0 {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(false);
                }
                step_insert!(tx, id, step);
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }
        }

        #[async_trait]
        impl RequestRepo for SqlStore<$db> {
            async fn insert_subject_request(
                &self,
                r: &SubjectRequest,
                steps: &[RequestStep],
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO subject_requests ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(&r.id)
                .bind(r.account.to_string())
                .bind(r.kind.as_str())
                .bind(
                    serde_json::to_string(&r.scope)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                )
                .bind(r.ground.as_deref())
                .bind(r.state.as_str())
                .bind(r.received_at)
                .bind(r.identity_verified_at)
                .bind(r.due_at)
                .bind(r.closed_at)
                .bind(r.refusal_ground.map(RefusalGround::as_str))
                .bind(r.excessive)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                for s in steps {
                    step_insert!(tx, &r.id, s);
                }
                tx.commit().await.map_err(db_err)
            }

            async fn subject_request(&self, id: &str) -> StoreResult<Option<SubjectRequest>> {
                let row: Option<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM subject_requests WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(request_of).transpose()
            }

            async fn subject_requests_of(
                &self,
                account: AccountId,
            ) -> StoreResult<Vec<SubjectRequest>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM subject_requests WHERE account_id = $1 \
                     ORDER BY seq DESC LIMIT 500"
                ))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(request_of).collect()
            }

            async fn subject_requests(
                &self,
                filter: RequestFilter,
                limit: u32,
            ) -> StoreResult<Vec<SubjectRequest>> {
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM subject_requests \
                     WHERE ($1 = 0 OR closed_at IS NULL) \
                       AND (CAST($2 AS BIGINT) IS NULL OR due_at <= $2) \
                       AND ($3 = 0 OR NOT EXISTS (SELECT 1 FROM subject_request_steps s \
                            WHERE s.request_id = subject_requests.id AND s.event = 'reminded')) \
                     ORDER BY due_at IS NULL, due_at, seq LIMIT $4"
                ))
                .bind(i64::from(filter.open_only))
                .bind(filter.due_by)
                .bind(i64::from(filter.unreminded_only))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(request_of).collect()
            }

            async fn count_subject_requests(
                &self,
                account: AccountId,
                kind: RequestKind,
                since: i64,
            ) -> StoreResult<u32> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM subject_requests \
                     WHERE account_id = $1 AND kind = $2 AND received_at >= $3",
                )
                .bind(account.to_string())
                .bind(kind.as_str())
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn update_subject_request(
                &self,
                r: &SubjectRequest,
                from: RequestState,
                step: &RequestStep,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let n = sqlx::query(
                    "UPDATE subject_requests SET state = $3, identity_verified_at = $4, \
                     due_at = $5, closed_at = $6, refusal_ground = $7 \
                     WHERE id = $1 AND state = $2",
                )
                .bind(&r.id)
                .bind(from.as_str())
                .bind(r.state.as_str())
                .bind(r.identity_verified_at)
                .bind(r.due_at)
                .bind(r.closed_at)
                .bind(r.refusal_ground.map(RefusalGround::as_str))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n != 1 {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(false);
                }
                step_insert!(tx, &r.id, step);
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn push_subject_request_step_once(
                &self,
                id: &str,
                step: &RequestStep,
            ) -> StoreResult<bool> {
                self.push_step_once(id, step, true).await
            }

            async fn push_closed_request_step_once(
                &self,
                id: &str,
                step: &RequestStep,
            ) -> StoreResult<bool> {
                self.push_step_once(id, step, false).await
            }

            async fn subject_request_steps(&self, id: &str) -> StoreResult<Vec<RequestStep>> {
                let rows: Vec<StepRow> = sqlx::query_as(
                    "SELECT seq, at, actor, event, ground FROM subject_request_steps \
                     WHERE request_id = $1 ORDER BY seq",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(step_of).collect()
            }

            async fn insert_request_ticket(
                &self,
                ticket_hash: &[u8],
                request: &str,
                mobile_pseudonym: Option<&[u8]>,
                at: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO public_request_tickets (ticket_hash, request_id, created_at, \
                     mobile_pseudonym) VALUES ($1, $2, $3, $4)",
                )
                .bind(ticket_hash)
                .bind(request)
                .bind(at)
                .bind(mobile_pseudonym)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn insert_correction_proposal(
                &self,
                request: &str,
                field: &str,
                sealed: &[u8],
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO correction_proposals (request_id, field, sealed) \
                     VALUES ($1, $2, $3)",
                )
                .bind(request)
                .bind(field)
                .bind(sealed)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn correction_proposal(&self, request: &str) -> StoreResult<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT sealed FROM correction_proposals WHERE request_id = $1",
                )
                .bind(request)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|(s,)| s))
            }

            async fn delete_correction_proposal(&self, request: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM correction_proposals WHERE request_id = $1")
                    .bind(request)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn mark_identity_corrected(&self, account: AccountId) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE accounts SET verifications_void_through = \
                     (SELECT MAX(id) FROM verifications WHERE subject_id = $1) WHERE id = $1",
                )
                .bind(account.to_string())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn verifications_void_through(
                &self,
                account: AccountId,
            ) -> StoreResult<Option<String>> {
                let row: Option<(Option<String>,)> = sqlx::query_as(
                    "SELECT verifications_void_through FROM accounts WHERE id = $1",
                )
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.and_then(|(id,)| id))
            }

            async fn flag_certificates_for_renewal(
                &self,
                holder: AccountId,
                field: &str,
                request: &str,
                at: i64,
            ) -> StoreResult<Vec<String>> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let serials: Vec<(String,)> = sqlx::query_as(
                    "SELECT serial FROM certificates WHERE holder = $1 AND revoked_at IS NULL \
                     AND not_after > $2 ORDER BY serial",
                )
                .bind(holder.to_string())
                .bind(at)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
                for (serial,) in &serials {
                    sqlx::query(
                        "INSERT INTO certificate_renewal_flags (serial, holder, field, \
                         request_id, flagged_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (serial) DO NOTHING",
                    )
                    .bind(serial)
                    .bind(holder.to_string())
                    .bind(field)
                    .bind(request)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(serials.into_iter().map(|(s,)| s).collect())
            }

            async fn renewal_flags_of(&self, holder: AccountId) -> StoreResult<Vec<RenewalFlag>> {
                let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT serial, field, request_id, flagged_at FROM certificate_renewal_flags \
                     WHERE holder = $1 ORDER BY serial",
                )
                .bind(holder.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(serial, field, request, flagged_at)| RenewalFlag {
                        serial,
                        field,
                        request,
                        flagged_at,
                    })
                    .collect())
            }

            async fn request_by_ticket(&self, ticket_hash: &[u8]) -> StoreResult<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT request_id FROM public_request_tickets WHERE ticket_hash = $1",
                )
                .bind(ticket_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|(id,)| id))
            }

            async fn ticket_mobile_pseudonym(
                &self,
                ticket_hash: &[u8],
            ) -> StoreResult<Option<Vec<u8>>> {
                let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(
                    "SELECT mobile_pseudonym FROM public_request_tickets WHERE ticket_hash = $1",
                )
                .bind(ticket_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.and_then(|(p,)| p))
            }

            async fn clear_ticket_pseudonym(&self, ticket_hash: &[u8]) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE public_request_tickets SET mobile_pseudonym = NULL \
                     WHERE ticket_hash = $1",
                )
                .bind(ticket_hash)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn clear_stale_ticket_pseudonyms(&self, closed_before: i64) -> StoreResult<u64> {
                Ok(sqlx::query(
                    "UPDATE public_request_tickets SET mobile_pseudonym = NULL \
                     WHERE mobile_pseudonym IS NOT NULL AND request_id IN \
                     (SELECT id FROM subject_requests WHERE closed_at < $1)",
                )
                .bind(closed_before)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected())
            }
        }
    };
}

request_repo!(sqlx::Sqlite);
request_repo!(sqlx::Postgres);
