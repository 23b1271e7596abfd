//! Client → server messages on the room channel (`/ws`). All of them ride the
//! reliable state lane: they are answered in order with an `ack` or an `error`.

use serde::{Deserialize, Serialize};

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
    /// A private message seen only by the sender and `to`.
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
            | ClientMsg::CloseRoom { r#ref } => *r#ref,
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
        }
    }
}
