//! Export and import of all state as versioned JSON lines, to move an
//! appliance between machines (a laptop's state onto the Pi).
//!
//! Format (version 1): a header line
//! `{"format":"scoutly-export","version":1,"schema":N,"exported":"…"}`,
//! then one line per row `{"table":"companies","key":…,"value":…}` in table
//! order, then `{"end":true,"rows":N}`. Records are written as their JSON
//! (domain fields, not the on-disk bytes), so an export can be read,
//! filtered or repaired with ordinary tools; indexes are exported as rows
//! too, so an import reproduces the database exactly. An import happens in
//! one transaction: a file cut short, a bad line or a table this build does
//! not know writes nothing.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

use super::codec;
use super::tables::{Rx, Tx};
use super::{Result, SCHEMA_VERSION, StoreError};
use crate::model::{
    AiFields, AttentionItem, BacklogItem, BudgetUse, Checkpoint, Company, Criteria,
    DurationEstimate, FailureStats, Job, Match, OutboxItem, PageCache, Posting, PostingDetails,
    Preference, SnapshotEntry, StatBucket, User,
};

pub const FORMAT: &str = "scoutly-export";
pub const VERSION: u64 = 1;

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

fn io(e: std::io::Error) -> StoreError {
    invalid(format!("cannot write the export: {e}"))
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| invalid(format!("cannot write the export: {e}")))
}

/// Write every row of the snapshot `rx`; returns how many.
pub fn export(rx: &Rx, exported: &str, out: &mut impl Write) -> Result<u64> {
    use redb::ReadableTable;
    let header = json!({"format": FORMAT, "version": VERSION, "schema": SCHEMA_VERSION, "exported": exported});
    writeln!(out, "{header}").map_err(io)?;
    let mut rows = 0u64;
    let mut line = |table: &str, key: Value, value: Value| -> Result<()> {
        rows += 1;
        writeln!(
            out,
            "{}",
            json!({"table": table, "key": key, "value": value})
        )
        .map_err(io)
    };
    macro_rules! plain {
        ($($t:ident),* $(,)?) => {$(
            for row in rx.$t.iter()? {
                let (k, v) = row?;
                line(stringify!($t), to_json(&k.value())?, to_json(&v.value())?)?;
            }
        )*};
    }
    macro_rules! records {
        ($($t:ident: $r:ty),* $(,)?) => {$(
            for row in rx.$t.iter()? {
                let (k, v) = row?;
                let key = to_json(&k.value())?;
                let record: $r = codec::decode(v.value(), &key)?;
                line(stringify!($t), key, to_json(&record)?)?;
            }
        )*};
    }
    plain!(
        meta,
        company_names,
        user_names,
        user_tokens,
        prefs_by_user,
        jobs_runnable,
        jobs_active,
        jobs_leases,
        outbox_due
    );
    records!(
        companies: Company,
        users: User,
        prefs: Preference,
        jobs: Job,
        job_checkpoints: Checkpoint,
        snapshots: SnapshotEntry,
        postings: Posting,
        attention: AttentionItem,
        company_failures: FailureStats,
        page_cache: PageCache,
        user_criteria: Criteria,
        posting_details: PostingDetails,
        matches: Match,
        analysis_backlog: BacklogItem,
        ai_fields: AiFields,
        ai_scores: Match,
        outbox: OutboxItem,
        state: BudgetUse,
        job_stats: StatBucket,
        job_timing: DurationEstimate,
    );
    writeln!(out, "{}", json!({"end": true, "rows": rows})).map_err(io)?;
    out.flush().map_err(io)?;
    Ok(rows)
}

/// Read an export into `tx` (a database that holds nothing yet); returns
/// the rows written. Errors name the line.
pub fn import(tx: &mut Tx<'_>, input: impl BufRead) -> Result<u64> {
    let mut lines = input.lines().enumerate();
    let (_, first) = lines
        .next()
        .ok_or_else(|| invalid("the file is empty; expected a Scoutly export".into()))?;
    let header: Value = first
        .map_err(|e| invalid(format!("cannot read line 1: {e}")))
        .and_then(|l| serde_json::from_str(&l).map_err(|e| invalid(format!("line 1: {e}"))))?;
    if header["format"] != FORMAT {
        return Err(invalid(
            "line 1 is not a Scoutly export header (make one with `scoutly export FILE`)".into(),
        ));
    }
    if header["version"] != VERSION {
        return Err(invalid(format!(
            "export format version {} is not one this build reads ({VERSION}); use the Scoutly that wrote it",
            header["version"]
        )));
    }
    if header["schema"] != SCHEMA_VERSION {
        return Err(invalid(format!(
            "the export comes from database schema {}, this build uses {SCHEMA_VERSION}; import it with the same Scoutly version, or upgrade that one first",
            header["schema"]
        )));
    }
    let mut rows = 0u64;
    for (n, line) in lines {
        let n = n + 1;
        let line = line.map_err(|e| invalid(format!("cannot read line {n}: {e}")))?;
        let row: Value =
            serde_json::from_str(&line).map_err(|e| invalid(format!("line {n}: {e}")))?;
        if row["end"] == true {
            if row["rows"] != rows {
                return Err(invalid(format!(
                    "line {n}: the export says {} rows but holds {rows}; the file is damaged",
                    row["rows"]
                )));
            }
            return Ok(rows);
        }
        put(tx, &row).map_err(|e| invalid(format!("line {n}: {e}")))?;
        rows += 1;
    }
    Err(invalid(format!(
        "the export ends after {rows} rows without its closing line; the file was cut short"
    )))
}

fn field<T: serde::de::DeserializeOwned>(row: &Value, name: &str) -> Result<T> {
    serde_json::from_value(row[name].clone()).map_err(|e| invalid(format!("{name}: {e}")))
}

/// Write one exported row.
fn put(tx: &mut Tx<'_>, row: &Value) -> Result<()> {
    let table = row["table"].as_str().unwrap_or_default();
    macro_rules! plain {
        ($t:ident, $k:ty, $v:ty, |$key:ident| $borrow:expr) => {{
            let $key: $k = field(row, "key")?;
            let value: $v = field(row, "value")?;
            tx.$t.insert($borrow, value)?;
        }};
    }
    macro_rules! record {
        ($t:ident, $k:ty, $r:ty, |$key:ident| $borrow:expr) => {{
            let $key: $k = field(row, "key")?;
            let value: $r = field(row, "value")?;
            tx.$t.insert($borrow, codec::encode(&value).as_slice())?;
        }};
    }
    match table {
        "meta" => plain!(meta, String, u64, |k| k.as_str()),
        "company_names" => plain!(company_names, String, u64, |k| k.as_str()),
        "user_names" => plain!(user_names, String, u64, |k| k.as_str()),
        "user_tokens" => plain!(user_tokens, Vec<u8>, u64, |k| k.as_slice()),
        "prefs_by_user" => plain!(prefs_by_user, (u64, u64), (), |k| k),
        "jobs_runnable" => plain!(jobs_runnable, (u8, u8, u64, u64), (), |k| k),
        "jobs_active" => plain!(jobs_active, u64, u64, |k| k),
        "jobs_leases" => plain!(jobs_leases, (u64, u64), (), |k| k),
        "outbox_due" => plain!(outbox_due, (u64, u64), (), |k| k),
        "companies" => record!(companies, u64, Company, |k| k),
        "users" => record!(users, u64, User, |k| k),
        "prefs" => record!(prefs, (u64, u64), Preference, |k| k),
        "jobs" => record!(jobs, u64, Job, |k| k),
        "job_checkpoints" => record!(job_checkpoints, u64, Checkpoint, |k| k),
        "snapshots" => record!(snapshots, (u64, String), SnapshotEntry, |k| (
            k.0,
            k.1.as_str()
        )),
        "postings" => record!(postings, u64, Posting, |k| k),
        "attention" => record!(attention, u64, AttentionItem, |k| k),
        "company_failures" => record!(company_failures, u64, FailureStats, |k| k),
        "page_cache" => record!(page_cache, (u64, String), PageCache, |k| (
            k.0,
            k.1.as_str()
        )),
        "user_criteria" => record!(user_criteria, u64, Criteria, |k| k),
        "posting_details" => record!(posting_details, u64, PostingDetails, |k| k),
        "matches" => record!(matches, (u64, u64), Match, |k| k),
        "analysis_backlog" => record!(analysis_backlog, (u8, u64, u64), BacklogItem, |k| k),
        "ai_fields" => record!(ai_fields, Vec<u8>, AiFields, |k| k.as_slice()),
        "ai_scores" => record!(ai_scores, Vec<u8>, Match, |k| k.as_slice()),
        "outbox" => record!(outbox, u64, OutboxItem, |k| k),
        "state" => record!(state, String, BudgetUse, |k| k.as_str()),
        "job_stats" => record!(job_stats, (u8, u64, u64), StatBucket, |k| k),
        "job_timing" => record!(job_timing, u64, DurationEstimate, |k| k),
        other => {
            return Err(invalid(format!(
                "table {other:?} is not one this build knows; use the Scoutly that wrote the export"
            )));
        }
    }
    Ok(())
}
