//! Board history for replay (issue 15), through the real server: after
//! 1,000 drops and several compactions, the timeline `GET …/history`
//! returns rebuilds the very document the student saw after each drop, on
//! SQLite, on Postgres and from another node of a cluster; and only the
//! room's teachers and the board's members may read it.

mod common;

use std::time::Duration;

use common::cluster::{connect_at, TestCluster};
use common::*;
use jigsync_schema::{BoardHistory, ClientMsg, ServerMsg};
use jigsync_testkit::postgres::TestPostgres;
use reqwest::StatusCode;
use serde_json::json;
use yrs::types::ToJson;
use yrs::{Any, Transact};

const DROPS: usize = 1_000;
/// Compaction folds the log every 256 entries, and on a 4×4 board the 256
/// updates it archives outweigh its snapshot, so each compaction keeps a
/// keyframe: 1,001 entries (the scatter and the drops) make three.
const KEYFRAMES: usize = 3;
/// The drops come as fast as they are acknowledged: above the default
/// per-connection request rate.
const FAST: [&str; 2] = ["--conn-rate", "100000"];

/// GET the history of `board` with a query string (`""` or `?from=…`).
async fn fetch(server: &TestServer, room: &str, board: u32, token: &str, query: &str) -> (StatusCode, Vec<u8>) {
    token_leaks::remember(token);
    let url = server.url(&format!("/api/rooms/{room}/boards/{board}/history{query}"));
    let res = server.http.get(url).bearer_auth(token).send().await.expect("history request");
    let status = res.status();
    (status, res.bytes().await.expect("history body").to_vec())
}

async fn history(server: &TestServer, room: &str, board: u32, token: &str, query: &str) -> BoardHistory {
    let (status, body) = fetch(server, room, board, token, query).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    rmp_serde::from_slice(&body).expect("a MessagePack board history")
}

/// The pieces of a document as one comparable value.
fn pieces(replica: &Replica) -> Any {
    replica.pieces.to_json(&replica.doc.transact())
}

/// A replica from a keyframe, or an empty one.
fn replica_from(state: Option<&[u8]>) -> Replica {
    let replica = Replica::default();
    if let Some(state) = state {
        replica.apply(state);
    }
    replica
}

/// A student drops pieces of a 4×4 board 1,000 times, one at a time, and
/// keeps the pieces as they stood after each acknowledged drop; returns
/// the room, the board and those states (index k: after the k-th drop).
async fn solve_with_many_drops(server: &TestServer) -> (Room, Person, u32, Vec<Any>) {
    let room = server.create_room("Replay", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(server, &room, "individual", 4, 4, json!([])).await[0].id;
    let mut a = connect_at(server.addr, &room.id, &ann.token, None).await;
    let replica = a.replica_of(board).await;
    let mut states = vec![pieces(&replica)];
    for k in 0..DROPS {
        let r = u32::try_from(k + 1).expect("a small ref");
        let (x, y) = (10.0 + (k * 37 % 350) as f64, 10.0 + (k * 53 % 250) as f64);
        a.send_update(r, board, replica.drop_piece(k % 16, x, y), None).await;
        let answer = a.answer(r).await;
        assert!(matches!(answer, ServerMsg::Ack { .. }), "{answer:?}");
        states.push(pieces(&replica));
    }
    (room, ann, board, states)
}

/// Waits until the compactions the drops started have all landed.
async fn wait_for_keyframes(server: &TestServer, room: &Room, board: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let h = history(server, &room.id, board, &room.teacher.token, "").await;
        if h.keyframes.len() >= KEYFRAMES {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {} keyframes", h.keyframes.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The whole timeline rebuilds every state the student saw, keyframes
/// included; a window rebuilds the state at its start and end; the end is
/// the live document.
async fn history_rebuilds_every_state(server: &TestServer, room: &Room, ann: &Person, board: u32, states: &[Any]) {
    wait_for_keyframes(server, room, board).await;
    let whole = history(server, &room.id, board, &room.teacher.token, "").await;
    assert!(whole.base.is_none(), "the whole timeline starts at the scatter");
    assert_eq!(whole.updates.len(), DROPS + 1);
    assert_eq!(whole.keyframes.iter().map(|k| k.seq).collect::<Vec<_>>(), vec![256, 512, 768]);
    assert_eq!(whole.authors, vec![ann.id.clone()]);
    assert_eq!(whole.updates[0].author, None, "the scatter is the server's");
    assert!(whole.updates[1..].iter().all(|u| u.author == Some(0)));

    // Update seq k+1 is the k-th drop: replaying them one by one passes
    // through every state, and each keyframe is the state it dates.
    let replay = Replica::default();
    for (k, update) in whole.updates.iter().enumerate() {
        assert_eq!(update.seq, k as u64 + 1);
        replay.apply(&update.update);
        assert_eq!(pieces(&replay), states[k], "after update {}", update.seq);
    }
    for keyframe in &whole.keyframes {
        let k = usize::try_from(keyframe.seq).expect("seq") - 1;
        assert_eq!(keyframe.ts, whole.updates[k].ts);
        assert_eq!(pieces(&replica_from(Some(&keyframe.state))), states[k], "keyframe {}", keyframe.seq);
    }

    // A window at every 50th stored timestamp: its base and the updates up
    // to its end give the state after the last update of that time.
    for probe in whole.updates.iter().step_by(50) {
        let ts = probe.ts;
        let window = history(server, &room.id, board, &ann.token, &format!("?from={ts}&to={ts}")).await;
        assert!(window.updates.iter().all(|u| u.ts <= ts));
        let base_seq = window.base.as_ref().map_or(0, |b| b.seq);
        assert!(window.updates.first().is_none_or(|u| u.seq == base_seq + 1));
        let rebuilt = replica_from(window.base.as_ref().map(|b| b.state.as_slice()));
        for update in &window.updates {
            rebuilt.apply(&update.update);
        }
        let last = whole.updates.iter().rposition(|u| u.ts <= ts).expect("the probe itself");
        assert_eq!(pieces(&rebuilt), states[last], "at ts {ts}");
        if window.base.is_some() {
            assert!(window.updates.len() < 300, "the window starts at a nearby keyframe, not at the scatter");
        }
    }

    let (mut t, _) = server.connect(&room.teacher.token).await;
    let live = t.replica_of(board).await;
    assert_eq!(pieces(&live), states[DROPS], "the timeline ends at the live document");
}

#[tokio::test]
async fn a_thousand_drops_replay_exactly_after_compactions_on_sqlite() {
    let server = TestServer::start_with(&FAST).await;
    let (room, ann, board, states) = solve_with_many_drops(&server).await;
    history_rebuilds_every_state(&server, &room, &ann, board, &states).await;
}

#[tokio::test]
async fn a_thousand_drops_replay_exactly_after_compactions_on_postgres() {
    let db = TestPostgres::start();
    let url = db.create_database("history");
    let server = TestServer::start_with(&["--database-url", &url, "--node-id", "n1", FAST[0], FAST[1]]).await;
    let (room, ann, board, states) = solve_with_many_drops(&server).await;
    history_rebuilds_every_state(&server, &room, &ann, board, &states).await;
}

#[tokio::test]
async fn any_node_of_a_cluster_serves_the_history_of_a_room_another_node_owns() {
    let cluster = TestCluster::start(2, &[]).await;
    let room = cluster.nodes[0].create_room("Cluster replay", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let board = start_puzzle(&cluster.nodes[0], &room, "individual", 2, 2, json!([])).await[0].id;
    let owner = cluster.wait_for_owner(&room.id).await;
    let other = &cluster.nodes[1 - owner];
    let mut a = connect_at(cluster.nodes[owner].addr, &room.id, &ann.token, None).await;
    let replica = a.replica_of(board).await;
    for (r, (piece, x)) in [(0, 30.0), (1, 130.0), (2, 230.0)].into_iter().enumerate() {
        let r = r as u32 + 1;
        a.send_update(r, board, replica.drop_piece(piece, x, 40.0), None).await;
        assert!(matches!(a.answer(r).await, ServerMsg::Ack { .. }));
    }
    let h = history(other, &room.id, board, &room.teacher.token, "").await;
    assert_eq!(h.updates.len(), 4);
    let rebuilt = Replica::default();
    h.updates.iter().for_each(|u| rebuilt.apply(&u.update));
    assert_eq!(pieces(&rebuilt), pieces(&replica));
}

#[tokio::test]
async fn history_is_for_teachers_and_the_boards_members_only() {
    let server = TestServer::start().await;
    let room = server.create_room("Private", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let co = server.add_teacher(&room, "Co").await;
    let boards = start_puzzle(&server, &room, "individual", 2, 2, json!([])).await;
    let member_of = |user: &str| boards.iter().find(|b| b.members == [user.to_owned()]).expect("a board").id;
    let (anns, bens) = (member_of(&ann.id), member_of(&ben.id));
    let elsewhere = server.create_room("Elsewhere", "T2").await;
    let stranger = server.join(&elsewhere, "Cat").await;

    for token in [&ann.token, &room.teacher.token, &co.token] {
        assert_eq!(fetch(&server, &room.id, anns, token, "").await.0, StatusCode::OK);
    }
    let refused = |status: StatusCode, body: Vec<u8>| {
        let body: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
        (status, body["error"]["code"].as_str().map(str::to_owned))
    };
    let (status, body) = fetch(&server, &room.id, anns, &ben.token, "").await;
    assert_eq!(refused(status, body), (StatusCode::FORBIDDEN, Some("forbidden".into())), "another student's board");
    for token in [&stranger.token, &elsewhere.teacher.token] {
        let (status, body) = fetch(&server, &room.id, bens, token, "").await;
        assert_eq!(refused(status, body), (StatusCode::FORBIDDEN, Some("forbidden".into())), "another room's token");
    }
    let (status, body) = fetch(&server, &room.id, 999, &room.teacher.token, "").await;
    assert_eq!(refused(status, body), (StatusCode::NOT_FOUND, Some("not_found".into())));
    let (status, body) = fetch(&server, &room.id, anns, &ann.token, "?from=20&to=10").await;
    assert_eq!(refused(status, body), (StatusCode::BAD_REQUEST, Some("invalid".into())));
    let url = server.url(&format!("/api/rooms/{}/boards/{anns}/history", room.id));
    assert_eq!(server.http.get(url).send().await.expect("request").status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_shared_board_names_each_moves_author() {
    let server = TestServer::start().await;
    let room = server.create_room("Shared replay", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    for (r, person) in [&ann, &ben, &ann].into_iter().enumerate() {
        let (mut c, _) = server.connect(&person.token).await;
        let replica = c.replica_of(board).await;
        c.send_update(1, board, replica.drop_piece(r, 50.0 + r as f64 * 60.0, 60.0), None).await;
        assert!(matches!(c.answer(1).await, ServerMsg::Ack { .. }));
        c.close().await;
    }
    // Every student may replay the board they all write.
    let h = history(&server, &room.id, board, &ben.token, "").await;
    let authors: Vec<Option<&str>> =
        h.updates.iter().map(|u| u.author.map(|i| h.authors[i as usize].as_str())).collect();
    assert_eq!(authors, vec![None, Some(ann.id.as_str()), Some(ben.id.as_str()), Some(ann.id.as_str())]);
}

/// Once the class has ended its teachers still replay a student's board
/// (from the end-of-class report); the student's own token is refused as
/// on every route of a closed room.
#[tokio::test]
async fn after_the_class_only_its_teachers_replay() {
    let server = TestServer::start().await;
    let room = server.create_room("Ended", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "individual", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let replica = a.replica_of(board).await;
    a.send_update(1, board, replica.drop_piece(0, 40.0, 40.0), None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    let (mut t, _) = server.connect(&room.teacher.token).await;
    t.send(&ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    assert!(matches!(t.answer(1).await, ServerMsg::Ack { .. }));

    let h = history(&server, &room.id, board, &room.teacher.token, "").await;
    assert_eq!(h.updates.len(), 2, "the scatter and the drop");
    let rebuilt = Replica::default();
    h.updates.iter().for_each(|u| rebuilt.apply(&u.update));
    assert_eq!(pieces(&rebuilt), pieces(&replica));

    let (status, body) = fetch(&server, &room.id, board, &ann.token, "").await;
    let body: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}
