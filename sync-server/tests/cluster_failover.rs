//! A cluster failing under a running class: the room's owner killed (clients
//! reconnect through a real HAProxy, started from the operator's example
//! configuration, and resume), and Postgres restarted under load. What was
//! acknowledged is never lost or duplicated.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::cluster::TestCluster;
use common::*;
use jigsync_schema::{ClientMsg, Move, ServerMsg};
use jigsync_testkit::haproxy::TestHaproxy;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How long a client keeps trying to get back into its room.
const RECONNECT_FOR: Duration = Duration::from_secs(30);

/// A participant that reconnects (with `since`) whenever its socket ends,
/// as the client library does, and resends what was never acknowledged.
struct Resumer {
    addr: SocketAddr,
    room: String,
    token: String,
    /// The last room seq this participant has seen.
    since: u64,
    client: Option<Client>,
    next_ref: u32,
    reconnects: u32,
}

/// What a chat came to.
enum Sent {
    Acked(u64),
    /// The ack was lost with the connection, but the message was in the
    /// history the new connection brought: delivered, at this seq.
    FoundOnResume(u64),
}

impl Resumer {
    fn new(addr: SocketAddr, room: &str, token: &str) -> Resumer {
        Resumer {
            addr,
            room: room.to_owned(),
            token: token.to_owned(),
            since: 0,
            client: None,
            next_ref: 1,
            reconnects: 0,
        }
    }

    /// Connects until welcomed; returns the history the welcome brought.
    async fn connect(&mut self) -> Vec<jigsync_schema::Message> {
        let deadline = Instant::now() + RECONNECT_FOR;
        loop {
            assert!(Instant::now() < deadline, "could not get back into the room");
            let url = format!("ws://{}/ws/{}?token={}&since={}", self.addr, self.room, self.token, self.since);
            if let Ok(Ok((ws, _))) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await {
                let mut client = Client { ws };
                if let Some(ServerMsg::Welcome { history, .. }) = next_msg(&mut client).await {
                    if let Some(last) = history.last() {
                        self.since = self.since.max(last.seq);
                    }
                    self.client = Some(client);
                    return history;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends a chat and waits for its answer, reconnecting as needed.
    async fn chat(&mut self, text: &str) -> Sent {
        loop {
            if self.client.is_none() {
                let history = self.connect().await;
                self.reconnects += 1;
                if let Some(m) = history.iter().find(|m| m.text == text) {
                    return Sent::FoundOnResume(m.seq);
                }
            }
            let r = self.next_ref;
            self.next_ref += 1;
            let client = self.client.as_mut().expect("connected");
            if client.ws.send_msg(&ClientMsg::Chat { r#ref: Some(r), text: text.into(), upload: None }).await.is_err() {
                self.client = None;
                continue;
            }
            loop {
                match next_msg(client).await {
                    Some(ServerMsg::Msg(m)) => self.since = self.since.max(m.seq),
                    Some(ServerMsg::Ack { r#ref: Some(x), seq: Some(seq) }) if x == r => {
                        self.since = self.since.max(seq);
                        return Sent::Acked(seq);
                    }
                    // Refused while the store or the room is unavailable:
                    // nothing was written, try again in a moment.
                    Some(ServerMsg::Error { r#ref: Some(x), .. }) if x == r => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        break;
                    }
                    Some(_) => {}
                    None => {
                        self.client = None;
                        break;
                    }
                }
            }
        }
    }

    /// A drag position, if connected (the motion lane is fire and forget).
    async fn drag(&mut self, board: u32, n: u32) {
        if let Some(client) = self.client.as_mut() {
            let msg = ClientMsg::Move(Move { board, piece: 0, x: (n % 400) as f32, y: 40.0, seq: n, t: n });
            if client.ws.send_msg(&msg).await.is_err() {
                self.client = None;
            }
        }
    }
}

/// The next server message, or `None` when the socket ended (closed,
/// errored, or silent past [`WAIT`]).
async fn next_msg(client: &mut Client) -> Option<ServerMsg> {
    use futures_util::StreamExt;
    loop {
        match tokio::time::timeout(WAIT, client.ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(bytes)))) => return jigsync_schema::decode(&bytes).ok(),
            Ok(Some(Ok(WsMessage::Close(_)) | Err(_)) | None) | Err(_) => return None,
            Ok(Some(Ok(_))) => {}
        }
    }
}

trait SendMsg {
    async fn send_msg(&mut self, msg: &ClientMsg) -> Result<(), tokio_tungstenite::tungstenite::Error>;
}

impl SendMsg for tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    async fn send_msg(&mut self, msg: &ClientMsg) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        use futures_util::SinkExt;
        self.send(WsMessage::Binary(jigsync_schema::encode(msg).into())).await
    }
}

/// Every acknowledged chat is committed exactly once, and the room's seqs
/// have no gaps.
async fn assert_nothing_lost_or_doubled(cluster: &TestCluster, room: &str, delivered: &BTreeMap<String, u64>) {
    let committed = cluster.committed(room).await;
    let seqs: Vec<i64> = committed.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "gaps in the room's seqs");
    for (text, seq) in delivered {
        let copies: Vec<&(i64, String)> = committed.iter().filter(|(_, t)| t == text).collect();
        assert_eq!(copies.len(), 1, "{text} committed {} times", copies.len());
        assert_eq!(copies[0].0, *seq as i64, "{text} acknowledged at another seq");
    }
}

#[tokio::test]
async fn killing_the_rooms_owner_mid_class_loses_nothing_and_the_class_goes_on_within_10_s() {
    // Default lease timings: what an operator runs.
    let mut cluster =
        TestCluster::start(3, &["--trusted-proxy", "127.0.0.1/32", "--chat-rate", "50", "--chat-burst", "50"]).await;
    let lb = TestHaproxy::start([cluster.nodes[0].addr, cluster.nodes[1].addr, cluster.nodes[2].addr]).await;
    let through_lb = TestServer::at(lb.addr);
    let room = through_lb.create_room("Failover", "T").await;
    let students = [through_lb.join(&room, "Ann").await, through_lb.join(&room, "Ben").await];
    let board = start_puzzle(&through_lb, &room, "shared", 2, 2, json!([])).await[0].id;
    // The room settles on the node its connections reach, so its owner is
    // read once the class is connected.
    let mut owner = None;

    let mut class: Vec<Resumer> = std::iter::once(&room.teacher)
        .chain(&students)
        .map(|person| Resumer::new(lb.addr, &room.id, &person.token))
        .collect();
    let mut delivered = BTreeMap::new();
    let mut killed_at = None;
    let mut first_ack_after_kill = None;
    let mut round = 0u32;
    // Chat and drag until everyone has had 5 chats answered after the kill.
    let mut after_kill = vec![0; class.len()];
    while after_kill.iter().any(|&n| n < 5) {
        round += 1;
        if round == 10 {
            let node = cluster.wait_for_owner(&room.id).await;
            owner = Some(node);
            cluster.nodes[node].kill9();
            killed_at = Some(Instant::now());
        }
        for (i, person) in class.iter_mut().enumerate() {
            person.drag(board, round).await;
            let text = format!("{i}:{round}");
            let seq = match person.chat(&text).await {
                Sent::Acked(seq) => {
                    if let Some(killed) = killed_at {
                        first_ack_after_kill.get_or_insert(killed.elapsed());
                        after_kill[i] += 1;
                    }
                    seq
                }
                Sent::FoundOnResume(seq) => seq,
            };
            delivered.insert(text, seq);
        }
        assert!(round < 500, "the class never got going again");
    }
    let first = first_ack_after_kill.expect("acks after the kill");
    assert!(first <= Duration::from_secs(10), "first ack {first:?} after the kill");
    assert!(class.iter().all(|p| p.reconnects >= 2), "everyone reconnected");
    let new_owner = cluster.owner(&room.id).await.expect("a new owner");
    assert_ne!(Some(new_owner), owner);
    assert_nothing_lost_or_doubled(&cluster, &room.id, &delivered).await;
}

#[tokio::test]
async fn a_postgres_restart_under_load_stalls_acks_then_they_resume_with_nothing_lost() {
    let cluster = TestCluster::start(2, &["--chat-rate", "50", "--chat-burst", "50"]).await;
    let room = cluster.nodes[0].create_room("Restart", "T").await;
    let ann = cluster.nodes[1].join(&room, "Ann").await;
    let mut class = [
        Resumer::new(cluster.nodes[0].addr, &room.id, &room.teacher.token),
        Resumer::new(cluster.nodes[1].addr, &room.id, &ann.token),
    ];
    let mut delivered = BTreeMap::new();
    let mut acked_at = Vec::new();
    for round in 0..20 {
        delivered.extend(chat_all(round, &mut class, &mut acked_at).await);
    }
    // The restart runs beside the class, which keeps chatting through it.
    let restart = tokio::task::spawn_blocking(move || {
        let mut cluster = cluster;
        cluster.db.restart(Duration::from_secs(2));
        cluster
    });
    let started = Instant::now();
    let mut round = 20;
    while !restart.is_finished() || started.elapsed() < Duration::from_secs(4) {
        delivered.extend(chat_all(round, &mut class, &mut acked_at).await);
        round += 1;
    }
    let cluster = restart.await.expect("restart");
    for _ in 0..20 {
        delivered.extend(chat_all(round, &mut class, &mut acked_at).await);
        round += 1;
    }
    assert_nothing_lost_or_doubled(&cluster, &room.id, &delivered).await;
    // The class did feel the restart (and came through it).
    let stall = acked_at.windows(2).map(|w: &[Instant]| w[1] - w[0]).max().unwrap_or_default();
    assert!(stall >= Duration::from_secs(1), "acks never stalled ({stall:?}): the restart missed the class");
}

/// One chat from each participant; records when each was answered.
async fn chat_all(round: u32, class: &mut [Resumer], acked_at: &mut Vec<Instant>) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for (i, person) in class.iter_mut().enumerate() {
        let text = format!("{i}:{round}");
        let seq = match person.chat(&text).await {
            Sent::Acked(seq) | Sent::FoundOnResume(seq) => seq,
        };
        acked_at.push(Instant::now());
        out.push((text, seq));
    }
    out
}
