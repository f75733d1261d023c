//! Carrying out invocations: each target of each matched rule gets its (transformed) input,
//! in the background, never blocking `PutEvents`.
//!
//! Failures are handled as EventBridge documents ("Event retry policy and using dead-letter
//! queues"): a target that does not exist or refuses permission is not retried and the event
//! goes straight to the target's dead-letter queue; retriable failures are retried with
//! exponential back-off and jitter on the engine's clock until the target's RetryPolicy
//! (MaximumRetryAttempts, MaximumEventAgeInSeconds) runs out, then dead-lettered. A DLQ message
//! carries RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION (when
//! retries ran out) and RETRY_ATTEMPTS.
//!
//! The queues, shedding and the retry driver are the shared machinery of
//! `ferrybridge-delivery` ([`crate::dispatch`] queues, [`crate::workers`] runs the workers);
//! this module is what one attempt does and where a failure goes.

use std::sync::Arc;

use ferrybridge_delivery::retry::{self, Backoff, Exhausted};
use ferrybridge_delivery::{FirstAttempt, Scoped};
use ferrybridge_engine::events::event::format_time;
use ferrybridge_engine::events::transform::{RenderContext, TargetInput, TransformError};
use ferrybridge_engine::events::{Invocation, RecordedInvocation, TargetKind};
use ferrybridge_engine::sqs::{MessageAttributeValue, NewMessage};

use crate::context::Context;

pub use crate::dispatch::{JOB_QUEUE_CAPACITY, ROOM_WAIT};
pub use crate::failure::Failure;

/// The `SenderId` of messages EventBridge puts into SQS queues.
pub const EVENTS_SENDER_ID: &str = "AIDAIEVENTBRIDGEFERRYB";

/// An invocation that found its queue full (the pool has counted and logged it):
/// dead-lettered as a failed invocation when its target has a DLQ.
pub(crate) fn shed(context: &Context, job: Scoped<Invocation>) {
    let failure = Failure::retriable(
        "THROTTLING",
        "The emulator's EventBridge delivery queue is full; the invocation was shed.",
    );
    dead_letter(context, &job.job, &failure, 0, None, job.generation);
}

/// Retries a failed invocation of the kinds carried out in the workers.
pub(crate) async fn retry(
    context: Arc<Context>,
    inv: Invocation,
    failure: Failure,
    generation: u64,
) {
    let attempt = || std::future::ready(deliver(&context, &inv, generation, None));
    settle(&context, &inv, Err(failure), generation, attempt).await;
}

/// Ends an invocation whose first attempt gave `first`: done if it succeeded, dead-lettered at
/// once if it failed in a way that is not retried, otherwise `attempt`ed again per the
/// target's RetryPolicy on the engine's clock (the shared driver,
/// [`ferrybridge_delivery::retry::settle`], with EventBridge's [`Backoff`]) and dead-lettered
/// if that runs out.
pub(crate) async fn settle<F>(
    context: &Context,
    inv: &Invocation,
    first: Result<(), Failure>,
    generation: u64,
    attempt: impl FnMut() -> F,
) where
    F: std::future::Future<Output = Result<(), Failure>>,
{
    let clock = context.engine.clock().clone();
    let policy = inv.target.retry_policy;
    let mut schedule = Backoff {
        max_retries: policy.maximum_retry_attempts,
        deadline_ms: inv.event.ingestion_ms + u64::from(policy.maximum_event_age_seconds) * 1000,
    };
    // Staleness is checked by the attempts themselves (and by `dead_letter`).
    let still_wanted = || true;
    retry::settle(
        &*clock,
        &mut schedule,
        first,
        still_wanted,
        attempt,
        |gave_up| {
            dead_letter(
                context,
                inv,
                &gave_up.failure,
                gave_up.retries,
                exhausted_condition(gave_up.exhausted),
                generation,
            )
        },
    )
    .await;
}

/// `EXHAUSTED_RETRY_CONDITION`: which limit of the RetryPolicy ended the retries (none when a
/// retry failed in a way that is not retried).
fn exhausted_condition(exhausted: Option<Exhausted>) -> Option<&'static str> {
    match exhausted? {
        Exhausted::Attempts => Some("MaximumRetryAttempts"),
        Exhausted::Age => Some("MaximumEventAgeInSeconds"),
        Exhausted::Cancelled => None,
    }
}

/// One attempt at one invocation (queued at reset `generation`; `first`: the token of a call
/// waiting for first attempts, passed on to what this one causes in turn).
pub(crate) fn deliver(
    context: &Context,
    inv: &Invocation,
    generation: u64,
    first: Option<&FirstAttempt>,
) -> Result<(), Failure> {
    if context.stale(generation, inv) {
        // Reset since the event was taken in: dropped.
        return Ok(());
    }
    let target = &inv.target;
    if target.kind == TargetKind::EventBus {
        // Bus targets receive the event itself; Input settings do not apply.
        let forwarded = context
            .engine
            .forward_to_bus_by_rule(
                &target.arn,
                &inv.event,
                &inv.account_id,
                &inv.region,
                Some(&inv.rule.arn),
            )
            .map_err(|e| Failure::permanent(e.code(), e.to_string()))?;
        context
            .dispatcher
            .dispatch_with(generation, first.cloned(), forwarded);
        return Ok(());
    }
    let Some(payload) = render(inv)? else {
        return Ok(());
    };
    match &target.kind {
        TargetKind::Sqs => send_to_queue(context, inv, payload, generation),
        TargetKind::Sns => {
            topic_admits(context, inv)?;
            context
                .sns
                .publish_for_service(
                    &target.arn,
                    payload,
                    target.message_group_id.clone(),
                    target
                        .message_group_id
                        .as_ref()
                        .map(|_| inv.event.id.clone()),
                    context.base.clone(),
                    ferrybridge_sns::Origin {
                        generation,
                        first: first.cloned(),
                    },
                )
                .map(|_| ())
                .map_err(|e| match e.code() {
                    "NotFoundException" => Failure::permanent(
                        "NO_RESOURCE",
                        format!("Topic {} does not exist.", target.arn),
                    ),
                    _ => Failure::permanent("INVALID_PARAMETER", e.message().to_owned()),
                })
        }
        // Carried out by `api_call::run` in a task of its own (see `work`), never here.
        TargetKind::ApiDestination => Ok(()),
        TargetKind::Recorded(service) => {
            context.engine.record(RecordedInvocation {
                account_id: inv.account_id.clone(),
                region: inv.region.clone(),
                rule_arn: inv.rule.arn.clone(),
                target_id: target.id.clone(),
                target_arn: target.arn.clone(),
                service: service.clone(),
                event_id: inv.event.id.clone(),
                input: payload,
                target: target.description.clone(),
                timestamp_ms: context.engine.clock().now_millis(),
            });
            Ok(())
        }
        // Bus targets were handled above; the engine archives events itself.
        TargetKind::EventBus | TargetKind::Archive(_) => Ok(()),
    }
}

/// What the target receives for the invocation's event: `None` when an `InputPath` selects
/// nothing in it (nothing is sent).
pub(crate) fn render(inv: &Invocation) -> Result<Option<String>, Failure> {
    let rendered = match &inv.target.input {
        // The whole event or a constant: no need to decode the event.
        TargetInput::Event => Ok(inv.event.json.clone()),
        TargetInput::Constant(text) => Ok(text.clone()),
        input => input.render(&RenderContext {
            event: inv.event.envelope(),
            event_json: &inv.event.json,
            rule_arn: &inv.rule.arn,
            rule_name: &inv.rule.name,
            ingestion_time: &format_time(inv.event.ingestion_ms),
        }),
    };
    match rendered {
        Ok(payload) => Ok(Some(payload)),
        Err(TransformError::NothingSelected { .. }) => Ok(None),
        // What the target service answers for a too-large message, reported as EventBridge
        // reports a target's refusal of a parameter (ERROR_CODE INVALID_PARAMETER; codes:
        // EventBridge user guide, "Using dead-letter queues to process undelivered events").
        Err(TransformError::TooLarge { limit }) => {
            let message = match inv.target.kind {
                // source: SQS SendMessage's InvalidParameterValue for a long body.
                TargetKind::Sqs => format!(
                    "One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
                ),
                // source: SNS Publish's InvalidParameter for a long message.
                TargetKind::Sns => "Invalid parameter: Message too long".to_owned(),
                _ => format!(
                    "The input for target {} is larger than {limit} bytes, the most the target service accepts.",
                    inv.target.id
                ),
            };
            tracing::debug!(target = %inv.target.arn, limit, "EventBridge target input too large");
            Err(Failure::permanent("INVALID_PARAMETER", message))
        }
        Err(e) => Err(Failure::permanent("INVALID_JSON", e.to_string())),
    }
}

fn send_to_queue(
    context: &Context,
    inv: &Invocation,
    body: String,
    generation: u64,
) -> Result<(), Failure> {
    let target = &inv.target;
    let Some(queue) = context.sqs.queue_by_arn(&target.arn) else {
        return Err(Failure::permanent(
            "NO_RESOURCE",
            format!(
                "Failed to send message to SQS queue {}: the queue does not exist.",
                target.arn
            ),
        ));
    };
    if context.sqs.reset_since(generation, queue.key()) {
        // A queue made after a reset that came after the event: not delivered.
        return Ok(());
    }
    let policy = queue.access_policy();
    admits(
        context,
        inv,
        policy.as_deref(),
        "sqs:SendMessage",
        queue.arn(),
        &queue.key().account_id,
        "",
    )?;
    let fifo = queue.is_fifo();
    queue
        .send(NewMessage {
            body,
            attributes: Vec::new(),
            aws_trace_header: inv.event.trace_header.clone(),
            delay_seconds: None,
            sender_id: EVENTS_SENDER_ID.to_owned(),
            message_group_id: if fifo {
                target.message_group_id.clone()
            } else {
                None
            },
            message_deduplication_id: if fifo && !queue.attributes().content_based_deduplication {
                Some(inv.event.id.clone())
            } else {
                None
            },
        })
        .map(|_| ())
        .map_err(|e| Failure::permanent("INVALID_PARAMETER", e.to_string()))
}

/// Whether the target's resource policy lets `events.amazonaws.com` do `action` for the
/// invocation's rule (`aws:SourceArn` the rule, `aws:SourceAccount` its account): refused
/// with NO_PERMISSIONS (not retried, to the DLQ) under `--enforce-policies`, else a warning
/// once per rule target (see [`ferrybridge_sns::policy_gate`]; `suffix` tells the target's
/// dead-letter queue apart from the target).
fn admits(
    context: &Context,
    inv: &Invocation,
    policy: Option<&ferrybridge_engine::policy::Policy>,
    action: &str,
    resource: &str,
    owner: &str,
    suffix: &str,
) -> Result<(), Failure> {
    context
        .sns
        .policy_gate()
        .admit(
            policy,
            &ferrybridge_sns::policy_gate::Delivery {
                service: "events.amazonaws.com",
                action,
                resource,
                owner,
                source_arn: &inv.rule.arn,
                source_account: &inv.account_id,
                key: &[&inv.rule.arn, "#", &inv.target.id, suffix],
            },
        )
        .map_err(|_| {
            Failure::permanent(
                "NO_PERMISSIONS",
                format!(
                    "EventBridge is not authorized to perform: {action} on resource: {resource}: its resource-based policy does not allow events.amazonaws.com."
                ),
            )
        })
}

/// [`admits`] for an SNS topic target (a missing topic is left to the publish: NO_RESOURCE).
fn topic_admits(context: &Context, inv: &Invocation) -> Result<(), Failure> {
    let arn = &inv.target.arn;
    let Some(region) = ferrybridge_engine::arn::parse(arn).map(|a| a.region.to_owned()) else {
        return Ok(());
    };
    let Ok(topic) = context.sns.engine().topic(&region, arn) else {
        return Ok(());
    };
    let policy = topic.access_policy();
    admits(
        context,
        inv,
        policy.as_deref(),
        "sns:Publish",
        topic.arn(),
        topic.account_id(),
        "",
    )
}

/// Sends a failed invocation's event to the target's dead-letter queue, if it has one that
/// exists (otherwise the event is dropped, as on AWS).
pub(crate) fn dead_letter(
    context: &Context,
    inv: &Invocation,
    failure: &Failure,
    retries: u32,
    exhausted: Option<&str>,
    generation: u64,
) {
    if context.stale(generation, inv) {
        return;
    }
    let target = &inv.target;
    let Some(dlq_arn) = &target.dead_letter_arn else {
        tracing::debug!(target = %target.arn, code = failure.code, "EventBridge delivery failed; no DLQ: event dropped");
        return;
    };
    let Some(queue) = context.sqs.queue_by_arn(dlq_arn) else {
        tracing::debug!(dlq = %dlq_arn, "EventBridge DLQ does not exist: event dropped");
        return;
    };
    if context.sqs.reset_since(generation, queue.key()) {
        return;
    }
    // The DLQ's policy must let EventBridge send too (EventBridge User Guide, "Granting
    // permissions to the dead-letter queue"); otherwise the event is dropped.
    let policy = queue.access_policy();
    let owner = &queue.key().account_id;
    let action = "sqs:SendMessage";
    if admits(
        context,
        inv,
        policy.as_deref(),
        action,
        queue.arn(),
        owner,
        "#dlq",
    )
    .is_err()
    {
        tracing::debug!(dlq = %dlq_arn, "EventBridge DLQ policy refuses EventBridge: event dropped");
        return;
    }
    let s = |v: &str| MessageAttributeValue::string("String", v);
    let mut attributes = vec![
        ("RULE_ARN".to_owned(), s(&inv.rule.arn)),
        ("TARGET_ARN".to_owned(), s(&target.arn)),
        ("ERROR_CODE".to_owned(), s(failure.code)),
        ("ERROR_MESSAGE".to_owned(), s(&failure.message)),
        ("RETRY_ATTEMPTS".to_owned(), s(&retries.to_string())),
    ];
    if let Some(condition) = exhausted {
        attributes.push(("EXHAUSTED_RETRY_CONDITION".to_owned(), s(condition)));
    }
    let fifo = queue.is_fifo();
    let result = queue.send(NewMessage {
        body: inv.event.json.clone(),
        attributes,
        aws_trace_header: inv.event.trace_header.clone(),
        delay_seconds: None,
        sender_id: EVENTS_SENDER_ID.to_owned(),
        message_group_id: fifo.then(|| target.id.clone()),
        message_deduplication_id: fifo.then(|| format!("{}-{}", inv.event.id, target.id)),
    });
    if let Err(e) = result {
        tracing::debug!(dlq = %dlq_arn, error = %e, "EventBridge DLQ refused the event: dropped");
    }
}
