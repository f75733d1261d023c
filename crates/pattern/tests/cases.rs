//! The case tables in `tests/cases/*.json`, run against the compiled matcher,
//! the reference interpreter and a matcher holding every pattern at once.

use std::collections::BTreeSet;

use ferrybridge_pattern::{
    reference, EventPattern, FilterPolicy, FilterPolicyScope, Matcher, Pattern,
};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/cases/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Patterns and events are stored as JSON values, or as strings when the
/// exact spelling matters (number forms, escapes, invalid JSON).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn name(case: &Value) -> &str {
    case["name"].as_str().unwrap_or("?")
}

fn scope(case: &Value) -> FilterPolicyScope {
    FilterPolicyScope::from_attribute(case["scope"].as_str().unwrap_or("")).expect("scope")
}

fn attributes(case: &Value) -> Vec<(String, String, String)> {
    case["attributes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| (text_of(&a[0]), text_of(&a[1]), text_of(&a[2])))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn eventbridge_cases() {
    let cases = load("eventbridge.json");
    let mut all = Matcher::new();
    let mut patterns = Vec::new();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let pattern = EventPattern::parse(&text_of(&case["pattern"]))
            .unwrap_or_else(|e| panic!("{}: pattern rejected: {e}", name(case)));
        let event_text = text_of(&case["event"]);
        let expected = case["matches"].as_bool().expect("matches");
        let compiled = pattern.matches_json(&event_text).expect("event is JSON");
        let event: Value = serde_json::from_str(&event_text).expect("event is JSON");
        let by_value = pattern.matches(&event);
        let oracle = reference::matches(pattern.alternatives(), &event);
        if (compiled, by_value, oracle) != (expected, expected, expected) {
            failures.push(format!(
                "{}: expected {expected}, compiled {compiled}, by value {by_value}, reference {oracle}",
                name(case)
            ));
        }
        all.add(i, &pattern);
        patterns.push(pattern);
    }
    // Every pattern at once: each event's hits are exactly the patterns
    // that match it on their own.
    for case in &cases {
        let event: Value = serde_json::from_str(&text_of(&case["event"])).expect("event is JSON");
        let together: BTreeSet<usize> = all.matching(&event).into_iter().collect();
        let alone: BTreeSet<usize> = (0..patterns.len())
            .filter(|&i| reference::matches(patterns[i].alternatives(), &event))
            .collect();
        if together != alone {
            failures.push(format!(
                "{}: all rules together {together:?}, one by one {alone:?}",
                name(case)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The reason part of each message. AWS goes on with Jackson's location
/// (`\n at [Source: (String)"..."; line: 1, column: N]`), which these cases
/// do not record; `tests/aws_messages.rs` checks whole messages against
/// AWS's recorded answers.
#[test]
fn eventbridge_errors() {
    let mut failures = Vec::new();
    for case in load("eventbridge_errors.json") {
        let expected = case["error"].as_str().expect("error");
        match EventPattern::parse(&text_of(&case["pattern"])) {
            Ok(_) => failures.push(format!("{}: accepted", name(&case))),
            Err(e) if e.to_string().split("\n at [Source: ").next() != Some(expected) => {
                failures.push(format!("{}: got {e:?}: {e}", name(&case)))
            }
            Err(e) => assert_eq!(e.error_code(), "InvalidEventPatternException"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sns_cases() {
    let mut failures = Vec::new();
    for case in load("sns.json") {
        let policy = FilterPolicy::parse(&text_of(&case["policy"]), scope(&case))
            .unwrap_or_else(|e| panic!("{}: policy rejected: {e}", name(&case)));
        let expected = case["matches"].as_bool().expect("matches");
        let body = case["body"].as_str().unwrap_or("");
        let got = policy.matches_message(body, attributes(&case));
        let event = match policy.scope() {
            FilterPolicyScope::MessageAttributes => {
                ferrybridge_pattern::attributes_to_event(attributes(&case))
            }
            FilterPolicyScope::MessageBody => serde_json::from_str(body).unwrap_or(Value::Null),
        };
        // SNS matches nothing against an empty set of attributes.
        let empty = matches!(&event, Value::Object(map) if map.is_empty());
        let no_attributes = policy.scope() == FilterPolicyScope::MessageAttributes && empty;
        let oracle = !no_attributes && reference::matches(policy.alternatives(), &event);
        if (got, oracle) != (expected, expected) {
            failures.push(format!(
                "{}: expected {expected}, compiled {got}, reference {oracle}",
                name(&case)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sns_errors() {
    let mut failures = Vec::new();
    for case in load("sns_errors.json") {
        let expected = case["error"].as_str().expect("error");
        match FilterPolicy::parse(&text_of(&case["policy"]), scope(&case)) {
            Ok(_) => failures.push(format!("{}: accepted", name(&case))),
            Err(e) if e.to_string() != expected => {
                failures.push(format!("{}: got {e}", name(&case)))
            }
            Err(e) => assert_eq!(e.error_code(), "InvalidParameter"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pattern_length_quota() {
    let long = format!(r#"{{"source": ["{}"]}}"#, "x".repeat(3000));
    let err = EventPattern::parse(&long).expect_err("too long");
    assert_eq!(err.error_code(), "ValidationException");
    assert!(EventPattern::parse_with_max_length(&long, 4096).is_ok());
}

#[test]
fn subscribe_wording() {
    let err = FilterPolicy::parse(r#"{"a": []}"#, FilterPolicyScope::MessageAttributes)
        .expect_err("invalid");
    assert_eq!(
        err.subscribe_message(),
        "Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed"
    );
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    for text in ["", "{", "{\"a\": [", "nul", "{\"a\": [1,]}", "\u{0}"] {
        assert!(EventPattern::parse(text).is_err(), "{text:?}");
        assert!(
            FilterPolicy::parse(text, FilterPolicyScope::MessageBody).is_err(),
            "{text:?}"
        );
    }
    let pattern = EventPattern::parse(r#"{"a": ["x"]}"#).expect("valid");
    assert!(pattern.matches_json("{\"a\": ").is_err());
    assert!(pattern.matches_json("{\"a\": \"x\"} trailing").is_err());
}

#[test]
fn add_and_remove_leave_other_rules_alone() {
    let mut rules = Matcher::new();
    let p = |s: &str| EventPattern::parse(s).expect("valid");
    rules.add("a", &p(r#"{"source": ["x"]}"#));
    rules.add("b", &p(r#"{"source": [{"prefix": "x"}]}"#));
    rules.add("c", &p(r#"{"detail": {"n": [{"exists": false}]}}"#));
    let event = r#"{"source": "xy"}"#;
    let mut hits = rules.matching_json(event).expect("json");
    hits.sort();
    assert_eq!(hits, ["b", "c"]);
    assert!(rules.remove(&"b"));
    assert!(!rules.remove(&"b"));
    assert_eq!(rules.matching_json(event).expect("json"), ["c"]);
    rules.remove(&"c");
    assert_eq!(
        rules.matching_json(r#"{"source": "x"}"#).expect("json"),
        ["a"]
    );
    // Replacing a rule under the same id.
    rules.add("a", &p(r#"{"source": ["y"]}"#));
    assert!(rules
        .matching_json(r#"{"source": "x"}"#)
        .expect("json")
        .is_empty());
    assert_eq!(rules.len(), 1);
}

#[test]
fn deep_nesting_is_an_error_not_a_panic() {
    let deep_pattern = format!("{}[\"x\"]{}", "{\"a\":".repeat(300), "}".repeat(300));
    assert!(EventPattern::parse_with_max_length(&deep_pattern, usize::MAX).is_err());
    let pattern = EventPattern::parse(r#"{"a": ["x"]}"#).expect("valid");
    let deep_event = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300));
    // Subtrees no rule looks at are skipped, however deep.
    assert!(!pattern.matches_json(&deep_event).expect("valid JSON"));
    // Along a path rules do look at, serde_json's recursion limit applies.
    let deep_array = format!("{{\"a\":{}1{}}}", "[".repeat(300), "]".repeat(300));
    assert!(pattern.matches_json(&deep_array).is_err());
}

#[test]
fn many_rules_sharing_a_condition() {
    // Every rule shares `source`; only one also matches on `detail.id`.
    let mut rules = Matcher::new();
    for i in 0..2000 {
        let text = format!(r#"{{"source": ["aws.ec2"], "detail": {{"id": ["i-{i}"]}}}}"#);
        rules.add(i, &EventPattern::parse(&text).expect("valid"));
    }
    let hits = rules
        .matching_json(r#"{"source": "aws.ec2", "detail": {"id": "i-1234"}}"#)
        .expect("json");
    assert_eq!(hits, [1234]);
    assert!(rules
        .matching_json(r#"{"source": "aws.ec2"}"#)
        .expect("json")
        .is_empty());
}

#[test]
fn sns_policies_in_one_matcher() {
    let scope = FilterPolicyScope::MessageAttributes;
    let mut subscriptions = Matcher::new();
    let policy = |text: &str| FilterPolicy::parse(text, scope).expect("valid");
    subscriptions.add(
        "cheap",
        &policy(r#"{"price_usd": [{"numeric": ["<", 100]}]}"#),
    );
    subscriptions.add("rugby", &policy(r#"{"customer_interests": ["rugby"]}"#));
    subscriptions.add("no-store", &policy(r#"{"store": [{"exists": false}]}"#));
    let attributes = [
        (
            "customer_interests",
            "String.Array",
            r#"["soccer", "rugby"]"#,
        ),
        ("price_usd", "Number", "210.75"),
    ];
    let mut hits = subscriptions.matching_attributes(attributes);
    hits.sort();
    assert_eq!(hits, ["no-store", "rugby"]);
    let none: [(&str, &str, &str); 0] = [];
    assert!(subscriptions.matching_attributes(none).is_empty());
}

#[test]
fn matcher_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Matcher<String>>();
    assert_send_sync::<EventPattern>();
    assert_send_sync::<FilterPolicy>();
}
