//! The lobby: the list of open rooms with participant counts, for teachers'
//! room pickers. Room actors report their counts here; lobby connections
//! receive the changes and nothing of what happens inside rooms. With several
//! nodes, a node's own reports are also handed to the cluster's lobby sync
//! ([`Lobby::take_reports`]), which brings the other nodes' rooms in
//! ([`Lobby::merge`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use jigsync_schema::{LobbyMsg, RoomSummary};
use tokio::sync::broadcast;

/// Lobby changes buffered per subscriber; one that falls further behind is
/// sent a fresh snapshot instead.
const LOBBY_BUFFER: usize = 256;

pub struct Lobby {
    rooms: Mutex<BTreeMap<String, RoomSummary>>,
    changes: broadcast::Sender<LobbyMsg>,
    /// With several nodes: rooms this node reported since the cluster's
    /// lobby sync last took them (`None`: a single node, nobody takes them).
    reports: Option<Mutex<BTreeSet<String>>>,
}

impl Lobby {
    pub fn new(open_rooms: impl IntoIterator<Item = RoomSummary>) -> Self {
        let (changes, _) = broadcast::channel(LOBBY_BUFFER);
        let rooms = open_rooms.into_iter().map(|r| (r.id.clone(), r)).collect();
        Lobby { rooms: Mutex::new(rooms), changes, reports: None }
    }

    /// A lobby shared by the nodes of a cluster.
    pub fn shared(open_rooms: impl IntoIterator<Item = RoomSummary>) -> Self {
        Lobby { reports: Some(Mutex::default()), ..Lobby::new(open_rooms) }
    }

    fn reported(&self, room: &str) {
        if let Some(reports) = &self.reports {
            reports.lock().unwrap_or_else(|p| p.into_inner()).insert(room.to_owned());
        }
    }

    /// This node's rooms whose line changed since the last call, with their
    /// current line (`None`: closed).
    pub fn take_reports(&self) -> Vec<(String, Option<RoomSummary>)> {
        let Some(reports) = &self.reports else {
            return Vec::new();
        };
        let taken = std::mem::take(&mut *reports.lock().unwrap_or_else(|p| p.into_inner()));
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        taken
            .into_iter()
            .map(|id| {
                let line = rooms.get(&id).cloned();
                (id, line)
            })
            .collect()
    }

    /// Makes the list the cluster's (`open`, read from the store), and tells
    /// subscribers what changed. A room this node reported since the store
    /// was read keeps its newer line.
    pub fn merge(&self, open: Vec<RoomSummary>) {
        let pending: BTreeSet<String> = match &self.reports {
            Some(reports) => reports.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            None => BTreeSet::new(),
        };
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let listed: BTreeSet<String> = open.iter().map(|r| r.id.clone()).collect();
        let gone: Vec<String> =
            rooms.keys().filter(|id| !listed.contains(*id) && !pending.contains(*id)).cloned().collect();
        for id in gone {
            rooms.remove(&id);
            let _ = self.changes.send(LobbyMsg::Closed { room: id });
        }
        for summary in open {
            if pending.contains(&summary.id) || rooms.get(&summary.id) == Some(&summary) {
                continue;
            }
            rooms.insert(summary.id.clone(), summary.clone());
            let _ = self.changes.send(LobbyMsg::Room(summary));
        }
    }

    /// Records a room's summary; subscribers hear of it only if it changed.
    pub fn update(&self, summary: RoomSummary) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.get(&summary.id) == Some(&summary) {
            return;
        }
        self.reported(&summary.id);
        rooms.insert(summary.id.clone(), summary.clone());
        let _ = self.changes.send(LobbyMsg::Room(summary));
    }

    pub fn closed(&self, room: &str) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.remove(room).is_some() {
            self.reported(room);
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

    fn room(id: &str, online: u32) -> RoomSummary {
        RoomSummary { id: id.into(), name: id.into(), participants: 2, online }
    }

    #[tokio::test]
    async fn a_shared_lobby_merges_the_clusters_list_but_keeps_its_own_newer_reports() {
        let lobby = Lobby::shared([room("here", 0), room("gone", 0)]);
        let (_, mut rx) = lobby.subscribe();
        lobby.update(room("here", 1));
        assert_eq!(lobby.take_reports(), vec![("here".to_owned(), Some(room("here", 1)))]);
        assert!(lobby.take_reports().is_empty());
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(room("here", 1)));

        // Reported after the store was read: the store's older line loses.
        lobby.update(room("here", 2));
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(room("here", 2)));
        lobby.merge(vec![room("here", 1), room("there", 4)]);
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Closed { room: "gone".into() });
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(room("there", 4)));
        assert!(rx.try_recv().is_err());
        assert_eq!(lobby.snapshot(), LobbyMsg::Rooms { rooms: vec![room("here", 2), room("there", 4)] });

        lobby.closed("here");
        assert_eq!(lobby.take_reports(), vec![("here".to_owned(), None)]);
    }

    #[test]
    fn a_single_nodes_lobby_keeps_no_reports() {
        let lobby = Lobby::new([]);
        lobby.update(room("a", 1));
        assert!(lobby.take_reports().is_empty());
    }
}
