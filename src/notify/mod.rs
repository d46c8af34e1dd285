//! Notifications: what goes into the outbox, and its delivery.
//!
//! Writers call [`announce`] (a posting's matches) and [`event`] (an
//! operator event) inside the transaction that records the facts they
//! announce, so a crash can never leave a fact without its notification or
//! a notification without its fact. [`deliver::Deliverer`] then sends each
//! item to its sink at least once, every try carrying the item's
//! idempotency key, retrying with backoff across restarts, and gathering a
//! digest sink's items into one message per `notify.digest_interval`.
//!
//! Invariant: an item is addressed to a sink by name; one whose sink left
//! the config is declared dead when it falls due, never sent elsewhere.

pub mod deliver;
pub mod email;
mod sinks;

use std::time::Duration;

use crate::config::{NotifyConfig, SinkMode};
use crate::model::{Announced, Id, Message, Timestamp};
use crate::store::outbox::{self, NewItem};
use crate::store::{self, Tx};

pub use deliver::Deliverer;

/// The next multiple of `every` since the epoch after `now`: digests go out
/// on the hour (for an hourly interval), whenever their items arrived.
pub fn next_digest(now: Timestamp, every: Duration) -> Timestamp {
    let step = every.as_millis().clamp(1, i64::MAX as u128) as i64;
    Timestamp::from_millis((now.millis().div_euclid(step) + 1).saturating_mul(step))
}

/// Queue the notifications a posting's matches cause: one per sink of a
/// matched user whose score reaches the sink's `min_score`. Returns how
/// many were queued.
pub fn announce(
    tx: &mut Tx<'_>,
    cfg: &NotifyConfig,
    user_id: Id,
    posting: &Announced,
    now: Timestamp,
) -> store::Result<usize> {
    let mut n = 0;
    for sink in &cfg.sinks {
        let Some(name) = &sink.user else { continue };
        if posting.score < sink.min_score {
            continue;
        }
        match store::user_by_ref(tx, name) {
            Ok(u) if u.id == user_id => {}
            _ => continue,
        }
        let digest = sink.mode == SinkMode::Digest;
        outbox::push(
            tx,
            NewItem {
                sink: sink.name.clone(),
                message: Message::Postings {
                    user_id,
                    postings: vec![posting.clone()],
                },
                due: if digest {
                    next_digest(now, cfg.digest_interval)
                } else {
                    now
                },
                digest_part: digest,
            },
            now,
        )?;
        n += 1;
    }
    Ok(n)
}

/// Queue an operator event (`config::EVENTS`) for every sink that takes it.
pub fn event(
    tx: &mut Tx<'_>,
    cfg: &NotifyConfig,
    kind: &str,
    message: &str,
    company_id: Option<Id>,
    now: Timestamp,
) -> store::Result<usize> {
    let mut n = 0;
    for sink in cfg
        .sinks
        .iter()
        .filter(|s| s.events.iter().any(|e| e == kind))
    {
        outbox::push(
            tx,
            NewItem {
                sink: sink.name.clone(),
                message: Message::Event {
                    kind: kind.to_string(),
                    message: message.to_string(),
                    company_id,
                },
                due: now,
                digest_part: false,
            },
            now,
        )?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests;

/// Turn alerts (the machine's and the job rules'), as they are raised and
/// as they end, into operator events.
pub async fn forward_alerts(
    mut alerts: tokio::sync::broadcast::Receiver<(String, String)>,
    store: store::Store,
    clock: crate::clock::SharedClock,
    cfg: std::sync::Arc<NotifyConfig>,
    wake: std::sync::Arc<tokio::sync::Notify>,
    cancel: tokio_util::sync::CancellationToken,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let (kind, message) = tokio::select! {
            _ = cancel.cancelled() => return,
            a = alerts.recv() => match a {
                Ok(a) => a,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "resource alerts came faster than they were queued");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
        };
        if !cfg.sinks.iter().any(|s| s.events.contains(&kind)) {
            continue;
        }
        let (c, now) = (cfg.clone(), clock.now());
        let r = store
            .run(move |s| s.write(|tx| event(tx, &c, &kind, &message, None, now)))
            .await;
        match r {
            Ok(_) => wake.notify_one(),
            Err(e) => tracing::warn!(error = %e, "cannot queue the alert's notification"),
        }
    }
}
