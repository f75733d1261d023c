//! Reading a decoded input [`Value`] (keys = the model's member names), the same way in every
//! service: absent and `null` are the same, and a scalar may arrive as another scalar type
//! (Query sends every scalar as text; JSON clients sometimes send a number as a string).
//!
//! These readers never fail: what to call a value of the wrong type, and how to word that
//! error, is each service's own business (SQS says `InvalidParameterValue`, SNS
//! `InvalidParameter`), so the services build their `req_str`/`opt_str`... on top of them.

use serde_json::Value;

/// A member name as AWS's request validation writes it in paths: the first letter lowered
/// (`EventBusName` -> `eventBusName`).
pub fn validation_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_lowercase());
        out.push_str(chars.as_str());
    }
    out
}

/// The member `name` of `input`, or `None` when it is absent or `null`.
pub fn field<'a>(input: &'a Value, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|v| !v.is_null())
}

/// A scalar as text: strings as they are, numbers and booleans printed; `None` for anything
/// else (`null`, arrays, objects).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The member `name` as a list of strings: a lone scalar counts as a one-element list, items
/// that are not scalars are skipped, absent is empty.
pub fn str_list(input: &Value, name: &str) -> Vec<String> {
    match field(input, name) {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The member `name` as a list of structures (batch entries, subscriptions...): a lone object
/// counts as a one-element list, absent (or any other type) is empty.
pub fn entries<'a>(input: &'a Value, name: &str) -> Vec<&'a Value> {
    match field(input, name) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_is_absent() {
        let input = json!({"A": null, "B": "b"});
        assert_eq!(field(&input, "A"), None);
        assert_eq!(field(&input, "Missing"), None);
        assert_eq!(field(&input, "B"), Some(&json!("b")));
    }

    #[test]
    fn scalars_print_as_text() {
        assert_eq!(scalar_text(&json!("x")), Some("x".to_owned()));
        assert_eq!(scalar_text(&json!(12)), Some("12".to_owned()));
        assert_eq!(scalar_text(&json!(1.5)), Some("1.5".to_owned()));
        assert_eq!(scalar_text(&json!(true)), Some("true".to_owned()));
        assert_eq!(scalar_text(&json!(null)), None);
        assert_eq!(scalar_text(&json!(["x"])), None);
        assert_eq!(scalar_text(&json!({"x": 1})), None);
    }

    #[test]
    fn lists_accept_a_lone_item() {
        let input = json!({"L": ["a", 2, {"skip": 1}], "S": "one", "E": {"Id": "e"}});
        assert_eq!(str_list(&input, "L"), ["a", "2"]);
        assert_eq!(str_list(&input, "S"), ["one"]);
        assert!(str_list(&input, "Missing").is_empty());
        assert_eq!(entries(&input, "E"), [&json!({"Id": "e"})]);
        assert_eq!(entries(&input, "L").len(), 3);
        assert!(entries(&input, "S").is_empty());
        assert!(entries(&input, "Missing").is_empty());
    }
}
