//! SQLite storage: the embedded default. WAL mode with `synchronous=FULL`, so
//! a committed batch survives `kill -9` and power loss alike. The queries
//! are here; [`commit`] writes a batch, and rows read back through
//! [`super::stored`], shared with Postgres. Upload bytes are files beside
//! the database (see [`BlobStore`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod commit;
mod delete;
mod teachers;

use async_trait::async_trait;
use jigsync_schema::{BoardId, Message};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::board_history::{archive_folded, read_timeline, BoardTimeline, HistoryWindow};
use super::group_commit::GroupCommit;
use super::room_deletion::{open_rooms_idle_before, rooms_past_retention};
use super::room_upload::room_upload;
use super::stored::{board_row, last_id, member_row, message_row, observe, puzzle_row, room_row, seq_i64, small};
use super::{
    BoardActivity, BoardLog, BoardRow, Fence, HistoryQuery, LoadedRoom, MemberRow, PuzzleRow, RoomRow, Storage,
    StorageError, UploadRow, Write,
};
use crate::uploads::BlobStore;
use commit::write_member;

pub struct SqliteStorage {
    pool: SqlitePool,
    group: GroupCommit,
}

impl SqliteStorage {
    pub async fn open(path: &Path) -> Result<Self, StorageError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let group = GroupCommit::start_on_thread("sqlite-committer", commit::Committer::open(path)?)?;
        Ok(SqliteStorage { pool, group })
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_room(&self, room: &RoomRow, owner: &MemberRow) -> Result<(), StorageError> {
        let started = Instant::now();
        let mut tx = self.pool.begin().await?;
        let inserted =
            sqlx::query("INSERT INTO rooms (id, name, join_code, owner_id, created_at) VALUES (?, ?, ?, ?, ?)")
                .bind(&room.id)
                .bind(&room.name)
                .bind(&room.join_code)
                .bind(&room.owner)
                .bind(room.created_at)
                .execute(&mut *tx)
                .await;
        if let Err(sqlx::Error::Database(db)) = &inserted {
            if db.is_unique_violation() {
                return Err(StorageError::DuplicateJoinCode);
            }
        }
        inserted?;
        write_member(&mut tx, owner).await?;
        tx.commit().await?;
        observe("create_room", started);
        Ok(())
    }

    async fn room(&self, id: &str) -> Result<Option<RoomRow>, StorageError> {
        room_in(&mut *self.pool.acquire().await?, id).await
    }

    async fn room_by_code(&self, code: &str) -> Result<Option<RoomRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM rooms WHERE join_code = ? AND closed_at IS NULL")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(room_row).transpose()
    }

    async fn open_rooms(&self) -> Result<Vec<(RoomRow, u32)>, StorageError> {
        let rows = sqlx::query(
            "SELECT rooms.*, (SELECT COUNT(*) FROM members m WHERE m.room_id = rooms.id AND m.status = 'active') AS active
             FROM rooms WHERE closed_at IS NULL ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let active: i64 = row.try_get("active")?;
                Ok((room_row(row)?, u32::try_from(active).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    async fn members(&self, room: &str) -> Result<Vec<MemberRow>, StorageError> {
        members_in(&mut *self.pool.acquire().await?, room).await
    }

    async fn member(&self, room: &str, user: &str) -> Result<Option<MemberRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM members WHERE room_id = ? AND user_id = ?")
            .bind(room)
            .bind(user)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(member_row).transpose()
    }

    async fn commit(&self, writes: &[Write]) -> Result<(), StorageError> {
        let started = Instant::now();
        self.group.commit(writes).await?;
        observe("commit", started);
        Ok(())
    }

    async fn last_seq(&self, room: &str) -> Result<u64, StorageError> {
        last_seq_in(&mut *self.pool.acquire().await?, room).await
    }

    async fn messages(&self, room: &str, query: HistoryQuery<'_>) -> Result<Vec<Message>, StorageError> {
        let started = Instant::now();
        let to_i64 = |seq: Option<u64>, default: i64| seq.map_or(default, |s| i64::try_from(s).unwrap_or(i64::MAX));
        let rows = sqlx::query(
            "SELECT m.*, u.content_type FROM messages m LEFT JOIN uploads u ON u.id = m.upload_id
             WHERE m.room_id = ? AND m.seq > ? AND m.seq < ?
               AND (m.kind != 'whisper' OR ? OR m.from_id = ? OR m.to_id = ?)
             ORDER BY m.seq DESC LIMIT ?",
        )
        .bind(room)
        .bind(to_i64(query.after, 0))
        .bind(to_i64(query.before, i64::MAX))
        .bind(query.all_whispers)
        .bind(query.viewer)
        .bind(query.viewer)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows.iter().map(message_row).collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        observe("messages", started);
        Ok(messages)
    }

    async fn active_puzzle(&self, room: &str) -> Result<Option<(PuzzleRow, Vec<BoardRow>)>, StorageError> {
        active_puzzle_in(&mut *self.pool.acquire().await?, room).await
    }

    async fn last_ids(&self, room: &str) -> Result<(u32, BoardId), StorageError> {
        last_ids_in(&mut *self.pool.acquire().await?, room).await
    }

    async fn board_activity(&self, room: &str, puzzle: u32) -> Result<BoardActivity, StorageError> {
        let progress =
            sqlx::query("SELECT board_id, progress FROM boards WHERE room_id = ? AND puzzle_id = ? ORDER BY board_id")
                .bind(room)
                .bind(i64::from(puzzle))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| Ok((small(row, "board_id")?, row.try_get::<f64, _>("progress")? as f32)))
                .collect::<Result<Vec<_>, StorageError>>()?;
        let drops = sqlx::query(
            "SELECT d.board_id, d.user_id, d.drops FROM board_drops d
             JOIN boards b ON b.room_id = d.room_id AND b.board_id = d.board_id
             WHERE d.room_id = ? AND b.puzzle_id = ? ORDER BY d.board_id, d.user_id",
        )
        .bind(room)
        .bind(i64::from(puzzle))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((small(row, "board_id")?, row.try_get("user_id")?, small(row, "drops")?)))
        .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(BoardActivity { progress, drops })
    }

    async fn board_log(&self, room: &str, board: BoardId) -> Result<BoardLog, StorageError> {
        let started = Instant::now();
        let snapshot = sqlx::query("SELECT upto_seq, data FROM board_snapshots WHERE room_id = ? AND board_id = ?")
            .bind(room)
            .bind(i64::from(board))
            .fetch_optional(&self.pool)
            .await?
            .map(|row| -> Result<(u64, Vec<u8>), StorageError> { Ok((small(&row, "upto_seq")?, row.try_get("data")?)) })
            .transpose()?;
        let after = snapshot.as_ref().map_or(0, |(seq, _)| *seq);
        let rows = sqlx::query(
            "SELECT seq, data FROM board_updates WHERE room_id = ? AND board_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(room)
        .bind(i64::from(board))
        .bind(seq_i64(after)?)
        .fetch_all(&self.pool)
        .await?;
        let updates = rows
            .iter()
            .map(|row| Ok((small(row, "seq")?, row.try_get("data")?)))
            .collect::<Result<Vec<_>, StorageError>>()?;
        observe("board_log", started);
        Ok(BoardLog { snapshot, updates })
    }

    async fn load_room(&self, id: &str) -> Result<Option<LoadedRoom>, StorageError> {
        let started = Instant::now();
        // A deferred transaction that only reads: WAL gives it one snapshot
        // from its first read on, and it blocks no writer.
        let mut tx = self.pool.begin().await?;
        let loaded = load_room_in(&mut tx, id).await?;
        tx.commit().await?;
        observe("load_room", started);
        Ok(loaded)
    }

    async fn compact_board(
        &self,
        room: &str,
        board: BoardId,
        upto_seq: u64,
        snapshot: &[u8],
    ) -> Result<(), StorageError> {
        let started = Instant::now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO board_snapshots (room_id, board_id, upto_seq, data) VALUES (?, ?, ?, ?)
             ON CONFLICT (room_id, board_id) DO UPDATE SET upto_seq = excluded.upto_seq, data = excluded.data
             WHERE excluded.upto_seq > board_snapshots.upto_seq",
        )
        .bind(room)
        .bind(i64::from(board))
        .bind(seq_i64(upto_seq)?)
        .bind(snapshot)
        .execute(&mut *tx)
        .await?;
        archive_folded!(&mut *tx, room, board, upto_seq, snapshot);
        sqlx::query("DELETE FROM board_updates WHERE room_id = ? AND board_id = ? AND seq <= ?")
            .bind(room)
            .bind(i64::from(board))
            .bind(seq_i64(upto_seq)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        observe("compact_board", started);
        Ok(())
    }

    async fn board_history(
        &self,
        room: &str,
        board: BoardId,
        window: HistoryWindow,
    ) -> Result<Option<BoardTimeline>, StorageError> {
        let started = Instant::now();
        // Deferred and read-only: one WAL snapshot, so a compaction moving
        // updates to the archive meanwhile neither hides nor doubles them.
        let mut tx = self.pool.begin().await?;
        let timeline = read_timeline!(&mut *tx, room, board, window);
        tx.commit().await?;
        observe("board_history", started);
        timeline
    }

    async fn put_upload(&self, upload: &UploadRow, room: &str) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT OR IGNORE INTO uploads (id, content_type, bytes, created_at) VALUES (?, ?, ?, ?)")
            .bind(&upload.id)
            .bind(&upload.content_type)
            .bind(upload.bytes)
            .bind(upload.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT OR IGNORE INTO room_uploads (room_id, upload_id) VALUES (?, ?)")
            .bind(room)
            .bind(&upload.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_room(&self, room: &str, _fence: Option<&Fence>) -> Result<Option<Vec<String>>, StorageError> {
        let started = Instant::now();
        let deleted = delete::delete_room(&self.pool, room).await?;
        observe("delete_room", started);
        Ok(deleted)
    }

    async fn upload(&self, id: &str) -> Result<Option<UploadRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM uploads WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(upload_row).transpose()?)
    }

    async fn room_upload(&self, room: &str, id: &str) -> Result<Option<UploadRow>, StorageError> {
        let row = sqlx::query(&room_upload("?1", "?2")).bind(room).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(upload_row).transpose()?)
    }

    async fn rooms_past_retention(&self, before: i64) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar(&rooms_past_retention("MAX", "?1")).bind(before).fetch_all(&self.pool).await?)
    }

    async fn idle_rooms(&self, before: i64) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar(&open_rooms_idle_before("MAX", "?1")).bind(before).fetch_all(&self.pool).await?)
    }

    async fn record_activity(&self, room: &str, at: i64) -> Result<(), StorageError> {
        sqlx::query("UPDATE rooms SET active_at = MAX(COALESCE(active_at, 0), ?2) WHERE id = ?1")
            .bind(room)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn blob_store(&self, dir: PathBuf) -> std::io::Result<BlobStore> {
        BlobStore::open(dir)
    }

    async fn link_teacher(&self, room: &str, user: &str, teacher: &str) -> Result<(), StorageError> {
        teachers::link(&self.pool, room, user, teacher).await
    }

    async fn teacher_of(&self, room: &str, user: &str) -> Result<Option<String>, StorageError> {
        teachers::teacher_of(&self.pool, room, user).await
    }

    async fn open_room_teachers(&self) -> Result<Vec<(String, String)>, StorageError> {
        teachers::of_open_rooms(&self.pool).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.group.stop().await;
        self.pool.close().await;
    }
}

// The reads a room load is made of, on one connection, so that `load_room`
// runs them in its transaction and the single-table methods alone.

async fn room_in(conn: &mut SqliteConnection, id: &str) -> Result<Option<RoomRow>, StorageError> {
    let row = sqlx::query("SELECT * FROM rooms WHERE id = ?").bind(id).fetch_optional(conn).await?;
    row.as_ref().map(room_row).transpose()
}

async fn members_in(conn: &mut SqliteConnection, room: &str) -> Result<Vec<MemberRow>, StorageError> {
    let rows = sqlx::query("SELECT * FROM members WHERE room_id = ? ORDER BY joined_at, user_id")
        .bind(room)
        .fetch_all(conn)
        .await?;
    rows.iter().map(member_row).collect()
}

async fn last_seq_in(conn: &mut SqliteConnection, room: &str) -> Result<u64, StorageError> {
    let seq: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE room_id = ?").bind(room).fetch_one(conn).await?;
    Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
}

async fn last_ids_in(conn: &mut SqliteConnection, room: &str) -> Result<(u32, BoardId), StorageError> {
    let row = sqlx::query(
        "SELECT (SELECT MAX(puzzle_id) FROM puzzles WHERE room_id = ?) AS puzzle,
                (SELECT MAX(board_id) FROM boards WHERE room_id = ?) AS board",
    )
    .bind(room)
    .bind(room)
    .fetch_one(conn)
    .await?;
    Ok((last_id(row.try_get("puzzle")?), last_id(row.try_get("board")?)))
}

async fn active_puzzle_in(
    conn: &mut SqliteConnection,
    room: &str,
) -> Result<Option<(PuzzleRow, Vec<BoardRow>)>, StorageError> {
    let Some(row) = sqlx::query("SELECT * FROM puzzles WHERE room_id = ? ORDER BY puzzle_id DESC LIMIT 1")
        .bind(room)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let puzzle = puzzle_row(&row)?;
    let boards = sqlx::query("SELECT * FROM boards WHERE room_id = ? AND puzzle_id = ? ORDER BY board_id")
        .bind(room)
        .bind(i64::from(puzzle.id))
        .fetch_all(conn)
        .await?;
    let boards = boards.iter().map(board_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Some((puzzle, boards)))
}

/// The logs of every board of one puzzle: two queries, whatever the number
/// of boards. A board with no log has none in the map.
async fn puzzle_logs_in(
    conn: &mut SqliteConnection,
    room: &str,
    puzzle: u32,
) -> Result<BTreeMap<BoardId, BoardLog>, StorageError> {
    let mut logs = BTreeMap::<BoardId, BoardLog>::new();
    let snapshots = sqlx::query(
        "SELECT s.board_id, s.upto_seq, s.data FROM board_snapshots s
         JOIN boards b ON b.room_id = s.room_id AND b.board_id = s.board_id
         WHERE s.room_id = ? AND b.puzzle_id = ?",
    )
    .bind(room)
    .bind(i64::from(puzzle))
    .fetch_all(&mut *conn)
    .await?;
    for row in &snapshots {
        logs.entry(small(row, "board_id")?).or_default().snapshot =
            Some((small(row, "upto_seq")?, row.try_get("data")?));
    }
    // Only what comes after each board's snapshot, as `board_log` reads it.
    let updates = sqlx::query(
        "SELECT u.board_id, u.seq, u.data FROM boards b
         JOIN board_updates u ON u.room_id = b.room_id AND u.board_id = b.board_id
         LEFT JOIN board_snapshots s ON s.room_id = b.room_id AND s.board_id = b.board_id
         WHERE b.room_id = ? AND b.puzzle_id = ? AND u.seq > COALESCE(s.upto_seq, 0)
         ORDER BY u.board_id, u.seq",
    )
    .bind(room)
    .bind(i64::from(puzzle))
    .fetch_all(conn)
    .await?;
    for row in &updates {
        logs.entry(small(row, "board_id")?).or_default().updates.push((small(row, "seq")?, row.try_get("data")?));
    }
    Ok(logs)
}

async fn load_room_in(conn: &mut SqliteConnection, id: &str) -> Result<Option<LoadedRoom>, StorageError> {
    let Some(room) = room_in(conn, id).await? else {
        return Ok(None);
    };
    if room.closed_at.is_some() {
        return Ok(None);
    }
    let members = members_in(conn, id).await?;
    let last_seq = last_seq_in(conn, id).await?;
    let last_ids = last_ids_in(conn, id).await?;
    let puzzle = match active_puzzle_in(conn, id).await? {
        Some((puzzle, boards)) => {
            let mut logs = puzzle_logs_in(conn, id, puzzle.id).await?;
            let boards = boards
                .into_iter()
                .map(|board| {
                    let log = logs.remove(&board.id).unwrap_or_default();
                    (board, log)
                })
                .collect();
            Some((puzzle, boards))
        }
        None => None,
    };
    Ok(Some(LoadedRoom { room, members, last_seq, last_ids, puzzle }))
}

fn upload_row(row: &sqlx::sqlite::SqliteRow) -> Result<UploadRow, sqlx::Error> {
    Ok(UploadRow {
        id: row.try_get("id")?,
        content_type: row.try_get("content_type")?,
        bytes: row.try_get("bytes")?,
        created_at: row.try_get("created_at")?,
    })
}
