//! `[schedule]`: the rank table (a preset or custom bands) and cron triggers.

use super::Check;
use crate::config::raw;
use crate::config::{CronTrigger, RankBand, ScheduleConfig, frequent_bands, standard_bands};
use crate::scheduler::{CronError, CronSchedule};

pub(super) fn schedule(c: &mut Check, raw: raw::RawSchedule) -> ScheduleConfig {
    let preset = raw.preset.unwrap_or_else(|| "standard".into());
    let preset_bands = match preset.as_str() {
        "standard" => standard_bands(),
        "frequent" => frequent_bands(),
        other => {
            c.bad(
                "schedule.preset",
                &format!("{other:?}"),
                "\"standard\" or \"frequent\"",
            );
            standard_bands()
        }
    };
    let cron = cron_triggers(c, raw.cron.unwrap_or_default());
    let Some(raw_bands) = raw.bands else {
        return ScheduleConfig {
            preset,
            bands: preset_bands,
            cron,
        };
    };
    let mut covered = [0u8; 101];
    let mut out = Vec::new();
    for (i, b) in raw_bands.into_iter().enumerate() {
        let key = format!("schedule.bands[{i}]");
        let range = b.ranks.split_once('-').and_then(|(lo, hi)| {
            Some((lo.trim().parse::<u8>().ok()?, hi.trim().parse::<u8>().ok()?))
        });
        let Some((min, max)) = range.filter(|(lo, hi)| *lo >= 1 && lo <= hi && *hi <= 100) else {
            c.bad(
                &format!("{key}.ranks"),
                &format!("{:?}", b.ranks),
                "a rank range such as \"81-100\" within 1-100",
            );
            continue;
        };
        let interval = c.positive_duration(&format!("{key}.interval"), Some(b.interval), "24h");
        for r in min..=max {
            covered[r as usize] += 1;
        }
        out.push(RankBand { min, max, interval });
    }
    let gaps: Vec<usize> = (1..=100).filter(|&r| covered[r] == 0).collect();
    let overlaps: Vec<usize> = (1..=100).filter(|&r| covered[r] > 1).collect();
    if !gaps.is_empty() || !overlaps.is_empty() {
        c.problems.push(format!(
            "`schedule.bands` must cover ranks 1-100 exactly once; ranks not covered: {gaps:?}, ranks covered twice: {overlaps:?}"
        ));
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.min));
    ScheduleConfig {
        preset: "custom".into(),
        bands: out,
        cron,
    }
}

fn cron_triggers(c: &mut Check, raw: Vec<raw::RawCron>) -> Vec<CronTrigger> {
    let mut out = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = format!("schedule.cron[{i}]");
        let min_rank = c.int(&format!("{key}.min_rank"), t.min_rank, 1, 1, 100) as u8;
        let Some(tz) = t.tz else {
            c.problems.push(format!(
                "`{key}.tz` is missing: give the time zone its times are read in, an IANA name such as \"Europe/London\" or \"UTC\""
            ));
            continue;
        };
        match CronSchedule::parse(&t.expr, &tz) {
            Ok(schedule) => out.push(CronTrigger { schedule, min_rank }),
            Err(e @ CronError::UnknownZone) => {
                c.problems.push(format!("`{key}.tz` = {tz:?} {e}"));
            }
            Err(e) => c.problems.push(format!("`{key}.expr` = {:?} {e}", t.expr)),
        }
    }
    out
}
