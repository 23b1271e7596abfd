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
    Vector {
        name,
        description,
        msg,
    }
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
            url: "/uploads/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.gif"
                .into(),
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
        }),
    }
}

fn client_vectors() -> Vec<Vector<ClientMsg>> {
    vec![
        v(
            "chat",
            "chat text without an upload",
            ClientMsg::Chat {
                r#ref: Some(1),
                text: "hello".into(),
                upload: None,
            },
        ),
        v(
            "chat_gif",
            "chat referencing an upload, no ref",
            ClientMsg::Chat {
                r#ref: None,
                text: "".into(),
                upload: Some(
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                ),
            },
        ),
        v(
            "whisper",
            "whisper to one participant",
            ClientMsg::Whisper {
                r#ref: Some(2),
                to: "ub3n8fzr4tpe".into(),
                text: "psst".into(),
            },
        ),
        v(
            "kick",
            "teacher removes a participant",
            ClientMsg::Kick {
                r#ref: Some(3),
                user: "ub3n8fzr4tpe".into(),
            },
        ),
        v(
            "owner",
            "owner hands the room over",
            ClientMsg::TransferOwner {
                r#ref: Some(4),
                user: "u7kq2mwx9ahc".into(),
            },
        ),
        v(
            "leave",
            "leave the room for good",
            ClientMsg::Leave { r#ref: Some(5) },
        ),
        v(
            "close",
            "owner closes the room",
            ClientMsg::CloseRoom { r#ref: Some(6) },
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
            },
        ),
        v(
            "ack",
            "request 1 stored as message 12",
            ServerMsg::Ack {
                r#ref: Some(1),
                seq: Some(12),
            },
        ),
        v(
            "error",
            "request 3 refused",
            ServerMsg::Error {
                r#ref: Some(3),
                code: ErrorCode::Forbidden,
                message: "only teachers may do this".into(),
            },
        ),
        v(
            "msg_chat",
            "a chat message with a GIF",
            ServerMsg::Msg(chat_message()),
        ),
        v(
            "msg_system",
            "a system message about a kick",
            ServerMsg::Msg(system_message()),
        ),
        v(
            "presence",
            "a participant came online",
            ServerMsg::Presence {
                event: PresenceEvent::Online,
                participant: alice(),
                count: 3,
            },
        ),
        v(
            "owner",
            "ownership changed",
            ServerMsg::Owner {
                user: Some("u7kq2mwx9ahc".into()),
            },
        ),
    ]
}

fn lobby_vectors() -> Vec<Vector<LobbyMsg>> {
    let summary = RoomSummary {
        id: "rj4xq8cm3vna".into(),
        name: "5B Maths".into(),
        participants: 31,
        online: 29,
    };
    vec![
        v(
            "rooms",
            "snapshot of open rooms",
            LobbyMsg::Rooms {
                rooms: vec![summary.clone()],
            },
        ),
        v(
            "room",
            "a room was created or its counts changed",
            LobbyMsg::Room(summary),
        ),
        v(
            "closed",
            "a room was closed",
            LobbyMsg::Closed {
                room: "rj4xq8cm3vna".into(),
            },
        ),
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
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("vectors")
        .join(file);
    let rendered = render(&vectors);
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let stored =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        stored, rendered,
        "{file} differs from the Rust encoding; see the test's doc comment"
    );
    for vector in &vectors {
        let bytes = encode(&vector.msg);
        let back: T = decode(&bytes).unwrap();
        assert_eq!(
            back, vector.msg,
            "{file}: {} does not round-trip",
            vector.name
        );
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
    for tag in ["chat", "whisper", "kick", "owner", "leave", "close"] {
        assert!(names.contains(&tag), "no vector for client message {tag}");
    }
}
