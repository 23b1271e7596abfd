//! Chat fan-out load (see `jigsync_bench::chat`): `rooms` classrooms of
//! `students` each, every student posting `messages` chats at `interval_ms`.
//! Starts its own release server on a loopback port with a temporary data dir
//! (SQLite, or a throwaway durable Postgres with `--backend postgres`; `both`
//! runs the two in turn) unless `--addr` is given.
//!
//! Run: `make bench-chat` or `cargo run --release -p jigsync-bench --bin
//! chat-load -- --rooms 10 --students 30`.

use std::time::Duration;

use clap::Parser;
use jigsync_bench::chat::{self, ChatLoad};
use jigsync_bench::harness::{load_average, Server};
use jigsync_bench::store::{start_postgres, Backend};

#[derive(Parser, Debug)]
struct Args {
    /// A running server; if absent, `target/release/jigsync` is started.
    #[arg(long)]
    addr: Option<String>,
    /// The store of the server this starts.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 30)]
    students: usize,
    #[arg(long, default_value_t = 20)]
    messages: usize,
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
    /// Spread the students' chats over each interval instead of a lockstep
    /// burst.
    #[arg(long)]
    staggered: bool,
    /// CPUs for the server and its Postgres (`taskset -c` list, e.g. `0`);
    /// run this program itself on the others (`taskset -c 1`).
    #[arg(long)]
    server_cpus: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let load = ChatLoad {
        rooms: args.rooms,
        students: args.students,
        messages: args.messages,
        interval: Duration::from_millis(args.interval_ms),
        staggered: args.staggered,
    };
    let cpus = args.server_cpus.as_deref();
    println!("chat-load: server on CPUs {}, load average before: {}", cpus.unwrap_or("any"), load_average());
    if let Some(addr) = &args.addr {
        return report(&load, addr, "given server", &[]).await;
    }
    if args.backend.runs_sqlite() {
        let server = Server::launch("127.0.0.1:0", &chat::LIMITS, cpus);
        report(&load, &server.addr, "SQLite", &[server.pid()]).await;
    }
    if args.backend.runs_postgres() {
        let db = start_postgres(cpus, "chat-load");
        let mut flags = chat::LIMITS.to_vec();
        flags.extend(["--database-url", &db.url]);
        let server = Server::launch("127.0.0.1:0", &flags, cpus);
        report(&load, &server.addr, "Postgres", &[server.pid()]).await;
    }
}

async fn report(load: &ChatLoad, addr: &str, label: &str, server_pids: &[u32]) {
    match chat::run(load, addr, server_pids).await {
        Ok(figures) => figures.print(load, label),
        Err(err) => {
            eprintln!("chat-load: {err}");
            std::process::exit(1);
        }
    }
}
