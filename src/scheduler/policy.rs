//! Rank → minimum interval between successful scrapes.

use std::time::Duration;

use crate::config::RankBand;
use crate::model::Rank;

#[derive(Debug, Clone)]
pub struct RankPolicy {
    /// Interval per rank, index = rank (0 unused).
    by_rank: [Duration; 101],
}

impl RankPolicy {
    /// `bands` must cover 1..=100 (config validation guarantees it); a gap
    /// falls back to the longest interval given.
    pub fn new(bands: &[RankBand]) -> Self {
        let longest = bands
            .iter()
            .map(|b| b.interval)
            .max()
            .unwrap_or(Duration::from_secs(86400));
        let mut by_rank = [longest; 101];
        for b in bands {
            for r in b.min..=b.max.min(100) {
                by_rank[r as usize] = b.interval;
            }
        }
        Self { by_rank }
    }

    pub fn interval(&self, rank: Rank) -> Duration {
        self.by_rank[rank.get() as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{frequent_bands, standard_bands};

    fn hours(policy: &RankPolicy, rank: i64) -> u64 {
        policy.interval(Rank::new(rank).unwrap()).as_secs() / 3600
    }

    #[test]
    fn standard_bands_edges() {
        let p = RankPolicy::new(&standard_bands());
        for (rank, h) in [
            (100, 24),
            (81, 24),
            (80, 48),
            (61, 48),
            (60, 72),
            (31, 72),
            (30, 96),
            (11, 96),
            (10, 120),
            (1, 120),
        ] {
            assert_eq!(hours(&p, rank), h, "rank {rank}");
        }
    }

    #[test]
    fn frequent_preset_edges() {
        let p = RankPolicy::new(&frequent_bands());
        for (rank, h) in [
            (100, 12),
            (95, 12),
            (94, 24),
            (85, 24),
            (84, 48),
            (70, 48),
            (69, 168),
            (50, 168),
            (49, 336),
            (1, 336),
        ] {
            assert_eq!(hours(&p, rank), h, "rank {rank}");
        }
    }
}
