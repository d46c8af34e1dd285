//! The offline matcher: keywords with weights, excluded words, places and
//! remote work, with a reason a person can check.
//!
//! Score, 0..=100:
//! - an excluded word anywhere → 0;
//! - keywords: each found in the title counts its full weight, found only
//!   in the text 60 % of it; the keyword part is the share of all weight
//!   found (1 when no keywords are set);
//! - place: with `locations` set, a posting at one of them, or a remote
//!   one when remote work is acceptable, keeps the score; one elsewhere
//!   keeps 30 %; an unknown place 70 %;
//! - remote: `only` keeps 20 % of a non-remote posting and 70 % of one that
//!   does not say; `never` does the same for remote ones; `prefer` gives a
//!   remote posting a fifth more (up to 100);
//! - no criteria at all → 50 ("every posting of a tracked company").

use super::{AnalyseError, Analyser, BatchLimits, Reply, Subject, Verdict};
use crate::model::{AiFields, Criteria, Match, RemotePref, Timestamp};

/// The score given when a user set no criteria.
pub const NO_CRITERIA_SCORE: u8 = 50;

#[derive(Debug, Clone, Default)]
pub struct Builtin;

impl Analyser for Builtin {
    fn name(&self) -> String {
        "builtin".into()
    }

    fn metered(&self) -> bool {
        false
    }

    fn limits(&self) -> BatchLimits {
        BatchLimits {
            postings: 64,
            tokens: u32::MAX,
        }
    }

    async fn analyse(&self, batch: &[Subject]) -> Result<Reply, AnalyseError> {
        Ok(Reply {
            verdicts: batch.iter().map(verdict).collect(),
            ..Reply::default()
        })
    }
}

/// The builtin verdict on one subject, for every reader.
pub fn verdict(s: &Subject) -> Verdict {
    Verdict {
        posting_id: s.posting_id,
        fields: AiFields::default(),
        matches: s
            .readers
            .iter()
            .map(|r| {
                let (score, reason) = score(&r.criteria, s);
                (
                    r.user_id,
                    Match {
                        score,
                        reason,
                        analyser: "builtin".into(),
                        at: Timestamp::EPOCH,
                    },
                )
            })
            .collect(),
    }
}

/// Lowercase words separated by single spaces, padded with one on each
/// side, so " word " finds whole words and phrases. `+`, `#` and `.` stay
/// inside words (C++, C#, Node.js).
fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars().flat_map(char::to_lowercase) {
        let inner =
            c.is_alphanumeric() || matches!(c, '+' | '#') || (c == '.' && !out.ends_with(' '));
        if inner {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    // A sentence's full stop is not part of its last word.
    out.replace(". ", " ")
}

fn has(haystack: &str, needle: &str) -> bool {
    let n = words(needle);
    !n.trim().is_empty() && haystack.contains(&n)
}

/// Score one posting for one user's criteria, with the reason.
pub fn score(c: &Criteria, s: &Subject) -> (u8, String) {
    if c.is_empty() {
        return (
            NO_CRITERIA_SCORE,
            "no criteria set: every posting of a tracked company is shown".into(),
        );
    }
    let title = words(&s.title);
    let body = words(&format!(
        "{} {}",
        s.location.as_deref().unwrap_or(""),
        s.text
    ));
    if let Some(word) = c.exclude.iter().find(|w| has(&title, w) || has(&body, w)) {
        return (0, format!("mentions excluded \"{word}\""));
    }
    let mut reasons = Vec::new();
    let mut part = 1.0;
    if !c.keywords.is_empty() {
        let total: f64 = c.keywords.iter().map(|k| f64::from(k.weight)).sum();
        let (mut got, mut in_title, mut in_text, mut missing) = (0.0, vec![], vec![], vec![]);
        for k in &c.keywords {
            let w = f64::from(k.weight);
            if has(&title, &k.word) {
                got += w;
                in_title.push(k.word.as_str());
            } else if has(&body, &k.word) {
                got += 0.6 * w;
                in_text.push(k.word.as_str());
            } else {
                missing.push(k.word.as_str());
            }
        }
        part = if total > 0.0 { got / total } else { 1.0 };
        if !in_title.is_empty() {
            reasons.push(format!("title has {}", in_title.join(", ")));
        }
        if !in_text.is_empty() {
            reasons.push(format!("text has {}", in_text.join(", ")));
        }
        if !missing.is_empty() {
            reasons.push(format!("no {}", missing.join(", ")));
        }
    }
    let remote_ok = c.remote != RemotePref::Never;
    if !c.locations.is_empty() {
        let place = s.location.as_deref().map(words);
        let here = c
            .locations
            .iter()
            .find(|l| place.as_deref().is_some_and(|p| has(p, l)) || has(&title, l));
        match (here, s.remote) {
            (Some(l), _) => reasons.push(format!("in {l}")),
            (None, Some(true)) if remote_ok => reasons.push("remote".into()),
            (None, _) if place.is_none() => {
                part *= 0.7;
                reasons.push("place not stated".into());
            }
            (None, _) => {
                part *= 0.3;
                reasons.push(format!(
                    "in {}, not {}",
                    s.location.as_deref().unwrap_or("?"),
                    c.locations.join(" or ")
                ));
            }
        }
    }
    match (c.remote, s.remote) {
        (RemotePref::Only, Some(false)) => {
            part *= 0.2;
            reasons.push("not remote".into());
        }
        (RemotePref::Never, Some(true)) => {
            part *= 0.2;
            reasons.push("remote only".into());
        }
        (RemotePref::Only | RemotePref::Never, None) => {
            part *= 0.7;
            reasons.push("remote or not is not stated".into());
        }
        (RemotePref::Prefer, Some(true)) => {
            part = (part * 1.2).min(1.0);
            reasons.push("remote, as preferred".into());
        }
        _ => {}
    }
    let score = (part * 100.0).round().clamp(0.0, 100.0) as u8;
    (score, reasons.join("; "))
}

#[cfg(test)]
mod tests;
