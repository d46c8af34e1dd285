//! robots.txt: parsing and the allow/deny decision for one path, with
//! Google's semantics (RFC 9309).
//!
//! - Groups are chosen by our product token alone (case-insensitive), never
//!   by the User-Agent header sent; when no group names it, the `*` groups
//!   apply; when several groups name it, their rules are merged.
//! - Among the chosen rules, the longest matching pattern wins; on a tie
//!   `Allow` wins. An empty pattern matches but decides nothing.
//! - Only the first [`MAX_BYTES`] of a file are read.
//!
//! Pure: fetching, caching and status handling live in `fetch::hosts`.

mod parse;
mod pattern;

use std::time::Duration;

pub use parse::MAX_LINE;

/// How much of a robots.txt is read (RFC 9309 asks for at least 500 KiB).
pub const MAX_BYTES: usize = 500 * 1024;

/// A parsed robots.txt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robots {
    groups: Vec<parse::Group>,
}

/// The answer for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The line that decided, as written (`Disallow: /private`); `None` when
    /// no rule matched and the path is allowed by default.
    pub rule: Option<String>,
}

impl Robots {
    /// Parse a robots.txt body; any bytes are accepted.
    pub fn parse(body: &[u8]) -> Robots {
        Robots {
            groups: parse::parse(&body[..body.len().min(MAX_BYTES)]),
        }
    }

    /// Rules that allow everything (a 4xx robots.txt).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// The groups that apply to `token`: those naming it, else the `*` ones.
    fn groups_for<'a>(&'a self, token: &str) -> impl Iterator<Item = &'a parse::Group> {
        let token = token.to_ascii_lowercase();
        let specific = self.groups.iter().any(|g| g.agents.contains(&token));
        let wanted = if specific { token } else { "*".to_string() };
        self.groups
            .iter()
            .filter(move |g| g.agents.contains(&wanted))
    }

    /// The decision for `path` (path and query as in the request line,
    /// see [`path_of`]) and crawler product token `token`.
    pub fn decide(&self, token: &str, path: &str) -> Decision {
        let path = pattern::normalise(path);
        let mut best: [Option<(usize, &parse::Rule)>; 2] = [None, None];
        for rule in self.groups_for(token).flat_map(|g| &g.rules) {
            if rule.pattern.is_empty() || !pattern::matches(&path, &rule.pattern) {
                continue;
            }
            let slot = &mut best[usize::from(rule.allow)];
            if slot.is_none_or(|(len, _)| rule.pattern.len() > len) {
                *slot = Some((rule.pattern.len(), rule));
            }
        }
        match best {
            [Some((deny, rule)), allow] if allow.is_none_or(|(len, _)| deny > len) => Decision {
                allowed: false,
                rule: Some(rule.line.clone()),
            },
            [_, allow] => Decision {
                allowed: true,
                rule: allow.map(|(_, r)| r.line.clone()),
            },
        }
    }

    /// The `Crawl-delay` of the groups that apply to `token` (the longest if
    /// several set one).
    pub fn crawl_delay(&self, token: &str) -> Option<Duration> {
        self.groups_for(token)
            .filter_map(|g| g.crawl_delay)
            .fold(None, |acc: Option<f64>, d| {
                Some(acc.map_or(d, |a| a.max(d)))
            })
            // A day between requests is as slow as any site can sensibly ask.
            .map(|s| Duration::from_secs_f64(s.min(86_400.0)))
    }
}

/// Path and query of `url` as robots rules see them (`/` when empty).
pub fn path_of(url: &url::Url) -> String {
    let mut p = url.path().to_string();
    if p.is_empty() {
        p.push('/');
    }
    if let Some(q) = url.query() {
        p.push('?');
        p.push_str(q);
    }
    p
}

#[cfg(test)]
mod google_tests;
#[cfg(test)]
mod tests;
