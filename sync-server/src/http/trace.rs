//! The request traces (`tower_http`'s `TraceLayer`): one `request` span per
//! request, at debug level, with its method, its route template and its URI
//! with the `token` parameter redacted ([`crate::log_redact`]), since a
//! WebSocket URL carries the client's token. Headers are logged at trace
//! level only, with credentials redacted.

use axum::extract::Request;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

use super::request_metrics::route;
use crate::log_redact;

pub type Trace = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&Request) -> Span, fn(&Request, &Span)>;

pub fn layer() -> Trace {
    TraceLayer::new_for_http()
        .make_span_with(make_span as fn(&Request) -> Span)
        .on_request(on_request as fn(&Request, &Span))
}

fn make_span(request: &Request) -> Span {
    let uri = request.uri().to_string();
    tracing::debug_span!(
        "request",
        method = %request.method(),
        route = route(request),
        uri = %log_redact::Url(&uri),
        version = ?request.version(),
    )
}

fn on_request(request: &Request, _span: &Span) {
    tracing::trace!(headers = ?log_redact::headers(request.headers()), "started processing request");
}
