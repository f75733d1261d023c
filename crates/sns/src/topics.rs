//! Topic operations: create, delete, list, attributes, tags, permissions, data protection.

use std::sync::Arc;

use ferrybridge_engine::sns::{SnsEngine, Topic};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{missing, opt_str, req_str, service_error, str_list, str_map, tags};
use crate::{empty, policies, with_next};

pub(crate) fn topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
    member: &str,
) -> Result<Arc<Topic>, ServiceError> {
    let arn = req_str(input, member)?;
    e.topic(&ctx.region, &arn).map_err(service_error)
}

pub(crate) fn create_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let attributes = str_map(input, "Attributes")?;
    for (k, v) in &attributes {
        if k == "DeliveryPolicy" && !v.is_empty() {
            policies::check_topic_delivery_policy(v, true)?;
        }
    }
    let tags = tags(input, "Tags")?;
    let dpp = opt_str(input, "DataProtectionPolicy")?;
    let topic = e
        .create_topic(
            &ctx.account_id,
            &ctx.region,
            &name,
            &attributes,
            &tags,
            dpp.as_deref(),
        )
        .map_err(service_error)?;
    Ok(json!({"TopicArn": topic.arn()}))
}

pub(crate) fn delete_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "TopicArn")?;
    e.delete_topic(&ctx.region, &arn).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_topics(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let token = opt_str(input, "NextToken")?;
    let page = e
        .list_topics(&ctx.account_id, &ctx.region, token.as_deref())
        .map_err(service_error)?;
    let topics: Vec<Value> = page
        .items
        .iter()
        .map(|t| json!({"TopicArn": t.arn()}))
        .collect();
    Ok(with_next(
        json!({"Topics": topics}),
        "NextToken",
        page.next_token,
    ))
}

/// Every attribute AWS returns for a topic, in AWS's order.
pub(crate) fn topic_attributes(topic: &Topic) -> Map<String, Value> {
    let a = topic.attributes();
    let (confirmed, pending, deleted) = topic.subscription_counts();
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), Value::String(v));
    };
    put("Policy", a.policy.clone());
    put("Owner", topic.account_id().to_owned());
    put("SubscriptionsPending", pending.to_string());
    if let Some(k) = &a.kms_master_key_id {
        put("KmsMasterKeyId", k.clone());
    }
    put("TopicArn", topic.arn().to_owned());
    put(
        "EffectiveDeliveryPolicy",
        policies::effective_topic_policy(a.delivery_policy.as_deref()),
    );
    if let Some(d) = &a.delivery_policy {
        put("DeliveryPolicy", d.clone());
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
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "TopicArn")?;
    Ok(json!({"Attributes": topic_attributes(&t)}))
}

pub(crate) fn set_topic_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "TopicArn")?;
    let name = req_str(input, "AttributeName")?;
    let value = opt_str(input, "AttributeValue")?.unwrap_or_default();
    if name == "DeliveryPolicy" && !value.is_empty() {
        policies::check_topic_delivery_policy(&value, false)?;
    }
    t.set_attribute(&name, &value).map_err(service_error)?;
    Ok(empty())
}

/// A taggable resource: only topics are.
fn tagged_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Arc<Topic>, ServiceError> {
    let arn = req_str(input, "ResourceArn")?;
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
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = tagged_topic(e, ctx, input)?;
    if input.get("Tags").is_none_or(Value::is_null) {
        return Err(missing("Tags"));
    }
    t.tag(&tags(input, "Tags")?).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn untag_resource(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = tagged_topic(e, ctx, input)?;
    if input.get("TagKeys").is_none_or(Value::is_null) {
        return Err(missing("TagKeys"));
    }
    t.untag(&str_list(input, "TagKeys"));
    Ok(empty())
}

pub(crate) fn list_tags_for_resource(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = tagged_topic(e, ctx, input)?;
    let tags: Vec<Value> = t
        .tags()
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": tags}))
}

pub(crate) fn add_permission(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "TopicArn")?;
    let label = req_str(input, "Label")?;
    let accounts = str_list(input, "AWSAccountId");
    let actions = str_list(input, "ActionName");
    if accounts.is_empty() {
        return Err(missing("AWSAccountId"));
    }
    if actions.is_empty() {
        return Err(missing("ActionName"));
    }
    t.add_permission(&label, &accounts, &actions)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn remove_permission(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "TopicArn")?;
    let label = req_str(input, "Label")?;
    t.remove_permission(&label).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn get_data_protection_policy(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "ResourceArn")?;
    Ok(match t.data_protection_policy() {
        Some(p) => json!({"DataProtectionPolicy": p}),
        None => json!({}),
    })
}

pub(crate) fn put_data_protection_policy(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "ResourceArn")?;
    let policy = req_str(input, "DataProtectionPolicy")?;
    if !policy.is_empty() && serde_json::from_str::<Value>(&policy).is_err() {
        return Err(crate::input::invalid("DataProtectionPolicy"));
    }
    t.set_data_protection_policy(&policy);
    Ok(empty())
}
