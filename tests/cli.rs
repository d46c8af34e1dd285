//! CLI and config mistakes: clear messages, non-zero exits, nothing started.

mod common;

use common::{Appliance, BIN};

#[test]
fn config_default_is_complete_and_checks_clean() {
    let app = Appliance::new();
    let out = app.cli(&["config", "default"]);
    assert_eq!(out.code, 0);
    for key in [
        "listen",
        "pass_interval",
        "preset",
        "max_concurrency",
        "allow_private_targets",
        "delay",
        "jitter",
        "product_token",
    ] {
        assert!(out.stdout.contains(&format!("{key} =")), "missing {key}");
    }
    let file = app.dir.path().join("default.toml");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = app.cli(&["config", "check", file.to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stdout.contains("is valid"));
}

#[test]
fn bad_config_names_key_value_and_allowed_and_nothing_starts() {
    let mut bad = Appliance::with_config(
        "[politeness]\ndelay = \"soonish\"\n[schedule]\npreset = \"hourly\"\n\
         [[schedule.cron]]\nexpr = \"0 8 * * 1-5/2\"\ntz = \"Europe/London\"\n",
    );
    let out = bad.cli(&["config", "check"]);
    assert_eq!(out.code, 2);
    for needle in [
        "politeness.delay",
        "\"soonish\"",
        "duration",
        "schedule.preset",
        "\"hourly\"",
        "\"frequent\"",
        "schedule.cron[0].expr",
        "MON,WED,FRI",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in {}",
            out.stderr
        );
    }
    let run = bad.cli(&["run", "--listen", "127.0.0.1:0"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("politeness.delay"));
    assert!(
        !bad.data_dir().exists(),
        "nothing was created before the config was valid"
    );
    bad.config = bad.dir.path().join("missing.toml");
    let missing = bad.cli(&["config", "check"]);
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("missing.toml"),
        "{}",
        missing.stderr
    );
}

#[test]
fn unknown_config_key_is_an_error() {
    let app = Appliance::with_config("[workers]\nmax_concurency = 2\n");
    let out = app.cli(&["config", "check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("max_concurency"), "{}", out.stderr);
}

#[test]
fn bad_cli_input_gets_clear_errors() {
    let app = Appliance::new();
    app.json(&["user", "add", "ann"]);
    app.json(&[
        "company",
        "add",
        "--name",
        "Acme",
        "--url",
        "https://acme.example/careers",
    ]);
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "track",
                "--user",
                "ann",
                "--company",
                "Acme",
                "--rank",
                "101",
            ],
            "from 1 to 100",
        ),
        (
            &["track", "--user", "ann", "--company", "Acme", "--rank", "0"],
            "from 1 to 100",
        ),
        (
            &["track", "--user", "bob", "--company", "Acme", "--rank", "5"],
            "user \"bob\" not found",
        ),
        (
            &["track", "--user", "ann", "--company", "Nope", "--rank", "5"],
            "company \"Nope\" not found",
        ),
        (
            &["company", "add", "--name", "X", "--url", "ftp://x"],
            "not valid",
        ),
        (
            &[
                "company",
                "add",
                "--name",
                "acme",
                "--url",
                "https://a.example/",
            ],
            "already exists",
        ),
        (
            &[
                "company",
                "add",
                "--name",
                "Y",
                "--url",
                "https://y.example/",
                "--mode",
                "fast",
            ],
            "auto, http, browser",
        ),
        (
            &[
                "company",
                "add",
                "--name",
                "Z",
                "--url",
                "https://z.example/",
                "--include",
                "(",
            ],
            "regex",
        ),
        (
            &["jobs", "list", "--status", "done"],
            "pending, in_progress",
        ),
        (&["jobs", "cancel", "99"], "job 99 not found"),
        (&["postings", "--since", "yesterday"], "RFC 3339"),
    ];
    for (args, needle) in cases {
        let out = app.cli(args);
        assert_eq!(out.code, 1, "{args:?} should fail: {}", out.stdout);
        assert!(
            out.stderr.contains(needle),
            "{args:?}: {:?} not in {}",
            needle,
            out.stderr
        );
    }
}

#[test]
fn company_lifecycle_and_user_token_shown_once() {
    let app = Appliance::new();
    let user = app.json(&["user", "add", "root", "--admin"]);
    assert_eq!(user["role"], "admin");
    assert!(user["token"].as_str().unwrap().starts_with("sct_"));
    let users = app.json(&["user", "list"]);
    assert!(
        users[0].get("token").is_none(),
        "token is never shown again"
    );
    let c = app.json(&[
        "company",
        "add",
        "--name",
        "Acme",
        "--url",
        "https://acme.example/careers",
        "--rank",
        "70",
    ]);
    assert_eq!(
        c["effectiveRank"], 70,
        "tracked by the built-in operator user"
    );
    let c = app.json(&[
        "company",
        "set",
        "Acme",
        "--url",
        "https://acme.example/jobs",
        "--mode",
        "http",
    ]);
    assert_eq!(c["urls"][0], "https://acme.example/jobs");
    assert_eq!(c["mode"], "http");
    let shown = app.json(&["company", "show", "1"]);
    assert_eq!(shown["name"], "Acme");
    app.json(&["jobs", "start", "Acme"]);
    let removed = app.json(&["company", "remove", "Acme"]);
    assert_eq!(removed["removed"]["id"], 1);
    assert_eq!(app.json(&["company", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(
        app.jobs("cancelled").len(),
        1,
        "its pending job was cancelled"
    );
    let text = app.cli(&["company", "list"]);
    assert!(text.stdout.contains("no companies yet"));
}

#[test]
fn help_lists_every_subcommand() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "run", "status", "company", "user", "track", "untrack", "jobs", "postings", "enqueue",
        "config",
    ] {
        assert!(text.contains(cmd), "--help lacks {cmd}");
    }
}

#[test]
fn a_database_root_creates_in_the_services_data_directory_stays_the_services() {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: ownership test skipped");
        return;
    }
    let app = Appliance::new();
    let data = app.data_dir();
    std::fs::create_dir_all(&data).unwrap();
    // The service user of a packaged install (here: nobody).
    std::os::unix::fs::chown(&data, Some(65534), Some(65534)).unwrap();
    let out = app.cli(&["status"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let db = std::fs::metadata(data.join("scoutly.redb")).unwrap();
    assert_eq!((db.uid(), db.gid()), (65534, 65534));
}
