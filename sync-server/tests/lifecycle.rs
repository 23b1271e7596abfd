//! The server process's life: kill -9 durability, restarts keeping rooms and
//! tokens, SIGTERM closing sockets with 1001, heartbeat timeouts, health and
//! metrics.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::{MessageKind, ServerMsg};
use serde_json::json;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;

#[tokio::test]
async fn acknowledged_chat_rooms_and_tokens_survive_kill_9() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Durable", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (mut a, _) = server.connect(&ann.token).await;
    let mut acked = Vec::new();
    for i in 0..5u32 {
        a.chat(i, &format!("durable {i}")).await;
        let ServerMsg::Ack { seq: Some(seq), .. } = a.answer(i).await else { panic!("not acknowledged") };
        acked.push(seq);
    }
    server.kill9_and_restart();

    let history = server.history(&room, &ann.token, "").await;
    let chats: Vec<_> = history.iter().filter(|m| m.kind == MessageKind::Chat).map(|m| m.seq).collect();
    assert_eq!(chats, acked);
    let (mut a, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { participants, .. } = welcome else { unreachable!() };
    assert_eq!(participants.len(), 2);
    a.chat(9, "after restart").await;
    let ServerMsg::Ack { seq: Some(seq), .. } = a.answer(9).await else { panic!() };
    assert_eq!(seq, acked.last().unwrap() + 1, "sequence continues where it was");
    let (status, _) = server.post("/api/join", None, json!({ "joinCode": room.join_code, "name": "Late" })).await;
    assert_eq!(status, 200, "the join code survives too");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_cleanly() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Bye", "T").await;
    let (mut t, _) = server.connect(&room.teacher.token).await;
    let mut lobby = server.lobby(&room.teacher.token).await;
    lobby.recv_lobby().await;
    let status = tokio::task::spawn_blocking(move || {
        let status = server.terminate();
        drop(server);
        status
    });
    assert_eq!(t.closed().await.code, 1001);
    assert_eq!(lobby.closed().await.code, 1001);
    assert!(status.await.unwrap().success());
}

#[tokio::test]
async fn a_client_that_closes_first_gets_the_close_answered() {
    let server = TestServer::start().await;
    let room = server.create_room("Close", "T").await;
    let bye = || CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
    let (mut t, _) = server.connect(&room.teacher.token).await;
    t.ws.close(Some(bye())).await.expect("send close");
    assert_eq!(t.closed().await.code, 1000, "room channel");
    let mut lobby = server.lobby(&room.teacher.token).await;
    lobby.recv_lobby().await;
    lobby.ws.close(Some(bye())).await.expect("send close");
    assert_eq!(lobby.closed().await.code, 1000, "lobby");
}

#[tokio::test]
async fn silent_connections_are_dropped_and_answering_pings_keeps_one_alive() {
    let server = TestServer::start_with(&["--idle-timeout-secs", "3", "--ping-interval-secs", "1"]).await;
    let room = server.create_room("Heartbeat", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (mut silent, _) = server.connect(&ann.token).await;
    let (mut alive, _) = server.connect(&room.teacher.token).await;
    // Reading answers pings (as browsers do, even in background tabs).
    alive.assert_no(Duration::from_millis(4500), |_| false).await;
    alive.chat(1, "still here").await;
    assert!(matches!(alive.answer(1).await, ServerMsg::Ack { .. }));
    // The silent client read nothing, so it never answered a ping.
    assert_eq!(silent.closed().await.code, 4408);
}

#[tokio::test]
async fn create_and_join_validate_their_input() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/healthz", None).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (200, Some("ok")));

    for bad in [
        json!({ "name": "", "teacherName": "T" }),
        json!({ "name": "R", "teacherName": "x".repeat(41) }),
        json!({ "name": "R" }),
    ] {
        let (status, body) = server.post("/api/rooms", None, bad.clone()).await;
        assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid")), "{bad}");
    }
    let room = server.create_room("Validation", "T").await;
    assert_eq!(room.join_code.len(), 6);
    let spaced = format!(" {}-{} ", &room.join_code[..3], room.join_code[3..].to_lowercase());
    let (status, body) = server.post("/api/join", None, json!({ "joinCode": spaced, "name": "Ann" })).await;
    assert_eq!(status, 200, "codes are read forgivingly: {body}");
    assert!(body["color"].as_str().unwrap().starts_with('#'));
    for (bad, code) in [
        (json!({ "joinCode": room.join_code, "name": "  " }), 400),
        (json!({ "joinCode": room.join_code, "name": "n".repeat(41) }), 400),
        (json!({ "joinCode": "AAAAAA", "name": "Ann" }), 404),
        (json!({ "joinCode": "?", "name": "Ann" }), 404),
    ] {
        let (status, body) = server.post("/api/join", None, bad.clone()).await;
        assert_eq!(status.as_u16(), code, "{bad} → {body}");
        assert!(body["error"]["message"].is_string());
    }
    let res = server.http.post(server.url("/api/join")).body("not json").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let (status, body) = server.get("/api/nope", None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn metrics_count_connections_messages_and_storage() {
    let server = TestServer::start().await;
    let room = server.create_room("Metrics", "T").await;
    let (mut t, _) = server.connect(&room.teacher.token).await;
    t.chat(1, "counted").await;
    t.answer(1).await;
    t.send_raw(vec![0xc1]).await;
    t.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await;
    let text = server.metrics().await;
    for needle in [
        "jigsync_connections{channel=\"room\"} 1",
        "jigsync_messages_total{direction=\"in\",type=\"chat\"} 1",
        "jigsync_messages_total{direction=\"out\",type=\"welcome\"} 1",
        "jigsync_messages_total{direction=\"in\",type=\"malformed\"} 1",
        "jigsync_rejected_total{code=\"malformed\"} 1",
        "jigsync_rooms_live 1",
        "jigsync_queue_overflow_total 0",
        "jigsync_storage_seconds_count{op=\"commit\"}",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[tokio::test]
async fn members_keep_the_distinct_colors_they_were_given_at_joining() {
    let server = TestServer::start().await;
    let room = server.create_room("Colors", "T").await;
    let mut given = Vec::new();
    for name in ["Ann", "Bea", "Cy"] {
        let (status, body) = server.post("/api/join", None, json!({ "joinCode": room.join_code, "name": name })).await;
        assert_eq!(status, 200, "{body}");
        given.push((body["userId"].as_str().unwrap().to_owned(), body["color"].as_str().unwrap().to_owned()));
    }
    let (_teacher, welcome) = server.connect(&room.teacher.token).await;
    let ServerMsg::Welcome { participants, .. } = welcome else { unreachable!() };
    for (user, color) in &given {
        let shown = participants.iter().find(|p| &p.id == user).expect("participant listed");
        assert_eq!(&shown.color, color, "the join response and the room agree on {user}'s color");
    }
    let colors: std::collections::HashSet<_> = participants.iter().map(|p| p.color.clone()).collect();
    assert_eq!(colors.len(), 4, "teacher and three students each have their own color: {participants:?}");
}

#[tokio::test]
async fn two_students_with_one_name_are_told_apart_by_a_number() {
    let server = TestServer::start().await;
    let room = server.create_room("Names", "Ms Park").await;
    let mut given = Vec::new();
    for name in ["Ann", " ann ", "Ms Park"] {
        let (status, body) = server.post("/api/join", None, json!({ "joinCode": room.join_code, "name": name })).await;
        assert_eq!(status, 200, "{body}");
        given.push(body["name"].as_str().unwrap().to_owned());
    }
    assert_eq!(given, ["Ann", "ann 2", "Ms Park 2"]);
    let (_teacher, welcome) = server.connect(&room.teacher.token).await;
    let ServerMsg::Welcome { participants, .. } = welcome else { unreachable!() };
    let names: Vec<&str> = participants.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ms Park", "Ann", "ann 2", "Ms Park 2"]);
}

/// With `--signing-key-file`, tokens are signed with the configured key
/// (as every node of a cluster must be), not with one kept in the data dir:
/// a token made with that key elsewhere is accepted.
#[tokio::test]
async fn a_configured_signing_key_signs_and_verifies_tokens() {
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("cluster.key");
    let hex_key = "5a".repeat(32);
    std::fs::write(&key_file, format!("{hex_key}\n")).unwrap();
    let server = TestServer::start_with(&["--signing-key-file", key_file.to_str().unwrap()]).await;
    let room = server.create_room("Keyed", "T").await;
    assert!(!server.data_dir.join("signing.key").exists(), "no key of its own in the data dir");

    let key = jigsync_server::auth::TokenKey::from_hex(&hex_key, "test").unwrap();
    let key = jigsync_server::keyring::Keyring::new(vec![key], Duration::from_secs(3600), false).unwrap();
    let claims = key.verify(&room.teacher.token).expect("the server signed with the configured key");
    let again = key.sign(&claims);
    let (_, welcome) = server.connect(&again).await;
    assert!(matches!(welcome, jigsync_schema::ServerMsg::Welcome { .. }));

    // A key that is not 64 hex characters stops the server at start.
    std::fs::write(&key_file, "not a key").unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jigsync"))
        .args(["--addr", "127.0.0.1:0", "--signing-key-file"])
        .arg(&key_file)
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("64 hex characters"));
}
