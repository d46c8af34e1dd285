//! A company's fetch health beyond its record: failures by class, the
//! circuit-open count, quarantine and resume, and the page cache that makes
//! requests conditional.
//!
//! Invariant: a page's cache entry is written only in the transaction that
//! commits the links found on that page, so a `304 Not Modified` never hides
//! links that were not recorded. Changing a company's URLs or link patterns
//! drops its cache, so the next scrape reads every page again.

use redb::ReadableTable;

use super::{Result, Tx, View, codec, get_company, get_record, put_company, put_record};
use crate::model::{
    AttentionItem, CompanyState, FailureClass, FailureStats, Id, PageCache, Timestamp,
};

pub fn failure_stats(v: &impl View, id: Id) -> Result<FailureStats> {
    Ok(get_record(v.company_failures(), id)?.unwrap_or_default())
}

/// Count one failed attempt of the company's scrape.
pub fn record_failure_class(
    tx: &mut Tx<'_>,
    id: Id,
    class: FailureClass,
    error: &str,
    now: Timestamp,
    circuit_opened: bool,
) -> Result<FailureStats> {
    let mut stats = failure_stats(tx, id)?;
    stats.record(class, error, now);
    if circuit_opened {
        stats.circuit_opens += 1;
    }
    put_record(&mut tx.company_failures, id, &stats)?;
    Ok(stats)
}

/// A success ends the failing streak (totals stay). Writes only when there
/// was a streak, so a routine success costs nothing here.
pub fn record_success_streak(tx: &mut Tx<'_>, id: Id) -> Result<()> {
    let mut stats = failure_stats(tx, id)?;
    if stats.failing_since.is_some() || stats.circuit_opens > 0 {
        stats.succeeded();
        put_record(&mut tx.company_failures, id, &stats)?;
    }
    Ok(())
}

/// Mark the company's host circuit open until `until`: the scheduler leaves
/// it alone until then.
pub fn set_circuit_open(tx: &mut Tx<'_>, id: Id, until: Timestamp) -> Result<()> {
    let mut c = get_company(tx, id)?;
    if c.health.state != CompanyState::Quarantined {
        c.health.state = CompanyState::CircuitOpen;
    }
    c.health.backoff_until = Some(c.health.backoff_until.map_or(until, |b| b.max(until)));
    put_company(tx, &c)
}

/// Stop scheduling the company and tell a human why.
pub fn quarantine(tx: &mut Tx<'_>, id: Id, reason: &str, now: Timestamp) -> Result<()> {
    let mut c = get_company(tx, id)?;
    c.health.state = CompanyState::Quarantined;
    put_company(tx, &c)?;
    let item = AttentionItem {
        company_id: id,
        reason: reason.to_string(),
        since: now,
    };
    put_record(&mut tx.attention, id, &item)
}

/// Clear quarantine, circuit and backoff: the company is scheduled again as
/// if healthy.
pub fn resume(tx: &mut Tx<'_>, id: Id) -> Result<()> {
    let mut c = get_company(tx, id)?;
    c.health.state = CompanyState::Healthy;
    c.health.backoff_until = None;
    c.health.consecutive_failures = 0;
    put_company(tx, &c)?;
    let mut stats = failure_stats(tx, id)?;
    stats.succeeded();
    put_record(&mut tx.company_failures, id, &stats)?;
    tx.attention.remove(id)?;
    Ok(())
}

pub fn page_cache(v: &impl View, company: Id, url: &str) -> Result<Option<PageCache>> {
    match v.page_cache().get((company, url))? {
        Some(bytes) => Ok(Some(codec::decode(bytes.value(), &url)?)),
        None => Ok(None),
    }
}

pub fn put_page_cache(tx: &mut Tx<'_>, company: Id, url: &str, entry: &PageCache) -> Result<()> {
    tx.page_cache
        .insert((company, url), codec::encode(entry).as_slice())?;
    Ok(())
}

/// Forget every cached page of a company.
pub fn clear_page_cache(tx: &mut Tx<'_>, company: Id) -> Result<()> {
    tx.page_cache
        .retain_in((company, "")..(company + 1, ""), |_, _| false)?;
    Ok(())
}
