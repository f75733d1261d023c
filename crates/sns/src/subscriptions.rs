//! Subscription operations: subscribe, confirm, unsubscribe, list, attributes.

use std::sync::Arc;

use ferrybridge_api::sns::{
    self as api, ConfirmSubscriptionInput, ConfirmSubscriptionResponse,
    GetSubscriptionAttributesInput, GetSubscriptionAttributesResponse,
    ListSubscriptionsByTopicInput, ListSubscriptionsByTopicResponse, ListSubscriptionsInput,
    ListSubscriptionsResponse, SetSubscriptionAttributesInput, SubscribeInput, SubscribeResponse,
    UnsubscribeInput,
};
use ferrybridge_api::Entries;
use ferrybridge_engine::sns::{SnsEngine, Subscription};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::delivery::Deliverer;
use crate::input::{required, service_error, str_map};
use crate::topics::{set, topic};

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
    input: SubscribeInput,
) -> Result<SubscribeResponse, ServiceError> {
    let t = topic(e, ctx, input.topic_arn, "TopicArn")?;
    let protocol = required(input.protocol, "Protocol")?;
    let endpoint = input.endpoint.unwrap_or_default();
    let attributes = str_map(input.attributes);
    let return_arn = input.return_subscription_arn.unwrap_or(false);
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
    Ok(SubscribeResponse {
        subscription_arn: Some(arn),
    })
}

pub(crate) fn confirm_subscription(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: ConfirmSubscriptionInput,
    authenticated: bool,
) -> Result<ConfirmSubscriptionResponse, ServiceError> {
    let topic_arn = required(input.topic_arn, "TopicArn")?;
    let token = required(input.token, "Token")?;
    let auth_on_unsubscribe = input
        .authenticate_on_unsubscribe
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let sub = e
        .confirm_subscription(&topic_arn, &token, authenticated || auth_on_unsubscribe)
        .map_err(service_error)?;
    Ok(ConfirmSubscriptionResponse {
        subscription_arn: Some(sub.arn.clone()),
    })
}

pub(crate) fn unsubscribe(
    e: &SnsEngine,
    d: &Deliverer,
    ctx: &RequestContext,
    input: UnsubscribeInput,
) -> Result<(), ServiceError> {
    let arn = required(input.subscription_arn, "SubscriptionArn")?;
    let removed = e.unsubscribe(&arn).map_err(service_error)?;
    if let Some(ferrybridge_engine::sns::Unsubscribed {
        subscription,
        restore_token: Some(token),
    }) = removed
    {
        d.confirm_unsubscribe(subscription, token, base_url(ctx));
    }
    Ok(())
}

fn listed(s: &Subscription) -> api::Subscription {
    api::Subscription {
        subscription_arn: Some(s.listed_arn().to_string()),
        owner: Some(s.owner.clone()),
        protocol: Some(s.protocol.as_str().to_owned()),
        endpoint: Some(s.endpoint.clone()),
        topic_arn: Some(s.topic_arn.clone()),
    }
}

fn listed_page(items: &[Arc<Subscription>]) -> Option<Vec<api::Subscription>> {
    Some(items.iter().map(|s| listed(s)).collect())
}

pub(crate) fn list_subscriptions(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: ListSubscriptionsInput,
) -> Result<ListSubscriptionsResponse, ServiceError> {
    let page = e
        .list_subscriptions(&ctx.account_id, &ctx.region, input.next_token.as_deref())
        .map_err(service_error)?;
    Ok(ListSubscriptionsResponse {
        subscriptions: listed_page(&page.items),
        next_token: page.next_token,
    })
}

pub(crate) fn list_subscriptions_by_topic(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: ListSubscriptionsByTopicInput,
) -> Result<ListSubscriptionsByTopicResponse, ServiceError> {
    let t = topic(e, ctx, input.topic_arn, "TopicArn")?;
    let page = e
        .list_subscriptions_by_topic(&t, input.next_token.as_deref())
        .map_err(service_error)?;
    Ok(ListSubscriptionsByTopicResponse {
        subscriptions: listed_page(&page.items),
        next_token: page.next_token,
    })
}

/// The attributes AWS reports for a subscription.
pub(crate) fn subscription_attributes(e: &SnsEngine, s: &Subscription) -> Entries<String> {
    let st = s.settings();
    let mut m = Entries::default();
    let mut put = |k: &str, v: String| set(&mut m, k, v);
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
        put("DeliveryPolicy", d.text().to_owned());
    }
    if s.protocol.is_http() {
        put(
            "EffectiveDeliveryPolicy",
            e.effective_delivery_policy(s).to_json(),
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
    input: GetSubscriptionAttributesInput,
) -> Result<GetSubscriptionAttributesResponse, ServiceError> {
    let arn = required(input.subscription_arn, "SubscriptionArn")?;
    let s = e.subscription(&arn).map_err(service_error)?;
    Ok(GetSubscriptionAttributesResponse {
        attributes: Some(subscription_attributes(e, &s)),
    })
}

pub(crate) fn set_subscription_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: SetSubscriptionAttributesInput,
) -> Result<(), ServiceError> {
    let arn = required(input.subscription_arn, "SubscriptionArn")?;
    let name = required(input.attribute_name, "AttributeName")?;
    let value = input.attribute_value.unwrap_or_default();
    let s = e.subscription(&arn).map_err(service_error)?;
    let fifo = e.topic_of(&s).is_some_and(|t| t.is_fifo());
    s.set_attribute(fifo, &name, &value)
        .map_err(service_error)?;
    Ok(())
}
