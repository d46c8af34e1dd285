use serde::{Deserialize, Serialize};

use super::{Id, Timestamp};

/// A job link seen for the first time. Exactly one posting exists per
/// (company, canonical link): the snapshot decides "first time".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub id: Id,
    pub company_id: Id,
    pub job_id: Id,
    pub url: String,
    pub title: String,
    pub first_seen: Timestamp,
    /// Recorded by the company's first successful scrape: already there when
    /// tracking began, so not news.
    pub baseline: bool,
    /// See [`NewLink::board_id`].
    pub board_id: Option<String>,
    pub location: Option<String>,
    /// When the job board last changed the posting.
    pub updated: Option<Timestamp>,
}

/// A job link found by a scrape, not yet compared with the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewLink {
    pub url: String,
    pub title: String,
    /// The posting's own id on its job board, prefixed by the board's name
    /// (`greenhouse:4012345`). When present it, not the URL, is the snapshot
    /// key: a board may change a posting's URL, never its id.
    pub board_id: Option<String>,
    pub location: Option<String>,
    pub updated: Option<Timestamp>,
}

impl NewLink {
    /// A link found on an HTML page: known by its canonical URL.
    pub fn page(url: impl Into<String>, title: impl Into<String>) -> Self {
        NewLink {
            url: url.into(),
            title: title.into(),
            ..NewLink::default()
        }
    }

    /// What the snapshot knows the link by.
    pub fn key(&self) -> &str {
        self.board_id.as_deref().unwrap_or(&self.url)
    }
}

/// One link in a company's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    pub first_seen: Timestamp,
    /// When a scrape last saw the link, to within a week (refreshed only when
    /// older, so a check that finds nothing new writes nothing here).
    pub last_seen: Timestamp,
}

/// A company that needs a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionItem {
    pub company_id: Id,
    pub reason: String,
    pub since: Timestamp,
}

/// What a committed scrape learnt about one page, so the next request can be
/// conditional: its validators, and where its pagination led (a 304 answer
/// has no body to find the next page in).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageCache {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next: Option<String>,
    /// The job board the page embeds or links to: later scrapes read the
    /// board's API instead of the page.
    pub board: Option<super::BoardRef>,
}
