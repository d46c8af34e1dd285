//! The notification outbox: what is to be told, to which sink, under which
//! idempotency key.

use serde::{Deserialize, Serialize};

use super::{Id, Timestamp};

/// One message waiting for delivery. It leaves the outbox only when its
/// sink accepted it; until then it is retried with backoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: Id,
    /// `notify.sinks[].name`.
    pub sink: String,
    /// Sent with every try, so the receiver can drop repeats.
    pub key: String,
    pub message: Message,
    pub created: Timestamp,
    /// Not sent before this (retry backoff, or the digest's hour).
    pub due: Timestamp,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Waiting to be gathered into its sink's next digest.
    pub digest_part: bool,
    /// Gave up (the sink refused it for good, or retries ran out); kept for
    /// the operator, never sent again.
    pub dead: bool,
}

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// New postings matched for a user (one for an immediate sink, several
    /// in a digest).
    Postings {
        user_id: Id,
        postings: Vec<Announced>,
    },
    /// Something the operator should know.
    Event {
        kind: String,
        message: String,
        company_id: Option<Id>,
    },
}

/// A posting as it is announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announced {
    pub posting_id: Id,
    pub company_id: Id,
    pub company: String,
    pub title: String,
    pub url: String,
    pub location: Option<String>,
    pub remote: Option<bool>,
    pub score: u8,
    pub reason: String,
}
