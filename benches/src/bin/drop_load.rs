//! What storing a drop costs the server (see `jigsync_bench::drops`):
//! `rooms` classrooms of `students`, all of them together dropping `rate`
//! pieces a second for `duration`, after an idle baseline of the same
//! connections. Starts its own release server with a temporary data dir on
//! a loopback port (SQLite, or a throwaway durable Postgres with `--backend
//! postgres`; `both` runs the two in turn), pinned to one CPU and this
//! generator to the others when the machine has two or more.
//!
//! Run: `make bench-drops` or `cargo run --release -p jigsync-bench --bin
//! drop-load -- --rate 100`.

use std::time::Duration;

use clap::Parser;
use jigsync_bench::drops::{self, DropLoad};
use jigsync_bench::harness::{load_average, Server};
use jigsync_bench::pinning::{self, Split};
use jigsync_bench::store::{start_postgres, Backend};

#[derive(Parser, Debug)]
struct Args {
    /// The store of the server this starts.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 10)]
    students: usize,
    /// Drops per second, all students together.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of drops (and of the idle baseline before them).
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Pieces per side of each board.
    #[arg(long, default_value_t = 6)]
    side: u16,
    /// CPUs of the server and its Postgres (`taskset -c` list); default:
    /// the first CPU when there are two or more.
    #[arg(long)]
    server_cpus: Option<String>,
    /// CPUs of this generator; default: the others.
    #[arg(long)]
    client_cpus: Option<String>,
    /// Exit with an error unless every drop was acknowledged (the smoke run).
    #[arg(long)]
    check: bool,
}

fn main() {
    let args = Args::parse();
    let default = Split::default_for_this_machine();
    let split = Split {
        server: args.server_cpus.clone().or(default.server),
        client: args.client_cpus.clone().or(default.client),
    };
    if let Some(cpus) = &split.client {
        // Before the runtime exists, so that its threads inherit the CPUs.
        pinning::pin_this_process(cpus).unwrap_or_else(|e| fail(&e));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(&format!("runtime: {e}")));
    runtime.block_on(run(args, split));
}

async fn run(args: Args, split: Split) {
    let load = DropLoad {
        rooms: args.rooms,
        students: args.students,
        rate: args.rate,
        side: args.side,
        duration: Duration::from_secs_f64(args.duration),
    };
    let cpus = split.server.as_deref();
    println!(
        "drop-load: server on CPUs {}, generator on CPUs {}",
        cpus.unwrap_or("any"),
        split.client.as_deref().unwrap_or("any")
    );
    let mut held = true;
    if args.backend.runs_sqlite() {
        let server = Server::launch("127.0.0.1:0", &LIMITS, cpus);
        held &= report(&load, &server, "SQLite").await;
    }
    if args.backend.runs_postgres() {
        let db = start_postgres(cpus, "drop-load");
        let mut flags = LIMITS.to_vec();
        flags.extend(["--database-url", &db.url]);
        let server = Server::launch("127.0.0.1:0", &flags, cpus);
        held &= report(&load, &server, "Postgres").await;
    }
    if args.check && !held {
        fail("not every drop was acknowledged");
    }
}

/// The server flags that let one IP set up and run the whole load.
const LIMITS: [&str; 10] = [
    "--join-burst",
    "100000",
    "--join-rate-per-min",
    "100000",
    "--conn-rate",
    "1000",
    "--upload-burst",
    "1000",
    "--upload-rate-per-min",
    "1000",
];

/// Runs the load against `server` and prints its figures; true when every
/// drop was acknowledged.
async fn report(load: &DropLoad, server: &Server, label: &str) -> bool {
    let before = load_average();
    match drops::run(load, &server.addr, Some(server.pid())).await {
        Ok(figures) => {
            figures.print(load, label);
            println!("  load average: {before} before, {} after", load_average());
            figures.all_acked()
        }
        Err(err) => fail(&err),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("drop-load: {message}");
    std::process::exit(1);
}
