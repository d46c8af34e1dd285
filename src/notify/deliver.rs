//! The deliverer: sends due outbox items, one at a time, and records the
//! outcome.
//!
//! A try that the sink accepts removes the item; a temporary failure
//! (no answer, 408, 425, 429, 5xx) sets it due again after a backoff of
//! 30 s doubling per try up to an hour (or the sink's `Retry-After`), and
//! an item still undelivered `notify.give_up_after` after it was written,
//! or refused for good (another 4xx), is declared dead: kept, never sent
//! again, counted in `/status`.
//!
//! Exactly once per key: the key is fixed when the item is written, so a
//! crash between a send and the removal only repeats the same key. A
//! digest is gathered into a new item in one durable transaction before
//! it is sent, so its key, too, never changes once sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::email::Mailer;
use super::sinks::{self, SendError};
use crate::clock::SharedClock;
use crate::config::{Env, NotifyConfig, SinkKind};
use crate::model::{Message, OutboxItem, Timestamp};
use crate::store::outbox::{self, NewItem};
use crate::store::{self, Commit, Store};

const BACKOFF_BASE: Duration = Duration::from_secs(30);
const BACKOFF_CAP: Duration = Duration::from_secs(3600);
/// Longest sleep before looking at the outbox again.
const IDLE: Duration = Duration::from_secs(60);
/// Wait after the store failed.
const STORE_RETRY: Duration = Duration::from_secs(10);
/// Postings in one digest message; more make several.
const DIGEST_MAX: usize = 50;

#[derive(Clone)]
pub struct Deliverer {
    pub store: Store,
    pub clock: SharedClock,
    pub cfg: Arc<NotifyConfig>,
    client: reqwest::Client,
    /// The e-mail sinks' SMTP settings, by sink name.
    mailers: Arc<HashMap<String, Mailer>>,
    /// Notified when items are written.
    pub wake: Arc<tokio::sync::Notify>,
}

/// What one try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Try again at this time; why this try failed.
    Retry(Timestamp, String),
    Dead(String),
}

/// The delay before try `attempts + 1`.
pub fn backoff(attempts: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempts.saturating_sub(1).min(16));
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    exp.min(BACKOFF_CAP).mul_f64(jitter)
}

impl Deliverer {
    /// `env` holds the e-mail sinks' passwords (`password_env`).
    pub fn new(
        store: Store,
        clock: SharedClock,
        cfg: Arc<NotifyConfig>,
        wake: Arc<tokio::sync::Notify>,
        env: &dyn Env,
    ) -> Result<Self, String> {
        Ok(Deliverer {
            client: crate::outbound::client(cfg.timeout)?,
            mailers: Arc::new(super::email::mailers(&cfg, env)?),
            store,
            clock,
            cfg,
            wake,
        })
    }

    pub async fn run(self, cancel: CancellationToken) {
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let tried = tokio::select! {
                _ = cancel.cancelled() => return,
                r = self.tick() => r,
            };
            let wait = match tried {
                Ok(n) if n > 0 => continue,
                Ok(_) => {
                    let now = self.clock.now();
                    let next = self
                        .store
                        .run(|s| s.read(outbox::next_due))
                        .await
                        .ok()
                        .flatten();
                    next.map_or(IDLE, |t| {
                        t.since(now).clamp(Duration::from_millis(20), IDLE)
                    })
                }
                // The store failing (a full disk) must not turn into a
                // sink hearing the same item many times a second.
                Err(e) => {
                    tracing::warn!(error = %e, "the notification outbox cannot be read or updated; trying again in 10 s");
                    STORE_RETRY
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = &mut notified => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Try every item due now; returns how many were handled.
    pub async fn tick(&self) -> store::Result<usize> {
        let now = self.clock.now();
        let due = self
            .store
            .run(move |s| s.read(|rx| outbox::due(rx, now, 32)))
            .await?;
        let mut handled = 0;
        for item in due {
            if item.digest_part {
                self.gather(&item.sink).await?;
            } else {
                let outcome = self.try_send(&item).await;
                self.record(item, outcome).await?;
            }
            handled += 1;
        }
        Ok(handled)
    }

    /// Send one item (not a digest part) and say what came of it.
    pub async fn try_send(&self, item: &OutboxItem) -> Outcome {
        let Some(sink) = self.cfg.sinks.iter().find(|s| s.name == item.sink) else {
            return Outcome::Dead(format!(
                "sink {:?} is no longer in the config ([[notify.sinks]])",
                item.sink
            ));
        };
        let user = match &item.message {
            Message::Postings { user_id, .. } => {
                let id = *user_id;
                self.store
                    .run(move |s| s.read(|rx| store::get_user(rx, id)))
                    .await
                    .ok()
                    .map(|u| u.name)
            }
            Message::Event { .. } => None,
        };
        let now = self.clock.now();
        let sent = match self.mailers.get(&sink.name) {
            Some(mailer) if sink.kind == SinkKind::Email => mailer.send(item).await,
            _ => sinks::send(&self.client, sink, item, user.as_deref()).await,
        };
        match sent {
            Ok(()) => Outcome::Delivered,
            Err(SendError::Refused(why)) => Outcome::Dead(why),
            Err(SendError::Retry { reason, .. })
                if now.since(item.created) >= self.cfg.give_up_after =>
            {
                Outcome::Dead(format!(
                    "{reason}; given up after {}",
                    humantime::format_duration(self.cfg.give_up_after)
                ))
            }
            Err(SendError::Retry {
                reason,
                retry_after,
            }) => {
                tracing::info!(sink = %sink.name, key = %item.key, %reason, "notification not delivered; will retry");
                let wait = backoff(item.attempts + 1).max(retry_after.unwrap_or_default());
                Outcome::Retry(now.plus(wait.min(BACKOFF_CAP)), reason)
            }
        }
    }

    async fn record(&self, item: OutboxItem, outcome: Outcome) -> store::Result<()> {
        match &outcome {
            Outcome::Delivered => {
                tracing::info!(sink = %item.sink, key = %item.key, "notification delivered")
            }
            Outcome::Dead(why) => {
                tracing::warn!(sink = %item.sink, key = %item.key, reason = %why, "notification given up")
            }
            Outcome::Retry(..) => {}
        }
        self.store
            .run(move |s| {
                s.write_as(|tx| {
                    // Another tick may have handled it meanwhile.
                    let Some(current) = outbox::get(tx, item.id)? else {
                        return Ok(((), Commit::Unchanged));
                    };
                    match outcome {
                        // Durable: notifications are few, and a lost removal
                        // would send the item again (with the same key, but
                        // not every receiver drops repeats).
                        Outcome::Delivered => {
                            outbox::remove(tx, &current)?;
                            Ok(((), Commit::Durable))
                        }
                        Outcome::Retry(due, why) => {
                            let mut next = current.clone();
                            next.attempts += 1;
                            next.due = due;
                            next.last_error = Some(why);
                            outbox::update(tx, &current, &next)?;
                            Ok(((), Commit::Lazy))
                        }
                        Outcome::Dead(why) => {
                            let mut next = current.clone();
                            next.attempts += 1;
                            next.dead = true;
                            next.last_error = Some(why);
                            outbox::update(tx, &current, &next)?;
                            Ok(((), Commit::Durable))
                        }
                    }
                })
            })
            .await
    }

    /// Gather a digest sink's due parts into messages of their own (one per
    /// user, at most [`DIGEST_MAX`] postings each), durably, before any is sent.
    async fn gather(&self, sink: &str) -> store::Result<()> {
        let sink = sink.to_string();
        let now = self.clock.now();
        self.store
            .run(move |s| {
                s.write_as(|tx| {
                    let parts: Vec<OutboxItem> = outbox::digest_parts(tx, &sink)?
                        .into_iter()
                        .filter(|p| p.due <= now)
                        .collect();
                    // Gathered already by an earlier part in this tick.
                    if parts.is_empty() {
                        return Ok(((), Commit::Unchanged));
                    }
                    let mut by_user: Vec<(u64, Vec<crate::model::Announced>)> = Vec::new();
                    for p in &parts {
                        if let Message::Postings { user_id, postings } = &p.message {
                            match by_user.iter_mut().find(|(u, _)| u == user_id) {
                                Some((_, list)) => list.extend(postings.iter().cloned()),
                                None => by_user.push((*user_id, postings.clone())),
                            }
                        }
                        outbox::remove(tx, p)?;
                    }
                    for (user_id, postings) in by_user {
                        for chunk in postings.chunks(DIGEST_MAX) {
                            outbox::push(
                                tx,
                                NewItem {
                                    sink: sink.clone(),
                                    message: Message::Postings {
                                        user_id,
                                        postings: chunk.to_vec(),
                                    },
                                    due: now,
                                    digest_part: false,
                                },
                                now,
                            )?;
                        }
                    }
                    Ok(((), Commit::Durable))
                })
            })
            .await
    }
}
