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

/// Polls `/readyz` until it answers `want`; panics after `within`.
async fn wait_for_readiness(server: &TestServer, want: reqwest::StatusCode, within: std::time::Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (status, body) = server.get("/readyz", None).await;
        if status == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz is {status} {body}, not {want}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn readyz_answers_503_while_postgres_is_down_and_200_once_it_is_back() {
    let mut db = TestPostgres::start();
    let url = db.create_database("ready");
    let server = TestServer::start_with(&["--database-url", &url, "--node-id", "n1"]).await;
    let (status, body) = server.get("/readyz", None).await;
    assert_eq!((status, body["status"].as_str()), (reqwest::StatusCode::OK, Some("ready")));

    // Postgres stops, stays down for a few seconds, and starts again.
    let restart = tokio::task::spawn_blocking(move || {
        db.restart(std::time::Duration::from_secs(4));
        db
    });
    wait_for_readiness(&server, reqwest::StatusCode::SERVICE_UNAVAILABLE, WAIT).await;
    let (_, body) = server.get("/readyz", None).await;
    assert_eq!(body["reason"], "database", "{body}");
    assert_eq!(server.get("/healthz", None).await.0, reqwest::StatusCode::OK, "liveness does not depend on it");
    let _db = restart.await.expect("restart postgres");
    wait_for_readiness(&server, reqwest::StatusCode::OK, WAIT).await;
}
