//! The Jigsync wire protocol, shared by the server, the load generator and
//! (through the golden vectors in `vectors/`) the JavaScript client.
//!
//! Every frame on `/ws` and `/ws/lobby` is one binary WebSocket message holding
//! one MessagePack value. Messages are externally tagged enums: a one-entry map
//! from a short, stable tag to an array of fields, e.g. `{"chat": [7, "hi", nil]}`.
//! Arrays rather than maps keep hot messages small; the field order is the
//! contract and is documented in `PROTOCOL.md`.
//!
//! - [`client`]: what a client may send on the room channel.
//! - [`server`]: what the server sends on the room channel and the lobby.
//! - [`model`]: the records both directions share (participants, messages).
//! - [`board`]: puzzle-board records and drag positions (motion lane).
//! - [`chat_rules`]: what teachers allow in a room's chat.
//! - [`history`]: a board's timeline for replay (an HTTP body, not a frame).
//! - [`codes`]: stable error codes and WebSocket close codes.
//! - [`limits`]: size limits the server enforces and clients should respect.
//! - [`codec`]: encoding, decoding, and recovering a request's `ref` from a
//!   frame that did not decode.

pub mod board;
pub mod chat_rules;
pub mod client;
pub mod codec;
pub mod codes;
pub mod history;
pub mod limits;
pub mod model;
pub mod server;

pub use board::{BoardId, BoardInfo, BoardMeta, BoardMode, Move, PieceId, Spotlight};
pub use chat_rules::{ChatRules, WhisperRule};
pub use client::ClientMsg;
pub use codec::{decode, encode, peek_ref, DecodeError};
pub use codes::{CloseCode, ErrorCode};
pub use history::{BoardHistory, HistoryKeyframe, HistoryUpdate};
pub use model::{
    Attachment, Message, MessageKind, Participant, Role, RoomSummary, SystemEvent, SystemEventKind, UploadGrant,
};
pub use server::{LobbyMsg, ServerMsg};

/// A client-chosen correlation number; the server echoes it in the `ack` or
/// `error` that answers the request.
pub type Ref = u32;
