//! `dragbench --addr` against a Jigsync server it did not start: with the
//! per-IP join limit left low as on a real deployment (the setup's joins
//! are refused with 429 until the bucket refills, and must back off and
//! retry instead of aborting; the run must then measure as usual), and
//! behind a TLS-terminating proxy (a self-signed certificate with
//! `--insecure`, one signed by a private CA with `--ca-file`).

use std::path::{Path, PathBuf};
use std::process::Command;

use jigsync_bench::harness::Server;

/// The server binary: `JIGSYNC_BIN`, else the workspace's debug build.
fn jigsync_bin() -> PathBuf {
    std::env::var_os("JIGSYNC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/debug/jigsync")))
}

/// A Jigsync server with its data in `data`, and `flags`.
fn jigsync(data: &Path, flags: &[&str]) -> Server {
    let mut command = Command::new(jigsync_bin());
    command
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(flags)
        .env("JIGSYNC_LOG", "warn,jigsync_server::server=info");
    Server::start_peer(command)
}

/// `dragbench --addr addr --pid pid` at one room of four students, and its
/// figures, which must show a working run.
fn drive(addr: &str, pid: u32, extra: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_dragbench"))
        .args(["--addr", addr, "--pid", &pid.to_string()])
        .args(["--rooms", "1", "--students", "4", "--warmup", "0.3", "--duration", "1", "--drop-every", "0.5"])
        .args(extra)
        .arg("--json")
        .output()
        .expect("run dragbench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dragbench failed: {stderr}");
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(figures["connections"], 5, "{figures}");
    assert!(figures["focused_delivered"].as_u64() > Some(0), "{figures}");
    assert!(figures["commits_acked"].as_u64() > Some(0), "{figures}");
    assert_eq!(figures["errors"], 0, "{figures}");
    assert!(figures["server_cpu_s"].is_number(), "the pid given is read: {figures}");
}

#[test]
fn dragbench_sets_up_and_measures_a_rate_limited_server_it_did_not_start() {
    let data = tempfile::tempdir().expect("temp dir");
    // One room of four students needs five joins; a burst of two makes most
    // of them wait for the bucket (two a second).
    let server = jigsync(data.path(), &["--join-burst", "2", "--join-rate-per-min", "120"]);
    drive(&format!("http://{}/", server.addr), server.pid(), &[]);
}

/// Needs the `tls` feature: `cargo test -p jigsync-bench --features tls`.
#[cfg(feature = "tls")]
mod tls {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::*;

    #[test]
    fn dragbench_reaches_a_server_over_tls_trusting_any_certificate_or_a_ca_file() {
        let data = tempfile::tempdir().expect("temp dir");
        let server = jigsync(data.path(), &["--join-burst", "1000", "--move-rate", "1000"]);
        let (cert, key) = self_signed(data.path());
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let proxy = runtime.block_on(tls_proxy(server.addr.clone(), &cert, &key));
        drive(&format!("https://{proxy}"), server.pid(), &["--insecure"]);
        // A certificate from a private CA, trusted with --ca-file.
        let (ca, signed, signed_key) = ca_signed(data.path());
        let trusted = runtime.block_on(tls_proxy(server.addr.clone(), &signed, &signed_key));
        drive(&format!("https://{trusted}/"), server.pid(), &["--ca-file", ca.to_str().expect("utf-8 path")]);
        // Without --insecure the certificate is refused: the TLS path is the one taken.
        let refused = Command::new(env!("CARGO_BIN_EXE_dragbench"))
            .args(["--addr", &format!("https://{proxy}"), "--rooms", "1", "--students", "1", "--duration", "0.5"])
            .output()
            .expect("run dragbench");
        assert!(!refused.status.success());
    }

    /// Runs openssl in `dir` with `args` (split at spaces).
    fn openssl(dir: &Path, args: &str) {
        let out = Command::new("openssl").args(args.split(' ')).current_dir(dir).output().expect("openssl");
        assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
    }

    const NEW_EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

    /// A self-signed certificate for 127.0.0.1 and its key.
    fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
        let san = "-addext subjectAltName=IP:127.0.0.1";
        openssl(
            dir,
            &format!("req -x509 {NEW_EC_KEY} -days 1 -subj /CN=localhost {san} -keyout key.pem -out cert.pem"),
        );
        (dir.join("cert.pem"), dir.join("key.pem"))
    }

    /// A CA, and a certificate for 127.0.0.1 it signed with that one's key.
    fn ca_signed(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
        std::fs::write(dir.join("leaf.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").expect("ext");
        openssl(dir, &format!("req -x509 {NEW_EC_KEY} -days 1 -subj /CN=BenchCA -keyout ca-key.pem -out ca.pem"));
        openssl(dir, &format!("req {NEW_EC_KEY} -subj /CN=127.0.0.1 -keyout leaf-key.pem -out leaf.csr"));
        openssl(
            dir,
            "x509 -req -days 1 -in leaf.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile leaf.ext -out leaf.pem",
        );
        (dir.join("ca.pem"), dir.join("leaf.pem"), dir.join("leaf-key.pem"))
    }

    /// Terminates TLS on a free port and forwards each connection to `backend`.
    async fn tls_proxy(backend: String, cert: &Path, key: &Path) -> SocketAddr {
        let certs: Vec<_> = CertificateDer::pem_file_iter(cert).expect("cert").map(|c| c.expect("cert")).collect();
        let key = PrivateKeyDer::from_pem_file(key).expect("key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let Ok(mut upstream) = TcpStream::connect(&backend).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                });
            }
        });
        addr
    }
}
