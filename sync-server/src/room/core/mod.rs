//! The room's rules as plain state, with no I/O: no sockets, no storage, no
//! clock of its own. Each concept is a type (or a set of staging functions)
//! in its own file; [`RoomCore`] holds them and is driven in two steps:
//!
//! 1. [`RoomCore::stage`]: given an input, check it and work out the writes
//!    to commit and the [`Event`]s that will follow. Nothing in memory
//!    changes, except a board document that already took a client's write,
//!    which [`Staged::touched_board`] names.
//! 2. Once the writes are committed, [`RoomCore::apply`] turns the events
//!    into state changes and returns the [`Effect`]s to deliver. If the commit
//!    fails, [`RoomCore::abort`] marks the touched board for rebuilding from
//!    storage and [`RoomCore::resync`] takes the sequence numbers storage
//!    holds; nothing else needs undoing.
//!
//! The actor ([`super::actor`]) runs this loop; the audience seam
//! ([`super::audience`]) delivers the effects.

pub mod access;
pub mod admission;
pub mod board;
pub mod board_writes;
pub mod boards;
pub mod chat;
pub mod chat_rules;
pub mod connections;
pub mod controls;
pub mod drag;
pub mod effects;
pub mod membership;
pub mod names;
pub mod ownership;
pub mod posts;
mod reducer;
pub mod rename;
pub mod roster;
pub mod snapshot;
pub mod staged;
pub mod yjs_peers;

use std::time::Instant;

use jigsync_schema::{Attachment, BoardId, ClientMsg, Message, Role, RoomSummary, ServerMsg, UploadGrant};

use access::Access;
use admission::{Admission, ConnectError};
use board::Board;
use board_writes::WriteParts;
use boards::{BoardList, BoardSet, PuzzleSpec};
use chat::Chat;
use connections::Connections;
use effects::Effects;
use membership::{Parts, Req};
use roster::Roster;
use staged::{Event, Origin, Staged};
use yjs_peers::{AwarenessEntry, YjsPeers};

use crate::error::ApiError;
use crate::outbox::ConnId;
use crate::storage::{BoardRow, MemberRow, RoomRow};

/// The outside world's answers the core asks for: the time, and a random
/// seed (piece scatters, edge shapes).
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Wall-clock milliseconds, for what is stored.
    pub now_ms: i64,
    /// Monotonic time, for soft locks.
    pub now: Instant,
    pub seed: u64,
}

impl Ctx {
    pub fn now() -> Ctx {
        Ctx { now_ms: crate::clock::now_ms(), now: Instant::now(), seed: rand::random() }
    }
}

/// A y-protocols message from a `/yjs` connection, checked by
/// [`crate::yjs_wire`].
pub enum YjsIn {
    SyncStep1(Vec<u8>),
    Update(Vec<u8>),
    /// The whole message, relayed as it is, and its entries.
    Awareness(Vec<u8>, Vec<AwarenessEntry>),
    AwarenessQuery,
}

pub enum Input {
    /// A room-channel connection of an active member, with its welcome
    /// history (read from storage by the actor).
    Connect {
        conn: ConnId,
        user: String,
        history: Vec<Message>,
        truncated: bool,
        resume: bool,
        /// For the welcome: the room's current upload grant.
        upload_grant: UploadGrant,
    },
    Disconnect(ConnId),
    /// A new member (see [`RoomCore::new_member`]).
    Admit(MemberRow),
    /// A member who had left connects again.
    Rejoin(String),
    /// A request on the room channel; a chat's upload is looked up first.
    Request {
        conn: ConnId,
        msg: ClientMsg,
        upload: Option<Attachment>,
    },
    StartPuzzle {
        by: String,
        spec: PuzzleSpec,
    },
    /// A `/yjs` connection that [`RoomCore::admit_yjs`] let in.
    ConnectYjs {
        conn: ConnId,
        user: String,
        board: BoardId,
    },
    Yjs {
        conn: ConnId,
        msg: YjsIn,
    },
    DisconnectYjs(ConnId),
    ExpireLocks,
    /// Nobody has been connected for `--close-idle-hours`: the room closes.
    CloseIdle,
}

impl Input {
    /// A fresh room-channel connection of `user`, with no history: for the
    /// tests and benchmarks that drive a core directly.
    pub fn connect_fresh(conn: ConnId, user: &str) -> Input {
        let (history, truncated, resume) = (Vec::new(), false, false);
        Input::Connect { conn, user: user.to_owned(), history, truncated, resume, upload_grant: UploadGrant::default() }
    }
}

pub struct RoomCore {
    pub room: RoomRow,
    pub roster: Roster,
    pub conns: Connections,
    pub chat: Chat,
    pub boards: BoardSet,
    pub yjs: YjsPeers,
    closed: bool,
    /// Raised by every change that may change who reads a board or at what
    /// rate; the audience seam's board readers are remade when it moves.
    readers_version: u64,
}

impl RoomCore {
    pub fn new(room: RoomRow, members: Vec<MemberRow>, last_seq: u64, boards: BoardSet) -> Self {
        RoomCore {
            room,
            roster: Roster::new(members),
            conns: Connections::default(),
            chat: Chat::after(last_seq),
            boards,
            yjs: YjsPeers::default(),
            closed: false,
            readers_version: 0,
        }
    }

    /// See [`RoomCore::apply`]: a change of this number means the readers of
    /// some board, or their rates, may have changed.
    pub fn readers_version(&self) -> u64 {
        self.readers_version
    }

    pub fn access(&self) -> Access<'_> {
        Access { roster: &self.roster, spotlight: self.room.spotlight }
    }

    /// The boards to write, and the rest of the room a write reads.
    fn writable(&mut self) -> (&mut BoardSet, WriteParts<'_>) {
        let access = Access { roster: &self.roster, spotlight: self.room.spotlight };
        (&mut self.boards, WriteParts { room: &self.room.id, roster: &self.roster, chat: &self.chat, access })
    }

    fn parts(&self) -> Parts<'_> {
        Parts { room: &self.room, roster: &self.roster, chat: &self.chat, boards: &self.boards }
    }

    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Nobody is connected on either channel.
    pub fn idle(&self) -> bool {
        self.conns.is_empty() && self.yjs.is_empty()
    }

    pub fn has_locks(&self) -> bool {
        self.boards.iter().any(|b| !b.locks.is_empty())
    }

    pub fn admission(&self, user: &str) -> Result<Admission, ConnectError> {
        admission::room_channel(self.access(), user)
    }

    pub fn admit_yjs(&self, user: &str, board: BoardId) -> Result<(), ConnectError> {
        admission::yjs(self.access(), &self.boards, user, board)
    }

    pub fn new_member(&self, user: String, name: String, role: Role, at: i64) -> MemberRow {
        membership::new_member(self.parts(), user, name, role, at)
    }

    pub fn summary(&self) -> RoomSummary {
        RoomSummary {
            id: self.room.id.clone(),
            name: self.room.name.clone(),
            participants: self.roster.active_count(),
            online: self.roster.online_count(),
        }
    }

    pub fn board_list(&self, viewer: &str) -> BoardList {
        self.boards.list(self.access(), viewer)
    }

    /// `boards` for one viewer.
    pub fn boards_msg(&self, viewer: &str) -> ServerMsg {
        let list = self.board_list(viewer);
        ServerMsg::Boards { boards: list.boards, spotlight: list.spotlight }
    }

    pub fn stage(&mut self, input: Input, ctx: &Ctx) -> Result<Staged, ApiError> {
        let at = ctx.now_ms;
        match input {
            Input::Connect { conn, user, history, truncated, resume, upload_grant } => {
                Ok(Staged::event(Event::Connected { conn, user, history, truncated, resume, upload_grant }))
            }
            Input::Disconnect(conn) => Ok(Staged::event(Event::Disconnected(conn))),
            Input::Admit(row) => {
                membership::require_open(self.parts(), &row)?;
                Ok(membership::stage_admit(self.parts(), row, (at, ctx.seed)))
            }
            Input::Rejoin(user) => membership::stage_rejoin(self.parts(), &user, (at, ctx.seed)),
            Input::Request { conn, msg, upload } => {
                // A request from a connection that is already gone is dropped.
                let Some(req) = Req::on(&self.conns, conn, msg.request_ref()) else {
                    return Ok(Staged::default());
                };
                self.stage_request(&req, msg, upload, ctx)
            }
            Input::StartPuzzle { by, spec } => {
                self.boards.stage_puzzle(self.access(), (&self.room.id, &by, at, ctx.seed), spec)
            }
            Input::ConnectYjs { conn, user, board } => {
                let b = self.boards.get(board).ok_or_else(|| ApiError::not_found("no such board"))?;
                let sv = b.doc.state_vector().map_err(board_writes::board_error)?;
                let state_vector = yrs::sync::Message::Sync(yrs::sync::SyncMessage::SyncStep1(sv));
                let state_vector = yrs::updates::encoder::Encode::encode_v1(&state_vector);
                Ok(Staged::event(Event::YjsConnected { conn, user, board, state_vector }))
            }
            Input::Yjs { conn, msg } => self.stage_yjs(conn, msg, at),
            Input::DisconnectYjs(conn) => Ok(Staged::event(Event::YjsDisconnected(conn))),
            Input::ExpireLocks => Ok(Staged::event(Event::LocksExpired(ctx.now))),
            Input::CloseIdle => Ok(membership::stage_idle_close(self.parts(), at)),
        }
    }

    fn stage_request(
        &mut self,
        req: &Req,
        msg: ClientMsg,
        upload: Option<Attachment>,
        ctx: &Ctx,
    ) -> Result<Staged, ApiError> {
        let (room, at) = (self.room.id.as_str(), ctx.now_ms);
        match msg {
            msg @ (ClientMsg::Chat { .. } | ClientMsg::Whisper { .. }) => {
                let mut staged = Staged::default();
                self.stage_post(&mut staged, req, msg, upload, at)?;
                Ok(staged)
            }
            ClientMsg::Kick { user, .. } => membership::stage_kick(self.parts(), req, &user, at),
            ClientMsg::TransferOwner { user, .. } => membership::stage_transfer(self.parts(), req, &user, at),
            ClientMsg::Leave { .. } => membership::stage_leave(self.parts(), req, at),
            ClientMsg::CloseRoom { .. } => membership::stage_close(self.parts(), req, at),
            ClientMsg::Sync { board, sv, .. } => board_writes::stage_sync(&self.boards, self.access(), req, board, &sv),
            ClientMsg::Grab { board, piece, .. } => drag::stage_grab(&self.boards, req, (board, piece), ctx.now),
            ClientMsg::Move(mv) => drag::stage_move(&self.boards, req, mv, ctx.now),
            ClientMsg::Update { board, update, release, .. } => {
                let origin = Origin::Room { conn: req.conn, r#ref: req.r#ref };
                let (boards, parts) = self.writable();
                board_writes::stage_write(boards, parts, (origin, &req.user), (board, &update, release), at)
            }
            ClientMsg::Focus { board, .. } => controls::stage_focus(&self.boards, self.access(), req, board),
            ClientMsg::Lock { board, locked, .. } => {
                controls::stage_lock(&self.boards, self.access(), req, board, locked)
            }
            ClientMsg::Spotlight { board, hide_names, .. } => {
                controls::stage_spotlight(&self.boards, self.access(), (room, req), board, hide_names)
            }
            ClientMsg::Reset { board, .. } => {
                let (boards, parts) = self.writable();
                controls::stage_reset(boards, parts.access, (parts.room, req), board, (at, ctx.seed))
            }
            ClientMsg::LockJoining { locked, .. } => membership::stage_lock_joining(self.parts(), req, locked),
            ClientMsg::Mute { user, muted, .. } => chat_rules::stage_mute(self.parts(), req, &user, muted, at),
            ClientMsg::ChatOff { off, .. } => chat_rules::stage_chat_off(self.parts(), req, off, at),
            ClientMsg::Whispers { rule, .. } => chat_rules::stage_whispers(self.parts(), req, rule, at),
            ClientMsg::Rename { user, name, .. } => rename::stage_rename(self.parts(), req, &user, &name),
        }
    }

    fn stage_yjs(&mut self, conn: ConnId, msg: YjsIn, at: i64) -> Result<Staged, ApiError> {
        let Some((user, board)) = self.yjs.get(conn).map(|p| (p.user.clone(), p.board)) else {
            return Ok(Staged::default());
        };
        match msg {
            YjsIn::SyncStep1(sv) => {
                let b = self.boards.get(board).ok_or_else(|| ApiError::not_found("no such board"))?;
                let update = b.doc.diff(&sv).map_err(board_writes::board_error)?;
                let step2 = yrs::sync::Message::Sync(yrs::sync::SyncMessage::SyncStep2(update));
                Ok(Staged::event(Event::YjsReply(conn, yrs::updates::encoder::Encode::encode_v1(&step2))))
            }
            YjsIn::Update(update) => {
                let (boards, parts) = self.writable();
                board_writes::stage_write(boards, parts, (Origin::Yjs { conn }, &user), (board, &update, None), at)
            }
            YjsIn::Awareness(message, entries) => Ok(Staged::event(Event::YjsAwareness { conn, message, entries })),
            YjsIn::AwarenessQuery => Ok(Staged::event(Event::YjsAwarenessQuery(conn))),
        }
    }

    /// The staged change is committed: memory follows, and here is what to
    /// deliver.
    pub fn apply(&mut self, staged: Staged) -> Effects {
        let readers_stay = staged.events.iter().all(Event::leaves_readers);
        let effects = reducer::apply(self, staged.events);
        if !readers_stay {
            self.readers_changed();
        }
        effects
    }

    /// Who may read or write which board may have changed: the audience
    /// seam's lists of board readers are remade, and each connection's
    /// writable boards worked out again.
    fn readers_changed(&mut self) {
        self.readers_version += 1;
        let access = Access { roster: &self.roster, spotlight: self.room.spotlight };
        let boards = &self.boards;
        self.conns.refresh_writes(|c| boards.writes_of(access, (c.role, &c.user)));
    }

    /// The staged change was not committed: the board document that took it
    /// (if any) is rebuilt from storage.
    pub fn abort(&mut self, staged: &Staged) {
        if let Some(b) = staged.touched_board.and_then(|id| self.boards.get_mut(id)) {
            b.stale = true;
        }
    }

    /// After a failed commit: the message and board numbers storage holds.
    pub fn resync(&mut self, last_seq: u64, last_ids: (u32, BoardId)) {
        self.chat.resync(last_seq);
        self.boards.resync(last_ids);
    }

    pub fn boards_to_rebuild(&self) -> Vec<BoardRow> {
        self.boards.to_rebuild()
    }

    /// A board rebuilt from storage replaces the live one (soft locks stay).
    pub fn rebuilt(&mut self, fresh: Board) {
        if let Some(b) = self.boards.get_mut(fresh.id()) {
            b.rebuilt(fresh);
        }
        self.readers_changed();
    }

    pub fn set_closed(&mut self) {
        self.closed = true;
    }
}

#[cfg(test)]
mod tests;
