//! `Publish` and `PublishBatch`: message attributes with AWS's validation, targets (topic,
//! platform endpoint, phone number), and handing the deliveries to the background workers.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrybridge_api::sns::{
    BatchResultErrorEntry, MessageAttributeValue as AttributeInput, PublishBatchInput,
    PublishBatchRequestEntry, PublishBatchResponse, PublishBatchResultEntry, PublishInput as Input,
    PublishResponse,
};
use ferrybridge_api::Entries;
use ferrybridge_engine::sns::publish::{is_valid_string_array, MAX_MESSAGE_BYTES};
use ferrybridge_engine::sns::{mobile, PublishInput, Recorded, SnsEngine, SnsError};
use ferrybridge_engine::sqs::{MessageAttributeValue, MessageAttributes};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::delivery::Deliverer;
use crate::input::{invalid, missing, required, service_error};
use crate::subscriptions::base_url;

const MAX_BATCH_ENTRIES: usize = 10;

fn value_invalid(message: String) -> ServiceError {
    service_error(SnsError::InvalidParameterValue(message))
}

/// The reserved attributes AWS documents for SMS (the mobile push ones are every
/// `AWS.SNS.MOBILE.*`); any other name starting with `AWS.` or `Amazon.` is refused.
const RESERVED_SMS_ATTRIBUTES: &[&str] = &[
    "AWS.SNS.SMS.SenderID",
    "AWS.SNS.SMS.MaxPrice",
    "AWS.SNS.SMS.SMSType",
    "AWS.MM.SMS.EntityId",
    "AWS.MM.SMS.TemplateId",
    "AWS.MM.SMS.OriginationNumber",
];

/// Whether `name` starts with `AWS.` or `Amazon.` in any case and is not an attribute AWS
/// reserves for its own use.
fn is_reserved_name(name: &str) -> bool {
    let prefixed = |prefix: &str| {
        name.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    (prefixed("AWS.") || prefixed("Amazon."))
        && !name.starts_with("AWS.SNS.MOBILE.")
        && !RESERVED_SMS_ATTRIBUTES.contains(&name)
}

fn check_attribute_name(name: &str) -> Result<(), ServiceError> {
    if is_reserved_name(name) {
        // AWS's text as reported from the service (aws/aws-sdk-js#3110).
        return Err(value_invalid(
            "Message attribute names starting with 'AWS.' or 'Amazon.' are reserved for use by Amazon."
                .into(),
        ));
    }
    if name.len() > 256 {
        return Err(value_invalid(
            "Length of message attribute name must be less than 256 bytes.".into(),
        ));
    }
    if name.starts_with('.') {
        return Err(value_invalid(
            "Invalid message attribute name starting with character '.' was found.".into(),
        ));
    }
    if name.ends_with('.') {
        return Err(value_invalid(
            "Invalid message attribute name ending with character '.' was found.".into(),
        ));
    }
    let mut previous = ' ';
    for c in name.chars() {
        if !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
            return Err(value_invalid(format!(
                "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
                c as u32
            )));
        }
        if c == '.' && previous == '.' {
            return Err(value_invalid(
                "Message attribute name can not have successive '.' character.".into(),
            ));
        }
        previous = c;
    }
    Ok(())
}

/// Parses and validates `MessageAttributes`. `position` is the 1-based batch entry.
pub(crate) fn parse_attributes(
    attributes: Option<Entries<AttributeInput>>,
    position: Option<usize>,
) -> Result<MessageAttributes, ServiceError> {
    let Some(map) = attributes else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, v) in map {
        check_attribute_name(&name)?;
        let Some(data_type) = v.data_type else {
            let at = match position {
                Some(p) => format!(
                    "publishBatchRequestEntries.{p}.member.messageAttributes.{name}.member.dataType"
                ),
                None => format!("messageAttributes.{name}.member.dataType"),
            };
            return Err(ServiceError::new(
                "ValidationError",
                format!("1 validation error detected: Value null at '{at}' failed to satisfy constraint: Member must not be null"),
            ));
        };
        let base = data_type.split('.').next().unwrap_or("");
        if !matches!(base, "String" | "Number" | "Binary") || data_type.len() > 256 {
            return Err(value_invalid(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let string_value = v.string_value;
        let binary_value = v.binary_value.map(|b| b.0);
        if string_value.is_none() && binary_value.is_none() {
            return Err(value_invalid(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
            )));
        }
        let field = if base == "Binary" { "Binary" } else { "String" };
        let value = if base == "Binary" {
            let Some(encoded) = binary_value else {
                return Err(value_invalid(format!(
                    "The message attribute '{name}' with type '{data_type}' must use field '{field}'."
                )));
            };
            let bytes = STANDARD.decode(encoded.trim()).map_err(|_| {
                value_invalid(format!(
                    "The message attribute '{name}' has an invalid binary value."
                ))
            })?;
            if bytes.is_empty() {
                return Err(value_invalid(format!(
                    "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
                )));
            }
            MessageAttributeValue::binary(data_type.clone(), bytes)
        } else {
            let Some(s) = string_value else {
                return Err(value_invalid(format!(
                    "The message attribute '{name}' with type '{data_type}' must use field '{field}'."
                )));
            };
            if s.is_empty() {
                return Err(value_invalid(format!(
                    "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
                )));
            }
            if base == "Number" && !is_number(&s) {
                return Err(value_invalid(format!(
                    "Could not cast message attribute '{name}' value to number."
                )));
            }
            if data_type == "String.Array" && !is_valid_string_array(&s) {
                // Best wording: no public recording of AWS's text for this case.
                return Err(value_invalid(format!(
                    "The message attribute '{name}' with type 'String.Array' has an invalid value: it must be a JSON array of strings, numbers, booleans or nulls."
                )));
            }
            MessageAttributeValue::string(data_type.clone(), s)
        };
        out.push((name, value));
    }
    Ok(out)
}

fn is_number(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// The members a message has, in `Publish` and in each `PublishBatch` entry.
struct MessageInput {
    message: Option<String>,
    subject: Option<String>,
    message_structure: Option<String>,
    message_attributes: Option<Entries<AttributeInput>>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

fn publish_input(
    ctx: &RequestContext,
    input: MessageInput,
    position: Option<usize>,
) -> Result<PublishInput, ServiceError> {
    Ok(PublishInput {
        message: required(input.message, "Message")?,
        subject: input.subject,
        structure_json: match input.message_structure.as_deref() {
            None => false,
            Some("json") => true,
            Some(_) => return Err(invalid("MessageStructure")),
        },
        attributes: parse_attributes(input.message_attributes, position)?,
        message_group_id: input.message_group_id,
        message_deduplication_id: input.message_deduplication_id,
        trace_header: ctx.trace_header.clone(),
    })
}

fn record_direct(
    e: &SnsEngine,
    ctx: &RequestContext,
    protocol: &str,
    endpoint: &str,
    n: &ferrybridge_engine::sns::Notification,
    message: &str,
) {
    e.record(Recorded {
        account_id: ctx.account_id.clone(),
        region: ctx.region.clone(),
        protocol: protocol.to_owned(),
        endpoint: endpoint.to_owned(),
        topic_arn: None,
        subscription_arn: None,
        message_id: n.message_id.clone(),
        subject: n.subject.clone(),
        message: message.to_owned(),
        attributes: n.attributes.clone(),
        timestamp_ms: n.timestamp_ms,
    });
}

pub(crate) fn publish(
    e: &SnsEngine,
    d: &Deliverer,
    ctx: &RequestContext,
    input: Input,
) -> Result<PublishResponse, ServiceError> {
    let topic_arn = input.topic_arn.filter(|s| !s.is_empty());
    let target_arn = input.target_arn.filter(|s| !s.is_empty());
    let phone = input.phone_number.filter(|s| !s.is_empty());
    let targets = [&topic_arn, &target_arn, &phone]
        .iter()
        .filter(|t| t.is_some())
        .count();
    if targets == 0 {
        return Err(invalid(
            "TopicArn or TargetArn Reason: no value for required parameter",
        ));
    }
    if targets > 1 {
        // Best wording: AWS names the conflicting parameters.
        return Err(invalid(
            "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
        ));
    }
    let message = MessageInput {
        message: input.message,
        subject: input.subject,
        message_structure: input.message_structure,
        message_attributes: input.message_attributes,
        message_deduplication_id: input.message_deduplication_id,
        message_group_id: input.message_group_id,
    };
    let msg = publish_input(ctx, message, None)?;
    if let Some(phone) = phone {
        if !mobile::is_e164(&phone) {
            return Err(invalid(&format!(
                "PhoneNumber Reason: {phone} is not valid to publish to"
            )));
        }
        let n = e.direct_message(&phone, msg, true).map_err(service_error)?;
        let opted_out = e.is_opted_out(&ctx.account_id, &ctx.region, &phone);
        if !opted_out {
            let text = n
                .message_for(ferrybridge_engine::sns::Protocol::Sms)
                .to_owned();
            record_direct(e, ctx, "sms", &phone, &n, &text);
        }
        return Ok(PublishResponse {
            message_id: Some(n.message_id),
            sequence_number: None,
        });
    }
    let arn = topic_arn.or(target_arn).unwrap_or_default();
    let is_endpoint = ferrybridge_engine::sns::arn::parse(&arn)
        .is_some_and(|a| a.resource.starts_with("endpoint/"));
    if is_endpoint {
        let endpoint = e.platform_endpoint(&arn).map_err(|err| match err {
            SnsError::NotFound(_) => {
                invalid("TargetArn Reason: No endpoint found for the target arn specified")
            }
            other => service_error(other),
        })?;
        if !endpoint.is_enabled() {
            return Err(service_error(SnsError::EndpointDisabled(
                "Endpoint is disabled".into(),
            )));
        }
        let n = e.direct_message(&arn, msg, false).map_err(service_error)?;
        let platform = endpoint
            .arn
            .split(":endpoint/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("")
            .to_owned();
        let text = n
            .per_protocol
            .as_ref()
            .and_then(|m| m.get(&platform).or_else(|| m.get("default")))
            .cloned()
            .unwrap_or_else(|| n.message.clone());
        record_direct(e, ctx, "application", &arn, &n, &text);
        return Ok(PublishResponse {
            message_id: Some(n.message_id),
            sequence_number: None,
        });
    }
    let topic = e.topic(&ctx.region, &arn).map_err(service_error)?;
    let base = base_url(ctx);
    let published = e
        .publish(&topic, msg, |deliveries| {
            d.dispatch(deliveries, base.clone())
        })
        .map_err(service_error)?;
    Ok(PublishResponse {
        message_id: Some(published.message_id),
        sequence_number: published.sequence_number,
    })
}

/// The Query code of an error shape (`InvalidParameterException` -> `InvalidParameter`).
fn batch_code(err: &ServiceError) -> String {
    match err.code.as_ref() {
        "InvalidParameterValueException" => "ParameterValueInvalid".into(),
        other => other.strip_suffix("Exception").unwrap_or(other).to_owned(),
    }
}

fn valid_entry_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(crate) fn publish_batch(
    e: &SnsEngine,
    d: &Deliverer,
    ctx: &RequestContext,
    input: PublishBatchInput,
) -> Result<PublishBatchResponse, ServiceError> {
    let topic_arn = required(input.topic_arn, "TopicArn")?;
    let Some(list) = input.publish_batch_request_entries else {
        return Err(missing("PublishBatchRequestEntries"));
    };
    if list.is_empty() {
        return Err(service_error(SnsError::EmptyBatchRequest(
            "The batch request doesn't contain any entries.".into(),
        )));
    }
    if list.len() > MAX_BATCH_ENTRIES {
        return Err(service_error(SnsError::TooManyEntriesInBatchRequest(
            "The batch request contains more entries than permissible.".into(),
        )));
    }
    let topic = e.topic(&ctx.region, &topic_arn).map_err(service_error)?;
    let mut ids = HashSet::new();
    let mut parsed = Vec::with_capacity(list.len());
    let mut total = 0usize;
    for (i, entry) in list.into_iter().enumerate() {
        let PublishBatchRequestEntry {
            id,
            message,
            subject,
            message_structure,
            message_attributes,
            message_deduplication_id,
            message_group_id,
        } = entry;
        let id = required(id, "Id")?;
        if id.len() > 80 {
            return Err(service_error(SnsError::InvalidBatchEntryId(format!(
                "The Id of a batch entry in the batch request is too long: {id}"
            ))));
        }
        if !valid_entry_id(&id) {
            return Err(service_error(SnsError::InvalidBatchEntryId(format!(
                "The Id of a batch entry in the batch request contains an impermissible character: {id}"
            ))));
        }
        if !ids.insert(id.clone()) {
            return Err(service_error(SnsError::BatchEntryIdsNotDistinct(
                "Two or more batch entries in the request have the same Id.".into(),
            )));
        }
        let message = MessageInput {
            message,
            subject,
            message_structure,
            message_attributes,
            message_deduplication_id,
            message_group_id,
        };
        let msg = publish_input(ctx, message, Some(i + 1))?;
        if topic.is_fifo() && msg.message_group_id.is_none() {
            return Err(invalid(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        // AWS refuses the whole batch for an entry that cannot be deduplicated (recorded:
        // LocalStack's test_publish_batch_exceptions, "no-dedup-id").
        if topic.is_fifo()
            && msg.message_deduplication_id.is_none()
            && !topic.attributes().content_based_deduplication
        {
            return Err(invalid(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
        total += msg.size();
        parsed.push((id, msg));
    }
    if total > MAX_MESSAGE_BYTES {
        return Err(service_error(SnsError::BatchRequestTooLong(
            "The length of all the messages put together is more than the limit.".into(),
        )));
    }
    // So does an entry whose `MessageStructure=json` message is malformed (recorded:
    // "no-default-key-json"); other message errors (an empty message...) stay per entry.
    for (_, msg) in parsed.iter().filter(|(_, m)| m.structure_json) {
        if let Err(err) = ferrybridge_engine::sns::publish::check_message(msg, true) {
            if err.message().contains("Message Structure") {
                return Err(service_error(err));
            }
        }
    }
    let base = base_url(ctx);
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for (id, msg) in parsed {
        let b = base.clone();
        match e.publish(&topic, msg, |deliveries| d.dispatch(deliveries, b.clone())) {
            Ok(p) => successful.push(PublishBatchResultEntry {
                id: Some(id),
                message_id: Some(p.message_id),
                sequence_number: p.sequence_number,
            }),
            Err(err) => {
                let err = service_error(err);
                failed.push(BatchResultErrorEntry {
                    id,
                    code: batch_code(&err),
                    message: Some(err.message),
                    sender_fault: true,
                });
            }
        }
    }
    Ok(PublishBatchResponse {
        successful: Some(successful),
        failed: Some(failed),
    })
}
