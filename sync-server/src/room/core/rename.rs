//! A teacher gives a student another display name (a typo, a nickname, two
//! students told apart). The new name follows the room's rule that names are
//! unique (`names.rs`); it is stored on the member row, so history, which
//! names people by id, shows the same person under their new name.

use jigsync_schema::limits::MAX_NAME_CHARS;
use jigsync_schema::Role;

use super::membership::{Parts, Req};
use super::names::distinct;
use super::staged::{Event, Staged};
use crate::error::ApiError;
use crate::storage::{MemberRow, Write};

pub fn stage_rename(parts: Parts<'_>, req: &Req, target: &str, wanted: &str) -> Result<Staged, ApiError> {
    if parts.roster.role_of(&req.user) != Role::Teacher {
        return Err(ApiError::forbidden("only teachers may do this"));
    }
    let member = parts.roster.active(target).ok_or_else(|| ApiError::not_found("no such participant"))?;
    if member.row.role != Role::Student {
        return Err(ApiError::invalid("only a student's name can be changed"));
    }
    let wanted = crate::validate::name("name", wanted, MAX_NAME_CHARS)?;
    // Every other member's name, ever: the student's own does not count.
    let taken: Vec<&str> = parts.roster.iter().filter(|m| m.row.user != target).map(|m| m.row.name.as_str()).collect();
    let name = distinct(&wanted, &taken, MAX_NAME_CHARS);
    let mut staged = Staged::default();
    if name != member.row.name {
        let row = MemberRow { name, ..member.row.clone() };
        staged.writes.push(Write::Member(row.clone()));
        staged.push(req.ack(&staged));
        staged.push(Event::Renamed(row));
    } else {
        staged.push(req.ack(&staged));
    }
    Ok(staged)
}
