//! Message move tasks (dead-letter queue redrive): `StartMessageMoveTask`,
//! `ListMessageMoveTasks`, `CancelMessageMoveTask`. The moving itself runs as a background task
//! on the server's runtime, driven by the engine's clock.

use std::sync::Arc;

use ferrybridge_engine::sqs::{MoveTask, Queue, SqsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{int_in_range, invalid, opt_str, req_str, service_error};

/// The queue a move-task ARN names: a malformed ARN is a parameter error, an unknown queue a
/// ResourceNotFoundException, as on AWS.
fn queue_for_arn(
    engine: &SqsEngine,
    arn: &str,
    parameter: &str,
) -> Result<Arc<Queue>, ServiceError> {
    if !ferrybridge_engine::arn::parse(arn).is_some_and(|a| a.is_complete()) {
        return Err(invalid(format!(
            "You must use this format to specify the {parameter}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>"
        )));
    }
    engine.queue_by_arn(arn).ok_or_else(|| {
        ServiceError::new(
            "ResourceNotFoundException",
            format!("The resource that you specified for the {parameter} parameter doesn't exist."),
        )
    })
}

pub(crate) fn start_message_move_task(
    engine: &Arc<SqsEngine>,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let source_arn = req_str(input, "SourceArn")?;
    let source = queue_for_arn(engine, &source_arn, "SourceArn")?;
    let destination_arn = opt_str(input, "DestinationArn")?.filter(|a| !a.is_empty());
    if let Some(arn) = &destination_arn {
        queue_for_arn(engine, arn, "DestinationArn")?;
    }
    let rate = int_in_range(
        input,
        "MaxNumberOfMessagesPerSecond",
        1,
        500,
        "MaxNumberOfMessagesPerSecond must be between 1 and 500.",
    )?;
    let task = engine
        .start_message_move_task(&source, destination_arn.as_deref(), rate.map(|r| r as u32))
        .map_err(service_error)?;
    let handle = task.handle();
    let runner = engine.clone();
    tokio::spawn(async move { runner.run_message_move_task(task).await });
    Ok(json!({ "TaskHandle": handle }))
}

/// One `ListMessageMoveTasksResultEntry`.
fn task_entry(task: &MoveTask) -> Value {
    let progress = task.progress();
    let mut out = Map::new();
    if progress.status.as_str() == "RUNNING" {
        out.insert("TaskHandle".into(), Value::String(task.handle()));
    }
    out.insert("Status".into(), progress.status.as_str().into());
    out.insert("SourceArn".into(), task.source_arn.clone().into());
    if let Some(arn) = &task.destination_arn {
        out.insert("DestinationArn".into(), arn.clone().into());
    }
    if let Some(rate) = task.max_per_second {
        out.insert("MaxNumberOfMessagesPerSecond".into(), rate.into());
    }
    out.insert(
        "ApproximateNumberOfMessagesMoved".into(),
        progress.moved.into(),
    );
    out.insert(
        "ApproximateNumberOfMessagesToMove".into(),
        task.to_move.into(),
    );
    if let Some(reason) = progress.failure_reason {
        out.insert("FailureReason".into(), reason.into());
    }
    out.insert("StartedTimestamp".into(), task.started_ms.into());
    Value::Object(out)
}

pub(crate) fn list_message_move_tasks(
    engine: &SqsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let source_arn = req_str(input, "SourceArn")?;
    queue_for_arn(engine, &source_arn, "SourceArn")?;
    // AWS's default is 1: the most recent task.
    let max = int_in_range(
        input,
        "MaxResults",
        1,
        10,
        "MaxResults must be between 1 and 10.",
    )?
    .unwrap_or(1);
    let results: Vec<Value> = engine
        .list_message_move_tasks(&source_arn, max as usize)
        .iter()
        .map(|t| task_entry(t))
        .collect();
    Ok(json!({ "Results": results }))
}

pub(crate) fn cancel_message_move_task(
    engine: &SqsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let handle = req_str(input, "TaskHandle")?;
    let moved = engine
        .cancel_message_move_task(&handle)
        .map_err(service_error)?;
    Ok(json!({ "ApproximateNumberOfMessagesMoved": moved }))
}
