//! Secrets kept out of the main config: read from an environment variable
//! or from a file only its owner may read (an API key, an SMTP password).

use std::path::Path;

/// Longest secret read from a file.
const MAX_SECRET: u64 = 4096;

/// The trimmed contents of `path`, which must be readable by its owner only
/// (mode 600 or stricter), non-empty and at most 4 KiB. The error says why,
/// and what to do.
pub fn read_owner_only(path: &Path) -> Result<String, String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "it is readable by others (mode {:o}); run chmod 600 on it",
            meta.mode() & 0o777
        ));
    }
    if meta.len() > MAX_SECRET {
        return Err("it is longer than a secret (4 KiB)".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    Ok(text.to_string())
}
