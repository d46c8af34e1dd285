//! Input checks for commands; each error names the input and what is allowed.

use super::{ControlError, Result};
use crate::extract::LinkFilter;
use crate::model::{Criteria, FetchMode, Keyword, NewCompany, Rank, RemotePref};
use crate::store::CompanyPatch;

pub const MAX_URLS: usize = 20;
const MAX_NAME: usize = 200;
const MAX_URL_LEN: usize = 2048;

pub fn name(what: &str, raw: &str) -> Result<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME || n.chars().any(char::is_control) {
        return Err(ControlError::invalid(format!(
            "{what} {raw:?} is not allowed: use 1 to {MAX_NAME} printable characters"
        )));
    }
    Ok(n.to_string())
}

pub fn rank(v: i64) -> Result<Rank> {
    Rank::new(v).map_err(|e| ControlError::invalid(e.to_string()))
}

pub fn urls(raw: Vec<String>) -> Result<Vec<String>> {
    if raw.is_empty() || raw.len() > MAX_URLS {
        return Err(ControlError::invalid(format!(
            "a company needs 1 to {MAX_URLS} careers URLs (--url), got {}",
            raw.len()
        )));
    }
    raw.into_iter()
        .map(|u| {
            let parsed = url::Url::parse(u.trim()).ok().filter(|p| {
                matches!(p.scheme(), "http" | "https") && p.host().is_some() && u.len() <= MAX_URL_LEN
            });
            match parsed {
                Some(p) => Ok(p.to_string()),
                None => Err(ControlError::invalid(format!(
                    "careers URL {u:?} is not valid: use an absolute http:// or https:// URL with a host, at most {MAX_URL_LEN} characters"
                ))),
            }
        })
        .collect()
}

pub fn mode(raw: Option<String>) -> Result<Option<FetchMode>> {
    raw.map(|m| {
        FetchMode::parse(&m).ok_or_else(|| {
            ControlError::invalid(format!(
                "fetch mode {m:?} is not allowed: use one of {}",
                FetchMode::ALLOWED
            ))
        })
    })
    .transpose()
}

pub fn patterns(include: &[String], exclude: &[String]) -> Result<()> {
    LinkFilter::new(include, exclude).map(|_| ()).map_err(|e| {
        ControlError::invalid(format!("include/exclude pattern is not a valid regex: {e}"))
    })
}

pub fn new_company(
    raw_name: String,
    raw_urls: Vec<String>,
    raw_mode: Option<String>,
    include: Vec<String>,
    exclude: Vec<String>,
) -> Result<NewCompany> {
    patterns(&include, &exclude)?;
    Ok(NewCompany {
        name: name("company name", &raw_name)?,
        urls: urls(raw_urls)?,
        mode: mode(raw_mode)?.unwrap_or_default(),
        include,
        exclude,
    })
}

pub fn patch(
    raw_name: Option<String>,
    raw_urls: Option<Vec<String>>,
    raw_mode: Option<String>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
) -> Result<CompanyPatch> {
    patterns(
        include.as_deref().unwrap_or_default(),
        exclude.as_deref().unwrap_or_default(),
    )?;
    Ok(CompanyPatch {
        name: raw_name.map(|n| name("company name", &n)).transpose()?,
        urls: raw_urls.map(urls).transpose()?,
        mode: mode(raw_mode)?,
        include,
        exclude,
    })
}

/// Keywords, exclusions and locations a user may set, each.
pub const MAX_CRITERIA: usize = 50;
const MAX_WORD: usize = 60;

fn word(what: &str, raw: &str) -> Result<String> {
    let w = raw.trim();
    if w.is_empty() || w.chars().count() > MAX_WORD || w.chars().any(char::is_control) {
        return Err(ControlError::invalid(format!(
            "{what} {raw:?} is not allowed: use 1 to {MAX_WORD} printable characters"
        )));
    }
    Ok(w.to_string())
}

fn list(what: &str, raw: Vec<String>) -> Result<Vec<String>> {
    if raw.len() > MAX_CRITERIA {
        return Err(ControlError::invalid(format!(
            "{what}: {} given; at most {MAX_CRITERIA} are allowed",
            raw.len()
        )));
    }
    raw.iter().map(|w| word(what, w)).collect()
}

/// `word` or `word=weight` (weight 1-10).
pub fn keyword(raw: &str) -> Result<Keyword> {
    let (w, weight) = match raw.rsplit_once('=') {
        Some((w, n)) => {
            let weight = n
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=10).contains(n))
                .ok_or_else(|| {
                    ControlError::invalid(format!(
                        "keyword {raw:?}: the weight after = must be a whole number from 1 to 10"
                    ))
                })?;
            (w, weight)
        }
        None => (raw, 1),
    };
    Ok(Keyword {
        word: word("keyword", w)?,
        weight,
    })
}

/// Apply the given parts to `current`.
pub fn criteria(
    mut current: Criteria,
    keywords: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    locations: Option<Vec<String>>,
    remote: Option<String>,
) -> Result<Criteria> {
    if let Some(k) = keywords {
        if k.len() > MAX_CRITERIA {
            return Err(ControlError::invalid(format!(
                "{} keywords given; at most {MAX_CRITERIA} are allowed",
                k.len()
            )));
        }
        current.keywords = k.iter().map(|k| keyword(k)).collect::<Result<_>>()?;
    }
    if let Some(e) = exclude {
        current.exclude = list("exclude entry", e)?;
    }
    if let Some(l) = locations {
        current.locations = list("locations entry", l)?;
    }
    if let Some(r) = remote {
        current.remote = RemotePref::parse(r.trim()).ok_or_else(|| {
            let allowed: Vec<&str> = RemotePref::ALL.iter().map(|p| p.as_str()).collect();
            ControlError::invalid(format!(
                "remote (--remote) {r:?} is not allowed: use one of {}",
                allowed.join(", ")
            ))
        })?;
    }
    Ok(current)
}

pub fn min_score(raw: Option<i64>) -> Result<Option<u8>> {
    raw.map(|n| {
        u8::try_from(n).ok().filter(|n| *n <= 100).ok_or_else(|| {
            ControlError::invalid(format!(
                "min score (--min-score, minScore) {n} is not allowed: use 0 to 100"
            ))
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_input_and_what_is_allowed() {
        let e = urls(vec!["ftp://x".into()]).unwrap_err().message;
        assert!(e.contains("\"ftp://x\"") && e.contains("http://"), "{e}");
        let e = rank(0).unwrap_err().message;
        assert!(e.contains("1 to 100"), "{e}");
        let e = mode(Some("fast".into())).unwrap_err().message;
        assert!(e.contains("auto, http, browser"), "{e}");
        let e = name("company name", "  ").unwrap_err().message;
        assert!(e.contains("company name"), "{e}");
        assert!(urls(vec![]).is_err());
        let e = keyword("rust=11").unwrap_err().message;
        assert!(e.contains("\"rust=11\"") && e.contains("1 to 10"), "{e}");
        assert_eq!(keyword("c++=2").unwrap().weight, 2);
        assert_eq!(keyword("a=b").unwrap_err().code, "invalid_argument");
        let e = criteria(Criteria::default(), None, None, None, Some("maybe".into()))
            .unwrap_err()
            .message;
        assert!(
            e.contains("--remote") && e.contains("any, prefer, only, never"),
            "{e}"
        );
        let many = vec!["x".to_string(); MAX_CRITERIA + 1];
        let e = criteria(Criteria::default(), None, Some(many), None, None)
            .unwrap_err()
            .message;
        assert!(e.contains("exclude entry: 51 given"), "{e}");
        let e = min_score(Some(101)).unwrap_err().message;
        assert!(e.contains("--min-score") && e.contains("0 to 100"), "{e}");
        assert!(patterns(&["(".into()], &[]).is_err());
    }
}
