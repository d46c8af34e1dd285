//! Walking a company's careers listings page by page, resumably.
//!
//! A scrape fetches each careers URL and follows `rel="next"` up to
//! `fetch.max_pages` pages per URL. Its whole state is a [`Checkpoint`]. After
//! a page with more to fetch, the checkpoint is handed to the heartbeat task,
//! which writes it with the next heartbeat (at most every
//! `workers.progress_interval`) in the same transaction as the job's counters:
//! a one-page scrape writes none, a long listing one record per interval.
//!
//! Invariant: a job rescued after a crash continues after the last page its
//! checkpoint records; the links found before are carried in the checkpoint,
//! not yet postings (postings are made only when the job commits), so
//! resuming never counts a link twice. Pages fetched after the last save are
//! fetched again.
//!
//! Requests are conditional when the page cache has validators for the page
//! (ETag, Last-Modified). A `304 Not Modified` costs no parsing: its links
//! are already in the snapshot, and the cache remembers where its pagination
//! led. The validators of pages read in full are returned for the commit to
//! store with the links (see `store::health`).
//!
//! A careers URL on a job board (`boards.greenhouse.io/acme`), or a page
//! found to embed one, is read through the board's listing API instead
//! (`fetch::boards`): its postings are keyed by the board's ids. The page
//! cache remembers a page's board, so later scrapes go straight to the API.
//! When the API fails for a board found on a page, the page's own links
//! stand, and a remembered board that fails is forgotten and its page read
//! again: a wrong or stale guess costs one request, never the scrape. The
//! board read is carried in the checkpoint, so a resumed walk reports it
//! and its board-keyed links are not mistaken for news.

use std::collections::HashSet;

use url::Url;

use super::failure::Failure;
use super::pipeline::{Pipeline, Progress, lock};
use crate::extract::LinkFilter;
use crate::fetch::Fetched;
use crate::model::{
    BoardRef, Checkpoint, Company, FailureClass, FetchMode, Job, JobCounters, NewLink, PageCache,
};
use crate::queue;
use crate::store;

impl Pipeline {
    pub(super) async fn scrape(&self, job: &Job, progress: &Progress) -> Result<Scraped, Failure> {
        let (company_id, job_id) = (job.company_id, job.id);
        let (company, saved): (Company, Option<Checkpoint>) = self
            .queue
            .store()
            .run(move |s| {
                s.read(|rx| {
                    Ok((
                        store::get_company(rx, company_id)?,
                        queue::checkpoint_of(rx, job_id)?,
                    ))
                })
            })
            .await?;
        let filter = LinkFilter::new(&company.include, &company.exclude).map_err(|e| {
            Failure::fixed(
                FailureClass::Parse,
                format!("invalid include/exclude pattern: {e}"),
                true,
            )
        })?;
        let mut cp = match saved {
            Some(cp) if cp.urls == company.urls => {
                tracing::info!(
                    pages = cp.pages,
                    links = cp.links.len(),
                    "resuming from the checkpoint of an interrupted attempt"
                );
                cp
            }
            _ => Checkpoint::start(company.urls.clone()),
        };
        let mut seen: HashSet<String> = cp.links.iter().map(|l| l.key().to_string()).collect();
        let mut caches = Vec::new();
        let mut rendered = false;
        let budget = cp.urls.len().max(1) * self.max_pages;
        while let Some(start) = cp.urls.get(cp.urls_done as usize).cloned() {
            // The first page's cache entry, read once for both its board and
            // its validators.
            let mut start_cache = None;
            if cp.visited.is_empty() && cp.next.is_none() {
                let known = match Url::parse(&start).ok().and_then(|u| BoardRef::from_url(&u)) {
                    Some(b) => Some((b, false)),
                    None => {
                        let entry = self.page_cache(company_id, &start).await;
                        let board = entry.as_ref().and_then(|c| c.board.clone());
                        start_cache = Some(entry);
                        board.map(|b| (b, true))
                    }
                };
                if let Some((board, from_page)) = known {
                    match self.fetcher.board_listing(&board, self.max_pages).await {
                        Ok(listing) => {
                            cp.pages += listing.requests;
                            add_links(&mut cp, &mut seen, listing.links);
                            cp.backend = cp.backend.or(Some(board.board));
                            cp.urls_done += 1;
                            let more = (cp.urls_done as usize) < cp.urls.len();
                            self.report(progress, &cp, budget, more);
                            continue;
                        }
                        // A board guessed from the page may be gone: forget
                        // it and read the page again, which finds it anew if
                        // it is still there.
                        Err(e) if from_page => {
                            tracing::warn!(%board, error = %e, "the job board remembered for this page failed; reading the page instead");
                            caches.push((start.clone(), PageCache::default()));
                            // In full: a 304 would leave nothing to find the
                            // board (or the links) in.
                            start_cache = Some(None);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                cp.next = Some(start.clone());
            }
            while let Some(next) = cp.next.take() {
                if cp.visited.len() >= self.max_pages || cp.visited.contains(&next) {
                    break;
                }
                let url = Url::parse(&next).map_err(|e| {
                    Failure::fixed(
                        FailureClass::Parse,
                        format!("careers URL {start:?} is not valid: {e}"),
                        true,
                    )
                })?;
                let browser = company.mode == FetchMode::Browser;
                rendered |= browser;
                let cached = match (browser, start_cache.take()) {
                    // A rendered page's HTML shell says nothing of what its
                    // scripts show: never asked conditionally.
                    (true, _) => None,
                    (false, Some(c)) if next == start => c,
                    (false, _) => self.page_cache(company_id, &next).await,
                };
                cp.visited.push(next.clone());
                let fetched = match browser {
                    true => self.fetcher.render(&url).await.map(Fetched::Page),
                    false => self.fetcher.fetch(&url, cached.as_ref()).await,
                };
                let fetched = match fetched {
                    Ok(f) => f,
                    // A later page of a listing failing leaves the links
                    // already found valid: snapshots only grow.
                    // (A browser held back is the appliance's doing: the
                    // job waits for it instead.)
                    Err(e) if cp.visited.len() > 1 && !e.held_back => {
                        tracing::warn!(error = %e, "stopping pagination at a page that failed");
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                cp.pages += 1;
                cp.next = match fetched {
                    // Its links are in the snapshot already; the cache knows
                    // where its pagination led.
                    Fetched::NotModified => cached.and_then(|c| c.next),
                    Fetched::Page(page) => {
                        let first = cp.visited.len() == 1;
                        let read = self.read_page(company.mode, page, &filter, first).await?;
                        cp.pages += read.extra_requests;
                        rendered |= read.rendered;
                        if let Some(b) = &read.cache.board {
                            cp.backend = cp.backend.or(Some(b.board));
                        }
                        let c = &read.cache;
                        // A rendered page's entry is written even empty: it
                        // replaces validators an HTTP read left, which would
                        // otherwise answer 304 and skip the rendering.
                        if read.rendered
                            || c.etag.is_some()
                            || c.last_modified.is_some()
                            || c.board.is_some()
                        {
                            caches.push((next, read.cache.clone()));
                        }
                        add_links(&mut cp, &mut seen, read.links);
                        read.cache.next
                    }
                };
                let more = cp.next.is_some() || (cp.urls_done as usize + 1) < cp.urls.len();
                self.report(progress, &cp, budget, more);
            }
            cp.urls_done += 1;
            cp.visited.clear();
            cp.next = None;
        }
        let counters = counters_of(&cp);
        Ok(Scraped {
            links: cp.links,
            counters,
            caches,
            backend: cp.backend,
            rendered,
        })
    }

    async fn page_cache(&self, company: u64, url: &str) -> Option<PageCache> {
        let url = url.to_string();
        self.queue
            .store()
            .run(move |s| s.read(|rx| store::page_cache(rx, company, &url)))
            .await
            // Without the cache the request is simply unconditional.
            .unwrap_or(None)
    }

    /// Publish progress, and the checkpoint when more pages follow, for the
    /// heartbeat task to write.
    fn report(&self, progress: &Progress, cp: &Checkpoint, budget: usize, more: bool) {
        let mut live = lock(progress);
        live.pct = ((cp.pages as usize * 90) / budget).min(90) as u8;
        live.counters = counters_of(cp);
        live.checkpoint = more.then(|| cp.clone());
    }
}

/// What a scrape found: its links, its counters, and the validators of the
/// pages it read in full (page URL → cache entry).
pub(super) struct Scraped {
    pub links: Vec<NewLink>,
    pub counters: JobCounters,
    pub caches: Vec<(String, PageCache)>,
    /// The job board whose API the scrape read, if any.
    pub backend: Option<crate::model::Board>,
    /// A page of this scrape was drawn by the browser.
    pub rendered: bool,
}

fn add_links(cp: &mut Checkpoint, seen: &mut HashSet<String>, links: Vec<NewLink>) {
    for l in links {
        if seen.insert(l.key().to_string()) {
            cp.links.push(l);
        }
    }
}

fn counters_of(cp: &Checkpoint) -> JobCounters {
    JobCounters {
        pages: cp.pages,
        links_found: cp.links.len() as u32,
        ..JobCounters::default()
    }
}
