//! The HTTP API on the real binary: health without a token, bearer auth,
//! per-user visibility, validation errors in one JSON shape.

mod common;

use common::Appliance;
use common::site::{Site, careers_page};
use serde_json::Value;

struct World {
    app: Appliance,
    _site: Site,
    ann: String,
    bob: String,
    root: String,
}

fn world() -> World {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    site.set(
        "/globex/careers",
        careers_page("globex", &[(2, "Data Analyst")]),
    );
    let mut app = Appliance::new();
    app.start();
    let token = |v: Value| v["token"].as_str().unwrap().to_string();
    let ann = token(app.json(&["user", "add", "ann"]));
    let bob = token(app.json(&["user", "add", "bob"]));
    let root = token(app.json(&["user", "add", "root", "--admin"]));
    app.json(&[
        "company",
        "add",
        "--name",
        "Acme",
        "--url",
        &site.url("/acme/careers"),
        "--user",
        "ann",
        "--rank",
        "90",
    ]);
    app.json(&[
        "company",
        "add",
        "--name",
        "Globex",
        "--url",
        &site.url("/globex/careers"),
        "--user",
        "bob",
        "--rank",
        "40",
    ]);
    app.wait_until("baselines", || app.jobs("completed").len() == 2);
    World {
        app,
        _site: site,
        ann,
        bob,
        root,
    }
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
}

#[test]
fn health_needs_no_token_and_api_does() {
    let w = world();
    let (code, body) = w.app.http("GET", "/healthz", None, None);
    assert_eq!((code, body), (200, Value::String("ok".into())));
    let (code, body) = w.app.http("GET", "/readyz", None, None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["ready"], true);
    let (code, body) = w.app.http("GET", "/api/companies", None, None);
    assert_eq!(code, 401);
    assert_eq!(error_code(&body), "unauthorized");
    let (code, _) = w.app.http("GET", "/api/companies", Some("sct_wrong"), None);
    assert_eq!(code, 401);
    let (code, body) = w.app.http("GET", "/api/nowhere", Some(&w.ann), None);
    assert_eq!((code, error_code(&body)), (404, "not_found"));
}

#[test]
fn start_returns_at_once_and_dedupes_and_users_see_only_their_jobs() {
    let w = world();
    let (code, body) = w.app.http(
        "POST",
        "/api/scraping/start",
        Some(&w.ann),
        Some(r#"{"companyId":1}"#),
    );
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["success"], true);
    let job = body["jobId"].as_u64().unwrap();
    let (code, again) = w.app.http(
        "POST",
        "/api/scraping/start",
        Some(&w.ann),
        Some(r#"{"companyId":1}"#),
    );
    if again["created"] == false {
        assert_eq!(
            (code, again["jobId"].as_u64()),
            (202, Some(job)),
            "existing active job returned"
        );
    }
    let path = format!("/api/scraping/status/{job}");
    let (code, seen) = w.app.http("GET", &path, Some(&w.ann), None);
    assert_eq!(code, 200, "{seen}");
    assert_eq!(seen["companyId"], 1);
    let (code, body) = w.app.http("GET", &path, Some(&w.bob), None);
    assert_eq!(
        (code, error_code(&body)),
        (404, "not_found"),
        "another user's job is 404, not 403"
    );
    assert_eq!(
        w.app.http("GET", &path, Some(&w.root), None).0,
        200,
        "an admin sees all"
    );
    let (code, _) = w.app.http(
        "POST",
        "/api/scraping/start",
        Some(&w.ann),
        Some(r#"{"companyId":2}"#),
    );
    // Seeing a job is not owning it: bob's own job, cancelled by ann, is 403.
    let (_, bobs) = w.app.http(
        "POST",
        "/api/scraping/start",
        Some(&w.bob),
        Some(r#"{"companyId":2}"#),
    );
    let bobs_job = bobs["jobId"].as_u64().unwrap();
    w.app.http(
        "PUT",
        "/api/preferences/2",
        Some(&w.ann),
        Some(r#"{"rank":10}"#),
    );
    let (code2, denied) = w.app.http(
        "POST",
        &format!("/api/scraping/cancel/{bobs_job}"),
        Some(&w.ann),
        None,
    );
    assert_eq!((code2, error_code(&denied)), (403, "forbidden"), "{denied}");
    assert_eq!(code, 404, "ann does not track Globex");

    let (code, active) = w
        .app
        .http("GET", "/api/scraping/active", Some(&w.bob), None);
    assert_eq!(code, 200);
    assert!(
        active["activeJobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["companyId"] == 2)
    );
    assert_eq!(
        active["count"],
        active["activeJobs"].as_array().unwrap().len()
    );

    let (code, history) = w.app.http(
        "GET",
        "/api/scraping/history?page=1&limit=1",
        Some(&w.root),
        None,
    );
    assert_eq!(code, 200, "{history}");
    assert_eq!(history["page"], 1);
    assert_eq!(history["jobs"].as_array().unwrap().len(), 1);
    let total = history["total"].as_u64().unwrap();
    assert!(total >= 3);
    assert_eq!(history["totalPages"], total);
}

#[test]
fn bad_input_is_a_4xx_naming_the_problem() {
    let w = world();
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        (
            "POST",
            "/api/scraping/start",
            r#"{"companyId":"x"}"#,
            400,
            "invalid type",
        ),
        (
            "POST",
            "/api/scraping/start",
            r#"{"companyId":1,"priority":9}"#,
            400,
            "unknown field `priority`",
        ),
        ("POST", "/api/scraping/start", "not json", 400, "not valid"),
        ("GET", "/api/scraping/status/abc", "", 400, "\"abc\""),
        (
            "GET",
            "/api/scraping/status/999",
            "",
            404,
            "job 999 not found",
        ),
        ("GET", "/api/scraping/history?page=0", "", 400, "page"),
        (
            "GET",
            "/api/scraping/history?sort=x",
            "",
            400,
            "unknown query parameter \"sort\"",
        ),
        (
            "PUT",
            "/api/preferences/1",
            r#"{"rank":101}"#,
            400,
            "from 1 to 100",
        ),
        (
            "PUT",
            "/api/preferences/1",
            r#"{"rank":70.5}"#,
            400,
            "70.5 is not a whole number",
        ),
        // Found by the api fuzz target: axum answered plain text.
        (
            "GET",
            "/api/companies/%FF",
            "",
            400,
            "the path is not valid",
        ),
        ("GET", "/api/postings?since=yesterday", "", 400, "RFC 3339"),
        (
            "POST",
            "/api/companies",
            r#"{"name":"X","urls":["ftp://x"]}"#,
            400,
            "ftp://x",
        ),
        (
            "POST",
            "/api/companies",
            r#"{"name":"acme","urls":["https://a.example/"]}"#,
            409,
            "already exists",
        ),
        (
            "PATCH",
            "/api/companies/1",
            r#"{"name":"Renamed"}"#,
            403,
            "admin",
        ),
    ];
    for (method, path, body, status, needle) in cases {
        let (code, answer) = w.app.http(
            method,
            path,
            Some(&w.ann),
            (!body.is_empty()).then_some(*body),
        );
        assert_eq!(code, *status, "{method} {path}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{method} {path}: {needle:?} not in {message:?}"
        );
    }
    let huge = format!(r#"{{"companyId":1,"context":"{}"}}"#, "x".repeat(100_000));
    let (code, answer) = w
        .app
        .http("POST", "/api/scraping/start", Some(&w.ann), Some(&huge));
    assert_eq!((code, error_code(&answer)), (413, "payload_too_large"));
}

#[test]
fn preferences_and_companies_round_trip() {
    let w = world();
    // 70.0 is the integer 70 to JSON Schema, so the API reads it as 70.
    let (code, _) = w.app.http(
        "PUT",
        "/api/preferences/2",
        Some(&w.ann),
        Some(r#"{"rank":70.0}"#),
    );
    assert_eq!(code, 200);
    let (_, prefs) = w.app.http("GET", "/api/preferences", Some(&w.ann), None);
    let ranks: Vec<u64> = prefs
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, vec![90, 70]);
    let (_, companies) = w.app.http("GET", "/api/companies", Some(&w.ann), None);
    let globex = companies
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 2)
        .unwrap()
        .clone();
    assert_eq!(globex["effectiveRank"], 70, "highest rank among trackers");
    assert_eq!(globex["myRank"], 70);
    let (code, _) = w
        .app
        .http("DELETE", "/api/preferences/2", Some(&w.ann), None);
    assert_eq!(code, 200);
    let (_, c) = w.app.http("GET", "/api/companies/2", Some(&w.ann), None);
    assert_eq!(c["effectiveRank"], 40);
    let (code, created) = w.app.http(
        "POST",
        "/api/companies",
        Some(&w.bob),
        Some(r#"{"name":"Initech","urls":["https://initech.example/jobs"],"rank":55}"#),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["effectiveRank"], 55);
    let (code, patched) = w.app.http(
        "PATCH",
        "/api/companies/3",
        Some(&w.root),
        Some(r#"{"name":"Initrode"}"#),
    );
    assert_eq!((code, patched["name"].as_str()), (200, Some("Initrode")));
    let (code, _) = w
        .app
        .http("DELETE", "/api/companies/3", Some(&w.root), None);
    assert_eq!(code, 200);
    let (_, postings) = w
        .app
        .http("GET", "/api/postings?baseline=true", Some(&w.bob), None);
    assert!(
        postings["postings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["companyId"] == 2),
        "{postings}"
    );
}

#[test]
fn manual_scrapes_per_user_are_capped_with_429() {
    let site = Site::start();
    for c in ["a", "b"] {
        site.set(
            &format!("/{c}/careers"),
            careers_page(c, &[(1, "Backend Engineer")]),
        );
        site.set_delay(&format!("/{c}/careers"), std::time::Duration::from_secs(10));
    }
    let config = format!(
        "{}\n",
        common::FAST_CONFIG.replace("[queue]", "[queue]\nmax_manual_per_user = 1")
    );
    let mut app = Appliance::with_config(&config);
    app.start();
    // Untracked companies, so no scheduled job is running for them; an admin
    // may start any company.
    let root = app.json(&["user", "add", "root", "--admin"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    for c in ["a", "b"] {
        app.json(&[
            "company",
            "add",
            "--name",
            c,
            "--url",
            &site.url(&format!("/{c}/careers")),
        ]);
    }
    let (code, _) = app.http(
        "POST",
        "/api/scraping/start",
        Some(&root),
        Some(r#"{"companyId":1}"#),
    );
    assert_eq!(code, 202);
    let (code, body) = app.http(
        "POST",
        "/api/scraping/start",
        Some(&root),
        Some(r#"{"companyId":2}"#),
    );
    assert_eq!((code, error_code(&body)), (429, "limit_exceeded"), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_manual_per_user = 1")
    );
}

#[test]
fn admins_read_job_analytics_over_a_range_and_users_may_not() {
    let w = world();
    let (code, all) = w.app.http("GET", "/api/admin/stats", Some(&w.root), None);
    assert_eq!(code, 200, "{all}");
    assert_eq!(all["resolution"], "hour");
    assert_eq!(all["totals"]["completed"], 2, "{all}");
    assert_eq!(all["totals"]["failed"], 0);
    assert_eq!(all["totals"]["successRate"], 1.0);
    assert_eq!(
        all["totals"]["newPostings"], 2,
        "the two baselines' postings"
    );
    assert!(all["totals"]["avgDurationMs"].is_u64(), "{all}");
    assert!(all["totals"]["queueDepthMax"].as_u64().unwrap() >= 1);
    let points = all["series"].as_array().unwrap();
    assert!((24..=25).contains(&points.len()), "{}", points.len());
    let done: u64 = points
        .iter()
        .map(|p| p["completed"].as_u64().unwrap())
        .sum();
    assert_eq!(done, 2, "the series adds up to the totals");
    let names: Vec<&str> = all["byCompany"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    let (code, acme) = w.app.http(
        "GET",
        "/api/admin/stats?company=Acme&from=7d",
        Some(&w.root),
        None,
    );
    assert_eq!(code, 200, "{acme}");
    assert_eq!(acme["company"]["name"], "Acme");
    assert_eq!(acme["totals"]["completed"], 1);
    assert_eq!(acme["byCompany"], serde_json::json!([]));

    // The CLI prints the same report, as JSON or as plain numbers.
    let cli = w.app.json(&["stats", "--company", "acme", "--from", "7d"]);
    assert_eq!(cli["totals"], acme["totals"]);
    let text = w.app.cli(&["stats"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("2 completed, 0 failed"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Acme") && text.stdout.contains("Globex"));
    assert!(!text.stdout.contains('▁'), "no sparklines off a terminal");

    // Each completed job taught its company's duration estimate (kept in
    // the database, so an export carries it).
    let export = w.app.cli(&["export", "-"]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let timings: Vec<Value> = export
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|row| row["table"] == "job_timing")
        .collect();
    assert_eq!(timings.len(), 2, "one estimate per company");
    for t in &timings {
        assert!(t["value"]["http_ms"].is_u64(), "{t}");
        assert_eq!(t["value"]["browser_ms"], Value::Null);
        assert_eq!(t["value"]["samples"], 1);
    }
    let status = w.app.json(&["status"]);
    assert_eq!(
        status["drain"],
        Value::Null,
        "an empty queue has nothing to drain"
    );

    let (code, body) = w.app.http("GET", "/api/admin/stats", Some(&w.ann), None);
    assert_eq!((code, error_code(&body)), (403, "forbidden"));
    for (query, code, says) in [
        ("from=yesterday", 400, "from \"yesterday\""),
        ("from=1h&to=2h", 400, "must be before"),
        ("from=2000d", 400, "400 days"),
        ("company=Initech", 404, "Initech"),
        ("step=1", 400, "unknown query parameter"),
    ] {
        let (got, body) = w.app.http(
            "GET",
            &format!("/api/admin/stats?{query}"),
            Some(&w.root),
            None,
        );
        assert_eq!(got, code, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
    }
}

#[test]
fn a_known_route_asked_with_the_wrong_method_answers_405_in_the_error_shape() {
    // Found by the `api` fuzz target: axum's own 405 had an empty body.
    let w = world();
    let (code, body) = w.app.http("GET", "/api/preferences/1", Some(&w.root), None);
    assert_eq!(
        (code, error_code(&body)),
        (405, "method_not_allowed"),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("GET is not allowed on /api/preferences/1"),
        "{message}"
    );
}

fn headers(token: &str, act_as: Option<&str>) -> Vec<(String, String)> {
    let mut h = vec![("Authorization".to_string(), format!("Bearer {token}"))];
    if let Some(u) = act_as {
        h.push(("X-Scoutly-User".to_string(), u.to_string()));
    }
    h
}

#[test]
fn a_service_token_acts_for_the_user_it_names_and_only_then() {
    let w = world();
    let addr = w.app.addr.unwrap();
    let svc = w.app.json(&["user", "add", "frontend", "--service"]);
    assert_eq!(svc["role"], "service");
    let svc = svc["token"].as_str().unwrap().to_string();
    let get = |h: &[(String, String)], path: &str| {
        let (code, _, body) = common::request(addr, "GET", path, h, None);
        (code, body)
    };

    let (code, body) = get(&headers(&svc, Some("ann")), "/api/preferences");
    assert_eq!(code, 200, "{body}");
    let ranks: Vec<u64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, [90], "ann's, not bob's: {body}");
    // bob's job is not ann's: 404 through the service token too.
    let bobs = w.app.jobs("completed");
    let globex = bobs.iter().find(|j| j["companyId"] == 2).unwrap()["id"].clone();
    let (code, _) = get(
        &headers(&svc, Some("ann")),
        &format!("/api/scraping/status/{globex}"),
    );
    assert_eq!(code, 404);

    let (code, body) = get(&headers(&svc, None), "/api/preferences");
    assert_eq!((code, error_code(&body)), (403, "forbidden"), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-Scoutly-User")
    );
    let (code, body) = get(&headers(&w.bob, Some("ann")), "/api/preferences");
    assert_eq!((code, error_code(&body)), (403, "forbidden"), "{body}");
    let (code, body) = get(&headers(&svc, Some("nobody")), "/api/preferences");
    assert_eq!(
        (code, error_code(&body)),
        (400, "invalid_argument"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody"),
        "{body}"
    );
    // An admin may act for a user too.
    let (code, body) = get(&headers(&w.root, Some("bob")), "/api/preferences");
    assert_eq!(code, 200);
    assert_eq!(body[0]["rank"], 40, "bob's: {body}");
    let _ = &w.ann;

    // Each request counts as activity of the user it served: ann through
    // the service, which is active itself; a user with no request is not
    // seen (and not yet inactive: that takes scheduler.inactive_user_after).
    w.app.json(&["user", "add", "carol"]);
    let users = w.app.json(&["user", "list"]);
    let user = |name: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap()
            .clone()
    };
    for name in ["ann", "bob", "frontend", "root"] {
        assert!(user(name)["lastSeen"].is_string(), "{name}: {users}");
        assert_eq!(user(name)["inactive"], false);
    }
    assert!(user("carol")["lastSeen"].is_null(), "{users}");
}

#[test]
fn tokens_are_rotated_and_revoked_from_the_cli() {
    let w = world();
    let addr = w.app.addr.unwrap();
    let status = |t: &str| common::http(addr, "GET", "/api/preferences", Some(t), None).0;
    assert_eq!(status(&w.ann), 200);
    let rotated = w.app.json(&["user", "token", "ann"]);
    let new = rotated["token"].as_str().unwrap().to_string();
    assert_ne!(new, w.ann);
    assert_eq!(status(&w.ann), 401, "the old token stops working at once");
    assert_eq!(status(&new), 200);
    let revoked = w.app.json(&["user", "revoke", "ann"]);
    assert_eq!(revoked["revoked"], true);
    assert!(revoked.get("token").is_none_or(Value::is_null));
    assert_eq!(status(&new), 401);
    assert_eq!(status(&w.bob), 200, "other users are untouched");
    let out = w.app.cli(&["user", "token", "nobody"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("nobody"), "{}", out.stderr);
}

#[test]
fn each_token_has_a_rate_limit_answered_with_429_and_retry_after() {
    let mut app = Appliance::with_config(&format!(
        "{}\n[http]\nrate_limit = 60\nrate_burst = 3\n",
        common::FAST_CONFIG
    ));
    app.start();
    let ann = app.json(&["user", "add", "ann"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = app.json(&["user", "add", "bob"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    let addr = app.addr.unwrap();
    for _ in 0..3 {
        assert_eq!(
            common::http(addr, "GET", "/api/preferences", Some(&ann), None).0,
            200
        );
    }
    let (code, head, body) =
        common::request(addr, "GET", "/api/preferences", &headers(&ann, None), None);
    assert_eq!((code, error_code(&body)), (429, "rate_limited"), "{body}");
    let retry = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after: ")
                .map(String::from)
        })
        .expect("Retry-After header");
    assert_eq!(retry.trim(), "1");
    assert_eq!(
        common::http(addr, "GET", "/api/preferences", Some(&bob), None).0,
        200,
        "another token is not held back"
    );
    assert_eq!(common::http(addr, "GET", "/healthz", None, None).0, 200);
}

/// `promtool check metrics` on an exposition: (passed, what it printed).
fn promtool(text: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

#[test]
fn metrics_are_prometheus_text_that_promtool_accepts() {
    let w = world();
    let (code, body) = w.app.http("GET", "/metrics", None, None);
    assert_eq!(code, 200);
    let text = body.as_str().expect("plain text").to_string();
    for line in [
        "scoutly_queue_jobs{status=\"completed\"} 2",
        "scoutly_job_attempts_total{outcome=\"completed\"} 2",
        "scoutly_job_failures_total{class=\"timeout\"} 0",
        "scoutly_companies{state=\"healthy\"} 2",
        "scoutly_concurrency_limit{what=\"jobs\"}",
        "scoutly_analysis_backlog 0",
        "scoutly_outbox{state=\"pending\"} 0",
        "scoutly_fetch_latency_seconds_bucket{le=\"+Inf\"}",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let count: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("scoutly_fetch_latency_seconds_count "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        count >= 2.0,
        "robots.txt and two careers pages were fetched: {count}"
    );
    let (ok, said) = promtool(&text);
    assert!(ok, "promtool check metrics: {said}\n{text}");
}

#[test]
fn metrics_can_be_restricted_to_token_holders() {
    let mut app = Appliance::with_config(&format!(
        "{}\n[http]\nmetrics_token = true\n",
        common::FAST_CONFIG
    ));
    app.start();
    let (code, body) = app.http("GET", "/metrics", None, None);
    assert_eq!((code, error_code(&body)), (401, "unauthorized"));
    let t = app.json(&["user", "add", "ops"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.http("GET", "/metrics", Some(&t), None).0, 200);
}

#[test]
fn history_filters_by_dates_and_company_name_within_what_the_caller_sees() {
    let w = world();
    let total = |token: &str, q: &str| {
        let (code, body) = w.app.http(
            "GET",
            &format!("/api/scraping/history?{q}"),
            Some(token),
            None,
        );
        assert_eq!(code, 200, "{q}: {body}");
        body["total"].as_u64().unwrap()
    };
    assert_eq!(total(&w.root, "company=acm"), 1);
    assert_eq!(total(&w.root, "company=GLOBEX"), 1);
    assert_eq!(total(&w.root, "company=zzz"), 0);
    assert_eq!(total(&w.ann, "company=globex"), 0, "not hers to see");
    assert_eq!(
        total(&w.root, "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"),
        2
    );
    assert_eq!(total(&w.root, "from=2100-01-01T00:00:00Z"), 0);
    // An empty range (from = to) is a valid question with no jobs.
    assert_eq!(
        total(&w.root, "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"),
        0
    );
    assert_eq!(
        total(&w.root, "to=2000-01-01T00:00:00Z&status=completed"),
        0
    );
    for (q, names) in [
        ("from=yesterday", "from="),
        (
            "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "from must not be after to",
        ),
        ("company=", "company must be"),
        ("sort=name", "sort"),
    ] {
        let (code, body) = w.app.http(
            "GET",
            &format!("/api/scraping/history?{q}"),
            Some(&w.root),
            None,
        );
        assert_eq!(
            (code, error_code(&body)),
            (400, "invalid_argument"),
            "{q}: {body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{q}: {body}"
        );
    }
}

/// An open `/api/events` stream: its lines arrive on a channel.
fn subscribe(addr: std::net::SocketAddr, token: &str) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Read `rx` until a line satisfies `want`; every line read is kept in `seen`.
fn read_until(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    want: impl Fn(&str) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let hit = want(&line);
                seen.push(line);
                if hit {
                    return;
                }
            }
            Err(_) => panic!("the event never came; stream so far:\n{}", seen.join("\n")),
        }
    }
}

#[test]
fn events_stream_progress_endings_and_new_postings_to_whoever_may_see_them() {
    let mut w = world();
    let addr = w.app.addr.unwrap();
    let (ann_rx, bob_rx) = (subscribe(addr, &w.ann), subscribe(addr, &w.bob));
    let (mut ann, mut bob) = (Vec::new(), Vec::new());
    read_until(&ann_rx, &mut ann, |l| l == "event: ready");
    read_until(&bob_rx, &mut bob, |l| l == "event: ready");

    w._site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer"), (3, "Rust Engineer")]),
    );
    // Slow enough for the running job to report its progress.
    w._site
        .set_delay("/acme/careers", std::time::Duration::from_millis(1500));
    let (code, body) = w.app.http(
        "POST",
        "/api/scraping/start",
        Some(&w.ann),
        Some(r#"{"companyId":1}"#),
    );
    assert_eq!(code, 202, "{body}");
    // The postings come first, with the commit; then the job's end.
    read_until(&ann_rx, &mut ann, |l| l.contains("\"type\":\"finished\""));
    let text = ann.join("\n");
    assert!(text.contains("event: progress"), "{text}");
    assert!(text.contains("\"status\":\"completed\""), "{text}");
    assert!(text.contains("\"newPostings\":1"), "{text}");
    assert!(text.contains("Rust Engineer"), "{text}");

    // Bob sees his own company's job end, and nothing of Acme's before it.
    let (code, _) = w.app.http(
        "POST",
        "/api/scraping/start",
        Some(&w.bob),
        Some(r#"{"companyId":2}"#),
    );
    assert_eq!(code, 202);
    read_until(&bob_rx, &mut bob, |l| l.contains("\"type\":\"finished\""));
    let text = bob.join("\n");
    assert!(text.contains("\"companyId\":2"), "{text}");
    assert!(
        !text.contains("\"companyId\":1"),
        "bob saw Acme's events: {text}"
    );
    assert_eq!(w.app.http("GET", "/api/events", None, None).0, 401);
    // Open streams do not hold up a shutdown.
    let started = std::time::Instant::now();
    assert_eq!(w.app.stop(), 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// (method, path) of every route `src/http/mod.rs` declares, paths as
/// OpenAPI writes them (`{jobId}`, not `{job_id}`).
fn declared_routes() -> std::collections::BTreeSet<(String, String)> {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let mut out = std::collections::BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap();
        let path = path
            .split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => {
                        let mut camel = String::new();
                        let mut up = false;
                        for c in name.chars() {
                            if c == '_' {
                                up = true;
                            } else if up {
                                camel.extend(c.to_uppercase());
                                up = false;
                            } else {
                                camel.push(c);
                            }
                        }
                        format!("{{{camel}}}")
                    }
                    None => seg.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        // The handlers of this route, up to the next route or the fallback.
        let body = chunk.split(".fallback(").next().unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = body.contains(&format!("{method}("));
            if called {
                out.insert((method.to_string(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_answer_carries_a_request_id() {
    let w = world();
    let addr = w.app.addr.unwrap();
    let id = |path: &str| {
        let (_, head, _) = common::request(addr, "GET", path, &headers(&w.ann, None), None);
        head.lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("x-request-id: ")
                    .map(String::from)
            })
            .unwrap_or_else(|| panic!("no X-Request-Id on {path}: {head}"))
    };
    let (a, b, c) = (id("/healthz"), id("/api/preferences"), id("/no/such/route"));
    assert!(a != b && b != c && a != c, "{a} {b} {c}");
}

#[test]
fn the_openapi_document_lists_exactly_the_routes_that_exist() {
    let w = world();
    let (code, doc) = w.app.http("GET", "/api/openapi.json", None, None);
    assert_eq!(code, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
            let op = &item[method];
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
            for param in path.split('/').filter(|s| s.starts_with('{')) {
                let name = param.trim_matches(['{', '}']);
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
                assert!(declared, "{method} {path} does not declare {name}");
            }
        }
    }
    let routes = declared_routes();
    assert!(
        routes.len() > 20,
        "the route scan found too few: {routes:?}"
    );
    let missing: Vec<_> = routes.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(missing.is_empty(), "routes the document lacks: {missing:?}");
    assert!(
        stale.is_empty(),
        "documented routes that do not exist: {stale:?}"
    );
    // Every documented route answers something other than "no such route".
    for (method, path) in &documented {
        if path == "/api/events" {
            continue; // a stream; covered by its own test
        }
        let concrete = path
            .replace("{jobId}", "1")
            .replace("{id}", "1")
            .replace("{companyId}", "1");
        let (_, body) = w
            .app
            .http(&method.to_uppercase(), &concrete, Some(&w.root), Some("{}"));
        assert_ne!(
            body["error"]["message"], "route not found",
            "{method} {path} is documented but not routed"
        );
    }
}

#[test]
fn no_hostile_input_to_any_documented_route_gets_a_5xx() {
    let w = world();
    let (_, doc) = w.app.http("GET", "/api/openapi.json", None, None);
    let ids = [
        "0",
        "-1",
        "abc",
        "99999999999999999999999",
        "1%00",
        "%F0%9F%92%A9",
    ];
    let bodies = [
        "",
        "{",
        "[]",
        "null",
        "{\"unknown\":1}",
        "{\"companyId\":\"1\"}",
        "{\"rank\":1e309}",
        "{\"name\":\"\\u0000\",\"urls\":[\"javascript:alert(1)\"]}",
        "{\"keywords\":[{\"word\":\"x\",\"weight\":-1}]}",
    ];
    let queries = [
        "?page=0",
        "?limit=-5",
        "?since=nope",
        "?status=%00",
        "?minScore=1000",
        "?a=b",
    ];
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // A stream; and readiness may rightly answer 503.
        if path == "/api/events" || path == "/readyz" {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let concrete: Vec<String> = if path.contains('{') {
                ids.iter()
                    .map(|id| {
                        path.replace("{jobId}", id)
                            .replace("{companyId}", id)
                            .replace("{id}", id)
                    })
                    .collect()
            } else {
                queries.iter().map(|q| format!("{path}{q}")).collect()
            };
            for url in &concrete {
                for body in bodies {
                    let (code, answer) =
                        w.app
                            .http(&method.to_uppercase(), url, Some(&w.root), Some(body));
                    tried += 1;
                    assert!(
                        code < 500,
                        "{method} {url} with {body:?} → {code}: {answer}"
                    );
                    if code >= 400 {
                        assert!(
                            answer["error"]["message"].is_string(),
                            "{method} {url} with {body:?} → {code} without the error shape: {answer}"
                        );
                    }
                }
            }
        }
    }
    assert!(tried > 500, "{tried}");
}
