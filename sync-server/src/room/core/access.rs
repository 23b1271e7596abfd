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
        match self.roster.role_of(user) {
            Role::Teacher => true,
            Role::Student => board.members.is_empty() || board.members.iter().any(|m| m == user),
        }
    }

    pub fn may_read(&self, user: &str, board: &BoardRow) -> bool {
        self.may_write(user, board) || self.spotlight.is_some_and(|s| s.board == board.id)
    }

    /// Students watching a spotlighted board with names hidden see no names.
    pub fn names_hidden(&self, viewer: &str, board: &BoardRow) -> bool {
        self.roster.role_of(viewer) == Role::Student
            && !self.may_write(viewer, board)
            && self.spotlight.is_some_and(|s| s.board == board.id && s.hide_names)
    }
}
