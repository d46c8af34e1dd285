//! `scoutly check URL`: what a scrape of one URL would do, without storing
//! anything — the robots.txt decision and the rule behind it, the job board
//! behind the page, the fetch mode, the page's status and timings, and the
//! job links found.
//!
//! Runs the same fetcher and extractor as the workers (same politeness, same
//! limits); only the comparison with a known company's snapshot needs the
//! store, and the CLI asks for that separately.

use std::time::{Duration, Instant};

use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::extract::{self, LinkFilter};
use crate::fetch::{FailureClass, Fetcher};
use crate::model::{BoardRef, FetchMode, NewLink};

/// Links shown as a sample.
const SAMPLE: usize = 5;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub url: String,
    pub robots: RobotsView,
    /// The job board behind the page, when one is recognised.
    pub backend: Option<String>,
    pub mode: &'static str,
    /// The page's HTTP status, when it was fetched and answered.
    pub status: Option<u16>,
    pub timings: Timings,
    /// Job links found (after the company's patterns, when it is known).
    pub links: usize,
    pub sample: Vec<LinkView>,
    /// Every job link's snapshot key (its URL, or its board id), for
    /// comparison with a snapshot (not printed).
    #[serde(skip)]
    pub all_links: Vec<String>,
    /// The `rel="next"` page, when the listing continues.
    pub next: Option<String>,
    pub error: Option<ErrorView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RobotsView {
    pub allowed: bool,
    pub rule: Option<String>,
    pub status: Option<u16>,
    /// Why nothing may be fetched, when robots.txt was unreachable.
    pub unreachable: Option<String>,
    /// Why robots.txt was not consulted (a job board's public API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    pub robots_ms: u64,
    pub fetch_ms: Option<u64>,
    pub extract_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub url: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorView {
    pub class: &'static str,
    pub message: String,
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// What the company's own settings change about the check.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// `browser` renders the page; `auto` renders it when it has no job
    /// links and looks built by JavaScript, as a scrape does.
    pub mode: FetchMode,
}

/// Check `url` as a scrape would see it.
pub async fn check(cfg: &Config, url: &Url, known: &Known) -> Report {
    let mut report = Report {
        url: url.to_string(),
        robots: RobotsView {
            allowed: false,
            rule: None,
            status: None,
            unreachable: None,
            skipped: None,
        },
        backend: None,
        mode: "http",
        status: None,
        timings: Timings {
            robots_ms: 0,
            fetch_ms: None,
            extract_ms: None,
        },
        links: 0,
        sample: Vec::new(),
        all_links: Vec::new(),
        next: None,
        error: None,
    };
    let fail = |report: &mut Report, class, message: String| {
        report.error = Some(ErrorView {
            class: FailureClass::as_str(class),
            message,
        });
    };
    let fetcher = match Fetcher::new(cfg) {
        Ok(f) => f,
        Err(e) => {
            fail(&mut report, e.class, e.to_string());
            return report;
        }
    };
    if let Some(board) = BoardRef::from_url(url) {
        report.robots.allowed = true;
        report.robots.skipped = Some("a job board's public API is read, not its pages".into());
        let started = Instant::now();
        let listing = fetcher.board_listing(&board, cfg.fetch.max_pages).await;
        report.timings.fetch_ms = Some(ms(started.elapsed()));
        report.backend = Some(board.board.as_str().into());
        match listing {
            Ok(l) => fill_links(&mut report, l.links),
            Err(e) => {
                report.status = e.status;
                fail(&mut report, e.class, e.to_string());
            }
        }
        return report;
    }
    let started = Instant::now();
    let verdict = fetcher.robots_verdict(url).await;
    report.timings.robots_ms = ms(started.elapsed());
    report.robots = RobotsView {
        allowed: verdict.allowed,
        rule: verdict.rule.clone(),
        status: verdict.status,
        unreachable: verdict.unreachable.clone(),
        skipped: None,
    };
    // A refused page is not fetched: the gate says why.
    if let Some(e) = verdict.refusal(url, fetcher.product_token()) {
        fail(&mut report, e.class, e.detail);
        return report;
    }
    let started = Instant::now();
    let fetched = match known.mode {
        FetchMode::Browser => {
            report.mode = "browser";
            fetcher.render(url).await
        }
        _ => fetcher.get(url).await,
    };
    report.timings.fetch_ms = Some(ms(started.elapsed()));
    let mut page = match fetched {
        Ok(p) => p,
        Err(e) => {
            report.status = e.status;
            fail(&mut report, e.class, e.detail.clone());
            return report;
        }
    };
    report.status = Some(page.status);
    let filter = match LinkFilter::new(&known.include, &known.exclude) {
        Ok(f) => f,
        Err(e) => {
            fail(
                &mut report,
                FailureClass::Parse,
                format!("the company's include/exclude pattern is invalid: {e}"),
            );
            return report;
        }
    };
    let started = Instant::now();
    let Some(mut found) = extract_into(&mut report, &page, &filter) else {
        return report;
    };
    let mut extract_time = started.elapsed();
    if known.mode == FetchMode::Auto && fetcher.browser_enabled() && found.needs_rendering() {
        report.mode = "browser";
        let started = Instant::now();
        let rendered = fetcher.render(url).await;
        report.timings.fetch_ms = report.timings.fetch_ms.map(|t| t + ms(started.elapsed()));
        match rendered {
            Ok(p) => page = p,
            Err(e) => {
                report.status = e.status;
                fail(&mut report, e.class, e.detail.clone());
                return report;
            }
        }
        let started = Instant::now();
        let Some(again) = extract_into(&mut report, &page, &filter) else {
            return report;
        };
        found = again;
        extract_time = started.elapsed();
    }
    report.timings.extract_ms = Some(ms(extract_time));
    report.next = found.next.map(String::from);
    let page_links = || {
        found
            .jobs
            .iter()
            .map(|l| NewLink::page(l.url.clone(), l.text.clone()))
            .collect()
    };
    // As a scrape does: the board's API in place of the page, when it answers.
    let links = match &found.board {
        Some(board) => {
            report.backend = Some(board.board.as_str().into());
            match fetcher.board_listing(board, cfg.fetch.max_pages).await {
                Ok(l) => {
                    report.next = None;
                    l.links
                }
                Err(e) => {
                    tracing::warn!(%board, error = %e, "the page seems to embed a job board, but its API failed; a scrape uses the page's own links");
                    report.backend = None;
                    page_links()
                }
            }
        }
        None => page_links(),
    };
    fill_links(&mut report, links);
    report
}

/// The page's job links; `None` with the report's error set when the page
/// cannot be parsed.
fn extract_into(
    report: &mut Report,
    page: &crate::fetch::Page,
    filter: &LinkFilter,
) -> Option<extract::PageResult> {
    match extract::job_links(&page.body, &page.url, filter) {
        Ok(found) => Some(found),
        Err(e) => {
            report.error = Some(ErrorView {
                class: FailureClass::Parse.as_str(),
                message: e.to_string(),
            });
            None
        }
    }
}

fn fill_links(report: &mut Report, links: Vec<NewLink>) {
    report.links = links.len();
    report.sample = links
        .iter()
        .take(SAMPLE)
        .map(|l| LinkView {
            url: l.url.clone(),
            title: l.title.clone(),
            location: l.location.clone(),
        })
        .collect();
    report.all_links = links.iter().map(|l| l.key().to_string()).collect();
}
