//! Room-bound requests with several nodes: each is served by the node that
//! owns its room. A node that does not own the room relays the request to
//! the owner (HTTP here, WebSockets in `ws.rs`); a single node serves
//! everything itself without asking.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{OriginalUri, Path, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jigsync_schema::limits::MAX_JSON_BODY_BYTES;

use super::extract::ClientIp;
use crate::app::App;
use crate::cluster::headers;
use crate::error::ApiError;
use crate::log_redact;
use crate::room::Location;

/// Which node serves a room.
pub enum Owner {
    Here,
    /// Another node, reached at this base URL (`http://10.0.0.5:8080`).
    At(String),
    /// Nobody can serve it right now (moving between nodes, the database
    /// unreachable): the client retries.
    Unreachable,
}

/// Finds the room's owner, taking the room here if nobody holds it. A
/// request another node already forwarded is never forwarded again: if the
/// room moved in between, the client retries through the load balancer.
pub async fn owner_of(app: &App, room: &str, request_headers: &HeaderMap) -> Owner {
    let Some(cluster) = &app.cluster else {
        return Owner::Here;
    };
    match app.rooms.locate(room).await {
        Some(Location::Here) => Owner::Here,
        Some(Location::Elsewhere { .. }) if headers::is_forwarded(request_headers, &app.keys) => Owner::Unreachable,
        Some(Location::Elsewhere { node }) => cluster.url_of(&node).await.map_or(Owner::Unreachable, Owner::At),
        None => Owner::Unreachable,
    }
}

/// True if `token` is one of ours, for `room`: checked before a node looks
/// for the room's owner, so made-up requests cost no database call.
pub fn holds_room(app: &App, token: &str, room: &str) -> bool {
    app.keys.verify(token).is_ok_and(|claims| claims.room == room)
}

/// Middleware for routes with a `{room_id}` whose work the room's actor
/// does: relays the request to the owner when that is another node.
pub async fn to_owner(
    State(app): State<Arc<App>>,
    Path(params): Path<HashMap<String, String>>,
    ip: ClientIp,
    request: Request,
    next: Next,
) -> Response {
    let Some(room) = params.get("room_id") else {
        return next.run(request).await;
    };
    // Only a caller with a token of this room makes a node look for (and
    // perhaps take) the room; the handler refuses everyone else.
    let bearer = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = bearer.and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    if !token.is_some_and(|token| holds_room(&app, token, room)) {
        return next.run(request).await;
    }
    match owner_of(&app, room, request.headers()).await {
        Owner::Here => next.run(request).await,
        Owner::Unreachable => ApiError::unavailable().into_response(),
        Owner::At(base) => {
            let (parts, body) = request.into_parts();
            // The edge's body limit already refused anything larger.
            let Ok(body) = to_bytes(body, MAX_JSON_BODY_BYTES).await else {
                return ApiError::invalid("cannot read the request body").into_response();
            };
            // Inside `/api` the router sees the path without its prefix.
            let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |original| &original.0);
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            relay(&app, &base, parts.method, path, &parts.headers, body, ip).await
        }
    }
}

/// Sends a request to the owner at `base` and answers with its response.
pub async fn relay(
    app: &App,
    base: &str,
    method: Method,
    path: &str,
    client_headers: &HeaderMap,
    body: Bytes,
    ip: ClientIp,
) -> Response {
    let Some(cluster) = &app.cluster else {
        return ApiError::unavailable().into_response();
    };
    let mut marks = HeaderMap::new();
    headers::mark(&mut marks, &app.keys, ip.0);
    let url = format!("{}{path}", base.trim_end_matches('/'));
    match cluster.http.send(method, &url, client_headers, marks, body).await {
        Ok(answer) => {
            let mut response = Response::new(Body::from(answer.body));
            *response.status_mut() = answer.status;
            if let Some(content_type) = answer.content_type {
                response.headers_mut().insert(header::CONTENT_TYPE, content_type);
            }
            response
        }
        Err(err) => {
            tracing::warn!(url = %log_redact::Url(&url), error = %err, "cannot forward a request to the room's node");
            ApiError::unavailable().into_response()
        }
    }
}
