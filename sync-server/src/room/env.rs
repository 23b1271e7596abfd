//! What a room actor may use of the world outside the room: storage, the
//! lobby, its idle timeout, the task tracker that shutdown waits on, and the
//! shutdown signal. Nothing of HTTP or sockets: connections reach the actor
//! as commands carrying their outboxes.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cluster::Cluster;
use crate::keyring::Keyring;
use crate::lobby::Lobby;
use crate::storage::Storage;

pub struct RoomEnv {
    pub storage: Arc<dyn Storage>,
    pub lobby: Arc<Lobby>,
    /// How long an actor stays with nobody connected.
    pub idle: Duration,
    /// Actor and compaction tasks: shutdown waits for them before it closes
    /// storage.
    pub tasks: TaskTracker,
    /// Cancelled on shutdown: actors stop after the command at hand.
    pub shutdown: CancellationToken,
    /// With several nodes: room leases, so an actor runs only where its
    /// room's lease is held, and its commits are fenced.
    pub cluster: Option<Arc<Cluster>>,
    /// The signing keys, for the upload grant each welcome carries.
    pub keys: Arc<Keyring>,
}
