//! Seeding a real redb file for the benchmarks: companies, users and
//! preferences in transactions of at most 10,000 rows.

use scoutly::model::{FetchMode, NewCompany, Rank, Role, Timestamp};
use scoutly::store::{self, Store};

/// How much to seed.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub companies: u64,
    pub users: u64,
    pub prefs_per_user: u64,
}

/// Company number `i` (names and URLs are unique per `i`).
pub fn company(i: u64) -> NewCompany {
    NewCompany {
        name: format!("company-{i}"),
        urls: vec![format!("https://c{i}.example/careers")],
        mode: FetchMode::Auto,
        include: vec![],
        exclude: vec![],
    }
}

/// Seed `size`; every company's last success is `scraped_at`. Each user
/// tracks `prefs_per_user` companies spread over the whole range, with ranks
/// spread over 1-100. Returns the company ids.
pub fn seed(store: &Store, size: Size, now: Timestamp, scraped_at: Option<Timestamp>) -> Vec<u64> {
    const CHUNK: u64 = 10_000;
    let mut ids = Vec::with_capacity(size.companies as usize);
    for start in (0..size.companies).step_by(CHUNK as usize) {
        let end = (start + CHUNK).min(size.companies);
        let chunk = store
            .write(|tx| {
                (start..end)
                    .map(|i| {
                        let mut c = store::insert_company(tx, company(i), now)?;
                        if scraped_at.is_some() {
                            c.health.last_success = scraped_at;
                            store::put_company(tx, &c)?;
                        }
                        Ok(c.id)
                    })
                    .collect::<store::Result<Vec<u64>>>()
            })
            .unwrap();
        ids.extend(chunk);
    }
    let users_per_chunk = (CHUNK / size.prefs_per_user.max(1)).max(1);
    for start in (0..size.users).step_by(users_per_chunk as usize) {
        let end = (start + users_per_chunk).min(size.users);
        store
            .write(|tx| {
                for u in start..end {
                    let user = store::insert_user(
                        tx,
                        &format!("user-{u}"),
                        Role::User,
                        store::hash_token(&format!("t{u}")),
                        now,
                    )?;
                    for k in 0..size.prefs_per_user {
                        let company = ids[((u * 7_919 + k * 104_729) % size.companies) as usize];
                        let rank = Rank::new(1 + ((u + k) % 100) as i64).unwrap();
                        store::track(tx, user.id, company, rank, now)?;
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    ids
}
