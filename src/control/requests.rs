//! The request enum: one variant per CLI data command. Serialized as JSON on
//! the admin socket (`{"op": "company_add", ...}`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    CompanyAdd {
        name: String,
        urls: Vec<String>,
        rank: Option<i64>,
        mode: Option<String>,
        #[serde(default)]
        include: Vec<String>,
        #[serde(default)]
        exclude: Vec<String>,
        user: Option<String>,
    },
    CompanyList,
    CompanyShow {
        company: String,
    },
    CompanySet {
        company: String,
        name: Option<String>,
        urls: Option<Vec<String>>,
        mode: Option<String>,
        include: Option<Vec<String>>,
        exclude: Option<Vec<String>>,
        /// Clear quarantine, open circuit and backoff.
        #[serde(default)]
        resume: bool,
    },
    CompanyRemove {
        company: String,
    },
    UserAdd {
        name: String,
        admin: bool,
        /// A service token (acts for the users it names).
        #[serde(default)]
        service: bool,
    },
    /// A new token for a user (the old one stops working), or with
    /// `revoke` none at all.
    UserToken {
        user: String,
        #[serde(default)]
        revoke: bool,
    },
    UserList,
    /// Show a user's criteria, or replace the parts given (`Some`).
    UserCriteria {
        user: String,
        keywords: Option<Vec<String>>,
        exclude: Option<Vec<String>>,
        locations: Option<Vec<String>>,
        remote: Option<String>,
    },
    Track {
        user: String,
        company: String,
        rank: i64,
    },
    Untrack {
        user: String,
        company: String,
    },
    JobsList {
        status: Option<String>,
        company: Option<String>,
        limit: Option<usize>,
    },
    JobsStart {
        company: String,
    },
    JobsRetry {
        job: u64,
    },
    JobsCancel {
        job: u64,
    },
    Postings {
        user: Option<String>,
        since: Option<String>,
        limit: Option<usize>,
        #[serde(default)]
        include_baseline: bool,
        #[serde(default)]
        min_score: Option<i64>,
    },
    /// A consistent copy of the database, written next to it (the caller
    /// moves it where it belongs).
    Backup,
    /// Notifications waiting, or (`dead`) given up.
    Outbox {
        #[serde(default)]
        dead: bool,
        limit: Option<usize>,
    },
    /// Send a given-up notification again.
    OutboxRetry {
        id: u64,
    },
    Enqueue,
    Attention,
    /// Job analytics over a range (`from`/`to`: RFC 3339, or a duration
    /// back from now such as "7d"), for one company or all.
    Stats {
        from: Option<String>,
        to: Option<String>,
        company: Option<String>,
    },
    /// The company whose careers URLs include `url`, if any (for `check`).
    CompanyForUrl {
        url: String,
    },
    /// Which of `links` a company's snapshot does not hold yet.
    SnapshotNew {
        company: u64,
        links: Vec<String>,
    },
    Status,
    /// The status as the text `scoutly status` prints.
    StatusText,
}
