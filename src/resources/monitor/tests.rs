use std::collections::VecDeque;

use super::*;
use crate::clock::ManualClock;
use crate::resources::sampler::SensorView;

/// Samples played back in order.
struct Script(VecDeque<Sample>);

impl Source for Script {
    fn sample(&mut self) -> Sample {
        self.0.pop_front().unwrap_or_default()
    }
}

fn at(celsius: f64) -> Sample {
    Sample {
        cpu: Some(0.2),
        available_memory: Some(4 << 30),
        total_memory: Some(8 << 30),
        disk_free: Some(10 << 30),
        temperature: Some(SensorView {
            label: "cpu_thermal temp1".into(),
            celsius,
        }),
        ..Sample::default()
    }
}

#[tokio::test]
async fn limits_reach_the_gates_and_an_alert_is_raised_and_ended_once() {
    let config = Config::from_toml("[resources]\nadaptive = false\n", "test").unwrap();
    let script = [60.0, 60.0, 82.0, 83.0, 77.0, 74.0].map(at);
    let clock: SharedClock = ManualClock::new(crate::model::Timestamp::from_millis(0));
    let mut m = Monitor::with_source(&config, Box::new(Script(script.into())), clock);
    let r = m.resources();
    let lag = AtomicU64::new(0);
    let tick = async |m: &mut Monitor, n: u64| m.tick(Duration::from_secs(2 * n), &lag).await;

    tick(&mut m, 0).await;
    tick(&mut m, 1).await;
    assert_eq!((r.jobs.limit(), r.tabs.limit()), (5, 2));
    assert!(r.view().alerts.is_empty() && r.overheated().is_none());

    tick(&mut m, 2).await;
    assert_eq!(
        (r.jobs.limit(), r.tabs.limit()),
        (0, 0),
        "nothing new starts"
    );
    let v = r.view();
    assert!(v.holds.thermal && v.limits.paused);
    // Over the hard limit is over the soft one too: both are open.
    let kinds: Vec<&str> = v.alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["overheated", "hot"]);
    let since = v.alerts[0].since.clone();
    assert!(v.last_change.unwrap().reason.contains("hard limit"));
    assert!(r.overheated().unwrap().contains("82.0 °C"));

    // Hotter, then under the hard limit but above resume: the same alert.
    tick(&mut m, 3).await;
    tick(&mut m, 4).await;
    let v = r.view();
    assert_eq!((v.alerts.len(), v.alerts[0].since.clone()), (2, since));
    assert_eq!(r.jobs.limit(), 0);

    tick(&mut m, 5).await;
    let v = r.view();
    assert_eq!((r.jobs.limit(), r.tabs.limit()), (5, 2));
    // Under the resume point the hard alert ends; 74 °C is still over the
    // 70 °C soft limit, which has an alert of its own.
    let kinds: Vec<&str> = v.alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["hot"]);
    assert!(!v.holds.thermal);
    assert!(v.last_change.unwrap().reason.contains("resume"));
    assert_eq!(v.samples, 6);
    assert_eq!(v.readings.unwrap().loop_lag_ms, Some(0));
}

#[tokio::test]
async fn vcgencmd_is_read_at_most_every_interval_and_never_again_once_missing() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls");
    let tool = dir.path().join("vcgencmd");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\necho x >> {}\necho throttled=0x50005\n",
            calls.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut t = Throttle::new(tool.to_str().unwrap(), Duration::from_secs(3600));
    let first = t.read().await.expect("a reading");
    assert_eq!(first.raw, 0x50005);
    assert!(first.now.under_voltage && first.now.throttled);
    assert_eq!(
        t.read().await,
        Some(first),
        "the last reading, not a new run"
    );
    assert_eq!(std::fs::read_to_string(&calls).unwrap().lines().count(), 1);

    let mut gone = Throttle::new(dir.path().join("nothing").to_str().unwrap(), Duration::ZERO);
    assert_eq!(gone.read().await, None);
    assert!(!gone.available, "not spawned again");
}

#[tokio::test]
async fn a_panicking_sample_is_skipped_and_sampling_goes_on() {
    struct Flaky(u32);
    impl Source for Flaky {
        fn sample(&mut self) -> Sample {
            self.0 += 1;
            if self.0 == 2 {
                panic!("a sysfs file changed shape");
            }
            at(60.0)
        }
    }
    let config = Config::from_toml("", "test").unwrap();
    let clock: SharedClock = ManualClock::new(crate::model::Timestamp::from_millis(0));
    let mut m = Monitor::with_source(&config, Box::new(Flaky(0)), clock);
    let r = m.resources();
    let lag = AtomicU64::new(0);
    for n in 0..3 {
        m.tick(Duration::from_secs(2 * n), &lag).await;
    }
    assert_eq!(
        r.view().samples,
        2,
        "the second sample was skipped, the third taken"
    );
}
