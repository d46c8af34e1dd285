//! The extraction half of the side-by-side benchmark: Scoutly's link
//! extraction against a Python lxml script (`bench/extract_lxml.py`) on
//! one corpus written to `target/peer/corpus`.

use std::time::Instant;

use crate::farm::{Farm, Kind};
use crate::{common, pages};

/// Link extraction on one corpus, Scoutly's against lxml's: the farm's
/// careers pages (one of each site that serves HTML) plus a generated 1 MB
/// careers page and a page of 100,000 links, written to `target/peer/corpus`.
pub fn extraction(farm: &Farm, python: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peer/corpus");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut corpus: Vec<(String, String)> = farm
        .sites()
        .iter()
        .filter(|s| matches!(s.kind, Kind::Static | Kind::Paged))
        .map(|s| {
            let addr = s
                .url
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let (_, _, body) = common::request(addr, "GET", "/careers", &[], None);
            (s.url.clone(), body.as_str().unwrap().to_string())
        })
        .collect();
    corpus.push((
        "https://acme.example/careers".into(),
        pages::careers_page("https://acme.example", 1 << 20),
    ));
    corpus.push((
        "https://acme.example/jobs".into(),
        pages::many_links(100_000),
    ));
    for (n, (url, html)) in corpus.iter().enumerate() {
        std::fs::write(
            dir.join(format!("{n:03}.html")),
            format!("<!-- {url} -->\n{html}"),
        )
        .unwrap();
    }
    let bytes: usize = corpus.iter().map(|(_, h)| h.len() + 1).sum();
    let filter = scoutly::extract::LinkFilter::default();
    let parsed: Vec<(url::Url, &str)> = corpus
        .iter()
        .map(|(u, h)| (url::Url::parse(u).unwrap(), h.as_str()))
        .collect();
    let (mut best, mut links, mut jobs) = (f64::INFINITY, 0, 0);
    for _ in 0..5 {
        let start = Instant::now();
        (links, jobs) = (0, 0);
        for (url, html) in &parsed {
            let found = scoutly::extract::job_links(html.as_bytes(), url, &filter).unwrap();
            links += found.anchors;
            jobs += found.jobs.len();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let out = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/bench/extract_lxml.py"
        ))
        .arg(&dir)
        .output()
        .unwrap();
    let lxml: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "extract_lxml.py: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mib = bytes as f64 / 1048576.0;
    println!(
        "link extraction, {} pages, {mib:.1} MiB (best of 5 passes, one core):",
        corpus.len()
    );
    println!(
        "  Scoutly (lol_html scan + canonicalise + classify): {:.3} s, {:.1} MiB/s; {links} anchors, {jobs} job links",
        best,
        mib / best
    );
    let secs = lxml["seconds"].as_f64().unwrap();
    println!(
        "  lxml {} (parse + resolve + defragment): {secs:.3} s, {:.1} MiB/s; {} links",
        lxml["lxml"].as_str().unwrap_or("?"),
        mib / secs,
        lxml["links"]
    );
}
