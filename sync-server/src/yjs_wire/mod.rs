//! Our own bounded reading of the Yjs bytes clients send, before yrs sees
//! any of them.
//!
//! yrs is untrusted code on the hot path: its decoder recurses without a
//! bound (a deeply nested value overflows the stack and aborts the process),
//! trusts counts, asserts on client ids and clocks in debug builds, and some
//! sequences of updates that leave gaps panic inside its block store. So
//! every Yjs update, state vector and y-protocols message from the network
//! is read here first, with limits on every number and count, and only the
//! shapes a board needs may pass:
//!
//! - [`update`]: a v1 update may only add map entries to the two board maps
//!   (`meta`, `pieces`) whose values are numbers, short strings or a piece
//!   `{x, y, r, z, g}`, and may only build on what the board already has
//!   (no gaps, no references to unknown structs), so nothing is ever left
//!   pending inside yrs;
//! - [`state_vector`]: a state vector;
//! - [`sync_protocol`]: the y-protocols framing of `/yjs` (sync steps,
//!   updates, awareness), with [`awareness`] updates read and written.
//!
//! [`reader`] is the bounded cursor all of them use.

pub mod awareness;
pub mod reader;
pub mod state_vector;
pub mod sync_protocol;
pub mod update;

/// Clocks and ends of ranges stay below 2^31: yrs mixes `u32` clocks with
/// `i32` arithmetic, and no real client comes near it.
pub const MAX_CLOCK: u32 = i32::MAX as u32;
/// Struct groups (one per client) in one update, and clients in its delete set.
pub const MAX_CLIENTS: usize = 4096;
/// Structs in one update.
pub const MAX_STRUCTS: usize = 16_384;
/// Delete-set ranges in one update.
pub const MAX_DELETE_RANGES: usize = 16_384;
/// Entries in a state vector.
pub const MAX_STATE_VECTOR_ENTRIES: usize = 16_384;
/// Map keys and root type names, in bytes.
pub const MAX_KEY_BYTES: usize = 64;
/// String values (a board's picture URL), in bytes.
pub const MAX_STRING_BYTES: usize = 1024;
/// Entries in one awareness message.
pub const MAX_AWARENESS_ENTRIES: usize = 256;

/// Why bytes from a client were refused. The text is shown to the client
/// after "the update was refused: ".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("it ends in the middle of a value")]
    Truncated,
    #[error("bytes follow its end")]
    Trailing,
    #[error("a number is larger than its field allows")]
    Overflow,
    #[error("a string is not UTF-8")]
    Utf8,
    #[error("a key or string is too long")]
    TextTooLong,
    #[error("a client id is not below 2^53")]
    ClientId,
    #[error("a clock reaches 2^31")]
    Clock,
    #[error("too many clients, structs or ranges")]
    TooMany,
    #[error("a client's structs appear twice")]
    DuplicateClient,
    #[error("an empty struct or range")]
    Empty,
    #[error("it builds on changes this board does not have; sync the board again")]
    Missing,
    #[error("it holds a kind of content boards do not use")]
    Content,
    #[error("it writes outside the board's `meta` and `pieces` maps")]
    Parent,
    #[error("a value is not a number, a short string or a piece {{x, y, r, z, g}}")]
    Value,
    #[error("not a y-protocols message")]
    Framing,
}

/// Checks a client id read from the wire.
fn client_id(id: u64) -> Result<u64, WireError> {
    if id > reader::MAX_SAFE_INTEGER {
        Err(WireError::ClientId)
    } else {
        Ok(id)
    }
}

/// Reads a client id (a varint below 2^53).
fn read_client(r: &mut reader::Reader<'_>) -> Result<u64, WireError> {
    match r.var_uint(u64::MAX) {
        Ok(id) => client_id(id),
        Err(WireError::Overflow) => Err(WireError::ClientId),
        Err(err) => Err(err),
    }
}

/// Reads a clock (below [`MAX_CLOCK`]).
fn read_clock(r: &mut reader::Reader<'_>) -> Result<u32, WireError> {
    match r.var_uint(u64::from(MAX_CLOCK)) {
        Ok(clock) => Ok(clock as u32),
        Err(WireError::Overflow) => Err(WireError::Clock),
        Err(err) => Err(err),
    }
}
