//! Operator commands as data.
//!
//! A [`Request`] is what a CLI subcommand asks for. [`Control::execute`] runs
//! it against the store and queue and answers with the JSON view the CLI
//! prints. The same code runs in two places: in the CLI process when no
//! appliance holds the database, and inside `scoutly run` when the CLI sends
//! the request over the admin socket. So a command behaves the same whether or
//! not the appliance is running.
//!
//! Every input is validated here, and every error names the input and what is
//! allowed.

mod postings;
mod requests;
pub mod stats;
mod validate;

use std::sync::Arc;

use serde_json::{Value, json};

pub use requests::Request;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::model::{CompanyState, JobSource, JobStatus, Rank, Role};
use crate::queue::{self, EnqueueRequest, JobFilter, Queue};
use crate::scheduler::{PassSettings, run_pass};
use crate::status::{self, Live};
use crate::store::{self, Store, StoreError};
use crate::views::{AttentionView, CompanyView, FailuresView, JobView, PreferenceView, UserView};

pub use crate::model::OPERATOR_USER;

/// A failed command: a machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{message}")]
pub struct ControlError {
    /// `invalid_argument`, `not_found`, `conflict`, `limit_exceeded`,
    /// `unavailable` or `internal`.
    pub code: String,
    pub message: String,
}

impl ControlError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: "invalid_argument".into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ControlError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound { .. } => "not_found",
            StoreError::Conflict(_) => "conflict",
            StoreError::LimitExceeded(_) => "limit_exceeded",
            StoreError::Invalid(_) => "invalid_argument",
            StoreError::InUse { .. } => "unavailable",
            StoreError::Task(_) => "internal",
            _ => "internal",
        };
        Self {
            code: code.into(),
            message: e.to_string(),
        }
    }
}

pub type Result<T, E = ControlError> = std::result::Result<T, E>;

/// Executes requests; cheap to clone.
#[derive(Clone)]
pub struct Control {
    pub store: Store,
    pub queue: Queue,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    /// Set inside a running appliance.
    pub live: Option<Live>,
    /// Wakes idle workers after an enqueue (running appliance only).
    pub work_available: Option<Arc<tokio::sync::Notify>>,
    /// Asks the scheduler for a pass now, after a company becomes tracked
    /// (running appliance only).
    pub scheduler_wake: Option<Arc<tokio::sync::Notify>>,
    /// The workers' fetcher, whose circuit breakers a resume resets (running
    /// appliance only).
    pub fetcher: Option<crate::fetch::Fetcher>,
    /// Wakes the notification deliverer after a retry (running appliance only).
    pub outbox_wake: Option<Arc<tokio::sync::Notify>>,
}

impl Control {
    pub fn new(store: Store, clock: SharedClock, config: Arc<Config>) -> Self {
        let queue = Queue::new(store.clone(), clock.clone(), config.queue.clone());
        Self {
            store,
            queue,
            clock,
            config,
            live: None,
            work_available: None,
            scheduler_wake: None,
            fetcher: None,
            outbox_wake: None,
        }
    }

    fn wake(&self) {
        if let Some(n) = &self.work_available {
            n.notify_waiters();
        }
    }

    fn wake_scheduler(&self) {
        // notify_one keeps a permit if the scheduler is mid-pass.
        if let Some(n) = &self.scheduler_wake {
            n.notify_one();
        }
    }

    /// Record a user's API or dashboard request (a lazy write; see
    /// `store::touch_user`). Returns whether an inactive user came back.
    pub async fn record_activity(
        &self,
        user_id: crate::model::Id,
        now: crate::model::Timestamp,
    ) -> Result<bool, StoreError> {
        self.store
            .run(move |s| s.write_lazy(|tx| store::touch_user(tx, user_id, now)))
            .await
    }

    /// How often a company is scraped at each rank 1-100 (index 0 is rank
    /// 1), from `schedule.bands`.
    pub fn rank_intervals(&self) -> Vec<std::time::Duration> {
        let policy = crate::scheduler::RankPolicy::new(&self.config.schedule.bands);
        (1..=100)
            .filter_map(|r| Rank::new(r).ok())
            .map(|r| policy.interval(r))
            .collect()
    }

    /// Run one request. Blocking: call from a blocking context.
    pub fn execute(&self, req: Request) -> Result<Value> {
        let now = self.clock.now();
        match req {
            Request::CompanyAdd {
                name,
                urls,
                rank,
                mode,
                include,
                exclude,
                user,
            } => {
                let new = validate::new_company(name, urls, mode, include, exclude)?;
                let rank = rank.map(validate::rank).transpose()?;
                let company = self.store.write(|tx| {
                    let company = store::insert_company(tx, new, now)?;
                    if let Some(rank) = rank {
                        let user = match &user {
                            Some(u) => store::user_by_ref(tx, u)?,
                            None => operator_user(tx, now)?,
                        };
                        store::track(tx, user.id, company.id, rank, now)?;
                    }
                    store::get_company(tx, company.id)
                })?;
                if company.effective_rank.is_some() {
                    self.wake_scheduler();
                }
                Ok(json!(CompanyView::from(&company)))
            }
            Request::CompanyList => {
                let list = self.store.read(store::list_companies)?;
                Ok(json!(
                    list.iter().map(CompanyView::from).collect::<Vec<_>>()
                ))
            }
            Request::CompanyShow { company } => {
                let (c, snapshot, attention, failures) = self.store.read(|rx| {
                    let c = store::company_by_ref(rx, &company)?;
                    let snapshot = store::snapshot_len(rx, c.id)?;
                    let attention = store::list_attention(rx)?
                        .into_iter()
                        .find(|a| a.company_id == c.id);
                    let failures = store::failure_stats(rx, c.id)?;
                    Ok((c, snapshot, attention, failures))
                })?;
                let mut v = json!(CompanyView::from(&c));
                v["snapshotLinks"] = json!(snapshot);
                v["failures"] = json!(FailuresView::from(&failures));
                v["attention"] = json!(attention.map(|a| AttentionView::new(&a, c.name.clone())));
                Ok(v)
            }
            Request::CompanySet {
                company,
                name,
                urls,
                mode,
                include,
                exclude,
                resume,
            } => {
                let patch = validate::patch(name, urls, mode, include, exclude)?;
                let now = self.clock.now();
                let (c, recovered) = self.store.write(|tx| {
                    let id = store::company_by_ref(tx, &company)?.id;
                    let quarantined =
                        store::get_company(tx, id)?.health.state == CompanyState::Quarantined;
                    if resume {
                        store::resume(tx, id)?;
                    }
                    let c = store::patch_company(tx, id, patch)?;
                    // The quarantine's "recovered", in the same transaction.
                    let recovered = resume && quarantined;
                    if recovered {
                        let message =
                            format!("recovered: {} was resumed and is scheduled again", c.name);
                        crate::notify::event(
                            tx,
                            &self.config.notify,
                            "quarantined",
                            &message,
                            Some(id),
                            now,
                        )?;
                    }
                    Ok((c, recovered))
                })?;
                if recovered && let Some(n) = &self.outbox_wake {
                    n.notify_one();
                }
                if resume {
                    if let Some(f) = &self.fetcher {
                        for u in c.urls.iter().filter_map(|u| url::Url::parse(u).ok()) {
                            f.reset_host(&u);
                        }
                    }
                    self.wake_scheduler();
                }
                Ok(json!(CompanyView::from(&c)))
            }
            Request::CompanyRemove { company } => {
                let c = self.store.write(|tx| {
                    let c = store::company_by_ref(tx, &company)?;
                    let active = store::View::jobs_active(tx).get(c.id)?.map(|g| g.value());
                    if let Some(active) = active {
                        queue::cancel(tx, active, now)?;
                    }
                    store::remove_company(tx, c.id)
                })?;
                Ok(json!({"removed": CompanyView::from(&c)}))
            }
            Request::UserAdd {
                name,
                admin,
                service,
            } => {
                let name = validate::name("user name", &name)?;
                let token = new_token();
                let role = match (admin, service) {
                    (true, true) => {
                        return Err(ControlError::invalid(
                            "a user is an admin or a service account, not both: give --admin or --service",
                        ));
                    }
                    (true, false) => Role::Admin,
                    (false, true) => Role::Service,
                    (false, false) => Role::User,
                };
                let user = self.store.write(|tx| {
                    store::insert_user(tx, &name, role, store::hash_token(&token), now)
                })?;
                Ok(json!(UserView::new(&user, Some(token))))
            }
            Request::UserToken { user, revoke } => {
                let token = (!revoke).then(new_token);
                let hash = token.as_deref().map(store::hash_token);
                let u = self.store.write(|tx| {
                    let u = store::user_by_ref(tx, &user)?;
                    store::set_token(tx, u.id, hash)
                })?;
                let mut v = json!(UserView::new(&u, token));
                if revoke {
                    v["revoked"] = json!(true);
                }
                Ok(v)
            }
            Request::UserList => {
                let views = self.store.read(|rx| {
                    store::list_users(rx)?
                        .iter()
                        .map(|u| {
                            let mut v = UserView::new(u, None);
                            v.inactive = store::is_inactive(rx, u.id)?;
                            Ok(v)
                        })
                        .collect::<store::Result<Vec<_>>>()
                })?;
                Ok(json!(views))
            }
            Request::UserCriteria {
                user,
                keywords,
                exclude,
                locations,
                remote,
            } => self.criteria(&user, (keywords, exclude, locations, remote)),
            Request::Track {
                user,
                company,
                rank,
            } => {
                let rank = validate::rank(rank)?;
                let pref = self.store.write(|tx| {
                    let u = store::user_by_ref(tx, &user)?;
                    let c = store::company_by_ref(tx, &company)?;
                    store::track(tx, u.id, c.id, rank, now)
                })?;
                self.wake_scheduler();
                Ok(json!(PreferenceView::from(&pref)))
            }
            Request::Untrack { user, company } => {
                let (u, c) = self.store.write(|tx| {
                    let u = store::user_by_ref(tx, &user)?;
                    let c = store::company_by_ref(tx, &company)?;
                    store::untrack(tx, u.id, c.id)?;
                    Ok((u.id, c.id))
                })?;
                Ok(json!({"userId": u, "companyId": c, "tracking": false}))
            }
            Request::JobsList {
                status,
                company,
                limit,
            } => {
                let status = status
                    .map(|s| {
                        JobStatus::parse(&s).ok_or_else(|| {
                            ControlError::invalid(format!(
                                "unknown job status {s:?}; allowed: {}",
                                JobStatus::ALLOWED
                            ))
                        })
                    })
                    .transpose()?;
                let jobs = self.store.read(|rx| {
                    let company = company
                        .as_deref()
                        .map(|c| store::company_by_ref(rx, c).map(|c| c.id))
                        .transpose()?;
                    queue::list_jobs(
                        rx,
                        &JobFilter {
                            status,
                            company,
                            limit: limit.unwrap_or(50).clamp(1, 10_000),
                            ..Default::default()
                        },
                    )
                })?;
                Ok(json!(jobs.iter().map(JobView::from).collect::<Vec<_>>()))
            }
            Request::JobsStart { company } => {
                let max = self.config.queue.max_attempts;
                let out = self.store.write(|tx| {
                    let c = store::company_by_ref(tx, &company)?;
                    let mut req = EnqueueRequest::new(c.id, JobSource::Manual);
                    req.max_attempts = max;
                    queue::enqueue(tx, &req, now)
                })?;
                self.wake();
                let created = out.created();
                Ok(json!({"created": created, "job": JobView::from(out.job())}))
            }
            Request::JobsRetry { job } => {
                let out = self.queue.retry(job)?;
                self.wake();
                Ok(json!({"created": out.created(), "job": JobView::from(out.job())}))
            }
            Request::JobsCancel { job } => {
                let j = self.queue.cancel(job)?;
                Ok(json!(JobView::from(&j)))
            }
            Request::Postings {
                user,
                since,
                limit,
                include_baseline,
                min_score,
            } => self.postings(user, since, limit, include_baseline, min_score),
            Request::Outbox { dead, limit } => self.outbox(dead, limit),
            Request::OutboxRetry { id } => self.outbox_retry(id),
            Request::Backup => {
                let dest = self
                    .store
                    .path()
                    .with_file_name(format!("backup-{}.partial", now.millis()));
                let stats = self.store.backup(&dest)?;
                Ok(json!({
                    "path": dest.display().to_string(),
                    "rows": stats.rows,
                    "bytes": stats.bytes,
                    "at": now.to_rfc3339(),
                }))
            }
            Request::Enqueue => {
                let settings = PassSettings::from_config(&self.config);
                let report = run_pass(&self.store, now, &settings, JobSource::Scheduled)?;
                self.wake();
                Ok(json!({
                    "companies": report.considered,
                    "due": report.due,
                    "enqueued": report.enqueued,
                }))
            }
            Request::CompanyForUrl { url } => {
                let wanted = url::Url::parse(&url).ok();
                let found = self.store.read(|rx| {
                    Ok(store::list_companies(rx)?.into_iter().find(|c| {
                        c.urls.iter().any(|u| {
                            *u == url || wanted.is_some() && url::Url::parse(u).ok() == wanted
                        })
                    }))
                })?;
                Ok(json!({"company": found.as_ref().map(CompanyView::from)}))
            }
            Request::SnapshotNew { company, links } => {
                let new = self.store.read(|rx| {
                    store::get_company(rx, company)?;
                    let mut new = Vec::new();
                    for l in links {
                        if !store::snapshot_contains(rx, company, &l)? {
                            new.push(l);
                        }
                    }
                    Ok(new)
                })?;
                Ok(json!({"new": new}))
            }
            Request::Stats { from, to, company } => self.stats(from, to, company),
            Request::Attention => {
                let items = self.store.read(|rx| {
                    let items = store::list_attention(rx)?;
                    items
                        .iter()
                        .map(|a| {
                            let name = store::get_company(rx, a.company_id)
                                .map(|c| c.name)
                                .unwrap_or_default();
                            Ok(AttentionView::new(a, name))
                        })
                        .collect::<store::Result<Vec<_>>>()
                })?;
                Ok(json!(items))
            }
            Request::Status => {
                let report = status::build(&self.store, self.live.as_ref(), now)?;
                Ok(json!(report))
            }
            Request::StatusText => {
                let report = status::build(&self.store, self.live.as_ref(), now)?;
                Ok(json!(status::render_text(&report)))
            }
        }
    }
}

use redb::ReadableTable;

/// The built-in operator user, created on first use with a token nobody
/// knows (an admin can rotate it later).
fn operator_user(
    tx: &mut store::Tx<'_>,
    now: crate::model::Timestamp,
) -> store::Result<crate::model::User> {
    match store::user_by_ref(tx, OPERATOR_USER) {
        Ok(u) => Ok(u),
        Err(StoreError::NotFound { .. }) => store::insert_user(
            tx,
            OPERATOR_USER,
            Role::Admin,
            store::hash_token(&new_token()),
            now,
        ),
        Err(e) => Err(e),
    }
}

/// A new random API token (256 bits, hex).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    let mut s = String::from("sct_");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Validate a rank given as a plain number.
pub fn parse_rank(v: i64) -> Result<Rank> {
    validate::rank(v)
}
