//! Golden vectors: every message kind, encoded from the Rust types, kept in
//! `vectors/*.json` as a JSON rendering plus the hex of the MessagePack bytes.
//! This test fails when an encoding changes; client-js checks the same files
//! to prove byte compatibility. Regenerate deliberately with
//! `UPDATE_VECTORS=1 cargo test -p jigsync-schema --test vectors`.

use std::path::PathBuf;

use jigsync_schema::server::PresenceEvent;
use jigsync_schema::*;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

struct Vector<T> {
    name: &'static str,
    description: &'static str,
    msg: T,
}

fn v<T>(name: &'static str, description: &'static str, msg: T) -> Vector<T> {
    Vector { name, description, msg }
}

fn alice() -> Participant {
    Participant {
        id: "u7kq2mwx9ahc".into(),
        name: "Alice".into(),
        role: Role::Student,
        color: "#3c8dd2".into(),
        online: true,
    }
}

fn chat_message() -> Message {
    Message {
        seq: 12,
        ts: 1_790_000_000_000,
        kind: MessageKind::Chat,
        from: Some("u7kq2mwx9ahc".into()),
        to: None,
        text: "look at this".into(),
        upload: Some(Attachment {
            id: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            url: "/uploads/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.gif".into(),
            content_type: "image/gif".into(),
        }),
        event: None,
    }
}

fn system_message() -> Message {
    Message {
        seq: 13,
        ts: 1_790_000_000_500,
        kind: MessageKind::System,
        from: None,
        to: None,
        text: "Bob was removed by Ms Park".into(),
        upload: None,
        event: Some(SystemEvent {
            kind: SystemEventKind::Kick,
            user: "ub3n8fzr4tpe".into(),
            by: Some("up5d6yjs2gkw".into()),
            user_name: Some("Bob".into()),
            by_name: Some("Ms Park".into()),
            board: None,
            mode: None,
            took_ms: None,
        }),
    }
}

fn solved_message() -> Message {
    Message {
        seq: 14,
        ts: 1_790_000_065_500,
        kind: MessageKind::System,
        from: None,
        to: None,
        text: "Ann solved their puzzle in 1m 5s".into(),
        upload: None,
        event: Some(SystemEvent {
            kind: SystemEventKind::Solved,
            user: "u7kq2mwx9ahc".into(),
            by: None,
            user_name: Some("Ann".into()),
            by_name: None,
            board: Some(3),
            mode: Some(BoardMode::Individual),
            took_ms: Some(65_000),
        }),
    }
}

fn drag() -> Move {
    Move { board: 3, piece: 17, x: 412.5, y: 96.25, seq: 1042, t: 5_000_123 }
}

fn board_info() -> BoardInfo {
    BoardInfo {
        id: 3,
        puzzle: 1,
        mode: BoardMode::Individual,
        members: vec!["u7kq2mwx9ahc".into()],
        locked: false,
        progress: 0.25,
        done: false,
        meta: BoardMeta {
            image: "/uploads/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.png".into(),
            rows: 6,
            cols: 8,
            piece_width: 100.0,
            piece_height: 75.0,
            seed: 1234567,
            width: 1600.0,
            height: 900.0,
        },
    }
}

fn client_vectors() -> Vec<Vector<ClientMsg>> {
    vec![
        v(
            "chat",
            "chat text without an upload",
            ClientMsg::Chat { r#ref: Some(1), text: "hello".into(), upload: None },
        ),
        v(
            "chat_gif",
            "chat referencing an upload, no ref",
            ClientMsg::Chat {
                r#ref: None,
                text: "".into(),
                upload: Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into()),
            },
        ),
        v(
            "whisper",
            "whisper to one participant",
            ClientMsg::Whisper { r#ref: Some(2), to: "ub3n8fzr4tpe".into(), text: "psst".into() },
        ),
        v("kick", "teacher removes a participant", ClientMsg::Kick { r#ref: Some(3), user: "ub3n8fzr4tpe".into() }),
        v(
            "owner",
            "owner hands the room over",
            ClientMsg::TransferOwner { r#ref: Some(4), user: "u7kq2mwx9ahc".into() },
        ),
        v("leave", "leave the room for good", ClientMsg::Leave { r#ref: Some(5) }),
        v("close", "owner closes the room", ClientMsg::CloseRoom { r#ref: Some(6) }),
        v(
            "sync",
            "ask for board 3 given an empty state vector",
            ClientMsg::Sync { r#ref: Some(7), board: 3, sv: vec![0] },
        ),
        v("grab", "take the lock on piece 17 of board 3", ClientMsg::Grab { r#ref: Some(8), board: 3, piece: 17 }),
        v("mv", "drag position (motion lane)", ClientMsg::Move(drag())),
        v(
            "update",
            "a drop: a Yjs update that also releases piece 17",
            ClientMsg::Update { r#ref: Some(9), board: 3, update: vec![1, 0], release: Some(17) },
        ),
        v("focus", "teacher focuses board 3", ClientMsg::Focus { r#ref: Some(10), board: Some(3) }),
        v("lock", "teacher locks every board", ClientMsg::Lock { r#ref: Some(11), board: None, locked: true }),
        v(
            "spotlight",
            "teacher spotlights board 3 with names hidden",
            ClientMsg::Spotlight { r#ref: Some(12), board: Some(3), hide_names: true },
        ),
        v("reset", "teacher reshuffles board 3", ClientMsg::Reset { r#ref: Some(13), board: 3 }),
        v(
            "joining",
            "teacher closes the room to new students",
            ClientMsg::LockJoining { r#ref: Some(14), locked: true },
        ),
        v("mute", "teacher mutes a student", ClientMsg::Mute { r#ref: Some(15), user: "bob".into(), muted: true }),
        v("chatoff", "teacher switches chat off for the class", ClientMsg::ChatOff { r#ref: Some(16), off: true }),
        v(
            "whispers",
            "teacher switches students' whispers off",
            ClientMsg::Whispers { r#ref: Some(17), rule: WhisperRule::Off },
        ),
        v(
            "rename",
            "teacher renames a student",
            ClientMsg::Rename { r#ref: Some(18), user: "bob".into(), name: "Bob K".into() },
        ),
    ]
}

fn server_vectors() -> Vec<Vector<ServerMsg>> {
    vec![
        v(
            "welcome",
            "first frame of a connection",
            ServerMsg::Welcome {
                me: alice(),
                room: "rj4xq8cm3vna".into(),
                room_name: "5B Maths".into(),
                owner: Some("up5d6yjs2gkw".into()),
                participants: vec![alice()],
                history: vec![chat_message()],
                truncated: false,
                join_locked: false,
                chat: ChatRules::default(),
                upload_grant: UploadGrant {
                    grant: "g1.5f2c9a1b.eyJyIjoicmo0eHE4Y20zdm5hIiwiZXhwIjoxODAwMDAzNjAwfQ.c2lnbmF0dXJl".into(),
                    expires_at: 1_800_003_600_000,
                },
            },
        ),
        v("ack", "request 1 stored as message 12", ServerMsg::Ack { r#ref: Some(1), seq: Some(12) }),
        v(
            "error",
            "request 3 refused",
            ServerMsg::Error {
                r#ref: Some(3),
                code: ErrorCode::Forbidden,
                message: "only teachers may do this".into(),
            },
        ),
        v("msg_chat", "a chat message with a GIF", ServerMsg::Msg(chat_message())),
        v("msg_system", "a system message about a kick", ServerMsg::Msg(system_message())),
        v("msg_solved", "a board was solved: board, mode and time", ServerMsg::Msg(solved_message())),
        v(
            "presence",
            "a participant came online",
            ServerMsg::Presence { event: PresenceEvent::Online, participant: alice(), count: 3 },
        ),
        v("owner", "ownership changed", ServerMsg::Owner { user: Some("u7kq2mwx9ahc".into()) }),
        v(
            "boards",
            "the boards a participant may see, and the spotlight",
            ServerMsg::Boards { boards: vec![board_info()], spotlight: Some(Spotlight { board: 3, hide_names: true }) },
        ),
        v("doc", "board 3's document (a Yjs v1 update)", ServerMsg::Doc { board: 3, update: vec![0, 0] }),
        v(
            "update",
            "a committed board write",
            ServerMsg::Update { board: 3, update: vec![1, 0], by: Some("u7kq2mwx9ahc".into()) },
        ),
        v("motion", "a batch of drag positions", ServerMsg::Motion { moves: vec![drag()] }),
        v("grab", "piece 17 was grabbed", ServerMsg::Grab { board: 3, piece: 17, by: Some("u7kq2mwx9ahc".into()) }),
        v("release", "piece 17 was released", ServerMsg::Release { board: 3, piece: 17 }),
        v("progress", "board 3 is half done", ServerMsg::Progress { board: 3, progress: 0.5, done: false }),
        v("joining", "the room is closed to new students", ServerMsg::Joining { locked: true }),
        v(
            "chatrules",
            "chat off for the class, one student muted",
            ServerMsg::ChatRules(ChatRules {
                whispers: WhisperRule::VisibleToTeachers,
                chat_off: true,
                muted: vec!["bob".into()],
            }),
        ),
    ]
}

fn lobby_vectors() -> Vec<Vector<LobbyMsg>> {
    let summary = RoomSummary { id: "rj4xq8cm3vna".into(), name: "5B Maths".into(), participants: 31, online: 29 };
    vec![
        v("rooms", "snapshot of open rooms", LobbyMsg::Rooms { rooms: vec![summary.clone()] }),
        v("room", "a room was created or its counts changed", LobbyMsg::Room(summary)),
        v("closed", "a room was closed", LobbyMsg::Closed { room: "rj4xq8cm3vna".into() }),
    ]
}

fn render<T: Serialize>(vectors: &[Vector<T>]) -> String {
    let entries: Vec<Value> = vectors
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "description": v.description,
                "json": serde_json::to_value(&v.msg).unwrap(),
                "hex": hex::encode(encode(&v.msg)),
            })
        })
        .collect();
    serde_json::to_string_pretty(&entries).unwrap() + "\n"
}

fn check<T>(file: &str, vectors: Vec<Vector<T>>)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors").join(file);
    let rendered = render(&vectors);
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(stored, rendered, "{file} differs from the Rust encoding; see the test's doc comment");
    for vector in &vectors {
        let bytes = encode(&vector.msg);
        let back: T = decode(&bytes).unwrap();
        assert_eq!(back, vector.msg, "{file}: {} does not round-trip", vector.name);
    }
}

#[test]
fn client_messages_match_their_vectors() {
    check("client.json", client_vectors());
}

#[test]
fn server_messages_match_their_vectors() {
    check("server.json", server_vectors());
}

#[test]
fn lobby_messages_match_their_vectors() {
    check("lobby.json", lobby_vectors());
}

#[test]
fn every_client_tag_has_a_vector() {
    let names: Vec<&str> = client_vectors().iter().map(|v| v.msg.tag()).collect();
    for tag in [
        "chat",
        "whisper",
        "kick",
        "owner",
        "leave",
        "close",
        "sync",
        "grab",
        "mv",
        "update",
        "focus",
        "lock",
        "spotlight",
        "reset",
    ] {
        assert!(names.contains(&tag), "no vector for client message {tag}");
    }
}
