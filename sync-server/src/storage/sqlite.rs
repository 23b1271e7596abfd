//! SQLite storage: the embedded default. WAL mode with `synchronous=FULL`, so
//! a committed batch survives `kill -9` and power loss alike.

use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jigsync_schema::{Message, MessageKind, Role, SystemEvent, SystemEventKind};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

use super::{
    HistoryQuery, MemberRow, MemberStatus, RoomRow, Storage, StorageError, UploadRow, Write,
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
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(SqliteStorage { pool })
    }
}

fn observe(op: &'static str, started: Instant) {
    metrics::histogram!("jigsync_storage_seconds", "op" => op)
        .record(started.elapsed().as_secs_f64());
}

fn room_row(row: &SqliteRow) -> Result<RoomRow, StorageError> {
    Ok(RoomRow {
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
    }
}

fn event_kind(value: &str) -> Result<SystemEventKind, StorageError> {
    Ok(match value {
        "join" => SystemEventKind::Join,
        "leave" => SystemEventKind::Leave,
        "kick" => SystemEventKind::Kick,
        "owner" => SystemEventKind::Owner,
        "closed" => SystemEventKind::Closed,
        other => return Err(StorageError::Corrupt(format!("event kind {other:?}"))),
    })
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
                user: row
                    .try_get::<Option<String>, _>("event_user")?
                    .unwrap_or_default(),
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
        let inserted = sqlx::query(
            "INSERT INTO rooms (id, name, join_code, owner_id, created_at) VALUES (?, ?, ?, ?, ?)",
        )
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
        let row = sqlx::query("SELECT * FROM rooms WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
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
        let rows =
            sqlx::query("SELECT * FROM members WHERE room_id = ? ORDER BY joined_at, user_id")
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
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE room_id = ?")
                .bind(room)
                .fetch_one(&self.pool)
                .await?;
        Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
    }

    async fn messages(
        &self,
        room: &str,
        query: HistoryQuery<'_>,
    ) -> Result<Vec<Message>, StorageError> {
        let started = Instant::now();
        let to_i64 = |seq: Option<u64>, default: i64| {
            seq.map_or(default, |s| i64::try_from(s).unwrap_or(i64::MAX))
        };
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
        let mut messages = rows
            .iter()
            .map(message_row)
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        observe("messages", started);
        Ok(messages)
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
        let row = sqlx::query("SELECT * FROM uploads WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
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

async fn write_member(
    tx: &mut sqlx::SqliteConnection,
    member: &MemberRow,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO members (room_id, user_id, name, role, joined_at, status) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
             joined_at = excluded.joined_at, status = excluded.status",
    )
    .bind(&member.room)
    .bind(&member.user)
    .bind(&member.name)
    .bind(member.role.as_str())
    .bind(member.joined_at)
    .bind(member.status.as_str())
    .execute(tx)
    .await?;
    Ok(())
}
