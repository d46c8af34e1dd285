//! Cron expressions evaluated on a time zone's wall clock.
//!
//! Owns turning `[[schedule.cron]]`'s `expr` and `tz` into instants. Pure: no
//! store, no clock.
//!
//! Each wall-clock time an expression names becomes exactly one instant,
//! including across daylight-saving changes:
//! - a time that happens twice (clocks go back) fires once, at its first
//!   occurrence;
//! - a time that does not happen (clocks go forward) fires as far after the
//!   change as it was after the last time before it, the way cron does
//!   (01:30 in a 01:00 → 02:00 gap fires at 02:30 new time); two wall-clock
//!   times that land on one instant fire once.
//!
//! Five-field expressions are crontab's (minute hour day month weekday, with
//! weekdays 0-7, 0 and 7 being Sunday); they are translated to the `cron`
//! crate's dialect, which has a seconds field first and numbers weekdays
//! 1 = Sunday. Six- and seven-field expressions are that dialect as it is, so
//! their weekdays must be written as names (MON-FRI): a number there would
//! mean a different day than in crontab.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::Timestamp;

/// A parsed cron expression and its time zone.
#[derive(Clone)]
pub struct CronSchedule {
    expr: String,
    tz: Tz,
    schedule: cron::Schedule,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error(
        "has {0} fields; write five as in crontab (minute hour day-of-month month day-of-week), or six or seven with seconds first and an optional year"
    )]
    FieldCount(usize),
    #[error(
        "names weekdays by number in a six- or seven-field expression, where numbers mean other days than in crontab; write names such as MON-FRI"
    )]
    NumericWeekday,
    #[error("is not a valid cron expression: {0}")]
    Syntax(String),
    #[error("never fires (no date matches it)")]
    Never,
    #[error("is not a known time zone; use an IANA name such as \"Europe/London\" or \"UTC\"")]
    UnknownZone,
}

/// Crontab weekday numbers (0-7, Sunday twice) as the names the `cron`
/// crate reads unambiguously.
const WEEKDAYS: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

impl CronSchedule {
    /// Parse `expr` (five, six or seven fields, or `@daily` and friends) for
    /// the IANA zone `tz`.
    pub fn parse(expr: &str, tz: &str) -> Result<Self, CronError> {
        let tz = Tz::from_str(tz.trim()).map_err(|_| CronError::UnknownZone)?;
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let dialect = match fields.len() {
            1 if fields[0].starts_with('@') => fields[0].to_string(),
            5 => {
                let weekday = crontab_weekdays(fields[4])?;
                format!(
                    "0 {} {} {} {} {weekday}",
                    fields[0], fields[1], fields[2], fields[3]
                )
            }
            6 | 7 => {
                if fields[5].chars().any(|c| c.is_ascii_digit()) {
                    return Err(CronError::NumericWeekday);
                }
                fields.join(" ")
            }
            n => return Err(CronError::FieldCount(n)),
        };
        let schedule = cron::Schedule::from_str(&dialect)
            .map_err(|e| CronError::Syntax(e.to_string().replace('\n', " ")))?;
        if schedule.upcoming(Utc).next().is_none() {
            return Err(CronError::Never);
        }
        Ok(CronSchedule {
            expr: fields.join(" "),
            tz,
            schedule,
        })
    }

    /// The expression as written (whitespace normalised).
    pub fn expr(&self) -> &str {
        &self.expr
    }

    pub fn tz_name(&self) -> &str {
        self.tz.name()
    }

    /// The first firing instant strictly after `t`, or `None` when the
    /// expression has no more (a past year).
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let after = DateTime::<Utc>::from_timestamp_millis(t.millis())?;
        let local = after.with_timezone(&self.tz).naive_local();
        // A wall-clock time maps to an instant at most one offset change
        // away from its naive value, so look a little behind `t`'s wall time
        // and keep the earliest instant after `t`.
        let window = chrono::Duration::hours(3);
        let start = Utc.from_utc_datetime(&(local - window));
        let mut best: Option<(DateTime<Utc>, NaiveDateTime)> = None;
        // Bounded: even a once-a-second expression reaches the window's end
        // well within this many steps.
        for wall in self.schedule.after(&start).take(50_000) {
            let wall = wall.naive_utc();
            if best.is_some_and(|(_, b)| wall > b + window) {
                break;
            }
            let at = self.instant(wall);
            if at > after && best.is_none_or(|(b, _)| at < b) {
                best = Some((at, wall));
            }
        }
        best.map(|(at, _)| Timestamp::from_millis(at.timestamp_millis()))
    }

    /// The instant a wall-clock time names (see the module docs).
    fn instant(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        match self.tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
            LocalResult::None => {
                // In a gap: read the time with the offset in force before it.
                let before = self
                    .tz
                    .offset_from_utc_datetime(&(wall - chrono::Duration::days(1)));
                let offset = chrono::Offset::fix(&before).local_minus_utc();
                Utc.from_utc_datetime(&(wall - chrono::Duration::seconds(offset.into())))
            }
        }
    }
}

/// A crontab day-of-week field with numbers replaced by day names.
fn crontab_weekdays(field: &str) -> Result<String, CronError> {
    let day = |s: &str| -> Result<usize, CronError> {
        s.parse::<usize>()
            .ok()
            .filter(|&n| n <= 7)
            .ok_or_else(|| CronError::Syntax(format!("weekday {s:?} is not 0-7 or a name")))
    };
    let mut out = Vec::new();
    for item in field.split(',') {
        if !item.chars().any(|c| c.is_ascii_digit()) {
            out.push(item.to_string());
            continue;
        }
        if item.contains('/') {
            return Err(CronError::Syntax(format!(
                "weekday step {item:?}: list the days instead, such as MON,WED,FRI"
            )));
        }
        match item.split_once('-') {
            None => out.push(WEEKDAYS[day(item)?].to_string()),
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                if a > b {
                    return Err(CronError::Syntax(format!(
                        "weekday range {item:?} runs backwards"
                    )));
                }
                // Names run SUN..SAT, so a range ending on Sunday (7) is
                // split: 5-7 is FRI-SAT plus SUN.
                match (a, b) {
                    (0, 7) => out.push("*".into()),
                    (7, 7) => out.push("SUN".into()),
                    (6, 7) => out.push("SAT,SUN".into()),
                    (a, 7) => out.push(format!("{}-SAT,SUN", WEEKDAYS[a])),
                    (a, b) if a == b => out.push(WEEKDAYS[a].into()),
                    (a, b) => out.push(format!("{}-{}", WEEKDAYS[a], WEEKDAYS[b])),
                }
            }
        }
    }
    Ok(out.join(","))
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?} in {})", self.expr, self.tz.name())
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr && self.tz == other.tz
    }
}

#[cfg(test)]
mod tests;
