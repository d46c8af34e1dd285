//! A consistent copy of the whole database while it is in use: one read
//! snapshot copied row by row into a new file, committed durably once.
//!
//! The snapshot is a single read transaction, so the copy is the database
//! as of one commit, whatever the appliance writes meanwhile (redb never
//! reuses pages a live snapshot can see). Copying rows rather than file
//! bytes also leaves the copy compact. The copy is written to a file that
//! does not exist yet; only a finished, synced copy carries data a caller
//! may rename into place.

use std::path::Path;

use redb::ReadableDatabase;

use super::tables::{Rx, Tx};
use super::{Result, Store, StoreError};

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupStats {
    pub rows: u64,
    pub bytes: u64,
}

/// Every row of every table of `rx` into `tx`. The list of tables is the
/// one `tables!` opens; `tests/backup.rs` compares every table's rows of a
/// copy with the original's, so a table left out here shows.
fn copy_all(rx: &Rx, tx: &mut Tx<'_>) -> Result<u64> {
    use redb::ReadableTable;
    let mut rows = 0u64;
    macro_rules! copy {
        ($($t:ident),* $(,)?) => {$(
            for row in rx.$t.iter()? {
                let (k, v) = row?;
                tx.$t.insert(k.value(), v.value())?;
                rows += 1;
            }
        )*};
    }
    copy!(
        meta,
        companies,
        company_names,
        users,
        user_names,
        user_tokens,
        prefs,
        prefs_by_user,
        jobs,
        job_checkpoints,
        jobs_runnable,
        jobs_active,
        jobs_leases,
        snapshots,
        postings,
        attention,
        company_failures,
        page_cache,
        user_criteria,
        posting_details,
        matches,
        analysis_backlog,
        ai_fields,
        ai_scores,
        outbox,
        outbox_due,
        state,
        job_stats,
        job_timing,
    );
    Ok(rows)
}

impl Store {
    /// Copy the database as of now into `dest`, which must not exist.
    pub fn backup(&self, dest: &Path) -> Result<BackupStats> {
        let shown = dest.display().to_string();
        let fail = |message: String| StoreError::Open {
            path: shown.clone(),
            message,
        };
        if dest.exists() {
            return Err(fail("the backup file already exists".into()));
        }
        let db = self.inner.db.get()?;
        let snapshot = db.begin_read()?;
        let rx = Rx::open(&snapshot)?;
        let copy = redb::Builder::new()
            .set_cache_size(4 << 20)
            .create(dest)
            .map_err(|e| fail(e.to_string()))?;
        let result = (|| {
            let txn = copy.begin_write()?;
            let rows = {
                let mut tx = Tx::open(&txn)?;
                copy_all(&rx, &mut tx)?
            };
            txn.commit()?;
            Ok(rows)
        })();
        drop(copy);
        match result {
            Ok(rows) => {
                let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
                Ok(BackupStats { rows, bytes })
            }
            Err(e) => {
                let _ = std::fs::remove_file(dest);
                Err(e)
            }
        }
    }
}

/// Each table of the database at `path` with its number of rows, by name:
/// what a copy must reproduce.
pub fn table_rows(path: &Path) -> Result<Vec<(String, u64)>> {
    use redb::{ReadableTableMetadata, TableHandle};
    let db = redb::Builder::new()
        .create(path)
        .map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    let txn = db.begin_read()?;
    let mut out = Vec::new();
    for handle in txn.list_tables()? {
        let name = handle.name().to_string();
        let rows = txn.open_untyped_table(handle)?.len()?;
        out.push((name, rows));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewCompany, Timestamp};

    #[test]
    fn a_backup_holds_every_table_and_row_and_opens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("live.redb")).unwrap();
        let now = Timestamp::from_millis(1_800_000_000_000);
        store
            .write(|tx| {
                crate::store::insert_company(
                    tx,
                    NewCompany {
                        name: "Acme".into(),
                        urls: vec!["https://acme.example/careers".into()],
                        mode: crate::model::FetchMode::Http,
                        include: vec![],
                        exclude: vec![],
                    },
                    now,
                )
            })
            .unwrap();
        let dest = dir.path().join("copy.redb");
        let stats = store.backup(&dest).unwrap();
        assert!(stats.rows >= 3 && stats.bytes > 0, "{stats:?}");
        assert!(
            table_rows(store.path()).is_err(),
            "the live file is locked by its store"
        );
        drop(store);
        let live = table_rows(&dir.path().join("live.redb")).unwrap();
        let copy = table_rows(&dest).unwrap();
        assert_eq!(live, copy);
        let reopened = Store::open(&dest).unwrap();
        let names: Vec<String> = reopened
            .read(crate::store::list_companies)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["Acme"]);
        // A second backup to the same file is refused, not overwritten.
        assert!(reopened.backup(&dest).is_err());
    }
}
