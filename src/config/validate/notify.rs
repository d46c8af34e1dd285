//! `[notify]` and `[[notify.sinks]]`.

use super::Check;
use crate::config::raw::RawNotify;
use crate::config::{EVENTS, NotifyConfig, Sink, SinkKind, SinkMode};

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
            other => {
                c.bad(
                    &key("kind"),
                    &format!("{other:?}"),
                    "\"webhook\" (a JSON POST), \"ntfy\" (an ntfy topic URL) or \"slack\" (a Slack-compatible incoming webhook)",
                );
                SinkKind::Webhook
            }
        };
        let url = match url::Url::parse(&s.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
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
