//! The task that owns a socket's sending half. It batches: whatever is queued
//! when it wakes is fed to the socket and flushed once, so a burst of
//! broadcasts costs one flush rather than one syscall per message. Drag
//! positions are drained from the motion buffer at most once per tick into a
//! single `motion` frame. It also sends the heartbeat pings and the final
//! close frame.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use jigsync_schema::{CloseCode, ServerMsg};
use tokio::time::{interval, sleep_until, timeout, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::motion::{FULL_TICK, THUMBNAIL_TICK};
use super::outbox::{CloseReason, Frame, OutboxReceiver};

/// Most frames fed before one flush, so one busy connection still flushes
/// regularly.
const MAX_BATCH: usize = 256;
/// How long the close handshake may take before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run_writer(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: OutboxReceiver,
    ping_every: Duration,
    shutdown: CancellationToken,
) {
    let mut ping = interval(ping_every);
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
            reason = rx.close.closed() => break reason,
            () = shutdown.cancelled() => {
                break CloseReason { code: CloseCode::GoingAway, reason: "server shutting down".into() };
            }
            frame = rx.frames.recv() => {
                let Some(frame) = frame else {
                    break CloseReason { code: CloseCode::Normal, reason: String::new() };
                };
                if !feed_batch(&mut sink, &mut rx, frame.bytes).await {
                    return;
                }
            }
            () = rx.motion.ready() => {
                let due = (last_full + FULL_TICK).max(Instant::now());
                motion_due = Some(motion_due.map_or(due, |d| d.min(due)));
            }
            () = sleep_until(motion_due.unwrap_or(start)), if motion_due.is_some() => {
                let now = Instant::now();
                let thumbnails = now >= last_thumbnail + THUMBNAIL_TICK;
                let (moves, thumbnails_left) = rx.motion.take(thumbnails);
                last_full = now;
                if thumbnails {
                    last_thumbnail = now;
                }
                motion_due = thumbnails_left.then_some(last_thumbnail + THUMBNAIL_TICK);
                if !moves.is_empty() {
                    metrics::counter!("jigsync_motion_sent_total").increment(moves.len() as u64);
                    let frame = Frame::server(&ServerMsg::Motion { moves });
                    if !feed_batch(&mut sink, &mut rx, frame.bytes).await {
                        return;
                    }
                }
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    };
    let goodbye = async {
        // Frames queued before a requested close (the ack of a `leave` or a
        // `close`) still go out; a slow consumer's backlog does not, since it
        // is the reason for closing.
        if reason.code != CloseCode::SlowConsumer {
            while let Ok(frame) = rx.frames.try_recv() {
                if sink.feed(Message::Binary(frame.bytes)).await.is_err() {
                    return;
                }
            }
        }
        let close = CloseFrame { code: reason.code.code(), reason: reason.reason.into() };
        let _ = sink.send(Message::Close(Some(close))).await;
    };
    let _ = timeout(CLOSE_TIMEOUT, goodbye).await;
}

async fn feed_batch(sink: &mut SplitSink<WebSocket, Message>, rx: &mut OutboxReceiver, first: bytes::Bytes) -> bool {
    if sink.feed(Message::Binary(first)).await.is_err() {
        return false;
    }
    for _ in 1..MAX_BATCH {
        match rx.frames.try_recv() {
            Ok(frame) => {
                if sink.feed(Message::Binary(frame.bytes)).await.is_err() {
                    return false;
                }
            }
            Err(_) => break,
        }
    }
    sink.flush().await.is_ok()
}
