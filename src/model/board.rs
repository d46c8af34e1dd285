//! Job boards (applicant-tracking systems) whose public listing APIs are read
//! in place of a company's HTML careers page.

use serde::{Deserialize, Serialize};

/// A job board with a public listing API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Board {
    Greenhouse,
    Lever,
    Ashby,
    SmartRecruiters,
    Recruitee,
    Workable,
}

impl Board {
    pub const ALL: [Board; 6] = [
        Board::Greenhouse,
        Board::Lever,
        Board::Ashby,
        Board::SmartRecruiters,
        Board::Recruitee,
        Board::Workable,
    ];

    /// The board's name in config keys, reports and board ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Board::Greenhouse => "greenhouse",
            Board::Lever => "lever",
            Board::Ashby => "ashby",
            Board::SmartRecruiters => "smartrecruiters",
            Board::Recruitee => "recruitee",
            Board::Workable => "workable",
        }
    }

    pub fn parse(s: &str) -> Option<Board> {
        Board::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// One company's board: which board, and the company's name on it (the
/// Greenhouse board token, the Lever site, the Recruitee subdomain...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRef {
    pub board: Board,
    pub slug: String,
    /// Lever's EU data centre (`jobs.eu.lever.co`, `api.eu.lever.co`).
    pub eu: bool,
}

impl BoardRef {
    pub fn new(board: Board, slug: impl Into<String>) -> Self {
        BoardRef {
            board,
            slug: slug.into(),
            eu: false,
        }
    }
}

impl std::fmt::Display for BoardRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} board {:?}", self.board.as_str(), self.slug)
    }
}

impl BoardRef {
    /// The board behind a URL of one of its hosted pages, embeds or APIs:
    /// `boards.greenhouse.io/acme`, `job-boards.greenhouse.io/embed/job_board?for=acme`,
    /// `jobs.lever.co/acme/…`, `jobs.ashbyhq.com/acme/embed`,
    /// `careers.smartrecruiters.com/Acme`, `acme.recruitee.com`,
    /// `apply.workable.com/acme/j/…`, `acme.workable.com` and the boards' API
    /// URLs. `None` for any other URL, or one that names no company.
    pub fn from_url(url: &url::Url) -> Option<BoardRef> {
        let host = url.host_str()?.to_ascii_lowercase();
        // Ashby board names may hold spaces (`jobs.ashbyhq.com/Hippocratic%20AI`).
        let decoded: Vec<String> = url
            .path_segments()
            .map(|s| {
                s.filter(|x| !x.is_empty())
                    .map(|x| x.replace("%20", " "))
                    .collect()
            })
            .unwrap_or_default();
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let seg = |i: usize| segs.get(i).copied();
        let after = |prefix: &[&str]| {
            (segs.len() > prefix.len() && segs[..prefix.len()] == *prefix)
                .then(|| segs[prefix.len()])
        };
        let query = |key: &str| {
            url.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        };
        let (board, slug, eu) = match host.as_str() {
            "boards.greenhouse.io" | "job-boards.greenhouse.io" => match seg(0) {
                Some("embed") => (Board::Greenhouse, query("for")?, false),
                s => (Board::Greenhouse, s?.to_string(), false),
            },
            "boards-api.greenhouse.io" => {
                (Board::Greenhouse, after(&["v1", "boards"])?.into(), false)
            }
            "jobs.lever.co" => (Board::Lever, seg(0)?.into(), false),
            "jobs.eu.lever.co" => (Board::Lever, seg(0)?.into(), true),
            "api.lever.co" => (Board::Lever, after(&["v0", "postings"])?.into(), false),
            "api.eu.lever.co" => (Board::Lever, after(&["v0", "postings"])?.into(), true),
            "jobs.ashbyhq.com" => (Board::Ashby, seg(0)?.into(), false),
            "api.ashbyhq.com" => (
                Board::Ashby,
                after(&["posting-api", "job-board"])?.into(),
                false,
            ),
            "careers.smartrecruiters.com" | "jobs.smartrecruiters.com" => {
                (Board::SmartRecruiters, seg(0)?.into(), false)
            }
            "api.smartrecruiters.com" => (
                Board::SmartRecruiters,
                after(&["v1", "companies"])?.into(),
                false,
            ),
            "apply.workable.com" => match seg(0)? {
                "api" => (
                    Board::Workable,
                    after(&["api", "v1", "widget", "accounts"])
                        .or_else(|| after(&["api", "v3", "accounts"]))?
                        .into(),
                    false,
                ),
                // `apply.workable.com/j/CODE` names a posting, not its company.
                "j" => return None,
                s => (Board::Workable, s.into(), false),
            },
            h => {
                let (sub, board) = if let Some(sub) = h.strip_suffix(".recruitee.com") {
                    (sub, Board::Recruitee)
                } else if let Some(sub) = h.strip_suffix(".workable.com") {
                    (sub, Board::Workable)
                } else {
                    return None;
                };
                if sub.contains('.') || RESERVED_SUBDOMAINS.contains(&sub) {
                    return None;
                }
                (board, sub.to_string(), false)
            }
        };
        valid_slug(board, &slug).then_some(BoardRef { board, slug, eu })
    }
}

/// Subdomains of the boards' own sites, never a company's.
const RESERVED_SUBDOMAINS: &[&str] = &[
    "www",
    "app",
    "api",
    "apply",
    "jobs",
    "careers",
    "help",
    "blog",
    "docs",
    "status",
    "cdn",
    "static",
    "resources",
];

/// Board slugs are URL path segments or host labels: short, and made of
/// letters, digits, `.`, `_` and `-` (and inner spaces on Ashby); anything
/// else is not a company name.
fn valid_slug(board: Board, s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.trim() == s
        && !s.bytes().all(|b| b == b'.')
        && !matches!(s, "embed" | "api" | "v1" | "v0" | "j")
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'.' | b'_' | b'-')
                || (b == b' ' && board == Board::Ashby)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(u: &str) -> Option<(Board, String, bool)> {
        BoardRef::from_url(&url::Url::parse(u).unwrap()).map(|r| (r.board, r.slug, r.eu))
    }

    #[test]
    fn boards_are_recognised_from_their_urls() {
        let cases = [
            (
                "https://boards.greenhouse.io/acme",
                Board::Greenhouse,
                "acme",
            ),
            (
                "https://job-boards.greenhouse.io/acme/jobs/4012345",
                Board::Greenhouse,
                "acme",
            ),
            (
                "https://boards.greenhouse.io/embed/job_board?for=acme",
                Board::Greenhouse,
                "acme",
            ),
            (
                "https://boards.greenhouse.io/embed/job_board/js?for=acme",
                Board::Greenhouse,
                "acme",
            ),
            (
                "https://boards-api.greenhouse.io/v1/boards/acme/jobs",
                Board::Greenhouse,
                "acme",
            ),
            (
                "https://jobs.lever.co/acme/6f2f0c3e-aaaa",
                Board::Lever,
                "acme",
            ),
            (
                "https://api.lever.co/v0/postings/acme?mode=json",
                Board::Lever,
                "acme",
            ),
            (
                "https://jobs.ashbyhq.com/Acme/embed?version=2",
                Board::Ashby,
                "Acme",
            ),
            (
                "https://api.ashbyhq.com/posting-api/job-board/acme",
                Board::Ashby,
                "acme",
            ),
            (
                "https://careers.smartrecruiters.com/AcmeInc",
                Board::SmartRecruiters,
                "AcmeInc",
            ),
            (
                "https://jobs.smartrecruiters.com/AcmeInc/744000012345-engineer",
                Board::SmartRecruiters,
                "AcmeInc",
            ),
            (
                "https://api.smartrecruiters.com/v1/companies/AcmeInc/postings",
                Board::SmartRecruiters,
                "AcmeInc",
            ),
            (
                "https://acme.recruitee.com/o/engineer",
                Board::Recruitee,
                "acme",
            ),
            (
                "https://apply.workable.com/acme/j/ABC123/",
                Board::Workable,
                "acme",
            ),
            ("https://acme.workable.com/", Board::Workable, "acme"),
            (
                "https://apply.workable.com/api/v1/widget/accounts/acme",
                Board::Workable,
                "acme",
            ),
        ];
        for (u, board, slug) in cases {
            assert_eq!(detect(u), Some((board, slug.to_string(), false)), "{u}");
        }
        assert_eq!(
            detect("https://jobs.eu.lever.co/acme"),
            Some((Board::Lever, "acme".into(), true))
        );
    }

    #[test]
    fn other_urls_name_no_board() {
        for u in [
            "https://example.com/careers",
            "https://boards.greenhouse.io/",
            "https://boards.greenhouse.io/embed/job_board",
            "https://jobs.lever.co/",
            "https://www.recruitee.com/pricing",
            "https://www.workable.com/",
            "https://apply.workable.com/j/ABC123",
            "https://a.b.recruitee.com/",
            "https://jobs.lever.co/acme%20corp",
            "https://jobs.ashbyhq.com/acme%2Fcorp",
            "https://boards.greenhouse.io/embed/job_board?for=..",
            "https://greenhouse.io.evil.example/acme",
        ] {
            assert_eq!(detect(u), None, "{u}");
        }
    }
}
