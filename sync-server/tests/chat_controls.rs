//! A teacher's chat controls on the real server: muting one student and
//! switching chat off for the class are refused to students, refuse the
//! students' chat with their own codes (teachers still post), are announced
//! as system events, and are still in force after a `kill -9` and restart.

mod common;

use common::*;
use jigsync_schema::{ClientMsg, ErrorCode, ServerMsg, SystemEventKind};

#[tokio::test]
async fn a_muted_student_cannot_chat_until_the_teacher_lifts_it_even_across_a_restart() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Mute", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;

    b.send(&ClientMsg::Mute { r#ref: Some(1), user: ann.id.clone(), muted: true }).await;
    assert_eq!(b.refusal(1).await, Some(ErrorCode::Forbidden));
    teacher.send(&ClientMsg::Mute { r#ref: Some(2), user: room.teacher.id.clone(), muted: true }).await;
    assert_eq!(teacher.refusal(2).await, Some(ErrorCode::Invalid), "a teacher cannot be muted");

    teacher.send(&ClientMsg::Mute { r#ref: Some(3), user: ann.id.clone(), muted: true }).await;
    assert!(matches!(teacher.answer(3).await, ServerMsg::Ack { seq: Some(_), .. }));
    // The new rules, then the system message that explains them.
    let ServerMsg::ChatRules(rules) = a.recv_until(|m| matches!(m, ServerMsg::ChatRules(_))).await else {
        unreachable!()
    };
    assert_eq!(rules.muted, vec![ann.id.clone()]);
    let ServerMsg::Msg(notice) = a.recv().await else { panic!("the mute is announced next") };
    let event = notice.event.expect("an event");
    assert_eq!(event.kind, SystemEventKind::Mute);
    assert_eq!((event.user.as_str(), event.by.as_deref()), (ann.id.as_str(), Some(room.teacher.id.as_str())));
    assert_eq!(event.user_name.as_deref(), Some("Ann"));

    a.chat(4, "let me talk").await;
    assert_eq!(a.refusal(4).await, Some(ErrorCode::Muted));
    a.send(&ClientMsg::Whisper { r#ref: Some(5), to: ben.id.clone(), text: "psst".into() }).await;
    assert_eq!(a.refusal(5).await, Some(ErrorCode::Muted));
    b.chat(6, "I still can").await;
    assert!(matches!(b.answer(6).await, ServerMsg::Ack { .. }));

    // Stored: a new process still holds Ann back, and says so in the welcome.
    drop((a, b, teacher));
    server.kill9_and_restart();
    let (mut a, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { chat, .. } = welcome else { unreachable!() };
    assert_eq!(chat.muted, vec![ann.id.clone()]);
    a.chat(7, "after the restart").await;
    assert_eq!(a.refusal(7).await, Some(ErrorCode::Muted));

    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&ClientMsg::Mute { r#ref: Some(8), user: ann.id.clone(), muted: false }).await;
    assert!(matches!(teacher.answer(8).await, ServerMsg::Ack { .. }));
    a.recv_until(|m| matches!(m, ServerMsg::ChatRules(r) if r.muted.is_empty())).await;
    a.chat(9, "thank you").await;
    assert!(matches!(a.answer(9).await, ServerMsg::Ack { .. }));
    let kinds: Vec<SystemEventKind> =
        server.history(&room, &ben.token, "").await.iter().filter_map(|m| m.event.as_ref().map(|e| e.kind)).collect();
    assert!(kinds.ends_with(&[SystemEventKind::Mute, SystemEventKind::Unmute]), "{kinds:?}");
}

#[tokio::test]
async fn chat_off_keeps_students_quiet_but_not_teachers_even_across_a_restart() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Quiet", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut teacher, welcome) = server.connect(&room.teacher.token).await;
    let ServerMsg::Welcome { chat, .. } = welcome else { unreachable!() };
    assert!(!chat.chat_off);
    let (mut a, _) = server.connect(&ann.token).await;

    a.send(&ClientMsg::ChatOff { r#ref: Some(1), off: true }).await;
    assert_eq!(a.refusal(1).await, Some(ErrorCode::Forbidden));
    teacher.send(&ClientMsg::ChatOff { r#ref: Some(2), off: true }).await;
    assert!(matches!(teacher.answer(2).await, ServerMsg::Ack { seq: Some(_), .. }));
    a.recv_until(|m| matches!(m, ServerMsg::ChatRules(r) if r.chat_off)).await;

    a.chat(3, "hello?").await;
    assert_eq!(a.refusal(3).await, Some(ErrorCode::ChatOff));
    a.send(&ClientMsg::Whisper { r#ref: Some(4), to: ben.id.clone(), text: "psst".into() }).await;
    assert_eq!(a.refusal(4).await, Some(ErrorCode::ChatOff));
    teacher.chat(5, "eyes on your puzzles").await;
    assert!(matches!(teacher.answer(5).await, ServerMsg::Ack { .. }));

    drop((a, teacher));
    server.kill9_and_restart();
    let (mut a, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { chat, .. } = welcome else { unreachable!() };
    assert!(chat.chat_off, "chat off survives a restart");
    a.chat(6, "still off?").await;
    assert_eq!(a.refusal(6).await, Some(ErrorCode::ChatOff));

    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&ClientMsg::ChatOff { r#ref: Some(7), off: false }).await;
    assert!(matches!(teacher.answer(7).await, ServerMsg::Ack { .. }));
    a.recv_until(|m| matches!(m, ServerMsg::ChatRules(r) if !r.chat_off)).await;
    a.chat(8, "back").await;
    assert!(matches!(a.answer(8).await, ServerMsg::Ack { .. }));
    let kinds: Vec<SystemEventKind> =
        server.history(&room, &ben.token, "").await.iter().filter_map(|m| m.event.as_ref().map(|e| e.kind)).collect();
    assert!(kinds.ends_with(&[SystemEventKind::ChatOff, SystemEventKind::ChatOn]), "{kinds:?}");
}
