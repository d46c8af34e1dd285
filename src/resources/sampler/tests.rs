use super::*;

fn spin(for_: Duration) {
    let until = Instant::now() + for_;
    while Instant::now() < until {
        std::hint::black_box(0u64.wrapping_add(1));
    }
}

#[test]
fn a_sample_of_this_machine_is_plausible() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Sampler::new(None, Some(dir.path().to_path_buf()));
    let first = s.sample();
    assert_eq!(first.cpu, None, "usage needs two samples");
    assert_eq!(first.others_cpu, None);
    spin(Duration::from_millis(250));
    let second = s.sample();
    let cpu = second.cpu.expect("measured between two samples");
    assert!((0.0..=1.0).contains(&cpu), "{cpu}");
    assert_eq!(
        second.per_core.len(),
        std::thread::available_parallelism().unwrap().get()
    );
    let own = second.own_cpu.expect("own share measured");
    assert!(own > 0.0, "this thread just spun: {second:?}");
    let others = second.others_cpu.unwrap();
    assert!((0.0..=1.0).contains(&others) && others <= cpu + 1e-9);
    let (avail, total) = (
        second.available_memory.unwrap(),
        second.total_memory.unwrap(),
    );
    assert!(avail > 0 && avail <= total);
    assert!(second.own_rss.unwrap() > 1 << 20, "{:?}", second.own_rss);
    assert!(second.disk_free.is_some_and(|d| d > 0));
    // Whatever sensors exist, the deciding one is one of them or missing.
    match &second.temperature {
        Some(t) => assert!(second.sensors.contains(t)),
        None => assert!(thermal::pick(&[], None).is_none()),
    }
    assert_eq!(second.readings().cpu, second.cpu);
    assert_eq!(second.readings().others_cpu, second.others_cpu);
}

#[test]
fn a_child_process_counts_as_the_appliance_s_own() {
    let mut s = Sampler::new(None, None);
    // A child that holds about 64 MiB resident and spins.
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            "x=$(head -c 67108864 /dev/zero | tr '\\0' a); while :; do :; done",
        ])
        .spawn()
        .unwrap();
    s.scanned = None;
    s.sample();
    let deadline = Instant::now() + Duration::from_secs(5);
    let sample = loop {
        spin(Duration::from_millis(200));
        s.scanned = None;
        let sample = s.sample();
        if sample.children_rss.unwrap_or(0) > 32 << 20 || Instant::now() > deadline {
            break sample;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(sample.children >= 1, "{sample:?}");
    assert!(
        sample.children_rss.unwrap() > 32 << 20,
        "children's RSS: {:?}",
        sample.children_rss
    );
    assert!(sample.own_cpu.unwrap() > 0.0);
    // Once gone, the child no longer counts.
    s.scanned = None;
    let after = s.sample();
    assert!(after.children_rss.unwrap() < 32 << 20, "{after:?}");
}
