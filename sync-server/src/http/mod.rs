//! The HTTP edge: routes, extractors and middleware. Handlers translate
//! between JSON and the room/storage layers; errors leave as [`ApiError`]
//! JSON bodies.

mod board_history;
mod boards;
mod body_limit;
mod client_config;
mod error_response;
mod extract;
mod ops;
mod owner;
mod report;
mod request_metrics;
mod room_delete;
mod rooms;
mod test_hooks;
mod trace;
mod upgrade;
mod upload_grant;
mod uploads;
mod ws;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{delete, get, post};
use axum::Router;
use jigsync_schema::limits::{MAX_JSON_BODY_BYTES, UPLOAD_MULTIPART_OVERHEAD_BYTES};
use jigsync_schema::ErrorCode;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;

use self::body_limit::BodyLimit;
use crate::app::App;
use crate::error::ApiError;

pub fn router(app: Arc<App>) -> Router {
    // JSON bodies of the API are small; uploads have their own limit.
    let json_limit = BodyLimit::new(
        MAX_JSON_BODY_BYTES,
        ApiError::new(ErrorCode::TooLarge, format!("request bodies are limited to {MAX_JSON_BODY_BYTES} bytes")),
    );
    let max_upload = app.config.max_upload_bytes;
    let upload_limit =
        BodyLimit::new(max_upload.saturating_add(UPLOAD_MULTIPART_OVERHEAD_BYTES), uploads::too_large(max_upload));
    // The room's actor does these: with several nodes, on the room's owner.
    let at_owner = Router::new()
        .route("/rooms/{room_id}/teachers", post(rooms::add_teacher))
        .route("/rooms/{room_id}/puzzles", post(boards::start_puzzle))
        .route("/rooms/{room_id}/boards", get(boards::list_boards))
        .route_layer(from_fn_with_state(app.clone(), owner::to_owner));
    let json_api = Router::new()
        .route("/config", get(client_config::client_config))
        .route("/rooms", post(rooms::create_room))
        .route("/join", post(rooms::join))
        // Served from the store by any node.
        .route("/rooms/{room_id}/messages", get(rooms::messages))
        .route("/rooms/{room_id}/report", get(report::report))
        .route("/rooms/{room_id}/upload-grant", get(upload_grant::upload_grant))
        // Finds the class's owner itself: the operator's secret is no
        // token of the class.
        .route("/rooms/{room_id}", delete(room_delete::delete_room))
        .route("/rooms/{room_id}/boards/{board_id}/history", get(board_history::board_history))
        .merge(at_owner)
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(from_fn_with_state(json_limit, body_limit::enforce));
    let upload_api = Router::new()
        .route("/rooms/{room_id}/uploads", post(uploads::upload))
        .layer(from_fn_with_state(upload_limit, body_limit::enforce));
    let api = json_api
        .merge(upload_api)
        // The edge limits above count every body; a second limit inside the
        // extractors would only answer some oversized bodies without
        // discarding them first.
        .layer(DefaultBodyLimit::disable());
    let test_hooks = if app.config.test_hooks { test_hooks::routes() } else { Router::new() };
    // With `--metrics-addr`, metrics are served there ([`metrics_router`]).
    let metrics = if app.config.metrics_addr.is_none() { metrics_routes() } else { Router::new() };
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .merge(metrics)
        .route("/ws", get(ws::room_channel))
        .route("/ws/lobby", get(ws::lobby_channel))
        .route("/ws/{room_id}", get(ws::room_channel_of))
        .route("/yjs/{room_id}/{board_id}", get(ws::yjs_channel))
        .route("/uploads/{file}", get(uploads::serve))
        .nest("/api", api)
        .merge(test_hooks)
        .fallback_service(ServeDir::new(&app.config.web_dir))
        // Tokens travel in headers, never cookies, so any origin may call the
        // API (a district's own portal, say) without a CSRF risk.
        .layer(CorsLayer::permissive())
        // Both read the route axum matched, which `layer` (not an outer
        // service) still sees.
        .layer(from_fn(request_metrics::record))
        .layer(trace::layer())
        .with_state(app)
}

/// What `--metrics-addr` serves: `/metrics` alone.
pub fn metrics_router(app: Arc<App>) -> Router {
    metrics_routes().layer(trace::layer()).with_state(app)
}

fn metrics_routes() -> Router<Arc<App>> {
    Router::new().route("/metrics", get(ops::metrics))
}
