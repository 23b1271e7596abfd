//! The task that owns a socket's sending half. It batches: whatever is queued
//! when it wakes is fed to the socket and flushed once, so a burst of
//! broadcasts costs one flush rather than one syscall per message. Drag
//! positions are drained from the motion buffer at most once per tick into a
//! single `motion` frame. It also sends the heartbeat pings and the final
//! close frame.
//!
//! Every write has a deadline (`--write-timeout-secs`): a peer that does not
//! take its data in time is given up (the socket is dropped without a close
//! handshake, counted in `jigsync_write_timeouts_total`), and so is a slow
//! consumer (4503) at once, even in the middle of a write. A stuck peer never
//! holds a task, a socket or its buffers for longer than that.

use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use jigsync_schema::{CloseCode, ServerMsg};
use tokio::time::{interval, sleep, sleep_until, timeout, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::outbox::motion::{FULL_TICK, THUMBNAIL_TICK};
use crate::outbox::queue::QueueReceiver;
use crate::outbox::{CloseReason, CloseWatch, Frame, OutboxReceiver};

/// Most frames fed before one flush, so one busy connection still flushes
/// regularly.
const MAX_BATCH: usize = 256;
/// How long a slow consumer's close frame may take: it is sent if the socket
/// has room for it, but the peer is not waited on.
const SLOW_CONSUMER_CLOSE: Duration = Duration::from_millis(250);

type Sink = SplitSink<WebSocket, Message>;

/// How the writer let go of the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterEnd {
    /// The close frame was written: the peer may answer it.
    CloseSent,
    /// The socket was given up without a handshake: it failed, a write
    /// missed its deadline, or the peer was a slow consumer.
    Abandoned,
}

#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    pub ping_every: Duration,
    /// Deadline of every write, the close frame included.
    pub write_timeout: Duration,
}

pub async fn run_writer(
    mut sink: Sink,
    rx: OutboxReceiver,
    settings: WriterSettings,
    shutdown: CancellationToken,
) -> WriterEnd {
    let OutboxReceiver { mut frames, close, motion } = rx;
    let mut ping = interval(settings.ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ping.tick().await;
    // When positions are pending, the next motion flush; the ticks are
    // measured from the last flushes so a steady drag flushes at the tick
    // rate, and a lone move goes out at once.
    let mut motion_due: Option<Instant> = None;
    let start = Instant::now();
    let (mut last_full, mut last_thumbnail) = (start - FULL_TICK, start - THUMBNAIL_TICK);
    let reason = loop {
        tokio::select! {
            biased;
            reason = close.closed() => break reason,
            () = shutdown.cancelled() => {
                break CloseReason { code: CloseCode::GoingAway, reason: "server shutting down".into() };
            }
            frame = frames.recv() => {
                let Some(frame) = frame else {
                    break CloseReason { code: CloseCode::Normal, reason: String::new() };
                };
                if !within(settings.write_timeout, &close, feed_batch(&mut sink, &mut frames, frame.bytes)).await {
                    return abandon(&close);
                }
            }
            () = motion.ready() => {
                let due = (last_full + FULL_TICK).max(Instant::now());
                motion_due = Some(motion_due.map_or(due, |d| d.min(due)));
            }
            () = sleep_until(motion_due.unwrap_or(start)), if motion_due.is_some() => {
                let now = Instant::now();
                let thumbnails = now >= last_thumbnail + THUMBNAIL_TICK;
                let (moves, thumbnails_left) = motion.take(thumbnails);
                last_full = now;
                if thumbnails {
                    last_thumbnail = now;
                }
                motion_due = thumbnails_left.then_some(last_thumbnail + THUMBNAIL_TICK);
                if !moves.is_empty() {
                    metrics::counter!("jigsync_motion_sent_total").increment(moves.len() as u64);
                    let frame = Frame::server(&ServerMsg::Motion { moves });
                    let batch = feed_batch(&mut sink, &mut frames, frame.bytes);
                    if !within(settings.write_timeout, &close, batch).await {
                        return abandon(&close);
                    }
                }
            }
            _ = ping.tick() => {
                let ping = async { sink.send(Message::Ping(Default::default())).await.is_ok() };
                if !within(settings.write_timeout, &close, ping).await {
                    return abandon(&close);
                }
            }
        }
    };
    // Boxed: the close runs once, and an async function's state is as large
    // as its largest await, held by every idle connection's writer.
    Box::pin(say_goodbye(sink, frames, reason, settings.write_timeout)).await
}

/// Sends the close frame (after what was queued before it, unless the peer
/// is a slow consumer) within the write deadline.
async fn say_goodbye(
    mut sink: Sink,
    mut frames: QueueReceiver,
    reason: CloseReason,
    write_timeout: Duration,
) -> WriterEnd {
    if reason.code == CloseCode::SlowConsumer {
        // Its backlog is the reason for closing: drop it, offer the close
        // frame only if there is room for it, and do not wait for the peer.
        let _ = timeout(SLOW_CONSUMER_CLOSE, sink.send(close_frame(reason))).await;
        return WriterEnd::Abandoned;
    }
    let goodbye = async {
        // Frames queued before a requested close (the ack of a `leave` or a
        // `close`) still go out.
        while let Some(frame) = frames.try_recv() {
            if sink.feed(Message::Binary(frame.bytes)).await.is_err() {
                return false;
            }
        }
        if sink.send(close_frame(reason)).await.is_ok() {
            return true;
        }
        // The client closed first: the WebSocket layer refuses our close
        // frame, but has queued its answer to the client's, which a flush
        // sends (then reports the connection closed).
        let _ = sink.flush().await;
        true
    };
    match timeout(write_timeout, goodbye).await {
        Ok(true) => WriterEnd::CloseSent,
        Ok(false) => WriterEnd::Abandoned,
        Err(_) => {
            metrics::counter!("jigsync_write_timeouts_total").increment(1);
            WriterEnd::Abandoned
        }
    }
}

fn close_frame(reason: CloseReason) -> Message {
    Message::Close(Some(CloseFrame { code: reason.code.code(), reason: reason.reason.into() }))
}

/// Runs one write against its deadline; false if it failed, missed the
/// deadline, or the connection was closed as a slow consumer meanwhile.
async fn within(limit: Duration, close: &CloseWatch, write: impl Future<Output = bool>) -> bool {
    tokio::select! {
        biased;
        ok = write => ok,
        () = close.closed_as_slow_consumer() => false,
        () = sleep(limit) => {
            metrics::counter!("jigsync_write_timeouts_total").increment(1);
            false
        }
    }
}

/// The writer gives up the socket: the session must stop reading too.
fn abandon(close: &CloseWatch) -> WriterEnd {
    close.request(CloseCode::SlowConsumer, "the connection did not take its data in time");
    WriterEnd::Abandoned
}

async fn feed_batch(sink: &mut Sink, frames: &mut QueueReceiver, first: bytes::Bytes) -> bool {
    if sink.feed(Message::Binary(first)).await.is_err() {
        return false;
    }
    for _ in 1..MAX_BATCH {
        match frames.try_recv() {
            Some(frame) => {
                if sink.feed(Message::Binary(frame.bytes)).await.is_err() {
                    return false;
                }
            }
            None => break,
        }
    }
    sink.flush().await.is_ok()
}
