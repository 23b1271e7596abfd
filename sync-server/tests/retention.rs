//! Retention (`--retention-days`, in seconds here through the hidden
//! `--retention-secs`): classes closed or idle for longer are deleted, and
//! only those; a class with activity, or with someone connected, is kept.

mod common;

use std::time::{Duration, Instant};

use common::*;
use jigsync_schema::{ClientMsg, ServerMsg};

const RETENTION: Duration = Duration::from_secs(6);

async fn class_exists(server: &TestServer, room: &str) -> bool {
    let url = format!("sqlite://{}?mode=ro", server.data_dir.join("jigsync.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the server's database");
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rooms WHERE id = ?").bind(room).fetch_one(&pool).await.expect("count");
    pool.close().await;
    count == 1
}

#[tokio::test]
async fn classes_past_retention_are_deleted_and_active_ones_kept() {
    let server = TestServer::start_with(&["--retention-secs", "6", "--room-idle-secs", "1"]).await;
    let started = Instant::now();
    let closed = server.create_room("Closed", "T").await;
    let idle = server.create_room("Idle", "T").await;
    let chatty = server.create_room("Chatty", "T").await;
    let connected = server.create_room("Connected", "T").await;
    let (mut c, _) = server.connect(&closed.teacher.token).await;
    c.send(&ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    assert_eq!(c.closed().await.code, 4404);
    // Someone stays connected to this one throughout.
    let (mut stays, _) = server.connect(&connected.teacher.token).await;

    // Activity in "Chatty" well after the others were created.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut chat, _) = server.connect(&chatty.teacher.token).await;
    chat.chat(1, "still teaching").await;
    assert!(matches!(chat.answer(1).await, ServerMsg::Ack { .. }));
    chat.close().await;
    let chatted = Instant::now();

    // The closed and the idle class go once their time is past.
    let deadline = Instant::now() + RETENTION * 3;
    while class_exists(&server, &closed.id).await || class_exists(&server, &idle.id).await {
        assert!(Instant::now() < deadline, "the closed and the idle class were not deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started.elapsed() >= RETENTION, "deleted before their time");
    assert!(
        chatted.elapsed() < RETENTION,
        "the check below needs \"Chatty\" to be within its retention still ({:?} since it chatted)",
        chatted.elapsed()
    );
    assert!(class_exists(&server, &chatty.id).await, "a class with recent activity is kept");
    assert!(class_exists(&server, &connected.id).await, "a class with someone connected is kept");
    assert_eq!(server.metric("jigsync_rooms_deleted_total{reason=\"retention\"}").await, 2.0);

    // Its time comes too; the one with someone connected stays.
    let deadline = Instant::now() + RETENTION * 3;
    while class_exists(&server, &chatty.id).await {
        assert!(Instant::now() < deadline, "the class that chatted was not deleted once its time was past");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(class_exists(&server, &connected.id).await, "a class with someone connected is kept");
    stays.chat(2, "still here").await;
    assert!(matches!(stays.answer(2).await, ServerMsg::Ack { .. }));
}
