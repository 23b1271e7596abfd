//! The chat fan-out workload: `rooms` classrooms of `students` each, every
//! student posting `messages` chats every `interval`. Per chat it measures
//! the time from send to the sender's ack (the durable commit) and from send
//! to arrival at every other participant of the room. Used by `chat-load`
//! and by `cluster-bench` (the same load on Postgres).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, MessageKind, ServerMsg};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::harness::post_json;
use crate::procfs::cpu_seconds;
use crate::tally::Percentiles;

/// The server flags that let one IP run the whole load.
pub const LIMITS: [&str; 8] =
    ["--chat-rate", "100", "--chat-burst", "100", "--join-burst", "100000", "--conn-rate", "1000"];

#[derive(Clone, Copy, Debug)]
pub struct ChatLoad {
    pub rooms: usize,
    pub students: usize,
    pub messages: usize,
    pub interval: Duration,
    /// Spread the students' first chats evenly over one interval instead
    /// of sending every student's chat at the same instant (a lockstep burst
    /// of `rooms * students` chats every interval).
    pub staggered: bool,
}

pub struct ChatFigures {
    pub sent: usize,
    pub elapsed: Duration,
    pub ack: Percentiles,
    pub acks: usize,
    pub delivery: Percentiles,
    pub deliveries: usize,
    /// CPU seconds the watched server processes (not Postgres) used while
    /// the chats ran.
    pub server_cpu: Option<f64>,
    /// CPU seconds this load generator used meanwhile.
    pub load_cpu: Option<f64>,
}

impl ChatFigures {
    pub fn print(&self, load: &ChatLoad, label: &str) {
        println!(
            "chat-load ({label}): {} rooms x {} students, {} chats each every {} ms, {}",
            load.rooms,
            load.students,
            load.messages,
            load.interval.as_millis(),
            if load.staggered { "staggered" } else { "all at once" }
        );
        let secs = self.elapsed.as_secs_f64();
        println!(
            "  chats stored and fanned out: {} in {:.2?} ({:.0}/s in, {:.0}/s delivered)",
            self.sent,
            self.elapsed,
            self.sent as f64 / secs,
            self.deliveries as f64 / secs
        );
        let d = &self.delivery;
        println!(
            "  send -> delivery to classmates: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} deliveries)",
            d.p50, d.p99, d.max, self.deliveries
        );
        let a = &self.ack;
        println!(
            "  send -> ack (durable):          p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} acks)",
            a.p50, a.p99, a.max, self.acks
        );
        let per_round = |cpu: Option<f64>| cpu.map_or("-".into(), |c| format!("{:.1}", c * 1e3 / load.messages as f64));
        println!(
            "  CPU per round of {} chats: server {} ms ({} us per delivery), load generator {} ms",
            load.rooms * load.students,
            per_round(self.server_cpu),
            self.server_cpu.map_or("-".into(), |c| format!("{:.1}", c * 1e6 / self.deliveries.max(1) as f64)),
            per_round(self.load_cpu),
        );
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sets the rooms up through `addr`, connects everyone, runs the load;
/// measures the CPU of `server_pids` while it runs.
pub async fn run(load: &ChatLoad, addr: &str, server_pids: &[u32]) -> Result<ChatFigures, String> {
    let http = reqwest::Client::new();
    let origin = Instant::now();
    let mut clients: Vec<(Socket, String)> = Vec::new();
    for r in 0..load.rooms {
        let body = json!({"name": format!("Room {r}"), "teacherName": "T"});
        let room = post_json(&http, &format!("http://{addr}/api/rooms"), None, body).await;
        let room_id = room["roomId"].as_str().ok_or_else(|| format!("no room: {room}"))?.to_owned();
        let code = room["joinCode"].as_str().ok_or_else(|| format!("no join code: {room}"))?.to_owned();
        for s in 0..load.students {
            let body = json!({"joinCode": code, "name": format!("S{s}")});
            let joined = post_json(&http, &format!("http://{addr}/api/join"), None, body).await;
            let token = joined["token"].as_str().ok_or_else(|| format!("no token: {joined}"))?;
            let url = format!("ws://{addr}/ws/{room_id}?token={token}");
            let (ws, _) = tokio_tungstenite::connect_async(&url).await.map_err(|e| format!("{url}: {e}"))?;
            clients.push((ws, joined["userId"].as_str().unwrap_or_default().to_owned()));
        }
    }
    let cpu = || {
        let server: Option<f64> = server_pids.iter().map(|&pid| cpu_seconds(pid)).sum();
        (server.filter(|_| !server_pids.is_empty()), cpu_seconds(std::process::id()))
    };
    let (server_before, load_before) = cpu();
    let started = Instant::now();
    let mut handles = Vec::new();
    let count = clients.len().max(1) as u32;
    for (i, (ws, me)) in clients.into_iter().enumerate() {
        let offset = if load.staggered { load.interval * i as u32 / count } else { Duration::ZERO };
        handles.push(tokio::spawn(client(ws, me, *load, origin, offset)));
    }
    let (mut acks, mut deliveries) = (Vec::new(), Vec::new());
    for handle in handles {
        let (ack, delivery) = handle.await.map_err(|e| e.to_string())?;
        acks.extend(ack);
        deliveries.extend(delivery);
    }
    let (server_after, load_after) = cpu();
    let spent = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
    Ok(ChatFigures {
        server_cpu: spent(server_before, server_after),
        load_cpu: spent(load_before, load_after),
        sent: load.rooms * load.students * load.messages,
        elapsed: started.elapsed(),
        acks: acks.len(),
        ack: Percentiles::of(&mut acks),
        deliveries: deliveries.len(),
        delivery: Percentiles::of(&mut deliveries),
    })
}

/// One student: sends its chats on a timer while reading everything; returns
/// its ack and delivery latencies in microseconds.
async fn client(ws: Socket, me: String, load: ChatLoad, origin: Instant, offset: Duration) -> (Vec<u32>, Vec<u32>) {
    let micros = |d: Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
    let (mut tx, mut rx) = ws.split();
    let sender = tokio::spawn(async move {
        tokio::time::sleep(offset).await;
        for i in 0..load.messages {
            let sent_at = origin.elapsed().as_micros();
            let msg = ClientMsg::Chat { r#ref: Some(i as u32), text: format!("{sent_at}"), upload: None };
            if tx.send(WsMessage::Binary(encode(&msg).into())).await.is_err() {
                return;
            }
            tokio::time::sleep(load.interval).await;
        }
    });
    // The ack (commit) precedes the echo of our own chat, which carries the
    // send time; pair them by seq.
    let mut acked_at = HashMap::new();
    let (mut acks, mut deliveries) = (Vec::new(), Vec::new());
    let mut seen = 0;
    while seen < load.messages * load.students {
        let bytes = match tokio::time::timeout(Duration::from_secs(30), rx.next()).await {
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
                        acks.push(micros(acked.saturating_sub(at)));
                    }
                } else {
                    deliveries.push(micros(now.saturating_sub(at)));
                }
            }
            _ => {}
        }
    }
    let _ = sender.await;
    (acks, deliveries)
}
