//! What analysis reads and writes: a user's criteria, a posting's details,
//! one user's match, the backlog of postings waiting for analysis, and the
//! AI budget's use.

use serde::{Deserialize, Serialize};

use super::{Id, Timestamp};

/// What a user looks for. Empty criteria match every posting of a tracked
/// company (with a middling score, so a threshold can still hold them back).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Criteria {
    pub keywords: Vec<Keyword>,
    /// A posting mentioning any of these scores 0.
    pub exclude: Vec<String>,
    /// Places the user can work in; empty = anywhere.
    pub locations: Vec<String>,
    pub remote: RemotePref,
}

impl Criteria {
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty()
            && self.exclude.is_empty()
            && self.locations.is_empty()
            && self.remote == RemotePref::Any
    }
}

/// A word or phrase and how much it matters (1..=10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyword {
    pub word: String,
    pub weight: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RemotePref {
    /// Remote or not, as long as the location fits.
    #[default]
    Any,
    /// Remote jobs score higher.
    Prefer,
    /// Only remote jobs.
    Only,
    /// Only jobs at a place (`locations`).
    Never,
}

impl RemotePref {
    pub const ALL: [RemotePref; 4] = [Self::Any, Self::Prefer, Self::Only, Self::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Prefer => "prefer",
            Self::Only => "only",
            Self::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A posting's page, read once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostingDetails {
    pub title: Option<String>,
    pub location: Option<String>,
    pub remote: Option<bool>,
    /// Readable text, capped at `analysis.max_text` characters.
    pub text: String,
    pub fetched: Timestamp,
    /// Why the page could not be read, when it could not (the posting is
    /// then analysed from its link's title alone).
    pub error: Option<String>,
}

/// How well a posting fits one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// 0..=100.
    pub score: u8,
    pub reason: String,
    /// `builtin`, or `openai:<model>`.
    pub analyser: String,
    pub at: Timestamp,
}

/// Where a posting waiting for analysis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Its page is still to be read.
    Details,
    /// Read; waiting for the analyser (the AI budget).
    Analysis,
}

/// A new posting waiting in the analysis backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogItem {
    pub posting_id: Id,
    pub company_id: Id,
    pub stage: Stage,
    /// Failed tries at the current stage.
    pub attempts: u32,
    /// Not tried again before this.
    pub not_before: Timestamp,
    pub last_error: Option<String>,
}

/// The AI budget's use, kept in the store so a restart never resets it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BudgetUse {
    /// The UTC day (days since the epoch) `day_requests` counts.
    pub day: u64,
    pub day_requests: u32,
    pub day_tokens: u64,
    /// Requests of the last minute: when, and the tokens each used.
    pub minute: Vec<(Timestamp, u32)>,
    /// The provider said "too many requests" and to wait until then.
    pub paused_until: Option<Timestamp>,
    /// Totals since the appliance began, for benchmarks and status.
    pub total_requests: u64,
    pub total_tokens: u64,
}

/// Fields an AI read from a posting's text, cached by the text's hash.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AiFields {
    pub title: Option<String>,
    pub location: Option<String>,
    pub remote: Option<bool>,
}
