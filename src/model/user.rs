use serde::{Deserialize, Serialize};

use super::{Id, Rank, Timestamp};

/// Name of the user that holds ranks given with `company add --rank` when no
/// `--user` is named: the appliance's owner at its console, never counted
/// as inactive.
pub const OPERATOR_USER: &str = "operator";

/// The token hash of a user whose token was revoked: no token hashes to it.
pub const REVOKED: [u8; 32] = [0; 32];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    User,
    /// A program (the front end's server) that acts for the user it names
    /// in each request (`X-Scoutly-User`); it has no data of its own.
    Service,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
            Role::Service => "service",
        }
    }
}

/// A person using the appliance. The API token is never stored, only its
/// SHA-256 hash; a revoked token's hash is [`REVOKED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub role: Role,
    pub token_hash: [u8; 32],
    pub created: Timestamp,
    pub last_seen: Option<Timestamp>,
}

impl User {
    /// When the user was last active: their last API or dashboard request,
    /// else their creation.
    pub fn last_active(&self) -> Timestamp {
        self.last_seen.unwrap_or(self.created)
    }
}

/// A user's interest in a company. Untracked preferences keep their rank so a
/// user can pause and resume tracking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    pub user_id: Id,
    pub company_id: Id,
    pub rank: Rank,
    pub tracking: bool,
    pub updated: Timestamp,
}
