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

const ALL_STATUSES: [MoveTaskStatus; 5] = [
    MoveTaskStatus::Running,
    MoveTaskStatus::Completed,
    MoveTaskStatus::Cancelling,
    MoveTaskStatus::Cancelled,
    MoveTaskStatus::Failed,
];

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
    /// Where the rate counts from: (time, messages moved by then). The start; for a task
    /// restored at a restart (`--data-dir`), the restart.
    anchor: (u64, u64),
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

    /// The task's record (`--data-dir`): its request, start and current progress.
    fn frame(&self, buf: &mut Vec<u8>) {
        let p = self.progress.lock();
        let status = ALL_STATUSES
            .iter()
            .position(|s| *s == p.status)
            .unwrap_or(0);
        let mut e = crate::persist::Enc::default();
        e.str(&self.task_id)
            .str(&self.source_arn)
            .opt_str(self.destination_arn.as_deref())
            .u32(self.max_per_second.unwrap_or(0))
            .u64(self.started_ms)
            .u64(self.to_move)
            .u8(status as u8)
            .u64(p.moved)
            .opt_str(p.failure_reason.as_deref());
        crate::persist::frame(buf, crate::persist::kind::SQS_MOVE_TASK, &e.0);
    }

    /// A task from its record; `now` anchors the rate of a task still running.
    fn decode(data: &[u8], now: u64, generation: u64) -> Result<MoveTask, String> {
        let mut d = crate::persist::Dec(data);
        let task_id = d.str()?.to_owned();
        let source_arn = d.str()?.to_owned();
        let destination_arn = d.opt_str()?.map(str::to_owned);
        let max_per_second = Some(d.u32()?).filter(|r| *r > 0);
        let started_ms = d.u64()?;
        let to_move = d.u64()?;
        let status = *ALL_STATUSES
            .get(usize::from(d.u8()?))
            .ok_or("bad move task status")?;
        let moved = d.u64()?;
        let failure_reason = d.opt_str()?.map(str::to_owned);
        Ok(MoveTask {
            task_id,
            source_arn,
            destination_arn,
            max_per_second,
            started_ms,
            to_move,
            generation,
            progress: Mutex::new(Progress {
                status,
                moved,
                failure_reason,
            }),
            cancel: Notify::new(),
            anchor: (now, moved),
        })
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

    fn all(&self) -> Vec<Arc<MoveTask>> {
        self.by_source
            .lock()
            .values()
            .flat_map(|tasks| tasks.iter().cloned())
            .collect()
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
        let now = self.clock().now_millis();
        let task = self.move_tasks.start(MoveTask {
            anchor: (now, 0),
            task_id: uuid::Uuid::new_v4().to_string(),
            source_arn: source.arn().to_owned(),
            destination_arn: destination_arn.map(str::to_owned),
            max_per_second,
            started_ms: now,
            to_move: source.counts().visible,
            generation: self.resets().generation(),
            progress: Mutex::new(Progress {
                status: MoveTaskStatus::Running,
                moved: 0,
                failure_reason: None,
            }),
            cancel: Notify::new(),
        })?;
        // `--data-dir`: the task is durable before StartMessageMoveTask answers.
        self.journal_move_task(&task);
        Ok(task)
    }

    /// Journals `task`'s state (`--data-dir`): at its start, after each step, at its end.
    pub(crate) fn journal_move_task(&self, task: &MoveTask) {
        if let Some(j) = &self.journal {
            let mut buf = Vec::new();
            task.frame(&mut buf);
            crate::persist::append(&**j, &buf);
        }
    }

    /// Journals every task kept (at a checkpoint).
    pub fn journal_move_tasks(&self) {
        for task in self.move_tasks.all() {
            self.journal_move_task(&task);
        }
    }

    /// Restores the tasks journaled (the last record of each), the 10 most recent of each
    /// source queue; those that were running go on (see [`Self::take_resumed_move_tasks`]).
    pub fn restore_move_tasks(&self, records: &[Vec<u8>]) -> Result<(), String> {
        let now = self.clock().now_millis();
        let generation = self.resets().generation();
        let mut last: HashMap<(String, String), MoveTask> = HashMap::new();
        for data in records {
            let task = MoveTask::decode(data, now, generation)
                .map_err(|e| format!("message move task: {e}"))?;
            last.insert((task.source_arn.clone(), task.task_id.clone()), task);
        }
        let mut tasks: Vec<MoveTask> = last.into_values().collect();
        tasks.sort_by_key(|t| t.started_ms);
        let mut by_source = self.move_tasks.by_source.lock();
        let mut resumed = Vec::new();
        for task in tasks {
            let task = Arc::new(task);
            if task.progress().status.is_active() {
                resumed.push(task.clone());
            }
            let list = by_source.entry(task.source_arn.clone()).or_default();
            list.push_front(task);
            list.truncate(MOVE_TASKS_KEPT);
        }
        drop(by_source);
        *self.resumed_move_tasks.lock() = resumed;
        Ok(())
    }

    /// The tasks that were running at the restart, for the server to run again.
    pub fn take_resumed_move_tasks(&self) -> Vec<Arc<MoveTask>> {
        std::mem::take(&mut *self.resumed_move_tasks.lock())
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
        self.move_task_steps(&task).await;
        // `--data-dir`: the end (or the last step) is journaled.
        self.journal_move_task(&task);
    }

    async fn move_task_steps(&self, task: &Arc<MoveTask>) {
        let task = &**task;
        let clock = self.clock().clone();
        let mut destinations: HashMap<String, Arc<Queue>> = HashMap::new();
        let mut moved: u64 = task.progress().moved;
        let (anchor_ms, anchor_moved) = task.anchor;
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
            let elapsed = now.saturating_sub(anchor_ms);
            // By `elapsed` ms after the anchor, floor(elapsed * rate / 1000) + 1 more messages
            // may have moved: the first at once, then one every 1/rate seconds.
            let allowed = task.max_per_second.map_or(u64::MAX, |rate| {
                anchor_moved + elapsed.saturating_mul(u64::from(rate)) / 1000 + 1
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
                if let Err(reason) = self.move_one(task, &mut destinations, &source, message) {
                    task.finish(MoveTaskStatus::Failed, Some(reason));
                    return;
                }
                moved += 1;
                task.progress.lock().moved = moved;
                if task.is_cancelling() {
                    break;
                }
            }
            if budget > 0 {
                self.journal_move_task(task);
            }
            match task.max_per_second {
                Some(rate) if moved < task.to_move => {
                    let rate = u64::from(rate.max(1));
                    let next = anchor_ms + ((moved - anchor_moved) * 1000).div_ceil(rate);
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
