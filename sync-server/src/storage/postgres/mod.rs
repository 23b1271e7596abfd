//! Postgres storage: the store of record when several nodes serve rooms.
//! Every node connects to the same database; [`PostgresStorage::connect`]
//! applies `migrations_postgres/` first (sqlx holds an advisory lock while it
//! migrates, so nodes starting together apply each migration once). A batch
//! returns once its transaction has committed, which with Postgres's default
//! `synchronous_commit = on` means its WAL is flushed.
//!
//! Same behaviour as the SQLite store, query for query. The queries are
//! here; [`commit`] writes a batch, [`load`] reads a room whole in a fixed
//! number of round trips, and rows read back through [`super::stored`],
//! shared with SQLite. Upload bytes live here too (`upload_bytes`, read and
//! written by [`BlobStore`]), so every node serves every upload.

mod commit;
mod delete;
mod load;
mod teachers;

use std::path::PathBuf;
use std::time::Instant;

use async_trait::async_trait;
use jigsync_schema::{BoardId, Message};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};

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

/// The unique constraint on `rooms.join_code` (named in the migration).
const JOIN_CODE_CONSTRAINT: &str = "rooms_join_code_key";

pub struct PostgresStorage {
    pool: PgPool,
    group: GroupCommit,
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and
    /// brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        sqlx::migrate!("./migrations_postgres").run(&pool).await?;
        let group = GroupCommit::start(commit::Committer(pool.clone()));
        Ok(PostgresStorage { pool, group })
    }
}

impl PostgresStorage {
    /// The room ids `rooms` (a query of `id`s bound to `$1 = before`) finds,
    /// but those with a live lease: some node serves them, so someone is
    /// connected.
    async fn unserved(&self, rooms: &str, before: i64) -> Result<Vec<String>, StorageError> {
        let query = format!(
            "SELECT id FROM ({rooms}) found WHERE NOT EXISTS
               (SELECT 1 FROM room_leases l WHERE l.room_id = found.id AND l.expires_at > now())"
        );
        Ok(sqlx::query_scalar(&query).bind(before).fetch_all(&self.pool).await?)
    }
}

/// Whether an insert into `rooms` failed because its join code is taken.
fn join_code_taken(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation() && db.constraint() == Some(JOIN_CODE_CONSTRAINT),
        _ => false,
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn create_room(&self, room: &RoomRow, owner: &MemberRow) -> Result<(), StorageError> {
        let started = Instant::now();
        let mut tx = self.pool.begin().await?;
        let inserted =
            sqlx::query("INSERT INTO rooms (id, name, join_code, owner_id, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&room.id)
                .bind(&room.name)
                .bind(&room.join_code)
                .bind(&room.owner)
                .bind(room.created_at)
                .execute(&mut *tx)
                .await;
        if let Err(err) = &inserted {
            if join_code_taken(err) {
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
        let row = sqlx::query("SELECT * FROM rooms WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(room_row).transpose()
    }

    async fn room_by_code(&self, code: &str) -> Result<Option<RoomRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM rooms WHERE join_code = $1 AND closed_at IS NULL")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(room_row).transpose()
    }

    async fn open_rooms(&self) -> Result<Vec<(RoomRow, u32)>, StorageError> {
        // `id` only breaks ties between rooms created in the same millisecond.
        let rows = sqlx::query(
            "SELECT rooms.*, (SELECT COUNT(*) FROM members m WHERE m.room_id = rooms.id AND m.status = 'active') AS active
             FROM rooms WHERE closed_at IS NULL ORDER BY created_at, id",
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
        // Byte order for user ids, as SQLite compares text, whatever the
        // database's default collation.
        let rows = sqlx::query("SELECT * FROM members WHERE room_id = $1 ORDER BY joined_at, user_id COLLATE \"C\"")
            .bind(room)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(member_row).collect()
    }

    async fn member(&self, room: &str, user: &str) -> Result<Option<MemberRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM members WHERE room_id = $1 AND user_id = $2")
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
        let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE room_id = $1")
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
             WHERE m.room_id = $1 AND m.seq > $2 AND m.seq < $3
               AND (m.kind <> 'whisper' OR $6 OR m.from_id = $4 OR m.to_id = $4)
             ORDER BY m.seq DESC LIMIT $5",
        )
        .bind(room)
        .bind(to_i64(query.after, 0))
        .bind(to_i64(query.before, i64::MAX))
        .bind(query.viewer)
        .bind(i64::from(query.limit))
        .bind(query.all_whispers)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows.iter().map(message_row).collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        observe("messages", started);
        Ok(messages)
    }

    async fn active_puzzle(&self, room: &str) -> Result<Option<(PuzzleRow, Vec<BoardRow>)>, StorageError> {
        let Some(row) = sqlx::query("SELECT * FROM puzzles WHERE room_id = $1 ORDER BY puzzle_id DESC LIMIT 1")
            .bind(room)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let puzzle = puzzle_row(&row)?;
        let boards = sqlx::query("SELECT * FROM boards WHERE room_id = $1 AND puzzle_id = $2 ORDER BY board_id")
            .bind(room)
            .bind(i64::from(puzzle.id))
            .fetch_all(&self.pool)
            .await?;
        let boards = boards.iter().map(board_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Some((puzzle, boards)))
    }

    async fn last_ids(&self, room: &str) -> Result<(u32, BoardId), StorageError> {
        let puzzle: Option<i64> = sqlx::query_scalar("SELECT MAX(puzzle_id) FROM puzzles WHERE room_id = $1")
            .bind(room)
            .fetch_one(&self.pool)
            .await?;
        let board: Option<i64> = sqlx::query_scalar("SELECT MAX(board_id) FROM boards WHERE room_id = $1")
            .bind(room)
            .fetch_one(&self.pool)
            .await?;
        Ok((last_id(puzzle), last_id(board)))
    }

    async fn board_activity(&self, room: &str, puzzle: u32) -> Result<BoardActivity, StorageError> {
        let progress = sqlx::query(
            "SELECT board_id, progress FROM boards WHERE room_id = $1 AND puzzle_id = $2 ORDER BY board_id",
        )
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
             WHERE d.room_id = $1 AND b.puzzle_id = $2 ORDER BY d.board_id, d.user_id",
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
        let snapshot = sqlx::query("SELECT upto_seq, data FROM board_snapshots WHERE room_id = $1 AND board_id = $2")
            .bind(room)
            .bind(i64::from(board))
            .fetch_optional(&self.pool)
            .await?
            .map(|row| -> Result<(u64, Vec<u8>), StorageError> { Ok((small(&row, "upto_seq")?, row.try_get("data")?)) })
            .transpose()?;
        let after = snapshot.as_ref().map_or(0, |(seq, _)| *seq);
        let rows = sqlx::query(
            "SELECT seq, data FROM board_updates WHERE room_id = $1 AND board_id = $2 AND seq > $3 ORDER BY seq",
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
        let loaded = load::load_room(&self.pool, id).await?;
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
        // A snapshot only ever replaces an older one.
        sqlx::query(
            "INSERT INTO board_snapshots (room_id, board_id, upto_seq, data) VALUES ($1, $2, $3, $4)
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
        sqlx::query("DELETE FROM board_updates WHERE room_id = $1 AND board_id = $2 AND seq <= $3")
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
        // One snapshot for every statement, so a compaction moving updates
        // to the archive meanwhile neither hides nor doubles them.
        let mut tx = self.pool.begin_with(load::BEGIN).await?;
        let timeline = read_timeline!(&mut *tx, room, board, window);
        tx.commit().await?;
        observe("board_history", started);
        timeline
    }

    async fn put_upload(&self, upload: &UploadRow, room: &str) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO uploads (id, content_type, bytes, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&upload.id)
        .bind(&upload.content_type)
        .bind(upload.bytes)
        .bind(upload.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO room_uploads (room_id, upload_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(room)
            .bind(&upload.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_room(&self, room: &str, fence: Option<&Fence>) -> Result<Option<Vec<String>>, StorageError> {
        let started = Instant::now();
        let deleted = delete::delete_room(&self.pool, room, fence).await?;
        observe("delete_room", started);
        Ok(deleted)
    }

    async fn upload(&self, id: &str) -> Result<Option<UploadRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM uploads WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(upload_row).transpose()?)
    }

    async fn room_upload(&self, room: &str, id: &str) -> Result<Option<UploadRow>, StorageError> {
        let row = sqlx::query(&room_upload("$1", "$2")).bind(room).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(upload_row).transpose()?)
    }

    async fn rooms_past_retention(&self, before: i64) -> Result<Vec<String>, StorageError> {
        self.unserved(&rooms_past_retention("GREATEST", "$1"), before).await
    }

    async fn idle_rooms(&self, before: i64) -> Result<Vec<String>, StorageError> {
        self.unserved(&open_rooms_idle_before("GREATEST", "$1"), before).await
    }

    async fn record_activity(&self, room: &str, at: i64) -> Result<(), StorageError> {
        sqlx::query("UPDATE rooms SET active_at = GREATEST(COALESCE(active_at, 0), $2) WHERE id = $1")
            .bind(room)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn blob_store(&self, _dir: PathBuf) -> std::io::Result<BlobStore> {
        Ok(BlobStore::postgres(self.pool.clone()))
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

fn upload_row(row: &sqlx::postgres::PgRow) -> Result<UploadRow, sqlx::Error> {
    Ok(UploadRow {
        id: row.try_get("id")?,
        content_type: row.try_get("content_type")?,
        bytes: row.try_get("bytes")?,
        created_at: row.try_get("created_at")?,
    })
}
