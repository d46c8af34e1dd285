//! A local server speaking OpenAI's chat-completions API on 127.0.0.1: it
//! reads the request's postings and users as Scoutly sends them and answers
//! with the real JSON shape (choices, message content, usage), or with what
//! a test scripts: malformed content, a 429 with Retry-After, an error.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// How the next request is answered.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Scores every posting for every user asked: 90 when its title has
    /// "Rust", 20 otherwise.
    Good,
    /// A completion whose content is not the requested JSON.
    Malformed,
    /// 429 with `Retry-After: secs`.
    TooMany(u64),
    /// Another status with an OpenAI-style error body.
    Status(u16),
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Answer>,
    requests: Vec<Recorded>,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub authorization: Option<String>,
    pub body: Value,
    /// The postings' ids it asked about.
    pub postings: Vec<u64>,
}

#[derive(Clone)]
pub struct Ai {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Ai {
    pub fn start() -> Ai {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v1/chat/completions", axum::routing::post(complete))
            .with_state(inner.clone());
        Ai {
            addr: super::serve("127.0.0.1", app),
            inner,
        }
    }

    /// The base URL to configure (`analysis.openai.base_url`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Answer the next requests so, in order (then `Good`).
    pub fn script(&self, answers: &[Answer]) {
        self.inner
            .lock()
            .unwrap()
            .script
            .extend(answers.iter().cloned());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }
}

async fn complete(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let input: Value = body["messages"][1]["content"]
        .as_str()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let postings: Vec<Value> = input["postings"].as_array().cloned().unwrap_or_default();
    let answer = {
        let mut i = inner.lock().unwrap();
        i.requests.push(Recorded {
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            body: body.clone(),
            postings: postings.iter().filter_map(|p| p["id"].as_u64()).collect(),
        });
        i.script.pop_front().unwrap_or(Answer::Good)
    };
    let prompt_tokens = body.to_string().len() / 4;
    let content = match answer {
        Answer::TooMany(secs) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                json!({"error": {"message": "Rate limit reached", "type": "requests"}}).to_string(),
            )
                .into_response();
        }
        Answer::Status(code) => {
            return (
                StatusCode::from_u16(code).unwrap(),
                json!({"error": {"message": "fixture failure", "type": "server_error"}})
                    .to_string(),
            )
                .into_response();
        }
        Answer::Malformed => "Sure! Here are the scores: {postings: [".to_string(),
        Answer::Good => {
            let answered: Vec<Value> = postings
                .iter()
                .map(|p| {
                    let title = p["title"].as_str().unwrap_or_default();
                    let score = if title.contains("Rust") { 90 } else { 20 };
                    json!({
                        "id": p["id"],
                        "title": title,
                        "location": "Berlin",
                        "remote": true,
                        "matches": p["scoreFor"].as_array().cloned().unwrap_or_default().iter()
                            .map(|u| json!({"user": u, "score": score, "reason": "fixture reason"}))
                            .collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({"postings": answered}).to_string()
        }
    };
    let completion = json!({
        "id": "chatcmpl-fixture",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body["model"],
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": 50,
            "total_tokens": prompt_tokens + 50
        }
    });
    (
        [("content-type", "application/json")],
        completion.to_string(),
    )
        .into_response()
}
