//! The redb file: tables, record encoding, schema version, migrations.
//!
//! Owns every byte on disk; nothing else knows the encoding. All access is
//! through [`Store::read`] and [`Store::write`], which run a closure inside one
//! transaction; callers on the async runtime use [`Store::run`] so redb's
//! blocking I/O stays off the async workers.
//!
//! Invariants:
//! - One process opens the file (redb's file lock). A second gets
//!   [`StoreError::InUse`] at once, with the holder's PID, never a hang.
//! - `meta["schema_version"]` equals [`SCHEMA_VERSION`] after open: older
//!   files are migrated in one transaction, newer ones refused.
//! - Ids come from per-table counters in `meta` and are never reused.

mod analysis;
pub mod backup;
pub mod codec;
mod companies;
mod handle;
mod health;
mod legacy;
pub mod outbox;
mod postings;
mod schema;
pub mod stats;
pub mod tables;
pub mod transfer;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable};

pub use analysis::BacklogKey;
pub use companies::{CompanyPatch, company_by_ref};
pub use postings::PostingFilter;
pub use schema::SCHEMA_VERSION;
pub use tables::{Rx, Tx, View};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database {path} is in use by another process ({holder}); stop that process, or while `scoutly run` is running use the CLI, which then talks to it over its admin socket"
    )]
    InUse { path: String, holder: String },
    #[error(
        "database {path} was written by a newer Scoutly (schema version {found}; this build reads up to {supported}); install the newer scoutly or restore a backup"
    )]
    NewerSchema {
        path: String,
        found: u64,
        supported: u64,
    },
    #[error("cannot open database {path}: {message}")]
    Open { path: String, message: String },
    #[error("database error: {0}; if it persists, check the disk and restore from a backup")]
    Db(#[from] redb::Error),
    #[error("stored record {table}/{key} cannot be decoded ({reason}); restore from a backup")]
    Decode {
        table: &'static str,
        key: String,
        reason: String,
    },
    #[error("{what} {key} not found{}", list_hint(what))]
    NotFound { what: &'static str, key: String },
    #[error("a store task failed: {0}; this is a bug, please report it with the log")]
    Task(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    Invalid(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Where to look up valid references, for "not found" messages.
fn list_hint(what: &str) -> &'static str {
    match what {
        "company" => " (see `scoutly company list`)",
        "user" => " (see `scoutly user list`)",
        "job" => " (see `scoutly jobs list`)",
        _ => "",
    }
}

impl StoreError {
    pub fn not_found(what: &'static str, key: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            what,
            key: key.to_string(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// redb's own default is 1 GiB, which a scheduler pass over every company
/// would fill; the OS page cache keeps recently read pages anyway, so a small
/// cache keeps the appliance's memory low at little cost.
pub const DEFAULT_CACHE_SIZE: usize = 4 << 20;

/// Handle to the open database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: handle::Handle,
    /// Lazy commits so far (counted after each commits).
    lazy: AtomicU64,
    /// The `lazy` count the last durable commit is known to cover.
    flushed: AtomicU64,
    /// Durable commits so far, for status and tests.
    durable: AtomicU64,
}

/// How a commit reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// On disk (fsync) before `write` returns: survives a power cut.
    Durable,
    /// Visible to every later transaction at once, but on disk only with the
    /// next durable commit or [`Store::flush`]: a power cut may undo it. For
    /// routine progress whose loss only means a scrape runs again.
    Lazy,
    /// `f` wrote nothing: the transaction is dropped, costing no disk work.
    Unchanged,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.db.path())
            .finish()
    }
}

fn pid_file(db: &Path) -> PathBuf {
    db.with_extension("pid")
}

impl Store {
    /// Open (creating if needed) the database at `path` with the default
    /// cache size, migrating it to the current schema.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with_cache(path, DEFAULT_CACHE_SIZE)
    }

    /// Open with a read cache of `cache_size` bytes (`store.cache_size`).
    pub fn open_with_cache(path: &Path, cache_size: usize) -> Result<Store> {
        let db = handle::Handle::open(path, cache_size)?;
        // Best effort: the PID only improves the "in use" message.
        let _ = std::fs::write(pid_file(path), format!("{}\n", std::process::id()));
        let store = Store {
            inner: Arc::new(Inner {
                db,
                lazy: AtomicU64::new(0),
                flushed: AtomicU64::new(0),
                durable: AtomicU64::new(0),
            }),
        };
        schema::upgrade(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        self.inner.db.path()
    }

    /// Run `f` in a read-only snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Rx) -> Result<T>) -> Result<T> {
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let tables = Rx::open(&txn)?;
            f(&tables)
        })
    }

    /// Run `f` on the open database; after redb's "previous I/O error" the
    /// database is closed, to be opened again by the next operation
    /// (`handle.rs`).
    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T>) -> Result<T> {
        let db = self.inner.db.get()?;
        let out = f(&db);
        if matches!(out, Err(StoreError::Db(redb::Error::PreviousIo))) {
            self.inner.db.close_failed(db);
            // Lazy commits not yet on disk went with the failed handle.
            let lazy = self.inner.lazy.load(Ordering::Acquire);
            self.inner.flushed.fetch_max(lazy, Ordering::AcqRel);
        }
        out
    }

    /// Run `f` in one read-write transaction; commits durably, and only when
    /// `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_as(|tx| f(tx).map(|out| (out, Commit::Durable)))
    }

    /// [`Store::write`] with a [`Commit::Lazy`] commit.
    pub fn write_lazy<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_as(|tx| f(tx).map(|out| (out, Commit::Lazy)))
    }

    /// Run `f` in one read-write transaction; `f` decides how it commits
    /// (for example durably only when it recorded new postings).
    pub fn write_as<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<(T, Commit)>) -> Result<T> {
        self.with_db(|db| self.write_on(db, f))
    }

    fn write_on<T>(
        &self,
        db: &Database,
        f: impl FnOnce(&mut Tx<'_>) -> Result<(T, Commit)>,
    ) -> Result<T> {
        let mut txn = db.begin_write()?;
        // Lazy commits that finished before this transaction began are
        // covered by it if it is durable; one counted later only costs an
        // extra flush.
        let covers = self.inner.lazy.load(Ordering::Acquire);
        let (out, how) = {
            let mut tables = Tx::open(&txn)?;
            f(&mut tables)?
        };
        if how == Commit::Unchanged {
            txn.abort()?;
            return Ok(out);
        }
        if how == Commit::Lazy {
            // Refused only in redb's multi-process modes, which are not used.
            txn.set_durability(redb::Durability::None)
                .map_err(|e| StoreError::Task(e.to_string()))?;
        }
        txn.commit()?;
        match how {
            Commit::Lazy => {
                self.inner.lazy.fetch_add(1, Ordering::AcqRel);
            }
            Commit::Durable => {
                self.inner.flushed.fetch_max(covers, Ordering::AcqRel);
                self.inner.durable.fetch_add(1, Ordering::AcqRel);
            }
            Commit::Unchanged => {}
        }
        Ok(out)
    }

    /// Put lazy commits on disk; returns whether there were any.
    pub fn flush(&self) -> Result<bool> {
        if !self.has_unflushed() {
            return Ok(false);
        }
        self.write(|_| Ok(()))?;
        Ok(true)
    }

    /// Whether lazy commits are waiting for a durable one.
    pub fn has_unflushed(&self) -> bool {
        self.inner.has_unflushed()
    }

    /// Durable commits made through this handle since the file was opened.
    pub fn durable_commits(&self) -> u64 {
        self.inner.durable.load(Ordering::Acquire)
    }

    /// Run blocking store work on tokio's blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Task(e.to_string())),
        }
    }

    /// Whether a write transaction can be committed right now.
    pub fn probe_writable(&self) -> Result<()> {
        self.with_db(|db| {
            let txn = db.begin_write()?;
            txn.open_table(tables::META)?;
            txn.commit()?;
            Ok(())
        })
    }
}

impl Inner {
    fn has_unflushed(&self) -> bool {
        self.lazy.load(Ordering::Acquire) > self.flushed.load(Ordering::Acquire)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Whatever exits without flushing (a CLI command, an early error)
        // still leaves its lazy commits on disk.
        if self.has_unflushed() {
            let flushed = self.db.get().map(|db| db.begin_write().map(|t| t.commit()));
            if !matches!(flushed, Ok(Ok(Ok(())))) {
                tracing::warn!("could not write the last progress to disk at close");
            }
        }
        let _ = std::fs::remove_file(pid_file(self.db.path()));
    }
}

/// Read a counter or setting from `meta`.
pub fn meta_get(v: &impl View, key: &str) -> Result<Option<u64>> {
    Ok(v.meta().get(key)?.map(|g| g.value()))
}

pub fn meta_set(tx: &mut Tx<'_>, key: &str, value: u64) -> Result<()> {
    tx.meta.insert(key, value)?;
    Ok(())
}

/// Allocate the next id of a table (ids start at 1).
pub fn next_id(tx: &mut Tx<'_>, table: &str) -> Result<u64> {
    let key = format!("next_id.{table}");
    let id = meta_get(tx, &key)?.unwrap_or(1);
    meta_set(tx, &key, id + 1)?;
    Ok(id)
}

/// Decode every record of a `u64 → bytes` table.
pub fn all_records<R: codec::Record>(t: &impl ReadableTable<u64, tables::Bytes>) -> Result<Vec<R>> {
    let mut out = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        out.push(codec::decode(v.value(), &k.value())?);
    }
    Ok(out)
}

/// Decode one record of a `u64 → bytes` table.
pub fn get_record<R: codec::Record>(
    t: &impl ReadableTable<u64, tables::Bytes>,
    id: u64,
) -> Result<Option<R>> {
    match t.get(id)? {
        Some(v) => Ok(Some(codec::decode(v.value(), &id)?)),
        None => Ok(None),
    }
}

pub fn put_record<R: codec::Record>(
    t: &mut redb::Table<'_, u64, tables::Bytes>,
    id: u64,
    record: &R,
) -> Result<()> {
    t.insert(id, codec::encode(record).as_slice())?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;

pub use analysis::{
    analysis_of, backlog, backlog_len, backlog_next, budget_use, cache_fields, cache_score,
    cached_fields, cached_score, criteria, details, enqueue_analysis, match_for, matches_of,
    put_budget_use, put_details, put_match, remove_backlog, set_criteria, update_backlog,
};
pub use companies::{
    get_company, insert_company, list_companies, patch_company, put_company, record_failure,
    record_success, remove_company,
};
pub use health::{
    clear_page_cache, failure_stats, page_cache, put_page_cache, quarantine, record_failure_class,
    record_success_streak, resume, set_circuit_open,
};
pub use postings::{
    clear_attention, count_postings, get_posting, has_snapshot, list_attention, list_postings,
    record_links, scan_postings, set_attention, snapshot_contains, snapshot_len,
};
pub use users::{
    get_user, hash_token, inactive_users, insert_user, is_inactive, list_users,
    preferences_of_user, set_token, sweep_activity, touch_user, track, tracked_companies, trackers,
    untrack, user_by_ref, user_by_token,
};
