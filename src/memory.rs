//! Keeping the resident set small on glibc.
//!
//! Scheduler passes and status reports decode every company, on whichever
//! blocking-pool thread runs them. glibc gives each such thread its own malloc
//! arena and keeps freed memory in it, so an idle appliance would hold several
//! arenas' worth of freed pages. Capping the arenas and trimming after bulk
//! work gives that memory back. Elsewhere these are no-ops.

/// Call once at start-up, before threads are spawned.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called before other
    // threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Return freed heap memory to the OS.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}
