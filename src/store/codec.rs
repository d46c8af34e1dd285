//! Record encoding: one format-version byte, then postcard.
//!
//! Invariant: every value written to a record table starts with the record
//! type's `FORMAT` byte. A reader that meets a byte it does not know reports
//! the table and key instead of guessing. When a record's shape changes, bump
//! its `FORMAT`, keep decoding the old one here, and bump the schema version.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use super::legacy;

/// A type stored as a record.
pub trait Record: Serialize + DeserializeOwned {
    /// Table name, for messages.
    const TABLE: &'static str;
    /// Format version written as the first byte.
    const FORMAT: u8 = 1;

    /// Decode a record written in an older format `format`; `None` when the
    /// type never had that format.
    fn decode_old(format: u8, bytes: &[u8]) -> Option<postcard::Result<Self>> {
        let _ = (format, bytes);
        None
    }
}

pub fn encode<R: Record>(record: &R) -> Vec<u8> {
    let mut out = vec![R::FORMAT];
    // postcard only fails on writer errors or unsupported serde features,
    // neither of which a Vec and our plain structs can produce.
    out.extend(postcard::to_stdvec(record).expect("records always encode"));
    out
}

pub fn decode<R: Record>(bytes: &[u8], key: &dyn std::fmt::Display) -> Result<R, StoreError> {
    let fail = |reason: String| StoreError::Decode {
        table: R::TABLE,
        key: key.to_string(),
        reason,
    };
    match bytes.split_first() {
        Some((&v, rest)) if v == R::FORMAT => {
            postcard::from_bytes(rest).map_err(|e| fail(e.to_string()))
        }
        Some((&v, rest)) if let Some(old) = R::decode_old(v, rest) => {
            old.map_err(|e| fail(format!("format version {v}: {e}")))
        }
        Some((&v, _)) => Err(fail(format!(
            "format version {v}, this build reads {}",
            R::FORMAT
        ))),
        None => Err(fail("empty record".into())),
    }
}

impl Record for crate::model::Company {
    const TABLE: &'static str = "companies";
}
impl Record for crate::model::User {
    const TABLE: &'static str = "users";
}
impl Record for crate::model::Preference {
    const TABLE: &'static str = "preferences";
}
impl Record for crate::model::Job {
    const TABLE: &'static str = "jobs";
}
impl Record for crate::model::Checkpoint {
    const TABLE: &'static str = "job_checkpoints";
    /// 2: links carry a snapshot key, location and updated time.
    const FORMAT: u8 = 2;
    fn decode_old(format: u8, bytes: &[u8]) -> Option<postcard::Result<Self>> {
        (format == 1).then(|| postcard::from_bytes::<legacy::CheckpointV1>(bytes).map(Into::into))
    }
}
impl Record for crate::model::Posting {
    const TABLE: &'static str = "postings";
    /// 2: location, updated time and the job board's posting id.
    const FORMAT: u8 = 2;
    fn decode_old(format: u8, bytes: &[u8]) -> Option<postcard::Result<Self>> {
        (format == 1).then(|| postcard::from_bytes::<legacy::PostingV1>(bytes).map(Into::into))
    }
}
impl Record for crate::model::SnapshotEntry {
    const TABLE: &'static str = "snapshots";
}
impl Record for crate::model::AttentionItem {
    const TABLE: &'static str = "attention";
}
impl Record for crate::model::FailureStats {
    const TABLE: &'static str = "company_failures";
}
impl Record for crate::model::PageCache {
    const TABLE: &'static str = "page_cache";
    /// 2: the job board found on the page.
    const FORMAT: u8 = 2;
    fn decode_old(format: u8, bytes: &[u8]) -> Option<postcard::Result<Self>> {
        (format == 1).then(|| postcard::from_bytes::<legacy::PageCacheV1>(bytes).map(Into::into))
    }
}
impl Record for crate::model::Criteria {
    const TABLE: &'static str = "user_criteria";
}
impl Record for crate::model::PostingDetails {
    const TABLE: &'static str = "posting_details";
}
impl Record for crate::model::Match {
    const TABLE: &'static str = "matches";
}
impl Record for crate::model::BacklogItem {
    const TABLE: &'static str = "analysis_backlog";
}
impl Record for crate::model::OutboxItem {
    const TABLE: &'static str = "outbox";
}
impl Record for crate::model::AiFields {
    const TABLE: &'static str = "ai_fields";
}
impl Record for crate::model::BudgetUse {
    const TABLE: &'static str = "state";
}

impl Record for crate::model::StatBucket {
    const TABLE: &'static str = "job_stats";
}

impl Record for crate::model::DurationEstimate {
    const TABLE: &'static str = "job_timing";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Posting, Timestamp};

    #[test]
    fn round_trip_and_version_byte() {
        let p = Posting {
            id: 7,
            company_id: 1,
            job_id: 2,
            url: "https://example.com/jobs/1".into(),
            title: "Engineer".into(),
            first_seen: Timestamp::from_millis(5),
            baseline: false,
            board_id: Some("lever:abc".into()),
            location: Some("Berlin".into()),
            updated: None,
        };
        let bytes = encode(&p);
        assert_eq!(bytes[0], 2);
        assert_eq!(decode::<Posting>(&bytes, &7).unwrap(), p);
        let mut newer = bytes.clone();
        newer[0] = 9;
        let err = decode::<Posting>(&newer, &7).unwrap_err().to_string();
        assert!(
            err.contains("postings/7") && err.contains("format version 9"),
            "{err}"
        );
        assert!(decode::<Posting>(&[], &7).is_err());
        // An older format is upgraded.
        let mut v1 = vec![1];
        v1.extend(postcard::to_stdvec(&(Some("\"e\""), None::<String>, Some("/p2"))).unwrap());
        let old: crate::model::PageCache = decode(&v1, &"page").unwrap();
        assert_eq!(old.etag.as_deref(), Some("\"e\""));
        assert_eq!((old.next.as_deref(), old.board), (Some("/p2"), None));
        assert!(decode::<Posting>(&[2, 0xff], &7).is_err());
        assert!(decode::<Posting>(&[1, 0xff], &7).is_err());
    }
}
