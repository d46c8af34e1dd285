//! Matches reach users' sinks on the real binary: the builtin matcher, a
//! fixture webhook that records idempotency keys, and kill -9 during
//! delivery.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::hook::Hook;
use common::site::{Site, careers_page};
use common::{Appliance, FAST_CONFIG};
use serde_json::Value;

fn config(hook: &Hook, min_score: u8) -> String {
    format!(
        "{FAST_CONFIG}\n[notify]\ntimeout = \"2s\"\n\
         [[notify.sinks]]\nname = \"alice-hook\"\nkind = \"webhook\"\nurl = \"{}\"\nuser = \"alice\"\nmin_score = {min_score}\n\
         [[notify.sinks]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{}\"\n",
        hook.url(),
        hook.url()
    )
}

/// A posting's page, with the structured data careers sites publish.
fn posting_page(title: &str, city: &str, text: &str) -> String {
    format!(
        r#"<html><head><title>{title}</title><script type="application/ld+json">
        {{"@context":"https://schema.org","@type":"JobPosting","title":"{title}",
          "jobLocation":{{"@type":"Place","address":{{"addressLocality":"{city}"}}}}}}
        </script></head><body><header>Acme</header><h1>{title}</h1>
        <p>{text}</p><footer>Privacy</footer></body></html>"#
    )
}

/// Acme with a baseline scrape done, tracked by alice; returns her token.
fn setup(app: &Appliance, site: &Site, jobs: &[(u32, &str)]) -> String {
    site.set("/acme/careers", careers_page("acme", jobs));
    app.add_company("Acme", &site.url("/acme/careers"));
    let token = app.json(&["user", "add", "alice"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    app.json(&[
        "track",
        "--user",
        "alice",
        "--company",
        "Acme",
        "--rank",
        "80",
    ]);
    app.wait_until("the baseline scrape", || !app.jobs("completed").is_empty());
    token
}

fn postings_of(hook: &Hook) -> Vec<(String, u64)> {
    hook.got()
        .iter()
        .filter(|d| d.body["type"] == "postings")
        .flat_map(|d| {
            let key = d.key.clone().unwrap_or_default();
            d.body["postings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |p| (key.clone(), p["postingId"].as_u64().unwrap()))
        })
        .collect()
}

#[test]
fn a_match_reaches_the_users_webhook_with_its_score_and_reason() {
    let site = Site::start();
    let hook = Hook::start();
    let mut app = Appliance::with_config(&config(&hook, 50));
    app.start();
    let token = setup(&app, &site, &[(1, "Designer")]);
    let c = app.json(&[
        "user",
        "criteria",
        "alice",
        "--keyword",
        "rust=3",
        "--exclude",
        "php",
    ]);
    assert_eq!(c["keywords"][0]["weight"], 3);

    site.set(
        "/acme/careers",
        careers_page(
            "acme",
            &[
                (1, "Designer"),
                (2, "Senior Rust Engineer"),
                (3, "Office Manager"),
            ],
        ),
    );
    site.set(
        "/acme/jobs/2-senior-rust-engineer",
        posting_page(
            "Senior Rust Engineer",
            "Lisbon",
            "You will write services in Rust.",
        ),
    );
    site.set(
        "/acme/jobs/3-office-manager",
        posting_page("Office Manager", "Porto", "You will run the office."),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("the match's notification", || {
        !postings_of(&hook).is_empty()
    });
    app.wait_until("analysis and delivery to finish", || {
        let s = app.json(&["status"]);
        s["analysis"]["backlog"] == 0 && s["analysis"]["outboxPending"] == 0
    });

    let delivered = hook.got();
    let matches: Vec<&common::hook::Delivery> = delivered
        .iter()
        .filter(|d| d.body["type"] == "postings")
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "only the match above min_score: {delivered:?}"
    );
    let p = &matches[0].body["postings"][0];
    assert_eq!(p["title"], "Senior Rust Engineer");
    assert_eq!(p["location"], "Lisbon");
    assert_eq!(p["score"], 100);
    assert!(
        p["reason"].as_str().unwrap().contains("title has rust"),
        "{p}"
    );
    assert_eq!(matches[0].key.as_deref(), matches[0].body["key"].as_str());
    assert_eq!(matches[0].body["user"]["name"], "alice");

    let listed = app.json(&["postings", "--user", "alice", "--min-score", "50"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["matches"][0]["score"], 100);
    assert_eq!(listed[0]["location"], "Lisbon");
    assert!(
        listed[0]["excerpt"]
            .as_str()
            .unwrap()
            .contains("services in Rust")
    );

    let (code, body) = app.http("GET", "/api/postings", Some(&token), None);
    assert_eq!(code, 200);
    let manager = body["postings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Office Manager")
        .unwrap();
    assert_eq!(manager["matches"][0]["score"], 0, "{manager}");
    let (code, body) = app.http(
        "PUT",
        "/api/criteria",
        Some(&token),
        Some(r#"{"keywords":[{"word":"go","weight":11}]}"#),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 to 10")
    );
    let (code, body) = app.http(
        "PUT",
        "/api/criteria",
        Some(&token),
        Some(r#"{"remote":"only"}"#),
    );
    assert_eq!((code, &body["remote"]), (200, &Value::from("only")));
    assert_eq!(body["keywords"][0]["word"], "rust", "untouched parts stay");
    assert_eq!(app.stop(), 0);
}

#[test]
fn each_posting_is_announced_under_one_key_across_kill_9_during_delivery() {
    let site = Site::start();
    let hook = Hook::start();
    // Every delivery is recorded on arrival and answered late, so a kill
    // lands while deliveries are in flight.
    hook.set_delay(Duration::from_millis(150));
    let mut app = Appliance::with_config(&config(&hook, 0));
    app.start();
    setup(&app, &site, &[(1, "Designer")]);
    let jobs: Vec<(u32, String)> = (2..14).map(|i| (i, format!("Engineer {i}"))).collect();
    let refs: Vec<(u32, &str)> = jobs.iter().map(|(i, t)| (*i, t.as_str())).collect();
    site.set("/acme/careers", careers_page("acme", &refs));
    app.json(&["jobs", "start", "Acme"]);

    for round in 1..=3 {
        app.wait_until("more deliveries", || postings_of(&hook).len() >= round * 2);
        app.kill();
        app.start();
    }
    app.wait_until("every posting announced", || {
        let s = app.json(&["status"]);
        s["analysis"]["backlog"] == 0 && s["analysis"]["outboxPending"] == 0
    });
    let mut keys_of: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (key, posting) in postings_of(&hook) {
        keys_of.entry(posting).or_default().insert(key);
    }
    assert_eq!(
        keys_of.len(),
        12,
        "every new posting announced: {keys_of:?}"
    );
    for (posting, keys) in &keys_of {
        assert_eq!(
            keys.len(),
            1,
            "posting {posting} went out under several keys: {keys:?}"
        );
    }
    let repeats = postings_of(&hook).len() - 12;
    println!("deliveries repeated after kill -9 (same key): {repeats}");
    assert_eq!(app.json(&["status"])["analysis"]["outboxDead"], 0);
}

#[test]
fn a_refused_notification_is_kept_listed_and_sent_again_on_request() {
    let site = Site::start();
    // The sink answers 404 until the test gives it a page.
    let config = format!(
        "{FAST_CONFIG}\n[[notify.sinks]]\nname = \"alice-hook\"\nkind = \"webhook\"\nurl = \"{}\"\nuser = \"alice\"\nmin_score = 0\n",
        site.url("/sink")
    );
    let mut app = Appliance::with_config(&config);
    app.start();
    setup(&app, &site, &[(1, "Designer")]);
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Designer"), (2, "Chef")]),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("the notification given up", || {
        app.json(&["status"])["analysis"]["outboxDead"] == 1
    });
    let dead = app.json(&["outbox", "--dead"]);
    assert_eq!(dead[0]["summary"], "Chef at Acme", "{dead}");
    assert!(
        dead[0]["lastError"].as_str().unwrap().contains("HTTP 404"),
        "{dead}"
    );
    let id = dead[0]["id"].to_string();
    site.set("/sink", "ok".into());
    let retried = app.json(&["outbox", "retry", &id]);
    assert_eq!(retried["givenUp"], false);
    app.wait_until("the second try", || site.hits("/sink") == 2);
    app.wait_until("the outbox empty", || {
        let s = app.json(&["status"]);
        s["analysis"]["outboxDead"] == 0 && s["analysis"]["outboxPending"] == 0
    });
    let again = app.cli(&["outbox", "retry", &id]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("not found"), "{}", again.stderr);
}

mod deliverer {
    use std::sync::Arc;
    use std::time::Duration;

    use super::common::hook::Hook;
    use scoutly::clock::{Clock, ManualClock};
    use scoutly::config::{Sink, SinkKind, SinkMode};
    use scoutly::model::{Announced, Timestamp};
    use scoutly::notify::{self, Deliverer};
    use scoutly::store::{Store, outbox};

    use super::common::outbox::{self as rigs, T0};

    fn rig(hook: &Hook, mode: SinkMode) -> (tempfile::TempDir, Store, Arc<ManualClock>, Deliverer) {
        rig_of(hook, mode, SinkKind::Webhook)
    }

    fn rig_of(
        hook: &Hook,
        mode: SinkMode,
        kind: SinkKind,
    ) -> (tempfile::TempDir, Store, Arc<ManualClock>, Deliverer) {
        rigs::rig(vec![Sink {
            name: "alice".into(),
            kind,
            url: url::Url::parse(&hook.url()).unwrap(),
            user: Some("alice".into()),
            mode,
            min_score: 0,
            events: vec![],
            email: None,
        }])
    }

    fn announce(store: &Store, d: &Deliverer, n: u64, now: Timestamp) {
        store
            .write(|tx| {
                let p = Announced {
                    posting_id: n,
                    company_id: 1,
                    company: "Acme".into(),
                    title: format!("Engineer {n}"),
                    url: format!("https://acme.example/jobs/{n}"),
                    location: None,
                    remote: None,
                    score: 70,
                    reason: "r".into(),
                };
                notify::announce(tx, &d.cfg, 1, &p, now)
            })
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_delivery_is_retried_later_with_the_same_key() {
        let hook = Hook::start();
        let (_dir, store, clock, d) = rig(&hook, SinkMode::Immediate);
        announce(&store, &d, 1, T0);
        hook.fail_next(1);
        assert_eq!(d.tick().await.unwrap(), 1);
        assert!(hook.got().is_empty());
        let item = store
            .read(|rx| outbox::due(rx, Timestamp::from_millis(i64::MAX), 1))
            .unwrap();
        assert_eq!(item[0].attempts, 1);
        let wait = item[0].due.since(T0);
        assert!(
            wait >= Duration::from_secs(24) && wait <= Duration::from_secs(36),
            "{wait:?}"
        );
        assert_eq!(d.tick().await.unwrap(), 0, "not due yet");
        clock.set(item[0].due);
        assert_eq!(d.tick().await.unwrap(), 1);
        let got = hook.got();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].key.as_deref(), Some(item[0].key.as_str()));
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slack_webhook_gets_text_and_blocks_with_the_key_and_retries_keep_it() {
        let hook = Hook::start();
        let (_dir, store, clock, d) = rig_of(&hook, SinkMode::Immediate, SinkKind::Slack);
        announce(&store, &d, 7, T0);
        hook.fail_next(1);
        assert_eq!(d.tick().await.unwrap(), 1);
        let item = store
            .read(|rx| outbox::due(rx, Timestamp::from_millis(i64::MAX), 1))
            .unwrap();
        clock.set(item[0].due);
        assert_eq!(d.tick().await.unwrap(), 1);
        let got = hook.got();
        assert_eq!(got.len(), 1, "{got:?}");
        let body = &got[0].body;
        assert_eq!(got[0].key.as_deref(), Some(item[0].key.as_str()));
        assert_eq!(
            body["text"], "New posting: Engineer 7 at Acme (match 70%)",
            "{body}"
        );
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "section");
        let posting = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(
            posting.contains("<https://acme.example/jobs/7|Engineer 7>")
                && posting.contains("match 70%"),
            "{posting}"
        );
        let context = blocks.last().unwrap();
        assert_eq!(context["type"], "context");
        assert!(
            context["elements"][0]["text"]
                .as_str()
                .unwrap()
                .contains(&item[0].key)
        );
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_digest_gathers_the_hour_into_one_message() {
        let hook = Hook::start();
        let (_dir, store, clock, d) = rig(&hook, SinkMode::Digest);
        for n in 1..=3 {
            announce(&store, &d, n, T0.plus(Duration::from_secs(60 * n)));
        }
        clock.set(T0.plus(Duration::from_secs(600)));
        assert_eq!(d.tick().await.unwrap(), 0, "the hour is not over");
        let hour = Timestamp::parse_rfc3339("2026-11-24T11:00:00Z").unwrap();
        clock.set(hour);
        d.tick().await.unwrap();
        d.tick().await.unwrap();
        let got = hook.got();
        assert_eq!(got.len(), 1, "{got:?}");
        let titles: Vec<&str> = got[0].body["postings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Engineer 1", "Engineer 2", "Engineer 3"]);
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_item_past_its_deadline_or_without_its_sink_is_given_up_and_kept() {
        let hook = Hook::start();
        let (_dir, store, clock, d) = rig(&hook, SinkMode::Immediate);
        announce(&store, &d, 1, T0);
        hook.fail_next(100);
        clock.set(T0.plus(Duration::from_secs(86_400)));
        d.tick().await.unwrap();
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 1));
        let dead = store.read(|rx| outbox::get(rx, 1)).unwrap().unwrap();
        assert!(dead.dead && dead.last_error.unwrap().contains("given up after 1day"));

        let mut cfg = (*d.cfg).clone();
        cfg.sinks.clear();
        let d2 = Deliverer::new(
            store.clone(),
            clock.clone(),
            Arc::new(cfg),
            Default::default(),
            &scoutly::config::ProcessEnv,
        )
        .unwrap();
        announce(&store, &d, 2, clock.now());
        d2.tick().await.unwrap();
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 2));
        let gone = store.read(|rx| outbox::get(rx, 2)).unwrap().unwrap();
        assert!(gone.last_error.unwrap().contains("no longer in the config"));
    }
}

#[test]
fn a_quarantine_is_announced_once_and_its_resume_once_as_recovered() {
    let site = Site::start();
    let hook = Hook::start();
    site.set_page(
        "/down/careers",
        common::site::Page {
            status: 500,
            body: "down".into(),
            ..Default::default()
        },
    );
    let cfg = format!(
        "{FAST_CONFIG}\n[breaker]\nfailures = 1\ncool_off = \"300ms\"\n[quarantine]\nafter_opens = 2\n\
         [[notify.sinks]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{}\"\nevents = [\"quarantined\"]\n",
        hook.url()
    );
    let mut app = Appliance::with_config(&cfg);
    app.start();
    app.add_company("Down", &site.url("/down/careers"));
    let events = || -> Vec<String> {
        hook.got()
            .iter()
            .filter(|d| d.body["type"] == "event" && d.body["event"] == "quarantined")
            .map(|d| d.body["message"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    app.wait_until("the quarantine announced", || events().len() == 1);
    assert!(!events()[0].starts_with("recovered"), "{:?}", events());
    site.set("/down/careers", careers_page("down", &[(1, "Engineer")]));
    app.json(&["company", "set", "Down", "--resume"]);
    app.wait_until("the recovery announced", || events().len() == 2);
    assert!(
        events()[1].starts_with("recovered: Down was resumed"),
        "{:?}",
        events()
    );
    // Resuming a company that is not quarantined says nothing.
    app.json(&["company", "set", "Down", "--resume"]);
    app.wait_until("a scrape after the resume, nothing left to send", || {
        !app.jobs("completed").is_empty() && app.json(&["status"])["analysis"]["outboxPending"] == 0
    });
    assert_eq!(events().len(), 2, "{:?}", events());
    assert_eq!(app.stop(), 0);
}
