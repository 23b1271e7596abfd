//! The soak (`make bench-soak`): 10,000 students in 200 classrooms for ten
//! minutes, a tenth of them dragging at 30 Hz, each chatting once a minute,
//! 1% of the connections cut and resumed every minute. Starts a release
//! server next to this binary (on `--server-cpus`), runs the load from one
//! single-threaded runtime (on `--client-cpus`), prints a table per minute
//! and the verdict, and exits 1 when the run failed. See benches/README.md,
//! "Soak".
//!
//! Run: `cargo run --release -p jigsync-bench --bin soak -- --rooms 4 --minutes 1`.

use std::time::Duration;

use clap::Parser;
use jigsync_bench::harness::{self, Server};
use jigsync_bench::pinning;
use jigsync_bench::soak::{self, Soak};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 200)]
    rooms: usize,
    /// Students per room (each room also has its teacher).
    #[arg(long, default_value_t = 50)]
    students: usize,
    /// Length of the run, in minutes.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Length of the run, in seconds (instead of --minutes).
    #[arg(long)]
    duration: Option<f64>,
    /// Share of each room's students who drag (rounded up).
    #[arg(long, default_value_t = 0.1)]
    drag_share: f64,
    /// Pointer events per second while dragging (the client-js throttle sends ≤ 30/s).
    #[arg(long, default_value_t = 30.0)]
    drag_hz: f64,
    /// Seconds between a dragger's drops.
    #[arg(long, default_value_t = 5.0)]
    drop_every: f64,
    /// Seconds between a student's chats.
    #[arg(long, default_value_t = 60.0)]
    chat_every: f64,
    /// Share of all connections cut and resumed per --reconnect-every.
    #[arg(long, default_value_t = 0.01)]
    reconnect_share: f64,
    /// Seconds per reconnect round.
    #[arg(long, default_value_t = 60.0)]
    reconnect_every: f64,
    /// Seconds per row of the table.
    #[arg(long, default_value_t = 60.0)]
    row_every: f64,
    /// After the sending stops, the run ends once no chat ack or delivery
    /// has come for this many seconds (at most 3 minutes).
    #[arg(long, default_value_t = 5.0)]
    grace: f64,
    /// Pieces per side of each board.
    #[arg(long, default_value_t = 6)]
    side: u16,
    /// Connections opened at once.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Most server RSS growth allowed between the end of the first row and
    /// the end, as a fraction.
    #[arg(long, default_value_t = 0.05)]
    max_rss_growth: f64,
    /// CPUs for the server (`taskset -c` list); unpinned if not given.
    #[arg(long)]
    server_cpus: Option<String>,
    /// CPUs for this load generator; unpinned if not given.
    #[arg(long)]
    client_cpus: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Fault injection: one connection leaves a received chat out of its
    /// count, so the run must fail (proves the check can fail).
    #[arg(long)]
    lose_one_chat: bool,
}

fn fail(message: &str) -> ! {
    eprintln!("soak: {message}");
    std::process::exit(2);
}

fn main() {
    let args = Args::parse();
    let secs = |s: f64| Duration::try_from_secs_f64(s).unwrap_or_else(|e| fail(&format!("{s} s: {e}")));
    let config = Soak {
        rooms: args.rooms,
        students: args.students,
        side: args.side,
        duration: secs(args.duration.unwrap_or(args.minutes * 60.0)),
        drag_share: args.drag_share,
        drag_hz: args.drag_hz,
        drop_every: secs(args.drop_every),
        chat_every: secs(args.chat_every),
        reconnect_share: args.reconnect_share,
        reconnect_every: secs(args.reconnect_every),
        row_every: secs(args.row_every),
        grace: secs(args.grace),
        connect_concurrency: args.connect_concurrency,
        max_rss_growth: args.max_rss_growth,
        lose_one: args.lose_one_chat,
    };
    if config.drag_hz <= 0.0 || config.row_every.is_zero() || config.duration.is_zero() {
        fail("--drag-hz, --row-every and the duration must be positive");
    }
    // Besides the per-IP ones, the server's limits stay as shipped: per
    // connection and per user, a class's drags and chats are within them.
    let server = Server::launch("127.0.0.1:0", &harness::ONE_IP_LIMITS_LIFTED, args.server_cpus.as_deref());
    let outcome = drive(&config, &server, args.client_cpus.as_deref());
    // Stopped here, not by `exit`, which would leave it running.
    drop(server);
    let outcome = outcome.unwrap_or_else(|e| fail(&e));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome).unwrap_or_else(|e| fail(&e.to_string())));
    } else {
        print!("{}", outcome.text());
    }
    if !outcome.passed {
        std::process::exit(1);
    }
}

/// Runs the soak against `server` from one thread, pinned to `cpus`.
fn drive(config: &Soak, server: &Server, cpus: Option<&str>) -> Result<soak::Outcome, String> {
    if let Some(cpus) = cpus {
        // Before the runtime exists, so that everything it starts inherits the CPU.
        pinning::pin_this_process(cpus)?;
    }
    // One thread: the soak must show that one core drives the whole load.
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(soak::run(config, &server.addr, server.pid()))
}
