//! HTTP request counts and durations by route, for `/metrics`:
//! `jigsync_http_requests_total{method,route,status}` and
//! `jigsync_http_request_duration_seconds{method,route}`. The route is the
//! template axum matched (`/ws/{room_id}`), never the path itself, so ids and
//! tokens stay out of the labels and their number stays small; anything no
//! route matched (the web app's files, unknown paths) is `fallback`. A
//! WebSocket's duration is its upgrade's, not the connection's.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::{HTTP_REQUESTS, HTTP_REQUEST_SECONDS};

/// The label of requests no route matched.
const FALLBACK: &str = "fallback";

/// The route template `request` matched, or [`FALLBACK`].
pub fn route(request: &Request) -> &str {
    request.extensions().get::<MatchedPath>().map_or(FALLBACK, MatchedPath::as_str)
}

/// A client may send any method name; only the standard ones are labels.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route(&request).to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(HTTP_REQUEST_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
