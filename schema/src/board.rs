//! Puzzle-board records: board descriptions, and drag positions on the
//! motion lane.

use serde::{Deserialize, Serialize};

/// A board's number, unique within its room.
pub type BoardId = u32;
/// A piece's index on its board: `row * cols + col` in the solved picture.
pub type PieceId = u16;

/// How a puzzle's boards are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BoardMode {
    /// One board per student, including students who join later.
    Individual,
    /// One board for the whole class.
    Shared,
    /// One board per group of students, as the teacher assigned them.
    Groups,
}

/// Everything a client needs to draw a board besides the pieces' positions
/// (those live in the board's Yjs document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardMeta {
    /// URL of the picture (an upload).
    pub image: String,
    pub rows: u16,
    pub cols: u16,
    /// Size of one piece in board units (tabs not included).
    pub piece_width: f32,
    pub piece_height: f32,
    /// Seed from which every client derives the same tab/blank edges.
    pub seed: u32,
    /// The board's playing area, in board units; positions stay within it.
    pub width: f32,
    pub height: f32,
}

/// One board as a participant may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardInfo {
    #[serde(rename = "boardId")]
    pub id: BoardId,
    #[serde(rename = "puzzleId")]
    pub puzzle: u32,
    pub mode: BoardMode,
    /// Who may write it (empty for a shared board: every student; also empty
    /// when names are hidden).
    pub members: Vec<String>,
    /// Locked by a teacher: nobody may grab or write.
    pub locked: bool,
    /// Share of neighbouring piece pairs in their solved relative place, 0–1.
    pub progress: f32,
    pub done: bool,
    pub meta: BoardMeta,
}

/// The board shown to the whole class, read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spotlight {
    pub board: BoardId,
    /// Students see the board without its members' names.
    pub hide_names: bool,
}

/// An in-flight drag position (motion lane). `seq` and `t` are the client's
/// own counter and clock (ms, wrapping), passed through untouched so a
/// receiver can measure latency and order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub board: BoardId,
    pub piece: PieceId,
    pub x: f32,
    pub y: f32,
    pub seq: u32,
    pub t: u32,
}
