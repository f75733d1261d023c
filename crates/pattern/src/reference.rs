//! A deliberately naive interpreter: the oracle the compiled [`Matcher`] is
//! tested against.
//!
//! It flattens the *whole* event into owned `(path, leaf, array trail)`
//! triples with plain recursion, evaluates every operator directly, and
//! searches every combination of fields for an array-consistent one. It
//! shares only the per-operator semantics ([`Operator::matches`]) with the
//! compiled path: no path table, no indexes, no tries, no streaming.
//!
//! [`Matcher`]: crate::Matcher
//! [`Operator::matches`]: crate::ast::Operator::matches

use std::borrow::Cow;

use serde_json::Value;

use crate::ast::{Leaf, SubPattern};
use crate::number::Number;

struct FlatField {
    path: String,
    leaf: Leaf<'static>,
    trail: Vec<(u32, u32)>,
}

/// True if any alternative matches the event.
pub fn matches(alternatives: &[SubPattern], event: &Value) -> bool {
    let mut fields = Vec::new();
    if let Value::Object(map) = event {
        let mut next_array = 0;
        for (key, value) in map {
            flatten(
                key.clone(),
                value,
                &mut Vec::new(),
                &mut next_array,
                &mut fields,
            );
        }
    }
    alternatives
        .iter()
        .any(|alternative| alternative_matches(alternative, &fields))
}

fn flatten(
    path: String,
    value: &Value,
    trail: &mut Vec<(u32, u32)>,
    next_array: &mut u32,
    out: &mut Vec<FlatField>,
) {
    let leaf = match value {
        Value::Object(map) => {
            for (key, child) in map {
                flatten(format!("{path}.{key}"), child, trail, next_array, out);
            }
            return;
        }
        Value::Array(items) => {
            let id = *next_array;
            *next_array += 1;
            for (index, item) in items.iter().enumerate() {
                trail.push((id, index as u32));
                flatten(path.clone(), item, trail, next_array, out);
                trail.pop();
            }
            return;
        }
        Value::String(s) => Leaf::Str(Cow::Owned(s.clone())),
        Value::Number(n) => match Number::from_json(n) {
            Some(number) => Leaf::Num(number),
            None => return,
        },
        Value::Bool(b) => Leaf::Bool(*b),
        Value::Null => Leaf::Null,
    };
    out.push(FlatField {
        path,
        leaf,
        trail: trail.clone(),
    });
}

fn alternative_matches(alternative: &SubPattern, fields: &[FlatField]) -> bool {
    let mut candidates: Vec<Vec<&FlatField>> = Vec::new();
    for condition in alternative {
        let at_path: Vec<&FlatField> = fields.iter().filter(|f| f.path == condition.path).collect();
        let matching: Vec<&FlatField> = at_path
            .iter()
            .copied()
            .filter(|f| condition.matches_leaf(&f.leaf))
            .collect();
        if !matching.is_empty() {
            candidates.push(matching);
        } else if !(at_path.is_empty() && condition.allows_absence()) {
            return false;
        }
    }
    any_consistent(&candidates, &mut Vec::new())
}

fn any_consistent<'a>(candidates: &[Vec<&'a FlatField>], chosen: &mut Vec<&'a FlatField>) -> bool {
    let Some((first, rest)) = candidates.split_first() else {
        return true;
    };
    first.iter().any(|field| {
        if !chosen.iter().all(|c| same_elements(&c.trail, &field.trail)) {
            return false;
        }
        chosen.push(field);
        let found = any_consistent(rest, chosen);
        chosen.pop();
        found
    })
}

/// Two fields may combine unless some array holds them in different
/// elements.
fn same_elements(a: &[(u32, u32)], b: &[(u32, u32)]) -> bool {
    a.iter().all(|(array, index)| {
        b.iter()
            .all(|(other, other_index)| other != array || other_index == index)
    })
}
