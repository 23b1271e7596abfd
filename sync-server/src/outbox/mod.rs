//! The sending half of one connection, as the rest of the server sees it.
//!
//! Reliable frames go through a bounded [`queue`] of pre-encoded [`Frame`]s
//! that holds memory only while frames wait in it: a
//! broadcast encodes once and every recipient gets a cheap clone of the same
//! bytes. A receiver too slow to keep its queue below the bound is closed with
//! [`CloseCode::SlowConsumer`] instead of growing server memory; it resumes
//! from storage when it reconnects. Drag positions take the other path: a
//! [`motion::MotionBuffer`] that keeps only the latest position per piece,
//! drained by the connection once per tick. Both lanes and the close request
//! live in one allocation per connection, with one waker for its task
//! (`shared.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use bytes::Bytes;
use jigsync_schema::{encode, BoardId, CloseCode, Move, PieceId, ServerMsg};

pub mod motion;
pub mod queue;
mod shared;

use motion::Rate;
use queue::{QueueReceiver, QueueSender, Refused};
use shared::Shared;

static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

pub type ConnId = u64;

/// An encoded server message and its tag (for metrics).
#[derive(Debug, Clone)]
pub struct Frame {
    pub bytes: Bytes,
    pub tag: &'static str,
}

impl Frame {
    pub fn encode<T: serde::Serialize>(tag: &'static str, msg: &T) -> Frame {
        Frame { bytes: Bytes::from(encode(msg)), tag }
    }

    pub fn server(msg: &ServerMsg) -> Frame {
        Frame::encode(msg.tag(), msg)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: CloseCode,
    pub reason: String,
}

/// Puts drag positions into one connection's motion buffer.
#[derive(Clone)]
pub struct MotionSender(Arc<Shared>);

impl MotionSender {
    pub fn push(&self, mv: Move, rate: Rate) {
        self.0.push_motion(mv, rate);
    }
}

/// Cloneable handle to a connection's sending side.
#[derive(Clone)]
pub struct Outbox {
    id: ConnId,
    /// Also the handle on the rest of the outbox's shared state.
    frames: QueueSender,
}

/// The connection's end of an [`Outbox`]: three views of one shared
/// state, whose one waker [`OutboxReceiver::register`] sets.
pub struct OutboxReceiver {
    pub frames: QueueReceiver,
    pub close: CloseWatch,
    pub motion: MotionWatch,
}

impl OutboxReceiver {
    /// Wakes the task on the next frame into an empty queue, the last
    /// [`Outbox`] dropped, a close request, or positions into an empty
    /// motion buffer. Called once per poll, before looking at any of them
    /// ([`QueueReceiver::poll_recv_registered`], [`CloseWatch::requested`],
    /// [`MotionWatch::ready`]).
    pub fn register(&self, cx: &mut Context<'_>) {
        self.frames.shared().register(cx.waker());
    }

    /// The waker to poll the connection's other watches with: it wakes the
    /// task, and [`OutboxReceiver::watches_woken`] then says so, so the
    /// connection polls them only when they may have changed.
    pub fn watches_waker(&self) -> Waker {
        Waker::from(self.frames.shared().clone())
    }

    /// True if the watches' waker was woken since the last call, and at the
    /// first call.
    pub fn watches_woken(&self) -> bool {
        self.frames.shared().take_watches_woken()
    }
}

/// The connection's view of the motion buffer.
pub struct MotionWatch(Arc<Shared>);

impl MotionWatch {
    /// True when positions arrived in an empty buffer since the last look;
    /// the task is woken when they do (see [`OutboxReceiver::register`]).
    pub fn ready(&self) -> bool {
        self.0.take_motion_ready()
    }

    /// Takes the full-rate positions, and the thumbnail ones too if
    /// `thumbnails`; also says whether thumbnails remain pending.
    pub fn take(&self, thumbnails: bool) -> (Vec<Move>, bool) {
        let mut buffer = self.0.motion();
        let mut moves = buffer.take_full();
        if thumbnails {
            moves.extend(buffer.take_thumbnails());
        }
        (moves, buffer.has_thumbnails())
    }
}

/// The connection's view of the close request.
pub struct CloseWatch(Arc<Shared>);

pub fn outbox(capacity: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = queue::queue(capacity);
    let shared = rx.shared().clone();
    let id = NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed);
    let receiver = OutboxReceiver { frames: rx, close: CloseWatch(shared.clone()), motion: MotionWatch(shared) };
    (Outbox { id, frames: tx }, receiver)
}

impl Outbox {
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Queues a frame without waiting. Returns false if the connection is
    /// closing or overflowed (and is now being closed).
    pub fn send(&self, frame: Frame) -> bool {
        match self.frames.try_send(frame) {
            Ok(()) => true,
            Err(Refused::Full) => {
                metrics::counter!("jigsync_queue_overflow_total").increment(1);
                self.close(CloseCode::SlowConsumer, "reading too slowly; reconnect to resume");
                false
            }
            Err(Refused::Closed) => false,
        }
    }

    pub fn send_msg(&self, msg: &ServerMsg) -> bool {
        self.send(Frame::server(msg))
    }

    /// Drops pending positions of these pieces (their drag ended).
    pub fn forget_motion(&self, board: BoardId, pieces: &[PieceId]) {
        let mut buffer = self.frames.shared().motion();
        if !buffer.is_empty() {
            buffer.forget(board, pieces);
        }
    }

    /// Records a drag position for the next motion batch (latest wins).
    pub fn push_motion(&self, mv: Move, rate: Rate) {
        self.frames.shared().push_motion(mv, rate);
    }

    /// The motion lane of this connection alone, for a room's list of a
    /// board's readers: it does not keep the connection's queue open (it
    /// holds the shared state, not one of the queue's counted senders).
    pub fn motion_sender(&self) -> MotionSender {
        MotionSender(self.frames.shared().clone())
    }

    /// Asks the connection to close the socket with this code. The first reason
    /// given wins.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.frames.shared().request_close(code, reason);
    }
}

impl CloseWatch {
    /// The reason given, once a close was requested.
    pub fn reason(&self) -> Option<CloseReason> {
        self.0.close_reason()
    }

    /// True once a close was requested; the task is woken when one is (see
    /// [`OutboxReceiver::register`]).
    pub fn requested(&self) -> bool {
        self.0.close_requested()
    }

    /// The connection's own close request (its socket stalled); the
    /// session sees it like any other.
    pub fn request(&self, code: CloseCode, reason: &str) {
        self.0.request_close(code, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_closes_as_slow_consumer_and_keeps_memory_bounded() {
        let (outbox, rx) = outbox(2);
        let frame = Frame { bytes: Bytes::from_static(b"x"), tag: "t" };
        assert!(outbox.send(frame.clone()));
        assert!(outbox.send(frame.clone()));
        assert!(!outbox.send(frame.clone()));
        assert_eq!(rx.close.reason().map(|r| r.code), Some(CloseCode::SlowConsumer));
        assert_eq!(rx.frames.len(), 2);
    }

    #[test]
    fn first_close_reason_wins() {
        let (outbox, rx) = outbox(1);
        outbox.close(CloseCode::Forbidden, "removed");
        outbox.close(CloseCode::GoingAway, "shutdown");
        assert_eq!(rx.close.reason(), Some(CloseReason { code: CloseCode::Forbidden, reason: "removed".into() }));
    }
}
