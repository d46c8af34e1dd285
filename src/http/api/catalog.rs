//! Companies, preferences and attention items.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiResult, exec};
use crate::control::Request;
use crate::http::input::{JsonBody, PathParam, id};
use crate::http::{ApiError, AppState, Caller};
use crate::store;
use crate::views::{CompanyView, PreferenceView};

pub async fn companies(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let (companies, prefs) = state
        .control
        .store
        .run(move |s| {
            s.read(|rx| {
                Ok((
                    store::list_companies(rx)?,
                    store::preferences_of_user(rx, caller.id())?,
                ))
            })
        })
        .await?;
    let out: Vec<Value> = companies
        .iter()
        .map(|c| {
            let mut v = json!(CompanyView::from(c));
            let mine = prefs.iter().find(|p| p.company_id == c.id);
            v["myRank"] = json!(mine.map(|p| p.rank.get()));
            v["tracking"] = json!(mine.is_some_and(|p| p.tracking));
            v
        })
        .collect();
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCompanyBody {
    name: String,
    urls: Vec<String>,
    #[serde(default, deserialize_with = "crate::http::input::whole_opt")]
    rank: Option<i64>,
    mode: Option<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

pub async fn create_company(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewCompanyBody>,
) -> ApiResult {
    let req = Request::CompanyAdd {
        name: b.name,
        urls: b.urls,
        rank: b.rank,
        mode: b.mode,
        include: b.include,
        exclude: b.exclude,
        user: b.rank.map(|_| caller.id().to_string()),
    };
    let v = exec(&state, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn company(
    State(state): State<AppState>,
    _caller: Caller,
    PathParam(raw): PathParam,
) -> ApiResult {
    let company = id(&raw, "company")?.to_string();
    Ok(Json(exec(&state, Request::CompanyShow { company }).await?).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchCompanyBody {
    name: Option<String>,
    urls: Option<Vec<String>>,
    mode: Option<String>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    /// `true` takes the company out of quarantine.
    #[serde(default)]
    resume: bool,
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(
            "forbidden",
            "only an admin may change or remove a company",
        ))
    }
}

pub async fn patch_company(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
    JsonBody(b): JsonBody<PatchCompanyBody>,
) -> ApiResult {
    admin_only(&caller)?;
    let req = Request::CompanySet {
        company: id(&raw, "company")?.to_string(),
        name: b.name,
        urls: b.urls,
        mode: b.mode,
        include: b.include,
        exclude: b.exclude,
        resume: b.resume,
    };
    Ok(Json(exec(&state, req).await?).into_response())
}

pub async fn delete_company(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
) -> ApiResult {
    admin_only(&caller)?;
    let company = id(&raw, "company")?.to_string();
    Ok(Json(exec(&state, Request::CompanyRemove { company }).await?).into_response())
}

pub async fn preferences(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let prefs = state
        .control
        .store
        .run(move |s| s.read(|rx| store::preferences_of_user(rx, caller.id())))
        .await?;
    Ok(Json(prefs.iter().map(PreferenceView::from).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferenceBody {
    #[serde(deserialize_with = "crate::http::input::whole")]
    rank: i64,
    tracking: Option<bool>,
}

pub async fn put_preference(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
    JsonBody(b): JsonBody<PreferenceBody>,
) -> ApiResult {
    let company = id(&raw, "company")?.to_string();
    let user = caller.id().to_string();
    if b.tracking == Some(false) {
        return Ok(Json(exec(&state, Request::Untrack { user, company }).await?).into_response());
    }
    Ok(Json(
        exec(
            &state,
            Request::Track {
                user,
                company,
                rank: b.rank,
            },
        )
        .await?,
    )
    .into_response())
}

pub async fn delete_preference(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
) -> ApiResult {
    let company = id(&raw, "company")?.to_string();
    let user = caller.id().to_string();
    Ok(Json(exec(&state, Request::Untrack { user, company }).await?).into_response())
}

pub async fn attention(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    Ok(Json(exec(&state, Request::Attention).await?).into_response())
}
