use serde::{Deserialize, Serialize};

use super::{Id, Rank, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }
}

/// A person using the appliance. The API token is never stored, only its
/// SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub role: Role,
    pub token_hash: [u8; 32],
    pub created: Timestamp,
    pub last_seen: Option<Timestamp>,
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
