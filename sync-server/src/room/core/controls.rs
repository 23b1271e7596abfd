//! The teacher's board controls: focus (which board's motion arrives at full
//! rate), lock (pause), spotlight (one board for the whole class, names
//! hidden if asked) and reset (scatter again).

use jigsync_schema::{BoardId, Role, ServerMsg, Spotlight};

use super::access::Access;
use super::board::Board;
use super::board_writes::{board_error, compaction, yjs_update};
use super::boards::BoardSet;
use super::drag::released;
use super::effects::{Effect, Effects};
use super::membership::Req;
use super::staged::{Event, Staged};
use crate::board::geometry::{self, Piece};
use crate::error::ApiError;
use crate::storage::{BoardRow, Write};

fn require_teacher(access: Access<'_>, user: &str) -> Result<(), ApiError> {
    if access.roster.role_of(user) == Role::Teacher {
        Ok(())
    } else {
        Err(ApiError::forbidden("only teachers may do this"))
    }
}

fn require_board(boards: &BoardSet, board: Option<BoardId>) -> Result<(), ApiError> {
    match board {
        Some(id) if boards.get(id).is_none() => Err(ApiError::not_found("no such board")),
        _ => Ok(()),
    }
}

fn ack(req: &Req) -> Event {
    Event::Reply(req.conn, ServerMsg::Ack { r#ref: req.r#ref, seq: None })
}

pub fn stage_focus(
    boards: &BoardSet,
    access: Access<'_>,
    req: &Req,
    board: Option<BoardId>,
) -> Result<Staged, ApiError> {
    require_teacher(access, &req.user)?;
    require_board(boards, board)?;
    let mut staged = Staged::event(Event::Focused { conn: req.conn, board });
    staged.push(ack(req));
    Ok(staged)
}

pub fn stage_lock(
    boards: &BoardSet,
    access: Access<'_>,
    req: &Req,
    board: Option<BoardId>,
    locked: bool,
) -> Result<Staged, ApiError> {
    require_teacher(access, &req.user)?;
    require_board(boards, board)?;
    let targets = board.map_or_else(|| boards.ids(), |id| vec![id]);
    let mut staged = Staged::default();
    for b in targets.iter().filter_map(|id| boards.get(*id)) {
        staged.writes.push(Write::Board(BoardRow { locked, ..b.row.clone() }));
    }
    staged.push(ack(req));
    staged.push(Event::Locked { boards: targets, locked });
    Ok(staged)
}

/// Stored: locking ends every soft lock on those boards.
pub fn locked(boards: &mut BoardSet, targets: &[BoardId], locked: bool, out: &mut Effects) {
    for id in targets {
        let Some(b) = boards.get_mut(*id) else {
            continue;
        };
        b.row.locked = locked;
        if locked {
            let freed = b.locks.clear();
            released(*id, &freed, out);
        }
    }
    out.push(Effect::BoardLists);
}

pub fn stage_spotlight(
    boards: &BoardSet,
    access: Access<'_>,
    (room, req): (&str, &Req),
    board: Option<BoardId>,
    hide_names: bool,
) -> Result<Staged, ApiError> {
    require_teacher(access, &req.user)?;
    require_board(boards, board)?;
    let spotlight = board.map(|board| Spotlight { board, hide_names });
    let mut staged = Staged::default();
    staged.writes.push(Write::Spotlight { room: room.to_owned(), spotlight });
    staged.push(ack(req));
    staged.push(Event::Spotlit(spotlight));
    Ok(staged)
}

/// Scatters the board's pieces again and clears its completion. The new
/// positions are in the document from here on (`touched_board`).
pub fn stage_reset(
    boards: &mut BoardSet,
    access: Access<'_>,
    (room, req): (&str, &Req),
    board: BoardId,
    (at, seed): (i64, u64),
) -> Result<Staged, ApiError> {
    require_teacher(access, &req.user)?;
    let b = boards.get_mut(board).ok_or_else(|| ApiError::not_found("no such board"))?;
    let pieces: Vec<Piece> = geometry::scatter(b.doc.meta(), seed);
    let update = b.doc.place(&pieces).map_err(|err| {
        b.stale = true;
        board_error(err)
    })?;
    let mut staged = Staged { touched_board: Some(board), ..Staged::default() };
    let seq = b.log.next_seq;
    let author = Some(req.user.clone());
    staged.writes.push(Write::BoardUpdate { room: room.to_owned(), board, seq, ts: at, author, data: update.clone() });
    let progress = geometry::progress(b.doc.meta(), &pieces);
    staged.writes.push(Write::Progress { room: room.to_owned(), board, progress, by: None });
    staged.writes.push(Write::Board(BoardRow { completed_at: None, ..b.row.clone() }));
    staged.push(ack(req));
    staged.push(Event::Reset { board, update, pieces });
    Ok(staged)
}

/// Stored: every soft lock on the board ends, and everyone sees the scatter.
pub fn reset(b: &mut Board, update: Vec<u8>, pieces: Vec<Piece>, out: &mut Effects) {
    let board = b.id();
    b.progress = geometry::progress(b.doc.meta(), &pieces);
    b.doc.settle(pieces);
    b.row.completed_at = None;
    b.log.advance(1);
    let freed = b.locks.clear();
    released(board, &freed, out);
    let msg = ServerMsg::Update { board, update: update.clone(), by: None };
    out.push(Effect::ToReaders { board, except: None, msg, anonymous: None });
    out.push(Effect::Yjs { board, except: None, bytes: yjs_update(&update) });
    let progress = ServerMsg::Progress { board, progress: b.progress, done: b.done() };
    out.push(Effect::ToReaders { board, except: None, msg: progress, anonymous: None });
    compaction(b, out);
}
