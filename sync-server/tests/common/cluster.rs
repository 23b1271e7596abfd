//! Several `jigsync` nodes on one throwaway Postgres, sharing a signing key,
//! as an operator runs them (each node its own process, port and data dir).

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::{Client, Replica, TestServer, WAIT};
use jigsync_testkit::postgres::TestPostgres;

pub struct TestCluster {
    pub nodes: Vec<TestServer>,
    pub db: TestPostgres,
    pub url: String,
    /// For the tests' own look at the store (what is committed, who owns).
    pub pool: PgPool,
    _key_dir: tempfile::TempDir,
}

impl TestCluster {
    /// Starts `count` nodes (`n0`, `n1`, …) with the extra flags `args`.
    pub async fn start(count: usize, args: &[&str]) -> TestCluster {
        let db = TestPostgres::start();
        let url = db.url.clone();
        let key_dir = tempfile::tempdir().expect("temp dir for the key");
        let key_file = key_dir.path().join("signing.key");
        std::fs::write(&key_file, format!("{}\n", "5a".repeat(32))).expect("write the key");
        let key_file = key_file.to_str().expect("utf-8 path").to_owned();
        let mut nodes = Vec::with_capacity(count);
        for i in 0..count {
            let id = format!("n{i}");
            let mut flags = vec!["--database-url", &url, "--node-id", &id, "--signing-key-file", &key_file];
            flags.extend_from_slice(args);
            nodes.push(TestServer::start_with(&flags).await);
        }
        let pool = PgPoolOptions::new().max_connections(2).connect(&url).await.expect("connect to the test database");
        TestCluster { nodes, db, url, pool, _key_dir: key_dir }
    }

    /// The node holding the room's live lease, if any.
    pub async fn owner(&self, room: &str) -> Option<usize> {
        let node: Option<String> =
            sqlx::query_scalar("SELECT node_id FROM room_leases WHERE room_id = $1 AND expires_at > now()")
                .bind(room)
                .fetch_optional(&self.pool)
                .await
                .expect("read the lease");
        node.and_then(|n| n.strip_prefix('n').and_then(|i| i.parse().ok()))
    }

    /// Waits until some node owns the room and returns it.
    pub async fn wait_for_owner(&self, room: &str) -> usize {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(node) = self.owner(room).await {
                return node;
            }
            assert!(tokio::time::Instant::now() < deadline, "no node took room {room}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The room's chat and system messages as committed: `(seq, text)`.
    pub async fn committed(&self, room: &str) -> Vec<(i64, String)> {
        sqlx::query_as("SELECT seq, text FROM messages WHERE room_id = $1 ORDER BY seq")
            .bind(room)
            .fetch_all(&self.pool)
            .await
            .expect("read messages")
    }

    /// The board's document as Postgres holds it (snapshot, then updates).
    pub async fn committed_board(&self, room: &str, board: u32) -> Replica {
        let replica = Replica::default();
        let snapshot: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM board_snapshots WHERE room_id = $1 AND board_id = $2")
                .bind(room)
                .bind(i64::from(board))
                .fetch_optional(&self.pool)
                .await
                .expect("read the snapshot");
        let updates: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM board_updates WHERE room_id = $1 AND board_id = $2 ORDER BY seq")
                .bind(room)
                .bind(i64::from(board))
                .fetch_all(&self.pool)
                .await
                .expect("read the updates");
        for update in snapshot.iter().chain(&updates) {
            replica.apply(update);
        }
        replica
    }
}

/// Opens a room channel at `addr` (a node or the balancer), at the room's
/// own URL; does not read the welcome.
pub async fn connect_at(addr: std::net::SocketAddr, room: &str, token: &str, since: Option<u64>) -> Client {
    let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
    super::token_leaks::remember(token);
    let url = format!("ws://{addr}/ws/{room}?token={token}{since}");
    let connect = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url));
    let (ws, _) = connect.await.expect("connect timed out").expect("connect");
    Client { ws }
}

/// A failed cluster test is hard to read from the test's side alone: the
/// nodes' logs say which node held the room under which epoch, and when.
impl Drop for TestCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for (i, node) in self.nodes.iter().enumerate() {
                for line in node.logs() {
                    eprintln!("n{i}: {line}");
                }
            }
        }
    }
}
