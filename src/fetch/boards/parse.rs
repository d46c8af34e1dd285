//! The boards' listing JSON → links. Pure: each parser reads one response.
//!
//! Only the fields we keep are declared; serde ignores the rest, so a board
//! adding fields changes nothing. A posting without an id or a URL is
//! skipped (it cannot be keyed or opened), not a failure of the listing.

use serde::Deserialize;

use crate::model::{Board, NewLink, Timestamp};

/// One response of a board's listing API.
#[derive(Debug, Default, PartialEq)]
pub struct ListingPage {
    pub links: Vec<NewLink>,
    /// Postings in this response, skipped ones included (paging counts them).
    pub returned: usize,
    /// Postings in the whole listing, when the board says.
    pub total: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
#[error("the {board} listing is not the JSON its API documents: {reason}")]
pub struct ParseError {
    pub board: &'static str,
    pub reason: String,
}

pub fn parse(board: Board, slug: &str, body: &[u8]) -> Result<ListingPage, ParseError> {
    let fail = |e: serde_json::Error| ParseError {
        board: board.as_str(),
        reason: e.to_string(),
    };
    match board {
        Board::Greenhouse => serde_json::from_slice(body).map(greenhouse),
        Board::Lever => serde_json::from_slice(body).map(lever),
        Board::Ashby => serde_json::from_slice(body).map(ashby),
        Board::SmartRecruiters => serde_json::from_slice(body).map(|p| smartrecruiters(p, slug)),
        Board::Recruitee => serde_json::from_slice(body).map(recruitee),
        Board::Workable => serde_json::from_slice(body).map(workable),
    }
    .map_err(fail)
}

/// A posting's link; `None` unless its URL is an absolute http(s) URL (a
/// board's answer is input like any page, and the URL reaches the front end).
fn link(board: Board, id: &str, url: String, title: &str) -> Option<NewLink> {
    let parsed = url::Url::parse(&url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return None;
    }
    Some(NewLink {
        url: parsed.into(),
        title: title.trim().to_string(),
        board_id: Some(format!("{}:{id}", board.as_str())),
        ..NewLink::default()
    })
}

fn rfc3339(s: Option<&str>) -> Option<Timestamp> {
    s.and_then(Timestamp::parse_rfc3339)
}

fn joined(parts: &[Option<&str>]) -> Option<String> {
    let parts: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

// Greenhouse: GET /v1/boards/{token}/jobs → {"jobs": [...], "meta": {"total": n}}.
#[derive(Deserialize)]
struct GhListing {
    jobs: Vec<GhJob>,
    meta: Option<GhMeta>,
}
#[derive(Deserialize)]
struct GhMeta {
    total: Option<usize>,
}
#[derive(Deserialize)]
struct GhJob {
    id: u64,
    title: String,
    absolute_url: Option<String>,
    updated_at: Option<String>,
    location: Option<GhLocation>,
}
#[derive(Deserialize)]
struct GhLocation {
    name: Option<String>,
}

fn greenhouse(l: GhListing) -> ListingPage {
    let returned = l.jobs.len();
    let links = l
        .jobs
        .into_iter()
        .filter_map(|j| {
            let mut n = link(
                Board::Greenhouse,
                &j.id.to_string(),
                j.absolute_url?,
                &j.title,
            )?;
            n.location = j.location.and_then(|l| l.name);
            n.updated = rfc3339(j.updated_at.as_deref());
            Some(n)
        })
        .collect();
    ListingPage {
        links,
        returned,
        total: l.meta.and_then(|m| m.total),
    }
}

// Lever: GET /v0/postings/{site}?mode=json&skip&limit → a bare array.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeverPosting {
    id: String,
    text: String,
    hosted_url: Option<String>,
    categories: Option<LeverCategories>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}
#[derive(Deserialize)]
struct LeverCategories {
    location: Option<String>,
}

fn lever(postings: Vec<LeverPosting>) -> ListingPage {
    let returned = postings.len();
    let links = postings
        .into_iter()
        .filter_map(|p| {
            let mut n = link(Board::Lever, &p.id, p.hosted_url?, &p.text)?;
            n.location = p.categories.and_then(|c| c.location);
            n.updated = p.updated_at.or(p.created_at).map(Timestamp::from_millis);
            Some(n)
        })
        .collect();
    ListingPage {
        links,
        returned,
        total: None,
    }
}

// Ashby: GET /posting-api/job-board/{name} → {"jobs": [...]}.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AshbyListing {
    jobs: Vec<AshbyJob>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AshbyJob {
    id: Option<String>,
    title: String,
    job_url: Option<String>,
    location: Option<String>,
    published_at: Option<String>,
    updated_at: Option<String>,
    /// Unlisted postings are in the payload but not on the board.
    is_listed: Option<bool>,
}

fn ashby(l: AshbyListing) -> ListingPage {
    let returned = l.jobs.len();
    let links = l
        .jobs
        .into_iter()
        .filter(|j| j.is_listed != Some(false))
        .filter_map(|j| {
            let url = j.job_url?;
            // The documented example has no `id`; the URL ends with it.
            let id = j.id.or_else(|| {
                url.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .map(String::from)
            })?;
            let mut n = link(Board::Ashby, &id, url, &j.title)?;
            n.location = j.location;
            n.updated = rfc3339(j.updated_at.as_deref()).or(rfc3339(j.published_at.as_deref()));
            Some(n)
        })
        .collect();
    ListingPage {
        links,
        returned,
        total: None,
    }
}

// SmartRecruiters: GET /v1/companies/{id}/postings?offset&limit →
// {"offset", "limit", "totalFound", "content": [...]}; no public URL field.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SrListing {
    total_found: Option<usize>,
    content: Vec<SrPosting>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SrPosting {
    id: String,
    name: String,
    released_date: Option<String>,
    location: Option<SrLocation>,
}
#[derive(Deserialize)]
struct SrLocation {
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
    remote: Option<bool>,
}

fn smartrecruiters(l: SrListing, company: &str) -> ListingPage {
    let returned = l.content.len();
    let links = l
        .content
        .into_iter()
        .filter_map(|p| {
            let url = format!("https://jobs.smartrecruiters.com/{company}/{}", p.id);
            let mut n = link(Board::SmartRecruiters, &p.id, url, &p.name)?;
            n.location = p.location.and_then(|l| {
                let place = joined(&[
                    l.city.as_deref(),
                    l.region.as_deref(),
                    l.country.map(|c| c.to_uppercase()).as_deref(),
                ]);
                match (place, l.remote) {
                    (Some(p), Some(true)) => Some(format!("{p} (remote)")),
                    (None, Some(true)) => Some("Remote".into()),
                    (p, _) => p,
                }
            });
            n.updated = rfc3339(p.released_date.as_deref());
            Some(n)
        })
        .collect();
    ListingPage {
        links,
        returned,
        total: l.total_found,
    }
}

// Recruitee: GET https://{company}.recruitee.com/api/offers/ → {"offers": [...]},
// times as "2026-09-23 09:10:19 UTC".
#[derive(Deserialize)]
struct RtListing {
    offers: Vec<RtOffer>,
}
#[derive(Deserialize)]
struct RtOffer {
    id: u64,
    title: String,
    careers_url: Option<String>,
    location: Option<String>,
    updated_at: Option<String>,
    published_at: Option<String>,
}

fn recruitee_time(s: Option<&str>) -> Option<Timestamp> {
    let t = chrono::NaiveDateTime::parse_from_str(s?, "%Y-%m-%d %H:%M:%S UTC").ok()?;
    Some(Timestamp::from_millis(t.and_utc().timestamp_millis()))
}

fn recruitee(l: RtListing) -> ListingPage {
    let returned = l.offers.len();
    let links = l
        .offers
        .into_iter()
        .filter_map(|o| {
            let mut n = link(
                Board::Recruitee,
                &o.id.to_string(),
                o.careers_url?,
                &o.title,
            )?;
            n.location = o.location.filter(|l| !l.trim().is_empty());
            n.updated = recruitee_time(o.updated_at.as_deref())
                .or(recruitee_time(o.published_at.as_deref()));
            Some(n)
        })
        .collect();
    ListingPage {
        links,
        returned,
        total: None,
    }
}

// Workable: GET /api/v1/widget/accounts/{subdomain} → {"jobs": [...]}, one
// row per location of a posting (same shortcode), dates without a time.
#[derive(Deserialize)]
struct WkListing {
    jobs: Vec<WkJob>,
}
#[derive(Deserialize)]
struct WkJob {
    shortcode: String,
    title: String,
    url: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    telecommuting: Option<bool>,
    published_on: Option<String>,
}

fn workable(l: WkListing) -> ListingPage {
    let returned = l.jobs.len();
    let mut links: Vec<NewLink> = Vec::new();
    for j in l.jobs {
        let place = joined(&[j.city.as_deref(), j.state.as_deref(), j.country.as_deref()]);
        let place = match (place, j.telecommuting) {
            (Some(p), Some(true)) => Some(format!("{p} (remote)")),
            (None, Some(true)) => Some("Remote".into()),
            (p, _) => p,
        };
        let key = format!("workable:{}", j.shortcode);
        if let Some(seen) = links
            .iter_mut()
            .find(|n| n.board_id.as_deref() == Some(&key))
        {
            if let (Some(have), Some(p)) = (&mut seen.location, place)
                && !have.split("; ").any(|x| x == p)
            {
                have.push_str("; ");
                have.push_str(&p);
            }
            continue;
        }
        let url = j
            .url
            .unwrap_or_else(|| format!("https://apply.workable.com/j/{}", j.shortcode));
        let Some(mut n) = link(Board::Workable, &j.shortcode, url, &j.title) else {
            continue;
        };
        n.location = place;
        n.updated = j
            .published_on
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Timestamp::from_millis(t.and_utc().timestamp_millis()));
        links.push(n);
    }
    ListingPage {
        links,
        returned,
        total: None,
    }
}
