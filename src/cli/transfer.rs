//! `scoutly export FILE` and `scoutly import FILE`: all state as versioned
//! JSON lines (`store::transfer`), to move an appliance between machines.
//!
//! An export reads one consistent snapshot: a backup copy made by whoever
//! holds the database (as `scoutly backup` does), read by this process and
//! removed. An import goes into a database that holds nothing yet, with
//! the appliance stopped, in one transaction.

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::admin::{self, AdminError};
use crate::config::{Env, Paths};
use crate::control::Request;
use crate::store::{Store, transfer};

pub fn export(
    paths: &Paths,
    config_flag: Option<&Path>,
    env: &dyn Env,
    file: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let made = super::execute(paths, config_flag, env, Request::Backup)?;
    let snapshot = PathBuf::from(made["path"].as_str().unwrap_or_default());
    let at = made["at"].as_str().unwrap_or_default().to_string();
    let result = write_export(&snapshot, file, &at);
    let _ = std::fs::remove_file(&snapshot);
    let rows = result?;
    if json {
        let out = serde_json::json!({"path": file.display().to_string(), "rows": rows, "at": at});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if file != Path::new("-") {
        println!("exported {rows} rows as of {at} to {}", file.display());
    }
    Ok(())
}

fn write_export(snapshot: &Path, file: &Path, at: &str) -> anyhow::Result<u64> {
    let store = Store::open(snapshot)
        .with_context(|| format!("cannot read the snapshot {}", snapshot.display()))?;
    if file == Path::new("-") {
        let mut out = BufWriter::new(std::io::stdout().lock());
        return Ok(store.read(|rx| transfer::export(rx, at, &mut out))?);
    }
    // FILE is whole or absent. The export's own errors pass through the
    // writer as I/O errors with their message.
    let rows = super::backup::write_whole(file, |out| {
        store
            .read(|rx| transfer::export(rx, at, out))
            .map_err(std::io::Error::other)
    })
    .with_context(|| format!("cannot write the export {}", file.display()))?;
    Ok(rows)
}

pub fn import(
    paths: &Paths,
    config: &crate::config::Config,
    file: &Path,
    json: bool,
) -> anyhow::Result<()> {
    match admin::call(&paths.socket(), &Request::Status) {
        Err(AdminError::NotRunning(_)) => {}
        _ => bail!(
            "the appliance is running on {}; stop it first (systemctl stop scoutly), then import",
            paths.data_dir.display()
        ),
    }
    let input = std::fs::File::open(file)
        .with_context(|| format!("cannot open the export {}", file.display()))?;
    paths.create()?;
    let db = paths.database();
    let store = Store::open_with_cache(&db, config.store.cache_size)?;
    let empty = store.read(|rx| {
        use redb::ReadableTableMetadata;
        Ok(rx.companies.is_empty()? && rx.users.is_empty()? && rx.jobs.is_empty()?)
    })?;
    if !empty {
        bail!(
            "the database {} already holds companies, users or jobs; import into a fresh data directory (--data-dir DIR), or move this one aside first",
            db.display()
        );
    }
    let rows = store
        .write(|tx| transfer::import(tx, BufReader::new(input)))
        .with_context(|| format!("cannot import {}; nothing was written", file.display()))?;
    if json {
        let out = serde_json::json!({"database": db.display().to_string(), "rows": rows});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "imported {rows} rows from {} into {}",
            file.display(),
            db.display()
        );
    }
    std::io::stdout().flush().ok();
    Ok(())
}
