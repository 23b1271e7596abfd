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
    ws.max_message_size(MAX_TRANSPORT_FRAME_BYTES)
        .max_frame_size(MAX_TRANSPORT_FRAME_BYTES)
        .on_upgrade(move |socket| room_session::run(app, socket, params.token, params.since))
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
    ws.max_message_size(MAX_TRANSPORT_FRAME_BYTES)
        .on_upgrade(move |socket| lobby_session::run(app, socket, params.token))
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
    Ok(ws
        .max_message_size(MAX_TRANSPORT_FRAME_BYTES)
        .on_upgrade(move |socket| yjs_session::run(app, socket, room, board, params.token)))
}
