//! Link extraction + canonicalisation + classification throughput.
//!
//! `cargo bench --bench extract`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scoutly::extract::{LinkFilter, job_links, scan};
use url::Url;

#[path = "pages.rs"]
mod pages;

fn bench(c: &mut Criterion) {
    let page_url = Url::parse("https://acme.example/careers").unwrap();
    let filter = LinkFilter::default();
    let cases = [
        (
            "careers_1mb",
            pages::careers_page("https://acme.example", 1 << 20),
        ),
        ("links_100k", pages::many_links(100_000)),
    ];
    for (name, html) in &cases {
        let found = job_links(html.as_bytes(), &page_url, &filter).unwrap();
        eprintln!(
            "{name}: {} bytes, {} anchors, {} job links",
            html.len(),
            found.anchors,
            found.jobs.len()
        );
        let mut g = c.benchmark_group(*name);
        g.throughput(Throughput::Bytes(html.len() as u64));
        g.sample_size(20);
        g.bench_function("scan", |b| b.iter(|| scan(html.as_bytes()).unwrap()));
        g.bench_function("job_links", |b| {
            b.iter(|| job_links(html.as_bytes(), &page_url, &filter).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
