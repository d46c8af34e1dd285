//! Bearer-token authentication: the caller is the user whose token hash
//! matches. Tokens are compared by hash lookup, never stored in clear.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::model::{Id, Role, User};
use crate::store;

/// The authenticated caller.
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
        let token = parts
            .headers
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
        Ok(Caller(user))
    }
}
