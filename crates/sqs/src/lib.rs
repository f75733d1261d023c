//! Amazon SQS: one function per operation.
//!
//! [`Sqs::handle`] takes an operation name and its decoded input (a JSON value keyed by the SQS
//! model's member names, whatever the wire protocol was), converts it to the operation's typed
//! input and runs the [`SqsApi`] method, which validates it with AWS's messages, calls the
//! engine, and answers with the typed output, or a [`ServiceError`] named by the SQS model's
//! error shape (`QueueDoesNotExist`...) or a common AWS code (`InvalidParameterValue`).

mod access;
mod input;
mod messages;
mod move_tasks;
mod queues;
pub mod url;

use std::sync::Arc;

use ferrybridge_api::sqs::{self, SqsApi};
use ferrybridge_api::ConversionError;
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

    /// Runs one SQS operation: converts the decoded input to the operation's typed input from
    /// [`ferrybridge_api::sqs`] and runs the [`SqsApi`] method.
    pub async fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        if self.access_checks {
            access::check(&self.engine, ctx, operation, &input)?;
        }
        sqs::dispatch(self, ctx, operation, &input)
            .await
            .unwrap_or_else(|| Err(invalid_action(operation)))
    }
}

fn invalid_action(operation: &str) -> ServiceError {
    ServiceError::new(
        "InvalidAction",
        format!("The action {operation} is not valid for this endpoint."),
    )
}

/// The queue named by a request's `QueueUrl`.
pub(crate) fn resolve_queue(
    engine: &SqsEngine,
    ctx: &RequestContext,
    url: Option<String>,
) -> Result<Arc<Queue>, ServiceError> {
    let url = input::required(url, "QueueUrl")?;
    let key = url::queue_named_by(ctx, &url).ok_or_else(|| {
        ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.")
    })?;
    engine.queue_at(key).map_err(input::service_error)
}

/// One method per SQS operation, each in the module of its resource.
impl SqsApi for Sqs {
    type Context = RequestContext;

    fn unsupported(&self, operation: &'static str) -> ServiceError {
        invalid_action(operation)
    }

    fn conversion_error(&self, _operation: &'static str, error: ConversionError) -> ServiceError {
        input::conversion_error(error)
    }

    async fn create_queue(
        &self,
        ctx: &RequestContext,
        input: sqs::CreateQueueRequest,
    ) -> Result<sqs::CreateQueueResult, ServiceError> {
        queues::create_queue(&self.engine, ctx, input, self.url_style)
    }

    async fn delete_queue(
        &self,
        ctx: &RequestContext,
        input: sqs::DeleteQueueRequest,
    ) -> Result<(), ServiceError> {
        queues::delete_queue(&self.engine, ctx, input)
    }

    async fn get_queue_url(
        &self,
        ctx: &RequestContext,
        input: sqs::GetQueueUrlRequest,
    ) -> Result<sqs::GetQueueUrlResult, ServiceError> {
        queues::get_queue_url(&self.engine, ctx, input, self.url_style)
    }

    async fn list_queues(
        &self,
        ctx: &RequestContext,
        input: sqs::ListQueuesRequest,
    ) -> Result<sqs::ListQueuesResult, ServiceError> {
        queues::list_queues(&self.engine, ctx, input, self.url_style)
    }

    async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: sqs::GetQueueAttributesRequest,
    ) -> Result<sqs::GetQueueAttributesResult, ServiceError> {
        queues::get_queue_attributes(&self.engine, ctx, input)
    }

    async fn set_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: sqs::SetQueueAttributesRequest,
    ) -> Result<(), ServiceError> {
        queues::set_queue_attributes(&self.engine, ctx, input)
    }

    async fn purge_queue(
        &self,
        ctx: &RequestContext,
        input: sqs::PurgeQueueRequest,
    ) -> Result<(), ServiceError> {
        queues::purge_queue(&self.engine, ctx, input)
    }

    async fn tag_queue(
        &self,
        ctx: &RequestContext,
        input: sqs::TagQueueRequest,
    ) -> Result<(), ServiceError> {
        queues::tag_queue(&self.engine, ctx, input)
    }

    async fn untag_queue(
        &self,
        ctx: &RequestContext,
        input: sqs::UntagQueueRequest,
    ) -> Result<(), ServiceError> {
        queues::untag_queue(&self.engine, ctx, input)
    }

    async fn list_queue_tags(
        &self,
        ctx: &RequestContext,
        input: sqs::ListQueueTagsRequest,
    ) -> Result<sqs::ListQueueTagsResult, ServiceError> {
        queues::list_queue_tags(&self.engine, ctx, input)
    }

    async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: sqs::AddPermissionRequest,
    ) -> Result<(), ServiceError> {
        queues::add_permission(&self.engine, ctx, input)
    }

    async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: sqs::RemovePermissionRequest,
    ) -> Result<(), ServiceError> {
        queues::remove_permission(&self.engine, ctx, input)
    }

    async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        input: sqs::ListDeadLetterSourceQueuesRequest,
    ) -> Result<sqs::ListDeadLetterSourceQueuesResult, ServiceError> {
        queues::list_dead_letter_source_queues(&self.engine, ctx, input, self.url_style)
    }

    async fn send_message(
        &self,
        ctx: &RequestContext,
        input: sqs::SendMessageRequest,
    ) -> Result<sqs::SendMessageResult, ServiceError> {
        messages::send_message(&self.engine, ctx, input)
    }

    async fn send_message_batch(
        &self,
        ctx: &RequestContext,
        input: sqs::SendMessageBatchRequest,
    ) -> Result<sqs::SendMessageBatchResult, ServiceError> {
        messages::send_message_batch(&self.engine, ctx, input)
    }

    async fn receive_message(
        &self,
        ctx: &RequestContext,
        input: sqs::ReceiveMessageRequest,
    ) -> Result<sqs::ReceiveMessageResult, ServiceError> {
        messages::receive_message(&self.engine, ctx, input).await
    }

    async fn delete_message(
        &self,
        ctx: &RequestContext,
        input: sqs::DeleteMessageRequest,
    ) -> Result<(), ServiceError> {
        messages::delete_message(&self.engine, ctx, input)
    }

    async fn delete_message_batch(
        &self,
        ctx: &RequestContext,
        input: sqs::DeleteMessageBatchRequest,
    ) -> Result<sqs::DeleteMessageBatchResult, ServiceError> {
        messages::delete_message_batch(&self.engine, ctx, input)
    }

    async fn change_message_visibility(
        &self,
        ctx: &RequestContext,
        input: sqs::ChangeMessageVisibilityRequest,
    ) -> Result<(), ServiceError> {
        messages::change_message_visibility(&self.engine, ctx, input)
    }

    async fn change_message_visibility_batch(
        &self,
        ctx: &RequestContext,
        input: sqs::ChangeMessageVisibilityBatchRequest,
    ) -> Result<sqs::ChangeMessageVisibilityBatchResult, ServiceError> {
        messages::change_message_visibility_batch(&self.engine, ctx, input)
    }

    async fn start_message_move_task(
        &self,
        _ctx: &RequestContext,
        input: sqs::StartMessageMoveTaskRequest,
    ) -> Result<sqs::StartMessageMoveTaskResult, ServiceError> {
        move_tasks::start_message_move_task(&self.engine, input)
    }

    async fn list_message_move_tasks(
        &self,
        _ctx: &RequestContext,
        input: sqs::ListMessageMoveTasksRequest,
    ) -> Result<sqs::ListMessageMoveTasksResult, ServiceError> {
        move_tasks::list_message_move_tasks(&self.engine, input)
    }

    async fn cancel_message_move_task(
        &self,
        _ctx: &RequestContext,
        input: sqs::CancelMessageMoveTaskRequest,
    ) -> Result<sqs::CancelMessageMoveTaskResult, ServiceError> {
        move_tasks::cancel_message_move_task(&self.engine, input)
    }
}
