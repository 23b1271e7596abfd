//! Picture uploads: sniffed types, size limit, content-addressed storage,
//! serving with the right headers, and chat messages that carry them.

mod common;

use common::*;
use jigsync_schema::{ClientMsg, MessageKind, ServerMsg};

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

    let res = server.http.get(server.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/gif");
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), TINY_GIF);
    let wrong_ext = server.http.get(server.url(&format!("/uploads/{id}.png"))).send().await.unwrap();
    assert_eq!(wrong_ext.status(), 404);
    let traversal = server.http.get(server.url("/uploads/..%2Fsigning.key")).send().await.unwrap();
    assert_eq!(traversal.status(), 404);

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
