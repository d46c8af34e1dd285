//! Input checks for commands; each error names the input and what is allowed.

use super::{ControlError, Result};
use crate::extract::LinkFilter;
use crate::model::{FetchMode, NewCompany, Rank};
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
        assert!(patterns(&["(".into()], &[]).is_err());
    }
}
