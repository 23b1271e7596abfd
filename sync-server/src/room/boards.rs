//! The room actor's puzzle boards: starting puzzles, board writes (Yjs
//! updates) with validation, drag motion and soft locks, teacher controls,
//! progress and completion, and standard Yjs sync connections.
//!
//! Board writes take the same path as chat: check, apply, commit, then ack
//! and fan out. Motion never touches storage: a move is checked against the
//! piece's lock and copied into each reader's motion buffer.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use jigsync_schema::{
    BoardId, BoardInfo, BoardMeta, BoardMode, ErrorCode, Move, PieceId, Role, ServerMsg, Spotlight, SystemEventKind,
};
use rand::Rng;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::encoder::Encode;

use super::actor::{now_ms, Batch, Conn, Req, RoomActor};
use crate::board::doc::{BoardDoc, BoardError};
use crate::board::geometry::{self, Piece};
use crate::board::locks::Locks;
use crate::connection::motion::Rate;
use crate::connection::outbox::{ConnId, Frame, Outbox};
use crate::error::ApiError;
use crate::storage::{BoardRow, PuzzleRow, StorageError, Write};

/// Updates appended to a board's log before it is compacted into a snapshot.
const COMPACT_EVERY: u32 = 256;

pub struct Board {
    pub row: BoardRow,
    pub doc: BoardDoc,
    pub locks: Locks,
    pub progress: f32,
    /// Next sequence number in the board's update log.
    pub next_seq: u64,
    /// Updates appended since the last snapshot.
    pub since_snapshot: u32,
}

impl Board {
    fn done(&self) -> bool {
        self.progress >= 1.0
    }

    /// The piece's group: every piece sharing its group id.
    fn group_of(&self, piece: PieceId) -> Vec<PieceId> {
        let pieces = self.doc.pieces();
        let Some(g) = pieces.get(usize::from(piece)).map(|p| p.g) else {
            return vec![piece];
        };
        (0..pieces.len()).filter(|i| pieces[*i].g == g).filter_map(|i| PieceId::try_from(i).ok()).collect()
    }
}

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

pub struct BoardList {
    pub puzzle: Option<u32>,
    pub boards: Vec<BoardInfo>,
    pub spotlight: Option<Spotlight>,
}

/// A y-protocols message from a `/yjs` connection.
pub enum YjsIn {
    SyncStep1(Vec<u8>),
    Update(Vec<u8>),
    /// Awareness bytes, relayed as they are to the board's other Yjs clients.
    Awareness(Vec<u8>),
}

/// A `/yjs` connection: one board, y-protocols framing.
pub struct YjsConn {
    pub user: String,
    pub board: BoardId,
    pub outbox: Outbox,
}

/// Who a board write came from.
#[derive(Clone, Copy)]
enum Origin<'a> {
    Room(&'a Req),
    Yjs(ConnId, &'a str),
}

impl Origin<'_> {
    fn conn(&self) -> ConnId {
        match self {
            Origin::Room(req) => req.conn,
            Origin::Yjs(conn, _) => *conn,
        }
    }

    fn user(&self) -> &str {
        match self {
            Origin::Room(req) => &req.user,
            Origin::Yjs(_, user) => user,
        }
    }
}

fn board_error(err: BoardError) -> ApiError {
    match err {
        BoardError::Panicked(_) => {
            ApiError::new(ErrorCode::Internal, "the board could not take this change and was reloaded; try again")
        }
        err => ApiError::invalid(err.to_string()),
    }
}

/// A board's whole document for a `doc` frame. A failure is logged and the
/// frame skipped: the document is poisoned and rebuilt once the command is
/// handled, and the client can `sync` it.
fn doc_frame(board: &Board) -> Option<ServerMsg> {
    match board.doc.state() {
        Ok(update) => Some(ServerMsg::Doc { board: board.row.id, update }),
        Err(err) => {
            tracing::error!(board = board.row.id, error = %err, "cannot encode a board");
            None
        }
    }
}

fn yjs_frame(msg: YMessage) -> Frame {
    Frame { bytes: msg.encode_v1().into(), tag: "yjs" }
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

/// Loads the active puzzle's boards from storage.
pub async fn load_boards(
    app: &crate::app::App,
    room: &str,
) -> Result<(Option<PuzzleRow>, BTreeMap<BoardId, Board>), StorageError> {
    let Some((puzzle, rows)) = app.storage.active_puzzle(room).await? else {
        return Ok((None, BTreeMap::new()));
    };
    let mut boards = BTreeMap::new();
    for row in rows {
        let log = app.storage.board_log(room, row.id).await?;
        let board = board_from_log(row, log)?;
        boards.insert(board.row.id, board);
    }
    Ok((Some(puzzle), boards))
}

fn board_from_log(row: BoardRow, log: crate::storage::BoardLog) -> Result<Board, StorageError> {
    let last_seq = log.updates.last().map(|(seq, _)| *seq).or(log.snapshot.as_ref().map(|(seq, _)| *seq)).unwrap_or(0);
    let parts =
        log.snapshot.iter().map(|(_, data)| data.as_slice()).chain(log.updates.iter().map(|(_, d)| d.as_slice()));
    let doc = BoardDoc::load(row.meta.clone(), parts)
        .map_err(|e| StorageError::Corrupt(format!("board {} of room {}: {e}", row.id, row.room)))?;
    let progress = geometry::progress(doc.meta(), doc.pieces());
    let since_snapshot = u32::try_from(log.updates.len()).unwrap_or(u32::MAX);
    Ok(Board { row, doc, locks: Locks::default(), progress, next_seq: last_seq + 1, since_snapshot })
}

impl RoomActor {
    fn role_of(&self, user: &str) -> Role {
        self.members.get(user).map_or(Role::Student, |m| m.row.role)
    }

    fn may_write(&self, user: &str, board: &Board) -> bool {
        match self.role_of(user) {
            Role::Teacher => true,
            Role::Student => board.row.members.is_empty() || board.row.members.iter().any(|m| m == user),
        }
    }

    fn may_read(&self, user: &str, board: &Board) -> bool {
        self.may_write(user, board) || self.room.spotlight.is_some_and(|s| s.board == board.row.id)
    }

    /// Students watching a spotlighted board with names hidden see no names.
    fn names_hidden(&self, viewer: &str, board: &Board) -> bool {
        self.role_of(viewer) == Role::Student
            && !self.may_write(viewer, board)
            && self.room.spotlight.is_some_and(|s| s.board == board.row.id && s.hide_names)
    }

    fn board_info(&self, viewer: &str, board: &Board) -> BoardInfo {
        BoardInfo {
            id: board.row.id,
            puzzle: board.row.puzzle,
            mode: self.puzzle.as_ref().map_or(BoardMode::Shared, |p| p.mode),
            members: if self.names_hidden(viewer, board) { Vec::new() } else { board.row.members.clone() },
            locked: board.row.locked,
            progress: board.progress,
            done: board.done(),
            meta: board.doc.meta().clone(),
        }
    }

    pub(super) fn board_list(&self, viewer: &str) -> BoardList {
        BoardList {
            puzzle: self.puzzle.as_ref().map(|p| p.id),
            boards: self
                .boards
                .values()
                .filter(|b| self.may_read(viewer, b))
                .map(|b| self.board_info(viewer, b))
                .collect(),
            spotlight: self.room.spotlight,
        }
    }

    fn boards_msg(&self, viewer: &str) -> ServerMsg {
        let list = self.board_list(viewer);
        ServerMsg::Boards { boards: list.boards, spotlight: list.spotlight }
    }

    /// Everyone's board list changed (a puzzle, a lock, the spotlight).
    pub(super) fn send_board_lists(&self) {
        for conn in self.conns.values() {
            conn.outbox.send_msg(&self.boards_msg(&conn.user));
        }
    }

    /// A fresh connection's board list and full documents.
    pub(super) fn send_boards_to(&self, conn: &Conn, with_docs: bool) {
        conn.outbox.send_msg(&self.boards_msg(&conn.user));
        if with_docs {
            for board in self.boards.values().filter(|b| self.may_read(&conn.user, b)) {
                if let Some(doc) = doc_frame(board) {
                    conn.outbox.send_msg(&doc);
                }
            }
        }
    }

    /// Sends to every room connection that may read the board, except one;
    /// `hidden` replaces `msg` for viewers who must not see names.
    fn to_readers(&self, board: &Board, except: Option<ConnId>, msg: &ServerMsg, hidden: Option<&ServerMsg>) {
        let frame = Frame::server(msg);
        let hidden_frame = hidden.map(Frame::server);
        for (id, conn) in &self.conns {
            if Some(*id) == except || !self.may_read(&conn.user, board) {
                continue;
            }
            match &hidden_frame {
                Some(h) if self.names_hidden(&conn.user, board) => conn.outbox.send(h.clone()),
                _ => conn.outbox.send(frame.clone()),
            };
        }
    }

    fn to_yjs(&self, board: BoardId, except: Option<ConnId>, frame: &Frame) {
        for (id, conn) in &self.yjs {
            if conn.board == board && Some(*id) != except {
                conn.outbox.send(frame.clone());
            }
        }
    }

    /// Fans out a committed board update to room and Yjs readers.
    fn publish_update(&self, board: &Board, update: &[u8], by: Option<&str>, except: Option<ConnId>) {
        let named = ServerMsg::Update { board: board.row.id, update: update.to_vec(), by: by.map(str::to_owned) };
        let hidden = ServerMsg::Update { board: board.row.id, update: update.to_vec(), by: None };
        self.to_readers(board, except, &named, by.map(|_| &hidden));
        self.to_yjs(board.row.id, except, &yjs_frame(YMessage::Sync(SyncMessage::Update(update.to_vec()))));
    }

    fn publish_release(&self, board: &Board, pieces: &[PieceId]) {
        for piece in pieces {
            self.to_readers(board, None, &ServerMsg::Release { board: board.row.id, piece: *piece }, None);
        }
    }

    // ---- puzzles ----

    /// Creates a board with a fresh scatter; its row and first update go
    /// into `batch`.
    fn new_board(&mut self, batch: &mut Batch, puzzle: u32, meta: BoardMeta, members: Vec<String>) -> Board {
        self.next_board_id += 1;
        let pieces = geometry::scatter(&meta, rand::rng().random());
        let (doc, update) = BoardDoc::create(meta.clone(), pieces);
        let row = BoardRow {
            room: self.room.id.clone(),
            id: self.next_board_id,
            puzzle,
            members,
            locked: false,
            meta,
            completed_at: None,
        };
        batch.writes.push(Write::Board(row.clone()));
        batch.writes.push(Write::BoardUpdate {
            room: self.room.id.clone(),
            board: row.id,
            seq: 1,
            ts: now_ms(),
            data: update,
        });
        let progress = geometry::progress(doc.meta(), doc.pieces());
        Board { row, doc, locks: Locks::default(), progress, next_seq: 2, since_snapshot: 1 }
    }

    pub(super) async fn start_puzzle(&mut self, by: &str, spec: PuzzleSpec) -> Result<BoardList, ApiError> {
        if self.role_of(by) != Role::Teacher {
            return Err(ApiError::forbidden("only teachers may start a puzzle"));
        }
        let students: Vec<String> = self
            .members
            .values()
            .filter(|m| m.active() && m.row.role == Role::Student)
            .map(|m| m.row.user.clone())
            .collect();
        let member_lists: Vec<Vec<String>> = match spec.mode {
            BoardMode::Shared => vec![Vec::new()],
            BoardMode::Individual => {
                let mut sorted = students.clone();
                sorted.sort();
                sorted.into_iter().map(|s| vec![s]).collect()
            }
            BoardMode::Groups => {
                let mut seen = std::collections::HashSet::new();
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
        let meta = geometry::meta(
            spec.image_url,
            spec.rows,
            spec.cols,
            spec.image_width,
            spec.image_height,
            rand::rng().random(),
        );
        let puzzle = PuzzleRow {
            room: self.room.id.clone(),
            id: self.next_puzzle_id + 1,
            upload: spec.upload.clone(),
            rows: spec.rows,
            cols: spec.cols,
            mode: spec.mode,
            meta: meta.clone(),
            created_at: now_ms(),
        };
        let mut batch = Batch::default();
        batch.writes.push(Write::Puzzle(puzzle.clone()));
        batch.writes.push(Write::Spotlight { room: self.room.id.clone(), spotlight: None });
        let first_board = self.next_board_id;
        let boards: Vec<Board> =
            member_lists.into_iter().map(|m| self.new_board(&mut batch, puzzle.id, meta.clone(), m)).collect();
        if let Err(err) = self.commit(&batch).await {
            self.next_board_id = first_board;
            return Err(err);
        }
        self.next_puzzle_id = puzzle.id;
        self.puzzle = Some(puzzle);
        self.room.spotlight = None;
        self.boards = boards.into_iter().map(|b| (b.row.id, b)).collect();
        for conn in self.conns.values() {
            self.send_boards_to(conn, true);
        }
        for conn in self.yjs.values() {
            conn.outbox.close(jigsync_schema::CloseCode::RoomGone, "a new puzzle replaced this board");
        }
        Ok(self.board_list(by))
    }

    /// A student joining during an individual puzzle gets a board of their
    /// own, committed with the join.
    pub(super) fn stage_own_board(&mut self, batch: &mut Batch, user: &str, role: Role) -> Option<Board> {
        let puzzle = self.puzzle.as_ref()?;
        if role != Role::Student || puzzle.mode != BoardMode::Individual {
            return None;
        }
        if self.boards.values().any(|b| b.row.members.iter().any(|m| m == user)) {
            return None;
        }
        let (id, meta) = (puzzle.id, puzzle.meta.clone());
        Some(self.new_board(batch, id, meta, vec![user.to_owned()]))
    }

    // ---- board access shared by requests ----

    fn board_for_write(&self, user: &str, board: BoardId) -> Result<&Board, ApiError> {
        let b = self.boards.get(&board).ok_or_else(|| ApiError::not_found("no such board"))?;
        if !self.may_write(user, b) || !self.members.get(user).is_some_and(|m| m.active()) {
            return Err(ApiError::forbidden("you may not move pieces on this board"));
        }
        if b.row.locked {
            return Err(ApiError::new(ErrorCode::Locked, "the teacher locked this board"));
        }
        Ok(b)
    }

    pub(super) fn sync(&self, req: &Req, board: BoardId, sv: &[u8]) -> Result<(), ApiError> {
        let b = self
            .boards
            .get(&board)
            .filter(|b| self.may_read(&req.user, b))
            .ok_or_else(|| ApiError::not_found("no such board"))?;
        let update = b.doc.diff(sv).map_err(board_error)?;
        self.reply(req.conn, &ServerMsg::Doc { board, update });
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
        Ok(())
    }

    pub(super) fn grab(&mut self, req: &Req, board: BoardId, piece: PieceId) -> Result<(), ApiError> {
        let b = self.board_for_write(&req.user, board)?;
        if usize::from(piece) >= b.doc.pieces().len() {
            return Err(ApiError::not_found("no such piece"));
        }
        let group = b.group_of(piece);
        let Some(b) = self.boards.get_mut(&board) else {
            return Err(ApiError::not_found("no such board"));
        };
        let fresh = b
            .locks
            .grab(&group, req.conn, &req.user, Instant::now())
            .map_err(|_| ApiError::new(ErrorCode::Busy, "someone else is holding this piece"))?;
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
        self.announce_grab(board, &fresh, &req.user);
        Ok(())
    }

    fn announce_grab(&self, board: BoardId, pieces: &[PieceId], user: &str) {
        let Some(b) = self.boards.get(&board) else {
            return;
        };
        for piece in pieces {
            let named = ServerMsg::Grab { board, piece: *piece, by: Some(user.to_owned()) };
            let hidden = ServerMsg::Grab { board, piece: *piece, by: None };
            self.to_readers(b, None, &named, Some(&hidden));
        }
    }

    /// A drag position: checked against the board and the piece's lock, then
    /// copied into every reader's motion buffer. Refusals are answered
    /// without a ref; nothing is stored.
    pub(super) fn motion(&mut self, conn: ConnId, user: &str, mv: Move) -> Result<(), ApiError> {
        let b = self.board_for_write(user, mv.board)?;
        if usize::from(mv.piece) >= b.doc.pieces().len() {
            return Err(ApiError::not_found("no such piece"));
        }
        let meta = b.doc.meta();
        let on_board = mv.x.is_finite()
            && mv.y.is_finite()
            && (0.0..=meta.width).contains(&mv.x)
            && (0.0..=meta.height).contains(&mv.y);
        if !on_board {
            return Err(ApiError::invalid("the position is not on the board"));
        }
        let group = b.group_of(mv.piece);
        let Some(b) = self.boards.get_mut(&mv.board) else {
            return Err(ApiError::not_found("no such board"));
        };
        let fresh = b
            .locks
            .grab(&group, conn, user, Instant::now())
            .map_err(|_| ApiError::new(ErrorCode::Busy, "someone else is holding this piece"))?;
        if !fresh.is_empty() {
            self.announce_grab(mv.board, &fresh, user);
        }
        let Some(b) = self.boards.get(&mv.board) else {
            return Ok(());
        };
        let mut relayed = 0u64;
        for (id, c) in &self.conns {
            if *id == conn || !self.may_read(&c.user, b) {
                continue;
            }
            let rate = match self.role_of(&c.user) {
                Role::Teacher if c.focus != Some(mv.board) => Rate::Thumbnail,
                _ => Rate::Full,
            };
            c.outbox.push_motion(mv, rate);
            relayed += 1;
        }
        metrics::counter!("jigsync_motion_relayed_total").increment(relayed);
        Ok(())
    }

    /// A board write from the room channel (`update`) or a Yjs client.
    pub(super) async fn board_update(
        &mut self,
        req: &Req,
        board: BoardId,
        update: &[u8],
        release: Option<PieceId>,
    ) -> Result<(), ApiError> {
        self.write_board(Origin::Room(req), board, update, release).await
    }

    async fn write_board(
        &mut self,
        origin: Origin<'_>,
        board: BoardId,
        update: &[u8],
        release: Option<PieceId>,
    ) -> Result<(), ApiError> {
        self.board_for_write(origin.user(), board)?;
        let by_name = self.name_of(origin.user());
        let Some(b) = self.boards.get_mut(&board) else {
            return Err(ApiError::not_found("no such board"));
        };
        let applied = match b.doc.apply(update) {
            Ok(applied) => applied,
            Err(err) => {
                if err.needs_reload() {
                    // The document took content it must not keep: rebuild it.
                    self.reload_board(board).await;
                }
                return Err(board_error(err));
            }
        };
        if !applied.changed && applied.correction.is_none() {
            // Nothing new (e.g. the empty step 2 a Yjs client sends on
            // connect): nothing to store or fan out.
            if let Origin::Room(req) = origin {
                self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
            }
            if let Some(piece) = release {
                self.release_group(board, piece, origin.conn());
            }
            return Ok(());
        }
        let was_done = b.done();
        let old_progress = b.progress;
        b.progress = geometry::progress(b.doc.meta(), b.doc.pieces());
        let now = now_ms();
        let mut batch = Batch::default();
        let mut seq = b.next_seq;
        for data in std::iter::once(update.to_vec()).chain(applied.correction.clone()) {
            batch.writes.push(Write::BoardUpdate { room: self.room.id.clone(), board, seq, ts: now, data });
            seq += 1;
        }
        let completed = !was_done && b.done();
        if completed || (was_done && !b.done()) {
            b.row.completed_at = completed.then_some(now);
            batch.writes.push(Write::Board(b.row.clone()));
        }
        let progress = b.progress;
        if completed {
            let took = self.puzzle.as_ref().map_or(0, |p| now - p.created_at);
            let mode = self.puzzle.as_ref().map_or(BoardMode::Shared, |p| p.mode);
            let text = solved_text(mode, &by_name, &duration_text(took));
            self.stage_system(&mut batch, SystemEventKind::Solved, origin.user(), None, text);
        }
        if let Err(err) = self.commit(&batch).await {
            // Memory ran ahead of storage: rebuild the board from what is stored.
            self.reload_board(board).await;
            return Err(err);
        }
        let Some(b) = self.boards.get_mut(&board) else {
            return Ok(());
        };
        b.since_snapshot += u32::try_from(seq - b.next_seq).unwrap_or(u32::MAX);
        b.next_seq = seq;
        if let Origin::Room(req) = origin {
            if applied.refused.is_empty() {
                self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
            } else {
                let list: Vec<String> = applied.refused.iter().map(|p| p.to_string()).collect();
                let message = format!(
                    "pieces {} were set to positions off the board, not finite or malformed; they were put back",
                    list.join(", ")
                );
                self.reply(req.conn, &ServerMsg::Error { r#ref: req.r#ref, code: ErrorCode::Invalid, message });
            }
        }
        let Some(b) = self.boards.get(&board) else {
            return Ok(());
        };
        self.publish_update(b, update, Some(origin.user()), Some(origin.conn()));
        if let Some(correction) = &applied.correction {
            self.publish_update(b, correction, None, None);
        }
        if progress != old_progress {
            self.to_readers(b, None, &ServerMsg::Progress { board, progress, done: b.done() }, None);
        }
        self.publish(batch.messages);
        if let Some(piece) = release {
            self.release_group(board, piece, origin.conn());
        }
        self.maybe_compact(board);
        Ok(())
    }

    fn release_group(&mut self, board: BoardId, piece: PieceId, conn: ConnId) {
        let Some(b) = self.boards.get_mut(&board) else {
            return;
        };
        let group = b.group_of(piece);
        let released = b.locks.release(&group, conn);
        // The drop settles these pieces: positions still waiting in a
        // reader's motion buffer are stale now.
        for c in self.conns.values() {
            c.outbox.forget_motion(board, &group);
        }
        if let Some(b) = self.boards.get(&board) {
            self.publish_release(b, &released);
        }
    }

    /// Rebuilds from storage every board whose document yrs panicked on.
    pub(super) async fn reload_poisoned(&mut self) {
        let poisoned: Vec<BoardId> = self.boards.values().filter(|b| b.doc.poisoned()).map(|b| b.row.id).collect();
        for board in poisoned {
            self.reload_board(board).await;
        }
    }

    async fn reload_board(&mut self, board: BoardId) {
        let Some(row) = self.boards.get(&board).map(|b| b.row.clone()) else {
            return;
        };
        match self.app.storage.board_log(&self.room.id, board).await.and_then(|log| board_from_log(row, log)) {
            Ok(fresh) => {
                self.boards.insert(board, fresh);
            }
            Err(err) => {
                tracing::error!(room = %self.room.id, board, error = %err, "cannot reload board")
            }
        }
    }

    /// Compacts the board's log into a snapshot off the hot path: the
    /// snapshot is encoded here (fast), written by a background task.
    fn maybe_compact(&mut self, board: BoardId) {
        let Some(b) = self.boards.get_mut(&board) else {
            return;
        };
        if b.since_snapshot < COMPACT_EVERY {
            return;
        }
        b.since_snapshot = 0;
        let Ok(state) = b.doc.state() else {
            return;
        };
        let (storage, room, upto) = (self.app.storage.clone(), self.room.id.clone(), b.next_seq - 1);
        tokio::spawn(async move {
            if let Err(err) = storage.compact_board(&room, board, upto, &state).await {
                tracing::warn!(room = %room, board, error = %err, "board compaction failed; will retry later");
            }
        });
    }

    // ---- teacher controls ----

    fn require_teacher(&self, user: &str) -> Result<(), ApiError> {
        if self.role_of(user) == Role::Teacher {
            Ok(())
        } else {
            Err(ApiError::forbidden("only teachers may do this"))
        }
    }

    pub(super) fn focus(&mut self, req: &Req, board: Option<BoardId>) -> Result<(), ApiError> {
        self.require_teacher(&req.user)?;
        if board.is_some_and(|b| !self.boards.contains_key(&b)) {
            return Err(ApiError::not_found("no such board"));
        }
        if let Some(conn) = self.conns.get_mut(&req.conn) {
            conn.focus = board;
        }
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
        Ok(())
    }

    pub(super) async fn lock(&mut self, req: &Req, board: Option<BoardId>, locked: bool) -> Result<(), ApiError> {
        self.require_teacher(&req.user)?;
        let targets: Vec<BoardId> = match board {
            Some(id) if self.boards.contains_key(&id) => vec![id],
            Some(_) => return Err(ApiError::not_found("no such board")),
            None => self.boards.keys().copied().collect(),
        };
        let mut batch = Batch::default();
        for id in &targets {
            if let Some(b) = self.boards.get(id) {
                batch.writes.push(Write::Board(BoardRow { locked, ..b.row.clone() }));
            }
        }
        self.commit(&batch).await?;
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
        for id in targets {
            let Some(b) = self.boards.get_mut(&id) else {
                continue;
            };
            b.row.locked = locked;
            let released = if locked { b.locks.clear() } else { Vec::new() };
            if let Some(b) = self.boards.get(&id) {
                self.publish_release(b, &released);
            }
        }
        self.send_board_lists();
        Ok(())
    }

    pub(super) async fn spotlight(
        &mut self,
        req: &Req,
        board: Option<BoardId>,
        hide_names: bool,
    ) -> Result<(), ApiError> {
        self.require_teacher(&req.user)?;
        if board.is_some_and(|b| !self.boards.contains_key(&b)) {
            return Err(ApiError::not_found("no such board"));
        }
        let spotlight = board.map(|board| Spotlight { board, hide_names });
        let mut batch = Batch::default();
        batch.writes.push(Write::Spotlight { room: self.room.id.clone(), spotlight });
        self.commit(&batch).await?;
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
        let before: HashMap<ConnId, bool> = self
            .conns
            .iter()
            .map(|(id, c)| (*id, board.and_then(|b| self.boards.get(&b)).is_some_and(|b| self.may_read(&c.user, b))))
            .collect();
        self.room.spotlight = spotlight;
        self.send_board_lists();
        self.prune_yjs();
        // Students who can now watch the board get its document.
        if let Some(b) = board.and_then(|b| self.boards.get(&b)) {
            for (id, conn) in &self.conns {
                if !before.get(id).copied().unwrap_or(false) && self.may_read(&conn.user, b) {
                    if let Some(doc) = doc_frame(b) {
                        conn.outbox.send_msg(&doc);
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) async fn reset(&mut self, req: &Req, board: BoardId) -> Result<(), ApiError> {
        self.require_teacher(&req.user)?;
        let Some(b) = self.boards.get_mut(&board) else {
            return Err(ApiError::not_found("no such board"));
        };
        let pieces: Vec<Piece> = geometry::scatter(b.doc.meta(), rand::rng().random());
        let update = match b.doc.place(pieces) {
            Ok(update) => update,
            Err(err) => {
                self.reload_board(board).await;
                return Err(board_error(err));
            }
        };
        b.progress = geometry::progress(b.doc.meta(), b.doc.pieces());
        b.row.completed_at = None;
        let mut batch = Batch::default();
        batch.writes.push(Write::BoardUpdate {
            room: self.room.id.clone(),
            board,
            seq: b.next_seq,
            ts: now_ms(),
            data: update.clone(),
        });
        batch.writes.push(Write::Board(b.row.clone()));
        if let Err(err) = self.commit(&batch).await {
            self.reload_board(board).await;
            return Err(err);
        }
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq: None });
        let Some(b) = self.boards.get_mut(&board) else {
            return Ok(());
        };
        b.next_seq += 1;
        b.since_snapshot += 1;
        let released = b.locks.clear();
        let Some(b) = self.boards.get(&board) else {
            return Ok(());
        };
        self.publish_release(b, &released);
        self.publish_update(b, &update, None, None);
        self.to_readers(b, None, &ServerMsg::Progress { board, progress: b.progress, done: b.done() }, None);
        self.maybe_compact(board);
        Ok(())
    }

    // ---- lock lifetimes ----

    pub(super) fn release_locks_of(&mut self, conn: ConnId) {
        let released: Vec<(BoardId, Vec<PieceId>)> =
            self.boards.iter_mut().map(|(id, b)| (*id, b.locks.release_conn(conn))).collect();
        for (id, pieces) in released {
            if let Some(b) = self.boards.get(&id) {
                self.publish_release(b, &pieces);
            }
        }
    }

    pub(super) fn has_locks(&self) -> bool {
        self.boards.values().any(|b| !b.locks.is_empty())
    }

    pub(super) fn expire_locks(&mut self) {
        let now = Instant::now();
        let released: Vec<(BoardId, Vec<PieceId>)> =
            self.boards.iter_mut().map(|(id, b)| (*id, b.locks.expire(now))).collect();
        for (id, pieces) in released {
            if let Some(b) = self.boards.get(&id) {
                self.publish_release(b, &pieces);
            }
        }
    }

    // ---- standard Yjs sync ----

    pub(super) fn connect_yjs(
        &mut self,
        user: String,
        board: BoardId,
        outbox: Outbox,
    ) -> Result<(), super::ConnectError> {
        use super::ConnectError;
        let member = self.members.get(&user).ok_or(ConnectError::NotMember)?;
        match member.row.status {
            crate::storage::MemberStatus::Kicked => return Err(ConnectError::Kicked),
            crate::storage::MemberStatus::Left => return Err(ConnectError::NotMember),
            crate::storage::MemberStatus::Active => {}
        }
        let b = self.boards.get(&board).ok_or(ConnectError::NoBoard)?;
        if !self.may_read(&user, b) {
            return Err(ConnectError::NoAccess);
        }
        // Our state vector first: the client answers with what we lack.
        let sv = b.doc.state_vector().map_err(|_| ConnectError::Unavailable)?;
        outbox.send(yjs_frame(YMessage::Sync(SyncMessage::SyncStep1(sv))));
        self.yjs.insert(outbox.id(), YjsConn { user, board, outbox });
        Ok(())
    }

    pub(super) async fn yjs_in(&mut self, conn: ConnId, msg: YjsIn) {
        let Some((user, board)) = self.yjs.get(&conn).map(|c| (c.user.clone(), c.board)) else {
            return;
        };
        match msg {
            YjsIn::SyncStep1(sv) => {
                let Some(b) = self.boards.get(&board) else {
                    return;
                };
                match b.doc.diff(&sv) {
                    Ok(update) => {
                        if let Some(c) = self.yjs.get(&conn) {
                            c.outbox.send(yjs_frame(YMessage::Sync(SyncMessage::SyncStep2(update))));
                        }
                    }
                    Err(err) => tracing::debug!(error = %err, "bad state vector from a Yjs client"),
                }
            }
            YjsIn::Update(update) => {
                if let Err(err) = self.write_board(Origin::Yjs(conn, &user), board, &update, None).await {
                    // Yjs clients have no error channel: a refused write is
                    // dropped (and not forwarded anywhere).
                    metrics::counter!("jigsync_rejected_total", "code" => err.code.as_str()).increment(1);
                    tracing::debug!(user = %user, board, error = %err.message, "Yjs write refused");
                }
            }
            YjsIn::Awareness(bytes) => {
                let frame = Frame { bytes: bytes.into(), tag: "yjs" };
                self.to_yjs(board, Some(conn), &frame);
            }
        }
    }

    pub(super) fn disconnect_yjs(&mut self, conn: ConnId) {
        self.yjs.remove(&conn);
    }

    /// Closes Yjs connections whose user left, was removed, or may no longer
    /// read their board (the spotlight moved on). Yjs clients have no other
    /// way to learn it.
    pub(super) fn prune_yjs(&mut self) {
        let gone: Vec<(ConnId, jigsync_schema::CloseCode)> = self
            .yjs
            .iter()
            .filter_map(|(id, c)| {
                let member = self.members.get(&c.user);
                let code = match member.map(|m| m.row.status) {
                    Some(crate::storage::MemberStatus::Kicked) => jigsync_schema::CloseCode::Forbidden,
                    Some(crate::storage::MemberStatus::Active) => {
                        let readable = self.boards.get(&c.board).is_some_and(|b| self.may_read(&c.user, b));
                        if readable {
                            return None;
                        }
                        jigsync_schema::CloseCode::Forbidden
                    }
                    _ => jigsync_schema::CloseCode::Normal,
                };
                Some((*id, code))
            })
            .collect();
        for (id, code) in gone {
            if let Some(c) = self.yjs.remove(&id) {
                c.outbox.close(code, "you may no longer open this board");
            }
        }
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
