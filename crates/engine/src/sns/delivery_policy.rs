//! SNS delivery policies for HTTP/S subscriptions: parsing and validating the `DeliveryPolicy`
//! attribute of topics and subscriptions, the `EffectiveDeliveryPolicy` they report, and the
//! retry schedule a policy describes.
//!
//! A policy is parsed once, when `CreateTopic`, `SetTopicAttributes`, `Subscribe` or
//! `SetSubscriptionAttributes` stores it (or the journal restores it): the topic and the
//! subscription keep a [`StoredPolicy`], the text as set (echoed by `Get*Attributes`) next to
//! its parsed form, and deliveries merge the parsed forms
//! ([`super::SnsEngine::effective_delivery_policy`]) without reading JSON.
//!
//! Sources, in order of authority:
//! - AWS docs "Amazon SNS message delivery retries" / "Creating an HTTP/S delivery policy": the
//!   four phases, the defaults (3 retries 20 s apart, linear), the limits (numRetries 0-100,
//!   delays 1-3600 s, phase counts summing to at most numRetries, a total retry time of at most
//!   3600 s), and the backoff function names.
//! - Recordings of AWS responses: `EffectiveDeliveryPolicy` of a new topic (LocalStack's
//!   snapshot tests/aws/services/sns/test_sns.snapshot.json, recorded 2023-2025); the message
//!   `Invalid parameter: DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be less
//!   than or equal to 100` (ballerina's aws.sns connector tests against AWS); the key order AWS
//!   stores policies in, and `sicklyRetryPolicy`/`guaranteed` in a subscription's policy.
//! - AWS CDK's SNS subscription code: minDelayTarget, maxDelayTarget and numRetries are
//!   "(empirically) mandatory when healthyRetryPolicy is specified".
//! - The remaining messages follow the wording of the recorded one (`<path> must be ...`), as
//!   Comcast's CMB SNS clone and a CloudFormation pre-flight rule set quote them; each message
//!   no recording confirms is marked "unverified" below.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::error::SnsError;

/// The most retries a policy may ask for.
pub const MAX_RETRIES: u64 = 100;
/// Delays are whole seconds from 1 to 3600.
pub const MIN_DELAY_SECONDS: u64 = 1;
pub const MAX_DELAY_SECONDS: u64 = 3600;
/// "The total policy retry time for an HTTP/S endpoint cannot be greater than 3,600 seconds."
pub const MAX_TOTAL_RETRY_SECONDS: u64 = 3600;
/// The `Content-Type` of HTTP/S deliveries when no request policy says otherwise.
pub const DEFAULT_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// How the backoff phase spaces its retries between minDelayTarget and maxDelayTarget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BackoffFunction {
    #[default]
    Linear,
    Arithmetic,
    Geometric,
    Exponential,
}

impl BackoffFunction {
    pub fn as_str(&self) -> &'static str {
        match self {
            BackoffFunction::Linear => "linear",
            BackoffFunction::Arithmetic => "arithmetic",
            BackoffFunction::Geometric => "geometric",
            BackoffFunction::Exponential => "exponential",
        }
    }

    pub fn parse(name: &str) -> Option<BackoffFunction> {
        match name {
            "linear" => Some(BackoffFunction::Linear),
            "arithmetic" => Some(BackoffFunction::Arithmetic),
            "geometric" => Some(BackoffFunction::Geometric),
            "exponential" => Some(BackoffFunction::Exponential),
            _ => None,
        }
    }

    /// Where retry `i` of `n` (1-based) of the backoff phase lies between the minimum delay
    /// (0.0) and the maximum (1.0). Every function ends at the maximum on the last retry.
    ///
    /// AWS documents these functions only as a graph ("backoff-graph.png"): linear is a straight
    /// line; arithmetic and exponential start slowly and rise late (the step grows by a constant
    /// for arithmetic, doubles for exponential); geometric rises fast and flattens (the step
    /// halves). The exact curves are ours.
    fn position(&self, i: u64, n: u64) -> f64 {
        let (i, n) = (i as f64, n as f64);
        match self {
            BackoffFunction::Linear => i / n,
            BackoffFunction::Arithmetic => (i * (i + 1.0)) / (n * (n + 1.0)),
            BackoffFunction::Geometric => (1.0 - 0.5f64.powf(i)) / (1.0 - 0.5f64.powf(n)),
            BackoffFunction::Exponential => (2f64.powf(i) - 1.0) / (2f64.powf(n) - 1.0),
        }
    }
}

/// `healthyRetryPolicy` / `defaultHealthyRetryPolicy` (and the unused `sicklyRetryPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthyRetryPolicy {
    pub min_delay_target: u64,
    pub max_delay_target: u64,
    pub num_retries: u64,
    pub num_max_delay_retries: u64,
    pub num_no_delay_retries: u64,
    pub num_min_delay_retries: u64,
    pub backoff_function: BackoffFunction,
}

impl Default for HealthyRetryPolicy {
    /// AWS's default: three retries, 20 seconds apart.
    fn default() -> Self {
        HealthyRetryPolicy {
            min_delay_target: 20,
            max_delay_target: 20,
            num_retries: 3,
            num_max_delay_retries: 0,
            num_no_delay_retries: 0,
            num_min_delay_retries: 0,
            backoff_function: BackoffFunction::Linear,
        }
    }
}

impl HealthyRetryPolicy {
    /// The JSON object, keys in AWS's order.
    pub fn to_value(&self) -> Value {
        json!({
            "minDelayTarget": self.min_delay_target,
            "maxDelayTarget": self.max_delay_target,
            "numRetries": self.num_retries,
            "numMaxDelayRetries": self.num_max_delay_retries,
            "numNoDelayRetries": self.num_no_delay_retries,
            "numMinDelayRetries": self.num_min_delay_retries,
            "backoffFunction": self.backoff_function.as_str(),
        })
    }

    /// The number of retries in the backoff phase: what the other three phases leave.
    pub fn num_backoff_retries(&self) -> u64 {
        self.num_retries.saturating_sub(
            self.num_no_delay_retries + self.num_min_delay_retries + self.num_max_delay_retries,
        )
    }

    /// The wait before each retry, in order: the immediate phase (no delay), the pre-backoff
    /// phase (minDelayTarget), the backoff phase (from minDelayTarget up to maxDelayTarget by
    /// the backoff function, whole seconds), the post-backoff phase (maxDelayTarget). Retries
    /// that would start more than [`MAX_TOTAL_RETRY_SECONDS`] after the first failure are
    /// dropped, AWS's hard limit. SNS adds jitter; this schedule has none, so tests can rely on
    /// it.
    pub fn retry_delays(&self) -> Vec<Duration> {
        let (min, max) = (self.min_delay_target, self.max_delay_target);
        let backoff = self.num_backoff_retries();
        let mut delays = Vec::with_capacity(self.num_retries as usize);
        delays.extend((0..self.num_no_delay_retries).map(|_| 0));
        delays.extend((0..self.num_min_delay_retries).map(|_| min));
        delays.extend((1..=backoff).map(|i| {
            let position = self.backoff_function.position(i, backoff);
            let delay = min as f64 + (max.saturating_sub(min)) as f64 * position;
            (delay.round() as u64).clamp(min, max.max(min))
        }));
        delays.extend((0..self.num_max_delay_retries).map(|_| max));

        let mut elapsed = 0u64;
        delays
            .into_iter()
            .take_while(|delay| {
                elapsed += delay;
                elapsed <= MAX_TOTAL_RETRY_SECONDS
            })
            .map(Duration::from_secs)
            .collect()
    }
}

/// `throttlePolicy` / `defaultThrottlePolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_receives_per_second: u64,
}

impl ThrottlePolicy {
    pub fn to_value(&self) -> Value {
        json!({ "maxReceivesPerSecond": self.max_receives_per_second })
    }
}

/// `requestPolicy` / `defaultRequestPolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPolicy {
    pub header_content_type: String,
}

impl RequestPolicy {
    pub fn to_value(&self) -> Value {
        json!({ "headerContentType": self.header_content_type })
    }
}

impl Default for RequestPolicy {
    fn default() -> Self {
        RequestPolicy {
            header_content_type: DEFAULT_CONTENT_TYPE.to_owned(),
        }
    }
}

/// A topic's `DeliveryPolicy` attribute as set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicDeliveryPolicy {
    /// The `http` section; absent in `{}`.
    pub http: Option<TopicHttpPolicy>,
}

/// The `http` section of a topic's delivery policy: defaults for its HTTP/S subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicHttpPolicy {
    pub default_healthy_retry_policy: Option<HealthyRetryPolicy>,
    pub default_sickly_retry_policy: Option<HealthyRetryPolicy>,
    pub disable_subscription_overrides: bool,
    pub default_throttle_policy: Option<ThrottlePolicy>,
    pub default_request_policy: Option<RequestPolicy>,
}

impl TopicDeliveryPolicy {
    /// The policy as `GetTopicAttributes` returns `DeliveryPolicy`: AWS re-serialises what was
    /// set in a fixed key order and leaves out the sections that were not given, except
    /// `disableSubscriptionOverrides`.
    pub fn to_json(&self) -> String {
        let mut top = Map::new();
        if let Some(http) = &self.http {
            let mut section = Map::new();
            if let Some(retry) = &http.default_healthy_retry_policy {
                section.insert("defaultHealthyRetryPolicy".into(), retry.to_value());
            }
            if let Some(sickly) = &http.default_sickly_retry_policy {
                section.insert("defaultSicklyRetryPolicy".into(), sickly.to_value());
            }
            section.insert(
                "disableSubscriptionOverrides".into(),
                Value::Bool(http.disable_subscription_overrides),
            );
            if let Some(throttle) = &http.default_throttle_policy {
                section.insert("defaultThrottlePolicy".into(), throttle.to_value());
            }
            if let Some(request) = &http.default_request_policy {
                section.insert("defaultRequestPolicy".into(), request.to_value());
            }
            top.insert("http".into(), Value::Object(section));
        }
        Value::Object(top).to_string()
    }
}

/// A subscription's `DeliveryPolicy` attribute as set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriptionDeliveryPolicy {
    pub healthy_retry_policy: Option<HealthyRetryPolicy>,
    pub sickly_retry_policy: Option<HealthyRetryPolicy>,
    pub throttle_policy: Option<ThrottlePolicy>,
    pub request_policy: Option<RequestPolicy>,
    pub guaranteed: bool,
}

impl SubscriptionDeliveryPolicy {
    /// The policy as `GetSubscriptionAttributes` returns `DeliveryPolicy`: `healthyRetryPolicy`,
    /// `sicklyRetryPolicy`, `throttlePolicy`, `requestPolicy` (each `null` when not set) and
    /// `guaranteed`.
    pub fn to_json(&self) -> String {
        json!({
            "healthyRetryPolicy": self.healthy_retry_policy.as_ref().map(HealthyRetryPolicy::to_value),
            "sicklyRetryPolicy": self.sickly_retry_policy.as_ref().map(HealthyRetryPolicy::to_value),
            "throttlePolicy": self.throttle_policy.as_ref().map(ThrottlePolicy::to_value),
            "requestPolicy": self.request_policy.as_ref().map(RequestPolicy::to_value),
            "guaranteed": self.guaranteed,
        })
        .to_string()
    }
}

/// The policy that governs one HTTP/S subscription's deliveries: the topic's defaults with the
/// subscription's own sections on top (unless the topic disables overrides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    pub healthy_retry_policy: HealthyRetryPolicy,
    /// Stored and reported; SNS no longer documents it and nothing here uses it.
    pub sickly_retry_policy: Option<HealthyRetryPolicy>,
    pub throttle_policy: Option<ThrottlePolicy>,
    pub request_policy: RequestPolicy,
    pub guaranteed: bool,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        effective_subscription_policy(None, None)
    }
}

impl DeliveryPolicy {
    /// Delays before each retry after the first failed attempt, in AWS's four phases
    /// (immediate retries, pre-backoff at minDelay, backoff phase by the backoff function,
    /// post-backoff at maxDelay). See [`HealthyRetryPolicy::retry_delays`].
    pub fn retry_delays(&self) -> Vec<Duration> {
        self.healthy_retry_policy.retry_delays()
    }

    /// The throttle: at most this many deliveries per second to the endpoint, if set.
    pub fn max_receives_per_second(&self) -> Option<u32> {
        self.throttle_policy
            .as_ref()
            .map(|t| u32::try_from(t.max_receives_per_second).unwrap_or(u32::MAX))
    }

    /// The `Content-Type` of notifications; default `text/plain; charset=UTF-8`.
    pub fn header_content_type(&self) -> &str {
        &self.request_policy.header_content_type
    }

    /// The subscription's `EffectiveDeliveryPolicy` attribute.
    pub fn to_json(&self) -> String {
        json!({
            "healthyRetryPolicy": self.healthy_retry_policy.to_value(),
            "sicklyRetryPolicy": self.sickly_retry_policy.as_ref().map(HealthyRetryPolicy::to_value),
            "throttlePolicy": self.throttle_policy.as_ref().map(ThrottlePolicy::to_value),
            "requestPolicy": self.request_policy.to_value(),
            "guaranteed": self.guaranteed,
        })
        .to_string()
    }
}

/// A `DeliveryPolicy` that SNS refuses, with AWS's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    message: String,
}

impl PolicyError {
    fn new(detail: impl std::fmt::Display) -> Self {
        PolicyError {
            message: format!("DeliveryPolicy: {detail}"),
        }
    }

    /// `DeliveryPolicy: <reason>`. AWS answers `InvalidParameter` with
    /// `Invalid parameter: DeliveryPolicy: <reason>` from SetTopicAttributes and
    /// SetSubscriptionAttributes, and `Invalid parameter: Attributes Reason: DeliveryPolicy:
    /// <reason>` from CreateTopic and Subscribe.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

impl PolicyError {
    /// The error SNS answers: `InvalidParameter`, `Invalid parameter: DeliveryPolicy: <reason>`
    /// from SetTopicAttributes and SetSubscriptionAttributes, and with `Attributes Reason: `
    /// before `DeliveryPolicy` when the policy came in CreateTopic's or Subscribe's attribute
    /// map (`in_attributes`).
    pub fn into_sns_error(self, in_attributes: bool) -> SnsError {
        if in_attributes {
            SnsError::invalid(format!("Attributes Reason: {}", self.message))
        } else {
            SnsError::invalid(self.message)
        }
    }
}

/// A `DeliveryPolicy` as a topic or subscription stores it: the text the client set, which
/// `GetTopicAttributes` / `GetSubscriptionAttributes` return unchanged, and its parsed form,
/// which deliveries follow. Made only by parsing the text, so the two always agree; the journal
/// keeps the text (the source of truth) and restoring parses it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy<P> {
    text: String,
    policy: P,
}

/// A topic's stored `DeliveryPolicy`.
pub type StoredTopicPolicy = StoredPolicy<TopicDeliveryPolicy>;
/// A subscription's stored `DeliveryPolicy`.
pub type StoredSubscriptionPolicy = StoredPolicy<SubscriptionDeliveryPolicy>;

impl StoredPolicy<TopicDeliveryPolicy> {
    /// Parses and validates a topic's `DeliveryPolicy` ([`parse_topic_policy`]).
    pub fn topic(text: &str) -> Result<Self, PolicyError> {
        Ok(StoredPolicy {
            policy: parse_topic_policy(text)?,
            text: text.to_owned(),
        })
    }
}

impl StoredPolicy<SubscriptionDeliveryPolicy> {
    /// Parses and validates a subscription's `DeliveryPolicy` ([`parse_subscription_policy`]).
    pub fn subscription(text: &str) -> Result<Self, PolicyError> {
        Ok(StoredPolicy {
            policy: parse_subscription_policy(text)?,
            text: text.to_owned(),
        })
    }
}

impl<P> StoredPolicy<P> {
    /// The policy as the client set it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }
}

/// The first refused `DeliveryPolicy` in the attribute map of `CreateTopic` (`topic`) or
/// `Subscribe`, in AWS's words. Both report it before any other problem of the request
/// (ferrybridge's order since the policy was first validated), so they call this first.
pub(crate) fn check_attributes(
    attributes: &[(String, String)],
    topic: bool,
) -> Result<(), SnsError> {
    for (name, value) in attributes {
        if name != "DeliveryPolicy" || value.is_empty() {
            continue;
        }
        let parsed = if topic {
            parse_topic_policy(value).map(drop)
        } else {
            parse_subscription_policy(value).map(drop)
        };
        parsed.map_err(|e| e.into_sns_error(true))?;
    }
    Ok(())
}

/// Parses and validates a topic's `DeliveryPolicy`.
pub fn parse_topic_policy(json: &str) -> Result<TopicDeliveryPolicy, PolicyError> {
    let top = parse_object(json)?;
    let mut policy = TopicDeliveryPolicy::default();
    for (key, value) in &top {
        match key.as_str() {
            "http" => {
                if value.is_null() {
                    continue;
                }
                let section = value
                    .as_object()
                    .ok_or_else(|| PolicyError::new("http must be a JSON object"))?; // unverified
                policy.http = Some(parse_topic_http(section)?);
            }
            other => return Err(unexpected_member(other)),
        }
    }
    Ok(policy)
}

fn parse_topic_http(section: &Map<String, Value>) -> Result<TopicHttpPolicy, PolicyError> {
    let mut http = TopicHttpPolicy::default();
    for (key, value) in section {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "defaultHealthyRetryPolicy" => {
                http.default_healthy_retry_policy =
                    Some(parse_retry_policy(value, "http.defaultHealthyRetryPolicy")?)
            }
            "defaultSicklyRetryPolicy" => {
                http.default_sickly_retry_policy =
                    Some(parse_retry_policy(value, "http.defaultSicklyRetryPolicy")?)
            }
            "disableSubscriptionOverrides" => {
                http.disable_subscription_overrides = value.as_bool().ok_or_else(|| {
                    // unverified
                    PolicyError::new("http.disableSubscriptionOverrides must be a boolean")
                })?
            }
            "defaultThrottlePolicy" => {
                http.default_throttle_policy =
                    Some(parse_throttle_policy(value, "http.defaultThrottlePolicy")?)
            }
            "defaultRequestPolicy" => {
                http.default_request_policy =
                    Some(parse_request_policy(value, "http.defaultRequestPolicy")?)
            }
            other => return Err(unexpected_member(other)),
        }
    }
    Ok(http)
}

/// Parses and validates a subscription's `DeliveryPolicy`. `sicklyRetryPolicy` and
/// `guaranteed` are accepted because AWS reports them in the policies it returns, so a policy
/// read back from AWS can be set again.
pub fn parse_subscription_policy(json: &str) -> Result<SubscriptionDeliveryPolicy, PolicyError> {
    let top = parse_object(json)?;
    let mut policy = SubscriptionDeliveryPolicy::default();
    for (key, value) in &top {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "healthyRetryPolicy" => {
                policy.healthy_retry_policy = Some(parse_retry_policy(value, "healthyRetryPolicy")?)
            }
            "sicklyRetryPolicy" => {
                policy.sickly_retry_policy = Some(parse_retry_policy(value, "sicklyRetryPolicy")?)
            }
            "throttlePolicy" => {
                policy.throttle_policy = Some(parse_throttle_policy(value, "throttlePolicy")?)
            }
            "requestPolicy" => {
                policy.request_policy = Some(parse_request_policy(value, "requestPolicy")?)
            }
            "guaranteed" => {
                policy.guaranteed = value
                    .as_bool()
                    .ok_or_else(|| PolicyError::new("guaranteed must be a boolean"))?
                // unverified
            }
            other => return Err(unexpected_member(other)),
        }
    }
    Ok(policy)
}

/// What `GetTopicAttributes` returns as `EffectiveDeliveryPolicy`: the topic's `http` section
/// completed with AWS's defaults (recorded for a topic without a policy).
pub fn effective_topic_policy(topic: Option<&TopicDeliveryPolicy>) -> String {
    let http = topic.and_then(|t| t.http.as_ref());
    let retry = http
        .and_then(|h| h.default_healthy_retry_policy.clone())
        .unwrap_or_default();
    let mut section = Map::new();
    section.insert("defaultHealthyRetryPolicy".into(), retry.to_value());
    if let Some(sickly) = http.and_then(|h| h.default_sickly_retry_policy.as_ref()) {
        section.insert("defaultSicklyRetryPolicy".into(), sickly.to_value());
    }
    section.insert(
        "disableSubscriptionOverrides".into(),
        Value::Bool(http.is_some_and(|h| h.disable_subscription_overrides)),
    );
    if let Some(throttle) = http.and_then(|h| h.default_throttle_policy.as_ref()) {
        section.insert("defaultThrottlePolicy".into(), throttle.to_value());
    }
    let request = http
        .and_then(|h| h.default_request_policy.clone())
        .unwrap_or_default();
    section.insert("defaultRequestPolicy".into(), request.to_value());
    json!({ "http": Value::Object(section) }).to_string()
}

/// The policy an HTTP/S subscription's deliveries follow (and its `EffectiveDeliveryPolicy`,
/// via [`DeliveryPolicy::to_json`]): the topic's defaults, each section replaced by the
/// subscription's own when it has one, unless the topic sets `disableSubscriptionOverrides`.
pub fn effective_subscription_policy(
    topic: Option<&TopicDeliveryPolicy>,
    sub: Option<&SubscriptionDeliveryPolicy>,
) -> DeliveryPolicy {
    let http = topic.and_then(|t| t.http.as_ref());
    let mut policy = DeliveryPolicy {
        healthy_retry_policy: http
            .and_then(|h| h.default_healthy_retry_policy.clone())
            .unwrap_or_default(),
        sickly_retry_policy: http.and_then(|h| h.default_sickly_retry_policy.clone()),
        throttle_policy: http.and_then(|h| h.default_throttle_policy.clone()),
        request_policy: http
            .and_then(|h| h.default_request_policy.clone())
            .unwrap_or_default(),
        guaranteed: false,
    };
    let overrides_allowed = !http.is_some_and(|h| h.disable_subscription_overrides);
    if let (Some(sub), true) = (sub, overrides_allowed) {
        if let Some(retry) = &sub.healthy_retry_policy {
            policy.healthy_retry_policy = retry.clone();
        }
        if let Some(sickly) = &sub.sickly_retry_policy {
            policy.sickly_retry_policy = Some(sickly.clone());
        }
        if let Some(throttle) = &sub.throttle_policy {
            policy.throttle_policy = Some(throttle.clone());
        }
        if let Some(request) = &sub.request_policy {
            policy.request_policy = request.clone();
        }
        policy.guaranteed = sub.guaranteed;
    }
    policy
}

/// What SNS does after an HTTP/S endpoint answers with a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: delivered.
    Delivered,
    /// 3xx and 4xx: SNS does not retry (it follows no redirects and treats client errors as
    /// final).
    PermanentFailure,
    /// Anything else (5xx, and statuses below 200): retried by the delivery policy, as is a
    /// connection failure or a timeout.
    Retry,
}

/// AWS docs ("Step 1: Make sure your endpoint is ready to process Amazon SNS messages"): an
/// endpoint that answers with a status outside 200-4xx, or does not answer within about 15
/// seconds, gets the message again under the delivery policy; 2xx is success; 3xx and 4xx are
/// not retried.
pub fn classify_status(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        300..=499 => Outcome::PermanentFailure,
        _ => Outcome::Retry,
    }
}

fn parse_object(json: &str) -> Result<Map<String, Value>, PolicyError> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        // unverified wording; the same as SNS's "FilterPolicy: failed to parse JSON."
        _ => Err(PolicyError::new("failed to parse JSON")),
    }
}

fn unexpected_member(name: &str) -> PolicyError {
    // Recorded from AWS for a topic policy with `throttlePolicy` where `defaultThrottlePolicy`
    // belongs.
    PolicyError::new(format!("Unexpected JSON member: {name}"))
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, PolicyError> {
    value
        .as_object()
        .ok_or_else(|| PolicyError::new(format!("{path} must be a JSON object")))
    // unverified
}

/// A whole number: JSON integers, and floats without a fraction (CloudFormation sends
/// `20.0`).
fn integer(value: &Value, path: &str, field: &str) -> Result<i64, PolicyError> {
    let not_integer = || PolicyError::new(format!("{path}.{field} must be an integer")); // unverified
    if let Some(n) = value.as_i64() {
        return Ok(n);
    }
    if let Some(n) = value.as_u64() {
        return Ok(i64::try_from(n).unwrap_or(i64::MAX));
    }
    match value.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
        _ => Err(not_integer()),
    }
}

fn at_least(n: i64, floor: i64, path: &str, field: &str) -> Result<u64, PolicyError> {
    if n < floor {
        return Err(PolicyError::new(format!(
            "{path}.{field} must be greater than or equal to {floor}"
        )));
    }
    Ok(n as u64)
}

fn parse_retry_policy(value: &Value, path: &str) -> Result<HealthyRetryPolicy, PolicyError> {
    let fields = object(value, path)?;
    let mut min = None;
    let mut max = None;
    let mut retries = None;
    let mut policy = HealthyRetryPolicy::default();
    let mut no_delay = 0i64;
    let mut min_delay = 0i64;
    let mut max_delay = 0i64;
    for (key, value) in fields {
        match key.as_str() {
            "minDelayTarget" => min = Some(integer(value, path, key)?),
            "maxDelayTarget" => max = Some(integer(value, path, key)?),
            "numRetries" => retries = Some(integer(value, path, key)?),
            "numNoDelayRetries" => no_delay = integer(value, path, key)?,
            "numMinDelayRetries" => min_delay = integer(value, path, key)?,
            "numMaxDelayRetries" => max_delay = integer(value, path, key)?,
            "backoffFunction" => {
                let name = value.as_str().unwrap_or_default();
                policy.backoff_function =
                    BackoffFunction::parse(name).ok_or_else(|| {
                        // unverified: quoted by a pre-flight rule set, without its path prefix.
                        PolicyError::new(format!(
                        "{path}.backoffFunction: the value [{}] is not a valid backoff function",
                        value.as_str().map_or_else(|| value.to_string(), str::to_owned)
                    ))
                    })?;
            }
            other => return Err(unexpected_member(other)),
        }
    }
    // Required when the section is given (CDK: "empirically mandatory"; CMB's wording).
    let min =
        min.ok_or_else(|| PolicyError::new(format!("{path}.minDelayTarget must be specified")))?;
    let max =
        max.ok_or_else(|| PolicyError::new(format!("{path}.maxDelayTarget must be specified")))?;
    let retries =
        retries.ok_or_else(|| PolicyError::new(format!("{path}.numRetries must be specified")))?;

    policy.min_delay_target = at_least(min, MIN_DELAY_SECONDS as i64, path, "minDelayTarget")?;
    policy.max_delay_target = at_least(max, MIN_DELAY_SECONDS as i64, path, "maxDelayTarget")?;
    if policy.max_delay_target > MAX_DELAY_SECONDS {
        return Err(PolicyError::new(format!(
            "{path}.maxDelayTarget must be less than or equal to {MAX_DELAY_SECONDS}"
        )));
    }
    if policy.min_delay_target > policy.max_delay_target {
        return Err(PolicyError::new(format!(
            "{path}.maxDelayTarget must be greater than or equal to minDelayTarget"
        )));
    }
    policy.num_retries = at_least(retries, 0, path, "numRetries")?;
    if policy.num_retries > MAX_RETRIES {
        // Recorded from AWS.
        return Err(PolicyError::new(format!(
            "{path}.numRetries must be less than or equal to {MAX_RETRIES}"
        )));
    }
    policy.num_no_delay_retries = at_least(no_delay, 0, path, "numNoDelayRetries")?;
    policy.num_min_delay_retries = at_least(min_delay, 0, path, "numMinDelayRetries")?;
    policy.num_max_delay_retries = at_least(max_delay, 0, path, "numMaxDelayRetries")?;
    let phases =
        policy.num_no_delay_retries + policy.num_min_delay_retries + policy.num_max_delay_retries;
    if phases > policy.num_retries {
        return Err(PolicyError::new(format!(
            "{path}.numRetries must be greater than or equal to total of numMinDelayRetries, \
             numNoDelayRetries and numMaxDelayRetries"
        )));
    }
    Ok(policy)
}

fn parse_throttle_policy(value: &Value, path: &str) -> Result<ThrottlePolicy, PolicyError> {
    let fields = object(value, path)?;
    let mut rate = None;
    for (key, value) in fields {
        match key.as_str() {
            "maxReceivesPerSecond" => {
                if !value.is_null() {
                    rate = Some(integer(value, path, key)?)
                }
            }
            other => return Err(unexpected_member(other)),
        }
    }
    let rate = rate.ok_or_else(|| {
        PolicyError::new(format!("{path}.maxReceivesPerSecond must be specified"))
        // unverified
    })?;
    if rate < 1 {
        // Quoted by a pre-flight rule set.
        return Err(PolicyError::new(format!(
            "{path}.maxReceivesPerSecond must be >= 1"
        )));
    }
    Ok(ThrottlePolicy {
        max_receives_per_second: rate as u64,
    })
}

/// Whether `value` is a media type a notification may carry: `type/subtype` with optional
/// `; name=value` parameters. AWS takes more than the types its guide names (`text/csv` is
/// recorded in LocalStack's AWS-validated test_subscribe_external_http_endpoint_content_type),
/// so any well-formed media type of a registered top-level type is accepted.
fn content_type_allowed(value: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    let Some((kind, subtype)) = media.split_once('/') else {
        return false;
    };
    let kind_ok = [
        "application",
        "audio",
        "font",
        "image",
        "message",
        "model",
        "multipart",
        "text",
        "video",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(kind));
    let params_ok = parts.all(|p| {
        p.trim()
            .split_once('=')
            .is_some_and(|(name, v)| token(name.trim()) && !v.trim().is_empty())
    });
    kind_ok && token(subtype) && params_ok
}

fn parse_request_policy(value: &Value, path: &str) -> Result<RequestPolicy, PolicyError> {
    let fields = object(value, path)?;
    let mut content_type = None;
    for (key, value) in fields {
        match key.as_str() {
            "headerContentType" => {
                let text = value.as_str().filter(|t| content_type_allowed(t));
                content_type = Some(text.map(str::to_owned).ok_or_else(|| {
                    // unverified wording; the rejection of an unknown type is recorded.
                    PolicyError::new(format!(
                        "{path}.headerContentType: the value [{}] is not a valid content type",
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned)
                    ))
                })?);
            }
            other => return Err(unexpected_member(other)),
        }
    }
    Ok(RequestPolicy {
        header_content_type: content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().copied().map(Duration::from_secs).collect()
    }

    fn retry(
        min: u64,
        max: u64,
        retries: u64,
        no: u64,
        pre: u64,
        post: u64,
        backoff: BackoffFunction,
    ) -> HealthyRetryPolicy {
        HealthyRetryPolicy {
            min_delay_target: min,
            max_delay_target: max,
            num_retries: retries,
            num_no_delay_retries: no,
            num_min_delay_retries: pre,
            num_max_delay_retries: post,
            backoff_function: backoff,
        }
    }

    fn error(result: Result<impl std::fmt::Debug, PolicyError>) -> String {
        result
            .expect_err("the policy is refused")
            .message()
            .to_owned()
    }

    #[test]
    fn default_policy_is_three_retries_twenty_seconds_apart() {
        let policy = effective_subscription_policy(None, None);
        assert_eq!(policy.retry_delays(), secs(&[20, 20, 20]));
        assert_eq!(policy.header_content_type(), "text/plain; charset=UTF-8");
        assert_eq!(policy.max_receives_per_second(), None);
        assert_eq!(policy, DeliveryPolicy::default());
    }

    #[test]
    fn effective_topic_policy_of_a_new_topic_is_awss_recorded_text() {
        assert_eq!(
            effective_topic_policy(None),
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#
        );
    }

    #[test]
    fn effective_subscription_policy_of_a_default_topic() {
        assert_eq!(
            effective_subscription_policy(None, None).to_json(),
            r#"{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":{"headerContentType":"text/plain; charset=UTF-8"},"guaranteed":false}"#
        );
    }

    /// The AWS docs' example of a custom policy: 3 immediate retries, 2 at the minimum delay,
    /// the backoff phase, then 35 at the maximum; 50 retries in all.
    #[test]
    fn phases_follow_the_docs_example() {
        let policy = retry(1, 60, 50, 3, 2, 35, BackoffFunction::Exponential);
        assert_eq!(policy.num_backoff_retries(), 10);
        let delays = policy.retry_delays();
        // 3 + 2 + 10 backoff + the 35 post-backoff retries that fit into 3600 s in total.
        assert_eq!(&delays[..5], &secs(&[0, 0, 0, 1, 1])[..]);
        let backoff: Vec<u64> = delays[5..15].iter().map(Duration::as_secs).collect();
        assert_eq!(backoff, vec![1, 1, 1, 2, 3, 5, 8, 16, 30, 60]);
        assert!(delays[15..].iter().all(|d| d.as_secs() == 60));
        let total: u64 = delays.iter().map(Duration::as_secs).sum();
        assert!(total <= MAX_TOTAL_RETRY_SECONDS);
        // 130 s before the post-backoff phase leaves room for 57 waits of 60 s; all 35 fit.
        assert_eq!(delays.len(), 50);
    }

    #[test]
    fn the_four_backoff_functions() {
        let schedule = |f| -> Vec<u64> {
            retry(10, 100, 5, 0, 0, 0, f)
                .retry_delays()
                .iter()
                .map(Duration::as_secs)
                .collect()
        };
        // linear: equal steps of 18 s.
        assert_eq!(schedule(BackoffFunction::Linear), vec![28, 46, 64, 82, 100]);
        // arithmetic: steps grow by a constant (6, 12, 18, 24, 30 s).
        assert_eq!(
            schedule(BackoffFunction::Arithmetic),
            vec![16, 28, 46, 70, 100]
        );
        // geometric: steps halve, the delay rises fast and flattens.
        assert_eq!(
            schedule(BackoffFunction::Geometric),
            vec![56, 80, 91, 97, 100]
        );
        // exponential: steps double, the delay stays low and rises late.
        assert_eq!(
            schedule(BackoffFunction::Exponential),
            vec![13, 19, 30, 54, 100]
        );
        for f in [
            BackoffFunction::Linear,
            BackoffFunction::Arithmetic,
            BackoffFunction::Geometric,
            BackoffFunction::Exponential,
        ] {
            let delays = schedule(f);
            assert!(
                delays.windows(2).all(|w| w[0] <= w[1]),
                "{f:?} never decreases"
            );
            assert_eq!(delays.last(), Some(&100), "{f:?} ends at maxDelayTarget");
        }
        // With equal targets every function waits the same.
        assert_eq!(
            retry(7, 7, 4, 0, 0, 0, BackoffFunction::Exponential).retry_delays(),
            secs(&[7, 7, 7, 7])
        );
    }

    #[test]
    fn the_schedule_stops_at_3600_seconds_in_total() {
        let delays = retry(3600, 3600, 100, 0, 0, 100, BackoffFunction::Linear).retry_delays();
        assert_eq!(delays, secs(&[3600]));
        let delays = retry(1000, 1000, 10, 0, 10, 0, BackoffFunction::Linear).retry_delays();
        assert_eq!(delays, secs(&[1000, 1000, 1000]));
        assert!(retry(1, 1, 0, 0, 0, 0, BackoffFunction::Linear)
            .retry_delays()
            .is_empty());
    }

    #[test]
    fn topic_policy_round_trips_in_awss_key_order() {
        let text = r#"{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"},"defaultThrottlePolicy":{"maxReceivesPerSecond":5},"disableSubscriptionOverrides":true,"defaultHealthyRetryPolicy":{"backoffFunction":"geometric","numMinDelayRetries":1,"numNoDelayRetries":1,"numMaxDelayRetries":1,"numRetries":6,"maxDelayTarget":20,"minDelayTarget":10}}}"#;
        let policy = parse_topic_policy(text).expect("valid");
        assert_eq!(
            policy.to_json(),
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":10,"maxDelayTarget":20,"numRetries":6,"numMaxDelayRetries":1,"numNoDelayRetries":1,"numMinDelayRetries":1,"backoffFunction":"geometric"},"disableSubscriptionOverrides":true,"defaultThrottlePolicy":{"maxReceivesPerSecond":5},"defaultRequestPolicy":{"headerContentType":"application/json"}}}"#
        );
        assert_eq!(
            effective_topic_policy(Some(&policy)),
            policy.to_json(),
            "a complete policy is its own effective policy"
        );
        // A section left out stays out of DeliveryPolicy but is defaulted in the effective one.
        let partial =
            parse_topic_policy(r#"{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":2}}}"#)
                .expect("valid");
        assert_eq!(
            partial.to_json(),
            r#"{"http":{"disableSubscriptionOverrides":false,"defaultThrottlePolicy":{"maxReceivesPerSecond":2}}}"#
        );
        assert_eq!(
            effective_topic_policy(Some(&partial)),
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultThrottlePolicy":{"maxReceivesPerSecond":2},"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#
        );
        assert_eq!(parse_topic_policy("{}").expect("valid").to_json(), "{}");
    }

    #[test]
    fn subscription_policy_round_trips_with_sickly_and_guaranteed() {
        let policy = parse_subscription_policy(
            r#"{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":10,"numRetries":6,"backoffFunction":"exponential"},"throttlePolicy":{"maxReceivesPerSecond":10},"requestPolicy":{"headerContentType":"application/json"}}"#,
        )
        .expect("valid");
        assert_eq!(
            policy.to_json(),
            r#"{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":10,"numRetries":6,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"exponential"},"sicklyRetryPolicy":null,"throttlePolicy":{"maxReceivesPerSecond":10},"requestPolicy":{"headerContentType":"application/json"},"guaranteed":false}"#
        );
        // What AWS returns can be set again unchanged.
        assert_eq!(
            parse_subscription_policy(&policy.to_json()).expect("valid"),
            policy
        );
        let effective = effective_subscription_policy(None, Some(&policy));
        assert_eq!(effective.to_json(), policy.to_json());
        assert_eq!(effective.max_receives_per_second(), Some(10));
        assert_eq!(effective.header_content_type(), "application/json");
        // CloudFormation sends numbers as doubles.
        let from_cfn = parse_subscription_policy(
            r#"{"healthyRetryPolicy":{"minDelayTarget":5.0,"maxDelayTarget":10.0,"numRetries":6.0}}"#,
        )
        .expect("valid");
        assert_eq!(from_cfn.healthy_retry_policy.expect("set").num_retries, 6);
    }

    #[test]
    fn subscription_sections_override_the_topic_unless_it_disables_overrides() {
        let topic = parse_topic_policy(
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1},"defaultThrottlePolicy":{"maxReceivesPerSecond":3},"defaultRequestPolicy":{"headerContentType":"application/xml"}}}"#,
        )
        .expect("valid");
        let sub = parse_subscription_policy(
            r#"{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":2}}"#,
        )
        .expect("valid");
        let effective = effective_subscription_policy(Some(&topic), Some(&sub));
        assert_eq!(effective.retry_delays(), secs(&[2, 2]));
        assert_eq!(
            effective.max_receives_per_second(),
            Some(3),
            "from the topic"
        );
        assert_eq!(effective.header_content_type(), "application/xml");

        let mut locked = topic.clone();
        if let Some(http) = locked.http.as_mut() {
            http.disable_subscription_overrides = true;
        }
        let effective = effective_subscription_policy(Some(&locked), Some(&sub));
        assert_eq!(effective.retry_delays(), secs(&[1]), "the topic wins");
    }

    #[test]
    fn validation_messages() {
        let topic = |retry: &str| {
            error(parse_topic_policy(&format!(
                r#"{{"http":{{"defaultHealthyRetryPolicy":{retry}}}}}"#
            )))
        };
        // Recorded from AWS (with "Invalid parameter: " in front).
        assert_eq!(
            topic(r#"{"minDelayTarget":10,"maxDelayTarget":20,"numRetries":300,"numNoDelayRetries":1,"numMinDelayRetries":1,"numMaxDelayRetries":1,"backoffFunction":"linear"}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be less than or equal to 100"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":5,"maxDelayTarget":3,"numRetries":3}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.maxDelayTarget must be greater than or equal to minDelayTarget"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":0,"maxDelayTarget":3,"numRetries":3}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.minDelayTarget must be greater than or equal to 1"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":1,"maxDelayTarget":3601,"numRetries":3}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.maxDelayTarget must be less than or equal to 3600"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":-1}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be greater than or equal to 0"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":3,"numNoDelayRetries":-2}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.numNoDelayRetries must be greater than or equal to 0"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":3,"numNoDelayRetries":2,"numMaxDelayRetries":2}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be greater than or equal to total of numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":3,"backoffFunction":"cubic"}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.backoffFunction: the value [cubic] is not a valid backoff function"
        );
        assert_eq!(
            topic(r#"{"maxDelayTarget":3,"numRetries":3}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.minDelayTarget must be specified"
        );
        assert_eq!(
            topic(r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":"three"}"#),
            "DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be an integer"
        );
        assert_eq!(
            error(parse_topic_policy(
                r#"{"http":{"throttlePolicy":{"maxReceivesPerSecond":1}}}"#
            )),
            "DeliveryPolicy: Unexpected JSON member: throttlePolicy"
        );
        assert_eq!(
            error(parse_topic_policy(r#"{"sqs":{}}"#)),
            "DeliveryPolicy: Unexpected JSON member: sqs"
        );
        assert_eq!(
            error(parse_topic_policy("not json")),
            "DeliveryPolicy: failed to parse JSON"
        );
        assert_eq!(
            error(parse_topic_policy("[1]")),
            "DeliveryPolicy: failed to parse JSON"
        );

        let sub = parse_subscription_policy;
        assert_eq!(
            error(sub(r#"{"throttlePolicy":{"maxReceivesPerSecond":0}}"#)),
            "DeliveryPolicy: throttlePolicy.maxReceivesPerSecond must be >= 1"
        );
        assert_eq!(
            error(sub(r#"{"requestPolicy":{"headerContentType":"bogus"}}"#)),
            "DeliveryPolicy: requestPolicy.headerContentType: the value [bogus] is not a valid content type"
        );
        assert_eq!(
            error(sub(
                r#"{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":101}}"#
            )),
            "DeliveryPolicy: healthyRetryPolicy.numRetries must be less than or equal to 100"
        );
        assert_eq!(
            error(sub(r#"{"defaultHealthyRetryPolicy":{}}"#)),
            "DeliveryPolicy: Unexpected JSON member: defaultHealthyRetryPolicy"
        );
    }

    #[test]
    fn content_types() {
        for ok in [
            "text/plain",
            "text/plain; charset=UTF-8",
            "application/json",
            "application/json; charset=UTF-8",
            "application/xml",
            "text/csv",
            "text/html; charset=UTF-8",
        ] {
            let policy = parse_subscription_policy(&format!(
                r#"{{"requestPolicy":{{"headerContentType":"{ok}"}}}}"#
            ))
            .expect(ok);
            assert_eq!(policy.request_policy.expect("set").header_content_type, ok);
        }
        for bad in [
            "bogus",
            "text/",
            "nope/json",
            "text/plain; charset",
            "a b/c",
            "",
        ] {
            assert!(
                parse_subscription_policy(&format!(
                    r#"{{"requestPolicy":{{"headerContentType":"{bad}"}}}}"#
                ))
                .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn nulls_are_absent_sections() {
        let policy = parse_subscription_policy(
            r#"{"healthyRetryPolicy":null,"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":null,"guaranteed":false}"#,
        )
        .expect("valid");
        assert_eq!(policy, SubscriptionDeliveryPolicy::default());
        let topic = parse_topic_policy(
            r#"{"http":{"disableSubscriptionOverrides":true,"defaultSicklyRetryPolicy":null,"defaultThrottlePolicy":null}}"#,
        )
        .expect("valid");
        assert!(topic.http.expect("http").disable_subscription_overrides);
    }

    #[test]
    fn statuses() {
        assert_eq!(classify_status(200), Outcome::Delivered);
        assert_eq!(classify_status(204), Outcome::Delivered);
        assert_eq!(classify_status(299), Outcome::Delivered);
        assert_eq!(classify_status(301), Outcome::PermanentFailure);
        assert_eq!(classify_status(404), Outcome::PermanentFailure);
        assert_eq!(classify_status(429), Outcome::PermanentFailure);
        assert_eq!(classify_status(500), Outcome::Retry);
        assert_eq!(classify_status(503), Outcome::Retry);
        assert_eq!(classify_status(100), Outcome::Retry);
    }
}
