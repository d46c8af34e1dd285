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
mod entities;
pub mod links;
pub mod text;

pub use canon::canonicalize;
pub use classify::LinkFilter;
pub use links::{PageScan, RawLink, ScanError, scan};
pub use text::{PostingText, posting_text};

use url::Url;

use crate::model::BoardRef;

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
    /// The job board the page embeds (a board's script or iframe) or links
    /// to (the board most of its links lead to).
    pub board: Option<BoardRef>,
    /// The page looks built by JavaScript: it has scripts, and either an
    /// application's mount point (`#root`, `#app`, `#__next`, …) or hardly
    /// any links. With no job links found, such a page is worth
    /// rendering in the browser.
    pub scripted: bool,
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
    let board = board_of(&scan.embeds, &base, &candidates);
    let scripted = scan.scripts > 0 && (scan.app_shell || scan.links.len() < FEW_LINKS);
    let jobs = filter.keep(page_url, candidates);
    // Links name the board only when they are most of the page's postings:
    // one link to a partner's posting must not replace the page's own.
    let board = board.filter(|(_, from_links)| *from_links == 0 || from_links * 2 > jobs.len());
    Ok(PageResult {
        jobs,
        next,
        anchors: scan.links.len(),
        board: board.map(|(b, _)| b),
        scripted,
    })
}

impl PageResult {
    /// No job links, no job board, and built by JavaScript: what a headless
    /// browser might find here, plain HTTP cannot.
    pub fn needs_rendering(&self) -> bool {
        self.jobs.is_empty() && self.board.is_none() && self.scripted
    }
}

/// Fewer anchors than this on a page with scripts: the links are probably
/// drawn by the scripts.
const FEW_LINKS: usize = 10;

/// An embed names its board outright (count 0); failing that, the board
/// most links lead to (the first one on a tie), with how many do.
fn board_of(embeds: &[String], base: &Url, links: &[JobLink]) -> Option<(BoardRef, usize)> {
    if let Some(b) = embeds
        .iter()
        .filter_map(|src| base.join(src).ok())
        .find_map(|u| BoardRef::from_url(&u))
    {
        return Some((b, 0));
    }
    let mut counts: Vec<(BoardRef, usize)> = Vec::new();
    for b in links.iter().filter_map(|l| BoardRef::from_url(&l.url)) {
        match counts.iter_mut().find(|(c, _)| *c == b) {
            Some((_, n)) => *n += 1,
            None => counts.push((b, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Board;

    fn board(html: &str) -> Option<(Board, String)> {
        let page = Url::parse("https://acme.example/careers").unwrap();
        job_links(html.as_bytes(), &page, &LinkFilter::default())
            .unwrap()
            .board
            .map(|b| (b.board, b.slug))
    }

    #[test]
    fn boards_are_found_from_embeds_and_links() {
        assert_eq!(
            board(
                r#"<div id="grnhse_app"></div><script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script>"#
            ),
            Some((Board::Greenhouse, "acme".into()))
        );
        assert_eq!(
            board(r#"<iframe src="https://api.lever.co/v0/postings/acme?mode=iframe"></iframe>"#),
            Some((Board::Lever, "acme".into()))
        );
        assert_eq!(
            board(r#"<script src="https://jobs.ashbyhq.com/acme/embed?version=2"></script>"#),
            Some((Board::Ashby, "acme".into()))
        );
        // A stray link to another company's board names no board.
        let own: String = (0..5)
            .map(|i| format!(r#"<li><a href="/jobs/{i}0{i}-engineer">Engineer {i}</a></li>"#))
            .collect();
        assert_eq!(
            board(&format!(
                r#"<ul>{own}</ul><a href="https://jobs.lever.co/partner/abc-123">Partner role</a>"#
            )),
            None
        );
        // Most links win over a stray one.
        assert_eq!(
            board(
                r#"<a href="https://jobs.lever.co/other/1">x</a>
                <a href="https://apply.workable.com/acme/j/A1/">Engineer</a>
                <a href="https://apply.workable.com/acme/j/B2/">Designer</a>"#
            ),
            Some((Board::Workable, "acme".into()))
        );
        assert_eq!(
            board(r#"<script src="/app.js"></script><a href="/jobs/1">Engineer</a>"#),
            None
        );
    }

    #[test]
    fn script_built_pages_are_recognised() {
        let page = Url::parse("https://acme.example/careers").unwrap();
        let scripted = |html: &str| {
            job_links(html.as_bytes(), &page, &LinkFilter::default())
                .unwrap()
                .scripted
        };
        assert!(scripted(
            r#"<div id="root"></div><script src="/main.js"></script>"#
        ));
        assert!(scripted(r#"<script>boot()</script><a href="/">Home</a>"#));
        // A tag manager's <noscript> on an ordinary page is no sign.
        let nav: String = (0..12)
            .map(|i| format!("<a href=\"/p{i}\">p</a>"))
            .collect();
        assert!(!scripted(&format!(
            r#"<noscript><iframe src="https://www.googletagmanager.com/ns.html"></iframe></noscript>{nav}<script>gtm()</script>"#
        )));
        let nav: String = (0..20)
            .map(|i| format!("<a href=\"/p{i}\">p</a>"))
            .collect();
        assert!(!scripted(&format!("{nav}<script>analytics()</script>")));
        assert!(!scripted(
            r#"<div id="root"><a href="/about">About</a></div>"#
        ));
    }
}
