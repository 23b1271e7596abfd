//! The end-of-class report: for each student of the room's latest puzzle,
//! whether their board is solved, how long it took from the puzzle's start,
//! its progress and how many drops they made. Built only from stored rows
//! (rooms, members, boards, drop counts), so it reads the same during the
//! class, after a restart, on any node of a cluster, and once the class has
//! ended.

use jigsync_schema::{BoardId, BoardMode, Role};
use serde::Serialize;

use crate::storage::{BoardActivity, BoardRow, MemberRow, MemberStatus, PuzzleRow, RoomRow};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassReport {
    pub room_id: String,
    pub room_name: String,
    /// When the class ended, if it has (ms since the epoch).
    pub closed_at: Option<i64>,
    pub puzzle: Option<PuzzleSummary>,
    /// Every student who ever joined, by name.
    pub students: Vec<StudentReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PuzzleSummary {
    pub puzzle_id: u32,
    pub mode: BoardMode,
    pub rows: u16,
    pub cols: u16,
    pub started_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StudentReport {
    pub user_id: String,
    pub name: String,
    /// `active`, `left` or `kicked` (removed by a teacher).
    pub status: &'static str,
    /// The board they wrote (theirs, their team's or the class's), if any.
    pub board: Option<BoardId>,
    pub solved: bool,
    /// Ms from the puzzle's start to the write that completed the board.
    pub took_ms: Option<i64>,
    /// 0–1, as of the board's last write.
    pub progress: f32,
    /// Their writes to the puzzle's boards (each drop of a piece is one).
    pub drops: u64,
}

pub fn build(
    room: &RoomRow,
    members: &[MemberRow],
    puzzle: Option<&(PuzzleRow, Vec<BoardRow>)>,
    activity: &BoardActivity,
) -> ClassReport {
    let boards: &[BoardRow] = puzzle.map_or(&[], |(_, boards)| boards);
    let started_at = puzzle.map(|(p, _)| p.created_at);
    let mut students: Vec<StudentReport> = members
        .iter()
        .filter(|m| m.role == Role::Student)
        .map(|m| {
            let board = boards
                .iter()
                .find(|b| b.members.contains(&m.user))
                .or_else(|| boards.iter().find(|b| b.members.is_empty()));
            let progress =
                board.and_then(|b| activity.progress.iter().find(|(id, _)| *id == b.id)).map_or(0.0, |(_, p)| *p);
            let completed_at = board.and_then(|b| b.completed_at);
            StudentReport {
                user_id: m.user.clone(),
                name: m.name.clone(),
                status: m.status.as_str(),
                board: board.map(|b| b.id),
                solved: completed_at.is_some(),
                took_ms: completed_at.zip(started_at).map(|(done, start)| done - start),
                progress: if completed_at.is_some() { 1.0 } else { progress },
                drops: activity.drops.iter().filter(|(_, user, _)| *user == m.user).map(|(_, _, n)| n).sum(),
            }
        })
        .collect();
    // Students still in the class first, then those who left or were removed.
    let gone = |s: &StudentReport| s.status != MemberStatus::Active.as_str();
    students.sort_by(|a, b| gone(a).cmp(&gone(b)).then_with(|| a.name.cmp(&b.name)));
    ClassReport {
        room_id: room.id.clone(),
        room_name: room.name.clone(),
        closed_at: room.closed_at,
        puzzle: puzzle.map(|(p, _)| PuzzleSummary {
            puzzle_id: p.id,
            mode: p.mode,
            rows: p.rows,
            cols: p.cols,
            started_at: p.created_at,
        }),
        students,
    }
}
