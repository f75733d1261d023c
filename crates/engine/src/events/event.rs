//! Events: a `PutEvents` entry checked as AWS checks it, and the envelope EventBridge wraps it in.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::rule::Rule;
use super::target::Target;

/// Largest total size of the entries of one `PutEvents` request (AWS's calculation).
pub const MAX_PUT_EVENTS_BYTES: usize = 256 * 1024;

/// One `PutEventsRequestEntry`, as decoded.
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub source: Option<String>,
    pub detail_type: Option<String>,
    pub detail: Option<String>,
    pub resources: Vec<String>,
    /// `Time` in milliseconds since the epoch.
    pub time_ms: Option<u64>,
    pub event_bus_name: Option<String>,
    pub trace_header: Option<String>,
}

impl EntryInput {
    /// The entry's size as AWS counts it against the 256 KB limit: 14 bytes for a `Time`, plus
    /// the UTF-8 bytes of Source, DetailType, Detail and each resource.
    pub fn size(&self) -> usize {
        let text = |s: &Option<String>| s.as_deref().map_or(0, str::len);
        self.time_ms.map_or(0, |_| 14)
            + text(&self.source)
            + text(&self.detail_type)
            + text(&self.detail)
            + self.resources.iter().map(String::len).sum::<usize>()
    }
}

/// Why one entry of `PutEvents` was refused (its `ErrorCode` and `ErrorMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub code: &'static str,
    pub message: String,
}

impl EntryError {
    fn required(field: &str) -> Self {
        EntryError {
            code: "InvalidArgument",
            message: format!(
                "Parameter {field} is not valid. Reason: {field} is a required argument."
            ),
        }
    }
}

/// Checks an entry and parses its `Detail` (which must be a JSON object).
pub fn check_entry(entry: &EntryInput) -> Result<Map<String, Value>, EntryError> {
    if entry.source.as_deref().is_none_or(str::is_empty) {
        return Err(EntryError::required("Source"));
    }
    if entry.detail_type.as_deref().is_none_or(str::is_empty) {
        return Err(EntryError::required("DetailType"));
    }
    let Some(detail) = entry.detail.as_deref().filter(|d| !d.is_empty()) else {
        return Err(EntryError::required("Detail"));
    };
    match serde_json::from_str::<Value>(detail) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(EntryError {
            code: "MalformedDetail",
            message: "Detail is malformed.".into(),
        }),
    }
}

/// An event as EventBridge delivers it.
#[derive(Debug)]
pub struct Event {
    pub id: String,
    /// `{"version", "id", "detail-type", "source", "account", "time", "region", "resources",
    /// "detail"}` in AWS's order (plus `replay-name` for replayed events).
    pub envelope: Value,
    /// The envelope as JSON text (what a target without input settings receives).
    pub json: String,
    /// When EventBridge took the event in (ms since the epoch).
    pub ingestion_ms: u64,
    pub trace_header: Option<String>,
    /// How many bus-to-bus hops brought the event here (0 = put on this bus).
    pub hops: u8,
}

impl Event {
    /// Wraps `envelope` (already in AWS's field order).
    pub fn new(envelope: Value, ingestion_ms: u64, trace_header: Option<String>, hops: u8) -> Self {
        let id = envelope
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let json = envelope.to_string();
        Event {
            id,
            envelope,
            json,
            ingestion_ms,
            trace_header,
            hops,
        }
    }
}

/// Builds the envelope of an event put on a bus in `account`/`region`.
#[allow(clippy::too_many_arguments)]
pub fn envelope(
    id: &str,
    detail_type: &str,
    source: &str,
    account: &str,
    time_ms: u64,
    region: &str,
    resources: &[String],
    detail: Value,
) -> Value {
    let mut map = Map::with_capacity(9);
    map.insert("version".into(), Value::from("0"));
    map.insert("id".into(), Value::from(id));
    map.insert("detail-type".into(), Value::from(detail_type));
    map.insert("source".into(), Value::from(source));
    map.insert("account".into(), Value::from(account));
    map.insert("time".into(), Value::from(format_time(time_ms)));
    map.insert("region".into(), Value::from(region));
    map.insert(
        "resources".into(),
        Value::Array(resources.iter().map(|r| Value::from(r.as_str())).collect()),
    );
    map.insert("detail".into(), detail);
    Value::Object(map)
}

/// `2024-01-01T00:00:00Z`: the `time` of an event (whole seconds, UTC).
pub fn format_time(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// One target's share of one event: what the delivery workers carry out.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub event: Arc<Event>,
    pub rule: Arc<Rule>,
    pub target: Arc<Target>,
    /// Account and region of the bus the rule is on.
    pub account_id: String,
    pub region: String,
}
