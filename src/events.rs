//! Live events for `GET /api/events`: job progress, jobs that ended, new
//! postings.
//!
//! Workers publish; the HTTP layer subscribes and forwards each event to
//! the callers allowed to see its company. Nothing is stored: a client
//! that was away reads the API (polling keeps working), and a subscriber
//! that falls behind skips what it missed and is told so. Publishing never
//! waits, and costs nothing when nobody listens.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::Id;

/// Events kept for a slow subscriber before it starts to miss some.
const CAPACITY: usize = 256;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// A running job moved on.
    #[serde(rename_all = "camelCase")]
    Progress {
        job_id: Id,
        company_id: Id,
        progress: u8,
        pages: u32,
        links_found: u32,
    },
    /// A job ended: `completed`, `failed` (no attempt left), `retrying`,
    /// `cancelled` or `deferred`.
    #[serde(rename_all = "camelCase")]
    Finished {
        job_id: Id,
        company_id: Id,
        status: &'static str,
        new_postings: usize,
        error: Option<String>,
    },
    /// Postings seen for the first time (never baseline ones).
    #[serde(rename_all = "camelCase")]
    Postings {
        company_id: Id,
        job_id: Id,
        postings: Vec<PostingRef>,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PostingRef {
    pub id: Id,
    pub title: String,
    pub url: String,
}

impl Event {
    /// The company the event is about: who may see it.
    pub fn company(&self) -> Id {
        match self {
            Event::Progress { company_id, .. }
            | Event::Finished { company_id, .. }
            | Event::Postings { company_id, .. } => *company_id,
        }
    }

    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Progress { .. } => "progress",
            Event::Finished { .. } => "finished",
            Event::Postings { .. } => "postings",
        }
    }
}

/// The publish side, cheap to clone.
#[derive(Debug, Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl Default for Bus {
    fn default() -> Self {
        Bus {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Bus {
    pub fn publish(&self, e: Event) {
        // No subscriber is not an error.
        let _ = self.tx.send(Arc::new(e));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}
