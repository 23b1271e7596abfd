//! Rate limits: per user for chat, per connection for everything, per IP for
//! joins (with X-Forwarded-For believed only from trusted proxies).

mod common;

use common::*;
use futures_util::SinkExt;
use jigsync_schema::{ClientMsg, ErrorCode, ServerMsg};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn chat_over_the_per_user_budget_is_refused_then_sustained_abuse_closes() {
    let server = TestServer::start_with(&["--chat-rate", "1", "--chat-burst", "3"]).await;
    let room = server.create_room("Spam", "T").await;
    let (mut t, _) = server.connect(&room.teacher.token).await;
    let mut acked = 0;
    let mut limited = 0;
    for i in 0..8u32 {
        t.chat(i, "spam").await;
        match t.answer(i).await {
            ServerMsg::Ack { .. } => acked += 1,
            ServerMsg::Error { code: ErrorCode::RateLimited, r#ref, .. } => {
                assert_eq!(r#ref, Some(i));
                limited += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!((3..=5).contains(&acked), "burst of 3 plus at most a refill or two, got {acked}");
    assert_eq!(acked + limited, 8);
    // Keep going far past the limit: the connection is closed.
    for i in 100..200u32 {
        let frame = jigsync_schema::encode(&ClientMsg::Chat { r#ref: Some(i), text: "spam".into(), upload: None });
        if t.ws.send(Message::Binary(frame.into())).await.is_err() {
            break;
        }
    }
    assert_eq!(t.closed().await.code, 4429);
}

#[tokio::test]
async fn joins_are_limited_per_ip_and_forwarded_for_counts_only_from_trusted_proxies() {
    let server = TestServer::start_with(&["--join-burst", "3", "--join-rate-per-min", "1"]).await;
    let room = server.create_room("Joins", "T").await; // uses one of the 3
    let join = |xff: &'static str| {
        let req = server
            .http
            .post(server.url("/api/join"))
            .header("x-forwarded-for", xff)
            .json(&json!({ "joinCode": room.join_code, "name": "S" }));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(join("1.1.1.1").await, 200);
    assert_eq!(join("2.2.2.2").await, 200);
    // The peer (127.0.0.1) is not a trusted proxy: all three share its bucket.
    assert_eq!(join("3.3.3.3").await, 429);

    let proxied =
        TestServer::start_with(&["--join-burst", "2", "--join-rate-per-min", "1", "--trusted-proxy", "127.0.0.0/8"])
            .await;
    let room = proxied.create_room("Proxied", "T").await;
    let join = |xff: &'static str| {
        let req = proxied
            .http
            .post(proxied.url("/api/join"))
            .header("x-forwarded-for", xff)
            .json(&json!({ "joinCode": room.join_code, "name": "S" }));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(join("10.9.0.1").await, 200);
    assert_eq!(join("10.9.0.1").await, 200);
    assert_eq!(join("10.9.0.1").await, 429);
    assert_eq!(join("10.9.0.2").await, 200, "another client behind the proxy has its own budget");
    let (status, body) = proxied.post("/api/join", None, json!({ "joinCode": room.join_code, "name": "S" })).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (200, None),
        "the proxy's own address is a separate bucket"
    );
}
