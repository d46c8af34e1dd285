use super::*;

fn cfg(delay_s: u64, jitter: f64) -> PolitenessConfig {
    PolitenessConfig {
        delay: Duration::from_secs(delay_s),
        jitter,
        max_retry_after: Duration::from_secs(3600),
        max_delay: Duration::from_secs(600),
    }
}

/// When the next request to `host` may start, measured from now.
async fn next_turn(pacer: &HostPacer, host: &str) -> Duration {
    let start = Instant::now();
    drop(pacer.acquire(host).await);
    Instant::now() - start
}

#[tokio::test(start_paused = true)]
async fn one_request_per_host_with_delay_between() {
    let pacer = Arc::new(HostPacer::new(&cfg(5, 0.5)));
    let start = Instant::now();
    let p1 = pacer.acquire("a.example").await;
    // Another host is not held up.
    let other = pacer.acquire("b.example").await;
    assert_eq!(Instant::now(), start);
    drop(other);
    let pacer2 = pacer.clone();
    let second = tokio::spawn(async move {
        let _p = pacer2.acquire("A.example").await;
        Instant::now()
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(p1);
    let at = second.await.unwrap();
    let waited = at - start;
    assert!(waited >= Duration::from_millis(3500), "{waited:?}");
    assert!(waited <= Duration::from_millis(8500), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_up_to_the_cap() {
    let mut c = cfg(1, 0.0);
    c.max_retry_after = Duration::from_secs(120);
    let pacer = HostPacer::new(&c);
    let mut p = pacer.acquire("h").await;
    p.answered(Answer::Pushback(Some(Duration::from_secs(90))));
    drop(p);
    assert_eq!(next_turn(&pacer, "h").await, Duration::from_secs(90));
    let mut p = pacer.acquire("h").await;
    p.answered(Answer::Pushback(Some(Duration::from_secs(86_400))));
    drop(p);
    assert_eq!(next_turn(&pacer, "h").await, Duration::from_secs(120));
}

#[tokio::test(start_paused = true)]
async fn pushback_grows_the_delay_and_successes_shrink_it_slowly() {
    let pacer = HostPacer::new(&cfg(2, 0.0));
    let mut delays = Vec::new();
    for _ in 0..3 {
        let mut p = pacer.acquire("h").await;
        p.answered(Answer::Pushback(None));
        drop(p);
    }
    // Three pushbacks: 2 s × 2³.
    delays.push(next_turn(&pacer, "h").await);
    for _ in 0..3 {
        delays.push(next_turn(&pacer, "h").await);
    }
    let secs: Vec<f64> = delays.iter().map(|d| d.as_secs_f64()).collect();
    assert!((secs[0] - 16.0).abs() < 0.01, "{secs:?}");
    assert!(
        secs.windows(2).all(|w| w[1] < w[0] && w[1] > w[0] / 1.5),
        "shrinks by 1.25 per answer: {secs:?}"
    );
    assert!(
        secs[3] > 2.0 * 2.0,
        "still slower than the courtesy delay: {secs:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn crawl_delay_and_the_cap_on_growth() {
    let mut c = cfg(1, 0.0);
    c.max_delay = Duration::from_secs(10);
    let pacer = HostPacer::new(&c);
    pacer.set_crawl_delay("H", Some(Duration::from_secs(30)));
    drop(pacer.acquire("h").await);
    assert_eq!(next_turn(&pacer, "h").await, Duration::from_secs(30));
    let mut p = pacer.acquire("h").await;
    pacer.set_crawl_delay("h", None);
    for _ in 0..10 {
        p.answered(Answer::Pushback(None));
    }
    drop(p);
    for _ in 0..10 {
        let mut p = pacer.acquire("h").await;
        p.answered(Answer::Pushback(None));
    }
    assert_eq!(next_turn(&pacer, "h").await, Duration::from_secs(10));
}

#[test]
fn retry_after_forms() {
    let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
}
