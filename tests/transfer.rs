//! `scoutly export` / `scoutly import` on the real binary: state exported
//! from one data directory and imported into a fresh one gives the same
//! API answers, the same tokens work, and bad files are refused without
//! writing anything.

mod common;

use common::Appliance;
use common::site::{Site, careers_page};
use serde_json::Value;

/// What a user sees through the API, in one value.
fn api_view(app: &Appliance, token: &str) -> Value {
    let mut all = serde_json::Map::new();
    for path in [
        "/api/companies",
        "/api/preferences",
        "/api/postings?baseline=true&limit=1000",
        "/api/scraping/history?limit=100",
        "/api/criteria",
        "/api/attention",
    ] {
        let (code, body) = app.http("GET", path, Some(token), None);
        assert_eq!(code, 200, "{path}: {body}");
        all.insert(path.to_string(), body);
    }
    Value::Object(all)
}

#[test]
fn an_import_into_a_fresh_directory_answers_like_the_original() {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Rust Engineer")]),
    );
    site.set("/globex/careers", careers_page("globex", &[(2, "Analyst")]));
    let mut a = Appliance::new();
    a.start();
    let ann = a.json(&["user", "add", "ann"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    a.json(&["user", "criteria", "ann", "--keyword", "rust:5"]);
    for (name, path) in [("Acme", "/acme/careers"), ("Globex", "/globex/careers")] {
        a.json(&[
            "company",
            "add",
            "--name",
            name,
            "--url",
            &site.url(path),
            "--user",
            "ann",
            "--rank",
            "60",
        ]);
    }
    a.wait_until("the baselines", || a.jobs("completed").len() == 2);
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Rust Engineer"), (3, "Senior Rust Engineer")]),
    );
    a.json(&["jobs", "start", "Acme"]);
    a.wait_until("the new posting scored", || {
        let (_, body) = a.http("GET", "/api/postings", Some(&ann), None);
        body["postings"][0]["matches"][0]["score"]
            .as_u64()
            .is_some()
    });

    // An export while the appliance runs is one consistent snapshot.
    let live_export = a.dir.path().join("live.jsonl");
    let out = a.json(&["export", live_export.to_str().unwrap()]);
    assert!(out["rows"].as_u64().unwrap() > 20, "{out}");

    let before = api_view(&a, &ann);
    assert_eq!(a.stop(), 0);
    let file = a.dir.path().join("state.jsonl");
    a.json(&["export", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "scoutly-export");
    assert_eq!(header["version"], 1);
    assert!(text.contains(r#""table":"postings""#) && text.contains("Senior Rust Engineer"));
    // Nothing but the export is left behind.
    let stray: Vec<_> = std::fs::read_dir(a.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("backup") || n.contains("partial"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");

    let mut b = Appliance::new();
    let imported = b.json(&["import", file.to_str().unwrap()]);
    assert_eq!(
        imported["rows"].as_u64(),
        serde_json::from_str::<Value>(text.lines().last().unwrap()).unwrap()["rows"].as_u64()
    );
    // Importing twice is refused: the database is no longer empty.
    let again = b.cli(&["import", file.to_str().unwrap()]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("already holds"), "{}", again.stderr);

    a.start();
    b.start();
    // Ann's token works on the new machine, and every answer is the same.
    assert_eq!(api_view(&b, &ann), api_view(&a, &ann));
    assert_eq!(api_view(&b, &ann), before);

    // The export made while running imports too.
    let c = Appliance::new();
    let out = c.json(&["import", live_export.to_str().unwrap()]);
    assert!(out["rows"].as_u64().unwrap() > 20);
}

#[test]
fn bad_exports_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let header =
        r#"{"format":"scoutly-export","version":1,"schema":2,"exported":"2026-01-01T00:00:00Z"}"#;
    let row = r#"{"table":"meta","key":"next_id/companies","value":7}"#;
    let cases = [
        (write("empty", ""), "the file is empty"),
        (
            write("other", "{\"hello\":1}\n"),
            "not a Scoutly export header",
        ),
        (
            write("newer", &header.replace("\"version\":1", "\"version\":9")),
            "format version 9",
        ),
        (write("cut", &format!("{header}\n{row}\n")), "cut short"),
        (
            write(
                "count",
                &format!("{header}\n{row}\n{{\"end\":true,\"rows\":5}}\n"),
            ),
            "says 5 rows but holds 1",
        ),
        (
            write(
                "table",
                &format!("{header}\n{{\"table\":\"nope\",\"key\":1,\"value\":1}}\n"),
            ),
            "line 2: table \"nope\"",
        ),
        (write("json", &format!("{header}\nnot json\n")), "line 2:"),
    ];
    for (path, expected) in cases {
        let app = Appliance::new();
        let out = app.cli(&["import", &path]);
        assert_ne!(out.code, 0, "{path}");
        assert!(out.stderr.contains(expected), "{path}: {}", out.stderr);
        // Nothing was written: a good import still goes in afterwards.
        let listed = app.json(&["company", "list"]);
        assert_eq!(listed, Value::Array(vec![]));
    }
}
