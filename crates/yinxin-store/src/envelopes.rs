//! [`EnvelopeRepo`] for both backends (migration 0022): envelopes, their signers and their
//! audit trail (issue 6 item 6).
//!
//! A signature moves the envelope's current version by compare-and-set (`UPDATE … WHERE
//! current_id = <the version signed over>`), first in its transaction, so that the row is
//! locked before anything else is written; the intent, the new version, the signature record,
//! the signer's count and the trail's events follow in the same transaction. An event's number is
//! the envelope's largest plus one, taken under that lock (or, for events outside a signature,
//! under the envelope row's lock taken by a no-op update).

use async_trait::async_trait;
use yinxin_domain::AccountId;
use yinxin_domain::envelope::{
    Envelope, EnvelopeEvent, EnvelopeEventKind, EnvelopeField, EnvelopeOrder, EnvelopeRefusal,
    EnvelopeRepo, EnvelopeSigner, EnvelopeSigning, EnvelopeState,
};
use yinxin_domain::repo::{StoreError, StoreResult};

use crate::accounts::uuid_of;
use crate::intents::record_in_tx;
use crate::repos::{SqlStore, db_err};

const ENVELOPE_COLUMNS: &str = "id, owner_id, document_id, current_id, signing_order, state, \
     created_at, expires_at, closed_at";

type EnvelopeRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

type SignerRow = (i64, String, Option<String>, String, i64, bool);

type EventRow = (
    i64,
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn corrupt(what: &str, v: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("envelope {what} {v:?}"))
}

fn small(v: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| corrupt(what, v))
}

fn envelope_of(r: EnvelopeRow, signers: Vec<SignerRow>) -> StoreResult<Envelope> {
    let (id, owner, document, current, order, state, created_at, expires_at, closed_at) = r;
    let signers = signers
        .into_iter()
        .map(
            |(position, account, enterprise, fields, signed, declined)| {
                let fields: Vec<EnvelopeField> =
                    serde_json::from_str(&fields).map_err(|e| corrupt("fields", e))?;
                Ok(EnvelopeSigner {
                    position: small(position, "position")?,
                    account: uuid_of(&account, "account")?,
                    enterprise: enterprise.map(|e| uuid_of(&e, "enterprise")).transpose()?,
                    fields,
                    signed_fields: small(signed, "signed_fields")?,
                    declined,
                })
            },
        )
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Envelope {
        id,
        owner: uuid_of(&owner, "account")?,
        document,
        current,
        order: EnvelopeOrder::parse(&order).ok_or_else(|| corrupt("order", &order))?,
        state: EnvelopeState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        created_at,
        expires_at,
        closed_at,
        signers,
    })
}

/// Appends one event inside a transaction that holds the envelope's row lock.
macro_rules! push_in_tx {
    ($tx:ident, $envelope:expr, $kind:expr, $account:expr, $position:expr, $reference:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO envelope_events (envelope_id, seq, at, kind, account_id, position, \
             reference) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 \
             FROM envelope_events WHERE envelope_id = $1",
        )
        .bind($envelope)
        .bind($at)
        .bind($kind.as_str())
        .bind($account.map(|a: AccountId| a.to_string()))
        .bind($position.map(i64::from))
        .bind($reference)
        .execute(&mut *$tx)
        .await
        .map_err(db_err)?
    };
}

macro_rules! envelope_repo {
    ($db:ty) => {
        #[async_trait]
        impl EnvelopeRepo for SqlStore<$db> {
            async fn insert_envelope(&self, e: &Envelope) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                sqlx::query(&format!(
                    "INSERT INTO envelopes ({ENVELOPE_COLUMNS}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .bind(&e.id)
                .bind(e.owner.to_string())
                .bind(&e.document)
                .bind(&e.current)
                .bind(e.order.as_str())
                .bind(e.state.as_str())
                .bind(e.created_at)
                .bind(e.expires_at)
                .bind(e.closed_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                for s in &e.signers {
                    let fields = serde_json::to_string(&s.fields)
                        .map_err(|e| StoreError::Corrupt(format!("envelope fields: {e}")))?;
                    sqlx::query(
                        "INSERT INTO envelope_signers (envelope_id, position, account_id, \
                         enterprise_id, fields, signed_fields, declined) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&e.id)
                    .bind(i64::from(s.position))
                    .bind(s.account.to_string())
                    .bind(s.enterprise.map(|x| x.to_string()))
                    .bind(fields)
                    .bind(i64::from(s.signed_fields))
                    .bind(s.declined)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                push_in_tx!(
                    tx,
                    &e.id,
                    EnvelopeEventKind::Sent,
                    Some(e.owner),
                    None::<u32>,
                    Some(e.document.as_str()),
                    e.created_at
                );
                tx.commit().await.map_err(db_err)?;
                Ok(())
            }

            async fn envelope(&self, id: &str) -> StoreResult<Option<Envelope>> {
                let row: Option<EnvelopeRow> = sqlx::query_as(&format!(
                    "SELECT {ENVELOPE_COLUMNS} FROM envelopes WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let signers: Vec<SignerRow> = sqlx::query_as(
                    "SELECT position, account_id, enterprise_id, fields, signed_fields, declined \
                     FROM envelope_signers WHERE envelope_id = $1 ORDER BY position",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                envelope_of(row, signers).map(Some)
            }

            async fn envelopes_of(
                &self,
                account: AccountId,
                limit: u32,
            ) -> StoreResult<Vec<Envelope>> {
                let ids: Vec<(String,)> = sqlx::query_as(
                    "SELECT id FROM envelopes WHERE owner_id = $1 OR id IN \
                     (SELECT envelope_id FROM envelope_signers WHERE account_id = $1) \
                     ORDER BY created_at DESC, id LIMIT $2",
                )
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut out = Vec::with_capacity(ids.len());
                for (id,) in ids {
                    if let Some(e) = self.envelope(&id).await? {
                        out.push(e);
                    }
                }
                Ok(out)
            }

            async fn expired_envelopes(&self, at: i64, limit: u32) -> StoreResult<Vec<String>> {
                let ids: Vec<(String,)> = sqlx::query_as(
                    "SELECT id FROM envelopes WHERE state = 'sent' AND expires_at <= $1 \
                     ORDER BY expires_at, id LIMIT $2",
                )
                .bind(at)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(ids.into_iter().map(|(id,)| id).collect())
            }

            async fn push_event(
                &self,
                envelope: &str,
                kind: EnvelopeEventKind,
                account: Option<AccountId>,
                position: Option<u32>,
                reference: Option<&str>,
                at: i64,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                // The row lock that orders the trail's numbers.
                sqlx::query("UPDATE envelopes SET state = state WHERE id = $1")
                    .bind(envelope)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                push_in_tx!(tx, envelope, kind, account, position, reference, at);
                tx.commit().await.map_err(db_err)?;
                Ok(())
            }

            async fn events(&self, envelope: &str) -> StoreResult<Vec<EnvelopeEvent>> {
                let rows: Vec<EventRow> = sqlx::query_as(
                    "SELECT seq, at, kind, account_id, position, reference FROM envelope_events \
                     WHERE envelope_id = $1 ORDER BY seq",
                )
                .bind(envelope)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter()
                    .map(|(seq, at, kind, account, position, reference)| {
                        Ok(EnvelopeEvent {
                            seq: small(seq, "event")?,
                            at,
                            kind: EnvelopeEventKind::parse(&kind)
                                .ok_or_else(|| corrupt("event kind", &kind))?,
                            account: account.map(|a| uuid_of(&a, "account")).transpose()?,
                            position: position.map(|p| small(p, "position")).transpose()?,
                            reference,
                        })
                    })
                    .collect()
            }

            async fn envelope_signed(
                &self,
                s: &EnvelopeSigning<'_>,
            ) -> StoreResult<Result<(), EnvelopeRefusal>> {
                let at = s.record.created_at;
                let (version, sealed) = s.version;
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let moved = sqlx::query(
                    "UPDATE envelopes SET current_id = $3 WHERE id = $1 AND current_id = $2 \
                     AND state = 'sent' AND expires_at > $4",
                )
                .bind(s.envelope)
                .bind(s.from_version)
                .bind(&version.id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                let counted = if moved == 1 {
                    sqlx::query(
                        "UPDATE envelope_signers SET signed_fields = signed_fields + 1 \
                         WHERE envelope_id = $1 AND position = $2 AND signed_fields = $3 \
                         AND NOT declined",
                    )
                    .bind(s.envelope)
                    .bind(i64::from(s.position))
                    .bind(i64::from(s.signed_fields))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected()
                } else {
                    0
                };
                if counted != 1 {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(Err(EnvelopeRefusal::Moved));
                }
                if let Err(r) = record_in_tx!(tx, s.record, Some((version, sealed)), s.evidence) {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(Err(EnvelopeRefusal::Intent(r)));
                }
                let who = Some(s.record.account);
                let position = Some(s.position);
                if let Some(confirmed) = s.intent_confirmed_at {
                    push_in_tx!(
                        tx,
                        s.envelope,
                        EnvelopeEventKind::IntentConfirmed,
                        who,
                        position,
                        s.record.intent.as_deref(),
                        confirmed
                    );
                }
                push_in_tx!(
                    tx,
                    s.envelope,
                    EnvelopeEventKind::Signed,
                    who,
                    position,
                    Some(s.record.id.as_str()),
                    at
                );
                if s.completes {
                    sqlx::query(
                        "UPDATE envelopes SET state = 'completed', closed_at = $2 WHERE id = $1",
                    )
                    .bind(s.envelope)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    push_in_tx!(
                        tx,
                        s.envelope,
                        EnvelopeEventKind::Completed,
                        None::<AccountId>,
                        None::<u32>,
                        Some(version.id.as_str()),
                        at
                    );
                }
                tx.commit().await.map_err(db_err)?;
                Ok(Ok(()))
            }

            async fn close_envelope(
                &self,
                envelope: &str,
                state: EnvelopeState,
                account: Option<AccountId>,
                position: Option<u32>,
                at: i64,
            ) -> StoreResult<bool> {
                let kind = match state {
                    EnvelopeState::Declined => EnvelopeEventKind::Declined,
                    EnvelopeState::Cancelled => EnvelopeEventKind::Cancelled,
                    EnvelopeState::Expired => EnvelopeEventKind::Expired,
                    EnvelopeState::Sent | EnvelopeState::Completed => {
                        return Err(StoreError::Corrupt(format!(
                            "an envelope is not closed as {}",
                            state.as_str()
                        )));
                    }
                };
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let n = sqlx::query(
                    "UPDATE envelopes SET state = $2, closed_at = $3 \
                     WHERE id = $1 AND state = 'sent'",
                )
                .bind(envelope)
                .bind(state.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n != 1 {
                    tx.rollback().await.map_err(db_err)?;
                    return Ok(false);
                }
                if let (EnvelopeState::Declined, Some(p)) = (state, position) {
                    sqlx::query(
                        "UPDATE envelope_signers SET declined = $3 \
                         WHERE envelope_id = $1 AND position = $2",
                    )
                    .bind(envelope)
                    .bind(i64::from(p))
                    .bind(true)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                push_in_tx!(tx, envelope, kind, account, position, None::<&str>, at);
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }
        }
    };
}

envelope_repo!(sqlx::Sqlite);
envelope_repo!(sqlx::Postgres);
