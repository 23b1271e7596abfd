//! Starts `target/release/jigsync` (next to the benchmark binary) on
//! 127.0.0.1:0 with a temporary data dir, and talks JSON to it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The server's per-IP limits on joins and uploads, lifted: they are for
/// classrooms behind one school address, and every simulated client of a
/// load generator comes from 127.0.0.1.
pub const ONE_IP_LIMITS_LIFTED: [&str; 8] = [
    "--join-burst",
    "1000000",
    "--join-rate-per-min",
    "1000000",
    "--upload-burst",
    "100000",
    "--upload-rate-per-min",
    "1000000",
];

pub struct Server {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server with extra flags (benchmarks lift the rate limits
    /// that protect classrooms from abuse).
    pub fn start(extra: &[&str]) -> Server {
        Server::launch("127.0.0.1:0", extra, None)
    }

    /// Starts the server on `addr`, on the CPUs `cpus` (`taskset -c`) if
    /// given, so a benchmark keeps server and load generator apart.
    pub fn launch(addr: &str, extra: &[&str], cpus: Option<&str>) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let exe = std::env::current_exe().expect("exe").with_file_name("jigsync");
        let mut command = pinned(&exe, cpus);
        command
            .args(["--addr", addr, "--data-dir"])
            .arg(dir.path())
            .args(extra)
            .env("JIGSYNC_LOG", "warn,jigsync_server::server=info");
        Server::spawn(command, dir)
    }

    /// Starts another server (a benchmark peer). Like Jigsync, it must
    /// print `addr=<host:port>` on stderr once it listens.
    pub fn start_peer(command: Command) -> Server {
        Server::spawn(command, tempfile::tempdir().expect("temp dir"))
    }

    fn spawn(mut command: Command, dir: tempfile::TempDir) -> Server {
        let program = command.get_program().to_string_lossy().into_owned();
        die_with_the_benchmark(&mut command);
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e} (build it with `cargo build --release`)"));
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines.next().expect("server exited").expect("read");
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().unwrap_or_default().to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr, _dir: dir }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub async fn post(&self, http: &reqwest::Client, path: &str, token: Option<&str>, body: Value) -> Value {
        post_json(http, &format!("http://{}{path}", self.addr), token, body).await
    }
}

pub async fn post_json(http: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let request = || {
        let req = http.post(url).json(&body);
        match token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    };
    send_retrying(request).await.expect("request").json().await.expect("json")
}

/// The setup's HTTP client: with the `tls` feature, one that uses the
/// process's TLS configuration (`tls`), so `https://` servers work.
pub fn http_client() -> reqwest::Client {
    #[cfg(feature = "tls")]
    return crate::tls::http_client();
    #[cfg(not(feature = "tls"))]
    reqwest::Client::new()
}

/// How long the setup keeps retrying a request the server rate-limits.
const RATE_LIMITED_FOR_AT_MOST: Duration = Duration::from_secs(600);

/// Sends the request `build` makes and, while the server answers 429 (a
/// server started with its stock per-IP limits, and every simulated client
/// coming from one address), waits and sends it again: as long as
/// `Retry-After` says when given, else backing off from 250 ms to 8 s, with
/// jitter so that concurrent setups do not retry in step.
pub async fn send_retrying(build: impl Fn() -> reqwest::RequestBuilder) -> Result<reqwest::Response, String> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let response = build().send().await.map_err(|e| e.to_string())?;
        if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Ok(response);
        }
        let wait = retry_after(&response).unwrap_or(pause) + jitter(pause / 4);
        if started.elapsed() + wait > RATE_LIMITED_FOR_AT_MOST {
            return Err(format!("{}: still rate limited after {:?}", response.url(), started.elapsed()));
        }
        tokio::time::sleep(wait).await;
        pause = (pause * 2).min(Duration::from_secs(8));
    }
}

/// `Retry-After` in seconds (the date form is not used by the servers here).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// A pause between zero and `most`, from the clock's low bits.
fn jitter(most: Duration) -> Duration {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    most.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A benchmark stopped by a signal (Ctrl-C, `timeout`) runs no `Drop`: the
/// kernel kills the server it started when the benchmark's thread that
/// started it ends, so no server is left holding a core and a port.
fn die_with_the_benchmark(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only `prctl` runs, a plain system call,
    // which is async-signal-safe; nothing is allocated or locked.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
}

/// `program` run on `cpus` through `taskset` (which execs it, so the pid is
/// the program's), or as is.
pub fn pinned(program: &std::path::Path, cpus: Option<&str>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.args(["-c", cpus]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Moves a running process and all its threads to `cpus`; its future
/// children inherit them.
pub fn pin_pid(pid: u32, cpus: &str) -> Result<(), String> {
    let status = Command::new("taskset")
        .args(["-a", "-c", "-p", cpus, &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("taskset: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("taskset -p {cpus} {pid} failed"))
    }
}

/// The load average, as `uptime` reports it (1, 5 and 15 minutes).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// A PNG header with real dimensions: all the server reads of a picture.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// Installs a Node peer's packages (`npm ci`, from its package-lock.json)
/// when its `node_modules` is missing, so that a fresh clone runs.
pub fn npm_ci_if_missing(dir: &std::path::Path) -> Result<(), String> {
    if dir.join("node_modules").is_dir() {
        return Ok(());
    }
    eprintln!("installing {} (npm ci)", dir.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("npm ci in {}: {e} (is Node.js installed?)", dir.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("npm ci in {} failed: {status}", dir.display()))
    }
}

/// Pins a process and its children (Postgres's postmaster and the workers it
/// already started; later ones inherit the postmaster's CPUs).
pub fn pin_tree(pid: u32, cpus: &str) -> Result<(), String> {
    pin_pid(pid, cpus)?;
    let children = Command::new("pgrep").args(["-P", &pid.to_string()]).output().map_err(|e| e.to_string())?;
    for child in String::from_utf8_lossy(&children.stdout).split_whitespace() {
        if let Ok(child) = child.parse() {
            pin_pid(child, cpus)?;
        }
    }
    Ok(())
}
