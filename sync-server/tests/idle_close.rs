//! Closing idle classes (`--close-idle-hours`, in seconds here through the
//! hidden `--close-idle-secs`): a class nobody has been connected to for
//! that long is closed and leaves the lobby; one with someone connected, or
//! used recently, stays open.

mod common;

use std::time::{Duration, Instant};

use common::*;
use jigsync_schema::{LobbyMsg, ServerMsg};
use reqwest::StatusCode;
use serde_json::json;

const IDLE: Duration = Duration::from_secs(6);

#[tokio::test]
async fn a_class_nobody_used_for_the_idle_time_closes_and_leaves_the_lobby() {
    let server = TestServer::start_with(&["--close-idle-secs", "6", "--room-idle-secs", "1"]).await;
    let started = Instant::now();
    let forgotten = server.create_room("Forgotten", "T").await;
    let used = server.create_room("Used", "T").await;
    let connected = server.create_room("Connected", "T").await;
    // The forgotten class's own teacher watches the lobby from elsewhere.
    let mut lobby = server.lobby(&forgotten.teacher.token).await;
    let LobbyMsg::Rooms { rooms } = lobby.recv_lobby().await else { panic!("the lobby starts with its rooms") };
    assert!(rooms.iter().any(|r| r.id == forgotten.id), "{rooms:?}");
    let (mut stays, _) = server.connect(&connected.teacher.token).await;

    // "Used" is used a while after the others were created.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut chat, _) = server.connect(&used.teacher.token).await;
    chat.chat(1, "a short lesson").await;
    assert!(matches!(chat.answer(1).await, ServerMsg::Ack { .. }));
    chat.close().await;
    let used_at = Instant::now();

    let closed = tokio::time::timeout(IDLE * 3, async {
        loop {
            if let LobbyMsg::Closed { room } = lobby.recv_lobby().await {
                return room;
            }
        }
    })
    .await
    .expect("the forgotten class left the lobby");
    assert_eq!(closed, forgotten.id);
    assert!(started.elapsed() >= IDLE, "closed before its time ({:?})", started.elapsed());
    assert!(used_at.elapsed() < IDLE, "the checks below need \"Used\" to be within its idle time still");
    let (status, _) = server.post("/api/join", None, json!({ "joinCode": forgotten.join_code, "name": "Late" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a closed class's code joins no one");
    let (status, _) =
        server.get(&format!("/api/rooms/{}/messages", forgotten.id), Some(&forgotten.teacher.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "its tokens stop working");
    for open in [&used, &connected] {
        let (status, body) = server.post("/api/join", None, json!({ "joinCode": open.join_code, "name": "Ann" })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(server.metric("jigsync_rooms_closed_idle_total").await, 1.0);

    // Someone was connected throughout: still open, though created as long ago.
    stays.chat(2, "still teaching").await;
    assert!(matches!(stays.answer(2).await, ServerMsg::Ack { .. }));
}
