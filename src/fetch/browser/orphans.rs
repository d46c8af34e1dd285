//! Chromium left behind by an appliance that died without closing it (kill
//! -9, an out-of-memory kill, a panic that aborted): Chromium does not end
//! when the process driving it does, so at start the appliance ends every
//! Chromium running on one of its profile directories whose owner is gone,
//! and removes those directories.
//!
//! A profile directory is `scoutly-chromium-{owner pid}.{owner start}-…` in
//! the temporary directory (`launch.rs`), the start being the owner's start
//! time in clock ticks since boot (`/proc/PID/stat`). Its owner is gone when
//! no process with that pid started then: a pid given out again to another
//! process does not keep a dead appliance's Chromium alive. A directory
//! naming this process's pid is a predecessor's too (nothing has been
//! launched yet when the sweep runs; in a container pids start over). Names
//! without a start time (older versions) count as gone when no process has
//! the pid.

use std::path::{Path, PathBuf};

/// The profile directories' name prefix.
const PREFIX: &str = "scoutly-chromium-";

/// What a sweep ended and removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub processes: usize,
    pub profiles: usize,
}

/// A new profile directory's name (under the temporary directory) for the
/// `generation`-th browser this process launches.
pub(super) fn profile_name(generation: u64) -> String {
    let me = std::process::id();
    let owner = match started(me) {
        Some(start) => format!("{me}.{start}"),
        None => me.to_string(),
    };
    format!(
        "{PREFIX}{owner}-{generation}-{:016x}",
        rand::random::<u64>()
    )
}

/// End orphaned Chromium processes and remove their profiles; call it
/// before the first launch.
pub fn sweep() -> Swept {
    sweep_in(&std::env::temp_dir(), Some(std::process::id()))
}

/// `me`: this process's pid, whose profiles count as stale (none launched yet).
fn sweep_in(tmp: &Path, me: Option<u32>) -> Swept {
    let stale = |dir: &Path| owner(dir).is_some_and(|o| o.gone(me));
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

/// Who made a profile directory, as its name says.
#[derive(Debug, PartialEq, Eq)]
struct Owner {
    pid: u32,
    /// Clock ticks from boot to the owner's start; absent in older names.
    start: Option<u64>,
}

impl Owner {
    /// `me`: this process's pid (none of its own profiles exist yet).
    fn gone(&self, me: Option<u32>) -> bool {
        Some(self.pid) == me
            || match self.start {
                Some(start) => started(self.pid) != Some(start),
                None => !Path::new(&format!("/proc/{}", self.pid)).exists(),
            }
    }
}

/// The owner in a profile directory's name, when it is one of ours.
fn owner(dir: &Path) -> Option<Owner> {
    let name = dir.file_name()?.to_str()?;
    let id = name.strip_prefix(PREFIX)?.split('-').next()?;
    Some(match id.split_once('.') {
        Some((pid, start)) => Owner {
            pid: pid.parse().ok()?,
            start: Some(start.parse().ok()?),
        },
        None => Owner {
            pid: id.parse().ok()?,
            start: None,
        },
    })
}

/// When process `pid` started, in clock ticks since boot (field 22 of
/// `/proc/PID/stat`); `None` when there is no such process.
fn started(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2, the command name, is in parentheses and may hold spaces and
    // parentheses itself: count from the last `)`, which ends it.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()
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
        let read = |name: &str| owner(&tmp.join(name));
        assert_eq!(
            read("scoutly-chromium-4711.99-0-00ff"),
            Some(Owner {
                pid: 4711,
                start: Some(99)
            })
        );
        assert_eq!(
            read("scoutly-chromium-4711-0-00ff"),
            Some(Owner {
                pid: 4711,
                start: None
            })
        );
        assert_eq!(read("scoutly-chromium-x-0-00ff"), None);
        assert_eq!(read("scoutly-chromium-4711.x-0-00ff"), None);
        assert_eq!(read("other-4711"), None);
        let mine = owner(&tmp.join(profile_name(3))).unwrap();
        assert_eq!(mine.pid, std::process::id());
        assert!(mine.start.is_some(), "a new name records the start");
    }

    #[test]
    fn a_live_pid_that_started_at_another_time_is_not_the_owner() {
        let tmp = tempfile::tempdir().unwrap();
        let parent = std::os::unix::process::parent_id();
        let start = started(parent).expect("our parent runs");
        let reused = tmp
            .path()
            .join(format!("{PREFIX}{parent}.{}-0-00ff", start + 1));
        let live = tmp.path().join(format!("{PREFIX}{parent}.{start}-0-00ff"));
        for d in [&reused, &live] {
            std::fs::create_dir(d).unwrap();
        }
        let swept = sweep_in(tmp.path(), Some(std::process::id()));
        assert!(
            !reused.exists(),
            "a profile whose pid was given out again stays"
        );
        assert!(live.exists(), "a live appliance's profile was removed");
        assert_eq!(swept.profiles, 1);
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
