//! The figures of one `dragbench` run, derived from an `Outcome`, printed as
//! a table or as one JSON object.

use serde_json::{json, Value};

use crate::drag::{Outcome, Workload};
use crate::tally::{covered, Percentiles};

/// One full-rate flush period (33 ms) plus a millisecond of timer slack.
const FLUSH_US: u32 = 34_000;

fn ratio(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// Latency and delivery limits a load must meet to count as sustained.
pub const MAX_P99_MS: f64 = 100.0;
pub const MIN_FOCUSED_DELIVERY: f64 = 0.99;

pub struct Figures {
    pub target: &'static str,
    pub rooms: usize,
    pub students: usize,
    pub hz: f64,
    pub window_s: f64,
    pub connections: usize,
    pub moves_sent: u64,
    pub moves_per_s: f64,
    pub focused_sent: u64,
    pub focused_delivered: u64,
    /// Share of focused moves delivered or coalesced within one flush.
    pub focused_delivery: f64,
    /// Share of focused moves delivered as themselves.
    pub focused_delivery_raw: f64,
    pub thumbs_delivered: u64,
    pub latency: Percentiles,
    pub thumb_latency: Percentiles,
    pub drops_sent: u64,
    pub commits_acked: u64,
    pub commit_latency: Percentiles,
    pub errors: u64,
    pub cpu_s: Option<f64>,
    pub cpu_ms_per_1000_moves: Option<f64>,
    pub peak_rss_kib: Option<u64>,
    pub rss_kib: Option<u64>,
    pub frames_per_s: f64,
    pub bytes_per_s: f64,
    /// The machine's load average (1, 5, 15 min) before setup and after the run.
    pub load_average: Option<(String, String)>,
}

impl Figures {
    pub fn new(w: &Workload, mut o: Outcome) -> Figures {
        let t = &mut o.tally;
        let per_s = |n: u64| n as f64 / o.window;
        Figures {
            target: w.target.name(),
            rooms: w.rooms,
            students: w.students,
            hz: w.hz,
            window_s: o.window,
            connections: o.connections,
            moves_sent: t.moves_sent,
            moves_per_s: per_s(t.moves_sent),
            focused_sent: t.focused_sent,
            focused_delivered: t.focused_delivered,
            focused_delivery: ratio(
                covered(&mut t.focused_sent_log, &mut t.focused_seen_log, &mut t.focused_drop_log, FLUSH_US),
                t.focused_sent,
            ),
            focused_delivery_raw: ratio(t.focused_delivered, t.focused_sent),
            thumbs_delivered: t.thumbs_delivered,
            latency: Percentiles::of(&mut t.focused_latency_us),
            thumb_latency: Percentiles::of(&mut t.thumb_latency_us),
            drops_sent: t.drops_sent,
            commits_acked: t.commits_acked,
            commit_latency: Percentiles::of(&mut t.commit_latency_us),
            errors: t.errors,
            cpu_s: o.cpu,
            cpu_ms_per_1000_moves: o.cpu.filter(|_| t.moves_sent > 0).map(|c| c * 1e6 / t.moves_sent as f64),
            peak_rss_kib: o.peak_rss_kib,
            rss_kib: o.rss_kib,
            frames_per_s: per_s(t.frames_rx),
            bytes_per_s: per_s(t.bytes_rx),
            load_average: None,
        }
    }

    /// The load held: focused-view p99 and delivery within the limits.
    pub fn held(&self) -> bool {
        self.focused_sent > 0 && self.latency.p99 <= MAX_P99_MS && self.focused_delivery >= MIN_FOCUSED_DELIVERY
    }

    pub fn rss_per_connection_kib(&self) -> Option<f64> {
        self.rss_kib.map(|r| r as f64 / self.connections.max(1) as f64)
    }

    pub fn json(&self) -> Value {
        let pct = |p: &Percentiles| json!({ "p50": p.p50, "p95": p.p95, "p99": p.p99, "max": p.max });
        json!({
            "target": self.target,
            "rooms": self.rooms,
            "students": self.students,
            "hz": self.hz,
            "window_s": self.window_s,
            "connections": self.connections,
            "moves_sent": self.moves_sent,
            "moves_per_s": self.moves_per_s,
            "focused_sent": self.focused_sent,
            "focused_delivered": self.focused_delivered,
            "focused_delivery": self.focused_delivery,
            "focused_delivery_raw": self.focused_delivery_raw,
            "thumbs_delivered": self.thumbs_delivered,
            "latency_ms": pct(&self.latency),
            "thumb_latency_ms": pct(&self.thumb_latency),
            "drops_sent": self.drops_sent,
            "commits_acked": self.commits_acked,
            "commit_latency_ms": pct(&self.commit_latency),
            "errors": self.errors,
            "server_cpu_s": self.cpu_s,
            "cpu_ms_per_1000_moves": self.cpu_ms_per_1000_moves,
            "peak_rss_kib": self.peak_rss_kib,
            "rss_kib": self.rss_kib,
            "rss_per_connection_kib": self.rss_per_connection_kib(),
            "frames_per_s": self.frames_per_s,
            "bytes_per_s": self.bytes_per_s,
            "held": self.held(),
            "load_average_before": self.load_average.as_ref().map(|l| &l.0),
            "load_average_after": self.load_average.as_ref().map(|l| &l.1),
        })
    }

    pub fn table(&self) -> String {
        let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v:.1}{unit}"));
        let pct = |p: &Percentiles| format!("{:.1} / {:.1} / {:.1} / {:.1} ms", p.p50, p.p95, p.p99, p.max);
        let rows = [
            ("target", self.target.to_owned()),
            (
                "load",
                format!(
                    "{} rooms x (1 + {}) at {} Hz, {:.0} s measured",
                    self.rooms, self.students, self.hz, self.window_s
                ),
            ),
            ("moves sent", format!("{} ({:.0}/s)", self.moves_sent, self.moves_per_s)),
            (
                "focused view",
                format!(
                    "{:.2}% delivered or coalesced within one flush ({} of {} as themselves)",
                    self.focused_delivery * 100.0,
                    self.focused_delivered,
                    self.focused_sent
                ),
            ),
            ("thumbnails", format!("{} delivered", self.thumbs_delivered)),
            ("latency p50/p95/p99/max", pct(&self.latency)),
            ("thumbnail latency", pct(&self.thumb_latency)),
            ("commits acked", format!("{} of {} drops", self.commits_acked, self.drops_sent)),
            ("commit latency", pct(&self.commit_latency)),
            ("errors received", self.errors.to_string()),
            ("server CPU", opt(self.cpu_s.map(|c| c / self.window_s * 100.0), "% of a core")),
            ("CPU per 1,000 moves", opt(self.cpu_ms_per_1000_moves, " ms")),
            ("peak RSS", opt(self.peak_rss_kib.map(|k| k as f64 / 1024.0), " MiB")),
            ("RSS per connection", opt(self.rss_per_connection_kib(), " KiB")),
            ("received", format!("{:.0} frames/s, {:.1} KiB/s", self.frames_per_s, self.bytes_per_s / 1024.0)),
            (
                "load average",
                self.load_average.as_ref().map_or("n/a".into(), |(b, a)| format!("{b} before, {a} after")),
            ),
            ("held", format!("{} (p99 <= {MAX_P99_MS} ms, focused delivery >= 99%)", self.held())),
        ];
        rows.iter().map(|(k, v)| format!("  {k:<26} {v}\n")).collect()
    }
}
