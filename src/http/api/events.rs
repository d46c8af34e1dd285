//! `GET /api/events`: Server-Sent Events for the caller: job progress, jobs
//! that ended and new postings of the companies they may see.
//!
//! The first event, `ready`, says the subscription is live. A client that
//! falls behind gets a `lagged` event with how many it missed (and reads
//! the API to catch up); a comment every 15 s keeps proxies from closing
//! an idle stream. The stream ends when the appliance shuts down.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde_json::json;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use super::{can_see, visible};
use crate::events::Event;
use crate::http::{ApiError, AppState, Caller};
use crate::model::Id;

/// How often the companies a caller may see are read again (tracking
/// changes while a stream is open).
const REFRESH: Duration = Duration::from_secs(10);

struct Sub {
    rx: Receiver<Arc<Event>>,
    state: AppState,
    caller: Caller,
    visible: Option<Vec<Id>>,
    read_at: Instant,
    ready: bool,
}

pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    // Subscribe first, so nothing that happens from here on is missed.
    let rx = state.events.subscribe();
    let c = caller.clone();
    let visible = state.control.store.run(move |s| visible(s, &c)).await?;
    let sub = Sub {
        rx,
        state,
        caller,
        visible,
        read_at: Instant::now(),
        ready: false,
    };
    let stream = futures::stream::unfold(sub, |mut sub| async move {
        let event = next(&mut sub).await?;
        Some((Ok(event), sub))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The caller's next event; `None` ends the stream.
async fn next(sub: &mut Sub) -> Option<SseEvent> {
    if !sub.ready {
        sub.ready = true;
        return Some(
            SseEvent::default()
                .event("ready")
                .data(json!({"userId": sub.caller.id()}).to_string()),
        );
    }
    loop {
        let got = tokio::select! {
            _ = sub.state.shutdown.cancelled() => return None,
            got = sub.rx.recv() => got,
        };
        match got {
            Ok(e) => {
                if sub.read_at.elapsed() >= REFRESH {
                    let (store, caller) = (sub.state.control.store.clone(), sub.caller.clone());
                    if let Ok(v) = store.run(move |s| visible(s, &caller)).await {
                        sub.visible = v;
                    }
                    sub.read_at = Instant::now();
                }
                if can_see(&sub.visible, e.company()) {
                    let data = serde_json::to_string(&*e).unwrap_or_default();
                    return Some(SseEvent::default().event(e.name()).data(data));
                }
            }
            Err(RecvError::Lagged(n)) => {
                return Some(
                    SseEvent::default()
                        .event("lagged")
                        .data(json!({"missed": n}).to_string()),
                );
            }
            Err(RecvError::Closed) => return None,
        }
    }
}
