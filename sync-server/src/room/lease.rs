//! An actor's hold on its room's lease, with several nodes: claimed before
//! the room is loaded, renewed while the room is served, put in front of
//! every commit as a fence, and released when the actor stops. A single
//! node (no cluster) holds every room without a lease.

use std::sync::Arc;
use std::time::Instant;

use super::env::RoomEnv;
use crate::cluster::leases::Claim;
use crate::cluster::Cluster;
use crate::storage::Fence;

pub struct Hold {
    cluster: Arc<Cluster>,
    fence: Fence,
    /// When the lease was last known to be ours.
    renewed: Instant,
}

/// Why a room cannot be served here.
pub enum NotHere {
    /// Another node holds a live lease.
    Elsewhere(String),
    /// No room has this id.
    NoSuchRoom,
    /// The database could not be asked.
    Unavailable,
}

/// Claims the room for this node, if there is a cluster.
pub async fn claim(env: &RoomEnv, room: &str) -> Result<Option<Hold>, NotHere> {
    let Some(cluster) = env.cluster.clone() else {
        return Ok(None);
    };
    match cluster.leases.claim(room).await {
        Ok(Claim::Owned { epoch }) => {
            let fence = Fence { room: room.to_owned(), node: cluster.node_id().to_owned(), epoch };
            tracing::info!(room, epoch, "took the room's lease");
            Ok(Some(Hold { cluster, fence, renewed: Instant::now() }))
        }
        Ok(Claim::Elsewhere { node }) => Err(NotHere::Elsewhere(node)),
        Ok(Claim::NoSuchRoom) => Err(NotHere::NoSuchRoom),
        Err(err) => {
            tracing::warn!(room, error = %err, "cannot claim the room's lease");
            Err(NotHere::Unavailable)
        }
    }
}

impl Hold {
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// Renews the lease. False once this node can no longer say it owns the
    /// room: another node took it, or the database has not confirmed the
    /// lease for as long as it lasts.
    pub async fn renew(&mut self) -> bool {
        match self.cluster.leases.renew(&self.fence.room, self.fence.epoch).await {
            Ok(true) => {
                self.renewed = Instant::now();
                true
            }
            Ok(false) => {
                tracing::warn!(room = %self.fence.room, epoch = self.fence.epoch, "lost the room's lease");
                false
            }
            Err(err) => {
                tracing::warn!(room = %self.fence.room, error = %err, "cannot renew the room's lease");
                self.renewed.elapsed() < self.cluster.settings.lease_ttl
            }
        }
    }

    pub fn renew_every(&self) -> std::time::Duration {
        self.cluster.settings.lease_renew
    }

    /// The actor stopped: another node may take the room at once. False if
    /// the database could not be told (the lease then runs out by itself).
    pub async fn release(self) -> bool {
        match self.cluster.leases.release(&self.fence.room, self.fence.epoch).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(room = %self.fence.room, error = %err, "cannot release the room's lease");
                false
            }
        }
    }
}
