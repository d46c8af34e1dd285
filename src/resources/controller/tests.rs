use super::*;

const GIB: u64 = 1 << 30;

fn calm() -> Readings {
    Readings {
        cpu: Some(0.3),
        available_memory: Some(4 * GIB),
        temperature: Some(55.0),
        loop_lag: Some(Duration::from_millis(2)),
        others_cpu: Some(0.05),
        on_battery: Some(false),
    }
}

/// Feed one sample a second from `start` for `secs`, all jobs busy;
/// returns the changes.
fn run(c: &mut Controller, start: u64, secs: u64, r: &Readings) -> Vec<Change> {
    (start..start + secs)
        .filter_map(|t| {
            let used = Usage {
                jobs: c.limits().jobs,
                tabs: c.limits().tabs,
            };
            c.observe(Duration::from_secs(t), r, used)
        })
        .collect()
}

#[test]
fn ramps_up_under_headroom_one_step_per_interval_within_bounds() {
    let mut c = Controller::new(ControllerConfig::default());
    assert_eq!(c.limits().jobs, 1);
    let changes = run(&mut c, 0, 300, &calm());
    assert_eq!(c.limits().jobs, 5, "{changes:?}");
    assert_eq!(c.limits().tabs, 2);
    // Never two changes closer than the interval.
    let mut last: Option<Limits> = None;
    for ch in &changes {
        assert!(ch.to.jobs <= ch.from.jobs + 1, "{ch:?}");
        last = Some(ch.to);
    }
    assert_eq!(last.unwrap().jobs, 5);
}

#[test]
fn unused_capacity_is_not_grown() {
    let mut c = Controller::new(ControllerConfig::default());
    for t in 0..300 {
        c.observe(Duration::from_secs(t), &calm(), Usage { jobs: 0, tabs: 0 });
    }
    assert_eq!(c.limits().jobs, 1, "an idle appliance keeps its limit");
}

#[test]
fn each_signal_steps_down() {
    let signals = [
        (
            "CPU",
            Readings {
                cpu: Some(0.97),
                ..calm()
            },
        ),
        (
            "memory",
            Readings {
                available_memory: Some(300 << 20),
                ..calm()
            },
        ),
        (
            "temperature",
            Readings {
                temperature: Some(74.0),
                ..calm()
            },
        ),
        (
            "event loop",
            Readings {
                loop_lag: Some(Duration::from_secs(1)),
                ..calm()
            },
        ),
    ];
    for (name, bad) in signals {
        let mut c = Controller::new(ControllerConfig::default());
        run(&mut c, 0, 300, &calm());
        assert_eq!(c.limits().jobs, 5);
        // Low memory first closes the tabs (the tab floor), which takes the
        // interval; the jobs follow one interval later.
        let secs = if name == "memory" { 20 } else { 12 };
        let changes = run(&mut c, 300, secs, &bad);
        // Memory and a lagging event loop halve; CPU and warmth take one off.
        let urgent = matches!(name, "memory" | "event loop");
        let expect = if urgent { 2 } else { 4 };
        assert_eq!(c.limits().jobs, expect, "{name}: {changes:?}");
        assert!(changes[0].reason.contains(name), "{name}: {changes:?}");
        // Held down, it keeps falling to the floor, never below.
        run(&mut c, 300 + secs, 60, &bad);
        assert_eq!(c.limits().jobs, 1, "{name}");
    }
}

#[test]
fn thermal_hold_has_hysteresis_and_acts_at_once() {
    let mut c = Controller::new(ControllerConfig::default());
    run(&mut c, 0, 300, &calm());
    let hot = Readings {
        temperature: Some(81.0),
        ..calm()
    };
    let ch = c
        .observe(Duration::from_secs(300), &hot, Usage::default())
        .unwrap();
    assert!(ch.to.paused && ch.reason.contains("hard limit"), "{ch:?}");
    // 77 °C is under the hard limit but above resume: still paused.
    let warm = Readings {
        temperature: Some(77.0),
        ..calm()
    };
    run(&mut c, 301, 30, &warm);
    assert!(c.limits().paused);
    let cool = Readings {
        temperature: Some(74.0),
        ..calm()
    };
    let ch = c
        .observe(Duration::from_secs(400), &cool, Usage::default())
        .unwrap();
    assert!(!ch.to.paused && ch.reason.contains("resume"), "{ch:?}");
}

#[test]
fn tabs_only_above_the_memory_floor_and_missing_readings_are_neutral() {
    let mut c = Controller::new(ControllerConfig::default());
    run(&mut c, 0, 300, &calm());
    assert_eq!(c.limits().tabs, 2);
    let tight = Readings {
        available_memory: Some(900 << 20),
        ..calm()
    };
    // A dip is not enough; most of the short window is.
    assert!(
        c.observe(Duration::from_secs(300), &tight, Usage::default())
            .is_none()
    );
    let changes = run(&mut c, 301, 6, &tight);
    let ch = changes.last().unwrap();
    assert_eq!(ch.to.tabs, 0, "{ch:?}");
    assert!(ch.reason.contains("tab floor"), "{ch:?}");
    run(&mut c, 307, 300, &tight);
    assert_eq!(c.limits().tabs, 0);
    // Just over the floor is not room enough to open one again.
    let just = Readings {
        available_memory: Some(GIB + (100 << 20)),
        ..calm()
    };
    run(&mut c, 607, 120, &just);
    assert_eq!(c.limits().tabs, 0, "hysteresis");
    run(&mut c, 727, 120, &calm());
    assert!(c.limits().tabs > 0);
    // Nothing known: nothing changes, in either direction.
    let mut blind = Controller::new(ControllerConfig::default());
    run(&mut blind, 0, 300, &Readings::default());
    assert_eq!(blind.limits().jobs, 5, "missing readings are not overload");
    let hot_unknown = Readings {
        temperature: None,
        ..calm()
    };
    assert!(
        !blind
            .observe(Duration::from_secs(300), &hot_unknown, Usage::default())
            .is_some_and(|c| c.to.paused)
    );
}

#[test]
fn flapping_readings_never_change_limits_faster_than_the_interval() {
    let mut c = Controller::new(ControllerConfig::default());
    run(&mut c, 0, 300, &calm());
    let hot = Readings {
        cpu: Some(0.99),
        ..calm()
    };
    let mut at_change = Vec::new();
    for t in 300..900u64 {
        // Overloaded in bursts of 7 s out of every 13 s.
        let r = if t % 13 < 7 { &hot } else { &calm() };
        let used = Usage {
            jobs: c.limits().jobs,
            tabs: c.limits().tabs,
        };
        if c.observe(Duration::from_secs(t), r, used).is_some() {
            at_change.push(t);
        }
        let l = c.limits();
        assert!((1..=5).contains(&l.jobs) && l.tabs <= 2, "{l:?}");
    }
    assert!(!at_change.is_empty());
    for w in at_change.windows(2) {
        assert!(w[1] - w[0] >= 10, "changes at {at_change:?}");
    }
}

#[test]
fn on_battery_drops_to_one_job_and_no_tab_then_grows_again_on_mains() {
    let mut c = Controller::new(ControllerConfig::default());
    run(&mut c, 0, 300, &calm());
    let battery = Readings {
        on_battery: Some(true),
        ..calm()
    };
    let ch = c
        .observe(
            Duration::from_secs(300),
            &battery,
            Usage { jobs: 5, tabs: 2 },
        )
        .unwrap();
    assert_eq!(
        (ch.to.jobs, ch.to.tabs, ch.to.paused),
        (1, 0, false),
        "{ch:?}"
    );
    assert_eq!(ch.reason, "on battery → jobs 5→1, tabs 2→0");
    assert!(c.holds().on_battery);
    // Held while on battery, however calm the machine.
    assert!(run(&mut c, 301, 120, &battery).is_empty());
    let ch = c
        .observe(
            Duration::from_secs(421),
            &calm(),
            Usage { jobs: 1, tabs: 0 },
        )
        .unwrap();
    assert!(ch.reason.starts_with("on mains power"), "{ch:?}");
    run(&mut c, 422, 120, &calm());
    assert!(c.limits().jobs > 1, "grows again: {:?}", c.limits());
}

#[test]
fn someone_working_pauses_with_hysteresis_when_so_configured() {
    let mut c = Controller::new(ControllerConfig {
        when_busy: LaptopAction::Pause,
        ..ControllerConfig::default()
    });
    run(&mut c, 0, 300, &calm());
    let working = Readings {
        others_cpu: Some(0.8),
        ..calm()
    };
    // One busy second is not someone working.
    assert!(
        c.observe(Duration::from_secs(300), &working, Usage::default())
            .is_none()
    );
    let changes = run(&mut c, 301, 10, &working);
    assert!(c.limits().paused && c.holds().busy, "{changes:?}");
    assert!(
        changes[0].reason.contains("other processes use 80 %"),
        "{changes:?}"
    );
    // Quiet again: resumes only once the long window has calmed down.
    let quiet = run(&mut c, 311, 20, &calm());
    assert!(c.limits().paused, "too soon: {quiet:?}");
    let quiet = run(&mut c, 331, 60, &calm());
    assert!(!c.limits().paused, "{quiet:?}");
    assert!(
        quiet[0].reason.contains("other processes quiet"),
        "{quiet:?}"
    );
}

#[test]
fn fixed_limits_stay_at_the_maximum_but_keep_the_safety_holds() {
    let mut c = Controller::new(ControllerConfig {
        adaptive: false,
        ..ControllerConfig::default()
    });
    assert_eq!((c.limits().jobs, c.limits().tabs), (5, 2));
    let busy_cpu = Readings {
        cpu: Some(0.99),
        ..calm()
    };
    assert!(run(&mut c, 0, 120, &busy_cpu).is_empty());
    let hot = Readings {
        temperature: Some(85.0),
        ..calm()
    };
    assert!(
        c.observe(Duration::from_secs(120), &hot, Usage::default())
            .unwrap()
            .to
            .paused
    );
    let ch = c
        .observe(Duration::from_secs(121), &calm(), Usage::default())
        .unwrap();
    assert_eq!(
        ch.to,
        Limits {
            jobs: 5,
            tabs: 2,
            paused: false
        }
    );
}
