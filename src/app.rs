//! Wiring and shutdown, nothing else.
//!
//! Start: directories → store (rescue jobs a dead process left running) →
//! resource monitor, fetcher, queue, scheduler, workers → HTTP listener and
//! admin socket →
//! status files. Stop (SIGTERM/SIGINT): cancel the token so nothing new is
//! claimed, give in-flight jobs `workers.shutdown_grace`, then release what
//! is left, wait for every tracked task with a hard deadline, close the
//! store, remove the socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::analyze::Analyser;
use crate::analyze::budget::Budget;
use crate::analyze::builtin::Builtin;
use crate::analyze::openai::OpenAi;
use crate::clock::SharedClock;
use crate::config::{AnalysisBackend, Config, Paths};
use crate::control::Control;
use crate::fetch::Fetcher;
use crate::http::{self, AppState};
use crate::notify::Deliverer;
use crate::queue::Queue;
use crate::resources::monitor::Monitor;
use crate::scheduler::{PassSettings, Scheduler, SchedulerState};
use crate::service::{Notifier, watchdog};
use crate::status::{self, Live};
use crate::store::Store;
use crate::worker::analysis::AnalysisWorker;
use crate::worker::{Pipeline, WorkerPool};
use crate::{admin, demo};

/// Why the appliance could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Paths(#[from] crate::config::PathsError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(
        "cannot listen on {addr}: {source}; choose another address with --listen or http.listen"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Analysis(#[from] crate::analyze::openai::SetupError),
    #[error("demo: {0}")]
    Demo(String),
    #[error("{0}")]
    Task(String),
}

/// How much nicer than the HTTP server the appliance's work runs.
const WORK_NICE: libc::c_int = 5;

/// Run the calling thread (a thread of the main runtime: scheduler,
/// workers, their blocking pool, the headless browser they start) at a
/// lower priority than the HTTP server's thread and the rest of the
/// machine (sshd, cloudflared), so health checks and the operator's shell
/// answer promptly while scrapes saturate the CPU. Scrapes lose nothing
/// when the CPU is idle: niceness only orders who runs first.
pub fn yield_to_server() {
    // On Linux, PRIO_PROCESS with id 0 sets the calling thread's niceness
    // only. Raising it needs no privilege; failing it changes nothing.
    // SAFETY: a plain system call with constant arguments.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, WORK_NICE);
    }
}

/// Serve HTTP from a thread and runtime of its own until `cancel`.
///
/// Scrapes parse pages on the main runtime's threads; sharing them, a
/// health check from the tunnel would wait behind a parse. On its own
/// thread, which sleeps between requests, the kernel's scheduler lets the
/// server in as soon as a request arrives. The thread is started from the
/// main thread, so it keeps normal priority (see [`yield_to_server`]).
fn serve_http(
    listener: tokio::net::TcpListener,
    state: AppState,
    cancel: CancellationToken,
) -> Result<std::thread::JoinHandle<std::io::Result<()>>, AppError> {
    let task = |e: std::io::Error| AppError::Task(format!("cannot start the HTTP server: {e}"));
    // A tokio socket belongs to the runtime that made it: hand it over as
    // a plain one.
    let listener = listener.into_std().map_err(task)?;
    std::thread::Builder::new()
        .name("scoutly-http".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("scoutly-http-blocking")
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                http::serve(listener, state, async move { cancel.cancelled().await }).await
            })
        })
        .map_err(task)
}

/// How to run.
pub struct RunOptions {
    pub config: Config,
    pub paths: Paths,
    pub listen: Option<SocketAddr>,
    pub demo: bool,
    pub clock: SharedClock,
}

pub async fn run(opts: RunOptions) -> Result<(), AppError> {
    let RunOptions {
        mut config,
        paths,
        listen,
        demo,
        clock,
    } = opts;
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();

    let site = if demo {
        let site = demo::start(Duration::from_secs(20), &tracker, cancel.clone())
            .await
            .map_err(|e| AppError::Demo(e.to_string()))?;
        config = demo::config(config, &site);
        Some(site)
    } else {
        None
    };
    let config = Arc::new(config);
    // A missing AI key stops the start before anything runs.
    if config.analysis.backend == AnalysisBackend::OpenAi {
        crate::analyze::openai::api_key(&config.analysis.openai, &crate::config::ProcessEnv)?;
    }

    paths.create()?;
    // Opening may repair the file after a crash; keep that off the async workers.
    let (db_path, cache) = (paths.database(), config.store.cache_size);
    let store = tokio::task::spawn_blocking(move || Store::open_with_cache(&db_path, cache))
        .await
        .map_err(|e| AppError::Task(format!("opening the store failed: {e}")))??;
    let queue = Queue::new(store.clone(), clock.clone(), config.queue.clone());
    let q = queue.clone();
    let rescued = store.run(move |_| q.rescue_all()).await?;
    if !rescued.is_empty() {
        tracing::warn!(
            count = rescued.len(),
            "returned jobs left running by a previous process to pending"
        );
    }
    // Chromium outlives a predecessor that was killed; left alone it would
    // hold its memory until the machine restarts.
    let swept = crate::fetch::sweep_orphans();
    if swept != crate::fetch::Swept::default() {
        tracing::warn!(
            processes = swept.processes,
            profiles = swept.profiles,
            "ended headless browsers a previous process left running and removed their profiles"
        );
    }

    warn_unknown_sink_users(&store, &config).await;

    let listen = listen.unwrap_or(config.http.listen);
    let http_listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| AppError::Listen {
            addr: listen,
            source,
        })?;
    let listen = http_listener.local_addr().unwrap_or(listen);
    let admin_listener = admin::bind(&paths.socket())?;

    let work_available = Arc::new(tokio::sync::Notify::new());
    let wake_analysis = Arc::new(tokio::sync::Notify::new());
    let events = crate::events::Bus::default();
    let wake_outbox = Arc::new(tokio::sync::Notify::new());
    let scheduler_wake = Arc::new(tokio::sync::Notify::new());
    let sched_state = Arc::new(SchedulerState::default());
    let monitor = Monitor::new(&config, paths.data_dir.clone(), clock.clone());
    let resources = monitor.resources();
    // Subscribed before the monitor runs, so its first alerts reach the
    // operator's sinks too.
    let alerts = resources.raised.subscribe();
    let live = Live {
        started: clock.now(),
        listen: listen.to_string(),
        concurrency: config.workers.max_concurrency,
        resources: Some(resources.clone()),
        pass_interval: config.scheduler.pass_interval,
        preset: config.schedule.preset.clone(),
        cron: config.schedule.cron.clone(),
        scheduler: sched_state.clone(),
        analyser: match config.analysis.backend {
            AnalysisBackend::Builtin => "builtin".into(),
            AnalysisBackend::OpenAi => format!("openai:{}", config.analysis.openai.model),
        },
        ai_limits: (config.analysis.backend == AnalysisBackend::OpenAi)
            .then_some(config.analysis.limits),
    };
    let fetcher = Fetcher::with_tabs(&config, resources.tabs.clone())?;
    let mut control = Control::new(store.clone(), clock.clone(), config.clone());
    control.live = Some(live.clone());
    control.fetcher = Some(fetcher.clone());
    let browser_fetcher = fetcher.clone();
    control.work_available = Some(work_available.clone());
    control.scheduler_wake = Some(scheduler_wake.clone());
    control.outbox_wake = Some(wake_outbox.clone());

    if let Some(site) = &site {
        let c = control.clone();
        let addr = site.addr;
        let site_ref = demo::DemoSite { addr };
        tokio::task::spawn_blocking(move || demo::seed(&c, &site_ref).map_err(AppError::Demo))
            .await
            .map_err(|e| AppError::Demo(e.to_string()))??;
        println!("demo careers site: http://{addr}/acme/careers (a new posting every 20 s)");
    }

    let notify_cfg = Arc::new(config.notify.clone());
    let analysis = Analysis {
        store: store.clone(),
        clock: clock.clone(),
        fetcher: fetcher.clone(),
        config: config.clone(),
        notify: notify_cfg.clone(),
        wake: wake_analysis.clone(),
        outbox: wake_outbox.clone(),
    };
    let deliverer = Deliverer::new(
        store.clone(),
        clock.clone(),
        notify_cfg.clone(),
        wake_outbox.clone(),
        &crate::config::ProcessEnv,
    )
    .map_err(AppError::Task)?;
    let beat = Arc::new(crate::worker::Beat::default());
    let pipeline = Arc::new(Pipeline {
        queue: queue.clone(),
        fetcher,
        clock: clock.clone(),
        max_pages: config.fetch.max_pages,
        progress_interval: config.workers.progress_interval,
        quarantine: config.quarantine.clone(),
        notify: notify_cfg.clone(),
        wake_analysis,
        wake_outbox: wake_outbox.clone(),
        events: events.clone(),
        beat: beat.clone(),
    });
    let pool = WorkerPool {
        pipeline,
        queue: queue.clone(),
        clock: clock.clone(),
        concurrency: config.workers.max_concurrency,
        jobs: resources.jobs.clone(),
        grace: config.workers.shutdown_grace,
        work_available: work_available.clone(),
    };
    tracker.spawn(monitor.run(cancel.clone()));
    tracker.spawn(crate::alerts::run(
        store.clone(),
        resources.clone(),
        clock.clone(),
        config.alerts.clone(),
        cancel.clone(),
    ));
    pool.spawn(&tracker, cancel.clone());
    analysis.spawn(&tracker, cancel.clone())?;
    tracker.spawn(deliverer.run(cancel.clone()));
    tracker.spawn(crate::notify::forward_alerts(
        alerts,
        store.clone(),
        clock.clone(),
        notify_cfg,
        wake_outbox,
        cancel.clone(),
    ));

    let scheduler = Scheduler {
        store: store.clone(),
        clock: clock.clone(),
        settings: PassSettings {
            judge_activity: true,
            ..PassSettings::from_config(&config)
        },
        state: sched_state,
        on_enqueue: work_available.clone(),
        wake: scheduler_wake,
    };
    tracker.spawn(scheduler.run(cancel.clone()));

    tracker.spawn(flush_loop(
        store.clone(),
        config.store.flush_interval,
        cancel.clone(),
    ));

    tracker.spawn(crate::queue::retention::run(
        store.clone(),
        clock.clone(),
        (&config.retention).into(),
        config.retention.interval,
        cancel.clone(),
    ));

    tracker.spawn(admin::serve(
        admin_listener,
        control.clone(),
        tracker.clone(),
        cancel.clone(),
    ));

    let state = AppState {
        control: control.clone(),
        data_dir: paths.data_dir.clone(),
        min_free_disk: config.readiness.min_free_disk,
        limiter: Arc::new(http::RateLimiter::new(
            config.http.rate_limit,
            config.http.rate_burst,
        )),
        metrics_token: config.http.metrics_token,
        events: events.clone(),
        shutdown: cancel.clone(),
    };
    let server = serve_http(http_listener, state, cancel.clone())?;
    tracker.spawn(async move {
        match tokio::task::spawn_blocking(move || server.join()).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "HTTP server stopped"),
            _ => tracing::error!("the HTTP server's thread panicked"),
        }
    });

    tracker.spawn(status_writer(
        control.clone(),
        paths.clone(),
        config.status.write_interval,
        cancel.clone(),
    ));

    // Listening before anyone is told we run: a SIGTERM sent the moment the
    // status line appears must stop us cleanly, not by its default action.
    let signals = Signals::listen();
    // Ready: the store is open, the servers are bound, the work has begun.
    let notifier = Arc::new(Notifier::from_env(&crate::config::ProcessEnv));
    notifier.ready(&format!("serving on http://{listen}"));
    tracker.spawn(watchdog::run(
        notifier.clone(),
        watchdog::Vitals {
            live: live.clone(),
            pool: beat.clone(),
            store: store.clone(),
            clock: clock.clone(),
        },
        cancel.clone(),
    ));

    tracing::info!(%listen, data_dir = %paths.data_dir.display(), workers = config.workers.max_concurrency, "scoutly is running");
    println!(
        "scoutly is running: status at http://{listen}/status; `scoutly status` shows it here"
    );

    signals.wait(&cancel).await;
    tracing::info!(
        "shutting down: no new jobs; in-flight jobs get {:?}",
        config.workers.shutdown_grace
    );
    notifier.stopping();
    cancel.cancel();
    tracker.close();
    let deadline = config.workers.shutdown_grace + Duration::from_secs(5);
    if tokio::time::timeout(deadline, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some tasks did not stop within {deadline:?}; exiting anyway");
    }
    // Chromium is a child process: closed, not left to the kernel.
    browser_fetcher.close_browser().await;
    let _ = std::fs::remove_file(paths.socket());
    let (now, json, txt) = (clock.now(), paths.status_json(), paths.status_txt());
    let _ = store
        .run(move |s| {
            let report = status::build(s, None, now)?;
            let _ = status::write_files(&report, &json, &txt);
            Ok(())
        })
        .await;
    if let Err(e) = store.run(|s| s.flush()).await {
        tracing::error!(error = %e, "writing the last progress to disk failed");
    }
    drop(control);
    drop(queue);
    drop(store);
    tracing::info!("stopped");
    Ok(())
}

/// What the analysis worker needs, before its analyser is chosen.
struct Analysis {
    store: Store,
    clock: SharedClock,
    fetcher: Fetcher,
    config: Arc<Config>,
    notify: Arc<crate::config::NotifyConfig>,
    wake: Arc<tokio::sync::Notify>,
    outbox: Arc<tokio::sync::Notify>,
}

impl Analysis {
    /// Spawn the worker with the configured analyser; an AI backend without
    /// its key stops the start with a clear message.
    fn spawn(self, tracker: &TaskTracker, cancel: CancellationToken) -> Result<(), AppError> {
        let cfg = &self.config.analysis;
        match cfg.backend {
            AnalysisBackend::Builtin => {
                tracker.spawn(self.worker(Builtin).run(cancel));
            }
            AnalysisBackend::OpenAi => {
                let ai = OpenAi::new(&cfg.openai, &crate::config::ProcessEnv)?;
                tracing::info!(model = %cfg.openai.model, url = %cfg.openai.base_url, "analysis by the AI");
                tracker.spawn(self.worker(ai).run(cancel));
            }
        }
        Ok(())
    }

    fn worker<A: Analyser>(self, analyser: A) -> AnalysisWorker<A> {
        AnalysisWorker {
            budget: Budget::new(self.config.analysis.limits),
            notify: self.notify,
            max_text: self.config.analysis.max_text,
            store: self.store,
            clock: self.clock,
            fetcher: self.fetcher,
            analyser: Arc::new(analyser),
            wake: self.wake,
            outbox: self.outbox,
        }
    }
}

/// A sink for a user who does not exist receives nothing; say so once.
async fn warn_unknown_sink_users(store: &Store, config: &Config) {
    for sink in &config.notify.sinks {
        let Some(name) = sink.user.clone() else {
            continue;
        };
        let found = store
            .run(move |s| s.read(|rx| Ok(crate::store::user_by_ref(rx, &name).is_ok())))
            .await
            .unwrap_or(true);
        if !found {
            tracing::warn!(
                sink = %sink.name,
                user = sink.user.as_deref().unwrap_or_default(),
                "notify sink names a user that does not exist; it receives nothing until `scoutly user add` creates them"
            );
        }
    }
}

/// Put lazy commits on disk every `every` (one fsync covers them all).
async fn flush_loop(store: Store, every: Duration, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if let Err(e) = store.run(|s| s.flush()).await {
            tracing::warn!(error = %e, "writing progress to disk failed; retrying");
        }
    }
}

/// SIGTERM and SIGINT, registered when made so that none sent after is lost.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let register = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for {name}");
                None
            }
        };
        Signals {
            term: register(SignalKind::terminate(), "SIGTERM"),
            int: register(SignalKind::interrupt(), "SIGINT"),
        }
    }

    /// Until either signal arrives or `cancel` is cancelled.
    async fn wait(mut self, cancel: &CancellationToken) {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.term) => {}
            _ = recv(&mut self.int) => {}
            _ = cancel.cancelled() => {}
        }
    }
}

/// Rewrite the status files every `every` until cancelled.
async fn status_writer(control: Control, paths: Paths, every: Duration, cancel: CancellationToken) {
    loop {
        let c = control.clone();
        let p = paths.clone();
        let r = tokio::task::spawn_blocking(move || {
            let report = status::build(&c.store, c.live.as_ref(), c.clock.now())
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let written = status::write_files(&report, &p.status_json(), &p.status_txt());
            // Bulk decoding (this report, scheduler passes) leaves freed
            // memory in malloc arenas; give it back while idle.
            drop(report);
            crate::memory::trim();
            written
        })
        .await;
        if let Ok(Err(e)) = r {
            tracing::warn!(error = %e, "cannot write status files");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
