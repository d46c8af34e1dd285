//! The analysis worker's transactions: gathering what to analyse, and
//! settling what came back (matches, notifications, cache, budget, retries)
//! in one commit.

use std::time::Duration;

use crate::analyze::budget::Budget;
use crate::analyze::{Reader, Reply, Subject, Verdict, builtin};
use crate::config::NotifyConfig;
use crate::model::{Announced, BacklogItem, Posting, PostingDetails, Timestamp};
use crate::notify;
use crate::store::{self, BacklogKey, Commit, Rx, Tx};

/// A backlog item with everything needed to analyse it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: BacklogKey,
    pub item: BacklogItem,
    pub posting: Posting,
    pub details: Option<PostingDetails>,
    /// Every tracking user as a reader.
    pub subject: Subject,
}

impl Entry {
    /// The subject as the AI sees it: only readers with criteria (the
    /// others get the builtin "no criteria" score, which needs no AI).
    pub fn ai_subject(&self) -> Subject {
        let mut s = self.subject.clone();
        s.readers.retain(|r| !r.criteria.is_empty());
        s
    }
}

/// Ready backlog items with their postings, details and readers; and the
/// keys of items whose posting is gone (removed with its company).
pub fn subjects(
    rx: &Rx,
    ready: &[(BacklogKey, BacklogItem)],
) -> store::Result<(Vec<Entry>, Vec<BacklogKey>)> {
    let mut out = Vec::new();
    let mut gone = Vec::new();
    for (key, item) in ready {
        let posting = match store::get_posting(rx, item.posting_id) {
            Ok(p) => p,
            Err(store::StoreError::NotFound { .. }) => {
                gone.push(*key);
                continue;
            }
            Err(e) => return Err(e),
        };
        let company = store::get_company(rx, posting.company_id)
            .map(|c| c.name)
            .unwrap_or_default();
        let details = store::details(rx, posting.id)?;
        let mut readers = Vec::new();
        for pref in store::trackers(rx, posting.company_id)? {
            readers.push(Reader::new(
                pref.user_id,
                store::criteria(rx, pref.user_id)?,
            ));
        }
        let d = details.clone().unwrap_or_else(|| PostingDetails {
            title: None,
            location: None,
            remote: None,
            text: String::new(),
            fetched: posting.first_seen,
            error: None,
        });
        let title = if posting.title.trim().is_empty() {
            d.title.clone().unwrap_or_default()
        } else {
            posting.title.clone()
        };
        let mut subject = Subject {
            posting_id: posting.id,
            company,
            title,
            location: posting.location.clone().or(d.location.clone()),
            remote: d.remote,
            text: d.text.clone(),
            hash: [0; 32],
            readers,
        };
        // The cache knows a posting by everything the AI is shown of it.
        subject.hash = crate::analyze::subject_hash(&subject);
        out.push(Entry {
            key: *key,
            item: item.clone(),
            posting,
            details,
            subject,
        });
    }
    Ok((out, gone))
}

/// Split entries into those the cache (and the builtin matcher, for users
/// without criteria) settles, and those the AI must see.
pub fn from_cache(rx: &Rx, entries: Vec<Entry>) -> store::Result<(Settled, Vec<Entry>)> {
    let mut settled = Settled::default();
    let mut todo = Vec::new();
    for e in entries {
        let mut verdict = builtin::verdict(&e.subject);
        let mut complete = true;
        for r in e.subject.readers.iter().filter(|r| !r.criteria.is_empty()) {
            match store::cached_score(rx, &e.subject.hash, &r.hash)? {
                Some(m) => set_match(&mut verdict, r.user_id, m),
                None => complete = false,
            }
        }
        if complete {
            if let Some(f) = store::cached_fields(rx, &e.subject.hash)? {
                verdict.fields = f;
            }
            settled.done.push((e, verdict));
        } else {
            todo.push(e);
        }
    }
    Ok((settled, todo))
}

fn set_match(v: &mut Verdict, user: u64, m: crate::model::Match) {
    match v.matches.iter_mut().find(|(u, _)| *u == user) {
        Some(slot) => slot.1 = m,
        None => v.matches.push((user, m)),
    }
}

/// What to commit after an analysis round.
#[derive(Debug, Default)]
pub struct Settled {
    done: Vec<(Entry, Verdict)>,
    /// Backlog items whose posting no longer exists.
    gone: Vec<BacklogKey>,
    /// Tried and failed: with why, and after how many tries the builtin
    /// matcher takes over.
    retry: Vec<(Entry, String, u32)>,
    /// AI verdicts to cache.
    cache: bool,
    spend: Option<u32>,
    pause: Option<Option<Duration>>,
}

impl Settled {
    /// An unmetered analyser's verdicts (a missing one is the builtin's).
    pub fn from_verdicts(entries: Vec<Entry>, mut verdicts: Vec<Verdict>) -> Self {
        let done = entries
            .into_iter()
            .map(|e| {
                let v = verdicts
                    .iter()
                    .position(|v| v.posting_id == e.posting.id)
                    .map(|i| verdicts.swap_remove(i))
                    .unwrap_or_else(|| builtin::verdict(&e.subject));
                (e, v)
            })
            .collect();
        Settled {
            done,
            ..Settled::default()
        }
    }

    /// An AI reply: answered postings are done (users without criteria
    /// scored by the builtin matcher), rejected ones tried again.
    pub fn from_ai(entries: Vec<Entry>, reply: Reply) -> Self {
        let mut s = Settled {
            cache: true,
            ..Settled::default()
        };
        let mut verdicts = reply.verdicts;
        for e in entries {
            match verdicts.iter().position(|v| v.posting_id == e.posting.id) {
                Some(i) => {
                    let ai = verdicts.swap_remove(i);
                    let mut v = builtin::verdict(&e.subject);
                    v.fields = ai.fields;
                    for (user, m) in ai.matches {
                        set_match(&mut v, user, m);
                    }
                    s.done.push((e, v));
                }
                None => {
                    let why = reply
                        .rejected
                        .iter()
                        .find(|(id, _)| *id == e.posting.id)
                        .map(|(_, w)| w.clone())
                        .unwrap_or_else(|| "the reply left it out".into());
                    s.retry.push((e, why, super::RETRIES));
                }
            }
        }
        s
    }

    /// A 429: nothing done, everything paused.
    pub fn paused(retry_after: Option<Duration>) -> Self {
        Settled {
            pause: Some(retry_after),
            ..Settled::default()
        }
    }

    /// The whole batch failed; the builtin matcher takes over after
    /// `fallback_after` tries.
    pub fn failed(entries: Vec<Entry>, why: &str, fallback_after: u32) -> Self {
        Settled {
            retry: entries
                .into_iter()
                .map(|e| (e, why.to_string(), fallback_after))
                .collect(),
            ..Settled::default()
        }
    }

    /// Backlog items to drop: their postings are gone.
    pub fn with_gone(mut self, gone: Vec<BacklogKey>) -> Self {
        self.gone.extend(gone);
        self
    }

    /// The request counted against the budget with these tokens.
    pub fn with_spend(mut self, tokens: u32) -> Self {
        self.spend = Some(tokens);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
            && self.retry.is_empty()
            && self.spend.is_none()
            && self.pause.is_none()
    }

    /// Store it all in one transaction; returns the notifications written.
    pub fn commit(
        self,
        tx: &mut Tx<'_>,
        cfg: &NotifyConfig,
        budget: &Budget,
        now: Timestamp,
    ) -> store::Result<usize> {
        let mut notified = 0;
        for key in self.gone {
            store::remove_backlog(tx, key)?;
        }
        if self.spend.is_some() || self.pause.is_some() {
            let mut u = store::budget_use(tx)?;
            if let Some(tokens) = self.spend {
                budget.record(&mut u, now, tokens);
            }
            if let Some(wait) = self.pause {
                budget.pause(&mut u, now, wait);
            }
            store::put_budget_use(tx, &u)?;
        }
        for (e, why, fallback_after) in self.retry {
            let mut item = e.item.clone();
            item.attempts += 1;
            if item.attempts >= fallback_after {
                let mut v = builtin::verdict(&e.subject);
                for (_, m) in &mut v.matches {
                    m.reason = format!("{} (builtin matcher; the AI failed: {why})", m.reason);
                }
                notified += settle_one(tx, cfg, &e, v, false, now)?;
                continue;
            }
            item.last_error = Some(why);
            let wait = Duration::from_secs(60 * 2u64.pow(item.attempts.min(6)))
                .min(Duration::from_secs(3600));
            item.not_before = now.plus(wait);
            store::update_backlog(tx, e.key, &item)?;
        }
        for (e, v) in self.done {
            notified += settle_one(tx, cfg, &e, v, self.cache, now)?;
        }
        Ok(notified)
    }
}

/// One posting analysed: details completed, matches stored, notifications
/// queued, AI answers cached, out of the backlog.
fn settle_one(
    tx: &mut Tx<'_>,
    cfg: &NotifyConfig,
    e: &Entry,
    v: Verdict,
    cache: bool,
    now: Timestamp,
) -> store::Result<usize> {
    if !store::remove_backlog(tx, e.key)? {
        return Ok(0);
    }
    let mut details = e.details.clone();
    if let Some(d) = &mut details {
        d.title = d.title.take().or(v.fields.title.clone());
        d.location = d.location.take().or(v.fields.location.clone());
        d.remote = d.remote.or(v.fields.remote);
        store::put_details(tx, e.posting.id, d)?;
    }
    if cache {
        store::cache_fields(tx, &e.subject.hash, &v.fields)?;
    }
    let mut notified = 0;
    for (user, mut m) in v.matches {
        m.at = now;
        store::put_match(tx, e.posting.id, user, &m)?;
        if cache
            && let Some(r) = e
                .subject
                .readers
                .iter()
                .find(|r| r.user_id == user && !r.criteria.is_empty())
        {
            store::cache_score(tx, &e.subject.hash, &r.hash, &m)?;
        }
        let d = details.as_ref();
        let announced = Announced {
            posting_id: e.posting.id,
            company_id: e.posting.company_id,
            company: e.subject.company.clone(),
            title: e.subject.title.clone(),
            url: e.posting.url.clone(),
            location: e
                .subject
                .location
                .clone()
                .or(d.and_then(|d| d.location.clone())),
            remote: d.and_then(|d| d.remote),
            score: m.score,
            reason: m.reason.clone(),
        };
        notified += notify::announce(tx, cfg, user, &announced, now)?;
    }
    Ok(notified)
}

/// The `backlog` operator event: raised once past the threshold, "back to
/// normal" once under half of it.
pub fn backlog_alert(
    tx: &mut Tx<'_>,
    cfg: &NotifyConfig,
    now: Timestamp,
) -> store::Result<(bool, Commit)> {
    let n = store::backlog_len(tx)?;
    let raised = store::meta_get(tx, "alert.backlog")? == Some(1);
    let message = if !raised && n >= cfg.backlog_alert {
        format!(
            "the analysis backlog holds {n} postings (alert at {}); the AI budget may be too small for the postings found: see `scoutly status` and analysis.limits",
            cfg.backlog_alert
        )
    } else if raised && n < cfg.backlog_alert / 2 {
        format!("the analysis backlog is back to {n} postings")
    } else {
        return Ok((false, Commit::Unchanged));
    };
    store::meta_set(tx, "alert.backlog", u64::from(!raised))?;
    let sent = notify::event(tx, cfg, "backlog", &message, None, now)?;
    tracing::warn!(backlog = n, "{message}");
    Ok((sent > 0, Commit::Durable))
}
