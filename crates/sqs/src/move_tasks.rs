//! Message move tasks (DLQ redrive). Running tasks arrive with DLQ support; until then these
//! operations validate their input exactly as AWS does and never pretend a task ran.

use std::sync::Arc;

use ferrybridge_engine::sqs::{Queue, SqsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Value};

use crate::input::{int_in_range, invalid, req_str};

/// The queue a move-task `SourceArn` names: a malformed ARN is a parameter error, an unknown
/// queue a ResourceNotFoundException, as on AWS.
fn source_queue(engine: &SqsEngine, arn: &str) -> Result<Arc<Queue>, ServiceError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            "You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        ));
    }
    engine.queue_by_arn(arn).ok_or_else(|| {
        ServiceError::new(
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        )
    })
}

pub(crate) fn start_message_move_task(
    engine: &SqsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let source = req_str(input, "SourceArn")?;
    let dlq = source_queue(engine, &source)?;
    int_in_range(
        input,
        "MaxNumberOfMessagesPerSecond",
        1,
        500,
        "MaxNumberOfMessagesPerSecond must be between 1 and 500.",
    )?;
    if engine.dead_letter_source_queues(&dlq).is_empty() {
        return Err(invalid(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    Err(ServiceError::new(
        "UnsupportedOperation",
        "Message move tasks are not supported by ferrybridge yet.",
    ))
}

pub(crate) fn list_message_move_tasks(
    engine: &SqsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let source = req_str(input, "SourceArn")?;
    source_queue(engine, &source)?;
    int_in_range(
        input,
        "MaxResults",
        1,
        10,
        "MaxResults must be between 1 and 10.",
    )?;
    // No task can have been started (StartMessageMoveTask never succeeds yet).
    Ok(json!({ "Results": [] }))
}

pub(crate) fn cancel_message_move_task(
    _engine: &SqsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    req_str(input, "TaskHandle")?;
    // No task can exist yet.
    Err(ServiceError::new(
        "ResourceNotFoundException",
        "Task does not exist.",
    ))
}
