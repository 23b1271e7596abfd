//! A throwaway PostgreSQL server for one test: its own data dir in a temp
//! dir, its own port on 127.0.0.1 and its own socket dir, so test binaries
//! running side by side never share a server, and none touches a cluster
//! the machine already runs. Dropping it stops the server and deletes the
//! dir.
//!
//! The server programs are Debian's (`/usr/lib/postgresql/<major>/bin`, or an
//! `initdb` on PATH); when there are none, `scripts/ensure-postgres.sh`
//! installs them. Postgres refuses to run as root, so as root (CI) the server
//! runs as the `postgres` system user the Debian package creates, through
//! `runuser`, in a dir that user owns.
//!
//! For tests durability is off (`fsync`, `synchronous_commit`,
//! `full_page_writes`): the data is thrown away, and the server starts and
//! answers faster. Benchmarks start it with Postgres's defaults
//! ([`TestPostgres::start_durable`]), so a commit costs what it costs.

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The database [`TestPostgres::start`] creates.
const DATABASE: &str = "jigsync";
/// The superuser initdb creates (trusted on 127.0.0.1, no password).
const SUPERUSER: &str = "postgres";
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Tries with a fresh port when another process took the one we picked.
const PORT_ATTEMPTS: usize = 5;

pub struct TestPostgres {
    /// `postgres://postgres@127.0.0.1:<port>/jigsync`.
    pub url: String,
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres_user: bool,
    durable: bool,
    /// `postgres` itself, or `runuser` running it.
    server: Child,
    /// Removed after `drop` has stopped the server.
    _dir: tempfile::TempDir,
}

impl TestPostgres {
    /// Creates a cluster, starts it and creates the database [`DATABASE`].
    /// Blocks for a second or two (initdb); panics with the server's log if
    /// anything fails.
    pub fn start() -> TestPostgres {
        TestPostgres::launch(false)
    }

    /// Like [`TestPostgres::start`], with Postgres's durable defaults.
    pub fn start_durable() -> TestPostgres {
        TestPostgres::launch(true)
    }

    fn launch(durable: bool) -> TestPostgres {
        let bin = bin_dir();
        let as_postgres_user = running_as_root();
        let dir = tempfile::Builder::new().prefix("jigsync-pg-").tempdir().expect("temp dir for postgres");
        if as_postgres_user {
            run(
                Command::new("chown").arg(format!("{SUPERUSER}:")).arg(dir.path()),
                "chown the temp dir to the postgres user (Debian's postgresql package creates it)",
            );
        }
        let data = dir.path().join("data");
        let initdb = pg_command(as_postgres_user, &bin.join("initdb"), dir.path())
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync"])
            .output();
        check(initdb, "initdb");

        let log = dir.path().join("postgres.log");
        let mut attempts = 0;
        let (server, port) = loop {
            attempts += 1;
            let port = free_port();
            let mut server = spawn_postgres(as_postgres_user, durable, &bin, dir.path(), port);
            match wait_until_ready(&mut server, &data) {
                Ok(()) => break (server, port),
                Err(exited) => {
                    stop_postmaster(&data);
                    let _ = server.kill();
                    let _ = server.wait();
                    let log = fs::read_to_string(&log).unwrap_or_default();
                    if exited && log.contains("already in use") && attempts < PORT_ATTEMPTS {
                        continue;
                    }
                    panic!("postgres did not start on port {port}:\n{log}");
                }
            }
        };
        let mut postgres =
            TestPostgres { url: String::new(), port, bin, data, as_postgres_user, durable, server, _dir: dir };
        postgres.url = postgres.create_database(DATABASE);
        postgres
    }

    /// Creates another database on this server and returns its URL.
    /// The postmaster's pid (its own processes are its children).
    pub fn pid(&self) -> Option<u32> {
        let pid_file = fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }

    pub fn create_database(&self, name: &str) -> String {
        let created = Command::new(self.bin.join("createdb"))
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string(), "--username", SUPERUSER, name])
            .stdin(Stdio::null())
            .output();
        check(created, "createdb");
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{name}", self.port)
    }
}

impl TestPostgres {
    /// Stops the server (fast: open connections are cut, as when the
    /// database restarts under load) and starts it again on the same port
    /// and data, after `down`.
    pub fn restart(&mut self, down: Duration) {
        let stopped = pg_command(self.as_postgres_user, &self.bin.join("pg_ctl"), &self.data)
            .arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "-t", "30"])
            .stdin(Stdio::null())
            .output();
        check(stopped, "pg_ctl stop");
        let _ = self.server.wait();
        std::thread::sleep(down);
        let dir = self.data.parent().expect("the data dir's parent").to_path_buf();
        self.server = spawn_postgres(self.as_postgres_user, self.durable, &self.bin, &dir, self.port);
        if wait_until_ready(&mut self.server, &self.data).is_err() {
            let log = fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
            panic!("postgres did not start again on port {}:\n{log}", self.port);
        }
    }
}

/// Starts the postmaster of the cluster under `dir` on `port`, logging to
/// `dir/postgres.log`.
fn spawn_postgres(as_postgres_user: bool, durable: bool, bin: &Path, dir: &Path, port: u16) -> Child {
    let log_file = File::create(dir.join("postgres.log")).expect("postgres log file");
    let fast = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
    pg_command(as_postgres_user, &bin.join("postgres"), dir)
        .arg("-D")
        .arg(dir.join("data"))
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(dir)
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(if durable { &[][..] } else { &fast[..] })
        .args(["-c", "shared_buffers=16MB", "-c", "max_connections=50"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("start postgres")
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Immediate: no checkpoint, the data is about to be deleted.
        let stopped = pg_command(self.as_postgres_user, &self.bin.join("pg_ctl"), &self.data)
            .arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "-t", "20"])
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|out| out.status.success());
        if !stopped {
            stop_postmaster(&self.data);
            let _ = self.server.kill();
        }
        let _ = self.server.wait();
    }
}

/// A Postgres program, run as the `postgres` user when we are root, from a
/// dir that user can enter.
fn pg_command(as_postgres_user: bool, program: &Path, cwd: &Path) -> Command {
    let mut command = if as_postgres_user {
        let mut command = Command::new("runuser");
        command.args(["-u", SUPERUSER, "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(cwd);
    command
}

/// Waits until the postmaster says it is ready in `postmaster.pid`.
/// `Err(true)` if the server exited, `Err(false)` if it took too long.
fn wait_until_ready(server: &mut Child, data: &Path) -> Result<(), bool> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if matches!(server.try_wait(), Ok(Some(_))) {
            return Err(true);
        }
        // Line 8 is the postmaster's status: "starting", "ready", "stopping".
        let pid_file = fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
        if pid_file.lines().nth(7).is_some_and(|status| status.trim() == "ready") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(false)
}

/// Kills the postmaster by the pid it recorded (as root, our child is
/// `runuser`, not the postmaster). SIGQUIT is Postgres's immediate shutdown:
/// the postmaster takes its own processes down with it.
fn stop_postmaster(data: &Path) {
    let pid = fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|pid_file| pid_file.lines().next().and_then(|pid| pid.trim().parse::<u32>().ok()));
    if let Some(pid) = pid {
        let _ = Command::new("kill").args(["-QUIT", &pid.to_string()]).stderr(Stdio::null()).status();
    }
}

/// A port nothing listens on right now. Another process may take it before
/// the server binds it; `start` then tries another.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn running_as_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The dir holding initdb, postgres, pg_ctl and createdb; installs them
/// (once per test binary) when there are none.
fn bin_dir() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = find_bin_dir() {
            return bin;
        }
        let script = crate::script("ensure-postgres.sh");
        check(Command::new(&script).stdin(Stdio::null()).output(), "sync-server/scripts/ensure-postgres.sh");
        find_bin_dir().expect("ensure-postgres.sh succeeded but no initdb was found")
    })
    .clone()
}

/// Debian's newest `/usr/lib/postgresql/<major>/bin`, else the dir of the
/// `initdb` on PATH (following symlinks to where `postgres` lives too).
fn find_bin_dir() -> Option<PathBuf> {
    let complete = |bin: &Path| ["initdb", "postgres", "pg_ctl", "createdb"].iter().all(|p| bin.join(p).is_file());
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| complete(bin))
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter_map(|dir| fs::canonicalize(dir.join("initdb")).ok())
        .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
        .find(|bin| complete(bin))
}

fn run(command: &mut Command, what: &str) {
    check(command.stdin(Stdio::null()).output(), what);
}

fn check(output: std::io::Result<Output>, what: &str) {
    match output {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(err) => panic!("{what} could not run: {err}"),
    }
}
