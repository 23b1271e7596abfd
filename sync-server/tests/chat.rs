//! Chat over the room channel: round trip across clients, acknowledgements,
//! history paging and resume, and refusal of bad input.

mod common;

use common::*;
use jigsync_schema::{ClientMsg, ErrorCode, MessageKind, ServerMsg};

#[tokio::test]
async fn chat_round_trips_across_three_clients_in_order() {
    let server = TestServer::start().await;
    let room = server.create_room("5B Maths", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { me, participants, room: room_id, .. } = welcome else { unreachable!() };
    assert_eq!(me.name, "Ann");
    assert_eq!(room_id, room.id);
    assert_eq!(participants.len(), 3);
    let (mut b, _) = server.connect(&ben.token).await;

    a.chat(1, "hello from Ann").await;
    let ack = a.answer(1).await;
    let ServerMsg::Ack { seq: Some(seq), .. } = ack else { panic!("{ack:?}") };
    for client in [&mut teacher, &mut a, &mut b] {
        let msg = client.recv_until(|m| matches!(m, ServerMsg::Msg(m) if m.kind == MessageKind::Chat)).await;
        let ServerMsg::Msg(msg) = msg else { unreachable!() };
        assert_eq!(msg.text, "hello from Ann");
        assert_eq!(msg.from.as_deref(), Some(ann.id.as_str()));
        assert_eq!(msg.seq, seq);
    }
    b.chat(2, "hi Ann").await;
    b.chat(3, "and hi Ms Park").await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        if let ServerMsg::Msg(m) = teacher.recv().await {
            seen.push(m.text);
        }
    }
    assert_eq!(seen, ["hi Ann", "and hi Ms Park"]);
}

#[tokio::test]
async fn history_pages_backwards_and_welcome_carries_recent_chat() {
    let server = TestServer::start_with(&["--chat-burst", "100"]).await;
    let room = server.create_room("History", "T").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    for i in 0..30u32 {
        teacher.chat(i, &format!("message {i}")).await;
        assert!(matches!(teacher.answer(i).await, ServerMsg::Ack { .. }));
    }
    let page = server.history(&room, &room.teacher.token, "?limit=10").await;
    let texts: Vec<_> = page.iter().map(|m| m.text.clone()).collect();
    assert_eq!(texts.first().map(String::as_str), Some("message 20"));
    assert_eq!(texts.last().map(String::as_str), Some("message 29"));
    let before = page[0].seq;
    let older = server.history(&room, &room.teacher.token, &format!("?limit=10&before={before}")).await;
    assert_eq!(older.last().unwrap().seq, before - 1);
    assert_eq!(older.last().unwrap().text, "message 19");
    let (status, body) =
        server.get(&format!("/api/rooms/{}/messages?limit=10", room.id), Some(&room.teacher.token)).await;
    assert_eq!(status, 200);
    assert_eq!(body["hasMore"], true);
    let (status, body) =
        server.get(&format!("/api/rooms/{}/messages?limit=500", room.id), Some(&room.teacher.token)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid")));
    let (status, _) = server.get(&format!("/api/rooms/{}/messages", room.id), None).await;
    assert_eq!(status, 401);

    let ann = server.join(&room, "Ann").await;
    let (_, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    assert_eq!(history.last().map(|m| m.kind), Some(MessageKind::System), "Ann's join is the newest message");
    assert!(history.iter().any(|m| m.text == "message 29"));
}

#[tokio::test]
async fn reconnecting_with_since_gets_exactly_the_missed_messages() {
    let server = TestServer::start().await;
    let room = server.create_room("Resume", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.chat(1, "before").await;
    let ServerMsg::Ack { seq: Some(last_seen), .. } = teacher.answer(1).await else { panic!() };
    teacher.close().await;

    let (mut a, _) = server.connect(&ann.token).await;
    a.chat(1, "missed one").await;
    a.answer(1).await;
    a.chat(2, "missed two").await;
    a.answer(2).await;

    let mut back = server.connect_raw(&room.teacher.token, Some(last_seen)).await;
    let ServerMsg::Welcome { history, truncated, .. } = back.recv().await else { panic!("welcome") };
    let texts: Vec<_> = history.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["missed one", "missed two"]);
    assert!(!truncated);
}

#[tokio::test]
async fn bad_requests_get_coded_errors_with_their_ref_and_change_nothing() {
    let server = TestServer::start().await;
    let room = server.create_room("Errors", "T").await;
    let (mut t, _) = server.connect(&room.teacher.token).await;

    t.chat(7, "   ").await;
    assert!(matches!(t.answer(7).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }));
    t.chat(8, &"x".repeat(2001)).await;
    assert!(matches!(t.answer(8).await, ServerMsg::Error { code: ErrorCode::TooLarge, .. }));
    t.send(&ClientMsg::Chat { r#ref: Some(9), text: "".into(), upload: Some("f".repeat(64)) }).await;
    assert!(matches!(t.answer(9).await, ServerMsg::Error { code: ErrorCode::NotFound, .. }));
    t.send(&ClientMsg::Whisper { r#ref: Some(10), to: "nobody".into(), text: "hi".into() }).await;
    assert!(matches!(t.answer(10).await, ServerMsg::Error { code: ErrorCode::NotFound, .. }));
    t.send_raw(vec![0x81, 0xa4, b'c', b'h', b'a', b't', 0x92, 42, 7]).await;
    assert!(matches!(t.answer(42).await, ServerMsg::Error { code: ErrorCode::Malformed, .. }));
    let text = "y".repeat(jigsync_schema::limits::MAX_FRAME_BYTES + 1000);
    let oversized = jigsync_schema::encode(&ClientMsg::Chat { r#ref: Some(11), text, upload: None });
    t.send_raw(oversized).await;
    assert!(matches!(t.answer(11).await, ServerMsg::Error { code: ErrorCode::TooLarge, .. }));

    // The connection survived all of that and nothing was stored.
    t.chat(12, "still here").await;
    assert!(matches!(t.answer(12).await, ServerMsg::Ack { .. }));
    let history = server.history(&room, &room.teacher.token, "").await;
    let chats: Vec<_> = history.iter().filter(|m| m.kind == MessageKind::Chat).map(|m| m.text.as_str()).collect();
    assert_eq!(chats, ["still here"]);
}

#[tokio::test]
async fn a_few_malformed_frames_are_answered_and_a_stream_of_them_closes() {
    let server = TestServer::start().await;
    let room = server.create_room("Garbage", "T").await;
    let (mut t, _) = server.connect(&room.teacher.token).await;
    for _ in 0..3 {
        t.send_raw(vec![0xc1, 0xff, 0x00]).await;
        let msg = t.recv_until(|m| !matches!(m, ServerMsg::Boards { .. })).await;
        assert!(matches!(msg, ServerMsg::Error { code: ErrorCode::Malformed, r#ref: None, .. }), "{msg:?}");
    }
    t.ws.send(tokio_tungstenite::tungstenite::Message::Text("{\"chat\":1}".into())).await.unwrap();
    assert!(matches!(t.recv().await, ServerMsg::Error { code: ErrorCode::Malformed, .. }));
    t.chat(1, "survived").await;
    assert!(matches!(t.answer(1).await, ServerMsg::Ack { .. }));
    for _ in 0..20 {
        if t.ws.send(tokio_tungstenite::tungstenite::Message::Binary(vec![0xc1].into())).await.is_err() {
            break;
        }
    }
    assert_eq!(t.closed().await.code, 4400);
}

use futures_util::SinkExt;

/// The room channel at the room's own URL, which a load balancer routes by:
/// it works like `/ws`, and refuses a token of another room with 4401.
#[tokio::test]
async fn the_room_channel_answers_at_the_rooms_own_url() {
    let server = TestServer::start().await;
    let room = server.create_room("Own URL", "T").await;
    let other = server.create_room("Other", "T2").await;
    let url = |room: &Room, token: &str| format!("ws://{}/ws/{}?token={token}", server.addr, room.id);
    let (ws, _) = tokio_tungstenite::connect_async(url(&room, &room.teacher.token)).await.unwrap();
    let mut client = Client { ws };
    assert!(matches!(client.recv().await, jigsync_schema::ServerMsg::Welcome { .. }));
    client.chat(1, "here").await;
    assert!(matches!(client.answer(1).await, jigsync_schema::ServerMsg::Ack { .. }));
    let (ws, _) = tokio_tungstenite::connect_async(url(&room, &other.teacher.token)).await.unwrap();
    assert_eq!(Client { ws }.closed().await.code, 4401);
}
