//! Streaming anchor scan with `lol_html`: constant memory per page apart from
//! the links themselves.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::{HtmlRewriter, MemorySettings, Settings, element, text};

/// Link text longer than this is cut: titles are short, and a hostile page
/// must not grow one string without bound.
const MAX_TEXT: usize = 300;
/// Anchors kept per page; the rest are ignored.
pub const MAX_LINKS: usize = 100_000;
/// Parser memory ceiling for one page.
const MAX_PARSER_MEMORY: usize = 8 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    pub href: String,
    pub text: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageScan {
    pub links: Vec<RawLink>,
    /// First `<base href>`.
    pub base: Option<String>,
    /// First `rel="next"` on an `<a>` or `<link>`.
    pub next: Option<String>,
    /// `src` of `<script>` and `<iframe>` elements (the first
    /// [`MAX_EMBEDS`]): where a job board's embed shows itself.
    pub embeds: Vec<String>,
    /// `<script>` elements, inline or not.
    pub scripts: usize,
    /// A sign of a page built by JavaScript: an application's mount point
    /// (`#root`, `#app`, `#__next`, …). `<noscript>` is no sign: tag
    /// managers put one on ordinary pages.
    pub app_shell: bool,
}

/// How many script and iframe sources a scan keeps.
pub const MAX_EMBEDS: usize = 200;

#[derive(Debug, thiserror::Error)]
#[error("the page could not be parsed as HTML: {0}")]
pub struct ScanError(String);

impl ScanError {
    pub(crate) fn new(message: String) -> Self {
        ScanError(message)
    }
}

fn has_rel_next(rel: Option<String>) -> bool {
    rel.is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case("next"))
    })
}

/// Collect anchors, base href and the next-page link of an HTML document.
pub fn scan(html: &[u8]) -> Result<PageScan, ScanError> {
    let out = Rc::new(RefCell::new(PageScan::default()));
    let (a, t, b, l, e) = (
        out.clone(),
        out.clone(),
        out.clone(),
        out.clone(),
        out.clone(),
    );
    let (sc, sh) = (out.clone(), out.clone());
    let settings = Settings::new()
        .with_memory_settings(
            MemorySettings::new().with_max_allowed_memory_usage(MAX_PARSER_MEMORY),
        )
        .append_element_content_handler(element!("a[href]", move |el| {
            let mut s = a.borrow_mut();
            let href = el.get_attribute("href").unwrap_or_default();
            if s.next.is_none() && has_rel_next(el.get_attribute("rel")) {
                s.next = Some(href.clone());
            }
            if s.links.len() < MAX_LINKS {
                s.links.push(RawLink {
                    href,
                    text: String::new(),
                });
            }
            Ok(())
        }))
        .append_element_content_handler(text!("a[href]", move |chunk| {
            let mut s = t.borrow_mut();
            if let Some(last) = s.links.last_mut()
                && last.text.len() < MAX_TEXT
            {
                push_text(&mut last.text, chunk.as_str());
            }
            Ok(())
        }))
        .append_element_content_handler(element!("base[href]", move |el| {
            let mut s = b.borrow_mut();
            if s.base.is_none() {
                s.base = el.get_attribute("href");
            }
            Ok(())
        }))
        .append_element_content_handler(element!("script", move |_| {
            sc.borrow_mut().scripts += 1;
            Ok(())
        }))
        .append_element_content_handler(element!(
            "#root, #app, #__next, #__nuxt, #___gatsby, app-root",
            move |_| {
                sh.borrow_mut().app_shell = true;
                Ok(())
            }
        ))
        .append_element_content_handler(element!("script[src], iframe[src]", move |el| {
            let mut s = e.borrow_mut();
            if s.embeds.len() < MAX_EMBEDS
                && let Some(src) = el.get_attribute("src")
            {
                s.embeds.push(src);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("link[rel][href]", move |el| {
            let mut s = l.borrow_mut();
            if s.next.is_none() && has_rel_next(el.get_attribute("rel")) {
                s.next = el.get_attribute("href");
            }
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter
        .write(html)
        .and_then(|_| rewriter.end())
        .map_err(|e| ScanError(e.to_string()))?;
    let mut scan = out.take();
    for link in &mut scan.links {
        let trimmed = link.text.trim();
        if trimmed.len() != link.text.len() {
            link.text = trimmed.to_string();
        }
    }
    Ok(scan)
}

/// Append text, folding runs of white space into one space and decoding
/// character references.
fn push_text(dst: &mut String, chunk: &str) {
    let chunk = super::entities::decode(chunk);
    for c in chunk.chars() {
        if dst.len() >= MAX_TEXT {
            break;
        }
        if c.is_whitespace() {
            if !dst.is_empty() && !dst.ends_with(' ') {
                dst.push(' ');
            }
        } else {
            dst.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_anchors_text_base_and_next() {
        let html = br#"<html><head><base href="/root/"><link rel="next" href="?page=2"></head>
            <body><a href="jobs/1">  Senior
              <b>Engineer</b> &amp; Lead</a><a name="x">no href</a>
            <a href="/b" rel="nofollow next">Next</a></body></html>"#;
        let s = scan(html).unwrap();
        assert_eq!(s.base.as_deref(), Some("/root/"));
        assert_eq!(s.next.as_deref(), Some("?page=2"));
        assert_eq!(s.links.len(), 2);
        assert_eq!(s.links[0].text, "Senior Engineer & Lead");
        assert_eq!(s.links[1].href, "/b");
    }

    #[test]
    fn link_text_is_bounded() {
        let long = format!("<a href=/x>{}</a>", "word ".repeat(10_000));
        let s = scan(long.as_bytes()).unwrap();
        assert!(s.links[0].text.len() <= MAX_TEXT + 4);
    }

    #[test]
    fn garbage_does_not_panic() {
        for junk in [&b"\x00\xff<a href"[..], b"<a href='", b"<<<<>>>>", b""] {
            let _ = scan(junk);
        }
    }
}
