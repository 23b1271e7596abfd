//! WebSocket connections: a [`Connection`] that reads a [`socket`] and, in
//! the same task, writes what its [`crate::outbox`] holds ([`sending`]), and the
//! sessions that read requests for the room channel
//! ([`room_session`]), the lobby ([`lobby_session`]) and standard Yjs sync
//! ([`yjs_session`]).

pub mod lobby_session;
pub mod room_session;
pub mod sending;
pub mod socket;
pub mod yjs_session;

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use jigsync_schema::limits::MAX_TRANSPORT_FRAME_BYTES;
use jigsync_schema::CloseCode;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tungstenite::Message;

use crate::app::App;
use crate::outbox::{outbox, CloseReason, Outbox};
use crate::room::{RoomCmd, RoomHandle};
use sending::{SendEnd, Sending};
use socket::{Socket, WebSocket};

/// Why a session stops reading for a reason outside its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    ShuttingDown,
    /// The room actor the session talks to ended.
    RoomStopped,
}

type StopWatch = Pin<Box<dyn Future<Output = Stop> + Send>>;

/// What one wait of the connection came to.
enum Woke {
    /// The socket's next item (`None`: the client went away).
    Read(Option<Result<Message, tungstenite::Error>>),
    /// The session must stop: a close was requested, or one is now.
    Stop,
}

/// How long a closing socket waits for the client's close reply.
const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a socket whose client sent a message over the transport limit
/// is kept open, unread, after our close frame: the rest of the oversized
/// message is still arriving, and closing at once would reset the
/// connection before the client reads why.
const OVERSIZED_LINGER: Duration = Duration::from_secs(2);

/// An accepted WebSocket, served by the session's own task alone: waiting
/// in [`Connection::next`] reads the socket and, between reads, writes what
/// the `outbox` holds (see [`sending`]), sends the pings and watches the
/// timeouts. One task rather than a reader and a writer sharing the socket:
/// an idle connection then holds one small future, one timer and no lock
/// (benches/README.md, "Idle connections"). Counted in
/// `jigsync_connections{channel}` and kept in the shutdown tracker until
/// [`Connection::finish`].
///
/// The one hazard of a single task: while it waits for a slow peer to take
/// a write, it still reads, and while the session handles a message it
/// neither reads nor writes. Neither can deadlock: the room actor never
/// waits on a connection (its frames are queued, and the queue's bound
/// closes a slow consumer), a session that must wait for the actor does so
/// in [`Connection::wait_for_room`], which keeps writing, and every write has a
/// deadline however the task is busy.
pub struct Connection {
    pub outbox: Outbox,
    socket: Socket,
    sending: Sending,
    channel: &'static str,
    idle: Duration,
    /// When the client was last heard from: the idle timeout runs from here,
    /// whatever else the session does meanwhile (the lobby's own traffic
    /// must not keep a dead peer alive).
    heard: Instant,
    /// The client sent a message over the transport limit: its input must
    /// not be read again (the parser would buffer the whole message).
    oversized: bool,
    /// The one timer: the earliest of the idle deadline, the write deadline,
    /// the next ping and the next motion flush. Moved later only when it
    /// fires, so a read does not re-arm it per message.
    timer: Pin<Box<Sleep>>,
    /// Every reason to stop outside the socket and the outbox, watched by
    /// one future made at the first wait rather than anew for each message.
    stop: Option<StopWatch>,
    stopped: bool,
    /// A write failed or missed its deadline: the socket is dropped without
    /// a close handshake.
    abandoned: bool,
    /// What the read made as the connection opened returned, if it did not
    /// wait (see [`Connection::open`]): handed out first.
    early: Option<Option<Result<Message, tungstenite::Error>>>,
    _tracked: TaskTrackerToken,
}

impl Connection {
    /// Opened by the upgrade's callback and handed to the session, not
    /// opened by the session from the socket: an async function keeps room
    /// for its arguments for its whole life, so a session given the socket
    /// would hold it twice.
    pub fn open(app: &App, socket: WebSocket, channel: &'static str) -> Connection {
        let mut socket = Socket::new(socket);
        let tracked = app.sessions.token();
        metrics::gauge!("jigsync_connections", "channel" => channel).increment(1.0);
        // hyper hands the upgraded socket over with the upgrade request's
        // read buffer (16 KiB) still attached, and lets go of it only at the
        // socket's first read. A room session reads only once its room has
        // answered the connect, so during a burst of joins thousands of those
        // buffers live at once and leave holes in the heap that the idle
        // connections never give back (benches/README.md, "Idle
        // connections"). One read now releases the buffer at once; whatever
        // it returns is the session's first message.
        let early = socket.next().now_or_never();
        let (outbox, rx) = outbox(app.config.queue_frames);
        let sending = Sending::new(rx, app.config.ping_interval(), app.config.write_timeout());
        let (heard, idle) = (Instant::now(), app.config.idle_timeout());
        let timer = Box::pin(sleep_until(sending.wake_at().min(heard + idle)));
        Connection {
            outbox,
            socket,
            sending,
            channel,
            idle,
            heard,
            oversized: false,
            timer,
            stop: None,
            stopped: false,
            abandoned: false,
            early,
            _tracked: tracked,
        }
    }

    /// The next message from the client, or `None` when the session must
    /// end: the connection was asked to close, the server is shutting down
    /// (1001), the client was silent for the idle timeout (4408), sent a
    /// message over the transport limit (1009), closed or failed, a write
    /// failed or missed its deadline, or the room's actor this session talks
    /// to stopped unexpectedly (1011: the client reconnects and a fresh
    /// actor resumes from storage). Writes move on while it waits. Safe to
    /// drop at any await: everything in flight is kept in the connection.
    pub async fn next(&mut self, app: &App, room: Option<&RoomHandle>) -> Option<Message> {
        if self.stopped {
            return None;
        }
        let next = match self.early.take() {
            Some(early) => early,
            None => match poll_fn(|cx| self.poll_wait(cx, app, room, true)).await {
                Woke::Read(next) => next,
                Woke::Stop => return None,
            },
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

    /// Runs `work` (a wait for the room actor) to its end while the
    /// connection keeps writing, without reading; `None` if the connection
    /// must stop meanwhile (`work` is then dropped).
    async fn alongside<F: Future>(&mut self, app: &App, room: Option<&RoomHandle>, work: F) -> Option<F::Output> {
        if self.stopped {
            return None;
        }
        let mut work = pin!(work);
        poll_fn(|cx| {
            if let Poll::Ready(out) = work.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            self.poll_wait(cx, app, room, false).map(|_| None)
        })
        .await
    }

    /// Hands `cmd` that found the room actor's queue full to the actor once
    /// there is room, writing meanwhile; false if the actor is gone or the
    /// connection must stop first. Rare, so the wait is boxed: it does not
    /// size every session's future.
    pub async fn wait_for_room(&mut self, app: &App, room: &RoomHandle, cmd: RoomCmd) -> bool {
        metrics::counter!("jigsync_room_queue_full_total").increment(1);
        let send = Box::pin(room.tx.send(cmd));
        matches!(self.alongside(app, Some(room), send).await, Some(Ok(())))
    }

    /// One look at everything the connection waits for, in the order it has
    /// always taken them: reasons to stop, writes, timeouts, then (if
    /// `read`) the socket.
    fn poll_wait(&mut self, cx: &mut Context<'_>, app: &App, room: Option<&RoomHandle>, read: bool) -> Poll<Woke> {
        // Once for the whole outbox, before any look at it: whatever
        // arrives after the look wakes the task again.
        self.sending.rx.register(cx);
        loop {
            if self.sending.rx.close.requested() {
                return self.stop_now();
            }
            // Polled only when it woke the task (and once at first): each
            // poll takes three locks every connection of the server or the
            // room shares, and most wake-ups are for frames and positions.
            if self.sending.rx.watches_woken() {
                let stop =
                    self.stop.get_or_insert_with(|| stop_watch(app.shutdown.clone(), room.map(|r| r.tx.clone())));
                let waker = self.sending.rx.watches_waker();
                if let Poll::Ready(why) = stop.as_mut().poll(&mut Context::from_waker(&waker)) {
                    match why {
                        Stop::ShuttingDown => self.outbox.close(CloseCode::GoingAway, "server shutting down"),
                        Stop::RoomStopped => self
                            .outbox
                            .close(CloseCode::InternalError, "the room stopped unexpectedly; reconnect to resume"),
                    }
                    return self.stop_now();
                }
            }
            if self.sending.drive(&mut self.socket, cx).is_err() {
                return self.abandon();
            }
            let idle_at = self.heard + self.idle;
            let wake_at = self.sending.wake_at().min(idle_at);
            if wake_at < self.timer.deadline() {
                self.timer.as_mut().reset(wake_at);
            }
            if self.timer.as_mut().poll(cx).is_ready() {
                let now = Instant::now();
                if now >= idle_at {
                    self.outbox.close(CloseCode::IdleTimeout, "nothing heard from the client");
                    return self.stop_now();
                }
                // Fired early (the client was heard since), or for a write
                // now due: the writes are looked at again before re-arming.
                if !self.sending.on_timer(now) || self.sending.drive(&mut self.socket, cx).is_err() {
                    return self.abandon();
                }
                self.timer.as_mut().reset(self.sending.wake_at().min(idle_at));
                continue;
            }
            if read && !self.oversized {
                if let Poll::Ready(next) = self.socket.poll_next_unpin(cx) {
                    return Poll::Ready(Woke::Read(next));
                }
            }
            return Poll::Pending;
        }
    }

    fn stop_now(&mut self) -> Poll<Woke> {
        self.stopped = true;
        Poll::Ready(Woke::Stop)
    }

    /// A write failed or missed its deadline: the socket is given up, and
    /// the session stops as for any close.
    fn abandon(&mut self) -> Poll<Woke> {
        self.abandoned = true;
        self.outbox.close(CloseCode::SlowConsumer, "the connection did not take its data in time");
        self.stop_now()
    }

    /// Finishes the closing handshake: sends what was queued and the close
    /// frame, then reads until the client answers it (or goes away), so the
    /// client sees our close code rather than a reset connection. A socket
    /// given up is dropped at once.
    ///
    /// Boxed: it runs once, and a session's future is as large as its
    /// largest await, held by every idle connection for its whole life.
    pub fn finish(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(self.close_handshake())
    }

    async fn close_handshake(mut self) {
        let end = match self.abandoned {
            true => SendEnd::Abandoned,
            false => {
                let reason = self
                    .sending
                    .rx
                    .close
                    .reason()
                    .unwrap_or(CloseReason { code: CloseCode::Normal, reason: String::new() });
                self.sending.say_goodbye(&mut self.socket, reason).await
            }
        };
        match end {
            SendEnd::Abandoned => {}
            SendEnd::CloseSent if self.oversized => tokio::time::sleep(OVERSIZED_LINGER).await,
            SendEnd::CloseSent => {
                let socket = &mut self.socket;
                let drain = async {
                    while let Some(Ok(message)) = socket.next().await {
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

/// One future for every reason a session stops outside its socket and its
/// outbox; `room`: the sender of the room actor it talks to, whose end
/// closing means the actor stopped.
fn stop_watch(shutdown: CancellationToken, room: Option<mpsc::Sender<RoomCmd>>) -> StopWatch {
    Box::pin(async move {
        let room_stopped = async {
            match &room {
                Some(room) => room.closed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = shutdown.cancelled() => Stop::ShuttingDown,
            () = room_stopped => Stop::RoomStopped,
        }
    })
}

/// True if the read failed because the client's message is over the
/// transport limit (the WebSocket layer refuses it before reading it).
fn is_oversized(err: &tungstenite::Error) -> bool {
    matches!(err, tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong { .. }))
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::{lobby_session, room_session, yjs_session};

    /// The size of the future an async function returns: what its task holds
    /// for the connection's whole life, idle or not.
    fn future_size<A, B, C, D, E, F: Future>(_: impl Fn(A, B, C, D, E) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    fn future_size3<A, B, C, F: Future>(_: impl Fn(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// What the reading task of a room connection held before the
    /// connection became one task (debug build), not counting the socket,
    /// which sat aside in the lock it shared with a writer task of 1,152
    /// bytes more.
    const READER_BYTES_BEFORE: usize = 1736;

    /// The room session's future (debug build) while it still held what it
    /// joined with (the token, the room's name, the claims) and its
    /// disconnect command ready made.
    const ROOM_SESSION_BYTES_BEFORE: usize = 1960;

    #[test]
    fn an_idle_room_session_keeps_nothing_of_its_join() {
        let room = future_size(room_session::run);
        assert!(room + 200 <= ROOM_SESSION_BYTES_BEFORE, "the room session's future is {room} bytes");
    }

    #[test]
    fn one_session_future_holds_the_socket_and_the_writes_in_the_readers_old_size() {
        let room = future_size(room_session::run);
        let yjs = future_size(yjs_session::run);
        let lobby = future_size3(lobby_session::run);
        let socket = std::mem::size_of::<super::Socket>();
        for (channel, size) in [("room", room), ("yjs", yjs), ("lobby", lobby)] {
            assert!(size <= READER_BYTES_BEFORE + socket, "the {channel} session's future is {size} bytes");
        }
    }
}
