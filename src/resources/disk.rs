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

#[cfg(test)]
mod tests {
    #[test]
    fn free_space_is_read_and_a_missing_directory_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(super::free_space(dir.path()).is_some_and(|n| n > 0));
        assert_eq!(super::free_space(&dir.path().join("gone")), None);
    }
}
