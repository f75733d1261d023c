//! Who may act on an event bus and its rules: the bus's resource policy, evaluated by the
//! engine's one policy evaluator ([`ferrybridge_engine::policy`]).
//!
//! EventBridge APIs that take an `EventBusName` also take a bus ARN, so a caller can name a
//! bus of another account (EventBridge User Guide, "Permissions for event buses"). Such a
//! call needs an `Allow` in that bus's policy; the policy can grant managing rules and
//! targets (`events:PutRule`, `DeleteRule`, `DescribeRule`, `DisableRule`, `EnableRule`,
//! `PutTargets`, `RemoveTargets`, `ListTargetsByRule`, `ListRules`; the guide's example
//! "Send events to the same account and restrict updates" restricts them with
//! `events:creatorAccount`, which the emulator sets to the account that created the rule, or
//! the caller's for a new one). Everything else on a bus (its permissions, description,
//! deletion, tags) is for its owner only. `PutEvents` and bus-to-bus forwarding are checked
//! by the engine with the same evaluator. Within one account, an explicit `Deny` in the bus
//! policy still denies.
//!
//! A bus or rule that does not exist is left to the operation (`ResourceNotFoundException`).
//! AWS's denial: `AccessDeniedException` `User: <caller> is not authorized to perform:
//! events:<Action> on resource: <arn> because no resource-based policy allows the
//! events:<Action> action`.

use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::policy::{self, Decision, Principal, Request};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

/// Rule operations a bus policy can grant, and the member naming the rule.
fn rule_operation(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "PutRule" | "DeleteRule" | "DescribeRule" | "DisableRule" | "EnableRule" => "Name",
        "PutTargets" | "RemoveTargets" | "ListTargetsByRule" => "Rule",
        _ => return None,
    })
}

/// Operations on a bus itself that only its owner may run, and the member naming the bus.
fn owner_operation(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "DescribeEventBus" | "DeleteEventBus" | "UpdateEventBus" => "Name",
        "PutPermission" | "RemovePermission" => "EventBusName",
        _ => return None,
    })
}

fn denied(ctx: &RequestContext, action: &str, resource: &str, decision: Decision) -> ServiceError {
    ServiceError::new(
        "AccessDeniedException",
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {}",
            ctx.caller_arn,
            policy::denial_reason(decision, action)
        ),
    )
}

/// `Ok` when the caller may run `operation` on the bus or rule it names.
pub(crate) fn check(
    engine: &EventsEngine,
    ctx: &RequestContext,
    operation: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    let action = format!("events:{operation}");
    if matches!(
        operation,
        "TagResource" | "UntagResource" | "ListTagsForResource"
    ) {
        let Some(arn) = input.get("ResourceARN").and_then(Value::as_str) else {
            return Ok(());
        };
        return match ferrybridge_engine::arn::parse(arn) {
            Some(p) if p.service == "events" && p.account != ctx.account_id => {
                Err(denied(ctx, &action, arn, Decision::ImplicitDeny))
            }
            _ => Ok(()),
        };
    }
    let (bus_member, rule_member) = match (rule_operation(operation), owner_operation(operation)) {
        (Some(rule), _) => ("EventBusName", Some(rule)),
        (None, Some(bus)) => (bus, None),
        (None, None) if operation == "ListRules" => ("EventBusName", None),
        (None, None) => return Ok(()),
    };
    let name = input.get(bus_member).and_then(Value::as_str);
    let Ok(bus) = engine.bus(&ctx.account_id, &ctx.region, name) else {
        return Ok(());
    };
    let cross_account = bus.account_id != ctx.account_id;
    if cross_account && owner_operation(operation).is_some() {
        return Err(denied(ctx, &action, &bus.arn, Decision::ImplicitDeny));
    }
    let (resource, creator) = match rule_member
        .and_then(|m| input.get(m))
        .and_then(Value::as_str)
    {
        Some(rule) => {
            let arn = if bus.is_default() {
                format!(
                    "arn:aws:events:{}:{}:rule/{rule}",
                    bus.region, bus.account_id
                )
            } else {
                format!(
                    "arn:aws:events:{}:{}:rule/{}/{rule}",
                    bus.region, bus.account_id, bus.name
                )
            };
            let creator = match bus.rule(rule) {
                Ok(existing) => existing.created_by.clone(),
                Err(_) if operation == "PutRule" => ctx.account_id.clone(),
                // A missing rule: the operation answers ResourceNotFoundException.
                Err(_) if !cross_account => return Ok(()),
                Err(_) => ctx.account_id.clone(),
            };
            (arn, Some(creator))
        }
        None => (bus.arn.clone(), None),
    };
    let context: Vec<(&str, &str)> = creator
        .as_deref()
        .map(|c| vec![("events:creatorAccount", c)])
        .unwrap_or_default();
    let req = Request {
        principal: Principal::Aws {
            account: &ctx.account_id,
            arn: &ctx.caller_arn,
        },
        action: &action,
        resource: &resource,
        context: &context,
    };
    match bus.authorize(&req) {
        Decision::Allow => Ok(()),
        decision => Err(denied(ctx, &action, &resource, decision)),
    }
}
