use std::time::Duration;

use super::*;
use crate::config::{Sink, SinkKind};
use crate::model::OutboxItem;
use crate::store::tests::temp_store;

fn sink(name: &str, user: Option<&str>, mode: SinkMode, events: &[&str]) -> Sink {
    Sink {
        name: name.into(),
        kind: SinkKind::Webhook,
        url: url::Url::parse("http://127.0.0.1:9/hook").unwrap(),
        user: user.map(Into::into),
        mode,
        min_score: 60,
        events: events.iter().map(|e| e.to_string()).collect(),
        email: None,
    }
}

fn cfg() -> NotifyConfig {
    NotifyConfig {
        digest_interval: Duration::from_secs(3600),
        timeout: Duration::from_secs(5),
        give_up_after: Duration::from_secs(86400),
        backlog_alert: 10,
        sinks: vec![
            sink("alice-now", Some("alice"), SinkMode::Immediate, &[]),
            sink("alice-hourly", Some("alice"), SinkMode::Digest, &[]),
            sink("bob", Some("bob"), SinkMode::Immediate, &[]),
            sink("ops", None, SinkMode::Immediate, &["quarantined"]),
        ],
    }
}

fn announced(score: u8) -> Announced {
    Announced {
        posting_id: 1,
        company_id: 1,
        company: "Acme".into(),
        title: "Engineer".into(),
        url: "https://acme.example/jobs/1".into(),
        location: None,
        remote: None,
        score,
        reason: "r".into(),
    }
}

#[test]
fn digests_fall_on_the_interval_boundary() {
    let hour = Duration::from_secs(3600);
    let t = Timestamp::from_millis(3_600_000 * 10 + 5);
    assert_eq!(next_digest(t, hour), Timestamp::from_millis(3_600_000 * 11));
    let on = Timestamp::from_millis(3_600_000 * 10);
    assert_eq!(
        next_digest(on, hour),
        Timestamp::from_millis(3_600_000 * 11)
    );
}

#[test]
fn a_match_goes_to_its_users_sinks_above_their_threshold() {
    let (_dir, store) = temp_store();
    let now = Timestamp::from_millis(3_600_000 * 10 + 5);
    let alice = store
        .write(|tx| store::insert_user(tx, "alice", crate::model::Role::User, [1; 32], now))
        .unwrap();
    let cfg = cfg();
    let n = store
        .write(|tx| announce(tx, &cfg, alice.id, &announced(59), now))
        .unwrap();
    assert_eq!(n, 0, "below min_score");
    let n = store
        .write(|tx| announce(tx, &cfg, alice.id, &announced(75), now))
        .unwrap();
    assert_eq!(n, 2);
    let items = store
        .read(|rx| outbox::due(rx, Timestamp::from_millis(i64::MAX), 10))
        .unwrap();
    let now_item = items.iter().find(|i| i.sink == "alice-now").unwrap();
    assert_eq!((now_item.due, now_item.digest_part), (now, false));
    let digest = items.iter().find(|i| i.sink == "alice-hourly").unwrap();
    assert_eq!(digest.due, Timestamp::from_millis(3_600_000 * 11));
    assert!(digest.digest_part);
    assert_ne!(now_item.key, digest.key);
    assert!(now_item.key.starts_with("scoutly-"));

    let n = store
        .write(|tx| event(tx, &cfg, "quarantined", "Acme is quarantined", Some(1), now))
        .unwrap();
    assert_eq!(n, 1);
    let n = store
        .write(|tx| event(tx, &cfg, "overheated", "hot", None, now))
        .unwrap();
    assert_eq!(n, 0, "ops does not take overheated");
    assert_eq!(store.read(outbox::counts).unwrap(), (3, 0));
}

fn item(message: Message) -> OutboxItem {
    OutboxItem {
        id: 1,
        sink: "team".into(),
        key: "scoutly-test-1".into(),
        message,
        created: Timestamp::from_millis(0),
        due: Timestamp::from_millis(0),
        attempts: 0,
        last_error: None,
        digest_part: false,
        dead: false,
    }
}

#[test]
fn slack_messages_escape_mrkdwn_and_stay_within_the_block_limit() {
    let mut hostile = announced(90);
    hostile.title = "<!channel> R&D lead".into();
    hostile.company = "A <b> Co".into();
    let body = sinks::slack_body(&item(Message::Postings {
        user_id: 1,
        postings: vec![hostile],
    }));
    let text = body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        text.contains("|&lt;!channel&gt; R&amp;D lead>") && text.contains("*A &lt;b&gt; Co*"),
        "{text}"
    );
    assert!(!text.contains("<!channel>"), "no mention can be injected");
    let mut loud = announced(90);
    loud.title = "@channel <!here> Engineer".into();
    let body = sinks::slack_body(&item(Message::Postings {
        user_id: 1,
        postings: vec![loud],
    }));
    let top = body["text"].as_str().unwrap();
    assert!(
        !top.contains("@channel") && !top.contains("<!here>"),
        "{top}"
    );

    let many: Vec<Announced> = (0..30).map(|_| announced(70)).collect();
    let body = sinks::slack_body(&item(Message::Postings {
        user_id: 1,
        postings: many,
    }));
    let blocks = body["blocks"].as_array().unwrap();
    // Heading, 20 postings, "and 10 more", the key.
    assert_eq!(blocks.len(), 23);
    assert!(
        blocks[21]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("10 more")
    );
    assert_eq!(body["text"], "30 new matching postings");

    let body = sinks::slack_body(&item(Message::Event {
        kind: "disk_low".into(),
        message: "3% free".into(),
        company_id: None,
    }));
    assert_eq!(body["text"], "Scoutly: disk low: 3% free");
    assert!(
        body["blocks"][1]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .ends_with("scoutly-test-1")
    );
}
