//! Human-readable output of command answers; `--json` prints them as is.

use serde_json::Value;

use crate::control::Request;

/// What kind of answer to render.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Company,
    Companies,
    Removed,
    NewUser,
    Revoked,
    Users,
    Criteria,
    Preference,
    Untracked,
    Jobs,
    JobAction,
    Job,
    Postings,
    Pass,
    Attention,
    Outbox,
    Stats,
    Text,
    Raw,
}

impl Kind {
    pub fn of(req: &Request) -> Kind {
        match req {
            Request::CompanyAdd { .. }
            | Request::CompanyShow { .. }
            | Request::CompanySet { .. } => Kind::Company,
            Request::CompanyList => Kind::Companies,
            Request::CompanyRemove { .. } => Kind::Removed,
            Request::UserAdd { .. } => Kind::NewUser,
            Request::UserToken { revoke: false, .. } => Kind::NewUser,
            Request::UserToken { revoke: true, .. } => Kind::Revoked,
            Request::UserList => Kind::Users,
            Request::UserCriteria { .. } => Kind::Criteria,
            Request::Track { .. } => Kind::Preference,
            Request::Untrack { .. } => Kind::Untracked,
            Request::JobsList { .. } => Kind::Jobs,
            Request::JobsStart { .. } | Request::JobsRetry { .. } => Kind::JobAction,
            Request::JobsCancel { .. } => Kind::Job,
            Request::Postings { .. } => Kind::Postings,
            Request::Enqueue => Kind::Pass,
            Request::Attention => Kind::Attention,
            Request::Stats { .. } => Kind::Stats,
            Request::Outbox { .. } => Kind::Outbox,
            Request::OutboxRetry { .. } => Kind::Outbox,
            Request::CompanyForUrl { .. } | Request::SnapshotNew { .. } => Kind::Raw,
            Request::StatusText => Kind::Text,
            Request::Status | Request::Backup => Kind::Raw,
        }
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn print(kind: Kind, v: &Value, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
        return;
    }
    match kind {
        Kind::Text => {
            let text = v.as_str().unwrap_or_default();
            if colour_wanted() {
                print!("{}", colour_status(text));
            } else {
                print!("{text}");
            }
        }
        Kind::Stats => {
            use std::io::IsTerminal;
            print!(
                "{}",
                super::stats::render(v, std::io::stdout().is_terminal())
            );
        }
        Kind::Raw => println!("{}", serde_json::to_string_pretty(v).unwrap_or_default()),
        Kind::Company => company(v),
        Kind::Companies => {
            let list = v.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                println!(
                    "no companies yet; add one with `scoutly company add --name NAME --url URL --rank 50`"
                );
            }
            for c in list {
                println!(
                    "#{:<5} {:<28} rank {:>3}  {:<12} {}",
                    s(&c["id"]),
                    s(&c["name"]),
                    s(&c["effectiveRank"]),
                    s(&c["state"]),
                    s(&c["urls"][0])
                );
            }
        }
        Kind::Removed => println!(
            "removed company #{} {}",
            s(&v["removed"]["id"]),
            s(&v["removed"]["name"])
        ),
        Kind::NewUser => {
            println!(
                "user #{} {} ({})",
                s(&v["id"]),
                s(&v["name"]),
                s(&v["role"])
            );
            println!("API token (shown once, keep it now): {}", s(&v["token"]));
        }
        Kind::Revoked => println!(
            "user #{} {}: token revoked; `scoutly user token {}` gives a new one",
            s(&v["id"]),
            s(&v["name"]),
            s(&v["name"])
        ),
        Kind::Users => {
            for u in v.as_array().cloned().unwrap_or_default() {
                println!(
                    "#{:<5} {:<24} {:<6} last seen {}{}",
                    s(&u["id"]),
                    s(&u["name"]),
                    s(&u["role"]),
                    s(&u["lastSeen"]),
                    if u["inactive"] == true {
                        "  INACTIVE (ranks not counted)"
                    } else {
                        ""
                    }
                );
            }
        }
        Kind::Preference => println!(
            "user #{} tracks company #{} at rank {}",
            s(&v["userId"]),
            s(&v["companyId"]),
            s(&v["rank"])
        ),
        Kind::Untracked => println!(
            "user #{} no longer tracks company #{}",
            s(&v["userId"]),
            s(&v["companyId"])
        ),
        Kind::Jobs => {
            let list = v.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                println!("no jobs");
            }
            for j in list {
                job_line(&j);
            }
        }
        Kind::JobAction => {
            let verb = if v["created"] == Value::Bool(true) {
                "queued"
            } else {
                "already active"
            };
            println!(
                "job #{} for company #{}: {verb} ({})",
                s(&v["job"]["id"]),
                s(&v["job"]["companyId"]),
                s(&v["job"]["status"])
            );
        }
        Kind::Job => job_line(v),
        Kind::Postings => {
            let list = v.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                println!("no postings (baseline postings are shown with --all)");
            }
            for p in list {
                let mark = if p["baseline"] == Value::Bool(true) {
                    " (baseline)"
                } else {
                    ""
                };
                println!(
                    "{}  #{:<4} {}  {}{mark}",
                    s(&p["firstSeen"]),
                    s(&p["companyId"]),
                    s(&p["title"]),
                    s(&p["url"])
                );
                for m in p["matches"].as_array().cloned().unwrap_or_default() {
                    println!(
                        "      user #{} {:>3}%  {}",
                        s(&m["userId"]),
                        s(&m["score"]),
                        s(&m["reason"])
                    );
                }
            }
        }
        Kind::Criteria => {
            let words: Vec<String> = v["keywords"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|k| format!("{}={}", s(&k["word"]), s(&k["weight"])))
                .collect();
            let join = |k: &str| {
                let l: Vec<String> = v[k]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(s)
                    .collect();
                if l.is_empty() {
                    "-".to_string()
                } else {
                    l.join(", ")
                }
            };
            println!("user #{} criteria", s(&v["userId"]));
            println!(
                "  keywords:  {}",
                if words.is_empty() {
                    "-".into()
                } else {
                    words.join(", ")
                }
            );
            println!("  excluded:  {}", join("exclude"));
            println!("  locations: {}", join("locations"));
            println!("  remote:    {}", s(&v["remote"]));
        }
        Kind::Pass => println!(
            "scheduler pass: {} companies, {} due, {} enqueued",
            s(&v["companies"]),
            s(&v["due"]),
            s(&v["enqueued"])
        ),
        Kind::Outbox => {
            let list = match v {
                Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            if list.is_empty() {
                println!("no notifications here");
            }
            for n in list {
                let state = if n["givenUp"] == Value::Bool(true) {
                    format!("given up: {}", s(&n["lastError"]))
                } else {
                    format!("due {}, {} tries", s(&n["dueAt"]), s(&n["attempts"]))
                };
                println!(
                    "#{:<5} {:<16} {:<12} {}  ({state})",
                    s(&n["id"]),
                    s(&n["sink"]),
                    s(&n["kind"]),
                    s(&n["summary"])
                );
            }
        }
        Kind::Attention => {
            let list = v.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                println!("no company needs attention");
            }
            for a in list {
                println!(
                    "#{} {} since {}: {}",
                    s(&a["companyId"]),
                    s(&a["companyName"]),
                    s(&a["since"]),
                    s(&a["reason"])
                );
            }
        }
    }
}

fn company(c: &Value) {
    println!("company #{} {}", s(&c["id"]), s(&c["name"]));
    for u in c["urls"].as_array().cloned().unwrap_or_default() {
        println!("  url:           {}", s(&u));
    }
    println!("  mode:          {}", s(&c["mode"]));
    println!("  rank:          {}", s(&c["effectiveRank"]));
    println!("  state:         {}", s(&c["state"]));
    println!("  last success:  {}", s(&c["lastSuccess"]));
    println!("  last error:    {}", s(&c["lastError"]));
    if let Some(n) = c.get("snapshotLinks") {
        println!("  known links:   {}", s(n));
    }
    if let Some(a) = c.get("attention").filter(|a| !a.is_null()) {
        println!("  attention:     {}", s(&a["reason"]));
    }
    if let Some(f) = c.get("failures").filter(|f| !f.is_null()) {
        let by_class: Vec<String> = f["byClass"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
            .unwrap_or_default();
        if !by_class.is_empty() {
            println!("  failures:      {}", by_class.join(", "));
            println!(
                "  circuit opens: {} since the last success",
                s(&f["circuitOpens"])
            );
        }
        for r in f["recent"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .rev()
        {
            println!("    {}  {}", s(&r["at"]), s(&r["error"]));
        }
    }
}

/// `scoutly check URL` as text.
pub fn print_check(v: &Value, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
        return;
    }
    println!("{}", s(&v["url"]));
    let r = &v["robots"];
    let verdict = if r["allowed"] == true {
        "allowed"
    } else {
        "forbidden"
    };
    match r["skipped"].as_str() {
        Some(why) => println!("  robots.txt:  not consulted: {why}"),
        None => println!(
            "  robots.txt:  {verdict} (status {}, rule: {})",
            s(&r["status"]),
            r["rule"].as_str().unwrap_or("none matched")
        ),
    }
    if let Some(why) = r["unreachable"].as_str() {
        println!("               unreachable: {why}");
    }
    println!(
        "  backend:     {}",
        v["backend"].as_str().unwrap_or("none detected")
    );
    println!("  mode:        {}", s(&v["mode"]));
    let t = &v["timings"];
    println!(
        "  status:      {}   (robots {} ms, fetch {} ms, extract {} ms)",
        s(&v["status"]),
        s(&t["robotsMs"]),
        s(&t["fetchMs"]),
        s(&t["extractMs"])
    );
    if let Some(e) = v["error"].as_object() {
        println!("  error:       {}: {}", s(&e["class"]), s(&e["message"]));
        return;
    }
    println!("  job links:   {}", s(&v["links"]));
    for l in v["sample"].as_array().cloned().unwrap_or_default() {
        match l["location"].as_str() {
            Some(at) => println!("    {} ({at})  {}", s(&l["title"]), s(&l["url"])),
            None => println!("    {}  {}", s(&l["title"]), s(&l["url"])),
        }
    }
    if let Some(n) = v["next"].as_str() {
        println!("  next page:   {n}");
    }
    match (v["company"].as_object(), v["new"].as_array()) {
        (Some(c), Some(new)) => {
            println!(
                "  company:     #{} {}: {} new against its snapshot",
                s(&c["id"]),
                s(&c["name"]),
                new.len()
            );
            for n in new.iter().take(10) {
                println!("    new: {}", s(n));
            }
        }
        _ => println!("  company:     not a known company's careers URL"),
    }
}

fn job_line(j: &Value) {
    println!(
        "#{:<6} company #{:<5} {:<11} {:<9} attempt {}/{}  {:>3}%  {} new  {}",
        s(&j["id"]),
        s(&j["companyId"]),
        s(&j["status"]),
        s(&j["source"]),
        s(&j["attempt"]),
        s(&j["maxAttempts"]),
        s(&j["progress"]),
        s(&j["newLinks"]),
        j["error"].as_str().unwrap_or("")
    );
}

/// Colours only for a person at a terminal, and not when `NO_COLOR` is set
/// (no-color.org): scripts, pipes and the status files get plain text.
fn colour_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `scoutly status` with ANSI colours: labels bold, the health verdict
/// green, yellow or red, attention lines red.
pub fn colour_status(text: &str) -> String {
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        let colour = if line.starts_with("health:    OK") {
            Some("\x1b[1;32m")
        } else if line.starts_with("health:    STOPPED") {
            Some("\x1b[1;33m")
        } else if line.starts_with("health:") || line.trim_start().starts_with("ATTENTION") {
            Some("\x1b[1;31m")
        } else {
            None
        };
        match colour {
            Some(c) => out.push_str(&format!("{c}{line}{RESET}")),
            None => match line.split_once(':') {
                // A label at the start of a line: bold.
                Some((label, rest)) if !line.starts_with(' ') && !label.contains(' ') => {
                    out.push_str(&format!("\x1b[1m{label}:{RESET}{rest}"))
                }
                _ => out.push_str(line),
            },
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod colour_tests {
    use super::colour_status;

    #[test]
    fn health_and_attention_stand_out_and_text_is_unchanged() {
        let text = "Scoutly 0.1.0: running\nhealth:    ATTENTION (1 alerts)\nqueue:     1 pending\n  ATTENTION Acme: quarantined\n  #12 Acme\n";
        let c = colour_status(text);
        assert!(c.contains("\x1b[1;31mhealth:    ATTENTION (1 alerts)\x1b[0m"));
        assert!(c.contains("\x1b[1mqueue:\x1b[0m     1 pending"));
        assert!(c.contains("\x1b[1;31m  ATTENTION Acme: quarantined\x1b[0m"));
        // Without the escape codes it is the same text.
        let plain = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&c, "");
        assert_eq!(plain, text);
        assert!(colour_status("health:    OK\n").starts_with("\x1b[1;32m"));
    }
}
