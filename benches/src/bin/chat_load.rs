//! Chat fan-out load: `rooms` classrooms of `students` each, every student
//! posting `messages` chats at `interval_ms`. Measures, per chat, the time
//! from send to the sender's ack (durable commit) and from send to arrival at
//! every other participant of the room. Starts its own release server on a
//! loopback port with a temporary data dir unless `--addr` is given.
//!
//! Run: `make bench-chat` or `cargo run --release -p jigsync-benches --bin
//! chat-load -- --rooms 10 --students 30`.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, MessageKind, ServerMsg};
use serde_json::{json, Value};
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

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe()
        .expect("exe")
        .with_file_name("jigsync");
    let mut child = Command::new(&exe)
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args([
            "--chat-rate",
            "100",
            "--chat-burst",
            "100",
            "--join-burst",
            "100000",
            "--conn-rate",
            "1000",
        ])
        .env("JIGSYNC_LOG", "warn,jigsync_server::server=info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (build it with `cargo build --release`)",
                exe.display()
            )
        });
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited").expect("read");
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        addr,
        _dir: dir,
    }
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    http.post(url)
        .json(&body)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
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
    let server = if args.addr.is_none() {
        Some(start_server())
    } else {
        None
    };
    let addr = args
        .addr
        .clone()
        .unwrap_or_else(|| server.as_ref().map(|s| s.addr.clone()).unwrap_or_default());
    let http = reqwest::Client::new();
    let samples = Arc::new(Mutex::new(Samples::default()));
    let origin = Instant::now();
    let mut tasks = Vec::new();
    for r in 0..args.rooms {
        let room = post(
            &http,
            format!("http://{addr}/api/rooms"),
            json!({"name": format!("Room {r}"), "teacherName": "T"}),
        )
        .await;
        let code = room["joinCode"].as_str().expect("join code").to_owned();
        for s in 0..args.students {
            let joined = post(
                &http,
                format!("http://{addr}/api/join"),
                json!({"joinCode": code, "name": format!("S{s}")}),
            )
            .await;
            let token = joined["token"].as_str().expect("token").to_owned();
            let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}"))
                .await
                .expect("connect");
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
                    let msg = ClientMsg::Chat {
                        r#ref: Some(i as u32),
                        text: format!("{sent_at}"),
                        upload: None,
                    };
                    if tx
                        .send(WsMessage::Binary(encode(&msg).into()))
                        .await
                        .is_err()
                    {
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
