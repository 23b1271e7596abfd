//! WebSocket upgrades. Tokens are checked after the upgrade so that a browser,
//! which cannot read an HTTP error on a failed upgrade, learns why from the
//! close code.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{FromRequestParts, Path, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jigsync_schema::limits::MAX_TRANSPORT_FRAME_BYTES;
use jigsync_schema::CloseCode;
use serde::Deserialize;
use tungstenite::protocol::WebSocketConfig;

use super::extract::{ClientIp, Query};
use super::owner::{holds_room, owner_of, Owner};
use super::upgrade::Upgrade;
use crate::app::App;
use crate::cluster::splice::Relayed;
use crate::cluster::{self, forward::Forward};
use crate::connection::{lobby_session, room_session, socket, yjs_session, Connection};
use crate::error::ApiError;

/// Socket buffer sizes. The transport's defaults (128 KiB to read, 128 KiB
/// before a write is pushed out) cost every idle connection well over
/// 100 KiB; our frames are small and the connection flushes each batch itself,
/// so a few KiB is plenty (larger frames grow the buffers on demand). The
/// read buffer is allocated for every connection at once, idle or not:
/// 512 bytes hold a drag position, a chat or a drop, each read whole; a
/// larger message (a big Yjs update) is read in 512-byte steps. The write
/// buffer keeps, for the connection's life, the capacity of the most it
/// ever held before writing out: 1 KiB, with larger
/// messages sent in pieces of that size (`connection/socket.rs`), bounds what
/// a welcome or a burst (a class joining at once, each join a presence frame)
/// leaves behind, at one more write only for a batch over 1 KiB (measured in
/// benches/README.md, "Idle connections").
const READ_BUFFER_BYTES: usize = 512;
const WRITE_BUFFER_BYTES: usize = socket::PIECE_BYTES;

/// Limits and buffer sizes of the connections this node serves.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_TRANSPORT_FRAME_BYTES))
        .max_frame_size(Some(MAX_TRANSPORT_FRAME_BYTES))
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
}

/// The same for a connection relayed to another node, through axum's socket.
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
    ip: ClientIp,
    uri: Uri,
    req: Request,
) -> Response {
    let room = params.token.as_deref().and_then(|t| app.keys.verify(t).ok()).map(|claims| claims.room);
    let here = |ws: Upgrade, app: Arc<App>| {
        ws.on_upgrade(config(), move |socket| {
            let conn = Connection::open(&app, socket, "room");
            room_session::run(app, conn, params.token, params.since, None)
        })
    };
    serve_or_relay(app, room.as_deref(), &uri, ip, req, here).await
}

/// The room channel at the room's own URL (`/ws/{roomId}`), which a load
/// balancer can route by; the token must be for that room.
pub async fn room_channel_of(
    State(app): State<Arc<App>>,
    Path(room): Path<String>,
    Query(params): Query<ChannelParams>,
    ip: ClientIp,
    uri: Uri,
    req: Request,
) -> Response {
    let holder = params.token.as_deref().is_some_and(|t| holds_room(&app, t, &room));
    let asked = holder.then(|| room.clone());
    let here = |ws: Upgrade, app: Arc<App>| {
        ws.on_upgrade(config(), move |socket| {
            let conn = Connection::open(&app, socket, "room");
            room_session::run(app, conn, params.token, params.since, Some(room))
        })
    };
    serve_or_relay(app, asked.as_deref(), &uri, ip, req, here).await
}

#[derive(Deserialize)]
pub struct TokenParams {
    token: Option<String>,
}

pub async fn lobby_channel(State(app): State<Arc<App>>, Query(params): Query<TokenParams>, ws: Upgrade) -> Response {
    ws.on_upgrade(config(), move |socket| {
        let conn = Connection::open(&app, socket, "lobby");
        lobby_session::run(app, conn, params.token)
    })
}

/// Standard Yjs sync for one board. The path's board id must be a number;
/// anything else is answered before the upgrade with a 400.
pub async fn yjs_channel(
    State(app): State<Arc<App>>,
    path: Result<Path<(String, jigsync_schema::BoardId)>, PathRejection>,
    Query(params): Query<TokenParams>,
    ip: ClientIp,
    uri: Uri,
    req: Request,
) -> Result<Response, ApiError> {
    let Path((room, board)) = path.map_err(|_| ApiError::invalid("the board id must be a number"))?;
    let holder = params.token.as_deref().is_some_and(|t| holds_room(&app, t, &room));
    let asked = holder.then(|| room.clone());
    let here = |ws: Upgrade, app: Arc<App>| {
        ws.on_upgrade(config(), move |socket| {
            let conn = Connection::open(&app, socket, "yjs");
            yjs_session::run(app, conn, room, board, params.token)
        })
    };
    Ok(serve_or_relay(app, asked.as_deref(), &uri, ip, req, here).await)
}

/// Serves a connection for `room` here, or relays it to the node that
/// owns the room. An owner with nobody connected to the room gives it up
/// instead (the room then settles on the node the load balancer sends its
/// clients to, not on the node that happened to serve its first join); this
/// node then asks again, once, and usually takes the room itself.
async fn serve_or_relay(
    app: Arc<App>,
    room: Option<&str>,
    uri: &Uri,
    ip: ClientIp,
    req: Request,
    here: impl FnOnce(Upgrade, Arc<App>) -> Response,
) -> Response {
    // Owned: a request body cannot be shared across the lookup's awaits.
    let headers = req.headers().clone();
    let mut req = req;
    // The owner may give the room up for this connection once; a room that
    // moves away again as this node asks is not chased (`forward` then
    // answers itself).
    let mut may_move = true;
    loop {
        let route = route(&app, room, uri, &headers, ip).await;
        if matches!(route, Route::Here) {
            let (mut parts, _) = req.into_parts();
            return match Upgrade::from_request_parts(&mut parts, &()).await {
                Ok(ws) => here(ws, app),
                Err(refused) => refused,
            };
        }
        match forward(req, route, may_move).await {
            Ok(response) => return response,
            Err(moved) => (req, may_move) = (moved, false),
        }
    }
}

/// Where a connection for a room is served, with several nodes.
enum Route {
    Here,
    /// At the room's owner, relayed through this node.
    Forward(Forward),
    /// The owner cannot be found or reached: the client retries later.
    Unreachable,
    /// This node gave the room up for the node that relayed the request.
    HandedOver,
}

/// Asks which node serves the room (no question without a cluster, or
/// without a room to ask about, or without a token of that room: the
/// session refuses those itself).
async fn route(app: &App, room: Option<&str>, uri: &Uri, headers: &HeaderMap, ip: ClientIp) -> Route {
    let Some(room) = room else {
        return Route::Here;
    };
    match owner_of(app, room, headers).await {
        // A connection another node relays, for a room nobody here is
        // connected to: the relaying node may as well serve the room.
        Owner::Here if cluster::headers::is_forwarded(headers, &app.keys) && app.rooms.hand_over(room).await => {
            Route::HandedOver
        }
        Owner::Here => Route::Here,
        Owner::Unreachable => Route::Unreachable,
        Owner::At(base) => {
            let base = base.replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let mut marks = HeaderMap::new();
            cluster::headers::mark(&mut marks, &app.keys, ip.0);
            Route::Forward(Forward {
                url: format!("{}{path}", base.trim_end_matches('/')),
                marks,
                write_timeout: app.config.write_timeout(),
                idle_timeout: app.config.idle_timeout(),
                shutdown: app.shutdown.clone(),
            })
        }
    }
}

/// The upgrade of a request relayed to another node (configured), or the
/// answer to one that is not a WebSocket upgrade.
async fn upgrade(req: Request) -> Result<WebSocketUpgrade, Response> {
    let (mut parts, _) = req.into_parts();
    WebSocketUpgrade::from_request_parts(&mut parts, &()).await.map(configure).map_err(IntoResponse::into_response)
}

/// A connection for a room another node serves: relayed to it as bytes, or
/// frame for frame when it is reached over TLS; closed with 1001 (the client
/// retries) when it cannot be reached. Gives the request back if the owner
/// gave the room up for it (only when `may_move`).
async fn forward(req: Request, route: Route, may_move: bool) -> Result<Response, Request> {
    let (req, route) = match route {
        Route::Forward(forward) if forward.url.starts_with("ws://") => {
            match cluster::splice::respond(req, forward).await {
                Relayed::Answered(response) => return Ok(response),
                Relayed::Moved(req) if may_move => return Err(req),
                Relayed::Moved(req) | Relayed::Unreached(req) => (req, Route::Unreachable),
            }
        }
        // Only ever read by the relaying node (clients never see it): not a
        // failure, so not a 5xx that request logs would report as one.
        Route::HandedOver => return Ok((StatusCode::CONFLICT, [(cluster::headers::ROOM_MOVED, "1")]).into_response()),
        route => (req, route),
    };
    let ws = match upgrade(req).await {
        Ok(ws) => ws,
        Err(refused) => return Ok(refused),
    };
    Ok(ws.on_upgrade(move |mut socket| async move {
        match route {
            Route::Forward(forward) => cluster::forward::websocket(socket, forward).await,
            Route::Here | Route::Unreachable | Route::HandedOver => {
                let reason = cluster::OWNER_UNREACHABLE;
                let close = CloseFrame { code: CloseCode::GoingAway.code(), reason: reason.into() };
                let _ = socket.send(Message::Close(Some(close))).await;
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::config;

    /// What an idle connection's WebSocket layer holds up front: its read
    /// buffer, allocated as the connection opens, and its write buffer, the
    /// most it keeps after writing out (benches/README.md, "Idle
    /// connections"). It was 1 KiB to read and 2 KiB to write.
    #[test]
    fn an_idle_connection_keeps_small_socket_buffers() {
        let config = config();
        assert!(config.read_buffer_size <= 512, "read buffer {}", config.read_buffer_size);
        assert!(config.write_buffer_size <= 1024, "write buffer {}", config.write_buffer_size);
    }
}
