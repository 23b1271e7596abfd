//! Jigsync server: rooms, membership, chat and (next) puzzle boards over one
//! MessagePack WebSocket channel per client.
//!
//! How a request flows, outside in:
//!
//! - [`http`]: axum routes. JSON API handlers, WebSocket upgrades, uploads,
//!   health and metrics. [`error::ApiError`] is the one error shape at the edge.
//! - [`connection`]: per-socket tasks. A session reads and checks frames
//!   (size, rate, decoding) and forwards requests to the room; a writer owns
//!   the sending half and drains the connection's [`connection::outbox`].
//! - [`room`]: one actor task per live room. It owns membership, presence,
//!   ownership, the message sequence and the room's puzzle boards; every
//!   change is committed to storage before it is acknowledged and fanned out.
//! - [`board`]: board geometry and progress, the yrs document with its
//!   validation, and the soft locks on dragged pieces.
//! - [`yjs_wire`]: our own bounded reading of the Yjs bytes clients send
//!   (updates, state vectors, y-protocols framing), before yrs sees them.
//! - [`storage`]: the persistence seam ([`storage::Storage`]), SQLite by
//!   default. [`uploads`] keeps pictures as content-addressed files.
//! - [`lobby`]: the room list teachers watch.
//! - Cross-cutting: [`auth`] (signed tokens), [`access`] (token → member),
//!   [`rate_limit`], [`client_ip`], [`validate`], [`ids`], [`metrics`],
//!   [`panics`].
//!
//! [`server::serve`] wires them together and handles shutdown; [`fuzzing`]
//! holds the entry points of the fuzz targets in `sync-server/fuzz`.

pub mod access;
pub mod app;
pub mod auth;
pub mod board;
pub mod client_ip;
pub mod config;
pub mod connection;
pub mod error;
pub mod fuzzing;
pub mod http;
pub mod ids;
pub mod lobby;
pub mod metrics;
pub mod panics;
pub mod rate_limit;
pub mod room;
pub mod server;
pub mod storage;
pub mod uploads;
pub mod validate;
pub mod yjs_wire;
