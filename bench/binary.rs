//! Driving the real `scoutly` binary from a benchmark: start it on a data
//! directory with a config, read its status file, its CPU and memory from
//! `/proc`, stop it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use scoutly::model::{FetchMode, NewCompany, Rank, Role, Timestamp};
use scoutly::store::{self, Store};

const BIN: &str = env!("CARGO_BIN_EXE_scoutly");

pub fn proc_status(pid: u32, key: &str) -> u64 {
    kb_line(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap(),
        key,
    )
}

/// The number on a `key: N kB` line of a `/proc` file (0 when absent).
fn kb_line(text: &str, key: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The fields of `/proc/PID/stat` from the third (state) on; `None` when the
/// process is gone.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name before them is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    Some(after.split_whitespace().map(String::from).collect())
}

/// utime + stime in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    cpu_of(pid).unwrap_or_else(|| panic!("process {pid} is gone"))
}

fn cpu_of(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64)
}

pub fn start(dir: &Path, config: &str) -> Child {
    start_at(dir, config).0
}

/// Start `scoutly run` and return it with the address it serves on.
pub fn start_at(dir: &Path, config: &str) -> (Child, std::net::SocketAddr) {
    let cfg = dir.join("scoutly.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            dir.join("data").to_str().unwrap(),
        ])
        .args(["run", "--listen", "127.0.0.1:0"])
        .env("SCOUTLY_LOG", "warn")
        // As under systemd, status files and the socket live on a tmpfs.
        .env("RUNTIME_DIRECTORY", runtime_dir(dir))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let mut addr = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("status at http://").nth(1) {
            addr = rest.split('/').next().and_then(|a| a.parse().ok());
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, addr.expect("the appliance printed its address"))
}

/// The runtime directory for a data directory: on /dev/shm when there is one.
pub fn runtime_dir(dir: &Path) -> std::path::PathBuf {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let shm = Path::new("/dev/shm");
    let run = if shm.is_dir() {
        shm.join(format!("scoutly-bench-{name}"))
    } else {
        dir.join("data/run")
    };
    std::fs::create_dir_all(&run).unwrap();
    run
}

/// Bytes the process caused to be written to storage (`/proc/<pid>/io`).
pub fn write_bytes(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("write_bytes:")?.trim().parse().ok())
        .unwrap_or(0)
}

pub fn stop(mut child: Child) {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
}

/// Finished jobs, from the status file the appliance rewrites anyway (asking
/// it over the socket would add the cost of the question to the measurement).
pub fn completed(dir: &Path) -> u64 {
    let text = std::fs::read(runtime_dir(dir).join("status.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    v["queue"]["completed"].as_u64().unwrap_or(0) + v["queue"]["failed"].as_u64().unwrap_or(0)
}

/// `hosts` fixture careers sites on 127.0.0.1, 127.0.0.2, …, each answering
/// every path with a generated careers page of about `page_size` bytes,
/// served on `rt`; returns their origins.
pub fn serve_hosts(rt: &tokio::runtime::Runtime, hosts: usize, page_size: usize) -> Vec<String> {
    (0..hosts)
        .map(|h| {
            let ip = format!("127.0.0.{}", h + 1);
            let listener = rt
                .block_on(tokio::net::TcpListener::bind((ip.as_str(), 0)))
                .unwrap();
            let origin = format!("http://{}", listener.local_addr().unwrap());
            let page = super::pages::careers_page(&origin, page_size);
            let app = axum::Router::new().fallback(move || {
                let page = page.clone();
                async move { axum::response::Html(page) }
            });
            rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
            origin
        })
        .collect()
}

/// A data directory under `dir` with `per_host` companies on each origin,
/// all tracked at rank 50 by one user of `role` whose token is `token`.
pub fn seed_farm(dir: &Path, origins: &[String], per_host: usize, role: Role, token: &str) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let s = Store::open(&dir.join("data/scoutly.redb")).unwrap();
    let now = Timestamp::from_millis(chrono::Utc::now().timestamp_millis());
    s.write(|tx| {
        let u = store::insert_user(tx, "bench", role, store::hash_token(token), now)?;
        for (h, origin) in origins.iter().enumerate() {
            for k in 0..per_host {
                let c = store::insert_company(
                    tx,
                    NewCompany {
                        name: format!("c{h}-{k}"),
                        urls: vec![format!("{origin}/c{k}/careers")],
                        mode: FetchMode::Http,
                        include: vec![],
                        exclude: vec![],
                    },
                    now,
                )?;
                store::track(tx, u.id, c.id, Rank::new(50).unwrap(), now)?;
            }
        }
        Ok(())
    })
    .unwrap();
}

/// `pid` and every process descended from it (Chromium's, for one).
pub fn tree(pid: u32) -> Vec<u32> {
    let parent: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let p = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((p, stat_fields(p)?.get(1)?.parse().ok()?))
        })
        .collect();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// CPU seconds of `pid`'s tree as it stands (a child that already ended
/// counts only once its parent has waited for it).
pub fn tree_cpu(pid: u32) -> f64 {
    tree(pid).into_iter().filter_map(cpu_of).sum()
}

/// Memory of `pid`'s tree in bytes: (RSS summed, PSS summed). PSS divides
/// each shared page among the processes sharing it, so it is the fair sum.
pub fn tree_memory(pid: u32) -> (u64, u64) {
    tree(pid).into_iter().fold((0, 0), |(rss, pss), p| {
        let text = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
        (
            rss + kb_line(&text, "Rss:") * 1024,
            pss + kb_line(&text, "Pss:") * 1024,
        )
    })
}
