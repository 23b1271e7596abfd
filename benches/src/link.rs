//! One simulated client's connection to the server under test, speaking
//! that server's protocol: Jigsync's room channel, the bare relay (the same
//! `mv` and `update` frames, query `?room=&role=`), Socket.IO (see
//! `socketio`), or the Yjs servers (see `yjs`: a y-websocket teacher holds
//! one socket per board, a Hocuspocus teacher one socket for all). Frames
//! in are reduced to the few events the workload cares about.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream::SelectAll;
use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, Move, ServerMsg};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::socketio;
use crate::yjs::{self, Flavour};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Jigsync,
    BareRelay,
    Socketio,
    /// The Socket.IO peer flushing each teacher's positions every 33 ms.
    SocketioCoalesced,
    Hocuspocus,
    YWebsocket,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Jigsync => "jigsync",
            Target::BareRelay => "bare-relay",
            Target::Socketio => "socketio",
            Target::SocketioCoalesced => "socketio-coalesced",
            Target::Hocuspocus => "hocuspocus",
            Target::YWebsocket => "y-websocket",
        }
    }

    /// Every target, in the order `--compare` runs them.
    pub const ALL: [Target; 6] = [
        Target::Jigsync,
        Target::Socketio,
        Target::SocketioCoalesced,
        Target::Hocuspocus,
        Target::YWebsocket,
        Target::BareRelay,
    ];

    fn speaks_socketio(self) -> bool {
        matches!(self, Target::Socketio | Target::SocketioCoalesced)
    }

    fn yjs(self) -> Option<Flavour> {
        match self {
            Target::Hocuspocus => Some(Flavour::Hocuspocus),
            Target::YWebsocket => Some(Flavour::YWebsocket),
            _ => None,
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

/// A client's sockets: one, or (a y-websocket teacher) one per document.
enum Sockets {
    One(Box<Socket>),
    Many(SelectAll<Socket>),
}

impl Sockets {
    async fn next(&mut self) -> Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>> {
        match self {
            Sockets::One(ws) => ws.next().await,
            Sockets::Many(all) => all.next().await,
        }
    }

    /// The socket a client sends on (a teacher sends nothing after setup).
    fn first(&mut self) -> Option<&mut Socket> {
        match self {
            Sockets::One(ws) => Some(ws),
            Sockets::Many(all) => all.iter_mut().next(),
        }
    }
}

/// Awareness client ids, unique within the load generator.
static NEXT_CLIENT: AtomicU64 = AtomicU64::new(1);

pub struct Link {
    target: Target,
    sockets: Sockets,
    /// A Yjs client's awareness.
    presence: yjs::Presence,
    /// Drops sent to a Yjs server and not acknowledged yet, oldest first.
    pending: VecDeque<u32>,
}

impl Link {
    /// Connects `token` (Jigsync) or a `role` in `room` (peers). A Yjs
    /// client opens the documents of `boards` (a student its own, a teacher
    /// every board of the room).
    pub async fn connect(
        target: Target,
        addr: &str,
        room: &str,
        token: &str,
        role: Role,
        boards: &[u32],
    ) -> Result<Link, String> {
        let role_name = if role == Role::Teacher { "teacher" } else { "student" };
        let base = crate::endpoint::ws_base(addr);
        let url = match target {
            // The room's own URL, which a load balancer in front of several
            // nodes routes by room.
            Target::Jigsync => format!("{base}/ws/{room}?token={token}"),
            Target::BareRelay => format!("{base}/?room={room}&role={role_name}"),
            Target::Socketio | Target::SocketioCoalesced => format!("{base}/socket.io/?EIO=4&transport=websocket"),
            Target::Hocuspocus => format!("{base}/"),
            Target::YWebsocket => return Link::connect_y_websocket(addr, boards).await,
        };
        let mut ws = open(&url).await?;
        if target.speaks_socketio() {
            socketio::handshake(&mut ws, room, role_name).await?;
        }
        if target == Target::Hocuspocus {
            let docs: Vec<String> = boards.iter().map(|&b| yjs::doc_name(b)).collect();
            yjs_handshake(&mut ws, Flavour::Hocuspocus, &docs).await?;
        }
        Ok(Link::new(target, Sockets::One(Box::new(ws))))
    }

    /// y-websocket names the document in the URL: one socket per board.
    async fn connect_y_websocket(addr: &str, boards: &[u32]) -> Result<Link, String> {
        let mut sockets = Vec::new();
        for &board in boards {
            let doc = yjs::doc_name(board);
            let mut ws = open(&format!("{}/{doc}", crate::endpoint::ws_base(addr))).await?;
            yjs_handshake(&mut ws, Flavour::YWebsocket, &[doc]).await?;
            sockets.push(ws);
        }
        let sockets = match sockets.len() {
            1 => Sockets::One(Box::new(sockets.remove(0))),
            _ => Sockets::Many(futures_util::stream::select_all(sockets)),
        };
        Ok(Link::new(Target::YWebsocket, sockets))
    }

    fn new(target: Target, sockets: Sockets) -> Link {
        let presence = yjs::Presence::new(NEXT_CLIENT.fetch_add(1, Ordering::Relaxed));
        Link { target, sockets, presence, pending: VecDeque::new() }
    }

    async fn send(&mut self, frame: WsMessage) -> Result<(), String> {
        let ws = self.sockets.first().ok_or("no socket")?;
        ws.send(frame).await.map_err(|e| e.to_string())
    }

    pub async fn send_move(&mut self, mv: Move) -> Result<(), String> {
        let frame = match (self.target, self.target.yjs()) {
            (_, Some(flavour)) => WsMessage::Binary(self.presence.drag(flavour, &mv).into()),
            (target, _) if target.speaks_socketio() => socketio::event("mv", socketio::move_value(&mv)),
            _ => WsMessage::Binary(encode(&ClientMsg::Move(mv)).into()),
        };
        self.send(frame).await
    }

    /// A drop: the Yjs update that places the piece, releasing it.
    pub async fn send_drop(&mut self, r#ref: u32, board: u32, update: Vec<u8>, piece: u16) -> Result<(), String> {
        let frame = match (self.target, self.target.yjs()) {
            (_, Some(flavour)) => {
                self.pending.push_back(r#ref);
                WsMessage::Binary(yjs::update(flavour, &yjs::doc_name(board), &update).into())
            }
            (target, _) if target.speaks_socketio() => {
                socketio::event_with_ack("drop", socketio::drop_value(board, &update, piece), r#ref)
            }
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
            let frame = self.sockets.next().await?.ok()?;
            let len = frame.len();
            if let Some(flavour) = self.target.yjs() {
                match frame {
                    WsMessage::Binary(bytes) => {
                        if let Some(incoming) = self.yjs_incoming(flavour, &bytes).await? {
                            return Some((incoming, len));
                        }
                    }
                    WsMessage::Close(_) => return None,
                    _ => {}
                }
                continue;
            }
            match (self.target, frame) {
                (target, frame) if target.speaks_socketio() => match socketio::read(&frame) {
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

    /// What a Yjs message means; `None` when it needs no more than an answer.
    async fn yjs_incoming(&mut self, flavour: Flavour, bytes: &[u8]) -> Option<Option<Incoming>> {
        Some(Some(match yjs::read(flavour, bytes) {
            yjs::Read::Moves(moves) => Incoming::Motion(moves),
            yjs::Read::Reply(reply) => {
                self.send(WsMessage::Binary(reply.into())).await.ok()?;
                return Some(None);
            }
            yjs::Read::Update if flavour == Flavour::YWebsocket => self.acked(),
            yjs::Read::Status => self.acked(),
            _ => Incoming::Other,
        }))
    }

    fn acked(&mut self) -> Incoming {
        self.pending.pop_front().map_or(Incoming::Other, Incoming::Ack)
    }

    pub async fn close(mut self) {
        let closing = async {
            match &mut self.sockets {
                Sockets::One(ws) => drop(ws.as_mut().close(None).await),
                Sockets::Many(all) => {
                    for ws in all.iter_mut() {
                        let _ = ws.close(None).await;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), closing).await;
    }
}

async fn open(url: &str) -> Result<Socket, String> {
    #[cfg(feature = "tls")]
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        url,
        None,
        false,
        Some(tokio_tungstenite::Connector::Rustls(crate::tls::config())),
    );
    #[cfg(not(feature = "tls"))]
    let connecting = tokio_tungstenite::connect_async(url);
    let (ws, _) = connecting.await.map_err(|e| format!("{url}: {e}"))?;
    Ok(ws)
}

/// Opens `docs` on a Yjs socket and waits until each is synced: the
/// server's answer to our first sync step received, its own first step
/// answered, and (Hocuspocus) that answer acknowledged, so that nothing of
/// the setup is left to be mistaken for a drop's acknowledgement.
async fn yjs_handshake(ws: &mut Socket, flavour: Flavour, docs: &[String]) -> Result<(), String> {
    for doc in docs {
        for message in yjs::open(flavour, doc) {
            ws.send(WsMessage::Binary(message.into())).await.map_err(|e| e.to_string())?;
        }
    }
    let statuses = if flavour == Flavour::Hocuspocus { docs.len() } else { 0 };
    let (mut synced, mut replied, mut acked) = (0, 0, 0);
    while synced < docs.len() || replied < docs.len() || acked < statuses {
        let frame = ws.next().await.ok_or("closed during the Yjs handshake")?.map_err(|e| e.to_string())?;
        let WsMessage::Binary(bytes) = frame else { continue };
        match yjs::read(flavour, &bytes) {
            yjs::Read::Synced => synced += 1,
            yjs::Read::Status => acked += 1,
            yjs::Read::Reply(reply) => {
                ws.send(WsMessage::Binary(reply.into())).await.map_err(|e| e.to_string())?;
                replied += 1;
            }
            _ => {}
        }
    }
    Ok(())
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
