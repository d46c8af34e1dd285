//! The e-mail sink against a real SMTP conversation (a fixture server on
//! 127.0.0.1): the mail's content and headers, its Message-ID derived from
//! the idempotency key, retries after a temporary refusal, giving up after
//! a permanent one, a mail cut off by kill -9 sent again under the same
//! Message-ID, and a missing password stopping the start.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::site::{Site, careers_page};
use common::smtp::{Mail, Smtp};
use common::{Appliance, FAST_CONFIG};

fn config(smtp: &Smtp) -> String {
    format!(
        "{FAST_CONFIG}\n[notify]\ntimeout = \"2s\"\n\
         [[notify.sinks]]\nname = \"alice-mail\"\nkind = \"email\"\nurl = \"{}\"\n\
         to = [\"Alice <alice@example.com>\"]\nfrom = \"Scoutly <scoutly@example.com>\"\n\
         user = \"alice\"\nmin_score = 0\n",
        smtp.url()
    )
}

/// Acme with a baseline scrape done, tracked by alice.
fn setup(app: &Appliance, site: &Site) {
    site.set("/acme/careers", careers_page("acme", &[(1, "Designer")]));
    app.add_company("Acme", &site.url("/acme/careers"));
    app.json(&["user", "add", "alice"]);
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
}

fn message_id(m: &Mail) -> String {
    m.header("Message-ID").expect("every mail has a Message-ID")
}

#[test]
fn a_match_is_mailed_with_its_key_as_the_message_id() {
    let site = Site::start();
    let smtp = Smtp::start();
    let mut app = Appliance::with_config(&config(&smtp));
    app.start();
    setup(&app, &site);
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Designer"), (2, "Rust Engineer")]),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("a mail", || !smtp.mails().is_empty());
    let mail = &smtp.mails()[0];
    assert_eq!(mail.from, "scoutly@example.com");
    assert_eq!(mail.to, ["alice@example.com"]);
    let subject = mail.header("Subject").unwrap();
    assert!(
        subject.contains("Rust Engineer") && subject.contains("Acme"),
        "{subject}"
    );
    assert!(mail.header("To").unwrap().contains("alice@example.com"));
    assert!(mail.header("Date").is_some());
    let id = message_id(mail);
    assert!(
        id.starts_with("<scoutly-") && id.ends_with("@example.com>"),
        "{id}"
    );
    let key = id.trim_start_matches('<').split('@').next().unwrap();
    let body = mail.body();
    assert!(body.contains("/jobs/2"), "the posting's link: {body}");
    assert!(body.contains(key), "the key in the footer: {body}");
    assert_eq!(app.json(&["status"])["analysis"]["outboxPending"], 0);
    assert_eq!(app.stop(), 0);
}

#[test]
fn a_mail_cut_off_by_kill_9_is_sent_again_under_the_same_message_id() {
    let site = Site::start();
    let smtp = Smtp::start();
    let mut app = Appliance::with_config(&config(&smtp));
    app.start();
    setup(&app, &site);
    let jobs: Vec<(u32, String)> = (2..6).map(|i| (i, format!("Engineer {i}"))).collect();
    let refs: Vec<(u32, &str)> = jobs.iter().map(|(i, t)| (*i, t.as_str())).collect();
    // The first mail's end of DATA stays unanswered: the kill lands after
    // the server has the whole mail and before the appliance knows.
    smtp.hold();
    site.set("/acme/careers", careers_page("acme", &refs));
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("a mail held mid-delivery", || smtp.holding());
    app.kill();
    smtp.release();
    let cut = message_id(&smtp.arrived()[0]);
    app.start();
    app.wait_until("every posting mailed", || {
        let s = app.json(&["status"]);
        s["analysis"]["backlog"] == 0 && s["analysis"]["outboxPending"] == 0
    });
    // Which Message-IDs each posting went out under.
    let mut ids_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for mail in smtp.arrived() {
        let body = mail.body();
        let link = body
            .split_whitespace()
            .find(|w| w.contains("/jobs/"))
            .unwrap_or_else(|| panic!("a mail without a posting: {body}"))
            .to_string();
        ids_of.entry(link).or_default().insert(message_id(&mail));
    }
    assert_eq!(ids_of.len(), 4, "every new posting mailed: {ids_of:?}");
    for (link, ids) in &ids_of {
        assert_eq!(ids.len(), 1, "{link} went out under several ids: {ids:?}");
    }
    let repeats = smtp
        .arrived()
        .iter()
        .filter(|m| message_id(m) == cut)
        .count();
    assert_eq!(
        repeats, 2,
        "the cut mail was sent again, recognisably the same"
    );
    assert_eq!(app.json(&["status"])["analysis"]["outboxDead"], 0);
}

#[test]
fn a_missing_smtp_password_stops_the_start_and_says_where_to_put_it() {
    let smtp = Smtp::start();
    let url = format!("smtp://alerts@{}?tls=none", smtp.addr);
    let cfg = format!(
        "{FAST_CONFIG}\n[[notify.sinks]]\nname = \"ops-mail\"\nkind = \"email\"\nurl = \"{url}\"\n\
         to = [\"ops@example.com\"]\nfrom = \"scoutly@example.com\"\npassword_env = \"SCOUTLY_TEST_SMTP_PASSWORD\"\n"
    );
    let app = Appliance::with_config(&cfg);
    let out = app.cli(&["run", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("ops-mail") && out.stderr.contains("$SCOUTLY_TEST_SMTP_PASSWORD"),
        "{}",
        out.stderr
    );
}

mod deliverer {
    use super::common::outbox as rigs;
    use super::common::smtp::Smtp;
    use scoutly::clock::Clock;
    use scoutly::config::{EmailSink, MailTls, Sink, SinkKind, SinkMode};
    use scoutly::model::Timestamp;
    use scoutly::notify;
    use scoutly::store::outbox;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_temporary_refusal_is_retried_under_the_same_id_and_a_permanent_one_gives_up() {
        let smtp = Smtp::start();
        let (_dir, store, clock, d) = rigs::rig(vec![Sink {
            name: "ops-mail".into(),
            kind: SinkKind::Email,
            url: url::Url::parse(&format!("smtp://{}", smtp.addr)).unwrap(),
            user: None,
            mode: SinkMode::Immediate,
            min_score: 0,
            events: vec!["disk_low".into()],
            email: Some(EmailSink {
                to: vec!["ops@example.com".into()],
                from: "Scoutly <scoutly@example.com>".into(),
                tls: MailTls::None,
                username: None,
                password_env: None,
                password_file: None,
            }),
        }]);
        let event = |text: &str| {
            store
                .write(|tx| notify::event(tx, &d.cfg, "disk_low", text, None, clock.now()))
                .unwrap()
        };

        assert_eq!(event("3% free"), 1);
        smtp.refuse_next(&["451 4.3.0 mailbox busy, try later"]);
        assert_eq!(d.tick().await.unwrap(), 1);
        assert!(smtp.mails().is_empty());
        let item = store
            .read(|rx| outbox::due(rx, Timestamp::from_millis(i64::MAX), 1))
            .unwrap();
        assert_eq!(item[0].attempts, 1);
        assert!(
            item[0].last_error.as_deref().unwrap().contains("451"),
            "{item:?}"
        );
        clock.set(item[0].due);
        assert_eq!(d.tick().await.unwrap(), 1);
        let arrived = smtp.arrived();
        assert_eq!(arrived.len(), 2);
        assert_eq!(
            arrived[0].header("Message-ID"),
            arrived[1].header("Message-ID"),
            "the retry is recognisably the same mail"
        );
        assert_eq!(smtp.mails().len(), 1);
        assert!(
            smtp.mails()[0]
                .header("Subject")
                .unwrap()
                .contains("disk low")
        );
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 0));

        assert_eq!(event("1% free"), 1);
        smtp.refuse_next(&["554 5.7.1 relaying denied"]);
        d.tick().await.unwrap();
        assert_eq!(store.read(outbox::counts).unwrap(), (0, 1), "given up");
        let dead = store.read(|rx| outbox::get(rx, 2)).unwrap().unwrap();
        assert!(dead.last_error.unwrap().contains("554"));
    }
}
