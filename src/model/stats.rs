//! Job analytics as compact time buckets: what finished in one minute, hour
//! or day, overall or for one company.
//!
//! A bucket holds counts and a duration histogram, never job ids, so its size
//! does not grow with the number of jobs it summarises. Durations go into
//! logarithmic bins four to a doubling: a percentile read from them is within
//! 10 % of the exact one (half a bin, 2^(1/8) - 1 ≈ 9 %).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{FailureClass, JobStatus};

/// How finely time is cut, and how long buckets of that size are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    /// Finest first.
    pub const ALL: [Resolution; 3] = [Self::Minute, Self::Hour, Self::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    /// The first key element of its buckets.
    pub fn tag(self) -> u8 {
        match self {
            Self::Minute => 0,
            Self::Hour => 1,
            Self::Day => 2,
        }
    }

    pub fn width(self) -> Duration {
        Duration::from_secs(match self {
            Self::Minute => 60,
            Self::Hour => 3_600,
            Self::Day => 86_400,
        })
    }

    /// How many buckets of this size one scope keeps at most: a day of
    /// minutes, 31 days of hours, 400 days of days.
    pub fn kept(self) -> u64 {
        match self {
            Self::Minute => 1_440,
            Self::Hour => 744,
            Self::Day => 400,
        }
    }

    /// How far back buckets of this size reach.
    pub fn retention(self) -> Duration {
        self.width() * self.kept() as u32
    }

    /// Start (ms since the epoch) of the bucket holding instant `ms`.
    pub fn start_of(self, ms: u64) -> u64 {
        let w = self.width().as_millis() as u64;
        ms - ms % w
    }
}

/// Number of duration bins: bin `b` holds durations of 2^(b/4) ms up to the
/// next bin; the last also holds everything longer (2^(127/4) ms is years).
const BINS: u8 = 128;

/// The bin of a duration.
pub fn duration_bin(d: Duration) -> u8 {
    let ms = d.as_millis().max(1) as f64;
    ((ms.log2() * 4.0).floor() as i64).clamp(0, BINS as i64 - 1) as u8
}

/// A representative duration of a bin: its geometric middle.
pub fn bin_middle(bin: u8) -> Duration {
    Duration::from_secs_f64(2f64.powf((bin as f64 + 0.5) / 4.0) / 1000.0)
}

/// What finished in one bucket of time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatBucket {
    pub completed: u32,
    pub failed: u32,
    pub cancelled: u32,
    /// Failed attempts that were tried again (not counted in `failed`).
    pub retried: u32,
    /// New postings the completed jobs found (a first scrape's baseline
    /// counts too: it is what the company offered then).
    pub new_postings: u32,
    /// Sum of the durations of completed and failed jobs, in ms.
    pub duration_ms: u64,
    /// (bin, count) of those durations, bins ascending, counts > 0.
    pub durations: Vec<(u8, u32)>,
    /// (failure class index in `FailureClass::ALL`, count) of failed jobs
    /// and retried attempts, ascending.
    pub errors: Vec<(u8, u32)>,
    /// Deepest queue (pending + running jobs) seen in this bucket; only the
    /// overall scope records it.
    pub queue_max: u32,
}

/// One thing the analytics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatEvent {
    /// A job reached a final status; `ran` is how long its last attempt
    /// ran (none for a job cancelled while it waited).
    Finished {
        status: JobStatus,
        ran: Option<Duration>,
        new_postings: u32,
        class: Option<FailureClass>,
    },
    /// An attempt failed and the job waits to be tried again.
    Retried { class: FailureClass },
    /// The queue held this many pending and running jobs.
    QueueDepth(u32),
}

fn bump(list: &mut Vec<(u8, u32)>, key: u8, by: u32) {
    match list.binary_search_by_key(&key, |e| e.0) {
        Ok(i) => list[i].1 = list[i].1.saturating_add(by),
        Err(i) => list.insert(i, (key, by)),
    }
}

fn class_index(class: FailureClass) -> u8 {
    FailureClass::ALL
        .iter()
        .position(|c| *c == class)
        .unwrap_or(FailureClass::ALL.len() - 1) as u8
}

impl StatBucket {
    pub fn add(&mut self, event: StatEvent) {
        match event {
            StatEvent::Finished {
                status,
                ran,
                new_postings,
                class,
            } => {
                match status {
                    JobStatus::Completed => {
                        self.completed += 1;
                        self.new_postings = self.new_postings.saturating_add(new_postings);
                    }
                    JobStatus::Failed => {
                        self.failed += 1;
                        bump(
                            &mut self.errors,
                            class_index(class.unwrap_or(FailureClass::Other)),
                            1,
                        );
                    }
                    JobStatus::Cancelled => self.cancelled += 1,
                    JobStatus::Pending | JobStatus::InProgress => return,
                }
                if let (Some(ran), JobStatus::Completed | JobStatus::Failed) = (ran, status) {
                    self.duration_ms = self.duration_ms.saturating_add(ran.as_millis() as u64);
                    bump(&mut self.durations, duration_bin(ran), 1);
                }
            }
            StatEvent::Retried { class } => {
                self.retried += 1;
                bump(&mut self.errors, class_index(class), 1);
            }
            StatEvent::QueueDepth(n) => self.queue_max = self.queue_max.max(n),
        }
    }

    /// Add another bucket's counts to this one (a wider bucket, or totals).
    pub fn merge(&mut self, other: &StatBucket) {
        self.completed += other.completed;
        self.failed += other.failed;
        self.cancelled += other.cancelled;
        self.retried += other.retried;
        self.new_postings = self.new_postings.saturating_add(other.new_postings);
        self.duration_ms = self.duration_ms.saturating_add(other.duration_ms);
        for &(b, n) in &other.durations {
            bump(&mut self.durations, b, n);
        }
        for &(c, n) in &other.errors {
            bump(&mut self.errors, c, n);
        }
        self.queue_max = self.queue_max.max(other.queue_max);
    }

    /// Jobs that reached a final status.
    pub fn finished(&self) -> u32 {
        self.completed + self.failed + self.cancelled
    }

    /// Completed among completed and failed (cancelled jobs say nothing
    /// about the sites); `None` when there were none.
    pub fn success_rate(&self) -> Option<f64> {
        let ran = self.completed + self.failed;
        (ran > 0).then(|| self.completed as f64 / ran as f64)
    }

    fn timed(&self) -> u32 {
        self.durations.iter().map(|e| e.1).sum()
    }

    /// Mean duration of completed and failed jobs.
    pub fn mean_duration(&self) -> Option<Duration> {
        let n = self.timed();
        (n > 0).then(|| Duration::from_millis(self.duration_ms / n as u64))
    }

    /// The duration below which `q` (0-1) of the timed jobs finished, read
    /// from the bins (within 10 %).
    pub fn duration_quantile(&self, q: f64) -> Option<Duration> {
        let n = self.timed();
        if n == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as u32).max(1);
        let mut seen = 0;
        for &(bin, count) in &self.durations {
            seen += count;
            if seen >= rank {
                return Some(bin_middle(bin));
            }
        }
        self.durations.last().map(|e| bin_middle(e.0))
    }

    /// Failed jobs and retried attempts by failure class.
    pub fn errors_by_class(&self) -> impl Iterator<Item = (FailureClass, u32)> + '_ {
        self.errors.iter().map(|&(c, n)| {
            let class = FailureClass::ALL
                .get(c as usize)
                .copied()
                .unwrap_or(FailureClass::Other);
            (class, n)
        })
    }
}

/// How long a company's jobs take, learnt from the ones that completed:
/// an exponentially weighted mean per way of fetching, since a page drawn by
/// the browser takes many times longer than the same page over HTTP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationEstimate {
    pub http_ms: Option<u64>,
    pub browser_ms: Option<u64>,
    /// The last completed job used the browser (an `auto` company whose
    /// page needs it will again).
    pub browser_last: bool,
    /// Completed jobs folded in.
    pub samples: u32,
}

impl DurationEstimate {
    /// Weight of the newest job: about the last five jobs dominate, so a
    /// site that became slow is believed within a few rounds.
    pub const WEIGHT: f64 = 0.3;

    /// Fold in one completed job.
    pub fn observe(&mut self, browser: bool, ran: Duration) {
        let slot = if browser {
            &mut self.browser_ms
        } else {
            &mut self.http_ms
        };
        let ms = ran.as_millis().min(u64::MAX as u128) as u64;
        *slot = Some(match *slot {
            None => ms,
            Some(old) => (old as f64 + Self::WEIGHT * (ms as f64 - old as f64)).round() as u64,
        });
        self.browser_last = browser;
        self.samples = self.samples.saturating_add(1);
    }

    /// The expected duration of the next job, which uses the browser when
    /// `browser`; falls back to the other way's estimate, then to none.
    pub fn expected(&self, browser: bool) -> Option<Duration> {
        let (first, second) = if browser {
            (self.browser_ms, self.http_ms)
        } else {
            (self.http_ms, self.browser_ms)
        };
        first.or(second).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_ten_percent() {
        let mut b = StatBucket::default();
        let mut exact = Vec::new();
        for i in 1..=1000u64 {
            let d = Duration::from_millis(i * 37 % 20_000 + 50);
            exact.push(d);
            b.add(StatEvent::Finished {
                status: JobStatus::Completed,
                ran: Some(d),
                new_postings: 0,
                class: None,
            });
        }
        exact.sort();
        for q in [0.5, 0.9, 0.95, 0.99] {
            let want = exact[(q * 1000.0) as usize - 1].as_secs_f64();
            let got = b.duration_quantile(q).unwrap().as_secs_f64();
            assert!((got - want).abs() / want < 0.1, "q {q}: {got} vs {want}");
        }
        assert!(
            b.durations.len() < 40,
            "bins stay few: {}",
            b.durations.len()
        );
    }

    #[test]
    fn merge_equals_adding_everything_to_one() {
        let events = [
            StatEvent::Retried {
                class: FailureClass::Timeout,
            },
            StatEvent::Finished {
                status: JobStatus::Failed,
                ran: Some(Duration::from_secs(3)),
                new_postings: 0,
                class: Some(FailureClass::Http5xx),
            },
            StatEvent::Finished {
                status: JobStatus::Completed,
                ran: Some(Duration::from_millis(900)),
                new_postings: 4,
                class: None,
            },
            StatEvent::QueueDepth(7),
        ];
        let mut one = StatBucket::default();
        let (mut a, mut b) = (StatBucket::default(), StatBucket::default());
        for (i, e) in events.iter().enumerate() {
            one.add(*e);
            if i % 2 == 0 { &mut a } else { &mut b }.add(*e);
        }
        a.merge(&b);
        assert_eq!(a, one);
        assert_eq!(one.success_rate(), Some(0.5));
        assert_eq!(one.new_postings, 4);
        let errors: Vec<_> = one.errors_by_class().collect();
        assert!(errors.contains(&(FailureClass::Timeout, 1)));
        assert!(errors.contains(&(FailureClass::Http5xx, 1)));
    }
}
