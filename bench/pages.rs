//! Generated careers pages for benchmarks: realistic markup (head, scripts,
//! navigation, a long list of postings with descriptions, footer).

/// A careers page of about `target` bytes whose posting links start with
/// `origin` (e.g. `https://acme.example`).
#[allow(dead_code)]
pub fn careers_page(origin: &str, target: usize) -> String {
    let mut s = String::with_capacity(target + 4096);
    s.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Careers at Acme</title>");
    s.push_str("<link rel=\"stylesheet\" href=\"/assets/site.css\"><script src=\"/assets/app.js\"></script>");
    s.push_str("<script>window.__STATE__={\"filters\":[\"engineering\",\"sales\"],\"locale\":\"en\"};</script></head><body>");
    s.push_str(
        "<header><nav><a href=\"/\">Home</a><a href=\"/about\">About</a><a href=\"/blog\">Blog</a>",
    );
    s.push_str("<a href=\"/careers\">Careers</a><a href=\"/careers/life-at-acme\">Life at Acme</a></nav></header><main>");
    s.push_str(
        "<section class=\"filters\"><a href=\"/jobs/departments/engineering\">Engineering</a>",
    );
    s.push_str("<a href=\"/jobs/departments/sales\">Sales</a><a href=\"/jobs/locations/berlin\">Berlin</a></section><ul class=\"jobs\">");
    let titles = [
        "Senior Backend Engineer",
        "Product Designer",
        "Account Executive",
        "Data Analyst",
        "Site Reliability Engineer",
    ];
    let mut i = 0;
    while s.len() < target {
        let t = titles[i % titles.len()];
        let slug = t.to_lowercase().replace(' ', "-");
        s.push_str(&format!(
            "<li class=\"job\"><a class=\"job-link\" href=\"{origin}/jobs/{}-{slug}?utm_source=careers&amp;gh_src=x\">{t}</a>\
             <span class=\"loc\">Berlin, Germany &middot; Remote</span><p class=\"summary\">We are looking for a {t} to join our \
             growing team and help us build the future of rockets. You will work with great people.</p></li>",
            1000 + i
        ));
        i += 1;
    }
    s.push_str("</ul></main><footer><a href=\"/privacy\">Privacy</a><a href=\"/terms\">Terms</a>");
    s.push_str("<a href=\"https://twitter.com/acme\">Twitter</a><a href=\"mailto:jobs@acme.example\">Contact</a></footer></body></html>");
    s
}

/// A page that is nothing but `n` links.
#[allow(dead_code)]
pub fn many_links(n: usize) -> String {
    let mut s = String::from("<html><body><ul>");
    for i in 0..n {
        s.push_str(&format!("<li><a href=\"/jobs/{i}\">Engineer {i}</a></li>"));
    }
    s.push_str("</ul></body></html>");
    s
}
