//! JSON views of domain records: the shapes the HTTP API, the admin socket and
//! the CLI's `--json` print (camelCase, RFC 3339 times). Only this module
//! decides them; domain types stay free of presentation.

use serde::Serialize;

use crate::model::{
    AttentionItem, Company, Criteria, FailureStats, Job, Match, Posting, PostingDetails,
    Preference, User,
};

fn time(t: Option<crate::model::Timestamp>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyView {
    pub id: u64,
    pub name: String,
    pub urls: Vec<String>,
    pub mode: &'static str,
    pub backend: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub effective_rank: Option<u8>,
    pub state: &'static str,
    pub last_attempt: Option<String>,
    pub last_success: Option<String>,
    pub consecutive_failures: u32,
    pub successes: u64,
    pub failures: u64,
    pub backoff_until: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

impl From<&Company> for CompanyView {
    fn from(c: &Company) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            urls: c.urls.clone(),
            mode: c.mode.as_str(),
            backend: c.backend.clone(),
            include: c.include.clone(),
            exclude: c.exclude.clone(),
            effective_rank: c.effective_rank.map(|r| r.get()),
            state: c.health.state.as_str(),
            last_attempt: time(c.health.last_attempt),
            last_success: time(c.health.last_success),
            consecutive_failures: c.health.consecutive_failures,
            successes: c.health.successes,
            failures: c.health.failures,
            backoff_until: time(c.health.backoff_until),
            last_error: c.health.last_error.clone(),
            created_at: c.created.to_rfc3339(),
        }
    }
}

/// A company's failures: counts by class, the last few, and what the
/// breaker and quarantine count.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailuresView {
    pub by_class: std::collections::BTreeMap<&'static str, u64>,
    pub recent: Vec<RecentFailureView>,
    pub circuit_opens: u32,
    pub failing_since: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentFailureView {
    pub at: String,
    pub class: &'static str,
    pub error: String,
}

impl From<&FailureStats> for FailuresView {
    fn from(s: &FailureStats) -> Self {
        Self {
            by_class: s.by_class.iter().map(|(c, n)| (c.as_str(), *n)).collect(),
            recent: s
                .recent
                .iter()
                .map(|r| RecentFailureView {
                    at: r.at.to_rfc3339(),
                    class: r.class.as_str(),
                    error: r.error.clone(),
                })
                .collect(),
            circuit_opens: s.circuit_opens,
            failing_since: time(s.failing_since),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: u64,
    pub company_id: u64,
    pub status: &'static str,
    pub source: &'static str,
    pub requested_by: Option<u64>,
    pub attempt: u32,
    pub max_attempts: u32,
    pub progress: u8,
    pub pages: u32,
    pub links_found: u32,
    pub new_links: u32,
    pub analysed: u32,
    pub error: Option<String>,
    pub run_at: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

impl From<&Job> for JobView {
    fn from(j: &Job) -> Self {
        Self {
            id: j.id,
            company_id: j.company_id,
            status: j.status.as_str(),
            source: j.source.as_str(),
            requested_by: j.requested_by,
            attempt: j.attempt,
            max_attempts: j.max_attempts,
            progress: j.progress,
            pages: j.counters.pages,
            links_found: j.counters.links_found,
            new_links: j.counters.new_links,
            analysed: j.counters.analysed,
            error: j.error.clone(),
            run_at: j.run_at.to_rfc3339(),
            created_at: j.created.to_rfc3339(),
            started_at: time(j.started),
            completed_at: time(j.completed),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostingView {
    pub id: u64,
    pub company_id: u64,
    pub job_id: u64,
    pub url: String,
    pub title: String,
    pub first_seen: String,
    pub baseline: bool,
    /// The job board's id of the posting (`greenhouse:4012345`), when a
    /// board's API was read.
    pub board_id: Option<String>,
    pub location: Option<String>,
    /// When the job board last changed the posting.
    pub updated: Option<String>,
    /// From the posting's page, once read.
    pub remote: Option<bool>,
    pub excerpt: Option<String>,
    /// How it fits users (only the caller's, for a user); empty until
    /// analysed.
    pub matches: Vec<MatchView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchView {
    pub user_id: u64,
    pub score: u8,
    pub reason: String,
    pub analyser: String,
    pub analysed_at: String,
}

/// Characters of a posting's text shown as its excerpt.
const EXCERPT: usize = 300;

impl PostingView {
    /// The posting with what analysis added.
    pub fn analysed(
        p: &Posting,
        details: Option<&PostingDetails>,
        matches: &[(u64, Match)],
    ) -> Self {
        let mut v = Self::from(p);
        if let Some(d) = details {
            if v.title.trim().is_empty() {
                v.title = d.title.clone().unwrap_or_default();
            }
            v.location = v.location.or(d.location.clone());
            v.remote = d.remote;
            let excerpt: String = d.text.chars().take(EXCERPT).collect();
            v.excerpt = (!excerpt.is_empty()).then_some(excerpt);
        }
        v.matches = matches
            .iter()
            .map(|(user, m)| MatchView {
                user_id: *user,
                score: m.score,
                reason: m.reason.clone(),
                analyser: m.analyser.clone(),
                analysed_at: m.at.to_rfc3339(),
            })
            .collect();
        v
    }
}

impl From<&Posting> for PostingView {
    fn from(p: &Posting) -> Self {
        Self {
            id: p.id,
            company_id: p.company_id,
            job_id: p.job_id,
            url: p.url.clone(),
            title: p.title.clone(),
            first_seen: p.first_seen.to_rfc3339(),
            baseline: p.baseline,
            board_id: p.board_id.clone(),
            location: p.location.clone(),
            updated: p.updated.map(|t| t.to_rfc3339()),
            remote: None,
            excerpt: None,
            matches: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: u64,
    pub name: String,
    pub role: &'static str,
    pub created_at: String,
    pub last_seen: Option<String>,
    /// Away longer than `scheduler.inactive_user_after`: their ranks do not
    /// count until their next request.
    pub inactive: bool,
    /// Only in the answer to `user add`: shown once, never stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl UserView {
    pub fn new(u: &User, token: Option<String>) -> Self {
        Self {
            id: u.id,
            name: u.name.clone(),
            role: u.role.as_str(),
            created_at: u.created.to_rfc3339(),
            last_seen: time(u.last_seen),
            inactive: false,
            token,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferenceView {
    pub user_id: u64,
    pub company_id: u64,
    pub rank: u8,
    pub tracking: bool,
    pub updated_at: String,
}

impl From<&Preference> for PreferenceView {
    fn from(p: &Preference) -> Self {
        Self {
            user_id: p.user_id,
            company_id: p.company_id,
            rank: p.rank.get(),
            tracking: p.tracking,
            updated_at: p.updated.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttentionView {
    pub company_id: u64,
    pub company_name: String,
    pub reason: String,
    pub since: String,
}

impl AttentionView {
    pub fn new(a: &AttentionItem, company_name: String) -> Self {
        Self {
            company_id: a.company_id,
            company_name,
            reason: a.reason.clone(),
            since: a.since.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CriteriaView {
    pub user_id: u64,
    pub keywords: Vec<KeywordView>,
    pub exclude: Vec<String>,
    pub locations: Vec<String>,
    pub remote: &'static str,
}

#[derive(Debug, Serialize)]
pub struct KeywordView {
    pub word: String,
    pub weight: u8,
}

impl CriteriaView {
    pub fn new(user_id: u64, c: &Criteria) -> Self {
        Self {
            user_id,
            keywords: c
                .keywords
                .iter()
                .map(|k| KeywordView {
                    word: k.word.clone(),
                    weight: k.weight,
                })
                .collect(),
            exclude: c.exclude.clone(),
            locations: c.locations.clone(),
            remote: c.remote.as_str(),
        }
    }
}

/// Postings as listed to `user` (their matches only) or to the operator
/// (everyone's), at least `min_score` for `user` when given.
pub fn postings_for(
    rx: &crate::store::Rx,
    filter: &crate::store::PostingFilter,
    user: Option<u64>,
    min_score: Option<u8>,
) -> crate::store::Result<Vec<PostingView>> {
    let mut out = Vec::new();
    crate::store::scan_postings(rx, filter, |p| {
        let (details, matches) = crate::store::analysis_of(rx, p.id, user)?;
        if min_score.is_none_or(|min| matches.iter().any(|(_, m)| m.score >= min)) {
            out.push(PostingView::analysed(&p, details.as_ref(), &matches));
        }
        Ok(filter.limit == 0 || out.len() < filter.limit)
    })?;
    Ok(out)
}

/// A notification in the outbox.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxView {
    pub id: u64,
    pub sink: String,
    pub key: String,
    /// `postings` or the operator event's kind.
    pub kind: String,
    /// Titles of the postings announced, or the event's message.
    pub summary: String,
    pub created_at: String,
    pub due_at: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub digest: bool,
    pub given_up: bool,
}

impl From<&crate::model::OutboxItem> for OutboxView {
    fn from(i: &crate::model::OutboxItem) -> Self {
        let (kind, summary) = match &i.message {
            crate::model::Message::Postings { postings, .. } => (
                "postings".to_string(),
                postings
                    .iter()
                    .map(|p| format!("{} at {}", p.title, p.company))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            crate::model::Message::Event { kind, message, .. } => (kind.clone(), message.clone()),
        };
        Self {
            id: i.id,
            sink: i.sink.clone(),
            key: i.key.clone(),
            kind,
            summary,
            created_at: i.created.to_rfc3339(),
            due_at: i.due.to_rfc3339(),
            attempts: i.attempts,
            last_error: i.last_error.clone(),
            digest: i.digest_part,
            given_up: i.dead,
        }
    }
}
