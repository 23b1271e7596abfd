//! Shared pieces of the load generators: starting a release server on a
//! loopback port with a temporary data dir, and small HTTP helpers.

pub mod harness;
