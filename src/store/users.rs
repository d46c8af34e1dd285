//! Users, token hashes and preferences.

use redb::ReadableTable;
use sha2::{Digest, Sha256};

use super::companies::{get_company, refresh_effective_rank};
use super::{Result, StoreError, Tx, View, all_records, codec, get_record, next_id, put_record};
use crate::model::{Id, OPERATOR_USER, Preference, REVOKED, Rank, Role, Timestamp, User};

/// SHA-256 of an API token: the only form in which tokens are stored.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn insert_user(
    tx: &mut Tx<'_>,
    name: &str,
    role: Role,
    token_hash: [u8; 32],
    now: Timestamp,
) -> Result<User> {
    let key = name_key(name);
    if tx.user_names.get(key.as_str())?.is_some() {
        return Err(StoreError::Conflict(format!(
            "a user named {name:?} already exists; choose another name"
        )));
    }
    let id = next_id(tx, "users")?;
    let user = User {
        id,
        name: name.trim().to_string(),
        role,
        token_hash,
        created: now,
        last_seen: None,
    };
    put_record(&mut tx.users, id, &user)?;
    tx.user_names.insert(key.as_str(), id)?;
    tx.user_tokens.insert(token_hash.as_slice(), id)?;
    Ok(user)
}

pub fn get_user(v: &impl View, id: Id) -> Result<User> {
    get_record(v.users(), id)?.ok_or_else(|| StoreError::not_found("user", id))
}

/// Find a user by id (digits) or name.
pub fn user_by_ref(v: &impl View, reference: &str) -> Result<User> {
    let reference = reference.trim();
    let id = match reference.parse::<u64>() {
        Ok(id) => Some(id),
        Err(_) => v
            .user_names()
            .get(name_key(reference).as_str())?
            .map(|g| g.value()),
    };
    match id {
        Some(id) => get_user(v, id),
        None => Err(StoreError::not_found("user", format!("{reference:?}"))),
    }
}

pub fn user_by_token(v: &impl View, token: &str) -> Result<Option<User>> {
    let hash = hash_token(token);
    match v.user_tokens().get(hash.as_slice())? {
        Some(id) => Ok(Some(get_user(v, id.value())?)),
        None => Ok(None),
    }
}

pub fn list_users(v: &impl View) -> Result<Vec<User>> {
    all_records(v.users())
}

/// Set a user's rank for a company and start tracking it.
pub fn track(
    tx: &mut Tx<'_>,
    user_id: Id,
    company_id: Id,
    rank: Rank,
    now: Timestamp,
) -> Result<Preference> {
    get_user(tx, user_id)?;
    get_company(tx, company_id)?;
    let pref = Preference {
        user_id,
        company_id,
        rank,
        tracking: true,
        updated: now,
    };
    tx.prefs
        .insert((company_id, user_id), codec::encode(&pref).as_slice())?;
    tx.prefs_by_user.insert((user_id, company_id), ())?;
    refresh_effective_rank(tx, company_id)?;
    Ok(pref)
}

/// Stop tracking; the preference is removed.
pub fn untrack(tx: &mut Tx<'_>, user_id: Id, company_id: Id) -> Result<()> {
    let existed = tx.prefs.remove((company_id, user_id))?.is_some();
    tx.prefs_by_user.remove((user_id, company_id))?;
    if !existed {
        return Err(StoreError::not_found(
            "preference",
            format!("of user {user_id} for company {company_id}"),
        ));
    }
    refresh_effective_rank(tx, company_id)?;
    Ok(())
}

/// `meta` key: when activity started being judged (the first sweep).
const ACTIVITY_SINCE: &str = "activity_since";

/// `meta` key marking a user inactive (value: when the mark was made).
fn inactive_key(user_id: Id) -> String {
    format!("inactive_user.{user_id}")
}

/// Whether the last activity sweep marked the user inactive: their ranks do
/// not count toward companies' effective ranks.
pub fn is_inactive(v: &impl View, user_id: Id) -> Result<bool> {
    Ok(super::meta_get(v, &inactive_key(user_id))?.is_some())
}

/// Recompute the effective rank of every company the user has a preference
/// for.
fn refresh_ranks_of(tx: &mut Tx<'_>, user_id: Id) -> Result<()> {
    for pref in preferences_of_user(tx, user_id)? {
        refresh_effective_rank(tx, pref.company_id)?;
    }
    Ok(())
}

/// Mark users inactive whose last activity is more than `after` before
/// `now`, and active again those who came back, refreshing the effective
/// ranks of their companies. `after: None` counts everyone as active.
/// Activity is counted from the first sweep at the earliest, so users of an
/// appliance upgraded from a version that recorded no activity are not all
/// inactive at once. The operator user (the console's owner) is never
/// inactive. Returns how many users changed.
pub fn sweep_activity(
    tx: &mut Tx<'_>,
    now: Timestamp,
    after: Option<std::time::Duration>,
) -> Result<usize> {
    let floor = match super::meta_get(tx, ACTIVITY_SINCE)? {
        Some(ms) => Timestamp::from_millis(ms as i64),
        None => {
            tx.meta.insert(ACTIVITY_SINCE, now.key())?;
            now
        }
    };
    let mut changed = 0;
    for user in list_users(tx)? {
        let inactive = user.name != OPERATOR_USER
            && after.is_some_and(|a| now.since(user.last_active().max(floor)) > a);
        if inactive == is_inactive(tx, user.id)? {
            continue;
        }
        if inactive {
            tracing::warn!(user = %user.name, "no API or dashboard request for scheduler.inactive_user_after: this user's ranks no longer count until their next request");
            tx.meta.insert(inactive_key(user.id).as_str(), now.key())?;
        } else {
            tx.meta.remove(inactive_key(user.id).as_str())?;
        }
        refresh_ranks_of(tx, user.id)?;
        changed += 1;
    }
    Ok(changed)
}

/// Names of the users the last sweep marked inactive.
pub fn inactive_users(v: &impl View) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for user in list_users(v)? {
        if is_inactive(v, user.id)? {
            out.push(user.name);
        }
    }
    Ok(out)
}

/// Record a user's API or dashboard request: their last activity, and if
/// they were inactive, their ranks count again at once. Returns whether
/// they came back.
pub fn touch_user(tx: &mut Tx<'_>, user_id: Id, now: Timestamp) -> Result<bool> {
    let mut user = get_user(tx, user_id)?;
    user.last_seen = Some(now);
    put_record(&mut tx.users, user_id, &user)?;
    if !is_inactive(tx, user_id)? {
        return Ok(false);
    }
    tx.meta.remove(inactive_key(user_id).as_str())?;
    refresh_ranks_of(tx, user_id)?;
    Ok(true)
}

pub fn preferences_of_user(v: &impl View, user_id: Id) -> Result<Vec<Preference>> {
    let mut out = Vec::new();
    for row in v
        .prefs_by_user()
        .range((user_id, 0)..=(user_id, u64::MAX))?
    {
        let (company, user) = {
            let (k, _) = row?;
            (k.value().1, k.value().0)
        };
        if let Some(v) = v.prefs().get((company, user))? {
            out.push(codec::decode(v.value(), &format!("({company}, {user})"))?);
        }
    }
    Ok(out)
}

/// Companies a user tracks (ids), for filtering postings.
pub fn tracked_companies(v: &impl View, user_id: Id) -> Result<Vec<Id>> {
    Ok(preferences_of_user(v, user_id)?
        .into_iter()
        .filter(|p| p.tracking)
        .map(|p| p.company_id)
        .collect())
}

/// The preferences of users who track a company.
pub fn trackers(v: &impl View, company_id: Id) -> Result<Vec<Preference>> {
    let mut out = Vec::new();
    for row in v.prefs().range((company_id, 0)..=(company_id, u64::MAX))? {
        let (k, val) = row?;
        let pref: Preference = codec::decode(val.value(), &format!("{:?}", k.value()))?;
        if pref.tracking {
            out.push(pref);
        }
    }
    Ok(out)
}

/// Give a user a new token hash (rotation) or, with `None`, none at all
/// (revocation). The old token stops working in the same transaction.
pub fn set_token(tx: &mut Tx<'_>, user_id: Id, hash: Option<[u8; 32]>) -> Result<User> {
    let mut user = get_user(tx, user_id)?;
    let old = user.token_hash;
    let owner = tx.user_tokens.get(old.as_slice())?.map(|g| g.value());
    if owner == Some(user_id) {
        tx.user_tokens.remove(old.as_slice())?;
    }
    user.token_hash = hash.unwrap_or(REVOKED);
    if let Some(h) = hash {
        tx.user_tokens.insert(h.as_slice(), user_id)?;
    }
    put_record(&mut tx.users, user_id, &user)?;
    Ok(user)
}
