//! Picture uploads: sniffed types, size limit, content-addressed storage,
//! serving with the right headers, and chat messages that carry them. On
//! Postgres the bytes are in the database: any node serves an upload any
//! other node took. Who may fetch an upload: `private_uploads.rs`.

mod common;

use common::*;
use jigsync_schema::{ClientMsg, MessageKind, ServerMsg};
use jigsync_server::storage::postgres::PostgresStorage;
use jigsync_server::storage::sqlite::SqliteStorage;
use jigsync_server::storage::Storage;
use jigsync_server::uploads::{content_id, BlobStore};
use jigsync_testkit::postgres::TestPostgres;
use serde_json::json;

#[tokio::test]
async fn a_gif_is_stored_once_served_with_its_type_and_attached_to_chat() {
    let server = TestServer::start().await;
    let room = server.create_room("Gifs", "T").await;
    let ann = server.join(&room, "Ann").await;

    // The claimed file name is ignored: the bytes say GIF.
    let (status, body) = upload(&server, &room, &ann.token, TINY_GIF.to_vec(), "cat.png").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["contentType"], "image/gif");
    assert_eq!(body["bytes"], TINY_GIF.len());
    let id = body["uploadId"].as_str().unwrap().to_owned();
    let url = body["url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("/uploads/{id}.gif"));
    let (again, body2) = upload(&server, &room, &room.teacher.token, TINY_GIF.to_vec(), "same.gif").await;
    assert_eq!((again.as_u16(), body2["uploadId"].as_str()), (201, Some(id.as_str())), "same bytes, same id");

    let grant = upload_grant(&server, &room.id, &ann.token).await;
    let res = server.http.get(server.url(&with_grant(&url, &grant))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/gif");
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("private, max-age="));
    assert_eq!(res.bytes().await.unwrap().as_ref(), TINY_GIF);
    let wrong_ext = server.http.get(server.url(&with_grant(&format!("/uploads/{id}.png"), &grant))).send().await;
    assert_eq!(wrong_ext.unwrap().status(), 404);
    let traversal = server.http.get(server.url(&with_grant("/uploads/..%2Fsigning.key", &grant))).send().await;
    assert_eq!(traversal.unwrap().status(), 404);

    let (mut a, _) = server.connect(&ann.token).await;
    a.send(&ClientMsg::Chat { r#ref: Some(1), text: "".into(), upload: Some(id.clone()) }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    let ServerMsg::Msg(msg) = a.recv_until(|m| matches!(m, ServerMsg::Msg(m) if m.kind == MessageKind::Chat)).await
    else {
        unreachable!()
    };
    let attachment = msg.upload.expect("attachment");
    assert_eq!((attachment.id.as_str(), attachment.url.as_str()), (id.as_str(), url.as_str()));
    let history = server.history(&room, &room.teacher.token, "").await;
    assert!(history.iter().any(|m| m.upload.as_ref().is_some_and(|u| u.id == id)), "attachment is kept in history");
}

#[tokio::test]
async fn non_images_oversize_files_and_strangers_are_refused() {
    let server = TestServer::start_with(&["--max-upload-bytes", "2048"]).await;
    let room = server.create_room("Uploads", "T").await;
    let token = room.teacher.token.clone();

    let (status, body) = upload(&server, &room, &token, b"%PDF-1.7 not a picture".to_vec(), "x.gif").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (415, Some("unsupported_media_type")));
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'></svg>".to_vec();
    assert_eq!(upload(&server, &room, &token, svg, "x.svg").await.0, 415);

    let mut big = TINY_GIF.to_vec();
    big.resize(4096, 0);
    let (status, body) = upload(&server, &room, &token, big, "big.gif").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (413, Some("too_large")));

    let (status, _) = upload(&server, &room, "v1.forged.token", TINY_GIF.to_vec(), "a.gif").await;
    assert_eq!(status, 401);
    let other = server.create_room("Other", "T2").await;
    let (status, body) = upload(&server, &room, &other.teacher.token, TINY_GIF.to_vec(), "a.gif").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn uploads_are_limited_per_ip() {
    let server = TestServer::start_with(&["--upload-burst", "2", "--upload-rate-per-min", "1"]).await;
    let room = server.create_room("Upload budget", "T").await;
    let token = room.teacher.token.clone();
    assert_eq!(upload(&server, &room, &token, TINY_GIF.to_vec(), "1.gif").await.0, 201);
    assert_eq!(upload(&server, &room, &token, TINY_GIF.to_vec(), "2.gif").await.0, 201);
    let (status, body) = upload(&server, &room, &token, TINY_GIF.to_vec(), "3.gif").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (429, Some("rate_limited")));
}

#[tokio::test]
async fn an_upload_taken_by_one_node_is_served_by_another() {
    let db = TestPostgres::start();
    let url = db.create_database("uploads");
    // One signing key for both nodes, as a cluster is configured: a token
    // one node signed is good on the other.
    let keys = tempfile::tempdir().expect("temp dir");
    let key_file = keys.path().join("signing.key");
    std::fs::write(&key_file, "5a".repeat(32)).expect("write the key");
    let key_file = key_file.to_str().expect("a UTF-8 path");
    let one =
        TestServer::start_with(&["--database-url", &url, "--node-id", "n1", "--signing-key-file", key_file]).await;
    let two =
        TestServer::start_with(&["--database-url", &url, "--node-id", "n2", "--signing-key-file", key_file]).await;
    assert_ne!(one.data_dir, two.data_dir);

    let room = one.create_room("Shared pictures", "T").await;
    let picture = png(640, 480);
    let (status, body) = upload(&one, &room, &room.teacher.token, picture.clone(), "p.png").await;
    assert_eq!(status, 201, "{body}");
    let id = body["uploadId"].as_str().expect("an id").to_owned();
    let url_path = body["url"].as_str().expect("a url").to_owned();
    // A grant one node made is good on every node: they share the key.
    let grant = upload_grant(&one, &room.id, &room.teacher.token).await;

    for server in [&two, &one] {
        let res = server.http.get(server.url(&with_grant(&url_path, &grant))).send().await.expect("download");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), picture.as_slice(), "byte for byte");
    }
    // Nowhere on disk: a node's data dir holds no upload.
    for server in [&one, &two] {
        let files = std::fs::read_dir(server.data_dir.join("uploads")).map_or(0, |dir| dir.count());
        assert_eq!(files, 0, "no upload files under {}", server.data_dir.display());
    }

    // The same picture again, on the other node: the same id, stored once.
    let (status, body) = upload(&two, &room, &room.teacher.token, picture.clone(), "again.png").await;
    assert_eq!((status.as_u16(), body["uploadId"].as_str()), (201, Some(id.as_str())), "{body}");
    let gif = upload(&two, &room, &room.teacher.token, TINY_GIF.to_vec(), "cat.gif").await.1;
    let gif_url = with_grant(gif["url"].as_str().expect("a url"), &grant);
    let res = one.http.get(one.url(&gif_url)).send().await.expect("download");
    assert_eq!((res.status().as_u16(), res.bytes().await.expect("bytes").as_ref()), (200, TINY_GIF));

    // A puzzle starts on the second node from the picture the first took;
    // another room cannot start one from it (an upload id opens nothing).
    let start = json!({ "uploadId": id, "rows": 2, "cols": 2, "mode": "shared" });
    let (status, body) =
        two.post(&format!("/api/rooms/{}/puzzles", room.id), Some(&room.teacher.token), start.clone()).await;
    assert_eq!(status, 201, "{body}");
    let image = body["boards"][0]["meta"]["image"].as_str().map(str::to_owned);
    assert_eq!(image.as_deref(), Some(url_path.as_str()), "{body}");
    let there = two.create_room("Puzzle there", "T2").await;
    let (status, body) = two.post(&format!("/api/rooms/{}/puzzles", there.id), Some(&there.teacher.token), start).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn blob_stores_keep_each_picture_once_on_both_backends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStorage::open(&dir.path().join("jigsync.db")).await.expect("open SQLite");
    let files = sqlite.blob_store(dir.path().join("uploads")).expect("files");
    same_picture_at_once(&files, &files).await;
    let names: Vec<_> = std::fs::read_dir(dir.path().join("uploads")).expect("the uploads dir").collect();
    assert_eq!(names.len(), 1, "one file, no temporary files left: {names:?}");

    let db = tokio::task::spawn_blocking(TestPostgres::start).await.expect("start postgres");
    let first = PostgresStorage::connect(&db.url).await.expect("connect");
    let second = PostgresStorage::connect(&db.url).await.expect("connect a second node");
    let unused = tempfile::tempdir().expect("temp dir");
    let (one, two) = (first.blob_store(unused.path().join("a")), second.blob_store(unused.path().join("b")));
    same_picture_at_once(&one.expect("blob store"), &two.expect("blob store")).await;
    assert_eq!(std::fs::read_dir(unused.path()).expect("the temp dir").count(), 0, "no files on Postgres");
    first.close().await;
    second.close().await;
}

/// Stores one picture many times at once through two handles on a store,
/// then reads it back through both.
async fn same_picture_at_once(one: &BlobStore, two: &BlobStore) {
    let picture = png(300, 200);
    let id = content_id(&picture);
    assert_eq!(one.get(&id).await.expect("get"), None, "nothing before it is stored");
    let puts = (0..8).map(|i| if i % 2 == 0 { one.put(&id, &picture) } else { two.put(&id, &picture) });
    for stored in futures_util::future::join_all(puts).await {
        stored.expect("every put of the same picture succeeds");
    }
    assert_eq!(one.get(&id).await.expect("get"), Some(picture.clone()));
    assert_eq!(two.get(&id).await.expect("get"), Some(picture));
    assert_eq!(two.get(&content_id(b"never stored")).await.expect("get"), None);
}
