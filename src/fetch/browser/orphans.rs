//! Chromium left behind by an appliance that died without closing it (kill
//! -9, an out-of-memory kill, a panic that aborted): Chromium does not end
//! when the process driving it does, so at start the appliance ends every
//! Chromium running on one of its profile directories whose owner is gone,
//! and removes those directories.
//!
//! A profile directory is `scoutly-chromium-{owner pid}-…` in the temporary
//! directory (`launch.rs`). Its owner is gone when no process has that pid,
//! or when the pid is this process's own: nothing has been launched yet when
//! the sweep runs, so a directory naming it is a dead predecessor's whose
//! pid was given out again (as in a container, where pids start over).

use std::path::{Path, PathBuf};

/// The profile directories' name prefix.
pub(super) const PREFIX: &str = "scoutly-chromium-";

/// What a sweep ended and removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub processes: usize,
    pub profiles: usize,
}

/// End orphaned Chromium processes and remove their profiles; call it
/// before the first launch.
pub fn sweep() -> Swept {
    sweep_in(&std::env::temp_dir(), Some(std::process::id()))
}

/// `me`: this process's pid, whose profiles count as stale (none launched yet).
fn sweep_in(tmp: &Path, me: Option<u32>) -> Swept {
    let stale = |dir: &Path| owner(dir).is_some_and(|pid| Some(pid) == me || !alive(pid));
    let mut out = Swept::default();
    for (pid, profile) in browsers(tmp) {
        if stale(&profile) && unsafe { libc::kill(pid as i32, libc::SIGKILL) } == 0 {
            out.processes += 1;
        }
    }
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if stale(&path) && std::fs::remove_dir_all(&path).is_ok() {
            out.profiles += 1;
        }
    }
    out
}

/// The pid in a profile directory's name, when it is one of ours.
fn owner(dir: &Path) -> Option<u32> {
    let name = dir.file_name()?.to_str()?;
    name.strip_prefix(PREFIX)?.split('-').next()?.parse().ok()
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Running processes with `--user-data-dir=` one of our profiles under
/// `tmp`, with that profile.
fn browsers(tmp: &Path) -> Vec<(u32, PathBuf)> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let flag = format!("--user-data-dir={}", tmp.join(PREFIX).display());
    procs
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let arg = cmdline
                .split(|b| *b == 0)
                .filter_map(|a| std::str::from_utf8(a).ok())
                .find(|a| a.starts_with(&flag))?;
            let dir = PathBuf::from(arg.strip_prefix("--user-data-dir=")?);
            Some((pid, dir))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_read_from_our_profile_names_only() {
        let tmp = std::env::temp_dir();
        assert_eq!(owner(&tmp.join("scoutly-chromium-4711-0-00ff")), Some(4711));
        assert_eq!(owner(&tmp.join("scoutly-chromium-x-0-00ff")), None);
        assert_eq!(owner(&tmp.join("other-4711")), None);
    }

    #[test]
    fn a_profile_whose_owner_is_gone_is_removed_and_a_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        // Pid 0 is never a process's; our parent is alive while we run.
        let gone = tmp.path().join(format!("{PREFIX}0-0-00ff"));
        let live = tmp.path().join(format!(
            "{PREFIX}{}-0-00ff",
            std::os::unix::process::parent_id()
        ));
        let mine = tmp
            .path()
            .join(format!("{PREFIX}{}-0-00ff", std::process::id()));
        for d in [&gone, &live, &mine] {
            std::fs::create_dir(d).unwrap();
        }
        let swept = sweep_in(tmp.path(), Some(std::process::id()));
        assert!(!gone.exists(), "an orphaned profile stays");
        assert!(
            !mine.exists(),
            "a profile naming this process (a reused pid) stays"
        );
        assert!(live.exists(), "a live appliance's profile was removed");
        assert_eq!(
            swept,
            Swept {
                processes: 0,
                profiles: 2
            }
        );
    }
}
