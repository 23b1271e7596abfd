//! Puzzle boards over the room channel: CRDT convergence, the motion lane,
//! soft locks, permissions, bad input, teacher controls, progress, resume
//! and durability.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::{ClientMsg, ErrorCode, Move, ServerMsg, SystemEventKind};
use serde_json::json;

fn mv(board: u32, piece: u16, x: f32, seq: u32) -> ClientMsg {
    ClientMsg::Move(Move { board, piece, x, y: 50.0, seq, t: seq })
}

fn is_answer(r: u32) -> impl FnMut(&ServerMsg) -> bool {
    move |m| matches!(m, ServerMsg::Ack { r#ref: Some(x), .. } | ServerMsg::Error { r#ref: Some(x), .. } if *x == r)
}

/// Reads until the answer to `r`, applying every board update on the way.
async fn answer_applying(client: &mut Client, replica: &Replica, r: u32) -> ServerMsg {
    loop {
        let msg = client.recv().await;
        if let ServerMsg::Update { update, .. } = &msg {
            replica.apply(update);
        }
        if is_answer(r)(&msg) {
            return msg;
        }
    }
}

#[tokio::test]
async fn concurrent_drops_on_a_shared_board_converge_for_everyone() {
    let server = TestServer::start().await;
    let room = server.create_room("Shared", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let boards = start_puzzle(&server, &room, "shared", 3, 4, json!([])).await;
    assert_eq!(boards.len(), 1);
    let id = boards[0].id;
    assert_eq!((boards[0].meta.rows, boards[0].meta.cols), (3, 4));

    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(id).await;
    let (mut b, _) = server.connect(&ben.token).await;
    let rb = b.replica_of(id).await;
    assert_eq!(ra.len(), 12);

    let (ua, ub) = (ra.drop_piece(5, 100.0, 100.0), rb.drop_piece(5, 300.0, 200.0));
    a.send_update(1, id, ua, None).await;
    b.send_update(1, id, ub, None).await;
    for (client, replica) in [(&mut a, &ra), (&mut b, &rb)] {
        let mut acked = false;
        let mut others = 0;
        while !acked || others < 1 {
            match client.recv().await {
                ServerMsg::Update { update, .. } => {
                    replica.apply(&update);
                    others += 1;
                }
                ServerMsg::Ack { r#ref: Some(1), .. } => acked = true,
                ServerMsg::Error { message, .. } => panic!("{message}"),
                _ => {}
            }
        }
    }
    let settled = ra.piece(5).unwrap();
    assert_eq!(rb.piece(5), Some(settled), "both replicas agree");
    assert!(settled == (100.0, 100.0) || settled == (300.0, 200.0));

    let cat = server.join(&room, "Cat").await;
    let (mut c, _) = server.connect(&cat.token).await;
    assert_eq!(c.replica_of(id).await.piece(5), Some(settled), "a late joiner gets the same state");
}

#[tokio::test]
async fn a_focused_teacher_gets_batched_moves_and_the_drop_and_students_see_only_their_board() {
    let server = TestServer::start().await;
    let room = server.create_room("Mirror", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let boards = start_puzzle(&server, &room, "individual", 4, 4, json!([])).await;
    assert_eq!(boards.len(), 2);
    let ann_board = boards.iter().find(|b| b.members == [ann.id.clone()]).expect("Ann's board").id;
    let ben_board = boards.iter().find(|b| b.members == [ben.id.clone()]).expect("Ben's board").id;

    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let ServerMsg::Boards { boards: seen, .. } = teacher.recv_until(|m| matches!(m, ServerMsg::Boards { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(seen.len(), 2, "teachers see every board");
    teacher.send(&ClientMsg::Focus { r#ref: Some(1), board: Some(ann_board) }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));

    let (mut b, _) = server.connect(&ben.token).await;
    let ServerMsg::Boards { boards: bens, .. } = b.recv_until(|m| matches!(m, ServerMsg::Boards { .. })).await else {
        unreachable!()
    };
    assert_eq!(bens.iter().map(|x| x.id).collect::<Vec<_>>(), vec![ben_board]);

    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(ann_board).await;
    for seq in 1..=50u32 {
        a.send(&mv(ann_board, 0, seq as f32 * 10.0, seq)).await;
    }
    let mut received = Vec::new();
    while received.last().map(|m: &Move| m.seq) != Some(50) {
        if let ServerMsg::Motion { moves } = teacher.recv().await {
            assert!(moves.iter().all(|m| m.board == ann_board && m.piece == 0));
            assert!(moves.len() <= 1, "one position per piece per batch");
            received.extend(moves);
        }
    }
    assert!(received.len() < 50, "moves were coalesced: {} batches for 50 moves", received.len());
    assert!(received.windows(2).all(|w| w[0].seq < w[1].seq), "latest wins, in order");
    assert_eq!(received.last().unwrap().x, 500.0);

    a.send_update(2, ann_board, ra.drop_piece(0, 500.0, 50.0), Some(0)).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Ack { .. }));
    let drop = teacher.recv_until(|m| matches!(m, ServerMsg::Update { .. })).await;
    let ServerMsg::Update { board, update, by } = drop else { unreachable!() };
    assert_eq!((board, by.as_deref()), (ann_board, Some(ann.id.as_str())));
    let mirror = Replica::default();
    mirror.apply(&ra.drop_piece(1, 1.0, 1.0)); // any base works: updates carry their items
    mirror.apply(&update);
    teacher.recv_until(|m| matches!(m, ServerMsg::Release { piece: 0, .. })).await;

    b.assert_no(Duration::from_millis(300), |m| match m {
        ServerMsg::Doc { board, .. } | ServerMsg::Update { board, .. } | ServerMsg::Grab { board, .. } => {
            *board == ann_board
        }
        ServerMsg::Motion { moves } => moves.iter().any(|m| m.board == ann_board),
        _ => false,
    })
    .await;
    b.send(&ClientMsg::Sync { r#ref: Some(3), board: ann_board, sv: vec![] }).await;
    assert!(matches!(b.answer(3).await, ServerMsg::Error { code: ErrorCode::NotFound, .. }));
    b.send(&ClientMsg::Grab { r#ref: Some(4), board: ann_board, piece: 1 }).await;
    assert!(matches!(b.answer(4).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }));
}

#[tokio::test]
async fn a_grabbed_piece_is_busy_for_others_until_its_holder_disconnects() {
    let server = TestServer::start().await;
    let room = server.create_room("Locks", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let id = start_puzzle(&server, &room, "shared", 2, 3, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;

    a.send(&ClientMsg::Grab { r#ref: Some(1), board: id, piece: 2 }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    let grab = b.recv_until(|m| matches!(m, ServerMsg::Grab { .. })).await;
    assert_eq!(grab, ServerMsg::Grab { board: id, piece: 2, by: Some(ann.id.clone()) });
    b.send(&ClientMsg::Grab { r#ref: Some(2), board: id, piece: 2 }).await;
    assert!(matches!(b.answer(2).await, ServerMsg::Error { code: ErrorCode::Busy, .. }));
    b.send(&mv(id, 2, 10.0, 1)).await;
    let refused = b.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(refused, ServerMsg::Error { code: ErrorCode::Busy, r#ref: None, .. }), "{refused:?}");

    a.close().await;
    b.recv_until(|m| matches!(m, ServerMsg::Release { piece: 2, .. })).await;
    b.send(&ClientMsg::Grab { r#ref: Some(3), board: id, piece: 2 }).await;
    assert!(matches!(b.answer(3).await, ServerMsg::Ack { .. }));
}

#[tokio::test]
async fn bad_board_input_gets_its_documented_answer_and_changes_nothing() {
    let server = TestServer::start().await;
    let room = server.create_room("Bad", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(id).await;
    let before: Vec<_> = (0..4).map(|i| ra.piece(i)).collect();

    a.send_update(1, id, ra.drop_piece(1, f64::NAN, 10.0), None).await;
    assert!(matches!(answer_applying(&mut a, &ra, 1).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }));
    a.send_update(2, id, ra.drop_piece(2, 1.0e6, 10.0), None).await;
    assert!(matches!(answer_applying(&mut a, &ra, 2).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }));
    // The correcting updates arrive right after the errors.
    let deadline = tokio::time::Instant::now() + WAIT;
    while (0..4).map(|i| ra.piece(i)).collect::<Vec<_>>() != before {
        assert!(tokio::time::Instant::now() < deadline, "replica was not corrected");
        if let ServerMsg::Update { update, by: None, .. } = a.recv().await {
            ra.apply(&update);
        }
    }

    a.send_update(3, id + 100, ra.drop_piece(1, 5.0, 5.0), None).await;
    assert!(matches!(a.answer(3).await, ServerMsg::Error { code: ErrorCode::NotFound, .. }));
    a.send_update(4, id, vec![1, 2, 3, 250], None).await;
    assert!(matches!(a.answer(4).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }));
    a.send(&ClientMsg::Grab { r#ref: Some(5), board: id, piece: 999 }).await;
    assert!(matches!(a.answer(5).await, ServerMsg::Error { code: ErrorCode::NotFound, .. }));
    a.send(&ClientMsg::Move(Move { board: id, piece: 0, x: f32::NAN, y: 1.0, seq: 1, t: 0 })).await;
    assert!(matches!(
        a.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await,
        ServerMsg::Error { code: ErrorCode::Invalid, .. }
    ));
    a.send(&ClientMsg::Move(Move { board: id, piece: 0, x: 1.0e7, y: 1.0, seq: 2, t: 0 })).await;
    assert!(matches!(
        a.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await,
        ServerMsg::Error { code: ErrorCode::Invalid, .. }
    ));
    a.send(&ClientMsg::Focus { r#ref: Some(6), board: Some(id) }).await;
    assert!(
        matches!(a.answer(6).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }),
        "students have no dashboard"
    );

    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&ClientMsg::Lock { r#ref: Some(1), board: Some(id), locked: true }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    let locked = a.recv_until(|m| matches!(m, ServerMsg::Boards { .. })).await;
    let ServerMsg::Boards { boards, .. } = locked else { unreachable!() };
    assert!(boards[0].locked, "students see the lock");
    a.send_update(7, id, ra.drop_piece(3, 5.0, 5.0), None).await;
    assert!(matches!(a.answer(7).await, ServerMsg::Error { code: ErrorCode::Locked, .. }));
    a.send(&ClientMsg::Grab { r#ref: Some(8), board: id, piece: 3 }).await;
    assert!(matches!(a.answer(8).await, ServerMsg::Error { code: ErrorCode::Locked, .. }));

    // The server's document is exactly what it was.
    let fresh = {
        let (mut t2, _) = server.connect(&room.teacher.token).await;
        t2.replica_of(id).await
    };
    assert_eq!((0..4).map(|i| fresh.piece(i)).collect::<Vec<_>>(), before);
}

#[tokio::test]
async fn moves_beyond_the_connection_budget_are_dropped_and_counted() {
    let server = TestServer::start_with(&["--move-rate", "5"]).await;
    let room = server.create_room("Budget", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    teacher.send(&ClientMsg::Focus { r#ref: Some(1), board: Some(id) }).await;
    teacher.answer(1).await;
    let (mut a, _) = server.connect(&ann.token).await;
    for seq in 1..=100u32 {
        a.send(&mv(id, 1, seq as f32, seq)).await;
    }
    // The drop (a board update) is never dropped.
    let ra = a.replica_of(id).await;
    a.send_update(2, id, ra.drop_piece(1, 42.0, 42.0), Some(1)).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Ack { .. }));
    teacher.recv_until(|m| matches!(m, ServerMsg::Update { .. })).await;
    let metrics = server.metrics().await;
    let dropped: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("jigsync_motion_dropped_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(dropped >= 50.0, "dropped {dropped} of 100 moves over a budget of 5/s\n{metrics}");
}

#[tokio::test]
async fn a_reader_that_stops_reading_delays_nobody_and_holds_bounded_memory() {
    let server = TestServer::start_with(&["--move-rate", "100000"]).await;
    let room = server.create_room("Slow", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 4, 5, json!([])).await[0].id;

    // A classmate on the same board (full-rate motion) with a tiny receive
    // window who never reads: within a second or two the server's socket to
    // them is full and their writer is stuck.
    let ben = server.join(&room, "Ben").await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(1024).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let url = format!("ws://{}/ws?token={}", server.addr, ben.token);
    let (_stalled, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();

    let (mut watcher, _) = server.connect(&room.teacher.token).await;
    watcher.send(&ClientMsg::Focus { r#ref: Some(1), board: Some(id) }).await;
    watcher.answer(1).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let rss_before = rss_kib(server.pid());

    let watch = tokio::spawn(async move {
        let mut last = 0;
        let mut batches = 0u32;
        while last < 6000 {
            if let ServerMsg::Motion { moves } = watcher.recv().await {
                batches += 1;
                last = last.max(moves.iter().map(|m| m.seq).max().unwrap_or(0));
            }
        }
        batches
    });
    for seq in 1..=6000u32 {
        a.send(&mv(id, (seq % 20) as u16, (seq % 700) as f32, seq)).await;
        if seq % 100 == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let batches = tokio::time::timeout(WAIT, watch).await.expect("the reading teacher kept up").unwrap();
    assert!(batches > 10, "{batches} batches");
    let rss_after = rss_kib(server.pid());
    assert!(
        rss_after < rss_before + 16 * 1024,
        "server memory grew from {rss_before} KiB to {rss_after} KiB for 6000 moves"
    );
}

#[tokio::test]
async fn an_acknowledged_drop_survives_kill_9() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Durable", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "individual", 3, 3, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(id).await;
    a.send_update(1, id, ra.drop_piece(4, 123.0, 45.0), None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    server.kill9_and_restart();
    let (mut a, _) = server.connect(&ann.token).await;
    assert_eq!(a.replica_of(id).await.piece(4), Some((123.0, 45.0)));
}

#[tokio::test]
async fn teacher_controls_persist_and_late_joiners_see_them() {
    let mut server = TestServer::start().await;
    let room = server.create_room("Controls", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let boards = start_puzzle(&server, &room, "individual", 2, 2, json!([])).await;
    let ann_board = boards.iter().find(|b| b.members == [ann.id.clone()]).unwrap().id;
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut b, _) = server.connect(&ben.token).await;

    teacher.send(&ClientMsg::Spotlight { r#ref: Some(1), board: Some(ann_board), hide_names: true }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    let spotlit = b.recv_until(|m| matches!(m, ServerMsg::Boards { spotlight: Some(_), .. })).await;
    let ServerMsg::Boards { boards, spotlight } = spotlit else { unreachable!() };
    assert_eq!(spotlight.map(|s| (s.board, s.hide_names)), Some((ann_board, true)));
    let shown = boards.iter().find(|x| x.id == ann_board).expect("the spotlighted board is visible");
    assert!(shown.members.is_empty(), "names hidden");
    let rb = b.replica_of(ann_board).await;
    assert_eq!(rb.len(), 4);
    b.send(&ClientMsg::Grab { r#ref: Some(2), board: ann_board, piece: 0 }).await;
    assert!(matches!(b.answer(2).await, ServerMsg::Error { code: ErrorCode::Forbidden, .. }), "spotlight is read-only");

    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(ann_board).await;
    a.send_update(3, ann_board, ra.drop_piece(0, 7.0, 7.0), None).await;
    a.answer(3).await;
    let ServerMsg::Update { by, .. } = b.recv_until(|m| matches!(m, ServerMsg::Update { .. })).await else {
        unreachable!()
    };
    assert_eq!(by, None, "names hidden on the spotlight");

    teacher.send(&ClientMsg::Reset { r#ref: Some(4), board: ann_board }).await;
    assert!(matches!(teacher.answer(4).await, ServerMsg::Ack { .. }));
    let reset = a.recv_until(|m| matches!(m, ServerMsg::Update { by: None, .. })).await;
    let ServerMsg::Update { update, .. } = reset else { unreachable!() };
    ra.apply(&update);
    assert_ne!(ra.piece(0), Some((7.0, 7.0)), "reset scattered the pieces again");

    teacher.send(&ClientMsg::Lock { r#ref: Some(5), board: None, locked: true }).await;
    assert!(matches!(teacher.answer(5).await, ServerMsg::Ack { .. }));

    server.kill9_and_restart();
    let (mut late, _) = server.connect(&ben.token).await;
    let ServerMsg::Boards { boards, spotlight } = late.recv_until(|m| matches!(m, ServerMsg::Boards { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(spotlight.map(|s| s.board), Some(ann_board));
    assert!(boards.iter().all(|x| x.locked), "locks persisted");
}

#[tokio::test]
async fn a_returning_student_gets_only_the_missing_diff_and_missed_chat() {
    let server = TestServer::start().await;
    let room = server.create_room("Resume", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "individual", 6, 6, json!([])).await[0].id;
    let (mut a, welcome) = server.connect(&ann.token).await;
    let ServerMsg::Welcome { history, .. } = welcome else { unreachable!() };
    let last_seq = history.last().map_or(0, |m| m.seq);
    let ServerMsg::Doc { update: full, .. } = a.recv_until(|m| matches!(m, ServerMsg::Doc { .. })).await else {
        unreachable!()
    };
    let ra = Replica::default();
    ra.apply(&full);
    a.close().await;

    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let rt = teacher.replica_of(id).await;
    teacher.send_update(1, id, rt.drop_piece(3, 250.0, 120.0), None).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    teacher.chat(2, "while you were away").await;
    teacher.answer(2).await;

    let mut back = server.connect_raw(&ann.token, Some(last_seq)).await;
    let ServerMsg::Welcome { history, .. } = back.recv().await else { panic!("welcome") };
    assert!(history.iter().any(|m| m.text == "while you were away"));
    back.assert_no(Duration::from_millis(200), |m| matches!(m, ServerMsg::Doc { .. })).await;
    back.send(&ClientMsg::Sync { r#ref: Some(1), board: id, sv: ra.state_vector() }).await;
    let ServerMsg::Doc { update: diff, .. } = back.recv_until(|m| matches!(m, ServerMsg::Doc { .. })).await else {
        unreachable!()
    };
    assert!(diff.len() * 4 < full.len(), "diff of {} bytes vs full state of {}", diff.len(), full.len());
    ra.apply(&diff);
    assert_eq!(ra.piece(3), Some((250.0, 120.0)));
}

#[tokio::test]
async fn placing_every_piece_completes_the_board_with_a_system_message() {
    let server = TestServer::start().await;
    let room = server.create_room("Solve", "T").await;
    let ann = server.join(&room, "Ann").await;
    let board = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await.remove(0);
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(board.id).await;
    let (pw, ph) = (f64::from(board.meta.piece_width), f64::from(board.meta.piece_height));
    let solved: Vec<_> = (0..4).map(|i| (i, 50.0 + (i % 2) as f64 * pw, 60.0 + (i / 2) as f64 * ph)).collect();
    a.send_update(1, board.id, ra.set_pieces(&solved), None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    let progress = teacher.recv_until(|m| matches!(m, ServerMsg::Progress { .. })).await;
    assert_eq!(progress, ServerMsg::Progress { board: board.id, progress: 1.0, done: true });
    let ServerMsg::Msg(msg) = teacher
        .recv_until(
            |m| matches!(m, ServerMsg::Msg(m) if m.event.as_ref().is_some_and(|e| e.kind == SystemEventKind::Solved)),
        )
        .await
    else {
        unreachable!()
    };
    assert!(msg.text.starts_with("The class puzzle is solved! Ann placed the last piece after "), "{}", msg.text);
    let (status, body) = server.get(&format!("/api/rooms/{}/boards", room.id), Some(&ann.token)).await;
    assert_eq!(status, 200);
    assert_eq!(body["boards"][0]["done"], true);
}

#[tokio::test]
async fn puzzle_creation_checks_its_input() {
    let server = TestServer::start().await;
    let room = server.create_room("Create", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (_, up) = upload(&server, &room, &room.teacher.token, png(400, 300), "p.png").await;
    let path = format!("/api/rooms/{}/puzzles", room.id);
    for (body, status) in [
        (json!({ "uploadId": up["uploadId"], "rows": 1, "cols": 4, "mode": "shared" }), 400),
        (json!({ "uploadId": up["uploadId"], "rows": 41, "cols": 4, "mode": "shared" }), 400),
        (json!({ "uploadId": up["uploadId"], "rows": 40, "cols": 40, "mode": "shared" }), 400),
        (json!({ "uploadId": up["uploadId"], "rows": 4, "cols": 4, "mode": "sideways" }), 400),
        (json!({ "uploadId": "f".repeat(64), "rows": 4, "cols": 4, "mode": "shared" }), 404),
        (json!({ "uploadId": up["uploadId"], "rows": 4, "cols": 4, "mode": "groups", "groups": [["nobody"]] }), 400),
    ] {
        let (got, res) = server.post(&path, Some(&room.teacher.token), body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body} → {res}");
    }
    let (got, _) = server
        .post(&path, Some(&ann.token), json!({ "uploadId": up["uploadId"], "rows": 4, "cols": 4, "mode": "shared" }))
        .await;
    assert_eq!(got, 403, "students cannot start puzzles");
    let boards = start_puzzle(&server, &room, "groups", 5, 5, json!([[ann.id]])).await;
    assert_eq!(boards.len(), 1);
    assert_eq!(boards[0].members, vec![ann.id.clone()]);
    assert_eq!((boards[0].meta.piece_width, boards[0].meta.piece_height), (100.0, 75.0));
}

#[tokio::test]
async fn students_joining_an_individual_puzzle_later_get_their_own_board() {
    let server = TestServer::start().await;
    let room = server.create_room("Late", "T").await;
    let boards = start_puzzle(&server, &room, "individual", 3, 3, json!([])).await;
    assert!(boards.is_empty(), "no students yet");
    let (mut teacher, _) = server.connect(&room.teacher.token).await;
    let ann = server.join(&room, "Ann").await;
    let ServerMsg::Boards { boards, .. } =
        teacher.recv_until(|m| matches!(m, ServerMsg::Boards { boards, .. } if !boards.is_empty())).await
    else {
        unreachable!()
    };
    assert_eq!(boards[0].members, vec![ann.id.clone()]);
    assert_eq!(teacher.replica_of(boards[0].id).await.len(), 9, "the teacher gets the new board's document");
    let (mut a, _) = server.connect(&ann.token).await;
    assert_eq!(a.replica_of(boards[0].id).await.len(), 9);
}

#[tokio::test]
async fn writes_outside_the_board_maps_are_refused_and_leave_no_trace() {
    use yrs::{Map, ReadTxn, Transact};
    let server = TestServer::start().await;
    let room = server.create_room("Roots", "T").await;
    let ann = server.join(&room, "Ann").await;
    let id = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let ra = a.replica_of(id).await;
    let scribbles = ra.doc.get_or_insert_map("scribbles");
    let update = {
        let mut txn = ra.doc.transact_mut();
        scribbles.insert(&mut txn, "note", "hello");
        txn.encode_update_v1()
    };
    a.send_update(1, id, update, None).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Error { code: ErrorCode::Invalid, .. }));
    let (mut t, _) = server.connect(&room.teacher.token).await;
    let fresh = t.replica_of(id).await;
    let roots: Vec<String> = fresh.doc.transact().root_refs().map(|(name, _)| name.to_owned()).collect();
    assert!(!roots.contains(&"scribbles".to_owned()), "{roots:?}");
    // A replica that kept the refused write cannot build on it: its next
    // drop is refused until it starts over from the server's document, as
    // client-js does after any refusal.
    a.send_update(2, id, ra.drop_piece(0, 10.0, 10.0), None).await;
    let ServerMsg::Error { code: ErrorCode::Invalid, message, .. } = a.answer(2).await else {
        panic!("a drop built on a refused write must be refused");
    };
    assert!(message.contains("sync the board again"), "{message}");
    // The board still takes ordinary drops.
    a.send(&ClientMsg::Sync { r#ref: Some(3), board: id, sv: Vec::new() }).await;
    let ServerMsg::Doc { update: whole, .. } = a.recv_until(|m| matches!(m, ServerMsg::Doc { .. })).await else {
        unreachable!()
    };
    let rebuilt = Replica::default();
    rebuilt.apply(&whole);
    a.send_update(4, id, rebuilt.drop_piece(0, 10.0, 10.0), None).await;
    assert!(matches!(a.answer(4).await, ServerMsg::Ack { .. }));
}

#[tokio::test]
async fn a_silent_grab_is_released_after_a_few_seconds() {
    let server = TestServer::start().await;
    let room = server.create_room("Silence", "T").await;
    let ann = server.join(&room, "Ann").await;
    let ben = server.join(&room, "Ben").await;
    let id = start_puzzle(&server, &room, "shared", 2, 2, json!([])).await[0].id;
    let (mut a, _) = server.connect(&ann.token).await;
    let (mut b, _) = server.connect(&ben.token).await;
    a.send(&ClientMsg::Grab { r#ref: Some(1), board: id, piece: 1 }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { .. }));
    let started = std::time::Instant::now();
    b.recv_until(|m| matches!(m, ServerMsg::Release { piece: 1, .. })).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(4), "released after {waited:?}, before the lock's time was up");
    b.send(&ClientMsg::Grab { r#ref: Some(2), board: id, piece: 1 }).await;
    assert!(matches!(b.answer(2).await, ServerMsg::Ack { .. }));
    drop(a);
}
