//! Job-board APIs end to end on the real binary: each board's documented
//! listing JSON served by a fixture server standing in for the board's API
//! host (`[fetch.job_boards]`), paging, board ids as snapshot keys, boards
//! found embedded in a careers page, and `scoutly check`.

mod common;

use common::site::{Page, Site};
use common::{Appliance, FAST_CONFIG};
use serde_json::{Value, json};

fn json_page(v: Value) -> Page {
    Page {
        body: v.to_string(),
        headers: vec![("content-type".into(), "application/json".into())],
        ..Page::default()
    }
}

/// An appliance whose six boards' API hosts are all `site`.
fn appliance_for(site: &Site) -> Appliance {
    let base = site.url("");
    let base = base.trim_end_matches('/');
    let boards: String = scoutly::model::Board::ALL
        .iter()
        .map(|b| format!("{} = \"{base}\"\n", b.as_str()))
        .collect();
    Appliance::with_config(&format!("{FAST_CONFIG}\n[fetch.job_boards]\n{boards}"))
}

fn greenhouse(jobs: &[(u64, &str, &str)]) -> Page {
    let jobs: Vec<Value> = jobs
        .iter()
        .map(|(id, title, url)| {
            json!({"id": id, "internal_job_id": 1, "title": title, "updated_at": "2026-09-10T13:11:58-04:00",
                   "location": {"name": "NYC"}, "absolute_url": url, "metadata": null})
        })
        .collect();
    let total = jobs.len();
    json_page(json!({"jobs": jobs, "meta": {"total": total}}))
}

fn lever(from: usize, n: usize) -> Page {
    let posts: Vec<Value> = (from..from + n)
        .map(|i| {
            json!({"id": format!("uuid-{i}"), "text": format!("Lever job {i}"),
                   "categories": {"location": "Berlin", "team": "Platform"},
                   "createdAt": 1753000000000_i64, "updatedAt": 1753100000000_i64,
                   "hostedUrl": format!("https://jobs.lever.co/acme/uuid-{i}")})
        })
        .collect();
    json_page(Value::Array(posts))
}

fn smartrecruiters(offset: usize, n: usize, total: usize) -> Page {
    let content: Vec<Value> = (offset..offset + n)
        .map(|i| {
            json!({"id": format!("7440{i}"), "name": format!("SR job {i}"),
                   "releasedDate": "2026-08-20T12:00:00.000Z",
                   "location": {"city": "Austin", "region": "TX", "country": "us", "remote": false}})
        })
        .collect();
    json_page(json!({"offset": offset, "limit": 100, "totalFound": total, "content": content}))
}

fn postings(app: &Appliance) -> Vec<Value> {
    app.json(&["postings", "--all", "--limit", "1000"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn each_board_is_read_through_its_documented_api_with_paging() {
    let site = Site::start();
    site.set_page(
        "/v1/boards/acme/jobs",
        greenhouse(&[
            (
                4711352005,
                "Vault Designer",
                "https://job-boards.greenhouse.io/acme/jobs/4711352005",
            ),
            (
                4711352006,
                "Engineer",
                "https://job-boards.greenhouse.io/acme/jobs/4711352006",
            ),
        ]),
    );
    site.set_page(
        "/v0/postings/acme?mode=json&skip=0&limit=100",
        lever(0, 100),
    );
    site.set_page(
        "/v0/postings/acme?mode=json&skip=100&limit=100",
        lever(100, 50),
    );
    site.set_page(
        "/posting-api/job-board/acme",
        json_page(json!({"apiVersion": "1", "jobs": [
            {"id": "a-1", "title": "Ashby job", "location": "Remote", "isListed": true,
             "publishedAt": "2026-04-07T17:12:35.753+00:00", "jobUrl": "https://jobs.ashbyhq.com/acme/a-1"},
            {"id": "a-2", "title": "Hidden", "isListed": false, "jobUrl": "https://jobs.ashbyhq.com/acme/a-2"}]})),
    );
    site.set_page(
        "/v1/companies/Acme/postings?offset=0&limit=100",
        smartrecruiters(0, 100, 120),
    );
    site.set_page(
        "/v1/companies/Acme/postings?offset=100&limit=100",
        smartrecruiters(100, 20, 120),
    );
    site.set_page(
        "/api/offers/",
        json_page(
            json!({"offers": [{"id": 2755994, "slug": "guide", "title": "Recruitee job",
            "location": "Amsterdam", "careers_url": "https://acme.recruitee.com/o/guide",
            "updated_at": "2026-09-24 08:42:26 UTC"}]}),
        ),
    );
    site.set_page(
        "/api/v1/widget/accounts/acme",
        json_page(json!({"name": "Acme", "jobs": [
            {"title": "Workable job", "shortcode": "AB12", "url": "https://apply.workable.com/j/AB12",
             "city": "London", "country": "United Kingdom", "published_on": "2026-05-29"},
            {"title": "Workable job", "shortcode": "AB12", "url": "https://apply.workable.com/j/AB12",
             "city": "Paris", "country": "France", "published_on": "2026-05-29"}]})),
    );
    let mut app = appliance_for(&site);
    app.start();
    let companies = [
        (
            "Greenhouse Co",
            "https://boards.greenhouse.io/acme",
            "greenhouse",
            2,
        ),
        ("Lever Co", "https://jobs.lever.co/acme", "lever", 150),
        ("Ashby Co", "https://jobs.ashbyhq.com/acme", "ashby", 1),
        (
            "SR Co",
            "https://careers.smartrecruiters.com/Acme",
            "smartrecruiters",
            120,
        ),
        (
            "Recruitee Co",
            "https://acme.recruitee.com/",
            "recruitee",
            1,
        ),
        (
            "Workable Co",
            "https://apply.workable.com/acme/",
            "workable",
            1,
        ),
    ];
    for (name, url, _, _) in companies {
        app.add_company(name, url);
    }
    app.wait_until("six scrapes", || app.jobs("completed").len() == 6);
    let all = postings(&app);
    for (name, _, board, count) in companies {
        let show = app.json(&["company", "show", name]);
        assert_eq!(show["backend"], board, "{show}");
        let id = &show["id"];
        let mine: Vec<&Value> = all.iter().filter(|p| &p["companyId"] == id).collect();
        assert_eq!(mine.len(), count, "{name}: {mine:?}");
        let prefix = format!("{board}:");
        assert!(
            mine.iter()
                .all(|p| p["boardId"].as_str().unwrap().starts_with(&prefix)),
            "{mine:?}"
        );
    }
    let by_id = |id: &str| all.iter().find(|p| p["boardId"] == id).unwrap().clone();
    let gh = by_id("greenhouse:4711352005");
    assert_eq!(gh["title"], "Vault Designer");
    assert_eq!(gh["location"], "NYC");
    assert_eq!(
        gh["url"],
        "https://job-boards.greenhouse.io/acme/jobs/4711352005"
    );
    assert_eq!(gh["updated"], "2026-09-10T17:11:58.000Z");
    assert_eq!(
        by_id("smartrecruiters:7440119")["url"],
        "https://jobs.smartrecruiters.com/Acme/7440119"
    );
    assert_eq!(
        by_id("workable:AB12")["location"],
        "London, United Kingdom; Paris, France"
    );
    // Paging: each page asked for once, with the documented page size.
    let asked = |path: &str| -> Vec<String> {
        site.log()
            .into_iter()
            .filter(|h| h.path == path)
            .map(|h| h.query.unwrap_or_default())
            .collect()
    };
    assert_eq!(
        asked("/v0/postings/acme"),
        ["mode=json&skip=0&limit=100", "mode=json&skip=100&limit=100"]
    );
    assert_eq!(
        asked("/v1/companies/Acme/postings"),
        ["offset=0&limit=100", "offset=100&limit=100"]
    );
    // Nothing went to robots.txt: documented APIs are not crawled pages.
    assert_eq!(site.hits("/robots.txt"), 0);

    // A board may move a posting to a new URL; its id keeps it known.
    site.set_page(
        "/v1/boards/acme/jobs",
        greenhouse(&[
            (
                4711352005,
                "Vault Designer",
                "https://acme.example/careers?gh_jid=4711352005",
            ),
            (
                4711352006,
                "Engineer",
                "https://job-boards.greenhouse.io/acme/jobs/4711352006",
            ),
            (
                4711352007,
                "Designer",
                "https://job-boards.greenhouse.io/acme/jobs/4711352007",
            ),
        ]),
    );
    app.json(&["jobs", "start", "Greenhouse Co"]);
    app.wait_until("second greenhouse scrape", || {
        app.jobs("completed").len() == 7
    });
    let news: Vec<Value> = postings(&app)
        .into_iter()
        .filter(|p| p["baseline"] == false)
        .collect();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0]["boardId"], "greenhouse:4711352007");
}

#[test]
fn a_careers_page_embedding_a_board_is_read_through_the_board_api() {
    let site = Site::start();
    // With an ETag: once its board is forgotten, the page must still be
    // read in full to find it again.
    site.set_page(
        "/acme/careers",
        Page {
            body: r#"<html><body><h1>Careers</h1><div id="grnhse_app"></div>
            <script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script>
            <a href="/about">About us</a></body></html>"#
                .into(),
            headers: vec![("etag".into(), "\"v1\"".into())],
            ..Page::default()
        },
    );
    site.set_page(
        "/v1/boards/acme/jobs",
        greenhouse(&[(11, "Engineer", "https://acme.example/careers?gh_jid=11")]),
    );
    let mut app = appliance_for(&site);
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("baseline", || app.jobs("completed").len() == 1);
    assert_eq!(
        app.json(&["company", "show", "Acme"])["backend"],
        "greenhouse"
    );
    site.set_page(
        "/v1/boards/acme/jobs",
        greenhouse(&[
            (11, "Engineer", "https://acme.example/careers?gh_jid=11"),
            (12, "Designer", "https://acme.example/careers?gh_jid=12"),
        ]),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("second scrape", || app.jobs("completed").len() == 2);
    let news: Vec<Value> = postings(&app)
        .into_iter()
        .filter(|p| p["baseline"] == false)
        .collect();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0]["title"], "Designer");
    // The page was read once; after that its board's API is asked directly.
    assert_eq!(site.hits("/acme/careers"), 1);
    assert_eq!(site.hits("/v1/boards/acme/jobs"), 2);

    // A remembered board whose API fails is forgotten: the page is read
    // again and the scrape still succeeds.
    site.set_page(
        "/v1/boards/acme/jobs",
        Page {
            status: 404,
            ..Page::default()
        },
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("third scrape", || app.jobs("completed").len() == 3);
    assert_eq!(site.hits("/acme/careers"), 2);
    let page_reads: Vec<u16> = site
        .log()
        .iter()
        .filter(|h| h.path == "/acme/careers")
        .map(|h| h.status)
        .collect();
    assert_eq!(page_reads, [200, 200], "read in full, not answered 304");
    site.set_page(
        "/v1/boards/acme/jobs",
        greenhouse(&[
            (11, "Engineer", "https://acme.example/careers?gh_jid=11"),
            (12, "Designer", "https://acme.example/careers?gh_jid=12"),
        ]),
    );

    // `scoutly check` reports the board and its postings, and what is new.
    let report = app.json(&["check", &site.url("/acme/careers")]);
    assert_eq!(report["backend"], "greenhouse", "{report}");
    assert_eq!(report["links"], 2, "{report}");
    assert_eq!(report["new"].as_array().map(Vec::len), Some(0), "{report}");
}

#[test]
fn check_on_a_board_url_reads_the_api_and_a_missing_board_is_a_4xx() {
    let site = Site::start();
    site.set_page("/v0/postings/acme?mode=json&skip=0&limit=100", lever(0, 3));
    let app = appliance_for(&site);
    let report = app.json(&["check", "https://jobs.lever.co/acme"]);
    assert_eq!(report["backend"], "lever", "{report}");
    assert_eq!(report["links"], 3, "{report}");
    assert_eq!(report["sample"][0]["location"], "Berlin", "{report}");
    assert!(report["robots"]["skipped"].is_string(), "{report}");
    let text = app.cli(&["check", "https://jobs.lever.co/acme"]);
    assert!(
        text.stdout.contains("backend:     lever"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("Lever job 0 (Berlin)"),
        "{}",
        text.stdout
    );
    let missing = app.cli(&["check", "https://jobs.lever.co/nobody", "--json"]);
    let v: Value = serde_json::from_str(&missing.stdout).unwrap();
    assert_eq!(v["error"]["class"], "http_4xx", "{v}");
    assert_eq!(v["status"], 404, "{v}");
}
