//! Analysis and notification costs:
//!
//! 1. AI requests and tokens for 100 new postings (15 of them reposts of
//!    another's text), with batching and the content-hash cache, against
//!    one request per posting; a local chat-completions server counts
//!    tokens as about four characters each, as OpenAI's guidance does;
//! 2. the time from a new link on a careers page to its notification at a
//!    webhook, on the real binary: builtin matcher, AI with budget to spare,
//!    and AI with the minute's budget spent.
//!
//! `cargo bench --bench analysis`

use std::sync::Arc;
use std::time::{Duration, Instant};

use scoutly::analyze::budget::Budget;
use scoutly::analyze::openai::OpenAi;
use scoutly::analyze::{Analyser, Reader, Subject};
use scoutly::clock::ManualClock;
use scoutly::config::{Config, MapEnv};
use scoutly::fetch::Fetcher;
use scoutly::model::{Criteria, Keyword, NewCompany, NewLink, Rank, Role, Timestamp};
use scoutly::store::{self, Store};
use scoutly::worker::analysis::{AnalysisWorker, Step};

#[path = "../tests/common/mod.rs"]
mod common;

use common::ai::Ai;
use common::hook::Hook;
use common::site::{Site, careers_page};

const T0: Timestamp = Timestamp::from_millis(1_795_514_400_000);

/// A posting page of a few hundred words, as careers sites have.
fn page(title: &str, n: usize) -> String {
    let para = format!(
        "As {title} (req {n}) you will design, build and run services used by millions. \
         You care about reliability, observability and clear writing. We offer a fair salary, \
         learning budget and flexible hours. "
    );
    format!(
        "<html><head><title>{title} | Acme</title></head><body><nav>Home Jobs Blog</nav>\
         <h1>{title}</h1><p>{}</p><ul><li>Rust or Go</li><li>Linux</li><li>SQL</li></ul>\
         <footer>Privacy Imprint</footer></body></html>",
        para.repeat(6)
    )
}

fn config(ai: &Ai, batch_size: usize) -> Config {
    Config::from_toml(
        &format!(
            "[fetch]\nallow_private_targets = true\n[politeness]\ndelay = \"1ms\"\njitter = 0.0\n\
             [analysis]\nbackend = \"openai\"\n[analysis.openai]\nbase_url = \"{}\"\nmodel = \"m\"\n\
             batch_size = {batch_size}\n[analysis.limits]\nrpm = 100000\ntpm = 100000000\nrpd = 100000\n",
            ai.base_url()
        ),
        "bench",
    )
    .unwrap()
}

/// 100 postings, 15 of them the text of an earlier one at another URL.
fn corpus(site: &Site) -> Vec<NewLink> {
    (0..100)
        .map(|i| {
            let same_as = if i >= 85 { i - 85 } else { i };
            let title = format!("Engineer {same_as}");
            let path = format!("/jobs/{i}");
            site.set(&path, page(&title, same_as));
            NewLink::page(site.url(&path), title)
        })
        .collect()
}

fn seed(store: &Store, site: &Site, links: &[NewLink]) {
    store
        .write(|tx| {
            let c = store::insert_company(
                tx,
                NewCompany {
                    name: "Acme".into(),
                    urls: vec![site.url("/careers")],
                    mode: Default::default(),
                    include: vec![],
                    exclude: vec![],
                },
                T0,
            )?;
            for (name, words) in [("alice", ["rust", "linux"]), ("bob", ["go", "sql"])] {
                let u = store::insert_user(tx, name, Role::User, [name.len() as u8; 32], T0)?;
                store::track(tx, u.id, c.id, Rank::new(80).unwrap(), T0)?;
                store::set_criteria(tx, u.id, &criteria(&words))?;
            }
            for p in store::record_links(tx, c.id, 1, links, false, T0)? {
                store::enqueue_analysis(tx, &p, 80)?;
            }
            Ok(())
        })
        .unwrap();
}

/// Keywords of weight 2.
fn criteria(words: &[&str]) -> Criteria {
    Criteria {
        keywords: words
            .iter()
            .map(|w| Keyword {
                word: w.to_string(),
                weight: 2,
            })
            .collect(),
        ..Criteria::default()
    }
}

fn env() -> MapEnv {
    MapEnv([("OPENAI_API_KEY".to_string(), "sk-bench".to_string())].into())
}

/// (requests, tokens) the worker spends on the corpus.
async fn with_worker(batch_size: usize) -> (usize, u64) {
    let (site, ai) = (Site::start(), Ai::start());
    let cfg = config(&ai, batch_size);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    seed(&store, &site, &corpus(&site));
    let worker = AnalysisWorker {
        store: store.clone(),
        clock: ManualClock::new(T0),
        fetcher: Fetcher::new(&cfg).unwrap(),
        analyser: Arc::new(OpenAi::new(&cfg.analysis.openai, &env()).unwrap()),
        budget: Budget::new(cfg.analysis.limits),
        notify: Arc::new(cfg.notify.clone()),
        max_text: cfg.analysis.max_text,
        wake: Default::default(),
        outbox: Default::default(),
    };
    let mut last = None;
    while worker.step(&mut last).await.unwrap() == Step::Worked {}
    assert_eq!(store.read(store::backlog_len).unwrap(), 0);
    let used = store.read(store::budget_use).unwrap();
    (ai.requests().len(), used.total_tokens)
}

/// (requests, tokens) of one request per posting, no cache: the same client,
/// each posting's page read the same way.
async fn one_by_one() -> (usize, u64) {
    let (site, ai) = (Site::start(), Ai::start());
    let cfg = config(&ai, 1);
    let client = OpenAi::new(&cfg.analysis.openai, &env()).unwrap();
    let readers: Vec<Reader> = [["rust", "linux"], ["go", "sql"]]
        .iter()
        .enumerate()
        .map(|(i, words)| Reader::new(i as u64 + 1, criteria(words)))
        .collect();
    let mut tokens = 0u64;
    for (i, link) in corpus(&site).iter().enumerate() {
        let html = page(&link.title, if i >= 85 { i - 85 } else { i });
        let t = scoutly::extract::posting_text(html.as_bytes(), cfg.analysis.max_text).unwrap();
        let s = Subject {
            posting_id: i as u64 + 1,
            company: "Acme".into(),
            title: link.title.clone(),
            location: t.location,
            remote: t.remote,
            hash: [0; 32],
            text: t.text,
            readers: readers.clone(),
        };
        tokens += u64::from(client.analyse(&[s]).await.unwrap().tokens);
    }
    (ai.requests().len(), tokens)
}

fn ai_cost() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (r0, t0) = one_by_one().await;
        let (r1, t1) = with_worker(1).await;
        let (r8, t8) = with_worker(8).await;
        println!("AI cost of 100 new postings (15 reposts), two users with criteria:");
        println!("  one request per posting, no cache: {r0} requests, {t0} tokens");
        println!("  one per posting, with the cache:   {r1} requests, {t1} tokens");
        println!(
            "  batched (8 / 6,000 tokens) + cache: {r8} requests, {t8} tokens ({:.0} % fewer requests, {:.0} % fewer tokens than one by one)",
            100.0 * (1.0 - r8 as f64 / r0 as f64),
            100.0 * (1.0 - t8 as f64 / t0 as f64)
        );
    });
}

/// Seconds from a posting appearing on the careers page to its delivery.
fn latency(app: &common::Appliance, site: &Site, hook: &Hook, id: u32) -> f64 {
    let jobs: Vec<(u32, String)> = (1..=id).map(|i| (i, format!("Engineer {i}"))).collect();
    let refs: Vec<(u32, &str)> = jobs.iter().map(|(i, t)| (*i, t.as_str())).collect();
    let before = hook.got().len();
    let slug = format!("/acme/jobs/{id}-engineer-{id}");
    site.set(&slug, page(&format!("Engineer {id}"), id as usize));
    site.set("/acme/careers", careers_page("acme", &refs));
    let start = Instant::now();
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("the notification", || hook.got().len() > before);
    start.elapsed().as_secs_f64()
}

fn appliance(backend: &str, rpm: u32, ai: &Ai, hook: &Hook) -> common::Appliance {
    let config = format!(
        "[scheduler]\npass_interval = \"250ms\"\n\
         [fetch]\nallow_private_targets = true\n[politeness]\ndelay = \"10ms\"\n\
         [store]\nflush_interval = \"200ms\"\n\
         [analysis]\nbackend = \"{backend}\"\n[analysis.openai]\nbase_url = \"{}\"\n\
         [analysis.limits]\nrpm = {rpm}\n\
         [[notify.sinks]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nuser = \"alice\"\nmin_score = 0\n",
        ai.base_url(),
        hook.url()
    );
    let mut app = common::Appliance::with_config(&config);
    app.env.push(("OPENAI_API_KEY".into(), "sk-bench".into()));
    app.start();
    app
}

/// Acme tracked by alice, whose criteria need the analyser; baseline done.
fn setup(app: &common::Appliance, site: &Site) {
    app.add_company("Acme", &site.url("/acme/careers"));
    app.json(&["user", "add", "alice"]);
    app.json(&["user", "criteria", "alice", "--keyword", "engineer=2"]);
    app.json(&[
        "track",
        "--user",
        "alice",
        "--company",
        "Acme",
        "--rank",
        "80",
    ]);
    app.wait_until("the baseline", || !app.jobs("completed").is_empty());
}

fn time_to_notify() {
    println!("time from `scoutly jobs start` on a page with a new link to its webhook delivery:");
    for (label, backend, rpm) in [
        ("builtin matcher", "builtin", 10),
        ("AI, budget to spare", "openai", 100),
    ] {
        let (site, ai, hook) = (Site::start(), Ai::start(), Hook::start());
        site.set("/acme/careers", careers_page("acme", &[]));
        let app = appliance(backend, rpm, &ai, &hook);
        setup(&app, &site);
        let mut s: Vec<f64> = (1..=5).map(|id| latency(&app, &site, &hook, id)).collect();
        s.sort_by(f64::total_cmp);
        println!(
            "  {label}: median {:.2} s, min {:.2} s, max {:.2} s (5 postings)",
            s[2], s[0], s[4]
        );
        assert_eq!(ai.requests().len(), if backend == "openai" { 5 } else { 0 });
    }
    // rpm = 1: the first posting spends the minute; the next one waits.
    let (site, ai, hook) = (Site::start(), Ai::start(), Hook::start());
    site.set("/acme/careers", careers_page("acme", &[]));
    let app = appliance("openai", 1, &ai, &hook);
    setup(&app, &site);
    let first = latency(&app, &site, &hook, 1);
    let second = {
        let jobs = [(1, "Engineer 1"), (2, "Engineer 2")];
        site.set("/acme/jobs/2-engineer-2", page("Engineer 2", 2));
        let before = hook.got().len();
        site.set("/acme/careers", careers_page("acme", &jobs));
        let start = Instant::now();
        app.json(&["jobs", "start", "Acme"]);
        let deadline = Instant::now() + Duration::from_secs(90);
        while hook.got().len() <= before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        start.elapsed().as_secs_f64()
    };
    println!(
        "  AI, rpm = 1: first posting {first:.2} s; the next one, the minute spent, {second:.1} s (waits in the backlog for the window, then goes)"
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    ai_cost();
    time_to_notify();
}
