//! What one simulated client counted during the measured window, merged
//! across clients at the end, and the percentiles drawn from it.

#[derive(Default, Debug, Clone)]
pub struct Tally {
    /// `mv` frames written by students.
    pub moves_sent: u64,
    /// Of those, moves on the board each teacher has focused.
    pub focused_sent: u64,
    /// Positions that reached a teacher for the focused board.
    pub focused_delivered: u64,
    /// Positions that reached a teacher for the other boards (thumbnails).
    pub thumbs_delivered: u64,
    /// (board, seq, t) of each focused move sent, and (board, seq) of each
    /// focused move delivered: see `covered`.
    pub focused_sent_log: Vec<(u32, u32, u32)>,
    pub focused_seen_log: Vec<(u32, u32)>,
    /// (board, t) of each drop on a focused board: a drop supersedes the
    /// positions of its piece still waiting to be flushed.
    pub focused_drop_log: Vec<(u32, u32)>,
    pub focused_latency_us: Vec<u32>,
    pub thumb_latency_us: Vec<u32>,
    /// Drops (`update` with `release`) written by students.
    pub drops_sent: u64,
    pub commits_acked: u64,
    pub commit_latency_us: Vec<u32>,
    /// `error` frames received (refused moves or drops).
    pub errors: u64,
    /// Frames and bytes received by every simulated client.
    pub frames_rx: u64,
    pub bytes_rx: u64,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.moves_sent += other.moves_sent;
        self.focused_sent += other.focused_sent;
        self.focused_delivered += other.focused_delivered;
        self.thumbs_delivered += other.thumbs_delivered;
        self.focused_sent_log.extend(other.focused_sent_log);
        self.focused_seen_log.extend(other.focused_seen_log);
        self.focused_drop_log.extend(other.focused_drop_log);
        self.focused_latency_us.extend(other.focused_latency_us);
        self.thumb_latency_us.extend(other.thumb_latency_us);
        self.drops_sent += other.drops_sent;
        self.commits_acked += other.commits_acked;
        self.commit_latency_us.extend(other.commit_latency_us);
        self.errors += other.errors;
        self.frames_rx += other.frames_rx;
        self.bytes_rx += other.bytes_rx;
    }
}

/// How many focused moves sent were delivered, or superseded by a later
/// move of the same sender that was delivered and sent at most `tick_us`
/// after it (coalesced into the same flush by design, not lost), or by the
/// sender's drop at most `tick_us` after it (a drop discards its piece's
/// pending positions by design: the committed position replaces them).
pub fn covered(sent: &mut [(u32, u32, u32)], seen: &mut [(u32, u32)], drops: &mut [(u32, u32)], tick_us: u32) -> u64 {
    sent.sort_unstable();
    seen.sort_unstable();
    drops.sort_unstable();
    let dropped_soon_after = |board: u32, t: u32| {
        let at = drops.partition_point(|&d| d < (board, t));
        drops.get(at).is_some_and(|&(b, dt)| b == board && dt.wrapping_sub(t) <= tick_us)
    };
    let mut covered = 0;
    for (i, &(board, seq, t)) in sent.iter().enumerate() {
        if dropped_soon_after(board, t) {
            covered += 1;
            continue;
        }
        // The first delivered seq >= this one, on the same board.
        let at = seen.partition_point(|&d| d < (board, seq));
        let Some(&(b, next)) = seen.get(at) else { continue };
        if b != board {
            continue;
        }
        // When that later move was sent (it follows in the sorted log).
        let later = sent[i..].iter().take_while(|s| s.0 == board).find(|s| s.1 == next);
        if later.is_some_and(|l| l.2.wrapping_sub(t) <= tick_us) {
            covered += 1;
        }
    }
    covered
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Sorts the samples (microseconds) in place. No samples → all zero.
    pub fn of(samples: &mut [u32]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let at = |p: f64| f64::from(samples[((samples.len() - 1) as f64 * p).round() as usize]) / 1000.0;
        Percentiles { p50: at(0.50), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_counts_coalesced_moves_but_not_lost_ones() {
        let mut sent = vec![(1, 1, 0), (1, 2, 10_000), (1, 3, 100_000), (1, 4, 200_000), (2, 1, 0)];
        let mut seen = vec![(1, 2), (1, 4), (2, 1)];
        // 1 is covered by 2 (10 ms later); 3 is lost (4 came 100 ms later).
        assert_eq!(covered(&mut sent, &mut seen, &mut [], 34_000), 4);
        // A drop 20 ms after 3 supersedes it; one 50 ms after would not.
        assert_eq!(covered(&mut sent, &mut seen, &mut [(1, 120_000)], 34_000), 5);
        assert_eq!(covered(&mut sent, &mut seen, &mut [(1, 150_000)], 34_000), 4);
        assert_eq!(covered(&mut sent, &mut seen, &mut [(2, 120_000)], 34_000), 4, "another board's drop");
    }

    #[test]
    fn percentiles_of_a_hundred() {
        let mut v: Vec<u32> = (1..=100).rev().map(|ms| ms * 1000).collect();
        let p = Percentiles::of(&mut v);
        assert_eq!((p.p50, p.p95, p.p99, p.max), (51.0, 95.0, 99.0, 100.0));
        assert_eq!(Percentiles::of(&mut []).max, 0.0);
    }
}
