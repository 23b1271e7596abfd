//! The lobby: the list of open rooms with participant counts, for teachers'
//! room pickers. Room actors report their counts here; lobby connections
//! receive the changes and nothing of what happens inside rooms.

use std::collections::BTreeMap;
use std::sync::Mutex;

use jigsync_schema::{LobbyMsg, RoomSummary};
use tokio::sync::broadcast;

/// Lobby changes buffered per subscriber; one that falls further behind is
/// sent a fresh snapshot instead.
const LOBBY_BUFFER: usize = 256;

pub struct Lobby {
    rooms: Mutex<BTreeMap<String, RoomSummary>>,
    changes: broadcast::Sender<LobbyMsg>,
}

impl Lobby {
    pub fn new(open_rooms: impl IntoIterator<Item = RoomSummary>) -> Self {
        let (changes, _) = broadcast::channel(LOBBY_BUFFER);
        let rooms = open_rooms.into_iter().map(|r| (r.id.clone(), r)).collect();
        Lobby { rooms: Mutex::new(rooms), changes }
    }

    /// Records a room's summary; subscribers hear of it only if it changed.
    pub fn update(&self, summary: RoomSummary) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.get(&summary.id) == Some(&summary) {
            return;
        }
        rooms.insert(summary.id.clone(), summary.clone());
        let _ = self.changes.send(LobbyMsg::Room(summary));
    }

    pub fn closed(&self, room: &str) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.remove(room).is_some() {
            let _ = self.changes.send(LobbyMsg::Closed { room: room.to_owned() });
        }
    }

    /// The current list and a receiver for every change after it (taken
    /// together, so no change falls between them).
    pub fn subscribe(&self) -> (LobbyMsg, broadcast::Receiver<LobbyMsg>) {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let snapshot = LobbyMsg::Rooms { rooms: rooms.values().cloned().collect() };
        (snapshot, self.changes.subscribe())
    }

    pub fn snapshot(&self) -> LobbyMsg {
        self.subscribe().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(online: u32) -> RoomSummary {
        RoomSummary { id: "r1".into(), name: "Maths".into(), participants: 3, online }
    }

    #[tokio::test]
    async fn subscribers_get_a_snapshot_then_only_real_changes() {
        let lobby = Lobby::new([summary(0)]);
        let (snapshot, mut rx) = lobby.subscribe();
        assert_eq!(snapshot, LobbyMsg::Rooms { rooms: vec![summary(0)] });
        lobby.update(summary(0));
        lobby.update(summary(1));
        lobby.closed("r1");
        lobby.closed("r1");
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(summary(1)));
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Closed { room: "r1".into() });
        assert!(rx.try_recv().is_err());
    }
}
