//! Property tests: the compiled matcher agrees with the reference
//! interpreter on random patterns and events.
//!
//! Patterns and events are drawn from a deliberately small vocabulary of
//! names and values so that random pairs match often enough to be
//! interesting, including arrays of objects (array-consistency), nesting,
//! missing fields and every operator.

use std::collections::BTreeSet;

use ferrybridge_pattern::{reference, EventPattern, Matcher, Pattern};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const NAMES: &[&str] = &["a", "b", "c"];
const STRINGS: &[&str] = &[
    "",
    "x",
    "xy",
    "Xy",
    "yx",
    "x*y",
    "10.0.0.7",
    "::1",
    "0:0:0:0:0:0:0:1",
    "Zürich",
];
const NUMBERS: &[f64] = &[0.0, 1.0, 1.5, -3.0, 3.0, 1000.0, 5e9, 1e10];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_owned)
}

fn string() -> impl Strategy<Value = String> {
    prop::sample::select(STRINGS).prop_map(str::to_owned)
}

fn non_empty_string() -> impl Strategy<Value = String> {
    // STRINGS[0] is the empty string; the rest are not.
    prop::sample::select(&STRINGS[1..]).prop_map(str::to_owned)
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(NUMBERS).prop_map(|n| json!(n)),
        (-3i64..4).prop_map(|n| json!(n)),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => string().prop_map(Value::String),
        3 => number(),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn event_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(name(), inner, 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn event() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(name(), event_value(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// One entry of a pattern's value array.
fn operator() -> impl Strategy<Value = Value> {
    let bound = prop::sample::select(&[-3.0, 0.0, 1.0, 1.5, 3.0, 1000.0][..]);
    prop_oneof![
        3 => scalar(),
        1 => string().prop_map(|s| json!({"exactly": s})),
        1 => string().prop_map(|s| json!({"prefix": s})),
        1 => string().prop_map(|s| json!({"suffix": s})),
        1 => string().prop_map(|s| json!({"prefix": {"equals-ignore-case": s}})),
        1 => string().prop_map(|s| json!({"suffix": {"equals-ignore-case": s}})),
        1 => string().prop_map(|s| json!({"equals-ignore-case": s})),
        1 => string().prop_map(|s| json!({"anything-but": s})),
        1 => prop::collection::vec(string(), 1..3).prop_map(|s| json!({"anything-but": s})),
        1 => bound.clone().prop_map(|n| json!({"anything-but": n})),
        1 => non_empty_string().prop_map(|s| json!({"anything-but": {"prefix": s}})),
        1 => non_empty_string().prop_map(|s| json!({"anything-but": {"suffix": s}})),
        1 => string().prop_map(|s| json!({"anything-but": {"equals-ignore-case": s}})),
        1 => prop::sample::select(&["x*", "*y", "*", "x\\*y", "*.*"][..]).prop_map(|w| json!({"anything-but": {"wildcard": w}})),
        1 => prop::sample::select(&["x*", "*y", "*", "x\\*y", "*.*", "Z*h"][..]).prop_map(|w| json!({"wildcard": w})),
        2 => (prop::sample::select(&["=", "<", "<=", ">", ">="][..]), bound.clone())
            .prop_map(|(op, n)| json!({"numeric": [op, n]})),
        1 => (bound.clone(), 0.5f64..100.0, any::<bool>(), any::<bool>()).prop_map(|(low, width, open_low, open_high)| {
            json!({"numeric": [if open_low { ">" } else { ">=" }, low, if open_high { "<" } else { "<=" }, low + width]})
        }),
        2 => any::<bool>().prop_map(|b| json!({"exists": b})),
        1 => prop::sample::select(&["10.0.0.0/24", "0.0.0.0/1", "::/1", "::1/127"][..]).prop_map(|c| json!({"cidr": c})),
    ]
}

fn pattern_object(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop::collection::vec(operator(), 1..4).prop_map(Value::Array);
    let value = if depth == 0 {
        leaf.boxed()
    } else {
        prop_oneof![3 => leaf, 1 => pattern_object(depth - 1)].boxed()
    };
    let fields = prop::collection::btree_map(name(), value, 1..3);
    let or_branches = if depth == 0 {
        Just(None).boxed()
    } else {
        prop_oneof![
            3 => Just(None),
            1 => prop::collection::vec(pattern_object(depth - 1), 2..4).prop_map(Some),
        ]
        .boxed()
    };
    (fields, or_branches)
        .prop_map(|(fields, or)| {
            let mut object: Map<String, Value> = fields.into_iter().collect();
            if let Some(branches) = or {
                object.insert("$or".to_owned(), Value::Array(branches));
            }
            Value::Object(object)
        })
        .boxed()
}

fn soak_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn pattern() -> impl Strategy<Value = EventPattern> {
    pattern_object(2).prop_filter_map("valid pattern", |p| {
        EventPattern::parse_with_max_length(&p.to_string(), 1 << 20).ok()
    })
}

proptest! {
    // 2000 cases by default; PROPTEST_CASES raises it for a longer soak.
    #![proptest_config(ProptestConfig { cases: soak_cases(), ..ProptestConfig::default() })]

    #[test]
    fn single_pattern_agrees(pattern in pattern(), event in event()) {
        let oracle = reference::matches(pattern.alternatives(), &event);
        prop_assert_eq!(pattern.matches(&event), oracle);
        prop_assert_eq!(pattern.matches_json(&event.to_string()).ok(), Some(oracle));
    }

    #[test]
    fn rule_set_agrees(
        patterns in prop::collection::vec(pattern(), 1..12),
        events in prop::collection::vec(event(), 1..6),
        removed in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut rules = Matcher::new();
        for (i, p) in patterns.iter().enumerate() {
            rules.add(i, p);
        }
        let mut live: BTreeSet<usize> = (0..patterns.len()).collect();
        for index in removed {
            let id = index.index(patterns.len());
            rules.remove(&id);
            live.remove(&id);
        }
        for event in &events {
            let got: BTreeSet<usize> = rules.matching(event).into_iter().collect();
            let want: BTreeSet<usize> = live
                .iter()
                .copied()
                .filter(|&i| reference::matches(patterns[i].alternatives(), event))
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
