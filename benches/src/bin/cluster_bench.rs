//! The several-nodes figures (benches/README.md, "cluster-bench"), side by
//! side in one run:
//!
//! 1. the drag workload on one node (SQLite), then on a cluster of three
//!    nodes on Postgres through HAProxy, `--runs` times: in every room half
//!    the clients on the room's owner and half on another node that relays
//!    to the owner, at the same time ([`jigsync_bench::cluster_drag`]):
//!    student → teacher latency of each half and the difference, CPU per
//!    1,000 moves of the owner, the relaying node and the balancers;
//! 2. chat acks at the `chat-load` load, one node on SQLite against the
//!    cluster on Postgres through the balancer;
//! 3. failover: `kill -9` of a room's owner, then the time until a client
//!    that reconnects through the balancer has a chat acknowledged by the new
//!    owner, over several trials.
//!
//! Servers (nodes, Postgres, HAProxy) run on `--server-cpus`, and this
//! process should run on the others (`make bench-cluster` uses `taskset`).
//!
//! Run: `make bench-cluster`, or `taskset -c 1 ./target/release/cluster-bench
//! --server-cpus 0`.

use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use jigsync_bench::chat::{self, ChatFigures, ChatLoad};
use jigsync_bench::cluster::Cluster;
use jigsync_bench::cluster_drag::{self, SingleRun};
use jigsync_bench::drag::Workload;
use jigsync_bench::harness::{self, load_average, post_json, Server};
use jigsync_bench::link::Target;
use jigsync_bench::report::Figures;
use jigsync_schema::{decode, encode, ClientMsg, ServerMsg};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Parser, Debug)]
struct Args {
    /// Drag rooms (1 teacher + `--students` each).
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 30)]
    students: usize,
    #[arg(long, default_value_t = 30.0)]
    hz: f64,
    /// Seconds measured per drag run, after a 2 s warm-up.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Paired drag runs on the cluster (owner and relayed halves at once).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Failover trials.
    #[arg(long, default_value_t = 10)]
    trials: usize,
    /// Chat rooms, students and chats each (the `chat-load` defaults).
    #[arg(long, default_value_t = 10)]
    chat_rooms: usize,
    #[arg(long, default_value_t = 30)]
    chat_students: usize,
    #[arg(long, default_value_t = 20)]
    chat_messages: usize,
    /// CPUs for the servers (`taskset -c`); empty for no pinning.
    #[arg(long, default_value = "0")]
    server_cpus: String,
    /// Skip parts: any of drag, chat, failover.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
}

/// Limits lifted for the load, which comes from one IP (with
/// `ONE_IP_LIMITS_LIFTED`).
const DRAG_FLAGS: [&str; 4] = ["--move-rate", "1000", "--conn-rate", "1000"];
/// The target: relaying adds at most this to the p99 (issue 12).
const MAX_ADDED_P99_MS: f64 = 2.0;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(err) = run(&args).await {
        eprintln!("cluster-bench: {err}");
        std::process::exit(1);
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let cpus = Some(args.server_cpus.as_str()).filter(|c| !c.is_empty());
    println!("cluster-bench: servers on CPUs {}, load average before: {}", cpus.unwrap_or("any"), load_average());
    // The chat load's limits, where the drag flags have not set them.
    let mut flags: Vec<&str> = DRAG_FLAGS.to_vec();
    flags.extend(harness::ONE_IP_LIMITS_LIFTED);
    flags.extend(["--chat-rate", "100", "--chat-burst", "100"]);
    let workload = Workload {
        target: Target::Jigsync,
        rooms: args.rooms,
        students: args.students,
        hz: args.hz,
        side: 10,
        drop_every: Duration::from_secs(3),
        warmup: Duration::from_secs(2),
        duration: Duration::from_secs_f64(args.duration),
    };
    let chat_load = ChatLoad {
        rooms: args.chat_rooms,
        students: args.chat_students,
        messages: args.chat_messages,
        interval: Duration::from_millis(500),
        staggered: false,
    };
    let skip = |part: &str| args.skip.iter().any(|s| s == part);

    // One node, for comparison, before the cluster takes the CPUs.
    let single = if skip("drag") && skip("chat") { None } else { Some(Server::launch("127.0.0.1:0", &flags, cpus)) };
    let single_drag = match &single {
        Some(server) if !skip("drag") => Some(cluster_drag::single(&workload, server).await?),
        _ => None,
    };
    // Each chat load twice: every student's chat at the same instant, then
    // spread over the interval.
    let chat_loads = [chat_load, ChatLoad { staggered: true, ..chat_load }];
    let mut single_chat = Vec::new();
    if let Some(server) = single.as_ref().filter(|_| !skip("chat")) {
        for load in &chat_loads {
            single_chat.push(chat::run(load, &server.addr, &[server.pid()]).await?);
        }
    }
    drop(single);

    let mut cluster = Cluster::start(&flags, cpus).await?;
    if let Some(single) = single_drag {
        drag_runs(&cluster, &workload, args, &single).await?;
    }
    if !single_chat.is_empty() {
        let nodes: Vec<u32> = cluster.nodes.iter().filter_map(|n| n.pid()).collect();
        let mut clustered = Vec::new();
        for load in &chat_loads {
            clustered.push(chat::run(load, &cluster.lb_addr(), &nodes).await?);
        }
        // The same burst with every client connected straight to one node
        // (its rooms settle there): the cluster's Postgres and group commit
        // without HAProxy, which shares the servers' core here and forwards
        // every one of the burst's deliveries.
        let straight = chat::run(&chat_loads[0], &cluster.nodes[0].addr.to_string(), &nodes).await?;
        println!(
            "\nchat: {} rooms x {} students, {} chats each every 500 ms",
            chat_load.rooms, chat_load.students, chat_load.messages
        );
        for (i, timing) in ["all at once", "staggered"].iter().enumerate() {
            chat_row(&format!("one node (SQLite), {timing}"), &single_chat[i]);
            chat_row(&format!("cluster (Postgres), {timing}"), &clustered[i]);
        }
        chat_row("cluster, 1 node direct, all at once", &straight);
    }
    if !skip("failover") {
        failover(&mut cluster, args.trials).await?;
    }
    println!("\nload average after: {}", load_average());
    Ok(())
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn row(label: &str, f: &Figures, per_1k: [Option<f64>; 3]) {
    println!(
        "  {:<30} {:>9.0} {:>8.2}% {:>8.1} {:>8.1}   {:>11} {:>11} {:>11}",
        label,
        f.moves_per_s,
        f.focused_delivery * 100.0,
        f.latency.p50,
        f.latency.p99,
        ms(per_1k[0]),
        ms(per_1k[1]),
        ms(per_1k[2]),
    );
}

/// The paired drag runs on the cluster, after the single node's row: per
/// run the owner's half, the relayed half and what relaying added; then the
/// added p99 over all runs.
async fn drag_runs(cluster: &Cluster, w: &Workload, args: &Args, single: &SingleRun) -> Result<(), String> {
    println!(
        "\ndrag: {} rooms x (1 teacher + {} students) at {} Hz, {} s measured; latency is student -> teacher, focused board",
        args.rooms, args.students, args.hz, args.duration
    );
    println!(
        "each room's students in two halves at once, each half with a teacher connection of its own: on the owner, and relayed by another node"
    );
    println!("CPU in ms per 1,000 moves: owner over all moves, relaying node over the moves it relayed, both HAProxies over all moves");
    println!(
        "  {:<30} {:>9} {:>9} {:>8} {:>8}   {:>11} {:>11} {:>11}",
        "", "moves/s", "delivery", "p50 ms", "p99 ms", "owner CPU", "relay CPU", "HAProxy CPU"
    );
    row("one node (SQLite)", &single.both, [single.both.cpu_ms_per_1000_moves, None, None]);
    let [a, b] = &single.halves;
    println!(
        "  {:<30} halves differ by {:+.1} ms p50, {:+.1} ms p99",
        "",
        b.latency.p50 - a.latency.p50,
        b.latency.p99 - a.latency.p99
    );
    let straight = cluster.balancer_to(0).await?;
    let mut added = Vec::new();
    for run in 1..=args.runs {
        let paired = cluster_drag::paired(cluster, &straight, w, (0, 1), run % 2 == 1).await?;
        println!("  run {run} (load average before: {})", paired.load_before);
        let cpu = [paired.owner_cpu_per_1k, paired.relay_cpu_per_1k, paired.balancers_cpu_per_1k];
        row("cluster, on the owner", &paired.owner, [None; 3]);
        row("cluster, relayed", &paired.forwarded, cpu);
        println!("  {:<30} relaying added {:+.1} ms p50, {:+.1} ms p99", "", paired.added_p50(), paired.added_p99());
        added.push(paired.added_p99());
    }
    if let Some((median, worst)) = cluster_drag::median_and_worst(&added) {
        let met = added.iter().filter(|&&a| a <= MAX_ADDED_P99_MS).count();
        let each: Vec<String> = added.iter().map(|a| format!("{a:+.2}")).collect();
        println!(
            "  added p99 over {} runs: {} ms; median {median:+.1} ms, worst {worst:+.1} ms; <= {MAX_ADDED_P99_MS} ms in {met} of {}",
            added.len(),
            each.join(", "),
            added.len()
        );
    }
    Ok(())
}

fn chat_row(label: &str, f: &ChatFigures) {
    println!(
        "  {:<36} ack p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms ({} acks); delivery p99 {:>6.2} ms",
        label, f.ack.p50, f.ack.p99, f.ack.max, f.acks, f.delivery.p99
    );
}

/// `trials` times: a room in use, its owner killed, and the time until a
/// chat sent through the balancer is acknowledged again.
async fn failover(cluster: &mut Cluster, trials: usize) -> Result<(), String> {
    println!("\nfailover: kill -9 of a room's owner -> first acknowledged chat through HAProxy ({trials} trials)");
    let http = reqwest::Client::new();
    let lb = cluster.lb_addr();
    let mut times = Vec::new();
    for trial in 1..=trials {
        let room =
            post_json(&http, &format!("http://{lb}/api/rooms"), None, json!({"name": "F", "teacherName": "T"})).await;
        let (room_id, token) = (text(&room, "roomId")?, text(&room, "teacherToken")?);
        chat_until_acked(&lb, &room_id, &token, Duration::from_secs(10)).await?;
        let owner = cluster.owner(&room_id).await.ok_or("the room has no owner")?;
        cluster.kill9(owner);
        let killed = Instant::now();
        chat_until_acked(&lb, &room_id, &token, Duration::from_secs(60)).await?;
        let took = killed.elapsed();
        let new_owner = cluster.owner(&room_id).await.map_or("?".into(), |i| cluster.nodes[i].name.clone());
        println!(
            "  trial {trial:>2}: {} killed, {new_owner} acknowledged after {:.2} s",
            cluster.nodes[owner].name,
            took.as_secs_f64()
        );
        times.push(took);
        cluster.restart(owner);
        cluster.wait_in_rotation(owner).await?;
    }
    times.sort();
    if let (Some(median), Some(worst)) = (times.get(times.len() / 2), times.last()) {
        println!("  median {:.2} s, worst {:.2} s", median.as_secs_f64(), worst.as_secs_f64());
    }
    Ok(())
}

/// Connects through the balancer and sends a chat until one is
/// acknowledged, retrying every 100 ms (a client's reconnect loop).
async fn chat_until_acked(lb: &str, room: &str, token: &str, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if try_chat(lb, room, token).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("no chat acknowledged in room {room} within {within:?}"))
}

async fn try_chat(lb: &str, room: &str, token: &str) -> bool {
    let url = format!("ws://{lb}/ws/{room}?token={token}");
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(url)).await
    else {
        return false;
    };
    let chat = ClientMsg::Chat { r#ref: Some(1), text: "still here?".into(), upload: None };
    if ws.send(WsMessage::Binary(encode(&chat).into())).await.is_err() {
        return false;
    }
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = ws.next().await {
            if let WsMessage::Binary(bytes) = frame {
                match decode::<ServerMsg>(&bytes) {
                    Ok(ServerMsg::Ack { r#ref: Some(1), .. }) => return true,
                    Ok(ServerMsg::Error { r#ref: Some(1), .. }) => return false,
                    _ => {}
                }
            }
        }
        false
    });
    answer.await.unwrap_or(false)
}

fn text(v: &serde_json::Value, key: &str) -> Result<String, String> {
    v[key].as_str().map(str::to_owned).ok_or_else(|| format!("no {key} in {v}"))
}
