//! The analysis worker against a local OpenAI-compatible server: real redb
//! files, real HTTP (posting pages from a fixture site, chat completions
//! from a fixture that speaks the API's JSON), a driven clock for the
//! budget's minutes and days.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::ai::{Ai, Answer};
use common::site::Site;
use scoutly::analyze::budget::Budget;
use scoutly::analyze::openai::OpenAi;
use scoutly::clock::{Clock, ManualClock};
use scoutly::config::{Config, MapEnv};
use scoutly::fetch::Fetcher;
use scoutly::model::{Criteria, Id, Keyword, NewCompany, NewLink, Rank, Role, Timestamp};
use scoutly::store::{self, Store};
use scoutly::worker::analysis::{AnalysisWorker, Step};

/// 2026-11-24T10:00:00Z.
const T0: Timestamp = Timestamp::from_millis(1_795_514_400_000);

struct Rig {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Option<Store>,
    clock: Arc<ManualClock>,
    site: Site,
    ai: Ai,
    config: Config,
    company: Id,
    alice: Id,
    bob: Id,
    next_job: u32,
}

fn rig(limits: &str) -> Rig {
    let site = Site::start();
    let ai = Ai::start();
    let config = Config::from_toml(
        &format!(
            r#"
[fetch]
allow_private_targets = true
[politeness]
delay = "10ms"
[analysis]
backend = "openai"
[analysis.openai]
base_url = "{}"
model = "test-model"
{limits}
"#,
            ai.base_url()
        ),
        "test",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scoutly.redb");
    let store = Store::open(&path).unwrap();
    let (company, alice, bob) = store
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
            let a = store::insert_user(tx, "alice", Role::User, [1; 32], T0)?;
            let b = store::insert_user(tx, "bob", Role::User, [2; 32], T0)?;
            for u in [a.id, b.id] {
                store::track(tx, u, c.id, Rank::new(80).unwrap(), T0)?;
            }
            let rust = Criteria {
                keywords: vec![Keyword {
                    word: "rust".into(),
                    weight: 3,
                }],
                ..Criteria::default()
            };
            store::set_criteria(tx, a.id, &rust)?;
            Ok((c.id, a.id, b.id))
        })
        .unwrap();
    Rig {
        _dir: dir,
        path,
        store: Some(store),
        clock: ManualClock::new(T0),
        site,
        ai,
        config,
        company,
        alice,
        bob,
        next_job: 0,
    }
}

impl Rig {
    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }

    /// A restart: the store is closed and opened again.
    fn reopen(&mut self) {
        drop(self.store.take());
        self.store = Some(Store::open(&self.path).unwrap());
    }

    /// New postings as a scrape commits them; `page` is each posting's page.
    fn new_postings(&mut self, postings: &[(&str, &str)]) -> Vec<Id> {
        let mut links = Vec::new();
        for (path, title) in postings {
            self.site.set(
                path,
                format!(
                    "<html><head><title>{title} | Acme</title></head><body><nav>Home Blog</nav>\
                     <h1>{title}</h1><p>Join Acme to build {title} things.</p></body></html>"
                ),
            );
            links.push(NewLink::page(self.site.url(path), *title));
        }
        self.next_job += 1;
        let (company, job, now) = (self.company, u64::from(self.next_job), self.clock.now());
        self.store()
            .write(|tx| {
                let new = store::record_links(tx, company, job, &links, false, now)?;
                for p in &new {
                    store::enqueue_analysis(tx, p, 80)?;
                }
                Ok(new.iter().map(|p| p.id).collect())
            })
            .unwrap()
    }

    fn worker(&self) -> AnalysisWorker<OpenAi> {
        let env = MapEnv([("OPENAI_API_KEY".to_string(), "sk-test".to_string())].into());
        AnalysisWorker {
            store: self.store().clone(),
            clock: self.clock.clone(),
            fetcher: Fetcher::new(&self.config).unwrap(),
            analyser: Arc::new(OpenAi::new(&self.config.analysis.openai, &env).unwrap()),
            budget: Budget::new(self.config.analysis.limits),
            notify: Arc::new(self.config.notify.clone()),
            max_text: self.config.analysis.max_text,
            wake: Default::default(),
            outbox: Default::default(),
        }
    }

    /// Step until the worker has nothing to do now; returns when it would
    /// look again.
    async fn drain(&self, w: &AnalysisWorker<OpenAi>) -> Option<Timestamp> {
        let mut last = None;
        for _ in 0..100 {
            match w.step(&mut last).await.unwrap() {
                Step::Worked => continue,
                Step::Idle(until) => return until,
            }
        }
        panic!("the analysis worker never went idle");
    }

    fn score(&self, posting: Id, user: Id) -> Option<(u8, String, String)> {
        self.store()
            .read(|rx| store::match_for(rx, posting, user))
            .unwrap()
            .map(|m| (m.score, m.analyser, m.reason))
    }

    fn backlog(&self) -> u64 {
        self.store().read(store::backlog_len).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postings_are_batched_and_the_same_text_is_never_sent_twice() {
    let mut rig = rig("");
    let ids = rig.new_postings(&[
        ("/jobs/1", "Senior Rust Engineer"),
        ("/jobs/2", "Product Designer"),
        ("/jobs/3", "Rust Platform Lead"),
    ]);
    let w = rig.worker();
    assert_eq!(rig.drain(&w).await, None);
    let reqs = rig.ai.requests();
    assert_eq!(reqs.len(), 1, "three postings, one request");
    assert_eq!(reqs[0].postings, ids);
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(
        reqs[0].body["response_format"]["type"], "json_schema",
        "structured output is asked for"
    );
    // Only alice has criteria: bob is scored by the builtin matcher.
    let input: serde_json::Value =
        serde_json::from_str(reqs[0].body["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(input["users"].as_array().unwrap().len(), 1);
    let (score, analyser, reason) = rig.score(ids[0], rig.alice).unwrap();
    assert_eq!(
        (score, analyser.as_str(), reason.as_str()),
        (90, "openai:test-model", "fixture reason")
    );
    assert_eq!(rig.score(ids[1], rig.alice).unwrap().0, 20);
    assert_eq!(rig.score(ids[0], rig.bob).unwrap().1, "builtin");
    let details = rig
        .store()
        .read(|rx| store::details(rx, ids[0]))
        .unwrap()
        .unwrap();
    assert!(details.text.contains("Join Acme"), "{}", details.text);
    assert!(!details.text.contains("Home Blog"), "navigation is dropped");
    assert_eq!(
        details.location.as_deref(),
        Some("Berlin"),
        "filled from the AI's fields"
    );
    let status = rig.store().read(store::budget_use).unwrap();
    assert_eq!(status.day_requests, 1);
    assert!(
        status.day_tokens > 100,
        "usage is read from the reply: {status:?}"
    );

    // The same posting reposted under another URL: answered from the cache.
    let again = rig.new_postings(&[("/jobs/4-repost", "Senior Rust Engineer")]);
    assert_eq!(rig.drain(&w).await, None);
    assert_eq!(rig.ai.requests().len(), 1, "the cache answered");
    let (score, analyser, _) = rig.score(again[0], rig.alice).unwrap();
    assert_eq!((score, analyser.as_str()), (90, "openai:test-model"));
    assert_eq!(rig.backlog(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_waits_survives_a_restart_and_drains_when_it_refills() {
    let mut rig = rig("batch_size = 1\n[analysis.limits]\nrpm = 1\nrpd = 3\ntpm = 100000");
    rig.new_postings(&[("/jobs/1", "Rust Engineer"), ("/jobs/2", "Designer")]);
    let w = rig.worker();
    let until = rig.drain(&w).await;
    assert_eq!(rig.ai.requests().len(), 1);
    assert_eq!(
        until,
        Some(T0.plus(Duration::from_secs(60))),
        "the minute is spent"
    );
    assert_eq!(rig.backlog(), 1, "the second posting waits, not dropped");

    // A restart forgets nothing.
    drop(w);
    rig.reopen();
    let w = rig.worker();
    assert_eq!(rig.drain(&w).await, Some(T0.plus(Duration::from_secs(60))));
    assert_eq!(rig.ai.requests().len(), 1);

    rig.clock.advance(Duration::from_secs(60));
    assert_eq!(rig.drain(&w).await, None);
    assert_eq!((rig.ai.requests().len(), rig.backlog()), (2, 0));

    // The day: a third request, then nothing until midnight UTC.
    rig.new_postings(&[("/jobs/3", "Rust Lead"), ("/jobs/4", "Rust Intern")]);
    rig.clock.advance(Duration::from_secs(60));
    let until = rig.drain(&w).await;
    assert_eq!(rig.ai.requests().len(), 3);
    rig.clock.advance(Duration::from_secs(60));
    let until_day = rig.drain(&w).await;
    assert!(until.is_some());
    let midnight = Timestamp::parse_rfc3339("2026-11-25T00:00:00Z").unwrap();
    assert_eq!(until_day, Some(midnight), "requests per day used up");
    assert_eq!(rig.ai.requests().len(), 3);
    drop(w);
    rig.reopen();
    let w = rig.worker();
    assert_eq!(rig.drain(&w).await, Some(midnight));
    rig.clock.set(midnight);
    assert_eq!(rig.drain(&w).await, None);
    assert_eq!((rig.ai.requests().len(), rig.backlog()), (4, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_for_its_retry_after_and_bad_replies_fall_back_to_the_builtin_matcher() {
    let rig = rig("");
    rig.ai.script(&[Answer::TooMany(30)]);
    let mut rig = rig;
    let first = rig.new_postings(&[("/jobs/1", "Rust Engineer")]);
    let w = rig.worker();
    let until = rig.drain(&w).await;
    assert_eq!(until, Some(T0.plus(Duration::from_secs(30))));
    let paused = rig.store().read(store::budget_use).unwrap().paused_until;
    assert_eq!(
        paused,
        Some(T0.plus(Duration::from_secs(30))),
        "kept in the store"
    );
    assert_eq!(rig.backlog(), 1);
    rig.clock.advance(Duration::from_secs(30));
    assert_eq!(rig.drain(&w).await, None);
    assert_eq!(rig.score(first[0], rig.alice).unwrap().0, 90);

    // Three unusable replies: the builtin matcher takes over.
    rig.ai
        .script(&[Answer::Malformed, Answer::Malformed, Answer::Malformed]);
    let second = rig.new_postings(&[("/jobs/2", "Rust Developer")]);
    let before = rig.ai.requests().len();
    for round in 1..=3 {
        rig.drain(&w).await;
        assert_eq!(rig.ai.requests().len(), before + round, "round {round}");
        rig.clock.advance(Duration::from_secs(3600));
    }
    let (score, analyser, reason) = rig.score(second[0], rig.alice).unwrap();
    assert_eq!((score, analyser.as_str()), (100, "builtin"));
    assert!(reason.contains("the AI failed"), "{reason}");
    assert_eq!(rig.backlog(), 0);
    // Every answered request counted, the malformed ones too.
    assert_eq!(
        rig.store().read(store::budget_use).unwrap().total_requests,
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_company_takes_its_waiting_postings_with_it() {
    let mut rig = rig("");
    rig.new_postings(&[("/jobs/1", "Rust Engineer"), ("/jobs/2", "Designer")]);
    let company = rig.company;
    rig.store()
        .write(|tx| store::remove_company(tx, company))
        .unwrap();
    assert_eq!(rig.backlog(), 0);
    let w = rig.worker();
    assert_eq!(rig.drain(&w).await, None);
    assert!(rig.ai.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_growing_backlog_tells_the_operator_once_and_again_when_it_recovers() {
    let mut rig = rig(
        "batch_size = 1\n[analysis.limits]\nrpd = 2\n[notify]\nbacklog_alert = 3\n\
         [[notify.sinks]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/ops\"\n",
    );
    let events = |rig: &Rig| -> Vec<String> {
        rig.store()
            .read(|rx| store::outbox::due(rx, Timestamp::from_millis(i64::MAX), 100))
            .unwrap()
            .into_iter()
            .filter_map(|i| match i.message {
                scoutly::model::Message::Event { kind, message, .. } => {
                    assert_eq!(kind, "backlog");
                    Some(message)
                }
                _ => None,
            })
            .collect()
    };
    rig.new_postings(&[
        ("/jobs/1", "A"),
        ("/jobs/2", "B"),
        ("/jobs/3", "C"),
        ("/jobs/4", "D"),
    ]);
    let w = rig.worker();
    rig.drain(&w).await;
    rig.drain(&w).await;
    let raised = events(&rig);
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(raised[0].contains("backlog holds"), "{}", raised[0]);
    // Two went today (backlog 2: under the alert, not yet back to normal);
    // the rest go tomorrow.
    assert_eq!(rig.backlog(), 2);
    rig.clock
        .set(Timestamp::parse_rfc3339("2026-11-25T00:00:00Z").unwrap());
    assert_eq!(rig.drain(&w).await, None);
    let all = events(&rig);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[1].contains("back to 0"), "{}", all[1]);
}
