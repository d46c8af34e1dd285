//! Postings with the caller's matches, and the caller's matching criteria.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::{ApiResult, exec, visible};
use crate::control::Request;
use crate::http::input::{JsonBody, number, query};
use crate::http::{ApiError, AppState, Caller};
use crate::store::PostingFilter;

/// `GET /api/postings?since=&limit=&baseline=&minScore=`: newest first,
/// each with the caller's match (score, reason) once analysed.
pub async fn postings(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = query(raw.as_deref(), &["since", "limit", "baseline", "minScore"])?;
    let limit = number(&q, "limit", 100, 1, 1000)?;
    let min_score = match q.get("minScore") {
        None => None,
        Some(_) => Some(number(&q, "minScore", 0, 0, 100)? as u8),
    };
    let since = match q.get("since") {
        None => None,
        Some(s) => Some(crate::model::Timestamp::parse_rfc3339(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "since={s:?} is not an RFC 3339 time such as 2026-01-31T09:00:00Z"
            ))
        })?),
    };
    let include_baseline = match q.get("baseline").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "baseline={other:?} must be true or false"
            )));
        }
    };
    let postings = state
        .control
        .store
        .run(move |s| {
            let companies = visible(s, &caller)?;
            let filter = PostingFilter {
                companies,
                since,
                include_baseline,
                limit,
            };
            s.read(|rx| crate::views::postings_for(rx, &filter, Some(caller.id()), min_score))
        })
        .await?;
    Ok(Json(json!({
        "count": postings.len(),
        "postings": postings,
    }))
    .into_response())
}

/// `GET /api/criteria`: the caller's matching criteria.
pub async fn criteria(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let req = Request::UserCriteria {
        user: caller.id().to_string(),
        keywords: None,
        exclude: None,
        locations: None,
        remote: None,
    };
    Ok(Json(exec(&state, req).await?).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CriteriaBody {
    keywords: Option<Vec<KeywordBody>>,
    exclude: Option<Vec<String>>,
    locations: Option<Vec<String>>,
    remote: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordBody {
    word: String,
    #[serde(default = "one", deserialize_with = "crate::http::input::whole")]
    weight: i64,
}

fn one() -> i64 {
    1
}

/// `PUT /api/criteria`: replace the parts given.
pub async fn put_criteria(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CriteriaBody>,
) -> ApiResult {
    let keywords = b
        .keywords
        .map(|ks| {
            ks.into_iter()
                .map(|k| {
                    if !(1..=10).contains(&k.weight) {
                        return Err(ApiError::invalid(format!(
                            "keywords[].weight {} for {:?} is not allowed: use 1 to 10",
                            k.weight, k.word
                        )));
                    }
                    // The control layer reads `word=weight`; a word holding
                    // '=' keeps it, since only the last '=' splits.
                    Ok(format!("{}={}", k.word, k.weight))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let req = Request::UserCriteria {
        user: caller.id().to_string(),
        keywords,
        exclude: b.exclude,
        locations: b.locations,
        remote: b.remote,
    };
    Ok(Json(exec(&state, req).await?).into_response())
}
