//! Server → client messages: the room channel (`/ws`) and the lobby
//! (`/ws/lobby`).

use serde::{Deserialize, Serialize};

use crate::board::{BoardId, BoardInfo, Move, PieceId, Spotlight};
use crate::chat_rules::ChatRules;
use crate::codes::ErrorCode;
use crate::model::{Message, Participant, RoomSummary, UploadGrant};
use crate::Ref;

/// A message on the room channel. All of these ride the reliable lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// The first frame of every connection.
    #[serde(rename = "welcome")]
    Welcome {
        me: Participant,
        room: String,
        #[serde(rename = "roomName")]
        room_name: String,
        /// The owner's user id, if the room has one.
        owner: Option<String>,
        participants: Vec<Participant>,
        /// Recent messages the participant may see, oldest first: the last
        /// few on a fresh connection, or everything after `since` when the
        /// client resumes (see `truncated`).
        history: Vec<Message>,
        /// True when more messages exist before `history[0]` than were sent;
        /// page them with `GET /api/rooms/{roomId}/messages`.
        truncated: bool,
        /// True while teachers keep new students out (`joining`).
        #[serde(rename = "joinLocked")]
        join_locked: bool,
        /// The room's chat rules (whispers, chat off, who is muted).
        chat: ChatRules,
        /// What fetches the room's pictures (`/uploads/…?grant=…`).
        #[serde(rename = "uploadGrant")]
        upload_grant: UploadGrant,
    },
    /// A request succeeded. `seq` is the stored message's sequence number when
    /// the request stored one.
    #[serde(rename = "ack")]
    Ack {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        seq: Option<u64>,
    },
    /// A request (or an undecodable frame) was refused; nothing changed.
    #[serde(rename = "error")]
    Error {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        code: ErrorCode,
        message: String,
    },
    /// A new chat, whisper or system message.
    #[serde(rename = "msg")]
    Msg(Message),
    /// Someone joined, left, came online or went offline. `count` is the
    /// number of participants after the change.
    #[serde(rename = "presence")]
    Presence { event: PresenceEvent, participant: Participant, count: u32 },
    /// The room's owner changed.
    #[serde(rename = "owner")]
    Owner { user: Option<String> },
    /// The boards this participant may see, and the spotlight. Sent after
    /// the welcome and again whenever either changes.
    #[serde(rename = "boards")]
    Boards { boards: Vec<BoardInfo>, spotlight: Option<Spotlight> },
    /// A board's document, or the part of it the client lacked (a Yjs v1
    /// update to apply).
    #[serde(rename = "doc")]
    Doc {
        board: BoardId,
        #[serde(with = "serde_bytes")]
        update: Vec<u8>,
    },
    /// A committed board write (Yjs v1 update), from `by` (`None`: the
    /// server, or names hidden).
    #[serde(rename = "update")]
    Update {
        board: BoardId,
        #[serde(with = "serde_bytes")]
        update: Vec<u8>,
        by: Option<String>,
    },
    /// Drag positions since the last batch (motion lane): at most one per
    /// piece, the latest.
    #[serde(rename = "motion")]
    Motion { moves: Vec<Move> },
    /// A piece's soft lock was taken (`by` is the holder, `None` when names
    /// are hidden).
    #[serde(rename = "grab")]
    Grab { board: BoardId, piece: PieceId, by: Option<String> },
    /// A piece's soft lock ended (drop, disconnect, or silence).
    #[serde(rename = "release")]
    Release { board: BoardId, piece: PieceId },
    /// A board's progress changed.
    #[serde(rename = "progress")]
    Progress { board: BoardId, progress: f32, done: bool },
    /// A teacher closed the room to new students, or opened it again.
    #[serde(rename = "joining")]
    Joining { locked: bool },
    /// A teacher changed the chat rules; the whole new set.
    #[serde(rename = "chatrules")]
    ChatRules(ChatRules),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceEvent {
    Join,
    Leave,
    Online,
    Offline,
    /// A teacher changed the participant's display name.
    Rename,
}

/// A message on the lobby channel: room-list changes only, never in-room
/// traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LobbyMsg {
    /// The full list of open rooms; sent first, and again if the connection
    /// fell behind.
    #[serde(rename = "rooms")]
    Rooms { rooms: Vec<RoomSummary> },
    /// A room was created or its counts changed.
    #[serde(rename = "room")]
    Room(RoomSummary),
    /// A room was closed.
    #[serde(rename = "closed")]
    Closed { room: String },
}

impl ServerMsg {
    /// The wire tag, used as a metrics label.
    pub fn tag(&self) -> &'static str {
        match self {
            ServerMsg::Welcome { .. } => "welcome",
            ServerMsg::Ack { .. } => "ack",
            ServerMsg::Error { .. } => "error",
            ServerMsg::Msg(_) => "msg",
            ServerMsg::Presence { .. } => "presence",
            ServerMsg::Owner { .. } => "owner",
            ServerMsg::Boards { .. } => "boards",
            ServerMsg::Doc { .. } => "doc",
            ServerMsg::Update { .. } => "update",
            ServerMsg::Motion { .. } => "motion",
            ServerMsg::Grab { .. } => "grab",
            ServerMsg::Release { .. } => "release",
            ServerMsg::Progress { .. } => "progress",
            ServerMsg::Joining { .. } => "joining",
            ServerMsg::ChatRules(_) => "chatrules",
        }
    }
}
