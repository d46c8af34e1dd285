use super::*;

fn keep(page: &str, hrefs: &[(&str, &str)]) -> Vec<String> {
    let page = Url::parse(page).unwrap();
    let links = hrefs
        .iter()
        .map(|(h, t)| JobLink {
            url: page.join(h).unwrap(),
            text: t.to_string(),
        })
        .collect();
    LinkFilter::default()
        .keep(&page, links)
        .into_iter()
        .map(|l| l.url.path().to_string())
        .collect()
}

#[test]
fn postings_are_kept_navigation_is_not() {
    let kept = keep(
        "https://acme.example/careers",
        &[
            ("/", "Home"),
            ("/blog/how-we-work", "Blog"),
            ("/privacy", "Privacy"),
            ("/careers", "Careers"),
            ("/careers/life-at-acme", "Life at Acme"),
            ("/jobs/search?q=x", "Search"),
            ("/jobs/departments/engineering", "Engineering"),
            ("/jobs/1234", "Backend Engineer"),
            ("/careers/jobs/senior-data-analyst", "Senior Data Analyst"),
            ("/positions/R-2291-berlin", "Office Manager"),
            ("/static/logo.png", "logo"),
            ("https://twitter.com/acme", "Twitter"),
        ],
    );
    assert_eq!(
        kept,
        vec![
            "/jobs/1234",
            "/careers/jobs/senior-data-analyst",
            "/positions/R-2291-berlin"
        ]
    );
}

#[test]
fn slugs_without_title_words_need_siblings() {
    let alone = keep(
        "https://acme.example/careers",
        &[("/careers/chief-happiness-wrangler", "")],
    );
    assert!(alone.is_empty());
    let listed = keep(
        "https://acme.example/careers",
        &[
            ("/careers/chief-happiness-wrangler", ""),
            ("/careers/night-shift-baker", ""),
        ],
    );
    assert_eq!(listed.len(), 2);
}

#[test]
fn job_boards_and_query_ids() {
    let kept = keep(
        "https://acme.example/careers",
        &[
            ("https://boards.greenhouse.io/acme/jobs/4012345", "Engineer"),
            ("https://boards.greenhouse.io/acme", "All jobs"),
            (
                "https://jobs.lever.co/acme/0f1e2d3c-aaaa-bbbb-cccc-123456789abc",
                "Designer",
            ),
            ("/careers?gh_jid=4012399", "Recruiter"),
            ("/careers?page=2", "Next"),
        ],
    );
    assert_eq!(
        kept,
        vec![
            "/acme/jobs/4012345",
            "/acme/0f1e2d3c-aaaa-bbbb-cccc-123456789abc",
            "/careers"
        ]
    );
}

#[test]
fn company_patterns_override() {
    let page = Url::parse("https://acme.example/careers").unwrap();
    let f = LinkFilter::new(&["/team/[a-z-]+$".into()], &["/jobs/999".into()]).unwrap();
    let links = ["/team/space-cadet", "/jobs/999", "/jobs/1000"]
        .iter()
        .map(|h| JobLink {
            url: page.join(h).unwrap(),
            text: String::new(),
        })
        .collect();
    let kept: Vec<String> = f
        .keep(&page, links)
        .into_iter()
        .map(|l| l.url.path().into())
        .collect();
    assert_eq!(kept, vec!["/team/space-cadet", "/jobs/1000"]);
    assert!(LinkFilter::new(&["(".into()], &[]).is_err());
}

#[test]
fn site_key_groups_subdomains() {
    let u = |s: &str| site_key(&Url::parse(s).unwrap()).to_string();
    assert_eq!(u("https://careers.acme.com/x"), "acme.com");
    assert_eq!(u("https://jobs.acme.co.uk/x"), "acme.co.uk");
    assert_eq!(u("http://127.0.0.1:8080/x"), "127.0.0.1");
}

#[test]
fn page_numbers_are_not_postings() {
    let kept = keep(
        "https://acme.example/careers",
        &[
            ("/careers/p2", "2"),
            ("/jobs/page-3", "3"),
            ("/jobs/page3", "3"),
            ("/jobs/p12a", "x"),
        ],
    );
    assert_eq!(kept, vec!["/jobs/p12a"]);
}
