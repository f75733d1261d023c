//! Messages as published: validation, `MessageStructure=json`, and what each subscription gets.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::error::SnsError;
use super::subscription::{Protocol, Subscription};
use crate::sqs::{AttributePayload, MessageAttributes};

/// Largest message, attributes included: 256 KiB.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// Longest `Subject`.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// A message to publish, as the client sent it (attributes already parsed).
#[derive(Debug, Clone, Default)]
pub struct PublishInput {
    pub message: String,
    pub subject: Option<String>,
    /// `MessageStructure=json`.
    pub structure_json: bool,
    pub attributes: MessageAttributes,
    pub message_group_id: Option<String>,
    pub message_deduplication_id: Option<String>,
    /// The publisher's X-Ray trace header (`X-Amzn-Trace-Id`), passed on to SQS queues as
    /// their messages' `AWSTraceHeader`.
    pub trace_header: Option<String>,
}

impl PublishInput {
    /// Bytes counted against [`MAX_MESSAGE_BYTES`]: body plus names, types and values.
    pub fn size(&self) -> usize {
        self.message.len()
            + self
                .attributes
                .iter()
                .map(|(n, v)| v.size(n))
                .sum::<usize>()
    }
}

/// A published message, shared by all its deliveries.
#[derive(Debug, Clone)]
pub struct Notification {
    pub message_id: String,
    pub topic_arn: String,
    pub subject: Option<String>,
    /// The message (the `default` entry for `MessageStructure=json`).
    pub message: String,
    /// Per-protocol messages of `MessageStructure=json`.
    pub per_protocol: Option<BTreeMap<String, String>>,
    /// Message attributes, sorted by name.
    pub attributes: MessageAttributes,
    pub timestamp_ms: u64,
    pub message_group_id: Option<String>,
    pub message_deduplication_id: Option<String>,
    /// FIFO topics.
    pub sequence_number: Option<String>,
    /// The topic's `SignatureVersion` when published.
    pub signature_version: String,
    /// The publisher's X-Ray trace header.
    pub trace_header: Option<String>,
}

impl Notification {
    /// The message text for a protocol.
    pub fn message_for(&self, protocol: Protocol) -> &str {
        self.per_protocol
            .as_ref()
            .and_then(|m| m.get(protocol.as_str()))
            .map(String::as_str)
            .unwrap_or(&self.message)
    }

    /// String-typed attributes as `(name, type, value)`, for filter policies.
    pub fn string_attributes(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.attributes.iter().filter_map(|(n, v)| match &v.value {
            AttributePayload::String(s) => Some((n.as_str(), v.data_type.as_str(), s.as_str())),
            AttributePayload::Binary(_) => None,
        })
    }
}

/// One message on its way to one subscription.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub subscription: Arc<Subscription>,
    pub notification: Arc<Notification>,
}

/// What `Publish` answers, and the deliveries it caused.
#[derive(Debug, Clone)]
pub struct Published {
    pub message_id: String,
    pub sequence_number: Option<String>,
    pub deliveries: Vec<Delivery>,
}

/// Checks the parts of a message every target shares: subject, emptiness, size, structure.
/// Returns the `default` message and per-protocol messages.
pub fn check_message(
    input: &PublishInput,
    require_default: bool,
) -> Result<(String, Option<BTreeMap<String, String>>), SnsError> {
    if let Some(subject) = &input.subject {
        let valid = !subject.is_empty()
            && subject.chars().count() <= MAX_SUBJECT_CHARS
            && subject
                .chars()
                .all(|c| c.is_ascii() && !c.is_ascii_control())
            && !subject.starts_with(' ');
        if !valid {
            return Err(SnsError::invalid("Subject"));
        }
    }
    if input.message.is_empty() {
        return Err(SnsError::invalid("Empty message"));
    }
    if input.size() > MAX_MESSAGE_BYTES {
        return Err(SnsError::invalid("Message too long"));
    }
    if !input.structure_json {
        return Ok((input.message.clone(), None));
    }
    let parsed: Value = serde_json::from_str(&input.message)
        .map_err(|_| SnsError::invalid("Message Structure - JSON message body failed to parse"))?;
    let Value::Object(map) = parsed else {
        return Err(SnsError::invalid(
            "Message Structure - JSON message body failed to parse",
        ));
    };
    // Keys with non-string values are ignored, as AWS documents.
    let per_protocol: BTreeMap<String, String> = map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect();
    let default = match per_protocol.get("default") {
        Some(d) => d.clone(),
        None if require_default => {
            return Err(SnsError::invalid(
                "Message Structure - No default entry in JSON message body",
            ))
        }
        None => String::new(),
    };
    Ok((default, Some(per_protocol)))
}

/// A `String.Array` attribute value must be a JSON array of strings, numbers, booleans or nulls.
pub fn is_valid_string_array(value: &str) -> bool {
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Array(items)) => items
            .iter()
            .all(|v| !matches!(v, Value::Array(_) | Value::Object(_))),
        _ => false,
    }
}
