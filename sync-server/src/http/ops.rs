//! Operator endpoints: liveness (`/healthz`: the process answers),
//! readiness (`/readyz`: it can serve, so a load balancer may send it
//! clients) and Prometheus metrics.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::app::App;

/// How long the database may take to answer a readiness check: a probe
/// that hangs tells a load balancer nothing.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// 200 while the database answers; 503 once shutdown has begun (before
/// connections close, so the balancer stops sending clients first) and
/// while the database does not answer.
pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.draining.is_cancelled() || app.shutdown.is_cancelled() {
        return not_ready("draining");
    }
    match tokio::time::timeout(READY_CHECK_TIMEOUT, app.storage.ping()).await {
        Ok(Ok(())) => Json(json!({ "status": "ready" })).into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "not ready: the database check failed");
            not_ready("database")
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_CHECK_TIMEOUT, "not ready: the database did not answer in time");
            not_ready("database")
        }
    }
}

fn not_ready(reason: &str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not ready", "reason": reason }))).into_response()
}

pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render(&app.metrics))
}
