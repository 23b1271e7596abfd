//! The sending half of one connection, as the rest of the server sees it.
//!
//! Reliable frames go through a bounded [`queue`] of pre-encoded [`Frame`]s
//! that holds memory only while frames wait in it: a
//! broadcast encodes once and every recipient gets a cheap clone of the same
//! bytes. A receiver too slow to keep its queue below the bound is closed with
//! [`CloseCode::SlowConsumer`] instead of growing server memory; it resumes
//! from storage when it reconnects. Drag positions take the other path: a
//! [`MotionBuffer`] that keeps only the latest position per piece, drained by
//! the connection once per tick.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use jigsync_schema::{encode, BoardId, CloseCode, Move, PieceId, ServerMsg};

pub mod motion;
pub mod queue;

use motion::{MotionBuffer, Rate};
use queue::{QueueReceiver, QueueSender, Refused};

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

#[derive(Default)]
struct CloseSignal {
    reason: Mutex<Option<CloseReason>>,
    /// Set once `reason` is: the connection checks it on every wake-up
    /// without taking the lock.
    requested: AtomicBool,
    /// The connection's task, woken by the request.
    task: AtomicWaker,
}

#[derive(Default)]
struct MotionShared {
    buffer: Mutex<MotionBuffer>,
    /// Positions arrived in an empty buffer since the connection last looked.
    ready: AtomicBool,
    task: AtomicWaker,
}

impl MotionShared {
    fn push(&self, mv: Move, rate: Rate) {
        let wake = self.buffer.lock().unwrap_or_else(|p| p.into_inner()).push(mv, rate);
        if wake {
            self.ready.store(true, Ordering::Release);
            self.task.wake();
        }
    }
}

/// Puts drag positions into one connection's motion buffer.
#[derive(Clone)]
pub struct MotionSender(Arc<MotionShared>);

impl MotionSender {
    pub fn push(&self, mv: Move, rate: Rate) {
        self.0.push(mv, rate);
    }
}

/// Cloneable handle to a connection's sending side.
#[derive(Clone)]
pub struct Outbox {
    id: ConnId,
    frames: QueueSender,
    close: Arc<CloseSignal>,
    motion: Arc<MotionShared>,
}

/// The connection's end of an [`Outbox`].
pub struct OutboxReceiver {
    pub frames: QueueReceiver,
    pub close: CloseWatch,
    pub motion: MotionWatch,
}

/// The connection's view of the motion buffer.
pub struct MotionWatch(Arc<MotionShared>);

impl MotionWatch {
    /// Ready when positions arrived in an empty buffer since the last look;
    /// the connection's task is woken when they do.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.task.register(cx.waker());
        match self.0.ready.swap(false, Ordering::AcqRel) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }

    /// Takes the full-rate positions, and the thumbnail ones too if
    /// `thumbnails`; also says whether thumbnails remain pending.
    pub fn take(&self, thumbnails: bool) -> (Vec<Move>, bool) {
        let mut buffer = self.0.buffer.lock().unwrap_or_else(|p| p.into_inner());
        let mut moves = buffer.take_full();
        if thumbnails {
            moves.extend(buffer.take_thumbnails());
        }
        (moves, buffer.has_thumbnails())
    }
}

/// Resolves when someone asks the connection to close.
pub struct CloseWatch(Arc<CloseSignal>);

pub fn outbox(capacity: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = queue::queue(capacity);
    let close = Arc::new(CloseSignal::default());
    let motion = Arc::new(MotionShared::default());
    let id = NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed);
    let outbox = Outbox { id, frames: tx, close: close.clone(), motion: motion.clone() };
    (outbox, OutboxReceiver { frames: rx, close: CloseWatch(close), motion: MotionWatch(motion) })
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
        let mut buffer = self.motion.buffer.lock().unwrap_or_else(|p| p.into_inner());
        if !buffer.is_empty() {
            buffer.forget(board, pieces);
        }
    }

    /// Records a drag position for the next motion batch (latest wins).
    pub fn push_motion(&self, mv: Move, rate: Rate) {
        self.motion.push(mv, rate);
    }

    /// The motion lane of this connection alone, for a room's list of a
    /// board's readers: it does not keep the connection's queue open.
    pub fn motion_sender(&self) -> MotionSender {
        MotionSender(self.motion.clone())
    }

    /// Asks the connection to close the socket with this code. The first reason
    /// given wins.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.close.request(code, reason);
    }
}

impl CloseSignal {
    fn request(&self, code: CloseCode, reason: &str) {
        let mut slot = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(CloseReason { code, reason: reason.to_owned() });
            self.requested.store(true, Ordering::Release);
            self.task.wake();
        }
    }
}

impl CloseWatch {
    /// The reason given, once a close was requested.
    pub fn reason(&self) -> Option<CloseReason> {
        if !self.0.requested.load(Ordering::Acquire) {
            return None;
        }
        self.0.reason.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// True once a close was requested; the connection's task is woken
    /// when one is.
    pub fn poll_requested(&self, cx: &mut Context<'_>) -> bool {
        self.0.task.register(cx.waker());
        self.0.requested.load(Ordering::Acquire)
    }

    /// The connection's own close request (its socket stalled); the
    /// session sees it like any other.
    pub fn request(&self, code: CloseCode, reason: &str) {
        self.0.request(code, reason);
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
