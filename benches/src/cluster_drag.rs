//! The drag load against a cluster, measured in pairs so that relaying's
//! cost is not lost in the machine's noise. In every room half the students,
//! with a teacher connection of their own, reach the room's owner through a
//! balancer whose servers are all the owner; the other half, with a second
//! teacher connection, go through the cluster's balancer, which routes the
//! room to another node that relays every frame to the owner. Both halves
//! run at the same time, in the same rooms, on one timeline, each path
//! through one HAProxy of the same configuration: whatever else the machine
//! does hits both alike, and relaying's added latency is the difference
//! between the halves. Which half is relayed alternates from run to run.
//!
//! A single node gets the same split load (both halves straight to it), so
//! the difference between its halves shows how far apart two halves are
//! when nothing tells them apart.

use jigsync_testkit::haproxy::TestHaproxy;

use crate::classroom::Classroom;
use crate::cluster::Cluster;
use crate::drag::{self, Outcome, Workload};
use crate::harness::{load_average, Server};
use crate::report::Figures;

/// One paired measurement on the cluster.
pub struct PairedRun {
    /// The half connected to the owner.
    pub owner: Figures,
    /// The half relayed by another node.
    pub forwarded: Figures,
    /// CPU per 1,000 moves: the owner's over all moves, the relaying node's
    /// over the moves it relayed, both balancers' together over all moves.
    pub owner_cpu_per_1k: Option<f64>,
    pub relay_cpu_per_1k: Option<f64>,
    pub balancers_cpu_per_1k: Option<f64>,
    pub load_before: String,
}

impl PairedRun {
    pub fn added_p50(&self) -> f64 {
        self.forwarded.latency.p50 - self.owner.latency.p50
    }

    pub fn added_p99(&self) -> f64 {
        self.forwarded.latency.p99 - self.owner.latency.p99
    }
}

/// The same split load on one node: both halves together, and each alone.
pub struct SingleRun {
    pub both: Figures,
    pub halves: [Figures; 2],
}

/// Opens `w.rooms` rooms owned by node `owner` that the cluster's balancer
/// routes to node `relay`, and runs the paired load on them. `straight` is
/// the balancer to the owner ([`Cluster::balancer_to`]).
pub async fn paired(
    cluster: &Cluster,
    straight: &TestHaproxy,
    w: &Workload,
    (owner, relay): (usize, usize),
    relayed_first: bool,
) -> Result<PairedRun, String> {
    let load_before = load_average();
    let http = reqwest::Client::new();
    let (mut direct, mut relayed) = (Vec::new(), Vec::new());
    for _ in 0..w.rooms {
        let room = cluster.open_room(relay, owner).await?;
        let class = Classroom::fill(&http, &cluster.lb_addr(), room, w.students, w.side).await?;
        let (first, second) = halves(class);
        let (to_relay, to_owner) = if relayed_first { (first, second) } else { (second, first) };
        relayed.push(to_relay);
        direct.push(to_owner);
    }
    let relay_pid = cluster.nodes[relay].pid().ok_or("the relaying node is down")?;
    let others = [relay_pid, cluster.lb.pid(), straight.pid()];
    let groups = vec![(straight.addr.to_string(), direct), (cluster.lb_addr(), relayed)];
    let [on_owner, forwarded] = two(drag::run_grouped(w, groups, cluster.nodes[owner].pid(), &others).await?)?;
    let relayed_moves = forwarded.tally.moves_sent;
    let all_moves = on_owner.tally.moves_sent + relayed_moves;
    let cpu = |i: usize| forwarded.others_cpu.get(i).and_then(|c| c.1);
    let per_1k = |cpu: Option<f64>, moves: u64| cpu.filter(|_| moves > 0).map(|c| c * 1e6 / moves as f64);
    let balancers = cpu(1).zip(cpu(2)).map(|(a, b)| a + b);
    Ok(PairedRun {
        owner_cpu_per_1k: per_1k(forwarded.cpu, all_moves),
        relay_cpu_per_1k: per_1k(cpu(0), relayed_moves),
        balancers_cpu_per_1k: per_1k(balancers, all_moves),
        owner: Figures::new(w, on_owner),
        forwarded: Figures::new(w, forwarded),
        load_before,
    })
}

/// The split load on one node, both halves connected straight to it.
pub async fn single(w: &Workload, server: &Server) -> Result<SingleRun, String> {
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for class in drag::setup(w, &server.addr).await? {
        let (a, b) = halves(class);
        first.push(a);
        second.push(b);
    }
    let groups = vec![(server.addr.clone(), first), (server.addr.clone(), second)];
    let [a, b] = two(drag::run_grouped(w, groups, Some(server.pid()), &[]).await?)?;
    // Each half's figures from a copy: the merged row takes the tallies over.
    let halves = [Figures::new(w, a.clone()), Figures::new(w, b.clone())];
    Ok(SingleRun { both: Figures::new(w, merged(a, b)), halves })
}

/// A classroom's students in two halves, each with the room's teacher (who
/// connects once for each half and focuses that half's first student).
pub fn halves(class: Classroom) -> (Classroom, Classroom) {
    let Classroom { room, teacher, mut students, width, height, pieces } = class;
    let second = students.split_off(students.len() / 2);
    let half = |students| Classroom { room: room.clone(), teacher: teacher.clone(), students, width, height, pieces };
    (half(students), half(second))
}

/// The middle of the values (the mean of the two middle ones for an even
/// count), and the largest.
pub fn median_and_worst(values: &[f64]) -> Option<(f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    Some((median, sorted[n - 1]))
}

fn two(outcomes: Vec<Outcome>) -> Result<[Outcome; 2], String> {
    outcomes.try_into().map_err(|_| "expected two groups".to_owned())
}

/// Both halves as one outcome (the CPU figures are already the whole
/// server's).
fn merged(mut a: Outcome, b: Outcome) -> Outcome {
    a.tally.merge(b.tally);
    a.connections += b.connections;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_share_the_room_and_teacher_and_split_the_students() {
        let class = Classroom::synthetic(0, 5, 4);
        let (a, b) = halves(class);
        assert_eq!((a.students.len(), b.students.len()), (2, 3));
        assert_eq!((a.room.as_str(), b.room.as_str()), ("r0", "r0"));
        assert_eq!((a.focused(), b.focused()), (1, 3), "each half focuses its own first student");
    }

    #[test]
    fn median_of_odd_and_even_counts_and_the_worst() {
        assert_eq!(median_and_worst(&[4.0, -1.0, 2.0]), Some((2.0, 4.0)));
        assert_eq!(median_and_worst(&[4.0, -1.0, 2.0, 1.0]), Some((1.5, 4.0)));
        assert_eq!(median_and_worst(&[]), None);
    }
}
