//! Record shapes of older formats, decoded and upgraded on read (see
//! `codec::Record::decode_old`). Never written.

use serde::Deserialize;

use crate::model::{Checkpoint, Id, NewLink, PageCache, Posting, Timestamp};

/// `Posting` format 1: before job-board details.
#[derive(Deserialize)]
pub struct PostingV1 {
    id: Id,
    company_id: Id,
    job_id: Id,
    url: String,
    title: String,
    first_seen: Timestamp,
    baseline: bool,
}

impl From<PostingV1> for Posting {
    fn from(p: PostingV1) -> Self {
        Posting {
            id: p.id,
            company_id: p.company_id,
            job_id: p.job_id,
            url: p.url,
            title: p.title,
            first_seen: p.first_seen,
            baseline: p.baseline,
            board_id: None,
            location: None,
            updated: None,
        }
    }
}

/// `NewLink` inside `Checkpoint` format 1.
#[derive(Deserialize)]
struct NewLinkV1 {
    url: String,
    title: String,
}

/// `Checkpoint` format 1.
#[derive(Deserialize)]
pub struct CheckpointV1 {
    urls: Vec<String>,
    urls_done: u32,
    visited: Vec<String>,
    next: Option<String>,
    links: Vec<NewLinkV1>,
    pages: u32,
}

impl From<CheckpointV1> for Checkpoint {
    fn from(c: CheckpointV1) -> Self {
        Checkpoint {
            urls: c.urls,
            urls_done: c.urls_done,
            visited: c.visited,
            next: c.next,
            links: c
                .links
                .into_iter()
                .map(|l| NewLink::page(l.url, l.title))
                .collect(),
            pages: c.pages,
            backend: None,
        }
    }
}

/// `PageCache` format 1: before the job board.
#[derive(Deserialize)]
pub struct PageCacheV1 {
    etag: Option<String>,
    last_modified: Option<String>,
    next: Option<String>,
}

impl From<PageCacheV1> for PageCache {
    fn from(c: PageCacheV1) -> Self {
        PageCache {
            etag: c.etag,
            last_modified: c.last_modified,
            next: c.next,
            board: None,
        }
    }
}
