//! Jigsync server: rooms, membership, chat and puzzle boards over one
//! MessagePack WebSocket channel per client, and standard Yjs sync for each
//! board.
//!
//! How a request flows, outside in:
//!
//! - [`http`]: axum routes. JSON API handlers, WebSocket upgrades, uploads,
//!   health and metrics. [`error::ApiError`] is the one error shape at the edge.
//! - [`connection`]: per-socket tasks. A session reads and checks frames
//!   (size, rate, decoding) and forwards requests to the room; a writer owns
//!   the sending half and drains the connection's [`outbox`].
//! - [`outbox`]: what the rest of the server sends through: a bounded queue
//!   of encoded frames and the motion lane's coalescing buffer, per
//!   connection.
//! - [`room`]: one actor task per live room, a thin loop around the room's
//!   core (its rules as plain state, no I/O): every change is staged by the
//!   core, committed to storage, then applied and delivered through one
//!   audience seam.
//! - [`board`]: board geometry and progress, the yrs document with its
//!   validation, and the soft locks on dragged pieces.
//! - [`yjs_wire`]: our own bounded reading of the Yjs bytes clients send
//!   (updates, state vectors, y-protocols framing), before yrs sees them.
//! - [`storage`]: the persistence seam ([`storage::Storage`]), SQLite by
//!   default. [`uploads`] keeps pictures content-addressed: files beside
//!   SQLite, rows in Postgres; [`picture_metadata`] strips them of EXIF,
//!   XMP and the like first.
//! - [`lobby`]: the room list teachers watch.
//! - [`room_deletion`]: deleting a class and everything of it (asked by its
//!   owner or an [`operator`], or by [`retention`]); [`idle_close`] closes
//!   classes nobody used for hours ([`sweeps`] runs both).
//! - Cross-cutting: [`auth`] (signed tokens), [`access`] (token → member),
//!   [`rate_limit`], [`client_ip`], [`validate`], [`ids`], [`metrics`],
//!   [`panics`], [`logging`] and [`log_redact`] (no secret in a log line).
//! - [`report`]: the end-of-class report, built from stored rows.
//!
//! [`server::serve`] wires them together and handles shutdown; [`fuzzing`]
//! holds the entry points of the fuzz targets in `sync-server/fuzz`.

pub mod access;
pub mod app;
pub mod auth;
pub mod backup;
pub mod board;
pub mod client_ip;
pub mod clock;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod connection;
pub mod error;
pub mod fuzzing;
pub mod gif_metadata;
pub mod http;
pub mod idle_close;
pub mod ids;
pub mod keyring;
pub mod lobby;
pub mod log_redact;
pub mod logging;
pub mod metrics;
pub mod operator;
pub mod outbox;
pub mod panics;
pub mod picture_metadata;
pub mod rate_limit;
pub mod report;
pub mod retention;
pub mod room;
pub mod room_deletion;
pub mod server;
pub mod signup;
pub mod storage;
pub mod sweeps;
pub mod teacher_pass;
pub mod upload_grant;
pub mod uploads;
pub mod validate;
pub mod yjs_wire;
