use serde::{Deserialize, Serialize};

/// How much a user cares about a company: 1 (least) to 100 (most).
///
/// Invariant: always within 1..=100; the only constructor checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rank(u8);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("rank {0} is out of range: a rank is a whole number from 1 to 100")]
pub struct RankError(pub i64);

impl Rank {
    pub const MIN: Rank = Rank(1);
    pub const MAX: Rank = Rank(100);

    pub fn new(value: i64) -> Result<Self, RankError> {
        if (1..=100).contains(&value) {
            Ok(Rank(value as u8))
        } else {
            Err(RankError(value))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rank {
    type Error = RankError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Rank::new(v as i64)
    }
}

impl From<Rank> for u8 {
    fn from(r: Rank) -> u8 {
        r.0
    }
}

impl std::fmt::Display for Rank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_bounds_are_enforced() {
        assert!(Rank::new(0).is_err());
        assert!(Rank::new(101).is_err());
        assert!(Rank::new(-5).is_err());
        assert_eq!(Rank::new(1).unwrap().get(), 1);
        assert_eq!(Rank::new(100).unwrap().get(), 100);
        assert!(
            Rank::new(250)
                .unwrap_err()
                .to_string()
                .contains("from 1 to 100")
        );
    }
}
