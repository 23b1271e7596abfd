//! Several nodes on one Postgres: each room has one owner, any node is a
//! front door (it forwards to the owner), and a node that lost its lease
//! cannot write. Clients talk to nodes directly here; the tests through a
//! load balancer, with nodes killed, are in `cluster_failover.rs`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::cluster::{connect_at, TestCluster};
use common::*;
use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{ClientMsg, ErrorCode, LobbyMsg, MessageKind, RoomSummary, ServerMsg};
use serde_json::json;

/// Sends a chat and reads until its answer, logging the seq of every room
/// message on the way; returns the acknowledged seq.
async fn chat_logging(client: &mut Client, r: u32, text: &str, log: &mut Vec<u64>) -> u64 {
    client.chat(r, text).await;
    loop {
        match client.recv().await {
            ServerMsg::Msg(m) => log.push(m.seq),
            ServerMsg::Ack { r#ref: Some(x), seq: Some(seq) } if x == r => return seq,
            ServerMsg::Error { r#ref: Some(x), code, .. } if x == r => panic!("chat {text} refused: {code:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn clients_of_one_room_on_three_nodes_see_one_gap_free_order_and_acks_are_committed() {
    let cluster = TestCluster::start(3, &["--chat-rate", "100", "--chat-burst", "100"]).await;
    let [n0, n1, n2] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let room = n0.create_room("Three nodes", "T").await;
    // Joins by code land on every node; two of them forward to the owner.
    let people = [n0.join(&room, "Ann").await, n1.join(&room, "Ben").await, n2.join(&room, "Cho").await];
    let owner = cluster.wait_for_owner(&room.id).await;
    let board = start_puzzle(&cluster.nodes[(owner + 1) % 3], &room, "shared", 3, 3, json!([])).await[0].id;

    let mut clients = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let mut client = connect_at(cluster.nodes[i].addr, &room.id, &person.token, None).await;
        assert!(matches!(client.recv().await, ServerMsg::Welcome { .. }));
        clients.push(client);
    }
    const CHATS: u32 = 15;
    let first = cluster.committed(&room.id).await.last().map_or(0, |(seq, _)| *seq as u64) + 1;

    // Everyone chats at once; each ack's message is in Postgres when the ack
    // arrives. Each client logs the order it hears the room in.
    let sends = clients.iter_mut().enumerate().map(|(i, client)| {
        let cluster = &cluster;
        let room = &room.id;
        async move {
            let mut heard = Vec::new();
            let mut acked = Vec::new();
            for n in 1..=CHATS {
                let text = format!("{i}-{n}");
                let seq = chat_logging(client, n, &text, &mut heard).await;
                assert!(cluster.committed(room).await.contains(&(seq as i64, text.clone())), "{text} not committed");
                acked.push(seq);
            }
            (heard, acked)
        }
    });
    let results = futures_util::future::join_all(sends).await;
    let last = first + 3 * u64::from(CHATS) - 1;
    let acked: BTreeSet<u64> = results.iter().flat_map(|(_, acked)| acked.iter().copied()).collect();
    assert_eq!(acked, (first..=last).collect(), "every seq acknowledged exactly once, none skipped");
    for (i, (mut heard, _)) in results.into_iter().enumerate() {
        // The rest of the room's chats, after this client's own last answer.
        while heard.last() != Some(&last) {
            if let ServerMsg::Msg(m) = clients[i].recv().await {
                heard.push(m.seq);
            }
        }
        assert_eq!(heard, (first..=last).collect::<Vec<_>>(), "client {i} heard gaps or a different order");
    }

    // Board drops through each node: in Postgres when acknowledged.
    for (i, client) in clients.iter_mut().enumerate() {
        let replica = client.replica_of_sync(board).await;
        let (x, y) = (100.0 + 10.0 * i as f64, 50.0);
        client.send_update(100, board, replica.drop_piece(i, x, y), None).await;
        assert!(matches!(client.answer(100).await, ServerMsg::Ack { .. }));
        assert_eq!(cluster.committed_board(&room.id, board).await.piece(i), Some((x, y)));
    }
}

#[tokio::test]
async fn soft_locks_across_nodes_have_exactly_one_winner_every_time() {
    let cluster = TestCluster::start(2, &["--conn-rate", "2000"]).await;
    let room = cluster.nodes[0].create_room("Locks", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let ben = cluster.nodes[1].join(&room, "Ben").await;
    let board = start_puzzle(&cluster.nodes[0], &room, "shared", 2, 2, json!([])).await[0].id;
    let owner = cluster.wait_for_owner(&room.id).await;
    // Ann on the owner, Ben forwarded through the other node.
    let mut a = connect_at(cluster.nodes[owner].addr, &room.id, &ann.token, None).await;
    let mut b = connect_at(cluster.nodes[1 - owner].addr, &room.id, &ben.token, None).await;
    let ra = a.replica_of(board).await;
    let rb = b.replica_of(board).await;

    let (mut ann_wins, mut ben_wins) = (0, 0);
    for round in 0..500u32 {
        let piece = (round % 4) as u16;
        let r = 2 * round + 1;
        let (grab_a, grab_b) =
            (ClientMsg::Grab { r#ref: Some(r), board, piece }, ClientMsg::Grab { r#ref: Some(r + 1), board, piece });
        tokio::join!(a.send(&grab_a), b.send(&grab_b));
        let (answer_a, answer_b) = tokio::join!(a.answer(r), b.answer(r + 1));
        let (winner, replica) = match (&answer_a, &answer_b) {
            (ServerMsg::Ack { .. }, ServerMsg::Error { code: ErrorCode::Busy, .. }) => {
                ann_wins += 1;
                (&mut a, &ra)
            }
            (ServerMsg::Error { code: ErrorCode::Busy, .. }, ServerMsg::Ack { .. }) => {
                ben_wins += 1;
                (&mut b, &rb)
            }
            other => panic!("round {round}: not exactly one winner: {other:?}"),
        };
        let drop = replica.drop_piece(usize::from(piece), f64::from(round % 300), 20.0);
        winner.send_update(r + 10_000, board, drop, Some(piece)).await;
        let answer = winner.answer(r + 10_000).await;
        assert!(matches!(answer, ServerMsg::Ack { .. }), "round {round}: drop refused: {answer:?}");
    }
    assert_eq!(ann_wins + ben_wins, 500);
}

#[tokio::test]
async fn every_room_call_works_on_every_node() {
    let cluster = TestCluster::start(3, &[]).await;
    let room = cluster.nodes[2].create_room("Front doors", "T").await;
    cluster.nodes[2].join(&room, "First").await;
    let owner = cluster.wait_for_owner(&room.id).await;
    for node in &cluster.nodes {
        let student = node.join(&room, "Sam").await;
        assert!(!student.token.is_empty());
        let teacher = node.add_teacher(&room, "Co").await;
        let (status, boards) = node.get(&format!("/api/rooms/{}/boards", room.id), Some(&teacher.token)).await;
        assert_eq!(status, 200, "{boards}");
        assert_eq!(node.history(&room, &student.token, "").await.last().map(|m| m.kind), Some(MessageKind::System));
        let (status, up) = upload(node, &room, &teacher.token, TINY_GIF.to_vec(), "hi.gif").await;
        assert_eq!(status, 201, "{up}");
    }
    // A puzzle started through a node that does not own the room.
    let other = &cluster.nodes[(owner + 1) % 3];
    let boards = start_puzzle(other, &room, "individual", 2, 2, json!([])).await;
    assert_eq!(boards.len(), 4, "one board per student");
    // Unknown rooms are refused on every node, and leave no lease behind.
    for node in &cluster.nodes {
        let (status, _) = node.get("/api/rooms/nope/boards", Some(&room.teacher.token)).await;
        assert_eq!(status, 403);
        let mut client = connect_at(node.addr, "nope", &room.teacher.token, None).await;
        assert_ne!(client.closed().await.code, 1000);
    }
    assert_eq!(cluster.owner("nope").await, None);
}

/// Reads lobby frames until one shows a room line matching `want`.
async fn wait_for(lobby: &mut Client, want: impl Fn(&RoomSummary) -> bool) {
    loop {
        match lobby.recv_lobby().await {
            LobbyMsg::Rooms { rooms } if rooms.iter().any(&want) => return,
            LobbyMsg::Room(room) if want(&room) => return,
            _ => {}
        }
    }
}

#[tokio::test]
async fn every_nodes_lobby_lists_every_nodes_rooms_live() {
    let cluster = TestCluster::start(2, &[]).await;
    let maths = cluster.nodes[0].create_room("Maths", "T").await;
    let mut lobby = cluster.nodes[1].lobby(&maths.teacher.token).await;
    wait_for(&mut lobby, |r| r.id == maths.id && r.online == 0).await;
    // A student connects on node 0: node 1's lobby shows them online.
    let ann = cluster.nodes[0].join(&maths, "Ann").await;
    let (client, _) = cluster.nodes[0].connect(&ann.token).await;
    wait_for(&mut lobby, |r| r.id == maths.id && r.online == 1 && r.participants == 2).await;
    drop(client);
    // Closed on node 0: gone from node 1's lobby.
    let (mut teacher, _) = cluster.nodes[0].connect(&maths.teacher.token).await;
    teacher.send(&ClientMsg::CloseRoom { r#ref: Some(1) }).await;
    assert!(matches!(teacher.answer(1).await, ServerMsg::Ack { .. }));
    loop {
        if let LobbyMsg::Closed { room } = lobby.recv_lobby().await {
            assert_eq!(room, maths.id);
            break;
        }
    }
}

#[tokio::test]
async fn a_teacher_sees_only_their_classes_on_every_node_and_co_taught_ones_once_invited() {
    let cluster = TestCluster::start(2, &[]).await;
    let kims = cluster.nodes[0].create_room("Kim's maths", "Kim").await;
    let lees = cluster.nodes[0].create_room("Lee's art", "Lee").await;
    let mut kim = cluster.nodes[1].lobby(&kims.pass).await;
    wait_for(&mut kim, |r| r.id == kims.id).await;
    // Lee's class gets a student; Kim, on the other node, hears of Kim's own
    // class changing (Ann joins it later) but never of Lee's.
    cluster.nodes[0].join(&lees, "Ann").await;
    cluster.nodes[0].join(&kims, "Bo").await;
    loop {
        match kim.recv_lobby().await {
            LobbyMsg::Room(r) if r.id == kims.id && r.participants == 2 => break,
            LobbyMsg::Room(r) => assert_eq!(r.id, kims.id, "Kim saw a class of Lee's"),
            LobbyMsg::Rooms { rooms } => assert!(rooms.iter().all(|r| r.id == kims.id), "{rooms:?}"),
            LobbyMsg::Closed { .. } => {}
        }
    }
    // Lee invites Kim on node 0: node 1 shows Kim the class.
    let path = format!("/api/rooms/{}/teachers", lees.id);
    let body = json!({ "name": "Kim", "teacherId": kims.teacher_id });
    let (status, _) = cluster.nodes[0].post(&path, Some(&lees.teacher.token), body).await;
    assert_eq!(status, 201);
    wait_for(&mut kim, |r| r.id == lees.id).await;
}

#[tokio::test]
async fn a_paused_owner_is_fenced_off_and_its_clients_reconnect_to_the_new_owner() {
    // Short leases, so the pause outlasts one quickly; ten renewals per
    // lease, so a node starved of CPU on a busy machine keeps its room until
    // the pause.
    let cluster = TestCluster::start(3, &["--lease-ttl-ms", "3000", "--lease-renew-ms", "300"]).await;
    let room = cluster.nodes[0].create_room("Paused", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let ben = cluster.nodes[0].join(&room, "Ben").await;
    let cho = cluster.nodes[0].join(&room, "Cho").await;
    let old = cluster.wait_for_owner(&room.id).await;
    let (via, fresh) = ((old + 1) % 3, (old + 2) % 3);
    let mut a = connect_at(cluster.nodes[old].addr, &room.id, &ann.token, None).await;
    let mut b = connect_at(cluster.nodes[via].addr, &room.id, &ben.token, None).await;
    assert!(matches!(a.recv().await, ServerMsg::Welcome { .. }));
    assert!(matches!(b.recv().await, ServerMsg::Welcome { .. }));
    assert_eq!(cluster.owner(&room.id).await, Some(old), "the room stayed on its node until the pause");
    a.chat(1, "before the pause").await;
    let ServerMsg::Ack { seq: Some(before), .. } = a.answer(1).await else { panic!("no ack") };

    cluster.nodes[old].pause();
    // Ben's chat reaches the paused owner and waits there.
    b.chat(2, "sent into the pause").await;
    tokio::time::sleep(Duration::from_millis(4000)).await;
    // The lease ran out: Cho's connection makes another node the owner.
    let mut c = connect_at(cluster.nodes[fresh].addr, &room.id, &cho.token, None).await;
    assert!(matches!(c.recv().await, ServerMsg::Welcome { .. }));
    assert_eq!(cluster.owner(&room.id).await, Some(fresh));
    c.chat(3, "on the new owner").await;
    let ServerMsg::Ack { seq: Some(after), .. } = c.answer(3).await else { panic!("no ack on the new owner") };
    assert!(after > before);

    cluster.nodes[old].signal("CONT");
    // The old owner's write is refused by the fence: nothing is acknowledged
    // and its clients (direct and forwarded) are told to reconnect.
    for client in [&mut a, &mut b] {
        loop {
            match tokio::time::timeout(WAIT, client.ws.next()).await.expect("closed in time") {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Binary(bytes))) => {
                    let msg: ServerMsg = jigsync_schema::decode(&bytes).expect("decodes");
                    assert!(!matches!(msg, ServerMsg::Ack { r#ref: Some(2), .. }), "the fenced write was acknowledged");
                }
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001));
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("ended without a close frame: {other:?}"),
            }
        }
    }
    let texts: Vec<String> = cluster.committed(&room.id).await.into_iter().map(|(_, text)| text).collect();
    assert!(!texts.contains(&"sent into the pause".to_owned()), "{texts:?}");
    let seqs: Vec<i64> = cluster.committed(&room.id).await.into_iter().map(|(seq, _)| seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no seq taken twice or skipped");

    // Ben reconnects (through the node he used) and resends: the new owner
    // takes it.
    let mut b = connect_at(cluster.nodes[via].addr, &room.id, &ben.token, Some(before)).await;
    let ServerMsg::Welcome { history, .. } = b.recv().await else { panic!("no welcome") };
    assert!(history.iter().any(|m| m.text == "on the new owner"));
    b.chat(4, "sent into the pause").await;
    assert!(matches!(b.answer(4).await, ServerMsg::Ack { seq: Some(s), .. } if s == after + 1));
    assert_eq!(cluster.owner(&room.id).await, Some(fresh));
}

#[tokio::test]
async fn killing_a_node_that_owns_nothing_only_drops_its_own_clients() {
    let mut cluster = TestCluster::start(3, &[]).await;
    let room = cluster.nodes[0].create_room("Bystander", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let ben = cluster.nodes[0].join(&room, "Ben").await;
    let owner = cluster.wait_for_owner(&room.id).await;
    let (bystander, victim) = ((owner + 1) % 3, (owner + 2) % 3);
    let mut a = connect_at(cluster.nodes[owner].addr, &room.id, &ann.token, None).await;
    let mut t = connect_at(cluster.nodes[bystander].addr, &room.id, &room.teacher.token, None).await;
    let mut b = connect_at(cluster.nodes[victim].addr, &room.id, &ben.token, None).await;
    for client in [&mut a, &mut t, &mut b] {
        assert!(matches!(client.recv().await, ServerMsg::Welcome { .. }));
    }

    cluster.nodes[victim].kill9();
    // Ben's socket ends; Ben goes offline for the others, nothing else.
    // Frames already on their way may arrive first.
    while let Some(Ok(tokio_tungstenite::tungstenite::Message::Binary(_))) =
        tokio::time::timeout(WAIT, b.ws.next()).await.expect("Ben's socket ended")
    {}
    a.recv_until(|m| {
        matches!(m, ServerMsg::Presence { event: PresenceEvent::Offline, participant, .. } if participant.id == ben.id)
    })
    .await;
    for (n, client) in [&mut a, &mut t].into_iter().enumerate() {
        let r = 10 + n as u32;
        client.chat(r, "still here").await;
        assert!(matches!(client.answer(r).await, ServerMsg::Ack { seq: Some(_), .. }));
    }
    assert_eq!(cluster.owner(&room.id).await, Some(owner), "the room did not move");
}

/// A client relayed through a node that is not the room's: the relay
/// passes bytes, yet when it shuts down the client gets a clean 1001
/// between two frames, and when the owner dies it gets one too.
#[tokio::test]
async fn a_relaying_node_closes_its_clients_with_1001_when_it_or_the_owner_stops() {
    let mut cluster = TestCluster::start(3, &[]).await;
    let room = cluster.nodes[0].create_room("Relay", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let ben = cluster.nodes[0].join(&room, "Ben").await;
    let owner = cluster.wait_for_owner(&room.id).await;
    let (relay, other) = ((owner + 1) % 3, (owner + 2) % 3);
    let mut t = connect_at(cluster.nodes[owner].addr, &room.id, &room.teacher.token, None).await;
    let mut a = connect_at(cluster.nodes[relay].addr, &room.id, &ann.token, None).await;
    let mut b = connect_at(cluster.nodes[other].addr, &room.id, &ben.token, None).await;
    for client in [&mut t, &mut a, &mut b] {
        assert!(matches!(client.recv().await, ServerMsg::Welcome { .. }));
    }
    // Traffic both ways through the relay, and still flowing while it stops.
    a.chat(1, "through the relay").await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { seq: Some(_), .. }));
    for r in 2..6 {
        t.chat(r, "keep talking").await;
    }
    cluster.nodes[relay].signal("TERM");
    let closed = a.closed().await;
    assert_eq!((closed.code, closed.reason.as_str()), (1001, "server shutting down"));
    t.recv_until(|m| {
        matches!(m, ServerMsg::Presence { event: PresenceEvent::Offline, participant, .. } if participant.id == ann.id)
    })
    .await;

    cluster.nodes[owner].kill9();
    let closed = b.closed().await;
    assert_eq!((closed.code, closed.reason.as_str()), (1001, "the room's node went away; reconnect"));
}

/// An upgrade the owner refuses is refused the same way through a node that
/// relays it: the relay does not judge the upgrade, it passes the owner's
/// answer back whole.
#[tokio::test]
async fn an_upgrade_the_owner_refuses_is_refused_alike_through_a_relay() {
    let cluster = TestCluster::start(2, &[]).await;
    let room = cluster.nodes[0].create_room("Refused", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let owner = cluster.wait_for_owner(&room.id).await;
    let relay = (owner + 1) % 2;
    // A WebSocket version this server does not speak.
    let answer = |addr: std::net::SocketAddr| {
        let (room, token) = (room.id.clone(), ann.token.clone());
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let request = format!(
                "GET /ws/{room}?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.expect("send");
            let mut head = vec![0u8; 4096];
            let n = tokio::time::timeout(WAIT, stream.read(&mut head)).await.expect("answer in time").expect("read");
            let head = String::from_utf8_lossy(&head[..n]).into_owned();
            head.lines().next().unwrap_or_default().to_owned()
        }
    };
    let direct = answer(cluster.nodes[owner].addr).await;
    assert!(direct.starts_with("HTTP/1.1 4"), "{direct}");
    assert_eq!(answer(cluster.nodes[relay].addr).await, direct);
}

use futures_util::StreamExt;

/// A room taken by the node that served a join (joins by code cannot be
/// routed by room) moves to the node its first connection reaches, without
/// dropping that connection; once somebody is connected it stays, and other
/// nodes relay to it.
#[tokio::test]
async fn a_room_settles_on_the_node_its_first_connection_reaches_and_then_stays() {
    let cluster = TestCluster::start(2, &[]).await;
    let room = cluster.nodes[0].create_room("Settles", "T").await;
    let ann = cluster.nodes[0].join(&room, "Ann").await;
    let first = cluster.wait_for_owner(&room.id).await;
    let other = (first + 1) % 2;

    let mut t = connect_at(cluster.nodes[other].addr, &room.id, &room.teacher.token, None).await;
    let ServerMsg::Welcome { history, .. } = t.recv().await else { panic!("no welcome") };
    assert!(history.iter().any(|m| m.kind == MessageKind::System), "Ann's join is in the history");
    assert_eq!(cluster.owner(&room.id).await, Some(other), "the room moved to the connected node");

    let mut a = connect_at(cluster.nodes[first].addr, &room.id, &ann.token, None).await;
    assert!(matches!(a.recv().await, ServerMsg::Welcome { .. }));
    a.chat(1, "relayed").await;
    assert!(matches!(a.answer(1).await, ServerMsg::Ack { seq: Some(_), .. }));
    t.recv_until(|m| matches!(m, ServerMsg::Msg(msg) if msg.text == "relayed")).await;
    assert_eq!(cluster.owner(&room.id).await, Some(other), "a room with a connection stays");
    let texts: Vec<String> = cluster.committed(&room.id).await.into_iter().map(|(_, text)| text).collect();
    assert!(texts.contains(&"relayed".to_owned()));
}
