//! Target operations: PutTargets, RemoveTargets, ListTargetsByRule.

use ferrybridge_engine::events::transform::TargetInput;
use ferrybridge_engine::events::{EventsEngine, RetryPolicy, Target, TargetKind};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Value};

use crate::input::{opt_bool, opt_str, opt_usize, req_str, rule, service_error, validation};

/// A DeadLetterConfig ARN must name an SQS queue.
pub(crate) fn check_dead_letter_arn(arn: &str) -> Result<(), ServiceError> {
    match ferrybridge_engine::arn::parse(arn) {
        Some(a) if a.service == "sqs" && a.is_complete() => Ok(()),
        _ => Err(validation(format!(
            "Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
        ))),
    }
}

/// Whether EventBridge can only reach targets of this kind through an IAM role the target names
/// (`RoleArn`): those without resource-based policies. AWS refuses the whole PutTargets call
/// otherwise with `RoleArn is required for target <arn>.` (as users quote it for API
/// destinations, Step Functions, CodeBuild and CodePipeline; the EventBridge User Guide lists
/// Kinesis streams, Firehose, ECS and Batch with them).
fn needs_role(kind: &TargetKind) -> bool {
    match kind {
        TargetKind::ApiDestination => true,
        TargetKind::Recorded(service) => matches!(
            service.as_str(),
            "states" | "kinesis" | "firehose" | "codebuild" | "codepipeline" | "ecs" | "batch"
        ),
        _ => false,
    }
}

/// One target of `PutTargets`, checked.
fn target(t: &Value) -> Result<Target, ServiceError> {
    let id = req_str(t, "Id")?.to_owned();
    let arn = req_str(t, "Arn")?.to_owned();
    // The wording every other emulator uses (no AWS recording found).
    let kind = TargetKind::of(&arn)
        .filter(|_| ferrybridge_engine::arn::parse(&arn).is_some_and(|a| a.is_complete()))
        .ok_or_else(|| {
            validation(format!(
                "Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
            ))
        })?;
    if needs_role(&kind) && opt_str(t, "RoleArn").is_none_or(str::is_empty) {
        return Err(validation(format!("RoleArn is required for target {arn}.")));
    }
    let transformer = t.get("InputTransformer").filter(|v| v.is_object());
    let paths: Vec<(String, String)> = transformer
        .and_then(|tr| tr.get("InputPathsMap"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let template = transformer
        .and_then(|tr| tr.get("InputTemplate"))
        .and_then(Value::as_str);
    let input = TargetInput::from_put_targets(
        &id,
        opt_str(t, "Input"),
        opt_str(t, "InputPath"),
        transformer.map(|_| (paths.as_slice(), template.unwrap_or_default())),
    )
    .map_err(|e| validation(e.to_string()))?;
    let mut retry_policy = RetryPolicy::default();
    if let Some(rp) = t.get("RetryPolicy").filter(|v| v.is_object()) {
        if let Some(n) = rp.get("MaximumRetryAttempts").and_then(Value::as_u64) {
            retry_policy.maximum_retry_attempts = n as u32;
        }
        if let Some(n) = rp.get("MaximumEventAgeInSeconds").and_then(Value::as_u64) {
            retry_policy.maximum_event_age_seconds = n as u32;
        }
    }
    let dead_letter_arn = t
        .get("DeadLetterConfig")
        .and_then(|d| d.get("Arn"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(dlq) = &dead_letter_arn {
        check_dead_letter_arn(dlq)?;
    }
    let message_group_id = t
        .get("SqsParameters")
        .and_then(|p| p.get("MessageGroupId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if kind == TargetKind::Sqs && arn.ends_with(".fifo") && message_group_id.is_none() {
        return Err(validation(format!(
            "Parameter(s) SqsParameters must be specified for target: {id}."
        )));
    }
    Ok(Target {
        id,
        arn,
        kind,
        input,
        retry_policy,
        dead_letter_arn,
        message_group_id,
        description: t.clone(),
    })
}

pub(crate) fn put_targets(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let rule = rule(e, ctx, input, "Rule")?;
    // The model has already required Targets (1 to 100 of them).
    let list = ferrybridge_protocol::value::entries(input, "Targets");
    let mut targets = Vec::with_capacity(list.len());
    for t in list {
        targets.push(target(t)?);
    }
    e.put_targets(&rule, targets).map_err(service_error)?;
    Ok(json!({"FailedEntryCount": 0, "FailedEntries": []}))
}

pub(crate) fn remove_targets(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let rule = rule(e, ctx, input, "Rule")?;
    let ids = ferrybridge_protocol::value::str_list(input, "Ids");
    let failed = e
        .remove_targets(&rule, &ids, opt_bool(input, "Force"))
        .map_err(service_error)?;
    let entries: Vec<Value> = failed
        .iter()
        .map(|f| {
            json!({"TargetId": f.target_id, "ErrorCode": f.error_code, "ErrorMessage": f.error_message})
        })
        .collect();
    Ok(json!({"FailedEntryCount": entries.len(), "FailedEntries": entries}))
}

pub(crate) fn list_targets_by_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let rule = rule(e, ctx, input, "Rule")?;
    let page = e
        .list_targets_by_rule(
            &rule,
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let targets: Vec<Value> = page.items.iter().map(|t| t.description.clone()).collect();
    Ok(crate::with_next(
        json!({"Targets": targets}),
        page.next_token,
    ))
}
