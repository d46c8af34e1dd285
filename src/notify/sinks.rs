//! How each kind of sink is spoken to.
//!
//! - `webhook`: `POST` of a JSON document (`type` `postings` or `event`),
//!   with the item's key in `Idempotency-Key` and in the body.
//! - `ntfy`: `POST` of the text to the topic URL, with `Title`, `Tags`,
//!   `Click` and `Priority` headers, and the key as `X-Sequence-ID`, so
//!   ntfy 2.16 and later replace a repeat instead of showing it twice.
//! - `slack`: `POST` of `{"text", "blocks"}` to a Slack-compatible incoming
//!   webhook (Slack, Mattermost, Rocket.Chat). Such webhooks know no
//!   idempotency, so the key is shown in a context line, where a repeat
//!   after a lost answer can be recognised; it is sent as `Idempotency-Key`
//!   too, for proxies that honour it.
//!
//! A 2xx answer is delivery. 408, 425, 429 and 5xx are tried again later;
//! any other 4xx means the sink refuses the item for good.

use reqwest::header;
use serde_json::{Value, json};

use crate::config::{Sink, SinkKind};
use crate::model::{Message, OutboxItem};

/// Longest answer body read from a sink.
const MAX_ANSWER: usize = 64 << 10;

/// Why a try failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later (after `retry_after`, when the sink said).
    Retry {
        reason: String,
        retry_after: Option<std::time::Duration>,
    },
    /// The sink will never take it.
    Refused(String),
}

/// The webhook's JSON document.
pub fn webhook_body(item: &OutboxItem, user: Option<&str>) -> Value {
    match &item.message {
        Message::Postings { user_id, postings } => json!({
            "type": "postings",
            "key": item.key,
            "user": {"id": user_id, "name": user},
            "postings": postings.iter().map(|p| json!({
                "postingId": p.posting_id,
                "companyId": p.company_id,
                "company": p.company,
                "title": p.title,
                "url": p.url,
                "location": p.location,
                "remote": p.remote,
                "score": p.score,
                "reason": p.reason,
            })).collect::<Vec<_>>(),
            "createdAt": item.created.to_rfc3339(),
        }),
        Message::Event {
            kind,
            message,
            company_id,
        } => json!({
            "type": "event",
            "key": item.key,
            "event": kind,
            "message": message,
            "companyId": company_id,
            "createdAt": item.created.to_rfc3339(),
        }),
    }
}

/// A notification as text: its title, body, click URL and priority (3
/// default, 4 high). ntfy shows these, and a mail is made of them.
pub fn text_parts(item: &OutboxItem) -> (String, String, Option<String>, u8) {
    match &item.message {
        Message::Postings { postings, .. } if postings.len() == 1 => {
            let p = &postings[0];
            let place = p.location.as_deref().unwrap_or("place not stated");
            (
                format!("{} at {}", p.title, p.company),
                format!("{place} · match {}%\n{}\n{}", p.score, p.reason, p.url),
                Some(p.url.clone()),
                if p.score >= 80 { 4 } else { 3 },
            )
        }
        Message::Postings { postings, .. } => {
            let lines: Vec<String> = postings
                .iter()
                .map(|p| format!("• {} at {} ({}%) {}", p.title, p.company, p.score, p.url))
                .collect();
            (
                format!("{} new matching postings", postings.len()),
                lines.join("\n"),
                None,
                3,
            )
        }
        Message::Event { kind, message, .. } => (
            format!("Scoutly: {}", kind.replace('_', " ")),
            message.clone(),
            None,
            4,
        ),
    }
}

/// Text for Slack's mrkdwn: `&`, `<` and `>` are control characters there,
/// and an `@` before a word is a mention in Mattermost's plain text: a
/// zero-width joiner keeps `@channel` from a careers page from pinging
/// everyone.
fn slack_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('@', "@\u{2060}")
}

/// Slack refuses a section's text over 3000 characters.
const SLACK_SECTION: usize = 3000;

fn clip(s: String) -> String {
    match s.char_indices().nth(SLACK_SECTION - 1) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// A link in mrkdwn; a URL that would break the `<url|label>` syntax is
/// shown as text instead.
fn slack_link(url: &str, label: &str) -> String {
    if url.contains(['|', '>', '<', ' ', '&']) {
        format!("{} ({})", slack_text(label), slack_text(url))
    } else {
        format!("<{url}|{}>", slack_text(label))
    }
}

/// Postings shown one by one in a Slack message; Slack allows 50 blocks.
const SLACK_POSTINGS: usize = 20;

/// The Slack-compatible webhook's JSON: `text` for notifications and
/// clients without blocks, `blocks` for the message itself.
pub fn slack_body(item: &OutboxItem) -> Value {
    let section =
        |text: String| json!({"type": "section", "text": {"type": "mrkdwn", "text": text}});
    let (text, mut blocks) = match &item.message {
        Message::Postings { postings, .. } => {
            let text = match postings.as_slice() {
                [p] => format!(
                    "New posting: {} at {} (match {}%)",
                    p.title, p.company, p.score
                ),
                _ => format!("{} new matching postings", postings.len()),
            };
            let mut blocks = vec![section(format!("*{}*", slack_text(&text)))];
            for p in postings.iter().take(SLACK_POSTINGS) {
                let place = p.location.as_deref().unwrap_or("place not stated");
                blocks.push(section(format!(
                    "{} at *{}*\n{} · match {}%\n_{}_",
                    slack_link(&p.url, &p.title),
                    slack_text(&p.company),
                    slack_text(place),
                    p.score,
                    slack_text(&p.reason)
                )));
            }
            if postings.len() > SLACK_POSTINGS {
                blocks.push(section(format!(
                    "… and {} more",
                    postings.len() - SLACK_POSTINGS
                )));
            }
            (text, blocks)
        }
        Message::Event { kind, message, .. } => {
            let title = format!("Scoutly: {}", kind.replace('_', " "));
            let text = format!("{title}: {message}");
            let blocks = vec![section(format!(
                ":warning: *{}*\n{}",
                slack_text(&title),
                slack_text(message)
            ))];
            (text, blocks)
        }
    };
    blocks.push(json!({"type": "context", "elements": [
        {"type": "mrkdwn", "text": format!("Scoutly · {}", item.key)}
    ]}));
    json!({"text": clip(slack_text(&text)), "blocks": blocks})
}

/// Header values must be visible ASCII; anything else is dropped.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(250)
        .collect()
}

/// How a sink is named in errors kept in the outbox and the log: its name
/// and host, never its URL (a Slack webhook's path, an ntfy topic are
/// secrets).
fn shown(sink: &Sink) -> String {
    format!(
        "sink {:?} ({})",
        sink.name,
        sink.url.host_str().unwrap_or("no host")
    )
}

pub async fn send(
    client: &reqwest::Client,
    sink: &Sink,
    item: &OutboxItem,
    user: Option<&str>,
) -> Result<(), SendError> {
    let req = match sink.kind {
        SinkKind::Webhook => client
            .post(sink.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &item.key)
            .body(webhook_body(item, user).to_string()),
        SinkKind::Email => {
            return Err(SendError::Refused(
                "an e-mail sink is sent through its mailer".into(),
            ));
        }
        SinkKind::Slack => client
            .post(sink.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &item.key)
            .body(slack_body(item).to_string()),
        SinkKind::Ntfy => {
            let (title, body, click, priority) = text_parts(item);
            let mut r = client
                .post(sink.url.clone())
                .header("Title", header_text(&title))
                .header(
                    "Tags",
                    if matches!(item.message, Message::Event { .. }) {
                        "warning"
                    } else {
                        "briefcase"
                    },
                )
                .header("Priority", priority.to_string())
                .header("X-Sequence-ID", &item.key)
                .header("Idempotency-Key", &item.key)
                .body(body);
            if let Some(url) = click {
                r = r.header("Click", header_text(&url));
            }
            r
        }
    };
    let answer = crate::outbound::send(req, MAX_ANSWER)
        .await
        .map_err(|e| SendError::Retry {
            reason: format!("sending to {} failed: {e}", shown(sink)),
            retry_after: None,
        })?;
    let (status, retry_after) = (answer.status, answer.retry_after);
    let body = answer.body.unwrap_or_default();
    let said = String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim()
        .to_string();
    match status {
        200..=299 => Ok(()),
        408 | 425 | 429 | 500..=599 => Err(SendError::Retry {
            reason: format!("{} answered HTTP {status} {said}", shown(sink)),
            retry_after,
        }),
        _ => Err(SendError::Refused(format!(
            "{} refused it with HTTP {status} {said}",
            shown(sink)
        ))),
    }
}
