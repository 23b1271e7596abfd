//! What `dragbench --compare` keeps of each target (the load given, the
//! find-max steps, the idle connections) and how it prints them: one column
//! per target, then Jigsync's figure over each other target's.

use serde_json::{json, Map, Value};

use crate::idle::IdleFigures;
use crate::link::Target;
use crate::report::Figures;

pub struct Compared {
    pub target: Target,
    /// The run at the load given.
    pub load: Figures,
    /// Every find-max step, in the order run.
    pub steps: Vec<Figures>,
    pub idle: Option<IdleFigures>,
}

/// The compared figures: JSON key and label.
pub const FIGURES: [(&str, &str); 5] = [
    ("max_rooms", "max sustainable rooms"),
    ("p99_ms", "p99 latency at the load, ms"),
    ("cpu_ms_per_1000_moves", "CPU per 1,000 moves, ms"),
    ("rss_per_connection_kib", "RSS per connection under load, KiB"),
    ("idle_rss_per_connection_kib", "RSS per idle connection, KiB"),
];

impl Compared {
    /// The largest load that held among the steps.
    pub fn max(&self) -> Option<&Figures> {
        self.steps.iter().filter(|s| s.held()).max_by_key(|s| s.rooms)
    }

    pub fn figure(&self, key: &str) -> Option<f64> {
        match key {
            "max_rooms" => self.max().map(|m| m.rooms as f64),
            "p99_ms" => Some(self.load.latency.p99),
            "cpu_ms_per_1000_moves" => self.load.cpu_ms_per_1000_moves,
            "rss_per_connection_kib" => self.load.rss_per_connection_kib(),
            "idle_rss_per_connection_kib" => self.idle.as_ref().map(IdleFigures::per_connection_kib),
            _ => None,
        }
    }
}

/// Jigsync's figure over `of`'s, when both exist.
fn ratio(jigsync: &Compared, of: &Compared, key: &str) -> Option<f64> {
    jigsync.figure(key).zip(of.figure(key)).filter(|(_, b)| *b > 0.0).map(|(a, b)| a / b)
}

/// Jigsync and the others, when Jigsync was among the targets.
fn split(results: &[Compared]) -> Option<(&Compared, impl Iterator<Item = &Compared>)> {
    let jigsync = results.iter().find(|c| c.target == Target::Jigsync)?;
    Some((jigsync, results.iter().filter(|c| c.target != Target::Jigsync)))
}

/// One object: each target's figures and runs under its name, and
/// `jigsync_over_<target>` with the ratios.
pub fn json(results: &[Compared]) -> Value {
    let mut out = Map::new();
    for c in results {
        let mut m: Map<String, Value> = FIGURES.iter().map(|(k, _)| ((*k).to_owned(), json!(c.figure(k)))).collect();
        m.insert("load".into(), c.load.json());
        m.insert("max".into(), c.max().map_or(Value::Null, Figures::json));
        m.insert("steps".into(), c.steps.iter().map(Figures::json).collect());
        m.insert("idle".into(), c.idle.as_ref().map_or(Value::Null, IdleFigures::json));
        out.insert(c.target.name().into(), m.into());
    }
    if let Some((jigsync, others)) = split(results) {
        for of in others {
            let m: Map<String, Value> =
                FIGURES.iter().map(|(k, _)| ((*k).to_owned(), json!(ratio(jigsync, of, k)))).collect();
            out.insert(format!("jigsync_over_{}", of.target.name().replace('-', "_")), m.into());
        }
    }
    Value::Object(out)
}

fn cell(v: Option<f64>) -> String {
    v.map_or("n/a".to_owned(), |v| format!("{v:.2}"))
}

/// The figures side by side, then the ratios.
pub fn table(results: &[Compared]) -> String {
    let mut out = format!("\n  {:<36}", "");
    for c in results {
        out += &format!(" {:>18}", c.target.name());
    }
    out += "\n";
    for (k, label) in FIGURES {
        out += &format!("  {label:<36}");
        for c in results {
            out += &format!(" {:>18}", cell(c.figure(k)));
        }
        out += "\n";
    }
    if let Some((jigsync, others)) = split(results) {
        let others: Vec<&Compared> = others.collect();
        out += &format!("\n  {:<36}", "Jigsync over");
        for of in &others {
            out += &format!(" {:>18}", of.target.name());
        }
        out += "\n";
        for (k, label) in FIGURES {
            out += &format!("  {label:<36}");
            for of in &others {
                out += &format!(" {:>18}", cell(ratio(jigsync, of, k)));
            }
            out += "\n";
        }
    }
    out
}
