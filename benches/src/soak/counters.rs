//! Running totals every connection of the soak adds to (relaxed atomics:
//! the generator runs on one thread, and readers only need each figure,
//! not a consistent cut), read by the per-minute table. Also the first few
//! error descriptions, so a failed run says what went wrong.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// How many error descriptions are kept.
const KEPT_ERRORS: usize = 20;

#[derive(Default)]
pub struct Counters {
    /// Connections open now.
    pub connected: AtomicI64,
    /// Positions sent by students, and received by teachers.
    pub moves_sent: AtomicU64,
    pub moves_received: AtomicU64,
    /// Drops (board writes releasing a piece) sent, and acknowledged.
    pub drops_sent: AtomicU64,
    pub drops_acked: AtomicU64,
    pub chats_sent: AtomicU64,
    pub chats_acked: AtomicU64,
    /// Chats whose connection dropped before their ack came.
    pub chats_unacked: AtomicU64,
    /// Chat deliveries received, live or in a resumed welcome's history.
    pub chats_received: AtomicU64,
    pub chats_replayed: AtomicU64,
    /// Connections dropped on purpose and opened again, and how many of
    /// those got their resumed welcome.
    pub reconnects: AtomicU64,
    pub resumes: AtomicU64,
    /// Error frames, close frames from the server, connections that ended
    /// without being dropped on purpose, reconnects that failed.
    pub errors: AtomicU64,
    kept: Mutex<Vec<String>>,
}

/// The counters at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    pub connected: i64,
    pub moves_sent: u64,
    pub moves_received: u64,
    pub drops_sent: u64,
    pub drops_acked: u64,
    pub chats_sent: u64,
    pub chats_acked: u64,
    pub chats_unacked: u64,
    pub chats_received: u64,
    pub chats_replayed: u64,
    pub reconnects: u64,
    pub resumes: u64,
    pub errors: u64,
}

pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// Counts an error and keeps its description if there is room.
    pub fn error(&self, what: impl FnOnce() -> String) {
        bump(&self.errors);
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() < KEPT_ERRORS {
                kept.push(what());
            }
        }
    }

    pub fn open(&self, delta: i64) {
        self.connected.fetch_add(delta, Ordering::Relaxed);
    }

    pub fn kept_errors(&self) -> Vec<String> {
        self.kept.lock().map(|k| k.clone()).unwrap_or_default()
    }

    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            connected: self.connected.load(Ordering::Relaxed),
            moves_sent: get(&self.moves_sent),
            moves_received: get(&self.moves_received),
            drops_sent: get(&self.drops_sent),
            drops_acked: get(&self.drops_acked),
            chats_sent: get(&self.chats_sent),
            chats_acked: get(&self.chats_acked),
            chats_unacked: get(&self.chats_unacked),
            chats_received: get(&self.chats_received),
            chats_replayed: get(&self.chats_replayed),
            reconnects: get(&self.reconnects),
            resumes: get(&self.resumes),
            errors: get(&self.errors),
        }
    }
}
