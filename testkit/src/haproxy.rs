//! A throwaway HAProxy in front of three nodes, started from the operator's
//! example configuration (`examples/cluster/haproxy.cfg`) unchanged: the
//! addresses come from the environment, as the file expects. Debian's
//! `haproxy` is installed by `scripts/ensure-haproxy.sh` when missing.
//! Dropping it stops the balancer.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long HAProxy may take to answer through to a node.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct TestHaproxy {
    pub addr: SocketAddr,
    child: Child,
}

impl TestHaproxy {
    /// Balances over exactly three nodes (the example file's shape).
    pub async fn start(nodes: [SocketAddr; 3]) -> TestHaproxy {
        ensure_installed();
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let config = crate::repo_root().join("examples/cluster/haproxy.cfg");
        let child = Command::new(haproxy_program())
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .env("JIGSYNC_LB_ADDR", addr.to_string())
            .env("JIGSYNC_NODE1", nodes[0].to_string())
            .env("JIGSYNC_NODE2", nodes[1].to_string())
            .env("JIGSYNC_NODE3", nodes[2].to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("JIGSYNC_TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .expect("start haproxy");
        let lb = TestHaproxy { addr, child };
        lb.wait_until_ready().await;
        lb
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let url = format!("http://{}/healthz", self.addr);
        loop {
            if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "haproxy did not answer on {}", self.addr);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestHaproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian installs haproxy in /usr/sbin, which is not on a normal user's
/// PATH.
fn haproxy_program() -> &'static str {
    ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .unwrap_or("haproxy")
}

/// The pid of the balancer, for CPU figures and pinning.
impl TestHaproxy {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn ensure_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let status =
            Command::new("bash").arg(crate::script("ensure-haproxy.sh")).status().expect("run ensure-haproxy.sh");
        assert!(status.success(), "ensure-haproxy.sh failed: install haproxy (Debian: apt-get install haproxy)");
    });
}
