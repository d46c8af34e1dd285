//! Precision and recall of job-link detection on varied fixture pages
//! (`tests/fixtures/pages/*.html`, with the expected postings in `*.expected`).
//! Every miss and every false alarm is printed, so a change that trades one
//! for the other shows up here.

use std::collections::BTreeSet;
use std::path::Path;

use scoutly::extract::{LinkFilter, job_links};
use url::Url;

#[test]
fn precision_and_recall_on_fixture_pages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages");
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut pages = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let expected_text = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let mut lines = expected_text.lines();
        let page = lines.next().unwrap().strip_prefix("# page: ").unwrap();
        let expected: BTreeSet<String> = lines
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        let html = std::fs::read(&path).unwrap();
        let found = job_links(&html, &Url::parse(page).unwrap(), &LinkFilter::default()).unwrap();
        let got: BTreeSet<String> = found.jobs.iter().map(|j| j.url.to_string()).collect();
        let name = path.file_name().unwrap().to_string_lossy();
        for miss in expected.difference(&got) {
            println!("{name}: missed {miss}");
        }
        for extra in got.difference(&expected) {
            println!("{name}: false alarm {extra}");
        }
        tp += got.intersection(&expected).count();
        fp += got.difference(&expected).count();
        fn_ += expected.difference(&got).count();
        pages += 1;
    }
    let precision = tp as f64 / (tp + fp) as f64;
    let recall = tp as f64 / (tp + fn_) as f64;
    println!(
        "{pages} pages: precision {precision:.3}, recall {recall:.3} ({tp} right, {fp} false alarms, {fn_} missed)"
    );
    assert!(pages >= 6);
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
}
