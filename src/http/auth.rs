//! Bearer-token authentication: the caller is the user whose token hash
//! matches. Tokens are compared by hash lookup, never stored in clear.
//!
//! A service token (a front end's server) acts for the user it names in
//! `X-Scoutly-User` (an id or a name), and must name one; an admin token
//! may too. Every authenticated request takes one from its token's rate
//! limit first.

use axum::extract::FromRequestParts;
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
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(ApiError::unauthorized)?;
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
    Ok(user)
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
        Ok(Caller(target))
    }
}
