//! Domain types: companies, users, preferences, ranks, jobs, postings.
//!
//! Pure data with the rules that belong to the data (rank bounds, job state
//! transitions as predicates). No I/O, no encoding: `store` decides how these
//! are written, `http` and `control` decide how they are shown.

mod analysis;
mod board;
mod company;
mod failure;
mod job;
mod notification;
mod posting;
mod rank;
mod stats;
mod time;
mod user;

pub use analysis::{
    AiFields, BacklogItem, BudgetUse, Criteria, Keyword, Match, PostingDetails, RemotePref, Stage,
};
pub use board::{Board, BoardRef};
pub use company::{Company, CompanyHealth, CompanyState, FetchMode, NewCompany};
pub use failure::{FailureClass, FailureStats, RECENT_FAILURES, RecentFailure};
pub use job::{Checkpoint, Job, JobCounters, JobSource, JobStatus};
pub use notification::{Announced, Message, OutboxItem};
pub use posting::{AttentionItem, NewLink, PageCache, Posting, SnapshotEntry};
pub use rank::{Rank, RankError};
pub use stats::{DurationEstimate, Resolution, StatBucket, StatEvent, bin_middle, duration_bin};
pub use time::Timestamp;
pub use user::{OPERATOR_USER, Preference, REVOKED, Role, User};

/// Identifier of a company, user, job or posting: assigned by the store from a
/// per-table counter, never reused.
pub type Id = u64;
