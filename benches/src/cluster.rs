//! A cluster for the benchmarks, as `make cluster` runs one: a throwaway
//! Postgres with its durable defaults, three release nodes sharing a signing
//! key, and HAProxy with the operator's example configuration, all on the
//! server CPUs. Nodes keep their ports across a restart, as the balancer's
//! configuration names them.

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use jigsync_testkit::haproxy::TestHaproxy;
use jigsync_testkit::postgres::TestPostgres;
use serde_json::Value;

use crate::classroom::OpenRoom;
use crate::harness::{pin_pid, pin_tree, Server};

/// The header the example HAProxy configuration adds to every response.
const SERVED_BY: &str = "x-jigsync-node";

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub lb: TestHaproxy,
    pub db: TestPostgres,
    /// The benchmark's own look at the store (who owns a room).
    pool: sqlx::PgPool,
    cpus: Option<String>,
    flags: Vec<String>,
    _key_dir: tempfile::TempDir,
}

pub struct Node {
    /// `n1`, `n2`, `n3`: the names HAProxy gives them.
    pub name: String,
    pub addr: SocketAddr,
    /// `None` while killed.
    pub server: Option<Server>,
}

impl Node {
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Server::pid)
    }
}

impl Cluster {
    /// Starts Postgres, three nodes with `extra` flags and the balancer, on
    /// `cpus` if given.
    pub async fn start(extra: &[&str], cpus: Option<&str>) -> Result<Cluster, String> {
        let db = TestPostgres::start_durable();
        if let (Some(cpus), Some(pid)) = (cpus, db.pid()) {
            pin_tree(pid, cpus)?;
        }
        let key_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let key_file = key_dir.path().join("signing.key");
        std::fs::write(&key_file, format!("{}\n", "3c".repeat(32))).map_err(|e| e.to_string())?;
        let mut flags: Vec<String> =
            ["--database-url", &db.url, "--signing-key-file", key_file.to_str().ok_or("key path")?]
                .into_iter()
                .map(str::to_owned)
                .collect();
        flags.extend(extra.iter().map(|s| (*s).to_owned()));
        let mut nodes = Vec::new();
        for i in 1..=3 {
            let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?;
            nodes.push(Node { name: format!("n{i}"), addr: port, server: None });
        }
        for node in &mut nodes {
            node.server = Some(launch_node(node, &flags, cpus));
        }
        let addrs = [nodes[0].addr, nodes[1].addr, nodes[2].addr];
        let lb = TestHaproxy::start(addrs).await;
        if let Some(cpus) = cpus {
            pin_pid(lb.pid(), cpus)?;
        }
        let pool = sqlx::PgPool::connect(&db.url).await.map_err(|e| e.to_string())?;
        let cluster = Cluster { lb, pool, nodes, db, cpus: cpus.map(str::to_owned), flags, _key_dir: key_dir };
        for i in 0..3 {
            cluster.wait_in_rotation(i).await?;
        }
        Ok(cluster)
    }

    pub fn lb_addr(&self) -> String {
        self.lb.addr.to_string()
    }

    /// A second balancer with the same configuration whose three servers are
    /// all node `i`: a path to that node with the same balancer hop as
    /// [`Cluster::lb`], whatever room the request names. Pinned like the rest.
    pub async fn balancer_to(&self, i: usize) -> Result<TestHaproxy, String> {
        let node = self.nodes[i].addr;
        let lb = TestHaproxy::start([node, node, node]).await;
        if let Some(cpus) = &self.cpus {
            pin_pid(lb.pid(), cpus)?;
        }
        Ok(lb)
    }

    /// Starts node `i` again on its port.
    pub fn restart(&mut self, i: usize) {
        let server = launch_node(&self.nodes[i], &self.flags, self.cpus.as_deref());
        self.nodes[i].server = Some(server);
    }

    pub fn kill9(&mut self, i: usize) {
        // Dropping the server kills it (SIGKILL) and waits for it.
        self.nodes[i].server = None;
    }

    /// Waits until the balancer sends requests to node `i` again.
    pub async fn wait_in_rotation(&self, i: usize) -> Result<(), String> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let want = &self.nodes[i].name;
        while Instant::now() < deadline {
            // Requests without a room id are spread over the nodes that are
            // up; one of a few lands on node i once it is back.
            for _ in 0..6 {
                let served = served_by(&http, &format!("http://{}/healthz", self.lb.addr), None).await;
                if served.as_deref() == Some(want.as_str()) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{want} did not come back into rotation"))
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// The node holding the room's live lease.
    pub async fn owner(&self, room: &str) -> Option<usize> {
        let node: Option<String> =
            sqlx::query_scalar("SELECT node_id FROM room_leases WHERE room_id = $1 AND expires_at > now()")
                .bind(room)
                .fetch_optional(&self.pool)
                .await
                .ok()?;
        self.index_of(&node?)
    }

    /// Creates a room the balancer routes to node `routed_to`, and makes node
    /// `owner` its owner (the same node, or another that the first then
    /// forwards to). Rooms that hash elsewhere are created and left unused.
    ///
    /// A room nobody is connected to moves to the node a connection reaches
    /// first, so the teacher also stays connected straight to the owner for
    /// as long as the benchmark runs (in both placements, so that both do
    /// the same work): that keeps the room where it is put.
    pub async fn open_room(&self, routed_to: usize, owner: usize) -> Result<OpenRoom, String> {
        let http = reqwest::Client::new();
        let lb = self.lb_addr();
        for _ in 0..100 {
            let room = OpenRoom::create(&http, &lb).await?;
            // The history is read from Postgres by any node: asking for it
            // shows where the room's URLs go without starting the room.
            let url = format!("http://{lb}/api/rooms/{}/messages", room.id);
            if served_by(&http, &url, Some(&room.teacher)).await.as_deref() != Some(&self.nodes[routed_to].name) {
                continue;
            }
            let claim = format!("http://{}/api/rooms/{}/boards", self.nodes[owner].addr, room.id);
            let answer: Value = http
                .get(&claim)
                .bearer_auth(&room.teacher)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if answer.get("error").is_some() {
                return Err(format!("cannot start the room on {}: {answer}", self.nodes[owner].name));
            }
            stay_connected(self.nodes[owner].addr, &room).await?;
            return Ok(room);
        }
        Err(format!("no room hashed to {} in 100 tries", self.nodes[routed_to].name))
    }
}

/// Connects the room's teacher to `node` and keeps the connection (reading
/// and dropping what arrives) until the process ends.
async fn stay_connected(node: SocketAddr, room: &OpenRoom) -> Result<(), String> {
    let url = format!("ws://{node}/ws/{}?token={}", room.id, room.teacher);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.map_err(|e| format!("{url}: {e}"))?;
    // Welcomed: the room is served there.
    ws.next().await.ok_or("no welcome")?.map_err(|e| e.to_string())?;
    tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
    Ok(())
}

fn launch_node(node: &Node, flags: &[String], cpus: Option<&str>) -> Server {
    let advertise = format!("http://{}", node.addr);
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend(["--node-id", &node.name, "--advertise-url", &advertise]);
    Server::launch(&node.addr.to_string(), &all, cpus)
}

/// Which node the balancer sent a GET to.
async fn served_by(http: &reqwest::Client, url: &str, token: Option<&str>) -> Option<String> {
    let mut request = http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.ok()?;
    Some(response.headers().get(SERVED_BY)?.to_str().ok()?.to_owned())
}
