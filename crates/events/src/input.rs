//! What the operations share to read their typed inputs: the engine's errors as the protocol
//! layer's, the bus and rule an input names, tags. Types, required members, lengths and
//! patterns are checked against the model before an operation runs (AWS's
//! `ValidationException` texts).

use std::sync::Arc;

use ferrybridge_api::events::Tag;
use ferrybridge_api::Timestamp;
use ferrybridge_engine::events::{EventBus, EventsEngine, EventsError, Rule};
use ferrybridge_protocol::RequestContext;
use ferrybridge_protocol::ServiceError;

/// The engine's error as the protocol layer's.
pub(crate) fn service_error(e: EventsError) -> ServiceError {
    ServiceError::new(e.code(), e.message().to_owned())
}

pub(crate) fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::new("ValidationException", message.into())
}

/// `Tags`: `{Key, Value}` pairs, in order. Duplicate keys are refused as AWS does.
pub(crate) fn tags(tags: Option<Vec<Tag>>) -> Result<Vec<(String, String)>, ServiceError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for Tag { key, value } in tags.unwrap_or_default() {
        if out.iter().any(|(k, _)| *k == key) {
            return Err(validation(
                "Invalid parameter: Duplicated keys are not allowed.",
            ));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// A `Limit` member as a page size (negative ones were refused by the model's range).
pub(crate) fn limit(limit: Option<i32>) -> Option<usize> {
    limit.map(|n| usize::try_from(n).unwrap_or(0))
}

/// A timestamp member in milliseconds since the epoch (before 1970 = 0).
pub(crate) fn time_ms(t: Timestamp) -> u64 {
    if t.0 > 0.0 {
        (t.0 * 1000.0) as u64
    } else {
        0
    }
}

/// Milliseconds since the epoch as a timestamp member (JSON 1.1 answers epoch seconds).
pub(crate) fn timestamp(ms: u64) -> Timestamp {
    Timestamp(ms as f64 / 1000.0)
}

/// The bus named by `name` (a name or an ARN; absent = `default`).
pub(crate) fn bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    name: Option<&str>,
) -> Result<Arc<EventBus>, ServiceError> {
    e.bus(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)
}

/// The rule `name` on the bus named by `bus_name`.
pub(crate) fn rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    bus_name: Option<&str>,
    name: &str,
) -> Result<Arc<Rule>, ServiceError> {
    bus(e, ctx, bus_name)?.rule(name).map_err(service_error)
}
