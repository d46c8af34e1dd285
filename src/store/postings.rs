//! Snapshots (links seen per company), postings and attention items.
//!
//! Invariant: a (company, canonical link) pair enters the snapshot and becomes
//! a posting in the same transaction, exactly once; callers commit that
//! transaction together with the job's completion (DESIGN.md invariant 3).

use redb::{ReadableTable, ReadableTableMetadata};

use super::{Result, Tx, View, all_records, codec, next_id, put_record};
use crate::model::{AttentionItem, Id, NewLink, Posting, SnapshotEntry, Timestamp};

/// How stale a snapshot entry's `last_seen` may get before a check that
/// sees the link again rewrites it.
pub const LAST_SEEN_GRANULARITY: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// Merge a scrape's links into the company's snapshot. Links never seen before
/// become postings, marked `baseline` when the caller says this is the
/// company's first successful scrape.
pub fn record_links(
    tx: &mut Tx<'_>,
    company_id: Id,
    job_id: Id,
    links: &[NewLink],
    baseline: bool,
    now: Timestamp,
) -> Result<Vec<Posting>> {
    let mut new = Vec::new();
    for link in links {
        let key = (company_id, link.key());
        let existing: Option<SnapshotEntry> = match tx.snapshots.get(key)? {
            Some(v) => Some(codec::decode(v.value(), &link.key())?),
            None => None,
        };
        let entry = match existing {
            // Rewriting every known link on every check would write the
            // company's snapshot pages each time; `last_seen` is kept to
            // within a week instead.
            Some(e) if now.since(e.last_seen) < LAST_SEEN_GRANULARITY => continue,
            Some(mut e) => {
                e.last_seen = now;
                e
            }
            None => {
                let id = next_id(tx, "postings")?;
                let posting = Posting {
                    id,
                    company_id,
                    job_id,
                    url: link.url.clone(),
                    title: link.title.clone(),
                    first_seen: now,
                    baseline,
                    board_id: link.board_id.clone(),
                    location: link.location.clone(),
                    updated: link.updated,
                };
                put_record(&mut tx.postings, id, &posting)?;
                new.push(posting);
                SnapshotEntry {
                    first_seen: now,
                    last_seen: now,
                }
            }
        };
        tx.snapshots.insert(key, codec::encode(&entry).as_slice())?;
    }
    Ok(new)
}

pub fn has_snapshot(v: &impl View, company_id: Id) -> Result<bool> {
    Ok(v.snapshots()
        .range((company_id, "")..(company_id + 1, ""))?
        .next()
        .is_some())
}

/// Whether a company's snapshot holds `link` (a canonical URL or a board id,
/// see [`NewLink::key`]).
pub fn snapshot_contains(v: &impl View, company_id: Id, link: &str) -> Result<bool> {
    Ok(v.snapshots().get((company_id, link))?.is_some())
}

/// How many links a company's snapshot holds (keys only; nothing decoded).
pub fn snapshot_len(v: &impl View, company_id: Id) -> Result<usize> {
    let mut n = 0;
    for row in v
        .snapshots()
        .range((company_id, "")..(company_id + 1, ""))?
    {
        row?;
        n += 1;
    }
    Ok(n)
}

/// Which postings to list.
#[derive(Debug, Clone, Default)]
pub struct PostingFilter {
    /// Only these companies (a user's tracked ones); `None` = all.
    pub companies: Option<Vec<Id>>,
    pub since: Option<Timestamp>,
    pub include_baseline: bool,
    pub limit: usize,
}

/// Postings, newest first.
///
/// Ids grow in commit order and `first_seen` is the commit time, so the scan
/// stops at the first posting older than `since` instead of reading the
/// whole history (a wall clock set backwards can make it stop early; the
/// postings it then skips were seen before the jump).
pub fn list_postings(v: &impl View, filter: &PostingFilter) -> Result<Vec<Posting>> {
    let mut out = Vec::new();
    scan_postings(v, filter, |p| {
        out.push(p);
        Ok(filter.limit == 0 || out.len() < filter.limit)
    })?;
    Ok(out)
}

/// Hand the postings `filter` selects (its `limit` aside), newest first, to
/// `f` until it returns false; nothing is collected.
pub fn scan_postings(
    v: &impl View,
    filter: &PostingFilter,
    mut f: impl FnMut(Posting) -> Result<bool>,
) -> Result<()> {
    for row in v.postings().iter()?.rev() {
        let (k, val) = row?;
        let p: Posting = codec::decode(val.value(), &k.value())?;
        if filter.since.is_some_and(|s| p.first_seen < s) {
            break;
        }
        if p.baseline && !filter.include_baseline {
            continue;
        }
        if let Some(cs) = &filter.companies
            && !cs.contains(&p.company_id)
        {
            continue;
        }
        if !f(p)? {
            break;
        }
    }
    Ok(())
}

pub fn set_attention(tx: &mut Tx<'_>, company_id: Id, reason: &str, now: Timestamp) -> Result<()> {
    let item = AttentionItem {
        company_id,
        reason: reason.to_string(),
        since: now,
    };
    put_record(&mut tx.attention, company_id, &item)
}

pub fn clear_attention(tx: &mut Tx<'_>, company_id: Id) -> Result<bool> {
    Ok(tx.attention.remove(company_id)?.is_some())
}

pub fn list_attention(v: &impl View) -> Result<Vec<AttentionItem>> {
    all_records(v.attention())
}

pub fn count_postings(v: &impl View) -> Result<u64> {
    Ok(v.postings().len()?)
}

pub fn get_posting(v: &impl View, id: Id) -> Result<Posting> {
    super::get_record(v.postings(), id)?.ok_or_else(|| super::StoreError::not_found("posting", id))
}
