//! Topic operations: create, delete, list, attributes, tags, permissions, data protection.

use std::sync::Arc;

use ferrybridge_api::sns::{
    self as api, AddPermissionInput, CreateTopicInput, CreateTopicResponse, DeleteTopicInput,
    GetDataProtectionPolicyInput, GetDataProtectionPolicyResponse, GetTopicAttributesInput,
    GetTopicAttributesResponse, ListTagsForResourceRequest, ListTagsForResourceResponse,
    ListTopicsInput, ListTopicsResponse, PutDataProtectionPolicyInput, RemovePermissionInput,
    SetTopicAttributesInput, TagResourceRequest, TagResourceResponse, UntagResourceRequest,
    UntagResourceResponse,
};
use ferrybridge_api::Entries;
use ferrybridge_engine::sns::{delivery_policy, SnsEngine, StoredPolicy, Topic};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

use crate::input::{invalid, missing, required, service_error, str_map, tags};

/// The topic named by a required member (`TopicArn`, `ResourceArn`).
pub(crate) fn topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    arn: Option<String>,
    member: &str,
) -> Result<Arc<Topic>, ServiceError> {
    let arn = required(arn, member)?;
    e.topic(&ctx.region, &arn).map_err(service_error)
}

/// Sets `key` in `entries` (in place when present, like a JSON object's insert).
pub(crate) fn set(entries: &mut Entries<String>, key: &str, value: String) {
    match entries.0.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => entries.0.push((key.to_owned(), value)),
    }
}

pub(crate) fn create_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: CreateTopicInput,
) -> Result<CreateTopicResponse, ServiceError> {
    let name = required(input.name, "Name")?;
    let attributes = str_map(input.attributes);
    let tags = tags(input.tags)?;
    let topic = e
        .create_topic(
            &ctx.account_id,
            &ctx.region,
            &name,
            &attributes,
            &tags,
            input.data_protection_policy.as_deref(),
        )
        .map_err(service_error)?;
    Ok(CreateTopicResponse {
        topic_arn: Some(topic.arn().to_owned()),
    })
}

pub(crate) fn delete_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: DeleteTopicInput,
) -> Result<(), ServiceError> {
    let arn = required(input.topic_arn, "TopicArn")?;
    e.delete_topic(&ctx.region, &arn).map_err(service_error)?;
    Ok(())
}

pub(crate) fn list_topics(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: ListTopicsInput,
) -> Result<ListTopicsResponse, ServiceError> {
    let page = e
        .list_topics(&ctx.account_id, &ctx.region, input.next_token.as_deref())
        .map_err(service_error)?;
    let topics = page
        .items
        .iter()
        .map(|t| api::Topic {
            topic_arn: Some(t.arn().to_owned()),
        })
        .collect();
    Ok(ListTopicsResponse {
        topics: Some(topics),
        next_token: page.next_token,
    })
}

/// Every attribute AWS returns for a topic, in AWS's order.
pub(crate) fn topic_attributes(topic: &Topic) -> Entries<String> {
    let a = topic.attributes();
    let (confirmed, pending, deleted) = topic.subscription_counts();
    let mut m = Entries::default();
    let mut put = |k: &str, v: String| set(&mut m, k, v);
    put("Policy", a.policy.clone());
    put("Owner", topic.account_id().to_owned());
    put("SubscriptionsPending", pending.to_string());
    if let Some(k) = &a.kms_master_key_id {
        put("KmsMasterKeyId", k.clone());
    }
    put("TopicArn", topic.arn().to_owned());
    put(
        "EffectiveDeliveryPolicy",
        delivery_policy::effective_topic_policy(
            a.delivery_policy.as_ref().map(StoredPolicy::policy),
        ),
    );
    if let Some(d) = &a.delivery_policy {
        put("DeliveryPolicy", d.text().to_owned());
    }
    if topic.is_fifo() {
        put("FifoTopic", "true".into());
        put(
            "ContentBasedDeduplication",
            a.content_based_deduplication.to_string(),
        );
        if let Some(p) = &a.archive_policy {
            put("ArchivePolicy", p.clone());
        }
        if let Some(s) = &a.fifo_throughput_scope {
            put("FifoThroughputScope", s.clone());
        }
    }
    put("SubscriptionsConfirmed", confirmed.to_string());
    if let Some(v) = &a.signature_version {
        put("SignatureVersion", v.clone());
    }
    if let Some(t) = &a.tracing_config {
        put("TracingConfig", t.clone());
    }
    put("DisplayName", a.display_name.clone());
    for (k, v) in &a.feedback {
        put(k, v.clone());
    }
    put("SubscriptionsDeleted", deleted.to_string());
    m
}

pub(crate) fn get_topic_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: GetTopicAttributesInput,
) -> Result<GetTopicAttributesResponse, ServiceError> {
    let t = topic(e, ctx, input.topic_arn, "TopicArn")?;
    Ok(GetTopicAttributesResponse {
        attributes: Some(topic_attributes(&t)),
    })
}

pub(crate) fn set_topic_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: SetTopicAttributesInput,
) -> Result<(), ServiceError> {
    let t = topic(e, ctx, input.topic_arn, "TopicArn")?;
    let name = required(input.attribute_name, "AttributeName")?;
    let value = input.attribute_value.unwrap_or_default();
    t.set_attribute(&name, &value).map_err(service_error)?;
    Ok(())
}

/// A taggable resource: only topics are.
fn tagged_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    arn: Option<String>,
) -> Result<Arc<Topic>, ServiceError> {
    let arn = required(arn, "ResourceArn")?;
    e.topic(&ctx.region, &arn).map_err(|err| {
        if err.code() == "NotFoundException" {
            ServiceError::new("ResourceNotFoundException", "Resource does not exist")
        } else {
            service_error(err)
        }
    })
}

pub(crate) fn tag_resource(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, ServiceError> {
    let t = tagged_topic(e, ctx, input.resource_arn)?;
    if input.tags.is_none() {
        return Err(missing("Tags"));
    }
    t.tag(&tags(input.tags)?).map_err(service_error)?;
    Ok(TagResourceResponse {})
}

pub(crate) fn untag_resource(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, ServiceError> {
    let t = tagged_topic(e, ctx, input.resource_arn)?;
    let keys = required(input.tag_keys, "TagKeys")?;
    t.untag(&keys);
    Ok(UntagResourceResponse {})
}

pub(crate) fn list_tags_for_resource(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse, ServiceError> {
    let t = tagged_topic(e, ctx, input.resource_arn)?;
    let tags = t
        .tags()
        .into_iter()
        .map(|(k, v)| api::Tag {
            key: Some(k),
            value: Some(v),
        })
        .collect();
    Ok(ListTagsForResourceResponse { tags: Some(tags) })
}

pub(crate) fn add_permission(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: AddPermissionInput,
) -> Result<(), ServiceError> {
    let t = topic(e, ctx, input.topic_arn, "TopicArn")?;
    let label = required(input.label, "Label")?;
    let accounts = input.aws_account_id.unwrap_or_default();
    let actions = input.action_name.unwrap_or_default();
    if accounts.is_empty() {
        return Err(missing("AWSAccountId"));
    }
    if actions.is_empty() {
        return Err(missing("ActionName"));
    }
    t.add_permission(&label, &accounts, &actions)
        .map_err(service_error)?;
    Ok(())
}

pub(crate) fn remove_permission(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: RemovePermissionInput,
) -> Result<(), ServiceError> {
    let t = topic(e, ctx, input.topic_arn, "TopicArn")?;
    let label = required(input.label, "Label")?;
    t.remove_permission(&label).map_err(service_error)?;
    Ok(())
}

pub(crate) fn get_data_protection_policy(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: GetDataProtectionPolicyInput,
) -> Result<GetDataProtectionPolicyResponse, ServiceError> {
    let t = topic(e, ctx, input.resource_arn, "ResourceArn")?;
    Ok(GetDataProtectionPolicyResponse {
        data_protection_policy: t.data_protection_policy(),
    })
}

pub(crate) fn put_data_protection_policy(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: PutDataProtectionPolicyInput,
) -> Result<(), ServiceError> {
    let t = topic(e, ctx, input.resource_arn, "ResourceArn")?;
    let policy = required(input.data_protection_policy, "DataProtectionPolicy")?;
    if !policy.is_empty() && serde_json::from_str::<Value>(&policy).is_err() {
        return Err(invalid("DataProtectionPolicy"));
    }
    t.set_data_protection_policy(&policy);
    Ok(())
}
