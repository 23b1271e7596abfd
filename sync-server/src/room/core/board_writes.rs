//! Writes to a board's document (a drop, from the room channel or `/yjs`)
//! and reading it back (`sync`): the checks, the log entries and completion
//! a write stages, and what a committed write delivers.

use jigsync_schema::{BoardId, BoardMode, ErrorCode, PieceId, ServerMsg, SystemEvent, SystemEventKind};
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::encoder::Encode;

use super::access::Access;
use super::board::Board;
use super::boards::BoardSet;
use super::chat::Chat;
use super::effects::{Effect, Effects};
use super::membership::Req;
use super::roster::Roster;
use super::staged::{BoardWrite, Event, Origin, Staged};
use crate::board::doc::BoardError;
use crate::board::geometry;
use crate::error::ApiError;
use crate::storage::Write;

/// A board error as the client hears it.
pub fn board_error(err: BoardError) -> ApiError {
    match err {
        BoardError::Panicked(_) => {
            ApiError::new(ErrorCode::Internal, "the board could not take this change and was reloaded; try again")
        }
        err => ApiError::invalid(err.to_string()),
    }
}

/// y-protocols bytes carrying an update.
pub fn yjs_update(update: &[u8]) -> Vec<u8> {
    YMessage::Sync(SyncMessage::Update(update.to_vec())).encode_v1()
}

/// What the parts of the room a board write reads.
pub struct WriteParts<'a> {
    pub room: &'a str,
    pub roster: &'a Roster,
    pub chat: &'a Chat,
    pub access: Access<'a>,
}

/// Applies a client's update to the board's document and stages what
/// storing it takes: the update and its correction in the board's log, the
/// completion change, and the `solved` message. The document holds the
/// write from here on (`touched_board`); if it is refused after applying,
/// the board is marked for rebuilding.
pub fn stage_write(
    boards: &mut BoardSet,
    parts: WriteParts<'_>,
    (origin, user): (Origin, &str),
    (board, update, release): (BoardId, &[u8], Option<PieceId>),
    at: i64,
) -> Result<Staged, ApiError> {
    boards.for_write(parts.access, user, board)?;
    let puzzle = boards.puzzle.as_ref().map(|p| (p.created_at, p.mode));
    let b = boards.get_mut(board).ok_or_else(|| ApiError::not_found("no such board"))?;
    let applied = b.doc.apply(update).map_err(|err| {
        b.stale |= err.needs_reload();
        board_error(err)
    })?;
    let mut staged = Staged::default();
    if let Origin::Room { conn, r#ref } = origin {
        let reply = if applied.refused.is_empty() {
            ServerMsg::Ack { r#ref, seq: None }
        } else {
            let list: Vec<String> = applied.refused.iter().map(|p| p.to_string()).collect();
            let message = format!(
                "pieces {} were set to positions off the board, not finite or malformed; they were put back",
                list.join(", ")
            );
            ServerMsg::Error { r#ref, code: ErrorCode::Invalid, message }
        };
        staged.push(Event::Reply(conn, reply));
    }
    if !applied.changed && applied.correction.is_none() {
        // Nothing new (e.g. the empty step 2 a Yjs client sends on
        // connect): nothing to store or fan out.
        if let Some(piece) = release {
            staged.push(Event::Released { board, piece, conn: origin.conn() });
        }
        return Ok(staged);
    }
    staged.touched_board = Some(board);
    let progress = geometry::progress(b.doc.meta(), &applied.pieces);
    let (was_done, done) = (b.done(), progress >= 1.0);
    // The correction is the server's, not the writer's.
    let entries = std::iter::once((Some(user.to_owned()), update.to_vec()))
        .chain(applied.correction.clone().map(|correction| (None, correction)));
    let mut seq = b.log.next_seq;
    for (author, data) in entries {
        staged.writes.push(Write::BoardUpdate { room: parts.room.to_owned(), board, seq, ts: at, author, data });
        seq += 1;
    }
    // Kept beside the log for the end-of-class report, which reads it from
    // storage (after a restart, or once the class has ended).
    let by = Some(user.to_owned());
    staged.writes.push(Write::Progress { room: parts.room.to_owned(), board, progress, by });
    let completed_at = (was_done != done).then_some(done.then_some(at));
    if let Some(completed_at) = completed_at {
        staged.writes.push(Write::Board(crate::storage::BoardRow { completed_at, ..b.row.clone() }));
    }
    let solved = (!was_done && done).then(|| {
        let (created_at, mode) = puzzle.unwrap_or((at, BoardMode::Shared));
        let took_ms = at - created_at;
        let text = solved_text(mode, &parts.roster.name_of(user), &duration_text(took_ms));
        let event = SystemEvent {
            board: Some(board),
            mode: puzzle.map(|(_, mode)| mode),
            took_ms: puzzle.and_then(|_| u64::try_from(took_ms).ok()),
            ..parts.roster.event(SystemEventKind::Solved, user, None)
        };
        parts.chat.stage_system(&mut staged, parts.room, at, event, text)
    });
    let entries = seq - b.log.next_seq;
    let write = BoardWrite {
        board,
        origin,
        by: user.to_owned(),
        update: update.to_vec(),
        applied,
        progress,
        completed_at,
        entries,
    };
    staged.push(Event::Written(Box::new(write)));
    if let Some(message) = solved {
        staged.push(Event::Posted(vec![message]));
    }
    if let Some(piece) = release {
        staged.push(Event::Released { board, piece, conn: origin.conn() });
    }
    Ok(staged)
}

/// A committed write: the mirror, progress, completion and log move on, and
/// the update (and correction) go to the board's readers and `/yjs` peers.
pub fn written(b: &mut Board, write: BoardWrite, out: &mut Effects) {
    let BoardWrite { board, origin, by, update, applied, progress, completed_at, entries } = write;
    b.doc.settle(applied.pieces);
    let old_progress = std::mem::replace(&mut b.progress, progress);
    if let Some(completed_at) = completed_at {
        b.row.completed_at = completed_at;
    }
    b.log.advance(entries);
    let except = Some(origin.conn());
    let named = ServerMsg::Update { board, update: update.clone(), by: Some(by) };
    let hidden = ServerMsg::Update { board, update: update.clone(), by: None };
    out.push(Effect::ToReaders { board, except, msg: named, anonymous: Some(Box::new(hidden)) });
    out.push(Effect::Yjs { board, except, bytes: yjs_update(&update) });
    if let Some(correction) = applied.correction {
        let msg = ServerMsg::Update { board, update: correction.clone(), by: None };
        out.push(Effect::ToReaders { board, except: None, msg, anonymous: None });
        out.push(Effect::Yjs { board, except: None, bytes: yjs_update(&correction) });
    }
    if progress != old_progress {
        let msg = ServerMsg::Progress { board, progress, done: b.done() };
        out.push(Effect::ToReaders { board, except: None, msg, anonymous: None });
    }
    compaction(b, out);
}

/// Folds the board's log into a snapshot once enough piled up.
pub fn compaction(b: &mut Board, out: &mut Effects) {
    if let Some(upto) = b.log.take_compaction() {
        if let Ok(state) = b.doc.state() {
            out.push(Effect::Compact { board: b.id(), upto, state });
        }
    }
}

/// `sync`: the part of the board the client's state vector lacks, then the
/// ack.
pub fn stage_sync(
    boards: &BoardSet,
    access: Access<'_>,
    req: &Req,
    board: BoardId,
    sv: &[u8],
) -> Result<Staged, ApiError> {
    let b = boards
        .get(board)
        .filter(|b| access.may_read(&req.user, &b.row))
        .ok_or_else(|| ApiError::not_found("no such board"))?;
    let update = b.doc.diff(sv).map_err(board_error)?;
    let mut staged = Staged::event(Event::Reply(req.conn, ServerMsg::Doc { board, update }));
    staged.push(Event::Reply(req.conn, ServerMsg::Ack { r#ref: req.r#ref, seq: None }));
    Ok(staged)
}

/// The `solved` system message, worded for the people in the room: board
/// ids mean nothing to them, whose puzzle it was does.
fn solved_text(mode: BoardMode, by_name: &str, took: &str) -> String {
    match mode {
        BoardMode::Individual => format!("{by_name} solved their puzzle in {took}"),
        BoardMode::Groups => format!("{by_name}'s team solved their puzzle in {took}"),
        BoardMode::Shared => format!("The class puzzle is solved! {by_name} placed the last piece after {took}"),
    }
}

fn duration_text(ms: i64) -> String {
    let secs = (ms.max(0) / 1000) as u64;
    match (secs / 3600, secs / 60 % 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::duration_text;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(42_000), "42s");
        assert_eq!(duration_text(252_000), "4m 12s");
        assert_eq!(duration_text(3_900_000), "1h 5m");
        assert_eq!(duration_text(-5), "0s");
    }
}
