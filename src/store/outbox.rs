//! The notification outbox.
//!
//! Invariant: an item is written in the same transaction as the facts it
//! announces, and leaves the outbox only when its sink accepted it (or it
//! is declared dead, which keeps it for the operator). Its idempotency key
//! is fixed when it is written, so every retry carries the same one.

use redb::{ReadableTable, ReadableTableMetadata};

use super::{Result, StoreError, Tx, View, get_record, meta_get, meta_set, next_id, put_record};
use crate::model::{Id, Message, OutboxItem, Timestamp};

/// What a new outbox item says and when it may go.
pub struct NewItem {
    pub sink: String,
    pub message: Message,
    pub due: Timestamp,
    pub digest_part: bool,
}

/// This appliance's id in idempotency keys, so two appliances sending to
/// one receiver never share a key.
fn instance(tx: &mut Tx<'_>) -> Result<u64> {
    if let Some(id) = meta_get(tx, "instance_id")? {
        return Ok(id);
    }
    let id: u64 = rand::random();
    meta_set(tx, "instance_id", id)?;
    Ok(id)
}

pub fn push(tx: &mut Tx<'_>, new: NewItem, now: Timestamp) -> Result<OutboxItem> {
    let id = next_id(tx, "outbox")?;
    let item = OutboxItem {
        id,
        key: format!("scoutly-{:016x}-{id}", instance(tx)?),
        sink: new.sink,
        message: new.message,
        created: now,
        due: new.due,
        attempts: 0,
        last_error: None,
        digest_part: new.digest_part,
        dead: false,
    };
    put_record(&mut tx.outbox, id, &item)?;
    tx.outbox_due.insert((item.due.key(), id), ())?;
    Ok(item)
}

/// Live items due at `now`, earliest first, at most `limit`.
pub fn due(v: &impl View, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>> {
    let mut out = Vec::new();
    for row in v.outbox_due().range(..=(now.key(), u64::MAX))? {
        let (k, _) = row?;
        let id = k.value().1;
        if let Some(item) = get_record(v.outbox(), id)? {
            out.push(item);
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Every live item of a sink waiting for its digest.
pub fn digest_parts(v: &impl View, sink: &str) -> Result<Vec<OutboxItem>> {
    let mut out = Vec::new();
    for row in v.outbox_due().iter()? {
        let (k, _) = row?;
        if let Some(item) = get_record::<OutboxItem>(v.outbox(), k.value().1)?
            && item.digest_part
            && item.sink == sink
        {
            out.push(item);
        }
    }
    Ok(out)
}

/// When the next live item falls due.
pub fn next_due(v: &impl View) -> Result<Option<Timestamp>> {
    Ok(v.outbox_due()
        .first()?
        .map(|(k, _)| Timestamp::from_millis(k.value().0.min(i64::MAX as u64) as i64)))
}

pub fn get(v: &impl View, id: Id) -> Result<Option<OutboxItem>> {
    get_record(v.outbox(), id)
}

/// The sink accepted it: gone.
pub fn remove(tx: &mut Tx<'_>, item: &OutboxItem) -> Result<()> {
    tx.outbox_due.remove((item.due.key(), item.id))?;
    tx.outbox.remove(item.id)?;
    Ok(())
}

/// Store a changed item (a failed try: attempts, error, new due time; or
/// declared dead), keeping the due index in step.
pub fn update(tx: &mut Tx<'_>, before: &OutboxItem, after: &OutboxItem) -> Result<()> {
    tx.outbox_due.remove((before.due.key(), before.id))?;
    if !after.dead {
        tx.outbox_due.insert((after.due.key(), after.id), ())?;
    }
    put_record(&mut tx.outbox, after.id, after)
}

/// (live, dead) items.
pub fn counts(v: &impl View) -> Result<(u64, u64)> {
    let live = v.outbox_due().len()?;
    let all = v.outbox().len()?;
    Ok((live, all.saturating_sub(live)))
}

/// Items oldest first: the live ones, or (`dead`) those given up.
pub fn list(v: &impl View, dead: bool, limit: usize) -> Result<Vec<OutboxItem>> {
    let mut out = Vec::new();
    for row in v.outbox().iter()? {
        let (k, val) = row?;
        let item: OutboxItem = crate::store::codec::decode(val.value(), &k.value())?;
        if item.dead == dead {
            out.push(item);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// A given-up item goes out again from `now`, under its key, with a fresh
/// `give_up_after`.
pub fn revive(tx: &mut Tx<'_>, id: Id, now: Timestamp) -> Result<OutboxItem> {
    let before = get(tx, id)?.ok_or_else(|| StoreError::not_found("notification", id))?;
    if !before.dead {
        return Err(StoreError::Conflict(format!(
            "notification {id} has not been given up; it is due {}",
            before.due.to_rfc3339()
        )));
    }
    let mut after = before.clone();
    after.dead = false;
    after.attempts = 0;
    after.created = now;
    after.due = now;
    after.last_error = None;
    update(tx, &before, &after)?;
    Ok(after)
}
