//! A board's timeline for replay, as `GET /api/rooms/{roomId}/boards/{boardId}/history`
//! returns it: one MessagePack value, records as arrays like every frame
//! (PROTOCOL.md §11, Board history). The starting state, the keyframes
//! compaction kept, and every committed update with its time and author, so
//! a client can rebuild the board as of any moment of the window and colour
//! moves by who made them.

use serde::{Deserialize, Serialize};

use crate::board::BoardId;

/// The timeline of one board over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardHistory {
    pub board: BoardId,
    /// When the board was solved (ms), if it is.
    pub completed_at: Option<i64>,
    /// The state the window starts from. `None`: the first update (the
    /// scatter) is the first of `updates`, and an empty document the start.
    pub base: Option<HistoryKeyframe>,
    /// Later states kept inside the window, oldest first: a client may seek
    /// by applying the nearest one and the updates after it.
    pub keyframes: Vec<HistoryKeyframe>,
    /// Who wrote: `HistoryUpdate::author` indexes this list.
    pub authors: Vec<String>,
    /// Every update after `base` up to the window's end, oldest first.
    pub updates: Vec<HistoryUpdate>,
}

/// The board's whole state (a Yjs v1 update) after update `seq`, made at `ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryKeyframe {
    pub seq: u64,
    pub ts: i64,
    #[serde(with = "serde_bytes")]
    pub state: Vec<u8>,
}

/// One committed update (Yjs v1): its number in the board's log, its time
/// (ms) and its author (an index into `BoardHistory::authors`; `None`: the
/// server's own, such as the first scatter or a correction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryUpdate {
    pub seq: u64,
    pub ts: i64,
    pub author: Option<u32>,
    #[serde(with = "serde_bytes")]
    pub update: Vec<u8>,
}
