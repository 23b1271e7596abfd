//! Command-line flags, each also readable from a `JIGSYNC_*` environment
//! variable so deployments can configure the server without a wrapper script.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ipnet::IpNet;

use crate::logging::LogFormat;
use crate::signup::SignupMode;

#[derive(Debug, Clone, Parser)]
#[command(name = "jigsync", version, about = "Real-time sync server for classroom puzzle boards")]
pub struct Config {
    /// Address to serve HTTP and WebSocket on (port 0 picks a free port).
    #[arg(long, env = "JIGSYNC_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Serve `/metrics` on this address only, not on `--addr`, so it need
    /// not be public (port 0 picks a free port).
    #[arg(long, env = "JIGSYNC_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Log lines as `text`, or `json`: one JSON object per line.
    #[arg(long, env = "JIGSYNC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds between SIGTERM and closing connections, in which `/readyz`
    /// already answers 503 and everything else is still served, so a load
    /// balancer takes the node out before its clients are disconnected.
    #[arg(long, env = "JIGSYNC_SHUTDOWN_DELAY_SECS", default_value_t = 0)]
    pub shutdown_delay_secs: u64,

    /// Postgres as the store of record (`postgres://user:password@host/db`),
    /// for several nodes; without it, SQLite under `--data-dir`.
    #[arg(long, env = "JIGSYNC_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// This node's name in a cluster (several nodes on one Postgres);
    /// default: a new one at every start.
    #[arg(long, env = "JIGSYNC_NODE_ID")]
    pub node_id: Option<String>,

    /// How the cluster's other nodes reach this one (`http://10.0.0.5:8080`);
    /// default: `http://` and the address it listens on.
    #[arg(long, env = "JIGSYNC_ADVERTISE_URL")]
    pub advertise_url: Option<String>,

    /// How long a node owns a room without renewing its lease, in
    /// milliseconds: the longest a room waits for a new owner after its
    /// node dies.
    #[arg(long, env = "JIGSYNC_LEASE_TTL_MS", default_value_t = 6000, value_parser = clap::value_parser!(u64).range(500..))]
    pub lease_ttl_ms: u64,

    /// How often an owner renews its rooms' leases, in milliseconds.
    #[arg(long, env = "JIGSYNC_LEASE_RENEW_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..))]
    pub lease_renew_ms: u64,

    /// Where the SQLite database, the signing key and uploads live.
    #[arg(long, env = "JIGSYNC_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// A file holding a token signing key as 64 hex characters (`openssl
    /// rand -hex 32`); may be given more than once (comma-separated in the
    /// environment). The first key signs, every one is accepted, so keys
    /// can be rotated. Every node of a cluster needs the same first key;
    /// without one, a single node keeps its own key in its data dir.
    #[arg(long, env = "JIGSYNC_SIGNING_KEY_FILE", value_delimiter = ',')]
    pub signing_key_file: Vec<PathBuf>,

    /// A signing key itself, as 64 hex characters (environment only): it
    /// comes before the `--signing-key-file` keys, so it signs.
    #[arg(skip = std::env::var("JIGSYNC_SIGNING_KEY").ok())]
    pub signing_key: Option<String>,

    /// Hours a token stays valid after it is handed out (a class day); a
    /// client with an expired token must join again.
    #[arg(long, env = "JIGSYNC_TOKEN_TTL_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl_hours: u64,

    /// The token lifetime in seconds, over `--token-ttl-hours`. For the
    /// expiry tests only.
    #[arg(long, env = "JIGSYNC_TOKEN_TTL_SECS", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl_secs: Option<u64>,

    /// Also accept `v1` tokens, signed before tokens had an expiry: they
    /// never expire, so this is for the upgrade only.
    #[arg(long, env = "JIGSYNC_ACCEPT_UNEXPIRING_TOKENS")]
    pub accept_unexpiring_tokens: bool,

    /// The classroom web app served at `/`: the built files (`make web`).
    #[arg(long, env = "JIGSYNC_WEB_DIR", default_value = "examples/classroom/dist")]
    pub web_dir: PathBuf,

    /// Peers whose `X-Forwarded-For` is believed (CIDR, comma-separated).
    #[arg(long, env = "JIGSYNC_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<IpNet>,

    /// Largest accepted upload, in bytes.
    #[arg(long, env = "JIGSYNC_MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Seconds of silence after which a connection is dropped.
    #[arg(long, env = "JIGSYNC_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,

    /// Seconds between server pings.
    #[arg(long, env = "JIGSYNC_PING_INTERVAL_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub ping_interval_secs: u64,

    /// Seconds one socket write may take: a client that does not take its
    /// data in time is disconnected and its resources freed.
    #[arg(long, env = "JIGSYNC_WRITE_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub write_timeout_secs: u64,

    /// Reliable frames queued for one connection before it is closed as a
    /// slow consumer.
    #[arg(long, env = "JIGSYNC_QUEUE_FRAMES", default_value_t = 1024)]
    pub queue_frames: usize,

    /// Requests per second one connection may send (burst: twice this).
    #[arg(long, env = "JIGSYNC_CONN_RATE", default_value_t = 20)]
    pub conn_rate: u32,

    /// Drag positions per second one connection may send (burst: the same);
    /// past it positions are dropped, never drops (board updates).
    #[arg(long, env = "JIGSYNC_MOVE_RATE", default_value_t = 60)]
    pub move_rate: u32,

    /// Chat and whisper messages per second one user may send, across all
    /// their connections (burst: `--chat-burst`).
    #[arg(long, env = "JIGSYNC_CHAT_RATE", default_value_t = 2)]
    pub chat_rate: u32,

    #[arg(long, env = "JIGSYNC_CHAT_BURST", default_value_t = 10)]
    pub chat_burst: u32,

    /// Joins and room creations per minute from one IP (burst:
    /// `--join-burst`). A whole class often shares one school IP.
    #[arg(long, env = "JIGSYNC_JOIN_RATE_PER_MIN", default_value_t = 120)]
    pub join_rate_per_min: u32,

    #[arg(long, env = "JIGSYNC_JOIN_BURST", default_value_t = 60)]
    pub join_burst: u32,

    /// Uploads per minute from one IP (burst: `--upload-burst`).
    #[arg(long, env = "JIGSYNC_UPLOAD_RATE_PER_MIN", default_value_t = 30)]
    pub upload_rate_per_min: u32,

    #[arg(long, env = "JIGSYNC_UPLOAD_BURST", default_value_t = 20)]
    pub upload_burst: u32,

    /// Serves `POST /test-hooks/rooms/{roomId}/fail`, which makes a room's
    /// task panic. For the failure tests only; never in production.
    #[arg(long, env = "JIGSYNC_TEST_HOOKS", hide = true)]
    pub test_hooks: bool,

    /// Seconds a room's task stays alive with nobody connected.
    #[arg(long, env = "JIGSYNC_ROOM_IDLE_SECS", default_value_t = 30)]
    pub room_idle_secs: u64,

    /// A file holding the operator's secret (at least 32 characters, e.g.
    /// `openssl rand -hex 32`): sent as `Authorization: Bearer <secret>`, it
    /// may delete any class. Without it, only a class's owner may.
    #[arg(long, env = "JIGSYNC_OPERATOR_TOKEN_FILE")]
    pub operator_token_file: Option<PathBuf>,

    /// Delete classes closed, or open with no activity, for longer than this
    /// many days, with everything of them (off by default).
    #[arg(long, env = "JIGSYNC_RETENTION_DAYS", value_parser = clap::value_parser!(u64).range(1..))]
    pub retention_days: Option<u64>,

    /// The retention in seconds, over `--retention-days`. For the retention
    /// tests only.
    #[arg(long, env = "JIGSYNC_RETENTION_SECS", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub retention_secs: Option<u64>,

    /// Close a class nobody has been connected to (and nothing happened in)
    /// for this many hours; it leaves the lobby and its code stops working.
    #[arg(long, env = "JIGSYNC_CLOSE_IDLE_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..))]
    pub close_idle_hours: u64,

    /// The idle time before a class closes in seconds, over
    /// `--close-idle-hours`. For the idle-close tests only.
    #[arg(long, env = "JIGSYNC_CLOSE_IDLE_SECS", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub close_idle_secs: Option<u64>,

    /// Who may create a class: anyone (`open`), whoever gives the secret in
    /// `--teacher-signup-secret-file` (`secret`), or the holder of a
    /// teacher token minted with the signing key (`token`, see `jigsync
    /// mint-teacher-token`).
    #[arg(long, env = "JIGSYNC_TEACHER_SIGNUP", value_enum, default_value_t = SignupMode::Open)]
    pub teacher_signup: SignupMode,

    /// A file holding the signup secret for `--teacher-signup secret`
    /// (surrounding white space is ignored).
    #[arg(long, env = "JIGSYNC_TEACHER_SIGNUP_SECRET_FILE")]
    pub teacher_signup_secret_file: Option<PathBuf>,

    /// Days a teacher token this server hands out (with each class created)
    /// stays valid; a teacher who creates a class within them keeps their
    /// identity without being asked for the secret again.
    #[arg(long, env = "JIGSYNC_TEACHER_PASS_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..))]
    pub teacher_pass_days: u64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does instead of serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Print a teacher token signed with the first signing key (the same
    /// keys as the server: `--signing-key-file`, `JIGSYNC_SIGNING_KEY`, or
    /// the data dir's own key), for `--teacher-signup token`.
    MintTeacherToken {
        /// The teacher's stable id (`sub`): the lobby groups classes by it.
        #[arg(long)]
        sub: String,
        /// The teacher's name (`name`).
        #[arg(long)]
        name: String,
        /// Days the token stays valid.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        days: u64,
    },
    /// Copy the SQLite database (an online backup: the server may be
    /// running), the uploads and the data dir's signing key into the new
    /// directory PATH, which can then serve as a data dir.
    Backup {
        /// The directory to create.
        path: PathBuf,
    },
}

impl Config {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs)
    }

    pub fn shutdown_delay(&self) -> Duration {
        Duration::from_secs(self.shutdown_delay_secs)
    }

    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_secs.unwrap_or(self.token_ttl_hours.saturating_mul(3600)))
    }

    /// How long a closed or idle class is kept, if retention is on.
    pub fn retention(&self) -> Option<Duration> {
        self.retention_secs.or(self.retention_days.map(|days| days.saturating_mul(86_400))).map(Duration::from_secs)
    }

    /// How long a class may go without anyone connected before it closes.
    pub fn close_idle(&self) -> Duration {
        Duration::from_secs(self.close_idle_secs.unwrap_or(self.close_idle_hours.saturating_mul(3600)))
    }

    pub fn teacher_pass_ttl(&self) -> Duration {
        Duration::from_secs(self.teacher_pass_days.saturating_mul(86_400))
    }

    pub fn room_idle(&self) -> Duration {
        Duration::from_secs(self.room_idle_secs)
    }
}
