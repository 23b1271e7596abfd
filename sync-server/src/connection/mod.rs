//! WebSocket connections: the [`outbox`] other tasks send through, the
//! [`writer`] task that owns the socket's sending half, and the sessions that
//! read requests for the room channel ([`room_session`]) and the lobby
//! ([`lobby_session`]).

pub mod lobby_session;
pub mod outbox;
pub mod room_session;
pub mod writer;
