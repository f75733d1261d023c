//! Who may act on a queue: the queue's access policy, evaluated by the engine's one policy
//! evaluator ([`ferrybridge_engine::policy`]), as AWS does before any queue operation.
//!
//! * A caller of the queue's own account needs no grant; an explicit `Deny` in the queue's
//!   policy still stops it.
//! * A caller of another account needs an `Allow` for the action (`sqs:SendMessage` also
//!   covers `SendMessageBatch`, likewise `DeleteMessage` and `ChangeMessageVisibility`).
//! * Some actions never work across accounts, whatever the policy says (SQS Developer Guide,
//!   "Limitations of Amazon SQS custom policies", Cross-account access): AddPermission,
//!   CancelMessageMoveTask, CreateQueue, DeleteQueue, ListMessageMoveTasks, ListQueues,
//!   ListQueueTags, RemovePermission, SetQueueAttributes, StartMessageMoveTask, TagQueue,
//!   UntagQueue.
//!
//! A queue that does not exist in the other account is left to the operation, which answers
//! `QueueDoesNotExist` as for any missing queue; `GetQueueUrl` of another account's queue
//! without a grant answers `QueueDoesNotExist` too ("...or you do not have access to it.").
//!
//! AWS's denial is `AccessDenied` (403) worded `Access to the resource
//! https://sqs.<region>.amazonaws.com/ is denied.` over Query (SQS Developer Guide,
//! "Troubleshoot an access denied error") and `User: <caller> is not authorized to perform: sqs:<action> on resource:
//! <queue arn> because no resource-based policy allows the sqs:<action> action` over JSON
//! (the action lower-cased, the batch operations named by their single form).

use ferrybridge_engine::policy::{self, Decision, Principal, Request};
use ferrybridge_engine::sqs::{QueueKeyRef, SqsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

/// Operations that never act on another account's queue.
const OWNER_ONLY: &[&str] = &[
    "AddPermission",
    "RemovePermission",
    "DeleteQueue",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
];

/// The IAM action an operation is authorized as.
fn action(operation: &str) -> String {
    let single = match operation {
        "SendMessageBatch" => "SendMessage",
        "DeleteMessageBatch" => "DeleteMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        other => other,
    };
    format!("sqs:{single}")
}

/// The queue an operation on one queue names.
fn target<'a>(
    ctx: &'a RequestContext,
    operation: &str,
    input: &'a Value,
) -> Option<QueueKeyRef<'a>> {
    match operation {
        "GetQueueUrl" => {
            let name = input.get("QueueName")?.as_str()?;
            let owner = input
                .get("QueueOwnerAWSAccountId")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())?;
            Some(QueueKeyRef {
                account_id: owner,
                region: &ctx.region,
                name,
            })
        }
        "StartMessageMoveTask" | "ListMessageMoveTasks" => {
            let arn = input.get("SourceArn")?.as_str()?;
            let parts = ferrybridge_engine::arn::parse(arn)?;
            Some(QueueKeyRef {
                account_id: parts.account,
                region: parts.region,
                name: parts.resource,
            })
        }
        _ => {
            let url = input.get("QueueUrl")?.as_str()?;
            crate::url::queue_named_by(ctx, url)
        }
    }
}

/// `Ok` when the caller may run `operation` on the queue it names (or it names none).
pub(crate) fn check(
    engine: &SqsEngine,
    ctx: &RequestContext,
    operation: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    let Some(key) = target(ctx, operation, input) else {
        return Ok(());
    };
    let cross_account = key.account_id != ctx.account_id;
    let Ok(queue) = engine.queue_at(key) else {
        return Ok(());
    };
    let denied = |decision| {
        if operation == "GetQueueUrl" {
            // AWS does not reveal that another account's queue exists to a caller it does not
            // admit: QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue over Query).
            let message = "The specified queue does not exist or you do not have access to it.";
            return ServiceError::new("QueueDoesNotExist", message).with_query_message(message);
        }
        let lower = action(operation).to_ascii_lowercase();
        ServiceError::new(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: {lower} on resource: {} {}",
                ctx.caller_arn,
                queue.arn(),
                policy::denial_reason(decision, &lower)
            ),
        )
        // The resource AWS names is the URL the request went to: the regional endpoint for
        // the SDKs, which post every Query request to `/`.
        .with_query_message(format!(
            "Access to the resource https://sqs.{}.amazonaws.com/ is denied.",
            key.region
        ))
    };
    let moves = matches!(operation, "StartMessageMoveTask" | "ListMessageMoveTasks");
    if cross_account && (OWNER_ONLY.contains(&operation) || moves) {
        return Err(denied(Decision::ImplicitDeny));
    }
    let parsed = queue.access_policy();
    if !cross_account && parsed.is_none() {
        return Ok(());
    }
    let action = action(operation);
    let req = Request {
        principal: Principal::Aws {
            account: &ctx.account_id,
            arn: &ctx.caller_arn,
        },
        action: &action,
        resource: queue.arn(),
        context: &[],
    };
    match policy::authorize(parsed.as_deref(), key.account_id, &req) {
        Decision::Allow => Ok(()),
        decision => Err(denied(decision)),
    }
}
