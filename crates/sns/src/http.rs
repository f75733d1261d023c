//! HTTP/S deliveries: `SubscriptionConfirmation` and `Notification` POSTs with SNS's headers,
//! retried on the engine's clock per the subscription's effective delivery policy
//! ([`crate::http_delivery::deliver_with_retries`]); what cannot be delivered goes to the
//! subscription's dead-letter queue. Each delivery is its own task: a slow endpoint delays
//! nobody else.

use std::sync::Arc;

use bytes::Bytes;
use ferrybridge_engine::sns::{Delivery, DeliveryPolicy, Subscription};

use crate::http_delivery::{
    deliver_with_retries, DeliveryOutcome, DeliveryReport, DeliveryRequest, StillWanted,
    SNS_DELIVERY_TIMEOUT,
};
use crate::shared::{dead_letter, Shared};
use crate::signing::MessageType;

/// The `User-Agent` SNS sends.
pub const USER_AGENT: &str = "Amazon Simple Notification Service Agent";

fn policy_for(shared: &Shared, sub: &Subscription) -> DeliveryPolicy {
    shared.sns.effective_delivery_policy(sub)
}

fn headers(
    kind: MessageType,
    message_id: &str,
    topic_arn: &str,
    subscription_arn: Option<&str>,
    content_type: &str,
    raw: bool,
) -> Vec<(String, String)> {
    let mut h = vec![
        (
            "x-amz-sns-message-type".to_owned(),
            kind.as_str().to_owned(),
        ),
        ("x-amz-sns-message-id".to_owned(), message_id.to_owned()),
        ("x-amz-sns-topic-arn".to_owned(), topic_arn.to_owned()),
    ];
    if let Some(arn) = subscription_arn {
        h.push(("x-amz-sns-subscription-arn".to_owned(), arn.to_owned()));
    }
    if raw {
        h.push(("x-amz-sns-rawdelivery".to_owned(), "true".to_owned()));
    }
    h.push(("content-type".to_owned(), content_type.to_owned()));
    h.push(("user-agent".to_owned(), USER_AGENT.to_owned()));
    h
}

/// The DLQ error attributes for a failed HTTP delivery. Best wording: AWS's exact codes for
/// HTTP failures are not in its documentation.
fn failure(report: &DeliveryReport) -> (String, String) {
    match (report.last_status, &report.last_error) {
        (Some(status), _) => (
            "EndpointError".to_owned(),
            format!(
                "The endpoint responded with HTTP status {status} after {} attempt(s)",
                report.attempts
            ),
        ),
        (None, Some(err)) => (
            "EndpointUnavailable".to_owned(),
            format!(
                "The endpoint could not be reached after {} attempt(s): {err}",
                report.attempts
            ),
        ),
        (None, None) => ("EndpointUnavailable".to_owned(), "No response".to_owned()),
    }
}

/// Delivers one notification on its own task.
/// `generation`: the reset generation of the publish; a reset of the topic's account and
/// region ends the retries (nothing from before a reset reaches an endpoint after it).
pub(crate) fn spawn_notification(
    shared: Arc<Shared>,
    delivery: Delivery,
    payload: String,
    generation: u64,
    budget: tokio::sync::OwnedSemaphorePermit,
) {
    tokio::spawn(async move {
        // This delivery's share of the outbound budget, held until it ends (retries included).
        let _budget = budget;
        let sub = &delivery.subscription;
        let n = &delivery.notification;
        let policy = policy_for(&shared, sub);
        let raw = sub.raw_message_delivery();
        let headers = headers(
            MessageType::Notification,
            &n.message_id,
            &n.topic_arn,
            Some(&sub.arn),
            policy.header_content_type(),
            raw,
        );
        let throttle = shared.throttle(&sub.arn);
        let request = DeliveryRequest {
            url: &sub.endpoint,
            headers: &headers,
            body: Bytes::from(payload.clone()),
            timeout: SNS_DELIVERY_TIMEOUT,
            throttle: Some(&throttle),
            still_wanted: Some(StillWanted(&|| {
                !shared.sns.reset_since(generation, &sub.arn)
            })),
        };
        let report =
            deliver_with_retries(&shared.http, shared.sns.clock().as_ref(), &policy, &request)
                .await;
        if report.outcome != DeliveryOutcome::Delivered && !sub.is_deleted() {
            let (code, message) = failure(&report);
            let attributes = if raw {
                n.attributes.clone()
            } else {
                Vec::new()
            };
            dead_letter(&shared, sub, n, payload, attributes, &code, &message);
        }
    });
}

/// POSTs a `SubscriptionConfirmation` or `UnsubscribeConfirmation` on its own task (retried
/// like a notification). The unsubscribe confirmation names the subscription in its headers.
pub(crate) fn spawn_confirmation(
    shared: Arc<Shared>,
    sub: Arc<Subscription>,
    kind: MessageType,
    doc: String,
    message_id: String,
) {
    tokio::spawn(async move {
        let policy = policy_for(&shared, &sub);
        let subscription_arn =
            (kind == MessageType::UnsubscribeConfirmation).then_some(sub.arn.as_str());
        let headers = headers(
            kind,
            &message_id,
            &sub.topic_arn,
            subscription_arn,
            policy.header_content_type(),
            false,
        );
        let request = DeliveryRequest {
            url: &sub.endpoint,
            headers: &headers,
            body: Bytes::from(doc),
            timeout: SNS_DELIVERY_TIMEOUT,
            throttle: None,
            still_wanted: None,
        };
        deliver_with_retries(&shared.http, shared.sns.clock().as_ref(), &policy, &request).await;
    });
}
