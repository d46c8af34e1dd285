//! The open redb file: opened here at start, and again after an I/O error.
//!
//! After a write fails (a full disk, an I/O error), redb refuses every later
//! transaction ("previous I/O error") until the `Database` is closed and
//! opened again; without this a full disk would stop the appliance for good,
//! even after space returns. The first operation that meets that error
//! closes the handle once no other operation holds it and opens the file
//! again; redb checks and repairs it on open, back to its last durable
//! commit. While the file cannot be opened (the disk still full), operations
//! fail with the reason and try again at most once a second.
//!
//! Invariant: at most one `Database` for the file exists in this process at
//! any time (redb's file lock would refuse a second).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use redb::Database;

use super::{Result, StoreError};

/// How long a reopen waits for operations still holding the old handle.
const DRAIN: Duration = Duration::from_secs(5);
/// Least time between two attempts to open the file.
const RETRY: Duration = Duration::from_secs(1);

pub(super) struct Handle {
    slot: RwLock<Option<Arc<Database>>>,
    /// Held while closing and opening; the time of the last failed open.
    reopening: Mutex<Option<Instant>>,
    path: PathBuf,
    cache_size: usize,
}

impl Handle {
    /// Open (creating if needed) the file at `path` with a read cache of
    /// `cache_size` bytes.
    pub fn open(path: &Path, cache_size: usize) -> Result<Handle> {
        let db = create(path, cache_size)?;
        Ok(Handle {
            slot: RwLock::new(Some(Arc::new(db))),
            reopening: Mutex::new(None),
            path: path.to_path_buf(),
            cache_size,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open database, opening the file first when an earlier reopen
    /// could not.
    pub fn get(&self) -> Result<Arc<Database>> {
        if let Some(db) = self.slot.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Ok(db.clone());
        }
        let mut last_failure = self.reopening.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = self.slot.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Ok(db.clone());
        }
        if last_failure.is_some_and(|t| t.elapsed() < RETRY) {
            return Err(self.unavailable("the last attempt to open it failed; retrying shortly"));
        }
        match create(&self.path, self.cache_size) {
            Ok(db) => {
                *last_failure = None;
                let db = Arc::new(db);
                *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some(db.clone());
                tracing::warn!(path = %self.path.display(), "database opened again after an I/O error");
                Ok(db)
            }
            Err(e) => {
                *last_failure = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// `db` met redb's "previous I/O error": close it once no one else
    /// holds it (the next [`Handle::get`] opens the file again).
    pub fn close_failed(&self, db: Arc<Database>) {
        let _guard = self.reopening.lock().unwrap_or_else(|e| e.into_inner());
        let mut slot = self.slot.write().unwrap_or_else(|e| e.into_inner());
        if !slot.as_ref().is_some_and(|cur| Arc::ptr_eq(cur, &db)) {
            return; // already closed and perhaps reopened by another operation
        }
        let old = slot.take().expect("checked above");
        drop(slot);
        drop(db);
        // Operations that began on the old handle fail at once with the
        // same error; wait for them to let go.
        let deadline = Instant::now() + DRAIN;
        while Arc::strong_count(&old) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if Arc::strong_count(&old) > 1 {
            tracing::warn!("an operation still holds the failed database; trying again later");
            *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some(old);
            return;
        }
        tracing::warn!(path = %self.path.display(), "closing the database after an I/O error, to open it again");
        drop(old);
    }

    fn unavailable(&self, why: &str) -> StoreError {
        StoreError::Open {
            path: self.path.display().to_string(),
            message: format!("it was closed after an I/O error and {why}"),
        }
    }
}

/// Open (creating if needed) the redb file; another process holding it is
/// named by the PID it wrote beside the file.
fn create(path: &Path, cache_size: usize) -> Result<Database> {
    let shown = path.display().to_string();
    match redb::Builder::new().set_cache_size(cache_size).create(path) {
        Ok(db) => Ok(db),
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
            let holder = std::fs::read_to_string(super::pid_file(path))
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
                .map(|pid| format!("PID {pid}"))
                .unwrap_or_else(|| "PID unknown".into());
            Err(StoreError::InUse {
                path: shown,
                holder,
            })
        }
        Err(e) => Err(StoreError::Open {
            path: shown,
            message: e.to_string(),
        }),
    }
}
