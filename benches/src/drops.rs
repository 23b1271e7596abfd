//! The drop workload: what storing a drop costs the server. `rooms`
//! classrooms of one teacher (focused on the first board, the others as
//! thumbnails) and `students` students; every student drops a piece on its
//! own board now and then — a real Yjs update from its replica, sent on the
//! room channel with `release` like client-js does — so that all of them
//! together drop `rate` pieces a second, and waits for each ack (a durable
//! commit). The same connections are first measured idle for as long, so
//! that the server CPU per drop is the drop's own cost: the idle CPU (ticks,
//! pings, the runtime) is subtracted.

use std::time::{Duration, Instant};

use tokio::time::{interval_at, MissedTickBehavior};

use crate::classroom::Classroom;
use crate::link::{Incoming, Link, Role, Target};
use crate::procfs::cpu_seconds;
use crate::replica::Replica;
use crate::tally::Percentiles;

/// How long a student waits for the acks of its last drops.
const GRACE: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug)]
pub struct DropLoad {
    pub rooms: usize,
    pub students: usize,
    /// Drops per second, all students together.
    pub rate: f64,
    /// Pieces per side of each board.
    pub side: u16,
    /// How long the drops run, and the idle baseline before them.
    pub duration: Duration,
}

impl DropLoad {
    /// Seconds between two drops of one student.
    fn period(&self) -> Duration {
        let students = (self.rooms * self.students).max(1) as f64;
        Duration::from_secs_f64(students / self.rate.max(f64::MIN_POSITIVE))
    }
}

pub struct DropFigures {
    pub sent: usize,
    pub acked: usize,
    pub errors: usize,
    pub ack: Percentiles,
    /// Length of the drop window, seconds.
    pub window: f64,
    /// Server CPU seconds over the idle baseline and over the drop window
    /// (equally long).
    pub idle_cpu: Option<f64>,
    pub busy_cpu: Option<f64>,
}

impl DropFigures {
    /// Server CPU milliseconds per acknowledged drop, all of it.
    pub fn cpu_ms_per_drop(&self) -> Option<f64> {
        let acked = Some(self.acked as f64).filter(|&n| n > 0.0)?;
        Some(self.busy_cpu? * 1e3 / acked)
    }

    /// Server CPU milliseconds per acknowledged drop, the idle connections'
    /// own cost taken out.
    pub fn own_cpu_ms_per_drop(&self) -> Option<f64> {
        let acked = Some(self.acked as f64).filter(|&n| n > 0.0)?;
        Some((self.busy_cpu? - self.idle_cpu?) * 1e3 / acked)
    }

    /// Every drop acknowledged and none refused.
    pub fn all_acked(&self) -> bool {
        self.sent > 0 && self.acked == self.sent && self.errors == 0
    }

    pub fn print(&self, load: &DropLoad, label: &str) {
        let ms = |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
        println!(
            "drop-load ({label}): {} rooms x {} students, {:.0} drops/s for {:.1} s (one every {:.2} s each)",
            load.rooms,
            load.students,
            load.rate,
            self.window,
            load.period().as_secs_f64()
        );
        println!(
            "  drops acked: {} of {} sent ({:.1}/s), {} refused",
            self.acked,
            self.sent,
            self.acked as f64 / self.window,
            self.errors
        );
        let a = &self.ack;
        println!("  send -> ack (durable): p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms", a.p50, a.p99, a.max);
        println!(
            "  server CPU: idle {} ms/s, with drops {} ms/s",
            ms(self.idle_cpu.map(|c| c * 1e3 / self.window), 1),
            ms(self.busy_cpu.map(|c| c * 1e3 / self.window), 1)
        );
        println!(
            "  server CPU per drop: {} ms (idle baseline subtracted; {} ms with it)",
            ms(self.own_cpu_ms_per_drop(), 3),
            ms(self.cpu_ms_per_drop(), 3)
        );
    }
}

/// One student's seat: its connection, board and replica.
struct Seat {
    link: Link,
    board: u32,
    width: f32,
    height: f32,
    pieces: u16,
    index: usize,
}

/// Sets up the classrooms through `addr`, connects everyone, measures the
/// idle baseline, then runs the drops; CPU figures are `server_pid`'s.
pub async fn run(load: &DropLoad, addr: &str, server_pid: Option<u32>) -> Result<DropFigures, String> {
    let http = crate::harness::http_client();
    let mut teachers = Vec::new();
    let mut seats = Vec::new();
    for _ in 0..load.rooms {
        let class = Classroom::create(&http, addr, load.students, load.side).await?;
        let boards: Vec<u32> = class.students.iter().map(|s| s.1).collect();
        let mut teacher =
            Link::connect(Target::Jigsync, addr, &class.room, &class.teacher, Role::Teacher, &boards).await?;
        teacher.focus(class.focused()).await?;
        teachers.push(teacher);
        for (token, board) in &class.students {
            let link = Link::connect(Target::Jigsync, addr, &class.room, token, Role::Student, &[*board]).await?;
            let index = seats.len();
            seats.push(Seat {
                link,
                board: *board,
                width: class.width,
                height: class.height,
                pieces: class.pieces,
                index,
            });
        }
    }
    let cpu = || server_pid.and_then(cpu_seconds);
    // Everyone is connected and reading from here on: idle first (after a
    // moment for the setup's frames to drain), then dropping.
    let settle = Duration::from_millis(500);
    let start = Instant::now() + settle + load.duration + Duration::from_millis(100);
    let end = start + load.duration;
    let readers: Vec<_> = teachers.into_iter().map(|t| tokio::spawn(drain(t, end + GRACE))).collect();
    let count = seats.len().max(1) as u32;
    let tasks: Vec<_> = seats
        .into_iter()
        .map(|seat| {
            let first = start + load.period() * seat.index as u32 / count;
            tokio::spawn(student(seat, *load, first, end))
        })
        .collect();
    tokio::time::sleep(settle).await;
    let idle_before = cpu();
    tokio::time::sleep(load.duration).await;
    let idle_cpu = cpu().zip(idle_before).map(|(a, b)| a - b);
    tokio::time::sleep_until(start.into()).await;
    let busy_before = cpu();
    tokio::time::sleep_until(end.into()).await;
    let busy_cpu = cpu().zip(busy_before).map(|(a, b)| a - b);
    let (mut sent, mut errors, mut latencies) = (0, 0, Vec::new());
    for task in tasks {
        let outcome = task.await.map_err(|e| e.to_string())?;
        sent += outcome.sent;
        errors += outcome.errors;
        latencies.extend(outcome.acks);
    }
    for reader in readers {
        reader.abort();
    }
    Ok(DropFigures {
        sent,
        acked: latencies.len(),
        errors,
        ack: Percentiles::of(&mut latencies),
        window: load.duration.as_secs_f64(),
        idle_cpu,
        busy_cpu,
    })
}

/// A teacher: reads (and drops) whatever comes until `stop`.
async fn drain(mut link: Link, stop: Instant) {
    while let Ok(Some(_)) = tokio::time::timeout_at(stop.into(), link.recv()).await {}
    link.close().await;
}

/// What one student counted.
struct Outcome {
    sent: usize,
    errors: usize,
    /// Send-to-ack times of its acknowledged drops, microseconds.
    acks: Vec<u32>,
}

/// One student: a drop every period from `first` until `end`, reading acks
/// (and the other frames) meanwhile; then waits a little for the last acks.
async fn student(mut seat: Seat, load: DropLoad, first: Instant, end: Instant) -> Outcome {
    let replica = Replica::new();
    let mut ticker = interval_at(first.into(), load.period());
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut outcome = Outcome { sent: 0, errors: 0, acks: Vec::new() };
    let mut pending: Vec<(u32, Instant)> = Vec::new();
    let mut next_ref = 1u32;
    let mut alive = true;
    while alive {
        tokio::select! {
            at = ticker.tick() => {
                let now = at.into_std();
                if now >= end {
                    break;
                }
                let piece = (seat.index + outcome.sent) as u16 % seat.pieces.max(1);
                let (x, y) = spot(&seat, outcome.sent);
                let update = replica.place(piece, x, y);
                pending.push((next_ref, Instant::now()));
                alive = seat.link.send_drop(next_ref, seat.board, update, piece).await.is_ok();
                next_ref = next_ref.wrapping_add(1);
                outcome.sent += 1;
            }
            frame = seat.link.recv() => match frame {
                Some((incoming, _)) => received(&mut outcome, &replica, &seat, &mut pending, incoming),
                None => alive = false,
            }
        }
    }
    let stop = end + GRACE;
    while alive && !pending.is_empty() {
        match tokio::time::timeout_at(stop.into(), seat.link.recv()).await {
            Ok(Some((incoming, _))) => received(&mut outcome, &replica, &seat, &mut pending, incoming),
            _ => break,
        }
    }
    seat.link.close().await;
    outcome
}

/// Where a student's `n`th drop lands: spread over the middle of its board.
fn spot(seat: &Seat, n: usize) -> (f32, f32) {
    let phase = (seat.index * 7 + n) as f32;
    let (w, h) = (seat.width, seat.height);
    (w / 2.0 + w / 3.0 * (phase * 1.3).sin(), h / 2.0 + h / 3.0 * (phase * 1.7).cos())
}

fn received(
    outcome: &mut Outcome,
    replica: &Replica,
    seat: &Seat,
    pending: &mut Vec<(u32, Instant)>,
    incoming: Incoming,
) {
    match incoming {
        Incoming::Doc { board, update } if board == seat.board => replica.apply(&update),
        Incoming::Ack(r) => {
            if let Some(i) = pending.iter().position(|p| p.0 == r) {
                let (_, sent_at) = pending.swap_remove(i);
                outcome.acks.push(u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
        }
        Incoming::Error => outcome.errors += 1,
        _ => {}
    }
}
