use super::*;
use crate::model::Timestamp;

fn page(board: Board, slug: &str, json: &str) -> ListingPage {
    parse(board, slug, json.as_bytes()).unwrap()
}

#[test]
fn greenhouse_jobs_keyed_by_their_64_bit_id() {
    let p = page(
        Board::Greenhouse,
        "vaulttec",
        r#"{"jobs":[{"id":4711352005,"internal_job_id":144381,"title":" Vault Designer ",
        "updated_at":"2026-09-10T13:11:58-04:00","location":{"name":"NYC"},"metadata":null,
        "absolute_url":"https://job-boards.greenhouse.io/vaulttec/jobs/4711352005"}],
        "meta":{"total":1}}"#,
    );
    assert_eq!(p.total, Some(1));
    let l = &p.links[0];
    assert_eq!(l.key(), "greenhouse:4711352005");
    assert_eq!(l.title, "Vault Designer");
    assert_eq!(l.location.as_deref(), Some("NYC"));
    assert_eq!(l.updated, Timestamp::parse_rfc3339("2026-09-10T17:11:58Z"));
    assert_eq!(
        l.url,
        "https://job-boards.greenhouse.io/vaulttec/jobs/4711352005"
    );
}

#[test]
fn lever_ashby_smartrecruiters_recruitee_workable_shapes() {
    let lever = page(
        Board::Lever,
        "acme",
        r#"[{"id":"5ac21346-8e0c","text":"Backend Engineer","categories":{"location":"Berlin, Germany"},
        "createdAt":1753000000000,"updatedAt":1753100000000,"hostedUrl":"https://jobs.lever.co/acme/5ac21346-8e0c"}]"#,
    );
    assert_eq!(lever.links[0].key(), "lever:5ac21346-8e0c");
    assert_eq!(
        lever.links[0].updated,
        Some(Timestamp::from_millis(1753100000000))
    );

    let ashby = page(
        Board::Ashby,
        "ramp",
        r#"{"apiVersion":"1","jobs":[
        {"id":"34413f8d","title":"Security Engineer","location":"New York, NY","isListed":true,
         "publishedAt":"2026-04-07T17:12:35.753+00:00","jobUrl":"https://jobs.ashbyhq.com/ramp/34413f8d"},
        {"title":"No id field","location":"Remote","jobUrl":"https://jobs.ashbyhq.com/ramp/aa11"},
        {"id":"hidden","title":"Unlisted","isListed":false,"jobUrl":"https://jobs.ashbyhq.com/ramp/hidden"}]}"#,
    );
    let keys: Vec<&str> = ashby.links.iter().map(|l| l.key()).collect();
    assert_eq!(keys, ["ashby:34413f8d", "ashby:aa11"]);
    assert!(ashby.links[0].updated.is_some());

    let sr = page(
        Board::SmartRecruiters,
        "Visa",
        r#"{"offset":0,"limit":100,"totalFound":250,"content":[{"id":"744000122509268","name":"Sr. Engineer",
        "releasedDate":"2026-08-20T12:00:00.000Z","location":{"city":"Austin","region":"TX","country":"us","remote":true}}]}"#,
    );
    assert_eq!(sr.total, Some(250));
    let l = &sr.links[0];
    assert_eq!(
        l.url,
        "https://jobs.smartrecruiters.com/Visa/744000122509268"
    );
    assert_eq!(l.location.as_deref(), Some("Austin, TX, US (remote)"));

    let rt = page(
        Board::Recruitee,
        "bunq",
        r#"{"offers":[{"id":2755994,"slug":"guide-3","title":"Support Guide","location":"Istanbul, Türkiye",
        "careers_url":"https://careers.bunq.com/o/guide-3","published_at":"2026-09-23 09:10:19 UTC",
        "updated_at":"2026-09-24 08:42:26 UTC"}]}"#,
    );
    assert_eq!(rt.links[0].key(), "recruitee:2755994");
    assert_eq!(
        rt.links[0].updated,
        Timestamp::parse_rfc3339("2026-09-24T08:42:26Z")
    );

    // Workable repeats a posting once per location.
    let wk = page(
        Board::Workable,
        "hf",
        r#"{"name":"HF","jobs":[
        {"title":"ML Engineer","shortcode":"19A1","url":"https://apply.workable.com/j/19A1","city":"New York",
         "state":"New York","country":"United States","published_on":"2026-05-29","telecommuting":false},
        {"title":"ML Engineer","shortcode":"19A1","url":"https://apply.workable.com/j/19A1","city":"Paris",
         "country":"France","published_on":"2026-05-29"}]}"#,
    );
    assert_eq!(wk.returned, 2);
    assert_eq!(wk.links.len(), 1);
    assert_eq!(
        wk.links[0].location.as_deref(),
        Some("New York, New York, United States; Paris, France")
    );
    assert_eq!(
        wk.links[0].updated,
        Timestamp::parse_rfc3339("2026-05-29T00:00:00Z")
    );
}

#[test]
fn wrong_json_is_a_parse_error_naming_the_board() {
    let e = parse(Board::Greenhouse, "x", b"<html>not json</html>").unwrap_err();
    assert!(e.to_string().contains("greenhouse listing"), "{e}");
    let e = parse(Board::Lever, "x", br#"{"jobs":[]}"#).unwrap_err();
    assert!(e.to_string().contains("lever"), "{e}");
    // A posting without a URL, or with one that is not http(s), is
    // skipped, not fatal.
    let p = page(
        Board::Greenhouse,
        "x",
        r#"{"jobs":[{"id":1,"title":"t"},{"id":2,"title":"t","absolute_url":"javascript:alert(1)"}]}"#,
    );
    assert_eq!((p.returned, p.links.len()), (2, 0));
}

#[test]
fn api_urls_follow_the_documented_paths_under_an_override() {
    let mut o = BTreeMap::new();
    o.insert(
        "lever".to_string(),
        Url::parse("http://127.0.0.1:9000").unwrap(),
    );
    o.insert(
        "recruitee".to_string(),
        Url::parse("http://127.0.0.1:9001/").unwrap(),
    );
    let apis = BoardApis::new(&o);
    let r = |b, s: &str| BoardRef::new(b, s);
    assert_eq!(
        apis.url(&r(Board::Lever, "acme"), 200).as_str(),
        "http://127.0.0.1:9000/v0/postings/acme?mode=json&skip=200&limit=100"
    );
    assert_eq!(
        apis.url(&r(Board::Recruitee, "acme"), 0).as_str(),
        "http://127.0.0.1:9001/api/offers/"
    );
    assert_eq!(
        apis.url(&r(Board::Greenhouse, "acme"), 0).as_str(),
        "https://boards-api.greenhouse.io/v1/boards/acme/jobs"
    );
    assert_eq!(
        apis.url(&r(Board::SmartRecruiters, "Visa"), 100).as_str(),
        "https://api.smartrecruiters.com/v1/companies/Visa/postings?offset=100&limit=100"
    );
    assert_eq!(
        BoardApis::default()
            .url(&r(Board::Recruitee, "bunq"), 0)
            .as_str(),
        "https://bunq.recruitee.com/api/offers/"
    );
    assert_eq!(
        apis.url(&r(Board::Workable, "hf"), 0).as_str(),
        "https://apply.workable.com/api/v1/widget/accounts/hf"
    );
    let mut eu = r(Board::Lever, "acme");
    eu.eu = true;
    assert!(
        BoardApis::default()
            .url(&eu, 0)
            .as_str()
            .starts_with("https://api.eu.lever.co/v0/postings/acme?")
    );
    assert_eq!(
        apis.url(&r(Board::Ashby, "Hippocratic AI"), 0).as_str(),
        "https://api.ashbyhq.com/posting-api/job-board/Hippocratic%20AI?includeCompensation=false"
    );
}
