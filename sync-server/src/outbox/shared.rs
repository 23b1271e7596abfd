//! What one connection's outbox shares between its senders and its
//! connection, in one allocation: the frame queue ([`super::queue`]), the
//! close request and the motion buffer, with one waker for the connection's
//! task that all three wake. The task registers it once per look at the
//! outbox rather than once per source: at 30 rooms the three registrations
//! were the largest single item of the move path's profile, and three
//! allocations per connection were idle memory (benches/README.md).
//!
//! It is also the waker the connection polls its other watches with (its
//! stop reasons): waking it wakes the task and notes that the watches must
//! be looked at, so a wake-up for a frame or a position does not poll them.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};

use futures_util::task::AtomicWaker;
use jigsync_schema::{CloseCode, Move};

use super::motion::{MotionBuffer, Rate};
use super::queue::Queue;
use super::CloseReason;

/// Laid out as declared (`repr(C)`), with what every poll of the
/// connection reads first and together: the waker, the flags and the
/// sender count fit in 32 bytes, one cache line mostly, where the three
/// allocations this replaced cost a cache miss each (the connection's poll
/// touches a different outbox every time, and the misses were most of what
/// the registrations cost in the profile).
#[repr(C)]
pub(super) struct Shared {
    /// The connection's task.
    task: AtomicWaker,
    /// Set once `close` is: checked on every wake-up without the lock.
    close_requested: AtomicBool,
    /// Positions arrived in an empty buffer since the connection last looked.
    motion_ready: AtomicBool,
    /// Woken as its other watches' waker since the connection last looked
    /// (set at first, so it polls them once to register).
    watches_woken: AtomicBool,
    /// The frame queue holds frames: changed only under its lock, read
    /// without it, so a poll of a connection with nothing queued does not
    /// take the lock.
    pub(super) frames_waiting: AtomicBool,
    /// Live [`super::queue::QueueSender`]s; at zero the receiver sees the
    /// end. Counted apart from the references to this allocation, so a
    /// room's motion senders do not keep the queue open.
    pub(super) senders: AtomicU32,
    /// The frame queue's frames, behind the queue's own lock: the motion
    /// lane and the close request never wait on it.
    pub(super) queue: Mutex<Queue>,
    pub(super) capacity: usize,
    close: Mutex<Option<CloseReason>>,
    motion: Mutex<MotionBuffer>,
}

impl Shared {
    /// Holding at most `capacity` frames (at least one), with one sender.
    pub(super) fn new(capacity: usize) -> Arc<Shared> {
        Arc::new(Shared {
            task: AtomicWaker::new(),
            close_requested: AtomicBool::new(false),
            motion_ready: AtomicBool::new(false),
            watches_woken: AtomicBool::new(true),
            frames_waiting: AtomicBool::new(false),
            senders: AtomicU32::new(1),
            queue: Mutex::new(Queue::default()),
            capacity: capacity.max(1),
            close: Mutex::new(None),
            motion: Mutex::new(MotionBuffer::default()),
        })
    }

    /// Wakes the task on the next change of any of the three. To be called
    /// before looking at them, so a change just after the look still wakes it.
    pub(super) fn register(&self, waker: &Waker) {
        self.task.register(waker);
    }

    pub(super) fn wake_task(&self) {
        self.task.wake();
    }

    /// True if the watches' waker was woken since the last call.
    pub(super) fn take_watches_woken(&self) -> bool {
        take_flag(&self.watches_woken)
    }

    /// Records a close request; the first reason given wins, and only it
    /// wakes the task.
    pub(super) fn request_close(&self, code: CloseCode, reason: &str) {
        let mut slot = self.close.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(CloseReason { code, reason: reason.to_owned() });
            self.close_requested.store(true, Ordering::Release);
            drop(slot);
            self.wake_task();
        }
    }

    pub(super) fn close_requested(&self) -> bool {
        self.close_requested.load(Ordering::Acquire)
    }

    pub(super) fn close_reason(&self) -> Option<CloseReason> {
        if !self.close_requested() {
            return None;
        }
        self.close.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keeps `mv` as its piece's latest position; wakes the task only when
    /// the buffer had nothing of this rate pending (a drag's later moves
    /// wait for the flush it schedules).
    pub(super) fn push_motion(&self, mv: Move, rate: Rate) {
        let first = self.motion().push(mv, rate);
        if first {
            self.motion_ready.store(true, Ordering::Release);
            self.wake_task();
        }
    }

    /// True if positions arrived in an empty buffer since the last call.
    pub(super) fn take_motion_ready(&self) -> bool {
        take_flag(&self.motion_ready)
    }

    pub(super) fn motion(&self) -> MutexGuard<'_, MotionBuffer> {
        self.motion.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Clears `flag` and says whether it was set; read first, since it is
/// mostly clear and a read does not claim the cache line as a write does.
fn take_flag(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Acquire) && flag.swap(false, Ordering::AcqRel)
}

/// The waker of the connection's other watches.
impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.watches_woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use bytes::Bytes;
    use jigsync_schema::{CloseCode, Move, PieceId};

    use crate::outbox::motion::Rate;
    use crate::outbox::{outbox, Frame, OutboxReceiver};

    /// A task that only counts how often it was woken.
    #[derive(Default)]
    struct Task(AtomicUsize);

    impl Wake for Task {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Task {
        fn new() -> (Arc<Task>, Waker) {
            let task = Arc::new(Task::default());
            (task.clone(), Waker::from(task))
        }

        fn woken(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// What the connection does at the start of each poll.
    fn register(rx: &OutboxReceiver, waker: &Waker) {
        rx.register(&mut Context::from_waker(waker));
    }

    fn frame() -> Frame {
        Frame { bytes: Bytes::from_static(b"x"), tag: "t" }
    }

    fn mv(piece: PieceId) -> Move {
        Move { board: 1, piece, x: 0.0, y: 0.0, seq: 1, t: 0 }
    }

    #[test]
    fn what_every_poll_reads_is_in_the_first_32_bytes() {
        use super::Shared;
        use std::mem::offset_of;
        for end in [
            offset_of!(Shared, task) + size_of::<futures_util::task::AtomicWaker>(),
            offset_of!(Shared, close_requested) + 1,
            offset_of!(Shared, motion_ready) + 1,
            offset_of!(Shared, watches_woken) + 1,
            offset_of!(Shared, frames_waiting) + 1,
            offset_of!(Shared, senders) + size_of::<AtomicU32>(),
        ] {
            assert!(end <= 32, "a field every poll reads ends at byte {end}");
        }
    }

    #[test]
    fn a_frame_wakes_the_task_only_into_an_empty_queue() {
        let (outbox, mut rx) = outbox(8);
        let (task, waker) = Task::new();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.frames.poll_recv(&mut cx).is_pending());
        assert!(outbox.send(frame()));
        assert_eq!(task.woken(), 1);
        assert!(outbox.send(frame()));
        // Took one, one still waits (as when its socket is busy): the next
        // frame need not wake it.
        assert!(rx.frames.poll_recv(&mut cx).is_ready());
        assert!(outbox.send(frame()));
        assert_eq!(task.woken(), 1, "a frame into a non-empty queue does not wake the task");
        while rx.frames.try_recv().is_some() {}
        assert!(rx.frames.poll_recv(&mut cx).is_pending());
        assert!(outbox.send(frame()));
        assert_eq!(task.woken(), 2, "an emptied queue wakes it again");
    }

    #[test]
    fn motion_wakes_the_task_only_into_an_empty_buffer() {
        let (outbox, rx) = outbox(8);
        let sender = outbox.motion_sender();
        let (task, waker) = Task::new();
        register(&rx, &waker);
        assert!(!rx.motion.ready());
        sender.push(mv(1), Rate::Full);
        assert_eq!(task.woken(), 1);
        register(&rx, &waker);
        assert!(rx.motion.ready());
        sender.push(mv(2), Rate::Full);
        outbox.push_motion(mv(1), Rate::Full);
        assert_eq!(task.woken(), 1, "positions into a non-empty buffer do not wake the task");
        assert!(!rx.motion.ready());
        assert_eq!(rx.motion.take(true).0.len(), 2);
        register(&rx, &waker);
        sender.push(mv(3), Rate::Thumbnail);
        assert_eq!(task.woken(), 2, "an emptied buffer wakes it again");
        assert!(rx.motion.ready());
    }

    #[test]
    fn only_the_first_close_request_wakes_the_task() {
        let (outbox, rx) = outbox(8);
        let (task, waker) = Task::new();
        register(&rx, &waker);
        assert!(!rx.close.requested());
        outbox.close(CloseCode::Forbidden, "removed");
        assert_eq!(task.woken(), 1);
        register(&rx, &waker);
        assert!(rx.close.requested());
        outbox.close(CloseCode::GoingAway, "shutdown");
        rx.close.request(CloseCode::SlowConsumer, "stalled");
        assert_eq!(task.woken(), 1);
        assert_eq!(rx.close.reason().map(|r| r.code), Some(CloseCode::Forbidden));
    }

    #[test]
    fn one_registration_covers_the_queue_the_motion_buffer_and_the_close_request() {
        let (outbox, mut rx) = outbox(8);
        let (task, waker) = Task::new();
        let mut cx = Context::from_waker(&waker);
        // The task looks at the frame queue alone...
        assert!(rx.frames.poll_recv(&mut cx).is_pending());
        // ...and is woken by a position, then (looking at the queue alone
        // again) by a close request.
        outbox.push_motion(mv(1), Rate::Full);
        assert_eq!(task.woken(), 1, "woken by the motion buffer");
        assert!(rx.frames.poll_recv(&mut cx).is_pending());
        outbox.close(CloseCode::Forbidden, "removed");
        assert_eq!(task.woken(), 2, "woken by the close request");
    }

    #[test]
    fn the_watches_waker_wakes_the_task_and_is_noted_once() {
        let (outbox, rx) = outbox(8);
        let (task, waker) = Task::new();
        register(&rx, &waker);
        assert!(rx.watches_woken(), "looked at once at first");
        assert!(!rx.watches_woken());
        let watches = rx.watches_waker();
        watches.wake_by_ref();
        assert_eq!(task.woken(), 1);
        assert!(rx.watches_woken());
        assert!(!rx.watches_woken(), "noted once");
        register(&rx, &waker);
        outbox.push_motion(mv(1), Rate::Full);
        assert_eq!(task.woken(), 2);
        assert!(!rx.watches_woken(), "the outbox's own wakes do not count");
        register(&rx, &waker);
        watches.wake();
        assert_eq!(task.woken(), 3);
        assert!(rx.watches_woken());
    }

    #[test]
    fn the_queue_ends_with_the_last_outbox_while_a_motion_sender_lives() {
        let (outbox, mut rx) = outbox(8);
        let motion = outbox.motion_sender();
        let other = outbox.clone();
        let (task, waker) = Task::new();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.frames.poll_recv(&mut cx).is_pending());
        drop(outbox);
        assert_eq!(task.woken(), 0, "one outbox is left");
        assert!(rx.frames.poll_recv(&mut cx).is_pending());
        drop(other);
        assert_eq!(task.woken(), 1, "the last outbox's drop wakes the task");
        assert!(matches!(rx.frames.poll_recv(&mut cx), Poll::Ready(None)), "a motion sender does not keep it open");
        motion.push(mv(1), Rate::Full);
        assert!(rx.motion.ready(), "the motion lane still works");
    }
}
