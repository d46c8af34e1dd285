//! The resource controller on the real binary and the real machine: CPU
//! burned by other processes lowers the job limit and it recovers when they
//! stop; laptop mode pauses while someone else keeps the CPU busy; a reading
//! past its limit raises one alert, not one per sample.

mod common;

use std::process::{Child, Command};
use std::sync::Mutex;

use common::site::{Site, careers_page};
use common::{Appliance, FAST_CONFIG};
use serde_json::Value;

/// The tests here measure the whole machine's CPU: one at a time.
static MACHINE: Mutex<()> = Mutex::new(());

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `FAST_CONFIG` with the controller on, fast windows, and `extra` lines in
/// `[resources]`.
fn config(extra: &str) -> String {
    let fast = FAST_CONFIG.replace(
        "adaptive = false\non_battery = \"ignore\"\nwhen_busy = \"ignore\"\nsample_interval = \"250ms\"\n",
        &format!(
            "adaptive = true\non_battery = \"ignore\"\nsample_interval = \"200ms\"\n\
             interval = \"1s\"\nshort_window = \"2s\"\nlong_window = \"4s\"\n{extra}"
        ),
    );
    assert_ne!(fast, FAST_CONFIG, "FAST_CONFIG's [resources] changed");
    // Every company due every second keeps the queue full.
    fast.replace(
        "[scheduler]",
        "[[schedule.bands]]\nranks = \"1-100\"\ninterval = \"1s\"\n\n[scheduler]",
    )
    .replace("[workers]\n", "[workers]\nmax_concurrency = 3\n")
}

/// Child processes that each keep a core busy until dropped.
struct Burners(Vec<Child>);

impl Burners {
    fn start(n: usize) -> Burners {
        Burners(
            (0..n)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .unwrap()
                })
                .collect(),
        )
    }
}

impl Drop for Burners {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An appliance with `companies` companies whose pages answer slowly, so
/// jobs are always running.
fn busy_appliance(extra: &str, companies: usize) -> (Appliance, Site) {
    let site = Site::start();
    let mut app = Appliance::with_config(&config(extra));
    for i in 0..companies {
        let path = format!("/c{i}/careers");
        site.set(&path, careers_page(&format!("c{i}"), &[(1, "Engineer")]));
        site.set_delay(&path, std::time::Duration::from_millis(150));
        app.add_company(&format!("C{i}"), &site.url(&path));
    }
    app.start();
    (app, site)
}

fn resources(app: &Appliance) -> Value {
    app.json(&["status"])["resources"].clone()
}

fn job_limit(app: &Appliance) -> i64 {
    app.json(&["status"])["concurrency"]["limit"]
        .as_i64()
        .unwrap()
}

#[test]
fn burning_cpu_lowers_the_job_limit_and_it_recovers() {
    if cores() < 2 {
        eprintln!(
            "skipped: this machine has one core, so the appliance's own work would look like overload"
        );
        return;
    }
    let _machine = MACHINE.lock().unwrap_or_else(|e| e.into_inner());
    let (app, _site) = busy_appliance("cpu_limit = 0.85\nwhen_busy = \"ignore\"\n", 12);
    app.wait_until("the limit grows to the maximum", || job_limit(&app) == 3);
    let burners = Burners::start(cores() * 2);
    app.wait_until("the limit falls under CPU load", || job_limit(&app) == 1);
    let change = resources(&app)["lastChange"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        change.contains("CPU") && change.contains("→ jobs"),
        "{change}"
    );
    drop(burners);
    app.wait_until("the limit recovers", || job_limit(&app) == 3);
    // One log line per change, not one per sample (there were dozens).
    let log = app.log();
    let changes = log.matches("limits: ").count();
    assert!((4..=12).contains(&changes), "{changes} limit lines:\n{log}");
    let text = app.cli(&["status"]).stdout;
    assert!(text.contains("workers:   3 of 3 jobs"), "{text}");
    assert!(text.contains("cpu:") && text.contains("memory:"), "{text}");
}

#[test]
fn someone_else_busy_pauses_the_appliance_until_they_stop() {
    if cores() < 2 {
        eprintln!("skipped: this machine has one core");
        return;
    }
    let _machine = MACHINE.lock().unwrap_or_else(|e| e.into_inner());
    let (app, _site) = busy_appliance(
        "when_busy = \"pause\"\nbusy_cpu = 0.5\ncpu_limit = 1.0\n",
        4,
    );
    app.wait_until("jobs run", || !app.jobs("completed").is_empty());
    let burners = Burners::start(cores() * 2);
    app.wait_until("laptop mode pauses", || {
        let r = resources(&app);
        r["limits"]["paused"] == true && r["holds"]["busy"] == true
    });
    assert_eq!(job_limit(&app), 0);
    // Paused: running jobs finish, and no new job starts.
    app.wait_until("running jobs finish", || app.jobs("in_progress").is_empty());
    let done = app.jobs("completed").len();
    let (code, _) = app.http("GET", "/readyz", None, None);
    assert_eq!(code, 200, "a pause for someone else's work is not a fault");
    let paused_while = resources(&app)["readings"]["othersCpu"].as_f64().unwrap();
    assert!(paused_while > 0.5, "{paused_while}");
    assert_eq!(
        app.jobs("completed").len(),
        done,
        "nothing started while paused"
    );
    drop(burners);
    app.wait_until("laptop mode resumes", || {
        resources(&app)["limits"]["paused"] == false
    });
    app.wait_until("jobs run again", || app.jobs("completed").len() > done);
    assert!(app.log().contains("other processes quiet"));
}

#[test]
fn a_reading_past_its_limit_raises_one_alert_and_shows_everywhere() {
    let _machine = MACHINE.lock().unwrap_or_else(|e| e.into_inner());
    let extra = "memory_floor = \"1000000GiB\"\nwhen_busy = \"ignore\"\n";
    let hook = common::hook::Hook::start();
    let sink = format!(
        "\n[[notify.sinks]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{}\"\nevents = [\"memory_low\"]\n",
        hook.url()
    );
    let mut app = Appliance::with_config(&(config(extra) + &sink));
    app.start();
    app.wait_until("the memory alert", || {
        resources(&app)["alerts"][0]["kind"] == "memory_low"
    });
    let r = resources(&app);
    let (first, seen) = (
        r["alerts"][0]["since"].clone(),
        r["samples"].as_u64().unwrap(),
    );
    // Many samples later, still the same alert, logged once.
    app.wait_until("ten more samples", || {
        resources(&app)["samples"].as_u64().unwrap() >= seen + 10
    });
    let r = resources(&app);
    assert_eq!(r["alerts"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["alerts"][0]["since"], first);
    let log = app.log();
    assert_eq!(log.matches("of memory available").count(), 1, "{log}");
    // The operator's sink heard of it once.
    app.wait_until("the operator's notification", || !hook.got().is_empty());
    let got = hook.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["event"], "memory_low");
    // The readings are all there, with nothing reported as zero that is unknown.
    let readings = &r["readings"];
    for key in [
        "cpu",
        "availableMemory",
        "totalMemory",
        "ownRss",
        "diskFree",
        "perCore",
    ] {
        assert!(!readings[key].is_null(), "{key} in {readings}");
    }
    assert!(readings["temperature"].is_null() || readings["temperature"]["celsius"].is_f64());
    let text = app.cli(&["status"]).stdout;
    assert!(text.contains("ATTENTION: memory_low"), "{text}");
    let (_, public) = app.http("GET", "/status", None, None);
    assert_eq!(public["resources"]["alerts"][0]["kind"], "memory_low");
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(app.data_dir().join("run/status.json")).unwrap(),
    )
    .unwrap();
    assert!(file["resources"]["limits"]["jobs"].is_u64(), "{file}");
    assert_eq!(app.stop(), 0);
}
