//! Standard Yjs sync on `/yjs/{room}/{board}`, spoken with yrs's own
//! y-protocols messages: the same documents and permissions as the room
//! channel.

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use jigsync_schema::ServerMsg;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::StateVector;

async fn send_y(client: &mut Client, msg: YMessage) {
    client.ws.send(WsMessage::Binary(msg.encode_v1().into())).await.unwrap();
}

async fn recv_y(client: &mut Client) -> YMessage {
    YMessage::decode_v1(&client.recv_frame().await).expect("a y-protocols message")
}

/// The server's step 1, our step 1, then its step 2 with the whole doc.
async fn handshake(client: &mut Client) -> Replica {
    let first = recv_y(client).await;
    assert!(matches!(first, YMessage::Sync(SyncMessage::SyncStep1(_))), "{first:?}");
    send_y(client, YMessage::Sync(SyncMessage::SyncStep1(StateVector::default()))).await;
    loop {
        if let YMessage::Sync(SyncMessage::SyncStep2(update)) = recv_y(client).await {
            let replica = Replica::default();
            replica.apply(&update);
            return replica;
        }
    }
}

async fn next_update(client: &mut Client) -> Vec<u8> {
    loop {
        if let YMessage::Sync(SyncMessage::Update(update)) = recv_y(client).await {
            return update;
        }
    }
}

#[tokio::test]
async fn a_yjs_client_and_the_room_channel_see_each_others_drops() {
    let server = TestServer::start().await;
    let room = server.create_room("Yjs", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 3, 3, json!([])).await[0].id;

    let mut y = server.yjs(&room, id, &room.teacher.token).await;
    let ry = handshake(&mut y).await;
    assert_eq!(ry.len(), 9);

    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(id).await;
    a.send_update(1, id, ra.drop_piece(2, 210.0, 20.0), None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    ry.apply(&next_update(&mut y).await);
    assert_eq!(ry.piece(2), Some((210.0, 20.0)));

    send_y(&mut y, YMessage::Sync(SyncMessage::Update(ry.drop_piece(7, 330.0, 44.0)))).await;
    let ServerMsg::Update { update, by, .. } = a.recv_until(|m| matches!(m, ServerMsg::Update { .. })).await else {
        unreachable!()
    };
    assert_eq!(by.as_deref(), Some(room.teacher.id.as_str()));
    ra.apply(&update);
    assert_eq!(ra.piece(7), Some((330.0, 44.0)));
}

#[tokio::test]
async fn yjs_connections_get_the_room_channels_permissions() {
    let server = TestServer::start().await;
    let room = server.create_room("Yjs perms", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let boards = start_puzzle(&server, &room, "individual", 2, 2, json!([])).await;
    let ann_board = boards.iter().find(|b| b.members == [ann.id.clone()]).unwrap().id;

    let mut no_access = server.yjs(&room, ann_board, &ben.token).await;
    assert_eq!(no_access.closed().await.code, 4403);
    let mut no_board = server.yjs(&room, ann_board + 50, &ann.token).await;
    assert_eq!(no_board.closed().await.code, 4404);
    let mut bad_token = server.yjs(&room, ann_board, "v1.nope.nope").await;
    assert_eq!(bad_token.closed().await.code, 4401);

    // Spotlighted, Ben may watch Ann's board, but his writes go nowhere.
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher
        .send(&jigsync_schema::ClientMsg::Spotlight { r#ref: Some(1), board: Some(ann_board), hide_names: false })
        .await;
    teacher.answer(1).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(ann_board).await;
    let before = ra.piece(1);
    let mut watcher = server.yjs(&room, ann_board, &ben.token).await;
    let rw = handshake(&mut watcher).await;
    send_y(&mut watcher, YMessage::Sync(SyncMessage::Update(rw.drop_piece(1, 9.0, 9.0)))).await;
    a.assert_no(Duration::from_millis(300), |m| matches!(m, ServerMsg::Update { .. })).await;
    let (mut check, _) = server.connect(&room.teacher.token).await;
    assert_eq!(check.replica_of(ann_board).await.piece(1), before);
    // And it is still a live reader.
    a.send_update(2, ann_board, ra.drop_piece(0, 77.0, 7.0), None).await;
    a.answer(2).await;
    rw.apply(&next_update(&mut watcher).await);
    assert_eq!(rw.piece(0), Some((77.0, 7.0)));
}

#[tokio::test]
async fn removing_a_student_closes_their_yjs_connection() {
    let server = TestServer::start().await;
    let room = server.create_room("Yjs kick", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let mut y = server.yjs(&room, id, &ann.token).await;
    handshake(&mut y).await;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&jigsync_schema::ClientMsg::Kick { r#ref: Some(1), user: ann.id.clone() }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    assert_eq!(y.closed().await.code, 4403);
    let mut again = server.yjs(&room, id, &ann.token).await;
    assert_eq!(again.closed().await.code, 4403);
}

/// Awareness (who is looking at the board): relayed between a board's Yjs
/// peers, answered when a newcomer queries it, and cleared for the others
/// when a peer disconnects.
#[tokio::test]
async fn awareness_is_relayed_answered_on_query_and_cleared_when_a_peer_leaves() {
    use yrs::sync::{Awareness, AwarenessUpdate};

    let server = TestServer::start().await;
    let room = server.create_room("Aware", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let mut a = server.yjs(&room, id, &ann.token).await;
    handshake(&mut a).await;
    let mut t = server.yjs(&room, id, &room.teacher.token).await;
    handshake(&mut t).await;

    let mut awareness = Awareness::new(yrs::Doc::with_client_id(77));
    awareness.set_local_state_raw(r#"{"user":"Ann"}"#);
    send_y(&mut a, YMessage::Awareness(awareness.update().unwrap())).await;
    let states = |update: &AwarenessUpdate| -> Vec<(u64, String)> {
        update.clients.iter().map(|(c, e)| (c.get(), e.json.to_string())).collect()
    };
    let relayed = next_awareness(&mut t).await;
    assert_eq!(states(&relayed), vec![(77, r#"{"user":"Ann"}"#.to_owned())]);

    let mut late = server.yjs(&room, id, &room.teacher.token).await;
    handshake(&mut late).await;
    send_y(&mut late, YMessage::AwarenessQuery).await;
    assert_eq!(states(&next_awareness(&mut late).await), vec![(77, r#"{"user":"Ann"}"#.to_owned())]);

    a.close().await;
    let cleared = next_awareness(&mut t).await;
    assert_eq!(states(&cleared), vec![(77, "null".to_owned())], "Ann's state is gone for the others");
}

async fn next_awareness(client: &mut Client) -> yrs::sync::AwarenessUpdate {
    loop {
        if let YMessage::Awareness(update) = recv_y(client).await {
            return update;
        }
    }
}
