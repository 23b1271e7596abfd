//! WebSocket connections: the [`outbox`] other tasks send through (with its
//! [`motion`] buffer), the [`writer`] task that owns the socket's sending
//! half, and the sessions that read requests for the room channel
//! ([`room_session`]), the lobby ([`lobby_session`]) and standard Yjs sync
//! ([`yjs_session`]).

pub mod lobby_session;
pub mod motion;
pub mod outbox;
pub mod room_session;
pub mod writer;
pub mod yjs_session;

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

/// How long a closing socket waits for the client's close reply.
const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Finishes the closing handshake: waits for the writer to send its close
/// frame, then reads until the client answers it (or goes away), so the
/// client sees our close code rather than a reset connection.
pub async fn finish(writer: JoinHandle<()>, stream: &mut SplitStream<WebSocket>) {
    let _ = writer.await;
    let drain = async {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Close(_) = message {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_REPLY_TIMEOUT, drain).await;
}
