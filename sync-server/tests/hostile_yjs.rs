//! Hostile Yjs bytes from a student: updates and state vectors crafted to
//! crash yrs (stack overflow, panics in its block store, debug assertions)
//! or to bloat a board. Every one must be refused with `invalid` on the room
//! channel (dropped on `/yjs`), reach no yrs panic, and leave the room and
//! the rest of the server working. The server under test is the debug build,
//! so yrs' debug assertions would fire if one of these got through.

mod common;

use std::time::Duration;

use common::crafted::{crafted_sequences, nested_update};
use common::*;
use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{ClientMsg, ErrorCode, ServerMsg};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::StateVector;

/// Every sequence, on a student's own board: each update is refused with
/// `invalid`, nothing reaches a yrs panic, and the room goes on: the student
/// still drops pieces, a classmate still chats, a fresh connection loads the
/// board, and so does a restarted server.
#[tokio::test]
async fn crafted_updates_are_refused_and_the_room_keeps_working() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Hostile", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let boards = start_puzzle(&server, &room, "individual", 2, 2, json!([])).await;
    let ann_board = boards.iter().find(|b| b.members == [ann.id.clone()]).unwrap().id;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;
    let replica = a.replica_of(ann_board).await;

    let mut r#ref = 0;
    for (name, updates) in crafted_sequences() {
        for update in updates {
            r#ref += 1;
            a.send_update(r#ref, ann_board, update, None).await;
            match a.answer(r#ref).await {
                ServerMsg::Error { code: ErrorCode::Invalid, .. } => {}
                other => panic!("{name}: expected invalid, got {other:?}"),
            }
        }
    }
    assert_eq!(server.metric("jigsync_yrs_panics_total{op=\"applying an update\"}").await, 0.0);

    a.send_update(1000, ann_board, replica.drop_piece(3, 120.0, 90.0), None).await;
    assert!(matches!(a.answer(1000).await, ServerMsg::Ack { .. }), "the board still takes drops");
    b.chat(1, "still here").await;
    assert!(matches!(b.answer(1).await, ServerMsg::Ack { .. }));
    a.recv_until(|m| matches!(m, ServerMsg::Msg(msg) if msg.text == "still here")).await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    assert_eq!(teacher.replica_of(ann_board).await.piece(3), Some((120.0, 90.0)));

    server.kill9_and_restart();
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let reloaded = teacher.replica_of(ann_board).await;
    assert_eq!((reloaded.len(), reloaded.piece(3)), (4, Some((120.0, 90.0))), "the stored log holds only good writes");
}

/// The nested value that overflowed yrs' decoder, on `/ws` and on `/yjs`,
/// while another room chats: the server stays up and the other room never
/// notices.
#[tokio::test]
async fn a_deeply_nested_value_is_refused_on_both_channels_and_other_rooms_keep_chatting() {
    let server = TestServer::start().await;
    let target = server.create_room("Target", "T").await;
    let mallory = server.join(&target, "Mallory").await;
    let board = start_puzzle(&server, &target, "shared", 2, 2, json!([])).await[0].id;
    let other = server.create_room("Bystanders", "T2").await;
    let (mut bystander, _) = server.connect(&other.teacher.token).await;

    let (mut m, _) = server.connect(&mallory.token).await;
    m.send_update(1, board, nested_update(30_000), None).await;
    assert!(matches!(m.answer(1).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }));

    let mut y = server.yjs(&target, board, &mallory.token).await;
    y.ws.send(WsMessage::Binary(YMessage::Sync(SyncMessage::Update(nested_update(30_000))).encode_v1().into()))
        .await
        .unwrap();
    y.ws.send(WsMessage::Binary(YMessage::Sync(SyncMessage::SyncStep2(nested_update(20_000))).encode_v1().into()))
        .await
        .unwrap();
    // The Yjs connection is still served: it answers a step 1.
    y.ws.send(WsMessage::Binary(YMessage::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1().into()))
        .await
        .unwrap();
    loop {
        let msg = YMessage::decode_v1(&y.recv_frame().await).unwrap();
        if matches!(msg, YMessage::Sync(SyncMessage::SyncStep2(_))) {
            break;
        }
    }

    for i in 0..3 {
        bystander.chat(i, "business as usual").await;
        assert!(matches!(bystander.answer(i).await, ServerMsg::Ack { .. }));
    }
    m.chat(9, "did it work?").await;
    assert!(matches!(m.answer(9).await, ServerMsg::Ack { .. }), "the target room works too");
}

/// Client ids of 2^53 and more trip yrs' debug assertions wherever it reads
/// one: in a `sync` state vector and in a `/yjs` step 1. They are refused
/// before yrs sees them.
#[tokio::test]
async fn state_vectors_out_of_range_are_refused_before_yrs_reads_them() {
    let server = TestServer::start().await;
    let room = server.create_room("SV", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let bad_vectors = [
        hex::decode("01808080808080801000").unwrap(), // client 2^53
        hex::decode("0105ffffffff0f").unwrap(),       // clock 2^32 - 1
        hex::decode("8080808002").unwrap(),           // 2^29 entries in 5 bytes
        vec![0xff],
    ];
    for (i, sv) in bad_vectors.iter().enumerate() {
        let r#ref = i as u32 + 1;
        a.send(&ClientMsg::Sync { r#ref: Some(r#ref), board, sv: sv.clone() }).await;
        assert!(
            matches!(a.answer(r#ref).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }),
            "{}",
            hex::encode(sv)
        );
    }

    let mut y = server.yjs(&room, board, &ann.token).await;
    let mut step1 = vec![0, 0];
    step1.push(bad_vectors[0].len() as u8);
    step1.extend(&bad_vectors[0]);
    y.ws.send(WsMessage::Binary(step1.into())).await.unwrap();
    y.ws.send(WsMessage::Binary(YMessage::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1().into()))
        .await
        .unwrap();
    let mut answers = 0;
    loop {
        match tokio::time::timeout(Duration::from_millis(500), y.ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(bytes)))) => {
                if matches!(YMessage::decode_v1(&bytes), Ok(YMessage::Sync(SyncMessage::SyncStep2(_)))) {
                    answers += 1;
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    assert_eq!(answers, 1, "only the good step 1 is answered");
    for op in ["encoding a diff", "applying an update"] {
        assert_eq!(server.metric(&format!("jigsync_yrs_panics_total{{op=\"{op}\"}}")).await, 0.0);
    }
}

/// A drop whose piece carries extra fields was stored whole; now it is
/// refused, and the document every new connection downloads stays small.
#[tokio::test]
async fn a_piece_with_extra_fields_is_refused_and_the_document_stays_small() {
    use std::collections::HashMap;
    use std::sync::Arc;
    use yrs::{Any, Map, Transact};

    let server = TestServer::start().await;
    let room = server.create_room("Pad", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 3, 3, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut t, _) = server.connect(&room.teacher.token).await;
    let before = doc_size(&mut t, board).await;
    for i in 0..4u32 {
        // A fresh replica each time, as a client does after a refusal.
        a.send(&ClientMsg::Sync { r#ref: Some(100 + i), board, sv: Vec::new() }).await;
        let replica = a.replica_of(board).await;
        let update = {
            let mut fields: HashMap<String, Any> =
                ["x", "y", "r", "z", "g"].iter().map(|k| ((*k).to_owned(), Any::from(10.0))).collect();
            fields.insert("pad".into(), Any::from("x".repeat(60_000)));
            let mut txn = replica.doc.transact_mut();
            replica.pieces.insert(&mut txn, i.to_string(), Any::Map(Arc::new(fields)));
            txn.encode_update_v1()
        };
        a.send_update(i + 1, board, update, None).await;
        let ServerMsg::Error { code: ErrorCode::Invalid, message, .. } = a.answer(i + 1).await else {
            panic!("a padded piece must be refused");
        };
        assert!(message.contains("piece"), "{message}");
    }
    let after = doc_size(&mut t, board).await;
    assert_eq!(after, before, "nothing was stored");
}

/// The size of the board's whole document as a fresh `sync` returns it.
async fn doc_size(client: &mut Client, board: u32) -> usize {
    client.send(&ClientMsg::Sync { r#ref: Some(77), board, sv: Vec::new() }).await;
    let ServerMsg::Doc { update, .. } = client.recv_until(|m| matches!(m, ServerMsg::Doc { .. })).await else {
        unreachable!()
    };
    client.answer(77).await;
    update.len()
}

/// yrs panicking on a write that passed the checks (forced by a test hook,
/// since no known input gets that far): the sender gets `internal`, the
/// panic is counted, the board is rebuilt from storage, and the same write
/// sent again from a rebuilt replica is stored; the room never stopped.
#[tokio::test]
async fn a_panic_inside_yrs_costs_one_request_and_the_board_is_rebuilt() {
    let server = TestServer::start_with(&["--test-hooks"]).await;
    let room = server.create_room("Panic", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut t, _) = server.connect(&room.teacher.token).await;
    t.replica_of(board).await; // the fresh connection's own doc
    let replica = a.replica_of(board).await;
    a.send_update(1, board, replica.drop_piece(0, 50.0, 60.0), None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));

    let hook = format!("/test-hooks/rooms/{}/boards/{board}/fail-next-write", room.id);
    assert_eq!(server.http.post(server.url(&hook)).send().await.unwrap().status(), 202);
    a.send_update(2, board, replica.drop_piece(1, 70.0, 80.0), None).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Error { code: ErrorCode::Internal, .. }));
    assert_eq!(server.metric("jigsync_yrs_panics_total{op=\"applying an update\"}").await, 1.0);

    // The rebuilt board has the first drop, not the failed one.
    let rebuilt = t.replica_of_sync(board).await;
    assert_eq!(rebuilt.piece(0), Some((50.0, 60.0)));
    assert_ne!(rebuilt.piece(1), Some((70.0, 80.0)));
    a.send(&ClientMsg::Sync { r#ref: Some(3), board, sv: Vec::new() }).await;
    let fresh = a.replica_of(board).await;
    a.send_update(4, board, fresh.drop_piece(1, 70.0, 80.0), None).await;
    assert!(matches!(a.answer(4).await, ServerMsg::Ack { .. }));
    t.chat(1, "the room goes on").await;
    assert!(matches!(t.answer(1).await, ServerMsg::Ack { .. }));
}
