//! Who may create a class (`--teacher-signup open|secret|token`), the
//! teacher pass every class creation hands back, and `jigsync
//! mint-teacher-token`.

mod common;

use std::path::Path;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn class(name: &str) -> Value {
    json!({ "name": name, "teacherName": "Kim" })
}

fn with_secret(secret: &str) -> Value {
    json!({ "name": "Maths", "teacherName": "Kim", "signupSecret": secret })
}

async fn signup_mode(server: &TestServer) -> String {
    let (status, body) = server.get("/api/config", None).await;
    assert_eq!(status, StatusCode::OK);
    body["teacherSignup"].as_str().expect("teacherSignup").to_owned()
}

fn write_key(dir: &Path, name: &str, byte: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, byte.repeat(32)).expect("key file");
    path.display().to_string()
}

/// `jigsync --signing-key-file KEY mint-teacher-token ...`: its stdout.
fn mint(key_file: &str, sub: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jigsync"))
        .args(["--signing-key-file", key_file, "mint-teacher-token", "--sub", sub, "--name", "Kim", "--days", "2"])
        .output()
        .expect("run mint-teacher-token");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("utf-8").trim().to_owned();
    token_leaks::remember(&token);
    token
}

#[tokio::test]
async fn open_signup_hands_out_a_pass_that_keeps_the_teacher() {
    let server = TestServer::start().await;
    assert_eq!(signup_mode(&server).await, "open");
    let first = server.create_room("Maths", "Kim").await;
    assert!(first.teacher_id.starts_with('t'), "{}", first.teacher_id);
    let second = server.create_room_as("Art", "Kim", Some(&first.pass)).await;
    assert_eq!(second.teacher_id, first.teacher_id);
    assert_ne!(server.create_room("Music", "Lee").await.teacher_id, first.teacher_id);
    // A room token is no teacher pass.
    let (status, body) = server.post("/api/rooms", Some(&first.teacher.token), class("PE")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
}

#[tokio::test]
async fn secret_signup_asks_for_the_secret_once_per_teacher() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret_file = dir.path().join("signup.secret");
    std::fs::write(&secret_file, "blue-harbour-42\n").expect("secret file");
    let secret_file = secret_file.display().to_string();
    let server =
        TestServer::start_with(&["--teacher-signup", "secret", "--teacher-signup-secret-file", &secret_file]).await;
    assert_eq!(signup_mode(&server).await, "secret");
    for body in [class("Maths"), with_secret("blue-harbour-4"), with_secret("")] {
        let (status, answer) = server.post("/api/rooms", None, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert_eq!(answer["error"]["code"], "signup_secret_required");
    }
    let (status, created) = server.post("/api/rooms", None, with_secret("blue-harbour-42")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let pass = created["teacherPass"].as_str().expect("pass");
    let again = server.create_room_as("Art", "Kim", Some(pass)).await;
    assert_eq!(again.teacher_id, created["teacherId"].as_str().expect("teacher id"));
}

#[tokio::test]
async fn token_signup_takes_the_districts_teacher_tokens_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = write_key(dir.path(), "district.key", "5e");
    let foreign_key = write_key(dir.path(), "foreign.key", "a7");
    let server = TestServer::start_with(&["--teacher-signup", "token", "--signing-key-file", &key]).await;
    assert_eq!(signup_mode(&server).await, "token");
    for body in [class("Maths"), with_secret("anything")] {
        let (status, answer) = server.post("/api/rooms", None, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(answer["error"]["code"], "teacher_token_required");
    }
    let (status, answer) = server.post("/api/rooms", Some(&mint(&foreign_key, "staff-7")), class("Maths")).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));

    let district = mint(&key, "staff-7");
    let room = server.create_room_as("Maths", "Kim", Some(&district)).await;
    assert_eq!(room.teacher_id, "staff-7");
    assert_eq!(room.pass, district, "a district's token keeps the expiry the district gave it");
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.chat(1, "hello").await;
    teacher.answer(1).await;
}

#[tokio::test]
async fn minting_refuses_a_bad_teacher_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = write_key(dir.path(), "district.key", "5e");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_jigsync"))
        .args(["--signing-key-file", &key, "mint-teacher-token", "--sub", "", "--name", "Kim"])
        .output()
        .expect("run mint-teacher-token")
        .status;
    assert!(!status.success());
}
