//! One SQS standard queue: its attributes, tags and messages, and the behaviour of every
//! message operation (send, receive with long polling, delete, visibility changes, purge).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use super::attributes::{QueueAttributes, ALL_ATTRIBUTE_NAMES};
use super::error::SqsError;
use super::message::{
    md5_of_attributes, md5_of_body, Message, MessageAttributeValue, MessageAttributes, MessageExtra,
};
use super::receipt::ReceiptHandle;
use super::storage::SqsStorage;
use super::store::{Counts, DeleteOutcome, MessageStore, VisibilityOutcome};
use crate::clock::Clock;
use crate::persist::{self, kind, Enc, Journal};
use crate::shutdown::Shutdown;

/// Longest a message may stay in flight after a receive: 12 hours.
pub const MAX_VISIBILITY_TIMEOUT_SECONDS: u32 = 43_200;
/// A second `PurgeQueue` within this window fails with `PurgeQueueInProgress`.
pub const PURGE_WINDOW_MS: u64 = 60_000;
/// FIFO deduplication interval: 5 minutes. Also how long a `ReceiveRequestAttemptId` can be
/// retried.
pub const DEDUPLICATION_WINDOW_MS: u64 = 300_000;

/// A FIFO receive remembered under its `ReceiveRequestAttemptId`, so that a retry gets the
/// same messages and receipt handles back.
struct ReceiveAttempt {
    expires_ms: u64,
    /// Each message's visibility deadline as this receive (or its last retry) set it: a
    /// retry is answered from here only while no message was deleted or had its visibility
    /// changed since.
    received: Vec<(ReceivedMessage, u64)>,
}

/// FIFO deduplication ids seen in the last five minutes.
#[derive(Default)]
struct Deduplication {
    /// key -> (message id, sequence number, expiry).
    seen: std::collections::HashMap<String, (u128, String, u64)>,
    expiries: std::collections::VecDeque<(u64, String)>,
}

impl Deduplication {
    fn expire(&mut self, now: u64) {
        while let Some((at, _)) = self.expiries.front() {
            if *at > now {
                break;
            }
            if let Some((at, key)) = self.expiries.pop_front() {
                if self.seen.get(&key).is_some_and(|e| e.2 == at) {
                    self.seen.remove(&key);
                }
            }
        }
    }
}

/// Where a queue lives: account, region, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueKey {
    pub account_id: String,
    pub region: String,
    pub name: String,
}

impl QueueKey {
    pub fn new(
        account_id: impl Into<String>,
        region: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            account_id: account_id.into(),
            region: region.into(),
            name: name.into(),
        }
    }

    /// The key of `arn:{partition}:sqs:{region}:{account}:{name}`.
    pub fn from_arn(arn: &str) -> Option<Self> {
        QueueKeyRef::from_arn(arn).map(|key| key.to_owned())
    }

    /// This key, borrowed.
    pub fn borrowed(&self) -> QueueKeyRef<'_> {
        QueueKeyRef {
            account_id: &self.account_id,
            region: &self.region,
            name: &self.name,
        }
    }

    /// `arn:aws:sqs:{region}:{account}:{name}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{}",
            self.region, self.account_id, self.name
        )
    }
}

/// A [`QueueKey`] borrowed from what a request names (a queue URL, an ARN): finding a queue
/// needs no allocation, and every request that names a queue finds it (some twice: the
/// access check, then the operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueKeyRef<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub name: &'a str,
}

impl<'a> QueueKeyRef<'a> {
    /// The key of `arn:{partition}:sqs:{region}:{account}:{name}`.
    pub fn from_arn(arn: &'a str) -> Option<Self> {
        crate::arn::parse(arn)
            .filter(|a| a.service == "sqs")
            .map(|a| QueueKeyRef {
                account_id: a.account,
                region: a.region,
                name: a.resource,
            })
    }

    /// The owned key.
    pub fn to_owned(self) -> QueueKey {
        QueueKey::new(self.account_id, self.region, self.name)
    }
}

/// A FIFO `SequenceNumber`: 20 digits, increasing with every message of the queue.
fn fifo_sequence_number(seq: u64) -> String {
    (10_000_000_000_000_000_000u128 + u128::from(seq)).to_string()
}

/// Mutable queue configuration.
#[derive(Debug, Clone)]
pub struct QueueMeta {
    pub attributes: QueueAttributes,
    pub tags: BTreeMap<String, String>,
    /// Epoch seconds.
    pub last_modified: u64,
    /// Epoch millis of the last `PurgeQueue`.
    pub last_purge_ms: Option<u64>,
}

/// A message to send, already validated for shape by the caller.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub body: String,
    /// User attributes (any order).
    pub attributes: MessageAttributes,
    pub aws_trace_header: Option<String>,
    /// Per-message delay; `None` = the queue's `DelaySeconds`.
    pub delay_seconds: Option<u32>,
    /// `SenderId` system attribute.
    pub sender_id: String,
    /// Required on FIFO queues; optional on standard queues.
    pub message_group_id: Option<String>,
    /// FIFO queues only.
    pub message_deduplication_id: Option<String>,
}

/// What `SendMessage` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    pub message_id: String,
    pub md5_of_body: String,
    pub md5_of_attributes: Option<String>,
    pub md5_of_system_attributes: Option<String>,
    /// FIFO queues only.
    pub sequence_number: Option<String>,
}

/// Options of a receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveOptions {
    pub max_messages: usize,
    /// `None` = the queue's `VisibilityTimeout`.
    pub visibility_timeout: Option<u32>,
    /// `None` = the queue's `ReceiveMessageWaitTimeSeconds`.
    pub wait_seconds: Option<u32>,
    /// `ReceiveRequestAttemptId` (FIFO queues; ignored on standard queues, as on AWS).
    pub attempt_id: Option<String>,
}

impl Default for ReceiveOptions {
    fn default() -> Self {
        Self {
            max_messages: 1,
            visibility_timeout: None,
            wait_seconds: None,
            attempt_id: None,
        }
    }
}

/// A received message and the receipt handle of this receive.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub message: Message,
    pub receipt_handle: String,
}

/// An SQS queue.
pub struct Queue {
    key: QueueKey,
    arn: String,
    incarnation: u64,
    created: u64,
    meta: RwLock<QueueMeta>,
    messages: Mutex<Box<dyn MessageStore>>,
    dedup: Mutex<Deduplication>,
    notify: Notify,
    deleted: AtomicBool,
    clock: Arc<dyn Clock>,
    secret: Arc<[u8; 32]>,
    owner: Arc<str>,
    /// The catalog, to find this queue's dead-letter queue when a message must go there.
    catalog: Weak<dyn SqsStorage>,
    /// FIFO receives by `ReceiveRequestAttemptId`.
    attempts: Mutex<std::collections::HashMap<String, ReceiveAttempt>>,
    /// Set when the server stops: long polls end at once.
    shutdown: Arc<Shutdown>,
    /// Where configuration changes are journaled (`--data-dir`); message changes are
    /// journaled by the queue's store (see [`super::persist`]).
    journal: Option<Arc<dyn Journal>>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("arn", &self.arn).finish()
    }
}

impl Queue {
    // Called from one place (SqsEngine::create_queue); a builder would only add ceremony.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        key: QueueKey,
        incarnation: u64,
        attributes: QueueAttributes,
        tags: BTreeMap<String, String>,
        store: Box<dyn MessageStore>,
        clock: Arc<dyn Clock>,
        secret: Arc<[u8; 32]>,
        catalog: Weak<dyn SqsStorage>,
        shutdown: Arc<Shutdown>,
        journal: Option<Arc<dyn Journal>>,
    ) -> Self {
        let now = clock.now_seconds();
        Self {
            arn: key.arn(),
            owner: Arc::from(key.account_id.as_str()),
            key,
            incarnation,
            created: now,
            meta: RwLock::new(QueueMeta {
                attributes,
                tags,
                last_modified: now,
                last_purge_ms: None,
            }),
            messages: Mutex::new(store),
            dedup: Mutex::new(Deduplication::default()),
            notify: Notify::new(),
            deleted: AtomicBool::new(false),
            clock,
            secret,
            catalog,
            attempts: Mutex::new(std::collections::HashMap::new()),
            shutdown,
            journal,
        }
    }

    /// A queue rebuilt from `--data-dir` (see [`super::persist`]): its configuration, store
    /// (messages already restored) and FIFO deduplication ids as they were.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restored(
        key: QueueKey,
        incarnation: u64,
        created: u64,
        meta: QueueMeta,
        store: Box<dyn MessageStore>,
        dedup: Vec<(String, u128, String, u64)>,
        clock: Arc<dyn Clock>,
        secret: Arc<[u8; 32]>,
        catalog: Weak<dyn SqsStorage>,
        shutdown: Arc<Shutdown>,
        journal: Option<Arc<dyn Journal>>,
    ) -> Self {
        let mut q = Self::new(
            key,
            incarnation,
            meta.attributes.clone(),
            meta.tags.clone(),
            store,
            clock,
            secret,
            catalog,
            shutdown,
            journal,
        );
        q.created = created;
        *q.meta.get_mut() = meta;
        let now = q.clock.now_millis();
        let mut entries = dedup;
        entries.sort_by_key(|e| e.3);
        let table = q.dedup.get_mut();
        for (key, id, seq, expires) in entries {
            if expires > now {
                table.seen.insert(key.clone(), (id, seq, expires));
                table.expiries.push_back((expires, key));
            }
        }
        q
    }

    /// Every stored message (visible, in flight or delayed), oldest first (an export).
    pub fn messages_in_order(&self) -> Vec<Message> {
        let mut out = Vec::new();
        self.messages
            .lock()
            .for_each(&mut |m, _| out.push(m.clone()));
        out.sort_by_key(|m| m.seq);
        out
    }

    pub(crate) fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// Journals the queue's configuration (called with the meta write lock held, so the
    /// records of one queue are in the order of its changes).
    fn journal_meta(&self, meta: &QueueMeta) {
        if let Some(j) = &self.journal {
            let mut e = Enc::default();
            super::persist::encode_queue(
                &mut e,
                false,
                self.incarnation,
                &self.key,
                self.created,
                meta,
                0,
            );
            let mut buf = Vec::new();
            persist::frame(&mut buf, kind::SQS_QUEUE, &e.0);
            persist::append(&**j, &buf);
        }
    }

    /// Journals that a message left this queue outside its store's own operations (moved to
    /// the dead-letter queue or by a move task: written after the dead-letter queue stored it, so a crash in
    /// between keeps it twice rather than losing it).
    pub(crate) fn journal_gone(&self, seq: u64) {
        if let Some(j) = &self.journal {
            let mut e = Enc::default();
            e.u64(self.incarnation).u64(seq);
            let mut buf = Vec::new();
            persist::frame(&mut buf, kind::SQS_DELETE, &e.0);
            persist::append(&**j, &buf);
        }
    }

    /// The queue's whole state as journal records: configuration (a reset record), every
    /// message with the instant it becomes visible, FIFO deduplication ids. Taken under the
    /// queue's own locks (meta, then deduplication, then messages, the order `send` uses), so
    /// it sits between this queue's other records at the right place.
    pub(crate) fn checkpoint(&self) {
        let Some(j) = &self.journal else { return };
        let meta = self.meta.read();
        if self.is_deleted() {
            return;
        }
        let dedup = self.dedup.lock();
        let store = self.messages.lock();
        let mut buf = Vec::new();
        let mut e = Enc::default();
        super::persist::encode_queue(
            &mut e,
            true,
            self.incarnation,
            &self.key,
            self.created,
            &meta,
            store.current_seq(),
        );
        persist::frame(&mut buf, kind::SQS_QUEUE, &e.0);
        store.for_each(&mut |m, visible_at| {
            let mut e = Enc(Vec::with_capacity(96 + m.body.len()));
            e.u64(self.incarnation);
            super::persist::encode_message(&mut e, m, visible_at);
            persist::frame(&mut buf, kind::SQS_MESSAGE, &e.0);
        });
        for (key, (id, seq, expires)) in &dedup.seen {
            let mut e = Enc::default();
            e.u64(self.incarnation)
                .str(key)
                .u128(*id)
                .str(seq)
                .u64(*expires);
            persist::frame(&mut buf, kind::SQS_DEDUP, &e.0);
        }
        persist::append(&**j, &buf);
    }

    pub fn key(&self) -> &QueueKey {
        &self.key
    }

    pub fn name(&self) -> &str {
        &self.key.name
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// `CreatedTimestamp`, epoch seconds.
    pub fn created_timestamp(&self) -> u64 {
        self.created
    }

    /// A snapshot of the queue's configuration.
    pub fn meta(&self) -> QueueMeta {
        self.meta.read().clone()
    }

    pub fn is_fifo(&self) -> bool {
        self.meta.read().attributes.fifo_queue
    }

    pub fn attributes(&self) -> QueueAttributes {
        self.meta.read().attributes.clone()
    }

    /// The queue's access policy, parsed (`None`: no policy).
    pub fn access_policy(&self) -> Option<std::sync::Arc<crate::policy::Policy>> {
        self.meta.read().attributes.parsed_policy.clone()
    }

    /// Marks the queue deleted and journals it, under the meta write lock: a checkpoint
    /// (which checks under the meta read lock) is either written before the deletion record or
    /// skipped, never written after it (which would bring the queue back at the next start).
    pub(crate) fn mark_deleted(&self) {
        {
            let _meta = self.meta.write();
            self.deleted.store(true, Ordering::SeqCst);
            if let Some(j) = &self.journal {
                let mut e = Enc::default();
                e.u64(self.incarnation);
                let mut buf = Vec::new();
                persist::frame(&mut buf, kind::SQS_QUEUE_DELETE, &e.0);
                persist::append(&**j, &buf);
            }
        }
        self.notify.notify_waiters();
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::SeqCst)
    }

    fn retention_ms(&self) -> u64 {
        u64::from(self.meta.read().attributes.message_retention_period) * 1000
    }

    /// Validates and applies `SetQueueAttributes` (all or nothing). Prefer
    /// [`super::SqsEngine::set_queue_attributes`], which also checks references to other
    /// queues (the `RedrivePolicy` target) before calling this.
    ///
    /// The attributes are applied to the queue's current ones under its write lock, and
    /// nothing else runs under that lock: no closure, no other queue (see the lock rules in
    /// the engine's README).
    pub fn set_attributes<'a>(
        &self,
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), SqsError> {
        {
            let mut meta = self.meta.write();
            let next = meta.attributes.with_applied(attrs)?;
            meta.attributes = next;
            meta.last_modified = self.clock.now_seconds();
            self.journal_meta(&meta);
        }
        // A shorter wait or delay may matter to long pollers.
        self.notify.notify_waiters();
        Ok(())
    }

    /// Message counts right now.
    pub fn counts(&self) -> Counts {
        let now = self.clock.now_millis();
        let retention = self.retention_ms();
        let mut store = self.messages.lock();
        store.settle(now, retention);
        store.counts()
    }

    /// `GetQueueAttributes`: values for `names` (`All` expands), in AWS's order for `All`.
    /// Unknown names fail with `InvalidAttributeName`.
    pub fn get_attributes(&self, names: &[&str]) -> Result<Vec<(String, String)>, SqsError> {
        for n in names {
            if *n != "All" && !ALL_ATTRIBUTE_NAMES.contains(n) {
                return Err(SqsError::unknown_attribute(n));
            }
        }
        let all = names.contains(&"All");
        let wanted: Vec<&str> = if all {
            ALL_ATTRIBUTE_NAMES.to_vec()
        } else {
            let mut v: Vec<&str> = Vec::new();
            for n in names {
                if !v.contains(n) {
                    v.push(n);
                }
            }
            v
        };
        let needs_counts = wanted
            .iter()
            .any(|n| n.starts_with("ApproximateNumberOfMessages"));
        let counts = if needs_counts {
            self.counts()
        } else {
            Counts::default()
        };
        let meta = self.meta.read();
        let mut out = Vec::new();
        for name in wanted {
            let value = match name {
                "QueueArn" => Some(self.arn.clone()),
                "ApproximateNumberOfMessages" => Some(counts.visible.to_string()),
                "ApproximateNumberOfMessagesNotVisible" => Some(counts.in_flight.to_string()),
                "ApproximateNumberOfMessagesDelayed" => Some(counts.delayed.to_string()),
                "CreatedTimestamp" => Some(self.created.to_string()),
                "LastModifiedTimestamp" => Some(meta.last_modified.to_string()),
                other => meta.attributes.get(other),
            };
            if let Some(v) = value {
                out.push((name.to_string(), v));
            }
        }
        Ok(out)
    }

    pub fn tags(&self) -> BTreeMap<String, String> {
        self.meta.read().tags.clone()
    }

    /// Adds tags; fails (changing nothing) if the result would exceed `max_tags`.
    pub fn tag(&self, tags: &[(String, String)], max_tags: usize) -> Result<(), SqsError> {
        let mut meta = self.meta.write();
        let mut next = meta.tags.clone();
        for (k, v) in tags {
            next.insert(k.clone(), v.clone());
        }
        if next.len() > max_tags {
            return Err(SqsError::invalid_parameter_value(format!(
                "Too many tags added for queue {}.",
                self.key.name
            )));
        }
        meta.tags = next;
        self.journal_meta(&meta);
        Ok(())
    }

    pub fn untag(&self, keys: &[String]) {
        let mut meta = self.meta.write();
        for k in keys {
            meta.tags.remove(k);
        }
        self.journal_meta(&meta);
    }

    /// `AddPermission`: appends a statement with `Sid = label` to the queue's policy.
    pub fn add_permission(
        &self,
        label: &str,
        account_ids: &[String],
        actions: &[String],
    ) -> Result<(), SqsError> {
        let mut meta = self.meta.write();
        let mut policy = match meta.attributes.policy.as_deref() {
            Some(p) => serde_json::from_str::<serde_json::Value>(p)
                .ok()
                .filter(|v| v.is_object())
                .unwrap_or_else(|| self.default_policy()),
            None => self.default_policy(),
        };
        let principals: Vec<serde_json::Value> = account_ids
            .iter()
            .map(|a| serde_json::Value::String(format!("arn:aws:iam::{a}:root")))
            .collect();
        let actions: Vec<serde_json::Value> = actions
            .iter()
            .map(|a| serde_json::Value::String(format!("SQS:{a}")))
            .collect();
        let one_or_many = |mut v: Vec<serde_json::Value>| {
            if v.len() == 1 {
                v.remove(0)
            } else {
                serde_json::Value::Array(v)
            }
        };
        let statement = serde_json::json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": one_or_many(principals)},
            "Action": one_or_many(actions),
            "Resource": self.arn,
        });
        let Some(obj) = policy.as_object_mut() else {
            return Err(SqsError::new("InternalFailure", "Policy is not an object."));
        };
        let statements = obj
            .entry("Statement")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if !statements.is_array() {
            *statements = serde_json::Value::Array(vec![statements.take()]);
        }
        if let Some(list) = statements.as_array_mut() {
            if list
                .iter()
                .any(|s| s.get("Sid").and_then(|v| v.as_str()) == Some(label))
            {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {label} for parameter Label is invalid. Reason: Already exists."
                )));
            }
            list.push(statement);
        }
        meta.attributes.set_policy(Some(policy.to_string()));
        meta.last_modified = self.clock.now_seconds();
        self.journal_meta(&meta);
        Ok(())
    }

    /// `RemovePermission`: removes the statement with `Sid = label`.
    pub fn remove_permission(&self, label: &str) -> Result<(), SqsError> {
        let mut meta = self.meta.write();
        let not_found = || {
            SqsError::invalid_parameter_value(format!(
                "Value {label} for parameter Label is invalid. Reason: can't find label."
            ))
        };
        let mut policy: serde_json::Value = meta
            .attributes
            .policy
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .ok_or_else(not_found)?;
        let list = policy
            .get_mut("Statement")
            .and_then(|s| s.as_array_mut())
            .ok_or_else(not_found)?;
        let before = list.len();
        list.retain(|s| s.get("Sid").and_then(|v| v.as_str()) != Some(label));
        if list.len() == before {
            return Err(not_found());
        }
        let empty = list.is_empty();
        meta.attributes
            .set_policy((!empty).then(|| policy.to_string()));
        meta.last_modified = self.clock.now_seconds();
        self.journal_meta(&meta);
        Ok(())
    }

    /// The policy `AddPermission` starts from; AWS writes it with the `2008-10-17` policy
    /// language version (recorded against AWS in LocalStack's snapshot tests).
    fn default_policy(&self) -> serde_json::Value {
        serde_json::json!({
            "Version": "2008-10-17",
            "Id": format!("{}/SQSDefaultPolicy", self.arn),
            "Statement": [],
        })
    }

    /// `SendMessage`: stores the message (delayed if asked) and wakes long pollers. On a FIFO
    /// queue a message whose deduplication id was seen in the last 5 minutes is accepted but
    /// not stored again (the first message's id and sequence number are returned).
    pub fn send(&self, msg: NewMessage) -> Result<SendResult, SqsError> {
        let attrs = self.meta.read().attributes.clone();
        let max_size = attrs.maximum_message_size as usize;
        let retention = u64::from(attrs.message_retention_period) * 1000;
        if Message::size(&msg.body, &msg.attributes) > max_size {
            return Err(SqsError::invalid_parameter_value(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
            )));
        }
        let dedup_key = if attrs.fifo_queue {
            // A zero delay is accepted (it asks for nothing); any other per-message delay is
            // refused on FIFO queues, as on AWS.
            if let Some(d) = msg.delay_seconds.filter(|d| *d != 0) {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {d} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
                )));
            }
            let Some(group) = msg.message_group_id.as_deref() else {
                return Err(SqsError::new(
                    "MissingParameter",
                    "The request must contain the parameter MessageGroupId.",
                ));
            };
            let id = match (&msg.message_deduplication_id, attrs.content_based_deduplication) {
                (Some(id), _) => id.clone(),
                (None, true) => {
                    use sha2::Digest as _;
                    hex::encode(sha2::Sha256::digest(msg.body.as_bytes()))
                }
                (None, false) => {
                    return Err(SqsError::invalid_parameter_value(
                        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                    ))
                }
            };
            Some(if attrs.deduplication_scope == "messageGroup" {
                (format!("{group}\u{0}{id}"), id)
            } else {
                (id.clone(), id)
            })
        } else {
            if let Some(id) = &msg.message_deduplication_id {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {id} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type."
                )));
            }
            None
        };
        let mut attributes = msg.attributes;
        attributes.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let md5_of_user_attributes = (!attributes.is_empty())
            .then(|| md5_of_attributes(attributes.iter().map(|(n, v)| (n.as_str(), v))));
        let md5_of_system_attributes = msg.aws_trace_header.as_ref().map(|h| {
            let v = MessageAttributeValue::string("String", h.clone());
            md5_of_attributes([("AWSTraceHeader", &v)])
        });
        let md5_of_body = md5_of_body(&msg.body);
        let now = self.clock.now_millis();
        let result = |id: u128, sequence_number: Option<String>| SendResult {
            message_id: uuid::Uuid::from_u128(id).hyphenated().to_string(),
            md5_of_body: md5_of_body.clone(),
            md5_of_attributes: md5_of_user_attributes.clone(),
            md5_of_system_attributes: md5_of_system_attributes.clone(),
            sequence_number,
        };
        // FIFO: hold the deduplication table across the insert so duplicates cannot race.
        let mut dedup = dedup_key.as_ref().map(|_| self.dedup.lock());
        if let (Some(table), Some((key, _))) = (dedup.as_mut(), &dedup_key) {
            table.expire(now);
            if let Some((id, seq, _)) = table.seen.get(key) {
                return Ok(result(*id, Some(seq.clone())));
            }
        }
        let sender_id: Arc<str> = if msg.sender_id == *self.owner {
            self.owner.clone()
        } else {
            Arc::from(msg.sender_id.as_str())
        };
        let delay = if attrs.fifo_queue {
            attrs.delay_seconds
        } else {
            msg.delay_seconds.unwrap_or(attrs.delay_seconds)
        };
        let id = uuid::Uuid::new_v4().as_u128();
        let sequence_number = {
            let mut store = self.messages.lock();
            store.settle(now, retention);
            let seq = store.next_seq();
            let sequence_number = attrs.fifo_queue.then(|| fifo_sequence_number(seq));
            let has_extra = !attributes.is_empty()
                || msg.aws_trace_header.is_some()
                || msg.message_group_id.is_some()
                || dedup_key.is_some();
            let extra = has_extra.then(|| {
                Arc::new(MessageExtra {
                    attributes,
                    aws_trace_header: msg.aws_trace_header,
                    message_group_id: msg.message_group_id.as_deref().map(Arc::from),
                    message_deduplication_id: dedup_key.as_ref().map(|(_, id)| id.clone()),
                    sequence_number: sequence_number.clone(),
                    dead_letter_source_arn: None,
                })
            });
            let message = Message {
                seq,
                id,
                body: Arc::from(msg.body),
                extra,
                sender_id,
                sent_ms: now,
                first_receive_ms: 0,
                received_ms: 0,
                receive_count: 0,
                generation: 0,
            };
            store.insert(message, now + u64::from(delay) * 1000, now);
            sequence_number
        };
        if let (Some(table), Some((key, _))) = (dedup.as_mut(), dedup_key) {
            let expires = now + DEDUPLICATION_WINDOW_MS;
            let seq = sequence_number.clone().unwrap_or_default();
            if let Some(j) = &self.journal {
                let mut e = Enc::default();
                e.u64(self.incarnation)
                    .str(&key)
                    .u128(id)
                    .str(&seq)
                    .u64(expires);
                let mut buf = Vec::new();
                persist::frame(&mut buf, kind::SQS_DEDUP, &e.0);
                persist::append(&**j, &buf);
            }
            table.seen.insert(key.clone(), (id, seq, expires));
            table.expiries.push_back((expires, key));
        }
        drop(dedup);
        self.notify.notify_waiters();
        Ok(result(id, sequence_number))
    }

    /// `ReceiveMessage`: returns at once if messages are visible, otherwise waits up to the
    /// wait time for one to arrive or become visible (long polling), then returns what there is.
    ///
    /// With a `RedrivePolicy`, a message already received `maxReceiveCount` times is moved to
    /// the dead-letter queue instead of being delivered (AWS moves it on the receive attempt
    /// after the last allowed one). On a FIFO queue, a retry with the same
    /// `ReceiveRequestAttemptId` within 5 minutes returns the same messages and receipt
    /// handles, as long as none was deleted or had its visibility changed.
    pub async fn receive(&self, opts: ReceiveOptions) -> Vec<ReceivedMessage> {
        let (default_visibility, default_wait, redrive, fifo) = {
            let meta = self.meta.read();
            (
                meta.attributes.visibility_timeout,
                meta.attributes.receive_message_wait_time_seconds,
                meta.attributes.redrive_policy.clone(),
                meta.attributes.fifo_queue,
            )
        };
        let visibility_ms = u64::from(opts.visibility_timeout.unwrap_or(default_visibility)) * 1000;
        let wait_ms = u64::from(opts.wait_seconds.unwrap_or(default_wait)) * 1000;
        let attempt_id = opts.attempt_id.filter(|_| fifo);
        if let Some(id) = &attempt_id {
            if let Some(again) = self.retry_attempt(id, visibility_ms) {
                return again;
            }
        }
        let dead_letter = redrive.and_then(|policy| {
            self.dead_letter_queue(&policy.dead_letter_target_arn)
                .map(|dlq| (dlq, policy.max_receive_count))
        });
        let deadline = self.clock.now_millis().saturating_add(wait_ms);
        let max = opts.max_messages.max(1);
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.clock.now_millis();
            let retention = self.retention_ms();
            let mut dead_letters = Vec::new();
            let (received, next_visible) = {
                let mut store = self.messages.lock();
                store.settle(now, retention);
                let received = store.receive(
                    now,
                    max,
                    visibility_ms,
                    dead_letter.as_ref().map(|(_, limit)| *limit),
                    &mut dead_letters,
                );
                (received, store.next_visible_at())
            };
            if let Some((dlq, _)) = &dead_letter {
                for message in dead_letters {
                    let seq = message.seq;
                    dlq.accept_dead_letter(message, &self.arn);
                    self.journal_gone(seq);
                }
            }
            if !received.is_empty() {
                let deadline = now.saturating_add(visibility_ms);
                let received: Vec<ReceivedMessage> =
                    received.into_iter().map(|m| self.receipt(m)).collect();
                if let Some(id) = attempt_id {
                    self.remember_attempt(id, &received, deadline, now);
                }
                return received;
            }
            if now >= deadline || self.is_deleted() || self.shutdown.has_begun() {
                return Vec::new();
            }
            let wake_at = next_visible.map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                _ = &mut notified => {}
                _ = self.clock.sleep_until(wake_at) => {}
                _ = self.shutdown.begun() => {}
            }
        }
    }

    fn receipt(&self, message: Message) -> ReceivedMessage {
        let receipt_handle = ReceiptHandle {
            queue_incarnation: self.incarnation,
            seq: message.seq,
            generation: message.generation,
            message_id: message.id,
            received_ms: message.received_ms,
        }
        .encode(&self.secret);
        ReceivedMessage {
            message,
            receipt_handle,
        }
    }

    /// The dead-letter queue at `arn`, if it exists, is of this queue's type and its
    /// `RedriveAllowPolicy` lets this queue use it. Otherwise messages stay where they are.
    ///
    /// A queue that is its own dead-letter queue (AWS accepts the policy) keeps such messages
    /// receivable: moving a message into the queue it is in would change nothing but hide it
    /// at every later receive, so the move is skipped and the message is delivered as usual.
    fn dead_letter_queue(&self, arn: &str) -> Option<Arc<Queue>> {
        if arn == self.arn {
            return None;
        }
        let key = QueueKeyRef::from_arn(arn)?;
        let dlq = self.catalog.upgrade()?.get(key)?;
        let attrs = dlq.attributes();
        let usable = attrs.fifo_queue == self.is_fifo()
            && super::attributes::redrive_allows(attrs.redrive_allow_policy.as_deref(), &self.arn);
        usable.then_some(dlq)
    }

    /// Stores a message that exceeded `maxReceiveCount` on `source_arn`. It keeps its id, body,
    /// attributes and receive count and gains `DeadLetterQueueSourceArn`. On a standard queue
    /// it keeps its enqueue time (retention counts from the original send); on a FIFO queue
    /// the enqueue time restarts and its deduplication id becomes its message id, so two
    /// unrelated messages that shared a deduplication id are both kept (AWS documents both).
    pub(crate) fn accept_dead_letter(&self, message: Message, source_arn: &str) {
        let now = self.clock.now_millis();
        let retention = self.retention_ms();
        let fifo = self.is_fifo();
        let mut extra = message.extra.as_deref().cloned().unwrap_or_default();
        extra.dead_letter_source_arn = Some(Arc::from(source_arn));
        {
            let mut store = self.messages.lock();
            store.settle(now, retention);
            let seq = store.next_seq();
            if fifo {
                extra.message_deduplication_id = Some(message.message_id());
                extra.sequence_number = Some(fifo_sequence_number(seq));
            }
            let moved = Message {
                seq,
                id: message.id,
                body: message.body,
                extra: Some(Arc::new(extra)),
                sender_id: message.sender_id,
                sent_ms: if fifo { now } else { message.sent_ms },
                first_receive_ms: message.first_receive_ms,
                received_ms: 0,
                receive_count: message.receive_count,
                generation: 0,
            };
            store.insert(moved, now, now);
        }
        self.notify.notify_waiters();
    }

    /// Answers a retried FIFO receive from its remembered result, extending the visibility
    /// timeout again, if every message is still in flight under that receive.
    fn retry_attempt(&self, id: &str, visibility_ms: u64) -> Option<Vec<ReceivedMessage>> {
        let now = self.clock.now_millis();
        let retention = self.retention_ms();
        let mut attempts = self.attempts.lock();
        attempts.retain(|_, a| a.expires_ms > now);
        let attempt = attempts.get_mut(id)?;
        let mut store = self.messages.lock();
        store.settle(now, retention);
        let unchanged = attempt.received.iter().all(|(r, deadline)| {
            store.in_flight_deadline(r.message.seq, r.message.generation) == Some(*deadline)
        });
        if !unchanged {
            attempts.remove(id);
            return None;
        }
        let max_total = u64::from(MAX_VISIBILITY_TIMEOUT_SECONDS) * 1000;
        for (r, deadline) in attempt.received.iter_mut() {
            let (seq, generation) = (r.message.seq, r.message.generation);
            if store.change_visibility(seq, generation, now, visibility_ms, max_total)
                == VisibilityOutcome::Changed
            {
                *deadline = now.saturating_add(visibility_ms);
            }
        }
        Some(attempt.received.iter().map(|(r, _)| r.clone()).collect())
    }

    fn remember_attempt(&self, id: String, received: &[ReceivedMessage], deadline: u64, now: u64) {
        let mut attempts = self.attempts.lock();
        attempts.retain(|_, a| a.expires_ms > now);
        attempts.insert(
            id,
            ReceiveAttempt {
                expires_ms: now.saturating_add(DEDUPLICATION_WINDOW_MS),
                received: received.iter().map(|r| (r.clone(), deadline)).collect(),
            },
        );
    }

    /// Puts back a message a move task took but could not deliver.
    pub(crate) fn restore_after_failed_move(&self, message: Message) {
        let now = self.clock.now_millis();
        self.messages.lock().insert(message, now, now);
        self.notify.notify_waiters();
    }

    /// Removes up to `max` visible messages, oldest first, for a message move task.
    pub(crate) fn take_for_move(&self, max: usize) -> Vec<Message> {
        let now = self.clock.now_millis();
        let retention = self.retention_ms();
        let mut store = self.messages.lock();
        store.settle(now, retention);
        store.take_visible(max)
    }

    fn decode_handle(&self, handle: &str) -> Result<ReceiptHandle, SqsError> {
        match ReceiptHandle::decode(handle, &self.secret) {
            Some(h) if h.queue_incarnation == self.incarnation => Ok(h),
            _ => Err(SqsError::receipt_handle_is_invalid(handle)),
        }
    }

    /// `DeleteMessage`. A genuine handle of a message that is already gone succeeds, as on AWS.
    /// On a FIFO queue a handle whose visibility timeout ended fails as AWS words it.
    pub fn delete_message(&self, handle: &str) -> Result<(), SqsError> {
        let h = self.decode_handle(handle)?;
        let now = self.clock.now_millis();
        let retention = self.retention_ms();
        let outcome = {
            let mut store = self.messages.lock();
            store.settle(now, retention);
            store.delete(h.seq, h.generation)
        };
        match outcome {
            DeleteOutcome::Deleted | DeleteOutcome::Stale => Ok(()),
            DeleteOutcome::Expired => Err(SqsError::invalid_parameter_value(format!(
                "Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
            ))),
        }
    }

    /// `ChangeMessageVisibility`.
    pub fn change_visibility(&self, handle: &str, timeout_seconds: u32) -> Result<(), SqsError> {
        let h = self.decode_handle(handle)?;
        let now = self.clock.now_millis();
        let retention = self.retention_ms();
        let outcome = {
            let mut store = self.messages.lock();
            store.settle(now, retention);
            store.change_visibility(
                h.seq,
                h.generation,
                now,
                u64::from(timeout_seconds) * 1000,
                u64::from(MAX_VISIBILITY_TIMEOUT_SECONDS) * 1000,
            )
        };
        match outcome {
            VisibilityOutcome::Changed => {
                if timeout_seconds == 0 {
                    self.notify.notify_waiters();
                }
                Ok(())
            }
            // The handle's visibility timeout already expired and nobody received the message
            // since: AWS answers OK and leaves the message visible (validated against AWS by
            // LocalStack, localstack#9632); it does not raise MessageNotInflight.
            VisibilityOutcome::NotInFlight => Ok(()),
            VisibilityOutcome::Unknown => Err(SqsError::invalid_parameter_value(format!(
                "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
            ))),
            VisibilityOutcome::TooLong => Err(SqsError::invalid_parameter_value(format!(
                "Value {timeout_seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY_TIMEOUT_SECONDS} seconds]"
            ))),
        }
    }

    /// `PurgeQueue`: deletes every message; one purge per 60 seconds.
    pub fn purge(&self) -> Result<(), SqsError> {
        let now = self.clock.now_millis();
        {
            let mut meta = self.meta.write();
            if let Some(last) = meta.last_purge_ms {
                if now < last.saturating_add(PURGE_WINDOW_MS) {
                    return Err(SqsError::new(
                        "PurgeQueueInProgress",
                        format!(
                            "Only one PurgeQueue operation on {} is allowed every 60 seconds.",
                            self.key.name
                        ),
                    ));
                }
            }
            meta.last_purge_ms = Some(now);
            self.journal_meta(&meta);
        }
        // A purge also forgets the deduplication ids and receive attempts of a FIFO queue: a
        // message sent again with the same deduplication id is accepted and delivered. (The
        // store's purge record clears both on replay.)
        {
            let mut dedup = self.dedup.lock();
            self.messages.lock().purge();
            *dedup = Deduplication::default();
        }
        self.attempts.lock().clear();
        Ok(())
    }
}
