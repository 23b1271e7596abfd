//! Uploads are served only to members of a room that uses them: with the
//! room's upload grant in the URL (from the welcome or the upload-grant
//! route), or with the room token as a Bearer header. A stranger, another
//! room's member, and an expired, altered or rotated-out grant are refused,
//! and what is served may be cached only privately.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use jigsync_schema::{ClientMsg, ErrorCode, ServerMsg};
use jigsync_server::auth::TokenKey;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;

const KEY_A: &str = "a1";
const KEY_B: &str = "b2";

/// A 32-byte key written as hex into `dir`, for `--signing-key-file`.
fn key_file(dir: &tempfile::TempDir, byte: &str) -> String {
    let path = dir.path().join(format!("{byte}.key"));
    std::fs::write(&path, byte.repeat(32)).expect("write the key");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// A grant as PROTOCOL.md describes it, `g1.<kid>.<payload>.<mac>`, made
/// here from the key itself: an HMAC-SHA256 over `g1.<kid>.<payload>`.
fn sealed_grant(key_byte: &str, room: &str, exp: u64) -> String {
    let hex_key = key_byte.repeat(32);
    let kid = TokenKey::from_hex(&hex_key, "test").expect("a key").kid();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::json!({ "r": room, "exp": exp }).to_string());
    let head = format!("g1.{kid}.{payload}");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&hex::decode(hex_key).expect("hex")).expect("a key");
    mac.update(head.as_bytes());
    format!("{head}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

async fn fetch(server: &TestServer, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = server.http.get(server.url(path));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("download")
}

/// The status and error code of a refused download.
async fn refusal(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.expect("a JSON error");
    (status, body["error"]["code"].as_str().expect("a code").to_owned())
}

fn max_age(res: &reqwest::Response) -> u64 {
    let cache = res.headers()["cache-control"].to_str().expect("text");
    let age = cache.strip_prefix("private, max-age=").unwrap_or_else(|| panic!("private caching only: {cache}"));
    age.parse().expect("seconds")
}

/// Uploads `bytes` as the room's teacher; returns the bare URL.
async fn posted(server: &TestServer, room: &Room, bytes: Vec<u8>) -> String {
    let (status, body) = upload(server, room, &room.teacher.token, bytes, "picture").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["url"].as_str().expect("a url").to_owned()
}

#[tokio::test]
async fn members_fetch_their_rooms_pictures_with_the_grant_of_their_welcome() {
    let keys = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start_with(&["--signing-key-file", &key_file(&keys, KEY_A)]).await;
    let room = server.create_room("Pictures", "T").await;
    let ann = server.join(&room, "Ann").await;
    let picture = png(640, 480);
    let url = posted(&server, &room, picture.clone()).await;

    let (_client, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { upload_grant: welcomed, .. } = welcome else { unreachable!() };
    token_leaks::remember(&welcomed.grant);
    let res = fetch(&server, &with_grant(&url, &welcomed.grant), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let age = max_age(&res);
    let lives = (welcomed.expires_at / 1000).saturating_sub(now_secs());
    assert!(age > 0 && age <= 3600 && age <= lives + 1, "max-age {age} within the grant's {lives} s");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), picture.as_slice());

    // Renewed without reconnecting, and as an API user with the token.
    let renewed = upload_grant(&server, &room.id, &ann.token).await;
    assert_eq!(fetch(&server, &with_grant(&url, &renewed), None).await.status(), StatusCode::OK);
    let res = fetch(&server, &url, Some(&ann.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-cache");

    // A chat GIF comes back without its comment and XMP, byte for byte otherwise.
    let (gif, clean) = jigsync_server::gif_metadata::sample_with_metadata();
    let gif_url = posted(&server, &room, gif).await;
    let res = fetch(&server, &with_grant(&gif_url, &renewed), None).await;
    assert_eq!((res.status(), res.headers()["content-type"].to_str().ok()), (StatusCode::OK, Some("image/gif")));
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), clean.as_slice());
}

#[tokio::test]
async fn strangers_other_rooms_and_bad_grants_are_refused() {
    let keys = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start_with(&["--signing-key-file", &key_file(&keys, KEY_A)]).await;
    let room = server.create_room("Ours", "T").await;
    let url = posted(&server, &room, png(320, 240)).await;
    let other = server.create_room("Theirs", "T2").await;
    let theirs = posted(&server, &other, png(100, 100)).await;
    let other_grant = upload_grant(&server, &other.id, &other.teacher.token).await;
    assert_eq!(fetch(&server, &with_grant(&theirs, &other_grant), None).await.status(), StatusCode::OK);

    // Nothing to show: who asks is refused before the upload is looked at.
    let (status, code) = refusal(fetch(&server, &url, None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    // Another room's grant or token: as if there were no such upload.
    let (status, code) = refusal(fetch(&server, &with_grant(&url, &other_grant), None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let (status, code) = refusal(fetch(&server, &url, Some(&other.teacher.token)).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let missing = format!("/uploads/{}.png", "0".repeat(64));
    let (status, code) = refusal(fetch(&server, &with_grant(&missing, &other_grant), None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));

    // A grant made here with the server's key is good: the format is as documented.
    let future = now_secs() + 600;
    let crafted = sealed_grant(KEY_A, &room.id, future);
    token_leaks::remember(&crafted);
    assert_eq!(fetch(&server, &with_grant(&url, &crafted), None).await.status(), StatusCode::OK);
    // Expired, another room's signature over this room's claims, a changed
    // signature, an unknown key, a room token in place of a grant.
    let parts: Vec<&str> = other_grant.split('.').collect();
    let our_claims = crafted.split('.').nth(2).expect("a payload");
    let mut changed_mac = crafted.clone();
    let last = changed_mac.pop().expect("a character");
    changed_mac.push(if last == 'A' { 'B' } else { 'A' });
    let refused = [
        ("expired", sealed_grant(KEY_A, &room.id, now_secs() - 1)),
        ("altered", format!("g1.{}.{our_claims}.{}", parts[1], parts[3])),
        ("forged", changed_mac),
        ("unknown key", sealed_grant(KEY_B, &room.id, future)),
        ("room token", room.teacher.token.clone()),
        ("junk", "g1...".to_owned()),
    ];
    for (what, grant) in refused {
        let (status, code) = refusal(fetch(&server, &with_grant(&url, &grant), None).await).await;
        assert_eq!((status, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{what}");
    }

    // Knowing the id does not make the picture another room's: it cannot be
    // attached to that room's chat or cut into its puzzle.
    let id = url.trim_start_matches("/uploads/").trim_end_matches(".png").to_owned();
    let (mut theirs_client, _) = server.connect(&other.teacher.token).await;
    theirs_client.send(&ClientMsg::Chat { r#ref: Some(1), text: "".into(), upload: Some(id.clone()) }).await;
    assert_eq!(theirs_client.refusal(1).await, Some(ErrorCode::NotFound));
    let start = serde_json::json!({ "uploadId": id, "rows": 2, "cols": 2, "mode": "shared" });
    let (status, body) =
        server.post(&format!("/api/rooms/{}/puzzles", other.id), Some(&other.teacher.token), start).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(fetch(&server, &with_grant(&url, &other_grant), None).await.status(), StatusCode::NOT_FOUND);

    // The grant route is for the room's own members.
    let (status, _) = server.get(&format!("/api/rooms/{}/upload-grant", room.id), Some(&other.teacher.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server.get(&format!("/api/rooms/{}/upload-grant", room.id), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn grants_of_a_rotated_out_key_are_refused() {
    let keys = tempfile::tempdir().expect("temp dir");
    let (a, b) = (key_file(&keys, KEY_A), key_file(&keys, KEY_B));
    let mut server = TestServer::start_with(&["--signing-key-file", &a]).await;
    let room = server.create_room("Rotation", "T").await;
    let url = posted(&server, &room, png(200, 100)).await;
    let old = upload_grant(&server, &room.id, &room.teacher.token).await;

    // The new key signs; the old one is still accepted while listed.
    server.restart_with(&["--signing-key-file", &b, "--signing-key-file", &a]);
    assert_eq!(fetch(&server, &with_grant(&url, &old), None).await.status(), StatusCode::OK);
    let new = upload_grant(&server, &room.id, &room.teacher.token).await;
    let kid_b = TokenKey::from_hex(&KEY_B.repeat(32), "test").expect("a key").kid();
    assert!(new.starts_with(&format!("g1.{kid_b}.")), "{new}");

    server.restart_with(&["--signing-key-file", &b]);
    let (status, code) = refusal(fetch(&server, &with_grant(&url, &old), None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert_eq!(fetch(&server, &with_grant(&url, &new), None).await.status(), StatusCode::OK);
}
