//! The HTTP edge: routes, extractors and middleware. Handlers translate
//! between JSON and the room/storage layers; errors leave as [`ApiError`]
//! JSON bodies.

mod boards;
mod extract;
mod ops;
mod rooms;
mod uploads;
mod ws;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::error::ApiError;

/// JSON bodies of the API are small; uploads have their own limit.
const JSON_BODY_LIMIT: usize = 64 * 1024;

pub fn router(app: Arc<App>) -> Router {
    let upload_limit = app.config.max_upload_bytes + 64 * 1024;
    let api = Router::new()
        .route("/rooms", post(rooms::create_room))
        .route("/join", post(rooms::join))
        .route("/rooms/{room_id}/teachers", post(rooms::add_teacher))
        .route("/rooms/{room_id}/messages", get(rooms::messages))
        .route("/rooms/{room_id}/puzzles", post(boards::start_puzzle))
        .route("/rooms/{room_id}/boards", get(boards::list_boards))
        .route("/rooms/{room_id}/uploads", post(uploads::upload).layer(DefaultBodyLimit::max(upload_limit)))
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/ws", get(ws::room_channel))
        .route("/ws/lobby", get(ws::lobby_channel))
        .route("/yjs/{room_id}/{board_id}", get(ws::yjs_channel))
        .route("/uploads/{file}", get(uploads::serve))
        .nest("/api", api)
        .fallback_service(ServeDir::new(&app.config.web_dir))
        // Tokens travel in headers, never cookies, so any origin may call the
        // API (a district's own portal, say) without a CSRF risk.
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}
