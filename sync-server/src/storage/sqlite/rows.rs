//! How the server's rows map to SQLite columns and back: parsing stored
//! values (refusing what is not valid) and naming enum values as stored.

use jigsync_schema::{BoardId, BoardMode, Message, MessageKind, Role, Spotlight, SystemEvent, SystemEventKind};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::storage::{BoardRow, MemberRow, MemberStatus, PuzzleRow, RoomRow, StorageError};
use crate::uploads::attachment;

pub fn room_row(row: &SqliteRow) -> Result<RoomRow, StorageError> {
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

pub fn member_row(row: &SqliteRow) -> Result<MemberRow, StorageError> {
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

pub fn small<T: TryFrom<i64>>(row: &SqliteRow, column: &str) -> Result<T, StorageError> {
    let value: i64 = row.try_get(column)?;
    T::try_from(value).map_err(|_| StorageError::Corrupt(format!("{column} = {value}")))
}

pub fn puzzle_row(row: &SqliteRow) -> Result<PuzzleRow, StorageError> {
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

pub fn board_row(row: &SqliteRow) -> Result<BoardRow, StorageError> {
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

pub fn seq_i64(seq: u64) -> Result<i64, StorageError> {
    i64::try_from(seq).map_err(|_| StorageError::Corrupt(format!("seq {seq}")))
}

pub fn message_row(row: &SqliteRow) -> Result<Message, StorageError> {
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
