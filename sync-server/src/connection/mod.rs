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
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::app::App;
use outbox::{outbox, Outbox};

/// How long a closing socket waits for the client's close reply.
const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// An accepted WebSocket: its sending half runs in a writer task fed by
/// `outbox`; `stream` is the reading half the session reads. Counted in
/// `jigsync_connections{channel}` and kept in the shutdown tracker until
/// [`Connection::finish`].
pub struct Connection {
    pub outbox: Outbox,
    pub stream: SplitStream<WebSocket>,
    writer: JoinHandle<()>,
    channel: &'static str,
    _tracked: TaskTrackerToken,
}

impl Connection {
    pub fn open(app: &App, socket: WebSocket, channel: &'static str) -> Connection {
        let tracked = app.sessions.token();
        metrics::gauge!("jigsync_connections", "channel" => channel).increment(1.0);
        let (sink, stream) = socket.split();
        let (outbox, rx) = outbox(app.config.queue_frames);
        let writer = tokio::spawn(writer::run_writer(sink, rx, app.config.ping_interval(), app.shutdown.clone()));
        Connection { outbox, stream, writer, channel, _tracked: tracked }
    }

    /// Finishes the closing handshake: waits for the writer to send its close
    /// frame, then reads until the client answers it (or goes away), so the
    /// client sees our close code rather than a reset connection.
    pub async fn finish(mut self) {
        let _ = (&mut self.writer).await;
        let stream = &mut self.stream;
        let drain = async {
            while let Some(Ok(message)) = stream.next().await {
                if let Message::Close(_) = message {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_REPLY_TIMEOUT, drain).await;
        metrics::gauge!("jigsync_connections", "channel" => self.channel).decrement(1.0);
    }
}
