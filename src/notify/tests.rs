use std::time::Duration;

use super::*;
use crate::config::{Sink, SinkKind};
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
