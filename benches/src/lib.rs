//! Shared pieces of the load generators: starting a server on a loopback
//! port, the simulated classrooms of `dragbench` and the protocols they speak.

pub mod chat;
pub mod classroom;
pub mod clock;
pub mod cluster;
pub mod cluster_drag;
pub mod compare;
pub mod drag;
pub mod drops;
pub mod endpoint;
pub mod harness;
pub mod idle;
pub mod link;
pub mod pinning;
pub mod plot;
pub mod procfs;
pub mod replica;
pub mod report;
pub mod soak;
pub mod socketio;
pub mod store;
pub mod tally;
pub mod throttle;
#[cfg(feature = "tls")]
pub mod tls;
pub mod yjs;
