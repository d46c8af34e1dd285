use chrono::{Datelike, TimeZone, Timelike, Utc, Weekday};

use super::*;

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Timestamp::from_millis(
        Utc.with_ymd_and_hms(y, m, d, h, mi, 0)
            .unwrap()
            .timestamp_millis(),
    )
}

fn chrono_utc(t: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.millis()).unwrap()
}

/// Every firing in `(from, to]`, by walking `next_after`.
fn fires(s: &CronSchedule, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let mut t = from;
    while let Some(n) = s.next_after(t).filter(|&n| n <= to) {
        assert!(n > t, "next_after moves forward");
        out.push(n);
        t = n;
    }
    out
}

fn london_wall(t: Timestamp) -> String {
    chrono_utc(t)
        .with_timezone(&chrono_tz::Europe::London)
        .format("%m-%d %H:%M %Z")
        .to_string()
}

#[test]
fn the_seed_plan_times_fire_on_london_wall_clock_in_summer_and_winter() {
    let main = CronSchedule::parse("0 8,10,14,16,22 * * *", "Europe/London").unwrap();
    let extra = CronSchedule::parse("45 16 * * *", "Europe/London").unwrap();
    for (day, offset) in [((2026, 6, 10), 1), ((2026, 12, 10), 0)] {
        let (y, m, d) = day;
        let from = utc(y, m, d, 0, 0);
        let to = utc(y, m, d, 23, 59);
        let mut all = fires(&main, from, to);
        all.extend(fires(&extra, from, to));
        all.sort();
        let hours: Vec<(u32, u32)> = all
            .iter()
            .map(|t| {
                let c = chrono_utc(*t);
                (c.hour() + offset, c.minute())
            })
            .collect();
        assert_eq!(
            hours,
            [(8, 0), (10, 0), (14, 0), (16, 0), (16, 45), (22, 0)],
            "{day:?}"
        );
    }
}

#[test]
fn clocks_going_forward_fire_a_skipped_time_once_just_after_the_change() {
    // 2026-03-29: London goes from 01:00 GMT to 02:00 BST.
    let s = CronSchedule::parse("30 1 * * *", "Europe/London").unwrap();
    let got: Vec<String> = fires(&s, utc(2026, 3, 27, 12, 0), utc(2026, 3, 31, 12, 0))
        .into_iter()
        .map(london_wall)
        .collect();
    assert_eq!(
        got,
        [
            "03-28 01:30 GMT",
            "03-29 02:30 BST",
            "03-30 01:30 BST",
            "03-31 01:30 BST"
        ]
    );
    // Hourly, from midnight to midnight (23 real hours): 23 firings, since
    // 01:00 and 02:00 both name the instant of the change and fire once.
    let hourly = CronSchedule::parse("0 * * * *", "Europe/London").unwrap();
    let day = fires(&hourly, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 23, 0));
    assert_eq!(day.len(), 23);
}

#[test]
fn clocks_going_back_fire_a_repeated_time_once_at_its_first_occurrence() {
    // 2026-10-25: London goes from 02:00 BST back to 01:00 GMT.
    let s = CronSchedule::parse("30 1 * * *", "Europe/London").unwrap();
    let got: Vec<String> = fires(&s, utc(2026, 10, 23, 12, 0), utc(2026, 10, 27, 12, 0))
        .into_iter()
        .map(london_wall)
        .collect();
    assert_eq!(
        got,
        [
            "10-24 01:30 BST",
            "10-25 01:30 BST",
            "10-26 01:30 GMT",
            "10-27 01:30 GMT"
        ]
    );
    // Asking from inside the repeated hour does not fire it again.
    assert_eq!(
        london_wall(s.next_after(utc(2026, 10, 25, 1, 10)).unwrap()),
        "10-26 01:30 GMT"
    );
    // Hourly: 25 real hours, 24 wall-clock hours, 24 firings.
    let hourly = CronSchedule::parse("0 * * * *", "Europe/London").unwrap();
    let from = utc(2026, 10, 24, 22, 59); // 23:59 BST on the 24th
    let to = utc(2026, 10, 25, 23, 30); // 23:30 GMT on the 25th
    assert_eq!(fires(&hourly, from, to).len(), 24);
}

#[test]
fn five_field_weekdays_mean_what_they_mean_in_crontab() {
    let days = |expr: &str| -> Vec<Weekday> {
        let s = CronSchedule::parse(expr, "UTC").unwrap();
        // 2026-11-23 is a Monday.
        fires(&s, utc(2026, 11, 22, 12, 0), utc(2026, 11, 29, 12, 0))
            .into_iter()
            .map(|t| chrono_utc(t).weekday())
            .collect()
    };
    use Weekday::*;
    assert_eq!(days("0 8 * * 1-5"), [Mon, Tue, Wed, Thu, Fri]);
    assert_eq!(days("0 8 * * 0"), [Sun]);
    assert_eq!(days("0 8 * * 7"), [Sun]);
    assert_eq!(days("0 8 * * 5-7"), [Fri, Sat, Sun]);
    assert_eq!(days("0 8 * * 6-7"), [Sat, Sun]);
    assert_eq!(days("0 8 * * 1,3"), [Mon, Wed]);
    assert_eq!(days("0 8 * * MON-FRI"), [Mon, Tue, Wed, Thu, Fri]);
    assert_eq!(days("0 0 8 * * SAT,SUN"), [Sat, Sun]);
}

#[test]
fn bad_expressions_and_zones_are_refused_with_the_reason() {
    let err = |e: &str, tz: &str| CronSchedule::parse(e, tz).unwrap_err();
    assert_eq!(err("0 8 * *", "UTC"), CronError::FieldCount(4));
    assert_eq!(err("0 0 8 * * 1-5", "UTC"), CronError::NumericWeekday);
    assert_eq!(err("0 8 * * *", "Mars/Olympus"), CronError::UnknownZone);
    assert_eq!(err("0 0 30 2 *", "UTC"), CronError::Never);
    assert!(matches!(err("61 8 * * *", "UTC"), CronError::Syntax(_)));
    assert!(matches!(err("0 8 * * 8", "UTC"), CronError::Syntax(_)));
    assert!(matches!(err("0 8 * * 5-2", "UTC"), CronError::Syntax(_)));
    assert!(matches!(err("0 8 * * */2", "UTC"), CronError::Syntax(_)));
    assert!(CronSchedule::parse("@daily", "UTC").is_ok());
    assert!(CronSchedule::parse("0 30 9 * * * 2030", "Asia/Tokyo").is_ok());
    let msg = err("0 8 * *", "UTC").to_string();
    assert!(msg.contains("five as in crontab"), "{msg}");
}

#[test]
fn a_zone_with_a_half_hour_change_still_fires_each_time_once() {
    // Lord Howe Island moves by 30 minutes: 2026-10-04 02:00 → 02:30.
    let s = CronSchedule::parse("*/15 * * * *", "Australia/Lord_Howe").unwrap();
    let from = utc(2026, 10, 3, 14, 0); // 01:00 local, before the change
    let to = utc(2026, 10, 3, 16, 0);
    let got = fires(&s, from, to);
    let unique: std::collections::BTreeSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no instant twice");
    // Two real hours at a quarter-hour step.
    assert_eq!(got.len(), 8);
}
