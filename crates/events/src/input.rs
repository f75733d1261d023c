//! Reading the decoded input `Value` (keys = EventBridge model member names). Types, required
//! members, lengths and patterns are checked against the model before an operation runs
//! (AWS's `ValidationException` texts); what is left here is reading values out.

use std::sync::Arc;

use ferrybridge_engine::events::{EventBus, EventsEngine, EventsError, Rule};
use ferrybridge_protocol::value::{field, scalar_text};
use ferrybridge_protocol::RequestContext;
use ferrybridge_protocol::ServiceError;
use serde_json::Value;

/// The engine's error as the protocol layer's.
pub(crate) fn service_error(e: EventsError) -> ServiceError {
    ServiceError::new(e.code(), e.message().to_owned())
}

pub(crate) fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::new("ValidationException", message.into())
}

pub(crate) fn opt_str<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    field(input, name).and_then(Value::as_str)
}

pub(crate) fn req_str<'a>(input: &'a Value, name: &str) -> Result<&'a str, ServiceError> {
    opt_str(input, name).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            ferrybridge_protocol::value::validation_name(name)
        ))
    })
}

pub(crate) fn opt_bool(input: &Value, name: &str) -> bool {
    field(input, name).and_then(Value::as_bool).unwrap_or(false)
}

pub(crate) fn opt_usize(input: &Value, name: &str) -> Option<usize> {
    field(input, name)
        .and_then(Value::as_u64)
        .map(|n| n as usize)
}

/// `Tags`: a list of `{Key, Value}`, in order. Duplicate keys are refused as AWS does.
pub(crate) fn tags(input: &Value) -> Result<Vec<(String, String)>, ServiceError> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(Value::Array(items)) = field(input, "Tags") {
        for item in items {
            let key = item.get("Key").and_then(scalar_text).unwrap_or_default();
            let value = item.get("Value").and_then(scalar_text).unwrap_or_default();
            if out.iter().any(|(k, _)| *k == key) {
                return Err(validation(
                    "Invalid parameter: Duplicated keys are not allowed.",
                ));
            }
            out.push((key, value));
        }
    }
    Ok(out)
}

/// A timestamp member in milliseconds since the epoch (JSON 1.1 sends epoch seconds).
pub(crate) fn opt_time_ms(input: &Value, name: &str) -> Option<u64> {
    match field(input, name)? {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| *s >= 0.0)
            .map(|s| (s * 1000.0) as u64),
        Value::String(s) => ferrybridge_protocol::timestamp::parse(s)
            .filter(|secs| *secs >= 0.0)
            .map(|secs| (secs * 1000.0) as u64),
        _ => None,
    }
}

/// Epoch seconds with milliseconds, as JSON 1.1 answers timestamps.
pub(crate) fn epoch_seconds(ms: u64) -> Value {
    serde_json::Number::from_f64(ms as f64 / 1000.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The bus named by the member `member` (a name or an ARN; absent = `default`).
pub(crate) fn bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
    member: &str,
) -> Result<Arc<EventBus>, ServiceError> {
    e.bus(&ctx.account_id, &ctx.region, opt_str(input, member))
        .map_err(service_error)
}

/// The rule named by the member `member`, on the bus named by `EventBusName`.
pub(crate) fn rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
    member: &str,
) -> Result<Arc<Rule>, ServiceError> {
    let name = req_str(input, member)?;
    bus(e, ctx, input, "EventBusName")?
        .rule(name)
        .map_err(service_error)
}
