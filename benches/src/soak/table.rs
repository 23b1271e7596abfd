//! The soak's per-minute table: one row per period (a minute by default)
//! of what the server held (RSS, CPU) and what flowed (moves, chats, acks,
//! reconnects, resumes, errors), from the difference of two snapshots of
//! the counters. Printed as a Markdown table, so a run can be pasted into
//! benches/README.md as it is.

use serde::Serialize;

use super::counters::Snapshot;

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Seconds since the start, at the end of the period.
    pub at_s: f64,
    pub rss_kib: Option<u64>,
    pub connected: i64,
    pub moves_per_s: f64,
    pub moves_received_per_s: f64,
    pub chats_per_s: f64,
    pub chat_acks: u64,
    pub drops_acked: u64,
    pub reconnects: u64,
    pub resumes: u64,
    pub errors: u64,
    /// Share of a core, percent.
    pub server_cpu_pct: Option<f64>,
    pub generator_cpu_pct: Option<f64>,
}

/// CPU seconds of the server and of the generator at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cpu {
    pub server: Option<f64>,
    pub generator: Option<f64>,
}

impl Row {
    /// The period from `before` to `after`, `secs` long, ending `at_s`
    /// after the start.
    pub fn between(
        at_s: f64,
        secs: f64,
        before: (&Snapshot, Cpu),
        after: (&Snapshot, Cpu),
        rss_kib: Option<u64>,
    ) -> Row {
        let (b, a) = (before.0, after.0);
        let rate = |n: u64| n as f64 / secs;
        let pct = |b: Option<f64>, a: Option<f64>| Some((a? - b?) / secs * 100.0);
        Row {
            at_s,
            rss_kib,
            connected: a.connected,
            moves_per_s: rate(a.moves_sent - b.moves_sent),
            moves_received_per_s: rate(a.moves_received - b.moves_received),
            chats_per_s: rate(a.chats_sent - b.chats_sent),
            chat_acks: a.chats_acked - b.chats_acked,
            drops_acked: a.drops_acked - b.drops_acked,
            reconnects: a.reconnects - b.reconnects,
            resumes: a.resumes - b.resumes,
            errors: a.errors - b.errors,
            server_cpu_pct: pct(before.1.server, after.1.server),
            generator_cpu_pct: pct(before.1.generator, after.1.generator),
        }
    }
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let opt = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0}%"));
    let mut out = String::from(
        "| time | server RSS | connections | moves/s sent | moves/s to teachers | chats/s | chat acks | drop acks | reconnects | resumes | errors | server CPU | generator CPU |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {:.0} s | {} | {} | {:.0} | {:.0} | {:.1} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.at_s,
            r.rss_kib.map_or("n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
            r.connected,
            r.moves_per_s,
            r.moves_received_per_s,
            r.chats_per_s,
            r.chat_acks,
            r.drops_acked,
            r.reconnects,
            r.resumes,
            r.errors,
            opt(r.server_cpu_pct),
            opt(r.generator_cpu_pct),
        ));
    }
    out
}
