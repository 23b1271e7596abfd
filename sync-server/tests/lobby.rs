//! The lobby streams room-list changes to teachers and nothing from inside
//! rooms.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::LobbyMsg;

#[tokio::test]
async fn teachers_see_rooms_appear_fill_and_close_but_no_chat() {
    let server = TestServer::start().await;
    let first = server.create_room("First", "T1").await;
    let mut lobby = server.lobby(&first.teacher.token).await;
    let LobbyMsg::Rooms { rooms } = lobby.recv_lobby().await else { panic!("snapshot first") };
    assert_eq!(rooms.len(), 1);
    assert_eq!((rooms[0].id.as_str(), rooms[0].participants, rooms[0].online), (first.id.as_str(), 1, 0));

    let second = server.create_room("Second", "T2").await;
    let LobbyMsg::Room(summary) = lobby.recv_lobby().await else { panic!("room created") };
    assert_eq!((summary.id.as_str(), summary.name.as_str(), summary.participants), (second.id.as_str(), "Second", 1));

    let ann = server.join(&second, "Ann").await;
    let LobbyMsg::Room(summary) = lobby.recv_lobby().await else { panic!("count change") };
    assert_eq!((summary.participants, summary.online), (2, 0));
    let (mut a, _) = server.connect(&ann.token).await;
    let LobbyMsg::Room(summary) = lobby.recv_lobby().await else { panic!("online change") };
    assert_eq!((summary.participants, summary.online), (2, 1));

    a.chat(1, "this stays inside the room").await;
    a.answer(1).await;
    let quiet = tokio::time::timeout(Duration::from_millis(300), lobby.recv_frame()).await;
    assert!(quiet.is_err(), "the lobby received in-room traffic");

    let (mut t2, _) = server.connect(&second.teacher.token).await;
    lobby.recv_lobby().await; // teacher came online
    t2.send(&jigsync_schema::ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    t2.answer(1).await;
    let closed = loop {
        match lobby.recv_lobby().await {
            LobbyMsg::Closed { room } => break room,
            LobbyMsg::Room(_) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(closed, second.id);
}

#[tokio::test]
async fn students_and_strangers_are_refused() {
    let server = TestServer::start().await;
    let room = server.create_room("Room", "T").await;
    let ann = server.join(&room, "Ann").await;
    assert_eq!(server.lobby(&ann.token).await.closed().await.code, 4401);
    assert_eq!(server.lobby("nonsense").await.closed().await.code, 4401);
}

/// The lobby's own traffic (rooms appearing) must not keep a peer that says
/// nothing alive: it is closed with 4408 once the idle timeout has passed
/// since it was last heard from.
#[tokio::test]
async fn a_silent_lobby_peer_times_out_even_while_rooms_keep_changing() {
    let server = TestServer::start_with(&["--idle-timeout-secs", "2", "--ping-interval-secs", "60"]).await;
    let first = server.create_room("First", "T1").await;
    let mut lobby = server.lobby(&first.teacher.token).await;
    let (http, url) = (server.http.clone(), server.url("/api/rooms"));
    let busy = tokio::spawn(async move {
        for i in 0..40 {
            let body = serde_json::json!({ "name": format!("Room {i}"), "teacherName": "T" });
            let _ = http.post(&url).json(&body).send().await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = std::time::Instant::now();
    assert_eq!(lobby.closed().await.code, 4408);
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
    busy.abort();
}
