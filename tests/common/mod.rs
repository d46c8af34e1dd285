//! Shared test harness: the fixture site and [`Appliance`], which drives the
//! real `scoutly` binary against a temporary data directory.
#![allow(dead_code)]

pub mod ai;
pub mod disk;
pub mod hook;
pub mod outbox;
pub mod site;
pub mod smtp;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_scoutly");

/// Serve `app` on `ip` (ephemeral port) from a thread of its own, so tests
/// can stay synchronous; returns the address.
pub fn serve(ip: &'static str, app: axum::Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Settings that make a test appliance quick: private targets allowed (the
/// fixture site is on loopback), short delays and leases.
pub const FAST_CONFIG: &str = r#"
[scheduler]
pass_interval = "300ms"
[fetch]
allow_private_targets = true
timeout = "5s"
connect_timeout = "2s"
[politeness]
delay = "10ms"
[queue]
lease = "3s"
backoff_base = "100ms"
backoff_cap = "1s"
[workers]
shutdown_grace = "2s"
[status]
write_interval = "200ms"
[store]
flush_interval = "100ms"
[resources]
adaptive = false
on_battery = "ignore"
when_busy = "ignore"
sample_interval = "250ms"
"#;

pub struct Appliance {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    child: Option<Child>,
    pub addr: Option<SocketAddr>,
    /// Extra environment for the appliance and CLI.
    pub env: Vec<(String, String)>,
}

pub struct CliOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Appliance {
    pub fn new() -> Self {
        Self::with_config(FAST_CONFIG)
    }

    pub fn with_config(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scoutly.toml");
        std::fs::write(&path, config).unwrap();
        Self {
            dir,
            config: path,
            child: None,
            addr: None,
            env: Vec::new(),
        }
    }

    /// The running appliance's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("not running").id()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data_dir())
            .env_remove("SCOUTLY_CONFIG")
            .env_remove("SCOUTLY_DATA_DIR")
            .env_remove("STATE_DIRECTORY")
            .env_remove("RUNTIME_DIRECTORY")
            .env_remove("SCOUTLY_LISTEN")
            .env_remove("OPENAI_API_KEY")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Run a CLI command.
    pub fn cli(&self, args: &[&str]) -> CliOutput {
        let out: Output = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        CliOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run a CLI command with `--json`; it must succeed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.cli(&all);
        assert_eq!(out.code, 0, "scoutly {args:?} failed: {}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    }

    /// Start `scoutly run` and wait until it serves.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("appliance.log"))
            .unwrap();
        let mut child = self
            .command()
            .args(["run", "--listen", "127.0.0.1:0"])
            .env("SCOUTLY_LOG", "scoutly=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { return };
                if let Some(rest) = line.split("status at http://").nth(1) {
                    let addr = rest.split('/').next().unwrap().to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("appliance did not start: {}", self.log()));
        self.addr = Some(addr.parse().unwrap());
        self.child = Some(child);
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn stop(&mut self) -> i32 {
        let mut child = self.child.take().expect("not running");
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };

        wait_with_deadline(&mut child, Duration::from_secs(15))
    }

    /// SIGKILL: a crash or power cut.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("not running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("appliance.log")).unwrap_or_default()
    }

    /// Poll `check` until it holds; fails the test after 20 s.
    pub fn wait_until(&self, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !check() {
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}\n--- appliance log ---\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Add a company tracked (by the built-in operator user) at rank 50.
    pub fn add_company(&self, name: &str, url: &str) -> Value {
        self.json(&[
            "company", "add", "--name", name, "--url", url, "--rank", "50",
        ])
    }

    /// Wait until everything the running appliance has committed so far is
    /// on disk (its next durable commit), so a kill cannot undo it.
    pub fn wait_for_flush(&self) {
        let commits = |app: &Self| app.json(&["status"])["durableCommits"].as_u64();
        let before = commits(self).expect("status shows durableCommits");
        // Two more: a commit counted just after `before` was read may have
        // begun before; the second surely began after.
        self.wait_until("a durable commit", || {
            commits(self).is_some_and(|n| n >= before + 2)
        });
    }

    /// Jobs with a status, via the CLI.
    pub fn jobs(&self, status: &str) -> Vec<Value> {
        self.json(&["jobs", "list", "--status", status, "--limit", "1000"])
            .as_array()
            .cloned()
            .unwrap()
    }

    /// HTTP request to the running appliance: (status, body).
    pub fn http(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let addr = self.addr.expect("not running");
        http(addr, method, path, token, body)
    }
}

impl Drop for Appliance {
    /// A test that did not stop its appliance ends it the way an operator
    /// would (SIGTERM), so the appliance closes its Chromium; a SIGKILL
    /// would leave the browser running after the test, loading the machine
    /// for the tests that follow. Killed after 10 s all the same.
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            if exit_within(&mut c, Duration::from_secs(10)).is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// The child's exit code once it exits, or `None` after `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    while Instant::now() <= deadline {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> i32 {
    exit_within(child, limit).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("appliance did not exit within {limit:?} of SIGTERM");
    })
}

/// (company id, URL) of each posting in `postings --json` output: what must
/// not repeat.
pub fn posting_keys(postings: &Value) -> Vec<(u64, String)> {
    postings
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["companyId"].as_u64().unwrap(),
                p["url"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A minimal HTTP/1.1 client (Connection: close) for tests.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let auth = token.map(|t| ("Authorization".to_string(), format!("Bearer {t}")));
    let (status, _, value) = request(addr, method, path, auth.as_slice(), body);
    (status, value)
}

/// An HTTP/1.1 request with any headers: (status, response head, body).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> (u16, String, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status: u16 = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap();
    let text = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, head.to_string(), value)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}
