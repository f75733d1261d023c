//! What the operations share to read their typed inputs. SNS checks required members itself
//! (the generated SNS inputs have every member optional, see `ferrybridge-codegen`), in the
//! order and words AWS uses: `ValidationError` for an absent member (`Value null at
//! 'topicArn'`), `InvalidParameter` for a value SNS refuses.

use ferrybridge_api::{ConversionError, Entries};
use ferrybridge_engine::sns::SnsError;
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

/// A member SNS requires: absent is `ValidationError` (see [`missing`]).
pub(crate) fn required<T>(value: Option<T>, name: &str) -> Result<T, ServiceError> {
    value.ok_or_else(|| missing(name))
}

/// A member whose value has the wrong type: `Invalid parameter: {member}`, naming the
/// operation's member (`Attributes`, not `Attributes.Policy`), as SNS's readers always did.
pub(crate) fn conversion_error(error: ConversionError) -> ServiceError {
    match error {
        ConversionError::Missing { member } => missing(&member),
        ConversionError::Invalid { member, .. } => {
            invalid(member.split('.').next().unwrap_or(&member))
        }
    }
}

/// A string-to-string map, in the order given (absent: empty).
pub(crate) fn str_map(map: Option<Entries<String>>) -> Vec<(String, String)> {
    map.map(|m| m.0).unwrap_or_default()
}

/// A `TagList`: every tag needs its `Key` and its `Value`.
pub(crate) fn tags(
    tags: Option<Vec<ferrybridge_api::sns::Tag>>,
) -> Result<Vec<(String, String)>, ServiceError> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| {
            let key = required(t.key, "Tags.member.Key")?;
            let value = required(t.value, "Tags.member.Value")?;
            Ok((key, value))
        })
        .collect()
}

/// The maps whose entries may come without a value (Query's `entry.N.key` alone decodes to
/// `null`): SNS reads such an entry as an empty string (`Attributes`) or an attribute without
/// members (`MessageAttributes`, refused for its missing `DataType`), where the typed
/// conversion would leave it out. Filled in before the conversion.
pub(crate) fn fill_valueless_entries(operation: &str, input: &mut Value) {
    fn fill(map: Option<&mut Value>, with: &Value) {
        if let Some(Value::Object(entries)) = map {
            for v in entries.values_mut().filter(|v| v.is_null()) {
                *v = with.clone();
            }
        }
    }
    let empty_text = Value::String(String::new());
    let empty_structure = Value::Object(serde_json::Map::new());
    match operation {
        "Publish" => fill(input.get_mut("MessageAttributes"), &empty_structure),
        "PublishBatch" => match input.get_mut("PublishBatchRequestEntries") {
            Some(Value::Array(list)) => {
                for entry in list {
                    fill(entry.get_mut("MessageAttributes"), &empty_structure);
                }
            }
            Some(entry) => fill(entry.get_mut("MessageAttributes"), &empty_structure),
            None => {}
        },
        "SetSMSAttributes" => fill(input.get_mut("attributes"), &empty_text),
        _ => fill(input.get_mut("Attributes"), &empty_text),
    }
}
