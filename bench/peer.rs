//! Side by side with changedetection.io, the most used self-hosted page
//! watcher: both watch the same 200 careers sites of the farm
//! (`bench/farm.rs`) in one run on this machine, each checking every site
//! every five minutes with five fetch workers, each notifying a local
//! webhook. Measured for each: memory while idle (sites loaded, checks
//! paused), memory during the rounds, CPU seconds and requests per round of
//! 200 checks, and the delay from a posting appearing to its report.
//! Memory and CPU are the whole process tree's (Scoutly's includes the
//! Chromium it starts for JavaScript pages; changedetection.io's plain
//! fetcher starts none).
//!
//! First, link extraction against lxml on one corpus (`peer_extract.rs`).
//!
//! `bench/peer` installs changedetection.io and runs this; by hand,
//! `CHANGEDETECTION=…/changedetection.py cargo bench --bench peer
//! [-- extract]` (`extract`: the extraction comparison only).

use std::time::{Duration, Instant};

#[path = "binary.rs"]
mod binary;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "farm.rs"]
mod farm;
#[path = "pages.rs"]
mod pages;
#[path = "peer_cd.rs"]
mod peer_cd;
#[path = "peer_extract.rs"]
mod peer_extract;

use common::hook::Hook;
use farm::{Farm, Kind};

const SITES: usize = 200;
const INTERVAL: u64 = 300;
const WORKERS: usize = 5;
/// Postings added during the run, one each on this many sites.
const POSTED: usize = 20;

fn config(farm: &Farm, hook: &Hook) -> String {
    format!(
        "[scheduler]\npass_interval = \"5s\"\n\
         [http]\nrate_limit = 100000\nrate_burst = 10000\n\
         [fetch]\nallow_private_targets = true\n\
         [fetch.job_boards]\ngreenhouse = \"{}\"\n\
         [workers]\nmax_concurrency = {WORKERS}\n\
         [resources]\non_battery = \"ignore\"\nwhen_busy = \"ignore\"\n\
         [status]\nwrite_interval = \"1s\"\n\
         [[schedule.bands]]\nranks = \"1-100\"\ninterval = \"{INTERVAL}s\"\n\
         [[notify.sinks]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nuser = \"bench\"\nmin_score = 0\n",
        farm.board,
        hook.url()
    )
}

/// What one side did over a stretch of the run.
#[derive(Default)]
struct Tally {
    cpu: f64,
    /// The main process's alone (without Chromium).
    own_cpu: f64,
    own_peak_rss: u64,
    checks: u64,
    requests: u64,
    peak_pss: u64,
    peak_rss: u64,
}

struct Side {
    name: &'static str,
    pid: u32,
    /// Whether a request in the farm's log is this side's.
    mine: fn(&str) -> bool,
    hook: Hook,
}

fn scoutly_agent(ua: &str) -> bool {
    !ua.contains(peer_cd::AGENT)
}

fn peer_agent(ua: &str) -> bool {
    ua.contains(peer_cd::AGENT)
}

/// Checks done: Scoutly's finished jobs; the peer's requests (one per check).
fn checks(side: &Side, farm: &Farm, scoutly_dir: &std::path::Path) -> u64 {
    if side.name == "Scoutly" {
        binary::completed(scoutly_dir)
    } else {
        farm.log()
            .iter()
            .filter(|h| (side.mine)(&h.user_agent))
            .count() as u64
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Ok(cd_bin) = std::env::var("CHANGEDETECTION") else {
        eprintln!("peer: set CHANGEDETECTION to changedetection.py (bench/peer does); skipped");
        return;
    };
    let farm = Farm::start(SITES);
    let python = std::path::Path::new(&cd_bin).with_file_name("python");
    peer_extract::extraction(&farm, python.to_str().unwrap());
    if std::env::args().any(|a| a == "extract") {
        return;
    }
    let (scoutly_hook, peer_hook) = (Hook::start(), Hook::start());

    // Scoutly: companies added (untracked, so not scheduled) before it starts.
    let cfg = config(&farm, &scoutly_hook);
    let app = common::Appliance::with_config(&cfg);
    let token = app.json(&["user", "add", "bench"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    let ids: Vec<u64> = farm
        .sites()
        .iter()
        .map(|s| {
            let c = app.json(&[
                "company",
                "add",
                "--name",
                &format!("farm{}", s.id),
                "--url",
                &s.url,
            ]);
            c["id"].as_u64().unwrap()
        })
        .collect();
    let (child, addr) = binary::start_at(app.dir.path(), &cfg);
    let peer = peer_cd::Peer::start(&cd_bin, WORKERS, INTERVAL);
    let uuids: Vec<String> = farm
        .sites()
        .iter()
        .map(|s| peer.add(&s.watch, &peer_hook.url()))
        .collect();
    let sides = [
        Side {
            name: "Scoutly",
            pid: child.id(),
            mine: scoutly_agent,
            hook: scoutly_hook,
        },
        Side {
            name: "changedetection.io",
            pid: peer.pid(),
            mine: peer_agent,
            hook: peer_hook,
        },
    ];

    // Idle: everything loaded, nothing checked yet.
    std::thread::sleep(Duration::from_secs(15));
    let idle: Vec<(u64, u64)> = sides.iter().map(|s| binary::tree_memory(s.pid)).collect();
    let idle_cpu: Vec<f64> = sides.iter().map(|s| binary::tree_cpu(s.pid)).collect();
    std::thread::sleep(Duration::from_secs(10));
    let idle_cpu: Vec<f64> = sides
        .iter()
        .zip(idle_cpu)
        .map(|(s, c)| binary::tree_cpu(s.pid) - c)
        .collect();

    // Go: Scoutly's user tracks every company; the peer's watches resume.
    let go = Instant::now();
    for id in &ids {
        let (code, v) = common::http(
            addr,
            "PUT",
            &format!("/api/preferences/{id}"),
            Some(&token),
            Some(r#"{"rank":50}"#),
        );
        assert_eq!(code, 200, "tracking company {id}: {v}");
    }
    for u in &uuids {
        peer.resume(u);
    }
    // The first round is each side's baseline; the one after it is measured.
    let baseline_end = go + Duration::from_secs(INTERVAL + 10);
    let window_end = baseline_end + Duration::from_secs(INTERVAL);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let posted_sites: Vec<usize> = (0..SITES)
        .filter(|&i| farm.sites()[i].kind != Kind::Failing)
        .step_by(SITES / POSTED - 1)
        .take(POSTED)
        .collect();
    let mut plan: Vec<(Duration, usize)> = posted_sites
        .iter()
        .map(|&i| (Duration::from_millis(rand(INTERVAL * 500)), i))
        .collect();
    plan.sort();
    let mut posted: Vec<(usize, String, Instant)> = Vec::new();
    let mut before: Vec<(f64, f64, u64, usize)> = Vec::new();
    let mut tallies: Vec<Tally> = sides.iter().map(|_| Tally::default()).collect();
    let mut next_post = 0;
    while Instant::now() < window_end {
        let now = Instant::now();
        if before.is_empty() && now >= baseline_end {
            let log = farm.log();
            before = sides
                .iter()
                .map(|s| {
                    let reqs = log.iter().filter(|h| (s.mine)(&h.user_agent)).count();
                    let own = binary::cpu_seconds(s.pid);
                    (
                        binary::tree_cpu(s.pid),
                        own,
                        checks(s, &farm, app.dir.path()),
                        reqs,
                    )
                })
                .collect();
        }
        if !before.is_empty() {
            while next_post < plan.len() && now >= baseline_end + plan[next_post].0 {
                let i = plan[next_post].1;
                let (p, _) = farm.add_posting(i);
                posted.push((i, format!("/jobs/{}-", p.id), Instant::now()));
                next_post += 1;
            }
        }
        for (s, t) in sides.iter().zip(tallies.iter_mut()) {
            let (rss, pss) = binary::tree_memory(s.pid);
            t.peak_rss = t.peak_rss.max(rss);
            t.peak_pss = t.peak_pss.max(pss);
            t.own_peak_rss = t
                .own_peak_rss
                .max(binary::proc_status(s.pid, "VmRSS:") * 1024);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = farm.log();
    for ((s, t), (cpu0, own0, checks0, reqs0)) in sides.iter().zip(tallies.iter_mut()).zip(&before)
    {
        t.cpu = binary::tree_cpu(s.pid) - cpu0;
        t.own_cpu = binary::cpu_seconds(s.pid) - own0;
        t.checks = checks(s, &farm, app.dir.path()) - checks0;
        t.requests = (log.iter().filter(|h| (s.mine)(&h.user_agent)).count() - reqs0) as u64;
    }
    // Reports still on their way get one more interval.
    let reported = |s: &Side, path: &str, site: usize| -> Option<Instant> {
        s.hook.got().iter().find_map(|d| {
            let hit = if s.name == "Scoutly" {
                d.body.to_string().contains(path)
            } else {
                d.body["message"]
                    .as_str()
                    .is_some_and(|m| m.trim() == farm.sites()[site].watch)
            };
            hit.then_some(d.at)
        })
    };
    let deadline = Instant::now() + Duration::from_secs(INTERVAL);
    while Instant::now() < deadline
        && !sides
            .iter()
            .all(|s| posted.iter().all(|(i, p, _)| reported(s, p, *i).is_some()))
    {
        std::thread::sleep(Duration::from_millis(500));
    }

    println!(
        "{SITES} sites ({}), each checked every {INTERVAL} s by both, {WORKERS} fetch workers each; {} postings added",
        kinds(&farm),
        posted.len()
    );
    for ((s, t), (idle, idle_cpu)) in sides.iter().zip(&tallies).zip(idle.iter().zip(&idle_cpu)) {
        let per_round = |x: f64| {
            if t.checks == 0 {
                f64::NAN
            } else {
                x / t.checks as f64 * SITES as f64
            }
        };
        let mut delays: Vec<(Kind, f64)> = posted
            .iter()
            .filter_map(|(i, p, at)| {
                reported(s, p, *i).map(|r| {
                    (
                        farm.sites()[*i].kind,
                        r.saturating_duration_since(*at).as_secs_f64(),
                    )
                })
            })
            .collect();
        delays.sort_by(|a, b| a.1.total_cmp(&b.1));
        let missed: Vec<&str> = posted
            .iter()
            .filter(|(i, p, _)| reported(s, p, *i).is_none())
            .map(|(i, _, _)| farm.sites()[*i].kind.name())
            .collect();
        println!("{}:", s.name);
        println!(
            "  idle: RSS {:.1} MiB, PSS {:.1} MiB, {:.3} CPU-s over 10 s",
            idle.0 as f64 / 1048576.0,
            idle.1 as f64 / 1048576.0,
            idle_cpu
        );
        println!(
            "  during a round: peak PSS {:.1} MiB (RSS summed over processes {:.1} MiB); main process alone: peak RSS {:.1} MiB",
            t.peak_pss as f64 / 1048576.0,
            t.peak_rss as f64 / 1048576.0,
            t.own_peak_rss as f64 / 1048576.0
        );
        println!(
            "  {} checks in {INTERVAL} s: {:.2} CPU-s per round of {SITES} checks ({:.2} the main process alone), {:.0} requests",
            t.checks,
            per_round(t.cpu),
            per_round(t.own_cpu),
            per_round(t.requests as f64)
        );
        let d: Vec<f64> = delays.iter().map(|x| x.1).collect();
        if !d.is_empty() {
            println!(
                "  posting to report: median {:.1} s, max {:.1} s ({} of {} reported)",
                d[d.len() / 2],
                d[d.len() - 1],
                d.len(),
                posted.len()
            );
        }
        if !missed.is_empty() {
            println!(
                "  not reported within {} s: {} ({})",
                INTERVAL * 2,
                missed.len(),
                missed.join(", ")
            );
        }
    }
    binary::stop(child);
}

fn kinds(farm: &Farm) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in farm.sites() {
        match counts.iter_mut().find(|(k, _)| *k == s.kind.name()) {
            Some(c) => c.1 += 1,
            None => counts.push((s.kind.name(), 1)),
        }
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
