use super::*;
use crate::model::{FetchMode, NewCompany, NewLink, Rank, Role, Timestamp};

pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("scoutly.redb")).unwrap();
    (dir, store)
}

pub(crate) fn company(name: &str) -> NewCompany {
    NewCompany {
        name: name.into(),
        urls: vec![format!("https://{name}.example/careers")],
        mode: FetchMode::Auto,
        include: vec![],
        exclude: vec![],
    }
}

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

#[test]
fn second_open_reports_in_use_with_pid() {
    let (dir, _store) = temp_store();
    let err = Store::open(&dir.path().join("scoutly.redb")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::InUse { .. }), "{msg}");
    assert!(
        msg.contains(&format!("PID {}", std::process::id())),
        "{msg}"
    );
}

#[test]
fn newer_schema_is_refused_and_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scoutly.redb");
    {
        let store = Store::open(&path).unwrap();
        store
            .write(|tx| meta_set(tx, "schema_version", 99))
            .unwrap();
    }
    let msg = Store::open(&path).unwrap_err().to_string();
    assert!(
        msg.contains("schema version 99") && msg.contains(&format!("up to {SCHEMA_VERSION}")),
        "{msg}"
    );
}

#[test]
fn fresh_file_is_stamped_with_current_schema() {
    let (_dir, store) = temp_store();
    let v = store.read(|rx| meta_get(rx, "schema_version")).unwrap();
    assert_eq!(v, Some(SCHEMA_VERSION));
}

#[test]
fn company_names_are_unique_case_insensitively() {
    let (_dir, store) = temp_store();
    store
        .write(|tx| insert_company(tx, company("Acme"), T0))
        .unwrap();
    let err = store
        .write(|tx| insert_company(tx, company("acme"), T0))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    let found = store.read(|rx| company_by_ref(rx, "ACME")).unwrap();
    assert_eq!(found.id, 1);
    assert_eq!(
        store.read(|rx| company_by_ref(rx, "1")).unwrap().name,
        "Acme"
    );
}

#[test]
fn effective_rank_is_highest_tracking_rank() {
    let (_dir, store) = temp_store();
    let (c, a, b) = store
        .write(|tx| {
            let c = insert_company(tx, company("Acme"), T0)?;
            let a = insert_user(tx, "ann", Role::User, hash_token("a"), T0)?;
            let b = insert_user(tx, "bob", Role::User, hash_token("b"), T0)?;
            Ok((c.id, a.id, b.id))
        })
        .unwrap();
    let rank = |store: &Store| store.read(|rx| get_company(rx, c)).unwrap().effective_rank;
    assert_eq!(rank(&store), None);
    store
        .write(|tx| track(tx, a, c, Rank::new(40).unwrap(), T0))
        .unwrap();
    store
        .write(|tx| track(tx, b, c, Rank::new(90).unwrap(), T0))
        .unwrap();
    assert_eq!(rank(&store), Some(Rank::new(90).unwrap()));
    store.write(|tx| untrack(tx, b, c)).unwrap();
    assert_eq!(rank(&store), Some(Rank::new(40).unwrap()));
    store.write(|tx| untrack(tx, a, c)).unwrap();
    assert_eq!(rank(&store), None);
    assert!(store.write(|tx| untrack(tx, a, c)).is_err());
    let prefs = store.read(|rx| preferences_of_user(rx, a)).unwrap();
    assert!(prefs.is_empty());
}

#[test]
fn token_lookup_uses_hash_only() {
    let (_dir, store) = temp_store();
    let user = store
        .write(|tx| insert_user(tx, "ann", Role::Admin, hash_token("secret"), T0))
        .unwrap();
    assert_ne!(user.token_hash.as_slice(), b"secret");
    let found = store.read(|rx| user_by_token(rx, "secret")).unwrap();
    assert_eq!(found.map(|u| u.id), Some(user.id));
    assert!(
        store
            .read(|rx| user_by_token(rx, "wrong"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn first_scrape_is_baseline_then_only_new_links_become_postings() {
    let (_dir, store) = temp_store();
    let c = store
        .write(|tx| insert_company(tx, company("Acme"), T0))
        .unwrap();
    let link = |u: &str| NewLink::page(u, u);
    let first = store
        .write(|tx| {
            record_links(
                tx,
                c.id,
                1,
                &[link("https://a/jobs/1"), link("https://a/jobs/2")],
                true,
                T0,
            )
        })
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|p| p.baseline));
    let second = store
        .write(|tx| {
            record_links(
                tx,
                c.id,
                2,
                &[link("https://a/jobs/2"), link("https://a/jobs/3")],
                false,
                T0,
            )
        })
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].url, "https://a/jobs/3");
    assert!(!second[0].baseline);
    let all = store
        .read(|rx| {
            list_postings(
                rx,
                &PostingFilter {
                    include_baseline: true,
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    let news = store
        .read(|rx| list_postings(rx, &PostingFilter::default()))
        .unwrap();
    assert_eq!(news.len(), 1);
    // Removing the company removes its snapshot and postings.
    store.write(|tx| remove_company(tx, c.id)).unwrap();
    assert!(!store.read(|rx| has_snapshot(rx, c.id)).unwrap());
    assert_eq!(store.read(count_postings).unwrap(), 0);
}

#[test]
fn a_link_seen_again_is_rewritten_at_most_once_a_week() {
    let (_dir, store) = temp_store();
    let c = store
        .write(|tx| insert_company(tx, company("Acme"), T0))
        .unwrap();
    let links = [NewLink::page("https://a/jobs/1", "One")];
    let record = |at: Timestamp| {
        store
            .write(|tx| record_links(tx, c.id, 1, &links, false, at))
            .unwrap();
    };
    let last_seen = || {
        store
            .read(|rx| {
                let v = rx.snapshots.get((c.id, "https://a/jobs/1"))?.unwrap();
                codec::decode::<crate::model::SnapshotEntry>(v.value(), &"link")
            })
            .unwrap()
            .last_seen
    };
    record(T0);
    let day = std::time::Duration::from_secs(86_400);
    record(T0.plus(day * 6));
    assert_eq!(last_seen(), T0, "a check within the week writes nothing");
    record(T0.plus(day * 8));
    assert_eq!(last_seen(), T0.plus(day * 8));
}

#[test]
fn lazy_commits_are_visible_at_once_and_on_disk_after_a_flush_or_close() {
    let (dir, store) = temp_store();
    let durable = store.durable_commits();
    let c = store
        .write_lazy(|tx| insert_company(tx, company("Lazy"), T0))
        .unwrap();
    assert!(store.has_unflushed());
    assert_eq!(store.read(|rx| get_company(rx, c.id)).unwrap().name, "Lazy");
    assert!(store.flush().unwrap());
    assert!(!store.has_unflushed());
    assert_eq!(store.durable_commits(), durable + 1);
    assert!(!store.flush().unwrap(), "nothing left to flush");
    // A durable commit covers earlier lazy ones.
    store
        .write_lazy(|tx| insert_company(tx, company("Second"), T0))
        .unwrap();
    store.write(|tx| meta_set(tx, "x", 1)).unwrap();
    assert!(!store.has_unflushed());
    // Closing flushes what is left.
    let third = store
        .write_lazy(|tx| insert_company(tx, company("Third"), T0))
        .unwrap();
    drop(store);
    let store = Store::open(&dir.path().join("scoutly.redb")).unwrap();
    assert_eq!(
        store.read(|rx| get_company(rx, third.id)).unwrap().name,
        "Third"
    );
}

#[test]
fn page_cache_is_dropped_when_pages_must_be_read_again_or_the_company_goes() {
    let (_d, store) = temp_store();
    let entry = crate::model::PageCache {
        etag: Some("\"v1\"".into()),
        last_modified: None,
        next: Some("https://a.example/careers?page=2".into()),
        board: None,
    };
    let url = "https://a.example/careers";
    let (a, b) = store
        .write(|tx| {
            let a = insert_company(tx, company("a"), T0)?.id;
            let b = insert_company(tx, company("b"), T0)?.id;
            for id in [a, b] {
                put_page_cache(tx, id, url, &entry)?;
            }
            Ok((a, b))
        })
        .unwrap();
    let cached = |id| store.read(|rx| page_cache(rx, id, url)).unwrap();
    assert_eq!(cached(a), Some(entry.clone()));
    // A rename keeps it; new patterns drop it.
    let rename = CompanyPatch {
        name: Some("a2".into()),
        ..CompanyPatch::default()
    };
    store.write(|tx| patch_company(tx, a, rename)).unwrap();
    assert!(cached(a).is_some());
    let patterns = CompanyPatch {
        include: Some(vec!["/jobs/".into()]),
        ..CompanyPatch::default()
    };
    store.write(|tx| patch_company(tx, a, patterns)).unwrap();
    assert_eq!(cached(a), None);
    assert!(cached(b).is_some(), "another company's cache stays");
    store.write(|tx| remove_company(tx, b)).unwrap();
    assert_eq!(cached(b), None);
}

#[test]
fn a_schema_1_file_opens_and_its_records_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scoutly.redb");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/db/schema-v1.redb"
    );
    std::fs::copy(fixture, &path).unwrap();
    let store = Store::open(&path).unwrap();
    let version = store.read(|rx| meta_get(rx, "schema_version")).unwrap();
    assert_eq!(version, Some(SCHEMA_VERSION));
    let all = store
        .read(|rx| {
            list_postings(
                rx,
                &PostingFilter {
                    include_baseline: true,
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].url, "https://acme.example/jobs/2");
    assert_eq!(all[0].title, "Title of https://acme.example/jobs/2");
    assert!(all[1].baseline && all[0].board_id.is_none());
    let jobs = store.read(crate::queue::active_jobs).unwrap();
    let cp = store
        .read(|rx| crate::queue::checkpoint_of(rx, jobs[0].id))
        .unwrap()
        .unwrap();
    assert_eq!(cp.pages, 1);
    assert_eq!(
        cp.links,
        [NewLink::page(
            "https://acme.example/jobs/3",
            "Title of https://acme.example/jobs/3"
        )]
    );
    // Records read from the old format are written in the new one.
    store
        .write(|tx| record_links(tx, 1, 9, &cp.links, false, T0))
        .unwrap();
    assert!(
        store
            .read(|rx| snapshot_contains(rx, 1, "https://acme.example/jobs/3"))
            .unwrap()
    );
}
