//! The analysis worker: drains the analysis backlog that committed scrapes
//! fill with their new postings.
//!
//! Each step reads one posting's page (through the fetcher, so robots.txt,
//! pacing and limits apply as to any scrape) into its details, and analyses
//! the postings whose details are read: all at once with the builtin
//! matcher; with a metered (AI) analyser, first from the cache (the same
//! text and criteria are never sent twice), then one batch at a time while
//! the budget allows. The order is the backlog's: the highest-ranked
//! company's oldest posting first.
//!
//! Invariants: a posting leaves the backlog only in the transaction that
//! stores its matches and the notifications they cause (`commit`); a page
//! that cannot be read after three tries, or a posting the AI answers
//! wrongly three times, is analysed by the builtin matcher instead, so no
//! posting waits forever for something that will not come. Budget use is
//! stored with the results of the request that spent it.

mod commit;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::analyze::budget::{Budget, Wait};
use crate::analyze::{self, AnalyseError, Analyser, Subject};
use crate::clock::SharedClock;
use crate::config::NotifyConfig;
use crate::fetch::Fetcher;
use crate::model::{BacklogItem, PostingDetails, Stage, Timestamp};
use crate::store::{self, BacklogKey, Commit, Store};

pub use commit::Settled;

/// Tries at reading a page, and at getting a usable AI answer, before the
/// fallback.
const RETRIES: u32 = 3;
/// Longest idle sleep before looking at the backlog again.
const IDLE: Duration = Duration::from_secs(60);
/// Longest a read posting waits for others to share its AI request.
const GATHER: Duration = Duration::from_secs(60);
/// Input tokens a request carries besides the postings (instructions,
/// schema).
const OVERHEAD: u32 = 450;

pub struct AnalysisWorker<A: Analyser> {
    pub store: Store,
    pub clock: SharedClock,
    pub fetcher: Fetcher,
    pub analyser: Arc<A>,
    pub budget: Budget,
    pub notify: Arc<NotifyConfig>,
    /// Characters of a posting's text kept.
    pub max_text: usize,
    /// Notified when scrapes commit new postings.
    pub wake: Arc<tokio::sync::Notify>,
    /// Notified when notifications are written.
    pub outbox: Arc<tokio::sync::Notify>,
}

/// What a step came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Something was done; step again.
    Worked,
    /// Nothing to do before this time (`None`: until woken).
    Idle(Option<Timestamp>),
}

impl<A: Analyser> AnalysisWorker<A> {
    pub async fn run(self, cancel: CancellationToken) {
        let mut last_wait: Option<&'static str> = None;
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let step = tokio::select! {
                _ = cancel.cancelled() => return,
                s = self.step(&mut last_wait) => s,
            };
            let until = match step {
                Ok(Step::Worked) => continue,
                Ok(Step::Idle(until)) => until,
                Err(e) => {
                    tracing::warn!(error = %e, "analysis step failed; trying again shortly");
                    Some(self.clock.now().plus(Duration::from_secs(5)))
                }
            };
            let now = self.clock.now();
            let wait = until.map_or(IDLE, |t| {
                t.since(now).clamp(Duration::from_millis(20), IDLE)
            });
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = &mut notified => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One round: read one page, analyse what is ready.
    pub async fn step(&self, last_wait: &mut Option<&'static str>) -> store::Result<Step> {
        let now = self.clock.now();
        let items = self
            .store
            .run(move |s| s.read(|rx| store::backlog(rx, now, 64)))
            .await?;
        let mut worked = false;
        let unread = items
            .iter()
            .find(|(_, i)| i.stage == Stage::Details)
            .cloned();
        if let Some((key, item)) = &unread {
            self.read_details(*key, item.clone()).await?;
            worked = true;
        }
        let ready: Vec<_> = items
            .into_iter()
            .filter(|(_, i)| i.stage == Stage::Analysis)
            .collect();
        // A metered analyser waits for the pages still to read, so postings
        // found together go in one request: unless a batch is full already,
        // or the oldest has waited long enough.
        let waited = ready
            .iter()
            .map(|(_, i)| now.since(i.not_before))
            .max()
            .unwrap_or_default();
        let batch_now = !self.analyser.metered()
            || unread.is_none()
            || ready.len() >= self.analyser.limits().postings
            || waited >= GATHER;
        let mut blocked = None;
        if !ready.is_empty() && batch_now {
            match self.analyse(ready).await? {
                Ok(()) => {
                    worked = true;
                    *last_wait = None;
                }
                Err(w) => {
                    if *last_wait != Some(w.reason) {
                        tracing::info!(until = %w.until.to_rfc3339(), reason = w.reason, "analysis waits for the AI budget");
                        *last_wait = Some(w.reason);
                    }
                    blocked = Some(w.until);
                }
            }
        }
        self.backlog_alert().await?;
        if worked {
            return Ok(Step::Worked);
        }
        let next = self.store.run(|s| s.read(store::backlog_next)).await?;
        let next = next.filter(|t| *t > now);
        Ok(Step::Idle(match (next, blocked) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }))
    }

    /// Read one posting's page into its details (or count a failed try).
    async fn read_details(&self, key: BacklogKey, item: BacklogItem) -> store::Result<()> {
        let id = item.posting_id;
        let posting = match self
            .store
            .run(move |s| s.read(|rx| store::get_posting(rx, id)))
            .await
        {
            Ok(p) => p,
            // Its company was removed meanwhile.
            Err(store::StoreError::NotFound { .. }) => {
                self.store
                    .run(move |s| s.write(|tx| store::remove_backlog(tx, key)))
                    .await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let read = match url::Url::parse(&posting.url) {
            Ok(url) => match self.fetcher.get(&url).await {
                Ok(page) if page.body.starts_with(b"%PDF") => Err((
                    "the posting is a PDF, whose text is not read".to_string(),
                    false,
                )),
                Ok(page) => {
                    // Parsing a large page is CPU work: off the async workers.
                    let max = self.max_text;
                    tokio::task::spawn_blocking(move || {
                        crate::extract::posting_text(&page.body, max)
                    })
                    .await
                    .map_err(|e| (e.to_string(), false))
                    .and_then(|r| r.map_err(|e| (e.to_string(), false)))
                }
                // A 404 or a robots.txt refusal will not change by waiting.
                Err(e) => Err((e.to_string(), e.class.retryable())),
            },
            Err(e) => Err((format!("{}: not a URL ({e})", posting.url), false)),
        };
        let now = self.clock.now();
        let mut next = item.clone();
        let details = match read {
            Ok(t) => Some(PostingDetails {
                title: t.title,
                location: t.location,
                remote: t.remote,
                text: t.text,
                fetched: now,
                error: None,
            }),
            Err((e, true)) if item.attempts + 1 < RETRIES => {
                tracing::info!(posting = id, error = %e, "reading the posting's page failed; will retry");
                next.attempts += 1;
                next.last_error = Some(e);
                next.not_before = now.plus(Duration::from_secs(120 * 4u64.pow(next.attempts)));
                None
            }
            Err((e, _)) => {
                tracing::info!(posting = id, error = %e, "the posting's page cannot be read; analysing its title alone");
                Some(PostingDetails {
                    title: None,
                    location: None,
                    remote: crate::extract::text::remote_hint(&posting.title, "", ""),
                    text: String::new(),
                    fetched: now,
                    error: Some(e),
                })
            }
        };
        if let Some(d) = &details {
            next.stage = Stage::Analysis;
            next.attempts = 0;
            next.not_before = now;
            next.last_error = d.error.clone();
        }
        self.store
            .run(move |s| {
                s.write_as(|tx| {
                    if !store::update_backlog(tx, key, &next)? {
                        return Ok(((), Commit::Unchanged));
                    }
                    if let Some(d) = &details {
                        store::put_details(tx, id, d)?;
                    }
                    // Losing this to a power cut only reads the page again.
                    Ok(((), Commit::Lazy))
                })
            })
            .await
    }

    /// Analyse ready postings: builtin all at once; metered from the cache,
    /// then one batch within the budget. `Err(wait)` when the budget holds
    /// the batch back.
    async fn analyse(
        &self,
        ready: Vec<(BacklogKey, BacklogItem)>,
    ) -> store::Result<Result<(), Wait>> {
        let (subjects, gone) = self
            .store
            .run(move |s| s.read(|rx| commit::subjects(rx, &ready)))
            .await?;
        if !gone.is_empty() {
            self.settle(Settled::default().with_gone(gone)).await?;
        }
        if subjects.is_empty() {
            return Ok(Ok(()));
        }
        if !self.analyser.metered() {
            let reply = self
                .analyser
                .analyse(
                    &subjects
                        .iter()
                        .map(|e| e.subject.clone())
                        .collect::<Vec<_>>(),
                )
                .await;
            let verdicts = reply.map(|r| r.verdicts).unwrap_or_default();
            self.settle(Settled::from_verdicts(subjects, verdicts))
                .await?;
            return Ok(Ok(()));
        }
        // The cache first, and readers without criteria need no AI.
        let (cached, todo) = self
            .store
            .run(move |s| s.read(|rx| commit::from_cache(rx, subjects)))
            .await?;
        if !cached.is_empty() {
            self.settle(cached).await?;
        }
        if todo.is_empty() {
            return Ok(Ok(()));
        }
        let batch_subjects: Vec<Subject> = todo.iter().map(|e| e.ai_subject()).collect();
        let n = analyze::batch_len(&batch_subjects, self.analyser.limits(), OVERHEAD);
        let batch: Vec<Subject> = batch_subjects[..n].to_vec();
        let estimate = OVERHEAD
            + batch.iter().map(analyze::estimate_tokens).sum::<u32>()
            + batch
                .iter()
                .map(|s| 60 * s.readers.len() as u32 + 40)
                .sum::<u32>();
        let now = self.clock.now();
        let usage = self.store.run(|s| s.read(store::budget_use)).await?;
        if let Err(w) = self.budget.check(&usage, now, estimate) {
            return Ok(Err(w));
        }
        let reply = self.analyser.analyse(&batch).await;
        let todo: Vec<_> = todo.into_iter().take(n).collect();
        let settled = match reply {
            Ok(r) => {
                let tokens = if r.tokens > 0 { r.tokens } else { estimate };
                Settled::from_ai(todo, r).with_spend(tokens)
            }
            Err(AnalyseError::RateLimited { retry_after }) => {
                tracing::warn!(
                    ?retry_after,
                    "the AI provider says too many requests; pausing"
                );
                Settled::paused(retry_after)
            }
            Err(AnalyseError::Malformed { message, tokens }) => {
                tracing::warn!(error = %message, "the AI reply was not usable");
                Settled::failed(todo, &message, RETRIES).with_spend(tokens.max(1))
            }
            Err(AnalyseError::Failed { message, answered }) => {
                tracing::warn!(error = %message, "the AI request failed");
                // No usable answer came: only a bad answer counts towards
                // the fallback; an outage waits (up to an hour between
                // tries). A request the provider answered counts against
                // the budget all the same.
                let s = Settled::failed(todo, &message, u32::MAX);
                if answered { s.with_spend(0) } else { s }
            }
        };
        self.settle(settled).await?;
        Ok(Ok(()))
    }

    async fn settle(&self, s: Settled) -> store::Result<()> {
        let (cfg, budget) = (self.notify.clone(), self.budget);
        let clock = self.clock.clone();
        let notified = self
            .store
            .run(move |st| st.write(|tx| s.commit(tx, &cfg, &budget, clock.now())))
            .await?;
        if notified > 0 {
            self.outbox.notify_one();
        }
        Ok(())
    }

    /// Raise the `backlog` event once when the backlog passes
    /// `notify.backlog_alert`, and say so once when it is back under half.
    async fn backlog_alert(&self) -> store::Result<()> {
        let (cfg, now) = (self.notify.clone(), self.clock.now());
        let raised = self
            .store
            .run(move |s| s.write_as(|tx| commit::backlog_alert(tx, &cfg, now)))
            .await?;
        if raised {
            self.outbox.notify_one();
        }
        Ok(())
    }
}
