use super::*;

const ROBOTS: &str = "User-agent: *\nDisallow: /\n\n\
    User-agent: Scoutly\nDisallow: /private\nAllow: /private/jobs\nCrawl-delay: 12\n\n\
    User-agent: scoutly\nDisallow: /*.pdf$\n";

#[test]
fn our_token_picks_and_merges_its_groups() {
    let r = Robots::parse(ROBOTS.as_bytes());
    let d = r.decide("scoutly", "/careers");
    assert_eq!(
        d,
        Decision {
            allowed: true,
            rule: None
        }
    );
    let d = r.decide("scoutly", "/private/x");
    assert_eq!(d.rule.as_deref(), Some("Disallow: /private"));
    assert!(!d.allowed);
    let d = r.decide("scoutly", "/private/jobs/1");
    assert_eq!(d.rule.as_deref(), Some("Allow: /private/jobs"));
    assert!(d.allowed);
    assert!(
        !r.decide("scoutly", "/a/b.pdf").allowed,
        "second group merged"
    );
    // Another crawler gets the `*` group.
    let d = r.decide("otherbot", "/careers");
    assert_eq!(d.rule.as_deref(), Some("Disallow: /"));
    assert_eq!(r.crawl_delay("Scoutly"), Some(Duration::from_secs(12)));
    assert_eq!(r.crawl_delay("otherbot"), None);
}

#[test]
fn allow_wins_a_tie_and_empty_rules_decide_nothing() {
    let r = Robots::parse(b"User-agent: *\nDisallow: /page\nAllow: /page\nDisallow:\n");
    assert!(r.decide("scoutly", "/page").allowed);
    let r = Robots::parse(b"User-agent: scoutly\nDisallow:\nUser-agent: *\nDisallow: /\n");
    assert!(
        r.decide("scoutly", "/x").allowed,
        "a group of our own, even empty, wins"
    );
}

#[test]
fn only_the_first_500_kib_count() {
    let mut body = b"User-agent: *\n".to_vec();
    while body.len() < MAX_BYTES {
        body.extend_from_slice(b"Disallow: /filler\n");
    }
    body.extend_from_slice(b"Disallow: /late\n");
    let r = Robots::parse(&body);
    assert!(!r.decide("scoutly", "/filler").allowed);
    assert!(r.decide("scoutly", "/late").allowed);
}

#[test]
fn path_of_keeps_the_query() {
    let u = url::Url::parse("http://a.example?x=1#frag").unwrap();
    assert_eq!(path_of(&u), "/?x=1");
    let u = url::Url::parse("http://a.example/jobs/ツ").unwrap();
    assert_eq!(path_of(&u), "/jobs/%E3%83%84");
}
