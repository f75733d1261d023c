//! Reading the decoded input `Value` tolerantly: absent and `null` are the same, and a number
//! may arrive as a string (or a string attribute value as a number).

use ferrybridge_engine::sqs::SqsError;
use ferrybridge_protocol::value::field;
pub(crate) use ferrybridge_protocol::value::{entries, scalar_text, str_list};
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
