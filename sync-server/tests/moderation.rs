//! Roles and moderation: kicks, ownership transfer and succession, leaving,
//! closing a room, and presence with several tabs.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{ClientMsg, ErrorCode, MessageKind, ServerMsg, SystemEventKind};

fn is_system(kind: SystemEventKind) -> impl FnMut(&ServerMsg) -> bool {
    move |m| matches!(m, ServerMsg::Msg(m) if m.event.as_ref().is_some_and(|e| e.kind == kind))
}

#[tokio::test]
async fn a_kicked_student_is_closed_announced_and_locked_out() {
    let server = TestServer::start().await;
    let room = server.create_room("Kick", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;

    b.send(&ClientMsg::Kick { r#ref: Some(1), user: ann.id.clone() }).await;
    assert!(matches!(b.answer(1).await, ServerMsg::Error { code: ErrorCode::Forbidden, r#ref: Some(1), .. }));

    teacher.send(&ClientMsg::Kick { r#ref: Some(2), user: ann.id.clone() }).await;
    assert!(matches!(teacher.answer(2).await, ServerMsg::Ack { .. }));
    assert_eq!(a.closed().await.code, 4403);
    let (mut announced, mut left) = (None, None);
    while announced.is_none() || left.is_none() {
        match b.recv().await {
            ServerMsg::Msg(m) if m.event.as_ref().is_some_and(|e| e.kind == SystemEventKind::Kick) => {
                announced = Some(m.text)
            }
            ServerMsg::Presence { event: PresenceEvent::Leave, participant, count } => {
                left = Some((participant.id, count))
            }
            _ => {}
        }
    }
    assert_eq!(announced.as_deref(), Some("Ann was removed by Ms Park"));
    assert_eq!(left, Some((ann.id.clone(), 2)));

    let mut again = server.connect_raw(&ann.token, None).await;
    assert_eq!(again.closed().await.code, 4403);
    let (status, body) = server.get(&format!("/api/rooms/{}/messages", room.id), Some(&ann.token)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (403, Some("forbidden")));
    let history = server.history(&room, &ben.token, "").await;
    assert!(history
        .iter()
        .any(|m| m.event.as_ref().is_some_and(|e| e.kind == SystemEventKind::Kick && e.user == ann.id)));
}

#[tokio::test]
async fn the_owner_can_hand_over_and_only_the_owner() {
    let server = TestServer::start().await;
    let room = server.create_room("Owner", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (mut teacher, welcome) = server.connect(&room.teacher.token).await;
    let ServerMsg::Welcome { owner, .. } = welcome else { unreachable!() };
    assert_eq!(owner.as_deref(), Some(room.teacher.id.as_str()));
    let (mut a, _) = server.connect(&ann.token).await;

    a.send(&ClientMsg::TransferOwner { r#ref: Some(1), user: ann.id.clone() }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }));
    teacher.send(&ClientMsg::TransferOwner { r#ref: Some(2), user: ann.id.clone() }).await;
    assert!(matches!(teacher.answer(2).await, ServerMsg::Ack { .. }));
    let owner = a.recv_until(|m| matches!(m, ServerMsg::Owner { .. })).await;
    assert_eq!(owner, ServerMsg::Owner { user: Some(ann.id.clone()) });
    a.recv_until(is_system(SystemEventKind::Owner)).await;
    // The new owner, a student, now moderates; the old owner no longer owns.
    teacher.send(&ClientMsg::CloseRoom { r#ref: Some(3) }).await;
    assert!(matches!(teacher.answer(3).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }));
}

#[tokio::test]
async fn when_the_owner_leaves_a_present_teacher_takes_over() {
    let server = TestServer::start().await;
    let room = server.create_room("Succession", "Owner").await;
    let ann = server.join(&room, "Ann").await;
    let co = server.add_teacher(&room, "Co-teacher").await;
    let (mut owner, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let (_co_conn, _) = server.connect(&co.token).await;

    owner.send(&ClientMsg::Leave { r#ref: Some(1) }).await;
    assert!(matches!(owner.answer(1).await, ServerMsg::Ack { .. }));
    assert_eq!(owner.closed().await.code, 1000);
    let msg = a.recv_until(|m| matches!(m, ServerMsg::Owner { .. })).await;
    assert_eq!(msg, ServerMsg::Owner { user: Some(co.id.clone()) });
    let ServerMsg::Msg(m) = a.recv_until(is_system(SystemEventKind::Owner)).await else { unreachable!() };
    assert_eq!(m.text, "Co-teacher is now the room owner");
}

#[tokio::test]
async fn without_a_teacher_the_longest_present_participant_takes_over_and_drops_change_nothing() {
    let server = TestServer::start().await;
    let room = server.create_room("Succession", "Owner").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut owner, _) = server.connect(&room.teacher.token).await;
    let (mut b, _) = server.connect(&ben.token).await;
    let (a, _) = server.connect(&ann.token).await;

    // A network drop is not a departure: ownership stays.
    owner.ws.close(None).await.ok();
    drop(owner);
    b.recv_until(|m| matches!(m, ServerMsg::Presence { event: PresenceEvent::Offline, .. })).await;
    b.assert_no(Duration::from_millis(200), |m| matches!(m, ServerMsg::Owner { .. })).await;

    let (mut owner, _) = server.connect(&room.teacher.token).await;
    owner.send(&ClientMsg::Leave { r#ref: Some(1) }).await;
    owner.answer(1).await;
    // Ann joined before Ben, so she has been present longest.
    let msg = b.recv_until(|m| matches!(m, ServerMsg::Owner { .. })).await;
    assert_eq!(msg, ServerMsg::Owner { user: Some(ann.id.clone()) });
    let history = server.history(&room, &ben.token, "").await;
    let texts: Vec<_> = history.iter().filter(|m| m.kind == MessageKind::System).map(|m| m.text.as_str()).collect();
    assert!(texts.ends_with(&["Owner left", "Ann is now the room owner"]), "{texts:?}");
    drop(a);
}

#[tokio::test]
async fn two_tabs_are_one_participant_online_until_the_last_closes() {
    let server = TestServer::start().await;
    let room = server.create_room("Tabs", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (tab1, _) = server.connect(&ann.token).await;
    let online = teacher.recv_until(|m| matches!(m, ServerMsg::Presence { .. })).await;
    assert!(matches!(online, ServerMsg::Presence { event: PresenceEvent::Online, count: 2, .. }), "{online:?}");
    let (tab2, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { participants, .. } = welcome else { unreachable!() };
    assert_eq!(participants.iter().filter(|p| p.id == ann.id).count(), 1);
    tab1.close().await;
    teacher.assert_no(Duration::from_millis(300), |m| matches!(m, ServerMsg::Presence { .. })).await;
    tab2.close().await;
    let offline = teacher.recv_until(|m| matches!(m, ServerMsg::Presence { .. })).await;
    let ServerMsg::Presence { event, participant, count } = offline else { unreachable!() };
    assert_eq!((event, participant.online, count), (PresenceEvent::Offline, false, 2));
    assert_eq!(participant.color, participants.iter().find(|p| p.id == ann.id).unwrap().color, "color is stable");
}

#[tokio::test]
async fn closing_a_room_ends_every_connection_and_the_join_code() {
    let server = TestServer::start().await;
    let room = server.create_room("Closing", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    teacher.send(&ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    assert_eq!(teacher.closed().await.code, 4404);
    assert_eq!(a.closed().await.code, 4404);
    let mut again = server.connect_raw(&ann.token, None).await;
    assert_eq!(again.closed().await.code, 4404);
    let (status, _) =
        server.post("/api/join", None, serde_json::json!({ "joinCode": room.join_code, "name": "Late" })).await;
    assert_eq!(status, 404);
}

/// Removing a student, or a student leaving, ends their soft locks at once:
/// the pieces they held are released for everyone, not after the locks'
/// silence timeout.
#[tokio::test]
async fn a_removed_or_departed_students_pieces_are_released_at_once() {
    let server = TestServer::start().await;
    let room = server.create_room("Locks", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let board = start_puzzle(&server, &room, "shared", 3, 3, serde_json::json!([])).await[0].id;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;
    a.send(&ClientMsg::Grab { r#ref: Some(1), board, piece: 4 }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    b.send(&ClientMsg::Grab { r#ref: Some(1), board, piece: 7 }).await;
    assert!(matches!(b.answer(1).await, ServerMsg::Ack { .. }));

    teacher.send(&ClientMsg::Kick { r#ref: Some(2), user: ann.id.clone() }).await;
    let started = std::time::Instant::now();
    teacher.recv_until(|m| matches!(m, ServerMsg::Release { piece: 4, .. })).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "released after {:?}", started.elapsed());

    b.send(&ClientMsg::Leave { r#ref: Some(3) }).await;
    let started = std::time::Instant::now();
    teacher.recv_until(|m| matches!(m, ServerMsg::Release { piece: 7, .. })).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "released after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_teacher_locks_joining_and_only_new_students_are_kept_out() {
    let server = TestServer::start().await;
    let room = server.create_room("Locked", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let (mut teacher, welcome) = server.connect(&room.teacher.token).await;
    assert!(matches!(welcome, ServerMsg::Welcome { join_locked: false, .. }));
    let (mut a, _) = server.connect(&ann.token).await;

    a.send(&ClientMsg::LockJoining { r#ref: Some(1), locked: true }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }));
    teacher.send(&ClientMsg::LockJoining { r#ref: Some(2), locked: true }).await;
    assert!(matches!(teacher.answer(2).await, ServerMsg::Ack { seq: None, .. }));
    a.recv_until(|m| matches!(m, ServerMsg::Joining { locked: true })).await;

    let join =
        |name: &str| server.post("/api/join", None, serde_json::json!({ "joinCode": room.join_code, "name": name }));
    let (status, body) = join("Ben").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (409, Some("locked")), "{body}");
    assert_eq!(body["error"]["message"], "this class is closed to new students");
    // A new connection is told the room is locked.
    let (_again, welcome) = server.connect(&ann.token).await;
    assert!(matches!(welcome, ServerMsg::Welcome { join_locked: true, .. }));

    teacher.send(&ClientMsg::LockJoining { r#ref: Some(3), locked: false }).await;
    assert!(matches!(teacher.answer(3).await, ServerMsg::Ack { .. }));
    let (status, body) = join("Ben").await;
    assert_eq!(status.as_u16(), 200, "{body}");
}
