//! How a room actor starts and stops, around its loop: loading the room
//! whole from storage, giving the lease back, and answering the commands
//! that raced with the stop (refused for good, or dropped so that the caller
//! retries on a fresh actor).

use tokio::sync::mpsc;

use super::core::admission::ConnectError;
use super::core::board::Board;
use super::core::boards::BoardSet;
use super::core::RoomCore;
use super::env::RoomEnv;
use super::lease::Hold;
use super::{Location, RoomCmd};
use crate::error::ApiError;
use crate::storage::StorageError;

/// Gives the lease back, if there is one; true if it was given back.
pub(super) async fn release(lease: Option<Hold>) -> bool {
    match lease {
        Some(lease) => lease.release().await,
        None => false,
    }
}

/// Closes the actor's channel and answers what raced with the stop: refused
/// for good if the room is gone or served elsewhere; otherwise the reply is
/// dropped, so the caller retries on a new actor.
pub(super) fn stop(mut rx: mpsc::Receiver<RoomCmd>, refusal: Option<ConnectError>) {
    rx.close();
    while let Ok(cmd) = rx.try_recv() {
        if let Some(err) = &refusal {
            refuse(cmd, err);
        }
    }
}

fn refuse(cmd: RoomCmd, err: &ConnectError) {
    let api = || match err {
        ConnectError::RoomGone => ApiError::not_found(err.to_string()),
        _ => ApiError::unavailable(),
    };
    match cmd {
        RoomCmd::Locate { reply } => {
            let location = match err {
                ConnectError::Elsewhere(node) => Location::Elsewhere { node: node.clone() },
                _ => Location::Here,
            };
            let _ = reply.send(location);
        }
        RoomCmd::Connect { reply, .. } | RoomCmd::ConnectYjs { reply, .. } => {
            let _ = reply.send(Err(err.clone()));
        }
        RoomCmd::CloseIdle { reply } => {
            let _ = reply.send(false);
        }
        RoomCmd::Delete { reply } => {
            let _ = reply.send(Err(err.clone()));
        }
        RoomCmd::AddMember { reply, .. } => {
            let _ = reply.send(Err(api()));
        }
        RoomCmd::StartPuzzle { reply, .. } | RoomCmd::ListBoards { reply, .. } => {
            let _ = reply.send(Err(api()));
        }
        _ => {}
    }
}

pub(super) async fn load(env: &RoomEnv, room_id: &str) -> Result<Option<RoomCore>, StorageError> {
    // One read of everything, so the room starts from one moment's state;
    // a closed room reads as none.
    let Some(loaded) = env.storage.load_room(room_id).await? else {
        return Ok(None);
    };
    let (puzzle, boards) = match loaded.puzzle {
        Some((puzzle, boards)) => {
            let boards = boards.into_iter().map(|(row, log)| Board::from_log(row, log)).collect::<Result<_, _>>()?;
            (Some(puzzle), boards)
        }
        None => (None, Vec::new()),
    };
    let boards = BoardSet::new(puzzle, boards, loaded.last_ids);
    Ok(Some(RoomCore::new(loaded.room, loaded.members, loaded.last_seq, boards)))
}
