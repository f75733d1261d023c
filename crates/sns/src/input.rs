//! Reading the decoded input `Value` (keys = SNS model member names) with AWS's messages.

use ferrybridge_engine::sns::SnsError;
use ferrybridge_protocol::value::field;
pub(crate) use ferrybridge_protocol::value::{entries, scalar_text, str_list};
use ferrybridge_protocol::ServiceError;
use serde_json::Value;

/// The engine's error as the protocol layer's.
pub(crate) fn service_error(e: SnsError) -> ServiceError {
    ServiceError::new(e.code(), e.message().to_owned())
}

/// AWS's request-layer error for a missing required member (`Value null at 'topicArn'`).
pub(crate) fn missing(name: &str) -> ServiceError {
    let camel = ferrybridge_protocol::value::validation_name(name);
    ServiceError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value null at '{camel}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

pub(crate) fn invalid(what: &str) -> ServiceError {
    service_error(SnsError::invalid(what))
}

pub(crate) fn opt_str(input: &Value, name: &str) -> Result<Option<String>, ServiceError> {
    match field(input, name) {
        None => Ok(None),
        Some(v) => scalar_text(v).map(Some).ok_or_else(|| invalid(name)),
    }
}

pub(crate) fn req_str(input: &Value, name: &str) -> Result<String, ServiceError> {
    opt_str(input, name)?.ok_or_else(|| missing(name))
}

pub(crate) fn opt_bool(input: &Value, name: &str) -> Result<Option<bool>, ServiceError> {
    match field(input, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid(name)),
    }
}

/// A string-to-string map, in the order given.
pub(crate) fn str_map(input: &Value, name: &str) -> Result<Vec<(String, String)>, ServiceError> {
    match field(input, name) {
        None => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let text = if v.is_null() {
                    Some(String::new())
                } else {
                    scalar_text(v)
                };
                text.map(|s| (k.clone(), s)).ok_or_else(|| invalid(name))
            })
            .collect(),
        Some(_) => Err(invalid(name)),
    }
}

/// A `TagList`: `[{Key, Value}]`.
pub(crate) fn tags(input: &Value, name: &str) -> Result<Vec<(String, String)>, ServiceError> {
    match field(input, name) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                let key = t
                    .get("Key")
                    .and_then(scalar_text)
                    .ok_or_else(|| missing("Tags.member.Key"))?;
                let value = t
                    .get("Value")
                    .and_then(scalar_text)
                    .ok_or_else(|| missing("Tags.member.Value"))?;
                Ok((key, value))
            })
            .collect(),
        Some(_) => Err(invalid(name)),
    }
}
