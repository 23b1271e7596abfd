//! What both SQL backends store alike: the names enums are stored under,
//! how a row reads back into the server's records (through [`StoredRow`],
//! which each backend implements for its own row type, and which rows
//! Postgres aggregates into JSON implement too), and the storage latency
//! histogram.

use std::time::Instant;

use jigsync_schema::{
    BoardId, BoardMode, Message, MessageKind, Role, Spotlight, SystemEvent, SystemEventKind, WhisperRule,
};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

/// Inserts a member, or on a rejoin replaces every column of their row: one
/// text for both stores and every driver (SQLite reads `$1`, `$2`, … as
/// parameters in order, as Postgres does).
pub const MEMBER_UPSERT: &str = "INSERT INTO members (room_id, user_id, name, role, joined_at, status, color, muted)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
         joined_at = excluded.joined_at, status = excluded.status, color = excluded.color,
         muted = excluded.muted";

/// [`MEMBER_UPSERT`] with `member` bound, for either sqlx driver.
pub fn member_upsert<'q, DB>(member: &'q MemberRow) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(MEMBER_UPSERT)
        .bind(member.room.as_str())
        .bind(member.user.as_str())
        .bind(member.name.as_str())
        .bind(member.role.as_str())
        .bind(member.joined_at)
        .bind(member.status.as_str())
        .bind(member.color.as_str())
        .bind(member.muted)
}

use super::{BoardRow, MemberRow, MemberStatus, PuzzleRow, RoomRow, StorageError};
use crate::uploads::attachment;

/// The column reads row decoding needs, by the Rust type they give. Every
/// integer column is 64 bits in both backends.
pub trait StoredRow {
    fn text(&self, column: &str) -> Result<String, StorageError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StorageError>;
    fn int(&self, column: &str) -> Result<i64, StorageError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StorageError>;
    fn flag(&self, column: &str) -> Result<bool, StorageError>;
}

macro_rules! stored_row {
    ($row:ty) => {
        impl StoredRow for $row {
            fn text(&self, column: &str) -> Result<String, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn opt_int(&self, column: &str) -> Result<Option<i64>, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn flag(&self, column: &str) -> Result<bool, StorageError> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

stored_row!(SqliteRow);
stored_row!(PgRow);

/// A row Postgres handed back as a JSON object (`json_agg`, `row_to_json`),
/// so that several tables' rows come back in one statement and still read
/// through the same decoders. Keys are column names; SQL NULL is JSON null.
pub type JsonRow = serde_json::Map<String, serde_json::Value>;

impl StoredRow for JsonRow {
    fn text(&self, column: &str) -> Result<String, StorageError> {
        self.opt_text(column)?.ok_or_else(|| null_column(column))
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StorageError> {
        match json_column(self, column)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(text) => Ok(Some(text.clone())),
            other => Err(StorageError::Corrupt(format!("{column} = {other}, expected text"))),
        }
    }
    fn int(&self, column: &str) -> Result<i64, StorageError> {
        self.opt_int(column)?.ok_or_else(|| null_column(column))
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StorageError> {
        match json_column(self, column)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Number(n) if n.is_i64() => Ok(n.as_i64()),
            other => Err(StorageError::Corrupt(format!("{column} = {other}, expected an integer"))),
        }
    }
    fn flag(&self, column: &str) -> Result<bool, StorageError> {
        match json_column(self, column)? {
            serde_json::Value::Bool(flag) => Ok(*flag),
            other => Err(StorageError::Corrupt(format!("{column} = {other}, expected a boolean"))),
        }
    }
}

fn json_column<'a>(row: &'a JsonRow, column: &str) -> Result<&'a serde_json::Value, StorageError> {
    row.get(column).ok_or_else(|| StorageError::Corrupt(format!("no column {column}")))
}

fn null_column(column: &str) -> StorageError {
    StorageError::Corrupt(format!("{column} is null"))
}

/// Parses JSON text Postgres built (`json_agg(...)::text`) into rows.
pub fn json_rows(text: &str, what: &str) -> Result<Vec<JsonRow>, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// Parses one row Postgres built (`row_to_json(...)::text`).
pub fn json_row(text: &str, what: &str) -> Result<JsonRow, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// Records how long a storage operation took.
pub fn observe(op: &'static str, started: Instant) {
    metrics::histogram!("jigsync_storage_seconds", "op" => op).record(started.elapsed().as_secs_f64());
}

pub fn room_row(row: &impl StoredRow) -> Result<RoomRow, StorageError> {
    let spotlight_board = row.opt_int("spotlight_board")?;
    let hide_names = row.flag("spotlight_hide_names")?;
    Ok(RoomRow {
        spotlight: spotlight_board.and_then(|b| BoardId::try_from(b).ok()).map(|board| Spotlight { board, hide_names }),
        id: row.text("id")?,
        name: row.text("name")?,
        join_code: row.text("join_code")?,
        owner: row.opt_text("owner_id")?,
        created_at: row.int("created_at")?,
        closed_at: row.opt_int("closed_at")?,
        join_locked: row.flag("join_locked")?,
        whispers: match row.text("whispers")?.as_str() {
            "visible_to_teachers" => WhisperRule::VisibleToTeachers,
            "off" => WhisperRule::Off,
            other => return Err(StorageError::Corrupt(format!("whispers {other:?}"))),
        },
        chat_off: row.flag("chat_off")?,
    })
}

pub fn member_row(row: &impl StoredRow) -> Result<MemberRow, StorageError> {
    let role = row.text("role")?;
    let status = row.text("status")?;
    Ok(MemberRow {
        room: row.text("room_id")?,
        user: row.text("user_id")?,
        name: row.text("name")?,
        role: match role.as_str() {
            "teacher" => Role::Teacher,
            "student" => Role::Student,
            other => return Err(StorageError::Corrupt(format!("role {other:?}"))),
        },
        joined_at: row.int("joined_at")?,
        color: row.text("color")?,
        muted: row.flag("muted")?,
        status: match status.as_str() {
            "active" => MemberStatus::Active,
            "left" => MemberStatus::Left,
            "kicked" => MemberStatus::Kicked,
            other => return Err(StorageError::Corrupt(format!("member status {other:?}"))),
        },
    })
}

pub fn message_kind(value: &str) -> Result<MessageKind, StorageError> {
    Ok(match value {
        "chat" => MessageKind::Chat,
        "whisper" => MessageKind::Whisper,
        "system" => MessageKind::System,
        other => return Err(StorageError::Corrupt(format!("message kind {other:?}"))),
    })
}

pub fn kind_str(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Chat => "chat",
        MessageKind::Whisper => "whisper",
        MessageKind::System => "system",
    }
}

pub fn event_kind_str(kind: SystemEventKind) -> &'static str {
    match kind {
        SystemEventKind::Join => "join",
        SystemEventKind::Leave => "leave",
        SystemEventKind::Kick => "kick",
        SystemEventKind::Owner => "owner",
        SystemEventKind::Closed => "closed",
        SystemEventKind::Solved => "solved",
        SystemEventKind::Mute => "mute",
        SystemEventKind::Unmute => "unmute",
        SystemEventKind::ChatOff => "chat_off",
        SystemEventKind::ChatOn => "chat_on",
        SystemEventKind::WhispersOff => "whispers_off",
        SystemEventKind::WhispersOn => "whispers_on",
    }
}

pub fn event_kind(value: &str) -> Result<SystemEventKind, StorageError> {
    Ok(match value {
        "join" => SystemEventKind::Join,
        "leave" => SystemEventKind::Leave,
        "kick" => SystemEventKind::Kick,
        "owner" => SystemEventKind::Owner,
        "closed" => SystemEventKind::Closed,
        "solved" => SystemEventKind::Solved,
        "mute" => SystemEventKind::Mute,
        "unmute" => SystemEventKind::Unmute,
        "chat_off" => SystemEventKind::ChatOff,
        "chat_on" => SystemEventKind::ChatOn,
        "whispers_off" => SystemEventKind::WhispersOff,
        "whispers_on" => SystemEventKind::WhispersOn,
        other => return Err(StorageError::Corrupt(format!("event kind {other:?}"))),
    })
}

pub fn mode_str(mode: BoardMode) -> &'static str {
    match mode {
        BoardMode::Individual => "individual",
        BoardMode::Shared => "shared",
        BoardMode::Groups => "groups",
    }
}

pub fn board_mode(value: &str) -> Result<BoardMode, StorageError> {
    Ok(match value {
        "individual" => BoardMode::Individual,
        "shared" => BoardMode::Shared,
        "groups" => BoardMode::Groups,
        other => return Err(StorageError::Corrupt(format!("board mode {other:?}"))),
    })
}

pub fn small<T: TryFrom<i64>>(row: &impl StoredRow, column: &str) -> Result<T, StorageError> {
    let value = row.int(column)?;
    T::try_from(value).map_err(|_| StorageError::Corrupt(format!("{column} = {value}")))
}

pub fn opt_small<T: TryFrom<i64>>(row: &impl StoredRow, column: &str) -> Result<Option<T>, StorageError> {
    row.opt_int(column)?
        .map(|value| T::try_from(value).map_err(|_| StorageError::Corrupt(format!("{column} = {value}"))))
        .transpose()
}

pub fn puzzle_row(row: &impl StoredRow) -> Result<PuzzleRow, StorageError> {
    let mode = row.text("mode")?;
    let meta = row.text("meta")?;
    Ok(PuzzleRow {
        meta: serde_json::from_str(&meta).map_err(|e| StorageError::Corrupt(format!("meta: {e}")))?,
        room: row.text("room_id")?,
        id: small(row, "puzzle_id")?,
        upload: row.text("upload_id")?,
        rows: small(row, "rows")?,
        cols: small(row, "cols")?,
        mode: board_mode(&mode)?,
        created_at: row.int("created_at")?,
    })
}

pub fn board_row(row: &impl StoredRow) -> Result<BoardRow, StorageError> {
    let members = row.text("members")?;
    let meta = row.text("meta")?;
    Ok(BoardRow {
        room: row.text("room_id")?,
        id: small(row, "board_id")?,
        puzzle: small(row, "puzzle_id")?,
        members: serde_json::from_str(&members).map_err(|e| StorageError::Corrupt(format!("members: {e}")))?,
        locked: row.flag("locked")?,
        meta: serde_json::from_str(&meta).map_err(|e| StorageError::Corrupt(format!("meta: {e}")))?,
        completed_at: row.opt_int("completed_at")?,
    })
}

pub fn seq_i64(seq: u64) -> Result<i64, StorageError> {
    i64::try_from(seq).map_err(|_| StorageError::Corrupt(format!("seq {seq}")))
}

/// A solve time as stored: it fits unless a clock went mad.
pub fn took_ms_i64(ms: u64) -> Result<i64, StorageError> {
    i64::try_from(ms).map_err(|_| StorageError::Corrupt(format!("took_ms {ms}")))
}

/// A stored seq read back: never negative.
pub fn seq_u64(seq: i64) -> Result<u64, StorageError> {
    u64::try_from(seq).map_err(|_| StorageError::Corrupt(format!("seq {seq}")))
}

/// The highest puzzle or board number as `MAX(...)` gives it (NULL for none).
pub fn last_id(max: Option<i64>) -> u32 {
    max.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

pub fn message_row(row: &impl StoredRow) -> Result<Message, StorageError> {
    let kind = row.text("kind")?;
    let upload_id = row.opt_text("upload_id")?;
    let upload_type = row.opt_text("content_type")?;
    let event_kind_col = row.opt_text("event_kind")?;
    Ok(Message {
        seq: small(row, "seq")?,
        ts: row.int("ts")?,
        kind: message_kind(&kind)?,
        from: row.opt_text("from_id")?,
        to: row.opt_text("to_id")?,
        text: row.text("text")?,
        upload: match (upload_id, upload_type) {
            (Some(id), Some(content_type)) => Some(attachment(&id, &content_type)),
            _ => None,
        },
        event: match event_kind_col {
            Some(kind) => Some(SystemEvent {
                kind: event_kind(&kind)?,
                user: row.opt_text("event_user")?.unwrap_or_default(),
                by: row.opt_text("event_by")?,
                user_name: row.opt_text("event_user_name")?,
                by_name: row.opt_text("event_by_name")?,
                board: opt_small(row, "event_board")?,
                mode: row.opt_text("event_mode")?.map(|mode| board_mode(&mode)).transpose()?,
                took_ms: opt_small(row, "event_took_ms")?,
            }),
            None => None,
        },
    })
}
