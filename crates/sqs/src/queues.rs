//! Queue operations: lifecycle, attributes, tags, permissions.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrybridge_api::sqs::{
    AddPermissionRequest, CreateQueueRequest, CreateQueueResult, DeleteQueueRequest,
    GetQueueAttributesRequest, GetQueueAttributesResult, GetQueueUrlRequest, GetQueueUrlResult,
    ListDeadLetterSourceQueuesRequest, ListDeadLetterSourceQueuesResult, ListQueueTagsRequest,
    ListQueueTagsResult, ListQueuesRequest, ListQueuesResult, PurgeQueueRequest,
    RemovePermissionRequest, SetQueueAttributesRequest, TagQueueRequest, UntagQueueRequest,
};
use ferrybridge_api::Entries;
use ferrybridge_engine::sqs::{is_valid_queue_name, Queue, QueueKey, SqsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{int_in_range, invalid, missing, required, service_error};
use crate::resolve_queue;
use crate::url::{queue_url, QueueUrlStyle};

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
    input: CreateQueueRequest,
    style: QueueUrlStyle,
) -> Result<CreateQueueResult, ServiceError> {
    // A missing or empty name is not MissingParameter on AWS (validated against AWS by
    // LocalStack's request-validation tests).
    let name = input.queue_name.filter(|n| !n.is_empty()).ok_or_else(|| {
        invalid("Value for parameter QueueName is invalid. Reason: Must specify a queue name.")
    })?;
    let attributes = input.attributes.unwrap_or_default().0;
    let tags = input.tags.unwrap_or_default().0;
    validate_tags(&name, &tags)?;
    let key = QueueKey::new(&ctx.account_id, &ctx.region, name);
    let (queue, _) = engine
        .create_queue(key, &attributes, &tags)
        .map_err(service_error)?;
    Ok(CreateQueueResult {
        queue_url: Some(queue_url(style, ctx, queue.key())),
    })
}

pub(crate) fn delete_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: DeleteQueueRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    engine.delete_queue(queue.key()).map_err(service_error)
}

pub(crate) fn get_queue_url(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: GetQueueUrlRequest,
    style: QueueUrlStyle,
) -> Result<GetQueueUrlResult, ServiceError> {
    let name = required(input.queue_name, "QueueName")?;
    let owner = input
        .queue_owner_aws_account_id
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ctx.account_id.clone());
    let queue = engine
        .queue(&QueueKey::new(owner, &ctx.region, name))
        .map_err(service_error)?;
    Ok(GetQueueUrlResult {
        queue_url: Some(queue_url(style, ctx, queue.key())),
    })
}

/// One page of queue URLs: `MaxResults` 1-1000 with `NextToken`, or the first 1000 without.
/// Answers the page's URLs and the next token.
fn paginate(
    style: QueueUrlStyle,
    ctx: &RequestContext,
    queues: Vec<std::sync::Arc<Queue>>,
    max_results: Option<i32>,
    next_token: Option<String>,
) -> Result<(Vec<String>, Option<String>), ServiceError> {
    let max = int_in_range(
        max_results,
        "MaxResults",
        1,
        1000,
        "MaxResults must be an integer between 1 and 1000.",
    )?;
    let after = match next_token.filter(|t| !t.is_empty()) {
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
    let next = page
        .last()
        .filter(|_| more)
        .map(|last| STANDARD.encode(last.name().as_bytes()));
    let urls = page
        .iter()
        .map(|q| queue_url(style, ctx, q.key()))
        .collect();
    Ok((urls, next))
}

pub(crate) fn list_queues(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: ListQueuesRequest,
    style: QueueUrlStyle,
) -> Result<ListQueuesResult, ServiceError> {
    let prefix = input.queue_name_prefix.unwrap_or_default();
    let queues = engine.list_queues(&ctx.account_id, &ctx.region, &prefix);
    let (urls, next_token) = paginate(style, ctx, queues, input.max_results, input.next_token)?;
    Ok(ListQueuesResult {
        queue_urls: (!urls.is_empty()).then_some(urls),
        next_token,
    })
}

pub(crate) fn list_dead_letter_source_queues(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: ListDeadLetterSourceQueuesRequest,
    style: QueueUrlStyle,
) -> Result<ListDeadLetterSourceQueuesResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let sources = engine.dead_letter_source_queues(&queue);
    let (queue_urls, next_token) =
        paginate(style, ctx, sources, input.max_results, input.next_token)?;
    Ok(ListDeadLetterSourceQueuesResult {
        queue_urls,
        next_token,
    })
}

pub(crate) fn get_queue_attributes(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: GetQueueAttributesRequest,
) -> Result<GetQueueAttributesResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let names = input.attribute_names.unwrap_or_default();
    if names.is_empty() {
        return Ok(GetQueueAttributesResult::default());
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let values = queue.get_attributes(&names).map_err(service_error)?;
    Ok(GetQueueAttributesResult {
        attributes: (!values.is_empty()).then(|| values.into_iter().collect()),
    })
}

pub(crate) fn set_queue_attributes(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: SetQueueAttributesRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    // `FifoQueue` is judged by the engine: unknown on a standard queue, `true` accepted and
    // `false` refused (the type cannot change) on a FIFO queue, as on AWS.
    let attributes = input.attributes.unwrap_or_default();
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
        .map_err(service_error)
}

pub(crate) fn purge_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: PurgeQueueRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    queue.purge().map_err(service_error)
}

pub(crate) fn tag_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: TagQueueRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let tags = input.tags.unwrap_or_default().0;
    if tags.is_empty() {
        return Err(missing("Tags"));
    }
    validate_tags(queue.name(), &tags)?;
    queue.tag(&tags, MAX_TAGS).map_err(service_error)
}

pub(crate) fn untag_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: UntagQueueRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    // An empty key list is refused like an empty key (over Query an empty list arrives as one
    // empty key).
    let keys = input.tag_keys.unwrap_or_default();
    if keys.is_empty() || !keys.iter().all(|k| valid_tag_key(k)) {
        return Err(invalid(TAG_KEY_LENGTH_MESSAGE));
    }
    queue.untag(&keys);
    Ok(())
}

pub(crate) fn list_queue_tags(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: ListQueueTagsRequest,
) -> Result<ListQueueTagsResult, ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let tags = queue.tags();
    Ok(ListQueueTagsResult {
        tags: (!tags.is_empty()).then(|| tags.into_iter().collect::<Entries<String>>()),
    })
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
    input: AddPermissionRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let label = required(input.label, "Label")?;
    if !is_valid_queue_name(&label) {
        return Err(invalid(format!(
            "Value {label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."
        )));
    }
    // No principal is AWS's PrincipalId error, not MissingParameter (moto pins the text). Over
    // Query an empty list arrives as one empty id.
    let accounts = input.aws_account_ids.unwrap_or_default();
    if accounts.iter().all(String::is_empty) {
        return Err(invalid(
            "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.",
        ));
    }
    let actions = input.actions.unwrap_or_default();
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
        .map_err(service_error)
}

pub(crate) fn remove_permission(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: RemovePermissionRequest,
) -> Result<(), ServiceError> {
    let queue = resolve_queue(engine, ctx, input.queue_url)?;
    let label = required(input.label, "Label")?;
    queue.remove_permission(&label).map_err(service_error)
}
