//! Analysis records: users' criteria, posting details, matches, the
//! analysis backlog, the AI cache and the AI budget's use.
//!
//! Invariant: a posting is in the backlog until the transaction that
//! stores its matches (and the notifications they cause) removes it; a
//! posting is never dropped from it for lack of budget.

use redb::{ReadableTable, ReadableTableMetadata};

use super::{Result, Tx, View, codec, get_record, put_record};
use crate::model::{
    AiFields, BacklogItem, BudgetUse, Criteria, Id, Match, Posting, PostingDetails, Stage,
    Timestamp,
};

/// Where a backlog item sits: `(100 - rank, first_seen, posting)`.
pub type BacklogKey = (u8, u64, u64);

const BUDGET: &str = "ai_budget";

pub fn criteria(v: &impl View, user_id: Id) -> Result<Criteria> {
    Ok(get_record(v.user_criteria(), user_id)?.unwrap_or_default())
}

pub fn set_criteria(tx: &mut Tx<'_>, user_id: Id, c: &Criteria) -> Result<()> {
    super::get_user(tx, user_id)?;
    put_record(&mut tx.user_criteria, user_id, c)
}

/// Put a new posting in the backlog, ranked by its company's rank now.
pub fn enqueue_analysis(tx: &mut Tx<'_>, p: &Posting, rank: u8) -> Result<()> {
    let key: BacklogKey = (100 - rank.min(100), p.first_seen.key(), p.id);
    let item = BacklogItem {
        posting_id: p.id,
        company_id: p.company_id,
        stage: Stage::Details,
        attempts: 0,
        not_before: p.first_seen,
        last_error: None,
    };
    tx.analysis_backlog
        .insert(key, codec::encode(&item).as_slice())?;
    Ok(())
}

/// Backlog items that may be tried at `now`, in order (highest rank, then
/// oldest), at most `limit`.
pub fn backlog(
    v: &impl View,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<(BacklogKey, BacklogItem)>> {
    let mut out = Vec::new();
    for row in v.analysis_backlog().iter()? {
        let (k, val) = row?;
        let key = k.value();
        let item: BacklogItem = codec::decode(val.value(), &key.2)?;
        if item.not_before <= now {
            out.push((key, item));
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// The earliest `not_before` in the backlog.
pub fn backlog_next(v: &impl View) -> Result<Option<Timestamp>> {
    let mut next: Option<Timestamp> = None;
    for row in v.analysis_backlog().iter()? {
        let (k, val) = row?;
        let item: BacklogItem = codec::decode(val.value(), &k.value().2)?;
        next = Some(next.map_or(item.not_before, |n| n.min(item.not_before)));
    }
    Ok(next)
}

pub fn backlog_len(v: &impl View) -> Result<u64> {
    Ok(v.analysis_backlog().len()?)
}

/// Rewrite a backlog item; false (and nothing written) when it has left the
/// backlog meanwhile (settled, or its company removed).
pub fn update_backlog(tx: &mut Tx<'_>, key: BacklogKey, item: &BacklogItem) -> Result<bool> {
    if tx.analysis_backlog.get(key)?.is_none() {
        return Ok(false);
    }
    tx.analysis_backlog
        .insert(key, codec::encode(item).as_slice())?;
    Ok(true)
}

/// Whether the item was still there (another commit may have taken it).
pub fn remove_backlog(tx: &mut Tx<'_>, key: BacklogKey) -> Result<bool> {
    Ok(tx.analysis_backlog.remove(key)?.is_some())
}

pub fn details(v: &impl View, posting_id: Id) -> Result<Option<PostingDetails>> {
    get_record(v.posting_details(), posting_id)
}

pub fn put_details(tx: &mut Tx<'_>, posting_id: Id, d: &PostingDetails) -> Result<()> {
    put_record(&mut tx.posting_details, posting_id, d)
}

pub fn put_match(tx: &mut Tx<'_>, posting_id: Id, user_id: Id, m: &Match) -> Result<()> {
    tx.matches
        .insert((posting_id, user_id), codec::encode(m).as_slice())?;
    Ok(())
}

pub fn match_for(v: &impl View, posting_id: Id, user_id: Id) -> Result<Option<Match>> {
    match v.matches().get((posting_id, user_id))? {
        Some(g) => Ok(Some(codec::decode(g.value(), &posting_id)?)),
        None => Ok(None),
    }
}

/// Every user's match for a posting.
pub fn matches_of(v: &impl View, posting_id: Id) -> Result<Vec<(Id, Match)>> {
    let mut out = Vec::new();
    for row in v
        .matches()
        .range((posting_id, 0)..=(posting_id, u64::MAX))?
    {
        let (k, val) = row?;
        out.push((k.value().1, codec::decode(val.value(), &posting_id)?));
    }
    Ok(out)
}

pub fn cached_fields(v: &impl View, text_hash: &[u8; 32]) -> Result<Option<AiFields>> {
    match v.ai_fields().get(text_hash.as_slice())? {
        Some(g) => Ok(Some(codec::decode(g.value(), &"fields")?)),
        None => Ok(None),
    }
}

pub fn cache_fields(tx: &mut Tx<'_>, text_hash: &[u8; 32], f: &AiFields) -> Result<()> {
    tx.ai_fields
        .insert(text_hash.as_slice(), codec::encode(f).as_slice())?;
    Ok(())
}

fn score_key(text_hash: &[u8; 32], criteria_hash: &[u8; 32]) -> [u8; 64] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(text_hash);
    k[32..].copy_from_slice(criteria_hash);
    k
}

pub fn cached_score(
    v: &impl View,
    text_hash: &[u8; 32],
    criteria_hash: &[u8; 32],
) -> Result<Option<Match>> {
    match v
        .ai_scores()
        .get(score_key(text_hash, criteria_hash).as_slice())?
    {
        Some(g) => Ok(Some(codec::decode(g.value(), &"score")?)),
        None => Ok(None),
    }
}

pub fn cache_score(
    tx: &mut Tx<'_>,
    text_hash: &[u8; 32],
    criteria_hash: &[u8; 32],
    m: &Match,
) -> Result<()> {
    tx.ai_scores.insert(
        score_key(text_hash, criteria_hash).as_slice(),
        codec::encode(m).as_slice(),
    )?;
    Ok(())
}

pub fn budget_use(v: &impl View) -> Result<BudgetUse> {
    match v.state().get(BUDGET)? {
        Some(g) => codec::decode(g.value(), &BUDGET),
        None => Ok(BudgetUse::default()),
    }
}

pub fn put_budget_use(tx: &mut Tx<'_>, b: &BudgetUse) -> Result<()> {
    tx.state.insert(BUDGET, codec::encode(b).as_slice())?;
    Ok(())
}

/// What analysis stored about a posting: its details and users' matches.
pub type Analysed = (Option<PostingDetails>, Vec<(Id, Match)>);

/// A posting's details and its matches (only `user`'s when given).
pub fn analysis_of(v: &impl View, posting_id: Id, user: Option<Id>) -> Result<Analysed> {
    let details = details(v, posting_id)?;
    let matches = match user {
        Some(u) => match_for(v, posting_id, u)?
            .map(|m| vec![(u, m)])
            .unwrap_or_default(),
        None => matches_of(v, posting_id)?,
    };
    Ok((details, matches))
}
