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

use std::collections::HashSet;

use url::Url;

use super::pipeline::{Failure, Pipeline, Progress, lock};
use crate::extract::{self, LinkFilter};
use crate::model::{Checkpoint, Company, Job, JobCounters, NewLink};
use crate::queue;
use crate::store;

impl Pipeline {
    pub(super) async fn scrape(
        &self,
        job: &Job,
        progress: &Progress,
    ) -> Result<(Vec<NewLink>, JobCounters), Failure> {
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
        let filter = LinkFilter::new(&company.include, &company.exclude).map_err(|e| Failure {
            error: format!("invalid include/exclude pattern: {e}"),
            retryable: false,
            attention: Some(format!("invalid include/exclude pattern: {e}")),
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
        let mut seen: HashSet<String> = cp.links.iter().map(|l| l.url.clone()).collect();
        let budget = cp.urls.len().max(1) * self.max_pages;
        while let Some(start) = cp.urls.get(cp.urls_done as usize).cloned() {
            if cp.visited.is_empty() && cp.next.is_none() {
                cp.next = Some(start.clone());
            }
            while let Some(next) = cp.next.take() {
                if cp.visited.len() >= self.max_pages || cp.visited.contains(&next) {
                    break;
                }
                let url = Url::parse(&next).map_err(|e| Failure {
                    error: format!("careers URL {start:?} is not valid: {e}"),
                    retryable: false,
                    attention: Some(format!("careers URL {start:?} is not valid")),
                })?;
                cp.visited.push(next);
                let page = match self.fetcher.get(&url).await {
                    Ok(page) => page,
                    // A later page of a listing failing leaves the links
                    // already found valid: snapshots only grow.
                    Err(e) if cp.visited.len() > 1 => {
                        tracing::warn!(error = %e, "stopping pagination at a page that failed");
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                let found =
                    extract::job_links(&page.body, &page.url, &filter).map_err(|e| Failure {
                        error: format!("{url}: {e}"),
                        retryable: false,
                        attention: None,
                    })?;
                cp.pages += 1;
                for l in found.jobs {
                    if seen.insert(l.url.to_string()) {
                        cp.links.push(NewLink {
                            url: l.url.into(),
                            title: l.text,
                        });
                    }
                }
                cp.next = found.next.map(String::from);
                let more = cp.next.is_some() || (cp.urls_done as usize + 1) < cp.urls.len();
                self.report(progress, &cp, budget, more);
            }
            cp.urls_done += 1;
            cp.visited.clear();
            cp.next = None;
        }
        let counters = counters_of(&cp);
        Ok((cp.links, counters))
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

fn counters_of(cp: &Checkpoint) -> JobCounters {
    JobCounters {
        pages: cp.pages,
        links_found: cp.links.len() as u32,
        ..JobCounters::default()
    }
}
