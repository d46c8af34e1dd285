use serde::{Deserialize, Serialize};

use super::{Id, Timestamp};

/// Why a job exists. Manual jobs run before all others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobSource {
    Manual,
    Scheduled,
    CatchUp,
    Cron,
}

impl JobSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
            Self::CatchUp => "catch_up",
            Self::Cron => "cron",
        }
    }

    /// Claim order between classes: lower runs first (manual, catch-up,
    /// cron, scheduled).
    pub fn priority(self) -> u8 {
        match self {
            Self::Manual => 0,
            Self::CatchUp => 1,
            Self::Cron => 2,
            Self::Scheduled => 3,
        }
    }

    /// Every class, in claim order.
    pub const BY_PRIORITY: [JobSource; 4] =
        [Self::Manual, Self::CatchUp, Self::Cron, Self::Scheduled];
}

/// Where a job is in its life.
///
/// ```text
/// pending ──claim──► in_progress ──► completed
///    ▲                   │ fail (attempts left) / lease expired
///    └───────────────────┘
///   in_progress ──fail (no attempts left)──► failed ──retry──► pending
///   pending | in_progress ──cancel──► cancelled ──retry──► pending
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        Self::Pending,
        Self::InProgress,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];
    pub const ALLOWED: &'static str = "pending, in_progress, completed, failed, cancelled";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Pending or running: the company may have at most one such job.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::InProgress)
    }

    pub fn is_terminal(self) -> bool {
        !self.is_active()
    }
}

/// What a job has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobCounters {
    pub pages: u32,
    pub links_found: u32,
    pub new_links: u32,
    pub analysed: u32,
}

/// One scrape of one company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: Id,
    pub company_id: Id,
    pub source: JobSource,
    pub requested_by: Option<Id>,
    pub context: Option<String>,
    /// Claim order within a class, 0-100, higher first: the company's
    /// effective rank when queued (0 = untracked), except for catch-up jobs,
    /// whose pass ranks them by how overdue they are, weighted by rank.
    pub urgency: u8,
    pub status: JobStatus,
    /// Claims so far, including the current one.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Not claimable before this instant (backoff after a failure).
    pub run_at: Timestamp,
    /// Set while in progress: when the claim lapses unless renewed.
    pub lease_until: Option<Timestamp>,
    /// Token of the current claim, unique across all claims ever made (0 =
    /// never claimed). A worker acts on a job only while the token it got
    /// from `claim` is still the job's: attempt numbers repeat after a retry
    /// or a release, tokens never do.
    pub claim: u64,
    pub progress: u8,
    pub counters: JobCounters,
    pub error: Option<String>,
    pub created: Timestamp,
    pub started: Option<Timestamp>,
    pub completed: Option<Timestamp>,
}

/// How far a running scrape got, saved with a heartbeat so that a job rescued
/// after a crash continues where it stopped instead of starting over.
///
/// Invariant: `links` holds every distinct job link of the pages in
/// `visited` and of the careers URLs before `urls_done`; none of them is a
/// posting yet (postings are only made when the job commits), so resuming
/// never counts a link twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The company's careers URLs when the checkpoint was taken. A checkpoint
    /// for a different list (the company was edited) is ignored.
    pub urls: Vec<String>,
    /// How many of `urls` were walked to the end of their listing.
    pub urls_done: u32,
    /// Pages of the current listing already fetched.
    pub visited: Vec<String>,
    /// The next page of the current listing, when there is one.
    pub next: Option<String>,
    /// Distinct job links found so far.
    pub links: Vec<super::NewLink>,
    /// Pages fetched so far, over all listings.
    pub pages: u32,
    /// The job board whose API gave links so far: a resumed walk must
    /// report it too, or its board-keyed links would look news.
    pub backend: Option<super::Board>,
}

impl Checkpoint {
    /// A walk that has not begun.
    pub fn start(urls: Vec<String>) -> Self {
        Checkpoint {
            urls,
            ..Checkpoint::default()
        }
    }
}
