//! SQLite storage: the embedded default. WAL mode with `synchronous=FULL`, so
//! a committed batch survives `kill -9` and power loss alike. The queries
//! are here; [`commit`] writes a batch, and rows read back through
//! [`super::stored`], shared with Postgres.

use std::path::Path;
use std::time::{Duration, Instant};

mod commit;

use async_trait::async_trait;
use jigsync_schema::{BoardId, Message};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::stored::{board_row, member_row, message_row, observe, puzzle_row, room_row, seq_i64, small};
use super::{BoardLog, BoardRow, HistoryQuery, MemberRow, PuzzleRow, RoomRow, Storage, StorageError, UploadRow, Write};
use commit::write_member;

pub struct SqliteStorage {
    pool: SqlitePool,
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
        Ok(SqliteStorage { pool })
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
        let row = sqlx::query("SELECT * FROM rooms WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(room_row).transpose()
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
        let rows = sqlx::query("SELECT * FROM members WHERE room_id = ? ORDER BY joined_at, user_id")
            .bind(room)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(member_row).collect()
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
        commit::commit(&self.pool, writes).await?;
        observe("commit", started);
        Ok(())
    }

    async fn last_seq(&self, room: &str) -> Result<u64, StorageError> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE room_id = ?")
            .bind(room)
            .fetch_one(&self.pool)
            .await?;
        Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
    }

    async fn messages(&self, room: &str, query: HistoryQuery<'_>) -> Result<Vec<Message>, StorageError> {
        let started = Instant::now();
        let to_i64 = |seq: Option<u64>, default: i64| seq.map_or(default, |s| i64::try_from(s).unwrap_or(i64::MAX));
        let rows = sqlx::query(
            "SELECT m.*, u.content_type FROM messages m LEFT JOIN uploads u ON u.id = m.upload_id
             WHERE m.room_id = ? AND m.seq > ? AND m.seq < ?
               AND (m.kind != 'whisper' OR m.from_id = ? OR m.to_id = ?)
             ORDER BY m.seq DESC LIMIT ?",
        )
        .bind(room)
        .bind(to_i64(query.after, 0))
        .bind(to_i64(query.before, i64::MAX))
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
        let Some(row) = sqlx::query("SELECT * FROM puzzles WHERE room_id = ? ORDER BY puzzle_id DESC LIMIT 1")
            .bind(room)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let puzzle = puzzle_row(&row)?;
        let boards = sqlx::query("SELECT * FROM boards WHERE room_id = ? AND puzzle_id = ? ORDER BY board_id")
            .bind(room)
            .bind(i64::from(puzzle.id))
            .fetch_all(&self.pool)
            .await?;
        let boards = boards.iter().map(board_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Some((puzzle, boards)))
    }

    async fn last_ids(&self, room: &str) -> Result<(u32, BoardId), StorageError> {
        let puzzle: Option<i64> = sqlx::query_scalar("SELECT MAX(puzzle_id) FROM puzzles WHERE room_id = ?")
            .bind(room)
            .fetch_one(&self.pool)
            .await?;
        let board: Option<i64> = sqlx::query_scalar("SELECT MAX(board_id) FROM boards WHERE room_id = ?")
            .bind(room)
            .fetch_one(&self.pool)
            .await?;
        let id = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
        Ok((id(puzzle), id(board)))
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

    async fn put_upload(&self, upload: &UploadRow) -> Result<(), StorageError> {
        sqlx::query("INSERT OR IGNORE INTO uploads (id, content_type, bytes, created_at) VALUES (?, ?, ?, ?)")
            .bind(&upload.id)
            .bind(&upload.content_type)
            .bind(upload.bytes)
            .bind(upload.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn upload(&self, id: &str) -> Result<Option<UploadRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM uploads WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.map(|row| {
            Ok(UploadRow {
                id: row.try_get("id")?,
                content_type: row.try_get("content_type")?,
                bytes: row.try_get("bytes")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
