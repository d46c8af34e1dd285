//! Where things live: config file, data directory, runtime directory.
//!
//! Resolution order (DESIGN.md): config `--config`, `$SCOUTLY_CONFIG`,
//! `/etc/scoutly/scoutly.toml` when it exists, else built-in defaults. Data
//! `--data-dir`, `$SCOUTLY_DATA_DIR`, `$STATE_DIRECTORY`, `./scoutly-data`.
//! Runtime `$RUNTIME_DIRECTORY`, else `<data-dir>/run`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Read access to environment variables; tests pass a [`MapEnv`].
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// A fixed environment for tests.
#[derive(Debug, Default, Clone)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    /// An environment of exactly these variables.
    pub fn of(pairs: &[(&str, &str)]) -> MapEnv {
        MapEnv(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

pub const SYSTEM_CONFIG: &str = "/etc/scoutly/scoutly.toml";

/// The config file to read, if any.
pub fn find_config_file(flag: Option<&Path>, env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = env.var("SCOUTLY_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let system = Path::new(SYSTEM_CONFIG);
    system.exists().then(|| system.to_path_buf())
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "cannot create directory {path}: {source}; choose another with --data-dir or $SCOUTLY_DATA_DIR"
    )]
    Create {
        path: String,
        source: std::io::Error,
    },
}

/// Resolved locations of everything the appliance writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub runtime_dir: PathBuf,
}

impl Paths {
    pub fn resolve(data_dir_flag: Option<&Path>, env: &dyn Env) -> Paths {
        let data_dir = data_dir_flag
            .map(Path::to_path_buf)
            .or_else(|| env.var("SCOUTLY_DATA_DIR").map(PathBuf::from))
            .or_else(|| env.var("STATE_DIRECTORY").map(first_of_list))
            .unwrap_or_else(|| PathBuf::from("scoutly-data"));
        let runtime_dir = env
            .var("RUNTIME_DIRECTORY")
            .map(first_of_list)
            .unwrap_or_else(|| data_dir.join("run"));
        Paths {
            data_dir,
            runtime_dir,
        }
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("scoutly.redb")
    }

    pub fn socket(&self) -> PathBuf {
        self.runtime_dir.join("scoutly.sock")
    }

    pub fn status_json(&self) -> PathBuf {
        self.runtime_dir.join("status.json")
    }

    pub fn status_txt(&self) -> PathBuf {
        self.runtime_dir.join("status.txt")
    }

    /// Create the data and runtime directories (owner-only runtime dir).
    pub fn create(&self) -> Result<(), PathsError> {
        for dir in [&self.data_dir, &self.runtime_dir] {
            std::fs::create_dir_all(dir).map_err(|source| PathsError::Create {
                path: dir.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }
}

/// systemd passes colon-separated lists when several directories are set.
fn first_of_list(v: String) -> PathBuf {
    PathBuf::from(v.split(':').next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> MapEnv {
        MapEnv::of(pairs)
    }

    #[test]
    fn data_dir_resolution_order() {
        let e = env(&[
            ("SCOUTLY_DATA_DIR", "/a"),
            ("STATE_DIRECTORY", "/b"),
            ("RUNTIME_DIRECTORY", "/run/scoutly"),
        ]);
        let p = Paths::resolve(Some(Path::new("/flag")), &e);
        assert_eq!(p.data_dir, PathBuf::from("/flag"));
        assert_eq!(p.runtime_dir, PathBuf::from("/run/scoutly"));
        assert_eq!(Paths::resolve(None, &e).data_dir, PathBuf::from("/a"));
        let e = env(&[("STATE_DIRECTORY", "/var/lib/scoutly:/other")]);
        let p = Paths::resolve(None, &e);
        assert_eq!(p.data_dir, PathBuf::from("/var/lib/scoutly"));
        assert_eq!(p.runtime_dir, PathBuf::from("/var/lib/scoutly/run"));
        let p = Paths::resolve(None, &env(&[]));
        assert_eq!(p.data_dir, PathBuf::from("scoutly-data"));
        assert_eq!(p.socket(), PathBuf::from("scoutly-data/run/scoutly.sock"));
    }

    #[test]
    fn config_file_resolution_order() {
        let e = env(&[("SCOUTLY_CONFIG", "/env.toml")]);
        assert_eq!(
            find_config_file(Some(Path::new("/flag.toml")), &e),
            Some(PathBuf::from("/flag.toml"))
        );
        assert_eq!(find_config_file(None, &e), Some(PathBuf::from("/env.toml")));
    }
}
