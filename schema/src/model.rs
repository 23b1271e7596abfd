//! Records shared by the room channel, the lobby and the HTTP API. On the
//! WebSocket they are MessagePack arrays in field order; over HTTP they are
//! JSON objects with camelCase names.

use serde::{Deserialize, Serialize};

use crate::board::{BoardId, BoardMode};

/// What a participant may do in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Teacher,
    Student,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Student => "student",
        }
    }
}

/// A member of a room. One user may hold several connections (tabs); they
/// are one participant, `online` while any connection is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// `#rrggbb`, chosen when the member first joined (by joining order, so
    /// neighbours differ) and stored: the same on every device and after
    /// every reconnect.
    pub color: String,
    pub online: bool,
}

/// Who may see a stored message and how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// Seen by the whole room.
    Chat,
    /// Seen by its sender, its recipient and the room's teachers, live and
    /// in history.
    Whisper,
    /// Written by the server (joins, leaves, kicks, ownership changes).
    System,
}

/// A picture attached to a chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    pub url: String,
    pub content_type: String,
}

/// What lets a room's members fetch its pictures: `grant` goes in the
/// `grant` query parameter of an `/uploads/…` URL. Sent in the welcome and
/// by `GET /api/rooms/{roomId}/upload-grant`; `expiresAt` is in ms since the
/// epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadGrant {
    pub grant: String,
    pub expires_at: u64,
}

/// What a system message is about, for clients that render it themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemEventKind {
    Join,
    Leave,
    Kick,
    Owner,
    Closed,
    /// A board was solved (`user` placed the last piece).
    Solved,
    /// A teacher (`by`) muted `user`.
    Mute,
    /// A teacher (`by`) lifted `user`'s mute.
    Unmute,
    /// A teacher switched chat off for the students (`user` and `by`: that teacher).
    #[serde(rename = "chat_off")]
    ChatOff,
    /// A teacher switched chat on again.
    #[serde(rename = "chat_on")]
    ChatOn,
    /// A teacher switched students' whispers off.
    #[serde(rename = "whispers_off")]
    WhispersOff,
    /// A teacher allowed students' whispers again (visible to teachers).
    #[serde(rename = "whispers_on")]
    WhispersOn,
}

/// The names are the ones the people had when the event was stored, so a
/// client can name someone it never saw (a student who left before it
/// connected) and history keeps them after they leave or are removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemEvent {
    pub kind: SystemEventKind,
    /// The participant the event is about.
    pub user: String,
    /// Who caused it (the teacher who kicked, the owner who handed over).
    pub by: Option<String>,
    /// `user`'s display name (`None` only in messages stored before names were kept).
    pub user_name: Option<String>,
    /// `by`'s display name, when `by` is set.
    pub by_name: Option<String>,
    /// `solved`: the board that was solved.
    pub board: Option<BoardId>,
    /// `solved`: the board's puzzle mode, which says whose puzzle it was.
    pub mode: Option<BoardMode>,
    /// `solved`: milliseconds from the puzzle's start to the solving write.
    pub took_ms: Option<u64>,
}

/// A stored room message: chat, whisper or system. `seq` orders a room's
/// messages and is what a reconnecting client resumes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub seq: u64,
    /// Milliseconds since the Unix epoch, server clock.
    pub ts: i64,
    pub kind: MessageKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub text: String,
    pub upload: Option<Attachment>,
    pub event: Option<SystemEvent>,
}

/// One line of the lobby's room list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomSummary {
    pub id: String,
    pub name: String,
    /// Members who have not left or been removed.
    pub participants: u32,
    /// Of those, how many have a connection open.
    pub online: u32,
}
