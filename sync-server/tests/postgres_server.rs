//! The whole server on Postgres (`--database-url`): a class runs as on
//! SQLite, and what was acknowledged survives `kill -9`.

mod common;

use common::*;
use jigsync_schema::ServerMsg;
use jigsync_testkit::postgres::TestPostgres;
use serde_json::json;

#[tokio::test]
async fn a_class_on_postgres_keeps_what_was_acknowledged_across_kill_9() {
    let db = TestPostgres::start();
    let url = db.create_database("class");
    // A node that restarts under its configured id takes its rooms back at
    // once (another node would wait for their leases to run out).
    let mut server = TestServer::start_with(&["--database-url", &url, "--node-id", "n1"]).await;
    let room = server.create_room("Postgres", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let replica = a.replica_of(board).await;
    a.chat(1, "stored in postgres").await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { seq: Some(_), .. }));
    a.send_update(2, board, replica.drop_piece(3, 140.0, 70.0), None).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Ack { .. }));

    server.kill9_and_restart();
    let history = server.history(&room, &ann.token, "").await;
    assert!(history.iter().any(|m| m.text == "stored in postgres"), "{history:?}");
    let (mut t, _) = server.connect(&room.teacher.token).await;
    assert_eq!(t.replica_of(board).await.piece(3), Some((140.0, 70.0)));
}
