//! Companies, their unique names, and health updates.

use redb::ReadableTable;

use super::{Result, StoreError, Tx, View, all_records, codec, get_record, next_id, put_record};
use crate::model::{Company, CompanyHealth, Id, NewCompany, Rank, Timestamp};

/// Changes to a company; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub urls: Option<Vec<String>>,
    pub mode: Option<crate::model::FetchMode>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Find a company by id (all digits) or by name (case-insensitive).
pub fn company_by_ref(v: &impl View, reference: &str) -> Result<Company> {
    let reference = reference.trim();
    let id = match reference.parse::<u64>() {
        Ok(id) => Some(id),
        Err(_) => v
            .company_names()
            .get(name_key(reference).as_str())?
            .map(|g| g.value()),
    };
    match id {
        Some(id) => get_company(v, id),
        None => Err(StoreError::not_found("company", format!("{reference:?}"))),
    }
}

pub fn get_company(v: &impl View, id: Id) -> Result<Company> {
    get_record(v.companies(), id)?.ok_or_else(|| StoreError::not_found("company", id))
}

pub fn list_companies(v: &impl View) -> Result<Vec<Company>> {
    all_records(v.companies())
}

pub fn insert_company(tx: &mut Tx<'_>, new: NewCompany, now: Timestamp) -> Result<Company> {
    let key = name_key(&new.name);
    if tx.company_names.get(key.as_str())?.is_some() {
        return Err(StoreError::Conflict(format!(
            "a company named {:?} already exists; choose another name or change it with `scoutly company set`",
            new.name
        )));
    }
    let id = next_id(tx, "companies")?;
    let company = Company {
        id,
        name: new.name.trim().to_string(),
        urls: new.urls,
        mode: new.mode,
        backend: None,
        include: new.include,
        exclude: new.exclude,
        effective_rank: None,
        health: CompanyHealth::default(),
        created: now,
    };
    put_company(tx, &company)?;
    tx.company_names.insert(key.as_str(), id)?;
    Ok(company)
}

pub fn put_company(tx: &mut Tx<'_>, company: &Company) -> Result<()> {
    put_record(&mut tx.companies, company.id, company)
}

pub fn patch_company(tx: &mut Tx<'_>, id: Id, patch: CompanyPatch) -> Result<Company> {
    let mut company = get_company(tx, id)?;
    let before = company.clone();
    if let Some(name) = patch.name {
        let new_key = name_key(&name);
        let old_key = name_key(&company.name);
        if new_key != old_key {
            if tx.company_names.get(new_key.as_str())?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "a company named {name:?} already exists"
                )));
            }
            tx.company_names.remove(old_key.as_str())?;
            tx.company_names.insert(new_key.as_str(), id)?;
        }
        company.name = name.trim().to_string();
    }
    if let Some(urls) = patch.urls {
        company.urls = urls;
    }
    if let Some(mode) = patch.mode {
        company.mode = mode;
    }
    if let Some(include) = patch.include {
        company.include = include;
    }
    if let Some(exclude) = patch.exclude {
        company.exclude = exclude;
    }
    if (&before.urls, &before.include, &before.exclude, before.mode)
        != (
            &company.urls,
            &company.include,
            &company.exclude,
            company.mode,
        )
    {
        // Unchanged pages must be read again under the new settings.
        super::clear_page_cache(tx, id)?;
    }
    put_company(tx, &company)?;
    Ok(company)
}

/// Remove a company with its preferences, snapshot, postings (with their
/// details, matches and backlog entries) and attention item. The caller
/// cancels its active job first (queue owns jobs).
pub fn remove_company(tx: &mut Tx<'_>, id: Id) -> Result<Company> {
    let company = get_company(tx, id)?;
    tx.companies.remove(id)?;
    tx.company_names.remove(name_key(&company.name).as_str())?;
    let users: Vec<u64> = tx
        .prefs
        .range((id, 0)..=(id, u64::MAX))?
        .map(|r| r.map(|(k, _)| k.value().1))
        .collect::<Result<_, _>>()?;
    for user in users {
        tx.prefs.remove((id, user))?;
        tx.prefs_by_user.remove((user, id))?;
    }
    tx.snapshots
        .retain_in((id, "")..(id + 1, ""), |_, _| false)?;
    let postings: Vec<u64> = tx
        .postings
        .iter()?
        .filter_map(|r| {
            let (k, v) = r.ok()?;
            let p: crate::model::Posting = codec::decode(v.value(), &k.value()).ok()?;
            (p.company_id == id).then_some(p.id)
        })
        .collect();
    for p in postings {
        tx.postings.remove(p)?;
        tx.posting_details.remove(p)?;
        tx.matches.retain_in((p, 0)..=(p, u64::MAX), |_, _| false)?;
    }
    tx.analysis_backlog.retain(|_, v| {
        codec::decode::<crate::model::BacklogItem>(v, &"backlog").is_ok_and(|i| i.company_id != id)
    })?;
    tx.attention.remove(id)?;
    tx.company_failures.remove(id)?;
    super::clear_page_cache(tx, id)?;
    super::stats::remove_company(tx, id)?;
    Ok(company)
}

/// Recompute a company's effective rank from its tracked preferences: the
/// highest rank among users not marked inactive.
pub fn refresh_effective_rank(tx: &mut Tx<'_>, company_id: Id) -> Result<Option<Rank>> {
    let mut prefs = Vec::new();
    for row in tx.prefs.range((company_id, 0)..=(company_id, u64::MAX))? {
        let (k, v) = row?;
        let pref: crate::model::Preference = codec::decode(v.value(), &format!("{:?}", k.value()))?;
        prefs.push(pref);
    }
    let mut best: Option<Rank> = None;
    for pref in prefs {
        if pref.tracking
            && best.is_none_or(|b| pref.rank > b)
            && !super::users::is_inactive(tx, pref.user_id)?
        {
            best = Some(pref.rank);
        }
    }
    let mut company = get_company(tx, company_id)?;
    if company.effective_rank != best {
        company.effective_rank = best;
        put_company(tx, &company)?;
    }
    Ok(best)
}

/// Record a successful scrape in the company's health, and the job board
/// whose API it read (`None`: the scrape read HTML pages).
pub fn record_success(
    tx: &mut Tx<'_>,
    company_id: Id,
    now: Timestamp,
    backend: Option<&str>,
) -> Result<Company> {
    let mut c = get_company(tx, company_id)?;
    c.backend = backend.map(String::from);
    let h = &mut c.health;
    h.last_attempt = Some(now);
    h.last_success = Some(now);
    h.consecutive_failures = 0;
    h.successes += 1;
    h.backoff_until = None;
    h.last_error = None;
    if h.state != crate::model::CompanyState::Quarantined {
        h.state = crate::model::CompanyState::Healthy;
    }
    put_company(tx, &c)?;
    Ok(c)
}

/// Record a failed attempt. When `backoff_until` is given the company is not
/// scheduled again before then.
pub fn record_failure(
    tx: &mut Tx<'_>,
    company_id: Id,
    now: Timestamp,
    error: &str,
    backoff_until: Option<Timestamp>,
) -> Result<Company> {
    let mut c = get_company(tx, company_id)?;
    let h = &mut c.health;
    h.last_attempt = Some(now);
    h.consecutive_failures += 1;
    h.failures += 1;
    h.last_error = Some(error.to_string());
    if let Some(until) = backoff_until {
        h.backoff_until = Some(until);
        if h.state == crate::model::CompanyState::Healthy {
            h.state = crate::model::CompanyState::BackingOff;
        }
    }
    put_company(tx, &c)?;
    Ok(c)
}
