use super::*;
use crate::analyze::Reader;
use crate::model::Keyword;

fn posting(title: &str, location: Option<&str>, remote: Option<bool>, text: &str) -> Subject {
    Subject {
        posting_id: 1,
        company: "Acme".into(),
        title: title.into(),
        location: location.map(Into::into),
        remote,
        text: text.into(),
        hash: [0; 32],
        readers: vec![],
    }
}

fn kw(words: &[(&str, u8)]) -> Criteria {
    Criteria {
        keywords: words
            .iter()
            .map(|(w, n)| Keyword {
                word: w.to_string(),
                weight: *n,
            })
            .collect(),
        ..Criteria::default()
    }
}

#[test]
fn no_criteria_scores_the_middle() {
    let (s, why) = score(&Criteria::default(), &posting("Chef", None, None, ""));
    assert_eq!(s, NO_CRITERIA_SCORE);
    assert!(why.contains("no criteria"));
}

#[test]
fn title_counts_more_than_text_and_weights_matter() {
    let c = kw(&[("rust", 3), ("kubernetes", 1)]);
    let in_title = score(
        &c,
        &posting("Senior Rust Engineer", None, None, "We run on Kubernetes."),
    );
    assert_eq!(in_title.0, 90, "{in_title:?}"); // (3 + 0.6) / 4
    assert!(in_title.1.contains("title has rust") && in_title.1.contains("text has kubernetes"));
    let in_text = score(
        &c,
        &posting("Backend Engineer", None, None, "Rust and Kubernetes."),
    );
    assert_eq!(in_text.0, 60);
    let none = score(&c, &posting("Chef", None, None, "Cooking."));
    assert_eq!(none.0, 0);
    assert!(none.1.contains("no rust, kubernetes"), "{}", none.1);
}

#[test]
fn whole_words_and_phrases_only() {
    let c = kw(&[("go", 1)]);
    assert_eq!(
        score(&c, &posting("Google Ads Manager", None, None, "")).0,
        0
    );
    assert_eq!(score(&c, &posting("Go Developer", None, None, "")).0, 100);
    let c = kw(&[("machine learning", 1), ("c++", 1)]);
    let s = score(
        &c,
        &posting("ML Engineer", None, None, "Machine-learning in C++."),
    );
    assert_eq!(s.0, 60, "{s:?}");
    let c = kw(&[("node.js", 1)]);
    assert_eq!(
        score(&c, &posting("Engineer", None, None, "We use Node.js.")).0,
        60
    );
}

#[test]
fn an_excluded_word_anywhere_scores_zero() {
    let mut c = kw(&[("rust", 1)]);
    c.exclude = vec!["PHP".into()];
    let (s, why) = score(
        &c,
        &posting("Rust Engineer", None, None, "Some php legacy."),
    );
    assert_eq!(s, 0);
    assert!(why.contains("excluded \"PHP\""));
}

#[test]
fn places_and_remote_work() {
    let c = Criteria {
        locations: vec!["Berlin".into()],
        ..Criteria::default()
    };
    assert_eq!(
        score(
            &c,
            &posting("Dev", Some("Berlin, Germany"), Some(false), "")
        )
        .0,
        100
    );
    assert_eq!(
        score(&c, &posting("Dev", Some("Paris"), Some(false), "")).0,
        30
    );
    assert_eq!(
        score(&c, &posting("Dev", Some("Anywhere"), Some(true), "")).0,
        100
    );
    assert_eq!(score(&c, &posting("Dev", None, None, "")).0, 70);
    let only = Criteria {
        remote: RemotePref::Only,
        ..Criteria::default()
    };
    assert_eq!(score(&only, &posting("Dev", None, Some(true), "")).0, 100);
    assert_eq!(score(&only, &posting("Dev", None, Some(false), "")).0, 20);
    assert_eq!(score(&only, &posting("Dev", None, None, "")).0, 70);
    let never = Criteria {
        locations: vec!["Berlin".into()],
        remote: RemotePref::Never,
        ..Criteria::default()
    };
    let (s, why) = score(&never, &posting("Dev", Some("Remote"), Some(true), ""));
    assert_eq!(s, 6, "{why}"); // elsewhere (0.3) and remote (0.2)
    let prefer = Criteria {
        keywords: kw(&[("rust", 1), ("go", 1)]).keywords,
        remote: RemotePref::Prefer,
        ..Criteria::default()
    };
    assert_eq!(
        score(&prefer, &posting("Rust Dev", None, Some(true), "")).0,
        60
    );
}

#[test]
fn the_verdict_scores_every_reader() {
    let mut s = posting("Rust Engineer", None, None, "");
    s.readers = vec![
        Reader::new(7, kw(&[("rust", 1)])),
        Reader::new(8, Criteria::default()),
    ];
    let v = verdict(&s);
    let scores: Vec<(u64, u8)> = v.matches.iter().map(|(u, m)| (*u, m.score)).collect();
    assert_eq!(scores, vec![(7, 100), (8, 50)]);
    assert!(v.matches.iter().all(|(_, m)| m.analyser == "builtin"));
}
