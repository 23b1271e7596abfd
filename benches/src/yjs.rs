//! The Yjs sync and awareness protocol (y-protocols) as the load generator
//! speaks it to the Yjs peers: the reference y-websocket server (one
//! WebSocket per document, the document named by the URL path) and
//! Hocuspocus (one WebSocket for any number of documents, every message
//! prefixed by its document's name, and an auth message before the first
//! sync). Encoded with yrs's lib0 readers and writers.
//!
//! How the drag workload maps onto it, the way Yjs apps stream drags: each
//! board is one document (`b<board>`); a student's drag position is an
//! awareness update of its own client state
//! `{"drag":{"board","piece","x","y","seq","t"}}`, its clock raised each
//! time; a drop is a document update (sync message 2). The teacher opens
//! every board's document and reads the positions out of the awareness
//! updates the server relays. y-websocket echoes a document update to every
//! connection of the document, the sender too, and Hocuspocus answers the
//! sender with a sync-status message: either is what the sender counts as
//! the drop's acknowledgement (they come in order, so the oldest pending
//! drop is the one acknowledged).

use jigsync_schema::Move;
use serde::{Deserialize, Serialize};
use yrs::encoding::read::{Cursor, Read as _};
use yrs::encoding::write::Write;

/// y-protocols message types; Hocuspocus adds the last three.
const SYNC: u8 = 0;
const AWARENESS: u8 = 1;
const AUTH: u8 = 2;
const SYNC_REPLY: u8 = 4;
const SYNC_STATUS: u8 = 8;
/// Sync message subtypes.
const STEP1: u8 = 0;
const STEP2: u8 = 1;
const UPDATE: u8 = 2;
/// Hocuspocus's auth subtype for a client's token.
const AUTH_TOKEN: u8 = 0;

/// A Yjs v1 update of an empty document, and the empty state vector.
const EMPTY_UPDATE: [u8; 2] = [0, 0];
const EMPTY_STATE_VECTOR: [u8; 1] = [0];

/// Which framing the server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// y-websocket: one document per socket, no name in the messages.
    YWebsocket,
    /// Hocuspocus: the document's name first in every message.
    Hocuspocus,
}

/// The document of one board.
pub fn doc_name(board: u32) -> String {
    format!("b{board}")
}

/// One message for `doc`, built by `body`.
fn message(flavour: Flavour, doc: &str, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    if flavour == Flavour::Hocuspocus {
        out.write_string(doc);
    }
    body(&mut out);
    out
}

/// What a client sends when it opens `doc`: Hocuspocus's auth (an empty
/// token: the default configuration has no authentication hook), then the
/// first sync step with an empty state vector.
pub fn open(flavour: Flavour, doc: &str) -> Vec<Vec<u8>> {
    let step1 = message(flavour, doc, |m| {
        m.write_u8(SYNC);
        m.write_u8(STEP1);
        m.write_buf(EMPTY_STATE_VECTOR);
    });
    match flavour {
        Flavour::YWebsocket => vec![step1],
        Flavour::Hocuspocus => {
            let auth = message(flavour, doc, |m| {
                m.write_u8(AUTH);
                m.write_u8(AUTH_TOKEN);
                m.write_string("");
            });
            vec![auth, step1]
        }
    }
}

/// The answer to the server's first sync step: nothing local yet.
fn step2_reply(flavour: Flavour, doc: &str) -> Vec<u8> {
    message(flavour, doc, |m| {
        m.write_u8(if flavour == Flavour::Hocuspocus { SYNC_REPLY } else { SYNC });
        m.write_u8(STEP2);
        m.write_buf(EMPTY_UPDATE);
    })
}

/// A drop: the document update that places the piece.
pub fn update(flavour: Flavour, doc: &str, update: &[u8]) -> Vec<u8> {
    message(flavour, doc, |m| {
        m.write_u8(SYNC);
        m.write_u8(UPDATE);
        m.write_buf(update);
    })
}

/// The drag state a student publishes in its awareness.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Drag {
    board: u32,
    piece: u16,
    x: f32,
    y: f32,
    seq: u32,
    t: u32,
}

#[derive(Serialize, Deserialize)]
struct State {
    drag: Option<Drag>,
}

/// One awareness client: its id and the clock of its last update.
pub struct Presence {
    client: u64,
    clock: u32,
}

impl Presence {
    /// `client` must be unique per connection (Yjs draws a random 53-bit id).
    pub fn new(client: u64) -> Presence {
        Presence { client: client & ((1 << 53) - 1), clock: 0 }
    }

    /// An awareness update carrying `mv` as this client's drag.
    pub fn drag(&mut self, flavour: Flavour, mv: &Move) -> Vec<u8> {
        self.clock += 1;
        let drag = Drag { board: mv.board, piece: mv.piece, x: mv.x, y: mv.y, seq: mv.seq, t: mv.t };
        let json = serde_json::to_string(&State { drag: Some(drag) }).unwrap_or_default();
        let mut update = Vec::with_capacity(json.len() + 16);
        update.write_var(1u32);
        update.write_var(self.client);
        update.write_var(self.clock);
        update.write_string(&json);
        message(flavour, &doc_name(mv.board), |m| {
            m.write_u8(AWARENESS);
            m.write_buf(&update);
        })
    }
}

/// What a message from the server means to the load generator.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// Drag positions read from an awareness update.
    Moves(Vec<Move>),
    /// The server's first sync step: answer it with this message.
    Reply(Vec<u8>),
    /// The server's answer to our first sync step.
    Synced,
    /// A document update (y-websocket echoes the sender's own).
    Update,
    /// Hocuspocus's acknowledgement of an update or sync reply.
    Status,
    Other,
}

/// Reads one message. Undecodable bytes read as [`Read::Other`].
pub fn read(flavour: Flavour, bytes: &[u8]) -> Read {
    parse(flavour, bytes).unwrap_or(Read::Other)
}

fn parse(flavour: Flavour, bytes: &[u8]) -> Result<Read, yrs::encoding::read::Error> {
    let mut cursor = Cursor::new(bytes);
    let doc = match flavour {
        Flavour::Hocuspocus => cursor.read_string()?.to_owned(),
        Flavour::YWebsocket => String::new(),
    };
    Ok(match cursor.read_var::<u8>()? {
        SYNC | SYNC_REPLY => match cursor.read_var::<u8>()? {
            STEP1 => Read::Reply(step2_reply(flavour, &doc)),
            STEP2 => Read::Synced,
            _ => Read::Update,
        },
        AWARENESS => Read::Moves(drags(cursor.read_buf()?)?),
        SYNC_STATUS => Read::Status,
        _ => Read::Other,
    })
}

/// The drags in an awareness update (clients without one are skipped).
fn drags(update: &[u8]) -> Result<Vec<Move>, yrs::encoding::read::Error> {
    let mut cursor = Cursor::new(update);
    let count: u32 = cursor.read_var()?;
    let mut moves = Vec::new();
    for _ in 0..count {
        let _client: u64 = cursor.read_var()?;
        let _clock: u32 = cursor.read_var()?;
        let json = cursor.read_string()?;
        if let Ok(State { drag: Some(d) }) = serde_json::from_str::<State>(json) {
            moves.push(Move { board: d.board, piece: d.piece, x: d.x, y: d.y, seq: d.seq, t: d.t });
        }
    }
    Ok(moves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drag_round_trips_in_both_framings() {
        let mv = Move { board: 7, piece: 12, x: 401.5, y: 88.25, seq: 99, t: 4_000_001 };
        for flavour in [Flavour::YWebsocket, Flavour::Hocuspocus] {
            let mut presence = Presence::new(u64::MAX);
            let first = presence.drag(flavour, &mv);
            let second = presence.drag(flavour, &mv);
            assert_ne!(first, second, "the clock moves");
            assert_eq!(read(flavour, &second), Read::Moves(vec![mv]));
        }
    }

    #[test]
    fn hocuspocus_messages_carry_the_document_name() {
        let opened = open(Flavour::Hocuspocus, "b3");
        assert_eq!(opened[0], [2, b'b', b'3', AUTH, AUTH_TOKEN, 0]);
        assert_eq!(opened[1], [2, b'b', b'3', SYNC, STEP1, 1, 0]);
        let step1 = [2, b'b', b'3', SYNC, STEP1, 1, 0];
        assert_eq!(read(Flavour::Hocuspocus, &step1), Read::Reply(vec![2, b'b', b'3', SYNC_REPLY, STEP2, 2, 0, 0]));
        assert_eq!(read(Flavour::Hocuspocus, &[2, b'b', b'3', SYNC_STATUS, 1]), Read::Status);
        assert_eq!(open(Flavour::YWebsocket, "b3"), vec![vec![SYNC, STEP1, 1, 0]]);
        assert_eq!(read(Flavour::YWebsocket, &update(Flavour::YWebsocket, "b3", &[0, 0])), Read::Update);
    }
}
