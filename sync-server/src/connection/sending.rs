//! The sending side of a connection, driven by the connection's one task
//! between its reads (see [`super::Connection`]). It batches: whatever is
//! queued when a write starts is fed to the socket and flushed once, so a
//! burst of broadcasts costs one flush rather than one syscall per message.
//! Drag positions are drained from the motion buffer at most once per tick
//! into a single `motion` frame. It also sends the heartbeat pings and the
//! final close frame.
//!
//! Poll-based rather than an async loop of its own: all its state lives in
//! [`Sending`], so the connection can drop and resume the wait at any point
//! (the lobby races it against its own changes) and an idle connection holds
//! no future for it. Every write has a deadline (`--write-timeout-secs`),
//! which the connection checks: a peer that does not take its data in time
//! is given up (the socket is dropped without a close handshake, counted in
//! `jigsync_write_timeouts_total`), and so is a slow consumer (4503) at once,
//! even in the middle of a write.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, SinkExt};
use jigsync_schema::{CloseCode, ServerMsg};
use tokio::time::{timeout, Instant};
use tungstenite::protocol::CloseFrame;
use tungstenite::Message;

use super::socket::Socket;
use crate::outbox::motion::{FULL_TICK, THUMBNAIL_TICK};
use crate::outbox::{CloseReason, Frame, OutboxReceiver};

/// Most frames fed before one flush, so one busy connection still flushes
/// regularly.
const MAX_BATCH: usize = 256;
/// How long a slow consumer's close frame may take: it is sent if the socket
/// has room for it, but the peer is not waited on.
const SLOW_CONSUMER_CLOSE: Duration = Duration::from_millis(250);

/// How the connection let go of the socket's sending side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendEnd {
    /// The close frame was written: the peer may answer it.
    CloseSent,
    /// The socket was given up without a handshake: it failed, a write
    /// missed its deadline, or the peer was a slow consumer.
    Abandoned,
}

/// The socket refused a write: it is given up.
#[derive(Debug)]
pub struct WriteFailed;

pub struct Sending {
    pub rx: OutboxReceiver,
    /// A message taken for the batch in flight that the socket has not
    /// accepted yet.
    pending: Option<Message>,
    /// Set while a batch is in flight: it must be flushed by then.
    deadline: Option<Instant>,
    /// Messages fed in the batch in flight.
    fed: usize,
    /// Whether queued frames may join the batch in flight (not a ping's).
    batch_takes_frames: bool,
    write_timeout: Duration,
    ping_every: Duration,
    ping_due: Instant,
    /// When positions are pending, the next motion flush; the ticks are
    /// measured from the last flushes so a steady drag flushes at the tick
    /// rate, and a lone move goes out at once.
    motion_due: Option<Instant>,
    last_full: Instant,
    last_thumbnail: Instant,
    /// The connection's timer fired since the last look at what is due.
    woken: bool,
}

impl Sending {
    pub fn new(rx: OutboxReceiver, ping_every: Duration, write_timeout: Duration) -> Sending {
        let start = Instant::now();
        Sending {
            rx,
            pending: None,
            deadline: None,
            fed: 0,
            batch_takes_frames: false,
            write_timeout,
            ping_every,
            ping_due: start + ping_every,
            motion_due: None,
            last_full: start - FULL_TICK,
            last_thumbnail: start - THUMBNAIL_TICK,
            woken: false,
        }
    }

    /// When the connection's timer must next wake this side: the deadline
    /// of the write in flight, else the next ping or motion flush.
    pub fn wake_at(&self) -> Instant {
        match self.deadline {
            Some(deadline) => deadline,
            None => self.motion_due.map_or(self.ping_due, |due| due.min(self.ping_due)),
        }
    }

    /// The connection's timer fired: what is due is looked at on the next
    /// [`Sending::drive`]. False if the write in flight missed its deadline.
    pub fn on_timer(&mut self, now: Instant) -> bool {
        self.woken = true;
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            metrics::counter!("jigsync_write_timeouts_total").increment(1);
            return false;
        }
        true
    }

    /// Moves the writes on as far as the socket allows without waiting, in
    /// the order the connection has always chosen: the batch in flight,
    /// then queued frames, then drag positions when due, then the ping.
    /// The caller registered the task with the outbox in this poll
    /// ([`OutboxReceiver::register`]).
    pub fn drive(&mut self, socket: &mut Socket, cx: &mut Context<'_>) -> Result<(), WriteFailed> {
        let mut now = None;
        if self.rx.motion.ready() {
            let now = *now.get_or_insert_with(Instant::now);
            let due = (self.last_full + FULL_TICK).max(now);
            self.motion_due = Some(self.motion_due.map_or(due, |d| d.min(due)));
            self.woken = true;
        }
        loop {
            if self.deadline.is_some() {
                if !self.write(socket, cx)? {
                    return Ok(());
                }
                continue;
            }
            if let Poll::Ready(frame) = self.rx.frames.poll_recv_registered() {
                match frame {
                    Some(frame) => self.start(Message::Binary(frame.bytes), true, &mut now),
                    // Every sender is gone (the connection holds one, so
                    // this is only a safeguard): an ordinary close.
                    None => {
                        self.rx.close.request(CloseCode::Normal, "");
                        return Ok(());
                    }
                }
                continue;
            }
            if !self.woken {
                return Ok(());
            }
            let at = *now.get_or_insert_with(Instant::now);
            if self.motion_due.is_some_and(|due| at >= due) {
                if let Some(frame) = self.take_motion(at) {
                    self.start(Message::Binary(frame.bytes), true, &mut now);
                    continue;
                }
            }
            if at >= self.ping_due {
                // As an interval that delays missed ticks: the next ping a
                // full period after this one.
                self.ping_due = at + self.ping_every;
                self.start(Message::Ping(Default::default()), false, &mut now);
                continue;
            }
            self.woken = false;
            return Ok(());
        }
    }

    fn start(&mut self, first: Message, takes_frames: bool, now: &mut Option<Instant>) {
        self.pending = Some(first);
        self.fed = 0;
        self.batch_takes_frames = takes_frames;
        self.deadline = Some(*now.get_or_insert_with(Instant::now) + self.write_timeout);
    }

    /// Moves the batch in flight on; true once it is flushed, false while
    /// the socket is not ready for more.
    fn write(&mut self, socket: &mut Socket, cx: &mut Context<'_>) -> Result<bool, WriteFailed> {
        loop {
            if let Some(message) = self.pending.take() {
                match Pin::new(&mut *socket).poll_ready(cx) {
                    Poll::Ready(Ok(())) => Pin::new(&mut *socket).start_send(message).map_err(|_| WriteFailed)?,
                    Poll::Ready(Err(_)) => return Err(WriteFailed),
                    Poll::Pending => {
                        self.pending = Some(message);
                        return Ok(false);
                    }
                }
                self.fed += 1;
            }
            if self.batch_takes_frames && self.fed < MAX_BATCH {
                if let Some(frame) = self.rx.frames.try_recv() {
                    self.pending = Some(Message::Binary(frame.bytes));
                    continue;
                }
            }
            // The batch is whatever was queued up to here: frames arriving
            // during its flush wait for the next one.
            self.batch_takes_frames = false;
            return match Pin::new(&mut *socket).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.deadline = None;
                    Ok(true)
                }
                Poll::Ready(Err(_)) => Err(WriteFailed),
                Poll::Pending => Ok(false),
            };
        }
    }

    /// The positions due now as one frame, if there are any.
    fn take_motion(&mut self, now: Instant) -> Option<Frame> {
        let thumbnails = now >= self.last_thumbnail + THUMBNAIL_TICK;
        let (moves, thumbnails_left) = self.rx.motion.take(thumbnails);
        self.last_full = now;
        if thumbnails {
            self.last_thumbnail = now;
        }
        self.motion_due = thumbnails_left.then_some(self.last_thumbnail + THUMBNAIL_TICK);
        if moves.is_empty() {
            return None;
        }
        metrics::counter!("jigsync_motion_sent_total").increment(moves.len() as u64);
        Some(Frame::server(&ServerMsg::Motion { moves }))
    }

    /// Sends the close frame (after the batch in flight and what was
    /// queued before it, unless the peer is a slow consumer) within the
    /// write deadline.
    pub async fn say_goodbye(&mut self, socket: &mut Socket, reason: CloseReason) -> SendEnd {
        if reason.code == CloseCode::SlowConsumer {
            // Its backlog is the reason for closing: drop it, offer the close
            // frame only if there is room for it, and do not wait for the peer.
            let _ = timeout(SLOW_CONSUMER_CLOSE, socket.send(close_frame(reason))).await;
            return SendEnd::Abandoned;
        }
        let (pending, frames) = (self.pending.take(), &mut self.rx.frames);
        let goodbye = async {
            // Frames queued before a requested close (the ack of a `leave` or
            // a `close`) still go out.
            if let Some(message) = pending {
                if socket.feed(message).await.is_err() {
                    return false;
                }
            }
            while let Some(frame) = frames.try_recv() {
                if socket.feed(Message::Binary(frame.bytes)).await.is_err() {
                    return false;
                }
            }
            if socket.send(close_frame(reason)).await.is_ok() {
                return true;
            }
            // The client closed first: the WebSocket layer refuses our close
            // frame, but has queued its answer to the client's, which a flush
            // sends (then reports the connection closed).
            let _ = socket.flush().await;
            true
        };
        match timeout(self.write_timeout, goodbye).await {
            Ok(true) => SendEnd::CloseSent,
            Ok(false) => SendEnd::Abandoned,
            Err(_) => {
                metrics::counter!("jigsync_write_timeouts_total").increment(1);
                SendEnd::Abandoned
            }
        }
    }
}

fn close_frame(reason: CloseReason) -> Message {
    Message::Close(Some(CloseFrame { code: reason.code.code().into(), reason: reason.reason.into() }))
}
