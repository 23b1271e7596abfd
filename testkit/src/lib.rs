//! The services Jigsync's tests and benchmarks start for themselves, each in
//! a temp dir on a free loopback port, stopped when dropped: a throwaway
//! Postgres ([`postgres`]) and HAProxy with the operator's example
//! configuration ([`haproxy`]). Both are installed from Debian's packages
//! when missing, by the scripts in `sync-server/scripts`.

pub mod haproxy;
pub mod postgres;

use std::path::PathBuf;

/// The workspace's root (this crate lives one level below it).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// One of `sync-server/scripts`.
fn script(name: &str) -> PathBuf {
    repo_root().join("sync-server/scripts").join(name)
}
