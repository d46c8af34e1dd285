//! A client of OpenAI's chat-completions API, or any server that speaks it
//! (hosted providers' OpenAI-compatible endpoints, llama.cpp, Ollama, vLLM).
//!
//! One request carries a batch of postings and the criteria of the users
//! each is scored for; `response_format` asks for a JSON schema
//! ([`wire::schema`]) so a compliant server must answer in its shape, and
//! every answer is validated anyway ([`wire::parse_reply`]): postings that
//! were not asked about, users not asked for, scores outside 0..=100 and
//! missing answers are rejected, never stored.
//!
//! The key comes from the environment variable `analysis.openai.api_key_env`
//! or, when that is unset, from `analysis.openai.api_key_file`, which must
//! be readable by its owner only. It never sits in the config.

mod wire;

use std::path::Path;

use reqwest::header;

use super::{AnalyseError, Analyser, BatchLimits, Reply, Subject};
use crate::config::{Env, OpenAiConfig};
use crate::model::Timestamp;

pub use wire::{criteria_line, parse_reply, request_body, schema};

/// Longest reply body read.
const MAX_REPLY: usize = 2 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "analysis.backend is \"openai\" but no API key was found: set the environment variable {env}, or analysis.openai.api_key_file to a file only its owner can read"
    )]
    NoKey { env: String },
    #[error("cannot read the API key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("{0}")]
    Client(String),
}

/// The chat-completions client.
#[derive(Debug, Clone)]
pub struct OpenAi {
    client: reqwest::Client,
    url: url::Url,
    model: String,
    key: String,
    max_reply_tokens: u32,
    limits: BatchLimits,
}

/// The key from the environment, else from the file.
pub fn api_key(cfg: &OpenAiConfig, env: &dyn Env) -> Result<String, SetupError> {
    if let Some(k) = env.var(&cfg.api_key_env).filter(|k| !k.trim().is_empty()) {
        return Ok(k.trim().to_string());
    }
    let Some(path) = &cfg.api_key_file else {
        return Err(SetupError::NoKey {
            env: cfg.api_key_env.clone(),
        });
    };
    read_key_file(path)
}

fn read_key_file(path: &Path) -> Result<String, SetupError> {
    crate::config::secret::read_owner_only(path).map_err(|reason| SetupError::KeyFile {
        path: path.display().to_string(),
        reason,
    })
}

impl OpenAi {
    pub fn new(cfg: &OpenAiConfig, env: &dyn Env) -> Result<Self, SetupError> {
        let key = api_key(cfg, env)?;
        let mut url = cfg.base_url.clone();
        // "…/v1" and "…/v1/" both lead to "…/v1/chat/completions".
        let path = format!("{}/chat/completions", url.path().trim_end_matches('/'));
        url.set_path(&path);
        Ok(OpenAi {
            client: crate::outbound::client(cfg.timeout).map_err(SetupError::Client)?,
            url,
            model: cfg.model.clone(),
            key,
            max_reply_tokens: cfg.max_reply_tokens,
            limits: BatchLimits {
                postings: cfg.batch_size,
                tokens: cfg.batch_tokens,
            },
        })
    }
}

impl Analyser for OpenAi {
    fn name(&self) -> String {
        format!("openai:{}", self.model)
    }

    fn metered(&self) -> bool {
        true
    }

    fn limits(&self) -> BatchLimits {
        self.limits
    }

    async fn analyse(&self, batch: &[Subject]) -> Result<Reply, AnalyseError> {
        let body = request_body(&self.model, self.max_reply_tokens, batch);
        let req = self
            .client
            .post(self.url.clone())
            .bearer_auth(&self.key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let answer =
            crate::outbound::send(req, MAX_REPLY)
                .await
                .map_err(|e| AnalyseError::Failed {
                    message: format!("the AI request to {} failed: {e}", self.url),
                    answered: false,
                })?;
        let (status, retry_after) = (answer.status, answer.retry_after);
        let bytes = match answer.body {
            Ok(b) => b,
            // Too long or cut off: this batch's answer will not fit next
            // time either, so it counts towards the fallback.
            Err(e) => {
                return Err(AnalyseError::Malformed {
                    message: format!("the AI reply from {}: {e}", self.url),
                    tokens: 0,
                });
            }
        };
        match status {
            200..=299 => parse_reply(&bytes, batch, &self.name(), Timestamp::EPOCH),
            429 => Err(AnalyseError::RateLimited { retry_after }),
            401 | 403 => Err(AnalyseError::Failed {
                message: format!(
                    "the AI provider refused the key (HTTP {status}); check the key in the variable or file named by analysis.openai"
                ),
                answered: true,
            }),
            // Another 4xx (context too long, unknown model, bad request)
            // will not change by asking again.
            400..=499 => Err(AnalyseError::Malformed {
                message: format!(
                    "the AI provider refused the request with HTTP {status}: {}",
                    wire::error_message(&bytes)
                ),
                tokens: 0,
            }),
            _ => Err(AnalyseError::Failed {
                message: format!(
                    "the AI provider answered HTTP {status}: {}",
                    wire::error_message(&bytes)
                ),
                answered: true,
            }),
        }
    }
}
