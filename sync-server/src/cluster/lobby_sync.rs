//! The lobby across nodes. Every node's lobby lists every open room, but only
//! a room's owner knows how many of its members are connected. So each node
//! writes the counts of the rooms it owns to Postgres, and reads the whole
//! list back, every [`LOBBY_SYNC`]: a short poll, which is plenty at the
//! rate lobbies change (people joining and leaving, rooms opening). A count
//! is believed only from the node that holds the room's lease now.

use std::sync::Arc;
use std::time::Duration;

use jigsync_schema::RoomSummary;
use sqlx::{PgPool, Row};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Cluster;
use crate::lobby::{Lobby, Teachers};

/// How often a node publishes its rooms' counts and reads everyone's.
pub const LOBBY_SYNC: Duration = Duration::from_secs(1);

/// Keeps `lobby` in step with the cluster until shutdown.
pub fn spawn(cluster: Arc<Cluster>, lobby: Arc<Lobby>, tasks: &TaskTracker, shutdown: CancellationToken) {
    tasks.spawn(async move {
        let mut every = tokio::time::interval(LOBBY_SYNC);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Reports not yet written (the database was down): kept for the next
        // round, newest line per room.
        let mut unsent: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            for (room, line) in lobby.take_reports() {
                match line {
                    Some(line) => unsent.insert(room, line.online),
                    None => unsent.remove(&room),
                };
            }
            if !unsent.is_empty() {
                match publish(&cluster.pool, cluster.node_id(), &unsent).await {
                    Ok(()) => unsent.clear(),
                    Err(err) => tracing::warn!(error = %err, "cannot publish this node's lobby counts"),
                }
            }
            match read(&cluster.pool).await {
                Ok(open) => lobby.merge(open),
                Err(err) => tracing::warn!(error = %err, "cannot read the cluster's lobby"),
            }
        }
    });
}

async fn publish(
    pool: &PgPool,
    node: &str,
    online: &std::collections::BTreeMap<String, u32>,
) -> Result<(), sqlx::Error> {
    let rooms: Vec<&str> = online.keys().map(String::as_str).collect();
    let counts: Vec<i64> = online.values().map(|&n| i64::from(n)).collect();
    sqlx::query(
        "INSERT INTO room_presence (room_id, node_id, online)
         SELECT room, $3, online FROM UNNEST($1::text[], $2::bigint[]) AS t(room, online)
         ON CONFLICT (room_id) DO UPDATE SET node_id = excluded.node_id, online = excluded.online",
    )
    .bind(&rooms)
    .bind(&counts)
    .bind(node)
    .execute(pool)
    .await?;
    Ok(())
}

async fn read(pool: &PgPool) -> Result<Vec<(RoomSummary, Teachers)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.name,
            (SELECT COUNT(*) FROM members m WHERE m.room_id = r.id AND m.status = 'active') AS participants,
            COALESCE((SELECT p.online FROM room_presence p
                      JOIN room_leases l ON l.room_id = p.room_id AND l.node_id = p.node_id
                      WHERE p.room_id = r.id AND l.expires_at > now()), 0) AS online,
            ARRAY(SELECT t.teacher_id FROM teacher_ids t
                  JOIN members m ON m.room_id = t.room_id AND m.user_id = t.user_id
                  WHERE t.room_id = r.id AND m.status = 'active') AS teachers
         FROM rooms r WHERE r.closed_at IS NULL ORDER BY r.created_at, r.id",
    )
    .fetch_all(pool)
    .await?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    rows.iter()
        .map(|row| {
            let summary = RoomSummary {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                participants: count(row.try_get("participants")?),
                online: count(row.try_get("online")?),
            };
            let teachers: Vec<String> = row.try_get("teachers")?;
            Ok((summary, teachers.into_iter().collect()))
        })
        .collect()
}
