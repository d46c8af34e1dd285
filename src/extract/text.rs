//! A posting's page → its readable text, title, location and remote flag.
//!
//! Two streaming passes, no DOM: the first drops what is not the posting
//! (scripts, styles, navigation, headers, footers, forms, embedded media)
//! and keeps the page's `JobPosting` structured data (schema.org, which
//! careers sites publish for search engines) and its headings; the second
//! reads the text of what is left, one line per block element.
//!
//! Invariant: the text is at most `max_chars` characters and each field is
//! bounded, whatever the page holds.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::{HtmlRewriter, MemorySettings, Settings, element, text};
use serde_json::Value;

use super::entities;
use super::links::ScanError;

/// Longest title or location kept.
const MAX_FIELD: usize = 200;
/// Structured data kept for parsing; larger blocks are not a posting's.
const MAX_JSON_LD: usize = 256 << 10;
const MAX_PARSER_MEMORY: usize = 8 << 20;

/// Elements whose content is never part of a posting's text.
const SKIP: &str = "script, style, noscript, template, svg, iframe, nav, header, footer, form, \
                    button, select, aside, [role=navigation], [aria-hidden=true]";
/// Elements that start a new line of text.
const BLOCKS: &str = "p, div, li, br, h1, h2, h3, h4, h5, h6, tr, section, article, dt, dd, \
                      blockquote, pre, ul, ol, table";

/// What a posting's page says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostingText {
    pub title: Option<String>,
    pub location: Option<String>,
    /// `Some(true)` when the page says the job is remote, `Some(false)` when
    /// it says on-site or hybrid, `None` when it does not say.
    pub remote: Option<bool>,
    /// Readable text, blocks on their own lines, at most `max_chars`.
    pub text: String,
}

#[derive(Default)]
struct FirstPass {
    json_ld: Vec<String>,
    title: String,
    h1: String,
    /// Text of elements marked as the location (`class`/`id` containing
    /// "location").
    location: String,
}

/// Read a posting's page.
pub fn posting_text(html: &[u8], max_chars: usize) -> Result<PostingText, ScanError> {
    let (kept, first) = first_pass(html)?;
    let mut out = PostingText::default();
    let ld = first.json_ld.iter().find_map(|s| job_posting(s));
    if let Some(ld) = &ld {
        out.title = field(ld.get("title"));
        out.location = ld_location(ld);
        if ld.get("jobLocationType").and_then(Value::as_str) == Some("TELECOMMUTE") {
            out.remote = Some(true);
        }
    }
    out.text = readable(&kept, max_chars)?;
    if out.text.trim().is_empty()
        && let Some(desc) = ld.as_ref().and_then(|l| l.get("description")?.as_str())
    {
        out.text = readable(desc.as_bytes(), max_chars)?;
    }
    out.title = out.title.or_else(|| clean(&first.h1)).or_else(|| {
        // "Senior Engineer | Acme Careers" → the part before the site name.
        let t = clean(&first.title)?;
        let cut = t.split([('|'), ('–'), ('—')]).next().unwrap_or(&t).trim();
        clean(cut)
    });
    out.location = out.location.or_else(|| clean(&first.location));
    if out.remote.is_none() {
        out.remote = remote_hint(
            out.title.as_deref().unwrap_or(""),
            out.location.as_deref().unwrap_or(""),
            &out.text,
        );
    }
    Ok(out)
}

fn first_pass(html: &[u8]) -> Result<(Vec<u8>, FirstPass), ScanError> {
    let state = Rc::new(RefCell::new(FirstPass::default()));
    let (ld_open, ld_text, title, h1, loc) = (
        state.clone(),
        state.clone(),
        state.clone(),
        state.clone(),
        state.clone(),
    );
    let mut kept = Vec::with_capacity(html.len() / 2);
    let settings = Settings::new()
        .with_memory_settings(
            MemorySettings::new().with_max_allowed_memory_usage(MAX_PARSER_MEMORY),
        )
        .append_element_content_handler(element!("script[type='application/ld+json']", move |_| {
            let mut s = ld_open.borrow_mut();
            if s.json_ld.len() < 16 {
                s.json_ld.push(String::new());
            }
            Ok(())
        }))
        .append_element_content_handler(text!("script[type='application/ld+json']", move |t| {
            if let Some(last) = ld_text.borrow_mut().json_ld.last_mut()
                && last.len() + t.as_str().len() <= MAX_JSON_LD
            {
                last.push_str(t.as_str());
            }
            Ok(())
        }))
        .append_element_content_handler(text!("title", move |t| {
            bounded_push(&mut title.borrow_mut().title, t.as_str());
            Ok(())
        }))
        .append_element_content_handler(text!("h1", move |t| {
            bounded_push(&mut h1.borrow_mut().h1, t.as_str());
            Ok(())
        }))
        .append_element_content_handler(text!(
            "[class*=location], [id*=location], [itemprop=jobLocation]",
            move |t| {
                bounded_push(&mut loc.borrow_mut().location, t.as_str());
                Ok(())
            }
        ))
        .append_element_content_handler(element!(SKIP, |el| {
            el.remove();
            Ok(())
        }))
        .append_element_content_handler(element!("head", |el| {
            el.remove();
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |c: &[u8]| kept.extend_from_slice(c));
    rewriter
        .write(html)
        .and_then(|_| rewriter.end())
        .map_err(|e| ScanError::new(e.to_string()))?;
    let first = Rc::try_unwrap(state)
        .map(RefCell::into_inner)
        .unwrap_or_default();
    Ok((kept, first))
}

/// The text of `html`, one line per block, white space folded, at most
/// `max_chars` characters.
fn readable(html: &[u8], max_chars: usize) -> Result<String, ScanError> {
    let out = Rc::new(RefCell::new(Text {
        s: String::new(),
        chars: 0,
        max: max_chars,
    }));
    let (b, t) = (out.clone(), out.clone());
    let settings = Settings::new()
        .with_memory_settings(
            MemorySettings::new().with_max_allowed_memory_usage(MAX_PARSER_MEMORY),
        )
        .append_element_content_handler(element!(BLOCKS, move |_| {
            b.borrow_mut().newline();
            Ok(())
        }))
        .append_document_content_handler(lol_html::doc_text!(move |chunk| {
            t.borrow_mut().push(chunk.as_str());
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter
        .write(html)
        .and_then(|_| rewriter.end())
        .map_err(|e| ScanError::new(e.to_string()))?;
    let text = out.borrow().s.trim().to_string();
    Ok(text)
}

struct Text {
    s: String,
    chars: usize,
    max: usize,
}

impl Text {
    fn newline(&mut self) {
        while self.s.ends_with(' ') {
            self.s.pop();
        }
        if !self.s.is_empty() && !self.s.ends_with('\n') && self.chars < self.max {
            self.s.push('\n');
            self.chars += 1;
        }
    }

    fn push(&mut self, chunk: &str) {
        for c in entities::decode(chunk).chars() {
            if self.chars >= self.max {
                return;
            }
            if c.is_whitespace() {
                if !self.s.is_empty() && !self.s.ends_with([' ', '\n']) {
                    self.s.push(' ');
                    self.chars += 1;
                }
            } else {
                self.s.push(c);
                self.chars += 1;
            }
        }
    }
}

fn bounded_push(dst: &mut String, chunk: &str) {
    if dst.len() < MAX_FIELD * 2 {
        dst.push_str(chunk);
        dst.push(' ');
    }
}

/// Decoded, folded, bounded; `None` when empty.
fn clean(s: &str) -> Option<String> {
    let decoded = entities::decode(s);
    let folded: String = decoded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_FIELD)
        .collect();
    (!folded.is_empty()).then_some(folded)
}

fn field(v: Option<&Value>) -> Option<String> {
    clean(v?.as_str()?)
}

/// The first `JobPosting` object in a JSON-LD block (top level, in an
/// array, or in `@graph`).
fn job_posting(text: &str) -> Option<Value> {
    fn find(v: Value) -> Option<Value> {
        match v {
            Value::Array(items) => items.into_iter().find_map(find),
            Value::Object(mut o) => {
                let is_posting = match o.get("@type") {
                    Some(Value::String(t)) => t == "JobPosting",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "JobPosting"),
                    _ => false,
                };
                if is_posting {
                    return Some(Value::Object(o));
                }
                o.remove("@graph").and_then(find)
            }
            _ => None,
        }
    }
    find(serde_json::from_str(text.trim()).ok()?)
}

/// `jobLocation` (one place or several) as "Locality, Region, Country".
fn ld_location(ld: &Value) -> Option<String> {
    let places: Vec<&Value> = match ld.get("jobLocation")? {
        Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    let names: Vec<String> = places
        .iter()
        .filter_map(|p| {
            let addr = p.get("address").unwrap_or(p);
            if let Some(s) = addr.as_str() {
                return clean(s);
            }
            let parts: Vec<String> = ["addressLocality", "addressRegion", "addressCountry"]
                .iter()
                .filter_map(|k| match addr.get(*k)? {
                    Value::String(s) => clean(s),
                    other => field(other.get("name")),
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        })
        .collect();
    clean(&names.join("; "))
}

/// What the words say about remote work, title and location first (where a
/// job board states it), then the first part of the text.
pub fn remote_hint(title: &str, location: &str, text: &str) -> Option<bool> {
    let head: String = text.chars().take(1500).collect();
    for part in [title, location, head.as_str()] {
        let p = part.to_lowercase();
        let on_site = [
            "on-site",
            "onsite",
            "in-office",
            "in office",
            "hybrid",
            "not remote",
        ]
        .iter()
        .any(|w| p.contains(w));
        if on_site {
            return Some(false);
        }
        let remote = [
            "remote",
            "work from anywhere",
            "work from home",
            "telecommute",
        ]
        .iter()
        .any(|w| p.contains(w));
        if remote {
            return Some(true);
        }
    }
    None
}

#[cfg(test)]
mod tests;
