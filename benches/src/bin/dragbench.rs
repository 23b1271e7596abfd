//! Drag-event throughput: R classrooms × (1 teacher + S students), each
//! student dragging at H Hz through the client-js throttle and dropping
//! every few seconds, the teacher focused on one board. Drives Jigsync, the
//! bare relay or the Socket.IO peer (`--target`); starts the server itself
//! on a loopback port unless `--addr` is given. See benches/README.md.
//!
//! Run: `cargo run --release -p jigsync-bench --bin dragbench -- --rooms 5`.

use std::process::Command;
use std::time::Duration;

use clap::Parser;
use jigsync_bench::drag::{self, Workload};
use jigsync_bench::harness::{self, Server};
use jigsync_bench::idle::{self, IdleFigures};
use jigsync_bench::link::Target;
use jigsync_bench::report::Figures;

#[derive(Parser, Debug, Clone)]
struct Args {
    #[arg(long, value_enum, default_value = "jigsync")]
    target: Target,
    /// A running server to use instead of starting one.
    #[arg(long)]
    addr: Option<String>,
    /// The pid of the `--addr` server, for CPU and memory figures.
    #[arg(long)]
    pid: Option<u32>,
    #[arg(long, default_value_t = 30)]
    rooms: usize,
    #[arg(long, default_value_t = 30)]
    students: usize,
    /// Pointer events per second while dragging (the throttle sends ≤ 30/s).
    #[arg(long, default_value_t = 30.0)]
    hz: f64,
    /// Pieces per side of each board.
    #[arg(long, default_value_t = 10)]
    side: u16,
    /// Seconds between a student's drops.
    #[arg(long, default_value_t = 3.0)]
    drop_every: f64,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Raise the number of rooms until the load no longer holds.
    #[arg(long)]
    find_max: bool,
    /// Rooms added per find-max step, as a factor.
    #[arg(long, default_value_t = 1.5)]
    step_factor: f64,
    /// Most find-max runs.
    #[arg(long, default_value_t = 6)]
    max_steps: usize,
    /// Run every target in turn (Jigsync, Socket.IO, bare relay): the load
    /// given, then find-max, then the idle connections; print ratios.
    #[arg(long)]
    compare: bool,
    /// With --compare: rooms find-max starts from.
    #[arg(long, default_value_t = 10)]
    max_from: usize,
    /// With --compare: seconds measured per find-max step.
    #[arg(long, default_value_t = 5.0)]
    max_duration: f64,
    /// Only measure N idle connections (RSS per connection) to --target.
    #[arg(long)]
    idle: Option<usize>,
    /// With --compare: idle connections per server (0 skips them).
    #[arg(long, default_value_t = 10_000)]
    idle_connections: usize,
    /// Jigsync's per-connection move budget (the classroom default is 60).
    #[arg(long, default_value_t = 1000)]
    move_rate: u32,
    /// Jigsync's per-connection request budget (default 20).
    #[arg(long, default_value_t = 1000)]
    conn_rate: u32,
    /// Jigsync's per-IP join burst (default 60): every simulated client joins from 127.0.0.1.
    #[arg(long, default_value_t = 1_000_000)]
    join_burst: u32,
    #[arg(long, default_value_t = 1_000_000)]
    join_rate_per_min: u32,
    /// Jigsync's per-IP upload burst (default 20): one picture per room.
    #[arg(long, default_value_t = 100_000)]
    upload_burst: u32,
    #[arg(long, default_value_t = 1_000_000)]
    upload_rate_per_min: u32,
}

impl Args {
    fn workload(&self, rooms: usize) -> Workload {
        Workload {
            target: self.target,
            rooms,
            students: self.students,
            hz: self.hz,
            side: self.side,
            drop_every: Duration::from_secs_f64(self.drop_every),
            warmup: Duration::from_secs_f64(self.warmup),
            duration: Duration::from_secs_f64(self.duration),
        }
    }

    fn start_server(&self) -> Server {
        match self.target {
            Target::Jigsync => {
                let flags = [
                    ("--move-rate", self.move_rate),
                    ("--conn-rate", self.conn_rate),
                    ("--join-burst", self.join_burst),
                    ("--join-rate-per-min", self.join_rate_per_min),
                    ("--upload-burst", self.upload_burst),
                    ("--upload-rate-per-min", self.upload_rate_per_min),
                ];
                let flags: Vec<String> = flags.iter().flat_map(|(k, v)| [k.to_string(), v.to_string()]).collect();
                Server::start(&flags.iter().map(String::as_str).collect::<Vec<_>>())
            }
            Target::BareRelay => {
                let exe = std::env::current_exe().expect("exe").with_file_name("bare-relay");
                let mut command = Command::new(exe);
                command.args(["--addr", "127.0.0.1:0"]);
                Server::start_peer(command)
            }
            Target::Socketio => {
                let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/socketio");
                harness::npm_ci_if_missing(std::path::Path::new(dir)).unwrap_or_else(|e| fail(&e));
                let mut command = Command::new("node");
                command.arg(format!("{dir}/server.mjs")).env("PORT", "0").env("HOST", "127.0.0.1");
                Server::start_peer(command)
            }
        }
    }

    /// One run at `rooms`, on a fresh server unless `--addr` was given.
    async fn run(&self, rooms: usize) -> Result<Figures, String> {
        let workload = self.workload(rooms);
        let server = if self.addr.is_none() { Some(self.start_server()) } else { None };
        let (addr, pid) = match (&server, &self.addr) {
            (Some(s), _) => (s.addr.clone(), Some(s.pid())),
            (None, addr) => (addr.clone().unwrap_or_default(), self.pid),
        };
        let outcome = drag::run(&workload, &addr, pid).await?;
        Ok(Figures::new(&workload, outcome))
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if args.compare {
        return compare(&args).await;
    }
    if let Some(n) = args.idle {
        let idle = idle(&args, n).await.unwrap_or_else(|e| fail(&e));
        if args.json {
            println!("{}", idle.json());
        } else {
            print_idle(&idle);
        }
        return;
    }
    if !args.find_max {
        match args.run(args.rooms).await {
            Ok(figures) if args.json => println!("{}", figures.json()),
            Ok(figures) => print!("{}", figures.table()),
            Err(e) => fail(&e),
        }
        return;
    }
    let (best, steps) = find_max(&args).await;
    if args.json {
        let max = best.as_ref().map(|b| b.json());
        println!("{}", serde_json::json!({ "max_rooms": best.as_ref().map(|b| b.rooms), "max": max, "steps": steps }));
    } else {
        match best {
            Some(b) => print!("max sustainable load: {} rooms\n{}", b.rooms, b.table()),
            None => println!("no load held"),
        }
    }
}

/// Raises the rooms from `--rooms` by `--step-factor` while the load holds
/// (halving instead if the first load fails), for at most `--max-steps`
/// runs. The last load that held, and every step's figures.
async fn find_max(args: &Args) -> (Option<Figures>, Vec<serde_json::Value>) {
    let mut rooms = args.rooms.max(1);
    let mut best: Option<Figures> = None;
    let mut steps = Vec::new();
    for _ in 0..args.max_steps {
        let figures = args.run(rooms).await.unwrap_or_else(|e| fail(&e));
        let held = figures.held();
        if !args.json {
            eprintln!(
                "find-max {}: {rooms} rooms: p99 {:.1} ms, focused delivery {:.2}% -> {}",
                args.target.name(),
                figures.latency.p99,
                figures.focused_delivery * 100.0,
                if held { "held" } else { "failed" }
            );
        }
        steps.push(figures.json());
        if held {
            best = Some(figures);
            rooms = ((rooms as f64 * args.step_factor) as usize).max(rooms + 1);
        } else if best.is_some() || rooms == 1 {
            break;
        } else {
            rooms /= 2;
        }
    }
    (best, steps)
}

/// `n` idle connections to a fresh `--target` server.
async fn idle(args: &Args, n: usize) -> Result<IdleFigures, String> {
    if args.addr.is_some() {
        return Err("--idle starts its own server: drop --addr".into());
    }
    let server = args.start_server();
    idle::measure(args.target, &server.addr, server.pid(), n).await
}

fn print_idle(idle: &IdleFigures) {
    println!(
        "  {:<11} {} idle connections: RSS {:.1} -> {:.1} MiB, {:.1} KiB per connection (connected in {:.1} s)",
        idle.target,
        idle.connections,
        idle.baseline_rss_kib as f64 / 1024.0,
        idle.rss_kib as f64 / 1024.0,
        idle.per_connection_kib(),
        idle.connect_s
    );
}

/// What `--compare` keeps of one target.
struct Compared {
    target: Target,
    load: Figures,
    max: Option<Figures>,
    idle: Option<IdleFigures>,
}

/// Every target in turn on the same workload, then the ratios.
async fn compare(args: &Args) {
    if args.addr.is_some() {
        fail("--compare starts its own servers: drop --addr");
    }
    let mut results = Vec::new();
    for target in [Target::Jigsync, Target::Socketio, Target::BareRelay] {
        let one = Args { target, ..args.clone() };
        eprintln!("compare: {} at {} rooms", target.name(), args.rooms);
        let load = one.run(args.rooms).await.unwrap_or_else(|e| fail(&e));
        if !args.json {
            print!("{}", load.table());
        }
        let stepping = Args { rooms: args.max_from, duration: args.max_duration, json: args.json, ..one.clone() };
        let (max, _) = find_max(&stepping).await;
        let idle = if args.idle_connections > 0 {
            let idle = idle(&one, args.idle_connections).await.unwrap_or_else(|e| fail(&e));
            if !args.json {
                print_idle(&idle);
            }
            Some(idle)
        } else {
            None
        };
        results.push(Compared { target, load, max, idle });
    }
    let figure = |c: &Compared, which: &str| -> Option<f64> {
        match which {
            "max_rooms" => c.max.as_ref().map(|m| m.rooms as f64),
            "p99_ms" => Some(c.load.latency.p99),
            "cpu_ms_per_1000_moves" => c.load.cpu_ms_per_1000_moves,
            "rss_per_connection_kib" => c.load.rss_per_connection_kib(),
            "idle_rss_per_connection_kib" => c.idle.as_ref().map(IdleFigures::per_connection_kib),
            _ => None,
        }
    };
    let names = [
        ("max_rooms", "max sustainable rooms"),
        ("p99_ms", "p99 latency at the load, ms"),
        ("cpu_ms_per_1000_moves", "CPU per 1,000 moves, ms"),
        ("rss_per_connection_kib", "RSS per connection under load, KiB"),
        ("idle_rss_per_connection_kib", "RSS per idle connection, KiB"),
    ];
    let [jig, sio, bare] = [&results[0], &results[1], &results[2]];
    let ratio =
        |k: &str, of: &Compared| figure(jig, k).zip(figure(of, k)).filter(|(_, b)| *b > 0.0).map(|(a, b)| a / b);
    if args.json {
        let mut out = serde_json::Map::new();
        for c in &results {
            let mut m = serde_json::Map::new();
            for (k, _) in names {
                m.insert(k.into(), serde_json::json!(figure(c, k)));
            }
            m.insert("load".into(), c.load.json());
            m.insert("max".into(), c.max.as_ref().map_or(serde_json::Value::Null, Figures::json));
            m.insert("idle".into(), c.idle.as_ref().map_or(serde_json::Value::Null, IdleFigures::json));
            out.insert(c.target.name().into(), m.into());
        }
        for (label, of) in [("jigsync_over_socketio", sio), ("jigsync_over_bare_relay", bare)] {
            let m: serde_json::Map<_, _> =
                names.iter().map(|(k, _)| ((*k).to_owned(), serde_json::json!(ratio(k, of)))).collect();
            out.insert(label.into(), m.into());
        }
        println!("{}", serde_json::Value::Object(out));
        return;
    }
    let cell = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.2}"));
    println!(
        "\n  {:<36} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "", "jigsync", "socketio", "bare-relay", "jig/sio", "jig/bare"
    );
    for (k, label) in names {
        println!(
            "  {label:<36} {:>10} {:>10} {:>10} {:>12} {:>12}",
            cell(figure(jig, k)),
            cell(figure(sio, k)),
            cell(figure(bare, k)),
            cell(ratio(k, sio)),
            cell(ratio(k, bare))
        );
    }
}

fn fail(e: &str) -> ! {
    eprintln!("dragbench: {e}");
    std::process::exit(1)
}
