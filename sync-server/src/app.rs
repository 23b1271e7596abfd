//! Shared server state: configuration, storage, signing key, signup rule,
//! live rooms, the lobby, rate limits, and the shutdown signal every task listens to.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cluster::Cluster;
use crate::config::Config;
use crate::keyring::Keyring;
use crate::lobby::Lobby;
use crate::operator::OperatorToken;
use crate::rate_limit::Limits;
use crate::room::RoomRegistry;
use crate::signup::Signup;
use crate::storage::Storage;
use crate::uploads::BlobStore;

pub struct App {
    pub config: Config,
    pub storage: Arc<dyn Storage>,
    pub keys: Arc<Keyring>,
    /// Who may create a class.
    pub signup: Signup,
    pub rooms: RoomRegistry,
    pub lobby: Arc<Lobby>,
    pub limits: Limits,
    pub blobs: BlobStore,
    pub metrics: PrometheusHandle,
    /// Cancelled on SIGTERM/SIGINT: `/readyz` answers 503 from then on.
    pub draining: CancellationToken,
    /// Cancelled `--shutdown-delay-secs` after `draining`: connections close
    /// with 1001.
    pub shutdown: CancellationToken,
    /// Every WebSocket session, so shutdown can wait for them to close.
    pub sessions: TaskTracker,
    /// With several nodes (Postgres): leases and the other nodes.
    pub cluster: Option<Arc<Cluster>>,
    /// `--operator-token-file`, if given.
    pub operator: Option<OperatorToken>,
}
