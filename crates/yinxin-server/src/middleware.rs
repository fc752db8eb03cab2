//! What wraps every request: a request id, a span, metrics, a timeout and a body limit.
//!
//! LOGGING RULE (docs/LOGGING.md): a request is logged by its method, its route *template*, its
//! status and its latency. Never the raw path, the query string, a header or the body: any of them
//! may carry personal information.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use uuid::Uuid;
use yinxin_domain::ErrorCode;

use crate::error::ApiError;
use crate::metrics::RequestLabels;
use crate::{AppState, Limits};

#[derive(Clone)]
struct Ctx {
    state: AppState,
    timeout: Duration,
}

pub(crate) fn wrap(router: Router, state: AppState, limits: Limits) -> Router {
    let ctx = Ctx {
        state,
        timeout: limits.request_timeout,
    };
    router
        .layer(middleware::from_fn_with_state(ctx, observe))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
}

async fn observe(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    // Always our own id: an incoming one could carry anything, and it is logged.
    let id = Uuid::new_v4();
    let span = tracing::info_span!("request", %id, %method, %route);
    let mut resp =
        match tokio::time::timeout(ctx.timeout, next.run(req).instrument(span.clone())).await {
            Ok(r) => r,
            Err(_) => ApiError::internal(
                ErrorCode::StorageUnavailable,
                format!("request exceeded {} s", ctx.timeout.as_secs()),
            )
            .into_response(),
        };
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let labels = RequestLabels {
        method,
        route,
        status,
    };
    ctx.state.metrics.requests.get_or_create(&labels).inc();
    ctx.state
        .metrics
        .durations
        .get_or_create(&labels)
        .observe(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_us = elapsed.as_micros() as u64,
            "request answered"
        );
    });
    resp
}
