//! Replays the committed fuzz corpora (`fuzz/corpus/TARGET/`) through the
//! same checks the fuzz targets make, on stable, in every test run: an
//! input that once crashed a target stays fixed. `fuzz/run` grows the
//! corpora with `cargo fuzz` on nightly.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} is empty", dir.display());
    inputs
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for (path, data) in corpus(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        if let Err(e) = outcome {
            std::panic::resume_unwind(Box::new(format!(
                "{target}: {} fails: {}",
                path.display(),
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )));
        }
    }
}

#[test]
fn link_extraction_corpus() {
    replay("links", checks::links);
}

#[test]
fn robots_corpus() {
    replay("robots", checks::robots);
}

#[test]
fn config_corpus() {
    replay("config", checks::config);
}

#[test]
fn job_board_corpus() {
    replay("boards", checks::boards);
}

#[test]
fn api_corpus() {
    let api = checks::Api::new();
    replay("api", |data| api.check(data));
}
