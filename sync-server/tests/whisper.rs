//! Whispers reach only their sender and recipient, live and in history.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::{ClientMsg, MessageKind, ServerMsg};

#[tokio::test]
async fn only_sender_and_recipient_ever_see_a_whisper() {
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
    for client in [&mut a, &mut b] {
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
    for client in [&mut c, &mut teacher] {
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
    assert_eq!(whispers(server.history(&room, &room.teacher.token, "").await), 0);
    let (_, welcome) = server.connect(&cat.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    assert_eq!(whispers(history), 0);
    let (_, welcome) = server.connect(&ben.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    assert_eq!(whispers(history), 1);
}
