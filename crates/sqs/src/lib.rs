//! Amazon SQS: one function per operation.
//!
//! [`Sqs::handle`] takes an operation name and its decoded input (a JSON value keyed by the SQS
//! model's member names, whatever the wire protocol was), validates it with AWS's messages,
//! calls the engine, and answers with the output shape, or a [`ServiceError`] named by the SQS
//! model's error shape (`QueueDoesNotExist`...) or a common AWS code (`InvalidParameterValue`).

mod access;
mod input;
mod messages;
mod move_tasks;
mod queues;
pub mod url;

use std::sync::Arc;

use ferrybridge_engine::sqs::{Queue, SqsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

/// The SQS service: stateless, all state is in the engine.
#[derive(Debug, Clone)]
pub struct Sqs {
    engine: Arc<SqsEngine>,
    url_style: url::QueueUrlStyle,
    /// Whether queue policies are enforced (`--no-cross-account-checks` turns it off).
    access_checks: bool,
}

impl Sqs {
    pub fn new(engine: Arc<SqsEngine>) -> Self {
        Self {
            engine,
            url_style: url::QueueUrlStyle::default(),
            access_checks: true,
        }
    }

    /// With `on` (the default), a caller of another account needs a grant in the queue's
    /// policy and an explicit `Deny` stops anyone (see [`access`]); off, any caller may act on
    /// any queue, as before such checks existed (and as on LocalStack).
    pub fn with_access_checks(mut self, on: bool) -> Self {
        self.access_checks = on;
        self
    }

    /// Hands out queue URLs in `style` (every style is accepted on input whatever this is).
    pub fn with_queue_url_style(mut self, style: url::QueueUrlStyle) -> Self {
        self.url_style = style;
        self
    }

    pub fn engine(&self) -> &Arc<SqsEngine> {
        &self.engine
    }

    /// Runs one SQS operation.
    pub async fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        let e = &self.engine;
        let i = &input;
        let u = self.url_style;
        if self.access_checks {
            access::check(e, ctx, operation, i)?;
        }
        match operation {
            "CreateQueue" => queues::create_queue(e, ctx, i, u),
            "DeleteQueue" => queues::delete_queue(e, ctx, i),
            "GetQueueUrl" => queues::get_queue_url(e, ctx, i, u),
            "ListQueues" => queues::list_queues(e, ctx, i, u),
            "GetQueueAttributes" => queues::get_queue_attributes(e, ctx, i),
            "SetQueueAttributes" => queues::set_queue_attributes(e, ctx, i),
            "PurgeQueue" => queues::purge_queue(e, ctx, i),
            "TagQueue" => queues::tag_queue(e, ctx, i),
            "UntagQueue" => queues::untag_queue(e, ctx, i),
            "ListQueueTags" => queues::list_queue_tags(e, ctx, i),
            "AddPermission" => queues::add_permission(e, ctx, i),
            "RemovePermission" => queues::remove_permission(e, ctx, i),
            "ListDeadLetterSourceQueues" => queues::list_dead_letter_source_queues(e, ctx, i, u),
            "SendMessage" => messages::send_message(e, ctx, i),
            "SendMessageBatch" => messages::send_message_batch(e, ctx, i),
            "ReceiveMessage" => messages::receive_message(e, ctx, i).await,
            "DeleteMessage" => messages::delete_message(e, ctx, i),
            "DeleteMessageBatch" => messages::delete_message_batch(e, ctx, i),
            "ChangeMessageVisibility" => messages::change_message_visibility(e, ctx, i),
            "ChangeMessageVisibilityBatch" => messages::change_message_visibility_batch(e, ctx, i),
            "StartMessageMoveTask" => move_tasks::start_message_move_task(&self.engine, ctx, i),
            "ListMessageMoveTasks" => move_tasks::list_message_move_tasks(e, ctx, i),
            "CancelMessageMoveTask" => move_tasks::cancel_message_move_task(e, ctx, i),
            other => Err(ServiceError::new(
                "InvalidAction",
                format!("The action {other} is not valid for this endpoint."),
            )),
        }
    }
}

/// The queue named by the input's `QueueUrl`.
pub(crate) fn resolve_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Arc<Queue>, ServiceError> {
    let url = input::req_str(input, "QueueUrl")?;
    let key = url::parse_queue_url(ctx, &url).ok_or_else(|| {
        ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.")
    })?;
    engine.queue(&key).map_err(input::service_error)
}

/// `{}`: the output of operations without output members.
pub(crate) fn empty() -> Value {
    Value::Object(serde_json::Map::new())
}
