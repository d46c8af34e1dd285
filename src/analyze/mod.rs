//! Scoring new postings against each tracking user's criteria.
//!
//! An [`Analyser`] takes a batch of [`Subject`]s (a posting's details and
//! the users to score it for) and returns a [`Verdict`] per posting. Two
//! implementations: [`builtin::Builtin`], the offline keyword matcher and
//! the default, and [`openai::OpenAi`], a client of any server speaking
//! OpenAI's chat-completions API. [`budget`] keeps a metered analyser within
//! the plan's requests per minute, tokens per minute and requests per day.
//!
//! This module decides and talks to the AI; it never touches the store.
//! The analysis worker (`worker::analysis`) reads the backlog, consults the
//! cache and the budget, and commits what comes back.

pub mod budget;
pub mod builtin;
pub mod openai;

use std::future::Future;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::model::{AiFields, Criteria, Id, Match};

/// One posting to analyse, and for whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub posting_id: Id,
    pub company: String,
    pub title: String,
    pub location: Option<String>,
    pub remote: Option<bool>,
    pub text: String,
    /// [`subject_hash`]: the AI cache's key for the posting.
    pub hash: [u8; 32],
    pub readers: Vec<Reader>,
}

/// A user a posting is scored for.
#[derive(Debug, Clone, PartialEq)]
pub struct Reader {
    pub user_id: Id,
    pub criteria: Criteria,
    /// [`criteria_hash`] of `criteria`.
    pub hash: [u8; 32],
}

impl Reader {
    pub fn new(user_id: Id, criteria: Criteria) -> Self {
        let hash = criteria_hash(&criteria);
        Reader {
            user_id,
            criteria,
            hash,
        }
    }
}

/// What an analyser concluded about one posting.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub posting_id: Id,
    /// Fields read from the text (an AI may find what the page's markup
    /// did not say).
    pub fields: AiFields,
    pub matches: Vec<(Id, Match)>,
}

/// An analyser's answer to one batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    pub verdicts: Vec<Verdict>,
    /// Tokens the provider counted (its `usage`), 0 for the builtin matcher.
    pub tokens: u32,
    /// Postings of the batch the reply left out or got wrong, with why.
    pub rejected: Vec<(Id, String)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyseError {
    /// 429: the provider asks to wait (`Retry-After`, when it said).
    #[error("the AI provider said too many requests (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    /// The provider answered, but not with what was asked; the request
    /// still counts against the budget.
    #[error("the AI reply was not usable: {message}")]
    Malformed { message: String, tokens: u32 },
    /// No usable answer (no answer at all, or a 5xx or 401/403): try again
    /// later. `answered`: the provider saw the request, so it counts
    /// against the budget.
    #[error("{message}")]
    Failed { message: String, answered: bool },
}

/// What one call may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub postings: usize,
    /// Estimated input tokens.
    pub tokens: u32,
}

/// Scores postings for users.
pub trait Analyser: Send + Sync + 'static {
    /// `builtin` or `openai:<model>`, stored with each match.
    fn name(&self) -> String;
    /// Whether calls spend an AI budget (and so are batched, cached and
    /// rate-limited).
    fn metered(&self) -> bool;
    fn limits(&self) -> BatchLimits;
    fn analyse(
        &self,
        batch: &[Subject],
    ) -> impl Future<Output = Result<Reply, AnalyseError>> + Send;
}

/// What the AI cache knows a posting by: everything the AI is shown of it
/// (so two postings share an answer only when the AI could not tell them
/// apart).
pub fn subject_hash(s: &Subject) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [
        s.company.as_str(),
        s.title.as_str(),
        s.location.as_deref().unwrap_or("\u{1}"),
        match s.remote {
            Some(true) => "remote",
            Some(false) => "on-site",
            None => "\u{1}",
        },
        s.text.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// What the AI cache knows a user's criteria by.
pub fn criteria_hash(c: &Criteria) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(openai::criteria_line(c).as_bytes());
    h.finalize().into()
}

/// Rough input tokens for a subject: about four characters a token for
/// English text, plus each reader's criteria and the JSON around them.
pub fn estimate_tokens(s: &Subject) -> u32 {
    let chars = s.title.chars().count()
        + s.company.chars().count()
        + s.location.as_deref().map_or(0, |l| l.chars().count())
        + s.text.chars().count()
        + s.readers
            .iter()
            .map(|r| openai::criteria_line(&r.criteria).len())
            .sum::<usize>();
    (chars / 4 + 20 + 10 * s.readers.len()) as u32
}

/// How many subjects from the front of `subjects` fit in one call (at
/// least one, so a single large posting still goes alone).
pub fn batch_len(subjects: &[Subject], limits: BatchLimits, overhead: u32) -> usize {
    let mut tokens = overhead;
    let mut n = 0;
    for s in subjects.iter().take(limits.postings) {
        tokens += estimate_tokens(s);
        if n > 0 && tokens > limits.tokens {
            break;
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests;
