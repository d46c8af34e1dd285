//! robots.txt text → groups of user agents with their rules, the way Google's
//! parser reads it (RFC 9309 plus the leniencies real files need).
//!
//! - Lines end at `\n`, `\r` or `\r\n`; a UTF-8 byte-order mark
//!   (or a leading part of one) is skipped; `#` starts a comment; a line is cut at [`MAX_LINE`] bytes.
//! - `key: value`, or `key value` when the value is one word. Keys are
//!   case-insensitive and common misspellings (`useragent`, `dissallow`, …)
//!   are accepted.
//! - Consecutive `user-agent` lines share one group; the first `allow` or
//!   `disallow` closes the list of agents, so the next `user-agent` starts a
//!   new group. Other lines (`sitemap`, `crawl-delay`, unknown keys) do not.
//!   Rules before any `user-agent` belong to no group and are ignored.

use super::pattern;

/// Longest line read; the rest is dropped (Google reads 2083 × 8 − 1 bytes).
pub const MAX_LINE: usize = 2083 * 8 - 1;

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Product tokens, lower-case; `*` for the group every crawler may use.
    pub agents: Vec<String>,
    pub rules: Vec<Rule>,
    /// Seconds, when the group sets one.
    pub crawl_delay: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub allow: bool,
    /// Normalised (see [`pattern::normalise`]).
    pub pattern: String,
    /// The line as written, for explanations.
    pub line: String,
}

enum Key {
    UserAgent,
    Allow,
    Disallow,
    CrawlDelay,
    Other,
}

fn key_of(k: &str) -> Key {
    let k = k.to_ascii_lowercase();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| k.starts_with(p));
    if starts(&["user-agent", "useragent", "user agent"]) {
        Key::UserAgent
    } else if starts(&[
        "disallow",
        "dissallow",
        "dissalow",
        "disalow",
        "diasllow",
        "disallaw",
    ]) {
        Key::Disallow
    } else if starts(&["allow"]) {
        Key::Allow
    } else if starts(&["crawl-delay", "crawldelay", "crawl delay"]) {
        Key::CrawlDelay
    } else {
        Key::Other
    }
}

/// Split a line into key and value; `None` for blank or malformed lines.
fn split_line(line: &str) -> Option<(&str, &str)> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return None;
    }
    if let Some((k, v)) = line.split_once(':') {
        let k = k.trim();
        return (!k.is_empty()).then_some((k, v.trim()));
    }
    // No colon: accept "key value" when the value is a single word.
    let (k, v) = line.split_once(|c: char| c.is_ascii_whitespace())?;
    let v = v.trim();
    (!v.is_empty() && !v.contains(|c: char| c.is_ascii_whitespace())).then_some((k, v))
}

/// The product token a `user-agent` value names: `*` for the global group,
/// else its leading letters, `-` and `_` (so `FooBot/1.2` names `foobot`).
fn agent_of(value: &str) -> String {
    let mut chars = value.chars();
    if chars.next() == Some('*') && chars.next().is_none_or(|c| c.is_whitespace()) {
        return "*".into();
    }
    value
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    // Skip a byte-order mark, or as much of one as the file starts with.
    let bom = b"\xEF\xBB\xBF";
    let skip = body.iter().zip(bom).take_while(|(a, b)| a == b).count();
    let body = &body[skip..];
    body.split(|&b| b == b'\n' || b == b'\r')
        .map(|l| &l[..l.len().min(MAX_LINE)])
}

pub fn parse(body: &[u8]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Whether the current group's agent list is closed by a rule.
    let mut closed = true;
    for raw in lines(body) {
        let text = String::from_utf8_lossy(raw);
        let Some((key, value)) = split_line(&text) else {
            continue;
        };
        match key_of(key) {
            Key::UserAgent => {
                if closed {
                    groups.push(Group {
                        agents: Vec::new(),
                        rules: Vec::new(),
                        crawl_delay: None,
                    });
                    closed = false;
                }
                let agent = agent_of(value);
                if let Some(g) = groups.last_mut()
                    && !agent.is_empty()
                {
                    g.agents.push(agent);
                }
            }
            k @ (Key::Allow | Key::Disallow) => {
                let Some(g) = groups.last_mut() else {
                    continue;
                };
                closed = true;
                let allow = matches!(k, Key::Allow);
                let line = format!("{}: {value}", if allow { "Allow" } else { "Disallow" });
                let normalised = pattern::normalise(value);
                // Google reads `Allow: /dir/index.html` as also allowing `/dir/`.
                if allow
                    && let Some(slash) = normalised.rfind('/')
                    && normalised[slash..].starts_with("/index.htm")
                {
                    g.rules.push(Rule {
                        allow,
                        pattern: format!("{}$", &normalised[..=slash]),
                        line: line.clone(),
                    });
                }
                g.rules.push(Rule {
                    allow,
                    pattern: normalised,
                    line,
                });
            }
            Key::CrawlDelay => {
                if let (Some(g), Ok(secs)) = (groups.last_mut(), value.parse::<f64>())
                    && secs.is_finite()
                    && secs >= 0.0
                {
                    g.crawl_delay = Some(secs);
                }
            }
            Key::Other => {}
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_agents_and_rules() {
        let g = parse(
            b"\xEF\xBB\xBFsitemap: /s.xml\nDisallow: /orphan\nUser-agent: A\nuser-agent: b/1.0 # c\n\
              disallow: /x\nCrawl-delay: 7.5\nUser-agent: *\nAllow /y\nuseragent *nope\n",
        );
        assert_eq!(g.len(), 3);
        assert!(g[2].agents.is_empty(), "`*nope` names no agent");
        assert_eq!(g[0].agents, ["a", "b"]);
        assert_eq!(g[0].rules.len(), 1);
        assert_eq!(g[0].rules[0].line, "Disallow: /x");
        assert_eq!(g[0].crawl_delay, Some(7.5));
        assert_eq!(g[1].agents, ["*"]);
        assert!(g[1].rules[0].allow);
    }
}
