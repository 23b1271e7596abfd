//! A teacher changes a student's name: only teachers, only students, with a
//! valid name; the room's unique-name rule applies; everyone sees the new
//! name live, history still points at the same person, and the name is
//! stored.

mod common;

use common::*;
use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{ClientMsg, ErrorCode, ServerMsg};

#[tokio::test]
async fn a_teacher_renames_a_student_and_everyone_sees_the_same_person_renamed() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Names", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;
    a.chat(1, "hello from Ann").await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));

    let rename =
        |r: u32, user: &str, name: &str| ClientMsg::Rename { r#ref: Some(r), user: user.into(), name: name.into() };
    b.send(&rename(1, &ann.id, "Annie")).await;
    assert_eq!(b.refusal(1).await, Some(ErrorCode::Forbidden));
    teacher.send(&rename(2, &room.teacher.id, "Boss")).await;
    assert_eq!(teacher.refusal(2).await, Some(ErrorCode::Invalid), "only students are renamed");
    teacher.send(&rename(3, &ann.id, "   ")).await;
    assert_eq!(teacher.refusal(3).await, Some(ErrorCode::Invalid));
    teacher.send(&rename(4, &ann.id, &"x".repeat(41))).await;
    assert_eq!(teacher.refusal(4).await, Some(ErrorCode::Invalid));

    // A name someone has gets a number, as on joining.
    teacher.send(&rename(5, &ann.id, "ben")).await;
    assert!(matches!(teacher.answer(5).await, ServerMsg::Ack { .. }));
    let ServerMsg::Presence { participant, .. } =
        b.recv_until(|m| matches!(m, ServerMsg::Presence { event: PresenceEvent::Rename, .. })).await
    else {
        unreachable!()
    };
    assert_eq!((participant.id.as_str(), participant.name.as_str()), (ann.id.as_str(), "ben 2"));
    a.recv_until(|m| matches!(m, ServerMsg::Presence { event: PresenceEvent::Rename, .. })).await;

    // History names people by id: the message is still Ann's.
    let history = server.history(&room, &ben.token, "").await;
    assert!(history.iter().any(|m| m.text == "hello from Ann" && m.from.as_deref() == Some(ann.id.as_str())));
    // Her own name does not count as taken: "Ben 2" stays "Ben 2", not "Ben 3".
    teacher.send(&rename(6, &ann.id, "Ben 2")).await;
    assert!(matches!(teacher.answer(6).await, ServerMsg::Ack { .. }));
    let renamed = |m: &ServerMsg| matches!(m, ServerMsg::Presence { event: PresenceEvent::Rename, participant, .. } if participant.name == "Ben 2");
    teacher.recv_until(renamed).await;
    teacher.send(&rename(7, &ann.id, "Annie")).await;
    assert!(matches!(teacher.answer(7).await, ServerMsg::Ack { .. }));

    drop((a, b, teacher));
    server.kill9_and_restart();
    let (_, welcome) = server.connect(&ben.token).await;
    let ServerMsg::Welcome { participants, .. } = welcome else { unreachable!() };
    let names: Vec<&str> = participants.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ms Park", "Annie", "Ben"], "stored");
}
