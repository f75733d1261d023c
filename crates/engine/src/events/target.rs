//! A rule's target: where matched events go, in what shape, and what happens when they cannot
//! be delivered.

use serde_json::Value;

use super::transform::TargetInput;

/// `RetryPolicy`: AWS's defaults are 185 attempts and 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub maximum_retry_attempts: u32,
    pub maximum_event_age_seconds: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            maximum_retry_attempts: 185,
            maximum_event_age_seconds: 86_400,
        }
    }
}

/// What kind of resource a target ARN names, which decides how an event reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// An SQS queue (delivered into the emulator's queue).
    Sqs,
    /// An SNS topic (published to the emulator's topic).
    Sns,
    /// An event bus, in this or another account or region.
    EventBus,
    /// An EventBridge API destination (`arn:aws:events:...:api-destination/...`).
    ApiDestination,
    /// An archive (the target of the rule EventBridge manages for it; holds the archive's
    /// ARN): matched events are archived as they are routed, never dispatched.
    Archive(String),
    /// Any other AWS service (Lambda, Step Functions, Kinesis, Firehose, ECS, Batch, CloudWatch
    /// Logs, ...): the invocation is recorded for tests to inspect. Holds the ARN's service.
    Recorded(String),
}

impl TargetKind {
    /// The kind of the resource `arn` names (`None` if it is not an ARN).
    pub fn of(arn: &str) -> Option<TargetKind> {
        let parts = crate::arn::parse(arn)?;
        Some(match parts.service {
            "sqs" => TargetKind::Sqs,
            "sns" => TargetKind::Sns,
            "events" if parts.resource.starts_with("event-bus/") => TargetKind::EventBus,
            "events" if parts.resource.starts_with("api-destination/") => {
                TargetKind::ApiDestination
            }
            other => TargetKind::Recorded(other.to_owned()),
        })
    }
}

/// One target of a rule, as `PutTargets` stored it.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub arn: String,
    pub kind: TargetKind,
    /// What the target receives for a matched event.
    pub input: TargetInput,
    pub retry_policy: RetryPolicy,
    /// `DeadLetterConfig.Arn`: the SQS queue failed events go to.
    pub dead_letter_arn: Option<String>,
    /// `SqsParameters.MessageGroupId`, for FIFO queue targets.
    pub message_group_id: Option<String>,
    /// The target exactly as given to `PutTargets`, answered by `ListTargetsByRule`.
    pub description: Value,
}
