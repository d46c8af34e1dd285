use serde_json::json;

use super::*;
use crate::analyze::Reader;
use crate::model::Keyword;

fn batch() -> Vec<Subject> {
    let rust = Criteria {
        keywords: vec![Keyword {
            word: "rust".into(),
            weight: 3,
        }],
        remote: RemotePref::Prefer,
        ..Criteria::default()
    };
    [(11, "Rust Engineer"), (12, "Designer")]
        .into_iter()
        .map(|(id, title)| Subject {
            posting_id: id,
            company: "Acme".into(),
            title: title.into(),
            location: None,
            remote: None,
            text: "text".into(),
            hash: [0; 32],
            readers: vec![Reader::new(7, rust.clone())],
        })
        .collect()
}

fn completion(content: &Value) -> Vec<u8> {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": content.to_string(), "refusal": null}}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340}
    })
    .to_string()
    .into_bytes()
}

fn posting(id: u64, score: Value) -> Value {
    json!({"id": id, "title": "T", "location": "Berlin", "remote": true,
           "matches": [{"user": 7, "score": score, "reason": " fits "}]})
}

#[test]
fn the_request_asks_for_the_schema_and_names_each_user_once() {
    let body = request_body("m", 500, &batch());
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["max_tokens"], 500);
    let input: Value =
        serde_json::from_str(body["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(input["users"].as_array().unwrap().len(), 1);
    assert_eq!(
        input["users"][0]["criteria"],
        "keywords: rust (weight 3); remote: preferred"
    );
    assert_eq!(input["postings"][1]["scoreFor"], json!([7]));
}

#[test]
fn a_good_reply_gives_verdicts_and_its_usage() {
    let content = json!({"postings": [posting(11, json!(88)), posting(12, json!(10))]});
    let r = parse_reply(
        &completion(&content),
        &batch(),
        "openai:m",
        Timestamp::EPOCH,
    )
    .unwrap();
    assert_eq!(r.tokens, 340);
    assert!(r.rejected.is_empty());
    assert_eq!(r.verdicts.len(), 2);
    let v = &r.verdicts[0];
    assert_eq!(v.fields.location.as_deref(), Some("Berlin"));
    assert_eq!(v.fields.remote, Some(true));
    assert_eq!((v.matches[0].0, v.matches[0].1.score), (7, 88));
    assert_eq!(v.matches[0].1.reason, "fits");
    assert_eq!(v.matches[0].1.analyser, "openai:m");
}

#[test]
fn wrong_answers_are_rejected_per_posting() {
    // 11 scored out of range; 12 missing; 99 was never asked about.
    let content = json!({"postings": [posting(11, json!(140)), posting(99, json!(5))]});
    let err = parse_reply(&completion(&content), &batch(), "x", Timestamp::EPOCH).unwrap_err();
    assert!(
        matches!(err, AnalyseError::Malformed { tokens: 340, .. }),
        "{err:?}"
    );
    let content = json!({"postings": [posting(11, json!(70.4)),
        {"id": 12, "title": "T", "location": null, "remote": null, "matches": []}]});
    let r = parse_reply(&completion(&content), &batch(), "x", Timestamp::EPOCH).unwrap();
    assert_eq!(r.verdicts.len(), 1);
    assert_eq!(r.verdicts[0].matches[0].1.score, 70);
    assert_eq!(r.rejected, vec![(12, "no score for user 7".to_string())]);
}

#[test]
fn malformed_replies_say_what_was_wrong() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"<html>gateway</html>".to_vec(), "not a chat completion"),
        (br#"{"choices": []}"#.to_vec(), "no choices"),
        (completion(&json!("not json {")), "not the requested JSON"),
        (
            json!({"choices": [{"message": {"content": "{}"}, "finish_reason": "length"}]})
                .to_string()
                .into_bytes(),
            "cut off",
        ),
        (
            json!({"choices": [{"message": {"content": null, "refusal": "no"}}]})
                .to_string()
                .into_bytes(),
            "refused",
        ),
    ];
    for (bytes, says) in cases {
        match parse_reply(&bytes, &batch(), "x", Timestamp::EPOCH) {
            Err(AnalyseError::Malformed { message, .. }) => {
                assert!(message.contains(says), "{message:?} should say {says:?}")
            }
            other => panic!("{says}: {other:?}"),
        }
    }
}

#[test]
fn a_fenced_reply_is_accepted() {
    let inner = json!({"postings": [posting(11, json!(50)), posting(12, json!(50))]});
    let fenced = Value::String(format!("```json\n{inner}\n```"));
    let bytes =
        json!({"choices": [{"message": {"content": fenced}, "finish_reason": "stop"}]}).to_string();
    let r = parse_reply(bytes.as_bytes(), &batch(), "x", Timestamp::EPOCH).unwrap();
    assert_eq!((r.verdicts.len(), r.tokens), (2, 0));
}
