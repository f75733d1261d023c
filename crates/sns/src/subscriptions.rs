//! Subscription operations: subscribe, confirm, unsubscribe, list, attributes.

use std::sync::Arc;

use ferrybridge_engine::sns::{SnsEngine, Subscription};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::delivery::Deliverer;
use crate::input::{opt_bool, opt_str, req_str, service_error, str_map};
use crate::topics::topic;
use crate::{empty, policies, with_next};

/// The identity ARN of the caller, reported as a subscription's `SubscriptionPrincipal` (on AWS
/// the IAM user or role that called `Subscribe`): the caller as STS GetCallerIdentity names it
/// (`arn:aws:iam::<account>:root` for long-term keys, the assumed-role ARN for AssumeRole keys).
pub(crate) fn caller_principal(ctx: &RequestContext) -> String {
    ctx.caller_arn.clone()
}

/// The base URL links in messages point to (`http://{host}`).
pub(crate) fn base_url(ctx: &RequestContext) -> Arc<str> {
    Arc::from(format!("http://{}", ctx.host))
}

pub(crate) fn subscribe(
    e: &SnsEngine,
    d: &Deliverer,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "TopicArn")?;
    let protocol = req_str(input, "Protocol")?;
    let endpoint = opt_str(input, "Endpoint")?.unwrap_or_default();
    let attributes = str_map(input, "Attributes")?;
    for (k, v) in &attributes {
        if k == "DeliveryPolicy" && !v.is_empty() {
            policies::check_subscription_delivery_policy(v, true)?;
        }
    }
    let return_arn = opt_bool(input, "ReturnSubscriptionArn")?.unwrap_or(false);
    let subscribed = e
        .subscribe(
            &ctx.account_id,
            &caller_principal(ctx),
            &t,
            &protocol,
            &endpoint,
            &attributes,
        )
        .map_err(service_error)?;
    let sub = subscribed.subscription;
    if subscribed.created && sub.is_pending() {
        d.request_confirmation(&t, &sub, base_url(ctx));
    }
    let arn = if sub.is_pending() && !return_arn {
        "pending confirmation".to_owned()
    } else {
        sub.arn.clone()
    };
    Ok(json!({"SubscriptionArn": arn}))
}

pub(crate) fn confirm_subscription(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
    authenticated: bool,
) -> Result<Value, ServiceError> {
    let topic_arn = req_str(input, "TopicArn")?;
    let token = req_str(input, "Token")?;
    let auth_on_unsubscribe = opt_str(input, "AuthenticateOnUnsubscribe")?
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let sub = e
        .confirm_subscription(&topic_arn, &token, authenticated || auth_on_unsubscribe)
        .map_err(service_error)?;
    Ok(json!({"SubscriptionArn": sub.arn}))
}

pub(crate) fn unsubscribe(
    e: &SnsEngine,
    d: &Deliverer,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "SubscriptionArn")?;
    let removed = e.unsubscribe(&arn).map_err(service_error)?;
    if let Some(ferrybridge_engine::sns::Unsubscribed {
        subscription,
        restore_token: Some(token),
    }) = removed
    {
        d.confirm_unsubscribe(subscription, token, base_url(ctx));
    }
    Ok(empty())
}

fn listed(s: &Subscription) -> Value {
    json!({
        "SubscriptionArn": s.listed_arn(),
        "Owner": s.owner,
        "Protocol": s.protocol.as_str(),
        "Endpoint": s.endpoint,
        "TopicArn": s.topic_arn,
    })
}

fn page_output(items: &[Arc<Subscription>], next: Option<String>) -> Value {
    let subs: Vec<Value> = items.iter().map(|s| listed(s)).collect();
    with_next(json!({"Subscriptions": subs}), "NextToken", next)
}

pub(crate) fn list_subscriptions(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let token = opt_str(input, "NextToken")?;
    let page = e
        .list_subscriptions(&ctx.account_id, &ctx.region, token.as_deref())
        .map_err(service_error)?;
    Ok(page_output(&page.items, page.next_token))
}

pub(crate) fn list_subscriptions_by_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let t = topic(e, ctx, input, "TopicArn")?;
    let token = opt_str(input, "NextToken")?;
    let page = e
        .list_subscriptions_by_topic(&t, token.as_deref())
        .map_err(service_error)?;
    Ok(page_output(&page.items, page.next_token))
}

/// The attributes AWS reports for a subscription.
pub(crate) fn subscription_attributes(e: &SnsEngine, s: &Subscription) -> Map<String, Value> {
    let st = s.settings();
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), Value::String(v));
    };
    // AWS lists SubscriptionPrincipal first (recorded attribute order).
    put("SubscriptionPrincipal", s.principal.clone());
    put("Owner", s.owner.clone());
    put("RawMessageDelivery", st.raw_message_delivery.to_string());
    put("TopicArn", s.topic_arn.clone());
    put("Endpoint", s.endpoint.clone());
    put("Protocol", s.protocol.as_str().to_owned());
    put("PendingConfirmation", s.is_pending().to_string());
    put(
        "ConfirmationWasAuthenticated",
        s.confirmation_was_authenticated().to_string(),
    );
    put("SubscriptionArn", s.arn.clone());
    if let Some((text, _)) = &st.filter_policy {
        put("FilterPolicy", text.clone());
        put("FilterPolicyScope", st.scope().as_str().to_owned());
    }
    if let Some(r) = &st.redrive_policy {
        put("RedrivePolicy", r.clone());
    }
    if let Some(d) = &st.delivery_policy {
        put("DeliveryPolicy", d.clone());
    }
    if s.protocol.is_http() {
        let topic_policy = e.topic_of(s).and_then(|t| t.attributes().delivery_policy);
        put(
            "EffectiveDeliveryPolicy",
            policies::effective_subscription_policy(
                topic_policy.as_deref(),
                st.delivery_policy.as_deref(),
            ),
        );
    }
    if let Some(r) = &st.subscription_role_arn {
        put("SubscriptionRoleArn", r.clone());
    }
    if let Some(r) = &st.replay_policy {
        put("ReplayPolicy", r.clone());
    }
    m
}

pub(crate) fn get_subscription_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "SubscriptionArn")?;
    let s = e.subscription(&arn).map_err(service_error)?;
    Ok(json!({"Attributes": subscription_attributes(e, &s)}))
}

pub(crate) fn set_subscription_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "SubscriptionArn")?;
    let name = req_str(input, "AttributeName")?;
    let value = opt_str(input, "AttributeValue")?.unwrap_or_default();
    let s = e.subscription(&arn).map_err(service_error)?;
    if name == "DeliveryPolicy" && !value.is_empty() {
        policies::check_subscription_delivery_policy(&value, false)?;
    }
    let fifo = e.topic_of(&s).is_some_and(|t| t.is_fifo());
    s.set_attribute(fifo, &name, &value)
        .map_err(service_error)?;
    Ok(empty())
}
