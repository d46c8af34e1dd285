//! A notification deliverer over a fresh store with user "alice", on a
//! driven clock, for the deliverer tests of each sink kind.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use scoutly::clock::ManualClock;
use scoutly::config::{NotifyConfig, Sink};
use scoutly::model::{Role, Timestamp};
use scoutly::notify::Deliverer;
use scoutly::store::{self, Store};

/// 2026-11-24T10:20:00Z.
pub const T0: Timestamp = Timestamp::from_millis(1_795_515_600_000);

/// The store's directory, the store, the clock (at [`T0`]) and a deliverer
/// to `sinks` (2 s timeout, given up after a day).
pub fn rig(sinks: Vec<Sink>) -> (tempfile::TempDir, Store, Arc<ManualClock>, Deliverer) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    store
        .write(|tx| store::insert_user(tx, "alice", Role::User, [1; 32], T0))
        .unwrap();
    let cfg = NotifyConfig {
        digest_interval: Duration::from_secs(3600),
        timeout: Duration::from_secs(2),
        give_up_after: Duration::from_secs(86_400),
        backlog_alert: 100,
        sinks,
    };
    let clock = ManualClock::new(T0);
    let d = Deliverer::new(
        store.clone(),
        clock.clone(),
        Arc::new(cfg),
        Default::default(),
        &scoutly::config::ProcessEnv,
    )
    .unwrap();
    (dir, store, clock, d)
}
