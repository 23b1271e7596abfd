//! Stable error codes (the `code` of an `error` message and of an HTTP error
//! body) and WebSocket close codes. Clients branch on these; never renumber or
//! rename one.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is well-formed but a field is empty, too long or wrong.
    Invalid,
    /// The frame is not a MessagePack message this server knows.
    Malformed,
    /// No valid token was presented.
    Unauthorized,
    /// The token is valid but its holder may not do this.
    Forbidden,
    /// The room, participant, upload, board or piece does not exist.
    NotFound,
    /// Another participant holds the piece (soft lock).
    Busy,
    /// A teacher locked the board, or closed the room to new students.
    Locked,
    /// Too many requests; retry later.
    RateLimited,
    /// A frame, field or upload is over its size limit.
    TooLarge,
    /// An upload is not one of the accepted image types.
    UnsupportedMediaType,
    /// The server failed; the request may be retried.
    Internal,
    /// The room cannot be served right now (it is moving to another node,
    /// or the store is unreachable); retry in a moment.
    Unavailable,
    /// A teacher muted this student: their chat and whispers are refused.
    Muted,
    /// Teachers switched chat off for the students.
    ChatOff,
    /// Teachers switched students' whispers off.
    WhispersOff,
    /// `--teacher-signup secret`: creating a class needs the operator's
    /// signup secret (missing or wrong), or a teacher pass.
    SignupSecretRequired,
    /// `--teacher-signup token`: creating a class needs a teacher pass.
    TeacherTokenRequired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "invalid",
            ErrorCode::Malformed => "malformed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Busy => "busy",
            ErrorCode::Locked => "locked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Muted => "muted",
            ErrorCode::ChatOff => "chat_off",
            ErrorCode::WhispersOff => "whispers_off",
            ErrorCode::SignupSecretRequired => "signup_secret_required",
            ErrorCode::TeacherTokenRequired => "teacher_token_required",
        }
    }

    /// The HTTP status the code maps to at the HTTP edge.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Invalid | ErrorCode::Malformed => 400,
            ErrorCode::Unauthorized | ErrorCode::TeacherTokenRequired => 401,
            ErrorCode::Forbidden
            | ErrorCode::Muted
            | ErrorCode::ChatOff
            | ErrorCode::WhispersOff
            | ErrorCode::SignupSecretRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Busy | ErrorCode::Locked => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }
}

/// Why the server closed a WebSocket. The 4xxx codes mirror HTTP statuses so
/// they are easy to remember.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum CloseCode {
    /// The participant left the room (`leave`).
    Normal = 1000,
    /// The server is shutting down; reconnect later and resume.
    GoingAway = 1001,
    /// The client sent a message over the transport limit (1 MiB).
    TooBig = 1009,
    /// The room's task failed on the server. Nothing acknowledged was lost:
    /// reconnect with `since` and a fresh task resumes from storage.
    InternalError = 1011,
    /// Too many undecodable frames.
    Malformed = 4400,
    /// The token is missing, unreadable or not signed by this server.
    Unauthorized = 4401,
    /// The participant was removed from the room (the token is dead), or,
    /// on `/yjs`, the room's token may not read that board (or no longer
    /// may: the spotlight moved on).
    Forbidden = 4403,
    /// The room (or, on `/yjs`, the board) does not exist or was closed or
    /// replaced.
    RoomGone = 4404,
    /// Nothing was heard from the client for the idle timeout.
    IdleTimeout = 4408,
    /// Sustained requests over the rate limit.
    RateLimited = 4429,
    /// The client read too slowly and its reliable queue overflowed.
    /// Nothing was lost: reconnect with `since` to resume.
    SlowConsumer = 4503,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn from_code(code: u16) -> Option<CloseCode> {
        [
            CloseCode::Normal,
            CloseCode::GoingAway,
            CloseCode::TooBig,
            CloseCode::InternalError,
            CloseCode::Malformed,
            CloseCode::Unauthorized,
            CloseCode::Forbidden,
            CloseCode::RoomGone,
            CloseCode::IdleTimeout,
            CloseCode::RateLimited,
            CloseCode::SlowConsumer,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}
