//! The drag workload: R classrooms of one teacher and S students. Each
//! student drags one piece at a time with pointer events at H Hz, passed
//! through the client-js throttle, and drops it every few seconds (a Yjs
//! update with `release`); the teacher focuses the first student's board
//! and gets the others as thumbnails. Everything sent and received is
//! tallied for the window between the end of the warm-up and the end of
//! the run, by the send time stamped in each move.

use std::time::{Duration, Instant};

use jigsync_schema::Move;
use tokio::time::{interval_at, sleep_until, MissedTickBehavior};

use crate::classroom::Classroom;
use crate::clock::Clock;
use crate::link::{Incoming, Link, Role, Target};
use crate::procfs;
use crate::replica::Replica;
use crate::tally::Tally;
use crate::throttle::Throttle;

/// Per-piece rate of the client-js throttle.
const THROTTLE_HZ: f64 = 30.0;
/// How long receivers keep listening after the last send.
const GRACE: Duration = Duration::from_millis(600);

#[derive(Clone, Debug)]
pub struct Workload {
    pub target: Target,
    pub rooms: usize,
    pub students: usize,
    /// Pointer events per second while dragging.
    pub hz: f64,
    /// Pieces per side of each board.
    pub side: u16,
    pub drop_every: Duration,
    pub warmup: Duration,
    pub duration: Duration,
}

/// The figures of one run.
#[derive(Clone)]
pub struct Outcome {
    pub tally: Tally,
    /// Length of the measured window, seconds.
    pub window: f64,
    /// Server CPU seconds used during the window, when its pid is known.
    pub cpu: Option<f64>,
    /// CPU seconds of other processes over the same window (a cluster's
    /// other nodes, its load balancer).
    pub others_cpu: Vec<(u32, Option<f64>)>,
    pub peak_rss_kib: Option<u64>,
    pub rss_kib: Option<u64>,
    pub connections: usize,
}

/// The run's timeline on the shared clock.
#[derive(Clone, Copy)]
struct Timeline {
    clock: Clock,
    start: Instant,
    warm: u32,
    end_at: Instant,
    end: u32,
}

impl Timeline {
    fn measured(&self, t: u32) -> bool {
        t.wrapping_sub(self.warm) < self.end.wrapping_sub(self.warm)
    }
}

/// Sets up the classrooms, connects everyone and runs the workload against
/// `addr`. `pid` is the server's, for CPU and memory figures.
pub async fn run(w: &Workload, addr: &str, pid: Option<u32>) -> Result<Outcome, String> {
    let classrooms = setup(w, addr).await?;
    run_classrooms(w, addr, classrooms, pid, &[]).await
}

/// Runs the workload on classrooms already set up, connecting everyone to
/// `addr`. CPU figures: `pid`'s in [`Outcome::cpu`], each of `others` in
/// [`Outcome::others_cpu`], over the same window.
pub async fn run_classrooms(
    w: &Workload,
    addr: &str,
    classrooms: Vec<Classroom>,
    pid: Option<u32>,
    others: &[u32],
) -> Result<Outcome, String> {
    let mut outcomes = run_grouped(w, vec![(addr.to_owned(), classrooms)], pid, others).await?;
    outcomes.pop().ok_or_else(|| "no outcome".to_owned())
}

/// Runs the workload on several groups of classrooms at once, on one
/// timeline, each group's clients connecting to its own address (groups may
/// share rooms: each classroom brings its own teacher connection). One
/// outcome per group, each with that group's tally; the CPU figures are the
/// same in all (the processes serve every group).
pub async fn run_grouped(
    w: &Workload,
    groups: Vec<(String, Vec<Classroom>)>,
    pid: Option<u32>,
    others: &[u32],
) -> Result<Vec<Outcome>, String> {
    let mut teachers = Vec::new();
    let mut students = Vec::new();
    let mut connections = vec![0; groups.len()];
    let mut numbered = vec![0; groups.len()];
    for (group, (addr, classrooms)) in groups.iter().enumerate() {
        for class in classrooms {
            let boards: Vec<u32> = class.students.iter().map(|s| s.1).collect();
            let mut teacher =
                Link::connect(w.target, addr, &class.room, &class.teacher, Role::Teacher, &boards).await?;
            teacher.focus(class.focused()).await?;
            teachers.push((group, teacher, class.focused()));
            for (token, board) in &class.students {
                let link = Link::connect(w.target, addr, &class.room, token, Role::Student, &[*board]).await?;
                // Numbered within the group: in groups set up alike, the
                // students with the same number send in step.
                let seat = Seat {
                    board: *board,
                    focused: *board == class.focused(),
                    width: class.width,
                    height: class.height,
                    pieces: class.pieces,
                    index: numbered[group],
                };
                numbered[group] += 1;
                students.push((group, link, seat));
            }
            connections[group] += 1 + class.students.len();
        }
    }
    let clock = Clock::new();
    let start = Instant::now() + Duration::from_millis(200);
    let warm_at = start + w.warmup;
    let end_at = warm_at + w.duration;
    let timeline = Timeline { clock, start, warm: clock.at(warm_at), end_at, end: clock.at(end_at) };

    let mut tasks = Vec::new();
    for (group, link, focused) in teachers {
        tasks.push((group, tokio::spawn(teacher(link, focused, timeline))));
    }
    for (group, link, seat) in students {
        tasks.push((group, tokio::spawn(student(link, seat, w.clone(), timeline))));
    }
    let sampled: Vec<u32> = pid.into_iter().chain(others.iter().copied()).collect();
    let sampler = tokio::spawn(async move {
        sleep_until(warm_at.into()).await;
        let before: Vec<Option<f64>> = sampled.iter().map(|&p| procfs::cpu_seconds(p)).collect();
        sleep_until(end_at.into()).await;
        let after = sampled.iter().map(|&p| procfs::cpu_seconds(p));
        let used: Vec<Option<f64>> = before.into_iter().zip(after).map(|(b, a)| b.zip(a).map(|(b, a)| a - b)).collect();
        (used, pid.and_then(procfs::rss_kib))
    });
    let mut tallies: Vec<Tally> = groups.iter().map(|_| Tally::default()).collect();
    for (group, task) in tasks {
        tallies[group].merge(task.await.map_err(|e| e.to_string())?);
    }
    let (mut used, rss_kib) = sampler.await.map_err(|e| e.to_string())?;
    let cpu = if pid.is_some() && !used.is_empty() { used.remove(0) } else { None };
    let peak_rss_kib = pid.and_then(procfs::peak_rss_kib);
    Ok(tallies
        .into_iter()
        .zip(connections)
        .map(|(tally, connections)| Outcome {
            tally,
            window: w.duration.as_secs_f64(),
            cpu,
            others_cpu: others.iter().copied().zip(used.iter().copied()).collect(),
            peak_rss_kib,
            rss_kib,
            connections,
        })
        .collect())
}

pub async fn setup(w: &Workload, addr: &str) -> Result<Vec<Classroom>, String> {
    if w.target != Target::Jigsync {
        return Ok((0..w.rooms).map(|i| Classroom::synthetic(i, w.students, w.side)).collect());
    }
    let http = crate::harness::http_client();
    let mut tasks = Vec::new();
    for _ in 0..w.rooms {
        let (http, addr, students, side) = (http.clone(), addr.to_owned(), w.students, w.side);
        tasks.push(tokio::spawn(async move { Classroom::create(&http, &addr, students, side).await }));
    }
    let mut classrooms = Vec::new();
    for task in tasks {
        classrooms.push(task.await.map_err(|e| e.to_string())??);
    }
    Ok(classrooms)
}

async fn teacher(mut link: Link, focused: u32, tl: Timeline) -> Tally {
    let mut tally = Tally::default();
    let stop = tl.end_at + GRACE;
    while let Ok(Some((incoming, len))) = tokio::time::timeout_at(stop.into(), link.recv()).await {
        let now = tl.clock.stamp();
        if tl.measured(now) {
            tally.frames_rx += 1;
            tally.bytes_rx += len as u64;
        }
        match incoming {
            Incoming::Motion(moves) => {
                for mv in moves.into_iter().filter(|mv| tl.measured(mv.t)) {
                    let latency = now.wrapping_sub(mv.t);
                    if mv.board == focused {
                        tally.focused_delivered += 1;
                        tally.focused_seen_log.push((mv.board, mv.seq));
                        tally.focused_latency_us.push(latency);
                    } else {
                        tally.thumbs_delivered += 1;
                        tally.thumb_latency_us.push(latency);
                    }
                }
            }
            Incoming::Error => tally.errors += 1,
            _ => {}
        }
    }
    link.close().await;
    tally
}

struct Seat {
    board: u32,
    /// The teacher focuses this board.
    focused: bool,
    width: f32,
    height: f32,
    pieces: u16,
    index: usize,
}

impl Seat {
    fn pointer(&self, t: f64) -> (f32, f32) {
        pointer(self.index, self.width, self.height, t)
    }
}

/// Where student `index`'s pointer is at `t` seconds on a `width`×`height`
/// board: a slow loop over the middle, in a phase of its own.
pub fn pointer(index: usize, width: f32, height: f32, t: f64) -> (f32, f32) {
    let phase = index as f64;
    let (w, h) = (f64::from(width), f64::from(height));
    ((w / 2.0 + w / 3.0 * (t * 1.3 + phase).sin()) as f32, (h / 2.0 + h / 3.0 * (t * 1.7 + phase).cos()) as f32)
}

/// Sends one position, stamped now, and counts it.
async fn send_move(
    link: &mut Link,
    tally: &mut Tally,
    seat: &Seat,
    tl: &Timeline,
    seq: &mut u32,
    piece: u16,
    (x, y): (f32, f32),
) -> bool {
    let t = tl.clock.stamp();
    *seq = seq.wrapping_add(1);
    if tl.measured(t) {
        tally.moves_sent += 1;
        if seat.focused {
            tally.focused_sent += 1;
            tally.focused_sent_log.push((seat.board, *seq, t));
        }
    }
    link.send_move(Move { board: seat.board, piece, x, y, seq: *seq, t }).await.is_ok()
}

async fn student(mut link: Link, seat: Seat, w: Workload, tl: Timeline) -> Tally {
    let mut tally = Tally::default();
    let replica = Replica::new();
    let period = Duration::from_secs_f64(1.0 / w.hz);
    // Spread pointer events and drops so clients do not tick in step.
    let spread = ((seat.index * 37) % 101) as f64 / 101.0;
    let mut ticker = interval_at((tl.start + period.mul_f64(spread)).into(), period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut next_drop = tl.start + w.drop_every.mul_f64(0.5 + spread);
    let mut throttle = Throttle::new(THROTTLE_HZ);
    let mut piece = (seat.index % usize::from(seat.pieces.max(1))) as u16;
    let mut seq = 0u32;
    let mut drops: Vec<(u32, u32)> = Vec::new();
    let mut next_ref = 1u32;
    let mut alive = true;
    while alive {
        let trailing = throttle.deadline();
        tokio::select! {
            _ = ticker.tick() => {
                let now = Instant::now();
                if now >= tl.end_at {
                    break;
                }
                let at = seat.pointer(tl.clock.at(now) as f64 / 1e6);
                if now >= next_drop {
                    let update = replica.place(piece, at.0, at.1);
                    let (r, t) = (next_ref, tl.clock.at(now));
                    next_ref = next_ref.wrapping_add(1);
                    if tl.measured(t) {
                        tally.drops_sent += 1;
                        drops.push((r, t));
                    }
                    if seat.focused {
                        tally.focused_drop_log.push((seat.board, t));
                    }
                    alive = link.send_drop(r, seat.board, update, piece).await.is_ok();
                    throttle.end();
                    piece = (piece + 1) % seat.pieces.max(1);
                    next_drop = now + w.drop_every;
                } else if let Some(pos) = throttle.offer(now, at.0, at.1) {
                    alive = send_move(&mut link, &mut tally, &seat, &tl, &mut seq, piece, pos).await;
                }
            }
            _ = sleep_until(trailing.unwrap_or(tl.end_at).into()), if trailing.is_some() => {
                if let Some(pos) = throttle.take_due(Instant::now()) {
                    alive = send_move(&mut link, &mut tally, &seat, &tl, &mut seq, piece, pos).await;
                }
            }
            frame = link.recv() => match frame {
                Some((incoming, len)) => received(&mut tally, &replica, &seat, &mut drops, &tl, incoming, len),
                None => alive = false,
            }
        }
    }
    // Acks for the last drops.
    let stop = tl.end_at + GRACE;
    while alive && !drops.is_empty() {
        match tokio::time::timeout_at(stop.into(), link.recv()).await {
            Ok(Some((incoming, len))) => received(&mut tally, &replica, &seat, &mut drops, &tl, incoming, len),
            _ => break,
        }
    }
    link.close().await;
    tally
}

fn received(
    tally: &mut Tally,
    replica: &Replica,
    seat: &Seat,
    drops: &mut Vec<(u32, u32)>,
    tl: &Timeline,
    incoming: Incoming,
    len: usize,
) {
    let now = tl.clock.stamp();
    if tl.measured(now) {
        tally.frames_rx += 1;
        tally.bytes_rx += len as u64;
    }
    match incoming {
        Incoming::Doc { board, update } if board == seat.board => replica.apply(&update),
        Incoming::Ack(r) => {
            if let Some(i) = drops.iter().position(|d| d.0 == r) {
                let (_, t) = drops.swap_remove(i);
                tally.commits_acked += 1;
                tally.commit_latency_us.push(now.wrapping_sub(t));
            }
        }
        Incoming::Error => tally.errors += 1,
        _ => {}
    }
}
