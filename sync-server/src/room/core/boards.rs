//! The active puzzle and its boards: starting a puzzle (one board per
//! student, per group, or one for the class), a board for a student who
//! joins an individual puzzle late, and what each viewer is told about the
//! boards. Puzzle and board numbers are owned here.

use std::collections::{BTreeMap, HashSet};

use jigsync_schema::{BoardId, BoardInfo, BoardMeta, BoardMode, ErrorCode, Role, Spotlight};

use super::access::Access;
use super::board::{Board, LogPosition};
use super::connections::Writes;
use super::staged::{Event, Staged};
use crate::board::doc::BoardDoc;
use crate::board::geometry;
use crate::error::ApiError;
use crate::storage::{BoardRow, PuzzleRow, Write};

/// A puzzle a teacher asked for, validated by the HTTP layer.
#[derive(Clone)]
pub struct PuzzleSpec {
    pub upload: String,
    pub image_url: String,
    pub image_width: u32,
    pub image_height: u32,
    pub rows: u16,
    pub cols: u16,
    pub mode: BoardMode,
    /// Groups mode: the students of each group board.
    pub groups: Vec<Vec<String>>,
}

/// The boards one viewer may read.
pub struct BoardList {
    pub puzzle: Option<u32>,
    pub boards: Vec<BoardInfo>,
    pub spotlight: Option<Spotlight>,
}

pub struct BoardSet {
    pub puzzle: Option<PuzzleRow>,
    boards: BTreeMap<BoardId, Board>,
    last_puzzle: u32,
    last_board: BoardId,
}

impl BoardSet {
    /// The stored puzzle and boards, and the highest puzzle and board numbers
    /// ever used in the room.
    pub fn new(puzzle: Option<PuzzleRow>, boards: Vec<Board>, (last_puzzle, last_board): (u32, BoardId)) -> Self {
        BoardSet { puzzle, boards: boards.into_iter().map(|b| (b.id(), b)).collect(), last_puzzle, last_board }
    }

    pub fn get(&self, id: BoardId) -> Option<&Board> {
        self.boards.get(&id)
    }

    pub fn get_mut(&mut self, id: BoardId) -> Option<&mut Board> {
        self.boards.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Board> {
        self.boards.values()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Board> {
        self.boards.values_mut()
    }

    pub fn ids(&self) -> Vec<BoardId> {
        self.boards.keys().copied().collect()
    }

    /// The highest puzzle and board numbers used.
    pub fn last_ids(&self) -> (u32, BoardId) {
        (self.last_puzzle, self.last_board)
    }

    pub fn mode(&self) -> BoardMode {
        self.puzzle.as_ref().map_or(BoardMode::Shared, |p| p.mode)
    }

    /// The board `user` wants to write: it exists, they may write it, they
    /// are an active member, and it is not locked.
    pub fn for_write(&self, access: Access<'_>, user: &str, board: BoardId) -> Result<&Board, ApiError> {
        let b = self.boards.get(&board).ok_or_else(|| ApiError::not_found("no such board"))?;
        writable(b, access.may_write(user, &b.row) && access.roster.active(user).is_some())
    }

    /// [`BoardSet::for_write`] for a connection, by the boards it may write
    /// (worked out by [`BoardSet::writes_of`]).
    pub fn for_write_by(&self, writes: &Writes, board: BoardId) -> Result<&Board, ApiError> {
        let b = self.boards.get(&board).ok_or_else(|| ApiError::not_found("no such board"))?;
        writable(b, writes.includes(board))
    }

    /// The boards `user` may write: what [`BoardSet::for_write`] allows.
    pub fn writes_of(&self, access: Access<'_>, (role, user): (Role, &str)) -> Writes {
        match role {
            _ if access.roster.active(user).is_none() => Writes::Boards(Default::default()),
            Role::Teacher => Writes::Every,
            Role::Student => {
                Writes::Boards(self.iter().filter(|b| access.may_write_as(role, user, &b.row)).map(Board::id).collect())
            }
        }
    }

    pub fn info(&self, access: Access<'_>, viewer: &str, board: &Board) -> BoardInfo {
        let hidden = access.names_hidden(viewer, &board.row);
        BoardInfo {
            id: board.row.id,
            puzzle: board.row.puzzle,
            mode: self.mode(),
            members: if hidden { Vec::new() } else { board.row.members.clone() },
            locked: board.row.locked,
            progress: board.progress,
            done: board.done(),
            meta: board.doc.meta().clone(),
        }
    }

    pub fn list(&self, access: Access<'_>, viewer: &str) -> BoardList {
        BoardList {
            puzzle: self.puzzle.as_ref().map(|p| p.id),
            boards: self
                .boards
                .values()
                .filter(|b| access.may_read(viewer, &b.row))
                .map(|b| self.info(access, viewer, b))
                .collect(),
            spotlight: access.spotlight,
        }
    }

    /// Stages a new board with a fresh scatter: its row and first update go
    /// into `staged`, the board itself is returned for the event.
    fn stage_board(
        &self,
        staged: &mut Staged,
        (room, puzzle, at, seed): (&str, u32, i64, u64),
        meta: BoardMeta,
        members: Vec<String>,
    ) -> Board {
        staged.boards += 1;
        let id = self.last_board + staged.boards;
        let pieces = geometry::scatter(&meta, seed ^ u64::from(id));
        let (doc, update) = BoardDoc::create(meta.clone(), pieces);
        let row = BoardRow { room: room.to_owned(), id, puzzle, members, locked: false, meta, completed_at: None };
        staged.writes.push(Write::Board(row.clone()));
        let first = Write::BoardUpdate { room: room.to_owned(), board: id, seq: 1, ts: at, author: None, data: update };
        staged.writes.push(first);
        Board::new(row, doc, LogPosition { next_seq: 2, since_snapshot: 1 })
    }

    /// A student joining during an individual puzzle gets a board of their
    /// own, committed with the join.
    pub fn stage_own_board(
        &self,
        staged: &mut Staged,
        (room, at, seed): (&str, i64, u64),
        user: &str,
        role: Role,
    ) -> Option<Board> {
        let puzzle = self.puzzle.as_ref()?;
        if role != Role::Student || puzzle.mode != BoardMode::Individual {
            return None;
        }
        if self.boards.values().any(|b| b.row.members.iter().any(|m| m == user)) {
            return None;
        }
        Some(self.stage_board(staged, (room, puzzle.id, at, seed), puzzle.meta.clone(), vec![user.to_owned()]))
    }

    /// A new puzzle: its row, the end of the spotlight, and its boards.
    pub fn stage_puzzle(
        &self,
        access: Access<'_>,
        (room, by, at, seed): (&str, &str, i64, u64),
        spec: PuzzleSpec,
    ) -> Result<Staged, ApiError> {
        if access.roster.role_of(by) != Role::Teacher {
            return Err(ApiError::forbidden("only teachers may start a puzzle"));
        }
        let mut students: Vec<String> = access.roster.students().map(str::to_owned).collect();
        students.sort();
        let member_lists: Vec<Vec<String>> = match spec.mode {
            BoardMode::Shared => vec![Vec::new()],
            BoardMode::Individual => students.into_iter().map(|s| vec![s]).collect(),
            BoardMode::Groups => {
                let mut seen = HashSet::new();
                for user in spec.groups.iter().flatten() {
                    if !students.contains(user) {
                        return Err(ApiError::invalid(format!("{user} is not a student in this room")));
                    }
                    if !seen.insert(user.clone()) {
                        return Err(ApiError::invalid(format!("{user} is in two groups")));
                    }
                }
                if spec.groups.is_empty() || spec.groups.iter().any(Vec::is_empty) {
                    return Err(ApiError::invalid("groups mode needs at least one non-empty group"));
                }
                spec.groups.clone()
            }
        };
        let meta =
            geometry::meta(spec.image_url, spec.rows, spec.cols, spec.image_width, spec.image_height, seed as u32);
        let puzzle = PuzzleRow {
            room: room.to_owned(),
            id: self.last_puzzle + 1,
            upload: spec.upload,
            rows: spec.rows,
            cols: spec.cols,
            mode: spec.mode,
            meta: meta.clone(),
            created_at: at,
        };
        let mut staged = Staged::default();
        staged.writes.push(Write::Puzzle(puzzle.clone()));
        staged.writes.push(Write::Spotlight { room: room.to_owned(), spotlight: None });
        let boards = member_lists
            .into_iter()
            .map(|members| self.stage_board(&mut staged, (room, puzzle.id, at, seed), meta.clone(), members))
            .collect();
        staged.push(Event::PuzzleStarted { puzzle, boards });
        Ok(staged)
    }

    /// A new puzzle is stored: its boards replace the old ones.
    pub fn started(&mut self, puzzle: PuzzleRow, boards: Vec<Board>) {
        self.last_puzzle = self.last_puzzle.max(puzzle.id);
        self.last_board = self.last_board.max(boards.iter().map(Board::id).max().unwrap_or(0));
        self.puzzle = Some(puzzle);
        self.boards = boards.into_iter().map(|b| (b.id(), b)).collect();
    }

    /// A board made with a join is stored.
    pub fn added(&mut self, board: Board) {
        self.last_board = self.last_board.max(board.id());
        self.boards.insert(board.id(), board);
    }

    /// A commit failed: take the numbers storage holds.
    pub fn resync(&mut self, (last_puzzle, last_board): (u32, BoardId)) {
        self.last_puzzle = last_puzzle;
        self.last_board = last_board;
    }

    /// Boards whose document must be rebuilt from storage.
    pub fn to_rebuild(&self) -> Vec<BoardRow> {
        self.boards.values().filter(|b| b.needs_rebuild()).map(|b| b.row.clone()).collect()
    }
}

fn writable(b: &Board, may: bool) -> Result<&Board, ApiError> {
    if !may {
        return Err(ApiError::forbidden("you may not move pieces on this board"));
    }
    if b.row.locked {
        return Err(ApiError::new(ErrorCode::Locked, "the teacher locked this board"));
    }
    Ok(b)
}
