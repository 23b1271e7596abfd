//! A change the core has worked out but not made: the writes to commit and
//! the events that change memory once they are committed. Staging reads the
//! room's state and changes nothing in it, with one exception the type
//! records: a board document that already took a client's write
//! ([`Staged::touched_board`]), which is rebuilt from storage if the change is
//! not committed.

use std::time::Instant;

use jigsync_schema::{BoardId, Message, Move, PieceId, Ref, ServerMsg, Spotlight, UploadGrant, WhisperRule};
use smallvec::SmallVec;

use super::board::Board;
use super::yjs_peers::AwarenessEntry;
use crate::board::doc::Applied;
use crate::board::geometry::Piece;
use crate::outbox::ConnId;
use crate::storage::{MemberRow, PuzzleRow, Write};

/// The events of one change: most have one or two, kept inline.
pub type Events = SmallVec<[Event; 2]>;

#[derive(Default)]
pub struct Staged {
    pub writes: Vec<Write>,
    pub events: Events,
    /// Messages among the writes, so the next one staged gets the next seq.
    pub messages: u64,
    /// Boards among the writes, so the next one staged gets the next id.
    pub boards: u32,
    pub touched_board: Option<BoardId>,
}

impl Staged {
    pub fn event(event: Event) -> Staged {
        let mut events = Events::new();
        events.push(event);
        Staged { events, ..Staged::default() }
    }

    pub fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Adds a change staged after this one (counting on from this one's
    /// messages and boards): one commit, then both changes' events in order.
    pub fn append(&mut self, next: Staged) {
        self.writes.extend(next.writes);
        self.events.extend(next.events);
        self.messages = next.messages;
        self.boards = next.boards;
        self.touched_board = self.touched_board.or(next.touched_board);
    }
}

/// Who sent a board write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The room channel: answered with `ack` or `error`.
    Room { conn: ConnId, r#ref: Option<Ref> },
    /// A `/yjs` connection: never answered.
    Yjs { conn: ConnId },
}

impl Origin {
    pub fn conn(&self) -> ConnId {
        match self {
            Origin::Room { conn, .. } | Origin::Yjs { conn } => *conn,
        }
    }
}

/// A client's write to a board that changed it.
pub struct BoardWrite {
    pub board: BoardId,
    pub origin: Origin,
    pub by: String,
    pub update: Vec<u8>,
    pub applied: Applied,
    pub progress: f32,
    /// The board's new completion time, if it changed.
    pub completed_at: Option<Option<i64>>,
    /// Entries appended to the board's log (the update and its correction).
    pub entries: u64,
}

/// What happens to memory once the writes are committed, in order; each
/// also says what to deliver.
pub enum Event {
    /// An answer to the requester, queued before the effects it caused.
    Reply(ConnId, ServerMsg),
    Connected {
        conn: ConnId,
        user: String,
        history: Vec<Message>,
        truncated: bool,
        resume: bool,
        upload_grant: UploadGrant,
    },
    Disconnected(ConnId),
    Admitted {
        row: MemberRow,
        became_owner: bool,
        own_board: Option<Box<Board>>,
    },
    Kicked(MemberRow),
    Left {
        row: MemberRow,
        successor: Option<Option<String>>,
    },
    /// A user who left: their connections close once the rest went out.
    Departed(String),
    OwnerChanged(String),
    /// Teachers closed (`true`) or opened the room to new students.
    JoinLocked(bool),
    /// A student muted or unmuted (their new row).
    Muted(MemberRow),
    /// A student's new name (their new row).
    Renamed(MemberRow),
    /// The room's chat switches changed.
    ChatSwitched {
        whispers: WhisperRule,
        chat_off: bool,
    },
    Posted(Vec<Message>),
    Closed {
        at: i64,
    },
    PuzzleStarted {
        puzzle: PuzzleRow,
        boards: Vec<Board>,
    },
    Written(Box<BoardWrite>),
    /// A drop ended a drag: the connection's locks on the piece's group go.
    Released {
        board: BoardId,
        piece: PieceId,
        conn: ConnId,
    },
    Focused {
        conn: ConnId,
        board: Option<BoardId>,
    },
    Locked {
        boards: Vec<BoardId>,
        locked: bool,
    },
    Spotlit(Option<Spotlight>),
    Reset {
        board: BoardId,
        update: Vec<u8>,
        pieces: Vec<Piece>,
    },
    /// A grab, or a move that also takes the lock on the piece's group (for
    /// the connection's user).
    Grabbed {
        board: BoardId,
        piece: PieceId,
        conn: ConnId,
        at: Instant,
    },
    Moved {
        mv: Move,
        conn: ConnId,
    },
    LocksExpired(Instant),
    YjsConnected {
        conn: ConnId,
        user: String,
        board: BoardId,
        state_vector: Vec<u8>,
    },
    YjsDisconnected(ConnId),
    /// y-protocols bytes for one `/yjs` connection (a sync step 2).
    YjsReply(ConnId, Vec<u8>),
    YjsAwareness {
        conn: ConnId,
        message: Vec<u8>,
        entries: Vec<AwarenessEntry>,
    },
    YjsAwarenessQuery(ConnId),
}

impl Event {
    /// True for the events known to leave every board's readers and
    /// writers as they were (drags, writes, chat, answers). Anything else,
    /// including an event added later, counts as changing them.
    pub fn leaves_readers(&self) -> bool {
        matches!(
            self,
            Event::Moved { .. }
                | Event::Grabbed { .. }
                | Event::Reply(..)
                | Event::Written(_)
                | Event::Released { .. }
                | Event::Posted(_)
                | Event::LocksExpired(_)
                | Event::YjsReply(..)
                | Event::YjsAwareness { .. }
                | Event::YjsAwarenessQuery(_)
        )
    }
}
