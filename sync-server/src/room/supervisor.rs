//! Runs a room's actor as a task of its own and watches it. An actor that
//! panics loses only its memory: everything it acknowledged is in storage.
//! The supervisor counts the failure (`jigsync_room_actor_failures_total`)
//! and, however the actor ended, takes it out of the registry so the next
//! command starts a fresh one from storage. The room's connections notice on
//! their own that the actor's channel closed and close with 1011
//! (the read step every session shares), so their clients reconnect and
//! resume.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::env::RoomEnv;
use super::motion_table::MotionTable;
use super::{actor, RoomCmd, Stopped};

/// `actor`: the room's id, its command queue and its motion table.
pub async fn supervise(
    env: Arc<RoomEnv>,
    (room, rx, motion): (String, mpsc::Receiver<RoomCmd>, Arc<MotionTable>),
    stopped: Stopped,
) {
    let task = tokio::spawn(actor::run(env, room.clone(), rx, motion.clone()));
    if let Err(err) = task.await {
        metrics::counter!("jigsync_room_actor_failures_total").increment(1);
        if err.is_panic() {
            tracing::error!(room = %room, "room actor panicked; its connections close with 1011 and it restarts from storage");
        } else {
            tracing::error!(room = %room, error = %err, "room actor stopped unexpectedly");
        }
    }
    // However the actor ended, its sessions must not relay moves any more.
    motion.clear();
    stopped.remove();
}
