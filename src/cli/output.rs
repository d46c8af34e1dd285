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
    Users,
    Preference,
    Untracked,
    Jobs,
    JobAction,
    Job,
    Postings,
    Pass,
    Attention,
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
            Request::UserList => Kind::Users,
            Request::Track { .. } => Kind::Preference,
            Request::Untrack { .. } => Kind::Untracked,
            Request::JobsList { .. } => Kind::Jobs,
            Request::JobsStart { .. } | Request::JobsRetry { .. } => Kind::JobAction,
            Request::JobsCancel { .. } => Kind::Job,
            Request::Postings { .. } => Kind::Postings,
            Request::Enqueue => Kind::Pass,
            Request::Attention => Kind::Attention,
            Request::StatusText => Kind::Text,
            Request::Status => Kind::Raw,
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
        Kind::Text => print!("{}", v.as_str().unwrap_or_default()),
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
        Kind::Users => {
            for u in v.as_array().cloned().unwrap_or_default() {
                println!(
                    "#{:<5} {:<24} {:<6} last seen {}",
                    s(&u["id"]),
                    s(&u["name"]),
                    s(&u["role"]),
                    s(&u["lastSeen"])
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
            }
        }
        Kind::Pass => println!(
            "scheduler pass: {} companies, {} due, {} enqueued",
            s(&v["companies"]),
            s(&v["due"]),
            s(&v["enqueued"])
        ),
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
