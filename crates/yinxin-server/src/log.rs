//! The evidence log over HTTP (issue 7 item 3; EVID-1, EVID-2). Public and read-only: what is in
//! the log is hashes, types, times and salted commitments, never personal information
//! (docs/LEDGER.md), so anyone may fetch and check it.
//!
//! - `GET /log/checkpoint`: the latest signed checkpoint, a C2SP signed note (`text/plain`).
//! - `GET /log/key`: the verifier key (C2SP vkey) that checks it.
//! - `GET /api/v1/log/entries/{index}`: one leaf's entry (canonical encoding, base64), its leaf
//!   hash, type and time.
//! - `GET /api/v1/log/proof/inclusion?index=&size=` (or `leaf_hash=` instead of `index`): the
//!   audit path of a leaf in the tree of `size` leaves (RFC 9162 §2.1.3).
//! - `GET /api/v1/log/bundle?leaf_hash=` (a record's entry), `?index=` or `?tsa_serial=`: the
//!   leaf's proof bundle (a C2SP tlog-proof carrying
//!   the entry, with the receipts of the checkpoint's external anchors), which `yinxin verify
//!   proof` checks offline against the published key. A record's owner gets their record's
//!   bundle, with the salt that opens its commitments, from the record's own route
//!   (`/api/v1/signing/signatures/{id}/evidence`, `/api/v1/certificates/{serial}/evidence`).
//! - `GET /api/v1/log/proof/consistency?from=&to=`: the consistency proof between the trees of
//!   `from` and `to` leaves (RFC 9162 §2.1.4).
//!
//! A request outside the tree (an index beyond it, a size of 0, `from` > `to`, a size beyond the
//! current tree) is `400 INVALID_INPUT` naming the parameter.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_domain::signing::to_hex;
use yinxin_domain::{DomainError, ErrorCode};
use yinxin_ledger::bundle::Bundle;
use yinxin_ledger::entry::Entry;
use yinxin_ledger::log::{LedgerError, Log};
use yinxin_ledger::tree;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(checkpoint))
        .routes(routes!(log_key))
        .routes(routes!(entry))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
        .routes(routes!(bundle))
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Input { field, reason } => DomainError::invalid(field, reason).into(),
            LedgerError::NotFound(m) => ApiError::new(ErrorCode::NotFound, m),
            other => ApiError::internal(ErrorCode::Internal, other.to_string()),
        }
    }
}

pub(crate) fn the_log(state: &AppState) -> Result<Arc<Log>, ApiError> {
    state.log.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::ProviderUnavailable,
            "log: the evidence log is not configured on this server",
        )
    })
}

/// A number from the query, or the refusal naming it.
fn number(field: &str, v: Option<&str>) -> Result<u64, ApiError> {
    let v = v.ok_or_else(|| DomainError::invalid(field, "is required"))?;
    v.parse()
        .map_err(|_| DomainError::invalid(field, "a whole number from 0").into())
}

/// The latest signed checkpoint (C2SP `tlog-checkpoint` signed note).
#[utoipa::path(get, path = "/log/checkpoint", tag = "log",
    responses(
        (status = 200, description = "The signed note", content_type = "text/plain", body = String),
        (status = 404, description = "Nothing signed yet", body = ErrorBody),
        (status = 503, description = "No log on this server", body = ErrorBody)))]
async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let c = the_log(&state)?
        .latest_checkpoint()
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "checkpoint: none signed yet"))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        c.note,
    ))
}

/// The verifier key (C2SP vkey) of the log's checkpoints.
#[utoipa::path(get, path = "/log/key", tag = "log",
    responses(
        (status = 200, description = "name+keyid+base64 key", content_type = "text/plain", body = String),
        (status = 503, body = ErrorBody)))]
async fn log_key(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let vkey = the_log(&state)?.vkey();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{vkey}\n"),
    ))
}

/// One leaf of the log.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LogEntry {
    /// Its index, from 0.
    pub index: u64,
    /// The entry in its canonical encoding (docs/LEDGER.md), base64.
    pub entry: String,
    /// Its RFC 6962 leaf hash, hex.
    pub leaf_hash: String,
    /// Its type (`certificate_issued`, `signature`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// When the event happened, Unix milliseconds.
    pub time_ms: i64,
}

/// A leaf of the log.
#[utoipa::path(get, path = "/api/v1/log/entries/{index}", tag = "log",
    params(("index" = String, Path, description = "The leaf index, from 0")),
    responses(
        (status = 200, body = LogEntry),
        (status = 400, description = "index is not a number, or is beyond the tree", body = ErrorBody)))]
async fn entry(
    State(state): State<AppState>,
    Path(index): Path<String>,
) -> Result<Json<LogEntry>, ApiError> {
    let index = number("index", Some(&index))?;
    let bytes = the_log(&state)?.entry(index).await?;
    let decoded = Entry::decode(&bytes)
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("stored leaf: {e}")))?;
    Ok(Json(LogEntry {
        index,
        leaf_hash: to_hex(&tree::leaf_hash(&bytes)),
        entry: STANDARD.encode(&bytes),
        kind: decoded.body.type_name().to_owned(),
        time_ms: decoded.time_ms,
    }))
}

/// A leaf hash from the query (64 hex digits), or the refusal naming it.
fn leaf_hash(v: &str) -> Result<yinxin_domain::ledger::NodeHash, ApiError> {
    hex::decode(v)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| DomainError::invalid("leaf_hash", "64 hexadecimal digits (SHA-256)").into())
}

/// `index` (or `leaf_hash`) and `size`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InclusionQuery {
    /// The leaf, from 0.
    index: Option<String>,
    /// Instead of `index`: the leaf's RFC 6962 hash, hex (the first leaf of that hash).
    leaf_hash: Option<String>,
    /// The tree size the proof is for (at least index + 1, at most the current size).
    size: Option<String>,
}

/// An inclusion proof.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InclusionAnswer {
    /// The leaf.
    pub index: u64,
    /// The tree size.
    pub size: u64,
    /// The leaf hash, hex.
    pub leaf_hash: String,
    /// The audit path from the leaf up, hex.
    pub path: Vec<String>,
}

/// The inclusion proof of a leaf in a tree of a given size.
#[utoipa::path(get, path = "/api/v1/log/proof/inclusion", tag = "log",
    params(InclusionQuery),
    responses(
        (status = 200, body = InclusionAnswer),
        (status = 400, description = "index or size missing, not a number, or outside the tree: the message names it", body = ErrorBody),
        (status = 404, description = "No leaf of that hash", body = ErrorBody)))]
async fn inclusion(
    State(state): State<AppState>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<InclusionAnswer>, ApiError> {
    let log = the_log(&state)?;
    let index = match (&q.index, &q.leaf_hash) {
        (Some(_), Some(_)) => {
            return Err(
                DomainError::invalid("leaf_hash", "give index or leaf_hash, not both").into(),
            );
        }
        (None, Some(h)) => log.find_leaf(&leaf_hash(h)?).await?,
        (index, None) => number("index", index.as_deref())?,
    };
    let size = number("size", q.size.as_deref())?;
    let p = log.inclusion_proof(index, size).await?;
    Ok(Json(InclusionAnswer {
        index: p.index,
        size: p.size,
        leaf_hash: to_hex(&p.leaf_hash),
        path: p.path.iter().map(|h| to_hex(h)).collect(),
    }))
}

/// `from` and `to`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    /// The older tree size (at least 1).
    from: Option<String>,
    /// The newer tree size (at least `from`, at most the current size).
    to: Option<String>,
}

/// A consistency proof.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConsistencyAnswer {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// The proof, hex.
    pub path: Vec<String>,
}

/// The consistency proof between two tree sizes.
#[utoipa::path(get, path = "/api/v1/log/proof/consistency", tag = "log",
    params(ConsistencyQuery),
    responses(
        (status = 200, body = ConsistencyAnswer),
        (status = 400, description = "from or to missing, not a number, 0, from > to, or beyond the tree: the message names it", body = ErrorBody)))]
async fn consistency(
    State(state): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<ConsistencyAnswer>, ApiError> {
    let from = number("from", q.from.as_deref())?;
    let to = number("to", q.to.as_deref())?;
    let path = the_log(&state)?.consistency_proof(from, to).await?;
    Ok(Json(ConsistencyAnswer {
        from,
        to,
        path: path.iter().map(|h| to_hex(h)).collect(),
    }))
}

/// One of `leaf_hash`, `index`, `tsa_serial`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BundleQuery {
    /// The RFC 6962 hash (hex) of a record's entry.
    leaf_hash: Option<String>,
    /// The leaf's index.
    index: Option<String>,
    /// The serial of a timestamp token (decimal): its entry (whose leaf the holder computes
    /// from the token, `yinxin_pki::tsa::token_leaf`, to check it is the token's).
    tsa_serial: Option<String>,
}

/// The proof bundle of a leaf (docs/LEDGER.md "Proof bundles"): `yinxin verify proof FILE
/// --key <GET /log/key>` checks it offline.
#[utoipa::path(get, path = "/api/v1/log/bundle", tag = "log",
    params(BundleQuery),
    responses(
        (status = 200, body = Bundle),
        (status = 400, description = "not exactly one of leaf_hash, index, tsa_serial; or one malformed; or an index beyond the tree", body = ErrorBody),
        (status = 404, description = "No such leaf, or not yet under a signed checkpoint (retry in a few seconds)", body = ErrorBody)))]
async fn bundle(
    State(state): State<AppState>,
    Query(q): Query<BundleQuery>,
) -> Result<Json<Bundle>, ApiError> {
    let log = the_log(&state)?;
    Ok(Json(match (&q.leaf_hash, &q.index, &q.tsa_serial) {
        (Some(h), None, None) => log.bundle(&leaf_hash(h)?).await?,
        (None, Some(i), None) => log.bundle_at(number("index", Some(i))?).await?,
        (None, None, Some(s)) => {
            let serial = number("tsa_serial", Some(s))?;
            if i64::try_from(serial).is_err() {
                return Err(DomainError::invalid("tsa_serial", "beyond any serial issued").into());
            }
            log.bundle_of_timestamp(serial).await?
        }
        _ => {
            return Err(DomainError::invalid(
                "leaf_hash",
                "give exactly one of leaf_hash, index and tsa_serial",
            )
            .into());
        }
    }))
}

/// A record's evidence, for its owner: the proof bundle of its entry and the salt that opens
/// the entry's commitments (docs/LEDGER.md: part salt n = SHA-256(salt ‖ n)). Shown the record
/// and this salt, anyone can check the record against its leaf; the log alone reveals nothing.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordEvidence {
    /// The record's kind (`signature`, `certificate`, `revocation`).
    pub kind: String,
    /// The record's id (a signature's id, a certificate's serial).
    pub record_id: String,
    /// The record's salt, hex.
    pub salt: String,
    /// The proof bundle of its entry.
    pub bundle: Bundle,
}

/// The evidence of the record `kind`/`id` (the caller has checked that the caller owns it).
pub(crate) async fn record_evidence(
    state: &AppState,
    kind: &str,
    id: &str,
) -> Result<RecordEvidence, ApiError> {
    let log = the_log(state)?;
    let bundle = log.bundle_of(kind, id).await?;
    let salt = log.evidence_salt(kind, id).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::NotFound, format!("{kind}: its salt was erased"))
    })?;
    Ok(RecordEvidence {
        kind: kind.to_owned(),
        record_id: id.to_owned(),
        salt: to_hex(&salt),
        bundle,
    })
}
