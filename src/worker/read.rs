//! Reading one fetched careers page: its job links, or the job board it
//! embeds, or (in `auto` mode, when the page has no job links and looks
//! built by JavaScript) the links the headless browser sees.
//!
//! Invariant: a page whose links came from the browser keeps no validators,
//! since its HTML shell can stay the same while its scripts show new
//! postings; a conditional request would then hide them. When rendering
//! fails in `auto` mode, the HTTP read stands (logged): the browser's
//! trouble is the appliance's, not the company's.

use super::failure::Failure;
use super::pipeline::Pipeline;
use crate::extract::{self, LinkFilter, PageResult};
use crate::fetch::Page;
use crate::fetch::boards::Listing;
use crate::model::{BoardRef, FailureClass, FetchMode, NewLink, PageCache};

/// What a page yielded.
pub(super) struct PageRead {
    pub links: Vec<NewLink>,
    /// What to remember of the page: validators, next page, board.
    pub cache: PageCache,
    /// Requests made beyond the page itself (board API pages, a render).
    pub extra_requests: u32,
    /// The links came from the headless browser.
    pub rendered: bool,
}

impl Pipeline {
    pub(super) async fn read_page(
        &self,
        mode: FetchMode,
        page: Page,
        filter: &LinkFilter,
        first: bool,
    ) -> Result<PageRead, Failure> {
        let mut found = extract_links(&page, filter)?;
        let mut cache = PageCache {
            next: found.next.as_ref().map(|n| n.to_string()),
            ..page.validators
        };
        let mut extra_requests = 0;
        let needs_browser =
            mode == FetchMode::Auto && found.needs_rendering() && self.fetcher.browser_enabled();
        let mut rendered = false;
        if needs_browser {
            tracing::info!(url = %page.url, "no job links and the page looks built by JavaScript; rendering it");
            extra_requests += 1;
            // The HTTP read stands when the browser cannot help (not
            // installed, too little memory): a page with no openings must
            // not fail its company for the appliance's own trouble.
            match self.fetcher.render(&page.url).await {
                Ok(page) => {
                    found = extract_links(&page, filter)?;
                    cache = PageCache {
                        next: found.next.as_ref().map(|n| n.to_string()),
                        ..PageCache::default()
                    };
                    rendered = true;
                }
                // Held back, the job waits for the browser: what plain HTTP
                // found of a page built by scripts is no scrape.
                Err(e) if e.held_back => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(error = %e, "rendering failed; keeping what plain HTTP found");
                }
            }
        }
        let listing = match found.board.clone().filter(|_| first) {
            Some(board) => self.embedded_board(&board).await,
            None => None,
        };
        let links = match listing {
            Some((board, listing)) => {
                extra_requests += listing.requests;
                cache.board = Some(board);
                cache.next = None;
                listing.links
            }
            None => found
                .jobs
                .into_iter()
                .map(|l| NewLink::page(l.url, l.text))
                .collect(),
        };
        Ok(PageRead {
            links,
            cache,
            extra_requests,
            rendered,
        })
    }

    /// Read the listing of a board found on a careers page; `None` (the
    /// page's own links stand) when its API fails.
    async fn embedded_board(&self, board: &BoardRef) -> Option<(BoardRef, Listing)> {
        match self.fetcher.board_listing(board, self.max_pages).await {
            Ok(listing) => {
                tracing::info!(%board, postings = listing.links.len(), "careers page embeds a job board; reading its API");
                Some((board.clone(), listing))
            }
            Err(e) => {
                tracing::warn!(%board, error = %e, "careers page seems to embed a job board, but its API failed; using the page's links");
                None
            }
        }
    }
}

fn extract_links(page: &Page, filter: &LinkFilter) -> Result<PageResult, Failure> {
    extract::job_links(&page.body, &page.url, filter)
        .map_err(|e| Failure::fixed(FailureClass::Parse, format!("{}: {e}", page.url), false))
}
