//! Token expiry and signing-key rotation, as a client sees them: expired,
//! rotated-out and wrong-key tokens are refused on `/ws`, `/ws/lobby`,
//! `/yjs` and HTTP with the documented codes and reasons.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use jigsync_schema::ServerMsg;
use jigsync_server::auth::{Claims, TokenKey};
use jigsync_server::keyring::Keyring;

/// The refusals of one token everywhere it can be used: the close code and
/// reason of `/ws`, `/ws/lobby` and `/yjs`, and the HTTP status and message.
async fn refusals(server: &TestServer, room: &Room, token: &str) -> Vec<(u16, String)> {
    let ws = server.connect_raw(token, None).await.closed().await;
    let lobby = server.lobby(token).await.closed().await;
    let yjs = server.yjs(room, 0, token).await.closed().await;
    let (status, body) = server.get(&format!("/api/rooms/{}/boards", room.id), Some(token)).await;
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_owned();
    vec![(ws.code, ws.reason), (lobby.code, lobby.reason), (yjs.code, yjs.reason), (status.as_u16(), message)]
}

fn refused_everywhere(reason: &str) -> Vec<(u16, String)> {
    [4401, 4401, 4401, 401].into_iter().map(|code| (code, reason.to_owned())).collect()
}

async fn is_welcomed(server: &TestServer, token: &str) -> bool {
    let (_, welcome) = server.connect(token).await;
    matches!(welcome, ServerMsg::Welcome { .. })
}

fn write_key(dir: &Path, name: &str, byte: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", byte.repeat(32))).unwrap();
    path
}

fn kid(byte: &str) -> String {
    TokenKey::from_hex(&byte.repeat(32), "test").unwrap().kid()
}

#[tokio::test]
async fn expired_tokens_are_refused_everywhere() {
    let server = TestServer::start_with(&["--token-ttl-secs", "2"]).await;
    let room = server.create_room("Short day", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;
    assert!(is_welcomed(&server, &ann.token).await, "a fresh token works");

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(refusals(&server, &room, &room.teacher.token).await, refused_everywhere("token expired"));
    assert_eq!(refusals(&server, &room, &ann.token).await, refused_everywhere("token expired"));

    // Joining again hands out a token that works.
    let again = server.join(&room, "Ann").await;
    assert!(is_welcomed(&server, &again.token).await);
}

#[tokio::test]
async fn rotated_keys_are_accepted_while_listed_and_refused_after() {
    let keys = tempfile::tempdir().unwrap();
    let (one, two) = (write_key(keys.path(), "one.key", "a1"), write_key(keys.path(), "two.key", "b2"));
    let (one, two) = (one.to_str().unwrap(), two.to_str().unwrap());
    let mut server = TestServer::start_with(&["--signing-key-file", one]).await;
    let room = server.create_room("Rotating", "Ms Park").await;
    assert!(room.teacher.token.starts_with(&format!("v2.{}.", kid("a1"))), "{}", room.teacher.token);

    // The new key first, the old one still listed: old tokens keep working.
    server.restart_with(&["--signing-key-file", two, "--signing-key-file", one]);
    assert!(is_welcomed(&server, &room.teacher.token).await, "a token of the old key");
    let ann = server.join(&room, "Ann").await;
    assert!(ann.token.starts_with(&format!("v2.{}.", kid("b2"))), "new tokens are signed with the first key");
    assert!(is_welcomed(&server, &ann.token).await);

    // The old key dropped: its tokens are refused, the new key's are not.
    server.restart_with(&["--signing-key-file", two]);
    let rotated_out = refused_everywhere("token signed by a key this server no longer accepts");
    assert_eq!(refusals(&server, &room, &room.teacher.token).await, rotated_out);
    assert!(is_welcomed(&server, &ann.token).await);
}

#[tokio::test]
async fn tokens_of_a_wrong_key_are_refused() {
    let keys = tempfile::tempdir().unwrap();
    let key = write_key(keys.path(), "server.key", "c3");
    let server = TestServer::start_with(&["--signing-key-file", key.to_str().unwrap()]).await;
    let room = server.create_room("Guarded", "Ms Park").await;
    let ann = server.join(&room, "Ann").await;

    let stranger = TokenKey::from_hex(&"d4".repeat(32), "test").unwrap();
    let stranger = Keyring::new(vec![stranger], Duration::from_secs(3600), false).unwrap();
    let claims = Claims { room: room.id.clone(), user: ann.id.clone(), role: jigsync_schema::Role::Teacher };
    let foreign = stranger.sign(&claims);
    let unknown = refused_everywhere("token signed by a key this server no longer accepts");
    assert_eq!(refusals(&server, &room, &foreign).await, unknown);

    // The same token claiming to be of the server's key: a bad signature.
    let parts: Vec<&str> = foreign.split('.').collect();
    let forged = format!("v2.{}.{}.{}", kid("c3"), parts[2], parts[3]);
    assert_eq!(refusals(&server, &room, &forged).await, refused_everywhere("invalid token"));
    assert!(is_welcomed(&server, &ann.token).await, "the server's own tokens still work");
}

/// A token as servers signed them before tokens expired: `v1.<payload>.<mac>`.
fn v1_token(hex_key: &str, claims: &Claims) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&hex::decode(hex_key).unwrap()).unwrap();
    mac.update(payload.as_bytes());
    format!("v1.{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn unexpiring_v1_tokens_are_refused_unless_the_server_accepts_them() {
    let keys = tempfile::tempdir().unwrap();
    let key = write_key(keys.path(), "server.key", "e5");
    let key = key.to_str().unwrap();
    let mut server = TestServer::start_with(&["--signing-key-file", key]).await;
    let room = server.create_room("Upgraded", "Ms Park").await;
    let claims = Claims { room: room.id.clone(), user: room.teacher.id.clone(), role: jigsync_schema::Role::Teacher };
    let old = v1_token(&"e5".repeat(32), &claims);
    let unexpiring = refused_everywhere("token without expiry, no longer accepted");
    assert_eq!(refusals(&server, &room, &old).await, unexpiring);

    server.restart_with(&["--signing-key-file", key, "--accept-unexpiring-tokens"]);
    assert!(is_welcomed(&server, &old).await, "accepted when the server is told to");
    let forged = v1_token(&"e6".repeat(32), &claims);
    assert_eq!(refusals(&server, &room, &forged).await, refused_everywhere("invalid token"));
}

/// The check every server of the suite makes when it is dropped (see
/// `common::token_leaks`) does find a token in a log line.
#[test]
#[should_panic(expected = "a token was logged")]
fn the_log_check_finds_a_logged_token() {
    let token = "v2.00000000.eyJyIjoicm9vbSJ9.c2lnbmF0dXJlLW9mLWEtdGVzdC10b2tlbg";
    token_leaks::remember(token);
    token_leaks::assert_not_logged(&["INFO nothing here".to_owned()]);
    token_leaks::assert_not_logged(&[format!("INFO joined token={token}")]);
}
