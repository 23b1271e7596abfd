//! `GET /api/rooms/{roomId}/report` on the real server, on SQLite and on
//! Postgres: per student, solved or not, time to solve, progress and drops,
//! for teachers only, and the same after the class ended and after `kill -9`
//! and a restart (it is read from the store).

mod common;

use common::*;
use jigsync_schema::{BoardInfo, ClientMsg, ServerMsg};
use jigsync_testkit::postgres::TestPostgres;
use serde_json::{json, Value};

#[tokio::test]
async fn the_class_report_on_sqlite() {
    let server = TestServer::start().await;
    class_report(server).await;
}

#[tokio::test]
async fn the_class_report_on_postgres() {
    let db = TestPostgres::start();
    let url = db.create_database("report");
    let server = TestServer::start_with(&["--database-url", &url, "--node-id", "n1"]).await;
    class_report(server).await;
}

fn board_of<'a>(boards: &'a [BoardInfo], user: &str) -> &'a BoardInfo {
    boards.iter().find(|b| b.members.iter().any(|m| m == user)).expect("a board of their own")
}

fn student<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["students"].as_array().expect("students").iter().find(|s| s["name"] == name).expect("in the report")
}

async fn class_report(mut server: TestServer) {
    let room = server.create_room("Report", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let cat = server.join(&room, "Cat").await;
    let boards = start_puzzle(&server, &room, "individual", 2, 2, json!([])).await;
    let (ann_board, ben_board) = (board_of(&boards, &ann.id).clone(), board_of(&boards, &ben.id).id);

    // Ann moves a piece, then puts all four where they belong: two drops, solved.
    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(ann_board.id).await;
    a.send_update(1, ann_board.id, ra.drop_piece(0, 300.0, 200.0), None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    let (pw, ph) = (f64::from(ann_board.meta.piece_width), f64::from(ann_board.meta.piece_height));
    let solved: Vec<_> = (0..4).map(|i| (i, 50.0 + (i % 2) as f64 * pw, 60.0 + (i / 2) as f64 * ph)).collect();
    a.send_update(2, ann_board.id, ra.set_pieces(&solved), None).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Ack { .. }));
    // Ben drops one piece; Cat none.
    let (mut b, _) = server.connect(&ben.token).await;
    let rb = b.replica_of(ben_board).await;
    b.send_update(1, ben_board, rb.drop_piece(1, 10.0, 10.0), None).await;
    assert!(matches!(b.answer(1).await, ServerMsg::Ack { .. }));

    let path = format!("/api/rooms/{}/report", room.id);
    let (status, body) = server.get(&path, Some(&ann.token)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, report) = server.get(&path, Some(&room.teacher.token)).await;
    assert_eq!(status.as_u16(), 200, "{report}");
    assert_eq!(report["roomName"], "Report");
    assert_eq!(report["closedAt"], Value::Null);
    assert_eq!(report["puzzle"]["mode"], "individual");
    let names: Vec<&str> = report["students"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Ann", "Ben", "Cat"], "students only, by name");
    let a_row = student(&report, "Ann");
    assert_eq!(
        (a_row["solved"].as_bool(), a_row["drops"].as_u64(), a_row["progress"].as_f64()),
        (Some(true), Some(2), Some(1.0))
    );
    assert_eq!(a_row["board"], ann_board.id);
    assert!(a_row["tookMs"].as_i64().is_some_and(|ms| ms >= 0), "{a_row}");
    let b_row = student(&report, "Ben");
    assert_eq!(
        (b_row["solved"].as_bool(), b_row["drops"].as_u64(), b_row["tookMs"].as_i64()),
        (Some(false), Some(1), None)
    );
    assert!(b_row["progress"].as_f64().is_some_and(|p| p < 1.0));
    assert_eq!(student(&report, "Cat")["drops"], 0);
    let _ = cat;

    // The class ends; the report stays for its teachers, also after a restart.
    let (mut t, _) = server.connect(&room.teacher.token).await;
    t.send(&ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    assert!(matches!(t.answer(1).await, ServerMsg::Ack { .. }));
    let (status, after_close) = server.get(&path, Some(&room.teacher.token)).await;
    assert_eq!(status.as_u16(), 200, "{after_close}");
    assert!(after_close["closedAt"].as_i64().is_some());
    assert_eq!(after_close["students"], report["students"]);
    drop((a, b, t));
    server.kill9_and_restart();
    let (status, restarted) = server.get(&path, Some(&room.teacher.token)).await;
    assert_eq!(status.as_u16(), 200, "{restarted}");
    assert_eq!(restarted, after_close);
    let (status, _) = server.get(&path, Some(&ben.token)).await;
    assert_eq!(status.as_u16(), 403, "students still may not read it");
}
