//! The room's open room-channel connections: whose each is and which board
//! it shows full size. The outboxes themselves live at the audience seam;
//! the core only knows who is there.

use std::collections::HashMap;

use jigsync_schema::{BoardId, Role};

use crate::outbox::ConnId;

pub struct ConnInfo {
    pub user: String,
    /// The user's role (it never changes for a member).
    pub role: Role,
    /// A teacher's focused board: its motion comes at full rate.
    pub focus: Option<BoardId>,
}

#[derive(Default)]
pub struct Connections {
    conns: HashMap<ConnId, ConnInfo>,
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
        self.conns.insert(conn, ConnInfo { user, role, focus: None });
    }

    pub fn remove(&mut self, conn: ConnId) -> Option<ConnInfo> {
        self.conns.remove(&conn)
    }

    pub fn set_focus(&mut self, conn: ConnId, board: Option<BoardId>) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.focus = board;
        }
    }
}
