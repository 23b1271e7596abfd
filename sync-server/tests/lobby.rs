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

    let second = server.create_room_as("Second", "T1", Some(&first.pass)).await;
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

/// Reads lobby frames until one is about `room`.
async fn next_about(lobby: &mut Client, room: &str) -> LobbyMsg {
    loop {
        let msg = lobby.recv_lobby().await;
        match &msg {
            LobbyMsg::Room(summary) if summary.id == room => return msg,
            LobbyMsg::Closed { room: closed } if closed == room => return msg,
            _ => {}
        }
    }
}

/// The rooms of a snapshot, sorted.
fn ids(msg: LobbyMsg) -> Vec<String> {
    let LobbyMsg::Rooms { rooms } = msg else { panic!("expected a snapshot, got {msg:?}") };
    let mut ids: Vec<String> = rooms.into_iter().map(|r| r.id).collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn teachers_see_their_own_and_co_taught_classes_only() {
    let mut server = TestServer::start().await;
    let kims = server.create_room("Kim's maths", "Kim").await;
    let lees = server.create_room("Lee's art", "Lee").await;
    let mut kim = server.lobby(&kims.pass).await;
    assert_eq!(ids(kim.recv_lobby().await), vec![kims.id.clone()]);
    // A class Lee creates, and traffic in Lee's class, stay out of Kim's lobby.
    let lees_second = server.create_room_as("Lee's music", "Lee", Some(&lees.pass)).await;
    server.join(&lees, "Ann").await;
    let kims_second = server.create_room_as("Kim's science", "Kim", Some(&kims.pass)).await;
    let LobbyMsg::Room(next) = kim.recv_lobby().await else { panic!("Kim's second class") };
    assert_eq!(next.id, kims_second.id);
    let mut lee = server.lobby(&lees.teacher.token).await;
    assert_eq!(ids(lee.recv_lobby().await), sorted(&[&lees.id, &lees_second.id]));

    // Lee invites Kim (by Kim's teacher id) to teach the art class.
    let path = format!("/api/rooms/{}/teachers", lees.id);
    let body = serde_json::json!({ "name": "Kim", "teacherId": kims.teacher_id });
    let (status, _) = server.post(&path, Some(&lees.teacher.token), body).await;
    assert_eq!(status, 201);
    assert!(matches!(next_about(&mut kim, &lees.id).await, LobbyMsg::Room(_)));
    let mut kim_again = server.lobby(&kims.pass).await;
    assert_eq!(ids(kim_again.recv_lobby().await), sorted(&[&kims.id, &kims_second.id, &lees.id]));
    let quiet = tokio::time::timeout(Duration::from_millis(300), kim_again.recv_frame()).await;
    assert!(quiet.is_err(), "Kim's lobby heard of a class Kim does not teach");

    // A teacher id that is not one is refused.
    let body = serde_json::json!({ "name": "Kim", "teacherId": "" });
    let (status, answer) = server.post(&path, Some(&lees.teacher.token), body).await;
    assert_eq!((status.as_u16(), answer["error"]["code"].as_str()), (400, Some("invalid")));

    // After a restart the lobby is read back from storage, teachers and all.
    drop((kim, kim_again, lee));
    server.kill9_and_restart();
    let mut kim = server.lobby(&kims.pass).await;
    assert_eq!(ids(kim.recv_lobby().await), sorted(&[&kims.id, &kims_second.id, &lees.id]));
    let mut lee = server.lobby(&lees.pass).await;
    assert_eq!(ids(lee.recv_lobby().await), sorted(&[&lees.id, &lees_second.id]));
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
    let (http, url, pass) = (server.http.clone(), server.url("/api/rooms"), first.pass.clone());
    let busy = tokio::spawn(async move {
        for i in 0..40 {
            let body = serde_json::json!({ "name": format!("Room {i}"), "teacherName": "T" });
            let _ = http.post(&url).bearer_auth(&pass).json(&body).send().await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = std::time::Instant::now();
    assert_eq!(lobby.closed().await.code, 4408);
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
    busy.abort();
}
