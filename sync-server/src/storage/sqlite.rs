//! SQLite storage: the embedded default. WAL mode with `synchronous=FULL`, so
//! a committed batch survives `kill -9` and power loss alike.

use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jigsync_schema::{BoardId, BoardMode, Message, MessageKind, Role, Spotlight, SystemEvent, SystemEventKind};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{
    BoardLog, BoardRow, HistoryQuery, MemberRow, MemberStatus, PuzzleRow, RoomRow, Storage, StorageError, UploadRow,
    Write,
};
use crate::uploads::attachment;

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

fn observe(op: &'static str, started: Instant) {
    metrics::histogram!("jigsync_storage_seconds", "op" => op).record(started.elapsed().as_secs_f64());
}

fn room_row(row: &SqliteRow) -> Result<RoomRow, StorageError> {
    let spotlight_board: Option<i64> = row.try_get("spotlight_board")?;
    let hide_names: i64 = row.try_get("spotlight_hide_names")?;
    Ok(RoomRow {
        spotlight: spotlight_board
            .and_then(|b| BoardId::try_from(b).ok())
            .map(|board| Spotlight { board, hide_names: hide_names != 0 }),
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        join_code: row.try_get("join_code")?,
        owner: row.try_get("owner_id")?,
        created_at: row.try_get("created_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

fn member_row(row: &SqliteRow) -> Result<MemberRow, StorageError> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(MemberRow {
        room: row.try_get("room_id")?,
        user: row.try_get("user_id")?,
        name: row.try_get("name")?,
        role: match role.as_str() {
            "teacher" => Role::Teacher,
            "student" => Role::Student,
            other => return Err(StorageError::Corrupt(format!("role {other:?}"))),
        },
        joined_at: row.try_get("joined_at")?,
        color: row.try_get("color")?,
        status: match status.as_str() {
            "active" => MemberStatus::Active,
            "left" => MemberStatus::Left,
            "kicked" => MemberStatus::Kicked,
            other => return Err(StorageError::Corrupt(format!("member status {other:?}"))),
        },
    })
}

fn message_kind(value: &str) -> Result<MessageKind, StorageError> {
    Ok(match value {
        "chat" => MessageKind::Chat,
        "whisper" => MessageKind::Whisper,
        "system" => MessageKind::System,
        other => return Err(StorageError::Corrupt(format!("message kind {other:?}"))),
    })
}

fn kind_str(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Chat => "chat",
        MessageKind::Whisper => "whisper",
        MessageKind::System => "system",
    }
}

fn event_kind_str(kind: SystemEventKind) -> &'static str {
    match kind {
        SystemEventKind::Join => "join",
        SystemEventKind::Leave => "leave",
        SystemEventKind::Kick => "kick",
        SystemEventKind::Owner => "owner",
        SystemEventKind::Closed => "closed",
        SystemEventKind::Solved => "solved",
    }
}

fn event_kind(value: &str) -> Result<SystemEventKind, StorageError> {
    Ok(match value {
        "join" => SystemEventKind::Join,
        "leave" => SystemEventKind::Leave,
        "kick" => SystemEventKind::Kick,
        "owner" => SystemEventKind::Owner,
        "closed" => SystemEventKind::Closed,
        "solved" => SystemEventKind::Solved,
        other => return Err(StorageError::Corrupt(format!("event kind {other:?}"))),
    })
}

fn mode_str(mode: BoardMode) -> &'static str {
    match mode {
        BoardMode::Individual => "individual",
        BoardMode::Shared => "shared",
        BoardMode::Groups => "groups",
    }
}

fn board_mode(value: &str) -> Result<BoardMode, StorageError> {
    Ok(match value {
        "individual" => BoardMode::Individual,
        "shared" => BoardMode::Shared,
        "groups" => BoardMode::Groups,
        other => return Err(StorageError::Corrupt(format!("board mode {other:?}"))),
    })
}

fn small<T: TryFrom<i64>>(row: &SqliteRow, column: &str) -> Result<T, StorageError> {
    let value: i64 = row.try_get(column)?;
    T::try_from(value).map_err(|_| StorageError::Corrupt(format!("{column} = {value}")))
}

fn puzzle_row(row: &SqliteRow) -> Result<PuzzleRow, StorageError> {
    let mode: String = row.try_get("mode")?;
    let meta: String = row.try_get("meta")?;
    Ok(PuzzleRow {
        meta: serde_json::from_str(&meta).map_err(|e| StorageError::Corrupt(format!("meta: {e}")))?,
        room: row.try_get("room_id")?,
        id: small(row, "puzzle_id")?,
        upload: row.try_get("upload_id")?,
        rows: small(row, "rows")?,
        cols: small(row, "cols")?,
        mode: board_mode(&mode)?,
        created_at: row.try_get("created_at")?,
    })
}

fn board_row(row: &SqliteRow) -> Result<BoardRow, StorageError> {
    let members: String = row.try_get("members")?;
    let meta: String = row.try_get("meta")?;
    let locked: i64 = row.try_get("locked")?;
    Ok(BoardRow {
        room: row.try_get("room_id")?,
        id: small(row, "board_id")?,
        puzzle: small(row, "puzzle_id")?,
        members: serde_json::from_str(&members).map_err(|e| StorageError::Corrupt(format!("members: {e}")))?,
        locked: locked != 0,
        meta: serde_json::from_str(&meta).map_err(|e| StorageError::Corrupt(format!("meta: {e}")))?,
        completed_at: row.try_get("completed_at")?,
    })
}

fn seq_i64(seq: u64) -> Result<i64, StorageError> {
    i64::try_from(seq).map_err(|_| StorageError::Corrupt(format!("seq {seq}")))
}

fn message_row(row: &SqliteRow) -> Result<Message, StorageError> {
    let kind: String = row.try_get("kind")?;
    let upload_id: Option<String> = row.try_get("upload_id")?;
    let upload_type: Option<String> = row.try_get("content_type")?;
    let event_kind_col: Option<String> = row.try_get("event_kind")?;
    let seq: i64 = row.try_get("seq")?;
    Ok(Message {
        seq: u64::try_from(seq).map_err(|_| StorageError::Corrupt(format!("seq {seq}")))?,
        ts: row.try_get("ts")?,
        kind: message_kind(&kind)?,
        from: row.try_get("from_id")?,
        to: row.try_get("to_id")?,
        text: row.try_get("text")?,
        upload: match (upload_id, upload_type) {
            (Some(id), Some(content_type)) => Some(attachment(&id, &content_type)),
            _ => None,
        },
        event: match event_kind_col {
            Some(kind) => Some(SystemEvent {
                kind: event_kind(&kind)?,
                user: row.try_get::<Option<String>, _>("event_user")?.unwrap_or_default(),
                by: row.try_get("event_by")?,
            }),
            None => None,
        },
    })
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
        let mut tx = self.pool.begin().await?;
        for write in writes {
            match write {
                Write::Member(member) => write_member(&mut tx, member).await?,
                Write::Owner { room, owner } => {
                    sqlx::query("UPDATE rooms SET owner_id = ? WHERE id = ?")
                        .bind(owner)
                        .bind(room)
                        .execute(&mut *tx)
                        .await?;
                }
                Write::Spotlight { room, spotlight } => {
                    sqlx::query("UPDATE rooms SET spotlight_board = ?, spotlight_hide_names = ? WHERE id = ?")
                        .bind(spotlight.map(|s| i64::from(s.board)))
                        .bind(spotlight.is_some_and(|s| s.hide_names))
                        .bind(room)
                        .execute(&mut *tx)
                        .await?;
                }
                Write::Puzzle(puzzle) => {
                    let meta = serde_json::to_string(&puzzle.meta).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                    sqlx::query(
                        "INSERT INTO puzzles (room_id, puzzle_id, upload_id, rows, cols, mode, meta, created_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&puzzle.room)
                    .bind(i64::from(puzzle.id))
                    .bind(&puzzle.upload)
                    .bind(i64::from(puzzle.rows))
                    .bind(i64::from(puzzle.cols))
                    .bind(mode_str(puzzle.mode))
                    .bind(meta)
                    .bind(puzzle.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                Write::Board(board) => {
                    let members =
                        serde_json::to_string(&board.members).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                    let meta = serde_json::to_string(&board.meta).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                    sqlx::query(
                        "INSERT INTO boards (room_id, board_id, puzzle_id, members, locked, meta, completed_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT (room_id, board_id) DO UPDATE SET members = excluded.members,
                             locked = excluded.locked, completed_at = excluded.completed_at",
                    )
                    .bind(&board.room)
                    .bind(i64::from(board.id))
                    .bind(i64::from(board.puzzle))
                    .bind(members)
                    .bind(board.locked)
                    .bind(meta)
                    .bind(board.completed_at)
                    .execute(&mut *tx)
                    .await?;
                }
                Write::BoardUpdate { room, board, seq, ts, data } => {
                    sqlx::query("INSERT INTO board_updates (room_id, board_id, seq, ts, data) VALUES (?, ?, ?, ?, ?)")
                        .bind(room)
                        .bind(i64::from(*board))
                        .bind(seq_i64(*seq)?)
                        .bind(ts)
                        .bind(data.as_slice())
                        .execute(&mut *tx)
                        .await?;
                }
                Write::CloseRoom { room, at } => {
                    sqlx::query("UPDATE rooms SET closed_at = ? WHERE id = ?")
                        .bind(at)
                        .bind(room)
                        .execute(&mut *tx)
                        .await?;
                }
                Write::Message { room, message } => {
                    let seq = i64::try_from(message.seq)
                        .map_err(|_| StorageError::Corrupt(format!("seq {}", message.seq)))?;
                    let event = message.event.as_ref();
                    sqlx::query(
                        "INSERT INTO messages (room_id, seq, ts, kind, from_id, to_id, text, upload_id, event_kind, event_user, event_by)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(room)
                    .bind(seq)
                    .bind(message.ts)
                    .bind(kind_str(message.kind))
                    .bind(&message.from)
                    .bind(&message.to)
                    .bind(&message.text)
                    .bind(message.upload.as_ref().map(|u| &u.id))
                    .bind(event.map(|e| event_kind_str(e.kind)))
                    .bind(event.map(|e| &e.user))
                    .bind(event.and_then(|e| e.by.as_ref()))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
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

async fn write_member(tx: &mut sqlx::SqliteConnection, member: &MemberRow) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO members (room_id, user_id, name, role, joined_at, status, color) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
             joined_at = excluded.joined_at, status = excluded.status, color = excluded.color",
    )
    .bind(&member.room)
    .bind(&member.user)
    .bind(&member.name)
    .bind(member.role.as_str())
    .bind(member.joined_at)
    .bind(member.status.as_str())
    .bind(&member.color)
    .execute(tx)
    .await?;
    Ok(())
}
