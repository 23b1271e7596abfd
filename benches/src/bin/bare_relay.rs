//! The bare relay: the practical upper bound for relaying drags on this
//! machine. A WebSocket server that accepts the same `mv` frames as
//! Jigsync's room channel from students (`/?room=<id>&role=student`) and
//! forwards them to the room's teacher (`role=teacher`) in one `motion`
//! frame per ~33 ms, keeping the latest position per (board, piece), as
//! Jigsync does. Any other binary frame (a drop) is forwarded to the teacher
//! as it is. No CRDT, no storage, no auth. Prints `addr=<host:port>`.
//!
//! Run: `bare-relay --addr 127.0.0.1:0`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, Move, ServerMsg};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Flush period of the teacher's motion buffer (Jigsync's full rate).
const TICK: Duration = Duration::from_millis(33);
/// Socket buffer sizes, as Jigsync's (`sync-server/src/http/ws.rs`).
const READ_BUFFER_BYTES: usize = 1024;
const WRITE_BUFFER_BYTES: usize = 2 * 1024;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
}

/// What waits for a room's teacher.
#[derive(Default)]
struct Outbox {
    moves: HashMap<(u32, u16), Move>,
    frames: Vec<Vec<u8>>,
}

#[derive(Default)]
struct Room {
    outbox: Mutex<Outbox>,
    ready: Notify,
}

type Rooms = Arc<Mutex<HashMap<String, Arc<Room>>>>;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let listener = TcpListener::bind(&args.addr).await.expect("bind");
    eprintln!("bare-relay listening addr={}", listener.local_addr().expect("addr"));
    let rooms = Rooms::default();
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream, rooms.clone()));
    }
}

async fn serve(stream: TcpStream, rooms: Rooms) {
    let _ = stream.set_nodelay(true);
    let mut query = String::new();
    // The callback's signature is tungstenite's; its error type is large.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, res: Response| {
        query = req.uri().query().unwrap_or_default().to_owned();
        Ok(res)
    };
    // The same socket buffer sizes as Jigsync (sync-server/src/http/ws.rs),
    // not tungstenite's 128 KiB defaults, so memory per connection compares.
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES).write_buffer_size(WRITE_BUFFER_BYTES);
    let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await else {
        return;
    };
    let param = |key: &str| {
        query.split('&').find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('='))).map(str::to_owned)
    };
    let (Some(id), Some(role)) = (param("room"), param("role")) else { return };
    let room = rooms.lock().expect("rooms").entry(id).or_default().clone();
    if role == "teacher" {
        teacher(ws, room).await;
    } else {
        student(ws, room).await;
    }
}

async fn student(mut ws: tokio_tungstenite::WebSocketStream<TcpStream>, room: Arc<Room>) {
    while let Some(Ok(frame)) = ws.next().await {
        let WsMessage::Binary(bytes) = frame else { continue };
        let mut outbox = room.outbox.lock().expect("outbox");
        match decode::<ClientMsg>(&bytes) {
            Ok(ClientMsg::Move(mv)) => {
                outbox.moves.insert((mv.board, mv.piece), mv);
            }
            _ => outbox.frames.push(bytes.to_vec()),
        }
        drop(outbox);
        room.ready.notify_one();
    }
}

/// Writes what the students sent: other frames at once, moves at most one
/// `motion` frame per tick (the first after a quiet period at once).
async fn teacher(ws: tokio_tungstenite::WebSocketStream<TcpStream>, room: Arc<Room>) {
    let (mut tx, mut rx) = ws.split();
    let (closed_tx, mut closed) = mpsc::channel::<()>(1);
    tokio::spawn(async move {
        while let Some(Ok(_)) = rx.next().await {}
        let _ = closed_tx.send(()).await;
    });
    let mut last_flush = tokio::time::Instant::now() - TICK;
    loop {
        tokio::select! {
            _ = room.ready.notified() => {}
            _ = closed.recv() => return,
        }
        let wait = (last_flush + TICK).saturating_duration_since(tokio::time::Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let (moves, frames) = {
            let mut outbox = room.outbox.lock().expect("outbox");
            (outbox.moves.drain().map(|(_, mv)| mv).collect::<Vec<_>>(), std::mem::take(&mut outbox.frames))
        };
        for frame in frames {
            if tx.feed(WsMessage::Binary(frame.into())).await.is_err() {
                return;
            }
        }
        if !moves.is_empty() {
            last_flush = tokio::time::Instant::now();
            if tx.feed(WsMessage::Binary(encode(&ServerMsg::Motion { moves }).into())).await.is_err() {
                return;
            }
        }
        if tx.flush().await.is_err() {
            return;
        }
    }
}
