//! `DELETE /api/rooms/{roomId}`: a class's owner or the operator deletes a
//! class with everything of it. Checked against the database itself (the
//! SQLite file, the Postgres tables) and the uploads folder; the class's
//! sockets close with 4404, other classes are untouched, and with several
//! nodes any node takes the request.

mod common;

use common::cluster::{connect_at, TestCluster};
use common::*;
use jigsync_schema::{ClientMsg, ServerMsg};
use jigsync_server::uploads::content_id;
use jigsync_testkit::postgres::TestPostgres;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Tables a furnished class has rows in (`rooms` by `id`, the others by
/// `room_id`): the other class must keep its rows in each.
const ROOM_TABLES: [&str; 9] = [
    "members",
    "messages",
    "puzzles",
    "boards",
    "board_updates",
    "board_snapshots",
    "board_drops",
    "room_uploads",
    "rooms",
];

/// Every table of the SQLite schema with a `room_id` column, and `rooms`:
/// the deleted class must have no row left in any, including tables added
/// after this test was written.
async fn sqlite_room_tables(server: &TestServer) -> Vec<String> {
    let url = format!("sqlite://{}?mode=ro", server.data_dir.join("jigsync.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the server's database");
    let mut tables: Vec<String> = sqlx::query_scalar(
        "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'room_id'",
    )
    .fetch_all(&pool)
    .await
    .expect("the schema's tables");
    pool.close().await;
    tables.push("rooms".into());
    assert!(tables.len() >= ROOM_TABLES.len(), "{tables:?}");
    tables
}

/// The same for the Postgres schema.
async fn postgres_room_tables(pool: &sqlx::PgPool) -> Vec<String> {
    let mut tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns
         WHERE column_name = 'room_id' AND table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("the schema's tables");
    tables.push("rooms".into());
    assert!(tables.len() >= ROOM_TABLES.len(), "{tables:?}");
    tables
}

/// `furnished_class` sends its drops as fast as it can.
const FAST_CLIENTS: [&str; 2] = ["--conn-rate", "5000"];

const OPERATOR_SECRET: &str = "operator-secret-of-the-district-0123456789";

async fn delete_room(server: &TestServer, room: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = server.http.delete(server.url(&format!("/api/rooms/{room}")));
    if let Some(token) = token {
        token_leaks::remember(token);
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("delete request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A class with a bit of everything: a student, a puzzle (of `png(400,
/// 300)`, which every such class uses), a chat picture, and a picture
/// posted but never shown, those two of the class's own (`seed` tells
/// classes' pictures apart).
struct Furnished {
    room: Room,
    ann: Person,
    board: u32,
    own_pictures: Vec<String>,
    /// The chat picture's URL with a member's grant.
    picture: String,
}

async fn furnished_class(server: &TestServer, name: &str, seed: u32) -> Furnished {
    let room = server.create_room(name, "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (status, shown) = upload(server, &room, &ann.token, png(30, seed), "shown.png").await;
    assert_eq!(status, 201, "{shown}");
    let chat_picture = shown["uploadId"].as_str().expect("id").to_owned();
    let (status, posted) = upload(server, &room, &room.teacher.token, png(20, seed), "unused.png").await;
    assert_eq!(status, 201, "{posted}");
    let (mut a, _) = server.connect(&ann.token).await;
    let replica = a.replica_of(board).await;
    a.send(&ClientMsg::Chat { r#ref: Some(1), text: "look".into(), upload: Some(chat_picture.clone()) }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    // Enough drops for the board's log to be compacted into a snapshot.
    let drops = 300;
    for i in 0..drops {
        a.send_update(2 + i, board, replica.drop_piece(1, 50.0 + f64::from(i % 100), 40.0), None).await;
    }
    assert!(matches!(a.answer(1 + drops).await, ServerMsg::Ack { .. }));
    a.close().await;
    let picture =
        with_grant(&format!("/uploads/{chat_picture}.png"), &upload_grant(server, &room.id, &ann.token).await);
    let own_pictures = vec![chat_picture, posted["uploadId"].as_str().expect("id").to_owned()];
    Furnished { room, ann, board, own_pictures, picture }
}

fn upload_files(server: &TestServer) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(server.data_dir.join("uploads"))
        .expect("uploads folder")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

async fn sqlite_rows(server: &TestServer, table: &str, room: &str) -> i64 {
    let url = format!("sqlite://{}?mode=ro", server.data_dir.join("jigsync.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the server's database");
    let column = if table == "rooms" { "id" } else { "room_id" };
    let count = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?"))
        .bind(room)
        .fetch_one(&pool)
        .await
        .expect("count rows");
    pool.close().await;
    count
}

async fn sqlite_upload_rows(server: &TestServer) -> Vec<String> {
    let url = format!("sqlite://{}?mode=ro", server.data_dir.join("jigsync.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the server's database");
    let ids = sqlx::query_scalar("SELECT id FROM uploads ORDER BY id").fetch_all(&pool).await.expect("uploads");
    pool.close().await;
    ids
}

#[tokio::test]
async fn deleting_a_class_removes_its_rows_and_the_pictures_only_it_used() {
    let server = TestServer::start_with(&FAST_CLIENTS).await;
    let doomed = furnished_class(&server, "Doomed", 1).await;
    let kept = furnished_class(&server, "Kept", 2).await;
    let shared_picture = content_id(&png(400, 300));
    let (room, ann) = (&doomed.room, &doomed.ann);
    assert!(upload_files(&server).contains(&doomed.own_pictures[0]));
    let (status, _) = server.get(&doomed.picture, None).await;
    assert_eq!(status, StatusCode::OK);

    // Its sockets, room channel and Yjs, and one of the other class.
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut student, _) = server.connect(&ann.token).await;
    let mut yjs = server.yjs(room, doomed.board, &ann.token).await;
    let (mut other, _) = server.connect(&kept.ann.token).await;

    let (status, body) = delete_room(&server, &room.id, Some(&room.teacher.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for client in [&mut teacher, &mut student, &mut yjs] {
        assert_eq!(client.closed().await.code, 4404);
    }

    for table in sqlite_room_tables(&server).await {
        assert_eq!(sqlite_rows(&server, &table, &room.id).await, 0, "{table} rows of the deleted class");
    }
    for table in ROOM_TABLES {
        assert!(sqlite_rows(&server, table, &kept.room.id).await > 0, "{table} rows of the other class");
    }
    let mut still_used = kept.own_pictures.clone();
    still_used.push(shared_picture);
    still_used.sort();
    assert_eq!(sqlite_upload_rows(&server).await, still_used, "upload rows");
    assert_eq!(upload_files(&server), still_used, "upload files");

    // History, pictures and the join code answer 404; the other class goes on.
    let (status, _) = server.get(&format!("/api/rooms/{}/messages", room.id), Some(&ann.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get(&doomed.picture, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.post("/api/join", None, json!({ "joinCode": room.join_code, "name": "Late" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    other.chat(7, "still here").await;
    assert!(matches!(other.answer(7).await, ServerMsg::Ack { .. }));
    let texts: Vec<String> =
        server.history(&kept.room, &kept.ann.token, "").await.into_iter().map(|m| m.text).collect();
    assert!(texts.contains(&"look".to_owned()) && texts.contains(&"still here".to_owned()), "{texts:?}");
    assert_eq!(server.metric("jigsync_rooms_deleted_total{reason=\"request\"}").await, 1.0);

    // Deleting again finds nothing.
    let (status, body) = delete_room(&server, &room.id, Some(&room.teacher.token)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn only_the_owner_or_the_operator_may_delete_a_class() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret_file = dir.path().join("operator");
    std::fs::write(&secret_file, format!("{OPERATOR_SECRET}\n")).expect("write the secret");
    let server = TestServer::start_with(&["--operator-token-file", secret_file.to_str().expect("utf-8")]).await;
    let room = server.create_room("Guarded", "T").await;
    let ann = server.join(&room, "Ann").await;
    let co_teacher = server.add_teacher(&room, "Co").await;
    let elsewhere = server.create_room("Elsewhere", "E").await;

    let refused = [
        (None, StatusCode::UNAUTHORIZED),
        (Some("not-a-token"), StatusCode::UNAUTHORIZED),
        (Some(&OPERATOR_SECRET[1..]), StatusCode::UNAUTHORIZED),
        (Some(ann.token.as_str()), StatusCode::FORBIDDEN),
        (Some(co_teacher.token.as_str()), StatusCode::FORBIDDEN),
        (Some(elsewhere.teacher.token.as_str()), StatusCode::FORBIDDEN),
    ];
    for (token, want) in refused {
        let (status, body) = delete_room(&server, &room.id, token).await;
        assert_eq!(status, want, "{token:?}: {body}");
    }
    assert_eq!(sqlite_rows(&server, "members", &room.id).await, 3, "nothing was deleted");

    // A class that has ended: its owner may still delete it.
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    assert_eq!(teacher.closed().await.code, 4404);
    let (status, body) = delete_room(&server, &room.id, Some(&room.teacher.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(sqlite_rows(&server, "rooms", &room.id).await, 0);

    // The operator may delete any class, open or not.
    let (mut e, _) = server.connect(&elsewhere.teacher.token).await;
    let (status, body) = delete_room(&server, &elsewhere.id, Some(OPERATOR_SECRET)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(e.closed().await.code, 4404);
    let (status, _) = delete_room(&server, "no-such-room", Some(OPERATOR_SECRET)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn postgres_rows(pool: &sqlx::PgPool, table: &str, room: &str) -> i64 {
    let column = if table == "rooms" { "id" } else { "room_id" };
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
        .bind(room)
        .fetch_one(pool)
        .await
        .expect("count rows")
}

async fn postgres_uploads(pool: &sqlx::PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(&format!("SELECT id FROM {table} ORDER BY id")).fetch_all(pool).await.expect("uploads")
}

#[tokio::test]
async fn a_class_on_postgres_is_deleted_with_its_rows_lease_and_pictures() {
    let db = TestPostgres::start();
    let url = db.create_database("deletion");
    let server = TestServer::start_with(&["--database-url", &url, "--node-id", "n1", "--conn-rate", "5000"]).await;
    let doomed = furnished_class(&server, "Doomed", 1).await;
    let kept = furnished_class(&server, "Kept", 2).await;
    let room = &doomed.room;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let pool = sqlx::PgPool::connect(&url).await.expect("connect to the test database");
    assert_eq!(postgres_rows(&pool, "room_leases", &room.id).await, 1, "served, so leased");

    let (status, body) = delete_room(&server, &room.id, Some(&room.teacher.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(teacher.closed().await.code, 4404);

    for table in postgres_room_tables(&pool).await {
        assert_eq!(postgres_rows(&pool, &table, &room.id).await, 0, "{table} rows of the deleted class");
    }
    for table in ROOM_TABLES {
        assert!(postgres_rows(&pool, table, &kept.room.id).await > 0, "{table} rows of the other class");
    }
    let mut still_used = kept.own_pictures.clone();
    still_used.push(content_id(&png(400, 300)));
    still_used.sort();
    assert_eq!(postgres_uploads(&pool, "uploads").await, still_used, "upload rows");
    assert_eq!(postgres_uploads(&pool, "upload_bytes").await, still_used, "upload bytes");
    let (status, _) = server.get(&doomed.picture, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_node_that_does_not_serve_the_class_forwards_its_deletion() {
    let cluster = TestCluster::start(2, &[]).await;
    let room = cluster.nodes[0].create_room("Spread", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let owner = cluster.wait_for_owner(&room.id).await;
    let mut a = connect_at(cluster.nodes[owner].addr, &room.id, &ann.token, None).await;
    assert!(matches!(a.recv().await, ServerMsg::Welcome { .. }));

    let (status, body) = delete_room(&cluster.nodes[1 - owner], &room.id, Some(&room.teacher.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(a.closed().await.code, 4404);
    for table in postgres_room_tables(&cluster.pool).await {
        assert_eq!(postgres_rows(&cluster.pool, &table, &room.id).await, 0, "{table} rows");
    }
    let owner_metric = cluster.nodes[owner].metric("jigsync_rooms_deleted_total{reason=\"request\"}").await;
    assert_eq!(owner_metric, 1.0, "the owner deleted it");
}
