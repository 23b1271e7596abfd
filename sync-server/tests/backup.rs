//! `jigsync backup PATH`: an online copy of a running server's data dir that
//! serves as a data dir of its own (the restore), with the classes, their
//! messages up to the backup, the uploads and the signing key.

mod common;

use std::process::Command;

use common::*;
use jigsync_schema::MessageKind;

fn backup(data_dir: &std::path::Path, target: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jigsync"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .arg("backup")
        .arg(target)
        .output()
        .expect("run jigsync backup")
}

#[tokio::test]
async fn a_backup_taken_while_running_restores_the_class() {
    // Chat as fast as the server takes it, not as fast as a person may.
    let server = TestServer::start_with(&["--chat-rate", "1000", "--chat-burst", "1000", "--conn-rate", "1000"]).await;
    let room = server.create_room("Maths", "Kim").await;
    let ann = server.join(&room, "Ann").await;
    let (status, upload) = upload(&server, &room, &room.teacher.token, png(4, 3), "p.png").await;
    assert_eq!(status, 201, "{upload}");
    let upload_id = upload["uploadId"].as_str().expect("upload id").to_owned();
    let (mut student, _) = server.connect(&ann.token).await;
    student.chat(1, "before the backup").await;
    student.answer(1).await;

    // Chat keeps being written while the backup runs.
    let writer = tokio::spawn(async move {
        for r#ref in 2..60 {
            student.chat(r#ref, "during").await;
            student.answer(r#ref).await;
        }
        student
    });
    let scratch = tempfile::tempdir().expect("temp dir");
    let target = scratch.path().join("backup");
    let out = backup(&server.data_dir, &target, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut student = writer.await.expect("writer");
    student.chat(60, "after the backup").await;
    student.answer(60).await;

    assert!(!backup(&server.data_dir, &target, &[]).status.success(), "backed up over an existing directory");
    let postgres =
        backup(&server.data_dir, &scratch.path().join("pg"), &["--database-url", "postgres://x@127.0.0.1/x"]);
    assert!(!postgres.status.success());
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"));
    assert!(target.join("uploads").join(&upload_id).is_file(), "the upload was not copied");

    let restored = TestServer::start_in(&target, &[]).await;
    let texts: Vec<String> = restored
        .history(&room, &room.teacher.token, "?limit=200")
        .await
        .into_iter()
        .filter(|m| m.kind == MessageKind::Chat)
        .map(|m| m.text)
        .collect();
    assert_eq!(texts.first().map(String::as_str), Some("before the backup"));
    assert!(!texts.iter().any(|t| t == "after the backup"), "{texts:?}");
    let (mut teacher, _) = restored.connect(&room.teacher.token).await;
    teacher.chat(1, "back again").await;
    teacher.answer(1).await;
    let bo = restored.join(&room, "Bo").await;
    assert!(!bo.token.is_empty());
}
