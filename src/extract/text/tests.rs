use super::*;

const PAGE: &str = r#"<!doctype html><html><head><title>Senior Rust Engineer | Acme Careers</title>
<style>.x{color:red}</style><script>var tracking = "remote";</script></head>
<body><header><a href="/">Acme</a> <nav><a href="/blog">Blog</a></nav></header>
<main><h1>Senior Rust Engineer</h1>
<div class="job-location">Berlin, Germany</div>
<p>We build   <b>fast</b> things &amp; ship them.</p>
<ul><li>Tokio</li><li>Postgres</li></ul>
<form><button>Apply now</button></form></main>
<footer>© Acme · Privacy</footer></body></html>"#;

#[test]
fn reads_title_location_and_text_without_page_furniture() {
    let p = posting_text(PAGE.as_bytes(), 10_000).unwrap();
    assert_eq!(p.title.as_deref(), Some("Senior Rust Engineer"));
    assert_eq!(p.location.as_deref(), Some("Berlin, Germany"));
    assert_eq!(p.remote, None);
    assert!(
        p.text.contains("We build fast things & ship them."),
        "{}",
        p.text
    );
    assert!(p.text.contains("Tokio\nPostgres"), "{}", p.text);
    for furniture in ["Blog", "Privacy", "Apply now", "color:red", "tracking"] {
        assert!(!p.text.contains(furniture), "{furniture} in {}", p.text);
    }
}

#[test]
fn structured_data_wins_over_headings() {
    let html = r#"<html><head><script type="application/ld+json">
    {"@context":"https://schema.org","@graph":[{"@type":"Organization","name":"Acme"},
     {"@type":"JobPosting","title":"Data Engineer &amp; Analyst",
      "jobLocationType":"TELECOMMUTE",
      "jobLocation":[{"@type":"Place","address":{"addressLocality":"Lisbon","addressCountry":{"name":"PT"}}},
                     {"address":"Porto"}],
      "description":"<p>Pipelines with <b>Python</b>.</p>"}]}
    </script></head><body><h1>Careers</h1></body></html>"#;
    let p = posting_text(html.as_bytes(), 10_000).unwrap();
    assert_eq!(p.title.as_deref(), Some("Data Engineer & Analyst"));
    assert_eq!(p.location.as_deref(), Some("Lisbon, PT; Porto"));
    assert_eq!(p.remote, Some(true));
    // The body's only text is its heading; the description is not used.
    assert_eq!(p.text, "Careers");
    let bare = html.replace("<h1>Careers</h1>", "");
    let p = posting_text(bare.as_bytes(), 10_000).unwrap();
    assert_eq!(p.text, "Pipelines with Python.");
}

#[test]
fn title_falls_back_to_the_document_title_before_the_site_name() {
    let p = posting_text(
        b"<title>Backend Developer - Remote | Acme</title><p>x</p>",
        100,
    )
    .unwrap();
    assert_eq!(p.title.as_deref(), Some("Backend Developer - Remote"));
    assert_eq!(p.remote, Some(true));
}

#[test]
fn text_is_capped_in_characters() {
    let html = format!("<p>{}</p>", "żółw ".repeat(10_000));
    let p = posting_text(html.as_bytes(), 1000).unwrap();
    let n = p.text.chars().count();
    assert!((990..=1000).contains(&n), "{n}");
}

#[test]
fn remote_hints() {
    assert_eq!(remote_hint("Engineer (Remote)", "", ""), Some(true));
    assert_eq!(
        remote_hint("Engineer", "London (Hybrid)", "fully remote"),
        Some(false)
    );
    assert_eq!(
        remote_hint("Engineer", "", "This role is on-site in Paris."),
        Some(false)
    );
    assert_eq!(remote_hint("Engineer", "Paris", "We ship."), None);
}

#[test]
fn hostile_input_is_bounded() {
    for junk in [
        &b"\x00\xff<p"[..],
        b"<script type='application/ld+json'>{{{{",
        b"",
    ] {
        let _ = posting_text(junk, 100);
    }
    let deep = "<div>".repeat(50_000);
    let p = posting_text(deep.as_bytes(), 100).unwrap();
    assert!(p.text.is_empty());
}
