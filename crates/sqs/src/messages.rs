//! Message operations: send, receive, delete, visibility (single and batch).

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrybridge_api::sqs::{
    self as api, BatchResultErrorEntry, ChangeMessageVisibilityBatchRequest,
    ChangeMessageVisibilityBatchResult, ChangeMessageVisibilityBatchResultEntry,
    ChangeMessageVisibilityRequest, DeleteMessageBatchRequest, DeleteMessageBatchResult,
    DeleteMessageBatchResultEntry, DeleteMessageRequest, ReceiveMessageRequest,
    ReceiveMessageResult, SendMessageBatchRequest, SendMessageBatchRequestEntry,
    SendMessageBatchResult, SendMessageBatchResultEntry, SendMessageRequest, SendMessageResult,
};
use ferrybridge_api::{Blob, Entries};
use ferrybridge_engine::sqs::message::{
    is_valid_char, md5_of_attributes, md5_of_body, INVALID_CHARACTERS_MESSAGE,
};
use ferrybridge_engine::sqs::{
    AttributePayload, MessageAttributeValue, NewMessage, Queue, ReceiveOptions, SendResult,
    SqsEngine,
};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{int_in_range, invalid, missing, required, service_error};
use crate::resolve_queue;

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

/// The members of a `MessageAttributeValue` or `MessageSystemAttributeValue` that SQS reads.
struct AttributeInput<'a> {
    data_type: Option<&'a str>,
    string_value: Option<&'a str>,
    binary_value: Option<&'a str>,
}

impl<'a> From<&'a api::MessageAttributeValue> for AttributeInput<'a> {
    fn from(v: &'a api::MessageAttributeValue) -> Self {
        AttributeInput {
            data_type: v.data_type.as_deref(),
            string_value: v.string_value.as_deref(),
            binary_value: v.binary_value.as_ref().map(|b| b.0.as_str()),
        }
    }
}

impl<'a> From<&'a api::MessageSystemAttributeValue> for AttributeInput<'a> {
    fn from(v: &'a api::MessageSystemAttributeValue) -> Self {
        AttributeInput {
            data_type: v.data_type.as_deref(),
            string_value: v.string_value.as_deref(),
            binary_value: v.binary_value.as_ref().map(|b| b.0.as_str()),
        }
    }
}

/// Parses one message attribute value.
fn parse_attribute_value(
    name: &str,
    v: AttributeInput<'_>,
) -> Result<MessageAttributeValue, ServiceError> {
    let data_type = v
        .data_type
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
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
                .string_value
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
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
                .binary_value
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
    attributes: Option<&Entries<api::MessageAttributeValue>>,
) -> Result<Vec<(String, MessageAttributeValue)>, ServiceError> {
    let Some(map) = attributes else {
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
            Ok((name.clone(), parse_attribute_value(name, v.into())?))
        })
        .collect()
}

fn parse_trace_header(
    attributes: Option<&Entries<api::MessageSystemAttributeValue>>,
) -> Result<Option<String>, ServiceError> {
    let Some(map) = attributes else {
        return Ok(None);
    };
    let mut trace = None;
    for (name, v) in map.iter() {
        if name != "AWSTraceHeader" {
            return Err(invalid(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        let value = parse_attribute_value(name, v.into())?;
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

/// One message to send: a `SendMessage` request or a `SendMessageBatch` entry.
struct Outgoing {
    body: Option<String>,
    delay_seconds: Option<i32>,
    message_attributes: Option<Entries<api::MessageAttributeValue>>,
    message_system_attributes: Option<Entries<api::MessageSystemAttributeValue>>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

impl From<SendMessageBatchRequestEntry> for Outgoing {
    fn from(e: SendMessageBatchRequestEntry) -> Self {
        Outgoing {
            body: e.message_body,
            delay_seconds: e.delay_seconds,
            message_attributes: e.message_attributes,
            message_system_attributes: e.message_system_attributes,
            message_deduplication_id: e.message_deduplication_id,
            message_group_id: e.message_group_id,
        }
    }
}

impl Outgoing {
    /// Size for `BatchRequestTooLong`: body plus attribute names, types and values.
    fn size(&self) -> usize {
        let body = self.body.as_deref().map_or(0, str::len);
        let attrs: usize = self.message_attributes.as_ref().map_or(0, |map| {
            map.iter()
                .map(|(k, v)| {
                    let t = v.data_type.as_deref().map_or(0, str::len);
                    let s = v.string_value.as_deref().map_or(0, str::len);
                    let b = v.binary_value.as_ref().map_or(0, |b| b.0.len() / 4 * 3);
                    k.len() + t + s + b
                })
                .sum()
        });
        body + attrs
    }
}

/// `MessageGroupId` / `MessageDeduplicationId`: 1-128 alphanumeric or punctuation characters.
fn fifo_id(id: Option<String>, name: &str) -> Result<Option<String>, ServiceError> {
    let Some(id) = id else {
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
fn send_one(queue: &Queue, ctx: &RequestContext, m: Outgoing) -> Result<SendResult, ServiceError> {
    let body = m
        .body
        .filter(|b| !b.is_empty())
        .ok_or_else(|| missing("MessageBody"))?;
    if !body.chars().all(is_valid_char) {
        return Err(invalid_contents());
    }
    let delay = match m.delay_seconds {
        Some(d) if !(0..=900).contains(&d) => {
            return Err(invalid(format!(
                "Value {d} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
            )))
        }
        other => other.map(|d| d as u32),
    };
    let message_group_id = fifo_id(m.message_group_id, "MessageGroupId")?;
    let message_deduplication_id = fifo_id(m.message_deduplication_id, "MessageDeduplicationId")?;
    let attributes = parse_message_attributes(m.message_attributes.as_ref())?;
    // The `AWSTraceHeader` message system attribute overrides the request's
    // `X-Amzn-Trace-Id` header, which applies to every message of the request (AWS X-Ray
    // developer guide, "Amazon SQS and AWS X-Ray").
    let aws_trace_header = parse_trace_header(m.message_system_attributes.as_ref())?
        .or_else(|| ctx.trace_header.clone());
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

pub(crate) fn send_message(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: SendMessageRequest,
) -> Result<SendMessageResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let r = send_one(
        &queue,
        ctx,
        Outgoing {
            body: input.message_body,
            delay_seconds: input.delay_seconds,
            message_attributes: input.message_attributes,
            message_system_attributes: input.message_system_attributes,
            message_deduplication_id: input.message_deduplication_id,
            message_group_id: input.message_group_id,
        },
    )?;
    Ok(SendMessageResult {
        md5_of_message_body: Some(r.md5_of_body),
        md5_of_message_attributes: r.md5_of_attributes,
        md5_of_message_system_attributes: r.md5_of_system_attributes,
        message_id: Some(r.message_id),
        sequence_number: r.sequence_number,
    })
}

/// Batch-level checks shared by the three batch operations: entry count, ids.
fn check_batch<'a>(
    ids: impl ExactSizeIterator<Item = Option<&'a String>>,
    entry_shape: &str,
) -> Result<Vec<String>, ServiceError> {
    if ids.len() == 0 {
        return Err(ServiceError::new(
            "EmptyBatchRequest",
            format!("There should be at least one {entry_shape} in the request."),
        ));
    }
    if ids.len() > MAX_BATCH_ENTRIES {
        return Err(ServiceError::new(
            "TooManyEntriesInBatchRequest",
            format!(
                "Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {}.",
                ids.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(ids.len());
    let mut seen = HashSet::new();
    for id in ids {
        let id = required(id.cloned(), "Id")?;
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
        out.push(id);
    }
    Ok(out)
}

fn failed_entry(id: &str, e: ServiceError) -> BatchResultErrorEntry {
    BatchResultErrorEntry {
        id: id.to_owned(),
        sender_fault: e.code != "InternalFailure",
        code: e.code.to_string(),
        message: Some(e.message.to_string()),
    }
}

/// On a FIFO queue AWS fails the whole batch, not the entry, when an entry lacks its
/// deduplication id (without content-based deduplication) or its group id, both as
/// InvalidParameterValue (recorded against AWS in LocalStack's snapshots).
fn check_fifo_batch(
    queue: &Queue,
    entries: &[SendMessageBatchRequestEntry],
) -> Result<(), ServiceError> {
    let attrs = queue.attributes();
    if !attrs.fifo_queue {
        return Ok(());
    }
    let present = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    for entry in entries {
        if !attrs.content_based_deduplication && !present(&entry.message_deduplication_id) {
            return Err(invalid(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
        if !present(&entry.message_group_id) {
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
    input: SendMessageBatchRequest,
) -> Result<SendMessageBatchResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let list = input.entries.unwrap_or_default();
    let ids = check_batch(
        list.iter().map(|e| e.id.as_ref()),
        "SendMessageBatchRequestEntry",
    )?;
    check_fifo_batch(&queue, &list)?;
    let outgoing: Vec<Outgoing> = list.into_iter().map(Outgoing::from).collect();
    let total: usize = outgoing.iter().map(Outgoing::size).sum();
    if total > MAX_BATCH_BYTES {
        return Err(ServiceError::new(
            "BatchRequestTooLong",
            format!(
                "Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            ),
        ));
    }
    let mut result = SendMessageBatchResult::default();
    for (entry, id) in outgoing.into_iter().zip(ids) {
        // An entry without a body fails on its own with `EmptyValue`, where a lone
        // SendMessage is `MissingParameter` (as an AWS-run client test records).
        if entry.body.as_deref().is_none_or(str::is_empty) {
            result.failed.push(failed_entry(
                &id,
                ServiceError::new(
                    "EmptyValue",
                    "The request must contain the parameter MessageBody.",
                ),
            ));
            continue;
        }
        match send_one(&queue, ctx, entry) {
            Ok(r) => result.successful.push(SendMessageBatchResultEntry {
                id,
                message_id: r.message_id,
                md5_of_message_body: r.md5_of_body,
                md5_of_message_attributes: r.md5_of_attributes,
                md5_of_message_system_attributes: r.md5_of_system_attributes,
                sequence_number: r.sequence_number,
            }),
            Err(e) => result.failed.push(failed_entry(&id, e)),
        }
    }
    Ok(result)
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

fn attribute_value(v: &MessageAttributeValue) -> api::MessageAttributeValue {
    let mut out = api::MessageAttributeValue {
        data_type: Some(v.data_type.clone()),
        ..Default::default()
    };
    match &v.value {
        AttributePayload::String(s) => out.string_value = Some(s.clone()),
        AttributePayload::Binary(b) => out.binary_value = Some(Blob(STANDARD.encode(b))),
    }
    out
}

pub(crate) async fn receive_message(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: ReceiveMessageRequest,
) -> Result<ReceiveMessageResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let max = int_in_range(
        input.max_number_of_messages,
        "MaxNumberOfMessages",
        1,
        10,
        "Must be between 1 and 10, if provided.",
    )?;
    let visibility = int_in_range(
        input.visibility_timeout,
        "VisibilityTimeout",
        0,
        43_200,
        "Must be >= 0 and <= 43200, if provided.",
    )?;
    let wait = int_in_range(
        input.wait_time_seconds,
        "WaitTimeSeconds",
        0,
        20,
        "Must be >= 0 and <= 20, if provided.",
    )?;
    let mut system_names = input.attribute_names.unwrap_or_default();
    system_names.extend(input.message_system_attribute_names.unwrap_or_default());
    let system_all = system_names.iter().any(|n| n == "All");
    let wants = |n: &str| system_all || system_names.iter().any(|s| s == n);
    let attribute_filter = NameFilter::new(&input.message_attribute_names.unwrap_or_default());
    let attempt_id = fifo_id(input.receive_request_attempt_id, "ReceiveRequestAttemptId")?;

    let received = queue
        .receive(ReceiveOptions {
            max_messages: max.unwrap_or(1) as usize,
            visibility_timeout: visibility.map(|v| v as u32),
            wait_seconds: wait.map(|w| w as u32),
            attempt_id,
        })
        .await;
    if received.is_empty() {
        return Ok(ReceiveMessageResult::default());
    }
    let messages = received
        .into_iter()
        .map(|r| {
            let m = &r.message;
            let mut attrs: Entries<String> = Entries::default();
            let mut put = |name: &str, value: String| attrs.push((name.to_owned(), value));
            if wants("SenderId") {
                put("SenderId", m.sender_id.to_string());
            }
            if wants("ApproximateFirstReceiveTimestamp") {
                put(
                    "ApproximateFirstReceiveTimestamp",
                    m.first_receive_ms.to_string(),
                );
            }
            if wants("ApproximateReceiveCount") {
                put("ApproximateReceiveCount", m.receive_count.to_string());
            }
            if wants("SentTimestamp") {
                put("SentTimestamp", m.sent_ms.to_string());
            }
            if let Some(source) = m
                .dead_letter_source_arn()
                .filter(|_| wants("DeadLetterQueueSourceArn"))
            {
                put("DeadLetterQueueSourceArn", source.to_string());
            }
            if let Some(trace) = m.aws_trace_header().filter(|_| wants("AWSTraceHeader")) {
                put("AWSTraceHeader", trace.to_string());
            }
            if let Some(extra) = m.extra.as_deref() {
                if let Some(seq) = extra
                    .sequence_number
                    .as_ref()
                    .filter(|_| wants("SequenceNumber"))
                {
                    put("SequenceNumber", seq.clone());
                }
                if let Some(id) = extra
                    .message_deduplication_id
                    .as_ref()
                    .filter(|_| wants("MessageDeduplicationId"))
                {
                    put("MessageDeduplicationId", id.clone());
                }
                if let Some(group) = extra
                    .message_group_id
                    .as_ref()
                    .filter(|_| wants("MessageGroupId"))
                {
                    put("MessageGroupId", group.to_string());
                }
            }
            let selected: Vec<&(String, MessageAttributeValue)> = m
                .attributes()
                .iter()
                .filter(|(n, _)| attribute_filter.matches(n))
                .collect();
            let (md5_of_message_attributes, message_attributes) = if selected.is_empty() {
                (None, None)
            } else {
                (
                    Some(md5_of_attributes(
                        selected.iter().map(|(n, v)| (n.as_str(), v)),
                    )),
                    Some(
                        selected
                            .iter()
                            .map(|(n, v)| (n.clone(), attribute_value(v)))
                            .collect(),
                    ),
                )
            };
            api::Message {
                message_id: Some(m.message_id()),
                receipt_handle: Some(r.receipt_handle.clone()),
                md5_of_body: Some(md5_of_body(&m.body)),
                body: Some(m.body.to_string()),
                attributes: (!attrs.is_empty()).then_some(attrs),
                md5_of_message_attributes,
                message_attributes,
            }
        })
        .collect();
    Ok(ReceiveMessageResult {
        messages: Some(messages),
    })
}

fn receipt_handle(handle: Option<String>) -> Result<String, ServiceError> {
    handle
        .filter(|h| !h.is_empty())
        .ok_or_else(|| missing("ReceiptHandle"))
}

pub(crate) fn delete_message(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: DeleteMessageRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let handle = receipt_handle(input.receipt_handle)?;
    queue.delete_message(&handle).map_err(service_error)
}

/// Runs a batch whose entries succeed with just their `Id` (delete, change visibility):
/// the batch is validated as a whole, then each entry fails or succeeds on its own. Answers
/// the ids that succeeded and the failures.
fn per_entry<E>(
    entries: Vec<E>,
    id_of: impl Fn(&E) -> Option<&String>,
    entry_shape: &str,
    mut op: impl FnMut(E) -> Result<(), ServiceError>,
) -> Result<(Vec<String>, Vec<BatchResultErrorEntry>), ServiceError> {
    let ids = check_batch(entries.iter().map(&id_of), entry_shape)?;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for (entry, id) in entries.into_iter().zip(ids) {
        match op(entry) {
            Ok(()) => successful.push(id),
            Err(e) => failed.push(failed_entry(&id, e)),
        }
    }
    Ok((successful, failed))
}

pub(crate) fn delete_message_batch(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: DeleteMessageBatchRequest,
) -> Result<DeleteMessageBatchResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let (successful, failed) = per_entry(
        input.entries.unwrap_or_default(),
        |e| e.id.as_ref(),
        "DeleteMessageBatchRequestEntry",
        |entry| {
            receipt_handle(entry.receipt_handle)
                .and_then(|h| queue.delete_message(&h).map_err(service_error))
        },
    )?;
    Ok(DeleteMessageBatchResult {
        successful: successful
            .into_iter()
            .map(|id| DeleteMessageBatchResultEntry { id })
            .collect(),
        failed,
    })
}

fn change_one(
    queue: &Queue,
    handle: Option<String>,
    timeout: Option<i32>,
) -> Result<(), ServiceError> {
    let handle = receipt_handle(handle)?;
    let timeout = int_in_range(
        timeout,
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
    input: ChangeMessageVisibilityRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    change_one(&queue, input.receipt_handle, input.visibility_timeout)
}

pub(crate) fn change_message_visibility_batch(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: ChangeMessageVisibilityBatchRequest,
) -> Result<ChangeMessageVisibilityBatchResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let (successful, failed) = per_entry(
        input.entries.unwrap_or_default(),
        |e| e.id.as_ref(),
        "ChangeMessageVisibilityBatchRequestEntry",
        |entry| change_one(&queue, entry.receipt_handle, entry.visibility_timeout),
    )?;
    Ok(ChangeMessageVisibilityBatchResult {
        successful: successful
            .into_iter()
            .map(|id| ChangeMessageVisibilityBatchResultEntry { id })
            .collect(),
        failed,
    })
}
