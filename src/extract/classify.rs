//! Which links lead to a job posting.
//!
//! A careers page also links its home, blog, legal pages, social profiles,
//! assets, department filters and tag pages; none of those may surface as a
//! "new posting" when the site edits its navigation. The rules, in order:
//! 1. a company's exclude pattern drops the link; its include pattern keeps it;
//! 2. assets and links off the site (other than known job boards) are dropped;
//! 3. on a job-board host, a path of two or more segments is a posting;
//! 4. elsewhere the path must hold a job keyword segment (`jobs`, `careers`,
//!    `positions`, `openings`, …), and then either the query carries a job id
//!    (`gh_jid`, `jobId`, …), or a posting segment follows the keyword: an id
//!    (has a digit, not a page number) or a multi-word slug that is not a known
//!    non-job page; a slug without digits also needs a job-title word (in the
//!    slug or the link text) or a sibling link with the same parent path
//!    (postings come in lists, "life-at-acme" comes alone).
//!
//! `tests/classify.rs` measures precision and recall on fixture pages.

use std::collections::HashMap;

use regex::RegexSet;
use url::Url;

use super::JobLink;

mod words;

use words::{
    ASSET_EXTENSIONS, JOB_BOARD_HOSTS, JOB_ID_PARAMS, JOB_SEGMENTS, NON_JOB_PREFIXES,
    NON_JOB_SEGMENTS, TITLE_WORDS,
};

/// A company's job-link rules: built-in heuristics plus its own patterns.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    include: Option<RegexSet>,
    exclude: Option<RegexSet>,
}

impl LinkFilter {
    /// Build from a company's include/exclude regexes.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, regex::Error> {
        let set = |p: &[String]| -> Result<Option<RegexSet>, regex::Error> {
            if p.is_empty() {
                Ok(None)
            } else {
                RegexSet::new(p).map(Some)
            }
        };
        Ok(Self {
            include: set(include)?,
            exclude: set(exclude)?,
        })
    }

    /// Keep the links of one page that lead to postings, in page order.
    pub fn keep(&self, page: &Url, links: Vec<JobLink>) -> Vec<JobLink> {
        let page_site = site_key(page);
        let verdicts: Vec<Verdict> = links
            .iter()
            .map(|l| self.judge(page_site, &l.url, &l.text))
            .collect();
        // Sibling count per parent path, among links that may be postings.
        let mut parents: HashMap<(&str, &str), usize> = HashMap::new();
        for (l, v) in links.iter().zip(&verdicts) {
            if *v == Verdict::IfSiblings || *v == Verdict::Yes {
                *parents.entry(parent_path(&l.url)).or_default() += 1;
            }
        }
        let keep: Vec<bool> = links
            .iter()
            .zip(&verdicts)
            .map(|(l, v)| match v {
                Verdict::Yes => true,
                Verdict::IfSiblings => parents.get(&parent_path(&l.url)).is_some_and(|&n| n >= 2),
                Verdict::No => false,
            })
            .collect();
        drop(parents);
        links
            .into_iter()
            .zip(keep)
            .filter_map(|(l, k)| k.then_some(l))
            .collect()
    }

    fn judge(&self, page_site: &str, url: &Url, text: &str) -> Verdict {
        let s = url.as_str();
        if self.exclude.as_ref().is_some_and(|x| x.is_match(s)) {
            return Verdict::No;
        }
        if self.include.as_ref().is_some_and(|x| x.is_match(s)) {
            return Verdict::Yes;
        }
        let path = url.path().to_ascii_lowercase();
        if ASSET_EXTENSIONS.iter().any(|e| path.ends_with(e)) {
            return Verdict::No;
        }
        let host = url.host_str().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if is_job_board(host) {
            let listing = segments
                .last()
                .is_some_and(|l| NON_JOB_SEGMENTS.contains(l) || JOB_SEGMENTS.contains(l));
            return if segments.len() >= 2 && !listing {
                Verdict::Yes
            } else {
                Verdict::No
            };
        }
        if site_key(url) != page_site {
            return Verdict::No;
        }
        let Some(k) = segments.iter().position(|s| JOB_SEGMENTS.contains(s)) else {
            return Verdict::No;
        };
        if has_job_id_param(url) {
            return Verdict::Yes;
        }
        let after = &segments[k + 1..];
        if after.is_empty() {
            return Verdict::No;
        }
        if after.iter().any(|s| is_non_job(s)) && !after.last().is_some_and(|s| has_digit(s)) {
            return Verdict::No;
        }
        let last = after.last().copied().unwrap_or_default();
        if is_page_number(last) {
            return Verdict::No;
        }
        if after.iter().any(|s| looks_like_id(s)) {
            return Verdict::Yes;
        }
        let words = last.split(['-', '_']).filter(|w| !w.is_empty()).count();
        if words < 2 {
            return Verdict::No;
        }
        let text = text.to_ascii_lowercase();
        if TITLE_WORDS
            .iter()
            .any(|w| last.contains(w) || text.contains(w))
        {
            Verdict::Yes
        } else {
            Verdict::IfSiblings
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Yes,
    IfSiblings,
    No,
}

fn is_job_board(host: &str) -> bool {
    JOB_BOARD_HOSTS.iter().any(|b| {
        host.strip_suffix(b)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    })
}

fn is_non_job(seg: &str) -> bool {
    NON_JOB_SEGMENTS.contains(&seg) || NON_JOB_PREFIXES.iter().any(|p| seg.starts_with(p))
}

fn has_digit(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
}

/// An id-like segment: has a digit and is not a page number (`p2`, `page-3`).
fn looks_like_id(s: &str) -> bool {
    has_digit(s) && s.len() >= 2 && !is_page_number(s)
}

fn is_page_number(s: &str) -> bool {
    let rest = ["page", "pg", "p"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .map(|r| r.trim_start_matches(['-', '_', '=']));
    rest.is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

fn has_job_id_param(url: &Url) -> bool {
    url.query_pairs()
        .any(|(k, v)| !v.is_empty() && JOB_ID_PARAMS.contains(&k.to_ascii_lowercase().as_str()))
}

/// Host and path without the last segment: postings listed together share it.
fn parent_path(url: &Url) -> (&str, &str) {
    let path = url.path().trim_end_matches('/');
    let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
    (url.host_str().unwrap_or_default(), parent)
}

/// An approximation of the registrable domain: the last two labels, or three
/// when the second-level label is a generic one under a country code
/// (`acme.co.uk`). IP addresses are their own site. The URL parser has
/// already lowercased the host.
fn site_key(url: &Url) -> &str {
    let host = url.host_str().unwrap_or_default();
    if matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) {
        return host;
    }
    let mut dots = host.rmatch_indices('.').map(|(i, _)| i);
    let (Some(last), Some(second)) = (dots.next(), dots.next()) else {
        return host;
    };
    let tld = &host[last + 1..];
    let sld = &host[second + 1..last];
    let generic = ["co", "com", "org", "net", "ac", "gov", "edu"];
    if tld.len() == 2 && generic.contains(&sld) {
        match dots.next() {
            Some(third) => &host[third + 1..],
            None => host,
        }
    } else {
        &host[second + 1..]
    }
}

#[cfg(test)]
mod tests;
