//! Queue operations: lifecycle, attributes, tags, permissions.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrybridge_engine::sqs::{is_valid_queue_name, Queue, QueueKey, SqsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{
    int_in_range, invalid, missing, opt_str, req_str, service_error, str_list, str_map,
};
use crate::url::{queue_url, QueueUrlStyle};
use crate::{empty, resolve_queue};

const MAX_TAGS: usize = 50;

/// AWS's text for a tag key out of 1-128 characters; it names no key (an AWS-run client test
/// pins it for an empty key in TagQueue, moto for an empty key list in UntagQueue).
const TAG_KEY_LENGTH_MESSAGE: &str = "Tag keys must be between 1 and 128 characters in length.";

fn valid_tag_key(k: &str) -> bool {
    (1..=128).contains(&k.chars().count())
}

/// Tags of a CreateQueue or TagQueue request; `queue` names the queue in AWS's message for too
/// many tags.
fn validate_tags(queue: &str, tags: &[(String, String)]) -> Result<(), ServiceError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("Too many tags added for queue {queue}.")));
    }
    for (k, v) in tags {
        if !valid_tag_key(k) {
            return Err(invalid(TAG_KEY_LENGTH_MESSAGE));
        }
        if v.chars().count() > 256 {
            return Err(invalid(format!(
                "Tag value for key {k} is invalid. Tag values must be at most 256 characters in length."
            )));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(format!(
                "Tag key {k} is invalid. Tag keys must not start with aws:."
            )));
        }
    }
    Ok(())
}

pub(crate) fn create_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
    style: QueueUrlStyle,
) -> Result<Value, ServiceError> {
    // A missing or empty name is not MissingParameter on AWS (validated against AWS by
    // LocalStack's request-validation tests).
    let name = opt_str(input, "QueueName")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            invalid("Value for parameter QueueName is invalid. Reason: Must specify a queue name.")
        })?;
    let attributes = str_map(input, "Attributes")?;
    let tags = str_map(input, "tags")?;
    validate_tags(&name, &tags)?;
    let key = QueueKey::new(&ctx.account_id, &ctx.region, name);
    let (queue, _) = engine
        .create_queue(key, &attributes, &tags)
        .map_err(service_error)?;
    Ok(json!({ "QueueUrl": queue_url(style, ctx, queue.key()) }))
}

pub(crate) fn delete_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    engine.delete_queue(queue.key()).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn get_queue_url(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
    style: QueueUrlStyle,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "QueueName")?;
    let owner = opt_str(input, "QueueOwnerAWSAccountId")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ctx.account_id.clone());
    let queue = engine
        .queue(&QueueKey::new(owner, &ctx.region, name))
        .map_err(service_error)?;
    Ok(json!({ "QueueUrl": queue_url(style, ctx, queue.key()) }))
}

/// One page of queue URLs: `MaxResults` 1-1000 with `NextToken`, or the first 1000 without.
fn paginate(
    style: QueueUrlStyle,
    ctx: &RequestContext,
    queues: Vec<std::sync::Arc<Queue>>,
    input: &Value,
    urls_member: &str,
    always_list: bool,
) -> Result<Value, ServiceError> {
    let max = int_in_range(
        input,
        "MaxResults",
        1,
        1000,
        "MaxResults must be an integer between 1 and 1000.",
    )?;
    let after = match opt_str(input, "NextToken")?.filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => Some(
            STANDARD
                .decode(token.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid("Invalid NextToken value."))?,
        ),
    };
    let remaining: Vec<_> = queues
        .into_iter()
        .filter(|q| after.as_deref().is_none_or(|a| q.name() > a))
        .collect();
    let page_size = max.unwrap_or(1000) as usize;
    let more = max.is_some() && remaining.len() > page_size;
    let page: Vec<_> = remaining.into_iter().take(page_size).collect();
    let mut out = Map::new();
    if !page.is_empty() || always_list {
        let urls: Vec<Value> = page
            .iter()
            .map(|q| Value::String(queue_url(style, ctx, q.key())))
            .collect();
        out.insert(urls_member.to_string(), Value::Array(urls));
    }
    if more {
        if let Some(last) = page.last() {
            out.insert(
                "NextToken".into(),
                Value::String(STANDARD.encode(last.name().as_bytes())),
            );
        }
    }
    Ok(Value::Object(out))
}

pub(crate) fn list_queues(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
    style: QueueUrlStyle,
) -> Result<Value, ServiceError> {
    let prefix = opt_str(input, "QueueNamePrefix")?.unwrap_or_default();
    let queues = engine.list_queues(&ctx.account_id, &ctx.region, &prefix);
    paginate(style, ctx, queues, input, "QueueUrls", false)
}

pub(crate) fn list_dead_letter_source_queues(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
    style: QueueUrlStyle,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let sources = engine.dead_letter_source_queues(&queue);
    paginate(style, ctx, sources, input, "queueUrls", true)
}

pub(crate) fn get_queue_attributes(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let names = str_list(input, "AttributeNames");
    if names.is_empty() {
        return Ok(empty());
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let values = queue.get_attributes(&names).map_err(service_error)?;
    if values.is_empty() {
        return Ok(empty());
    }
    let map: Map<String, Value> = values
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(json!({ "Attributes": map }))
}

pub(crate) fn set_queue_attributes(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    // `FifoQueue` is judged by the engine: unknown on a standard queue, `true` accepted and
    // `false` refused (the type cannot change) on a FIFO queue, as on AWS.
    let attributes = str_map(input, "Attributes")?;
    if attributes.is_empty() {
        // AWS names the Query form of the member (validated against AWS by LocalStack).
        return Err(ServiceError::new(
            "MissingParameter",
            "The request must contain the parameter Attribute.Name.",
        ));
    }
    engine
        .set_queue_attributes(
            &queue,
            attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn purge_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    queue.purge().map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn tag_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let tags = str_map(input, "Tags")?;
    if tags.is_empty() {
        return Err(missing("Tags"));
    }
    validate_tags(queue.name(), &tags)?;
    queue.tag(&tags, MAX_TAGS).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn untag_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    // An empty key list is refused like an empty key (over Query an empty list arrives as one
    // empty key).
    let keys = str_list(input, "TagKeys");
    if keys.is_empty() || !keys.iter().all(|k| valid_tag_key(k)) {
        return Err(invalid(TAG_KEY_LENGTH_MESSAGE));
    }
    queue.untag(&keys);
    Ok(empty())
}

pub(crate) fn list_queue_tags(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let tags = queue.tags();
    if tags.is_empty() {
        return Ok(empty());
    }
    let map: Map<String, Value> = tags
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(json!({ "Tags": map }))
}

/// Actions `AddPermission` accepts (without the `SQS:` prefix).
const PERMISSION_ACTIONS: &[&str] = &[
    "*",
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ListQueueTags",
    "SendMessageBatch",
    "DeleteMessageBatch",
    "ChangeMessageVisibilityBatch",
    "StartMessageMoveTask",
    "ListMessageMoveTasks",
    "CancelMessageMoveTask",
];

pub(crate) fn add_permission(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let label = req_str(input, "Label")?;
    if !is_valid_queue_name(&label) {
        return Err(invalid(format!(
            "Value {label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."
        )));
    }
    // No principal is AWS's PrincipalId error, not MissingParameter (moto pins the text). Over
    // Query an empty list arrives as one empty id.
    let accounts = str_list(input, "AWSAccountIds");
    if accounts.iter().all(String::is_empty) {
        return Err(invalid(
            "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.",
        ));
    }
    let actions = str_list(input, "Actions");
    if actions.is_empty() {
        return Err(missing("Actions"));
    }
    if actions.len() > 7 {
        return Err(ServiceError::new(
            "OverLimit",
            format!(
                "{} Actions were found, maximum allowed is 7.",
                actions.len()
            ),
        ));
    }
    for a in &actions {
        if !PERMISSION_ACTIONS.contains(&a.as_str()) {
            return Err(invalid(format!(
                "Value SQS:{a} for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. "
            )));
        }
    }
    queue
        .add_permission(&label, &accounts, &actions)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn remove_permission(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let queue = resolve_queue(engine, ctx, input)?;
    let label = req_str(input, "Label")?;
    queue.remove_permission(&label).map_err(service_error)?;
    Ok(empty())
}
