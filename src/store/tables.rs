//! Table definitions and the two views over them (read and write).
//!
//! Index invariants, maintained only by `queue` and this module's writers:
//! - `jobs_active[company]` = the one pending or in-progress job of a company.
//! - `jobs_runnable` holds exactly the pending jobs, keyed
//!   `(class, 100 - urgency, run_at, id)`: claim order is class, then
//!   higher urgency (normally the company's rank), then older.
//! - `jobs_leases` holds exactly the in-progress jobs, keyed `(lease_until, id)`.
//! - `job_checkpoints` holds only pending or in-progress jobs: a job reaching
//!   a final status drops its checkpoint in the same transaction.
//! - `company_names`/`user_names` hold lowercase names, unique.
//! - `prefs_by_user` mirrors `prefs` with the key reversed.
//! - `company_failures`, `page_cache`, `job_timing` and the per-company rows
//!   of `job_stats` hold only existing companies: removing a company removes
//!   its rows.

use redb::{
    ReadOnlyTable, ReadTransaction, ReadableTable, Table, TableDefinition, WriteTransaction,
};

use super::StoreError;

pub type Bytes = &'static [u8];

pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const COMPANIES: TableDefinition<u64, Bytes> = TableDefinition::new("companies");
pub const COMPANY_NAMES: TableDefinition<&str, u64> = TableDefinition::new("company_names");
pub const USERS: TableDefinition<u64, Bytes> = TableDefinition::new("users");
pub const USER_NAMES: TableDefinition<&str, u64> = TableDefinition::new("user_names");
pub const USER_TOKENS: TableDefinition<Bytes, u64> = TableDefinition::new("user_tokens");
/// (company, user) → Preference.
pub const PREFS: TableDefinition<(u64, u64), Bytes> = TableDefinition::new("prefs");
/// (user, company) → ().
pub const PREFS_BY_USER: TableDefinition<(u64, u64), ()> = TableDefinition::new("prefs_by_user");
pub const JOBS: TableDefinition<u64, Bytes> = TableDefinition::new("jobs");
/// job id → Checkpoint, only while the job is pending or in progress.
pub const JOB_CHECKPOINTS: TableDefinition<u64, Bytes> = TableDefinition::new("job_checkpoints");
/// (class priority, 100 - urgency, run_at ms, job id) → ().
pub const JOBS_RUNNABLE: TableDefinition<(u8, u8, u64, u64), ()> =
    TableDefinition::new("jobs_runnable");
/// company id → job id.
pub const JOBS_ACTIVE: TableDefinition<u64, u64> = TableDefinition::new("jobs_active");
/// (lease_until ms, job id) → ().
pub const JOBS_LEASES: TableDefinition<(u64, u64), ()> = TableDefinition::new("jobs_leases");
/// (company, canonical link) → SnapshotEntry.
pub const SNAPSHOTS: TableDefinition<(u64, &str), Bytes> = TableDefinition::new("snapshots");
pub const POSTINGS: TableDefinition<u64, Bytes> = TableDefinition::new("postings");
pub const ATTENTION: TableDefinition<u64, Bytes> = TableDefinition::new("attention");
/// company id → FailureStats.
pub const COMPANY_FAILURES: TableDefinition<u64, Bytes> = TableDefinition::new("company_failures");
/// (company, page URL) → PageCache: validators of the page as last committed.
pub const PAGE_CACHE: TableDefinition<(u64, &str), Bytes> = TableDefinition::new("page_cache");
/// user id → Criteria.
pub const USER_CRITERIA: TableDefinition<u64, Bytes> = TableDefinition::new("user_criteria");
/// posting id → PostingDetails.
pub const POSTING_DETAILS: TableDefinition<u64, Bytes> = TableDefinition::new("posting_details");
/// (posting, user) → Match.
pub const MATCHES: TableDefinition<(u64, u64), Bytes> = TableDefinition::new("matches");
/// (100 - rank, first_seen ms, posting id) → BacklogItem.
pub const ANALYSIS_BACKLOG: TableDefinition<(u8, u64, u64), Bytes> =
    TableDefinition::new("analysis_backlog");
/// text hash → AI-extracted fields.
pub const AI_FIELDS: TableDefinition<Bytes, Bytes> = TableDefinition::new("ai_fields");
/// text hash ‖ criteria hash → AI score.
pub const AI_SCORES: TableDefinition<Bytes, Bytes> = TableDefinition::new("ai_scores");
/// outbox id → OutboxItem.
pub const OUTBOX: TableDefinition<u64, Bytes> = TableDefinition::new("outbox");
/// (due ms, outbox id) → ().
pub const OUTBOX_DUE: TableDefinition<(u64, u64), ()> = TableDefinition::new("outbox_due");
/// (resolution, company or 0 for all, bucket start ms) → StatBucket.
pub const JOB_STATS: TableDefinition<(u8, u64, u64), Bytes> = TableDefinition::new("job_stats");
/// company id → DurationEstimate.
pub const JOB_TIMING: TableDefinition<u64, Bytes> = TableDefinition::new("job_timing");
/// name → a singleton record (`ai_budget`).
pub const STATE: TableDefinition<&str, Bytes> = TableDefinition::new("state");

/// Read access shared by read-only and read-write transactions, so each
/// query is written once.
pub trait View {
    type Meta: ReadableTable<&'static str, u64>;
    type Rec: ReadableTable<u64, Bytes>;
    type Name: ReadableTable<&'static str, u64>;
    type Token: ReadableTable<Bytes, u64>;
    type Pair: ReadableTable<(u64, u64), Bytes>;
    type PairSet: ReadableTable<(u64, u64), ()>;
    type Runnable: ReadableTable<(u8, u8, u64, u64), ()>;
    type IdMap: ReadableTable<u64, u64>;
    type Snap: ReadableTable<(u64, &'static str), Bytes>;
    type Triple: ReadableTable<(u8, u64, u64), Bytes>;
    type Blob: ReadableTable<Bytes, Bytes>;
    type Named: ReadableTable<&'static str, Bytes>;

    fn meta(&self) -> &Self::Meta;
    fn companies(&self) -> &Self::Rec;
    fn company_names(&self) -> &Self::Name;
    fn users(&self) -> &Self::Rec;
    fn user_names(&self) -> &Self::Name;
    fn user_tokens(&self) -> &Self::Token;
    fn prefs(&self) -> &Self::Pair;
    fn prefs_by_user(&self) -> &Self::PairSet;
    fn jobs(&self) -> &Self::Rec;
    fn job_checkpoints(&self) -> &Self::Rec;
    fn jobs_runnable(&self) -> &Self::Runnable;
    fn jobs_active(&self) -> &Self::IdMap;
    fn jobs_leases(&self) -> &Self::PairSet;
    fn snapshots(&self) -> &Self::Snap;
    fn postings(&self) -> &Self::Rec;
    fn attention(&self) -> &Self::Rec;
    fn company_failures(&self) -> &Self::Rec;
    fn page_cache(&self) -> &Self::Snap;
    fn user_criteria(&self) -> &Self::Rec;
    fn posting_details(&self) -> &Self::Rec;
    fn matches(&self) -> &Self::Pair;
    fn analysis_backlog(&self) -> &Self::Triple;
    fn ai_fields(&self) -> &Self::Blob;
    fn ai_scores(&self) -> &Self::Blob;
    fn outbox(&self) -> &Self::Rec;
    fn outbox_due(&self) -> &Self::PairSet;
    fn state(&self) -> &Self::Named;
    fn job_stats(&self) -> &Self::Triple;
    fn job_timing(&self) -> &Self::Rec;
}

macro_rules! tables {
    ($name:ident $(<$lt:lifetime>)?, $tbl:ident, $txn:ty) => {
        pub struct $name$(<$lt>)? {
            pub meta: $tbl<$($lt,)? &'static str, u64>,
            pub companies: $tbl<$($lt,)? u64, Bytes>,
            pub company_names: $tbl<$($lt,)? &'static str, u64>,
            pub users: $tbl<$($lt,)? u64, Bytes>,
            pub user_names: $tbl<$($lt,)? &'static str, u64>,
            pub user_tokens: $tbl<$($lt,)? Bytes, u64>,
            pub prefs: $tbl<$($lt,)? (u64, u64), Bytes>,
            pub prefs_by_user: $tbl<$($lt,)? (u64, u64), ()>,
            pub jobs: $tbl<$($lt,)? u64, Bytes>,
            pub job_checkpoints: $tbl<$($lt,)? u64, Bytes>,
            pub jobs_runnable: $tbl<$($lt,)? (u8, u8, u64, u64), ()>,
            pub jobs_active: $tbl<$($lt,)? u64, u64>,
            pub jobs_leases: $tbl<$($lt,)? (u64, u64), ()>,
            pub snapshots: $tbl<$($lt,)? (u64, &'static str), Bytes>,
            pub postings: $tbl<$($lt,)? u64, Bytes>,
            pub attention: $tbl<$($lt,)? u64, Bytes>,
            pub company_failures: $tbl<$($lt,)? u64, Bytes>,
            pub page_cache: $tbl<$($lt,)? (u64, &'static str), Bytes>,
            pub user_criteria: $tbl<$($lt,)? u64, Bytes>,
            pub posting_details: $tbl<$($lt,)? u64, Bytes>,
            pub matches: $tbl<$($lt,)? (u64, u64), Bytes>,
            pub analysis_backlog: $tbl<$($lt,)? (u8, u64, u64), Bytes>,
            pub ai_fields: $tbl<$($lt,)? Bytes, Bytes>,
            pub ai_scores: $tbl<$($lt,)? Bytes, Bytes>,
            pub outbox: $tbl<$($lt,)? u64, Bytes>,
            pub outbox_due: $tbl<$($lt,)? (u64, u64), ()>,
            pub state: $tbl<$($lt,)? &'static str, Bytes>,
            pub job_stats: $tbl<$($lt,)? (u8, u64, u64), Bytes>,
            pub job_timing: $tbl<$($lt,)? u64, Bytes>,
        }

        impl$(<$lt>)? View for $name$(<$lt>)? {
            type Meta = $tbl<$($lt,)? &'static str, u64>;
            type Rec = $tbl<$($lt,)? u64, Bytes>;
            type Name = $tbl<$($lt,)? &'static str, u64>;
            type Token = $tbl<$($lt,)? Bytes, u64>;
            type Pair = $tbl<$($lt,)? (u64, u64), Bytes>;
            type PairSet = $tbl<$($lt,)? (u64, u64), ()>;
            type Runnable = $tbl<$($lt,)? (u8, u8, u64, u64), ()>;
            type IdMap = $tbl<$($lt,)? u64, u64>;
            type Snap = $tbl<$($lt,)? (u64, &'static str), Bytes>;
            type Triple = $tbl<$($lt,)? (u8, u64, u64), Bytes>;
            type Blob = $tbl<$($lt,)? Bytes, Bytes>;
            type Named = $tbl<$($lt,)? &'static str, Bytes>;
            fn meta(&self) -> &Self::Meta { &self.meta }
            fn companies(&self) -> &Self::Rec { &self.companies }
            fn company_names(&self) -> &Self::Name { &self.company_names }
            fn users(&self) -> &Self::Rec { &self.users }
            fn user_names(&self) -> &Self::Name { &self.user_names }
            fn user_tokens(&self) -> &Self::Token { &self.user_tokens }
            fn prefs(&self) -> &Self::Pair { &self.prefs }
            fn prefs_by_user(&self) -> &Self::PairSet { &self.prefs_by_user }
            fn jobs(&self) -> &Self::Rec { &self.jobs }
            fn job_checkpoints(&self) -> &Self::Rec { &self.job_checkpoints }
            fn jobs_runnable(&self) -> &Self::Runnable { &self.jobs_runnable }
            fn jobs_active(&self) -> &Self::IdMap { &self.jobs_active }
            fn jobs_leases(&self) -> &Self::PairSet { &self.jobs_leases }
            fn snapshots(&self) -> &Self::Snap { &self.snapshots }
            fn postings(&self) -> &Self::Rec { &self.postings }
            fn attention(&self) -> &Self::Rec { &self.attention }
            fn company_failures(&self) -> &Self::Rec { &self.company_failures }
            fn page_cache(&self) -> &Self::Snap { &self.page_cache }
            fn user_criteria(&self) -> &Self::Rec { &self.user_criteria }
            fn posting_details(&self) -> &Self::Rec { &self.posting_details }
            fn matches(&self) -> &Self::Pair { &self.matches }
            fn analysis_backlog(&self) -> &Self::Triple { &self.analysis_backlog }
            fn ai_fields(&self) -> &Self::Blob { &self.ai_fields }
            fn ai_scores(&self) -> &Self::Blob { &self.ai_scores }
            fn outbox(&self) -> &Self::Rec { &self.outbox }
            fn outbox_due(&self) -> &Self::PairSet { &self.outbox_due }
            fn state(&self) -> &Self::Named { &self.state }
            fn job_stats(&self) -> &Self::Triple { &self.job_stats }
            fn job_timing(&self) -> &Self::Rec { &self.job_timing }
        }

        impl$(<$lt>)? $name$(<$lt>)? {
            pub fn open(txn: $txn) -> Result<Self, StoreError> {
                Ok(Self {
                    meta: txn.open_table(META)?,
                    companies: txn.open_table(COMPANIES)?,
                    company_names: txn.open_table(COMPANY_NAMES)?,
                    users: txn.open_table(USERS)?,
                    user_names: txn.open_table(USER_NAMES)?,
                    user_tokens: txn.open_table(USER_TOKENS)?,
                    prefs: txn.open_table(PREFS)?,
                    prefs_by_user: txn.open_table(PREFS_BY_USER)?,
                    jobs: txn.open_table(JOBS)?,
                    job_checkpoints: txn.open_table(JOB_CHECKPOINTS)?,
                    jobs_runnable: txn.open_table(JOBS_RUNNABLE)?,
                    jobs_active: txn.open_table(JOBS_ACTIVE)?,
                    jobs_leases: txn.open_table(JOBS_LEASES)?,
                    snapshots: txn.open_table(SNAPSHOTS)?,
                    postings: txn.open_table(POSTINGS)?,
                    attention: txn.open_table(ATTENTION)?,
                    company_failures: txn.open_table(COMPANY_FAILURES)?,
                    page_cache: txn.open_table(PAGE_CACHE)?,
                    user_criteria: txn.open_table(USER_CRITERIA)?,
                    posting_details: txn.open_table(POSTING_DETAILS)?,
                    matches: txn.open_table(MATCHES)?,
                    analysis_backlog: txn.open_table(ANALYSIS_BACKLOG)?,
                    ai_fields: txn.open_table(AI_FIELDS)?,
                    ai_scores: txn.open_table(AI_SCORES)?,
                    outbox: txn.open_table(OUTBOX)?,
                    outbox_due: txn.open_table(OUTBOX_DUE)?,
                    state: txn.open_table(STATE)?,
                    job_stats: txn.open_table(JOB_STATS)?,
                    job_timing: txn.open_table(JOB_TIMING)?,
                })
            }
        }
    };
}

/// Tables inside a read-write transaction.
pub type Tx<'t> = WriteTables<'t>;
/// Tables inside a read-only snapshot.
pub type Rx = ReadTables;

tables!(WriteTables<'t>, Table, &'t WriteTransaction);

tables!(ReadTables, ReadOnlyTable, &ReadTransaction);
