//! A comparable picture of a room's whole state, board documents included,
//! so tests can prove that a change whose commit failed left memory exactly
//! as it was.

use jigsync_schema::{BoardId, PieceId};

use super::board::LogPosition;
use super::RoomCore;
use crate::board::doc::BoardDoc;
use crate::board::geometry::Piece;
use crate::outbox::ConnId;
use crate::storage::{BoardRow, MemberRow, PuzzleRow, RoomRow};

#[derive(Debug, Clone, PartialEq)]
pub struct CoreSnapshot {
    pub room: RoomRow,
    /// Members with their open connection counts, by user id.
    pub members: Vec<(MemberRow, u32)>,
    /// Room connections: id, user, focus.
    pub conns: Vec<(ConnId, String, Option<BoardId>)>,
    pub next_seq: u64,
    pub puzzle: Option<PuzzleRow>,
    pub last_ids: (u32, BoardId),
    pub boards: Vec<BoardSnapshot>,
    /// `/yjs` peers: id, user, board.
    pub yjs: Vec<(ConnId, String, BoardId)>,
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoardSnapshot {
    pub row: BoardRow,
    pub progress: f32,
    pub log: LogPosition,
    pub pieces: Vec<Piece>,
    /// What the document itself holds: its state vector (client, clock),
    /// and its pieces as read back from it. (Its encoding is not compared:
    /// yrs writes a piece's fields in hash order.)
    pub state_vector: Vec<(u64, u32)>,
    pub doc_pieces: Option<Vec<Piece>>,
    /// Held pieces and their holders.
    pub locks: Vec<(PieceId, ConnId)>,
}

fn state_vector(doc: &BoardDoc) -> Vec<(u64, u32)> {
    let mut sv: Vec<(u64, u32)> =
        doc.state_vector().map(|sv| sv.iter().map(|(c, clock)| (c.get(), *clock)).collect()).unwrap_or_default();
    sv.sort_unstable();
    sv
}

pub fn snapshot(core: &RoomCore) -> CoreSnapshot {
    let mut members: Vec<(MemberRow, u32)> = core.roster.iter().map(|m| (m.row.clone(), m.conns)).collect();
    members.sort_by(|a, b| a.0.user.cmp(&b.0.user));
    let mut conns: Vec<(ConnId, String, Option<BoardId>)> =
        core.conns.iter().map(|(id, c)| (id, c.user.clone(), c.focus)).collect();
    conns.sort_by_key(|c| c.0);
    let mut yjs: Vec<(ConnId, String, BoardId)> =
        core.yjs.iter().map(|(id, p)| (id, p.user.clone(), p.board)).collect();
    yjs.sort_by_key(|p| p.0);
    let boards = core
        .boards
        .iter()
        .map(|b| BoardSnapshot {
            row: b.row.clone(),
            progress: b.progress,
            log: b.log,
            pieces: b.doc.pieces().to_vec(),
            state_vector: state_vector(&b.doc),
            doc_pieces: b
                .doc
                .state()
                .ok()
                .and_then(|state| BoardDoc::load(b.doc.meta().clone(), [state.as_slice()]).ok())
                .map(|doc| doc.pieces().to_vec()),
            locks: b.locks.held(),
        })
        .collect();
    CoreSnapshot {
        room: core.room.clone(),
        members,
        conns,
        next_seq: core.chat.next_seq(),
        puzzle: core.boards.puzzle.clone(),
        last_ids: core.boards.last_ids(),
        boards,
        yjs,
        closed: core.closed(),
    }
}
