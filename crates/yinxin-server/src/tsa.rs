//! The timestamp authority over HTTP (SIGN-1, RFC 3161 §3.4): `POST /pki/tsa` takes a DER
//! `TimeStampReq` as `application/timestamp-query` and answers `application/timestamp-reply`;
//! `GET /pki/tsa.pem` serves a TSA's certificate for clients that did not ask for it in the token.
//!
//! HTTP statuses: everything the protocol can say is a `TimeStampResp` with **200**, refusals
//! included (`rejection` with badAlg, badRequest, badDataFormat, unacceptedPolicy,
//! unacceptedExtension, timeNotAvailable, systemFailure), as RFC 3161 clients expect — the
//! status is inside. What is not a timestamp request at all is refused at the HTTP level with
//! **400** and a JSON error naming the field: a body sent as another content type
//! (`content-type`), or `alg` naming a hierarchy without a TSA.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_crypto::KeyAlgorithm;
use yinxin_domain::{DomainError, ErrorCode};
use yinxin_pki::tsa::{TimestampAuthority, TsaError};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The TSA routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(timestamp))
        .routes(routes!(tsa_certificate))
}

/// The request's media type (RFC 3161 §3.4).
const QUERY_TYPE: &str = "application/timestamp-query";

fn tsa(state: &AppState) -> Result<&Arc<TimestampAuthority>, ApiError> {
    state.tsa.as_ref().ok_or_else(|| {
        ApiError::internal(
            ErrorCode::Internal,
            "the timestamp authority is not configured",
        )
    })
}

impl From<TsaError> for ApiError {
    fn from(e: TsaError) -> Self {
        match e {
            TsaError::NoTsa(a) => {
                DomainError::invalid("alg", format!("no {a} timestamp authority is configured"))
                    .into()
            }
            other => ApiError::internal(ErrorCode::Internal, other.to_string()),
        }
    }
}

fn algorithm(name: &str) -> Result<KeyAlgorithm, ApiError> {
    KeyAlgorithm::parse(name).ok_or_else(|| {
        DomainError::invalid(
            "alg",
            format!(
                "is a key algorithm: {}",
                KeyAlgorithm::ALL.map(KeyAlgorithm::as_str).join(", ")
            ),
        )
        .into()
    })
}

/// Which TSA signs.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TsaQuery {
    /// The hierarchy whose TSA signs: `sm2`, `p256`, or one `yinxin ca add` made. Without it, SM2
    /// for an SM3 imprint and P-256 for SHA-256/384/512.
    pub alg: Option<String>,
}

/// A timestamp (RFC 3161): the body is the DER TimeStampReq. Every answer to such a body is a
/// TimeStampResp with HTTP 200, a refusal too (its PKIStatus `rejection` and PKIFailureInfo say
/// why; `timeNotAvailable` when the TSA's clock is not trusted — never a token with a doubtful
/// time). Serials strictly increase across the service; the nonce is echoed; the TSA's
/// certificate is in the token when `certReq` asks for it.
#[utoipa::path(post, path = "/pki/tsa", tag = "pki",
    params(TsaQuery),
    request_body(content = Vec<u8>, content_type = "application/timestamp-query"),
    responses(
        (status = 200, description = "A TimeStampResp: granted with a token, or rejection with the failure", content_type = "application/timestamp-reply", body = Vec<u8>),
        (status = 400, description = "Not `application/timestamp-query`, or no TSA for `alg`", body = ErrorBody)
    ))]
async fn timestamp(
    State(state): State<AppState>,
    Query(q): Query<TsaQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let tsa = tsa(&state)?;
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media.as_deref() != Some(QUERY_TYPE) {
        return Err(DomainError::invalid(
            "content-type",
            format!("a timestamp request is sent as {QUERY_TYPE} (RFC 3161 §3.4)"),
        )
        .into());
    }
    let asked = q.alg.as_deref().map(algorithm).transpose()?;
    let reply = tsa.respond(&body, asked).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        reply.der,
    ))
}

/// Which TSA's certificate.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TsaCertificateQuery {
    /// The hierarchy: `sm2`, `p256`, or one `yinxin ca add` made.
    pub alg: String,
}

/// The certificate of a hierarchy's TSA, PEM (issued by that hierarchy's issuing CA: its chain is
/// `/pki/chain.pem?alg=`), to verify tokens that do not carry it.
#[utoipa::path(get, path = "/pki/tsa.pem", tag = "pki",
    params(TsaCertificateQuery),
    responses(
        (status = 200, description = "The TSA certificate", content_type = "application/pem-certificate-chain", body = String),
        (status = 400, description = "No TSA of that algorithm", body = ErrorBody)
    ))]
async fn tsa_certificate(
    State(state): State<AppState>,
    Query(q): Query<TsaCertificateQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let tsa = tsa(&state)?;
    let der = tsa.certificate(algorithm(&q.alg)?)?;
    Ok((
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        yinxin_pki::pem(der, "CERTIFICATE"),
    ))
}
