//! Size limits. The server enforces them and answers with `too_large` or
//! `invalid`; clients should check before sending.

/// Largest frame the server decodes on the room channel; larger ones are
/// answered with `too_large`. Sized for the largest valid write: one drop
/// moving every piece of a 1000-piece board is about 46 KB with fractional
/// coordinates, and up to about 56 KB if every number is a float.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Largest frame the WebSocket layer accepts at all; a larger one ends the
/// connection without an answer.
pub const MAX_TRANSPORT_FRAME_BYTES: usize = 1024 * 1024;
/// Chat and whisper text, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Display names, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Room names, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 80;
/// Messages per page of `GET /api/rooms/{roomId}/messages`.
pub const MAX_HISTORY_PAGE: u32 = 200;
/// Messages sent in a welcome on a fresh connection.
pub const WELCOME_HISTORY: u32 = 50;
/// Messages sent in a welcome when resuming with `since`.
pub const MAX_RESUME_HISTORY: u32 = 1000;
