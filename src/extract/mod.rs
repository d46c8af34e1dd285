//! HTML → canonical job links. Pure: no I/O, no clock, no store.
//!
//! [`links::scan`] streams a page through `lol_html` and keeps only anchors,
//! `<base href>` and `rel="next"` (no DOM); [`canon`] turns each href into one
//! canonical URL; [`classify`] keeps the links that lead to a job posting.
//!
//! Invariant: the same page always yields the same links in the same order,
//! and each canonical URL at most once.

pub mod canon;
pub mod classify;
pub mod links;

pub use canon::canonicalize;
pub use classify::LinkFilter;
pub use links::{PageScan, RawLink, ScanError, scan};

use url::Url;

/// A job link found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLink {
    pub url: Url,
    pub text: String,
}

/// What one page yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageResult {
    pub jobs: Vec<JobLink>,
    /// The `rel="next"` page, canonical, if any.
    pub next: Option<Url>,
    /// Anchors seen before filtering.
    pub anchors: usize,
}

/// Scan `html` fetched from `page_url` and keep the job links.
pub fn job_links(
    html: &[u8],
    page_url: &Url,
    filter: &LinkFilter,
) -> Result<PageResult, ScanError> {
    let scan = scan(html)?;
    let base = scan
        .base
        .as_deref()
        .and_then(|b| page_url.join(b).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut seen = std::collections::HashSet::new();
    let mut candidates = Vec::new();
    for raw in &scan.links {
        if let Some(url) = canonicalize(&base, &raw.href)
            && seen.insert(url.as_str().to_string())
        {
            candidates.push(JobLink {
                url,
                text: raw.text.clone(),
            });
        }
    }
    let next = scan
        .next
        .as_deref()
        .and_then(|n| canonicalize(&base, n))
        .filter(|n| n != page_url);
    // The next page of the listing is not a posting.
    if let Some(n) = &next {
        candidates.retain(|c| &c.url != n);
    }
    Ok(PageResult {
        jobs: filter.keep(page_url, candidates),
        next,
        anchors: scan.links.len(),
    })
}
