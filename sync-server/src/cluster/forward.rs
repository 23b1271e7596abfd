//! Forwarding a WebSocket that landed on a node which does not own its room
//! to the node that does, frame for frame, when the owner is reached over
//! TLS (otherwise [`super::splice`] relays bytes, which costs less). The
//! owner sees an ordinary connection (with the client's address in the
//! forwarding headers of [`super::headers`]), and the client gets the
//! owner's frames and close code. Each side's writes have the same deadline
//! as any socket write; a client silent for the idle timeout is closed as on
//! any node.

use std::time::Duration;

use axum::extract::ws::{self, WebSocket};
use futures_util::{SinkExt, StreamExt};
use jigsync_schema::CloseCode;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderMap;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as UpstreamCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as UpstreamClose;
use tokio_tungstenite::tungstenite::Message as Upstream;
use tokio_util::sync::CancellationToken;

use crate::log_redact;

/// How long connecting to the owner may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Forward {
    /// The owner's WebSocket URL for this connection (path and query kept).
    pub url: String,
    /// The forwarding headers ([`super::headers::mark`]).
    pub marks: HeaderMap,
    pub write_timeout: Duration,
    pub idle_timeout: Duration,
    pub shutdown: CancellationToken,
}

/// Relays `client` to the owner until either side closes.
pub async fn websocket(client: WebSocket, forward: Forward) {
    metrics::gauge!("jigsync_connections", "channel" => "forwarded").increment(1.0);
    relay(client, &forward).await;
    metrics::gauge!("jigsync_connections", "channel" => "forwarded").decrement(1.0);
}

async fn relay(mut client: WebSocket, forward: &Forward) {
    let upstream = match connect(forward).await {
        Some(upstream) => upstream,
        None => {
            let _ = close(&mut client, CloseCode::GoingAway, super::OWNER_UNREACHABLE).await;
            return;
        }
    };
    let (mut up_tx, mut up_rx) = upstream.split();
    let (mut cl_tx, mut cl_rx) = client.split();
    let deadline = forward.write_timeout;
    loop {
        tokio::select! {
            () = forward.shutdown.cancelled() => {
                let _ = timeout(deadline, up_tx.send(Upstream::Close(None))).await;
                let frame = ws::CloseFrame { code: CloseCode::GoingAway.code(), reason: "server shutting down".into() };
                let _ = timeout(deadline, cl_tx.send(ws::Message::Close(Some(frame)))).await;
                return;
            }
            from_client = timeout(forward.idle_timeout, cl_rx.next()) => {
                let message = match from_client {
                    Ok(Some(Ok(message))) => message,
                    Err(_) => {
                        let frame = ws::CloseFrame { code: CloseCode::IdleTimeout.code(), reason: "nothing heard from the client".into() };
                        let _ = timeout(deadline, cl_tx.send(ws::Message::Close(Some(frame)))).await;
                        let _ = timeout(deadline, up_tx.send(Upstream::Close(None))).await;
                        return;
                    }
                    Ok(_) => {
                        let _ = timeout(deadline, up_tx.send(Upstream::Close(None))).await;
                        return;
                    }
                };
                let closing = matches!(message, ws::Message::Close(_));
                if !matches!(timeout(deadline, up_tx.send(to_upstream(message))).await, Ok(Ok(()))) || closing {
                    return;
                }
            }
            from_owner = up_rx.next() => {
                let message = match from_owner {
                    Some(Ok(message)) => message,
                    _ => {
                        let frame = ws::CloseFrame { code: CloseCode::GoingAway.code(), reason: super::OWNER_GONE.into() };
                        let _ = timeout(deadline, cl_tx.send(ws::Message::Close(Some(frame)))).await;
                        return;
                    }
                };
                let Some(message) = to_client(message) else { continue };
                let closing = matches!(message, ws::Message::Close(_));
                if !matches!(timeout(deadline, cl_tx.send(message)).await, Ok(Ok(()))) || closing {
                    return;
                }
            }
        }
    }
}

type UpstreamSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(forward: &Forward) -> Option<UpstreamSocket> {
    let mut request = match forward.url.as_str().into_client_request() {
        Ok(request) => request,
        Err(err) => {
            tracing::warn!(url = %log_redact::Url(&forward.url), error = %err, "cannot forward to this URL");
            return None;
        }
    };
    for (name, value) in &forward.marks {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    match timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request)).await {
        Ok(Ok((socket, _))) => Some(socket),
        Ok(Err(err)) => {
            tracing::warn!(url = %log_redact::Url(&forward.url), error = %err, "cannot reach the room's node");
            None
        }
        Err(_) => {
            tracing::warn!(url = %log_redact::Url(&forward.url), "the room's node did not answer in time");
            None
        }
    }
}

async fn close(client: &mut WebSocket, code: CloseCode, reason: &str) -> Result<(), axum::Error> {
    client.send(ws::Message::Close(Some(ws::CloseFrame { code: code.code(), reason: reason.into() }))).await
}

fn to_upstream(message: ws::Message) -> Upstream {
    match message {
        ws::Message::Text(text) => Upstream::Text(text.as_str().into()),
        ws::Message::Binary(bytes) => Upstream::Binary(bytes),
        ws::Message::Ping(bytes) => Upstream::Ping(bytes),
        ws::Message::Pong(bytes) => Upstream::Pong(bytes),
        ws::Message::Close(frame) => Upstream::Close(
            frame.map(|f| UpstreamClose { code: UpstreamCode::from(f.code), reason: f.reason.as_str().into() }),
        ),
    }
}

fn to_client(message: Upstream) -> Option<ws::Message> {
    Some(match message {
        Upstream::Text(text) => ws::Message::Text(text.as_str().into()),
        Upstream::Binary(bytes) => ws::Message::Binary(bytes),
        Upstream::Ping(bytes) => ws::Message::Ping(bytes),
        Upstream::Pong(bytes) => ws::Message::Pong(bytes),
        Upstream::Close(frame) => ws::Message::Close(
            frame.map(|f| ws::CloseFrame { code: u16::from(f.code), reason: f.reason.as_str().into() }),
        ),
        Upstream::Frame(_) => return None,
    })
}
