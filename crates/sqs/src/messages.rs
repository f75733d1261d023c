//! Message operations: send, receive, delete, visibility (single and batch).

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrybridge_engine::sqs::message::{
    is_valid_char, md5_of_attributes, md5_of_body, INVALID_CHARACTERS_MESSAGE,
};
use ferrybridge_engine::sqs::{
    AttributePayload, MessageAttributeValue, NewMessage, Queue, ReceiveOptions, SendResult,
    SqsEngine,
};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{
    entries, int_in_range, invalid, missing, opt_int, opt_str, req_str, scalar_text, service_error,
    str_list,
};
use crate::{empty, resolve_queue};

const MAX_BATCH_ENTRIES: usize = 10;
const MAX_MESSAGE_ATTRIBUTES: usize = 10;
/// Largest total payload of a `SendMessageBatch`.
const MAX_BATCH_BYTES: usize = 1_048_576;

fn invalid_contents() -> ServiceError {
    ServiceError::new("InvalidMessageContents", INVALID_CHARACTERS_MESSAGE)
}

fn validate_attribute_name(name: &str) -> Result<(), ServiceError> {
    if name.is_empty() {
        return Err(invalid("The message attribute name must not be empty."));
    }
    if name.len() > 256 {
        return Err(invalid(
            "Message (user) attribute names must be shorter than 256 Bytes",
        ));
    }
    // Letters and digits of any script count as alphanumeric: AWS accepts `attr.1øßä`.
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(invalid(format!(
            "Message (user) attribute '{name}' can only contain upper and lower score characters, digits, periods, hyphens and underscores."
        )));
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("aws.")
        || lower.starts_with("amazon.")
        || name.starts_with('.')
        || name.ends_with('.')
        || name.contains("..")
    {
        return Err(invalid(format!(
            "Message (user) attribute name '{name}' is invalid. You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use. Additionally, they cannot start or end with '.' or contain successive periods."
        )));
    }
    Ok(())
}

fn is_number(s: &str) -> bool {
    let t = s.trim();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    digits > 0 && digits <= 38 && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Parses one `MessageAttributeValue` structure.
fn parse_attribute_value(name: &str, v: &Value) -> Result<MessageAttributeValue, ServiceError> {
    let data_type = v
        .get("DataType")
        .and_then(scalar_text)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            invalid(format!(
                "The message attribute '{name}' must contain non-empty message attribute type."
            ))
        })?;
    if data_type.len() > 256 {
        return Err(invalid(
            "Message (user) attribute types must be shorter than 256 Bytes",
        ));
    }
    let base = data_type.split('.').next().unwrap_or("");
    // AWS's wording for a missing or empty value.
    let empty_value = || {
        invalid(format!(
            "Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
        ))
    };
    match base {
        "String" | "Number" => {
            let value = v
                .get("StringValue")
                .and_then(scalar_text)
                .filter(|s| !s.is_empty())
                .ok_or_else(empty_value)?;
            if !value.chars().all(is_valid_char) {
                return Err(invalid(INVALID_CHARACTERS_MESSAGE));
            }
            if base == "Number" && !is_number(&value) {
                return Err(invalid(format!(
                    "Can't cast the value of message (user) attribute '{name}' to a number."
                )));
            }
            Ok(MessageAttributeValue::string(data_type, value))
        }
        "Binary" => {
            let encoded = v
                .get("BinaryValue")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(empty_value)?;
            let bytes = STANDARD.decode(encoded.trim()).map_err(|_| {
                invalid(format!(
                    "The message attribute '{name}' has an invalid binary value."
                ))
            })?;
            if bytes.is_empty() {
                return Err(empty_value());
            }
            Ok(MessageAttributeValue::binary(data_type, bytes))
        }
        _ => Err(invalid(format!(
            "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        ))),
    }
}

fn parse_message_attributes(
    input: &Value,
) -> Result<Vec<(String, MessageAttributeValue)>, ServiceError> {
    let Some(Value::Object(map)) = input.get("MessageAttributes") else {
        return Ok(Vec::new());
    };
    if map.len() > MAX_MESSAGE_ATTRIBUTES {
        return Err(invalid(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}].",
            map.len()
        )));
    }
    map.iter()
        .map(|(name, v)| {
            validate_attribute_name(name)?;
            Ok((name.clone(), parse_attribute_value(name, v)?))
        })
        .collect()
}

fn parse_trace_header(input: &Value) -> Result<Option<String>, ServiceError> {
    let Some(Value::Object(map)) = input.get("MessageSystemAttributes") else {
        return Ok(None);
    };
    let mut trace = None;
    for (name, v) in map {
        if name != "AWSTraceHeader" {
            return Err(invalid(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        let value = parse_attribute_value(name, v)?;
        match (value.data_type.as_str(), value.value) {
            ("String", AttributePayload::String(s)) => trace = Some(s),
            _ => {
                return Err(invalid(
                    "The message system attribute 'AWSTraceHeader' must be of type String.",
                ))
            }
        }
    }
    Ok(trace)
}

/// Size of an entry for `BatchRequestTooLong`: body plus attribute names, types and values.
fn entry_size(entry: &Value) -> usize {
    let body = entry
        .get("MessageBody")
        .and_then(Value::as_str)
        .map_or(0, str::len);
    let attrs = match entry.get("MessageAttributes") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let t = v
                    .get("DataType")
                    .and_then(Value::as_str)
                    .map_or(0, str::len);
                let s = v
                    .get("StringValue")
                    .and_then(Value::as_str)
                    .map_or(0, str::len);
                let b = v
                    .get("BinaryValue")
                    .and_then(Value::as_str)
                    .map_or(0, |b| b.len() / 4 * 3);
                k.len() + t + s + b
            })
            .sum(),
        _ => 0,
    };
    body + attrs
}

/// `MessageGroupId` / `MessageDeduplicationId`: 1-128 alphanumeric or punctuation characters.
fn fifo_id(input: &Value, name: &str) -> Result<Option<String>, ServiceError> {
    let Some(id) = opt_str(input, name)? else {
        return Ok(None);
    };
    let valid = (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(invalid(format!(
            "Value {id} for parameter {name} is invalid. Reason: {name} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        )));
    }
    Ok(Some(id))
}

/// Validates one message (single send or batch entry) and stores it.
fn send_one(
    queue: &Queue,
    ctx: &RequestContext,
    input: &Value,
) -> Result<SendResult, ServiceError> {
    let body = opt_str(input, "MessageBody")?
        .filter(|b| !b.is_empty())
        .ok_or_else(|| missing("MessageBody"))?;
    if !body.chars().all(is_valid_char) {
        return Err(invalid_contents());
    }
    let delay = match opt_int(input, "DelaySeconds")? {
        Some(d) if !(0..=900).contains(&d) => {
            return Err(invalid(format!(
                "Value {d} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
            )))
        }
        other => other.map(|d| d as u32),
    };
    let message_group_id = fifo_id(input, "MessageGroupId")?;
    let message_deduplication_id = fifo_id(input, "MessageDeduplicationId")?;
    let attributes = parse_message_attributes(input)?;
    // The `AWSTraceHeader` message system attribute overrides the request's
    // `X-Amzn-Trace-Id` header, which applies to every message of the request (AWS X-Ray
    // developer guide, "Amazon SQS and AWS X-Ray").
    let aws_trace_header = parse_trace_header(input)?.or_else(|| ctx.trace_header.clone());
    queue
        .send(NewMessage {
            body,
            attributes,
            aws_trace_header,
            delay_seconds: delay,
            sender_id: ctx.account_id.clone(),
            message_group_id,
            message_deduplication_id,
        })
        .map_err(service_error)
}

fn send_result_fields(out: &mut Map<String, Value>, r: SendResult) {
    out.insert("MD5OfMessageBody".into(), Value::String(r.md5_of_body));
    if let Some(md5) = r.md5_of_attributes {
        out.insert("MD5OfMessageAttributes".into(), Value::String(md5));
    }
    if let Some(md5) = r.md5_of_system_attributes {
        out.insert("MD5OfMessageSystemAttributes".into(), Value::String(md5));
    }
    out.insert("MessageId".into(), Value::String(r.message_id));
    if let Some(seq) = r.sequence_number {
        out.insert("SequenceNumber".into(), Value::String(seq));
    }
}

pub(crate) fn send_message(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let result = send_one(&queue, ctx, input)?;
    let mut out = Map::new();
    send_result_fields(&mut out, result);
    Ok(Value::Object(out))
}

/// Batch-level checks shared by the three batch operations: entry count, ids.
fn check_batch(entries: &[&Value], entry_shape: &str) -> Result<Vec<String>, ServiceError> {
    if entries.is_empty() {
        return Err(ServiceError::new(
            "EmptyBatchRequest",
            format!("There should be at least one {entry_shape} in the request."),
        ));
    }
    if entries.len() > MAX_BATCH_ENTRIES {
        return Err(ServiceError::new(
            "TooManyEntriesInBatchRequest",
            format!(
                "Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {}.",
                entries.len()
            ),
        ));
    }
    let mut ids = Vec::with_capacity(entries.len());
    let mut seen = HashSet::new();
    for entry in entries {
        let id = req_str(entry, "Id")?;
        if id.is_empty()
            || id.len() > 80
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ServiceError::new(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(ServiceError::new(
                "BatchEntryIdsNotDistinct",
                format!("Id {id} repeated."),
            ));
        }
        ids.push(id);
    }
    Ok(ids)
}

fn failed_entry(id: &str, e: ServiceError) -> Value {
    let sender_fault = e.code != "InternalFailure";
    json!({
        "Id": id,
        "SenderFault": sender_fault,
        "Code": e.code,
        "Message": e.message,
    })
}

/// On a FIFO queue AWS fails the whole batch, not the entry, when an entry lacks its
/// deduplication id (without content-based deduplication) or its group id, both as
/// InvalidParameterValue (recorded against AWS in LocalStack's snapshots).
fn check_fifo_batch(queue: &Queue, entries: &[&Value]) -> Result<(), ServiceError> {
    let attrs = queue.attributes();
    if !attrs.fifo_queue {
        return Ok(());
    }
    let present = |entry: &Value, name: &str| matches!(opt_str(entry, name), Ok(Some(ref v)) if !v.is_empty());
    for entry in entries {
        if !attrs.content_based_deduplication && !present(entry, "MessageDeduplicationId") {
            return Err(invalid(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
        if !present(entry, "MessageGroupId") {
            return Err(invalid(
                "The request must contain the parameter MessageGroupId.",
            ));
        }
    }
    Ok(())
}

pub(crate) fn send_message_batch(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let list = entries(input, "Entries");
    let ids = check_batch(&list, "SendMessageBatchRequestEntry")?;
    check_fifo_batch(&queue, &list)?;
    let total: usize = list.iter().map(|e| entry_size(e)).sum();
    if total > MAX_BATCH_BYTES {
        return Err(ServiceError::new(
            "BatchRequestTooLong",
            format!(
                "Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            ),
        ));
    }
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for (entry, id) in list.iter().zip(&ids) {
        // An entry without a body fails on its own with `EmptyValue`, where a lone
        // SendMessage is `MissingParameter` (as an AWS-run client test records).
        let body_missing = matches!(
            opt_str(entry, "MessageBody"),
            Ok(ref b) if b.as_deref().is_none_or(str::is_empty)
        );
        if body_missing {
            failed.push(failed_entry(
                id,
                ServiceError::new(
                    "EmptyValue",
                    "The request must contain the parameter MessageBody.",
                ),
            ));
            continue;
        }
        match send_one(&queue, ctx, entry) {
            Ok(r) => {
                let mut out = Map::new();
                out.insert("Id".into(), Value::String(id.clone()));
                send_result_fields(&mut out, r);
                successful.push(Value::Object(out));
            }
            Err(e) => failed.push(failed_entry(id, e)),
        }
    }
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

/// Which message attribute names a receiver asked for.
struct NameFilter {
    all: bool,
    exact: Vec<String>,
    prefixes: Vec<String>,
}

impl NameFilter {
    fn new(names: &[String]) -> Self {
        let mut f = NameFilter {
            all: false,
            exact: Vec::new(),
            prefixes: Vec::new(),
        };
        for n in names {
            // `*` selects everything too, and `Hel.*` selects both `Hello` and `Help.Me`: the
            // prefix is the text before `.*`, without the period (as recorded against AWS).
            if n == "All" || n == ".*" || n == "*" {
                f.all = true;
            } else if let Some(p) = n.strip_suffix(".*") {
                f.prefixes.push(p.to_string());
            } else {
                f.exact.push(n.clone());
            }
        }
        f
    }

    fn matches(&self, name: &str) -> bool {
        self.all
            || self.exact.iter().any(|e| e == name)
            || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }
}

fn attribute_value_json(v: &MessageAttributeValue) -> Value {
    match &v.value {
        AttributePayload::String(s) => json!({ "StringValue": s, "DataType": v.data_type }),
        AttributePayload::Binary(b) => {
            json!({ "BinaryValue": STANDARD.encode(b), "DataType": v.data_type })
        }
    }
}

pub(crate) async fn receive_message(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let max = int_in_range(
        input,
        "MaxNumberOfMessages",
        1,
        10,
        "Must be between 1 and 10, if provided.",
    )?;
    let visibility = int_in_range(
        input,
        "VisibilityTimeout",
        0,
        43_200,
        "Must be >= 0 and <= 43200, if provided.",
    )?;
    let wait = int_in_range(
        input,
        "WaitTimeSeconds",
        0,
        20,
        "Must be >= 0 and <= 20, if provided.",
    )?;
    let mut system_names = str_list(input, "AttributeNames");
    system_names.extend(str_list(input, "MessageSystemAttributeNames"));
    let system_all = system_names.iter().any(|n| n == "All");
    let wants = |n: &str| system_all || system_names.iter().any(|s| s == n);
    let attribute_filter = NameFilter::new(&str_list(input, "MessageAttributeNames"));
    let attempt_id = fifo_id(input, "ReceiveRequestAttemptId")?;

    let received = queue
        .receive(ReceiveOptions {
            max_messages: max.unwrap_or(1) as usize,
            visibility_timeout: visibility.map(|v| v as u32),
            wait_seconds: wait.map(|w| w as u32),
            attempt_id,
        })
        .await;
    if received.is_empty() {
        return Ok(empty());
    }
    let messages: Vec<Value> = received
        .into_iter()
        .map(|r| {
            let m = &r.message;
            let mut out = Map::new();
            out.insert("MessageId".into(), Value::String(m.message_id()));
            out.insert(
                "ReceiptHandle".into(),
                Value::String(r.receipt_handle.clone()),
            );
            out.insert("MD5OfBody".into(), Value::String(md5_of_body(&m.body)));
            out.insert("Body".into(), Value::String(m.body.to_string()));
            let mut attrs = Map::new();
            if wants("SenderId") {
                attrs.insert("SenderId".into(), Value::String(m.sender_id.to_string()));
            }
            if wants("ApproximateFirstReceiveTimestamp") {
                attrs.insert(
                    "ApproximateFirstReceiveTimestamp".into(),
                    Value::String(m.first_receive_ms.to_string()),
                );
            }
            if wants("ApproximateReceiveCount") {
                attrs.insert(
                    "ApproximateReceiveCount".into(),
                    Value::String(m.receive_count.to_string()),
                );
            }
            if wants("SentTimestamp") {
                attrs.insert("SentTimestamp".into(), Value::String(m.sent_ms.to_string()));
            }
            if let Some(source) = m
                .dead_letter_source_arn()
                .filter(|_| wants("DeadLetterQueueSourceArn"))
            {
                attrs.insert(
                    "DeadLetterQueueSourceArn".into(),
                    Value::String(source.to_string()),
                );
            }
            if let Some(trace) = m.aws_trace_header().filter(|_| wants("AWSTraceHeader")) {
                attrs.insert("AWSTraceHeader".into(), Value::String(trace.to_string()));
            }
            if let Some(extra) = m.extra.as_deref() {
                if let Some(seq) = extra
                    .sequence_number
                    .as_ref()
                    .filter(|_| wants("SequenceNumber"))
                {
                    attrs.insert("SequenceNumber".into(), Value::String(seq.clone()));
                }
                if let Some(id) = extra
                    .message_deduplication_id
                    .as_ref()
                    .filter(|_| wants("MessageDeduplicationId"))
                {
                    attrs.insert("MessageDeduplicationId".into(), Value::String(id.clone()));
                }
                if let Some(group) = extra
                    .message_group_id
                    .as_ref()
                    .filter(|_| wants("MessageGroupId"))
                {
                    attrs.insert("MessageGroupId".into(), Value::String(group.to_string()));
                }
            }
            if !attrs.is_empty() {
                out.insert("Attributes".into(), Value::Object(attrs));
            }
            let selected: Vec<&(String, MessageAttributeValue)> = m
                .attributes()
                .iter()
                .filter(|(n, _)| attribute_filter.matches(n))
                .collect();
            if !selected.is_empty() {
                out.insert(
                    "MD5OfMessageAttributes".into(),
                    Value::String(md5_of_attributes(
                        selected.iter().map(|(n, v)| (n.as_str(), v)),
                    )),
                );
                let map: Map<String, Value> = selected
                    .iter()
                    .map(|(n, v)| (n.clone(), attribute_value_json(v)))
                    .collect();
                out.insert("MessageAttributes".into(), Value::Object(map));
            }
            Value::Object(out)
        })
        .collect();
    Ok(json!({ "Messages": messages }))
}

fn receipt_handle(input: &Value) -> Result<String, ServiceError> {
    opt_str(input, "ReceiptHandle")?
        .filter(|h| !h.is_empty())
        .ok_or_else(|| missing("ReceiptHandle"))
}

pub(crate) fn delete_message(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let handle = receipt_handle(input)?;
    queue.delete_message(&handle).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn delete_message_batch(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    per_entry(input, "DeleteMessageBatchRequestEntry", |entry| {
        receipt_handle(entry).and_then(|h| queue.delete_message(&h).map_err(service_error))
    })
}

/// Runs a batch whose entries succeed with just their `Id` (delete, change visibility):
/// the batch is validated as a whole, then each entry fails or succeeds on its own.
fn per_entry(
    input: &Value,
    entry_shape: &str,
    mut op: impl FnMut(&Value) -> Result<(), ServiceError>,
) -> Result<Value, ServiceError> {
    let list = entries(input, "Entries");
    let ids = check_batch(&list, entry_shape)?;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for (entry, id) in list.iter().zip(&ids) {
        match op(entry) {
            Ok(()) => successful.push(json!({ "Id": id })),
            Err(e) => failed.push(failed_entry(id, e)),
        }
    }
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

fn change_one(queue: &Queue, input: &Value) -> Result<(), ServiceError> {
    let handle = receipt_handle(input)?;
    let timeout = int_in_range(
        input,
        "VisibilityTimeout",
        0,
        43_200,
        "Must be between 0 and 43200, if provided.",
    )?
    .ok_or_else(|| missing("VisibilityTimeout"))?;
    queue
        .change_visibility(&handle, timeout as u32)
        .map_err(service_error)
}

pub(crate) fn change_message_visibility(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    change_one(&queue, input)?;
    Ok(empty())
}

pub(crate) fn change_message_visibility_batch(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    per_entry(input, "ChangeMessageVisibilityBatchRequestEntry", |entry| {
        change_one(&queue, entry)
    })
}
