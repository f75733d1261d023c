//! Message move tasks (dead-letter queue redrive): `StartMessageMoveTask`,
//! `ListMessageMoveTasks`, `CancelMessageMoveTask`. The moving itself runs as a background task
//! on the server's runtime, driven by the engine's clock.

use std::sync::Arc;

use ferrybridge_api::sqs::{
    CancelMessageMoveTaskRequest, CancelMessageMoveTaskResult, ListMessageMoveTasksRequest,
    ListMessageMoveTasksResult, ListMessageMoveTasksResultEntry, StartMessageMoveTaskRequest,
    StartMessageMoveTaskResult,
};
use ferrybridge_engine::sqs::{MoveTask, Queue, SqsEngine};
use ferrybridge_protocol::ServiceError;

use crate::input::{int_in_range, invalid, required, service_error};

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
    input: StartMessageMoveTaskRequest,
) -> Result<StartMessageMoveTaskResult, ServiceError> {
    let source_arn = required(input.source_arn, "SourceArn")?;
    let source = queue_for_arn(engine, &source_arn, "SourceArn")?;
    let destination_arn = input.destination_arn.filter(|a| !a.is_empty());
    if let Some(arn) = &destination_arn {
        queue_for_arn(engine, arn, "DestinationArn")?;
    }
    let rate = int_in_range(
        input.max_number_of_messages_per_second,
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
    Ok(StartMessageMoveTaskResult {
        task_handle: Some(handle),
    })
}

fn count(n: u64) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

/// One `ListMessageMoveTasksResultEntry`.
fn task_entry(task: &MoveTask) -> ListMessageMoveTasksResultEntry {
    let progress = task.progress();
    let running = progress.status.as_str() == "RUNNING";
    ListMessageMoveTasksResultEntry {
        task_handle: running.then(|| task.handle()),
        status: Some(progress.status.as_str().to_owned()),
        source_arn: Some(task.source_arn.clone()),
        destination_arn: task.destination_arn.clone(),
        max_number_of_messages_per_second: task
            .max_per_second
            .map(|r| i32::try_from(r).unwrap_or(i32::MAX)),
        approximate_number_of_messages_moved: count(progress.moved),
        approximate_number_of_messages_to_move: count(task.to_move),
        failure_reason: progress.failure_reason,
        started_timestamp: count(task.started_ms),
    }
}

pub(crate) fn list_message_move_tasks(
    engine: &SqsEngine,
    input: ListMessageMoveTasksRequest,
) -> Result<ListMessageMoveTasksResult, ServiceError> {
    let source_arn = required(input.source_arn, "SourceArn")?;
    queue_for_arn(engine, &source_arn, "SourceArn")?;
    // AWS's default is 1: the most recent task.
    let max = int_in_range(
        input.max_results,
        "MaxResults",
        1,
        10,
        "MaxResults must be between 1 and 10.",
    )?
    .unwrap_or(1);
    let results = engine
        .list_message_move_tasks(&source_arn, max as usize)
        .iter()
        .map(|t| task_entry(t))
        .collect();
    Ok(ListMessageMoveTasksResult {
        results: Some(results),
    })
}

pub(crate) fn cancel_message_move_task(
    engine: &SqsEngine,
    input: CancelMessageMoveTaskRequest,
) -> Result<CancelMessageMoveTaskResult, ServiceError> {
    let handle = required(input.task_handle, "TaskHandle")?;
    let moved = engine
        .cancel_message_move_task(&handle)
        .map_err(service_error)?;
    Ok(CancelMessageMoveTaskResult {
        approximate_number_of_messages_moved: count(moved),
    })
}
