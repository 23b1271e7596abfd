//! Several nodes behind a load balancer, with Postgres as the store of
//! record and the keeper of room ownership.
//!
//! - [`leases`]: one owner per room, a lease with an epoch that every commit
//!   of the room checks ([`crate::storage::Fence`]);
//! - [`lobby_sync`]: every node's lobby lists every node's rooms;
//! - [`nodes`]: where each node is reached, so a request that lands on a
//!   node that does not own its room can be forwarded to the one that does;
//! - [`splice`]: a WebSocket relayed to the owner byte for byte (with
//!   [`frame_ends`] to close it between two frames), or [`forward`] frame
//!   for frame when the owner is reached over TLS; [`forward_http`] a
//!   room-bound HTTP call; [`headers`] mark what a node forwards, so the
//!   owner believes the client address it carries.
//!
//! A node runs a room's actor only while it holds the room's lease. Motion
//! never leaves the owner's memory.

pub mod forward;
pub mod forward_http;
pub mod frame_ends;
pub mod headers;
pub mod leases;
pub mod lobby_sync;
pub mod nodes;
pub mod splice;

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use forward_http::{ForwardError, HttpForwarder};
use leases::Leases;
use nodes::Nodes;

/// Close reasons (with 1001) of a connection relayed to a room's owner:
/// the owner could not be reached, or its connection dropped.
pub const OWNER_UNREACHABLE: &str = "the room's node cannot be reached; reconnect";
pub const OWNER_GONE: &str = "the room's node went away; reconnect";

#[derive(Debug, Clone)]
pub struct ClusterSettings {
    pub node_id: String,
    /// How other nodes reach this one (`http://10.0.0.5:8080`).
    pub advertise_url: String,
    /// How long a lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How often the owner renews its leases (and refreshes its heartbeat).
    pub lease_renew: Duration,
}

pub struct Cluster {
    pub settings: ClusterSettings,
    pub leases: Leases,
    pub nodes: Nodes,
    pub http: HttpForwarder,
    /// The cluster's own connections (leases, nodes, lobby), apart from the
    /// storage's, so lease renewals never queue behind room commits.
    pool: PgPool,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Forwarder(#[from] ForwardError),
}

impl Cluster {
    /// Joins the cluster kept in the database at `url` (its schema is already
    /// applied by the storage).
    pub async fn join(url: &str, settings: ClusterSettings) -> Result<Arc<Cluster>, JoinError> {
        let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
        let cluster = Cluster {
            leases: Leases::new(pool.clone(), settings.node_id.clone(), settings.lease_ttl),
            nodes: Nodes::new(pool.clone()),
            pool,
            http: HttpForwarder::new()?,
            settings,
        };
        cluster.nodes.register(&cluster.settings.node_id, &cluster.settings.advertise_url).await?;
        Ok(Arc::new(cluster))
    }

    pub fn node_id(&self) -> &str {
        &self.settings.node_id
    }

    /// Keeps this node's heartbeat fresh until shutdown.
    pub fn heartbeat(self: &Arc<Self>, tasks: &TaskTracker, shutdown: CancellationToken) {
        let cluster = self.clone();
        tasks.spawn(async move {
            let mut every = tokio::time::interval(cluster.settings.lease_renew);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = every.tick() => {
                        let (node, url) = (&cluster.settings.node_id, &cluster.settings.advertise_url);
                        if let Err(err) = cluster.nodes.register(node, url).await {
                            tracing::warn!(error = %err, "cannot refresh this node's heartbeat");
                        }
                    }
                }
            }
        });
    }

    /// Where the node that owns a room is reached, if it is alive.
    pub async fn url_of(&self, node: &str) -> Option<String> {
        let fresh = self.settings.lease_ttl;
        match self.nodes.url_of(node, fresh).await {
            Ok(url) => url,
            Err(err) => {
                tracing::warn!(node, error = %err, "cannot look up a node");
                None
            }
        }
    }
}
