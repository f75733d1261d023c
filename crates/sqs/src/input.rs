//! Reading the decoded input `Value` tolerantly: absent and `null` are the same, and a number
//! may arrive as a string (or a string attribute value as a number).

use ferrybridge_engine::sqs::SqsError;
use ferrybridge_protocol::ServiceError;
use serde_json::Value;

/// The engine's error as the protocol layer's.
pub(crate) fn service_error(e: SqsError) -> ServiceError {
    ServiceError::new(e.code, e.message)
}

pub(crate) fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidParameterValue", message)
}

pub(crate) fn missing(name: &str) -> ServiceError {
    ServiceError::new(
        "MissingParameter",
        format!("The request must contain the parameter {name}."),
    )
}

fn field<'a>(input: &'a Value, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|v| !v.is_null())
}

/// A scalar as text (strings as they are, numbers and booleans printed).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn opt_str(input: &Value, name: &str) -> Result<Option<String>, ServiceError> {
    match field(input, name) {
        None => Ok(None),
        Some(v) => scalar_text(v)
            .map(Some)
            .ok_or_else(|| invalid(format!("Value for parameter {name} is invalid."))),
    }
}

pub(crate) fn req_str(input: &Value, name: &str) -> Result<String, ServiceError> {
    opt_str(input, name)?.ok_or_else(|| missing(name))
}

/// An integer member; a string holding an integer is accepted.
pub(crate) fn opt_int(input: &Value, name: &str) -> Result<Option<i64>, ServiceError> {
    let Some(v) = field(input, name) else {
        return Ok(None);
    };
    let parsed = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    parsed.map(Some).ok_or_else(|| {
        invalid(format!(
            "Value {} for parameter {name} is invalid. Reason: Must be an integer.",
            scalar_text(v).unwrap_or_default()
        ))
    })
}

/// A list of strings (a lone string counts as a one-element list).
pub(crate) fn str_list(input: &Value, name: &str) -> Vec<String> {
    match field(input, name) {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A map of strings, in the order given.
pub(crate) fn str_map(input: &Value, name: &str) -> Result<Vec<(String, String)>, ServiceError> {
    match field(input, name) {
        None => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                scalar_text(v)
                    .map(|s| (k.clone(), s))
                    .ok_or_else(|| invalid(format!("Value for parameter {name}.{k} is invalid.")))
            })
            .collect(),
        Some(_) => Err(invalid(format!("Value for parameter {name} is invalid."))),
    }
}

/// A list of objects (batch entries).
pub(crate) fn entries<'a>(input: &'a Value, name: &str) -> Vec<&'a Value> {
    match field(input, name) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

/// An integer member that must lie in `min..=max`, with AWS's
/// `Value {v} for parameter {name} is invalid. Reason: {reason}` message.
pub(crate) fn int_in_range(
    input: &Value,
    name: &str,
    min: i64,
    max: i64,
    reason: &str,
) -> Result<Option<i64>, ServiceError> {
    match opt_int(input, name)? {
        Some(v) if v < min || v > max => Err(invalid(format!(
            "Value {v} for parameter {name} is invalid. Reason: {reason}"
        ))),
        other => Ok(other),
    }
}
