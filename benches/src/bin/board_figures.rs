//! Board figures, measured against a real release server on loopback:
//!
//! 1. One board after N drops (default 10,000), with the drags between them
//!    streamed on the motion lane (default 30 positions per drop, relayed to
//!    a teacher focused on the board): the document's size, the server's
//!    memory and the database's size. For contrast, the same drops and drags
//!    written into local yrs documents as if every position were a CRDT
//!    write (what the motion lane avoids), one drag at a time and two at once.
//! 2. A teacher joining a room of 30 boards × 100 pieces: time from opening
//!    the socket to holding every board's document, and bytes received.
//!
//! Run: `make bench-boards` or `cargo run --release -p jigsync-bench --bin
//! board-figures -- --drops 10000`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use jigsync_bench::harness::{png, Server};
use jigsync_schema::{decode, encode, ClientMsg, Move, ServerMsg};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::decoder::Decode;
use yrs::{Any, Map, MapRef, ReadTxn, Transact};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    drops: u32,
    #[arg(long, default_value_t = 30)]
    moves_per_drop: u32,
    #[arg(long, default_value_t = 30)]
    boards: usize,
    /// Pieces per side of the boards (10 → 100 pieces).
    #[arg(long, default_value_t = 10)]
    side: u16,
    /// Teacher joins measured (the median is reported).
    #[arg(long, default_value_t = 5)]
    joins: usize,
}

struct Replica {
    doc: yrs::Doc,
    pieces: MapRef,
}

impl Replica {
    fn new() -> Replica {
        let doc = yrs::Doc::new();
        let pieces = doc.get_or_insert_map("pieces");
        doc.get_or_insert_map("meta");
        Replica { doc, pieces }
    }

    fn apply(&self, update: &[u8]) {
        let update = yrs::Update::decode_v1(update).expect("update");
        self.doc.transact_mut().apply_update(update).expect("apply");
    }

    fn set(&self, piece: usize, x: f64, y: f64) -> Vec<u8> {
        let fields: HashMap<String, Any> = [("x", x), ("y", y), ("r", 0.0), ("z", piece as f64), ("g", piece as f64)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Any::from(v)))
            .collect();
        let mut txn = self.doc.transact_mut();
        self.pieces.insert(&mut txn, piece.to_string(), Any::Map(Arc::new(fields)));
        txn.encode_update_v1()
    }
}

async fn connect(server: &Server, token: &str) -> Socket {
    tokio_tungstenite::connect_async(format!("ws://{}/ws?token={token}", server.addr)).await.expect("connect").0
}

async fn recv(ws: &mut Socket) -> (ServerMsg, usize) {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(bytes)))) => return (decode(&bytes).expect("decodes"), bytes.len()),
            Ok(Some(Ok(_))) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

async fn send(ws: &mut Socket, msg: &ClientMsg) {
    ws.send(WsMessage::Binary(encode(msg).into())).await.expect("send");
}

/// Creates a room with `students` and an individual puzzle; returns the
/// teacher token, each student's token with their board id, and the boards.
async fn classroom(
    server: &Server,
    http: &reqwest::Client,
    students: usize,
    side: u16,
) -> (String, Vec<(String, u32)>, Vec<Value>) {
    let room = server.post(http, "/api/rooms", None, json!({ "name": "Figures", "teacherName": "T" })).await;
    let (room_id, teacher) =
        (room["roomId"].as_str().unwrap().to_owned(), room["teacherToken"].as_str().unwrap().to_owned());
    let mut tokens = Vec::new();
    for i in 0..students {
        let joined = server
            .post(http, "/api/join", None, json!({ "joinCode": room["joinCode"], "name": format!("S{i}") }))
            .await;
        tokens.push((joined["token"].as_str().unwrap().to_owned(), joined["userId"].as_str().unwrap().to_owned()));
    }
    let part = reqwest::multipart::Part::bytes(png(800, 600)).file_name("p.png");
    let uploaded: Value = http
        .post(format!("http://{}/api/rooms/{room_id}/uploads", server.addr))
        .bearer_auth(&teacher)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let body = json!({ "uploadId": uploaded["uploadId"], "rows": side, "cols": side, "mode": "individual" });
    let puzzle = server.post(http, &format!("/api/rooms/{room_id}/puzzles"), Some(&teacher), body).await;
    let boards = puzzle["boards"].as_array().cloned().unwrap_or_default();
    let board_of = |user: &str| {
        boards
            .iter()
            .find(|b| b["members"][0] == user)
            .and_then(|b| b["boardId"].as_u64())
            .expect("a board per student") as u32
    };
    let students = tokens.iter().map(|(token, user)| (token.clone(), board_of(user))).collect();
    (teacher, students, boards)
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

async fn drops_figure(args: &Args, http: &reqwest::Client) {
    let server = Server::start(&["--conn-rate", "1000000", "--move-rate", "1000000"]);
    let (teacher, students, boards) = classroom(&server, http, 1, args.side).await;
    let board = students[0].1;
    let pieces = usize::from(args.side) * usize::from(args.side);
    let (width, height) = (boards[0]["meta"]["width"].as_f64().unwrap(), boards[0]["meta"]["height"].as_f64().unwrap());

    let mut watcher = connect(&server, &teacher).await;
    send(&mut watcher, &ClientMsg::Focus { r#ref: Some(1), board: Some(board) }).await;
    let watch = tokio::spawn(async move {
        let mut moves = 0u64;
        loop {
            match tokio::time::timeout(Duration::from_secs(3), watcher.next()).await {
                Ok(Some(Ok(WsMessage::Binary(bytes)))) => {
                    if let Ok(ServerMsg::Motion { moves: m }) = decode::<ServerMsg>(&bytes) {
                        moves += m.len() as u64;
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => return moves,
            }
        }
    });

    let mut ws = connect(&server, &students[0].0).await;
    let replica = Replica::new();
    loop {
        if let (ServerMsg::Doc { update, .. }, _) = recv(&mut ws).await {
            replica.apply(&update);
            break;
        }
    }
    let initial_size = { replica.doc.transact().encode_state_as_update_v1(&Default::default()).len() };
    let rss_before = server.rss_kib();
    // Contrast docs: every position written into the CRDT. One drag at a
    // time lets yrs merge a drag's consecutive overwrites of one key; two
    // drags at once (two hands, or two students on a shared board)
    // interleave them, and each overwrite then leaves its own tombstone.
    let contrast = Replica::new();
    let interleaved = Replica::new();
    let start_state = replica.doc.transact().encode_state_as_update_v1(&Default::default());
    contrast.apply(&start_state);
    interleaved.apply(&start_state);

    let (mut tx, mut rx) = ws.split();
    let acks = tokio::spawn(async move {
        let mut acked = 0u32;
        let mut errors = 0u32;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(30), rx.next()).await {
            if let WsMessage::Binary(bytes) = msg {
                match decode::<ServerMsg>(&bytes) {
                    Ok(ServerMsg::Ack { r#ref: Some(_), .. }) => acked += 1,
                    Ok(ServerMsg::Error { .. }) => errors += 1,
                    // The answer to the sync sent after the last drop.
                    Ok(ServerMsg::Doc { .. }) => break,
                    _ => {}
                }
            }
        }
        (acked, errors)
    });
    let started = Instant::now();
    let mut seq = 0u32;
    for i in 0..args.drops {
        let piece = (i as usize * 7) % pieces;
        let (x, y) = ((i as f64 * 37.0) % (width - 100.0), (i as f64 * 53.0) % (height - 100.0));
        for step in 0..args.moves_per_drop {
            seq += 1;
            let f = f64::from(step) / f64::from(args.moves_per_drop.max(1));
            let mv = Move { board, piece: piece as u16, x: (x * f) as f32, y: (y * f) as f32, seq, t: seq };
            tx.send(WsMessage::Binary(encode(&ClientMsg::Move(mv)).into())).await.expect("send");
            contrast.set(piece, x * f, y * f);
            let partner = (piece + 50) % pieces;
            interleaved.set(piece, x * f, y * f);
            interleaved.set(partner, y * f, x * f);
        }
        let update = replica.set(piece, x, y);
        contrast.set(piece, x, y);
        interleaved.set(piece, x, y);
        let msg = ClientMsg::Update { r#ref: Some(i), board, update, release: Some(piece as u16) };
        tx.send(WsMessage::Binary(encode(&msg).into())).await.expect("send");
    }
    // Everything sent; a sync after the last drop is answered after it.
    let sync = ClientMsg::Sync { r#ref: None, board, sv: vec![] };
    tx.send(WsMessage::Binary(encode(&sync).into())).await.expect("send");
    let (acked, errors) = acks.await.expect("acks");
    let elapsed = started.elapsed();
    let relayed = watch.await.unwrap_or(0);

    // The server's own document, as any client would fetch it.
    let mut fresh = connect(&server, &students[0].0).await;
    let server_doc = loop {
        if let (ServerMsg::Doc { update, .. }, _) = recv(&mut fresh).await {
            break update.len();
        }
    };
    let rss_after = server.rss_kib();
    let db: u64 = ["jigsync.db", "jigsync.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(server.data_dir().join(f)).ok())
        .map(|m| m.len())
        .sum();
    let contrast_size = contrast.doc.transact().encode_state_as_update_v1(&Default::default()).len();
    let interleaved_size = interleaved.doc.transact().encode_state_as_update_v1(&Default::default()).len();
    let total_moves = u64::from(args.drops) * u64::from(args.moves_per_drop);
    println!("## One board, {} pieces, {} drops with {} drag positions each", pieces, args.drops, args.moves_per_drop);
    println!(
        "  drops acknowledged: {acked} ({errors} errors) in {elapsed:.2?} ({:.0} drops/s, {:.0} positions/s sent)",
        f64::from(acked) / elapsed.as_secs_f64(),
        total_moves as f64 / elapsed.as_secs_f64()
    );
    println!("  drag positions that reached the focused teacher: {relayed} of {total_moves} sent (the rest coalesced or superseded by their drop; none stored)");
    println!(
        "  document: {} at start, {} after (server state, full update)",
        human(initial_size as u64),
        human(server_doc as u64)
    );
    println!("  server memory (RSS): {} before, {} after", human(rss_before * 1024), human(rss_after * 1024));
    println!("  database on disk (with WAL): {}", human(db));
    println!("  contrast, local yrs docs if every position were a CRDT write:");
    println!("    one drag at a time: {}", human(contrast_size as u64));
    println!("    two drags at once (twice the positions, interleaved): {}", human(interleaved_size as u64));
}

async fn join_figure(args: &Args, http: &reqwest::Client) {
    let server = Server::start(&["--join-burst", "100000", "--conn-rate", "100000"]);
    let (teacher, students, boards) = classroom(&server, http, args.boards, args.side).await;
    assert_eq!(boards.len(), args.boards, "one board per student");
    // Each student plays a little, so documents carry history.
    for (token, id) in &students {
        let id = *id;
        let mut ws = connect(&server, token).await;
        let replica = Replica::new();
        loop {
            if let (ServerMsg::Doc { update, .. }, _) = recv(&mut ws).await {
                replica.apply(&update);
                break;
            }
        }
        for i in 0..20u32 {
            let update = replica.set((i as usize * 3) % 100, 10.0 + f64::from(i), 20.0);
            send(&mut ws, &ClientMsg::Update { r#ref: Some(i), board: id, update, release: None }).await;
        }
        let mut acked = 0;
        while acked < 20 {
            match recv(&mut ws).await {
                (ServerMsg::Ack { .. }, _) => acked += 1,
                (ServerMsg::Error { message, .. }, _) => panic!("drop refused: {message}"),
                _ => {}
            }
        }
    }
    let mut samples = Vec::new();
    for _ in 0..args.joins {
        let started = Instant::now();
        let mut ws = connect(&server, &teacher).await;
        let (mut docs, mut bytes, mut doc_bytes) = (0, 0, 0);
        while docs < args.boards {
            let (msg, len) = recv(&mut ws).await;
            bytes += len;
            if let ServerMsg::Doc { update, .. } = msg {
                docs += 1;
                doc_bytes += update.len();
            }
        }
        samples.push((started.elapsed(), bytes, doc_bytes));
        let _ = ws.close(None).await;
    }
    samples.sort_by_key(|s| s.0);
    let (time, bytes, doc_bytes) = samples[samples.len() / 2];
    println!(
        "## Teacher joins a room of {} boards x {} pieces (median of {})",
        args.boards,
        usize::from(args.side).pow(2),
        args.joins
    );
    println!(
        "  time from connect to every board's document: {time:.2?} (fastest {:.2?}, slowest {:.2?})",
        samples[0].0,
        samples[samples.len() - 1].0
    );
    println!("  bytes received: {} in all, {} of it documents", human(bytes as u64), human(doc_bytes as u64));
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let http = reqwest::Client::new();
    drops_figure(&args, &http).await;
    join_figure(&args, &http).await;
}
