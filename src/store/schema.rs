//! Schema version and migrations.
//!
//! To change the on-disk format: bump [`SCHEMA_VERSION`], add one function to
//! [`MIGRATIONS`] that rewrites version N-1 data into version N inside the
//! given transaction, and keep a fixture file of the old version in `tests/`
//! that must still open.

use super::{Result, Store, StoreError, Tx, meta_get, meta_set};

/// The schema this build writes.
pub const SCHEMA_VERSION: u64 = 2;

const KEY: &str = "schema_version";

type Migration = fn(&mut Tx<'_>) -> Result<()>;

/// `MIGRATIONS[i]` turns schema `i + 1` into `i + 2`.
const MIGRATIONS: &[Migration] = &[v1_to_v2];

/// Version 2 added job-board details to postings, checkpoints and the page
/// cache. Their
/// format-1 records are upgraded as they are read (`store::legacy`), so
/// nothing is rewritten; the version bump keeps an older build, which cannot
/// read format 2, from opening the file.
fn v1_to_v2(_tx: &mut Tx<'_>) -> Result<()> {
    Ok(())
}

pub(super) fn upgrade(store: &Store) -> Result<()> {
    let path = store.path().display().to_string();
    store.write(|tx| {
        let found = meta_get(tx, KEY)?;
        let Some(mut version) = found else {
            // A new file: stamp it.
            return meta_set(tx, KEY, SCHEMA_VERSION);
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        while version < SCHEMA_VERSION {
            let step = MIGRATIONS.get((version - 1) as usize).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "this build cannot upgrade a database at schema version {version}; install a newer scoutly or restore a backup"
                ))
            })?;
            step(tx)?;
            version += 1;
            tracing::info!(version, "database migrated");
        }
        meta_set(tx, KEY, SCHEMA_VERSION)
    })
}
