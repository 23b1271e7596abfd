//! The check every Yjs v1 update from a client passes before yrs decodes it.
//!
//! Layout of a v1 update: struct groups (per client: count, client id, first
//! clock, then the structs), then a delete set (per client: ranges of
//! clocks). The check walks it once, without allocating per declared count,
//! and refuses anything a puzzle board cannot need:
//!
//! - limits: client ids below 2^53, clocks and range ends below 2^31, at most
//!   [`MAX_CLIENTS`] groups, [`MAX_STRUCTS`] structs, [`MAX_DELETE_RANGES`]
//!   ranges, no trailing bytes;
//! - shapes: structs are map entries (GC and deleted content included) with
//!   a key; content is either deleted or one value, and a value is a number,
//!   a string of at most [`MAX_STRING_BYTES`] bytes, or a piece: exactly the
//!   numeric fields `x`, `y`, `r`, `z`, `g` (so values nest two levels at
//!   most); a struct naming its parent names `meta` or `pieces`, never a
//!   nested type (boards have none);
//! - causality: a client's structs start no later than the board's clock for
//!   that client, every origin and every deleted range refers to something
//!   the board or the update itself has, and an item refers only to earlier
//!   clocks of its own client. Skip structs (holes) are refused. So yrs never
//!   has to park part of an update as pending, which is where the crafted
//!   sequences that panic its block store live.
//!
//! What the values mean (finite, on the board, which keys) is checked after
//! applying, by the board document itself.

use std::collections::{HashMap, HashSet};

use super::reader::Reader;
use super::{read_client, read_clock, WireError};
use super::{MAX_CLIENTS, MAX_CLOCK, MAX_DELETE_RANGES, MAX_KEY_BYTES, MAX_STRING_BYTES, MAX_STRUCTS};

/// The two root maps of a board document.
pub const BOARD_ROOTS: [&str; 2] = ["meta", "pieces"];
/// The fields of a piece value, each a number.
pub const PIECE_FIELDS: [&str; 5] = ["x", "y", "r", "z", "g"];

const INFO_GC: u8 = 0;
const INFO_SKIP: u8 = 10;
const CONTENT_DELETED: u8 = 1;
const CONTENT_ANY: u8 = 8;
const HAS_LEFT_ORIGIN: u8 = 0x80;
const HAS_RIGHT_ORIGIN: u8 = 0x40;
const HAS_PARENT_SUB: u8 = 0x20;
const CONTENT_REF: u8 = 0x1f;

const ANY_INTEGER: u8 = 125;
const ANY_FLOAT32: u8 = 124;
const ANY_FLOAT64: u8 = 123;
const ANY_STRING: u8 = 119;
const ANY_OBJECT: u8 = 118;

/// What a checked update holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub structs: usize,
    pub delete_ranges: usize,
}

/// A reference from an item to another struct, checked once the update's
/// own clock ranges are known.
struct Ref {
    from: (u64, u32),
    to: (u64, u32),
}

/// Checks `bytes` as an update to a board whose next clock per client is
/// `known(client)` (0 for clients it has never seen).
pub fn check(bytes: &[u8], known: impl Fn(u64) -> u32) -> Result<Summary, WireError> {
    let mut r = Reader::new(bytes);
    let mut summary = Summary::default();
    // Per client of this update: the end of its clocks.
    let mut groups: HashMap<u64, u32> = HashMap::new();
    let mut refs: Vec<Ref> = Vec::new();

    let group_count = r.count(3)?;
    if group_count > MAX_CLIENTS {
        return Err(WireError::TooMany);
    }
    for _ in 0..group_count {
        let structs = r.count(2)?;
        let client = read_client(&mut r)?;
        let start = read_clock(&mut r)?;
        if groups.contains_key(&client) {
            return Err(WireError::DuplicateClient);
        }
        if start > known(client) {
            return Err(WireError::Missing);
        }
        summary.structs += structs;
        if summary.structs > MAX_STRUCTS {
            return Err(WireError::TooMany);
        }
        let mut clock = start;
        for _ in 0..structs {
            let len = read_struct(&mut r, (client, clock), &mut refs)?;
            clock = clock.checked_add(len).filter(|end| *end <= MAX_CLOCK).ok_or(WireError::Clock)?;
        }
        groups.insert(client, clock);
    }
    // Everything the board will have once the structs are in: per client,
    // clocks below this are known.
    let known_after = |client: u64| known(client).max(groups.get(&client).copied().unwrap_or(0));
    for Ref { from, to } in &refs {
        let earlier_own = to.0 != from.0 || to.1 < from.1;
        if !earlier_own || to.1 >= known_after(to.0) {
            return Err(WireError::Missing);
        }
    }

    let ds_clients = r.count(2)?;
    if ds_clients > MAX_CLIENTS {
        return Err(WireError::TooMany);
    }
    let mut seen: HashSet<u64> = HashSet::new();
    for _ in 0..ds_clients {
        let client = read_client(&mut r)?;
        if !seen.insert(client) {
            return Err(WireError::DuplicateClient);
        }
        let ranges = r.count(2)?;
        summary.delete_ranges += ranges;
        if summary.delete_ranges > MAX_DELETE_RANGES {
            return Err(WireError::TooMany);
        }
        let limit = known_after(client);
        for _ in 0..ranges {
            let clock = read_clock(&mut r)?;
            let len = read_len(&mut r)?;
            let end = clock.checked_add(len).filter(|end| *end <= MAX_CLOCK).ok_or(WireError::Clock)?;
            if end > limit {
                return Err(WireError::Missing);
            }
        }
    }
    r.finish()?;
    Ok(summary)
}

/// A struct's length in clock ticks: at least 1, below 2^31.
fn read_len(r: &mut Reader<'_>) -> Result<u32, WireError> {
    match read_clock(r)? {
        0 => Err(WireError::Empty),
        len => Ok(len),
    }
}

/// Reads one struct created at `id`; returns its length.
fn read_struct(r: &mut Reader<'_>, id: (u64, u32), refs: &mut Vec<Ref>) -> Result<u32, WireError> {
    let info = r.u8()?;
    match info {
        INFO_GC => return read_len(r),
        INFO_SKIP => return Err(WireError::Missing),
        _ => {}
    }
    for flag in [HAS_LEFT_ORIGIN, HAS_RIGHT_ORIGIN] {
        if info & flag != 0 {
            let to = (read_client(r)?, read_clock(r)?);
            refs.push(Ref { from: id, to });
        }
    }
    if info & HAS_PARENT_SUB == 0 {
        // A list element: boards are maps only.
        return Err(WireError::Parent);
    }
    if info & (HAS_LEFT_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        // With no origin the parent is written out: a root map by name (1),
        // or a nested type by id (0), which boards do not have.
        if r.var_u32()? != 1 {
            return Err(WireError::Parent);
        }
        if !BOARD_ROOTS.contains(&r.string(MAX_KEY_BYTES)?) {
            return Err(WireError::Parent);
        }
        r.string(MAX_KEY_BYTES)?;
    }
    match info & CONTENT_REF {
        CONTENT_DELETED => read_len(r),
        CONTENT_ANY => {
            // A map entry holds exactly one value.
            if r.var_u32()? != 1 {
                return Err(WireError::Value);
            }
            read_value(r)?;
            Ok(1)
        }
        _ => Err(WireError::Content),
    }
}

fn read_value(r: &mut Reader<'_>) -> Result<(), WireError> {
    match r.u8()? {
        ANY_STRING => r.string(MAX_STRING_BYTES).map(drop),
        ANY_OBJECT => read_piece(r),
        tag => read_number(r, tag),
    }
}

fn read_number(r: &mut Reader<'_>, tag: u8) -> Result<(), WireError> {
    match tag {
        ANY_INTEGER => r.var_int().map(drop),
        ANY_FLOAT32 => r.take(4).map(drop),
        ANY_FLOAT64 => r.take(8).map(drop),
        _ => Err(WireError::Value),
    }
}

/// Exactly the five piece fields, each once, each a number.
fn read_piece(r: &mut Reader<'_>) -> Result<(), WireError> {
    if r.var_u32()? as usize != PIECE_FIELDS.len() {
        return Err(WireError::Value);
    }
    let mut seen = [false; PIECE_FIELDS.len()];
    for _ in 0..PIECE_FIELDS.len() {
        let key = r.string(MAX_KEY_BYTES)?;
        let i = PIECE_FIELDS.iter().position(|f| *f == key).ok_or(WireError::Value)?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(WireError::Value);
        }
        let tag = r.u8()?;
        read_number(r, tag)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
