//! A board's timeline as storage keeps it for replay: every update it ever
//! committed (the live log and, once compacted, the archive), each with its
//! time and author, and the keyframes compaction left behind, so a replay
//! can start near any moment instead of at the first scatter.
//!
//! Both stores answer [`super::Storage::board_history`] with the same rules,
//! written once here: which keyframe a window starts from, and which
//! updates and keyframes fall in it.

use super::stored::{opt_small, small, StoredRow};
use super::{BoardRow, StorageError};

/// Which part of a timeline to read: updates with `from <= ts <= to`,
/// plus what rebuilds the board as of `from`. Both ends are optional (the
/// start and the end of the board's life).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryWindow {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl HistoryWindow {
    pub fn from_ts(&self) -> i64 {
        self.from.unwrap_or(i64::MIN)
    }

    pub fn to_ts(&self) -> i64 {
        self.to.unwrap_or(i64::MAX)
    }
}

/// One committed update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub seq: u64,
    pub ts: i64,
    /// The user whose write it was; `None` for the server's own.
    pub author: Option<String>,
    pub data: Vec<u8>,
}

/// The board's whole state after update `upto_seq` (at `ts`), as one Yjs
/// update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyframe {
    pub upto_seq: u64,
    pub ts: i64,
    pub data: Vec<u8>,
}

/// What [`super::Storage::board_history`] returns: the board, the keyframe
/// the window starts from (`None`: the first update, the scatter, is in
/// `updates`), the later keyframes inside the window, and the updates after
/// the base up to the window's end, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardTimeline {
    pub board: BoardRow,
    pub base: Option<Keyframe>,
    pub keyframes: Vec<Keyframe>,
    pub updates: Vec<HistoryEntry>,
}

/// The seq a window's updates start after, given its base.
pub fn after_base(base: Option<&Keyframe>) -> u64 {
    base.map_or(0, |k| k.upto_seq)
}

/// A keyframe row (`upto_seq`, `ts`; the bytes are read by the caller, as
/// the two drivers type them alike but through their own rows).
pub fn keyframe_row(row: &impl StoredRow, data: Vec<u8>) -> Result<Keyframe, StorageError> {
    Ok(Keyframe { upto_seq: small(row, "upto_seq")?, ts: row.int("ts")?, data })
}

/// An update row (`seq`, `ts`, `author`).
pub fn entry_row(row: &impl StoredRow, data: Vec<u8>) -> Result<HistoryEntry, StorageError> {
    Ok(HistoryEntry { seq: small(row, "seq")?, ts: row.int("ts")?, author: row.opt_text("author")?, data })
}

/// The first seq either log of a board holds (`None`: nothing is stored).
/// A board compacted before history was kept has lost its first updates,
/// and its timeline starts at its oldest keyframe.
pub fn first_seq(row: &impl StoredRow) -> Result<Option<u64>, StorageError> {
    opt_small(row, "first_seq")
}

// The queries, the same text on both stores: `$n` parameters are Postgres's
// and, numbered in order of first use as here, SQLite's too.

pub const BOARD: &str = "SELECT * FROM boards WHERE room_id = $1 AND board_id = $2";

/// The newest keyframe at or before the window's start.
pub const BASE: &str = "SELECT upto_seq, ts, data FROM board_keyframes
    WHERE room_id = $1 AND board_id = $2 AND ts <= $3 ORDER BY upto_seq DESC LIMIT 1";

pub const OLDEST: &str = "SELECT upto_seq, ts, data FROM board_keyframes
    WHERE room_id = $1 AND board_id = $2 ORDER BY upto_seq LIMIT 1";

pub const FIRST_SEQ: &str = "SELECT MIN(seq) AS first_seq FROM (
    SELECT seq FROM board_history WHERE room_id = $1 AND board_id = $2
    UNION ALL SELECT seq FROM board_updates WHERE room_id = $1 AND board_id = $2) AS logs";

pub const KEYFRAMES: &str = "SELECT upto_seq, ts, data FROM board_keyframes
    WHERE room_id = $1 AND board_id = $2 AND upto_seq > $3 AND ts <= $4 ORDER BY upto_seq";

/// The archive, then the live log after the snapshot (a late duplicate of a
/// folded seq may linger below it; `board_log` skips it too).
pub const UPDATES: &str = "SELECT seq, ts, author, data FROM board_history
    WHERE room_id = $1 AND board_id = $2 AND seq > $3 AND ts <= $4
    UNION ALL
    SELECT seq, ts, author, data FROM board_updates
    WHERE room_id = $1 AND board_id = $2 AND seq > $3 AND ts <= $4
      AND seq > COALESCE((SELECT upto_seq FROM board_snapshots WHERE room_id = $1 AND board_id = $2), 0)
    ORDER BY seq";

/// Compaction's archive step, after the snapshot is written and before the
/// folded updates leave the live log: the folded updates move to the
/// archive, skipping what an earlier run of the same compaction already
/// moved.
pub const ARCHIVE_UPDATES: &str = "INSERT INTO board_history (room_id, board_id, seq, ts, author, data)
    SELECT room_id, board_id, seq, ts, author, data FROM board_updates
    WHERE room_id = $1 AND board_id = $2 AND seq <= $3
    ON CONFLICT DO NOTHING";

/// Then the snapshot (`$4`, `$5` bytes long) becomes a keyframe, dated by
/// the last update it holds, but only once the updates archived since the
/// previous keyframe weigh at least as much as it does. A whole snapshot at
/// every compaction would grow a board's storage with the square of its
/// updates (the document grows with every drop); this way the keyframes
/// never weigh more than the archive plus one snapshot, and a seek replays
/// at most a snapshot's worth of updates. A board whose early updates were
/// folded away before history was kept, and that has no keyframe yet,
/// always keeps one: it is where its timeline starts.
pub const KEEP_KEYFRAME: &str = "INSERT INTO board_keyframes (room_id, board_id, upto_seq, ts, data)
    SELECT room_id, board_id, seq, ts, $4 FROM board_history
    WHERE room_id = $1 AND board_id = $2 AND seq = $3
      AND ((SELECT COALESCE(SUM(LENGTH(h.data)), 0) FROM board_history h
            WHERE h.room_id = $1 AND h.board_id = $2 AND h.seq <= $3
              AND h.seq > COALESCE((SELECT MAX(k.upto_seq) FROM board_keyframes k
                                    WHERE k.room_id = $1 AND k.board_id = $2), 0)) >= $5
        OR (NOT EXISTS (SELECT 1 FROM board_keyframes k WHERE k.room_id = $1 AND k.board_id = $2)
            AND NOT EXISTS (SELECT 1 FROM board_history h WHERE h.room_id = $1 AND h.board_id = $2 AND h.seq = 1)))
    ON CONFLICT DO NOTHING";

/// Compaction's archive step on an open transaction `$tx` (either store's):
/// [`ARCHIVE_UPDATES`], then [`KEEP_KEYFRAME`]; run before the folded
/// updates are deleted from the live log.
macro_rules! archive_folded {
    ($tx:expr, $room:expr, $board:expr, $upto_seq:expr, $snapshot:expr) => {{
        use $crate::storage::board_history::{ARCHIVE_UPDATES, KEEP_KEYFRAME};
        let (tx, room, board, snapshot) = ($tx, $room, i64::from($board), $snapshot);
        let upto = $crate::storage::stored::seq_i64($upto_seq)?;
        let weight = i64::try_from(snapshot.len()).unwrap_or(i64::MAX);
        sqlx::query(ARCHIVE_UPDATES).bind(room).bind(board).bind(upto).execute(&mut *tx).await?;
        sqlx::query(KEEP_KEYFRAME)
            .bind(room)
            .bind(board)
            .bind(upto)
            .bind(snapshot)
            .bind(weight)
            .execute(&mut *tx)
            .await?;
    }};
}
pub(crate) use archive_folded;

/// Reads a board's timeline on an open read transaction `$conn` (either
/// store's): a macro rather than a function because the two drivers' row
/// and connection types share no trait that runs queries.
macro_rules! read_timeline {
    ($conn:expr, $room:expr, $board:expr, $window:expr) => {{
        use $crate::storage::board_history::*;
        let (conn, room, window): (_, &str, HistoryWindow) = ($conn, $room, $window);
        let id = i64::from($board);
        let keyframe =
            |row: &_| -> Result<Keyframe, StorageError> { keyframe_row(row, sqlx::Row::try_get(row, "data")?) };
        match sqlx::query(BOARD).bind(room).bind(id).fetch_optional(&mut *conn).await? {
            None => Ok(None),
            Some(row) => {
                let board = $crate::storage::stored::board_row(&row)?;
                let mut base = match window.from {
                    Some(from) => sqlx::query(BASE).bind(room).bind(id).bind(from).fetch_optional(&mut *conn).await?,
                    None => None,
                }
                .map(|row| keyframe(&row))
                .transpose()?;
                if base.is_none() {
                    let row = sqlx::query(FIRST_SEQ).bind(room).bind(id).fetch_one(&mut *conn).await?;
                    if first_seq(&row)? != Some(1) {
                        let oldest = sqlx::query(OLDEST).bind(room).bind(id).fetch_optional(&mut *conn).await?;
                        base = oldest.map(|row| keyframe(&row)).transpose()?;
                    }
                }
                let after = $crate::storage::stored::seq_i64(after_base(base.as_ref()))?;
                let rows = sqlx::query(KEYFRAMES)
                    .bind(room)
                    .bind(id)
                    .bind(after)
                    .bind(window.to_ts())
                    .fetch_all(&mut *conn)
                    .await?;
                let keyframes = rows.iter().map(keyframe).collect::<Result<Vec<_>, StorageError>>()?;
                let rows = sqlx::query(UPDATES)
                    .bind(room)
                    .bind(id)
                    .bind(after)
                    .bind(window.to_ts())
                    .fetch_all(&mut *conn)
                    .await?;
                let updates = rows
                    .iter()
                    .map(|row| entry_row(row, sqlx::Row::try_get(row, "data")?))
                    .collect::<Result<Vec<_>, StorageError>>()?;
                Ok(Some(BoardTimeline { board, base, keyframes, updates }))
            }
        }
    }};
}
pub(crate) use read_timeline;
