//! Fixture servers in a child process: the bench binary runs itself again
//! with `SCOUTLY_BENCH_SERVE=1`, so the harness's CPU and memory figures are
//! its own, not the servers'.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const SERVE: &str = "SCOUTLY_BENCH_SERVE";

/// Whether this process is the child that serves.
pub fn is_server() -> bool {
    std::env::var_os(SERVE).is_some()
}

/// The running child and the `n` origins it printed.
pub struct Servers {
    child: Child,
    pub origins: Vec<String>,
}

pub fn start(n: usize) -> Servers {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(SERVE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let origins = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(n)
        .map(|l| l.unwrap())
        .collect();
    Servers { child, origins }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runtime both sides use: one worker thread, so each side's work runs
/// on one thread and its CPU time is that thread's.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// In the child, after printing its origins: serve until the parent goes
/// (its end of stdin closes).
pub async fn serve_until_parent_goes() {
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
}
