//! A semaphore whose size the controller changes while holders run.
//!
//! Invariants: at most `limit` permits are held when one is granted;
//! lowering the limit takes nothing from current holders (in-flight work
//! finishes), it only keeps new ones waiting; a closed gate grants nothing
//! more, and its waiters return at once.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

#[derive(Debug)]
pub struct Gate {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    limit: usize,
    held: usize,
    closed: bool,
}

/// Why [`Gate::acquire_unless_held`] gave no permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Closed,
    /// The limit is zero.
    HeldBack,
}

/// One unit of the gate; given back when dropped.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<Gate>,
}

impl Gate {
    pub fn new(limit: usize) -> Arc<Gate> {
        Arc::new(Gate {
            state: Mutex::new(State {
                limit,
                held: 0,
                closed: false,
            }),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Permits held now.
    pub fn held(&self) -> usize {
        self.lock().held
    }

    pub fn set_limit(&self, limit: usize) {
        let changed = {
            let mut s = self.lock();
            let changed = limit != s.limit;
            s.limit = limit;
            changed
        };
        // Waiters for more room, and those that give up at zero.
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// A permit now, if one is free.
    pub fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        let mut s = self.lock();
        if s.closed || s.held >= s.limit {
            return None;
        }
        s.held += 1;
        Some(Permit { gate: self.clone() })
    }

    /// Wait for a permit; `None` once the gate is closed.
    pub async fn acquire(self: &Arc<Self>) -> Option<Permit> {
        loop {
            // Registered before looking, so a release in between is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(p) = self.try_acquire() {
                return Some(p);
            }
            if self.lock().closed {
                return None;
            }
            changed.await;
        }
    }

    /// Wait for a permit unless the limit is zero (held back) or the gate
    /// closed, now or while waiting.
    pub async fn acquire_unless_held(self: &Arc<Self>) -> Result<Permit, Refused> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(p) = self.try_acquire() {
                return Ok(p);
            }
            {
                let s = self.lock();
                if s.closed {
                    return Err(Refused::Closed);
                }
                if s.limit == 0 {
                    return Err(Refused::HeldBack);
                }
            }
            changed.await;
        }
    }

    /// Grant nothing more; waiters return `None`.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_waiters();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.gate.lock().held -= 1;
        self.gate.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lowering_the_limit_lets_holders_finish_and_keeps_newcomers_waiting() {
        let gate = Gate::new(2);
        let a = gate.try_acquire().unwrap();
        let b = gate.try_acquire().unwrap();
        assert!(gate.try_acquire().is_none());
        gate.set_limit(1);
        assert_eq!(gate.held(), 2, "nothing is taken back");
        drop(a);
        assert!(gate.try_acquire().is_none(), "still one over the new limit");
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.acquire().await.is_some() }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(b);
        assert!(waiter.await.unwrap(), "granted once under the limit");
    }

    #[tokio::test]
    async fn raising_the_limit_wakes_waiters_and_closing_releases_them() {
        let gate = Gate::new(0);
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.acquire().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        gate.set_limit(1);
        assert_eq!(waiter.await.unwrap(), Some(()));
        let gate = Gate::new(0);
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.acquire().await.is_none() }
        });
        tokio::task::yield_now().await;
        gate.close();
        assert!(waiter.await.unwrap());
        assert!(gate.try_acquire().is_none());
    }

    #[tokio::test]
    async fn a_waiter_that_may_not_wait_through_zero_is_refused() {
        let gate = Gate::new(0);
        assert_eq!(
            gate.acquire_unless_held().await.err(),
            Some(Refused::HeldBack)
        );
        gate.set_limit(1);
        let held = gate.acquire_unless_held().await.unwrap();
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.acquire_unless_held().await.err() }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "waits while the limit is only full");
        gate.set_limit(0);
        assert_eq!(waiter.await.unwrap(), Some(Refused::HeldBack));
        drop(held);
        gate.close();
        assert_eq!(
            gate.acquire_unless_held().await.err(),
            Some(Refused::Closed)
        );
    }
}
