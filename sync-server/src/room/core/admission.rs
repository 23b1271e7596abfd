//! Who may open a connection to the room: members who were not removed (a
//! member who left is admitted again as a new join), and on `/yjs` only to a
//! board they may read.

use jigsync_schema::{BoardId, CloseCode};

use super::access::Access;
use super::boards::BoardSet;
use crate::storage::MemberStatus;

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
    /// Another node owns the room (several nodes).
    #[error("the room is served by another node")]
    Elsewhere(String),
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
            ConnectError::Elsewhere(_) => CloseCode::GoingAway,
        }
    }
}

/// How a member comes in on the room channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Active,
    /// They had left: they join again first.
    Rejoin,
}

pub fn room_channel(access: Access<'_>, user: &str) -> Result<Admission, ConnectError> {
    match access.roster.get(user).map(|m| m.row.status).ok_or(ConnectError::NotMember)? {
        MemberStatus::Kicked => Err(ConnectError::Kicked),
        MemberStatus::Left => Ok(Admission::Rejoin),
        MemberStatus::Active => Ok(Admission::Active),
    }
}

pub fn yjs(access: Access<'_>, boards: &BoardSet, user: &str, board: BoardId) -> Result<(), ConnectError> {
    match access.roster.get(user).map(|m| m.row.status).ok_or(ConnectError::NotMember)? {
        MemberStatus::Kicked => return Err(ConnectError::Kicked),
        MemberStatus::Left => return Err(ConnectError::NotMember),
        MemberStatus::Active => {}
    }
    let b = boards.get(board).ok_or(ConnectError::NoBoard)?;
    if !access.may_read(user, &b.row) {
        return Err(ConnectError::NoAccess);
    }
    Ok(())
}
