//! Joining, leaving, removal, ownership and closing a room: the checks, and
//! the writes and events each stages. The system messages they store are
//! written for people (names, not ids).

use jigsync_schema::limits::MAX_NAME_CHARS;
use jigsync_schema::{ErrorCode, Ref, Role, ServerMsg, SystemEvent, SystemEventKind};

use super::boards::BoardSet;
use super::chat::{ack_seq, Chat};
use super::connections::{Connections, Writes};
use super::names::distinct;
use super::ownership::{can_moderate, next_owner};
use super::roster::Roster;
use super::staged::{Event, Staged};
use crate::error::ApiError;
use crate::outbox::ConnId;
use crate::storage::{MemberRow, MemberStatus, RoomRow, Write};

/// The parts of the room membership changes read.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
    pub room: &'a RoomRow,
    pub roster: &'a Roster,
    pub chat: &'a Chat,
    pub boards: &'a BoardSet,
}

/// Who sent a request.
#[derive(Debug, Clone)]
pub struct Req {
    pub conn: ConnId,
    pub user: String,
    /// The user's role, as the connection keeps it.
    pub role: Role,
    /// The boards the user may write, as the connection keeps them.
    pub writes: Writes,
    pub r#ref: Option<Ref>,
}

impl Req {
    /// A request on `conn`; `None` if the connection is gone.
    pub fn on(conns: &Connections, conn: ConnId, r#ref: Option<Ref>) -> Option<Req> {
        let c = conns.get(conn)?;
        Some(Req { conn, user: c.user.clone(), role: c.role, writes: c.writes.clone(), r#ref })
    }

    /// The `ack` of a request whose writes are staged.
    pub fn ack(&self, staged: &Staged) -> Event {
        Event::Reply(self.conn, ServerMsg::Ack { r#ref: self.r#ref, seq: ack_seq(staged) })
    }
}

impl Parts<'_> {
    fn is_owner(&self, user: &str) -> bool {
        self.room.owner.as_deref() == Some(user)
    }

    fn require_moderator(&self, user: &str) -> Result<(), ApiError> {
        if can_moderate(self.roster.role_of(user), self.is_owner(user)) {
            Ok(())
        } else {
            Err(ApiError::forbidden("only teachers may do this"))
        }
    }

    fn require_owner(&self, user: &str) -> Result<(), ApiError> {
        if self.is_owner(user) {
            Ok(())
        } else {
            Err(ApiError::forbidden("only the room owner may do this"))
        }
    }

    fn active_target(&self, target: &str) -> Result<&MemberRow, ApiError> {
        self.roster.active(target).map(|m| &m.row).ok_or_else(|| ApiError::not_found("no such participant"))
    }
}

/// A new member's row: colours go by joining order (every member ever), and
/// a name someone in the room has already gets a number (`names.rs`).
pub fn new_member(parts: Parts<'_>, user: String, name: String, role: Role, at: i64) -> MemberRow {
    let taken: Vec<&str> = parts.roster.iter().map(|m| m.row.name.as_str()).collect();
    MemberRow {
        room: parts.room.id.clone(),
        user,
        name: distinct(&name, &taken, MAX_NAME_CHARS),
        role,
        joined_at: at,
        status: MemberStatus::Active,
        color: crate::ids::member_color(parts.roster.ever()),
        muted: false,
    }
}

/// Makes `row` an active member: a system message, the member row, the
/// room's ownership if it had no owner and this is a teacher, and a board of
/// their own during an individual puzzle.
pub fn stage_admit(parts: Parts<'_>, row: MemberRow, (at, seed): (i64, u64)) -> Staged {
    let mut staged = Staged::default();
    let room = parts.room.id.as_str();
    // The newcomer is not in the roster yet (or under an old row): name them from their row.
    let name = Some(row.name.clone());
    let joined = SystemEvent { user_name: name.clone(), ..parts.roster.event(SystemEventKind::Join, &row.user, None) };
    let mut messages = vec![parts.chat.stage_system(&mut staged, room, at, joined, format!("{} joined", row.name))];
    staged.writes.push(Write::Member(row.clone()));
    let became_owner = parts.room.owner.is_none() && row.role == Role::Teacher;
    if became_owner {
        let owner = SystemEvent { user_name: name, ..parts.roster.event(SystemEventKind::Owner, &row.user, None) };
        let text = format!("{} is now the room owner", row.name);
        messages.push(parts.chat.stage_system(&mut staged, room, at, owner, text));
        staged.writes.push(Write::Owner { room: room.to_owned(), owner: Some(row.user.clone()) });
    }
    let own_board = parts.boards.stage_own_board(&mut staged, (room, at, seed), &row.user, row.role).map(Box::new);
    staged.push(Event::Admitted { row, became_owner, own_board });
    staged.push(Event::Posted(messages));
    staged
}

/// A new student may join only while teachers keep the room open; a
/// co-teacher may always be added (teachers add them on purpose).
pub fn require_open(parts: Parts<'_>, row: &MemberRow) -> Result<(), ApiError> {
    if parts.room.join_locked && row.role == Role::Student {
        return Err(ApiError::new(ErrorCode::Locked, "this class is closed to new students"));
    }
    Ok(())
}

/// `joining`: a teacher closes the room to new students or opens it again.
/// Members who are in the room (or left and come back with their token)
/// are not new: only joins by code are refused.
pub fn stage_lock_joining(parts: Parts<'_>, req: &Req, locked: bool) -> Result<Staged, ApiError> {
    if parts.roster.role_of(&req.user) != Role::Teacher {
        return Err(ApiError::forbidden("only teachers may do this"));
    }
    let mut staged = Staged::default();
    staged.writes.push(Write::JoinLock { room: parts.room.id.clone(), locked });
    staged.push(req.ack(&staged));
    staged.push(Event::JoinLocked(locked));
    Ok(staged)
}

/// A member who had left comes back.
pub fn stage_rejoin(parts: Parts<'_>, user: &str, (at, seed): (i64, u64)) -> Result<Staged, ApiError> {
    let member = parts.roster.get(user).ok_or_else(|| ApiError::not_found("no such participant"))?;
    let row = MemberRow { joined_at: at, status: MemberStatus::Active, ..member.row.clone() };
    Ok(stage_admit(parts, row, (at, seed)))
}

pub fn stage_kick(parts: Parts<'_>, req: &Req, target: &str, at: i64) -> Result<Staged, ApiError> {
    let user = req.user.as_str();
    parts.require_moderator(user)?;
    let member = parts.active_target(target)?;
    if target == user {
        return Err(ApiError::invalid("use leave to leave the room"));
    }
    if parts.is_owner(target) {
        return Err(ApiError::forbidden("the room owner cannot be removed"));
    }
    if member.role == Role::Teacher && !parts.is_owner(user) {
        return Err(ApiError::forbidden("only the room owner may remove a teacher"));
    }
    let row = MemberRow { status: MemberStatus::Kicked, ..member.clone() };
    let mut staged = Staged::default();
    let text = format!("{} was removed by {}", row.name, parts.roster.name_of(user));
    let kicked = parts.roster.event(SystemEventKind::Kick, target, Some(user));
    let message = parts.chat.stage_system(&mut staged, &parts.room.id, at, kicked, text);
    staged.writes.push(Write::Member(row.clone()));
    staged.push(req.ack(&staged));
    staged.push(Event::Kicked(row));
    staged.push(Event::Posted(vec![message]));
    Ok(staged)
}

pub fn stage_transfer(parts: Parts<'_>, req: &Req, target: &str, at: i64) -> Result<Staged, ApiError> {
    let user = req.user.as_str();
    parts.require_owner(user)?;
    parts.active_target(target)?;
    if target == user {
        return Err(ApiError::invalid("you already own this room"));
    }
    let mut staged = Staged::default();
    let text = format!("{} is now the room owner", parts.roster.name_of(target));
    let owner = parts.roster.event(SystemEventKind::Owner, target, Some(user));
    let message = parts.chat.stage_system(&mut staged, &parts.room.id, at, owner, text);
    staged.writes.push(Write::Owner { room: parts.room.id.clone(), owner: Some(target.to_owned()) });
    staged.push(req.ack(&staged));
    staged.push(Event::OwnerChanged(target.to_owned()));
    staged.push(Event::Posted(vec![message]));
    Ok(staged)
}

pub fn stage_leave(parts: Parts<'_>, req: &Req, at: i64) -> Result<Staged, ApiError> {
    let user = req.user.as_str();
    let row = MemberRow { status: MemberStatus::Left, ..parts.active_target(user)?.clone() };
    let mut staged = Staged::default();
    let room = parts.room.id.as_str();
    let left = parts.roster.event(SystemEventKind::Leave, user, None);
    let mut messages = vec![parts.chat.stage_system(&mut staged, room, at, left, format!("{} left", row.name))];
    staged.writes.push(Write::Member(row.clone()));
    let successor = parts.is_owner(user).then(|| next_owner(&parts.roster.succession(user)).map(str::to_owned));
    if let Some(next) = &successor {
        if let Some(next) = next {
            let text = format!("{} is now the room owner", parts.roster.name_of(next));
            let owner = parts.roster.event(SystemEventKind::Owner, next, Some(user));
            messages.push(parts.chat.stage_system(&mut staged, room, at, owner, text));
        }
        staged.writes.push(Write::Owner { room: room.to_owned(), owner: next.clone() });
    }
    staged.push(req.ack(&staged));
    staged.push(Event::Left { row, successor });
    staged.push(Event::Posted(messages));
    staged.push(Event::Departed(user.to_owned()));
    Ok(staged)
}

pub fn stage_close(parts: Parts<'_>, req: &Req, at: i64) -> Result<Staged, ApiError> {
    let user = req.user.as_str();
    parts.require_owner(user)?;
    let mut staged = Staged::default();
    let text = format!("{} closed the room", parts.roster.name_of(user));
    let closed = parts.roster.event(SystemEventKind::Closed, user, Some(user));
    let message = parts.chat.stage_system(&mut staged, &parts.room.id, at, closed, text);
    staged.writes.push(Write::CloseRoom { room: parts.room.id.clone(), at });
    staged.push(req.ack(&staged));
    staged.push(Event::Posted(vec![message]));
    staged.push(Event::Closed { at });
    Ok(staged)
}

/// Closes a room nobody has been connected to for `--close-idle-hours`: the
/// same end as an owner's close, but without a system message, since no one
/// closed it and no one is there to read it.
pub fn stage_idle_close(parts: Parts<'_>, at: i64) -> Staged {
    let mut staged = Staged::default();
    staged.writes.push(Write::CloseRoom { room: parts.room.id.clone(), at });
    staged.push(Event::Closed { at });
    staged
}
