//! Amazon SQS: queues, messages and their behaviour over time.
//!
//! * [`SqsEngine`]: the registry of queues per account and region (create, look up, delete,
//!   list), backed by a [`storage::SqsStorage`].
//! * [`Queue`]: one queue; every message operation is a method on it. Each queue has its own
//!   locks, so operations on different queues never wait for each other.
//! * [`store::MessageStore`]: where a queue's messages live (in memory for now):
//!   [`store::MemoryMessageStore`] for standard queues, [`fifo_store::FifoMessageStore`] for
//!   FIFO queues (ordered message groups, locked while a message of the group is in flight).
//! * [`storage::SqsStorage`]: the catalog of queues and factory of message stores; the one
//!   trait a persistent backend implements.

pub mod attributes;
pub mod error;
pub mod fifo_store;
mod in_flight;
pub mod message;
pub mod move_task;
pub mod persist;
pub mod queue;
pub mod receipt;
pub mod snapshot;
pub mod storage;
pub mod store;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use attributes::QueueAttributes;
pub use error::SqsError;
pub use message::{AttributePayload, Message, MessageAttributeValue, MessageAttributes};
pub use move_task::{MoveTask, MoveTaskProgress, MoveTaskStatus};
pub use queue::{
    NewMessage, Queue, QueueKey, QueueKeyRef, QueueMeta, ReceiveOptions, ReceivedMessage,
    SendResult,
};
pub use storage::{CreateOutcome, MemoryStorage, SqsStorage};

use crate::clock::Clock;
use crate::reset::{Resets, Service};
use crate::shutdown::Shutdown;

/// After `DeleteQueue`, a queue of the same name cannot be created for 60 seconds.
pub const RECENTLY_DELETED_MS: u64 = 60_000;

/// AWS's message for an invalid standard queue name.
pub const INVALID_QUEUE_NAME_MESSAGE: &str =
    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length";

/// AWS's message for an invalid FIFO queue name.
pub const INVALID_FIFO_QUEUE_NAME_MESSAGE: &str = "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.";

/// The raw `RedrivePolicy` value of a request's attributes, if it sets one.
fn redrive_policy_in<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<&'a str> {
    attrs
        .into_iter()
        .filter(|(name, _)| *name == "RedrivePolicy")
        .map(|(_, value)| value)
        .last()
}

/// The SQS engine: all queues of all accounts and regions.
pub struct SqsEngine {
    clock: Arc<dyn Clock>,
    storage: Arc<dyn SqsStorage>,
    secret: Arc<[u8; 32]>,
    incarnations: AtomicU64,
    move_tasks: move_task::MoveTasks,
    /// Tasks restored running at a restart (`--data-dir`), until the server runs them.
    resumed_move_tasks: parking_lot::Mutex<Vec<Arc<MoveTask>>>,
    shutdown: Arc<Shutdown>,
    resets: Arc<Resets>,
    /// `--data-dir`: where every change is journaled (see [`persist`]).
    journal: Option<Arc<dyn crate::persist::Journal>>,
    /// Held (shared) from journaling a queue's creation until it is in the catalog; a
    /// checkpoint holds it exclusively while it rotates the journal and lists the queues.
    creating: parking_lot::RwLock<()>,
}

impl std::fmt::Debug for SqsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsEngine").finish_non_exhaustive()
    }
}

/// Whether `name` is a valid standard queue name: 1-80 of `[A-Za-z0-9_-]`.
pub fn is_valid_queue_name(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SqsEngine {
    /// An engine with in-memory storage.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_storage(clock, Arc::new(MemoryStorage::new()))
    }

    pub fn with_storage(clock: Arc<dyn Clock>, storage: Arc<dyn SqsStorage>) -> Self {
        let secret: [u8; 32] = rand::random();
        Self {
            clock,
            storage,
            secret: Arc::new(secret),
            incarnations: AtomicU64::new(rand::random::<u32>() as u64),
            move_tasks: move_task::MoveTasks::default(),
            resumed_move_tasks: parking_lot::Mutex::new(Vec::new()),
            shutdown: Arc::new(Shutdown::default()),
            resets: Arc::new(Resets::new()),
            journal: None,
            creating: parking_lot::RwLock::new(()),
        }
    }

    /// A new, empty message store for the queue `inc`, journaling its changes when
    /// persistence is on.
    fn new_store(&self, key: &QueueKey, fifo: bool, inc: u64) -> Box<dyn store::MessageStore> {
        let inner = self.storage.message_store(key, fifo);
        match &self.journal {
            Some(j) => Box::new(persist::JournaledStore::new(inner, j.clone(), inc)),
            None => inner,
        }
    }

    /// Journals a queue's creation.
    fn journal_queue(&self, queue: &Queue) {
        let Some(j) = &self.journal else { return };
        let mut e = crate::persist::Enc::default();
        persist::encode_queue(
            &mut e,
            true,
            queue.incarnation(),
            queue.key(),
            queue.created_timestamp(),
            &queue.meta(),
            0,
        );
        let mut buf = Vec::new();
        crate::persist::frame(&mut buf, crate::persist::kind::SQS_QUEUE, &e.0);
        crate::persist::append(&**j, &buf);
    }

    /// The server is stopping: every parked long poll answers now (empty), and polls that
    /// start later do not wait.
    pub fn end_long_polls(&self) {
        self.shutdown.begin();
    }

    /// The same engine, sharing `resets` with the server's other engines.
    pub fn with_resets(mut self, resets: Arc<Resets>) -> Self {
        self.resets = resets;
        self
    }

    pub fn resets(&self) -> &Arc<Resets> {
        &self.resets
    }

    /// Whether the queue at `key` was reset after `generation` (see [`crate::reset`]).
    pub fn reset_since(&self, generation: u64, key: &QueueKey) -> bool {
        self.resets
            .since(generation, Service::Sqs, &key.account_id, &key.region)
    }

    /// Drops every queue (messages, tags, move tasks) of the matching accounts and regions
    /// (`None`: all). Waiting long polls of those queues end; their receipt handles and the
    /// names are free at once (no `QueueDeletedRecently`). Call before [`Resets::record`].
    pub fn reset(&self, account_id: Option<&str>, region: Option<&str>) -> usize {
        let queues = self.storage.remove_all(account_id, region);
        for queue in &queues {
            queue.mark_deleted();
        }
        let tasks = self.move_tasks.remove_all(|key| {
            account_id.is_none_or(|a| a == key.account_id) && region.is_none_or(|r| r == key.region)
        });
        for task in tasks {
            task.end_by_reset();
            // `--data-dir`: a reset task never runs again after a restart.
            self.journal_move_task(&task);
        }
        queues.len()
    }

    /// Every (account, region) that has queues, sorted.
    pub fn locations(&self) -> Vec<(String, String)> {
        let mut scopes = self.storage.scopes();
        scopes.sort();
        scopes
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// `CreateQueue`. Returns the queue and whether it was created (`false`: it existed with
    /// the same attributes). `attributes` are validated with AWS's rules and messages.
    pub fn create_queue(
        &self,
        key: QueueKey,
        attributes: &[(String, String)],
        tags: &[(String, String)],
    ) -> Result<(Arc<Queue>, bool), SqsError> {
        let fifo = attributes
            .iter()
            .any(|(k, v)| k == "FifoQueue" && v.eq_ignore_ascii_case("true"));
        if fifo {
            let valid = key
                .name
                .strip_suffix(".fifo")
                .is_some_and(|base| base.len() + 5 <= 80 && is_valid_queue_name(base));
            if !valid {
                return Err(SqsError::invalid_parameter_value(
                    INVALID_FIFO_QUEUE_NAME_MESSAGE,
                ));
            }
        } else if !is_valid_queue_name(&key.name) {
            return Err(SqsError::invalid_parameter_value(
                INVALID_QUEUE_NAME_MESSAGE,
            ));
        }
        let pairs = || attributes.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let defaults = if fifo {
            QueueAttributes::fifo()
        } else {
            QueueAttributes::default()
        };
        let attrs = defaults.with_applied(pairs())?;
        self.check_redrive_target(&key.arn(), &attrs, redrive_policy_in(pairs()))?;
        if let Some(existing) = self.storage.get(key.borrowed()) {
            return self.check_same(existing, attributes).map(|q| (q, false));
        }
        let tags: BTreeMap<String, String> = tags.iter().cloned().collect();
        let inc = self.incarnations.fetch_add(1, Ordering::SeqCst);
        let queue = Arc::new(Queue::new(
            key.clone(),
            inc,
            attrs,
            tags,
            self.new_store(&key, fifo, inc),
            self.clock.clone(),
            self.secret.clone(),
            Arc::downgrade(&self.storage),
            self.shutdown.clone(),
            self.journal.clone(),
        ));
        // Journaled before the queue can be found, so that no record of a message sent to it
        // precedes its creation; undone below if it is not created after all.
        let outcome = {
            let _gate = self.journal.as_ref().map(|_| self.creating.read());
            self.journal_queue(&queue);
            self.storage
                .create(queue.clone(), self.clock.now_millis(), RECENTLY_DELETED_MS)
        };
        if !matches!(outcome, CreateOutcome::Created) {
            queue.mark_deleted();
        }
        match outcome {
            CreateOutcome::Created => Ok((queue, true)),
            CreateOutcome::Exists(existing) => {
                self.check_same(existing, attributes).map(|q| (q, false))
            }
            CreateOutcome::DeletedRecently => Err(SqsError::new(
                "QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            )),
        }
    }

    fn check_same(
        &self,
        existing: Arc<Queue>,
        attributes: &[(String, String)],
    ) -> Result<Arc<Queue>, SqsError> {
        let current = existing.attributes();
        let wanted =
            current.with_applied(attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        for (name, _) in attributes {
            if current.get(name) != wanted.get(name) {
                return Err(SqsError::new(
                    "QueueNameExists",
                    format!(
                        "A queue already exists with the same name and a different value for attribute {name}"
                    ),
                ));
            }
        }
        Ok(existing)
    }

    /// `SetQueueAttributes`, validating references to other queues too.
    pub fn set_queue_attributes<'a>(
        &self,
        queue: &Queue,
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), SqsError> {
        let attrs: Vec<(&str, &str)> = attrs.into_iter().collect();
        let raw = redrive_policy_in(attrs.iter().copied());
        // Validate against a snapshot and check the target queue with no lock held: the
        // target may be this very queue (AWS accepts a queue as its own dead-letter queue) or
        // a queue whose own policy names this one, and a check under this queue's write lock
        // froze the server on both.
        let next = queue.attributes().with_applied(attrs.iter().copied())?;
        self.check_redrive_target(queue.arn(), &next, raw)?;
        queue.set_attributes(attrs.iter().copied())
    }

    /// A `RedrivePolicy` being set (`raw`, as the client sent it, which AWS echoes in its
    /// messages) must name an existing queue of the same type. Only the request's own
    /// `RedrivePolicy` is checked: setting another attribute does not revalidate a policy set
    /// earlier whose target has since been deleted.
    fn check_redrive_target(
        &self,
        source_arn: &str,
        attrs: &QueueAttributes,
        raw: Option<&str>,
    ) -> Result<(), SqsError> {
        let (Some(policy), Some(raw)) = (&attrs.redrive_policy, raw) else {
            return Ok(());
        };
        let invalid = |reason: &str| {
            SqsError::invalid_parameter_value(format!(
                "Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
            ))
        };
        match self.queue_by_arn(&policy.dead_letter_target_arn) {
            None => Err(invalid("Dead letter target does not exist.")),
            Some(target) if target.is_fifo() != attrs.fifo_queue => Err(invalid(
                "Dead-letter queue must be same type of queue as the source.",
            )),
            Some(target)
                if !attributes::redrive_allows(
                    target.attributes().redrive_allow_policy.as_deref(),
                    source_arn,
                ) =>
            {
                Err(invalid(
                    "Queue is not allowed to use the dead letter target by its RedriveAllowPolicy.",
                ))
            }
            Some(_) => Ok(()),
        }
    }

    /// The queue at `key`, or `QueueDoesNotExist`.
    pub fn queue(&self, key: &QueueKey) -> Result<Arc<Queue>, SqsError> {
        self.queue_at(key.borrowed())
    }

    /// [`SqsEngine::queue`] with a borrowed key.
    pub fn queue_at(&self, key: QueueKeyRef<'_>) -> Result<Arc<Queue>, SqsError> {
        self.storage
            .get(key)
            .ok_or_else(SqsError::queue_does_not_exist)
    }

    /// The queue with this ARN, if it exists.
    pub fn queue_by_arn(&self, arn: &str) -> Option<Arc<Queue>> {
        self.storage.get(QueueKeyRef::from_arn(arn)?)
    }

    /// `DeleteQueue`: removes the queue at once; waiting receivers return empty.
    pub fn delete_queue(&self, key: &QueueKey) -> Result<(), SqsError> {
        let queue = self
            .storage
            .remove(key, self.clock.now_millis())
            .ok_or_else(SqsError::queue_does_not_exist)?;
        queue.mark_deleted();
        Ok(())
    }

    /// Queues of an account and region whose name starts with `prefix`, sorted by name.
    pub fn list_queues(&self, account_id: &str, region: &str, prefix: &str) -> Vec<Arc<Queue>> {
        let mut queues: Vec<Arc<Queue>> = self
            .storage
            .list(account_id, region)
            .into_iter()
            .filter(|q| q.name().starts_with(prefix))
            .collect();
        queues.sort_by(|a, b| a.name().cmp(b.name()));
        queues
    }

    /// Queues of the same account and region whose `RedrivePolicy` targets `dlq`.
    pub fn dead_letter_source_queues(&self, dlq: &Queue) -> Vec<Arc<Queue>> {
        self.list_queues(&dlq.key().account_id, &dlq.key().region, "")
            .into_iter()
            .filter(|q| {
                q.attributes()
                    .redrive_policy
                    .is_some_and(|p| p.dead_letter_target_arn == dlq.arn())
            })
            .collect()
    }
}

#[cfg(test)]
mod fifo_tests;
#[cfg(test)]
mod redrive_tests;
#[cfg(test)]
mod tests;
