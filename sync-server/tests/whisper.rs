//! Whispers reach their sender, their recipient and the room's teachers,
//! live and in history, and no other student; a teacher can switch
//! students' whispers off.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::{ClientMsg, ErrorCode, MessageKind, ServerMsg, SystemEventKind, WhisperRule};

#[tokio::test]
async fn a_whisper_reaches_its_two_parties_and_the_teachers_only() {
    let server = TestServer::start().await;
    let room = server.create_room("Whispers", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let cat = server.join(&room, "Cat").await;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;
    let (mut c, _) = server.connect(&cat.token).await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;

    a.send(&ClientMsg::Whisper { r#ref: Some(1), to: ben.id.clone(), text: "secret answer is 42".into() }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { seq: Some(_), .. }));
    for client in [&mut a, &mut b, &mut teacher] {
        let ServerMsg::Msg(m) =
            client.recv_until(|m| matches!(m, ServerMsg::Msg(m) if m.kind == MessageKind::Whisper)).await
        else {
            unreachable!()
        };
        assert_eq!(m.text, "secret answer is 42");
        assert_eq!((m.from.as_deref(), m.to.as_deref()), (Some(ann.id.as_str()), Some(ben.id.as_str())));
    }
    // A public message after it proves the others' streams moved past it.
    a.chat(2, "public").await;
    for client in [&mut c] {
        let ServerMsg::Msg(m) =
            client.recv_until(|m| matches!(m, ServerMsg::Msg(m) if m.kind != MessageKind::System)).await
        else {
            unreachable!()
        };
        assert_eq!(m.text, "public", "a third party saw the whisper");
    }
    c.assert_no(Duration::from_millis(200), |m| matches!(m, ServerMsg::Msg(m) if m.kind == MessageKind::Whisper)).await;

    let whispers =
        |history: Vec<jigsync_schema::Message>| history.into_iter().filter(|m| m.kind == MessageKind::Whisper).count();
    assert_eq!(whispers(server.history(&room, &ann.token, "").await), 1);
    assert_eq!(whispers(server.history(&room, &ben.token, "").await), 1);
    assert_eq!(whispers(server.history(&room, &cat.token, "").await), 0);
    assert_eq!(whispers(server.history(&room, &room.teacher.token, "").await), 1);
    let (_, welcome) = server.connect(&cat.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    assert_eq!(whispers(history), 0);
    let (_, welcome) = server.connect(&ben.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    assert_eq!(whispers(history), 1);
    let (_, welcome) = server.connect(&room.teacher.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    assert_eq!(whispers(history), 1, "a teacher's welcome holds the students' whisper");
}

#[tokio::test]
async fn a_teacher_switches_student_whispers_off_and_on() {
    let server = TestServer::start().await;
    let room = server.create_room("No whispers", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut teacher, welcome) = server.connect(&room.teacher.token).await;
    let ServerMsg::Welcome { chat, .. } = welcome else { unreachable!() };
    assert_eq!(chat.whispers, WhisperRule::VisibleToTeachers, "whispers are visible to teachers by default");
    let (mut a, _) = server.connect(&ann.token).await;

    a.send(&ClientMsg::Whispers { r#ref: Some(1), rule: WhisperRule::Off }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }));
    teacher.send(&ClientMsg::Whispers { r#ref: Some(2), rule: WhisperRule::Off }).await;
    assert!(matches!(teacher.answer(2).await, ServerMsg::Ack { seq: Some(_), .. }));
    let ServerMsg::ChatRules(rules) = a.recv_until(|m| matches!(m, ServerMsg::ChatRules(_))).await else {
        unreachable!()
    };
    assert_eq!(rules.whispers, WhisperRule::Off);

    a.send(&ClientMsg::Whisper { r#ref: Some(3), to: ben.id.clone(), text: "psst".into() }).await;
    assert!(matches!(a.answer(3).await, ServerMsg::Error { code: ErrorCode::WhispersOff, r#ref: Some(3), .. }));
    // Public chat and a teacher's whisper still go through.
    a.chat(4, "out loud").await;
    assert!(matches!(a.answer(4).await, ServerMsg::Ack { .. }));
    teacher.send(&ClientMsg::Whisper { r#ref: Some(5), to: ann.id.clone(), text: "see me".into() }).await;
    assert!(matches!(teacher.answer(5).await, ServerMsg::Ack { .. }));

    teacher.send(&ClientMsg::Whispers { r#ref: Some(6), rule: WhisperRule::VisibleToTeachers }).await;
    assert!(matches!(teacher.answer(6).await, ServerMsg::Ack { .. }));
    a.send(&ClientMsg::Whisper { r#ref: Some(7), to: ben.id.clone(), text: "psst".into() }).await;
    assert!(matches!(a.answer(7).await, ServerMsg::Ack { .. }));
    let history = server.history(&room, &ben.token, "").await;
    let kinds: Vec<SystemEventKind> = history.iter().filter_map(|m| m.event.as_ref().map(|e| e.kind)).collect();
    assert!(kinds.ends_with(&[SystemEventKind::WhispersOff, SystemEventKind::WhispersOn]), "{kinds:?}");
}
