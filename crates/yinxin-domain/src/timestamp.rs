//! The timestamp authority's serial numbers as recorded (SIGN-1, issue 6; RFC 3161 §2.4.2): one
//! counter for every TSA of the service, and with it the newest genTime any token was given, so
//! that serials strictly increase and are never reused — across restarts and across nodes sharing
//! one database — and a clock that went back is noticed.

use async_trait::async_trait;

use crate::repo::StoreResult;

/// The outcome of a reservation of serial numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialReservation {
    /// `count` serials, `first` to `first + count - 1`, are this caller's alone. The recorded
    /// newest genTime is now at least the one given.
    Granted {
        /// The first serial reserved (the first ever is 1).
        first: u64,
        /// The newest genTime recorded, Unix milliseconds, after this reservation.
        newest_gen_time_ms: i64,
    },
    /// Nothing reserved: the genTime given is earlier than the newest recorded by more than the
    /// tolerance — this clock (or another node's) is not to be trusted.
    ClockBehind {
        /// The newest genTime recorded, Unix milliseconds.
        newest_gen_time_ms: i64,
    },
}

/// The evidence entries (encoded) of the tokens of one reservation, given its first serial:
/// written in the reservation's own transaction (issue 7 item 2), so a serial is never given
/// without its entry queued in the evidence log.
pub type ReservationEvidence<'a> = &'a (dyn Fn(u64) -> Vec<Vec<u8>> + Send + Sync);

/// Storage of the TSA's serial counter.
#[async_trait]
pub trait TimestampRepo: Send + Sync + std::fmt::Debug {
    /// Reserves `count` (≥ 1) consecutive serials for tokens with genTime `gen_time_ms` (Unix
    /// milliseconds), in one atomic statement: refused as [`SerialReservation::ClockBehind`] when
    /// the newest recorded genTime is later than `gen_time_ms + tolerance_ms`; otherwise the
    /// counter moves on by `count`, the newest genTime becomes the later of the two, and the
    /// entries `evidence` gives for the first serial are queued in the evidence log — all in
    /// one transaction.
    async fn reserve_serials(
        &self,
        count: u32,
        gen_time_ms: i64,
        tolerance_ms: i64,
        evidence: ReservationEvidence<'_>,
    ) -> StoreResult<SerialReservation>;

    /// The newest genTime recorded (Unix milliseconds), `None` before the first token.
    async fn newest_gen_time(&self) -> StoreResult<Option<i64>>;

    /// The last serial reserved, 0 before the first.
    async fn last_serial(&self) -> StoreResult<u64>;
}
