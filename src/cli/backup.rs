//! `scoutly backup DIR [--keep N]`: a consistent copy of the database into
//! `DIR/scoutly-<UTC time>.redb`, rotated.
//!
//! The copy is made by whoever holds the database (the running appliance
//! over the admin socket, else this process) next to the database, because
//! a sandboxed appliance can write nowhere else; this process then moves it
//! into DIR under a temporary name, syncs it and renames it, so DIR only
//! ever holds whole backups. Only files named like backups are rotated.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::{Env, Paths};
use crate::control::Request;

const PREFIX: &str = "scoutly-";
const SUFFIX: &str = ".redb";

pub fn run(
    paths: &Paths,
    config_flag: Option<&Path>,
    env: &dyn Env,
    dir: &Path,
    keep: Option<usize>,
    json: bool,
) -> anyhow::Result<()> {
    if keep == Some(0) {
        anyhow::bail!("--keep 0 would remove the backup just made; keep at least 1");
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the backup directory {}", dir.display()))?;
    let made = super::execute(paths, config_flag, env, Request::Backup)?;
    let partial = PathBuf::from(made["path"].as_str().unwrap_or_default());
    let at = made["at"].as_str().unwrap_or_default();
    let stamp = chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y%m%dT%H%M%S%.3fZ")
                .to_string()
        })
        .unwrap_or_else(|_| "unknown".into());
    let dest = unique(dir, &stamp);
    let moved = place(&partial, &dest);
    // Never leave a partial copy in the data directory.
    let _ = std::fs::remove_file(&partial);
    moved.with_context(|| {
        format!(
            "cannot write the backup to {}; check the directory's space and permissions",
            dest.display()
        )
    })?;
    let removed = match keep {
        Some(n) => rotate(dir, n)?,
        None => Vec::new(),
    };
    let bytes = made["bytes"].as_u64().unwrap_or(0);
    if json {
        let out = serde_json::json!({
            "path": dest.display().to_string(),
            "rows": made["rows"],
            "bytes": bytes,
            "at": at,
            "removed": removed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "backup: {} ({} rows, {:.1} MiB, as of {at})",
            dest.display(),
            made["rows"],
            bytes as f64 / (1 << 20) as f64
        );
        for r in &removed {
            println!("removed old backup {}", r.display());
        }
    }
    Ok(())
}

/// `DIR/scoutly-<stamp>.redb`, or with `-2`, `-3`… when that exists.
fn unique(dir: &Path, stamp: &str) -> PathBuf {
    let mut path = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{PREFIX}{stamp}-{n}{SUFFIX}"));
        n += 1;
    }
    path
}

/// Copy `from` to `to`, whole or not at all.
fn place(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut src = std::fs::File::open(from)?;
    write_whole(to, |out| std::io::copy(&mut src, out).map(|_| ()))
}

/// Write `to` through a temporary file in its directory, synced before and
/// after the rename: `to` is whole or absent, never half-written.
pub(super) fn write_whole<T>(
    to: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let tmp = to.with_extension("partial");
    let result = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let value = fill(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::rename(&tmp, to)?;
        if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Remove all but the newest `keep` backups (their names sort by time).
fn rotate(dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    // By name without `.redb`: time order, and `…Z` before `…Z-2`.
    backups.sort_by(|a, b| a.file_stem().cmp(&b.file_stem()));
    let excess = backups.len().saturating_sub(keep);
    let old: Vec<PathBuf> = backups.drain(..excess).collect();
    for p in &old {
        std::fs::remove_file(p).with_context(|| format!("cannot remove {}", p.display()))?;
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest_and_touches_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "scoutly-20261101T033000.000Z.redb",
            "scoutly-20261102T033000.000Z-2.redb",
            "scoutly-20261102T033000.000Z.redb",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let removed = rotate(dir.path(), 2).unwrap();
        assert_eq!(
            removed,
            [dir.path().join("scoutly-20261101T033000.000Z.redb")]
        );
        assert!(
            dir.path()
                .join("scoutly-20261102T033000.000Z-2.redb")
                .exists()
        );
        assert!(dir.path().join("notes.txt").exists());
        assert_eq!(
            unique(dir.path(), "20261102T033000.000Z"),
            dir.path().join("scoutly-20261102T033000.000Z-3.redb")
        );
    }
}
