//! [`TimestampRepo`] for both backends (migration 0018): the TSA's one serial counter.

use async_trait::async_trait;
use yinxin_domain::repo::{StoreError, StoreResult};
use yinxin_domain::timestamp::{ReservationEvidence, SerialReservation, TimestampRepo};

use crate::repos::{SqlStore, db_err};

fn serial_of(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("TSA serial {n}")))
}

macro_rules! timestamp_repo {
    ($db:ty) => {
        #[async_trait]
        impl TimestampRepo for SqlStore<$db> {
            async fn reserve_serials(
                &self,
                count: u32,
                gen_time_ms: i64,
                tolerance_ms: i64,
                evidence: ReservationEvidence<'_>,
            ) -> StoreResult<SerialReservation> {
                if count == 0 {
                    return Err(StoreError::Corrupt("a reservation of no serials".into()));
                }
                // One transaction: the clock rule and the counter move together in one
                // statement, so that two nodes (or two requests) can never take the same
                // serial, and a serial is never given to a genTime earlier than an older
                // serial's by more than the tolerance; the tokens' evidence entries are queued
                // with them (issue 7 item 2).
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE tsa_serials SET last_serial = last_serial + $1, \
                     last_gen_time_ms = CASE WHEN last_gen_time_ms > $2 \
                     THEN last_gen_time_ms ELSE $2 END \
                     WHERE id = 1 AND last_gen_time_ms <= $2 + $3 \
                     RETURNING last_serial, last_gen_time_ms",
                )
                .bind(i64::from(count))
                .bind(gen_time_ms)
                .bind(tolerance_ms)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                match row {
                    Some((last, newest)) => {
                        let first = serial_of(last - i64::from(count) + 1)?;
                        let entries = evidence(first);
                        // Entry i is the token of serial first + i; each entry's pending id is
                        // kept by serial (tsa_entries), so a token's leaf is found by its
                        // serial. RETURNING gives the rows back with their entries, matched
                        // by content (RETURNING's row order is not promised).
                        let position: std::collections::HashMap<&[u8], u64> = (0u64..)
                            .zip(&entries)
                            .map(|(i, e)| (e.as_slice(), i))
                            .collect();
                        for chunk in entries.chunks(crate::ledger::ROWS_PER_STATEMENT) {
                            let mut q = sqlx::QueryBuilder::<$db>::new(
                                "INSERT INTO ledger_pending (entry, queued_at) ",
                            );
                            q.push_values(chunk, |mut b, e| {
                                b.push_bind(e.as_slice()).push_bind(gen_time_ms);
                            });
                            q.push(" RETURNING id, entry");
                            let rows: Vec<(i64, Vec<u8>)> = q
                                .build_query_as()
                                .fetch_all(&mut *tx)
                                .await
                                .map_err(db_err)?;
                            let pairs = rows
                                .iter()
                                .map(|(id, e)| {
                                    let i = position.get(e.as_slice()).ok_or_else(|| {
                                        StoreError::Corrupt("a pending row not queued here".into())
                                    })?;
                                    let serial = i64::try_from(first + i).map_err(|_| {
                                        StoreError::Corrupt("a TSA serial beyond i64".into())
                                    })?;
                                    Ok((serial, *id))
                                })
                                .collect::<StoreResult<Vec<_>>>()?;
                            let mut q = sqlx::QueryBuilder::<$db>::new(
                                "INSERT INTO tsa_entries (serial, pending_id) ",
                            );
                            q.push_values(&pairs, |mut b, (s, p)| {
                                b.push_bind(*s).push_bind(*p);
                            });
                            q.build().execute(&mut *tx).await.map_err(db_err)?;
                        }
                        tx.commit().await.map_err(db_err)?;
                        Ok(SerialReservation::Granted {
                            first,
                            newest_gen_time_ms: newest,
                        })
                    }
                    None => {
                        drop(tx);
                        let (newest,): (i64,) =
                            sqlx::query_as("SELECT last_gen_time_ms FROM tsa_serials WHERE id = 1")
                                .fetch_optional(&self.pool)
                                .await
                                .map_err(db_err)?
                                .ok_or_else(|| {
                                    StoreError::Corrupt("no TSA serial counter".into())
                                })?;
                        Ok(SerialReservation::ClockBehind {
                            newest_gen_time_ms: newest,
                        })
                    }
                }
            }

            async fn newest_gen_time(&self) -> StoreResult<Option<i64>> {
                let (serial, newest): (i64, i64) = sqlx::query_as(
                    "SELECT last_serial, last_gen_time_ms FROM tsa_serials WHERE id = 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::Corrupt("no TSA serial counter".into()))?;
                Ok((serial > 0).then_some(newest))
            }

            async fn last_serial(&self) -> StoreResult<u64> {
                let (serial,): (i64,) =
                    sqlx::query_as("SELECT last_serial FROM tsa_serials WHERE id = 1")
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?
                        .ok_or_else(|| StoreError::Corrupt("no TSA serial counter".into()))?;
                serial_of(serial)
            }
        }
    };
}

timestamp_repo!(sqlx::Sqlite);
timestamp_repo!(sqlx::Postgres);
