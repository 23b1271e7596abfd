//! What happens to connections when something fails: a room's actor that
//! panics or stalls, clients that stop reading, a message over the
//! transport limit.
//! Nothing acknowledged is lost, no connection is left silent, and a stuck
//! peer's resources are freed within the write deadline.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{ClientMsg, ServerMsg};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::StateVector;

const ROOM_CONNECTIONS: &str = "jigsync_connections{channel=\"room\"}";

/// A room actor made to panic (test hook): every `/ws` and `/yjs`
/// connection of the room closes at once with 1011; clients that reconnect
/// get what they missed from storage and a fresh actor; other rooms never
/// notice.
#[tokio::test]
async fn a_failed_room_actor_closes_its_connections_with_1011_and_clients_resume() {
    let server = TestServer::start_with(&["--test-hooks"]).await;
    let room = server.create_room("Fragile", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let other = server.create_room("Elsewhere", "T2").await;
    let (mut bystander, _) = server.connect(&other.teacher.token).await;

    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let replica = a.replica_of(board).await;
    let mut y = server.yjs(&room, board, &ann.token).await;
    y.recv_frame().await; // the server's step 1: the connection is registered
    a.chat(1, "before the failure").await;
    let ServerMsg::Ack { seq: Some(seq), .. } = a.answer(1).await else { panic!("chat acked") };
    a.send_update(2, board, replica.drop_piece(1, 150.0, 50.0), None).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Ack { .. }));

    let res = server.http.post(server.url(&format!("/test-hooks/rooms/{}/fail", room.id))).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let started = Instant::now();
    assert_eq!(teacher.closed().await.code, 1011);
    assert_eq!(a.closed().await.code, 1011);
    assert_eq!(y.closed().await.code, 1011);
    assert!(started.elapsed() < Duration::from_secs(2), "closed at once, not by a timeout");
    server.wait_for_metric("jigsync_room_actor_failures_total", 1.0, WAIT).await;

    // Resume: the chat and the drop come back from storage.
    let mut again = server.connect_raw(&ann.token, Some(seq - 1)).await;
    let ServerMsg::Welcome { history, .. } = again.recv().await else { panic!("welcome") };
    assert!(history.iter().any(|m| m.seq == seq && m.text == "before the failure"), "{history:?}");
    again.send(&ClientMsg::Sync { r#ref: Some(1), board, sv: Vec::new() }).await;
    let ServerMsg::Doc { update, .. } = again.recv_until(|m| matches!(m, ServerMsg::Doc { .. })).await else {
        unreachable!()
    };
    let resumed = Replica::default();
    resumed.apply(&update);
    assert_eq!(resumed.piece(1), Some((150.0, 50.0)));
    again.chat(2, "after the failure").await;
    assert!(matches!(again.answer(2).await, ServerMsg::Ack { .. }), "a fresh actor serves the room");

    bystander.chat(1, "unaffected").await;
    assert!(matches!(bystander.answer(1).await, ServerMsg::Ack { .. }));
}

/// A 2 s write deadline, and no limit or queue bound that would end a
/// stalled connection before the deadline does.
const STALLED_WRITES: [&str; 10] = [
    "--write-timeout-secs",
    "2",
    "--conn-rate",
    "100000",
    "--chat-rate",
    "100000",
    "--chat-burst",
    "100000",
    "--queue-frames",
    "100000",
];

/// Ten clients that never read while the room keeps talking: each is given
/// up once a write to it has waited the write deadline, the connection gauge
/// returns to the one live teacher and the server's open sockets to where
/// they were. Further rounds of ten stuck clients leave the server's memory
/// where the earlier ones left it: what they held was freed, not leaked.
#[tokio::test]
async fn clients_that_never_read_are_dropped_within_the_write_deadline() {
    let server = TestServer::start_with(&STALLED_WRITES).await;
    let room = server.create_room("Stuck", "T").await;
    let mut students = Vec::new();
    for i in 0..10 {
        students.push(server.join(&room, &format!("S{i}")).await);
    }
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let sockets_before = server.open_sockets();
    let mut rss = Vec::new();
    for round in 0..3 {
        let mut stuck = Vec::new();
        for student in &students {
            // Connected, then never read again.
            stuck.push(server.connect_raw(&student.token, None).await);
        }
        server.wait_for_metric(ROOM_CONNECTIONS, 11.0, WAIT).await;
        // Long chats until the sockets are full and the writes stall.
        let mut sent = 0;
        while server.metric(ROOM_CONNECTIONS).await > 1.0 {
            for _ in 0..50 {
                assert!(matches!(long_chat(&mut teacher).await, ServerMsg::Ack { .. }), "the teacher is served");
            }
            sent += 50;
            assert!(sent <= 5000, "round {round}: the stuck clients were never dropped");
        }
        server.wait_for_metric(ROOM_CONNECTIONS, 1.0, Duration::from_secs(6)).await;
        assert!(server.metric("jigsync_write_timeouts_total").await >= 10.0 * f64::from(round + 1));
        assert_eq!(server.open_sockets(), sockets_before, "round {round}: every stuck socket is closed on the server");
        rss.push(rss_kib(server.pid()));
        drop(stuck);
    }
    // Each round pushes about 10 MB through the queues before the writes
    // stall; kept, that would show here. The allocator keeps its high-water
    // mark, so compare rounds, not the start.
    assert!(rss[2] < rss[1] + 8 * 1024, "RSS after each round, KiB: {rss:?}");
    teacher.close().await;
    server.wait_for_metric(ROOM_CONNECTIONS, 0.0, WAIT).await;
}

/// A client that stops reading but keeps sending: the connection's one task
/// is kept busy reading its requests (and the idle timeout fresh) while the
/// writes to it stall, and is still given up at the write deadline.
#[tokio::test]
async fn a_client_that_only_sends_is_dropped_within_the_write_deadline() {
    let server = TestServer::start_with(&STALLED_WRITES).await;
    let room = server.create_room("Talker", "T").await;
    let student = server.join(&room, "S").await;
    let mut talker = server.connect_raw(&student.token, None).await;
    server.wait_for_metric(ROOM_CONNECTIONS, 1.0, WAIT).await;
    // Long chats, each acked to the talker and sent back to it: its
    // socket fills while it goes on sending, never reading.
    let flood = tokio::spawn(async move {
        let chat = jigsync_schema::encode(&ClientMsg::Chat { r#ref: Some(1), text: "가".repeat(2000), upload: None });
        let started = Instant::now();
        while talker.ws.send(WsMessage::Binary(chat.clone().into())).await.is_ok() {
            assert!(started.elapsed() < Duration::from_secs(30), "the talker was never given up");
        }
        started.elapsed()
    });
    server.wait_for_metric(ROOM_CONNECTIONS, 0.0, Duration::from_secs(20)).await;
    assert!(server.metric("jigsync_write_timeouts_total").await >= 1.0, "given up for its stalled writes");
    let sent_for = tokio::time::timeout(WAIT, flood).await.expect("the talker's sends fail").expect("flood task");
    assert!(sent_for < Duration::from_secs(30));
}

/// A 2000-character Korean chat (6 KB); returns its answer.
async fn long_chat(client: &mut Client) -> ServerMsg {
    client.chat(7, &"가".repeat(2000)).await;
    client.answer(7).await
}

/// A slow consumer whose queue overflows (4503) is let go at once, without
/// waiting for the write deadline or for the peer to answer the close.
#[tokio::test]
async fn a_slow_consumer_is_let_go_at_once() {
    let server =
        TestServer::start_with(&["--write-timeout-secs", "60", "--conn-rate", "1000", "--queue-frames", "16"]).await;
    let room = server.create_room("Overflow", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 40, 25, json!([])).await[0].id;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let _stuck = server.connect_raw(&ann.token, None).await;
    server.wait_for_metric(ROOM_CONNECTIONS, 2.0, WAIT).await;
    let started = Instant::now();
    let mut r#ref = 0;
    while server.metric("jigsync_queue_overflow_total").await < 1.0 {
        r#ref += 1;
        teacher.send(&ClientMsg::Reset { r#ref: Some(r#ref), board }).await;
        teacher.answer(r#ref).await;
        assert!(r#ref < 500, "the queue never overflowed");
    }
    server.wait_for_metric(ROOM_CONNECTIONS, 1.0, Duration::from_secs(3)).await;
    assert!(started.elapsed() < Duration::from_secs(30), "not held until the 60 s write deadline");
}

/// A message over the 1 MiB transport limit closes the connection with
/// 1009, and the client reads that close frame (it is not reset before it
/// gets there), on the room channel and on `/yjs`.
#[tokio::test]
async fn a_message_over_the_transport_limit_closes_with_1009() {
    let server = TestServer::start().await;
    let room = server.create_room("Huge", "T").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let huge = vec![0u8; 1024 * 1024 + 100];

    let (client, _) = server.connect(&room.teacher.token).await;
    assert_eq!(send_while_reading(client, huge.clone()).await, 1009);
    let mut y = server.yjs(&room, board, &room.teacher.token).await;
    y.ws.send(WsMessage::Binary(YMessage::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1().into()))
        .await
        .unwrap();
    assert_eq!(send_while_reading(y, huge).await, 1009);
    let (mut fine, _) = server.connect(&room.teacher.token).await;
    fine.chat(1, "the server is fine").await;
    assert!(matches!(fine.answer(1).await, ServerMsg::Ack { .. }));
}

/// Sends `bytes` as one message while reading, as a browser does; returns
/// the close code the server sent.
async fn send_while_reading(client: Client, bytes: Vec<u8>) -> u16 {
    let (mut sink, mut stream) = client.ws.split();
    let sending = tokio::spawn(async move {
        let _ = sink.send(WsMessage::Binary(bytes.into())).await;
        sink
    });
    let code = loop {
        match tokio::time::timeout(WAIT, stream.next()).await.expect("a close frame in time") {
            Some(Ok(WsMessage::Close(Some(frame)))) => break u16::from(frame.code),
            Some(Ok(_)) => continue,
            other => panic!("connection ended without a close frame: {other:?}"),
        }
    };
    sending.abort();
    code
}

/// A client may send its first message right behind the upgrade request,
/// in the same write, before the 101 has come back. The session reads its
/// socket once as it opens (so that hyper lets go of the upgrade's read
/// buffer at once), before its room has answered the connect: a message
/// that read returns must be handled like any other, not dropped.
#[tokio::test]
async fn a_message_sent_with_the_upgrade_request_is_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::Role;

    let server = TestServer::start().await;
    let room = server.create_room("Eager", "T").await;
    let ann = server.join(&room, "Ann").await;
    common::token_leaks::remember(&ann.token);

    let payload = jigsync_schema::encode(&ClientMsg::Chat { r#ref: Some(7), text: "right away".into(), upload: None });
    assert!(payload.len() < 126, "one-byte length");
    let mask = [0x11u8, 0x22, 0x33, 0x44];
    let mut bytes = format!(
        "GET /ws/{}?token={} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        room.id, ann.token, server.addr
    )
    .into_bytes();
    bytes.extend([0x82, 0x80 | payload.len() as u8]);
    bytes.extend(mask);
    bytes.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.expect("connect");
    tcp.write_all(&bytes).await.expect("write");

    // The 101's head, byte by byte so that no frame is read past it.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(Duration::from_secs(10), tcp.read_u8()).await.expect("101 in time");
        head.push(byte.expect("read the answer"));
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));

    let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
        tokio_tungstenite::MaybeTlsStream::Plain(tcp),
        Role::Client,
        None,
    )
    .await;
    let mut ann_socket = Client { ws };
    assert!(
        matches!(ann_socket.answer(7).await, ServerMsg::Ack { .. }),
        "the chat sent with the upgrade is acknowledged"
    );
    let history = server.history(&room, &ann.token, "").await;
    assert!(history.iter().any(|m| format!("{m:?}").contains("right away")), "the chat is stored: {history:?}");
}

/// A teacher whose requests fill the room actor's queue (the actor stalled,
/// as behind a slow commit) waits for room in it, and meanwhile still gets
/// what needs no actor: a student's drag positions, relayed by the
/// student's own session. Once the actor is back, every request is
/// answered, in order.
#[tokio::test]
async fn a_connection_waiting_for_room_in_its_rooms_queue_still_gets_drag_positions() {
    const FLOOD: u32 = 1_100; // more than the room actor's queue holds
    let server = TestServer::start_with(&["--test-hooks", "--conn-rate", "100000", "--queue-frames", "8192"]).await;
    let room = server.create_room("Crowded", "T").await;
    let ann = server.join(&room, "Ann").await;
    let boards = start_puzzle(&server, &room, "individual", 3, 3, json!([])).await;
    let board = boards.iter().find(|b| b.members == [ann.id.clone()]).expect("Ann's board").id;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&ClientMsg::Focus { r#ref: Some(1), board: Some(board) }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    let (mut a, _) = server.connect(&ann.token).await;
    a.send(&ClientMsg::Grab { r#ref: Some(1), board, piece: 0 }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));

    let (status, _) = server.post(&format!("/test-hooks/rooms/{}/stall/8000", room.id), None, json!({})).await;
    assert_eq!(status, 202);
    for r in 0..FLOOD {
        teacher.send(&ClientMsg::Focus { r#ref: Some(100 + r), board: Some(board) }).await;
    }
    server.wait_for_metric("jigsync_room_queue_full_total", 1.0, Duration::from_secs(5)).await;

    for seq in 1..=10u32 {
        a.send(&ClientMsg::Move(jigsync_schema::Move { board, piece: 0, x: seq as f32, y: 5.0, seq, t: seq })).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let first = teacher
        .recv_until(|m| matches!(m, ServerMsg::Motion { .. } | ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
        .await;
    let ServerMsg::Motion { moves } = first else {
        panic!("the teacher got nothing while its request waited for the stalled room: {first:?}");
    };
    assert!(moves.iter().all(|m| m.board == board && m.piece == 0), "{moves:?}");

    let mut answered = 0;
    while answered < FLOOD {
        match teacher.recv().await {
            ServerMsg::Ack { r#ref: Some(r), .. } => {
                assert_eq!(r, 100 + answered, "answered in order");
                answered += 1;
            }
            ServerMsg::Error { r#ref, code, .. } => panic!("request {ref:?} refused: {code:?}"),
            _ => {}
        }
    }
}
