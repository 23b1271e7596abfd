//! The reliable lane's bounded frame queue of one connection: many senders
//! (the connection's [`super::Outbox`] clones), one receiver (its connection).
//!
//! A channel would allocate its slots up front; this queue holds memory
//! only while frames wait in it, and gives it back once the connection has
//! drained it, so an idle connection's queue costs no heap at all. Most
//! connections are idle most of the time (a class of thirty watching one
//! drag), which is what a server with thousands of them pays for. Its state
//! is part of the outbox's one allocation (`shared.rs`), whose waker it
//! wakes.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};

use super::shared::Shared;
use super::Frame;

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds its capacity already: the receiver is too slow.
    Full,
    /// The receiver is gone.
    Closed,
}

#[derive(Default)]
pub(super) struct Queue {
    frames: VecDeque<Frame>,
    receiver_gone: bool,
}

impl Shared {
    /// The frame queue's lock.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A bounded queue holding at most `capacity` frames (at least one), in an
/// outbox's shared state.
pub fn queue(capacity: usize) -> (QueueSender, QueueReceiver) {
    let shared = Shared::new(capacity);
    (QueueSender(shared.clone()), QueueReceiver(shared))
}

pub struct QueueSender(Arc<Shared>);

impl QueueSender {
    /// Queues a frame without waiting. Wakes the receiver's task only if
    /// the queue was empty: with frames waiting, the receiver is either
    /// taking them or waiting for its socket, which wakes it.
    pub fn try_send(&self, frame: Frame) -> Result<(), Refused> {
        let mut queue = self.0.lock();
        if queue.receiver_gone {
            return Err(Refused::Closed);
        }
        if queue.frames.len() >= self.0.capacity {
            return Err(Refused::Full);
        }
        let was_empty = queue.frames.is_empty();
        queue.frames.push_back(frame);
        if was_empty {
            self.0.frames_waiting.store(true, Ordering::Release);
        }
        drop(queue);
        if was_empty {
            self.0.wake_task();
        }
        Ok(())
    }

    /// The outbox's shared state this queue is part of.
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.0
    }
}

impl Clone for QueueSender {
    fn clone(&self) -> Self {
        self.0.senders.fetch_add(1, Ordering::Relaxed);
        QueueSender(self.0.clone())
    }
}

impl Drop for QueueSender {
    fn drop(&mut self) {
        if self.0.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.wake_task();
        }
    }
}

pub struct QueueReceiver(Arc<Shared>);

impl QueueReceiver {
    /// The next frame, waiting for one; `None` once every sender is gone
    /// and the queue is empty.
    pub async fn recv(&mut self) -> Option<Frame> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`QueueReceiver::recv`] as a poll: the task is woken when a frame
    /// arrives or the last sender leaves.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        // Registered before the look, so a frame sent just after it still
        // wakes the task.
        self.0.register(cx.waker());
        self.poll_recv_registered()
    }

    /// [`QueueReceiver::poll_recv`] for a task that registered its waker
    /// with the outbox already in this poll
    /// ([`super::OutboxReceiver::register`]).
    pub fn poll_recv_registered(&mut self) -> Poll<Option<Frame>> {
        if let Some(frame) = self.try_recv() {
            return Poll::Ready(Some(frame));
        }
        if self.0.senders.load(Ordering::Acquire) == 0 {
            // A frame sent just before the last sender left is still
            // delivered.
            return Poll::Ready(self.try_recv());
        }
        Poll::Pending
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Frame> {
        // A frame queued after this look wakes the task (it found the
        // queue empty), so the look needs no lock.
        if !self.0.frames_waiting.load(Ordering::Acquire) {
            return None;
        }
        let mut queue = self.0.lock();
        let frame = queue.frames.pop_front();
        if queue.frames.is_empty() {
            self.0.frames_waiting.store(false, Ordering::Release);
            if queue.frames.capacity() > 0 {
                // Drained: give the memory back rather than keep a burst's
                // worth for a connection that may now stay quiet for hours.
                queue.frames = VecDeque::new();
            }
        }
        frame
    }

    /// Frames waiting.
    pub fn len(&self) -> usize {
        self.0.lock().frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The outbox's shared state this queue is part of.
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.0
    }
}

impl Drop for QueueReceiver {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.receiver_gone = true;
        // Frames nobody will send are freed now, not with the last sender.
        queue.frames = VecDeque::new();
        self.0.frames_waiting.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frame(n: u8) -> Frame {
        Frame { bytes: Bytes::from(vec![n]), tag: "t" }
    }

    #[tokio::test]
    async fn delivers_in_order_and_refuses_past_capacity() {
        let (tx, mut rx) = queue(2);
        assert_eq!(tx.try_send(frame(1)), Ok(()));
        assert_eq!(tx.try_send(frame(2)), Ok(()));
        assert_eq!(tx.try_send(frame(3)), Err(Refused::Full));
        assert_eq!(rx.len(), 2);
        assert_eq!(rx.recv().await.map(|f| f.bytes), Some(Bytes::from_static(&[1])));
        assert_eq!(tx.try_send(frame(4)), Ok(()), "room again once the receiver took one");
        assert_eq!(rx.try_recv().map(|f| f.bytes), Some(Bytes::from_static(&[2])));
        assert_eq!(rx.try_recv().map(|f| f.bytes), Some(Bytes::from_static(&[4])));
        assert!(rx.try_recv().is_none());
    }

    #[tokio::test]
    async fn holds_no_memory_once_drained() {
        let (tx, mut rx) = queue(64);
        assert_eq!(rx.0.lock().frames.capacity(), 0, "nothing allocated before a frame");
        for n in 0..10 {
            tx.try_send(frame(n)).expect("room");
        }
        assert!(rx.0.lock().frames.capacity() >= 10);
        while rx.try_recv().is_some() {}
        assert_eq!(rx.0.lock().frames.capacity(), 0, "drained queue gives its memory back");
    }

    #[tokio::test]
    async fn ends_when_every_sender_is_gone_after_the_last_frame() {
        let (tx, mut rx) = queue(4);
        let other = tx.clone();
        tx.try_send(frame(1)).expect("room");
        drop(tx);
        let waiting = tokio::spawn(async move {
            let first = rx.recv().await.map(|f| f.bytes);
            (first, rx.recv().await.is_none())
        });
        tokio::task::yield_now().await;
        drop(other);
        let (first, ended) = waiting.await.expect("receiver task");
        assert_eq!(first, Some(Bytes::from_static(&[1])));
        assert!(ended, "no sender left: the receiver sees the end");
    }

    #[tokio::test]
    async fn wakes_a_waiting_receiver() {
        let (tx, mut rx) = queue(4);
        let waiting = tokio::spawn(async move { rx.recv().await.map(|f| f.bytes) });
        tokio::task::yield_now().await;
        tx.try_send(frame(9)).expect("room");
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert_eq!(got.expect("woken in time").expect("task"), Some(Bytes::from_static(&[9])));
    }

    #[test]
    fn refuses_once_the_receiver_is_gone() {
        let (tx, rx) = queue(4);
        drop(rx);
        assert_eq!(tx.try_send(frame(1)), Err(Refused::Closed));
    }
}
