//! The room's open room-channel connections: whose each is and which board
//! it shows full size. The outboxes themselves live at the audience seam;
//! the core only knows who is there.

use rustc_hash::FxHashMap;

use jigsync_schema::{BoardId, Role};
use smallvec::SmallVec;

use crate::outbox::ConnId;

pub struct ConnInfo {
    pub user: String,
    /// The user's role (it never changes for a member).
    pub role: Role,
    /// A teacher's focused board: its motion comes at full rate.
    pub focus: Option<BoardId>,
    /// The boards the user may write now (see [`Connections::refresh_writes`]).
    pub writes: Writes,
}

/// The boards a connection's user may write: worked out whenever the room
/// changes in a way that could change them, so a drag position is checked
/// against this short list instead of the board's members and the roster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Writes {
    /// A teacher: every board.
    Every,
    /// A student: their own board, their group's or the shared one; none
    /// once they are no longer an active member.
    Boards(SmallVec<[BoardId; 4]>),
    /// Not worked out yet: refused until it is.
    #[default]
    Unknown,
}

impl Writes {
    pub fn includes(&self, board: BoardId) -> bool {
        match self {
            Writes::Every => true,
            Writes::Boards(boards) => boards.contains(&board),
            Writes::Unknown => false,
        }
    }
}

#[derive(Default)]
pub struct Connections {
    /// By the server's own connection numbers.
    conns: FxHashMap<ConnId, ConnInfo>,
}

impl Connections {
    pub fn get(&self, conn: ConnId) -> Option<&ConnInfo> {
        self.conns.get(&conn)
    }

    pub fn user_of(&self, conn: ConnId) -> Option<&str> {
        self.conns.get(&conn).map(|c| c.user.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (ConnId, &ConnInfo)> {
        self.conns.iter().map(|(id, c)| (*id, c))
    }

    pub fn ids(&self) -> Vec<ConnId> {
        self.conns.keys().copied().collect()
    }

    pub fn of_user(&self, user: &str) -> Vec<ConnId> {
        self.conns.iter().filter(|(_, c)| c.user == user).map(|(id, _)| *id).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    pub fn insert(&mut self, conn: ConnId, user: String, role: Role) {
        self.conns.insert(conn, ConnInfo { user, role, focus: None, writes: Writes::Unknown });
    }

    pub fn remove(&mut self, conn: ConnId) -> Option<ConnInfo> {
        self.conns.remove(&conn)
    }

    /// Works out again what each connection's user may write.
    pub fn refresh_writes(&mut self, writes: impl Fn(&ConnInfo) -> Writes) {
        for c in self.conns.values_mut() {
            c.writes = writes(c);
        }
    }

    pub fn set_focus(&mut self, conn: ConnId, board: Option<BoardId>) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.focus = board;
        }
    }
}
