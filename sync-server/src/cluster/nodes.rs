//! The cluster's nodes, in Postgres: each registers the URL other nodes
//! reach it at and refreshes a heartbeat, so a node that must forward a
//! request to a room's owner can find it.

use std::time::Duration;

use sqlx::PgPool;

pub struct Nodes {
    pool: PgPool,
}

impl Nodes {
    pub fn new(pool: PgPool) -> Self {
        Nodes { pool }
    }

    /// Records (or refreshes) this node and the URL it is reached at.
    pub async fn register(&self, node: &str, advertise_url: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO cluster_nodes (node_id, advertise_url, seen_at) VALUES ($1, $2, now())
             ON CONFLICT (node_id) DO UPDATE SET advertise_url = excluded.advertise_url, seen_at = now()",
        )
        .bind(node)
        .bind(advertise_url)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The URL a node registered, if it was seen within `fresh`.
    pub async fn url_of(&self, node: &str, fresh: Duration) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT advertise_url FROM cluster_nodes
             WHERE node_id = $1 AND seen_at > now() - make_interval(secs => $2::double precision / 1000)",
        )
        .bind(node)
        .bind(i64::try_from(fresh.as_millis()).unwrap_or(i64::MAX))
        .fetch_optional(&self.pool)
        .await
    }
}
