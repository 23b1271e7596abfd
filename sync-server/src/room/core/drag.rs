//! Dragging: the soft lock a grab or a move takes on a piece's group, the
//! positions a move puts on the motion lane, and every way a lock ends (a
//! drop, a closed connection, silence, a locked or reset board).

use std::time::Instant;

use jigsync_schema::{BoardId, ErrorCode, Move, PieceId, ServerMsg};

use super::board::Board;
use super::boards::BoardSet;
use super::effects::{Effect, Effects};
use super::membership::Req;
use super::staged::{Event, Staged};
use crate::error::ApiError;
use crate::outbox::ConnId;

fn busy() -> ApiError {
    ApiError::new(ErrorCode::Busy, "someone else is holding this piece")
}

/// The board, for a grab or a move by `user` of a piece whose group nobody
/// else holds.
fn lockable<'a>(
    boards: &'a BoardSet,
    req: &Req,
    (board, piece): (BoardId, PieceId),
    now: Instant,
) -> Result<&'a Board, ApiError> {
    let b = boards.for_write_by(&req.writes, board)?;
    let group = b.doc.group_of(piece);
    if group.is_empty() {
        return Err(ApiError::not_found("no such piece"));
    }
    b.locks.check(group, req.conn, now).map_err(|_| busy())?;
    Ok(b)
}

pub fn stage_grab(
    boards: &BoardSet,
    req: &Req,
    (board, piece): (BoardId, PieceId),
    now: Instant,
) -> Result<Staged, ApiError> {
    lockable(boards, req, (board, piece), now)?;
    let mut staged = Staged::default();
    staged.push(Event::Reply(req.conn, ServerMsg::Ack { r#ref: req.r#ref, seq: None }));
    staged.push(Event::Grabbed { board, piece, conn: req.conn, at: now });
    Ok(staged)
}

/// Whether a drag position lies on a board of this `(width, height)`.
pub fn on_board(mv: &Move, (width, height): (f32, f32)) -> bool {
    mv.x.is_finite() && mv.y.is_finite() && (0.0..=width).contains(&mv.x) && (0.0..=height).contains(&mv.y)
}

/// A drag position: on the board, by someone who may hold the piece. It
/// takes (or refreshes) the lock, then goes to the readers' motion buffers.
pub fn stage_move(boards: &BoardSet, req: &Req, mv: Move, now: Instant) -> Result<Staged, ApiError> {
    let b = lockable(boards, req, (mv.board, mv.piece), now)?;
    let meta = b.doc.meta();
    if !on_board(&mv, (meta.width, meta.height)) {
        return Err(ApiError::invalid("the position is not on the board"));
    }
    let mut staged = Staged::default();
    staged.push(Event::Grabbed { board: mv.board, piece: mv.piece, conn: req.conn, at: now });
    staged.push(Event::Moved { mv, conn: req.conn });
    Ok(staged)
}

/// Takes the lock on the piece's group; announces the pieces that were not
/// held by the grabber.
pub fn grabbed(board: &mut Board, piece: PieceId, (conn, user): (ConnId, &str), at: Instant, out: &mut Effects) {
    let Board { doc, locks, .. } = board;
    let Ok(fresh) = locks.grab(doc.group_of(piece), conn, user, at) else {
        return;
    };
    for piece in fresh {
        let named = ServerMsg::Grab { board: board.id(), piece, by: Some(user.to_owned()) };
        let hidden = ServerMsg::Grab { board: board.id(), piece, by: None };
        out.push(Effect::ToReaders { board: board.id(), except: None, msg: named, anonymous: Some(Box::new(hidden)) });
    }
}

/// Tells the board's readers these pieces are free again.
pub fn released(board: BoardId, pieces: &[PieceId], out: &mut Effects) {
    for piece in pieces {
        let msg = ServerMsg::Release { board, piece: *piece };
        out.push(Effect::ToReaders { board, except: None, msg, anonymous: None });
    }
}

/// A drop ended a drag: the connection's locks on the piece's group (as
/// grouped after the drop) end, and positions of it still waiting in
/// readers' motion buffers are stale.
pub fn dropped(board: &mut Board, piece: PieceId, conn: ConnId, out: &mut Effects) {
    let group = board.doc.group_of(piece);
    let freed = board.locks.release(group, conn);
    out.push(Effect::ForgetMotion { board: board.id(), pieces: group.to_vec() });
    released(board.id(), &freed, out);
}

/// A connection went: every lock it held ends.
pub fn connection_gone(boards: &mut BoardSet, conn: ConnId, out: &mut Effects) {
    for board in boards.iter_mut() {
        let freed = board.locks.release_conn(conn);
        released(board.id(), &freed, out);
    }
}

/// Locks silent for too long end.
pub fn expire(boards: &mut BoardSet, now: Instant, out: &mut Effects) {
    for board in boards.iter_mut() {
        let freed = board.locks.expire(now);
        released(board.id(), &freed, out);
    }
}
