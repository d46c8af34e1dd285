//! The companies page: the user's grid of companies with tracking
//! switches and rank sliders, searched by name, filtered by state and
//! sorted by any column. The choice lives in the URL (`q`, `state`,
//! `sort`, `dir`), so a reload, a live redraw, a bookmark or a shared link
//! shows the same grid.

use std::cmp::Ordering;
use std::fmt::Write;
use std::time::Duration;

use axum::extract::{RawQuery, State};

use super::html::{ago, esc, json_script, query_value};
use super::pages::every;
use super::{MAX_COMPANIES, PageResult, Session, common, failed, framed, param};
use crate::http::AppState;
use crate::http::api::visible;
use crate::http::auth::Caller;
use crate::model::{Company, CompanyState, Preference, Timestamp};
use crate::store;

/// Columns the grid sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Rank,
    State,
    LastSuccess,
    Failures,
}

impl SortKey {
    const ALL: [SortKey; 5] = [
        SortKey::Name,
        SortKey::Rank,
        SortKey::State,
        SortKey::LastSuccess,
        SortKey::Failures,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Rank => "rank",
            SortKey::State => "state",
            SortKey::LastSuccess => "success",
            SortKey::Failures => "failures",
        }
    }

    /// The direction a first click sorts in: what needs a look first.
    fn natural_desc(self) -> bool {
        matches!(self, SortKey::Rank | SortKey::Failures | SortKey::State)
    }
}

const STATES: [CompanyState; 4] = [
    CompanyState::Healthy,
    CompanyState::BackingOff,
    CompanyState::CircuitOpen,
    CompanyState::Quarantined,
];

/// The grid's search, filter and order, as the URL gives them (anything
/// unknown falls back to the default: by name, all states).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridQuery {
    pub q: String,
    pub state: Option<CompanyState>,
    pub sort: SortKey,
    pub desc: bool,
}

impl GridQuery {
    pub fn parse(raw: &Option<String>) -> Self {
        let sort = param(raw, "sort")
            .and_then(|s| SortKey::ALL.into_iter().find(|k| k.as_str() == s))
            .unwrap_or(SortKey::Name);
        GridQuery {
            q: param(raw, "q").unwrap_or_default(),
            state: param(raw, "state").and_then(|s| STATES.into_iter().find(|st| st.as_str() == s)),
            desc: param(raw, "dir").is_some_and(|d| d == "desc"),
            sort,
        }
    }

    /// This grid's URL, sorted by `sort` in direction `desc`.
    fn link(&self, sort: SortKey, desc: bool) -> String {
        let mut url = format!(
            "/companies?sort={}&dir={}",
            sort.as_str(),
            if desc { "desc" } else { "asc" }
        );
        if !self.q.is_empty() {
            let _ = write!(url, "&q={}", query_value(&self.q));
        }
        if let Some(s) = self.state {
            let _ = write!(url, "&state={}", s.as_str());
        }
        url
    }
}

pub struct CompanyRow<'a> {
    pub company: &'a Company,
    pub mine: Option<&'a Preference>,
}

impl CompanyRow<'_> {
    /// The user's rank, 0 when they do not track the company.
    fn rank(&self) -> u8 {
        self.mine.filter(|p| p.tracking).map_or(0, |p| p.rank.get())
    }
}

/// Rows matching the query, in its order (ties by name, then id).
pub fn select<'a>(rows: Vec<CompanyRow<'a>>, q: &GridQuery) -> Vec<CompanyRow<'a>> {
    let needle = q.q.to_lowercase();
    let mut rows: Vec<CompanyRow> = rows
        .into_iter()
        .filter(|r| r.company.name.to_lowercase().contains(&needle))
        .filter(|r| q.state.is_none_or(|s| r.company.health.state == s))
        .collect();
    let severity = |s: CompanyState| STATES.iter().position(|x| *x == s).unwrap_or(0);
    let by_name = |a: &CompanyRow, b: &CompanyRow| {
        a.company
            .name
            .to_lowercase()
            .cmp(&b.company.name.to_lowercase())
            .then(a.company.id.cmp(&b.company.id))
    };
    rows.sort_by(|a, b| {
        let (ca, cb) = (&a.company.health, &b.company.health);
        let primary = match q.sort {
            SortKey::Name => Ordering::Equal,
            SortKey::Rank => a.rank().cmp(&b.rank()),
            SortKey::State => severity(ca.state).cmp(&severity(cb.state)),
            SortKey::LastSuccess => ca.last_success.cmp(&cb.last_success),
            SortKey::Failures => ca.consecutive_failures.cmp(&cb.consecutive_failures),
        };
        let primary = if q.desc { primary.reverse() } else { primary };
        match (q.sort, q.desc) {
            (SortKey::Name, true) => by_name(b, a),
            _ => primary.then_with(|| by_name(a, b)),
        }
    });
    rows
}

pub async fn page(
    State(state): State<AppState>,
    Session(user): Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = GridQuery::parse(&raw);
    let caller = Caller(user.clone());
    let now = state.control.clock.now();
    let (prefs, common) = state
        .control
        .store
        .run(move |s| {
            let vis = visible(s, &caller)?;
            s.read(|rx| {
                Ok((
                    store::preferences_of_user(rx, caller.id())?,
                    common(rx, &vis)?,
                ))
            })
        })
        .await
        .map_err(failed)?;
    let all: Vec<CompanyRow> = common
        .companies
        .iter()
        .map(|c| CompanyRow {
            company: c,
            mine: prefs.iter().find(|p| p.company_id == c.id),
        })
        .collect();
    let mut rows = select(all, &query);
    let matching = rows.len();
    rows.truncate(MAX_COMPANIES);
    let intervals = state.control.rank_intervals();
    let main = render(&rows, matching, &query, &intervals, now);
    Ok(framed(&user, "/companies", "Companies", &common, &main))
}

fn header(q: &GridQuery, key: SortKey, label: &str) -> String {
    let active = q.sort == key;
    let (aria, arrow) = match (active, q.desc) {
        (true, true) => (r#" aria-sort="descending""#, " ▼"),
        (true, false) => (r#" aria-sort="ascending""#, " ▲"),
        _ => ("", ""),
    };
    let next = if active { !q.desc } else { key.natural_desc() };
    format!(
        r#"<th scope="col"{aria}><a class="sort" data-sort="{k}" href="{href}">{label}{arrow}</a></th>"#,
        k = key.as_str(),
        href = esc(&q.link(key, next)),
    )
}

fn render(
    rows: &[CompanyRow],
    total: usize,
    q: &GridQuery,
    intervals: &[Duration],
    now: Timestamp,
) -> String {
    let table: Vec<String> = intervals.iter().map(|d| every(*d)).collect();
    let mut states = String::from(r#"<option value="">all</option>"#);
    for s in STATES {
        let selected = if q.state == Some(s) { " selected" } else { "" };
        let _ = write!(
            states,
            r#"<option value="{v}"{selected}>{t}</option>"#,
            v = s.as_str(),
            t = s.as_str().replace('_', " ")
        );
    }
    let mut out = format!(
        r#"<form class="filters" method="get" action="/companies" role="search"><label for="q">Name</label> <input id="q" name="q" type="search" value="{q}" maxlength="100"> <label for="state">State</label> <select id="state" name="state">{states}</select><input type="hidden" name="sort" value="{sort}"><input type="hidden" name="dir" value="{dir}"> <button type="submit">Show</button></form>
<p class="muted">Rank 1-100: the higher your rank, the more often the company is scraped. Showing {shown} of {total}; select a column's name to sort by it.</p>
<script type="application/json" id="intervals">{json}</script>"#,
        q = esc(&q.q),
        sort = q.sort.as_str(),
        dir = if q.desc { "desc" } else { "asc" },
        shown = rows.len(),
        json = json_script(&table),
    );
    let _ = write!(
        out,
        r#"<div class="scroll"><table id="companies"><caption class="sr">Companies</caption><thead><tr>{}<th scope="col">Tracking</th>{}{}{}{}<th scope="col">Scrape</th></tr></thead><tbody>"#,
        header(q, SortKey::Name, "Company"),
        header(q, SortKey::Rank, "Your rank"),
        header(q, SortKey::State, "State"),
        header(q, SortKey::LastSuccess, "Last success"),
        header(q, SortKey::Failures, "Failures"),
    );
    for row in rows {
        let c = row.company;
        let tracking = row.mine.is_some_and(|p| p.tracking);
        let rank = row.mine.map_or(50, |p| p.rank.get());
        let interval = intervals
            .get(rank as usize - 1)
            .map(|d| every(*d))
            .unwrap_or_default();
        let checked = if tracking { " checked" } else { "" };
        let disabled = if tracking { "" } else { " disabled" };
        let url = c.urls.first().map(String::as_str).unwrap_or_default();
        let _ = write!(
            out,
            r#"<tr data-company="{id}"><th scope="row"><span class="company-name">{name}</span><br><small><a href="{url}" rel="noopener noreferrer">{url_text}</a></small></th>
<td><input type="checkbox" role="switch" id="track-{id}" class="track"{checked}> <label for="track-{id}">Track <span class="sr">{name}</span></label></td>
<td><label for="rank-{id}" class="sr">Rank for {name}</label><input type="range" id="rank-{id}" class="rank" min="1" max="100" value="{rank}"{disabled} aria-describedby="interval-{id}"> <output id="interval-{id}" for="rank-{id}">rank {rank}, {interval}</output></td>
<td>{state}</td><td>{success}</td><td>{fails}</td>
<td><button type="button" class="start"{disabled}>Scrape now<span class="sr"> {name}</span></button></td></tr>"#,
            id = c.id,
            name = esc(&c.name),
            url = esc(url),
            url_text = esc(url),
            state = c.health.state.as_str(),
            success = ago(c.health.last_success, now),
            fails = c.health.consecutive_failures,
        );
    }
    out.push_str("</tbody></table></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CompanyHealth, FetchMode, Rank};

    fn company(
        id: u64,
        name: &str,
        state: CompanyState,
        fails: u32,
        success: Option<i64>,
    ) -> Company {
        let mut c = Company {
            id,
            name: name.into(),
            urls: vec![format!("https://{name}.example/careers")],
            mode: FetchMode::Auto,
            backend: None,
            include: Vec::new(),
            exclude: Vec::new(),
            effective_rank: None,
            health: CompanyHealth::default(),
            created: Timestamp::from_millis(0),
        };
        c.health.state = state;
        c.health.consecutive_failures = fails;
        c.health.last_success = success.map(Timestamp::from_millis);
        c
    }

    fn names(rows: &[CompanyRow]) -> Vec<String> {
        rows.iter().map(|r| r.company.name.clone()).collect()
    }

    #[test]
    fn the_grid_filters_and_sorts_by_every_column_with_ties_by_name() {
        let cs = [
            company(1, "beta", CompanyState::Healthy, 0, Some(3)),
            company(2, "Alpha", CompanyState::Quarantined, 9, None),
            company(3, "gamma", CompanyState::BackingOff, 2, Some(5)),
            company(4, "delta", CompanyState::Healthy, 0, Some(1)),
        ];
        let pref = |c: u64, rank: u8, tracking: bool| Preference {
            user_id: 1,
            company_id: c,
            rank: Rank::new(rank as i64).unwrap(),
            tracking,
            updated: Timestamp::from_millis(0),
        };
        let prefs = [pref(1, 40, true), pref(3, 90, true), pref(4, 70, false)];
        let rows = || {
            cs.iter()
                .map(|c| CompanyRow {
                    company: c,
                    mine: prefs.iter().find(|p| p.company_id == c.id),
                })
                .collect::<Vec<_>>()
        };
        let grid = |raw: &str| names(&select(rows(), &GridQuery::parse(&Some(raw.into()))));
        assert_eq!(
            grid(""),
            ["Alpha", "beta", "delta", "gamma"],
            "by name, case-blind"
        );
        assert_eq!(
            grid("sort=name&dir=desc"),
            ["gamma", "delta", "beta", "Alpha"]
        );
        // Untracked (delta's paused preference) ranks below every rank.
        assert_eq!(
            grid("sort=rank&dir=desc"),
            ["gamma", "beta", "Alpha", "delta"]
        );
        assert_eq!(
            grid("sort=state&dir=desc"),
            ["Alpha", "gamma", "beta", "delta"]
        );
        assert_eq!(
            grid("sort=success"),
            ["Alpha", "delta", "beta", "gamma"],
            "never first"
        );
        assert_eq!(
            grid("sort=failures&dir=desc"),
            ["Alpha", "gamma", "beta", "delta"]
        );
        assert_eq!(
            grid("state=healthy&sort=success&dir=desc"),
            ["beta", "delta"]
        );
        assert_eq!(grid("q=ET&state=healthy"), ["beta"]);
        // Nonsense falls back to the defaults instead of failing the page.
        assert_eq!(grid("sort=<script>&dir=up&state=on_fire"), grid(""));
    }

    #[test]
    fn header_links_keep_the_search_and_filter_and_flip_the_active_column() {
        let q = GridQuery::parse(&Some("q=a b&state=quarantined&sort=rank&dir=desc".into()));
        let rank = header(&q, SortKey::Rank, "Your rank");
        assert!(rank.contains(r#"aria-sort="descending""#), "{rank}");
        assert!(
            rank.contains("/companies?sort=rank&amp;dir=asc&amp;q=a+b&amp;state=quarantined"),
            "{rank}"
        );
        let fails = header(&q, SortKey::Failures, "Failures");
        assert!(
            !fails.contains("aria-sort") && fails.contains("sort=failures&amp;dir=desc"),
            "{fails}"
        );
    }
}
