//! Who may read and write which board: teachers everything; students their
//! own board, their group's or the shared one; anyone a spotlighted board,
//! read-only and, if the teacher asks, without names.

use jigsync_schema::{Role, Spotlight};

use super::roster::Roster;
use crate::storage::BoardRow;

/// The rules, over the roster and the room's spotlight.
#[derive(Clone, Copy)]
pub struct Access<'a> {
    pub roster: &'a Roster,
    pub spotlight: Option<Spotlight>,
}

impl Access<'_> {
    pub fn may_write(&self, user: &str, board: &BoardRow) -> bool {
        self.may_write_as(self.roster.role_of(user), user, board)
    }

    pub fn may_read(&self, user: &str, board: &BoardRow) -> bool {
        self.may_read_as(self.roster.role_of(user), user, board)
    }

    pub fn names_hidden(&self, viewer: &str, board: &BoardRow) -> bool {
        self.names_hidden_as(self.roster.role_of(viewer), viewer, board)
    }

    /// [`Access::may_write`] for a user whose role is known (a connection
    /// keeps its user's), so the lists of a board's readers and of a
    /// connection's writable boards are made without looking users up.
    pub fn may_write_as(&self, role: Role, user: &str, board: &BoardRow) -> bool {
        match role {
            Role::Teacher => true,
            Role::Student => board.members.is_empty() || board.members.iter().any(|m| m == user),
        }
    }

    pub fn may_read_as(&self, role: Role, user: &str, board: &BoardRow) -> bool {
        self.may_write_as(role, user, board) || self.spotlight.is_some_and(|s| s.board == board.id)
    }

    /// Students watching a spotlighted board with names hidden see no names.
    pub fn names_hidden_as(&self, role: Role, viewer: &str, board: &BoardRow) -> bool {
        role == Role::Student
            && self.spotlight.is_some_and(|s| s.board == board.id && s.hide_names)
            && !self.may_write_as(role, viewer, board)
    }
}
