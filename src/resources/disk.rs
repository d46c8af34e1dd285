//! Free space on the filesystem holding a directory.

use std::path::Path;

/// Free bytes for unprivileged users on the filesystem holding `dir`
/// (`None` when it cannot be read).
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// What to tell the operator when `free` bytes are under `min_free`
/// (`readiness.min_free_disk`); `None` when there is enough, or no reading.
pub fn shortage(free: Option<u64>, min_free: u64) -> Option<String> {
    let free = free.filter(|f| *f < min_free)?;
    Some(format!(
        "only {} MiB free on the data directory's filesystem (readiness.min_free_disk is {} MiB); free some space or move the data directory",
        free >> 20,
        min_free >> 20
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn free_space_is_read_and_a_missing_directory_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(super::free_space(dir.path()).is_some_and(|n| n > 0));
        assert_eq!(super::free_space(&dir.path().join("gone")), None);
    }

    #[test]
    fn a_shortage_names_both_sizes_and_the_key() {
        assert_eq!(super::shortage(Some(200 << 20), 100 << 20), None);
        assert_eq!(super::shortage(None, 100 << 20), None);
        let msg = super::shortage(Some(50 << 20), 100 << 20).unwrap();
        assert!(msg.contains("only 50 MiB") && msg.contains("readiness.min_free_disk is 100 MiB"));
    }
}
