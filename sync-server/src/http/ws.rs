//! WebSocket upgrades. Tokens are checked after the upgrade so that a browser,
//! which cannot read an HTTP error on a failed upgrade, learns why from the
//! close code.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{FromRequestParts, Path, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use jigsync_schema::limits::MAX_TRANSPORT_FRAME_BYTES;
use jigsync_schema::CloseCode;
use serde::Deserialize;

use super::extract::{ClientIp, Query};
use super::owner::{holds_room, owner_of, Owner};
use crate::app::App;
use crate::cluster::{self, forward::Forward};
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
    ip: ClientIp,
    uri: Uri,
    req: Request,
) -> Response {
    let room = params.token.as_deref().and_then(|t| app.keys.verify(t)).map(|claims| claims.room);
    // Owned: a request body cannot be shared across the lookup's awaits.
    let headers = req.headers().clone();
    match route(&app, room.as_deref(), &uri, &headers, ip).await {
        Route::Here => match upgrade(req).await {
            Ok(ws) => ws.on_upgrade(move |socket| room_session::run(app, socket, params.token, params.since, None)),
            Err(refused) => refused,
        },
        elsewhere => forward(req, elsewhere).await,
    }
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
    let headers = req.headers().clone();
    match route(&app, holder.then_some(room.as_str()), &uri, &headers, ip).await {
        Route::Here => match upgrade(req).await {
            Ok(ws) => {
                ws.on_upgrade(move |socket| room_session::run(app, socket, params.token, params.since, Some(room)))
            }
            Err(refused) => refused,
        },
        elsewhere => forward(req, elsewhere).await,
    }
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
    ip: ClientIp,
    uri: Uri,
    req: Request,
) -> Result<Response, ApiError> {
    let Path((room, board)) = path.map_err(|_| ApiError::invalid("the board id must be a number"))?;
    let holder = params.token.as_deref().is_some_and(|t| holds_room(&app, t, &room));
    let headers = req.headers().clone();
    Ok(match route(&app, holder.then_some(room.as_str()), &uri, &headers, ip).await {
        Route::Here => match upgrade(req).await {
            Ok(ws) => ws.on_upgrade(move |socket| yjs_session::run(app, socket, room, board, params.token)),
            Err(refused) => refused,
        },
        elsewhere => forward(req, elsewhere).await,
    })
}

/// Where a connection for a room is served, with several nodes.
enum Route {
    Here,
    /// At the room's owner, relayed through this node.
    Forward(Forward),
    /// The owner cannot be found or reached: the client retries later.
    Unreachable,
}

/// Asks which node serves the room (no question without a cluster, or
/// without a room to ask about, or without a token of that room: the
/// session refuses those itself).
async fn route(app: &App, room: Option<&str>, uri: &Uri, headers: &HeaderMap, ip: ClientIp) -> Route {
    let Some(room) = room else {
        return Route::Here;
    };
    match owner_of(app, room, headers).await {
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

/// The upgrade of a request this node serves (configured), or the answer
/// to one that is not a WebSocket upgrade.
async fn upgrade(req: Request) -> Result<WebSocketUpgrade, Response> {
    let (mut parts, _) = req.into_parts();
    WebSocketUpgrade::from_request_parts(&mut parts, &()).await.map(configure).map_err(IntoResponse::into_response)
}

/// A connection for a room another node serves: relayed to it as bytes, or
/// frame for frame when it is reached over TLS; closed with 1001 (the client
/// retries) when it cannot be reached.
async fn forward(req: Request, route: Route) -> Response {
    let (req, route) = match route {
        Route::Forward(forward) if forward.url.starts_with("ws://") => {
            match cluster::splice::respond(req, forward).await {
                Ok(response) => return response,
                Err(req) => (req, Route::Unreachable),
            }
        }
        route => (req, route),
    };
    let ws = match upgrade(req).await {
        Ok(ws) => ws,
        Err(refused) => return refused,
    };
    ws.on_upgrade(move |mut socket| async move {
        match route {
            Route::Forward(forward) => cluster::forward::websocket(socket, forward).await,
            Route::Here | Route::Unreachable => {
                let reason = cluster::OWNER_UNREACHABLE;
                let close = CloseFrame { code: CloseCode::GoingAway.code(), reason: reason.into() };
                let _ = socket.send(Message::Close(Some(close))).await;
            }
        }
    })
}
