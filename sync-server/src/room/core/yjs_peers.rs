//! The room's standard Yjs connections (`/yjs`): one board each, and the
//! awareness states their clients announced, so the server can answer an
//! awareness query and tell a board's other peers when a client is gone.

use std::collections::HashMap;

use jigsync_schema::BoardId;

use crate::outbox::ConnId;
use crate::yjs_wire::awareness;
pub use crate::yjs_wire::awareness::AwarenessEntry;

pub struct YjsPeer {
    pub user: String,
    pub board: BoardId,
    /// Awareness states this connection announced, by Yjs client id.
    states: HashMap<u64, AwarenessEntry>,
}

#[derive(Default)]
pub struct YjsPeers {
    peers: HashMap<ConnId, YjsPeer>,
}

impl YjsPeers {
    pub fn get(&self, conn: ConnId) -> Option<&YjsPeer> {
        self.peers.get(&conn)
    }

    pub fn iter(&self) -> impl Iterator<Item = (ConnId, &YjsPeer)> {
        self.peers.iter().map(|(id, p)| (*id, p))
    }

    pub fn ids(&self) -> Vec<ConnId> {
        self.peers.keys().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The board's peers, except one connection.
    pub fn on_board(&self, board: BoardId, except: Option<ConnId>) -> impl Iterator<Item = ConnId> + '_ {
        self.peers.iter().filter(move |(id, p)| p.board == board && Some(**id) != except).map(|(id, _)| *id)
    }

    pub fn insert(&mut self, conn: ConnId, user: String, board: BoardId) {
        self.peers.insert(conn, YjsPeer { user, board, states: HashMap::new() });
    }

    /// Removes a peer; if it had announced awareness states, returns the
    /// message that clears them for the board's other peers.
    pub fn remove(&mut self, conn: ConnId) -> Option<(BoardId, Option<Vec<u8>>)> {
        let peer = self.peers.remove(&conn)?;
        let gone: Vec<AwarenessEntry> = peer
            .states
            .into_values()
            .map(|e| AwarenessEntry { client: e.client, clock: e.clock.wrapping_add(1), state: "null".to_owned() })
            .collect();
        Some((peer.board, (!gone.is_empty()).then(|| awareness::message(&gone))))
    }

    /// Records the states a peer announced (a `null` state forgets one).
    pub fn announce(&mut self, conn: ConnId, entries: Vec<AwarenessEntry>) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        for entry in entries {
            if entry.is_gone() {
                peer.states.remove(&entry.client);
            } else {
                peer.states.insert(entry.client, entry);
            }
        }
    }

    /// Every state announced on the board by peers other than `conn`, as one
    /// awareness message (the answer to `conn`'s query), if there are any.
    pub fn states_for(&self, conn: ConnId) -> Option<Vec<u8>> {
        let board = self.peers.get(&conn)?.board;
        let entries: Vec<AwarenessEntry> = self
            .peers
            .iter()
            .filter(|(id, p)| **id != conn && p.board == board)
            .flat_map(|(_, p)| p.states.values().cloned())
            .collect();
        (!entries.is_empty()).then(|| awareness::message(&entries))
    }
}
