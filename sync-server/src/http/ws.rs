//! WebSocket upgrades. Tokens are checked after the upgrade so that a browser,
//! which cannot read an HTTP error on a failed upgrade, learns why from the
//! close code.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::response::Response;
use jigsync_schema::limits::MAX_TRANSPORT_FRAME_BYTES;
use serde::Deserialize;

use super::extract::Query;
use crate::app::App;
use crate::connection::{lobby_session, room_session, yjs_session};
use crate::error::ApiError;

/// Socket buffer sizes. The transport's defaults (128 KiB to read, 128 KiB
/// before a write is pushed out) cost every idle connection well over
/// 100 KiB; our frames are small and the writer flushes each batch itself,
/// so a few KiB is plenty (larger frames grow the buffers on demand).
const READ_BUFFER_BYTES: usize = 4 * 1024;
const WRITE_BUFFER_BYTES: usize = 8 * 1024;

/// Limits and buffer sizes shared by every channel.
fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_TRANSPORT_FRAME_BYTES)
        .max_frame_size(MAX_TRANSPORT_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
}

#[derive(Deserialize)]
pub struct ChannelParams {
    token: Option<String>,
    /// Resume: the last message seq the client has.
    since: Option<u64>,
}

pub async fn room_channel(
    State(app): State<Arc<App>>,
    Query(params): Query<ChannelParams>,
    ws: WebSocketUpgrade,
) -> Response {
    configure(ws).on_upgrade(move |socket| room_session::run(app, socket, params.token, params.since, None))
}

/// The room channel at the room's own URL (`/ws/{roomId}`), which a load
/// balancer can route by; the token must be for that room.
pub async fn room_channel_of(
    State(app): State<Arc<App>>,
    Path(room): Path<String>,
    Query(params): Query<ChannelParams>,
    ws: WebSocketUpgrade,
) -> Response {
    configure(ws).on_upgrade(move |socket| room_session::run(app, socket, params.token, params.since, Some(room)))
}

#[derive(Deserialize)]
pub struct TokenParams {
    token: Option<String>,
}

pub async fn lobby_channel(
    State(app): State<Arc<App>>,
    Query(params): Query<TokenParams>,
    ws: WebSocketUpgrade,
) -> Response {
    configure(ws).on_upgrade(move |socket| lobby_session::run(app, socket, params.token))
}

/// Standard Yjs sync for one board. The path's board id must be a number;
/// anything else is answered before the upgrade with a 400.
pub async fn yjs_channel(
    State(app): State<Arc<App>>,
    path: Result<Path<(String, jigsync_schema::BoardId)>, PathRejection>,
    Query(params): Query<TokenParams>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let Path((room, board)) = path.map_err(|_| ApiError::invalid("the board id must be a number"))?;
    Ok(configure(ws).on_upgrade(move |socket| yjs_session::run(app, socket, room, board, params.token)))
}
