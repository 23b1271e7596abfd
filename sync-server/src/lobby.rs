//! The lobby: the list of open rooms with participant counts, for teachers'
//! room pickers. Each teacher sees only the rooms they teach: their own and
//! co-taught ones, by the teacher id of their teacher pass (see
//! [`crate::teacher_pass`]). Room actors report their counts here; lobby
//! connections receive the changes they may see and nothing of what happens
//! inside rooms. With several nodes, a node's own reports are also handed to
//! the cluster's lobby sync ([`Lobby::take_reports`]), which brings the other
//! nodes' rooms and teachers in ([`Lobby::merge`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use jigsync_schema::{LobbyMsg, RoomSummary};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// Lobby changes buffered per subscriber; one that falls further behind is
/// sent a fresh snapshot instead.
const LOBBY_BUFFER: usize = 256;

/// The teacher ids of a room's teachers.
pub type Teachers = BTreeSet<String>;

/// Who is looking at the lobby: a teacher id, and, for a teacher holding a
/// room token of a class from before teacher ids, that one room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Viewer {
    pub teacher: Option<String>,
    pub room: Option<String>,
}

impl Viewer {
    fn sees(&self, room: &str, teachers: &Teachers) -> bool {
        self.room.as_deref() == Some(room) || self.teacher.as_ref().is_some_and(|t| teachers.contains(t))
    }
}

/// One change, with the teachers of its room (who may see it).
#[derive(Clone)]
struct Change {
    msg: LobbyMsg,
    room: String,
    teachers: Arc<Teachers>,
}

#[derive(Default)]
struct Listing {
    rooms: BTreeMap<String, RoomSummary>,
    teachers: BTreeMap<String, Arc<Teachers>>,
}

impl Listing {
    fn teachers_of(&self, room: &str) -> Arc<Teachers> {
        self.teachers.get(room).cloned().unwrap_or_default()
    }

    fn visible(&self, viewer: &Viewer) -> LobbyMsg {
        let rooms = self.rooms.values().filter(|r| viewer.sees(&r.id, &self.teachers_of(&r.id))).cloned().collect();
        LobbyMsg::Rooms { rooms }
    }
}

pub struct Lobby {
    listing: Mutex<Listing>,
    changes: broadcast::Sender<Change>,
    /// With several nodes: rooms this node reported since the cluster's
    /// lobby sync last took them (`None`: a single node, nobody takes them).
    reports: Option<Mutex<BTreeSet<String>>>,
}

/// A subscriber's stream of the changes its viewer may see.
pub struct LobbyChanges {
    viewer: Viewer,
    changes: broadcast::Receiver<Change>,
}

impl LobbyChanges {
    /// The next visible change; `Lagged` when the subscriber fell behind
    /// (send it a fresh snapshot), `Closed` when the lobby is gone.
    pub async fn recv(&mut self) -> Result<LobbyMsg, RecvError> {
        loop {
            let change = self.changes.recv().await?;
            if self.viewer.sees(&change.room, &change.teachers) {
                return Ok(change.msg);
            }
        }
    }
}

impl Lobby {
    /// A lobby listing `open_rooms`, whose teachers are `teachers`
    /// (`(room, teacher id)` pairs).
    pub fn new(open_rooms: impl IntoIterator<Item = RoomSummary>, teachers: Vec<(String, String)>) -> Self {
        let (changes, _) = broadcast::channel(LOBBY_BUFFER);
        let rooms = open_rooms.into_iter().map(|r| (r.id.clone(), r)).collect();
        let mut by_room: BTreeMap<String, Teachers> = BTreeMap::new();
        for (room, teacher) in teachers {
            by_room.entry(room).or_default().insert(teacher);
        }
        let teachers = by_room.into_iter().map(|(room, set)| (room, Arc::new(set))).collect();
        Lobby { listing: Mutex::new(Listing { rooms, teachers }), changes, reports: None }
    }

    /// A lobby shared by the nodes of a cluster.
    pub fn shared(open_rooms: impl IntoIterator<Item = RoomSummary>, teachers: Vec<(String, String)>) -> Self {
        Lobby { reports: Some(Mutex::default()), ..Lobby::new(open_rooms, teachers) }
    }

    fn listing(&self) -> std::sync::MutexGuard<'_, Listing> {
        self.listing.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, listing: &Listing, room: &str, msg: LobbyMsg) {
        let change = Change { msg, room: room.to_owned(), teachers: listing.teachers_of(room) };
        let _ = self.changes.send(change);
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
        let listing = self.listing();
        taken
            .into_iter()
            .map(|id| {
                let line = listing.rooms.get(&id).cloned();
                (id, line)
            })
            .collect()
    }

    /// Makes the list the cluster's (`open`, read from the store, with each
    /// room's teachers), and tells subscribers what changed. A room this
    /// node reported since the store was read keeps its newer line.
    pub fn merge(&self, open: Vec<(RoomSummary, Teachers)>) {
        let pending: BTreeSet<String> = match &self.reports {
            Some(reports) => reports.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            None => BTreeSet::new(),
        };
        let mut listing = self.listing();
        let listed: BTreeSet<String> = open.iter().map(|(r, _)| r.id.clone()).collect();
        let gone: Vec<String> =
            listing.rooms.keys().filter(|id| !listed.contains(*id) && !pending.contains(*id)).cloned().collect();
        for id in gone {
            listing.rooms.remove(&id);
            self.send(&listing, &id, LobbyMsg::Closed { room: id.clone() });
            listing.teachers.remove(&id);
        }
        for (summary, teachers) in open {
            let new_teachers = *listing.teachers_of(&summary.id) != teachers;
            if new_teachers {
                listing.teachers.insert(summary.id.clone(), Arc::new(teachers));
            }
            if pending.contains(&summary.id) {
                continue;
            }
            if !new_teachers && listing.rooms.get(&summary.id) == Some(&summary) {
                continue;
            }
            let id = summary.id.clone();
            listing.rooms.insert(id.clone(), summary.clone());
            self.send(&listing, &id, LobbyMsg::Room(summary));
        }
    }

    /// Records that teacher `teacher` teaches `room`; they see it from now on.
    pub fn add_teacher(&self, room: &str, teacher: &str) {
        let mut listing = self.listing();
        let mut teachers = (*listing.teachers_of(room)).clone();
        if !teachers.insert(teacher.to_owned()) {
            return;
        }
        listing.teachers.insert(room.to_owned(), Arc::new(teachers));
        if let Some(summary) = listing.rooms.get(room).cloned() {
            self.send(&listing, room, LobbyMsg::Room(summary));
        }
    }

    /// Records a room's summary; subscribers hear of it only if it changed.
    pub fn update(&self, summary: RoomSummary) {
        let mut listing = self.listing();
        if listing.rooms.get(&summary.id) == Some(&summary) {
            return;
        }
        self.reported(&summary.id);
        let id = summary.id.clone();
        listing.rooms.insert(id.clone(), summary.clone());
        self.send(&listing, &id, LobbyMsg::Room(summary));
    }

    pub fn closed(&self, room: &str) {
        let mut listing = self.listing();
        if listing.rooms.remove(room).is_some() {
            self.reported(room);
            self.send(&listing, room, LobbyMsg::Closed { room: room.to_owned() });
            listing.teachers.remove(room);
        }
    }

    /// The rooms `viewer` may see and a stream of every change to them after
    /// that (taken together, so no change falls between them).
    pub fn subscribe(&self, viewer: Viewer) -> (LobbyMsg, LobbyChanges) {
        let listing = self.listing();
        let snapshot = listing.visible(&viewer);
        (snapshot, LobbyChanges { viewer, changes: self.changes.subscribe() })
    }

    pub fn snapshot(&self, viewer: &Viewer) -> LobbyMsg {
        self.listing().visible(viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(online: u32) -> RoomSummary {
        RoomSummary { id: "r1".into(), name: "Maths".into(), participants: 3, online }
    }

    fn kim() -> Viewer {
        Viewer { teacher: Some("kim".into()), room: None }
    }

    /// Nothing the subscriber may see is waiting.
    fn quiet(rx: &mut LobbyChanges) -> bool {
        while let Ok(change) = rx.changes.try_recv() {
            if rx.viewer.sees(&change.room, &change.teachers) {
                return false;
            }
        }
        true
    }

    fn taught(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(r, t)| (r.to_string(), t.to_string())).collect()
    }

    #[tokio::test]
    async fn subscribers_get_a_snapshot_then_only_real_changes() {
        let lobby = Lobby::new([summary(0)], taught(&[("r1", "kim")]));
        let (snapshot, mut rx) = lobby.subscribe(kim());
        assert_eq!(snapshot, LobbyMsg::Rooms { rooms: vec![summary(0)] });
        lobby.update(summary(0));
        lobby.update(summary(1));
        lobby.closed("r1");
        lobby.closed("r1");
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(summary(1)));
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Closed { room: "r1".into() });
        assert!(quiet(&mut rx));
    }

    fn room(id: &str, online: u32) -> RoomSummary {
        RoomSummary { id: id.into(), name: id.into(), participants: 2, online }
    }

    #[tokio::test]
    async fn teachers_see_their_own_and_co_taught_rooms_only() {
        let lobby = Lobby::new([room("kims", 0), room("lees", 0)], taught(&[("kims", "kim"), ("lees", "lee")]));
        let (snapshot, mut kims) = lobby.subscribe(kim());
        assert_eq!(snapshot, LobbyMsg::Rooms { rooms: vec![room("kims", 0)] });
        let legacy = Viewer { teacher: None, room: Some("lees".into()) };
        assert_eq!(lobby.snapshot(&legacy), LobbyMsg::Rooms { rooms: vec![room("lees", 0)] });
        assert_eq!(lobby.snapshot(&Viewer::default()), LobbyMsg::Rooms { rooms: vec![] });

        lobby.update(room("lees", 1));
        lobby.update(room("kims", 1));
        assert_eq!(kims.recv().await.unwrap(), LobbyMsg::Room(room("kims", 1)));
        // Lee invites Kim: Kim sees Lee's room from then on.
        lobby.add_teacher("lees", "kim");
        assert_eq!(kims.recv().await.unwrap(), LobbyMsg::Room(room("lees", 1)));
        lobby.closed("lees");
        assert_eq!(kims.recv().await.unwrap(), LobbyMsg::Closed { room: "lees".into() });
        assert!(quiet(&mut kims));
    }

    #[tokio::test]
    async fn a_shared_lobby_merges_the_clusters_list_but_keeps_its_own_newer_reports() {
        let lobby = Lobby::shared([room("here", 0), room("gone", 0)], taught(&[("here", "kim"), ("gone", "kim")]));
        let (_, mut rx) = lobby.subscribe(kim());
        lobby.update(room("here", 1));
        assert_eq!(lobby.take_reports(), vec![("here".to_owned(), Some(room("here", 1)))]);
        assert!(lobby.take_reports().is_empty());
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(room("here", 1)));

        // Reported after the store was read: the store's older line loses.
        lobby.update(room("here", 2));
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(room("here", 2)));
        let kims = Teachers::from(["kim".to_owned()]);
        let lees = Teachers::from(["lee".to_owned()]);
        lobby.merge(vec![(room("here", 1), kims.clone()), (room("there", 4), kims), (room("lees", 1), lees)]);
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Closed { room: "gone".into() });
        assert_eq!(rx.recv().await.unwrap(), LobbyMsg::Room(room("there", 4)));
        assert!(quiet(&mut rx));
        assert_eq!(lobby.snapshot(&kim()), LobbyMsg::Rooms { rooms: vec![room("here", 2), room("there", 4)] });

        lobby.closed("here");
        assert_eq!(lobby.take_reports(), vec![("here".to_owned(), None)]);
    }

    #[test]
    fn a_single_nodes_lobby_keeps_no_reports() {
        let lobby = Lobby::new([], vec![]);
        lobby.update(room("a", 1));
        assert!(lobby.take_reports().is_empty());
    }
}
