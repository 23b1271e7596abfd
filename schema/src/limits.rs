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

// Limits at the HTTP edge (PROTOCOL.md §10, §11).

/// Largest body of a JSON request to `/api`, in bytes. A larger one is
/// answered 413 `too_large` with `Connection: close`.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;
/// What an upload's body may carry on top of `--max-upload-bytes`: the
/// multipart boundaries, part headers and any small extra fields.
pub const UPLOAD_MULTIPART_OVERHEAD_BYTES: usize = 64 * 1024;
/// Longest side of a picture, in pixels, checked from its header at upload
/// (when the header can be read) and at puzzle start; over it is `invalid`.
/// Every client that shows a board decodes the whole picture, so its size
/// bounds what each of them has to hold.
pub const MAX_PICTURE_SIDE: u32 = 8192;
/// Most pixels in a picture (8192 × 4096 = 33,554,432), checked like
/// [`MAX_PICTURE_SIDE`]: 128 MiB once decoded as RGBA.
pub const MAX_PICTURE_PIXELS: u64 = 32 * 1024 * 1024;
