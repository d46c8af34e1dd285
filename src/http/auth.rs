//! Bearer-token authentication: the caller is the user whose token hash
//! matches. Tokens are compared by hash lookup, never stored in clear.
//!
//! The dashboard's browser sends the same token in an `HttpOnly`,
//! `SameSite=Lax` cookie instead (an `EventSource` cannot set headers).
//! A request that changes something with the cookie alone must also carry
//! [`DASHBOARD`], a header no cross-site form can send, so a page on
//! another site cannot act with the cookie.
//!
//! A service token (a front end's server) acts for the user it names in
//! `X-Scoutly-User` (an id or a name), and must name one; an admin token
//! may too. Every authenticated request takes one from its token's rate
//! limit first.
//!
//! Every authenticated request also counts as activity of the user it
//! serves (the token's owner, or the user a service acts for): their
//! `last_seen` moves at most once per [`SEEN_STEP`], and a user the
//! scheduler had set aside as inactive counts again from this request on.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::model::{Id, Role, User};
use crate::store;

/// The user whose token the request carries, after taking one request
/// from that token's rate limit.
pub async fn token_owner(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<User, ApiError> {
    let (token, _) = credential(headers).ok_or_else(ApiError::unauthorized)?;
    user_of_token(state, token).await
}

/// The user a token belongs to, after taking one request from its rate
/// limit.
pub async fn user_of_token(state: &AppState, token: String) -> Result<User, ApiError> {
    let user = state
        .control
        .store
        .run(move |s| s.read(|rx| store::user_by_token(rx, &token)))
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    state
        .limiter
        .check(user.id)
        .map_err(ApiError::rate_limited)?;
    seen(state, &user).await;
    Ok(user)
}

/// How often a user's `last_seen` is written: activity is judged in days,
/// so one write an hour is plenty, and requests between write nothing.
pub const SEEN_STEP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Record the user's activity (see the module doc). A failure to record it
/// (a full disk) is logged and the request goes on: activity is a hint for
/// the scheduler, not part of the answer.
async fn seen(state: &AppState, user: &User) {
    let now = state.control.clock.now();
    if user
        .last_seen
        .is_some_and(|t| t <= now && now.since(t) < SEEN_STEP)
    {
        return;
    }
    let touched = state.control.record_activity(user.id, now).await;
    match touched {
        Ok(true) => {
            tracing::info!(user = %user.name, "an inactive user is back: their ranks count again")
        }
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(user = %user.name, error = %e, "cannot record the user's activity")
        }
    }
}

/// The cookie the dashboard keeps its token in.
pub const COOKIE: &str = "scoutly_token";

/// The header the dashboard's script adds to requests that change things.
pub const DASHBOARD: &str = "x-scoutly-dashboard";

/// The request's token, and whether it came from the dashboard's cookie
/// (a bearer header wins).
pub fn credential(headers: &axum::http::HeaderMap) -> Option<(String, bool)> {
    let valid = |t: &str| !t.is_empty() && t.len() <= 256;
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        return v
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| valid(t))
            .map(|t| (t.to_string(), false));
    }
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, t)| t.trim())
        .filter(|t| valid(t))
        .map(|t| (t.to_string(), true))
}

/// The header a service token names its user in (as looked up, and as
/// messages spell it).
pub const ACT_AS: &str = "x-scoutly-user";
const ACT_AS_SHOWN: &str = "X-Scoutly-User";

/// The authenticated caller (for a service token: the user it acts for).
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.0.role == Role::Admin
    }

    pub fn id(&self) -> Id {
        self.0.id
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let act_as = match parts.headers.get(ACT_AS) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s.len() <= 200)
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "header {ACT_AS_SHOWN} must name a user by id or name"
                        ))
                    })?,
            ),
        };
        let changes = !matches!(parts.method, Method::GET | Method::HEAD);
        if changes
            && credential(&parts.headers).is_some_and(|(_, cookie)| cookie)
            && !parts.headers.contains_key(DASHBOARD)
        {
            return Err(ApiError::new(
                "forbidden",
                "a request that changes something with the dashboard's cookie must come from the dashboard; API clients send `Authorization: Bearer <token>`",
            ));
        }
        let user = token_owner(state, &parts.headers).await?;
        let Some(name) = act_as else {
            if user.role == Role::Service {
                return Err(ApiError::new(
                    "forbidden",
                    format!(
                        "a service token acts for a user: name them in the {ACT_AS_SHOWN} header"
                    ),
                ));
            }
            return Ok(Caller(user));
        };
        if user.role == Role::User {
            return Err(ApiError::new(
                "forbidden",
                format!("only service and admin tokens may act for a user ({ACT_AS_SHOWN})"),
            ));
        }
        let target = state
            .control
            .store
            .run(move |s| s.read(|rx| store::user_by_ref(rx, &name)))
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => {
                    ApiError::invalid(format!("header {ACT_AS_SHOWN}: {e}"))
                }
                other => ApiError::from(other),
            })?;
        if target.role == Role::Service {
            return Err(ApiError::invalid(format!(
                "header {ACT_AS_SHOWN} names a service account; name the user it acts for"
            )));
        }
        seen(state, &target).await;
        Ok(Caller(target))
    }
}
