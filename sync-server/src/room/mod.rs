//! Rooms: one task (actor) per live room owns its membership, connections and
//! message sequence. Everything that changes a room goes through its actor's
//! channel, so there is no lock on the hot path and per-room order is the
//! order the actor handles commands in.
//!
//! The [`RoomRegistry`] maps room ids to running actors, starting one on
//! first use; an actor with nobody connected stops after `--room-idle-secs`.

pub mod actor;
pub mod boards;
pub mod ownership;
pub mod supervisor;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use jigsync_schema::{BoardId, ClientMsg, CloseCode, Role};
use tokio::sync::{mpsc, oneshot};

use crate::app::App;
use crate::connection::outbox::{ConnId, Outbox};
use crate::error::ApiError;
use crate::storage::MemberRow;

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
        spec: boards::PuzzleSpec,
        reply: oneshot::Sender<Result<boards::BoardList, ApiError>>,
    },
    /// The boards `user` may see (HTTP API).
    ListBoards {
        user: String,
        reply: oneshot::Sender<Result<boards::BoardList, ApiError>>,
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
        msg: boards::YjsIn,
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
    /// Makes the actor panic, to test what its failure does (only with
    /// `--test-hooks`).
    FailForTest,
    /// Makes the next write to a board panic inside its yrs guard (only
    /// with `--test-hooks`).
    FailNextBoardWriteForTest {
        board: BoardId,
        reply: oneshot::Sender<bool>,
    },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error("you were removed from this room")]
    Kicked,
    #[error("this room does not exist or was closed")]
    RoomGone,
    #[error("not a member of this room")]
    NotMember,
    #[error("the room is unavailable, try again")]
    Unavailable,
    #[error("no such board")]
    NoBoard,
    #[error("you may not open this board")]
    NoAccess,
}

impl ConnectError {
    pub fn close_code(&self) -> CloseCode {
        match self {
            ConnectError::Kicked => CloseCode::Forbidden,
            ConnectError::RoomGone => CloseCode::RoomGone,
            ConnectError::NotMember => CloseCode::Unauthorized,
            ConnectError::Unavailable => CloseCode::GoingAway,
            ConnectError::NoBoard => CloseCode::RoomGone,
            ConnectError::NoAccess => CloseCode::Forbidden,
        }
    }
}

#[derive(Clone)]
pub struct RoomHandle {
    pub tx: mpsc::Sender<RoomCmd>,
    generation: u64,
}

#[derive(Default)]
pub struct RoomRegistry {
    rooms: Mutex<HashMap<String, RoomHandle>>,
    next_generation: AtomicU64,
}

/// Commands queued per room before senders wait.
const ROOM_QUEUE: usize = 1024;
/// A command whose actor stopped just as it was sent is retried on a fresh
/// actor this many times.
const ATTEMPTS: usize = 3;

impl RoomRegistry {
    /// The running actor for `room`, started if there is none.
    pub fn handle(&self, app: &Arc<App>, room: &str) -> RoomHandle {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = rooms.get(room) {
            if !handle.tx.is_closed() {
                return handle.clone();
            }
        }
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let handle = RoomHandle { tx, generation };
        rooms.insert(room.to_owned(), handle.clone());
        tokio::spawn(supervisor::supervise(app.clone(), room.to_owned(), generation, rx));
        handle
    }

    /// The running actor for `room`, if any; never starts one.
    pub fn get(&self, room: &str) -> Option<RoomHandle> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner()).get(room).cloned()
    }

    /// Called as an actor stops, so the next command starts a new one.
    fn remove(&self, room: &str, generation: u64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.get(room).is_some_and(|h| h.generation == generation) {
            rooms.remove(room);
        }
    }

    /// Sends a command that expects a reply. If the actor stopped before
    /// answering (it went idle at that moment), the command goes to a fresh
    /// actor.
    pub async fn call<T>(&self, app: &Arc<App>, room: &str, make: impl Fn(oneshot::Sender<T>) -> RoomCmd) -> Option<T> {
        self.call_with_handle(app, room, make).await.map(|(value, _)| value)
    }

    /// [`RoomRegistry::call`], also returning the handle of the actor that
    /// answered: a connection keeps talking to that one, and notices when
    /// it stops.
    pub async fn call_with_handle<T>(
        &self,
        app: &Arc<App>,
        room: &str,
        make: impl Fn(oneshot::Sender<T>) -> RoomCmd,
    ) -> Option<(T, RoomHandle)> {
        for _ in 0..ATTEMPTS {
            let handle = self.handle(app, room);
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
