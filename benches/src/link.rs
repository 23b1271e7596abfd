//! One simulated client's connection to the server under test, speaking
//! that server's protocol: Jigsync's room channel, the bare relay (the same
//! `mv` and `update` frames, query `?room=&role=`), or Socket.IO
//! (see `socketio`). Frames in are reduced to the few events the workload
//! cares about.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, Move, ServerMsg};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::socketio;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Jigsync,
    BareRelay,
    Socketio,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Jigsync => "jigsync",
            Target::BareRelay => "bare-relay",
            Target::Socketio => "socketio",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Teacher,
    Student,
}

/// What the workload reads from a frame.
pub enum Incoming {
    Motion(Vec<Move>),
    /// A board document or update to apply to a replica.
    Doc {
        board: u32,
        update: Vec<u8>,
    },
    Ack(u32),
    Error,
    Other,
}

pub struct Link {
    target: Target,
    ws: Socket,
}

impl Link {
    /// Connects `token` (Jigsync) or a `role` in `room` (peers).
    pub async fn connect(target: Target, addr: &str, room: &str, token: &str, role: Role) -> Result<Link, String> {
        let role_name = if role == Role::Teacher { "teacher" } else { "student" };
        let url = match target {
            // The room's own URL, which a load balancer in front of several
            // nodes routes by room.
            Target::Jigsync => format!("ws://{addr}/ws/{room}?token={token}"),
            Target::BareRelay => format!("ws://{addr}/?room={room}&role={role_name}"),
            Target::Socketio => format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"),
        };
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.map_err(|e| format!("{url}: {e}"))?;
        if target == Target::Socketio {
            socketio::handshake(&mut ws, room, role_name).await?;
        }
        Ok(Link { target, ws })
    }

    async fn send(&mut self, frame: WsMessage) -> Result<(), String> {
        self.ws.send(frame).await.map_err(|e| e.to_string())
    }

    pub async fn send_move(&mut self, mv: Move) -> Result<(), String> {
        let frame = match self.target {
            Target::Socketio => socketio::event("mv", socketio::move_value(&mv)),
            _ => WsMessage::Binary(encode(&ClientMsg::Move(mv)).into()),
        };
        self.send(frame).await
    }

    /// A drop: the Yjs update that places the piece, releasing it.
    pub async fn send_drop(&mut self, r#ref: u32, board: u32, update: Vec<u8>, piece: u16) -> Result<(), String> {
        let frame = match self.target {
            Target::Socketio => socketio::event_with_ack("drop", socketio::drop_value(board, &update, piece), r#ref),
            _ => WsMessage::Binary(
                encode(&ClientMsg::Update { r#ref: Some(r#ref), board, update, release: Some(piece) }).into(),
            ),
        };
        self.send(frame).await
    }

    /// Focuses a board (Jigsync only: the peers send every board at full rate).
    pub async fn focus(&mut self, board: u32) -> Result<(), String> {
        if self.target != Target::Jigsync {
            return Ok(());
        }
        self.send(WsMessage::Binary(encode(&ClientMsg::Focus { r#ref: None, board: Some(board) }).into())).await
    }

    /// The next frame: its event and size in bytes. `None` when closed.
    pub async fn recv(&mut self) -> Option<(Incoming, usize)> {
        loop {
            let frame = self.ws.next().await?.ok()?;
            let len = frame.len();
            match (self.target, frame) {
                (Target::Socketio, frame) => match socketio::read(&frame) {
                    socketio::Read::Ping => self.send(socketio::pong()).await.ok()?,
                    socketio::Read::Moves(moves) => return Some((Incoming::Motion(moves), len)),
                    socketio::Read::Ack(id) => return Some((Incoming::Ack(id), len)),
                    socketio::Read::Other => return Some((Incoming::Other, len)),
                },
                (_, WsMessage::Binary(bytes)) => return Some((incoming(&bytes), len)),
                (_, WsMessage::Close(_)) => return None,
                _ => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

fn incoming(bytes: &[u8]) -> Incoming {
    match decode::<ServerMsg>(bytes) {
        Ok(ServerMsg::Motion { moves }) => Incoming::Motion(moves),
        Ok(ServerMsg::Doc { board, update }) => Incoming::Doc { board, update },
        Ok(ServerMsg::Update { board, update, .. }) => Incoming::Doc { board, update },
        Ok(ServerMsg::Ack { r#ref: Some(r), .. }) => Incoming::Ack(r),
        Ok(ServerMsg::Error { .. }) => Incoming::Error,
        _ => Incoming::Other,
    }
}
