//! The timestamp authority (SIGN-1, issue 6; RFC 3161 with RFC 5816): answers a DER
//! `TimeStampReq` with a DER `TimeStampResp`, signed by the timestamping certificate of one of the
//! CA's hierarchies (`CaRole::Timestamping`, made with each hierarchy, see `hierarchy.rs`).
//!
//! **Which TSA signs.** The one of the hierarchy the caller names (`POST /pki/tsa?alg=sm2`);
//! without a name, the SM2 one for an SM3 imprint and the international P-256 one for SHA-2
//! imprints, so that an SM3 request gets an all-SM token and a SHA-2 request one that every
//! RFC 3161 client verifies. If that hierarchy has no TSA, any other signs (P-256 first).
//!
//! **Serials** come from the database's one counter ([`TimestampRepo`]): unique and strictly
//! increasing for every TSA of the service, across restarts and nodes.
//!
//! **The clock.** No token is issued with a time the service does not trust; the answer is then
//! `rejection` / `timeNotAvailable`, never a token with a degraded time. Two checks, both before a
//! serial is taken:
//! 1. the configured [`ClockCheck`] — by default [`NotGoingBack`]: the clock is not behind the
//!    newest genTime this node knows (read from the database at start and after every
//!    reservation) by more than the tolerance;
//! 2. the store's reservation applies the same rule atomically against the newest genTime any
//!    node recorded ([`SerialReservation::ClockBehind`]), so a node whose clock is behind
//!    another's is caught too, and no serial is given to such a time.
//!
//! Both run in the node's one sequencer task, which reads the clock for a whole batch of waiting
//! requests and reserves their serials in one statement ([`Sequencer`]).
//!
//! The tolerance is at most the accuracy the tokens state ([`ACCURACY`], one second): a token's
//! genTime is never further from a later-serial token's than its stated accuracy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use der::Decode;
use der::asn1::ObjectIdentifier;
use tokio::sync::{mpsc, oneshot};
use x509_cert::Certificate;
use x509_cert::name::Name;
use yinxin_crypto::{KeyAlgorithm, KeyId, KeyStore, Signer};
use yinxin_domain::certificate::{CaRole, CertificateRepo};
use yinxin_domain::timestamp::{ReservationEvidence, SerialReservation, TimestampRepo};

use crate::PkiError;
use crate::cms::DigestAlgorithm;
use crate::tsp::{
    FailureInfo, Rejection, TimestampRequest, TokenSpec, build_token, granted, parse_request,
    rejected,
};

/// The accuracy every token states (RFC 3161 `accuracy`): genTime is written in whole seconds.
pub const ACCURACY: Duration = Duration::from_secs(1);

/// The default TSA policy: yinxin has no registered OID arc yet, so it sits under the
/// registration-free UUID arc `2.25` with the same random number as the event binding
/// (docs/CA.md), `.2` for timestamping. An operator with an arc configures `tsa_policy_oid`.
pub const DEFAULT_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.25.3179520717.2");

/// A policy OID in dotted form (`2.25.3179520717.2`), as configured.
pub fn parse_policy(dotted: &str) -> Option<ObjectIdentifier> {
    ObjectIdentifier::new(dotted.trim()).ok()
}

/// Settings of the TSA.
#[derive(Clone, Debug)]
pub struct TsaConfig {
    /// The policy written in every token; a request naming another (`reqPolicy`) is refused with
    /// `unacceptedPolicy`.
    pub policy: ObjectIdentifier,
    /// How far the clock may be behind the newest genTime recorded (at most [`ACCURACY`]).
    pub clock_tolerance: Duration,
}

impl Default for TsaConfig {
    fn default() -> Self {
        Self {
            policy: DEFAULT_POLICY,
            clock_tolerance: ACCURACY,
        }
    }
}

/// What a clock check is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockReading {
    /// The time a token would carry.
    pub now: SystemTime,
    /// The newest genTime issued that this node knows of (`None` before the first token).
    pub newest_issued: Option<SystemTime>,
}

/// Whether the clock may be trusted for a token now (see the module documentation). `Err` says
/// why not, in words for the statusString and the log.
pub trait ClockCheck: Send + Sync + std::fmt::Debug {
    /// Checks one reading.
    fn check(&self, reading: &ClockReading) -> Result<(), String>;
}

/// The default check: the clock has not gone back behind the newest genTime issued by more than
/// `tolerance`.
#[derive(Clone, Copy, Debug)]
pub struct NotGoingBack {
    /// How far behind is still accepted.
    pub tolerance: Duration,
}

impl ClockCheck for NotGoingBack {
    fn check(&self, r: &ClockReading) -> Result<(), String> {
        match r.newest_issued {
            Some(newest) if r.now + self.tolerance < newest => Err(format!(
                "the clock is {} ms behind the newest timestamp issued",
                newest
                    .duration_since(r.now)
                    .map(|d| d.as_millis())
                    .unwrap_or_default()
            )),
            _ => Ok(()),
        }
    }
}

/// Where the time comes from: the system clock, or a test's.
pub trait TimeSource: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl TimeSource for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// What went wrong outside the protocol (the protocol's own refusals are responses).
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// No TSA of that algorithm.
    #[error("no {0} timestamp authority is configured")]
    NoTsa(KeyAlgorithm),
    /// A configuration that cannot work; the message names the setting.
    #[error("{0}")]
    Config(String),
    /// Keys or storage failed at start.
    #[error("{0}")]
    Internal(String),
}

/// One TSA: the timestamping certificate of a hierarchy and its key.
#[derive(Debug)]
struct Unit {
    id: String,
    signer: Arc<dyn Signer>,
    certificate_der: Vec<u8>,
    name: Name,
    not_before: SystemTime,
    not_after: SystemTime,
}

/// How a request was answered (the response bytes are in [`TsaReply::der`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A token with this serial.
    Granted {
        /// Its serial.
        serial: u64,
    },
    /// A rejection.
    Rejected(FailureInfo),
}

/// A `TimeStampResp` and what it says.
#[derive(Clone, Debug)]
pub struct TsaReply {
    /// The DER `TimeStampResp`.
    pub der: Vec<u8>,
    /// Granted or why not.
    pub outcome: Outcome,
    /// The TSA that answered (`p256-timestamping-1`), if one was chosen.
    pub tsa: Option<String>,
}

/// The timestamp authority.
#[derive(Debug)]
pub struct TimestampAuthority {
    units: HashMap<KeyAlgorithm, Unit>,
    repo: Arc<dyn TimestampRepo>,
    config: TsaConfig,
    check: Arc<dyn ClockCheck>,
    time: Arc<dyn TimeSource>,
    /// The newest genTime this node knows (Unix ms; `i64::MIN` before the first).
    newest_ms: Arc<AtomicI64>,
    /// The one task that reads the clock and reserves serials (see [`Sequencer`]).
    sequencer: OnceLock<Sequencer>,
}

fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn from_unix_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

impl TimestampAuthority {
    /// The TSAs of every active hierarchy in the records (the CA created them; start it first),
    /// with their keys from `keys`, the serial counter `repo`, the check [`NotGoingBack`] with the
    /// configured tolerance and the system clock.
    pub async fn start(
        keys: Arc<dyn KeyStore>,
        cas: &dyn CertificateRepo,
        repo: Arc<dyn TimestampRepo>,
        config: TsaConfig,
    ) -> Result<Self, TsaError> {
        if config.clock_tolerance > ACCURACY {
            return Err(TsaError::Config(format!(
                "tsa_clock_tolerance_ms: at most {} (the accuracy tokens state)",
                ACCURACY.as_millis()
            )));
        }
        let internal = |e: &dyn std::fmt::Display| TsaError::Internal(e.to_string());
        let mut units = HashMap::new();
        for r in cas
            .cas()
            .await
            .map_err(|e| internal(&e))?
            .into_iter()
            .filter(|r| r.active && r.role == CaRole::Timestamping)
        {
            let Some(alg) = KeyAlgorithm::parse(&r.algorithm) else {
                return Err(TsaError::Internal(format!("TSA {} algorithm", r.id)));
            };
            let cert = Certificate::from_der(&r.certificate)
                .map_err(|e| TsaError::Internal(format!("TSA {} certificate: {e}", r.id)))?;
            let tbs = cert.tbs_certificate();
            let signer = keys
                .signer(&KeyId::new(&r.key_id))
                .await
                .map_err(|e| TsaError::Internal(format!("TSA {} key: {e}", r.id)))?;
            units.insert(
                alg,
                Unit {
                    id: r.id.clone(),
                    signer,
                    name: tbs.subject().clone(),
                    not_before: tbs.validity().not_before.to_system_time(),
                    not_after: tbs.validity().not_after.to_system_time(),
                    certificate_der: r.certificate,
                },
            );
        }
        let newest = repo.newest_gen_time().await.map_err(|e| internal(&e))?;
        Ok(Self {
            units,
            repo,
            check: Arc::new(NotGoingBack {
                tolerance: config.clock_tolerance,
            }),
            config,
            time: Arc::new(SystemClock),
            newest_ms: Arc::new(AtomicI64::new(newest.unwrap_or(i64::MIN))),
            sequencer: OnceLock::new(),
        })
    }

    /// The same TSA with another clock check.
    pub fn with_clock_check(mut self, check: Arc<dyn ClockCheck>) -> Self {
        self.check = check;
        self.sequencer = OnceLock::new();
        self
    }

    /// The same TSA with another time source (tests).
    pub fn with_time_source(mut self, time: Arc<dyn TimeSource>) -> Self {
        self.time = time;
        self.sequencer = OnceLock::new();
        self
    }

    /// The policy of its tokens.
    pub fn policy(&self) -> ObjectIdentifier {
        self.config.policy
    }

    /// The algorithms with a TSA.
    pub fn algorithms(&self) -> Vec<KeyAlgorithm> {
        let mut a: Vec<_> = self.units.keys().copied().collect();
        a.sort();
        a
    }

    /// The TSA certificate of a hierarchy (DER), for relying parties whose requests did not ask
    /// for it (`certReq`).
    pub fn certificate(&self, alg: KeyAlgorithm) -> Result<&[u8], TsaError> {
        self.units
            .get(&alg)
            .map(|u| u.certificate_der.as_slice())
            .ok_or(TsaError::NoTsa(alg))
    }

    fn unit_for(&self, asked: Option<KeyAlgorithm>, hash: DigestAlgorithm) -> Option<&Unit> {
        if let Some(a) = asked {
            return self.units.get(&a);
        }
        let preferred = if hash == DigestAlgorithm::Sm3 {
            [KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256]
        } else {
            [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Sm2]
        };
        preferred
            .iter()
            .find_map(|a| self.units.get(a))
            .or_else(|| self.algorithms().first().and_then(|a| self.units.get(a)))
    }

    /// Answers a DER `TimeStampReq` (SIGN-1). `asked` names the hierarchy whose TSA is to sign
    /// ([`TsaError::NoTsa`] when there is none); `None` chooses by the imprint (module
    /// documentation). Everything the protocol can say is a response, refusals included.
    pub async fn respond(
        &self,
        request_der: &[u8],
        asked: Option<KeyAlgorithm>,
    ) -> Result<TsaReply, TsaError> {
        if let Some(a) = asked
            && !self.units.contains_key(&a)
        {
            return Err(TsaError::NoTsa(a));
        }
        let reject = |r: Rejection, tsa: Option<&Unit>| TsaReply {
            der: rejected(&r),
            outcome: Outcome::Rejected(r.failure),
            tsa: tsa.map(|u| u.id.clone()),
        };
        let req = match parse_request(request_der) {
            Ok(r) => r,
            Err(r) => return Ok(reject(r, None)),
        };
        if let Some(p) = req.policy
            && p != self.config.policy
        {
            return Ok(reject(
                Rejection::new(
                    FailureInfo::UnacceptedPolicy,
                    format!(
                        "the policy asked for is not this TSA's; its policy is {}",
                        self.config.policy
                    ),
                ),
                None,
            ));
        }
        let Some(unit) = self.unit_for(asked, req.hash) else {
            tracing::error!("timestamp request with no TSA configured");
            return Ok(reject(
                Rejection::new(
                    FailureInfo::SystemFailure,
                    "no timestamp authority is configured",
                ),
                None,
            ));
        };
        match self.issue(&req, unit).await {
            Ok(r) => Ok(r),
            Err(r) => Ok(reject(r, Some(unit))),
        }
    }

    /// The sequencer of this TSA, started on first use in the caller's runtime with the clock
    /// check and time source configured by then.
    fn sequencer(&self) -> &Sequencer {
        self.sequencer.get_or_init(|| {
            Sequencer::spawn(SequencerParts {
                repo: self.repo.clone(),
                check: self.check.clone(),
                time: self.time.clone(),
                tolerance_ms: i64::try_from(self.config.clock_tolerance.as_millis()).unwrap_or(0),
                newest_ms: self.newest_ms.clone(),
                policy: self.config.policy,
            })
        })
    }

    /// A serial and its genTime from the sequencer (with the clock checks), then the token.
    async fn issue(&self, req: &TimestampRequest, unit: &Unit) -> Result<TsaReply, Rejection> {
        let Slot {
            serial,
            gen_time: now,
        } = self.sequencer().slot(req).await?;
        if now < unit.not_before || now >= unit.not_after {
            tracing::error!(tsa = %unit.id, "timestamp refused: the TSA certificate is not valid now");
            return Err(Rejection::new(
                FailureInfo::SystemFailure,
                "the TSA's certificate is not valid now",
            ));
        }
        let spec = TokenSpec {
            policy: self.config.policy,
            serial,
            gen_time: now,
            accuracy: Some(ACCURACY),
            tsa_name: Some(&unit.name),
        };
        let signed = build_token(req, &spec, unit.signer.as_ref(), &unit.certificate_der)
            .and_then(|token| granted(&token));
        match signed {
            Ok(der) => {
                tracing::debug!(tsa = %unit.id, serial, "timestamp granted");
                Ok(TsaReply {
                    der,
                    outcome: Outcome::Granted { serial },
                    tsa: Some(unit.id.clone()),
                })
            }
            Err(e) => {
                tracing::error!(tsa = %unit.id, serial, error = %e, "timestamp token not signed");
                Err(Rejection::new(
                    FailureInfo::SystemFailure,
                    "the TSA cannot issue a token now; retry later",
                ))
            }
        }
    }
}

/// The public salt of every timestamp entry's commitment: `SHA-256("yinxin/tsa-entry/v1")`.
/// Public because a timestamp request carries no personal information (an imprint is a digest
/// the requester chose to send) and so that **anyone holding a token can find its leaf**
/// ([`token_leaf`]) and check it against the proof bundle fetched by serial.
pub fn timestamp_salt() -> yinxin_ledger::entry::Salt {
    use sha2::{Digest, Sha256};
    yinxin_ledger::entry::Salt(Sha256::digest(b"yinxin/tsa-entry/v1").into())
}

/// The record a timestamp entry commits to: `serial \n genTime \n policy \n hash \n imprint \n`
/// (serial decimal, genTime in Unix seconds as in the token, the policy OID dotted, the hash's
/// name, the hashed message hex) — every field as the token's TSTInfo carries it.
pub fn timestamp_record(
    serial: u64,
    gen_time_s: i64,
    policy: &ObjectIdentifier,
    hash: DigestAlgorithm,
    hashed_message: &[u8],
) -> Vec<u8> {
    format!(
        "{serial}\n{gen_time_s}\n{policy}\n{}\n{}\n",
        hash.name(),
        hex::encode(hashed_message)
    )
    .into_bytes()
}

/// The evidence entry of a timestamp (issue 7 item 2; SIGN-1; docs/LEDGER.md): type 6, time
/// genTime (whole seconds, in ms), committing under [`timestamp_salt`] to [`timestamp_record`].
/// Queued in the serial reservation's own transaction, so a batch of tokens is still one
/// commit.
pub fn timestamp_entry(
    serial: u64,
    gen_time_s: i64,
    policy: &ObjectIdentifier,
    hash: DigestAlgorithm,
    hashed_message: &[u8],
) -> yinxin_ledger::entry::Entry {
    use yinxin_ledger::entry::{Commitment, Entry, EntryBody};
    Entry {
        time_ms: gen_time_s.saturating_mul(1000),
        body: EntryBody::Timestamp {
            token: Commitment::to(
                &timestamp_salt(),
                &timestamp_record(serial, gen_time_s, policy, hash, hashed_message),
            ),
        },
    }
}

/// The leaf hash of a token's entry, computed from the token (its TSTInfo): what the holder
/// checks the bundle of `GET /api/v1/log/bundle?tsa_serial=` against. The token's signature is
/// checked too: by the certificate inside it, or — for a token asked without `certReq` — by
/// `tsa_certificate_der` (`GET /pki/tsa.pem`).
pub fn token_leaf(token: &[u8], tsa_certificate_der: Option<&[u8]>) -> Result<[u8; 32], PkiError> {
    let v = crate::tsp::verify_token(token, tsa_certificate_der)?;
    let serial = v
        .serial
        .iter()
        .try_fold(0u64, |acc, b| {
            (acc >> 56 == 0).then(|| (acc << 8) | u64::from(*b))
        })
        .ok_or_else(|| PkiError::Invalid("the token's serial is beyond 64 bits".into()))?;
    let gen_time_s = unix_ms(v.gen_time).div_euclid(1000);
    let entry = timestamp_entry(serial, gen_time_s, &v.policy, v.hash, &v.hashed_message)
        .encode()
        .map_err(|e| PkiError::Invalid(e.to_string()))?;
    Ok(yinxin_ledger::tree::leaf_hash(&entry))
}

/// The most requests one reservation serves.
const MAX_BATCH: usize = 1024;

/// A serial and the time its token carries, as the sequencer gave them.
#[derive(Clone, Copy, Debug)]
struct Slot {
    serial: u64,
    gen_time: SystemTime,
}

type SlotReply = oneshot::Sender<Result<Slot, Rejection>>;

/// What a request waiting for a slot tells the sequencer: its imprint, for its evidence entry.
#[derive(Debug)]
struct Waiting {
    hash: DigestAlgorithm,
    hashed_message: Vec<u8>,
    reply: SlotReply,
}

/// What the sequencer task works with.
struct SequencerParts {
    repo: Arc<dyn TimestampRepo>,
    check: Arc<dyn ClockCheck>,
    time: Arc<dyn TimeSource>,
    tolerance_ms: i64,
    newest_ms: Arc<AtomicI64>,
    policy: ObjectIdentifier,
}

/// The one place of a node where the clock is read for a token and serials are reserved.
///
/// Requests queue for a slot; the task takes every request waiting (up to [`MAX_BATCH`]), reads
/// the clock once, runs the clock check, and reserves that many serials in one statement with
/// that time. So the clock is read only after the previous reservation is committed, and a
/// node's genTimes follow its serials. (Before, each request read the clock and then waited for
/// the database's write lock: under load a request could wait longer than the tolerance behind
/// a later reading, look like a clock gone back, and be refused `timeNotAvailable`; and every
/// token cost its own commit. `scripts/bench-ca … t` found it: BENCHMARKS.md.)
///
/// The whole batch shares one outcome: the same genTime, consecutive serials, or the same
/// refusal. The task ends when the TSA is dropped.
#[derive(Debug)]
struct Sequencer {
    queue: mpsc::Sender<Waiting>,
}

impl Sequencer {
    fn spawn(parts: SequencerParts) -> Self {
        let (queue, mut waiting) = mpsc::channel::<Waiting>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let outcome = parts.reserve(&batch).await;
                for (i, w) in (0u64..).zip(batch.drain(..)) {
                    // A request that gave up (its connection closed) leaves a gap in the
                    // serials, which RFC 3161 allows: they are unique and increasing. (Its
                    // entry is in the log all the same: a serial given out, token or not.)
                    let _ = w.reply.send(outcome.clone().map(|(first, gen_time)| Slot {
                        serial: first + i,
                        gen_time,
                    }));
                }
            }
        });
        Self { queue }
    }

    async fn slot(&self, req: &TimestampRequest) -> Result<Slot, Rejection> {
        let stopped = || {
            tracing::error!("timestamp sequencer stopped");
            Rejection::new(
                FailureInfo::SystemFailure,
                "the TSA cannot issue a token now; retry later",
            )
        };
        let (reply, answer) = oneshot::channel();
        let waiting = Waiting {
            hash: req.hash,
            hashed_message: req.hashed_message.clone(),
            reply,
        };
        self.queue.send(waiting).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl SequencerParts {
    /// The clock checks, then a serial for each of `batch`, for one genTime, with their evidence
    /// entries: the first serial and the time.
    async fn reserve(&self, batch: &[Waiting]) -> Result<(u64, SystemTime), Rejection> {
        let count = u32::try_from(batch.len()).unwrap_or(u32::MAX);
        let untrusted = |why: &str| {
            tracing::warn!(reason = why, "timestamp refused: clock not trusted");
            Rejection::new(
                FailureInfo::TimeNotAvailable,
                format!("the TSA's clock is not trusted now ({why}); no token was issued"),
            )
        };
        let now = self.time.now();
        let newest = self.newest_ms.load(Ordering::Acquire);
        let reading = ClockReading {
            now,
            newest_issued: (newest != i64::MIN).then(|| from_unix_ms(newest)),
        };
        self.check.check(&reading).map_err(|why| untrusted(&why))?;
        let gen_time_s = unix_ms(now).div_euclid(1000);
        let policy = self.policy;
        // A timestamp entry always encodes (no reason byte); were one ever refused, it would
        // be an empty entry in its place, never a shift of the later ones onto other serials.
        let evidence: ReservationEvidence<'_> = &move |first: u64| {
            (0u64..)
                .zip(batch)
                .map(|(i, w)| {
                    timestamp_entry(first + i, gen_time_s, &policy, w.hash, &w.hashed_message)
                        .encode()
                        .unwrap_or_default()
                })
                .collect()
        };
        match self
            .repo
            .reserve_serials(count, unix_ms(now), self.tolerance_ms, evidence)
            .await
        {
            Ok(SerialReservation::Granted {
                first,
                newest_gen_time_ms,
            }) => {
                self.newest_ms
                    .fetch_max(newest_gen_time_ms, Ordering::AcqRel);
                Ok((first, now))
            }
            Ok(SerialReservation::ClockBehind { newest_gen_time_ms }) => {
                self.newest_ms
                    .fetch_max(newest_gen_time_ms, Ordering::AcqRel);
                Err(untrusted(
                    "behind the newest timestamp recorded, possibly by another node",
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "timestamp serials not reserved");
                Err(Rejection::new(
                    FailureInfo::SystemFailure,
                    "the TSA cannot issue a token now; retry later",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use super::*;
    use crate::ca::{CaConfig, CertificateAuthority, SubjectMode};
    use crate::testing::openssl;
    use crate::tsp::{read_response, verify_token};
    use yinxin_crypto::software::SoftwareKeyStore;
    use yinxin_privacy::Cipher;
    use yinxin_privacy::master_key::MasterKey;
    use yinxin_privacy::vault::Vault;
    use yinxin_store::testing::TestDb;
    use yinxin_store::{Backend, backend_tests};
    use zeroize::Zeroizing;

    fn s(p: &Path) -> String {
        p.display().to_string()
    }

    /// The SM2 and P-256 hierarchies of a CA on `db` (made on first start), the TSA over them,
    /// and a directory with each chain (`chain-sm2.pem`: issuing CA and root) and TSA certificate
    /// (`tsa-sm2.pem`) for OpenSSL.
    struct Fixture {
        keys: Arc<dyn KeyStore>,
        dir: tempfile::TempDir,
    }

    async fn fixture(db: &TestDb) -> (Fixture, TimestampAuthority) {
        let vault = Vault::open(
            &MasterKey::generate(),
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let keys: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            Zeroizing::new([5; 32]),
        ));
        let ca = CertificateAuthority::start(
            keys.clone(),
            db.stores.certificates.clone(),
            vault,
            CaConfig {
                organization: "yinxin test".into(),
                public_base_url: "http://127.0.0.1:1/".into(),
                algorithms: vec![KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256],
                subject_mode: SubjectMode::default(),
                crl_validity: Duration::from_secs(3600),
            },
        )
        .await
        .unwrap();
        let f = Fixture {
            keys,
            dir: tempfile::tempdir().unwrap(),
        };
        let tsa = f.tsa(db).await;
        for alg in [KeyAlgorithm::Sm2, KeyAlgorithm::EcdsaP256] {
            std::fs::write(f.p(&format!("chain-{alg}.pem")), ca.chain_pem(alg).unwrap()).unwrap();
            std::fs::write(
                f.p(&format!("tsa-{alg}.pem")),
                crate::pem(tsa.certificate(alg).unwrap(), "CERTIFICATE"),
            )
            .unwrap();
        }
        (f, tsa)
    }

    impl Fixture {
        /// A TSA (again) over the same records: what a restart starts.
        async fn tsa(&self, db: &TestDb) -> TimestampAuthority {
            TimestampAuthority::start(
                self.keys.clone(),
                db.stores.certificates.as_ref(),
                db.stores.timestamps.clone(),
                TsaConfig::default(),
            )
            .await
            .unwrap()
        }

        fn p(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let p = self.p(name);
            std::fs::write(&p, bytes).unwrap();
            p
        }

        /// `openssl ts -query -data data.bin` with `args` (`-sha256`, `-cert`, `-no_nonce`, …).
        fn query(&self, name: &str, args: &[&str]) -> Vec<u8> {
            let data = self.write("data.bin", "合同 No. 42: the signed document".as_bytes());
            let out = self.p(name);
            let mut a = vec!["ts", "-query", "-data"];
            let (d, o) = (s(&data), s(&out));
            a.push(&d);
            a.extend_from_slice(args);
            a.extend(["-out", &o]);
            let said = openssl(&a);
            std::fs::read(&out).unwrap_or_else(|_| panic!("openssl ts -query: {said}"))
        }

        /// `openssl ts -verify` of reply `r` over data.bin under the chain of `alg`, with `extra`.
        fn verify(&self, alg: KeyAlgorithm, r: &Path, extra: &[&str]) -> String {
            let (data, chain) = (
                s(&self.p("data.bin")),
                s(&self.p(&format!("chain-{alg}.pem"))),
            );
            let mut a = vec!["ts", "-verify", "-in", &s(r)]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
            a.extend(["-data".into(), data, "-CAfile".into(), chain]);
            a.extend(extra.iter().map(|x| x.to_string()));
            openssl(&a)
        }

        fn text(&self, r: &Path) -> String {
            openssl(&["ts", "-reply", "-in", &s(r), "-text"])
        }
    }

    fn granted_serial(reply: &TsaReply) -> u64 {
        match reply.outcome {
            Outcome::Granted { serial } => serial,
            other => panic!("not granted: {other:?}"),
        }
    }

    /// P-256 (SHA-256 and SHA-512 imprints): `openssl ts -verify` accepts the token over the data,
    /// over the digest and against the query (nonce and policy), with the certificate inside
    /// (certReq) or given apart; `openssl ts -reply -text` shows what was asked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_verifies_p256_tokens() {
        let db = TestDb::new(Backend::Sqlite).await;
        let (f, tsa) = fixture(&db).await;
        let alg = KeyAlgorithm::EcdsaP256;
        for (tag, hash) in [
            ("sha256", "-sha256"),
            ("sha512", "-sha512"),
            ("sha384", "-sha384"),
        ] {
            let q = f.query(&format!("{tag}.tsq"), &[hash, "-cert"]);
            let reply = tsa.respond(&q, None).await.unwrap();
            assert_eq!(reply.tsa.as_deref(), Some("p256-timestamping-1"));
            let serial = granted_serial(&reply);
            let r = f.write(&format!("{tag}.tsr"), &reply.der);
            let out = f.verify(alg, &r, &[]);
            assert!(out.contains("Verification: OK"), "{tag}: {out}");
            let out = openssl(&[
                "ts",
                "-verify",
                "-queryfile",
                &s(&f.p(&format!("{tag}.tsq"))),
                "-in",
                &s(&r),
                "-CAfile",
                &s(&f.p("chain-p256.pem")),
            ]);
            assert!(out.contains("Verification: OK"), "{tag} queryfile: {out}");
            let text = f.text(&r);
            assert!(text.contains("Status: Granted."), "{text}");
            assert!(text.contains(&format!("Hash Algorithm: {tag}")), "{text}");
            assert!(text.contains("Policy OID: 2.25.3179520717.2"), "{text}");
            assert!(
                text.contains(&format!("Serial number: 0x{serial:02X}")),
                "{text}"
            );
            assert!(text.contains("Accuracy: 0x01 seconds"), "{text}");
            assert!(text.contains("TSA: DirName:"), "{text}");
            assert!(text.contains("P256 Timestamp Authority"), "{text}");
            let nonce_line = openssl(&[
                "ts",
                "-query",
                "-in",
                &s(&f.p(&format!("{tag}.tsq"))),
                "-text",
            ]);
            let nonce = nonce_line
                .lines()
                .find(|l| l.starts_with("Nonce:"))
                .unwrap();
            assert!(text.contains(nonce), "nonce echoed: {nonce} in {text}");
            // Our own check agrees, and the certificate is inside.
            let token = read_response(&reply.der).unwrap().token.unwrap();
            let v = verify_token(&token, None).unwrap();
            assert!(v.signed.certificate_included);
            assert_eq!(v.signed.digest, DigestAlgorithm::Sha256);
        }

        // By digest, without certReq: no certificate inside; verified with it given apart, not
        // without it.
        let digest =
            hex::encode(DigestAlgorithm::Sha256.digest(&std::fs::read(f.p("data.bin")).unwrap()));
        let q = f.query("nocert.tsq", &["-sha256", "-no_nonce"]);
        let reply = tsa.respond(&q, None).await.unwrap();
        let r = f.write("nocert.tsr", &reply.der);
        let token = read_response(&reply.der).unwrap().token.unwrap();
        assert!(verify_token(&token, None).is_err());
        assert!(
            !verify_token(&token, Some(tsa.certificate(alg).unwrap()))
                .unwrap()
                .signed
                .certificate_included
        );
        let out = openssl(&[
            "ts",
            "-verify",
            "-digest",
            &digest,
            "-in",
            &s(&r),
            "-CAfile",
            &s(&f.p("chain-p256.pem")),
            "-untrusted",
            &s(&f.p("tsa-p256.pem")),
        ]);
        assert!(out.contains("Verification: OK"), "{out}");
        let out = f.verify(alg, &r, &[]);
        assert!(!out.contains("Verification: OK"), "{out}");
        assert!(f.text(&r).contains("Nonce: unspecified"));

        // Another document's data does not verify.
        let other = f.write("other.bin", b"another document");
        let out = openssl(&[
            "ts",
            "-verify",
            "-data",
            &s(&other),
            "-in",
            &s(&f.p("sha256.tsr")),
            "-CAfile",
            &s(&f.p("chain-p256.pem")),
        ]);
        assert!(out.contains("Verification: FAILED"), "{out}");
        assert!(out.contains("message imprint mismatch"), "{out}");
        db.cleanup().await;
    }

    /// SM2 with an SM3 imprint: our own check (signature with the GM/T 0009 distinguishing ID,
    /// messageDigest, ESSCertIDv2 by SM3) and OpenSSL's signature check of the signed attributes
    /// (`pkeyutl` with the distinguishing ID). `openssl ts -verify` (3.0) cannot verify SM2 CMS —
    /// it cannot even make one, see docs/TSA.md — so its failure is asserted, to notice the day it
    /// can; `openssl ts -reply -text` reads the token.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sm2_tokens_verify_ours_and_by_openssl_pkeyutl() {
        let db = TestDb::new(Backend::Sqlite).await;
        let (f, tsa) = fixture(&db).await;
        let q = f.query("sm3.tsq", &["-sm3", "-cert"]);
        let reply = tsa.respond(&q, None).await.unwrap();
        assert_eq!(reply.tsa.as_deref(), Some("sm2-timestamping-1"));
        granted_serial(&reply);
        let r = f.write("sm3.tsr", &reply.der);
        let text = f.text(&r);
        assert!(text.contains("Status: Granted."), "{text}");
        assert!(text.contains("Hash Algorithm: sm3"), "{text}");
        assert!(text.contains("SM2 Timestamp Authority"), "{text}");

        let token = read_response(&reply.der).unwrap().token.unwrap();
        let v = verify_token(&token, None).unwrap();
        assert_eq!(v.signed.digest, DigestAlgorithm::Sm3);
        assert!(v.signed.signing_certificate_v2);
        assert_eq!(
            v.hashed_message,
            DigestAlgorithm::Sm3.digest(&std::fs::read(f.p("data.bin")).unwrap())
        );
        assert_eq!(
            v.signed.signer_certificate_der,
            tsa.certificate(KeyAlgorithm::Sm2).unwrap()
        );

        let (attrs, sig) = crate::cms::signed_attributes_and_signature(&token).unwrap();
        let spki = Certificate::from_der(tsa.certificate(KeyAlgorithm::Sm2).unwrap())
            .unwrap()
            .tbs_certificate()
            .subject_public_key_info()
            .clone();
        let public = f.write("sm2-tsa.pub.der", &der::Encode::to_der(&spki).unwrap());
        let attrs_p = f.write("attrs.der", &attrs);
        let sig_p = f.write("sig.der", &sig);
        let out = crate::testing::sm2_verify_with_distid(&public, &attrs_p, &sig_p);
        assert!(out.contains("Signature Verified Successfully"), "{out}");
        let mut forged = attrs.clone();
        if let Some(last) = forged.last_mut() {
            *last ^= 1;
        }
        let forged_p = f.write("attrs-forged.der", &forged);
        let out = crate::testing::sm2_verify_with_distid(&public, &forged_p, &sig_p);
        assert!(out.contains("Signature Verification Failure"), "{out}");

        let out = f.verify(KeyAlgorithm::Sm2, &r, &[]);
        assert!(
            !out.contains("Verification: OK"),
            "openssl ts now verifies SM2 tokens: update docs/TSA.md and this test: {out}"
        );

        // An SM3 imprint may still be signed by the P-256 TSA when asked, and then verifies.
        let reply = tsa
            .respond(&q, Some(KeyAlgorithm::EcdsaP256))
            .await
            .unwrap();
        let r = f.write("sm3-p256.tsr", &reply.der);
        let out = f.verify(KeyAlgorithm::EcdsaP256, &r, &[]);
        assert!(out.contains("Verification: OK"), "{out}");
        // And a SHA-256 imprint by the SM2 TSA when asked.
        let q = f.query("sha256-sm2.tsq", &["-sha256", "-cert"]);
        let reply = tsa.respond(&q, Some(KeyAlgorithm::Sm2)).await.unwrap();
        assert_eq!(reply.tsa.as_deref(), Some("sm2-timestamping-1"));
        let token = read_response(&reply.der).unwrap().token.unwrap();
        assert_eq!(
            verify_token(&token, None).unwrap().hash,
            DigestAlgorithm::Sha256
        );
        assert!(matches!(
            tsa.respond(&q, Some(KeyAlgorithm::Ed25519)).await,
            Err(TsaError::NoTsa(KeyAlgorithm::Ed25519))
        ));
        db.cleanup().await;
    }

    /// A clock that says what the test sets.
    #[derive(Debug)]
    struct SetClock(Mutex<SystemTime>);

    impl TimeSource for SetClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
    }

    /// A check that never trusts the clock (an NTP daemon saying "unsynchronized").
    #[derive(Debug)]
    struct Distrusting;

    impl ClockCheck for Distrusting {
        fn check(&self, _: &ClockReading) -> Result<(), String> {
            Err("the time source is not synchronized".into())
        }
    }

    fn rejected_with(reply: &TsaReply, failure: FailureInfo) -> crate::tsp::Response {
        assert_eq!(reply.outcome, Outcome::Rejected(failure));
        let r = read_response(&reply.der).unwrap();
        assert_eq!(r.status, 2);
        assert_eq!(r.failures, vec![failure]);
        assert!(r.token.is_none());
        r
    }

    /// Serials strictly increase, concurrently and across a restart; a failing clock check and a
    /// clock gone back (after a restart too) are refused with timeNotAvailable and take no
    /// serial, and `openssl ts -reply -text` reads the refusal.
    async fn serials_increase_and_untrusted_clocks_are_refused(db: &TestDb) {
        let (f, tsa) = fixture(db).await;
        let q = f.query("q.tsq", &["-sha256"]);
        let mut serials = Vec::new();
        for _ in 0..3 {
            serials.push(granted_serial(&tsa.respond(&q, None).await.unwrap()));
        }
        let tsa = Arc::new(tsa);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (tsa, q) = (tsa.clone(), q.clone());
                tokio::spawn(async move { granted_serial(&tsa.respond(&q, None).await.unwrap()) })
            })
            .collect();
        let mut concurrent = Vec::new();
        for t in tasks {
            concurrent.push(t.await.unwrap());
        }
        concurrent.sort_unstable();
        serials.extend(concurrent);
        assert!(serials.windows(2).all(|w| w[0] < w[1]), "{serials:?}");
        let last = *serials.last().unwrap();
        assert_eq!(db.stores.timestamps.last_serial().await.unwrap(), last);

        // A restart: the serials go on.
        drop(tsa);
        let tsa = f.tsa(db).await;
        let after = granted_serial(&tsa.respond(&q, None).await.unwrap());
        assert!(after > last, "{after} after {last}");
        let token = read_response(&tsa.respond(&q, None).await.unwrap().der)
            .unwrap()
            .token
            .unwrap();
        let v = verify_token(
            &token,
            Some(tsa.certificate(KeyAlgorithm::EcdsaP256).unwrap()),
        )
        .unwrap();
        assert_eq!(v.serial, vec![u8::try_from(after + 1).unwrap()]);

        // The configured check fails: refused, nothing taken.
        let distrusting = f.tsa(db).await.with_clock_check(Arc::new(Distrusting));
        let reply = distrusting.respond(&q, None).await.unwrap();
        let r = rejected_with(&reply, FailureInfo::TimeNotAvailable);
        assert!(r.text[0].contains("not synchronized"), "{:?}", r.text);
        assert_eq!(db.stores.timestamps.last_serial().await.unwrap(), after + 1);
        let text = f.text(&f.write("untrusted.tsr", &reply.der));
        assert!(text.contains("Status: Rejected."), "{text}");
        assert!(
            text.contains("the TSA's time source is not available"),
            "{text}"
        );
        assert!(text.contains("not synchronized"), "{text}");

        // The clock set back by a minute, then a restart: still refused (the newest genTime is
        // read from the database), and by the store's own rule when the in-memory one is not
        // reached (a check that trusts everything).
        let back = Arc::new(SetClock(Mutex::new(
            SystemTime::now() - Duration::from_secs(60),
        )));
        let behind = f.tsa(db).await.with_time_source(back.clone());
        rejected_with(
            &behind.respond(&q, None).await.unwrap(),
            FailureInfo::TimeNotAvailable,
        );
        #[derive(Debug)]
        struct Trusting;
        impl ClockCheck for Trusting {
            fn check(&self, _: &ClockReading) -> Result<(), String> {
                Ok(())
            }
        }
        let naive = f
            .tsa(db)
            .await
            .with_time_source(back.clone())
            .with_clock_check(Arc::new(Trusting));
        let reply = naive.respond(&q, None).await.unwrap();
        let r = rejected_with(&reply, FailureInfo::TimeNotAvailable);
        assert!(
            r.text[0].contains("newest timestamp recorded"),
            "{:?}",
            r.text
        );
        assert_eq!(db.stores.timestamps.last_serial().await.unwrap(), after + 1);
        // Within the tolerance (half a second back) it is still the same second's accuracy.
        *back.0.lock().unwrap() = SystemTime::now() - Duration::from_millis(500);
        granted_serial(&behind.respond(&q, None).await.unwrap());
        // The clock back where it belongs: granted again.
        *back.0.lock().unwrap() = SystemTime::now();
        let next = granted_serial(&behind.respond(&q, None).await.unwrap());
        assert_eq!(next, after + 3);
    }

    backend_tests!(serials_increase_and_untrusted_clocks_are_refused);

    /// A serial counter whose first reservation waits (a write lock held elsewhere, a slow
    /// disk): the stand-in for the load under which `scripts/bench-ca … t` saw refusals.
    #[derive(Debug)]
    struct SlowFirst {
        inner: Arc<dyn TimestampRepo>,
        delay: Duration,
        first: std::sync::atomic::AtomicBool,
    }

    #[async_trait::async_trait]
    impl TimestampRepo for SlowFirst {
        async fn reserve_serials(
            &self,
            count: u32,
            gen_time_ms: i64,
            tolerance_ms: i64,
            evidence: ReservationEvidence<'_>,
        ) -> yinxin_domain::repo::StoreResult<SerialReservation> {
            if self.first.swap(false, Ordering::AcqRel) {
                tokio::time::sleep(self.delay).await;
            }
            self.inner
                .reserve_serials(count, gen_time_ms, tolerance_ms, evidence)
                .await
        }

        async fn newest_gen_time(&self) -> yinxin_domain::repo::StoreResult<Option<i64>> {
            self.inner.newest_gen_time().await
        }

        async fn last_serial(&self) -> yinxin_domain::repo::StoreResult<u64> {
            self.inner.last_serial().await
        }
    }

    /// Requests that arrive while a reservation waits longer than the clock tolerance are all
    /// granted, in order: the sequencer reads the clock only after the previous reservation is
    /// committed. (Each request reading the clock before waiting refused the early one with
    /// timeNotAvailable once a later reading had been recorded.)
    async fn a_slow_reservation_delays_but_never_refuses(db: &TestDb) {
        let (f, _) = fixture(db).await;
        let tsa = Arc::new(
            TimestampAuthority::start(
                f.keys.clone(),
                db.stores.certificates.as_ref(),
                Arc::new(SlowFirst {
                    inner: db.stores.timestamps.clone(),
                    delay: Duration::from_millis(1600),
                    first: true.into(),
                }),
                TsaConfig::default(),
            )
            .await
            .unwrap(),
        );
        let q = f.query("q.tsq", &["-sha256"]);
        let ask = |tsa: Arc<TimestampAuthority>, q: Vec<u8>| {
            tokio::spawn(async move { tsa.respond(&q, None).await.unwrap() })
        };
        let early = ask(tsa.clone(), q.clone());
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let late: Vec<_> = (0..5).map(|_| ask(tsa.clone(), q.clone())).collect();
        let mut replies = vec![early.await.unwrap()];
        for t in late {
            replies.push(t.await.unwrap());
        }
        let mut issued = Vec::new();
        for r in &replies {
            let serial = granted_serial(r);
            let token = read_response(&r.der).unwrap().token.unwrap();
            let v = verify_token(
                &token,
                Some(tsa.certificate(KeyAlgorithm::EcdsaP256).unwrap()),
            )
            .unwrap();
            issued.push((serial, v.gen_time));
        }
        issued.sort_unstable();
        assert!(
            issued.windows(2).all(|w| w[0].1 <= w[1].1),
            "genTime follows the serials: {issued:?}"
        );
    }

    backend_tests!(a_slow_reservation_delays_but_never_refuses);

    /// Bad requests get a TimeStampResp with status rejection and the failure RFC 3161 names,
    /// which `openssl ts -reply -text` reads; the TSA goes on granting.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_requests_are_refused_with_their_failure_info() {
        let db = TestDb::new(Backend::Sqlite).await;
        let (f, tsa) = fixture(&db).await;
        let good = f.query("good.tsq", &["-sha256", "-cert"]);
        let mut req = crate::tsp::TimeStampReq::from_der(&good).unwrap();
        let with = |change: &dyn Fn(&mut crate::tsp::TimeStampReq)| {
            let mut r = req.clone();
            change(&mut r);
            der::Encode::to_der(&r).unwrap()
        };
        let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        let sha1 = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
        let cases: Vec<(&str, Vec<u8>, FailureInfo, &str)> = vec![
            (
                "not DER",
                b"POST /pki/tsa hello".to_vec(),
                FailureInfo::BadDataFormat,
                "not a DER TimeStampReq",
            ),
            ("empty", vec![], FailureInfo::BadDataFormat, "empty"),
            (
                "truncated",
                good[..good.len() - 4].to_vec(),
                FailureInfo::BadDataFormat,
                "truncated",
            ),
            (
                "trailing",
                [good.as_slice(), &[0, 0]].concat(),
                FailureInfo::BadDataFormat,
                "followed by bytes",
            ),
            (
                "version 2",
                with(&|r| r.version = der::asn1::Int::new(&[2]).unwrap()),
                FailureInfo::BadRequest,
                "version is not 1",
            ),
            (
                "MD5",
                with(&|r| r.message_imprint.hash_algorithm.oid = md5),
                FailureInfo::BadAlg,
                "not supported",
            ),
            (
                "SHA-1",
                with(&|r| r.message_imprint.hash_algorithm.oid = sha1),
                FailureInfo::BadAlg,
                "not supported",
            ),
            (
                "parameters",
                with(&|r| {
                    r.message_imprint.hash_algorithm.parameters = Some(der::asn1::Any::from(sha1))
                }),
                FailureInfo::BadAlg,
                "parameters",
            ),
            (
                "short imprint",
                with(&|r| {
                    r.message_imprint.hashed_message =
                        der::asn1::OctetString::new(vec![7; 31]).unwrap()
                }),
                FailureInfo::BadDataFormat,
                "31 bytes; sha256 gives 32",
            ),
            (
                "SHA-512 length under SHA-256",
                with(&|r| {
                    r.message_imprint.hashed_message =
                        der::asn1::OctetString::new(vec![7; 64]).unwrap()
                }),
                FailureInfo::BadDataFormat,
                "64 bytes",
            ),
            (
                "foreign policy",
                with(&|r| r.req_policy = Some(ObjectIdentifier::new_unwrap("1.2.3.4.5"))),
                FailureInfo::UnacceptedPolicy,
                "its policy is 2.25.3179520717.2",
            ),
            (
                "long nonce",
                with(&|r| r.nonce = Some(der::asn1::Int::new(&[0x11; 65]).unwrap())),
                FailureInfo::BadRequest,
                "nonce is 65 octets",
            ),
            (
                "critical extension",
                with(&|r| {
                    r.extensions = Some(vec![x509_cert::ext::Extension {
                        extn_id: ObjectIdentifier::new_unwrap("1.2.3.4"),
                        critical: true,
                        extn_value: der::asn1::OctetString::new(vec![5, 0]).unwrap(),
                    }])
                }),
                FailureInfo::UnacceptedExtension,
                "critical extension",
            ),
            (
                "too large",
                vec![0x30; crate::tsp::MAX_REQUEST_LEN + 1],
                FailureInfo::BadDataFormat,
                "at most 65536 bytes",
            ),
        ];
        let openssl_names = [
            (
                FailureInfo::BadAlg,
                "unrecognized or unsupported algorithm identifier",
            ),
            (
                FailureInfo::BadRequest,
                "transaction not permitted or supported",
            ),
            (
                FailureInfo::BadDataFormat,
                "the data submitted has the wrong format",
            ),
            (
                FailureInfo::UnacceptedPolicy,
                "the requested TSA policy is not supported by the TSA",
            ),
            (
                FailureInfo::UnacceptedExtension,
                "the requested extension is not supported by the TSA",
            ),
        ];
        for (tag, bytes, failure, says) in cases {
            let reply = tsa.respond(&bytes, None).await.unwrap();
            let r = rejected_with(&reply, failure);
            assert!(r.text[0].contains(says), "{tag}: {:?}", r.text);
            assert!(!r.text[0].contains("hello"), "{tag}: {:?}", r.text);
            let text = f.text(&f.write("bad.tsr", &reply.der));
            let name = openssl_names.iter().find(|(f, _)| *f == failure).unwrap().1;
            assert!(text.contains("Status: Rejected."), "{tag}: {text}");
            assert!(text.contains(name), "{tag}: {text}");
        }
        // Our own policy, an explicit certReq FALSE, a non-critical extension: granted.
        for ok in [
            with(&|r| r.req_policy = Some(DEFAULT_POLICY)),
            with(&|r| r.cert_req = Some(false)),
            with(&|r| {
                r.extensions = Some(vec![x509_cert::ext::Extension {
                    extn_id: ObjectIdentifier::new_unwrap("1.2.3.4"),
                    critical: false,
                    extn_value: der::asn1::OctetString::new(vec![5, 0]).unwrap(),
                }])
            }),
        ] {
            granted_serial(&tsa.respond(&ok, None).await.unwrap());
        }
        req.cert_req = None;
        let reply = tsa
            .respond(&der::Encode::to_der(&req).unwrap(), None)
            .await
            .unwrap();
        let token = read_response(&reply.der).unwrap().token.unwrap();
        assert!(
            !verify_token(
                &token,
                Some(tsa.certificate(KeyAlgorithm::EcdsaP256).unwrap())
            )
            .unwrap()
            .signed
            .certificate_included
        );
        db.cleanup().await;
    }

    /// Writes the seed corpus of the `tsa_request` fuzz target (`fuzz/corpus/tsa_request/`):
    /// requests made by `openssl ts -query` and a few broken ones. Run by hand:
    /// `cargo nextest run -p yinxin-pki --run-ignored only write_tsa_fuzz_corpus`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "writes the fuzz seed corpus"]
    async fn write_tsa_fuzz_corpus() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/tsa_request");
        std::fs::create_dir_all(&out).unwrap();
        let db = TestDb::new(Backend::Sqlite).await;
        let (f, _) = fixture(&db).await;
        let policy = DEFAULT_POLICY.to_string();
        let seeds: [(&str, Vec<&str>); 7] = [
            ("sha256-cert-nonce", vec!["-sha256", "-cert"]),
            ("sha256-no-nonce", vec!["-sha256", "-no_nonce"]),
            ("sha384", vec!["-sha384"]),
            ("sha512-cert", vec!["-sha512", "-cert"]),
            ("sm3-cert", vec!["-sm3", "-cert"]),
            ("sha256-policy", vec!["-sha256", "-tspolicy", &policy]),
            ("sha1", vec!["-sha1"]),
        ];
        for (name, args) in seeds {
            let der = f.query(&format!("{name}.tsq"), &args);
            std::fs::write(out.join(format!("{name}.der")), &der).unwrap();
            if name == "sha256-cert-nonce" {
                std::fs::write(out.join("truncated.der"), &der[..der.len() / 2]).unwrap();
                let mut r = crate::tsp::TimeStampReq::from_der(&der).unwrap();
                r.version = der::asn1::Int::new(&[2]).unwrap();
                std::fs::write(out.join("version-2.der"), der::Encode::to_der(&r).unwrap())
                    .unwrap();
            }
        }
        db.cleanup().await;
    }
}
