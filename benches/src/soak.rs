//! The soak (`make bench-soak`, issue 13's "many connections" target):
//! R classrooms of one teacher and S students held open for a class-sized
//! stretch, a share of the students dragging at the client-js rate and
//! dropping now and then, every student chatting about once a minute, and
//! a share of all connections cut and resumed every round. It passes when
//! the server's RSS stays flat after the first period, nothing went wrong
//! (no error frame, no close or disconnect the generator did not cause)
//! and every acknowledged chat reached every other member of its room
//! exactly once, resumes included (see `ledger`).
//!
//! Every connection is one task of one runtime (see `member`), so the
//! whole load fits one core; the achieved move rate is reported next to
//! the target, so a generator that cannot keep up says so.

pub mod counters;
pub mod ledger;
pub mod member;
pub mod schedule;
pub mod table;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::classroom::Classroom;
use crate::clock::Clock;
use crate::harness::load_average;
use crate::procfs;
use counters::{Counters, Snapshot};
use ledger::{check, MemberLedger, Verdict};
use member::{Board, Member, Pace, Part, Seat};
use schedule::Reconnects;
use table::{Cpu, Row};

/// The client-js throttle's rate: what a dragger sends at most.
const THROTTLE_HZ: f64 = 30.0;
/// Longest wait for the last acks and deliveries after the sending stops.
const DRAIN_LIMIT: Duration = Duration::from_secs(180);
/// Rooms set up (over HTTP) at once.
const SETUP_CONCURRENCY: usize = 16;

#[derive(Clone, Debug)]
pub struct Soak {
    pub rooms: usize,
    pub students: usize,
    /// Pieces per side of each student's board.
    pub side: u16,
    pub duration: Duration,
    /// Share of each room's students who drag.
    pub drag_share: f64,
    pub drag_hz: f64,
    pub drop_every: Duration,
    pub chat_every: Duration,
    /// Share of all connections cut and resumed per `reconnect_every`.
    pub reconnect_share: f64,
    pub reconnect_every: Duration,
    /// Length of one row of the table.
    pub row_every: Duration,
    /// After everyone stopped sending, the run ends once no chat ack or
    /// delivery has arrived for this long (at most `DRAIN_LIMIT`).
    pub grace: Duration,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
    /// Most RSS growth allowed from the end of the first row to the end.
    pub max_rss_growth: f64,
    /// One connection leaves one received chat out of its ledger.
    pub lose_one: bool,
}

impl Soak {
    /// Dragging students per room: the share, rounded up, so that a small
    /// room still has one.
    pub fn draggers_per_room(&self) -> usize {
        ((self.students as f64 * self.drag_share).ceil() as usize).min(self.students)
    }

    pub fn connections(&self) -> usize {
        self.rooms * (1 + self.students)
    }

    /// Moves per second the draggers would send if the generator kept up.
    pub fn target_moves_per_s(&self) -> f64 {
        (self.rooms * self.draggers_per_room()) as f64 * self.drag_hz.min(THROTTLE_HZ)
    }
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub rooms: usize,
    pub students: usize,
    pub connections: usize,
    pub draggers: usize,
    pub duration_s: f64,
    pub setup_s: f64,
    pub connect_s: f64,
    /// How long the last acks and deliveries took to come after the sending stopped.
    pub drain_s: f64,
    pub rows: Vec<Row>,
    pub target_moves_per_s: f64,
    pub achieved_moves_per_s: f64,
    pub chats_sent: u64,
    pub chats_acked: u64,
    pub chats_unacked_at_a_cut: u64,
    /// Chats sent on a connection that stayed open and never acknowledged.
    pub chats_never_acked: u64,
    pub chats_received: u64,
    pub chats_replayed_by_resume: u64,
    pub drops_sent: u64,
    pub drops_acked: u64,
    pub reconnects: u64,
    pub resumes: u64,
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub deliveries_owed: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub rss_first_kib: Option<u64>,
    pub rss_end_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
    pub rss_growth: Option<f64>,
    pub max_rss_growth: f64,
    pub load_average_before: String,
    pub load_average_after: String,
    pub passed: bool,
    pub failures: Vec<String>,
}

/// Sets up the classrooms on the server at `addr` (pid `pid`), connects
/// everyone, runs the soak and checks it.
pub async fn run(s: &Soak, addr: &str, pid: u32) -> Result<Outcome, String> {
    let load_before = load_average();
    let began = Instant::now();
    let classrooms = setup(s, addr).await?;
    let setup_s = began.elapsed().as_secs_f64();
    let seats = seats(s, addr, &classrooms);
    let counters = Arc::new(Counters::default());
    let clock = Clock::new();
    let pace =
        Pace { clock, drag_hz: s.drag_hz, drop_every: s.drop_every, chat_every: s.chat_every, stop_after: s.duration };
    let connecting = Instant::now();
    let (start_tx, start_rx) = watch::channel(None);
    let (finish_tx, finish_rx) = watch::channel(false);
    let members = connect(seats, pace, &counters, (start_rx, finish_rx), s.connect_concurrency).await?;
    let connect_s = connecting.elapsed().as_secs_f64();
    let start = Instant::now() + Duration::from_secs(1);
    start_tx.send(Some(start)).map_err(|_| "every connection ended before the start")?;

    let rows = sample(s, pid, &counters, start).await;
    let drain_s = drain(&counters, s.grace).await.as_secs_f64();
    let _ = finish_tx.send(true);
    let mut ledgers = Vec::with_capacity(members.len());
    for member in members {
        ledgers.push(member.await.map_err(|e| e.to_string())?);
    }
    let verdict = check(&ledgers);
    Ok(outcome(s, &counters, rows, verdict, pid, [setup_s, connect_s, drain_s], load_before))
}

async fn setup(s: &Soak, addr: &str) -> Result<Vec<Classroom>, String> {
    let http = crate::harness::http_client();
    let gate = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let mut tasks = Vec::new();
    for _ in 0..s.rooms {
        let (http, addr, gate, students, side) = (http.clone(), addr.to_owned(), gate.clone(), s.students, s.side);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            Classroom::create(&http, &addr, students, side).await
        }));
    }
    let mut classrooms = Vec::new();
    for task in tasks {
        classrooms.push(task.await.map_err(|e| e.to_string())??);
    }
    Ok(classrooms)
}

/// Every connection: per room the teacher (focused on the first student's
/// board), then the students, the first of them dragging.
fn seats(s: &Soak, addr: &str, classrooms: &[Classroom]) -> Vec<Seat> {
    let total = s.connections();
    let cuts = Reconnects::new(total, s.reconnect_share, s.reconnect_every, s.duration);
    let base = crate::endpoint::ws_base(addr);
    let draggers = s.draggers_per_room();
    let mut seats = Vec::with_capacity(total);
    for (room, class) in classrooms.iter().enumerate() {
        let url = |token: &str| format!("{base}/ws/{}?token={token}", class.room);
        let index = seats.len();
        seats.push(Seat {
            index,
            room,
            url: url(&class.teacher),
            part: Part::Teacher { focus: class.focused() },
            cuts: cuts.of(index),
            lose_one: s.lose_one && room == 0,
        });
        for (i, (token, board)) in class.students.iter().enumerate() {
            let board = Board { id: *board, pieces: class.pieces, width: class.width, height: class.height };
            let index = seats.len();
            seats.push(Seat {
                index,
                room,
                url: url(token),
                part: Part::Student { drags: (i < draggers).then_some(board) },
                cuts: cuts.of(index),
                lose_one: false,
            });
        }
    }
    seats
}

/// Opens every connection (`concurrency` at a time) and starts its task
/// at once, so that early connections answer pings while the rest connect.
async fn connect(
    seats: Vec<Seat>,
    pace: Pace,
    counters: &Arc<Counters>,
    (start, finish): (watch::Receiver<Option<Instant>>, watch::Receiver<bool>),
    concurrency: usize,
) -> Result<Vec<tokio::task::JoinHandle<MemberLedger>>, String> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let (opened_tx, mut opened) = mpsc::unbounded_channel::<Result<(), String>>();
    let mut members = Vec::with_capacity(seats.len());
    let total = seats.len();
    for seat in seats {
        let (gate, pace, counters, opened_tx) = (gate.clone(), pace.clone(), counters.clone(), opened_tx.clone());
        let (start, finish) = (start.clone(), finish.clone());
        members.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let mut ws = match member::open(&seat.url).await {
                Ok(ws) => ws,
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                    return MemberLedger { room: seat.room, ..MemberLedger::default() };
                }
            };
            if let Part::Teacher { focus } = seat.part {
                let focusing = jigsync_schema::ClientMsg::Focus { r#ref: None, board: Some(focus) };
                if let Err(e) = member::send(&mut ws, &focusing).await {
                    let _ = opened_tx.send(Err(e));
                    return MemberLedger { room: seat.room, ..MemberLedger::default() };
                }
            }
            drop(permit);
            let _ = opened_tx.send(Ok(()));
            Member::new(seat, pace, counters).run(ws, start, finish).await
        }));
    }
    for _ in 0..total {
        opened.recv().await.ok_or("a connection task ended")??;
    }
    Ok(members)
}

/// Samples a row per period from `start` until everyone stops sending.
async fn sample(s: &Soak, pid: u32, counters: &Counters, start: Instant) -> Vec<Row> {
    let me = std::process::id();
    let cpu = || Cpu { server: procfs::cpu_seconds(pid), generator: procfs::cpu_seconds(me) };
    tokio::time::sleep_until(start.into()).await;
    let mut before: (Snapshot, Cpu) = (counters.snapshot(), cpu());
    let mut rows = Vec::new();
    let end = start + s.duration;
    let mut at = start;
    while at < end {
        let next = (at + s.row_every).min(end);
        tokio::time::sleep_until(next.into()).await;
        let after = (counters.snapshot(), cpu());
        let secs = (next - at).as_secs_f64();
        let since_start = (next - start).as_secs_f64();
        rows.push(Row::between(since_start, secs, (&before.0, before.1), (&after.0, after.1), procfs::rss_kib(pid)));
        before = after;
        at = next;
    }
    rows
}

/// Waits, after the sending stopped, until no chat ack or delivery has
/// come for `quiet` (a loaded machine may still be working off a
/// backlog), or `DRAIN_LIMIT`; returns how long it waited.
async fn drain(counters: &Counters, quiet: Duration) -> Duration {
    let began = Instant::now();
    let heard = |c: &Snapshot| (c.chats_acked, c.chats_received, c.resumes);
    let mut last = heard(&counters.snapshot());
    let mut quiet_since = Instant::now();
    while began.elapsed() < DRAIN_LIMIT && quiet_since.elapsed() < quiet {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = heard(&counters.snapshot());
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
    began.elapsed()
}

fn outcome(
    s: &Soak,
    counters: &Counters,
    rows: Vec<Row>,
    verdict: Verdict,
    pid: u32,
    [setup_s, connect_s, drain_s]: [f64; 3],
    load_average_before: String,
) -> Outcome {
    let totals = counters.snapshot();
    let rss_first_kib = rows.first().and_then(|r| r.rss_kib);
    let rss_end_kib = rows.last().and_then(|r| r.rss_kib);
    let rss_growth = rss_first_kib.zip(rss_end_kib).map(|(f, e)| e as f64 / f.max(1) as f64 - 1.0);
    let mut failures = Vec::new();
    if totals.errors > 0 {
        failures.push(format!("{} errors", totals.errors));
    }
    if verdict.lost > 0 {
        failures.push(format!("{} acknowledged chat deliveries lost", verdict.lost));
    }
    if verdict.duplicates > 0 {
        failures.push(format!("{} chats received twice", verdict.duplicates));
    }
    let never_acked = totals.chats_sent.saturating_sub(totals.chats_acked + totals.chats_unacked);
    if never_acked > 0 {
        failures.push(format!("{never_acked} chats on open connections never acknowledged"));
    }
    if verdict.acked == 0 {
        failures.push("no chat was acknowledged: nothing to check".into());
    }
    if totals.resumes != totals.reconnects {
        failures.push(format!("{} reconnects but {} resumed welcomes", totals.reconnects, totals.resumes));
    }
    match rss_growth {
        Some(g) if g > s.max_rss_growth => failures.push(format!(
            "RSS grew {:.1}% after the first row (at most {:.1}%)",
            g * 100.0,
            s.max_rss_growth * 100.0
        )),
        None => failures.push("the server's RSS could not be read".into()),
        _ => {}
    }
    Outcome {
        rooms: s.rooms,
        students: s.students,
        connections: s.connections(),
        draggers: s.rooms * s.draggers_per_room(),
        duration_s: s.duration.as_secs_f64(),
        setup_s,
        connect_s,
        drain_s,
        rows,
        target_moves_per_s: s.target_moves_per_s(),
        achieved_moves_per_s: totals.moves_sent as f64 / s.duration.as_secs_f64().max(1e-9),
        chats_sent: totals.chats_sent,
        chats_acked: totals.chats_acked,
        chats_unacked_at_a_cut: totals.chats_unacked,
        chats_never_acked: never_acked,
        chats_received: totals.chats_received,
        chats_replayed_by_resume: totals.chats_replayed,
        drops_sent: totals.drops_sent,
        drops_acked: totals.drops_acked,
        reconnects: totals.reconnects,
        resumes: totals.resumes,
        errors: totals.errors,
        error_samples: counters.kept_errors(),
        deliveries_owed: verdict.owed,
        lost: verdict.lost,
        duplicates: verdict.duplicates,
        rss_first_kib,
        rss_end_kib,
        peak_rss_kib: procfs::peak_rss_kib(pid),
        rss_growth,
        max_rss_growth: s.max_rss_growth,
        load_average_before,
        load_average_after: load_average(),
        passed: failures.is_empty(),
        failures,
    }
}

impl Outcome {
    /// The table, the totals and the verdict, for a terminal or the README.
    pub fn text(&self) -> String {
        let mib = |k: Option<u64>| k.map_or("n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        let mut out = format!(
            "soak: {} rooms x (1 teacher + {} students) = {} connections, {} dragging, {:.0} s \
             (setup {:.0} s, connecting {:.0} s)\n\n",
            self.rooms, self.students, self.connections, self.draggers, self.duration_s, self.setup_s, self.connect_s
        );
        out.push_str(&table::markdown(&self.rows));
        let share =
            if self.target_moves_per_s > 0.0 { self.achieved_moves_per_s / self.target_moves_per_s } else { 1.0 };
        out.push_str(&format!(
            "\nmoves: {:.0}/s achieved of {:.0}/s targeted ({:.1}%){}\n",
            self.achieved_moves_per_s,
            self.target_moves_per_s,
            share * 100.0,
            if share < 0.9 { " -- the generator did not keep the full drag rate" } else { "" }
        ));
        out.push_str(&format!(
            "chats: {} sent, {} acknowledged, {} unacknowledged when their connection was cut, {} never; \
             {} deliveries received ({} replayed by resumes), {} owed, {} lost, {} duplicated\n",
            self.chats_sent,
            self.chats_acked,
            self.chats_unacked_at_a_cut,
            self.chats_never_acked,
            self.chats_received,
            self.chats_replayed_by_resume,
            self.deliveries_owed,
            self.lost,
            self.duplicates
        ));
        out.push_str(&format!(
            "drops: {} sent, {} acknowledged; reconnects: {}, resumed: {}; errors: {}; \
             last acks and deliveries {:.1} s after the sending stopped\n",
            self.drops_sent, self.drops_acked, self.reconnects, self.resumes, self.errors, self.drain_s
        ));
        for e in &self.error_samples {
            out.push_str(&format!("  error: {e}\n"));
        }
        out.push_str(&format!(
            "server RSS: {} after the first row, {} at the end ({}), peak {}\n",
            mib(self.rss_first_kib),
            mib(self.rss_end_kib),
            self.rss_growth.map_or("n/a".into(), |g| format!("{:+.1}%", g * 100.0)),
            mib(self.peak_rss_kib)
        ));
        out.push_str(&format!(
            "load average: {} before, {} after\n",
            self.load_average_before, self.load_average_after
        ));
        if self.passed {
            out.push_str("verdict: PASS\n");
        } else {
            out.push_str(&format!("verdict: FAIL ({})\n", self.failures.join("; ")));
        }
        out
    }
}
