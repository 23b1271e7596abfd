//! The room's members: every user who ever joined (active, left or
//! removed), their role and colour, and how many connections each has open.
//! Presence (online, offline) and the lobby's counts are read from here.

use std::collections::HashMap;

use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{Participant, Role, ServerMsg, SystemEvent, SystemEventKind};

use super::ownership::Candidate;
use crate::storage::{MemberRow, MemberStatus};

pub struct Member {
    pub row: MemberRow,
    /// Open room-channel connections.
    pub conns: u32,
}

impl Member {
    pub fn participant(&self) -> Participant {
        Participant {
            id: self.row.user.clone(),
            name: self.row.name.clone(),
            role: self.row.role,
            color: self.row.display_color(),
            online: self.conns > 0,
        }
    }

    pub fn active(&self) -> bool {
        self.row.status == MemberStatus::Active
    }
}

#[derive(Default)]
pub struct Roster {
    members: HashMap<String, Member>,
}

impl Roster {
    pub fn new(rows: impl IntoIterator<Item = MemberRow>) -> Self {
        Roster { members: rows.into_iter().map(|row| (row.user.clone(), Member { row, conns: 0 })).collect() }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    pub fn get(&self, user: &str) -> Option<&Member> {
        self.members.get(user)
    }

    /// An active member, or `None` (left, removed or never joined).
    pub fn active(&self, user: &str) -> Option<&Member> {
        self.members.get(user).filter(|m| m.active())
    }

    pub fn role_of(&self, user: &str) -> Role {
        self.members.get(user).map_or(Role::Student, |m| m.row.role)
    }

    pub fn name_of(&self, user: &str) -> String {
        self.members.get(user).map_or_else(|| "someone".to_owned(), |m| m.row.name.clone())
    }

    /// A system event about `user` (caused by `by`), carrying the names they
    /// have now, so the message still names them after they leave.
    pub fn event(&self, kind: SystemEventKind, user: &str, by: Option<&str>) -> SystemEvent {
        let known = |id: &str| self.members.get(id).map(|m| m.row.name.clone());
        SystemEvent {
            kind,
            user: user.to_owned(),
            by: by.map(str::to_owned),
            user_name: known(user),
            by_name: by.and_then(known),
            board: None,
            mode: None,
            took_ms: None,
        }
    }

    /// Every member ever, those who left included: colours are handed out by
    /// this count, so they are never reused in order.
    pub fn ever(&self) -> usize {
        self.members.len()
    }

    pub fn active_count(&self) -> u32 {
        u32::try_from(self.members.values().filter(|m| m.active()).count()).unwrap_or(u32::MAX)
    }

    pub fn online_count(&self) -> u32 {
        u32::try_from(self.members.values().filter(|m| m.active() && m.conns > 0).count()).unwrap_or(u32::MAX)
    }

    /// Active members in joining order.
    pub fn participants(&self) -> Vec<Participant> {
        let mut active: Vec<&Member> = self.members.values().filter(|m| m.active()).collect();
        active.sort_by(|a, b| (a.row.joined_at, &a.row.user).cmp(&(b.row.joined_at, &b.row.user)));
        active.into_iter().map(Member::participant).collect()
    }

    /// Active students, in no particular order.
    pub fn students(&self) -> impl Iterator<Item = &str> {
        self.members.values().filter(|m| m.active() && m.row.role == Role::Student).map(|m| m.row.user.as_str())
    }

    pub fn presence(&self, event: PresenceEvent, user: &str) -> Option<ServerMsg> {
        let member = self.members.get(user)?;
        Some(ServerMsg::Presence { event, participant: member.participant(), count: self.active_count() })
    }

    /// Who could own the room after `leaving` goes.
    pub fn succession(&self, leaving: &str) -> Vec<Candidate<'_>> {
        self.members
            .values()
            .filter(|m| m.active() && m.row.user != leaving)
            .map(|m| Candidate { user: &m.row.user, role: m.row.role, online: m.conns > 0, joined_at: m.row.joined_at })
            .collect()
    }

    /// Stores a member's row, keeping their open connections.
    pub fn set(&mut self, row: MemberRow) {
        let conns = self.members.get(&row.user).map_or(0, |m| m.conns);
        self.members.insert(row.user.clone(), Member { row, conns });
    }

    /// Stores a member's row; they have no connection left.
    pub fn set_gone(&mut self, row: MemberRow) {
        self.members.insert(row.user.clone(), Member { row, conns: 0 });
    }

    /// One more connection; true if the member just came online.
    pub fn connected(&mut self, user: &str) -> bool {
        self.members.get_mut(user).is_some_and(|m| {
            m.conns += 1;
            m.conns == 1
        })
    }

    /// One connection fewer; true if an active member just went offline.
    pub fn disconnected(&mut self, user: &str) -> bool {
        self.members.get_mut(user).is_some_and(|m| {
            m.conns = m.conns.saturating_sub(1);
            m.conns == 0 && m.active()
        })
    }
}
