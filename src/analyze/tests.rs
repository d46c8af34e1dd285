use super::*;
use crate::model::Keyword;

fn subject(id: Id, text_len: usize, readers: usize) -> Subject {
    Subject {
        posting_id: id,
        company: "Acme".into(),
        title: "Engineer".into(),
        location: None,
        remote: None,
        text: "x".repeat(text_len),
        hash: [0; 32],
        readers: (0..readers as u64)
            .map(|u| Reader::new(u, Criteria::default()))
            .collect(),
    }
}

#[test]
fn batches_stop_at_the_token_or_posting_limit_but_never_send_nothing() {
    let subjects: Vec<Subject> = (1..=10).map(|i| subject(i, 4000, 1)).collect();
    let one = estimate_tokens(&subjects[0]);
    assert!((1000..1100).contains(&one), "{one}");
    let limits = BatchLimits {
        postings: 8,
        tokens: 3 * one + 100,
    };
    assert_eq!(batch_len(&subjects, limits, 100), 3);
    let wide = BatchLimits {
        postings: 4,
        tokens: u32::MAX,
    };
    assert_eq!(batch_len(&subjects, wide, 100), 4);
    let tiny = BatchLimits {
        postings: 8,
        tokens: 10,
    };
    assert_eq!(batch_len(&subjects, tiny, 100), 1);
    assert_eq!(batch_len(&[], tiny, 100), 0);
}

#[test]
fn equal_criteria_hash_alike_and_any_change_shows() {
    let a = Criteria {
        keywords: vec![Keyword {
            word: "rust".into(),
            weight: 3,
        }],
        ..Criteria::default()
    };
    let mut b = a.clone();
    assert_eq!(criteria_hash(&a), criteria_hash(&b));
    b.keywords[0].weight = 2;
    assert_ne!(criteria_hash(&a), criteria_hash(&b));
    let a = subject(1, 0, 0);
    let mut b = a.clone();
    (b.company, b.title) = ("AcmeEngineer".into(), String::new());
    assert_ne!(
        subject_hash(&a),
        subject_hash(&b),
        "parts do not run together"
    );
}
