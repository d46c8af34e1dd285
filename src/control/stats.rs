//! `stats`: job analytics over a range, for one company or all.

use serde_json::{Value, json};

use super::{Control, ControlError, Result};
use crate::analytics::{self, Range};
use crate::config::parse_duration;
use crate::model::Timestamp;
use crate::store;

/// The range a report covers when none is given.
const DEFAULT_SPAN: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// An instant given as RFC 3339 or as a duration back from `now` ("7d").
fn instant(name: &str, s: &str, now: Timestamp) -> Result<Timestamp> {
    Timestamp::parse_rfc3339(s)
        .or_else(|| parse_duration(s).map(|d| now.minus(d)))
        .ok_or_else(|| {
            ControlError::invalid(format!(
                "{name} {s:?} is neither an RFC 3339 time such as 2026-01-31T09:00:00Z nor a duration back from now such as \"24h\" or \"7d\""
            ))
        })
}

/// The range a report covers: `to` defaults to now, `from` to a day before
/// `to`; `from` must come first and the range may not exceed what the day
/// buckets keep.
fn range(from: Option<&str>, to: Option<&str>, now: Timestamp) -> Result<Range> {
    let to = to
        .map(|s| instant("to", s, now))
        .transpose()?
        .unwrap_or(now);
    let from = from
        .map(|s| instant("from", s, now))
        .transpose()?
        .unwrap_or_else(|| to.minus(DEFAULT_SPAN));
    if from >= to {
        return Err(ControlError::invalid(format!(
            "from ({}) must be before to ({})",
            from.to_rfc3339(),
            to.to_rfc3339()
        )));
    }
    let longest = analytics::longest_range();
    if to.since(from) > longest {
        return Err(ControlError::invalid(format!(
            "the range from {} to {} is longer than the {} days analytics keep; choose a shorter one",
            from.to_rfc3339(),
            to.to_rfc3339(),
            longest.as_secs() / 86_400
        )));
    }
    Ok(Range { from, to })
}

impl Control {
    pub(super) fn stats(
        &self,
        from: Option<String>,
        to: Option<String>,
        company: Option<String>,
    ) -> Result<Value> {
        let now = self.clock.now();
        let range = range(from.as_deref(), to.as_deref(), now)?;
        let report = self.store.read(|rx| {
            let company = company
                .as_deref()
                .map(|c| store::company_by_ref(rx, c))
                .transpose()?;
            analytics::report(rx, range, company.as_ref(), now)
        })?;
        Ok(json!(report))
    }
}
