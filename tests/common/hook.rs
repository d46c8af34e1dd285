//! A webhook receiver on 127.0.0.1 that records every delivery with its
//! `Idempotency-Key`, optionally answering slowly or failing first.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Delivery {
    pub key: Option<String>,
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    got: Vec<Delivery>,
    fail_next: usize,
    delay: Duration,
}

#[derive(Clone)]
pub struct Hook {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Hook {
    pub fn start() -> Hook {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(receive).with_state(inner.clone());
        Hook {
            addr: super::serve("127.0.0.1", app),
            inner,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answer the next `n` deliveries with 503.
    pub fn fail_next(&self, n: usize) {
        self.inner.lock().unwrap().fail_next = n;
    }

    /// Record each delivery, then wait this long before answering.
    pub fn set_delay(&self, d: Duration) {
        self.inner.lock().unwrap().delay = d;
    }

    /// Deliveries answered 2xx or still being answered (recorded on arrival).
    pub fn got(&self) -> Vec<Delivery> {
        self.inner.lock().unwrap().got.clone()
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let (fail, delay) = {
        let mut i = inner.lock().unwrap();
        if i.fail_next > 0 {
            i.fail_next -= 1;
            (true, Duration::ZERO)
        } else {
            i.got.push(Delivery {
                key: headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
                body: serde_json::from_str(&body).unwrap_or(Value::Null),
                at: Instant::now(),
            });
            (false, i.delay)
        }
    };
    if fail {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    tokio::time::sleep(delay).await;
    StatusCode::NO_CONTENT
}
