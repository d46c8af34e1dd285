//! The chat-completions wire format: the request we send and the checks on
//! the reply.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analyze::{AnalyseError, Reply, Subject, Verdict};
use crate::model::{AiFields, Criteria, Id, Match, RemotePref, Timestamp};

const SYSTEM: &str = "You read job postings and score how well each fits each listed user. \
For every posting, give its job title, its location (null when the text does not say), \
whether it is remote (true, false, or null when the text does not say), and for every user \
id listed with the posting an integer score from 0 (no fit) to 100 (perfect fit) with a \
one-sentence reason naming what matched or was missing. Keyword weights say how much each \
keyword matters; a posting that mentions an excluded word scores 0. Answer with JSON only.";

/// Longest reason kept.
const MAX_REASON: usize = 400;
const MAX_FIELD: usize = 200;

/// A user's criteria as one line of the prompt (also what the cache
/// hashes, so equal criteria share cached scores).
pub fn criteria_line(c: &Criteria) -> String {
    let kw: Vec<String> = c
        .keywords
        .iter()
        .map(|k| format!("{} (weight {})", k.word, k.weight))
        .collect();
    let mut parts = Vec::new();
    if !kw.is_empty() {
        parts.push(format!("keywords: {}", kw.join(", ")));
    }
    if !c.exclude.is_empty() {
        parts.push(format!("excluded: {}", c.exclude.join(", ")));
    }
    if !c.locations.is_empty() {
        parts.push(format!("locations: {}", c.locations.join(", ")));
    }
    parts.push(
        match c.remote {
            RemotePref::Any => "remote: either",
            RemotePref::Prefer => "remote: preferred",
            RemotePref::Only => "remote: required",
            RemotePref::Never => "remote: not wanted",
        }
        .to_string(),
    );
    parts.join("; ")
}

/// The JSON schema the reply must follow (strict structured output).
pub fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["postings"],
        "properties": {
            "postings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["id", "title", "location", "remote", "matches"],
                    "properties": {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "location": {"type": ["string", "null"]},
                        "remote": {"type": ["boolean", "null"]},
                        "matches": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["user", "score", "reason"],
                                "properties": {
                                    "user": {"type": "integer"},
                                    "score": {"type": "integer"},
                                    "reason": {"type": "string"}
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// The request for one batch. Users appear once with their criteria;
/// postings name the users to score them for.
pub fn request_body(model: &str, max_tokens: u32, batch: &[Subject]) -> Value {
    let mut users: Vec<(Id, String)> = Vec::new();
    for s in batch {
        for r in &s.readers {
            if !users.iter().any(|(id, _)| *id == r.user_id) {
                users.push((r.user_id, criteria_line(&r.criteria)));
            }
        }
    }
    let input = json!({
        "users": users.iter().map(|(id, c)| json!({"id": id, "criteria": c})).collect::<Vec<_>>(),
        "postings": batch.iter().map(|s| json!({
            "id": s.posting_id,
            "company": s.company,
            "title": s.title,
            "location": s.location,
            "remote": s.remote,
            "text": s.text,
            "scoreFor": s.readers.iter().map(|r| r.user_id).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    json!({
        "model": model,
        "temperature": 0,
        "max_tokens": max_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "posting_matches", "strict": true, "schema": schema()}
        },
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": input.to_string()}
        ]
    })
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    total_tokens: Option<u64>,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Answer {
    postings: Vec<Value>,
}

/// Check a 2xx reply against the batch it answers.
pub fn parse_reply(
    bytes: &[u8],
    batch: &[Subject],
    analyser: &str,
    at: Timestamp,
) -> Result<Reply, AnalyseError> {
    let completion: Completion =
        serde_json::from_slice(bytes).map_err(|e| AnalyseError::Malformed {
            message: format!("the reply is not a chat completion: {e}"),
            tokens: 0,
        })?;
    let tokens = completion.usage.as_ref().map_or(0, |u| {
        u.total_tokens
            .unwrap_or(u.prompt_tokens.unwrap_or(0) + u.completion_tokens.unwrap_or(0))
            .min(u64::from(u32::MAX)) as u32
    });
    let malformed = |message: String| AnalyseError::Malformed { message, tokens };
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| malformed("the reply has no choices".into()))?;
    if let Some(r) = choice.message.refusal.filter(|r| !r.is_empty()) {
        return Err(malformed(format!("the model refused: {}", clip(&r, 200))));
    }
    if choice.finish_reason.as_deref() == Some("length") {
        return Err(malformed(
            "the reply was cut off at max_tokens; raise analysis.openai.max_reply_tokens or lower analysis.openai.batch_size".into(),
        ));
    }
    let content = choice
        .message
        .content
        .ok_or_else(|| malformed("the reply has no content".into()))?;
    let answer: Answer = serde_json::from_str(strip_fence(&content))
        .map_err(|e| malformed(format!("the content is not the requested JSON: {e}")))?;

    let asked: HashMap<Id, &Subject> = batch.iter().map(|s| (s.posting_id, s)).collect();
    let mut verdicts = Vec::new();
    let mut rejected: Vec<(Id, String)> = Vec::new();
    let mut seen = HashSet::new();
    for raw in answer.postings {
        let Some(id) = raw.get("id").and_then(Value::as_u64) else {
            continue;
        };
        let Some(subject) = asked.get(&id) else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        match verdict(&raw, subject, analyser, at) {
            Ok(v) => verdicts.push(v),
            Err(why) => rejected.push((id, why)),
        }
    }
    for s in batch {
        if !seen.contains(&s.posting_id) {
            rejected.push((s.posting_id, "the reply left it out".into()));
        }
    }
    if verdicts.is_empty() && !rejected.is_empty() {
        return Err(malformed(format!(
            "no posting was answered correctly (posting {}: {})",
            rejected[0].0, rejected[0].1
        )));
    }
    Ok(Reply {
        verdicts,
        tokens,
        rejected,
    })
}

fn verdict(raw: &Value, s: &Subject, analyser: &str, at: Timestamp) -> Result<Verdict, String> {
    let text = |k: &str| {
        raw.get(k)
            .and_then(Value::as_str)
            .map(|v| clip(v.trim(), MAX_FIELD))
            .filter(|v| !v.is_empty())
    };
    let fields = AiFields {
        title: text("title"),
        location: text("location"),
        remote: raw.get("remote").and_then(Value::as_bool),
    };
    let list = raw
        .get("matches")
        .and_then(Value::as_array)
        .ok_or("no matches list")?;
    let mut matches = Vec::new();
    for r in &s.readers {
        let m = list
            .iter()
            .find(|m| m.get("user").and_then(Value::as_u64) == Some(r.user_id))
            .ok_or_else(|| format!("no score for user {}", r.user_id))?;
        let score = m
            .get("score")
            .and_then(Value::as_f64)
            .filter(|s| (0.0..=100.0).contains(s))
            .ok_or_else(|| format!("user {}'s score is not a number from 0 to 100", r.user_id))?;
        let reason = m
            .get("reason")
            .and_then(Value::as_str)
            .map(|v| clip(v.trim(), MAX_REASON))
            .unwrap_or_default();
        matches.push((
            r.user_id,
            Match {
                score: score.round() as u8,
                reason,
                analyser: analyser.to_string(),
                at,
            },
        ));
    }
    Ok(Verdict {
        posting_id: s.posting_id,
        fields,
        matches,
    })
}

/// Some servers wrap JSON in a Markdown code fence despite being asked not to.
fn strip_fence(s: &str) -> &str {
    let t = s.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The provider's error message from an error reply, or the start of the body.
pub fn error_message(bytes: &[u8]) -> String {
    let v: Option<Value> = serde_json::from_slice(bytes).ok();
    match v
        .as_ref()
        .and_then(|v| v.pointer("/error/message"))
        .and_then(Value::as_str)
    {
        Some(m) => clip(m, 300),
        None => clip(&String::from_utf8_lossy(bytes), 300),
    }
}

#[cfg(test)]
mod tests;
