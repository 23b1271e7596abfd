//! Committed events become state: each changes the concepts it touches and
//! says what to deliver, in the order the protocol promises (an ack first,
//! then what the request caused).

use std::collections::HashSet;

use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{CloseCode, ServerMsg};

use super::chat::audience;
use super::effects::{Audience, Effect, Effects};
use super::staged::{Event, Events};
use super::{board_writes, chat_rules, controls, drag, RoomCore};
use crate::outbox::ConnId;
use crate::storage::MemberStatus;

pub(super) fn apply(core: &mut RoomCore, events: Events) -> Effects {
    let mut out = Effects::new();
    for event in events {
        apply_event(core, event, &mut out);
    }
    out
}

fn apply_event(core: &mut RoomCore, event: Event, out: &mut Effects) {
    match event {
        Event::Reply(conn, msg) => out.push(Effect::Send(Audience::Conn(conn), msg)),
        Event::Connected { conn, user, history, truncated, resume, upload_grant } => {
            let came_online = core.roster.connected(&user);
            core.conns.insert(conn, user.clone(), core.roster.role_of(&user));
            if let Some(member) = core.roster.get(&user) {
                let welcome = ServerMsg::Welcome {
                    me: member.participant(),
                    room: core.room.id.clone(),
                    room_name: core.room.name.clone(),
                    owner: core.room.owner.clone(),
                    participants: core.roster.participants(),
                    history,
                    truncated,
                    join_locked: core.room.join_locked,
                    chat: chat_rules::rules(&core.room, &core.roster),
                    upload_grant,
                };
                out.push(Effect::Send(Audience::Conn(conn), welcome));
            }
            // A resuming client asks for board diffs itself (`sync`).
            out.push(Effect::BoardsTo { conn, docs: !resume });
            if came_online {
                presence(core, PresenceEvent::Online, &user, Audience::AllBut(conn), out);
                out.push(Effect::Lobby(core.summary()));
            }
        }
        Event::Disconnected(conn) => {
            let Some(info) = core.conns.remove(conn) else {
                return;
            };
            drag::connection_gone(&mut core.boards, conn, out);
            if core.roster.disconnected(&info.user) {
                presence(core, PresenceEvent::Offline, &info.user, Audience::Everyone, out);
                out.push(Effect::Lobby(core.summary()));
            }
        }
        Event::Admitted { row, became_owner, own_board } => {
            if let Some(board) = own_board {
                let id = board.id();
                core.boards.added(*board);
                out.push(Effect::BoardLists);
                let teachers = core
                    .conns
                    .iter()
                    .filter(|(_, c)| c.role == jigsync_schema::Role::Teacher)
                    .map(|(id, _)| id)
                    .collect();
                out.push(Effect::DocTo { conns: teachers, board: id });
            }
            let user = row.user.clone();
            core.roster.set(row);
            if became_owner {
                core.room.owner = Some(user.clone());
                out.push(Effect::Send(Audience::Everyone, ServerMsg::Owner { user: Some(user.clone()) }));
            }
            presence(core, PresenceEvent::Join, &user, Audience::Everyone, out);
            out.push(Effect::Lobby(core.summary()));
        }
        Event::Kicked(row) => {
            let target = row.user.clone();
            let conns = core.conns.of_user(&target);
            out.push(Effect::Close {
                conns: conns.clone(),
                code: CloseCode::Forbidden,
                reason: "removed from the room by a teacher",
            });
            drop_connections(core, &conns, out);
            core.roster.set_gone(row);
            prune_yjs(core, out);
            presence(core, PresenceEvent::Leave, &target, Audience::Everyone, out);
            out.push(Effect::Lobby(core.summary()));
        }
        Event::Left { row, successor } => {
            let user = row.user.clone();
            core.roster.set_gone(row);
            prune_yjs(core, out);
            presence(core, PresenceEvent::Leave, &user, Audience::Everyone, out);
            if let Some(next) = successor {
                core.room.owner = next.clone();
                out.push(Effect::Send(Audience::Everyone, ServerMsg::Owner { user: next }));
            }
            out.push(Effect::Lobby(core.summary()));
        }
        Event::Departed(user) => {
            let conns = core.conns.of_user(&user);
            out.push(Effect::Close { conns: conns.clone(), code: CloseCode::Normal, reason: "left the room" });
            drop_connections(core, &conns, out);
        }
        Event::OwnerChanged(user) => {
            core.room.owner = Some(user.clone());
            out.push(Effect::Send(Audience::Everyone, ServerMsg::Owner { user: Some(user) }));
        }
        Event::Posted(messages) => {
            core.chat.posted(&messages);
            for message in messages {
                out.push(Effect::Send(audience(&message), ServerMsg::Msg(message)));
            }
        }
        Event::Muted(row) => {
            core.roster.set(row);
            out.push(Effect::Send(
                Audience::Everyone,
                ServerMsg::ChatRules(chat_rules::rules(&core.room, &core.roster)),
            ));
        }
        Event::Renamed(row) => {
            let user = row.user.clone();
            core.roster.set(row);
            presence(core, PresenceEvent::Rename, &user, Audience::Everyone, out);
        }
        Event::ChatSwitched { whispers, chat_off } => {
            core.room.whispers = whispers;
            core.room.chat_off = chat_off;
            out.push(Effect::Send(
                Audience::Everyone,
                ServerMsg::ChatRules(chat_rules::rules(&core.room, &core.roster)),
            ));
        }
        Event::JoinLocked(locked) => {
            core.room.join_locked = locked;
            out.push(Effect::Send(Audience::Everyone, ServerMsg::Joining { locked }));
        }
        Event::Closed { at } => {
            core.room.closed_at = Some(at);
            core.set_closed();
            out.push(Effect::LobbyClosed);
            let mut conns = core.conns.ids();
            conns.extend(core.yjs.ids());
            out.push(Effect::Close { conns, code: CloseCode::RoomGone, reason: "the room was closed" });
        }
        Event::PuzzleStarted { puzzle, boards } => {
            core.room.spotlight = None;
            core.boards.started(puzzle, boards);
            for conn in core.conns.ids() {
                out.push(Effect::BoardsTo { conn, docs: true });
            }
            let peers = core.yjs.ids();
            for conn in &peers {
                core.yjs.remove(*conn);
            }
            out.push(Effect::Close {
                conns: peers,
                code: CloseCode::RoomGone,
                reason: "a new puzzle replaced this board",
            });
        }
        Event::Written(write) => {
            if let Some(b) = core.boards.get_mut(write.board) {
                board_writes::written(b, *write, out);
            }
        }
        Event::Released { board, piece, conn } => {
            if let Some(b) = core.boards.get_mut(board) {
                drag::dropped(b, piece, conn, out);
            }
        }
        Event::Focused { conn, board } => core.conns.set_focus(conn, board),
        Event::Locked { boards, locked } => controls::locked(&mut core.boards, &boards, locked, out),
        Event::Spotlit(spotlight) => {
            let board = spotlight.map(|s| s.board);
            let could_read = readers_of(core, board);
            core.room.spotlight = spotlight;
            out.push(Effect::BoardLists);
            prune_yjs(core, out);
            if let Some(board) = board {
                let newly: Vec<ConnId> = readers_of(core, Some(board)).difference(&could_read).copied().collect();
                out.push(Effect::DocTo { conns: newly, board });
            }
        }
        Event::Reset { board, update, pieces } => {
            if let Some(b) = core.boards.get_mut(board) {
                controls::reset(b, update, pieces, out);
            }
        }
        Event::Grabbed { board, piece, conn, at } => {
            let (Some(user), Some(b)) = (core.conns.user_of(conn), core.boards.get_mut(board)) else {
                return;
            };
            drag::grabbed(b, piece, (conn, user), at, out);
        }
        Event::Moved { mv, conn } => out.push(Effect::Motion { mv, except: conn }),
        Event::LocksExpired(now) => drag::expire(&mut core.boards, now, out),
        Event::YjsConnected { conn, user, board, state_vector } => {
            core.yjs.insert(conn, user, board);
            out.push(Effect::YjsTo { conn, bytes: state_vector });
        }
        Event::YjsDisconnected(conn) => remove_peer(core, conn, out),
        Event::YjsReply(conn, bytes) => out.push(Effect::YjsTo { conn, bytes }),
        Event::YjsAwareness { conn, message, entries } => {
            let Some(board) = core.yjs.get(conn).map(|p| p.board) else {
                return;
            };
            core.yjs.announce(conn, entries);
            out.push(Effect::Yjs { board, except: Some(conn), bytes: message });
        }
        Event::YjsAwarenessQuery(conn) => {
            if let Some(bytes) = core.yjs.states_for(conn) {
                out.push(Effect::YjsTo { conn, bytes });
            }
        }
    }
}

fn presence(core: &RoomCore, event: PresenceEvent, user: &str, to: Audience, out: &mut Effects) {
    if let Some(msg) = core.roster.presence(event, user) {
        out.push(Effect::Send(to, msg));
    }
}

/// Room connections that are closing: out of the room, and every soft lock
/// they held released.
fn drop_connections(core: &mut RoomCore, conns: &[ConnId], out: &mut Effects) {
    for conn in conns {
        core.conns.remove(*conn);
        drag::connection_gone(&mut core.boards, *conn, out);
    }
}

/// Room connections that may read `board` now.
fn readers_of(core: &RoomCore, board: Option<jigsync_schema::BoardId>) -> HashSet<ConnId> {
    let Some(b) = board.and_then(|id| core.boards.get(id)) else {
        return HashSet::new();
    };
    let access = core.access();
    core.conns.iter().filter(|(_, c)| access.may_read_as(c.role, &c.user, &b.row)).map(|(id, _)| id).collect()
}

/// A `/yjs` peer goes: its awareness states are cleared for the others.
fn remove_peer(core: &mut RoomCore, conn: ConnId, out: &mut Effects) {
    if let Some((board, Some(clear))) = core.yjs.remove(conn) {
        out.push(Effect::Yjs { board, except: None, bytes: clear });
    }
}

/// Closes `/yjs` connections whose user left, was removed, or may no longer
/// read their board (the spotlight moved on): Yjs clients have no other way
/// to learn it.
fn prune_yjs(core: &mut RoomCore, out: &mut Effects) {
    let access = core.access();
    let gone: Vec<(ConnId, CloseCode)> = core
        .yjs
        .iter()
        .filter_map(|(id, peer)| {
            let code = match core.roster.get(&peer.user).map(|m| m.row.status) {
                Some(MemberStatus::Kicked) => CloseCode::Forbidden,
                Some(MemberStatus::Active) => {
                    if core.boards.get(peer.board).is_some_and(|b| access.may_read(&peer.user, &b.row)) {
                        return None;
                    }
                    CloseCode::Forbidden
                }
                _ => CloseCode::Normal,
            };
            Some((id, code))
        })
        .collect();
    for (conn, code) in gone {
        out.push(Effect::Close { conns: vec![conn], code, reason: "you may no longer open this board" });
        remove_peer(core, conn, out);
    }
}
