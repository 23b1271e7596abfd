//! The request traces (`tower_http`'s `TraceLayer`): one `request` span per
//! request, at debug level, with its method, its route template and its URI
//! with the `token` parameter redacted ([`crate::log_redact`]), since a
//! WebSocket URL carries the client's token. Headers are logged at trace
//! level only, with credentials redacted.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use tower_http::classify::{ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnResponse, TraceLayer};
use tracing::Span;

use super::request_metrics::route;
use crate::log_redact;

pub type Trace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    fn(&Request, &Span),
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    fn(ServerErrorsFailureClass, Duration, &Span),
>;

pub fn layer() -> Trace {
    TraceLayer::new_for_http()
        .make_span_with(make_span as fn(&Request) -> Span)
        .on_request(on_request as fn(&Request, &Span))
        .on_failure(on_failure as fn(ServerErrorsFailureClass, Duration, &Span))
}

/// A 503 says "not now, retry" (the node is draining, a room is moving, the
/// database is away): expected while it lasts, and its cause is logged where
/// it happens, so it is not an error line per request or readiness probe.
/// Every other 5xx is.
fn on_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &Span) {
    let latency_ms = latency.as_millis();
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms, "answered 503 unavailable");
        }
        ServerErrorsFailureClass::StatusCode(status) => tracing::error!(%status, latency_ms, "request failed"),
        ServerErrorsFailureClass::Error(error) => tracing::error!(%error, latency_ms, "request failed"),
    }
}

fn make_span(request: &Request) -> Span {
    // The URI is written out inside the macro, which evaluates its fields
    // only when the span is enabled: not on every request at the default
    // level.
    tracing::debug_span!(
        "request",
        method = %request.method(),
        route = route(request),
        uri = %log_redact::Url(&request.uri().to_string()),
        version = ?request.version(),
    )
}

fn on_request(request: &Request, _span: &Span) {
    tracing::trace!(headers = ?log_redact::headers(request.headers()), "started processing request");
}
