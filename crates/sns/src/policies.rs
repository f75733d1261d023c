//! The service's view of delivery policies: validation with AWS's messages and the effective
//! policies reported in attributes and followed by HTTP/S deliveries, through
//! [`crate::delivery_policy`].

use ferrybridge_engine::sns::SnsError;
use ferrybridge_protocol::ServiceError;

use crate::delivery_policy::{self, DeliveryPolicy};
use crate::input::service_error;

/// Validates a topic `DeliveryPolicy`. `in_attributes`: set through `CreateTopic`'s attribute
/// map (AWS then words it `Attributes Reason: ...`).
pub(crate) fn check_topic_delivery_policy(
    text: &str,
    in_attributes: bool,
) -> Result<(), ServiceError> {
    delivery_policy::parse_topic_policy(text)
        .map(|_| ())
        .map_err(|e| invalid(e.message(), in_attributes))
}

/// Validates a subscription `DeliveryPolicy`. `in_attributes`: set through `Subscribe`.
pub(crate) fn check_subscription_delivery_policy(
    text: &str,
    in_attributes: bool,
) -> Result<(), ServiceError> {
    delivery_policy::parse_subscription_policy(text)
        .map(|_| ())
        .map_err(|e| invalid(e.message(), in_attributes))
}

fn invalid(reason: &str, in_attributes: bool) -> ServiceError {
    service_error(if in_attributes {
        SnsError::invalid(format!("Attributes Reason: {reason}"))
    } else {
        SnsError::invalid(reason)
    })
}

/// The topic's `EffectiveDeliveryPolicy` attribute.
pub(crate) fn effective_topic_policy(policy: Option<&str>) -> String {
    let parsed = policy.and_then(|p| delivery_policy::parse_topic_policy(p).ok());
    delivery_policy::effective_topic_policy(parsed.as_ref())
}

/// The policy an HTTP/S subscription's deliveries follow.
pub(crate) fn subscription_policy(
    topic_policy: Option<&str>,
    subscription_policy: Option<&str>,
) -> DeliveryPolicy {
    let topic = topic_policy.and_then(|p| delivery_policy::parse_topic_policy(p).ok());
    let sub = subscription_policy.and_then(|p| delivery_policy::parse_subscription_policy(p).ok());
    delivery_policy::effective_subscription_policy(topic.as_ref(), sub.as_ref())
}

/// The subscription's `EffectiveDeliveryPolicy` attribute.
pub(crate) fn effective_subscription_policy(
    topic_policy: Option<&str>,
    subscription_policy: Option<&str>,
) -> String {
    self::subscription_policy(topic_policy, subscription_policy).to_json()
}
