//! Message move tasks (DLQ redrive). Running tasks arrive with DLQ support; until then these
//! operations validate their input exactly as AWS does and never pretend a task ran.

use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Value};

use crate::input::{int_in_range, invalid, req_str};

fn source_queue_exists(engine: &SqsEngine, arn: &str) -> Result<(), ServiceError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            "You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        ));
    }
    engine.queue_by_arn(arn).map(|_| ()).ok_or_else(|| {
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
    source_queue_exists(engine, &source)?;
    int_in_range(
        input,
        "MaxNumberOfMessagesPerSecond",
        1,
        500,
        "MaxNumberOfMessagesPerSecond must be between 1 and 500.",
    )?;
    let Some(dlq) = engine.queue_by_arn(&source) else {
        return Err(ServiceError::new(
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ));
    };
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
    source_queue_exists(engine, &source)?;
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
