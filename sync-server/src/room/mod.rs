//! Rooms: one task (actor) per live room, and the registry that finds or
//! starts it.
//!
//! - [`core`]: the room's rules as plain state: given an input, the writes
//!   to commit and, once they are, the effects to deliver. No I/O.
//! - [`actor`]: the thin loop around the core: take a command, stage it,
//!   commit the writes, apply, deliver. One command at a time, so the
//!   room's state needs no lock and per-room order is the order of commands
//!   (a connection's relayed moves wait while a request of it is queued).
//! - [`audience`]: the seam every delivery goes through to the outboxes.
//! - [`motion_table`]: what relaying a drag position needs, copied by the
//!   actor after each change, so that the session reading a move relays it
//!   itself when the core would only relay it.
//! - [`supervisor`]: runs each actor as its own task and counts its
//!   failure; [`env`]: what an actor may use of the world outside.
//!
//! The [`RoomRegistry`] maps room ids to running actors, starting one on
//! first use; an actor with nobody connected stops after `--room-idle-secs`.

pub mod actor;
pub mod audience;
pub mod board_pieces;
pub mod board_readers;
pub mod core;
pub mod env;
pub mod lease;
pub mod motion_table;
mod start_stop;
pub mod supervisor;
#[cfg(test)]
mod test_class;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jigsync_schema::{BoardId, ClientMsg, Role};
use tokio::sync::{mpsc, oneshot};

pub use self::core::admission::ConnectError;
pub use self::core::boards::{BoardList, PuzzleSpec};
pub use self::core::YjsIn;
use crate::error::ApiError;
use crate::outbox::{ConnId, Outbox};
use crate::storage::MemberRow;
use env::RoomEnv;
use motion_table::MotionTable;

/// Commands a room actor accepts.
pub enum RoomCmd {
    /// A connection opened for `user`; the actor sends it a welcome (with the
    /// messages after `since`, if given) and replies.
    Connect {
        user: String,
        outbox: Outbox,
        since: Option<u64>,
        reply: oneshot::Sender<Result<(), ConnectError>>,
    },
    Disconnect {
        conn: ConnId,
    },
    /// A decoded, rate-checked request; the actor answers on the
    /// connection's outbox.
    Request {
        conn: ConnId,
        msg: ClientMsg,
    },
    /// A teacher starts a puzzle (HTTP API).
    StartPuzzle {
        by: String,
        spec: PuzzleSpec,
        reply: oneshot::Sender<Result<BoardList, ApiError>>,
    },
    /// The boards `user` may see (HTTP API).
    ListBoards {
        user: String,
        reply: oneshot::Sender<Result<BoardList, ApiError>>,
    },
    /// A standard Yjs sync connection opened on one board.
    ConnectYjs {
        user: String,
        board: BoardId,
        outbox: Outbox,
        reply: oneshot::Sender<Result<(), ConnectError>>,
    },
    /// A y-protocols message from a Yjs connection.
    Yjs {
        conn: ConnId,
        msg: YjsIn,
    },
    DisconnectYjs {
        conn: ConnId,
    },
    /// A new participant joined through the HTTP API.
    AddMember {
        name: String,
        role: Role,
        reply: oneshot::Sender<Result<MemberRow, ApiError>>,
    },
    /// Deletes the room with everything in it, closes its connections with
    /// 4404 and stops; replies with the uploads no room uses any more (see
    /// [`crate::storage::Storage::delete_room`]).
    Delete {
        reply: oneshot::Sender<Result<Vec<String>, ConnectError>>,
    },
    /// Closes the room if nobody is connected to it (`--close-idle-hours`);
    /// replies whether it did.
    CloseIdle {
        reply: oneshot::Sender<bool>,
    },
    /// Makes the actor panic, to test what its failure does (only with
    /// `--test-hooks`).
    FailForTest,
    /// Keeps the actor from its queue for this long, as a slow commit
    /// would, so that the queue fills (only with `--test-hooks`).
    StallForTest(Duration),
    /// Makes the next write to a board panic inside its yrs guard (only
    /// with `--test-hooks`).
    FailNextBoardWriteForTest {
        board: BoardId,
        reply: oneshot::Sender<bool>,
    },
    /// A comparable picture of the room's state (for the failed-commit
    /// tests).
    Snapshot {
        reply: oneshot::Sender<core::snapshot::CoreSnapshot>,
    },
    /// Whether this node serves the room (several nodes).
    Locate {
        reply: oneshot::Sender<Location>,
    },
    /// Another node asks for the room because a client reached it there
    /// (several nodes): if nobody is connected here, the actor stops and
    /// gives its lease back before replying true.
    HandOver {
        reply: oneshot::Sender<bool>,
    },
}

/// Where a room is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// By this node.
    Here,
    /// By another node, which holds the room's lease.
    Elsewhere { node: String },
}

#[derive(Clone)]
pub struct RoomHandle {
    pub tx: mpsc::Sender<RoomCmd>,
    /// The actor's motion table: sessions relay held pieces' moves there.
    pub motion: Arc<MotionTable>,
    generation: u64,
}

impl RoomHandle {
    /// Sends `cmd(conn)` when the returned guard is dropped, however the
    /// holder ends: a session cannot forget to say it left. The command is
    /// made only then: a session holds the guard for its whole life, and a
    /// command is several times the size of what makes it.
    pub fn on_drop(&self, conn: ConnId, cmd: fn(ConnId) -> RoomCmd) -> OnDrop {
        OnDrop { tx: self.tx.clone(), conn, cmd }
    }
}

/// Sends its command to the room when dropped (see [`RoomHandle::on_drop`]).
pub struct OnDrop {
    tx: mpsc::Sender<RoomCmd>,
    conn: ConnId,
    cmd: fn(ConnId) -> RoomCmd,
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Err(mpsc::error::TrySendError::Full(cmd)) = self.tx.try_send((self.cmd)(self.conn)) {
            // The room is busy: wait for room in its queue off this task.
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(cmd).await;
            });
        }
    }
}

/// Commands queued per room before senders wait.
const ROOM_QUEUE: usize = 1024;
/// A command whose actor stopped just as it was sent is retried on a fresh
/// actor this many times.
const ATTEMPTS: usize = 3;

pub struct RoomRegistry {
    env: Arc<RoomEnv>,
    rooms: Arc<Mutex<HashMap<String, RoomHandle>>>,
    next_generation: AtomicU64,
}

impl RoomRegistry {
    pub fn new(env: Arc<RoomEnv>) -> Self {
        RoomRegistry { env, rooms: Arc::default(), next_generation: AtomicU64::new(0) }
    }

    /// The running actor for `room`, started if there is none.
    pub fn handle(&self, room: &str) -> RoomHandle {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = rooms.get(room) {
            if !handle.tx.is_closed() {
                return handle.clone();
            }
        }
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let motion = Arc::new(MotionTable::default());
        let handle = RoomHandle { tx, motion: motion.clone(), generation };
        rooms.insert(room.to_owned(), handle.clone());
        let stopped = Stopped { rooms: self.rooms.clone(), room: room.to_owned(), generation };
        let actor = (room.to_owned(), rx, motion);
        self.env.tasks.spawn(supervisor::supervise(self.env.clone(), actor, stopped));
        handle
    }

    /// The running actor for `room`, if any; never starts one.
    pub fn get(&self, room: &str) -> Option<RoomHandle> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner()).get(room).cloned()
    }

    /// Which node serves `room`: this one (its actor holds the room's lease,
    /// starting if it has to) or another. `None` if the room's actor could
    /// not be reached (storage or the database is down).
    pub async fn locate(&self, room: &str) -> Option<Location> {
        self.call(room, |reply| RoomCmd::Locate { reply }).await
    }

    /// Gives `room` up if this node serves it with nobody connected, so that
    /// the node a client's connection reached can take it (several nodes).
    /// True once the lease is given back; never starts an actor.
    pub async fn hand_over(&self, room: &str) -> bool {
        let Some(handle) = self.get(room) else {
            return false;
        };
        let (reply, answer) = oneshot::channel();
        if handle.tx.send(RoomCmd::HandOver { reply }).await.is_err() {
            return false;
        }
        answer.await.unwrap_or(false)
    }

    /// Sends a command that expects a reply. If the actor stopped before
    /// answering (it went idle at that moment), the command goes to a fresh
    /// actor.
    pub async fn call<T>(&self, room: &str, make: impl Fn(oneshot::Sender<T>) -> RoomCmd) -> Option<T> {
        self.call_with_handle(room, make).await.map(|(value, _)| value)
    }

    /// [`RoomRegistry::call`], also returning the handle of the actor that
    /// answered: a connection keeps talking to that one, and notices when
    /// it stops.
    pub async fn call_with_handle<T>(
        &self,
        room: &str,
        make: impl Fn(oneshot::Sender<T>) -> RoomCmd,
    ) -> Option<(T, RoomHandle)> {
        for _ in 0..ATTEMPTS {
            let handle = self.handle(room);
            let (reply, answer) = oneshot::channel();
            if handle.tx.send(make(reply)).await.is_err() {
                continue;
            }
            if let Ok(value) = answer.await {
                return Some((value, handle));
            }
        }
        None
    }
}

/// Takes a stopped actor out of the registry, so the next command starts a
/// new one (unless a newer actor already took its place).
pub struct Stopped {
    rooms: Arc<Mutex<HashMap<String, RoomHandle>>>,
    room: String,
    generation: u64,
}

impl Stopped {
    pub fn remove(self) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.get(&self.room).is_some_and(|h| h.generation == self.generation) {
            rooms.remove(&self.room);
        }
    }
}
