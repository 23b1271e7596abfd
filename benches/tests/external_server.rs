//! `dragbench --addr` against a Jigsync server it did not start, with the
//! per-IP join limit left low as on a real deployment: the setup's joins
//! are refused with 429 until the bucket refills, and must back off and
//! retry instead of aborting; the run must then measure as usual.

use std::path::PathBuf;
use std::process::Command;

use jigsync_bench::harness::Server;

/// The server binary: `JIGSYNC_BIN`, else the workspace's debug build.
fn jigsync_bin() -> PathBuf {
    std::env::var_os("JIGSYNC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/debug/jigsync")))
}

#[test]
fn dragbench_sets_up_and_measures_a_rate_limited_server_it_did_not_start() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(jigsync_bin());
    // One room of four students needs five joins; a burst of two makes most
    // of them wait for the bucket (two a second).
    command
        .args(["--addr", "127.0.0.1:0", "--join-burst", "2", "--join-rate-per-min", "120", "--data-dir"])
        .arg(data.path())
        .env("JIGSYNC_LOG", "warn,jigsync_server::server=info");
    let server = Server::start_peer(command);

    let output = Command::new(env!("CARGO_BIN_EXE_dragbench"))
        .args(["--addr", &format!("http://{}/", server.addr), "--pid", &server.pid().to_string()])
        .args(["--rooms", "1", "--students", "4", "--warmup", "0.3", "--duration", "1", "--drop-every", "0.5"])
        .arg("--json")
        .output()
        .expect("run dragbench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dragbench failed: {stderr}");
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(figures["connections"], 5, "{figures}");
    assert!(figures["focused_delivered"].as_u64() > Some(0), "{figures}");
    assert!(figures["commits_acked"].as_u64() > Some(0), "{figures}");
    assert_eq!(figures["errors"], 0, "{figures}");
    assert!(figures["server_cpu_s"].is_number(), "the pid given is read: {figures}");
}
