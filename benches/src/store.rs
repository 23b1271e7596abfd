//! Which store a benchmark's server runs on (`--backend`), and starting the
//! throwaway durable Postgres for it, pinned to the server's CPUs.

use jigsync_testkit::postgres::TestPostgres;

use crate::harness::pin_tree;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// SQLite, then Postgres.
    Both,
}

impl Backend {
    pub fn runs_sqlite(self) -> bool {
        matches!(self, Backend::Sqlite | Backend::Both)
    }

    pub fn runs_postgres(self) -> bool {
        matches!(self, Backend::Postgres | Backend::Both)
    }
}

/// A throwaway Postgres with its durable defaults, on `cpus` if given (its
/// postmaster and the workers it started; later ones inherit the CPUs).
pub fn start_postgres(cpus: Option<&str>, bench: &str) -> TestPostgres {
    let db = TestPostgres::start_durable();
    if let (Some(cpus), Some(pid)) = (cpus, db.pid()) {
        if let Err(err) = pin_tree(pid, cpus) {
            eprintln!("{bench}: {err}");
        }
    }
    db
}
