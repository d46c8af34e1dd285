use serde::{Deserialize, Serialize};

use super::{Id, Rank, Timestamp};

/// How a company's pages are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FetchMode {
    /// Plain HTTP first; a later issue adds the browser fallback.
    #[default]
    Auto,
    Http,
    Browser,
}

impl FetchMode {
    pub const ALLOWED: &'static str = "auto, http, browser";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "http" => Some(Self::Http),
            "browser" => Some(Self::Browser),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Http => "http",
            Self::Browser => "browser",
        }
    }
}

/// Where a company stands in its scrape health cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CompanyState {
    #[default]
    Healthy,
    BackingOff,
    CircuitOpen,
    Quarantined,
}

impl CompanyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::BackingOff => "backing_off",
            Self::CircuitOpen => "circuit_open",
            Self::Quarantined => "quarantined",
        }
    }
}

/// Scrape health of one company, updated with each job's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompanyHealth {
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub consecutive_failures: u32,
    pub successes: u64,
    pub failures: u64,
    pub backoff_until: Option<Timestamp>,
    /// When a user last cancelled a scrape of it: the scheduler counts that as
    /// the company's turn, so a cancel is not undone by the next pass.
    pub last_cancelled: Option<Timestamp>,
    pub state: CompanyState,
    pub last_error: Option<String>,
}

/// A company whose careers pages are watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub id: Id,
    pub name: String,
    pub urls: Vec<String>,
    pub mode: FetchMode,
    /// Job-board backend detected on the careers page (e.g. "greenhouse").
    pub backend: Option<String>,
    /// Regexes: a link matching any include pattern is a job link whatever the
    /// heuristics say; one matching an exclude pattern never is.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Highest rank among users tracking the company; `None` when nobody does,
    /// and then the company is not scheduled. Kept in step with preferences by
    /// the store, in the same transaction.
    pub effective_rank: Option<Rank>,
    pub health: CompanyHealth,
    pub created: Timestamp,
}

/// What a caller supplies to create a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    pub name: String,
    pub urls: Vec<String>,
    pub mode: FetchMode,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}
