//! Fuzz targets (proptest): event patterns and filter policies, compiled and matched. The
//! inputs are the documented examples of `tests/cases/` mutated byte by byte and token by
//! token, and random trees of operators with values of every type. A pattern may be refused,
//! but only with an error (AWS's message); compiling and matching never panic and take
//! bounded time.
//!
//! Each target runs [`CASES`] cases (seconds in all, as part of `cargo test`); set
//! `PROPTEST_CASES` for a longer soak.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ferrybridge_pattern::{EventPattern, FilterPolicy, FilterPolicyScope, Matcher};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Cases per target unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 300;

/// The most one case may take (compile and match a few events); generous for a debug build on
/// a loaded machine. Exponential matching (wildcards) or compiling (`$or`) is far beyond it.
const BOUND: Duration = Duration::from_secs(2);

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/cases/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Pattern texts (valid and invalid) and events of the EventBridge case tables (read once).
fn eventbridge_seeds() -> &'static (Vec<String>, Vec<String>) {
    static SEEDS: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    SEEDS.get_or_init(read_eventbridge_seeds)
}

fn read_eventbridge_seeds() -> (Vec<String>, Vec<String>) {
    let mut patterns = Vec::new();
    let mut events = Vec::new();
    for case in load("eventbridge.json")
        .into_iter()
        .chain(load("eventbridge_errors.json"))
    {
        patterns.push(text_of(&case["pattern"]));
        if !case["event"].is_null() {
            events.push(text_of(&case["event"]));
        }
    }
    (patterns, events)
}

type SnsSeeds = (Vec<String>, Vec<String>, Vec<Vec<(String, String, String)>>);

/// Policy texts (valid and invalid), message bodies and attributes of the SNS case tables
/// (read once).
fn sns_seeds() -> &'static SnsSeeds {
    static SEEDS: OnceLock<SnsSeeds> = OnceLock::new();
    SEEDS.get_or_init(read_sns_seeds)
}

fn read_sns_seeds() -> SnsSeeds {
    let mut policies = Vec::new();
    let mut bodies = Vec::new();
    let mut attributes = Vec::new();
    for case in load("sns.json").into_iter().chain(load("sns_errors.json")) {
        policies.push(text_of(&case["policy"]));
        if !case["body"].is_null() {
            bodies.push(text_of(&case["body"]));
        }
        if let Some(list) = case["attributes"].as_array() {
            attributes.push(
                list.iter()
                    .map(|a| (text_of(&a[0]), text_of(&a[1]), text_of(&a[2])))
                    .collect(),
            );
        }
    }
    (policies, bodies, attributes)
}

/// Pieces that tend to break pattern parsers and matchers.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1e400",
    "-1e400",
    "1e-400",
    "5e9",
    "0.0000001",
    "99999999999999999999999",
    "-9223372036854775809",
    "NaN",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\\"",
    "*",
    "**",
    "\\*",
    "?",
    ".",
    "/",
    "::",
    "10.0.0.0/8",
    "::/0",
    "255.255.255.255/33",
    "\"prefix\"",
    "\"suffix\"",
    "\"anything-but\"",
    "\"numeric\"",
    "\"exists\"",
    "\"cidr\"",
    "\"wildcard\"",
    "\"equals-ignore-case\"",
    "\"$or\"",
    "\"<\"",
    "\">=\"",
    "\"=\"",
    "[[[[[[[[[[[[[[[[",
    "{\"a\":{\"a\":{\"a\":{\"a\":",
    "é",
    "ß",
    "İ",
    "\u{0}",
    "\u{10ffff}",
    " ",
    "\t",
    "\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, usize),
    Remove(usize, usize),
    Truncate(usize),
    Repeat(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
        5 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(p, t)| Edit::Insert(p, t)),
        2 => (any::<usize>(), 1usize..12).prop_map(|(p, n)| Edit::Remove(p, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), 1usize..32, 2usize..16).prop_map(|(p, l, n)| Edit::Repeat(p, l, n)),
    ]
}

/// The text after the edits (invalid UTF-8 is replaced, as a JSON reader would refuse it).
fn mutated(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match e {
            Edit::Set(p, b) => {
                if !bytes.is_empty() {
                    let i = p % bytes.len();
                    bytes[i] = *b;
                }
            }
            Edit::Insert(p, t) => {
                let i = at(*p, bytes.len());
                bytes.splice(i..i, TOKENS[*t].bytes());
            }
            Edit::Remove(p, n) => {
                let i = at(*p, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Truncate(p) => {
                let i = at(*p, bytes.len());
                bytes.truncate(i);
            }
            Edit::Repeat(p, l, n) => {
                let i = at(*p, bytes.len());
                let end = (i + l).min(bytes.len());
                let slice = bytes[i..end].to_vec();
                for _ in 0..*n {
                    bytes.splice(end..end, slice.iter().copied());
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

const NAMES: &[&str] = &["a", "b", "detail", "source", "x-y", "", "$or", "é"];

/// Any JSON value: what an operator may be given.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(&[0.0, -0.0, 1.5, 1e-7, 5e9, 1e10, 1e300, -1e300][..])
            .prop_map(|f| json!(f)),
        prop::sample::select(
            &[
                "",
                "a",
                "*",
                "a*b*c*",
                "**",
                "\\*",
                "10.0.0.0/8",
                "10.0.0.7",
                "::1/128",
                "1.2.3.4/40",
                ">",
                "<=",
                "=",
                "x",
                "Zürich",
                "İ",
            ][..]
        )
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(NAMES), inner), 0..4).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// An operator object (`{"prefix": ...}`) with a value of any type.
fn operator() -> impl Strategy<Value = Value> {
    let name = prop::sample::select(
        &[
            "prefix",
            "suffix",
            "anything-but",
            "numeric",
            "exists",
            "cidr",
            "wildcard",
            "equals-ignore-case",
            "unknown",
        ][..],
    );
    let numeric = prop::collection::vec(
        prop_oneof![
            prop::sample::select(&["<", "<=", "=", ">", ">=", "!"][..]).prop_map(|s| json!(s)),
            value(),
        ],
        0..6,
    )
    .prop_map(|v| json!({ "numeric": v }));
    let nested_but =
        prop::sample::select(&["prefix", "suffix", "wildcard", "equals-ignore-case"][..])
            .prop_flat_map(|inner| value().prop_map(move |v| json!({"anything-but": {inner: v}})));
    prop_oneof![
        4 => (name, value()).prop_map(|(n, v)| json!({ n: v })),
        2 => numeric,
        1 => nested_but,
        1 => value(),
    ]
}

/// A random pattern: fields holding arrays of values and operators, nesting, `$or`.
fn random_pattern() -> impl Strategy<Value = Value> {
    let matchers = prop::collection::vec(operator(), 0..4).prop_map(Value::Array);
    matchers.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            3 => prop::collection::vec((prop::sample::select(NAMES), inner.clone()), 1..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())),
            1 => prop::collection::vec(inner, 0..4).prop_map(|alts| json!({ "$or": alts })),
        ]
    })
}

/// A random event: objects of the same names, with arrays and scalars of every type.
fn random_event() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(NAMES), value()), 0..5)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// Events that make naive matchers slow: long strings for wildcards, deep nesting, wide arrays.
/// Small enough to go with every case (the adversarial test uses [`hard_events`]).
fn tricky_events() -> Vec<String> {
    let long = "a".repeat(300);
    vec![
        json!({"a": long, "b": [long.clone(), "b"], "detail": {"a": format!("{long}b"), "b": [1, "x", null]}})
            .to_string(),
        json!({"detail": (0..20).map(|i| json!({"a": i, "b": format!("x{i}")})).collect::<Vec<_>>()})
            .to_string(),
        format!("{}1{}", "[".repeat(20), "]".repeat(20)),
        "not json".to_owned(),
    ]
}

/// Like [`tricky_events`], bigger.
fn hard_events() -> Vec<String> {
    let long = "a".repeat(20_000);
    vec![
        json!({"a": long, "b": [long.clone(), long.clone()], "detail": {"a": format!("{long}b")}})
            .to_string(),
        json!({"detail": (0..2000).map(|i| json!({"a": i, "b": format!("x{i}")})).collect::<Vec<_>>()})
            .to_string(),
        format!("{}1{}", "[".repeat(200), "]".repeat(200)),
        format!("{{\"a\":{}1{}}}", "{\"a\":".repeat(200), "}".repeat(200)),
    ]
}

/// Compiles `text` as an event pattern; if it compiles, matches it against `events` in every
/// way the service does. Checks the time taken.
fn check_pattern(text: &str, events: &[String]) {
    let started = Instant::now();
    if let Ok(pattern) = EventPattern::parse(text) {
        let mut matcher = Matcher::new();
        matcher.add(0u32, &pattern);
        matcher.add(1u32, &pattern);
        for event in events {
            let by_text = pattern.matches_json(event);
            let listed = matcher.matching_json(event);
            if let Ok(value) = serde_json::from_str::<Value>(event) {
                let by_value = pattern.matches(&value);
                if let Ok(m) = &by_text {
                    assert_eq!(*m, by_value, "text and value agree: {text} on {event}");
                }
                assert_eq!(
                    matcher.matching(&value).len(),
                    if by_value { 2 } else { 0 },
                    "the matcher agrees: {text} on {event}"
                );
            }
            let _ = listed;
        }
        assert!(matcher.remove(&0));
        assert_eq!(matcher.len(), 1);
    }
    let took = started.elapsed();
    assert!(took < BOUND, "{took:?} for {text}");
}

/// Compiles `text` as a filter policy of both scopes; matches what compiles.
fn check_policy(text: &str, bodies: &[String], attributes: &[Vec<(String, String, String)>]) {
    let started = Instant::now();
    for scope in [
        FilterPolicyScope::MessageAttributes,
        FilterPolicyScope::MessageBody,
    ] {
        if let Ok(policy) = FilterPolicy::parse(text, scope) {
            for body in bodies {
                let _ = policy.matches_body(body);
            }
            for attrs in attributes {
                let _ = policy.matches_attributes(attrs.iter().map(|(k, t, v)| (k, t, v)));
                let _ = policy.matches_message("{}", attrs.iter().map(|(k, t, v)| (k, t, v)));
            }
        }
    }
    let took = started.elapsed();
    assert!(took < BOUND, "{took:?} for {text}");
}

fn attributes() -> impl Strategy<Value = Vec<(String, String, String)>> {
    prop::collection::vec(
        (
            prop::sample::select(NAMES).prop_map(str::to_owned),
            prop::sample::select(
                &[
                    "String",
                    "Number",
                    "String.Array",
                    "Binary",
                    "Number.x",
                    "",
                    "Stringy",
                ][..],
            )
            .prop_map(str::to_owned),
            prop_oneof![
                value().prop_map(|v| text_of(&v)),
                ".{0,12}",
                Just("[1, \"a\", null, [2], {\"b\": 3}]".to_owned()),
                Just("1e400".to_owned()),
            ],
        ),
        0..5,
    )
}

proptest! {
    #![proptest_config(config())]

    /// The documented patterns and error cases, mutated, against their events and hard ones.
    #[test]
    fn event_patterns_mutated(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 0..8),
        extra in random_event(),
    ) {
        let (patterns, events) = eventbridge_seeds();
        let text = mutated(pick.get::<String>(patterns), &edits);
        let mut evs: Vec<String> = events.iter().take(4).cloned().collect();
        evs.push(pick.get(events).clone());
        evs.push(mutated(pick.get::<String>(events), &edits));
        evs.push(extra.to_string());
        evs.extend(tricky_events());
        check_pattern(&text, &evs);
    }

    /// Random trees of operators with values of every type.
    #[test]
    fn event_patterns_random(pattern in random_pattern(), events in prop::collection::vec(random_event(), 1..6)) {
        let mut evs: Vec<String> = events.iter().map(Value::to_string).collect();
        evs.extend(tricky_events());
        check_pattern(&pattern.to_string(), &evs);
    }

    /// The documented filter policies and error cases, mutated, against bodies and attributes.
    #[test]
    fn filter_policies_mutated(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 0..8),
        attrs in attributes(),
        body in random_event(),
    ) {
        let (policies, bodies, attributes) = sns_seeds();
        let text = mutated(pick.get::<String>(policies), &edits);
        let mut bs: Vec<String> = vec![body.to_string(), mutated(&body.to_string(), &edits)];
        if !bodies.is_empty() {
            bs.push(pick.get(bodies).clone());
        }
        bs.extend(tricky_events());
        let mut all = vec![attrs];
        if !attributes.is_empty() {
            all.push(pick.get(attributes).clone());
        }
        check_policy(&text, &bs, &all);
    }

    /// Random trees of operators as filter policies.
    #[test]
    fn filter_policies_random(policy in random_pattern(), attrs in attributes(), body in random_event()) {
        let mut bs = vec![body.to_string()];
        bs.extend(tricky_events());
        check_policy(&policy.to_string(), &bs, &[attrs]);
    }
}

/// Patterns built to be slow to compile or match stay within the bound (or are refused).
#[test]
fn adversarial_patterns_stay_bounded() {
    let events = hard_events();
    let many_stars = format!("{}b", "*a".repeat(200));
    let or_bomb = {
        let alt = json!({"$or": [{"a": ["1"]}, {"b": ["2"]}, {"c": ["3"]}, {"d": ["4"]}]});
        json!({"$or": [alt.clone(), alt.clone(), alt.clone(), {"$or": [alt.clone(), alt]}]})
    };
    let cases = [
        json!({"a": [{"wildcard": many_stars}]}).to_string(),
        json!({"detail": {"a": [{"wildcard": "*a*a*a*a*a*a*a*a*a*a*a*a*b"}]}}).to_string(),
        json!({"a": (0..2000).map(|i| json!(format!("v{i}"))).collect::<Vec<_>>()}).to_string(),
        json!({"a": [{"numeric": [">", 0, "<", 1e9]}], "b": [{"prefix": ""}], "detail": {"a": [{"exists": true}]}}).to_string(),
        or_bomb.to_string(),
        format!("{}{}", "{\"a\":".repeat(500), "}".repeat(500)),
        format!("{{\"a\":{}]}}", "[".repeat(10_000)),
    ];
    for text in &cases {
        check_pattern(text, &events);
        check_policy(text, &events, &[]);
    }
}
