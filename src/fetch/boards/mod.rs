//! Job-board listing APIs: a company whose careers page is a Greenhouse,
//! Lever, Ashby, SmartRecruiters, Recruitee or Workable board is read through
//! the board's public JSON API instead of its HTML.
//!
//! Invariants:
//! - requests go through the same pacing, breakers, address guard, time and
//!   size limits as pages; robots.txt is not consulted, because these APIs
//!   are published for programs to call (SmartRecruiters' API host forbids
//!   `/` to crawlers, which would otherwise forbid its documented API);
//! - paging follows each board's documented page size (Lever: `limit`,
//!   SmartRecruiters: `limit` ≤ 100) and stops after `fetch.max_pages`
//!   requests, keeping what it read;
//! - `[fetch.job_boards]` replaces the scheme, host and port of a board's
//!   API; paths stay as documented. Recruitee serves each company on its own
//!   subdomain, so its override replaces `https://{company}.recruitee.com`.

mod parse;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use url::Url;

use super::{FailureClass, FetchError, Fetcher};
use crate::model::{Board, BoardRef, NewLink};
pub use parse::{ListingPage, ParseError, parse};

/// Postings asked for per request where the board pages its listing.
pub const PAGE_SIZE: usize = 100;

/// A board's whole listing, as far as it was read.
#[derive(Debug, Default)]
pub struct Listing {
    pub links: Vec<NewLink>,
    /// API requests made.
    pub requests: u32,
}

/// Where each board's API lives: documented hosts unless overridden.
#[derive(Debug, Clone, Default)]
pub struct BoardApis {
    overrides: BTreeMap<String, Url>,
}

impl BoardApis {
    pub fn new(overrides: &BTreeMap<String, Url>) -> Self {
        BoardApis {
            overrides: overrides.clone(),
        }
    }

    /// The URL of the listing request that skips `offset` postings.
    pub fn url(&self, r: &BoardRef, offset: usize) -> Url {
        let documented = match r.board {
            Board::Greenhouse => "https://boards-api.greenhouse.io".to_string(),
            Board::Lever if r.eu => "https://api.eu.lever.co".to_string(),
            Board::Lever => "https://api.lever.co".to_string(),
            Board::Ashby => "https://api.ashbyhq.com".to_string(),
            Board::SmartRecruiters => "https://api.smartrecruiters.com".to_string(),
            Board::Recruitee => format!("https://{}.recruitee.com", r.slug),
            Board::Workable => "https://apply.workable.com".to_string(),
        };
        let mut url = match self.overrides.get(r.board.as_str()) {
            Some(base) => base.clone(),
            // Slugs are checked to be host-label safe (`BoardRef::from_url`).
            None => Url::parse(&documented).expect("documented API hosts parse"),
        };
        let slug = r.slug.as_str();
        let path: &[&str] = match r.board {
            Board::Greenhouse => &["v1", "boards", slug, "jobs"],
            Board::Lever => &["v0", "postings", slug],
            Board::Ashby => &["posting-api", "job-board", slug],
            Board::SmartRecruiters => &["v1", "companies", slug, "postings"],
            Board::Recruitee => &["api", "offers", ""],
            Board::Workable => &["api", "v1", "widget", "accounts", slug],
        };
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().extend(path);
        }
        let (offset, size) = (offset.to_string(), PAGE_SIZE.to_string());
        let query: &[(&str, &str)] = match r.board {
            Board::Lever => &[("mode", "json"), ("skip", &offset), ("limit", &size)],
            Board::SmartRecruiters => &[("offset", &offset), ("limit", &size)],
            Board::Ashby => &[("includeCompensation", "false")],
            _ => &[],
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }
}

impl Fetcher {
    /// Read a board's whole listing, page by page, up to `max_pages`
    /// requests.
    pub async fn board_listing(
        &self,
        board: &BoardRef,
        max_pages: usize,
    ) -> Result<Listing, FetchError> {
        let mut listing = Listing::default();
        let mut offset = 0;
        loop {
            let url = self.boards.url(board, offset);
            let page = self.fetch_api(&url).await?;
            listing.requests += 1;
            let got = parse(board.board, &board.slug, &page.body)
                .map_err(|e| FetchError::new(FailureClass::Parse, url.as_str(), e.to_string()))?;
            listing.links.extend(got.links);
            offset += got.returned;
            let more = match board.board {
                // A bare array: a full page may have a successor.
                Board::Lever => got.returned == PAGE_SIZE,
                Board::SmartRecruiters => got.returned > 0 && got.total.is_some_and(|t| offset < t),
                _ => false,
            };
            if !more {
                return Ok(listing);
            }
            if listing.requests as usize >= max_pages.max(1) {
                tracing::warn!(%board, read = offset, "stopped reading the board's listing at fetch.max_pages requests");
                return Ok(listing);
            }
        }
    }
}
