//! One job: fetch every careers URL (following `rel="next"` up to the page
//! limit) → extract job links → diff against the snapshot → commit.
//!
//! Invariant: snapshot update, new postings, company health and the job's
//! completion commit in one transaction, and only while this worker still
//! holds the claim (its claim token is still the job's). A job cancelled,
//! rescued or reclaimed meanwhile commits nothing, so a link becomes a
//! posting once and a stale worker never acts on a newer claim.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::failure::{Failure, quarantine_reason};
use super::walk::Scraped;
use crate::clock::SharedClock;
use crate::config::{NotifyConfig, QuarantineConfig};
use crate::events::{Event, PostingRef};
use crate::fetch::Fetcher;
use crate::model::{Checkpoint, Job, JobCounters, JobStatus, Timestamp};
use crate::queue::{self, Queue, backoff};
use crate::store::{self, Commit};

/// How a job ended, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Completed {
        new_postings: usize,
        baseline: bool,
    },
    Failed {
        error: String,
        final_attempt: bool,
    },
    /// Cancelled or reclaimed while running: results discarded.
    Abandoned,
    /// Shutdown grace ran out: lease released.
    Released,
    /// The appliance's resources held the job up: back to pending for
    /// five minutes (`DEFER`), no attempt counted.
    Deferred,
}

/// How long a job the appliance held up waits before it runs again.
pub const DEFER: Duration = Duration::from_secs(300);

/// Everything one job needs.
pub struct Pipeline {
    pub queue: Queue,
    pub fetcher: Fetcher,
    pub clock: SharedClock,
    pub max_pages: usize,
    /// Progress and lease are written at most this often.
    pub progress_interval: Duration,
    pub quarantine: QuarantineConfig,
    /// Who hears of a quarantine.
    pub notify: Arc<NotifyConfig>,
    /// Notified after new postings are committed (the analysis worker).
    pub wake_analysis: Arc<tokio::sync::Notify>,
    /// Notified after notifications are written (the deliverer).
    pub wake_outbox: Arc<tokio::sync::Notify>,
    /// Live events for `/api/events`.
    pub events: crate::events::Bus,
    /// Shows the watchdog the pool is alive.
    pub beat: Arc<super::Beat>,
}

/// How often a running job checks that it still holds its claim.
pub const CLAIM_CHECK: Duration = Duration::from_secs(1);

/// What the scrape has done so far, shared with the heartbeat task.
pub(super) struct Running {
    pub pct: u8,
    pub counters: JobCounters,
    /// Where the walk stands, when more pages follow; written with the next
    /// heartbeat, then cleared until the walk moves on.
    pub checkpoint: Option<Checkpoint>,
}

pub(super) type Progress = Arc<Mutex<Running>>;

pub(super) fn lock(p: &Progress) -> std::sync::MutexGuard<'_, Running> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pipeline {
    /// Run a claimed job to its end.
    pub async fn run(&self, job: Job, cancel: &CancellationToken, grace: Duration) -> JobOutcome {
        let span = tracing::info_span!(
            "job",
            id = job.id,
            company = job.company_id,
            attempt = job.attempt
        );
        self.run_inner(job, cancel, grace).instrument(span).await
    }

    async fn run_inner(&self, job: Job, cancel: &CancellationToken, grace: Duration) -> JobOutcome {
        let progress: Progress = Arc::new(Mutex::new(Running {
            pct: 0,
            counters: JobCounters::default(),
            checkpoint: None,
        }));
        let deadline = async {
            cancel.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        let outcome = tokio::select! {
            r = self.scrape(&job, &progress) => match r {
                Err(f) if f.deferred => self.release(&job, DEFER, JobOutcome::Deferred).await,
                r => {
                    let outcome = self.commit(&job, r).await;
                    match &outcome {
                        JobOutcome::Completed { new_postings, baseline: false } if *new_postings > 0 => {
                            self.wake_analysis.notify_one();
                        }
                        JobOutcome::Failed { .. } => self.wake_outbox.notify_one(),
                        _ => {}
                    }
                    outcome
                }
            },
            _ = self.heartbeats(&job, &progress) => JobOutcome::Abandoned,
            _ = deadline => self.release(&job, Duration::ZERO, JobOutcome::Released).await,
        };
        self.publish_end(&job, &outcome);
        crate::metrics::job_finished(match &outcome {
            JobOutcome::Completed { .. } => "completed",
            JobOutcome::Failed { .. } => "failed",
            JobOutcome::Abandoned => "abandoned",
            JobOutcome::Released => "released",
            JobOutcome::Deferred => "deferred",
        });
        match &outcome {
            JobOutcome::Completed {
                new_postings,
                baseline,
            } => {
                tracing::info!(new_postings, baseline, "job completed")
            }
            JobOutcome::Failed {
                error,
                final_attempt,
            } => {
                tracing::warn!(%error, final_attempt, "job failed")
            }
            JobOutcome::Abandoned => {
                tracing::info!("job cancelled or reclaimed; results discarded")
            }
            JobOutcome::Released => tracing::info!("shutdown grace over; job lease released"),
            JobOutcome::Deferred => tracing::info!(
                "the page needs the headless browser, which resources hold back; job deferred by {}s",
                DEFER.as_secs()
            ),
        }
        outcome
    }

    /// Watch the claim and keep the lease; returns only when the claim is lost
    /// (cancelled, rescued, reclaimed). The claim is checked every
    /// [`CLAIM_CHECK`] with a read-only transaction, so a cancelled job stops
    /// within about a second; the lease and progress are written at most every
    /// `progress_interval` (and always well within the lease), so a long job
    /// does not write to the SSD on every page.
    async fn heartbeats(&self, job: &Job, progress: &Progress) {
        let persist_every = self.progress_interval.min(self.queue.lease() / 3);
        let mut last_write = tokio::time::Instant::now();
        // Never spin, however short the interval a test configures.
        let tick = CLAIM_CHECK
            .min(persist_every)
            .max(Duration::from_millis(10));
        let mut shown = None;
        loop {
            tokio::time::sleep(tick).await;
            self.beat.beat(self.clock.now());
            if !self.still_ours(job).await {
                return;
            }
            let (pct, counters) = {
                let live = lock(progress);
                (live.pct, live.counters)
            };
            if shown != Some((pct, counters.pages)) {
                shown = Some((pct, counters.pages));
                self.events.publish(Event::Progress {
                    job_id: job.id,
                    company_id: job.company_id,
                    progress: pct,
                    pages: counters.pages,
                    links_found: counters.links_found,
                });
            }
            if last_write.elapsed() < persist_every {
                continue;
            }
            let (pct, counters, checkpoint) = {
                let mut live = lock(progress);
                (live.pct, live.counters, live.checkpoint.take())
            };
            if !self.beat(job, pct, counters, checkpoint).await {
                return;
            }
            last_write = tokio::time::Instant::now();
        }
    }

    async fn still_ours(&self, job: &Job) -> bool {
        let (id, token) = (job.id, job.claim);
        let r = self
            .queue
            .store()
            .run(move |s| s.read(|rx| Ok(queue::check_claim(rx, id, token).is_ok())))
            .await;
        // A failing read is not proof the job was taken: keep working.
        r.unwrap_or(true)
    }

    /// Run `f` in one write transaction if the job's claim is still this
    /// worker's, with the time read inside the transaction (commits are
    /// serialised, so posting ids and first-seen times grow together).
    /// `Ok(None)` when the claim was lost.
    /// `f` also says how its transaction commits.
    async fn while_claimed<T, F>(&self, job: &Job, f: F) -> crate::store::Result<Option<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::store::Tx<'_>, Timestamp) -> crate::store::Result<(T, Commit)>
            + Send
            + 'static,
    {
        let (id, token) = (job.id, job.claim);
        let clock = self.clock.clone();
        self.queue
            .store()
            .run(move |s| {
                s.write_as(|tx| {
                    if queue::check_claim(tx, id, token).is_err() {
                        return Ok((None, Commit::Lazy));
                    }
                    f(tx, clock.now()).map(|(out, how)| (Some(out), how))
                })
            })
            .await
    }

    /// One heartbeat, with the walk's checkpoint when given; false when the
    /// job is no longer ours.
    async fn beat(
        &self,
        job: &Job,
        progress: u8,
        counters: JobCounters,
        checkpoint: Option<Checkpoint>,
    ) -> bool {
        let (id, lease) = (job.id, self.queue.lease());
        let r = self
            .while_claimed(job, move |tx, now| {
                queue::heartbeat(tx, id, now, lease, progress, counters)?;
                if let Some(cp) = &checkpoint {
                    queue::save_checkpoint(tx, id, cp)?;
                }
                Ok(((), Commit::Lazy))
            })
            .await
            .map(|done| done.is_some());
        match r {
            Ok(ours) => ours,
            Err(e) => {
                tracing::warn!(error = %e, "heartbeat failed");
                true
            }
        }
    }

    async fn commit(&self, job: &Job, result: Result<Scraped, Failure>) -> JobOutcome {
        let backoff_cfg = self.queue.config().backoff;
        let quarantine_cfg = self.quarantine.clone();
        let notify_cfg = self.notify.clone();
        let unit: f64 = rand::random();
        let news: Arc<Mutex<Vec<PostingRef>>> = Arc::default();
        let told = news.clone();
        let claimed = job;
        let job = job.clone();
        let r = self
            .while_claimed(claimed, move |tx, now| {
                match result {
                    Ok(Scraped { links, mut counters, caches, backend, rendered }) => {
                        // The first successful scrape records what was already
                        // there; an empty first page makes later links news.
                        // So does a scrape that moved between a job board's API
                        // and HTML pages: its postings are keyed anew (board ids
                        // instead of URLs), and none of them is news for that.
                        let company = store::get_company(tx, job.company_id)?;
                        let backend = backend.map(|b| b.as_str());
                        let baseline = company.health.last_success.is_none()
                            || company.backend.as_deref() != backend;
                        let new = store::record_links(tx, job.company_id, job.id, &links, baseline, now)?;
                        counters.new_links = new.len() as u32;
                        // News waits for analysis in the backlog, ranked by
                        // the company's rank now.
                        let rank = company.effective_rank.map_or(1, |r| r.get());
                        let mut refs = Vec::new();
                        for p in new.iter().filter(|p| !p.baseline) {
                            tracing::info!(company = job.company_id, title = %p.title, url = %p.url, "new posting");
                            store::enqueue_analysis(tx, p, rank)?;
                            refs.push(PostingRef { id: p.id, title: p.title.clone(), url: p.url.clone() });
                        }
                        *told.lock().unwrap_or_else(|e| e.into_inner()) = refs;
                        queue::complete(tx, job.id, counters, now)?;
                        if let Some(started) = job.started {
                            store::stats::observe_duration(tx, job.company_id, rendered, now.since(started))?;
                        }
                        store::record_success(tx, job.company_id, now, backend)?;
                        store::record_success_streak(tx, job.company_id)?;
                        store::clear_attention(tx, job.company_id)?;
                        for (url, entry) in &caches {
                            store::put_page_cache(tx, job.company_id, url, entry)?;
                        }
                        // News is on disk before anyone hears of it; a check
                        // that found nothing new (or a baseline) may be lost
                        // to a power cut and simply runs again.
                        let how = if new.iter().any(|p| !p.baseline) {
                            Commit::Durable
                        } else {
                            Commit::Lazy
                        };
                        Ok((
                            JobOutcome::Completed {
                                new_postings: new.len(),
                                baseline,
                            },
                            how,
                        ))
                    }
                    Err(f) => {
                        crate::metrics::job_failed(f.class);
                        let stats = store::record_failure_class(
                            tx,
                            job.company_id,
                            f.class,
                            &f.error,
                            now,
                            f.opened_circuit.is_some(),
                        )?;
                        if let Some(cool_off) = f.opened_circuit {
                            store::set_circuit_open(tx, job.company_id, now.plus(cool_off))?;
                        }
                        let quarantined = quarantine_reason(&quarantine_cfg, &stats, now);
                        let retryable = f.retryable && quarantined.is_none();
                        let wait = f.retry_after.unwrap_or_default();
                        let after = queue::fail_after(tx, job.id, &f.error, retryable, now, &backoff_cfg, unit, wait)?;
                        let final_attempt = after.status == JobStatus::Failed;
                        let company = store::get_company(tx, job.company_id)?;
                        // Health counts every failed attempt, so the company's backoff
                        // continues the job's exponential sequence: after a job spent
                        // its attempts the site waits longer than any single retry.
                        let until: Option<Timestamp> = final_attempt.then(|| {
                            let n = company.health.consecutive_failures + 1;
                            now.plus(backoff::delay(&backoff_cfg, n, unit))
                        });
                        store::record_failure(tx, job.company_id, now, &f.error, until)?;
                        if let Some(reason) = &f.attention {
                            store::set_attention(tx, job.company_id, reason, now)?;
                        }
                        if let Some(reason) = &quarantined {
                            tracing::warn!(company = job.company_id, %reason, "company quarantined");
                            store::quarantine(tx, job.company_id, reason, now)?;
                            let message = format!(
                                "{} is quarantined and no longer scraped: {reason}; `scoutly company set {} --resume` ends it",
                                company.name, job.company_id
                            );
                            crate::notify::event(tx, &notify_cfg, "quarantined", &message, Some(job.company_id), now)?;
                        }
                        // An operator event is news: on disk before it is sent.
                        let how = if quarantined.is_some() {
                            Commit::Durable
                        } else {
                            Commit::Lazy
                        };
                        Ok((
                            JobOutcome::Failed {
                                error: f.error,
                                final_attempt,
                            },
                            how,
                        ))
                    }
                }
            })
            .await
            .map(|o| o.unwrap_or(JobOutcome::Abandoned));
        let outcome = r.unwrap_or_else(|e| {
            tracing::error!(error = %e, "committing the job's result failed; its lease will expire and it will run again");
            JobOutcome::Abandoned
        });
        let postings = std::mem::take(&mut *news.lock().unwrap_or_else(|e| e.into_inner()));
        if matches!(outcome, JobOutcome::Completed { .. }) && !postings.is_empty() {
            self.events.publish(Event::Postings {
                company_id: job.company_id,
                job_id: job.id,
                postings,
            });
        }
        outcome
    }

    /// Tell `/api/events` how a job ended.
    fn publish_end(&self, job: &Job, outcome: &JobOutcome) {
        let (status, new_postings, error) = match outcome {
            JobOutcome::Completed {
                new_postings,
                baseline,
            } => ("completed", if *baseline { 0 } else { *new_postings }, None),
            JobOutcome::Failed {
                error,
                final_attempt,
            } => (
                if *final_attempt { "failed" } else { "retrying" },
                0,
                Some(error.clone()),
            ),
            JobOutcome::Abandoned => ("cancelled", 0, None),
            JobOutcome::Deferred => ("deferred", 0, None),
            JobOutcome::Released => return,
        };
        self.events.publish(Event::Finished {
            job_id: job.id,
            company_id: job.company_id,
            status,
            new_postings,
            error,
        });
    }

    /// Give the job back, runnable again after `wait`, reporting `outcome`.
    async fn release(&self, job: &Job, wait: Duration, outcome: JobOutcome) -> JobOutcome {
        let id = job.id;
        let r = self
            .while_claimed(job, move |tx, now| {
                queue::release(tx, id, now.plus(wait)).map(|_| ((), Commit::Lazy))
            })
            .await;
        match r {
            Ok(Some(())) => outcome,
            Ok(None) => JobOutcome::Abandoned,
            Err(e) => {
                tracing::warn!(error = %e, "releasing the job failed; its lease will expire and it will run again");
                outcome
            }
        }
    }
}
