//! `[notify]` and `[[notify.sinks]]`.

use super::Check;
use crate::config::raw::RawNotify;
use crate::config::raw::RawSink;
use crate::config::{EVENTS, EmailSink, MailTls, NotifyConfig, Sink, SinkKind, SinkMode};

pub(super) fn notify(c: &mut Check, n: RawNotify) -> NotifyConfig {
    let mut sinks: Vec<Sink> = Vec::new();
    for (i, s) in n.sinks.unwrap_or_default().into_iter().enumerate() {
        let key = |k: &str| format!("notify.sinks[{i}].{k}");
        let name = s.name.trim().to_string();
        if name.is_empty() || name.len() > 64 {
            c.bad(
                &key("name"),
                &format!("{name:?}"),
                "a name of 1 to 64 characters",
            );
        } else if sinks.iter().any(|o| o.name == name) {
            c.bad(
                &key("name"),
                &format!("{name:?}"),
                "a name no other sink has",
            );
        }
        let kind = match s.kind.as_str() {
            "webhook" => SinkKind::Webhook,
            "ntfy" => SinkKind::Ntfy,
            "slack" => SinkKind::Slack,
            "email" => SinkKind::Email,
            other => {
                c.bad(
                    &key("kind"),
                    &format!("{other:?}"),
                    "\"webhook\" (a JSON POST), \"ntfy\" (an ntfy topic URL), \"slack\" (a Slack-compatible incoming webhook) or \"email\" (an smtp:// or smtps:// server)",
                );
                SinkKind::Webhook
            }
        };
        let email = (kind == SinkKind::Email).then(|| email(c, &key, &s));
        let url = match url::Url::parse(&s.url) {
            Ok(u) if kind == SinkKind::Email => u,
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            _ if kind == SinkKind::Email => {
                url::Url::parse("smtp://invalid.invalid/").expect("valid")
            }
            _ => {
                c.bad(
                    &key("url"),
                    &format!("{:?}", s.url),
                    "an http(s) URL such as \"https://ntfy.sh/my-topic\"",
                );
                // Checking goes on, so every problem is reported at once.
                url::Url::parse("http://invalid.invalid/").expect("valid")
            }
        };
        let mode = match s.mode.as_deref().unwrap_or("immediate") {
            "immediate" => SinkMode::Immediate,
            "digest" => SinkMode::Digest,
            other => {
                c.bad(
                    &key("mode"),
                    &format!("{other:?}"),
                    "\"immediate\" (one message per match) or \"digest\" (one message per notify.digest_interval)",
                );
                SinkMode::Immediate
            }
        };
        let user = s
            .user
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        // A sink without a user is the operator's: every event by default.
        let events = s.events.unwrap_or_else(|| {
            if user.is_none() {
                EVENTS.iter().map(|e| e.to_string()).collect()
            } else {
                Vec::new()
            }
        });
        for e in &events {
            if !EVENTS.contains(&e.as_str()) {
                c.bad(
                    &key("events"),
                    &format!("{e:?}"),
                    &format!("events among {}", EVENTS.join(", ")),
                );
            }
        }
        sinks.push(Sink {
            name,
            kind,
            url,
            user,
            mode,
            min_score: c.int(&key("min_score"), s.min_score, 50, 0, 100) as u8,
            events,
            email,
        });
    }
    NotifyConfig {
        digest_interval: c.positive_duration("notify.digest_interval", n.digest_interval, "1h"),
        timeout: c.positive_duration("notify.timeout", n.timeout, "10s"),
        give_up_after: c.positive_duration("notify.give_up_after", n.give_up_after, "3days"),
        backlog_alert: c.int("notify.backlog_alert", n.backlog_alert, 100, 1, 10_000_000) as u64,
        sinks,
    }
}

/// An e-mail sink's URL, addresses and password source. Problems are
/// reported on `c`; the returned settings are then placeholders.
fn email(c: &mut Check, key: &dyn Fn(&str) -> String, s: &RawSink) -> EmailSink {
    let shape = "an SMTP server such as \"smtp://alerts@mail.example.com\" (STARTTLS, port 587), \"smtps://mail.example.com\" (TLS, port 465) or \"smtp://127.0.0.1:25?tls=none\" (a relay on this machine)";
    let mut tls = MailTls::StartTls;
    let mut username = None;
    match url::Url::parse(&s.url) {
        Ok(u)
            if matches!(u.scheme(), "smtp" | "smtps")
                && u.host().is_some()
                && u.path().trim_matches('/').is_empty()
                && u.password().is_none() =>
        {
            let plain = u.query_pairs().any(|(k, v)| k == "tls" && v == "none");
            tls = match (u.scheme(), plain) {
                ("smtps", _) => MailTls::Implicit,
                (_, true) => MailTls::None,
                _ => MailTls::StartTls,
            };
            let loopback = match u.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                // smtp: is not a scheme the URL standard knows, so its
                // host stays text, even when it is an address.
                Some(url::Host::Domain(d)) => {
                    d == "localhost"
                        || d.trim_matches(['[', ']'])
                            .parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                }
                None => false,
            };
            if tls == MailTls::None && !loopback {
                c.bad(&key("url"), &format!("{:?}", s.url), "tls=none only for a relay on this machine (127.0.0.1, ::1 or localhost): mail to any other server goes over TLS");
            }
            username = (!u.username().is_empty()).then(|| percent_decode(u.username()));
        }
        Ok(u) if u.password().is_some() => c.bad(
            &key("url"),
            "(a URL with a password)",
            "a URL without the password: give it with password_env or password_file",
        ),
        // The URL may hold a password; it is not echoed.
        _ if s.url.contains('@') => c.bad(&key("url"), "(a URL with a user part)", shape),
        _ => c.bad(&key("url"), &format!("{:?}", s.url), shape),
    }
    let mut to = Vec::new();
    for addr in s.to.clone().unwrap_or_default() {
        match addr.parse::<lettre::message::Mailbox>() {
            Ok(m) => to.push(m.to_string()),
            Err(_) => c.bad(
                &key("to"),
                &format!("{addr:?}"),
                "e-mail addresses such as \"alice@example.com\" or \"Alice <alice@example.com>\"",
            ),
        }
    }
    if s.to.as_ref().is_none_or(|t| t.is_empty()) {
        c.bad(
            &key("to"),
            "(missing)",
            "a list of one or more recipients, such as [\"alice@example.com\"]",
        );
    }
    let from = match s
        .from
        .as_deref()
        .map(str::parse::<lettre::message::Mailbox>)
    {
        Some(Ok(m)) => m.to_string(),
        Some(Err(_)) => {
            c.bad(
                &key("from"),
                &format!("{:?}", s.from.as_deref().unwrap_or_default()),
                "the sender's address, such as \"Scoutly <scoutly@example.com>\"",
            );
            String::new()
        }
        None => {
            c.bad(
                &key("from"),
                "(missing)",
                "the sender's address, such as \"Scoutly <scoutly@example.com>\"",
            );
            String::new()
        }
    };
    let password_env = s.password_env.clone().filter(|v| !v.trim().is_empty());
    let password_file = s.password_file.as_ref().map(std::path::PathBuf::from);
    if password_env.is_some() && password_file.is_some() {
        c.bad(
            &key("password_file"),
            "(both given)",
            "password_env or password_file, not both",
        );
    }
    if username.is_none() && (password_env.is_some() || password_file.is_some()) {
        c.bad(
            &key("url"),
            &format!("{:?}", s.url),
            "a user in the URL (smtp://USER@host) when a password is given",
        );
    }
    EmailSink {
        to,
        from,
        tls,
        username,
        password_env,
        password_file,
    }
}

/// A URL's user part as written (`%40` is `@`).
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("u={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}
