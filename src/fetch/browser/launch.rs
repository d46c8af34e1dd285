//! Starting and stopping Chromium: executable lookup, the memory floor,
//! flags, a fresh profile directory, and the task that carries the DevTools
//! connection.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use super::super::error::{FailureClass, FetchError};
use crate::config::BrowserConfig;

/// How long Chromium may take to start, and to close before it is killed.
const LAUNCH: Duration = Duration::from_secs(20);
const CLOSE: Duration = Duration::from_secs(5);

/// Chromium flags that keep it from calling home, using a GPU or trying
/// QUIC on a network that may refuse it. Written without the leading `--`:
/// chromiumoxide adds it.
const FLAGS: &[&str] = &[
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-extensions",
    "disable-dev-shm-usage",
    "disable-default-apps",
    "disable-domain-reliability",
    "disable-client-side-phishing-detection",
    "disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
    "safebrowsing-disable-auto-update",
    "no-pings",
    "no-default-browser-check",
    "mute-audio",
    // A page's JavaScript heap is capped, as every body is.
    "js-flags=--max-old-space-size=256",
];

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// A running Chromium.
#[derive(Debug)]
pub(super) struct Running {
    pub chrome: chromiumoxide::Browser,
    handler: JoinHandle<()>,
    dead: Arc<AtomicBool>,
    profile: PathBuf,
    pub generation: u64,
    pub pages: u32,
    pub last_used: Instant,
}

impl Running {
    pub async fn launch(cfg: &BrowserConfig, url: &Url) -> Result<Running, FetchError> {
        let fail = |detail: String| FetchError::new(FailureClass::Other, url.as_str(), detail);
        let exe = find_executable(&cfg.executable).ok_or_else(|| {
            fail(format!(
                "the headless browser {:?} is not installed or not on PATH; install Debian's chromium (apt-get install chromium) or set browser.executable",
                cfg.executable
            ))
        })?;
        if let Some(available) = available_memory()
            && available < cfg.min_available_memory
        {
            return Err(fail(format!(
                "not launching the headless browser: {} MiB of memory available, browser.min_available_memory is {} MiB",
                available >> 20,
                cfg.min_available_memory >> 20
            )));
        }
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        // A new private directory (0700, never an existing one), so no other
        // user of the machine can prepare or read the profile.
        let profile = std::env::temp_dir().join(super::orphans::profile_name(generation));
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&profile)
                .map_err(|e| {
                    fail(format!(
                        "cannot create the browser profile {}: {e}",
                        profile.display()
                    ))
                })?;
        }
        let mut builder = chromiumoxide::BrowserConfig::builder()
            .chrome_executable(&exe)
            .user_data_dir(&profile)
            .respect_https_errors()
            .launch_timeout(LAUNCH)
            .request_timeout(cfg.page_timeout)
            .args(FLAGS.iter().copied());
        if cfg.no_sandbox || running_as_root() {
            builder = builder.no_sandbox();
        }
        let config = builder.build().map_err(fail)?;
        let started = std::time::Instant::now();
        let (chrome, mut handler) = match chromiumoxide::Browser::launch(config).await {
            Ok(launched) => launched,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                return Err(fail(format!(
                    "the headless browser {} did not start: {e}",
                    exe.display()
                )));
            }
        };
        let dead = Arc::new(AtomicBool::new(false));
        let flag = dead.clone();
        // Every DevTools reply passes through this task; when the connection
        // fails (Chromium crashed or was killed) the browser is dead.
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(e) = event {
                    tracing::warn!(error = %e, "the headless browser's connection failed");
                    break;
                }
            }
            flag.store(true, Ordering::Relaxed);
        });
        tracing::info!(
            executable = %exe.display(),
            ms = started.elapsed().as_millis() as u64,
            "headless browser launched"
        );
        Ok(Running {
            chrome,
            handler,
            dead,
            profile,
            generation,
            pages: 0,
            last_used: Instant::now(),
        })
    }

    /// Whether Chromium has gone away under us.
    pub fn crashed(&mut self) -> bool {
        self.dead.load(Ordering::Relaxed) || matches!(self.chrome.try_wait(), Ok(Some(_)))
    }

    /// Close Chromium (killing it when it does not close in time) and remove
    /// its profile.
    pub async fn shutdown(mut self) {
        let started = std::time::Instant::now();
        let closed = matches!(
            tokio::time::timeout(CLOSE, self.chrome.close()).await,
            Ok(Ok(_))
        );
        if closed {
            let _ = tokio::time::timeout(CLOSE, self.chrome.wait()).await;
        }
        if !matches!(self.chrome.try_wait(), Ok(Some(_))) {
            let _ = self.chrome.kill().await;
        }
        self.handler.abort();
        tracing::debug!(
            closed,
            ms = started.elapsed().as_millis() as u64,
            "headless browser stopped"
        );
    }
}

impl Drop for Running {
    /// A browser dropped without `shutdown` (the process is ending) is
    /// killed by chromiumoxide; its profile goes with it.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `name` itself when it is a path, else the first executable of that name
/// on `PATH`.
fn find_executable(name: &str) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_exec(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_exec(p))
}

/// `MemAvailable` from `/proc/meminfo`, in bytes; `None` where there is none.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}
