//! This process's descendants (the headless browser's processes), found
//! through `/proc/<pid>/task/<tid>/children` without walking the process
//! table; kernels built without `CONFIG_PROC_CHILDREN` lack those files, and
//! there the parent links of `/proc/*/stat` are read instead (a walk the
//! sampler does rarely).

use std::collections::HashMap;
use std::path::Path;

/// Whether this kernel lists children under `/proc/<pid>/task/<tid>/`.
pub fn lists_children(proc: &Path) -> bool {
    let me = std::process::id().to_string();
    proc.join(&me)
        .join("task")
        .join(&me)
        .join("children")
        .exists()
}

/// Every descendant of `root`, from the `children` files.
pub fn descendants(proc: &Path, root: u32) -> Vec<u32> {
    walk(root, |pid| {
        let tasks = std::fs::read_dir(proc.join(pid.to_string()).join("task"));
        tasks
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
            .flat_map(|text| {
                let pids: Vec<u32> = text
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect();
                pids
            })
            .collect()
    })
}

/// Every descendant of `root`, from the parent pid in each `/proc/*/stat`.
pub fn descendants_by_scan(proc: &Path, root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir(proc).into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(ppid) = parent(&stat) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    walk(root, |pid| children.get(&pid).cloned().unwrap_or_default())
}

/// Every pid reachable over `children_of` from `root`, each once, at most 4096 (a
/// bound in case a pid is reused into a loop while we read).
fn walk(root: u32, mut children_of: impl FnMut(u32) -> Vec<u32>) -> Vec<u32> {
    let mut found = Vec::new();
    let mut next = vec![root];
    while let Some(pid) = next.pop() {
        if found.len() >= 4096 {
            break;
        }
        for child in children_of(pid) {
            if child != root && !found.contains(&child) {
                found.push(child);
                next.push(child);
            }
        }
    }
    found
}

/// The parent pid in a `/proc/<pid>/stat` line; the command name before it
/// is in parentheses and may itself hold spaces and parentheses.
fn parent(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_and_grandchildren_are_found_in_a_fixture_tree() {
        let dir = tempfile::tempdir().unwrap();
        let put = |pid: u32, tid: u32, children: &str| {
            let d = dir.path().join(format!("{pid}/task/{tid}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("children"), children).unwrap();
        };
        put(10, 10, "11 ");
        put(10, 12, "13 14 ");
        put(13, 13, "15 ");
        put(11, 11, "");
        let mut got = descendants(dir.path(), 10);
        got.sort();
        assert_eq!(got, vec![11, 13, 14, 15]);
        assert!(descendants(dir.path(), 99).is_empty());
    }

    #[test]
    fn a_real_child_process_is_found() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = descendants(Path::new("/proc"), std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        if Path::new(&format!("/proc/{}/task", std::process::id())).exists() {
            assert!(found.contains(&child.id()), "{found:?}");
        }
    }
}
