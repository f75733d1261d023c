//! Target operations: PutTargets, RemoveTargets, ListTargetsByRule.

use ferrybridge_api::events::{
    self as api, ListTargetsByRuleRequest, ListTargetsByRuleResponse, PutTargetsRequest,
    PutTargetsResponse, RemoveTargetsRequest, RemoveTargetsResponse, RemoveTargetsResultEntry,
};
use ferrybridge_api::{FromValue, IntoValue};
use ferrybridge_engine::events::transform::TargetInput;
use ferrybridge_engine::events::{EventsEngine, RetryPolicy, Target, TargetKind};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{limit, rule, service_error, validation};

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
fn target(t: api::Target) -> Result<Target, ServiceError> {
    let description = t.clone().into_value();
    let api::Target { id, arn, .. } = t;
    // The wording every other emulator uses (no AWS recording found).
    let kind = TargetKind::of(&arn)
        .filter(|_| ferrybridge_engine::arn::parse(&arn).is_some_and(|a| a.is_complete()))
        .ok_or_else(|| {
            validation(format!(
                "Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
            ))
        })?;
    if needs_role(&kind) && t.role_arn.as_deref().is_none_or(str::is_empty) {
        return Err(validation(format!("RoleArn is required for target {arn}.")));
    }
    let transformer = t.input_transformer.map(|tr| {
        let paths: Vec<(String, String)> = tr.input_paths_map.unwrap_or_default().0;
        (paths, tr.input_template)
    });
    let input = TargetInput::from_put_targets(
        &id,
        t.input.as_deref(),
        t.input_path.as_deref(),
        transformer
            .as_ref()
            .map(|(paths, template)| (paths.as_slice(), template.as_str())),
    )
    .map_err(|e| validation(e.to_string()))?;
    let mut retry_policy = RetryPolicy::default();
    if let Some(rp) = t.retry_policy {
        if let Some(n) = rp.maximum_retry_attempts {
            retry_policy.maximum_retry_attempts = u32::try_from(n).unwrap_or(0);
        }
        if let Some(n) = rp.maximum_event_age_in_seconds {
            retry_policy.maximum_event_age_seconds = u32::try_from(n).unwrap_or(0);
        }
    }
    let dead_letter_arn = t.dead_letter_config.and_then(|d| d.arn);
    if let Some(dlq) = &dead_letter_arn {
        check_dead_letter_arn(dlq)?;
    }
    let message_group_id = t.sqs_parameters.and_then(|p| p.message_group_id);
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
        description,
    })
}

pub(crate) fn put_targets(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: PutTargetsRequest,
) -> Result<PutTargetsResponse, ServiceError> {
    let rule = rule(e, ctx, input.event_bus_name.as_deref(), &input.rule)?;
    // The model has already required Targets (1 to 100 of them).
    let targets = input
        .targets
        .into_iter()
        .map(target)
        .collect::<Result<Vec<_>, _>>()?;
    e.put_targets(&rule, targets).map_err(service_error)?;
    Ok(PutTargetsResponse {
        failed_entry_count: Some(0),
        failed_entries: Some(Vec::new()),
    })
}

pub(crate) fn remove_targets(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: RemoveTargetsRequest,
) -> Result<RemoveTargetsResponse, ServiceError> {
    let rule = rule(e, ctx, input.event_bus_name.as_deref(), &input.rule)?;
    let failed = e
        .remove_targets(&rule, &input.ids, input.force.unwrap_or(false))
        .map_err(service_error)?;
    let entries: Vec<RemoveTargetsResultEntry> = failed
        .into_iter()
        .map(|f| RemoveTargetsResultEntry {
            target_id: Some(f.target_id),
            error_code: Some(f.error_code),
            error_message: Some(f.error_message),
        })
        .collect();
    Ok(RemoveTargetsResponse {
        failed_entry_count: Some(i32::try_from(entries.len()).unwrap_or(i32::MAX)),
        failed_entries: Some(entries),
    })
}

pub(crate) fn list_targets_by_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListTargetsByRuleRequest,
) -> Result<ListTargetsByRuleResponse, ServiceError> {
    let rule = rule(e, ctx, input.event_bus_name.as_deref(), &input.rule)?;
    let page = e
        .list_targets_by_rule(&rule, input.next_token.as_deref(), limit(input.limit))
        .map_err(service_error)?;
    // Targets are stored as PutTargets converted them, so they convert back.
    let targets = page
        .items
        .iter()
        .filter_map(|t| api::Target::from_value(&t.description, "Targets").ok())
        .collect();
    Ok(ListTargetsByRuleResponse {
        targets: Some(targets),
        next_token: page.next_token,
    })
}
