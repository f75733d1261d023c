//! Events: a `PutEvents` entry checked as AWS checks it, and the envelope EventBridge wraps it in.

use std::sync::Arc;

use std::sync::OnceLock;

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
///
/// The event is kept as its JSON text, which is what most targets receive and what rules are
/// matched against; the decoded envelope is made only when a target needs to look inside
/// (`InputPath`, `InputTransformer`) or the event must change (a new id across regions).
#[derive(Debug)]
pub struct Event {
    pub id: String,
    /// `{"version", "id", "detail-type", "source", "account", "time", "region", "resources",
    /// "detail"}` in AWS's order (plus `replay-name` for replayed events), as compact JSON.
    pub json: String,
    /// The `account` and `region` of the envelope: those of the original sender.
    pub account: String,
    pub region: String,
    /// When EventBridge took the event in (ms since the epoch).
    pub ingestion_ms: u64,
    pub trace_header: Option<String>,
    /// How many bus-to-bus hops brought the event here (0 = put on this bus).
    pub hops: u8,
    envelope: OnceLock<Value>,
}

impl Event {
    /// An event from its envelope's JSON text (compact, in AWS's field order) and the fields
    /// of it the engine reads.
    pub fn from_json(
        json: String,
        id: &str,
        account: &str,
        region: &str,
        ingestion_ms: u64,
        trace_header: Option<String>,
        hops: u8,
    ) -> Self {
        Event {
            id: id.to_owned(),
            json,
            account: account.to_owned(),
            region: region.to_owned(),
            ingestion_ms,
            trace_header,
            hops,
            envelope: OnceLock::new(),
        }
    }

    /// An event from its decoded envelope (already in AWS's field order).
    pub fn new(envelope: Value, ingestion_ms: u64, trace_header: Option<String>, hops: u8) -> Self {
        let field = |name: &str| {
            envelope
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let event = Event {
            id: field("id"),
            json: envelope.to_string(),
            account: field("account"),
            region: field("region"),
            ingestion_ms,
            trace_header,
            hops,
            envelope: OnceLock::new(),
        };
        let _ = event.envelope.set(envelope);
        event
    }

    /// The decoded envelope (decoded on first use).
    pub fn envelope(&self) -> &Value {
        self.envelope
            .get_or_init(|| serde_json::from_str(&self.json).unwrap_or(Value::Null))
    }
}

/// The JSON text of the envelope of an event put on a bus in `account`/`region`: the same text
/// as [`envelope`]'s value serialized, written directly.
#[allow(clippy::too_many_arguments)]
pub fn envelope_json(
    id: &str,
    detail_type: &str,
    source: &str,
    account: &str,
    time_ms: u64,
    region: &str,
    resources: &[String],
    detail: &Value,
) -> String {
    fn text(out: &mut Vec<u8>, s: &str) {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
    let mut out = Vec::with_capacity(160 + detail_type.len() + source.len() + 64 * resources.len());
    out.extend_from_slice(b"{\"version\":\"0\",\"id\":");
    text(&mut out, id);
    out.extend_from_slice(b",\"detail-type\":");
    text(&mut out, detail_type);
    out.extend_from_slice(b",\"source\":");
    text(&mut out, source);
    out.extend_from_slice(b",\"account\":");
    text(&mut out, account);
    out.extend_from_slice(b",\"time\":\"");
    out.extend_from_slice(format_time(time_ms).as_bytes());
    out.extend_from_slice(b"\",\"region\":");
    text(&mut out, region);
    out.extend_from_slice(b",\"resources\":[");
    for (i, r) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        text(&mut out, r);
    }
    out.extend_from_slice(b"],\"detail\":");
    let _ = serde_json::to_writer(&mut out, detail);
    out.push(b'}');
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// `2024-01-01T00:00:00Z`: the `time` of an event (whole seconds, UTC). Written digit by
/// digit: it is made for every event.
pub fn format_time(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut out = String::with_capacity(20);
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let year = t.year().clamp(0, 9999) as u32;
    two(&mut out, year / 100);
    two(&mut out, year % 100);
    out.push('-');
    two(&mut out, u32::from(u8::from(t.month())));
    out.push('-');
    two(&mut out, u32::from(t.day()));
    out.push('T');
    two(&mut out, u32::from(t.hour()));
    out.push(':');
    two(&mut out, u32::from(t.minute()));
    out.push(':');
    two(&mut out, u32::from(t.second()));
    out.push('Z');
    out
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
