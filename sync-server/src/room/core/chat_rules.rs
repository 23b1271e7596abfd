//! The teacher's say over the room's chat: muting one student, switching
//! chat off for the class, and whether students may whisper. Each change is
//! stored (the room row or the member row) with a system message, so it
//! survives a restart or a move to another node and shows in history; the
//! rules themselves go to everyone as `chatrules`. Teachers are never held
//! back by them.

use jigsync_schema::{ChatRules, ErrorCode, Role, SystemEventKind, WhisperRule};

use super::membership::{Parts, Req};
use super::roster::Roster;
use super::staged::{Event, Staged};
use crate::error::ApiError;
use crate::storage::{MemberRow, RoomRow, Write};

/// The rules as clients see them: the room's switches and the active
/// students who are muted.
pub fn rules(room: &RoomRow, roster: &Roster) -> ChatRules {
    let mut muted: Vec<String> =
        roster.iter().filter(|m| m.active() && m.row.muted).map(|m| m.row.user.clone()).collect();
    muted.sort();
    ChatRules { whispers: room.whispers, chat_off: room.chat_off, muted }
}

/// Whether `user` may post now (a whisper if `whisper`), by the rules.
pub fn require_may_post(room: &RoomRow, roster: &Roster, user: &str, whisper: bool) -> Result<(), ApiError> {
    let Some(member) = roster.get(user).filter(|m| m.row.role == Role::Student) else {
        return Ok(());
    };
    if member.row.muted {
        return Err(ApiError::new(ErrorCode::Muted, "a teacher muted you; you can read the chat but not write"));
    }
    if room.chat_off {
        return Err(ApiError::new(ErrorCode::ChatOff, "a teacher switched chat off for the class"));
    }
    if whisper && room.whispers == WhisperRule::Off {
        return Err(ApiError::new(ErrorCode::WhispersOff, "a teacher switched whispers off"));
    }
    Ok(())
}

fn require_teacher(parts: Parts<'_>, user: &str) -> Result<(), ApiError> {
    if parts.roster.role_of(user) == Role::Teacher {
        Ok(())
    } else {
        Err(ApiError::forbidden("only teachers may do this"))
    }
}

/// `mute`: a teacher mutes a student or lifts it.
pub fn stage_mute(parts: Parts<'_>, req: &Req, target: &str, muted: bool, at: i64) -> Result<Staged, ApiError> {
    require_teacher(parts, &req.user)?;
    let member = parts.roster.active(target).ok_or_else(|| ApiError::not_found("no such participant"))?;
    if member.row.role == Role::Teacher {
        return Err(ApiError::invalid("teachers cannot be muted"));
    }
    let mut staged = Staged::default();
    if member.row.muted == muted {
        staged.push(req.ack(&staged));
        return Ok(staged);
    }
    let row = MemberRow { muted, ..member.row.clone() };
    let (kind, verb) = if muted { (SystemEventKind::Mute, "muted") } else { (SystemEventKind::Unmute, "unmuted") };
    let text = format!("{} {verb} {}", parts.roster.name_of(&req.user), row.name);
    let event = parts.roster.event(kind, target, Some(&req.user));
    let message = parts.chat.stage_system(&mut staged, &parts.room.id, at, event, text);
    staged.writes.push(Write::Member(row.clone()));
    staged.push(req.ack(&staged));
    staged.push(Event::Muted(row));
    staged.push(Event::Posted(vec![message]));
    Ok(staged)
}

/// `chatoff`: a teacher switches chat off for the students, or on again.
pub fn stage_chat_off(parts: Parts<'_>, req: &Req, off: bool, at: i64) -> Result<Staged, ApiError> {
    let (kind, text) = if off {
        (SystemEventKind::ChatOff, "switched chat off for the class")
    } else {
        (SystemEventKind::ChatOn, "switched chat on for the class")
    };
    stage_switches(parts, req, (parts.room.whispers, off), (kind, text), at)
}

/// `whispers`: a teacher lets students whisper (teachers see it) or not.
pub fn stage_whispers(parts: Parts<'_>, req: &Req, rule: WhisperRule, at: i64) -> Result<Staged, ApiError> {
    let (kind, text) = match rule {
        WhisperRule::Off => (SystemEventKind::WhispersOff, "switched whispers off"),
        WhisperRule::VisibleToTeachers => (SystemEventKind::WhispersOn, "allowed whispers (teachers can read them)"),
    };
    stage_switches(parts, req, (rule, parts.room.chat_off), (kind, text), at)
}

fn stage_switches(
    parts: Parts<'_>,
    req: &Req,
    (whispers, chat_off): (WhisperRule, bool),
    (kind, what): (SystemEventKind, &str),
    at: i64,
) -> Result<Staged, ApiError> {
    require_teacher(parts, &req.user)?;
    let mut staged = Staged::default();
    if (whispers, chat_off) == (parts.room.whispers, parts.room.chat_off) {
        staged.push(req.ack(&staged));
        return Ok(staged);
    }
    let text = format!("{} {what}", parts.roster.name_of(&req.user));
    let event = parts.roster.event(kind, &req.user, Some(&req.user));
    let message = parts.chat.stage_system(&mut staged, &parts.room.id, at, event, text);
    staged.writes.push(Write::ChatRules { room: parts.room.id.clone(), whispers, chat_off });
    staged.push(req.ack(&staged));
    staged.push(Event::ChatSwitched { whispers, chat_off });
    staged.push(Event::Posted(vec![message]));
    Ok(staged)
}
