//! Room leases: which node owns a room, in Postgres. A lease is a row
//! (room, node, epoch, expiry on the database's clock). A node takes a room
//! whose lease has expired (or that has none) with one conditional statement
//! that raises the epoch; it renews the lease every couple of seconds while
//! it serves the room; every commit of the room checks the epoch in the same
//! transaction ([`crate::storage::Fence`]), so a node that lost the lease
//! (paused, partitioned, slow) cannot write once another took over.

use std::time::Duration;

use sqlx::PgPool;

/// Who owns a room after a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This node does now, under this epoch.
    Owned { epoch: i64 },
    /// Another node holds a live lease.
    Elsewhere { node: String },
    /// No room has this id.
    NoSuchRoom,
}

pub struct Leases {
    pool: PgPool,
    node: String,
    ttl: Duration,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Leases {
    pub fn new(pool: PgPool, node: String, ttl: Duration) -> Self {
        Leases { pool, node, ttl }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Takes the room if nobody holds a live lease on it, raising its epoch
    /// (also when this node held it before: a new actor fences off anything
    /// the old one might still try), or says who holds it.
    pub async fn claim(&self, room: &str) -> Result<Claim, sqlx::Error> {
        // Only a room that exists gets a lease row: a made-up room id in a
        // URL must not leave a row behind.
        let taken: Option<i64> = sqlx::query_scalar(
            "INSERT INTO room_leases (room_id, node_id, epoch, expires_at)
             SELECT id, $2, 1, now() + make_interval(secs => $3::double precision / 1000) FROM rooms WHERE id = $1
             ON CONFLICT (room_id) DO UPDATE
                SET node_id = excluded.node_id, epoch = room_leases.epoch + 1, expires_at = excluded.expires_at
                WHERE room_leases.expires_at < now() OR room_leases.node_id = excluded.node_id
             RETURNING epoch",
        )
        .bind(room)
        .bind(&self.node)
        .bind(millis(self.ttl))
        .fetch_optional(&self.pool)
        .await?;
        if let Some(epoch) = taken {
            return Ok(Claim::Owned { epoch });
        }
        // Lease rows are never deleted, so no row means no such room.
        let node: Option<String> = sqlx::query_scalar("SELECT node_id FROM room_leases WHERE room_id = $1")
            .bind(room)
            .fetch_optional(&self.pool)
            .await?;
        Ok(node.map_or(Claim::NoSuchRoom, |node| Claim::Elsewhere { node }))
    }

    /// Extends the lease; false if this node no longer holds it under
    /// `epoch` (another node took the room over).
    pub async fn renew(&self, room: &str, epoch: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE room_leases SET expires_at = now() + make_interval(secs => $4::double precision / 1000)
             WHERE room_id = $1 AND node_id = $2 AND epoch = $3",
        )
        .bind(room)
        .bind(&self.node)
        .bind(epoch)
        .bind(millis(self.ttl))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the room up at once (its actor stopped): another node may take
    /// it without waiting for the lease to run out.
    pub async fn release(&self, room: &str, epoch: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE room_leases SET expires_at = now() WHERE room_id = $1 AND node_id = $2 AND epoch = $3")
            .bind(room)
            .bind(&self.node)
            .bind(epoch)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
