//! `[analysis]`: the matcher, the AI client and its rate limits.

use super::Check;
use crate::config::raw::RawAnalysis;
use crate::config::{AiLimits, AnalysisBackend, AnalysisConfig, OpenAiConfig};

pub(super) fn analysis(c: &mut Check, a: RawAnalysis) -> AnalysisConfig {
    let backend_text = a.backend.unwrap_or_else(|| "builtin".into());
    let backend = match backend_text.as_str() {
        "builtin" => AnalysisBackend::Builtin,
        "openai" => AnalysisBackend::OpenAi,
        other => {
            c.bad(
                "analysis.backend",
                &format!("{other:?}"),
                "\"builtin\" (the offline matcher) or \"openai\" (any server speaking the chat-completions API)",
            );
            AnalysisBackend::Builtin
        }
    };
    let o = a.openai;
    let base_text = o
        .base_url
        .unwrap_or_else(|| "https://api.openai.com/v1".into());
    let base_url = match url::Url::parse(&base_text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        _ => {
            c.bad(
                "analysis.openai.base_url",
                &format!("{base_text:?}"),
                "an http(s) URL up to the API version, such as \"https://api.openai.com/v1\"",
            );
            url::Url::parse("https://api.openai.com/v1").expect("valid")
        }
    };
    let api_key_env = o.api_key_env.unwrap_or_else(|| "OPENAI_API_KEY".into());
    if api_key_env.is_empty()
        || !api_key_env
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        c.bad(
            "analysis.openai.api_key_env",
            &format!("{api_key_env:?}"),
            "the name of an environment variable (letters, digits, _), not the key itself",
        );
    }
    let model = o.model.unwrap_or_else(|| "gpt-4o-mini".into());
    if model.trim().is_empty() || model.len() > 200 {
        c.bad(
            "analysis.openai.model",
            &format!("{model:?}"),
            "a model name such as \"gpt-4o-mini\"",
        );
    }
    let openai = OpenAiConfig {
        base_url,
        model,
        api_key_env,
        api_key_file: o.api_key_file.filter(|s| !s.is_empty()).map(Into::into),
        timeout: c.positive_duration("analysis.openai.timeout", o.timeout, "60s"),
        batch_tokens: c.int(
            "analysis.openai.batch_tokens",
            o.batch_tokens,
            6000,
            500,
            1_000_000,
        ) as u32,
        batch_size: c.int("analysis.openai.batch_size", o.batch_size, 8, 1, 50) as usize,
        max_reply_tokens: c.int(
            "analysis.openai.max_reply_tokens",
            o.max_reply_tokens,
            2000,
            100,
            100_000,
        ) as u32,
    };
    let l = a.limits;
    let limits = AiLimits {
        rpm: c.int("analysis.limits.rpm", l.rpm, 10, 1, 100_000) as u32,
        tpm: c.int("analysis.limits.tpm", l.tpm, 30_000, 100, 100_000_000) as u32,
        rpd: c.int("analysis.limits.rpd", l.rpd, 200, 1, 10_000_000) as u32,
    };
    if u64::from(openai.batch_tokens) + u64::from(openai.max_reply_tokens) > u64::from(limits.tpm) {
        c.bad(
            "analysis.openai.batch_tokens",
            &openai.batch_tokens.to_string(),
            "a size whose request (with max_reply_tokens) fits in analysis.limits.tpm, or no batch could ever be sent",
        );
    }
    AnalysisConfig {
        backend,
        max_text: c.int("analysis.max_text", a.max_text, 6000, 200, 100_000) as usize,
        openai,
        limits,
    }
}
