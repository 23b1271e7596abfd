//! One live board: its stored row, its document, its soft locks, its
//! progress and its position in the update log, which owns the log's
//! sequence numbers.

use jigsync_schema::BoardId;

use crate::board::doc::BoardDoc;
use crate::board::geometry;
use crate::board::locks::Locks;
use crate::storage::{BoardLog, BoardRow, StorageError};

/// Updates appended to a board's log before it is compacted into a snapshot.
pub const COMPACT_EVERY: u32 = 256;

/// Where a board's update log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    /// Number of the next entry.
    pub next_seq: u64,
    /// Entries appended since the last snapshot.
    pub since_snapshot: u32,
}

impl LogPosition {
    /// Records `n` entries appended (numbered from `next_seq`).
    pub fn advance(&mut self, n: u64) {
        self.next_seq += n;
        self.since_snapshot = self.since_snapshot.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// If enough entries piled up, starts a compaction: returns the last
    /// entry the snapshot covers.
    pub fn take_compaction(&mut self) -> Option<u64> {
        if self.since_snapshot < COMPACT_EVERY {
            return None;
        }
        self.since_snapshot = 0;
        Some(self.next_seq - 1)
    }
}

pub struct Board {
    pub row: BoardRow,
    pub doc: BoardDoc,
    pub locks: Locks,
    /// Share of neighbouring pairs in place, 0–1.
    pub progress: f32,
    pub log: LogPosition,
    /// The document holds something storage does not (a write applied and
    /// then refused, or whose commit failed): it is rebuilt from storage
    /// once the command is handled.
    pub stale: bool,
}

impl Board {
    /// A board as stored: its row and its log (snapshot first).
    pub fn from_log(row: BoardRow, log: BoardLog) -> Result<Board, StorageError> {
        let last_seq =
            log.updates.last().map(|(seq, _)| *seq).or(log.snapshot.as_ref().map(|(seq, _)| *seq)).unwrap_or(0);
        let parts =
            log.snapshot.iter().map(|(_, data)| data.as_slice()).chain(log.updates.iter().map(|(_, d)| d.as_slice()));
        let doc = BoardDoc::load(row.meta.clone(), parts)
            .map_err(|e| StorageError::Corrupt(format!("board {} of room {}: {e}", row.id, row.room)))?;
        let since_snapshot = u32::try_from(log.updates.len()).unwrap_or(u32::MAX);
        Ok(Board::new(row, doc, LogPosition { next_seq: last_seq + 1, since_snapshot }))
    }

    pub fn new(row: BoardRow, doc: BoardDoc, log: LogPosition) -> Board {
        let progress = geometry::progress(doc.meta(), doc.pieces());
        Board { row, doc, locks: Locks::default(), progress, log, stale: false }
    }

    pub fn id(&self) -> BoardId {
        self.row.id
    }

    pub fn done(&self) -> bool {
        self.progress >= 1.0
    }

    /// True if the document must be rebuilt from storage.
    pub fn needs_rebuild(&self) -> bool {
        self.stale || self.doc.poisoned()
    }

    /// Takes the rebuilt document and log position, keeping the soft locks
    /// (they live in memory only).
    pub fn rebuilt(&mut self, fresh: Board) {
        let locks = std::mem::take(&mut self.locks);
        *self = Board { locks, ..fresh };
    }
}
