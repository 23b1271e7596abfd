//! The least of Socket.IO 4 that the load generator needs to drive the
//! Node peer (`benches/peers/socketio`): Engine.IO v4 over a WebSocket
//! (`/socket.io/?EIO=4&transport=websocket`) with the msgpack parser.
//!
//! - Engine.IO packets in text frames are a type digit and a payload: the
//!   server's `0{…}` open packet, `2` ping (answered with `3` pong). A binary
//!   frame is a whole Engine.IO message packet.
//! - Socket.IO packets (socket.io-msgpack-parser) are msgpack maps
//!   `{type, data, nsp}` in those binary frames: type 0 connects the
//!   namespace (`data` is the auth object, here `{room, role}`), type 2 is an
//!   event whose `data` is `[name, payload]`.
//! - Events: `mv` with `[board, piece, x, y, seq, t]` (a Jigsync Move), and
//!   `drop` with `[board, update (bin), piece]`, sent with an ack id; the
//!   peer answers an ack packet (type 3, same id) once it has relayed it.
//!   The coalescing peer sends a teacher `mvs`, a list of `mv` payloads,
//!   every 33 ms instead of one `mv` per move.

use futures_util::{SinkExt, StreamExt};
use jigsync_schema::Move;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const CONNECT: u8 = 0;
const EVENT: u8 = 2;
const ACK: u8 = 3;

#[derive(Serialize)]
struct Outgoing<'a, D: Serialize> {
    #[serde(rename = "type")]
    kind: u8,
    data: D,
    nsp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
}

#[derive(Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    id: Option<u32>,
}

#[derive(Deserialize)]
struct Event<P> {
    data: (String, P),
}

#[derive(Serialize)]
struct Auth<'a> {
    room: &'a str,
    role: &'a str,
}

/// Move payload: `[board, piece, x, y, seq, t]`.
pub type MovePayload = (u32, u16, f32, f32, u32, u32);
/// Drop payload: `[board, update, piece]`.
pub type DropPayload = (u32, serde_bytes::ByteBuf, u16);

pub fn move_value(mv: &Move) -> MovePayload {
    (mv.board, mv.piece, mv.x, mv.y, mv.seq, mv.t)
}

pub fn drop_value(board: u32, update: &[u8], piece: u16) -> DropPayload {
    (board, serde_bytes::ByteBuf::from(update.to_vec()), piece)
}

fn packet<D: Serialize>(kind: u8, data: D, id: Option<u32>) -> WsMessage {
    let bytes = rmp_serde::to_vec_named(&Outgoing { kind, data, nsp: "/", id }).expect("encodes");
    WsMessage::Binary(bytes.into())
}

/// An event packet for the default namespace.
pub fn event<P: Serialize>(name: &str, payload: P) -> WsMessage {
    packet(EVENT, (name, payload), None)
}

/// An event packet that asks for an acknowledgement with `id`.
pub fn event_with_ack<P: Serialize>(name: &str, payload: P, id: u32) -> WsMessage {
    packet(EVENT, (name, payload), Some(id))
}

pub fn pong() -> WsMessage {
    WsMessage::Text("3".into())
}

/// Waits for the open packet, connects the default namespace with the
/// auth `{room, role}` and waits for the server's connect packet.
pub async fn handshake<S>(ws: &mut S, room: &str, role: &str) -> Result<(), String>
where
    S: StreamExt<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + SinkExt<WsMessage, Error = tokio_tungstenite::tungstenite::Error>
        + Unpin,
{
    let mut opened = false;
    loop {
        let frame = ws.next().await.ok_or("closed during the handshake")?.map_err(|e| e.to_string())?;
        match frame {
            WsMessage::Text(text) if text.starts_with('0') && !opened => {
                opened = true;
                ws.send(packet(CONNECT, Auth { room, role }, None)).await.map_err(|e| e.to_string())?;
            }
            WsMessage::Text(text) if text.as_str() == "2" => ws.send(pong()).await.map_err(|e| e.to_string())?,
            WsMessage::Binary(bytes) => match rmp_serde::from_slice::<Incoming>(&bytes) {
                Ok(Incoming { kind: CONNECT, .. }) => return Ok(()),
                Ok(Incoming { kind, .. }) => return Err(format!("socket.io packet type {kind} during the handshake")),
                Err(e) => return Err(format!("undecodable socket.io packet: {e}")),
            },
            other => return Err(format!("unexpected frame during the handshake: {other:?}")),
        }
    }
}

/// What a frame after the handshake means to the load generator.
pub enum Read {
    Ping,
    Moves(Vec<Move>),
    /// The acknowledgement of the event sent with this id.
    Ack(u32),
    Other,
}

pub fn read(frame: &WsMessage) -> Read {
    match frame {
        WsMessage::Text(text) if text.as_str() == "2" => Read::Ping,
        WsMessage::Binary(bytes) => match rmp_serde::from_slice::<Event<MovePayload>>(bytes) {
            Ok(Event { data: (name, payload) }) if name == "mv" => Read::Moves(vec![to_move(payload)]),
            _ => match rmp_serde::from_slice::<Event<Vec<MovePayload>>>(bytes) {
                Ok(Event { data: (name, list) }) if name == "mvs" => {
                    Read::Moves(list.into_iter().map(to_move).collect())
                }
                _ => read_other(bytes),
            },
        },
        _ => Read::Other,
    }
}

fn to_move((board, piece, x, y, seq, t): MovePayload) -> Move {
    Move { board, piece, x, y, seq, t }
}

fn read_other(bytes: &[u8]) -> Read {
    match rmp_serde::from_slice::<Incoming>(bytes) {
        Ok(Incoming { kind: ACK, id: Some(id) }) => Read::Ack(id),
        _ => Read::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_event_round_trips() {
        let mv = Move { board: 3, piece: 17, x: 412.5, y: 96.25, seq: 1042, t: 5_000_123 };
        let frame = event("mv", move_value(&mv));
        match read(&frame) {
            Read::Moves(moves) => assert_eq!(moves, vec![mv]),
            _ => panic!("not a move"),
        }
        let drop = event_with_ack("drop", drop_value(3, &[1, 0], 17), 9);
        assert!(matches!(read(&drop), Read::Other));
        let ack = packet(ACK, [true], Some(9));
        assert!(matches!(read(&ack), Read::Ack(9)));
        let other = Move { seq: 1043, ..mv };
        match read(&event("mvs", vec![move_value(&mv), move_value(&other)])) {
            Read::Moves(moves) => assert_eq!(moves, vec![mv, other]),
            _ => panic!("not a batch of moves"),
        }
    }
}
