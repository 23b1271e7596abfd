//! Chat fan-out load: `rooms` classrooms of `students` each, every student
//! posting `messages` chats at `interval_ms`. Measures, per chat, the time
//! from send to the sender's ack (durable commit) and from send to arrival at
//! every other participant of the room. Starts its own release server on a
//! loopback port with a temporary data dir unless `--addr` is given.
//!
//! Run: `make bench-chat` or `cargo run --release -p jigsync-bench --bin
//! chat-load -- --rooms 10 --students 30`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use jigsync_bench::harness::{post_json, Server};
use jigsync_schema::{decode, encode, ClientMsg, MessageKind, ServerMsg};
use serde_json::json;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Parser, Debug)]
struct Args {
    /// A running server; if absent, `target/release/jigsync` is started.
    #[arg(long)]
    addr: Option<String>,
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 30)]
    students: usize,
    #[arg(long, default_value_t = 20)]
    messages: usize,
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
}

#[derive(Default)]
struct Samples {
    ack: Vec<Duration>,
    delivery: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let limits = ["--chat-rate", "100", "--chat-burst", "100", "--join-burst", "100000", "--conn-rate", "1000"];
    let server = if args.addr.is_none() { Some(Server::start(&limits)) } else { None };
    let addr = args.addr.clone().unwrap_or_else(|| server.as_ref().map(|s| s.addr.clone()).unwrap_or_default());
    let http = reqwest::Client::new();
    let samples = Arc::new(Mutex::new(Samples::default()));
    let origin = Instant::now();
    let mut tasks = Vec::new();
    for r in 0..args.rooms {
        let room = post_json(
            &http,
            &format!("http://{addr}/api/rooms"),
            None,
            json!({"name": format!("Room {r}"), "teacherName": "T"}),
        )
        .await;
        let code = room["joinCode"].as_str().expect("join code").to_owned();
        for s in 0..args.students {
            let joined = post_json(
                &http,
                &format!("http://{addr}/api/join"),
                None,
                json!({"joinCode": code, "name": format!("S{s}")}),
            )
            .await;
            let token = joined["token"].as_str().expect("token").to_owned();
            let (ws, _) =
                tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}")).await.expect("connect");
            tasks.push((ws, joined["userId"].as_str().unwrap_or_default().to_owned()));
        }
    }
    let started = Instant::now();
    let expected_per_client = args.messages * args.students;
    let mut handles = Vec::new();
    for (ws, me) in tasks {
        let samples = samples.clone();
        let args_messages = args.messages;
        let interval = Duration::from_millis(args.interval_ms);
        handles.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            let sender = tokio::spawn(async move {
                for i in 0..args_messages {
                    let sent_at = origin.elapsed().as_micros();
                    let msg = ClientMsg::Chat { r#ref: Some(i as u32), text: format!("{sent_at}"), upload: None };
                    if tx.send(WsMessage::Binary(encode(&msg).into())).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            });
            // The ack (commit) precedes the echo of our own chat, which
            // carries the send time; pair them by seq.
            let mut acked_at = std::collections::HashMap::new();
            let mut seen = 0;
            let mut local = Samples::default();
            while seen < expected_per_client {
                let next = tokio::time::timeout(Duration::from_secs(30), rx.next()).await;
                let bytes = match next {
                    Ok(Some(Ok(WsMessage::Binary(bytes)))) => bytes,
                    Ok(Some(Ok(_))) => continue,
                    _ => break,
                };
                let now = origin.elapsed();
                match decode::<ServerMsg>(&bytes) {
                    Ok(ServerMsg::Ack { seq: Some(seq), .. }) => {
                        acked_at.insert(seq, now);
                    }
                    Ok(ServerMsg::Msg(m)) if m.kind == MessageKind::Chat => {
                        seen += 1;
                        let at = Duration::from_micros(m.text.parse().unwrap_or(0));
                        if m.from.as_deref() == Some(me.as_str()) {
                            if let Some(acked) = acked_at.remove(&m.seq) {
                                local.ack.push(acked.saturating_sub(at));
                            }
                        } else {
                            local.delivery.push(now.saturating_sub(at));
                        }
                    }
                    _ => {}
                }
            }
            let _ = sender.await;
            let mut all = samples.lock().await;
            all.ack.extend(local.ack);
            all.delivery.extend(local.delivery);
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let elapsed = started.elapsed();
    let mut s = samples.lock().await;
    s.delivery.sort();
    s.ack.sort();
    let total_sent = args.rooms * args.students * args.messages;
    println!(
        "chat-load: {} rooms x {} students, {} chats each every {} ms",
        args.rooms, args.students, args.messages, args.interval_ms
    );
    println!(
        "  chats stored and fanned out: {total_sent} in {:.2?} ({:.0}/s in, {:.0}/s delivered)",
        elapsed,
        total_sent as f64 / elapsed.as_secs_f64(),
        s.delivery.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  send -> delivery to classmates: p50 {:.2?}  p99 {:.2?}  max {:.2?}  ({} deliveries)",
        percentile(&s.delivery, 0.5),
        percentile(&s.delivery, 0.99),
        s.delivery.last().copied().unwrap_or_default(),
        s.delivery.len()
    );
    println!(
        "  send -> ack (durable):          p50 {:.2?}  p99 {:.2?}  max {:.2?}  ({} acks)",
        percentile(&s.ack, 0.5),
        percentile(&s.ack, 0.99),
        s.ack.last().copied().unwrap_or_default(),
        s.ack.len()
    );
    drop(server);
}
