//! Commands about what scrapes found: postings with their matches, users'
//! criteria, and the notification outbox.

use serde_json::{Value, json};

use super::{Control, ControlError, Result, validate};
use crate::model::Timestamp;
use crate::store::{self, PostingFilter, StoreError, outbox};
use crate::views::{CriteriaView, OutboxView};

/// The parts of a user's criteria a command replaces (`None`: kept).
pub type CriteriaParts = (
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<String>,
);

impl Control {
    /// Show a user's criteria, or replace the parts given.
    pub(super) fn criteria(&self, user: &str, parts: CriteriaParts) -> Result<Value> {
        let change =
            parts.0.is_some() || parts.1.is_some() || parts.2.is_some() || parts.3.is_some();
        let (id, c) = if change {
            self.store.write(|tx| {
                let u = store::user_by_ref(tx, user)?;
                let current = store::criteria(tx, u.id)?;
                let c = validate::criteria(current, parts.0, parts.1, parts.2, parts.3)
                    .map_err(|e| StoreError::Invalid(e.message))?;
                store::set_criteria(tx, u.id, &c)?;
                Ok((u.id, c))
            })?
        } else {
            self.store.read(|rx| {
                let u = store::user_by_ref(rx, user)?;
                Ok((u.id, store::criteria(rx, u.id)?))
            })?
        };
        Ok(json!(CriteriaView::new(id, &c)))
    }

    /// Postings, newest first, with a user's matches (or everyone's).
    pub(super) fn postings(
        &self,
        user: Option<String>,
        since: Option<String>,
        limit: Option<usize>,
        include_baseline: bool,
        min_score: Option<i64>,
    ) -> Result<Value> {
        let min_score = validate::min_score(min_score)?;
        if min_score.is_some() && user.is_none() {
            return Err(ControlError::invalid(
                "--min-score needs --user: a score is always some user's",
            ));
        }
        let since = since
            .map(|s| {
                Timestamp::parse_rfc3339(&s).ok_or_else(|| {
                    ControlError::invalid(format!(
                        "--since {s:?} is not a time; use RFC 3339 such as 2026-01-31T09:00:00Z"
                    ))
                })
            })
            .transpose()?;
        let views = self.store.read(|rx| {
            let user = user
                .as_deref()
                .map(|u| store::user_by_ref(rx, u))
                .transpose()?;
            let companies = user
                .as_ref()
                .map(|u| store::tracked_companies(rx, u.id))
                .transpose()?;
            let filter = PostingFilter {
                companies,
                since,
                include_baseline,
                limit: limit.unwrap_or(100).clamp(1, 10_000),
            };
            crate::views::postings_for(rx, &filter, user.map(|u| u.id), min_score)
        })?;
        Ok(json!(views))
    }

    /// Notifications waiting (or, with `dead`, given up), oldest first.
    pub(super) fn outbox(&self, dead: bool, limit: Option<usize>) -> Result<Value> {
        let limit = limit.unwrap_or(100).clamp(1, 10_000);
        let items = self.store.read(|rx| outbox::list(rx, dead, limit))?;
        Ok(json!(
            items.iter().map(OutboxView::from).collect::<Vec<_>>()
        ))
    }

    /// Send a given-up notification again, under its key, from now on.
    pub(super) fn outbox_retry(&self, id: u64) -> Result<Value> {
        let now = self.clock.now();
        let item = self.store.write(|tx| outbox::revive(tx, id, now))?;
        if let Some(n) = &self.outbox_wake {
            n.notify_one();
        }
        Ok(json!(OutboxView::from(&item)))
    }
}
