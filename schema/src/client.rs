//! Client → server messages on the room channel (`/ws`). All but `mv` ride the
//! reliable state lane and are answered in order with an `ack` or an `error`;
//! `mv` (a drag position) rides the motion lane and is answered only when
//! refused.

use serde::{Deserialize, Serialize};

use crate::board::{BoardId, Move, PieceId};
use crate::chat_rules::WhisperRule;
use crate::Ref;

/// A request from a participant. Each variant's fields are encoded as an
/// array in declaration order; `ref` is always first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientMsg {
    /// Post a chat message to the whole room. `upload` names an upload id
    /// returned by `POST /api/rooms/{roomId}/uploads` (a GIF or picture);
    /// `text` may then be empty.
    #[serde(rename = "chat")]
    Chat {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        text: String,
        upload: Option<String>,
    },
    /// A private message seen by the sender, `to`, and the room's teachers.
    #[serde(rename = "whisper")]
    Whisper {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        to: String,
        text: String,
    },
    /// Remove a participant from the room (teachers and the owner only).
    #[serde(rename = "kick")]
    Kick {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        user: String,
    },
    /// Hand room ownership to another participant (the owner only).
    #[serde(rename = "owner")]
    TransferOwner {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        user: String,
    },
    /// Leave the room on purpose (as opposed to a network drop): the
    /// participant is removed from the list and, if they owned the room,
    /// ownership passes on. Connecting again with the same token rejoins.
    #[serde(rename = "leave")]
    Leave {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
    },
    /// Close the room for everyone (the owner only).
    #[serde(rename = "close")]
    CloseRoom {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
    },
    /// Ask for a board's document: answered with a `doc` holding what the
    /// client lacks given its Yjs state vector `sv` (empty: everything).
    #[serde(rename = "sync")]
    Sync {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: BoardId,
        #[serde(with = "serde_bytes")]
        sv: Vec<u8>,
    },
    /// Take the soft lock on a piece (and its group) before dragging it.
    #[serde(rename = "grab")]
    Grab {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: BoardId,
        piece: PieceId,
    },
    /// A drag position (motion lane): coalesced, never stored.
    #[serde(rename = "mv")]
    Move(Move),
    /// A board write: a Yjs update (v1 encoding), typically a drop. `release`
    /// names the dragged piece whose lock the write ends.
    #[serde(rename = "update")]
    Update {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: BoardId,
        #[serde(with = "serde_bytes")]
        update: Vec<u8>,
        release: Option<PieceId>,
    },
    /// Teacher: which board the dashboard shows full size (full-rate motion);
    /// the others arrive at thumbnail rate. `None` for none.
    #[serde(rename = "focus")]
    Focus {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: Option<BoardId>,
    },
    /// Teacher: lock or unlock one board, or every board when `board` is `None`.
    #[serde(rename = "lock")]
    Lock {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: Option<BoardId>,
        locked: bool,
    },
    /// Teacher: show one board to the whole class read-only (`None` ends it).
    #[serde(rename = "spotlight")]
    Spotlight {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: Option<BoardId>,
        #[serde(rename = "hideNames")]
        hide_names: bool,
    },
    /// Teacher: scatter a board's pieces again.
    #[serde(rename = "reset")]
    Reset {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        board: BoardId,
    },
    /// Teacher: close the room to new students (`locked`), or open it again.
    #[serde(rename = "joining")]
    LockJoining {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        locked: bool,
    },
    /// Teacher: mute a student (their chat and whispers are refused with
    /// `muted`) or lift it.
    #[serde(rename = "mute")]
    Mute {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        user: String,
        muted: bool,
    },
    /// Teacher: switch chat off for the students (`off`), or on again.
    #[serde(rename = "chatoff")]
    ChatOff {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        off: bool,
    },
    /// Teacher: whether students may whisper (their whispers are always
    /// visible to teachers).
    #[serde(rename = "whispers")]
    Whispers {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        rule: WhisperRule,
    },
    /// Teacher: give a student another display name (kept unique in the
    /// room with a number, as on joining).
    #[serde(rename = "rename")]
    Rename {
        #[serde(rename = "ref")]
        r#ref: Option<Ref>,
        user: String,
        name: String,
    },
}

impl ClientMsg {
    /// The request's correlation number, echoed by the answer.
    pub fn request_ref(&self) -> Option<Ref> {
        match self {
            ClientMsg::Chat { r#ref, .. }
            | ClientMsg::Whisper { r#ref, .. }
            | ClientMsg::Kick { r#ref, .. }
            | ClientMsg::TransferOwner { r#ref, .. }
            | ClientMsg::Leave { r#ref }
            | ClientMsg::CloseRoom { r#ref }
            | ClientMsg::Sync { r#ref, .. }
            | ClientMsg::Grab { r#ref, .. }
            | ClientMsg::Update { r#ref, .. }
            | ClientMsg::Focus { r#ref, .. }
            | ClientMsg::Lock { r#ref, .. }
            | ClientMsg::Spotlight { r#ref, .. }
            | ClientMsg::Reset { r#ref, .. }
            | ClientMsg::LockJoining { r#ref, .. }
            | ClientMsg::Mute { r#ref, .. }
            | ClientMsg::ChatOff { r#ref, .. }
            | ClientMsg::Whispers { r#ref, .. }
            | ClientMsg::Rename { r#ref, .. } => *r#ref,
            ClientMsg::Move(_) => None,
        }
    }

    /// The wire tag, used as a metrics label.
    pub fn tag(&self) -> &'static str {
        match self {
            ClientMsg::Chat { .. } => "chat",
            ClientMsg::Whisper { .. } => "whisper",
            ClientMsg::Kick { .. } => "kick",
            ClientMsg::TransferOwner { .. } => "owner",
            ClientMsg::Leave { .. } => "leave",
            ClientMsg::CloseRoom { .. } => "close",
            ClientMsg::Sync { .. } => "sync",
            ClientMsg::Grab { .. } => "grab",
            ClientMsg::Move(_) => "mv",
            ClientMsg::Update { .. } => "update",
            ClientMsg::Focus { .. } => "focus",
            ClientMsg::Lock { .. } => "lock",
            ClientMsg::Spotlight { .. } => "spotlight",
            ClientMsg::Reset { .. } => "reset",
            ClientMsg::LockJoining { .. } => "joining",
            ClientMsg::Mute { .. } => "mute",
            ClientMsg::ChatOff { .. } => "chatoff",
            ClientMsg::Whispers { .. } => "whispers",
            ClientMsg::Rename { .. } => "rename",
        }
    }
}
