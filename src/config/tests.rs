use super::*;

#[test]
fn default_file_matches_built_in_defaults() {
    let from_file = Config::from_toml(DEFAULT_TOML, "default.toml").unwrap();
    assert_eq!(from_file, Config::defaults());
    assert_eq!(Config::from_toml("", "empty").unwrap(), Config::defaults());
}

#[test]
fn every_default_key_has_a_comment() {
    let mut previous_is_comment = false;
    for line in DEFAULT_TOML.lines() {
        let t = line.trim();
        if !t.starts_with('#') && !t.starts_with('[') && t.contains(" = ") {
            assert!(
                previous_is_comment || t.starts_with('#'),
                "key without comment: {t}"
            );
        }
        if !t.is_empty() {
            previous_is_comment = t.starts_with('#') || (previous_is_comment && t.contains(" = "));
        }
    }
}

#[test]
fn unknown_key_is_named() {
    let err = Config::from_toml("[workers]\nmax_concurency = 3\n", "x.toml").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("max_concurency"), "{msg}");
    assert!(
        msg.contains("max_concurrency"),
        "should list allowed keys: {msg}"
    );
}

#[test]
fn bad_values_are_all_reported_with_key_value_and_allowed() {
    let text = r#"
[politeness]
delay = "five seconds"
[workers]
max_concurrency = 0
[schedule]
preset = "sometimes"
[http]
listen = "localhost"
"#;
    let msg = Config::from_toml(text, "x.toml").unwrap_err().to_string();
    for needle in [
        "politeness.delay",
        "\"five seconds\"",
        "\"5s\"",
        "workers.max_concurrency",
        "from 1 to 64",
        "schedule.preset",
        "\"sometimes\"",
        "\"standard\" or \"frequent\"",
        "http.listen",
        "4 problem(s)",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in {msg}");
    }
}

#[test]
fn wrong_type_names_the_key() {
    let msg = Config::from_toml("[fetch]\nallow_private_targets = \"yes\"\n", "x.toml")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("allow_private_targets"), "{msg}");
}

#[test]
fn frequent_preset_and_custom_bands() {
    let c = Config::from_toml("[schedule]\npreset = \"frequent\"\n", "x").unwrap();
    assert_eq!(c.schedule.bands, frequent_bands());
    let custom = r#"
[[schedule.bands]]
ranks = "51-100"
interval = "1h"
[[schedule.bands]]
ranks = "1-50"
interval = "2h"
"#;
    let c = Config::from_toml(custom, "x").unwrap();
    assert_eq!(c.schedule.preset, "custom");
    assert_eq!(c.schedule.bands.len(), 2);
    let gap = "[[schedule.bands]]\nranks = \"10-100\"\ninterval = \"1h\"\n";
    let msg = Config::from_toml(gap, "x").unwrap_err().to_string();
    assert!(
        msg.contains("ranks not covered: [1, 2, 3, 4, 5, 6, 7, 8, 9]"),
        "{msg}"
    );
}

#[test]
fn job_board_names_and_urls_are_checked() {
    let ok = Config::from_toml(
        "[fetch.job_boards]\ngreenhouse = \"http://127.0.0.1:9000\"\n",
        "x",
    )
    .unwrap();
    assert_eq!(ok.fetch.job_boards["greenhouse"].port(), Some(9000));
    let msg = Config::from_toml("[fetch.job_boards]\nmonster = \"http://x\"\n", "x")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("fetch.job_boards.monster"), "{msg}");
}

#[test]
fn cron_triggers_are_parsed_and_their_mistakes_named() {
    let ok = r#"
[[schedule.cron]]
expr = "0 8,10,14,16,22 * * *"
tz = "Europe/London"
[[schedule.cron]]
expr = "45 16 * * MON-FRI"
tz = "Europe/London"
min_rank = 50
"#;
    let cfg = Config::from_toml(ok, "x.toml").unwrap();
    assert_eq!(cfg.schedule.cron.len(), 2);
    assert_eq!(cfg.schedule.cron[1].min_rank, 50);
    assert_eq!(cfg.schedule.cron[0].schedule.tz_name(), "Europe/London");

    let bad = r#"
[[schedule.cron]]
expr = "0 8 * *"
tz = "Europe/London"
[[schedule.cron]]
expr = "0 8 * * *"
tz = "Europe/Lundon"
[[schedule.cron]]
expr = "0 8 * * *"
[[schedule.cron]]
expr = "0 8 * * *"
tz = "UTC"
min_rank = 0
[[schedule.cron]]
expr = "0 8 * * *"
tz = "UTC"
when = "daily"
"#;
    let msg = Config::from_toml(bad, "x.toml").unwrap_err().to_string();
    assert!(msg.contains("when"), "unknown key named: {msg}");
    let bad = bad.replace("when = \"daily\"\n", "");
    let msg = Config::from_toml(&bad, "x.toml").unwrap_err().to_string();
    for needle in [
        "`schedule.cron[0].expr` = \"0 8 * *\" has 4 fields",
        "`schedule.cron[1].tz` = \"Europe/Lundon\" is not a known time zone",
        "`schedule.cron[2].tz` is missing",
        "`schedule.cron[3].min_rank` = 0",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in: {msg}");
    }
}

#[test]
fn browser_settings_are_bounded() {
    let ok = Config::from_toml("[browser]\ntabs = 0\nwait_for = \"#jobs li\"\n", "x").unwrap();
    assert_eq!(ok.browser.tabs, 0);
    assert_eq!(ok.browser.wait_for.as_deref(), Some("#jobs li"));
    let msg = Config::from_toml("[browser]\ntabs = 3\nidle_close = \"0s\"\n", "x")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("browser.tabs") && msg.contains("from 0 to 2"),
        "{msg}"
    );
    assert!(msg.contains("browser.idle_close"), "{msg}");
    let msg = Config::from_toml("[browser]\nexecutable = \"\"\n", "x")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("browser.executable"), "{msg}");
}

#[test]
fn resource_settings_are_checked_against_each_other() {
    let ok = Config::from_toml(
        "[resources]\nadaptive = false\nsensor = \"nvme Composite\"\nwhen_busy = \"pause\"\n",
        "x",
    )
    .unwrap();
    assert!(!ok.resources.adaptive);
    assert_eq!(ok.resources.sensor.as_deref(), Some("nvme Composite"));
    assert_eq!(ok.resources.when_busy, LaptopAction::Pause);
    assert_eq!(ok.resources.on_battery, LaptopAction::Reduce);
    let msg = Config::from_toml(
        "[workers]\nmax_concurrency = 2\n[resources]\nmin_jobs = 3\nresume_temp = 85.0\n\
         sample_interval = \"10ms\"\non_battery = \"sleep\"\nlong_window = \"5s\"\n",
        "x",
    )
    .unwrap_err()
    .to_string();
    for needle in [
        "`resources.min_jobs` = 3",
        "at most workers.max_concurrency (2)",
        "`resources.resume_temp` = 85",
        "below resources.hard_temp",
        "`resources.sample_interval` = 10ms",
        "from 100ms to 60s",
        "`resources.on_battery` = \"sleep\"",
        "one of ignore, reduce, pause",
        "`resources.long_window` = 5s",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in: {msg}");
    }
}

#[test]
fn analysis_and_notify_settings_are_checked() {
    let text = r#"
[analysis]
backend = "gpt"
[analysis.openai]
base_url = "ftp://x"
api_key_env = "sk-abc123 secret"
batch_tokens = 50000
[analysis.limits]
tpm = 10000
[[notify.sinks]]
name = "a"
kind = "pigeon"
url = "https://x.example/h"
[[notify.sinks]]
name = "a"
kind = "ntfy"
url = "not a url"
[[notify.sinks]]
name = "b"
kind = "webhook"
url = "https://x.example/h"
mode = "weekly"
min_score = 101
events = ["fire"]
"#;
    let msg = Config::from_toml(text, "x.toml").unwrap_err().to_string();
    for needle in [
        "`analysis.backend` = \"gpt\"",
        "`analysis.openai.base_url` = \"ftp://x\"",
        "`analysis.openai.api_key_env`",
        "not the key itself",
        "`analysis.openai.batch_tokens` = 50000",
        "`notify.sinks[0].kind` = \"pigeon\"",
        "`notify.sinks[1].name` = \"a\" is not allowed: expected a name no other sink has",
        "`notify.sinks[1].url` = \"not a url\"",
        "`notify.sinks[2].mode` = \"weekly\"",
        "`notify.sinks[2].min_score` = 101",
        "`notify.sinks[2].events` = \"fire\"",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in:\n{msg}");
    }
    let ok = r#"
[analysis]
backend = "openai"
[[notify.sinks]]
name = "ops"
kind = "webhook"
url = "http://127.0.0.1:9/h"
[[notify.sinks]]
name = "alice"
kind = "ntfy"
url = "https://ntfy.sh/t"
user = "alice"
mode = "digest"
"#;
    let c = Config::from_toml(ok, "ok.toml").unwrap();
    assert_eq!(c.analysis.backend, AnalysisBackend::OpenAi);
    assert_eq!(c.notify.sinks[0].events.len(), EVENTS.len());
    assert!(c.notify.sinks[1].events.is_empty());
    assert_eq!(c.notify.sinks[1].mode, SinkMode::Digest);
}

#[test]
fn email_sinks_are_checked_and_keep_passwords_out_of_the_config() {
    let sink = |extra: &str| format!("[[notify.sinks]]\nname = \"m\"\nkind = \"email\"\n{extra}\n");
    let ok = Config::from_toml(
        &sink("url = \"smtp://alerts%40corp@mail.example.com\"\nto = [\"Ops <ops@example.com>\"]\nfrom = \"scoutly@example.com\"\npassword_env = \"SMTP_PASSWORD\""),
        "x",
    )
    .unwrap();
    let email = ok.notify.sinks[0].email.clone().unwrap();
    assert_eq!(email.tls, MailTls::StartTls);
    assert_eq!(email.username.as_deref(), Some("alerts@corp"));
    assert_eq!(email.to, ["Ops <ops@example.com>"]);
    let tls = Config::from_toml(
        &sink("url = \"smtps://mail.example.com\"\nto = [\"a@example.com\"]\nfrom = \"s@example.com\""),
        "x",
    )
    .unwrap();
    assert_eq!(
        tls.notify.sinks[0].email.as_ref().unwrap().tls,
        MailTls::Implicit
    );

    for (extra, needle) in [
        (
            "url = \"smtp://mail.example.com?tls=none\"\nto = [\"a@example.com\"]\nfrom = \"s@example.com\"",
            "tls=none only for a relay on this machine",
        ),
        (
            "url = \"smtp://u:secret@mail.example.com\"\nto = [\"a@example.com\"]\nfrom = \"s@example.com\"",
            "password_env or password_file",
        ),
        (
            "url = \"https://mail.example.com\"\nto = [\"a@example.com\"]\nfrom = \"s@example.com\"",
            "smtps://",
        ),
        (
            "url = \"smtp://mail.example.com\"\nfrom = \"s@example.com\"",
            "one or more recipients",
        ),
        (
            "url = \"smtp://mail.example.com\"\nto = [\"not an address\"]\nfrom = \"s@example.com\"",
            "e-mail addresses such as",
        ),
        (
            "url = \"smtp://mail.example.com\"\nto = [\"a@example.com\"]",
            "the sender's address",
        ),
        (
            "url = \"smtp://mail.example.com\"\nto = [\"a@example.com\"]\nfrom = \"s@example.com\"\npassword_env = \"P\"",
            "a user in the URL",
        ),
    ] {
        let msg = Config::from_toml(&sink(extra), "x")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(needle),
            "{extra}: expected {needle:?} in {msg}"
        );
        assert!(!msg.contains("secret"), "a password is never echoed: {msg}");
    }
}
