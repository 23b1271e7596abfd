//! Drag-event throughput: R classrooms × (1 teacher + S students), each
//! student dragging at H Hz through the client-js throttle and dropping
//! every few seconds, the teacher focused on one board. Drives Jigsync, the
//! bare relay, the Socket.IO peer (as is or coalescing), Hocuspocus or the
//! y-websocket server (`--target`); starts the server itself on a loopback
//! port unless `--addr` is given. `--compare` runs every target with the
//! server and the generator on separate cores. See benches/README.md.
//!
//! Run: `cargo run --release -p jigsync-bench --bin dragbench -- --rooms 5`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use jigsync_bench::compare::{self, Compared};
use jigsync_bench::drag::{self, Workload};
use jigsync_bench::harness::{self, load_average, Server};
use jigsync_bench::idle::{self, IdleFigures};
use jigsync_bench::link::Target;
use jigsync_bench::pinning::{self, Split};
use jigsync_bench::plot;
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
    /// Run every target in turn (`--targets`): the load given, then
    /// find-max, then the idle connections; print ratios and write the JSON
    /// and a plot (`--out`).
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
    /// With --compare: the targets, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "jigsync,socketio,socketio-coalesced,hocuspocus,y-websocket,bare-relay"
    )]
    targets: Vec<Target>,
    /// CPUs for the server (`taskset -c` list). With --compare the default
    /// is the first CPU when there are at least two.
    #[arg(long)]
    server_cpus: Option<String>,
    /// CPUs for the load generator. With --compare the default is the
    /// CPUs the server does not get.
    #[arg(long)]
    client_cpus: Option<String>,
    /// Pin nothing, even with --compare.
    #[arg(long)]
    no_pin: bool,
    /// With --compare: where the JSON goes; the plot is written next to it
    /// with the extension .svg.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/dragbench/compare.json"))]
    out: PathBuf,
    /// With --compare: fail unless every target delivered positions to the
    /// teacher, acknowledged drops and sent no errors (no timing is checked).
    #[arg(long)]
    check: bool,
    /// With --compare: a note added to the plot's title (say, that it is a
    /// short run).
    #[arg(long, default_value = "")]
    note: String,
    /// With an `https://` `--addr`: a PEM file of CA certificates to trust
    /// besides the public roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// With an `https://` `--addr`: accept any certificate (a test
    /// server's self-signed one).
    #[arg(long)]
    insecure: bool,
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

    /// Where server and generator run: the flags given, else (with
    /// --compare) one CPU for the server and the rest for the generator.
    fn split(&self) -> Split {
        if self.no_pin {
            return Split::default();
        }
        let given = Split { server: self.server_cpus.clone(), client: self.client_cpus.clone() };
        if !self.compare || given != Split::default() {
            return given;
        }
        Split::default_for_this_machine()
    }

    fn start_server(&self) -> Server {
        let cpus = self.server_cpus.as_deref();
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
                Server::launch("127.0.0.1:0", &flags.iter().map(String::as_str).collect::<Vec<_>>(), cpus)
            }
            Target::BareRelay => {
                let exe = std::env::current_exe().expect("exe").with_file_name("bare-relay");
                let mut command = harness::pinned(&exe, cpus);
                command.args(["--addr", "127.0.0.1:0"]);
                Server::start_peer(command)
            }
            Target::Socketio => Server::start_peer(node_peer("socketio", cpus)),
            Target::SocketioCoalesced => {
                let mut command = node_peer("socketio", cpus);
                command.env("COALESCE_MS", "33");
                Server::start_peer(command)
            }
            Target::Hocuspocus => Server::start_peer(node_peer("hocuspocus", cpus)),
            Target::YWebsocket => Server::start_peer(node_peer("y-websocket", cpus)),
        }
    }

    /// One run at `rooms`, on a fresh server unless `--addr` was given.
    async fn run(&self, rooms: usize) -> Result<Figures, String> {
        let before = load_average();
        let workload = self.workload(rooms);
        let server = if self.addr.is_none() { Some(self.start_server()) } else { None };
        let (addr, pid) = match (&server, &self.addr) {
            (Some(s), _) => (s.addr.clone(), Some(s.pid())),
            (None, addr) => (addr.clone().unwrap_or_default(), self.pid),
        };
        let outcome = drag::run(&workload, &addr, pid).await?;
        let mut figures = Figures::new(&workload, outcome);
        figures.load_average = Some((before, load_average()));
        Ok(figures)
    }
}

/// TLS for `--addr https://…`, when built with the `tls` feature.
#[cfg(feature = "tls")]
fn configure_tls(args: &Args) {
    if args.ca_file.is_some() || args.insecure {
        jigsync_bench::tls::configure(args.ca_file.as_deref(), args.insecure).unwrap_or_else(|e| fail(&e));
    }
}

#[cfg(not(feature = "tls"))]
fn configure_tls(args: &Args) {
    if args.ca_file.is_some()
        || args.insecure
        || args.addr.as_deref().is_some_and(|a| a.starts_with("https://") || a.starts_with("wss://"))
    {
        fail("built without TLS: build with `--features tls` (cargo build --release -p jigsync-bench --features tls)");
    }
}

/// A Node peer of `benches/peers/<name>` (its packages installed first
/// when missing), listening on a free loopback port.
fn node_peer(name: &str, cpus: Option<&str>) -> Command {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers").join(name);
    harness::npm_ci_if_missing(&dir).unwrap_or_else(|e| fail(&e));
    let mut command = harness::pinned(Path::new("node"), cpus);
    command.arg(dir.join("server.mjs")).env("PORT", "0").env("HOST", "127.0.0.1");
    command
}

fn main() {
    let mut args = Args::parse();
    let split = args.split();
    if let Some(cpus) = &split.client {
        // Before the runtime exists, so that its threads inherit the CPUs.
        pinning::pin_this_process(cpus).unwrap_or_else(|e| fail(&e));
    }
    if args.compare {
        eprintln!(
            "dragbench: server on CPUs {}, load generator on CPUs {}",
            split.server.as_deref().unwrap_or("(any)"),
            split.client.as_deref().unwrap_or("(any)")
        );
    }
    args.server_cpus = split.server;
    configure_tls(&args);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(&format!("runtime: {e}")));
    runtime.block_on(run(args));
}

async fn run(args: Args) {
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
    let steps = find_max(&args).await;
    let best = steps.iter().filter(|s| s.held()).max_by_key(|s| s.rooms);
    if args.json {
        let max = best.map(Figures::json);
        let steps: Vec<_> = steps.iter().map(Figures::json).collect();
        println!("{}", serde_json::json!({ "max_rooms": best.map(|b| b.rooms), "max": max, "steps": steps }));
    } else {
        match best {
            Some(b) => print!("max sustainable load: {} rooms\n{}", b.rooms, b.table()),
            None => println!("no load held"),
        }
    }
}

/// Raises the rooms from `--rooms` by `--step-factor` while the load holds
/// (halving instead if the first load fails), for at most `--max-steps`
/// runs. Every step's figures, in the order run.
async fn find_max(args: &Args) -> Vec<Figures> {
    let mut rooms = args.rooms.max(1);
    let mut steps: Vec<Figures> = Vec::new();
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
        steps.push(figures);
        if held {
            rooms = ((rooms as f64 * args.step_factor) as usize).max(rooms + 1);
        } else if steps.iter().any(Figures::held) || rooms == 1 {
            break;
        } else {
            rooms /= 2;
        }
    }
    steps
}

/// `n` idle connections to a fresh `--target` server.
async fn idle(args: &Args, n: usize) -> Result<IdleFigures, String> {
    if args.addr.is_some() {
        return Err("--idle starts its own server: drop --addr".into());
    }
    let before = load_average();
    let server = args.start_server();
    let mut figures = idle::measure(args.target, &server.addr, server.pid(), n).await?;
    figures.load_average = Some((before, load_average()));
    Ok(figures)
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

/// Every target in turn on the same workload, then the ratios; the JSON
/// and the plot are written to `--out`.
async fn compare(args: &Args) {
    if args.addr.is_some() {
        fail("--compare starts its own servers: drop --addr");
    }
    let mut results = Vec::new();
    for &target in &args.targets {
        let one = Args { target, ..args.clone() };
        eprintln!("compare: {} at {} rooms (load average {})", target.name(), args.rooms, load_average());
        let load = one.run(args.rooms).await.unwrap_or_else(|e| fail(&e));
        if !args.json {
            print!("{}", load.table());
        }
        let stepping = Args { rooms: args.max_from, duration: args.max_duration, json: args.json, ..one.clone() };
        let steps = if args.max_steps > 0 { find_max(&stepping).await } else { Vec::new() };
        let idle = if args.idle_connections > 0 {
            let idle = idle(&one, args.idle_connections).await.unwrap_or_else(|e| fail(&e));
            if !args.json {
                print_idle(&idle);
            }
            Some(idle)
        } else {
            None
        };
        results.push(Compared { target, load, steps, idle });
    }
    let json = compare::json(&results);
    if args.json {
        println!("{json}");
    } else {
        print!("{}", compare::table(&results));
    }
    if let Err(e) = write_results(args, &json, &results) {
        fail(&e);
    }
    if args.check {
        let broken: Vec<String> = results.iter().filter_map(broken).collect();
        if !broken.is_empty() {
            fail(&broken.join("; "));
        }
    }
}

/// What is wrong with a target's load run, if anything.
fn broken(c: &Compared) -> Option<String> {
    let load = &c.load;
    let problem = if load.focused_delivered == 0 {
        "no position reached the teacher"
    } else if load.thumbs_delivered == 0 && load.students > 1 {
        "no position of the other boards reached the teacher"
    } else if load.drops_sent > 0 && load.commits_acked == 0 && c.target != Target::BareRelay {
        "no drop was acknowledged"
    } else if load.errors > 0 {
        "the server sent errors"
    } else {
        return None;
    };
    Some(format!("{}: {problem}", c.target.name()))
}

/// The JSON at `--out` and the plot next to it.
fn write_results(args: &Args, json: &serde_json::Value, results: &[Compared]) -> Result<(), String> {
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, format!("{json}\n")).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let svg = args.out.with_extension("svg");
    let caption = format!(
        "dragbench --compare: {} x (1 + {}) at {} Hz, {} s measured, server CPUs {}, load average {}{}",
        args.rooms,
        args.students,
        args.hz,
        args.duration,
        args.server_cpus.as_deref().unwrap_or("unpinned"),
        results.first().and_then(|c| c.load.load_average.as_ref()).map_or("unknown", |l| l.0.as_str()),
        if args.note.is_empty() { String::new() } else { format!(" ({})", args.note) }
    );
    plot::write(&svg, &caption, results)?;
    eprintln!("dragbench: wrote {} and {}", args.out.display(), svg.display());
    Ok(())
}

fn fail(e: &str) -> ! {
    eprintln!("dragbench: {e}");
    std::process::exit(1)
}
