//! WebSocket connections: the [`writer`] task that owns a socket's sending
//! half and drains its [`crate::outbox`], and the sessions that read requests for the room channel
//! ([`room_session`]), the lobby ([`lobby_session`]) and standard Yjs sync
//! ([`yjs_session`]).

pub mod lobby_session;
pub mod room_session;
pub mod writer;
pub mod yjs_session;

use std::error::Error as _;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::{FutureExt, StreamExt};
use jigsync_schema::limits::MAX_TRANSPORT_FRAME_BYTES;
use jigsync_schema::CloseCode;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, timeout, Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::app::App;
use crate::outbox::{outbox, Outbox};
use crate::room::{RoomCmd, RoomHandle};
use writer::{WriterEnd, WriterSettings};

/// Why a session stops reading for a reason outside its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Someone asked the connection to close.
    Closed,
    ShuttingDown,
    /// The room actor the session talks to ended.
    RoomStopped,
}

type StopWatch = Pin<Box<dyn Future<Output = Stop> + Send>>;

/// How long a closing socket waits for the client's close reply.
const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a socket whose client sent a message over the transport limit
/// is kept open, unread, after our close frame: the rest of the oversized
/// message is still arriving, and closing at once would reset the
/// connection before the client reads why.
const OVERSIZED_LINGER: Duration = Duration::from_secs(2);

/// An accepted WebSocket: its sending half runs in a writer task fed by
/// `outbox`; the session reads the other half with [`Connection::next`].
/// Counted in `jigsync_connections{channel}` and kept in the shutdown
/// tracker until [`Connection::finish`].
pub struct Connection {
    pub outbox: Outbox,
    stream: SplitStream<WebSocket>,
    writer: JoinHandle<WriterEnd>,
    channel: &'static str,
    idle: Duration,
    /// When the client was last heard from: the idle timeout runs from here,
    /// whatever else the session does meanwhile (the lobby's own traffic
    /// must not keep a dead peer alive).
    heard: Instant,
    /// The client sent a message over the transport limit: its input must
    /// not be read again (the parser would buffer the whole message).
    oversized: bool,
    /// Fires at an idle deadline set earlier; moved on only when it fires
    /// early, so a read does not re-arm a timer per message.
    idle_timer: Pin<Box<Sleep>>,
    /// Every reason to stop outside the socket, watched by one future made
    /// at the first read rather than anew for each message.
    stop: Option<StopWatch>,
    stopped: Option<Stop>,
    /// What the read made as the connection opened returned, if it did not
    /// wait (see [`Connection::open`]): handed out first.
    early: Option<Option<Result<Message, axum::Error>>>,
    _tracked: TaskTrackerToken,
}

impl Connection {
    pub fn open(app: &App, socket: WebSocket, channel: &'static str) -> Connection {
        let tracked = app.sessions.token();
        metrics::gauge!("jigsync_connections", "channel" => channel).increment(1.0);
        let (sink, mut stream) = socket.split();
        // hyper hands the upgraded socket over with the upgrade request's
        // read buffer (16 KiB) still attached, and lets go of it only at the
        // socket's first read. A room session reads only once its room has
        // answered the connect, so during a burst of joins thousands of those
        // buffers live at once and leave holes in the heap that the idle
        // connections never give back (benches/README.md, "Idle
        // connections"). One read now releases the buffer at once; whatever
        // it returns is the session's first message.
        let early = stream.next().now_or_never();
        let (outbox, rx) = outbox(app.config.queue_frames);
        let settings =
            WriterSettings { ping_every: app.config.ping_interval(), write_timeout: app.config.write_timeout() };
        let writer = tokio::spawn(writer::run_writer(sink, rx, settings, app.shutdown.clone()));
        let (heard, idle) = (Instant::now(), app.config.idle_timeout());
        Connection {
            outbox,
            stream,
            writer,
            channel,
            idle,
            heard,
            oversized: false,
            idle_timer: Box::pin(sleep_until(heard + idle)),
            stop: None,
            stopped: None,
            early,
            _tracked: tracked,
        }
    }

    /// The next message from the client, or `None` when the session must
    /// end: the connection was asked to close, the server is shutting down
    /// (1001), the client was silent for the idle timeout (4408), sent a
    /// message over the transport limit (1009), closed or failed, or the
    /// room's actor this session talks to stopped unexpectedly (1011: the
    /// client reconnects and a fresh actor resumes from storage).
    pub async fn next(&mut self, app: &App, room: Option<&RoomHandle>) -> Option<Message> {
        if self.stopped.is_some() {
            return None;
        }
        let next = match self.early.take() {
            Some(early) => early,
            None => self.wait(app, room).await?,
        };
        if matches!(next, Some(Ok(_))) {
            self.heard = Instant::now();
        }
        match next {
            Some(Ok(Message::Close(_))) | None => None,
            Some(Err(err)) => {
                if is_oversized(&err) {
                    self.oversized = true;
                    let reason = format!("messages are limited to {MAX_TRANSPORT_FRAME_BYTES} bytes");
                    self.outbox.close(CloseCode::TooBig, &reason);
                }
                None
            }
            Some(Ok(message)) => Some(message),
        }
    }

    /// Waits for the socket's next item, or for a reason to stop (`None`).
    async fn wait(&mut self, app: &App, room: Option<&RoomHandle>) -> Option<Option<Result<Message, axum::Error>>> {
        let stop = self
            .stop
            .get_or_insert_with(|| stop_watch(self.outbox.clone(), app.shutdown.clone(), room.map(|r| r.tx.clone())));
        let next = loop {
            tokio::select! {
                biased;
                why = stop.as_mut() => {
                    self.stopped = Some(why);
                    match why {
                        Stop::Closed => {}
                        Stop::ShuttingDown => self.outbox.close(CloseCode::GoingAway, "server shutting down"),
                        Stop::RoomStopped => self.outbox.close(
                            CloseCode::InternalError,
                            "the room stopped unexpectedly; reconnect to resume",
                        ),
                    }
                    return None;
                }
                () = self.idle_timer.as_mut() => {
                    let deadline = self.heard + self.idle;
                    if Instant::now() >= deadline {
                        self.outbox.close(CloseCode::IdleTimeout, "nothing heard from the client");
                        return None;
                    }
                    self.idle_timer.as_mut().reset(deadline);
                }
                next = self.stream.next() => break next,
            }
        };
        Some(next)
    }

    /// Finishes the closing handshake: waits for the writer to send its close
    /// frame, then reads until the client answers it (or goes away), so the
    /// client sees our close code rather than a reset connection. A socket
    /// the writer gave up on is dropped at once.
    ///
    /// Boxed: it runs once, and a session's future is as large as its
    /// largest await, held by every idle connection for its whole life.
    pub fn finish(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(self.close_handshake())
    }

    async fn close_handshake(mut self) {
        let end = (&mut self.writer).await.unwrap_or(WriterEnd::Abandoned);
        match end {
            WriterEnd::Abandoned => {}
            WriterEnd::CloseSent if self.oversized => tokio::time::sleep(OVERSIZED_LINGER).await,
            WriterEnd::CloseSent => {
                let stream = &mut self.stream;
                let drain = async {
                    while let Some(Ok(message)) = stream.next().await {
                        if let Message::Close(_) = message {
                            break;
                        }
                    }
                };
                let _ = timeout(CLOSE_REPLY_TIMEOUT, drain).await;
            }
        }
        metrics::gauge!("jigsync_connections", "channel" => self.channel).decrement(1.0);
    }
}

/// One future for every reason a session stops outside its socket; `room`:
/// the sender of the room actor it talks to, whose end closing means the
/// actor stopped.
fn stop_watch(outbox: Outbox, shutdown: CancellationToken, room: Option<mpsc::Sender<RoomCmd>>) -> StopWatch {
    Box::pin(async move {
        let room_stopped = async {
            match &room {
                Some(room) => room.closed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = outbox.closed() => Stop::Closed,
            () = shutdown.cancelled() => Stop::ShuttingDown,
            () = room_stopped => Stop::RoomStopped,
        }
    })
}

/// True if the read failed because the client's message is over the
/// transport limit (the WebSocket layer refuses it before reading it).
fn is_oversized(err: &axum::Error) -> bool {
    matches!(
        err.source().and_then(|inner| inner.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong { .. }))
    )
}
