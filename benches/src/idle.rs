//! Idle connections: what one more open, quiet connection costs a server.
//! Connects N clients (students, `PER_ROOM` to a room) to the server under
//! test, keeps them open and reading (so pings are answered), and reports
//! the server's resident memory before and after, from /proc.
//!
//! For Jigsync the students are joined over HTTP first and the baseline is
//! taken after the joins, so the figure is the WebSocket connection alone
//! (its session, buffers and room membership), not the stored member.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Semaphore;

use crate::harness::post_json;
use crate::link::{Link, Role, Target};
use crate::procfs;

/// Students per room.
pub const PER_ROOM: usize = 50;
/// Connections (and HTTP joins) in flight at once.
const CONCURRENCY: usize = 64;

pub struct IdleFigures {
    pub target: &'static str,
    pub connections: usize,
    pub baseline_rss_kib: u64,
    pub rss_kib: u64,
    pub connect_s: f64,
    /// The machine's load average before and after, when the caller took it.
    pub load_average: Option<(String, String)>,
}

impl IdleFigures {
    /// RSS delta per connection, KiB.
    pub fn per_connection_kib(&self) -> f64 {
        self.rss_kib.saturating_sub(self.baseline_rss_kib) as f64 / self.connections.max(1) as f64
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "target": self.target,
            "connections": self.connections,
            "baseline_rss_kib": self.baseline_rss_kib,
            "rss_kib": self.rss_kib,
            "rss_per_idle_connection_kib": self.per_connection_kib(),
            "connect_s": self.connect_s,
            "load_average_before": self.load_average.as_ref().map(|l| &l.0),
            "load_average_after": self.load_average.as_ref().map(|l| &l.1),
        })
    }
}

/// One seat to connect: room, token (Jigsync's only) and board (the Yjs
/// peers' document).
type Seat = (String, String, u32);

async fn jigsync_seats(addr: &str, n: usize) -> Result<Vec<Seat>, String> {
    let http = crate::harness::http_client();
    let gate = Arc::new(Semaphore::new(CONCURRENCY / 8));
    let mut tasks = Vec::new();
    for first in (0..n).step_by(PER_ROOM) {
        let count = PER_ROOM.min(n - first);
        let (http, base, gate) = (http.clone(), crate::endpoint::http_base(addr), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let room =
                post_json(&http, &format!("{base}/api/rooms"), None, json!({"name": "Idle", "teacherName": "T"})).await;
            let id = room["roomId"].as_str().ok_or_else(|| format!("no room: {room}"))?.to_owned();
            let mut seats = Vec::new();
            for i in 0..count {
                let body = json!({ "joinCode": room["joinCode"], "name": format!("S{i}") });
                let student = post_json(&http, &format!("{base}/api/join"), None, body).await;
                let token = student["token"].as_str().ok_or_else(|| format!("no token: {student}"))?;
                seats.push((id.clone(), token.to_owned(), 0));
            }
            Ok::<_, String>(seats)
        }));
    }
    let mut seats = Vec::new();
    for task in tasks {
        seats.extend(task.await.map_err(|e| e.to_string())??);
    }
    Ok(seats)
}

/// Opens `n` idle connections to the server at `addr` (pid `pid`), waits
/// for its memory to settle and measures. The connections are dropped
/// when this returns.
pub async fn measure(target: Target, addr: &str, pid: u32, n: usize) -> Result<IdleFigures, String> {
    let seats = if target == Target::Jigsync {
        jigsync_seats(addr, n).await?
    } else {
        (0..n).map(|i| (format!("idle{}", i / PER_ROOM), String::new(), i as u32 + 1)).collect()
    };
    settle(pid).await;
    let baseline = procfs::rss_kib(pid).ok_or("server gone")?;
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let mut connecting = Vec::new();
    for (room, token, board) in seats {
        let (gate, addr) = (gate.clone(), addr.to_owned());
        connecting.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            let mut link = Link::connect(target, &addr, &room, &token, Role::Student, &[board]).await?;
            drop(permit);
            // Keep reading so that pings are answered; stop when closed.
            Ok::<_, String>(tokio::spawn(async move { while link.recv().await.is_some() {} }))
        }));
    }
    let mut readers = Vec::new();
    for task in connecting {
        readers.push(task.await.map_err(|e| e.to_string())??);
    }
    let connect_s = started.elapsed().as_secs_f64();
    settle(pid).await;
    let rss = procfs::rss_kib(pid).ok_or("server gone")?;
    let closed = readers.iter().filter(|r| r.is_finished()).count();
    for reader in &readers {
        reader.abort();
    }
    if closed > 0 {
        return Err(format!("{closed} of {n} idle connections were closed by the server"));
    }
    Ok(IdleFigures {
        target: target.name(),
        connections: n,
        baseline_rss_kib: baseline,
        rss_kib: rss,
        connect_s,
        load_average: None,
    })
}

/// Waits until the server's RSS stops moving (≤ 0.5% over 300 ms), at most 3 s.
async fn settle(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut last = procfs::rss_kib(pid).unwrap_or(0);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = procfs::rss_kib(pid).unwrap_or(0);
        if now.abs_diff(last) * 200 <= last.max(1) {
            return;
        }
        last = now;
    }
}
