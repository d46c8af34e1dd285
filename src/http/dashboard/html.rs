//! Writing HTML: escaping, times, and the frame every dashboard page shares.
//!
//! Invariant: every piece of text that did not come from this crate's own
//! literals (names, URLs, errors, query strings) passes through [`esc`]
//! before it is written, in text and in attribute values alike.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{Id, Job, Role, Timestamp, User};
use crate::status::human_secs;

/// Text made safe for HTML text and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&`
/// are written as `\u003c` and so on, so no text (`</script>`, `<!--`) can
/// end or bend the element; `JSON.parse` reads them back unchanged.
pub fn json_script(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A query string component, percent-encoded.
pub fn query_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `<time>` saying how long ago `t` was, with the exact time as its
/// machine-readable value and tooltip.
pub fn ago(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        None => "never".into(),
        Some(t) => {
            let exact = t.to_rfc3339();
            let text = if t > now {
                format!("in {}", human_secs(t.since(now).as_secs()))
            } else {
                format!("{} ago", human_secs(now.since(t).as_secs()))
            };
            format!(r#"<time datetime="{exact}" title="{exact}">{text}</time>"#)
        }
    }
}

/// A byte count in MiB or GiB.
pub fn bytes(n: Option<u64>) -> String {
    match n {
        None => "unknown".into(),
        Some(n) if n >= 10 << 30 => format!("{:.0} GiB", n as f64 / (1u64 << 30) as f64),
        Some(n) if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        Some(n) => format!("{} MiB", n >> 20),
    }
}

/// The pages in the navigation: path and label.
pub const NAV: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/companies", "Companies"),
    ("/jobs", "Jobs"),
    ("/postings", "Postings"),
    ("/attention", "Attention"),
    ("/stats", "Stats"),
];

/// What the frame around a page needs besides the page itself.
pub struct Frame<'a> {
    pub title: &'a str,
    /// The path of the page, marked current in the navigation.
    pub path: &'a str,
    pub user: &'a User,
    /// Jobs pending or running that the user may see.
    pub active: &'a [Job],
    /// Names of the companies with active jobs, for the live job panel
    /// (the script asks the API for others).
    pub names: &'a BTreeMap<Id, String>,
}

/// A whole dashboard page: head, navigation, the live job panel and `main`.
pub fn page(frame: &Frame, main: &str) -> String {
    let mut nav = String::new();
    for (path, label) in NAV {
        let current = if *path == frame.path {
            r#" aria-current="page""#
        } else {
            ""
        };
        let _ = write!(nav, r#"<li><a href="{path}"{current}>{label}</a></li>"#);
    }
    let role = match frame.user.role {
        Role::Admin => "admin",
        Role::User => "user",
        Role::Service => "service",
    };
    let names = json_script(frame.names);
    let mut active = String::new();
    for job in frame.active {
        active.push_str(&job_row(job, frame.names));
    }
    let empty = if frame.active.is_empty() {
        ""
    } else {
        " hidden"
    };
    format!(
        r##"{head}
<body data-user="{uid}" data-role="{role}">
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">Scoutly</span>
<nav aria-label="Main"><ul>{nav}</ul></nav>
<form class="who" method="post" action="/signout"><span>{name} <small>({role})</small></span> <button type="submit">Sign out</button></form>
</header>
<div id="notice" class="notice" role="status" aria-live="polite"></div>
<div id="problem" class="problem" role="alert"></div>
<div class="layout">
<main id="main" tabindex="-1">
<h1>{title}</h1>
{main}
</main>
<aside id="active" aria-labelledby="active-heading">
<h2 id="active-heading">Active jobs <span class="badge" id="active-count">{count}</span></h2>
<p id="active-empty" class="muted"{empty}>Nothing running or waiting.</p>
<ul id="active-list" class="jobs">{active}</ul>
</aside>
</div>
<script type="application/json" id="company-names">{names}</script>
</body>
</html>
"##,
        head = head(frame.title, true),
        title = esc(frame.title),
        uid = frame.user.id,
        name = esc(&frame.user.name),
        count = frame.active.len(),
    )
}

/// One job of the live panel: its company, state and progress bar. The
/// script keeps the same shape when it adds or updates rows.
fn job_row(job: &Job, names: &BTreeMap<Id, String>) -> String {
    let name = names
        .get(&job.company_id)
        .cloned()
        .unwrap_or_else(|| format!("company {}", job.company_id));
    format!(
        r#"<li data-job="{id}" data-company="{company}" data-status="{status}"><span class="job-name">{name}</span> <span class="job-status">{status_text}</span><progress max="100" value="{p}" aria-label="{name}: job {id} progress">{p}%</progress><span class="job-pct">{p}%</span><span class="job-note"></span></li>"#,
        id = job.id,
        company = job.company_id,
        status = job.status.as_str(),
        status_text = job.status.as_str().replace('_', " "),
        name = esc(&name),
        p = job.progress,
    )
}

/// The sign-in page (no frame: nobody is signed in).
pub fn sign_in(problem: Option<&str>) -> String {
    let problem = problem
        .map(|p| {
            format!(
                r#"<p class="problem" role="alert" id="signin-problem">{}</p>"#,
                esc(p)
            )
        })
        .unwrap_or_default();
    format!(
        r##"{head}
<body class="signin">
<main id="main">
<h1>Scoutly</h1>
<form method="post" action="/signin" class="card">
{problem}
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="256" aria-describedby="token-help">
<p id="token-help" class="muted">The token <code>scoutly user add</code> or <code>scoutly user token</code> printed.</p>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
"##,
        head = head("Sign in", false),
    )
}

/// The document's start and `<head>`; `script` adds the dashboard's script.
fn head(title: &str, script: bool) -> String {
    let script = if script {
        "\n<script src=\"/assets/app.js\" defer></script>"
    } else {
        ""
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} · Scoutly</title>
<link rel="stylesheet" href="/assets/style.css">{script}
</head>"#,
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            esc(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn json_blocks_cannot_end_their_script() {
        let v = json_script(&vec!["</script><!--<script>&"]);
        assert!(
            !v.contains('<') && !v.contains('>') && !v.contains('&'),
            "{v}"
        );
        let back: Vec<String> = serde_json::from_str(&v).unwrap();
        assert_eq!(back, ["</script><!--<script>&"]);
    }

    #[test]
    fn times_read_as_ago_and_in() {
        let now = Timestamp::from_millis(10_000_000);
        let past = now.minus(std::time::Duration::from_secs(300));
        assert!(ago(Some(past), now).contains(">5m ago<"));
        let future = now.plus(std::time::Duration::from_secs(7200));
        assert!(ago(Some(future), now).contains(">in 2h<"));
        assert_eq!(ago(None, now), "never");
    }
}
