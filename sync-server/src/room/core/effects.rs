//! What the room core asks the outside world to do once a change is
//! committed: deliveries, each naming its audience, and the few effects that
//! are not deliveries (the lobby, compaction). The actor hands deliveries to
//! the audience seam ([`crate::room::audience`]), which resolves each
//! audience against the core's connections and encodes each frame once.

use jigsync_schema::{BoardId, CloseCode, Move, PieceId, RoomSummary, ServerMsg};
use smallvec::SmallVec;

use crate::outbox::ConnId;

/// To whom a state-lane message goes (room-channel connections).
#[derive(Debug, Clone, PartialEq)]
pub enum Audience {
    Everyone,
    /// Everyone but one connection (usually the sender's).
    AllBut(ConnId),
    /// One connection: a reply.
    Conn(ConnId),
    /// Every connection of these users.
    Users(Vec<String>),
    Teachers,
    /// Every connection of these users, and every teacher's.
    UsersAndTeachers(Vec<String>),
}

/// The effects of one change: most have one or two, kept inline.
pub type Effects = SmallVec<[Effect; 2]>;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// One message, encoded once for its whole audience.
    Send(Audience, ServerMsg),
    /// To every room connection that may read the board (except one). A
    /// message that names someone comes with its `anonymous` twin for
    /// students watching a spotlight with names hidden.
    ToReaders { board: BoardId, except: Option<ConnId>, msg: ServerMsg, anonymous: Option<Box<ServerMsg>> },
    /// Every connection's own `boards` list (each sees different boards).
    BoardLists,
    /// One connection's `boards` list, and with `docs` the whole document of
    /// every board it may read.
    BoardsTo { conn: ConnId, docs: bool },
    /// A board's whole document to these connections.
    DocTo { conns: Vec<ConnId>, board: BoardId },
    /// y-protocols bytes to a board's `/yjs` connections, except one.
    Yjs { board: BoardId, except: Option<ConnId>, bytes: Vec<u8> },
    /// y-protocols bytes to one `/yjs` connection.
    YjsTo { conn: ConnId, bytes: Vec<u8> },
    /// A drag position into the motion buffers of the board's readers,
    /// except the sender's (motion lane).
    Motion { mv: Move, except: ConnId },
    /// Pending positions of these pieces are stale (their drag ended).
    ForgetMotion { board: BoardId, pieces: Vec<PieceId> },
    /// These connections (room channel or `/yjs`) close with this code;
    /// frames queued for them before it still go out.
    Close { conns: Vec<ConnId>, code: CloseCode, reason: &'static str },
    /// The room's line in the lobby changed.
    Lobby(RoomSummary),
    /// The room left the lobby (closed).
    LobbyClosed,
    /// Fold the board's log up to `upto` into this snapshot, off the hot
    /// path.
    Compact { board: BoardId, upto: u64, state: Vec<u8> },
}
