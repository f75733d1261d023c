//! Who may act on a topic: the topic's access policy, evaluated by the engine's one policy
//! evaluator ([`ferrybridge_engine::policy`]).
//!
//! * A caller of the topic's own account needs no grant (the default topic policy grants the
//!   owner account anyway); an explicit `Deny` in the topic policy still stops it.
//! * A caller of another account needs an `Allow` in the topic policy for the action
//!   (`SNS:Publish`, `SNS:Subscribe`, `SNS:DeleteTopic`, `SNS:GetTopicAttributes`,
//!   `SNS:SetTopicAttributes`, `SNS:AddPermission`, `SNS:RemovePermission`,
//!   `SNS:ListSubscriptionsByTopic`: the actions a topic policy can grant). Tagging and data
//!   protection policies are not grantable by a topic policy: always denied across accounts.
//! * A subscription (Unsubscribe, Get/SetSubscriptionAttributes) may be managed by its owner
//!   (the subscriber's account) or the topic's owner.
//!
//! A topic that does not exist is left to the operation (`NotFound`).
//!
//! AWS's denial: `AuthorizationError` (403) `User: <caller> is not authorized to perform:
//! SNS:<Action> on resource: <topic arn> because no resource-based policy allows the
//! SNS:<Action> action`.

use ferrybridge_engine::policy::{self, Decision, Principal, Request};
use ferrybridge_engine::sns::{SnsEngine, SnsError};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

/// Operations that name a topic, and whether a topic policy can grant them.
fn topic_operation(operation: &str) -> Option<(&'static str, bool)> {
    Some(match operation {
        "Publish" | "PublishBatch" => ("TopicArn", true),
        "Subscribe"
        | "DeleteTopic"
        | "GetTopicAttributes"
        | "SetTopicAttributes"
        | "AddPermission"
        | "RemovePermission"
        | "ListSubscriptionsByTopic" => ("TopicArn", true),
        "TagResource"
        | "UntagResource"
        | "ListTagsForResource"
        | "GetDataProtectionPolicy"
        | "PutDataProtectionPolicy" => ("ResourceArn", false),
        _ => return None,
    })
}

fn denied(ctx: &RequestContext, action: &str, resource: &str, decision: Decision) -> ServiceError {
    crate::input::service_error(SnsError::AuthorizationError(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {}",
        ctx.caller_arn,
        policy::denial_reason(decision, action)
    )))
}

/// `Ok` when the caller may run `operation` on the topic or subscription it names.
pub(crate) fn check(
    engine: &SnsEngine,
    ctx: &RequestContext,
    operation: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    if matches!(
        operation,
        "Unsubscribe" | "GetSubscriptionAttributes" | "SetSubscriptionAttributes"
    ) {
        return check_subscription(engine, ctx, operation, input);
    }
    let Some((member, grantable)) = topic_operation(operation) else {
        return Ok(());
    };
    let arn = input.get(member).and_then(Value::as_str).or_else(|| {
        // Publish to a topic by TargetArn.
        (operation == "Publish")
            .then(|| input.get("TargetArn").and_then(Value::as_str))
            .flatten()
            .filter(|t| !t.contains(":endpoint/"))
    });
    let Some(arn) = arn else { return Ok(()) };
    let Some(parts) = ferrybridge_engine::arn::parse(arn).filter(|p| p.service == "sns") else {
        return Ok(());
    };
    let owner = parts.account;
    let cross_account = owner != ctx.account_id;
    let Ok(topic) = engine.topic(&ctx.region, arn) else {
        return Ok(());
    };
    // Publish's action spelled out: it is checked on every Publish.
    let action: std::borrow::Cow<str> = match operation {
        "Publish" | "PublishBatch" => "SNS:Publish".into(),
        other => format!("SNS:{other}").into(),
    };
    if cross_account && !grantable {
        return Err(denied(ctx, &action, arn, Decision::ImplicitDeny));
    }
    let parsed = topic.access_policy();
    let req = Request {
        principal: Principal::Aws {
            account: &ctx.account_id,
            arn: &ctx.caller_arn,
        },
        action: &action,
        resource: topic.arn(),
        context: &[],
    };
    match policy::authorize(parsed.as_deref(), owner, &req) {
        Decision::Allow => Ok(()),
        decision => Err(denied(ctx, &action, arn, decision)),
    }
}

fn check_subscription(
    engine: &SnsEngine,
    ctx: &RequestContext,
    operation: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    let Some(arn) = input.get("SubscriptionArn").and_then(Value::as_str) else {
        return Ok(());
    };
    let Ok(sub) = engine.subscription(arn) else {
        return Ok(());
    };
    let topic_owner = ferrybridge_engine::arn::parse(&sub.topic_arn)
        .map(|p| p.account)
        .unwrap_or_default();
    if ctx.account_id == sub.owner || ctx.account_id == topic_owner {
        return Ok(());
    }
    Err(denied(
        ctx,
        &format!("SNS:{operation}"),
        arn,
        Decision::ImplicitDeny,
    ))
}
