//! Message move tasks: dead-letter queue redrive (`StartMessageMoveTask`,
//! `ListMessageMoveTasks`, `CancelMessageMoveTask`).
//!
//! A task moves the messages that were visible in a dead-letter queue when it started, oldest
//! first, to one destination queue or back to each message's original source queue, at most
//! `MaxNumberOfMessagesPerSecond` per second on the engine's clock. As AWS documents, a moved
//! message keeps its body and message attributes but is a new message: new `MessageId`, new
//! enqueue time (retention restarts), receive count zero.
//!
//! The task itself is data ([`MoveTask`]); [`super::SqsEngine::run_message_move_task`] is the
//! future that does the moving, spawned by whoever owns the runtime.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use base64::Engine as _;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::error::SqsError;
use super::message::Message;
use super::queue::{NewMessage, Queue};

/// `ListMessageMoveTasks` reports at most the 10 most recent tasks of a source queue.
pub const MOVE_TASKS_KEPT: usize = 10;

/// AWS's `FailureReason` when a queue a task reads or writes disappears.
pub const NON_EXISTENT_QUEUE: &str = "AWS.SimpleQueueService.NonExistentQueue";

/// AWS's `FailureReason` when a message sent straight to the DLQ is to go back to its source.
pub const COULD_NOT_DETERMINE_SOURCE: &str = "CouldNotDetermineMessageSource";

/// Without `MaxNumberOfMessagesPerSecond` AWS picks the rate; we move this many per step.
const UNLIMITED_STEP: usize = 100;

/// The `Status` of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveTaskStatus {
    Running,
    Completed,
    Cancelling,
    Cancelled,
    Failed,
}

impl MoveTaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Cancelling => "CANCELLING",
            Self::Cancelled => "CANCELLED",
            Self::Failed => "FAILED",
        }
    }

    /// Running or being cancelled: the source queue cannot start another task.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Cancelling)
    }
}

#[derive(Debug)]
struct Progress {
    status: MoveTaskStatus,
    moved: u64,
    failure_reason: Option<String>,
}

/// One message move task.
#[derive(Debug)]
pub struct MoveTask {
    pub task_id: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub max_per_second: Option<u32>,
    /// `StartedTimestamp`, epoch millis.
    pub started_ms: u64,
    /// `ApproximateNumberOfMessagesToMove`: visible messages when the task started.
    pub to_move: u64,
    /// The reset generation when the task started (see [`crate::reset`]).
    generation: u64,
    progress: Mutex<Progress>,
    cancel: Notify,
}

/// A consistent view of a task's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTaskProgress {
    pub status: MoveTaskStatus,
    pub moved: u64,
    pub failure_reason: Option<String>,
}

impl MoveTask {
    /// The `TaskHandle`: base64 of `{"taskId": ..., "sourceArn": ...}`, as AWS's handles
    /// decode, so that a handle names both the queue and the task.
    pub fn handle(&self) -> String {
        let json = serde_json::json!({"taskId": self.task_id, "sourceArn": self.source_arn});
        base64::engine::general_purpose::STANDARD.encode(json.to_string())
    }

    pub fn progress(&self) -> MoveTaskProgress {
        let p = self.progress.lock();
        MoveTaskProgress {
            status: p.status,
            moved: p.moved,
            failure_reason: p.failure_reason.clone(),
        }
    }

    fn finish(&self, status: MoveTaskStatus, failure_reason: Option<String>) {
        let mut p = self.progress.lock();
        p.status = status;
        p.failure_reason = failure_reason;
    }

    /// Ends the task because its queue was reset.
    pub(crate) fn end_by_reset(&self) {
        self.finish(MoveTaskStatus::Cancelled, None);
        self.cancel.notify_waiters();
    }

    fn is_cancelling(&self) -> bool {
        self.progress.lock().status == MoveTaskStatus::Cancelling
    }
}

/// `(taskId, sourceArn)` of a `TaskHandle`, if it is one.
pub fn decode_task_handle(handle: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(handle)
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let task_id = json.get("taskId")?.as_str()?.to_owned();
    let source_arn = json.get("sourceArn")?.as_str()?.to_owned();
    Some((task_id, source_arn))
}

/// The recent tasks of every source queue, newest first.
#[derive(Debug, Default)]
pub(crate) struct MoveTasks {
    by_source: Mutex<HashMap<String, VecDeque<Arc<MoveTask>>>>,
}

impl MoveTasks {
    /// Registers a task unless the source queue has an active one (checked atomically).
    pub(crate) fn start(&self, task: MoveTask) -> Result<Arc<MoveTask>, SqsError> {
        let mut by_source = self.by_source.lock();
        let tasks = by_source.entry(task.source_arn.clone()).or_default();
        if tasks.iter().any(|t| t.progress().status.is_active()) {
            return Err(SqsError::invalid_parameter_value(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        let task = Arc::new(task);
        tasks.push_front(task.clone());
        tasks.truncate(MOVE_TASKS_KEPT);
        Ok(task)
    }

    pub(crate) fn recent(&self, source_arn: &str) -> Vec<Arc<MoveTask>> {
        self.by_source
            .lock()
            .get(source_arn)
            .map(|tasks| tasks.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets the tasks of the matching queues (a reset) and returns them.
    pub(crate) fn remove_all(
        &self,
        matches: impl Fn(&super::QueueKey) -> bool,
    ) -> Vec<Arc<MoveTask>> {
        let mut removed = Vec::new();
        self.by_source.lock().retain(|arn, tasks| {
            let hit = super::QueueKey::from_arn(arn).is_some_and(|k| matches(&k));
            if hit {
                removed.extend(tasks.drain(..));
            }
            !hit
        });
        removed
    }

    pub(crate) fn find(&self, source_arn: &str, task_id: &str) -> Option<Arc<MoveTask>> {
        self.by_source
            .lock()
            .get(source_arn)?
            .iter()
            .find(|t| t.task_id == task_id)
            .cloned()
    }
}

impl super::SqsEngine {
    /// `StartMessageMoveTask`: validates as AWS does and registers a running task; the caller
    /// spawns [`Self::run_message_move_task`] for it.
    pub fn start_message_move_task(
        &self,
        source: &Arc<Queue>,
        destination_arn: Option<&str>,
        max_per_second: Option<u32>,
    ) -> Result<Arc<MoveTask>, SqsError> {
        if self.dead_letter_source_queues(source).is_empty() {
            return Err(SqsError::invalid_parameter_value(
                "Source queue must be configured as a Dead Letter Queue.",
            ));
        }
        if let Some(arn) = destination_arn {
            if arn == source.arn() {
                return Err(SqsError::invalid_parameter_value(
                    "Source queue arn and destination queue arn cannot be the same.",
                ));
            }
            let destination = self.queue_by_arn(arn).ok_or_else(|| {
                SqsError::new(
                    "ResourceNotFoundException",
                    "The resource that you specified for the DestinationArn parameter doesn't exist.",
                )
            })?;
            if destination.is_fifo() != source.is_fifo() {
                return Err(SqsError::invalid_parameter_value(
                    "The source queue and destination queue must be of the same queue type.",
                ));
            }
        }
        self.move_tasks.start(MoveTask {
            task_id: uuid::Uuid::new_v4().to_string(),
            source_arn: source.arn().to_owned(),
            destination_arn: destination_arn.map(str::to_owned),
            max_per_second,
            started_ms: self.clock().now_millis(),
            to_move: source.counts().visible,
            generation: self.resets().generation(),
            progress: Mutex::new(Progress {
                status: MoveTaskStatus::Running,
                moved: 0,
                failure_reason: None,
            }),
            cancel: Notify::new(),
        })
    }

    /// `ListMessageMoveTasks`: the most recent tasks of a source queue, newest first.
    pub fn list_message_move_tasks(&self, source_arn: &str, max: usize) -> Vec<Arc<MoveTask>> {
        let mut tasks = self.move_tasks.recent(source_arn);
        tasks.truncate(max);
        tasks
    }

    /// `CancelMessageMoveTask`: a running task stops before its next message; returns the
    /// number moved so far.
    pub fn cancel_message_move_task(&self, handle: &str) -> Result<u64, SqsError> {
        let (task_id, source_arn) = decode_task_handle(handle).ok_or_else(|| {
            SqsError::invalid_parameter_value("Value for parameter TaskHandle is invalid.")
        })?;
        if self.queue_by_arn(&source_arn).is_none() {
            return Err(SqsError::new(
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            ));
        }
        let task = self
            .move_tasks
            .find(&source_arn, &task_id)
            .ok_or_else(|| SqsError::new("ResourceNotFoundException", "Task does not exist."))?;
        let moved = {
            let mut p = task.progress.lock();
            if p.status != MoveTaskStatus::Running {
                return Err(SqsError::invalid_parameter_value(
                    "Only active tasks can be cancelled.",
                ));
            }
            p.status = MoveTaskStatus::Cancelling;
            p.moved
        };
        task.cancel.notify_one();
        Ok(moved)
    }

    /// Does the moving of `task` until it completes, fails or is cancelled.
    pub async fn run_message_move_task(&self, task: Arc<MoveTask>) {
        let clock = self.clock().clone();
        let mut destinations: HashMap<String, Arc<Queue>> = HashMap::new();
        let mut moved: u64 = 0;
        loop {
            if task.is_cancelling() {
                task.finish(MoveTaskStatus::Cancelled, None);
                return;
            }
            if moved >= task.to_move {
                task.finish(MoveTaskStatus::Completed, None);
                return;
            }
            let Some(source) = self.queue_by_arn(&task.source_arn) else {
                task.finish(MoveTaskStatus::Failed, Some(NON_EXISTENT_QUEUE.into()));
                return;
            };
            if self.reset_since(task.generation, source.key()) {
                // The queue was reset: the task is gone with it (any queue of the same name
                // now is a new one).
                task.finish(MoveTaskStatus::Cancelled, None);
                return;
            }
            let now = clock.now_millis();
            let elapsed = now.saturating_sub(task.started_ms);
            // By `elapsed` ms, floor(elapsed * rate / 1000) + 1 messages may have moved: the
            // first at once, then one every 1/rate seconds.
            let allowed = task.max_per_second.map_or(u64::MAX, |rate| {
                elapsed.saturating_mul(u64::from(rate)) / 1000 + 1
            });
            let budget = allowed
                .min(task.to_move)
                .saturating_sub(moved)
                .min(UNLIMITED_STEP as u64);
            for _ in 0..budget {
                let Some(message) = source.take_for_move(1).pop() else {
                    // Nothing visible is left (consumed or expired meanwhile): done.
                    task.finish(MoveTaskStatus::Completed, None);
                    return;
                };
                if let Err(reason) = self.move_one(&task, &mut destinations, &source, message) {
                    task.finish(MoveTaskStatus::Failed, Some(reason));
                    return;
                }
                moved += 1;
                task.progress.lock().moved = moved;
                if task.is_cancelling() {
                    break;
                }
            }
            match task.max_per_second {
                Some(rate) if moved < task.to_move => {
                    let rate = u64::from(rate.max(1));
                    let next = task.started_ms + (moved * 1000).div_ceil(rate);
                    tokio::select! {
                        _ = task.cancel.notified() => {}
                        _ = clock.sleep_until(next) => {}
                    }
                }
                _ => tokio::task::yield_now().await,
            }
        }
    }

    /// Sends one message taken from the DLQ to its destination; on failure puts it back and
    /// returns AWS's `FailureReason`.
    fn move_one(
        &self,
        task: &MoveTask,
        destinations: &mut HashMap<String, Arc<Queue>>,
        source: &Queue,
        message: Message,
    ) -> Result<(), String> {
        let Some(arn) = task
            .destination_arn
            .as_deref()
            .or(message.dead_letter_source_arn())
            .map(str::to_owned)
        else {
            // Sent straight to the DLQ: there is no source to go back to.
            source.restore_after_failed_move(message);
            return Err(COULD_NOT_DETERMINE_SOURCE.into());
        };
        let cached = destinations.get(&arn).filter(|q| !q.is_deleted()).cloned();
        let destination = cached.or_else(|| {
            let q = self.queue_by_arn(&arn)?;
            destinations.insert(arn, q.clone());
            Some(q)
        });
        let Some(destination) = destination else {
            source.restore_after_failed_move(message);
            return Err(NON_EXISTENT_QUEUE.into());
        };
        if self.reset_since(task.generation, destination.key()) {
            // Reset since the task started: the message is not carried into the new state.
            source.restore_after_failed_move(message);
            return Err(NON_EXISTENT_QUEUE.into());
        }
        let fifo = destination.is_fifo();
        let extra = message.extra.as_deref();
        let sent = destination.send(NewMessage {
            body: message.body.to_string(),
            attributes: message.attributes().to_vec(),
            aws_trace_header: message.aws_trace_header().map(str::to_owned),
            delay_seconds: None,
            sender_id: message.sender_id.to_string(),
            message_group_id: message.message_group_id().map(str::to_owned),
            message_deduplication_id: fifo.then(|| {
                extra
                    .and_then(|e| e.message_deduplication_id.clone())
                    .unwrap_or_else(|| message.message_id())
            }),
        });
        match sent {
            Ok(_) => {
                // Journaled only now that the destination has it: kept twice, never lost.
                source.journal_gone(message.seq);
                Ok(())
            }
            Err(e) => {
                source.restore_after_failed_move(message);
                Err(e.code.to_string())
            }
        }
    }
}
