//! SQS state in the journal (`--data-dir`): the records, the message store that writes them,
//! replay at start and checkpoints. See [`crate::persist`] for the seam and docs/persistence.md.
//!
//! Records (all integers little-endian; `inc` is the queue's incarnation, unique per queue ever
//! created, so records of a deleted queue never apply to a new one of the same name):
//! * `SQS_SECRET` secret[32]: receipt handles stay valid across restarts.
//! * `SQS_QUEUE` reset:u8 inc key created last_modified last_purge seq attributes tags: a queue
//!   was created (reset=1, also the start of a checkpoint: its messages are replaced by the
//!   `SQS_MESSAGE` records that follow) or its configuration changed (reset=0).
//! * `SQS_QUEUE_DELETE` inc.
//! * `SQS_MESSAGE` inc visible_at message: stored (sent, dead-lettered, moved, checkpointed).
//! * `SQS_RECEIVED` inc seq generation receive_count first_receive received visible_at.
//! * `SQS_VISIBILITY` inc seq visible_at; `SQS_DELETE` inc seq; `SQS_PURGE` inc.
//! * `SQS_DEDUP` inc key message_id sequence_number expires (FIFO deduplication ids).
//!
//! Not journaled, because they follow from the records and the clock: a delay ending, a
//! visibility timeout expiring (the stored deadline has passed when restored), retention.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::message::{AttributePayload, Message, MessageAttributeValue, MessageExtra};
use super::queue::{Queue, QueueKey, QueueMeta};
use super::store::{Counts, DeleteOutcome, MessageStore, VisibilityOutcome};
use super::{attributes, SqsEngine};
use crate::persist::{self, frame, kind, Dec, Enc, Journal};

/// A queue's [`MessageStore`] that journals every change it makes.
pub(crate) struct JournaledStore {
    inner: Box<dyn MessageStore>,
    journal: Arc<dyn Journal>,
    inc: u64,
    buf: Vec<u8>,
}

impl JournaledStore {
    pub(crate) fn new(inner: Box<dyn MessageStore>, journal: Arc<dyn Journal>, inc: u64) -> Self {
        Self {
            inner,
            journal,
            inc,
            buf: Vec::new(),
        }
    }

    fn record(&mut self, kind: u8, body: &Enc) {
        frame(&mut self.buf, kind, &body.0);
    }

    /// Hands the records of this operation to the journal (still under the queue's lock, so
    /// they keep the queue's order).
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            persist::append(&*self.journal, &self.buf);
            self.buf.clear();
            if self.buf.capacity() > 64 << 10 {
                self.buf = Vec::new();
            }
        }
    }

    fn deleted(&mut self, seq: u64) {
        let mut e = Enc::default();
        e.u64(self.inc).u64(seq);
        self.record(kind::SQS_DELETE, &e);
    }
}

pub(crate) fn encode_message(e: &mut Enc, m: &Message, visible_at: u64) {
    e.u64(visible_at)
        .u64(m.seq)
        .u128(m.id)
        .u64(m.sent_ms)
        .u64(m.first_receive_ms)
        .u64(m.received_ms)
        .u32(m.receive_count)
        .u32(m.generation)
        .str(&m.sender_id)
        .str(&m.body);
    match m.extra.as_deref() {
        None => {
            e.u8(0);
        }
        Some(x) => {
            e.u8(1).u32(x.attributes.len() as u32);
            for (name, v) in &x.attributes {
                e.str(name).str(&v.data_type);
                match &v.value {
                    AttributePayload::String(s) => e.u8(1).str(s),
                    AttributePayload::Binary(b) => e.u8(2).bytes(b),
                };
            }
            e.opt_str(x.aws_trace_header.as_deref())
                .opt_str(x.message_group_id.as_deref())
                .opt_str(x.message_deduplication_id.as_deref())
                .opt_str(x.sequence_number.as_deref())
                .opt_str(x.dead_letter_source_arn.as_deref());
        }
    }
}

/// `sender`: the last sender id decoded, shared by the messages that have the same (most of a
/// queue's messages come from one sender; one allocation instead of one per message).
fn decode_message(d: &mut Dec, sender: &mut Option<Arc<str>>) -> Result<(Message, u64), String> {
    let visible_at = d.u64()?;
    let mut m = Message {
        seq: d.u64()?,
        id: d.u128()?,
        sent_ms: d.u64()?,
        first_receive_ms: d.u64()?,
        received_ms: d.u64()?,
        receive_count: d.u32()?,
        generation: d.u32()?,
        sender_id: {
            let s = d.str()?;
            match sender {
                Some(last) if **last == *s => last.clone(),
                _ => sender.insert(Arc::from(s)).clone(),
            }
        },
        body: Arc::from(d.str()?),
        extra: None,
    };
    if d.u8()? == 1 {
        let n = d.u32()? as usize;
        let mut attributes = Vec::with_capacity(n.min(16));
        for _ in 0..n {
            let name = d.str()?.to_string();
            let data_type = d.str()?.to_string();
            let value = match d.u8()? {
                1 => AttributePayload::String(d.str()?.to_string()),
                2 => AttributePayload::Binary(d.bytes()?.to_vec()),
                t => return Err(format!("bad attribute tag {t}")),
            };
            attributes.push((name, MessageAttributeValue { data_type, value }));
        }
        m.extra = Some(Arc::new(MessageExtra {
            attributes,
            aws_trace_header: d.opt_str()?.map(str::to_string),
            message_group_id: d.opt_str()?.map(Arc::from),
            message_deduplication_id: d.opt_str()?.map(str::to_string),
            sequence_number: d.opt_str()?.map(str::to_string),
            dead_letter_source_arn: d.opt_str()?.map(Arc::from),
        }));
    }
    Ok((m, visible_at))
}

impl MessageStore for JournaledStore {
    fn settle(&mut self, now: u64, retention_ms: u64) {
        self.inner.settle(now, retention_ms);
    }

    fn insert(&mut self, message: Message, visible_at: u64, now: u64) {
        let mut e = Enc(Vec::with_capacity(96 + message.body.len()));
        e.u64(self.inc);
        encode_message(&mut e, &message, visible_at);
        self.record(kind::SQS_MESSAGE, &e);
        self.inner.insert(message, visible_at, now);
        self.flush();
    }

    fn receive(
        &mut self,
        now: u64,
        max: usize,
        visibility_ms: u64,
        max_receive_count: Option<u32>,
        dead_letters: &mut Vec<Message>,
    ) -> Vec<Message> {
        let out = self
            .inner
            .receive(now, max, visibility_ms, max_receive_count, dead_letters);
        let deadline = now.saturating_add(visibility_ms);
        for m in &out {
            let mut e = Enc::default();
            e.u64(self.inc)
                .u64(m.seq)
                .u32(m.generation)
                .u32(m.receive_count)
                .u64(m.first_receive_ms)
                .u64(m.received_ms)
                .u64(deadline);
            self.record(kind::SQS_RECEIVED, &e);
        }
        // Messages moved to the dead-letter queue are journaled as gone by the queue once the
        // dead-letter queue has stored them (`Queue::journal_gone`): kept twice, never lost.
        self.flush();
        out
    }

    fn take_visible(&mut self, max: usize) -> Vec<Message> {
        // Journaled as gone by the move task once the destination stored them
        // (`Queue::journal_gone`), or stored again if that failed.
        self.inner.take_visible(max)
    }

    fn in_flight_deadline(&self, seq: u64, generation: u32) -> Option<u64> {
        self.inner.in_flight_deadline(seq, generation)
    }

    fn delete(&mut self, seq: u64, generation: u32) -> DeleteOutcome {
        let outcome = self.inner.delete(seq, generation);
        if outcome == DeleteOutcome::Deleted {
            self.deleted(seq);
            self.flush();
        }
        outcome
    }

    fn change_visibility(
        &mut self,
        seq: u64,
        generation: u32,
        now: u64,
        timeout_ms: u64,
        max_total_ms: u64,
    ) -> VisibilityOutcome {
        let outcome = self
            .inner
            .change_visibility(seq, generation, now, timeout_ms, max_total_ms);
        if outcome == VisibilityOutcome::Changed {
            let mut e = Enc::default();
            e.u64(self.inc).u64(seq).u64(now.saturating_add(timeout_ms));
            self.record(kind::SQS_VISIBILITY, &e);
            self.flush();
        }
        outcome
    }

    fn purge(&mut self) {
        self.inner.purge();
        let mut e = Enc::default();
        e.u64(self.inc);
        self.record(kind::SQS_PURGE, &e);
        self.flush();
    }

    fn counts(&self) -> Counts {
        self.inner.counts()
    }

    fn next_visible_at(&self) -> Option<u64> {
        self.inner.next_visible_at()
    }

    fn seq_mut(&mut self) -> &mut u64 {
        self.inner.seq_mut()
    }

    fn current_seq(&self) -> u64 {
        self.inner.current_seq()
    }

    fn restore(&mut self, message: Message, visible_at: u64, now: u64) {
        self.inner.restore(message, visible_at, now);
    }

    fn for_each(&self, f: &mut dyn FnMut(&Message, u64)) {
        self.inner.for_each(f);
    }
}

/// A queue's configuration as journaled.
pub(crate) fn encode_queue(
    e: &mut Enc,
    reset: bool,
    inc: u64,
    key: &QueueKey,
    created: u64,
    meta: &QueueMeta,
    seq: u64,
) {
    e.u8(u8::from(reset))
        .u64(inc)
        .str(&key.account_id)
        .str(&key.region)
        .str(&key.name)
        .u64(created)
        .u64(meta.last_modified)
        .u64(meta.last_purge_ms.map_or(0, |v| v + 1))
        .u64(seq)
        .u8(u8::from(meta.attributes.fifo_queue));
    let attrs: Vec<(&str, String)> = attributes::ALL_ATTRIBUTE_NAMES
        .iter()
        .filter(|n| !attributes::READ_ONLY_ATTRIBUTE_NAMES.contains(n) && **n != "FifoQueue")
        .filter_map(|n| meta.attributes.get(n).map(|v| (*n, v)))
        .collect();
    e.u32(attrs.len() as u32);
    for (n, v) in attrs {
        e.str(n).str(&v);
    }
    e.u32(meta.tags.len() as u32);
    for (k, v) in &meta.tags {
        e.str(k).str(v);
    }
}

/// A queue being rebuilt from the journal.
pub(crate) struct QueueImage {
    pub(crate) key: QueueKey,
    pub(crate) created: u64,
    pub(crate) meta: QueueMeta,
    pub(crate) seq: u64,
    /// seq -> where the message's record is in [`SqsReplay`]'s arena, and what later records
    /// changed. Messages are decoded only when the queue is rebuilt: the replay's own memory
    /// is then one large block (returned whole), not small blocks between the messages'.
    pub(crate) messages: BTreeMap<u64, Stored>,
    /// key -> (message id, sequence number, expires).
    pub(crate) dedup: Vec<(String, u128, String, u64)>,
}

/// A message record kept by the replay.
pub(crate) struct Stored {
    at: usize,
    len: usize,
    visible_at: u64,
    /// generation, receive count, first receive, last receive (from `SQS_RECEIVED`).
    received: Option<(u32, u32, u64, u64)>,
}

/// Replays SQS records (see the module doc) into queue images.
#[derive(Default)]
pub struct SqsReplay {
    secret: Option<[u8; 32]>,
    queues: HashMap<u64, QueueImage>,
    max_inc: u64,
    /// The bytes of message records (after the incarnation).
    arena: Vec<u8>,
}

impl SqsReplay {
    /// Applies one record; `Ok(false)` if `kind` is not an SQS record.
    pub fn apply(&mut self, kind: u8, data: &[u8]) -> Result<bool, String> {
        let mut d = Dec(data);
        match kind {
            kind::SQS_SECRET => {
                self.secret = Some(d.0.try_into().map_err(|_| "bad secret record")?);
            }
            kind::SQS_QUEUE => {
                let reset = d.u8()? == 1;
                let inc = d.u64()?;
                let key = QueueKey::new(d.str()?, d.str()?, d.str()?);
                let created = d.u64()?;
                let last_modified = d.u64()?;
                let last_purge_ms = d.u64()?.checked_sub(1);
                let seq = d.u64()?;
                let fifo = d.u8()? == 1;
                let n = d.u32()?;
                let mut pairs = Vec::new();
                for _ in 0..n {
                    pairs.push((d.str()?, d.str()?));
                }
                let base = if fifo {
                    attributes::QueueAttributes::fifo()
                } else {
                    attributes::QueueAttributes::default()
                };
                let attributes = base
                    .with_applied(pairs.iter().copied())
                    .map_err(|e| format!("queue {}: {}", key.name, e.message))?;
                let mut tags = BTreeMap::new();
                for _ in 0..d.u32()? {
                    tags.insert(d.str()?.to_string(), d.str()?.to_string());
                }
                let meta = QueueMeta {
                    attributes,
                    tags,
                    last_modified,
                    last_purge_ms,
                };
                self.max_inc = self.max_inc.max(inc);
                match self.queues.get_mut(&inc) {
                    Some(q) if !reset => {
                        q.meta = meta;
                        q.seq = q.seq.max(seq);
                    }
                    _ => {
                        self.queues.insert(
                            inc,
                            QueueImage {
                                key,
                                created,
                                meta,
                                seq,
                                messages: BTreeMap::new(),
                                dedup: Vec::new(),
                            },
                        );
                    }
                }
            }
            kind::SQS_QUEUE_DELETE => {
                self.queues.remove(&d.u64()?);
            }
            kind::SQS_MESSAGE => {
                let inc = d.u64()?;
                let record = d.0;
                let (visible_at, seq) = (d.u64()?, d.u64()?);
                if let Some(q) = self.queues.get_mut(&inc) {
                    q.seq = q.seq.max(seq);
                    let at = self.arena.len();
                    self.arena.extend_from_slice(record);
                    q.messages.insert(
                        seq,
                        Stored {
                            at,
                            len: record.len(),
                            visible_at,
                            received: None,
                        },
                    );
                }
            }
            kind::SQS_RECEIVED => {
                let (inc, seq) = (d.u64()?, d.u64()?);
                let (generation, receive_count) = (d.u32()?, d.u32()?);
                let (first, received, deadline) = (d.u64()?, d.u64()?, d.u64()?);
                if let Some(s) = self
                    .queues
                    .get_mut(&inc)
                    .and_then(|q| q.messages.get_mut(&seq))
                {
                    s.received = Some((generation, receive_count, first, received));
                    s.visible_at = deadline;
                }
            }
            kind::SQS_VISIBILITY => {
                let (inc, seq, at) = (d.u64()?, d.u64()?, d.u64()?);
                if let Some(s) = self
                    .queues
                    .get_mut(&inc)
                    .and_then(|q| q.messages.get_mut(&seq))
                {
                    s.visible_at = at;
                }
            }
            kind::SQS_DELETE => {
                let (inc, seq) = (d.u64()?, d.u64()?);
                if let Some(q) = self.queues.get_mut(&inc) {
                    q.messages.remove(&seq);
                }
            }
            kind::SQS_PURGE => {
                if let Some(q) = self.queues.get_mut(&d.u64()?) {
                    q.messages.clear();
                    q.dedup.clear();
                }
            }
            kind::SQS_DEDUP => {
                let inc = d.u64()?;
                let entry = (
                    d.str()?.to_string(),
                    d.u128()?,
                    d.str()?.to_string(),
                    d.u64()?,
                );
                if let Some(q) = self.queues.get_mut(&inc) {
                    q.dedup.push(entry);
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl SqsEngine {
    /// Journals every later change to `journal` (call once, before restoring and serving).
    pub fn set_journal(&mut self, journal: Arc<dyn Journal>) {
        self.journal = Some(journal);
    }

    /// Rebuilds the queues from replayed records (before the port answers). Returns the number
    /// of queues and messages restored; `Err` names a message record that cannot be decoded.
    pub fn restore(&mut self, replay: SqsReplay) -> Result<(usize, usize), String> {
        if let Some(secret) = replay.secret {
            self.secret = Arc::new(secret);
        }
        let next = self
            .incarnations
            .load(Ordering::SeqCst)
            .max(replay.max_inc + 1);
        self.incarnations.store(next, Ordering::SeqCst);
        let now = self.clock.now_millis();
        let arena = replay.arena;
        let mut sender = None;
        let mut images: Vec<(u64, QueueImage)> = replay.queues.into_iter().collect();
        images.sort_by_key(|(inc, _)| *inc);
        let (mut queues, mut messages) = (0, 0);
        for (inc, image) in images {
            // Two live incarnations of one name cannot come from a consistent log; keep the first.
            if self.storage.get(image.key.borrowed()).is_some() {
                continue;
            }
            let fifo = image.meta.attributes.fifo_queue;
            let mut store = self.new_store(&image.key, fifo, inc);
            store.set_seq(image.seq);
            messages += image.messages.len();
            for (seq, s) in image.messages {
                let mut d = Dec(&arena[s.at..s.at + s.len]);
                let (mut m, _) = decode_message(&mut d, &mut sender)
                    .map_err(|e| format!("queue {}: message record {seq}: {e}", image.key.name))?;
                if let Some((generation, count, first, received)) = s.received {
                    m.generation = generation;
                    m.receive_count = count;
                    m.first_receive_ms = first;
                    m.received_ms = received;
                }
                store.restore(m, s.visible_at, now);
            }
            let queue = Queue::restored(
                image.key,
                inc,
                image.created,
                image.meta,
                store,
                image.dedup,
                self.clock.clone(),
                self.secret.clone(),
                Arc::downgrade(&self.storage),
                self.shutdown.clone(),
                self.journal.clone(),
            );
            if matches!(
                self.storage.create(Arc::new(queue), now, 0),
                super::CreateOutcome::Created
            ) {
                queues += 1;
            }
        }
        Ok((queues, messages))
    }

    /// Journals the receipt signing secret (at every start and in every checkpoint).
    pub fn journal_secret(&self) {
        if let Some(j) = &self.journal {
            let mut buf = Vec::new();
            frame(&mut buf, kind::SQS_SECRET, &self.secret[..]);
            persist::append(&**j, &buf);
        }
    }

    /// Writes every queue's whole state to the journal (a checkpoint; see [`crate::persist`]).
    /// `rotate` starts the journal's new segment: it runs while no queue is being created, so
    /// every queue either is in the list checkpointed here or has its creation journaled after
    /// the rotation. Each queue is then written under its own locks, one queue at a time (a
    /// queue deleted meanwhile is skipped: see `Queue::checkpoint`).
    pub fn checkpoint(&self, rotate: impl FnOnce()) {
        let queues: Vec<Arc<Queue>> = {
            let _gate = self.creating.write();
            rotate();
            self.storage
                .scopes()
                .into_iter()
                .flat_map(|(account, region)| self.storage.list(&account, &region))
                .collect()
        };
        self.journal_secret();
        for queue in queues {
            queue.checkpoint();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::time::Duration;

    use parking_lot::Mutex;

    use super::super::tests::{attrs, key, msg, short};
    use super::*;
    use crate::clock::{Clock, ManualClock};

    /// A journal that keeps the records in memory.
    #[derive(Default)]
    struct Memory(Mutex<Vec<u8>>);

    impl Journal for Memory {
        fn append(&self, framed: &[u8]) -> u64 {
            self.0.lock().extend_from_slice(framed);
            1
        }
        fn wait(&self, _: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn replay(bytes: &[u8]) -> SqsReplay {
        let mut r = SqsReplay::default();
        let mut at = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let kind = bytes[at + 4];
            assert!(r.apply(kind, &bytes[at + 9..at + 9 + len]).unwrap());
            at += 9 + len;
        }
        r
    }

    fn engine(clock: &Arc<ManualClock>, journal: &Arc<Memory>) -> SqsEngine {
        let mut e = SqsEngine::new(clock.clone());
        e.set_journal(journal.clone());
        e.journal_secret();
        e
    }

    #[tokio::test]
    async fn a_restored_engine_has_the_same_queues_messages_deadlines_and_handles() {
        let clock = Arc::new(ManualClock::default());
        let journal = Arc::new(Memory::default());
        let a = engine(&clock, &journal);
        let (q, _) = a
            .create_queue(key("q"), &attrs(&[("VisibilityTimeout", "30")]), &[])
            .unwrap();
        q.tag(&[("team".into(), "a".into())], 50).unwrap();
        for i in 0..5 {
            q.send(msg(&format!("m{i}"))).unwrap();
        }
        let mut delayed = msg("later");
        delayed.delay_seconds = Some(100);
        q.send(delayed).unwrap();
        let got = q.receive(short(2)).await;
        q.delete_message(&got[0].receipt_handle).unwrap();
        let in_flight = got[1].clone();
        let (f, _) = a
            .create_queue(key("f.fifo"), &attrs(&[("FifoQueue", "true")]), &[])
            .unwrap();
        let mut first = msg("f1");
        first.message_group_id = Some("g".into());
        first.message_deduplication_id = Some("d1".into());
        let sent = f.send(first.clone()).unwrap();
        let mut second = first.clone();
        second.body = "f2".into();
        second.message_deduplication_id = Some("d2".into());
        f.send(second).unwrap();
        let f_in_flight = f.receive(short(1)).await.remove(0);
        let (gone, _) = a.create_queue(key("gone"), &[], &[]).unwrap();
        gone.send(msg("x")).unwrap();
        a.delete_queue(&key("gone")).unwrap();

        // Restart: a new engine from the records alone.
        clock.advance(Duration::from_secs(5));
        let b = SqsEngine::new(clock.clone());
        let mut b = b;
        b.set_journal(Arc::new(Memory::default()));
        let bytes = journal.0.lock().clone();
        assert_eq!(b.restore(replay(&bytes)).unwrap(), (2, 7));
        assert!(b.queue(&key("gone")).is_err());
        let q = b.queue(&key("q")).unwrap();
        assert_eq!(q.tags().get("team").map(String::as_str), Some("a"));
        let c = q.counts();
        assert_eq!((c.visible, c.in_flight, c.delayed), (3, 1, 1));
        // The handle from before the restart still works.
        q.change_visibility(&in_flight.receipt_handle, 0).unwrap();
        let again = q.receive(short(10)).await;
        assert_eq!(again.len(), 4);
        let back = again
            .iter()
            .find(|m| m.message.id == in_flight.message.id)
            .unwrap();
        assert_eq!(back.message.receive_count, 2);
        assert_eq!(back.message.sent_ms, in_flight.message.sent_ms);
        // FIFO: the group stays locked while its message is in flight; dedup is remembered.
        let f = b.queue(&key("f.fifo")).unwrap();
        assert!(f.receive(short(1)).await.is_empty());
        let dup = f.send(first).unwrap();
        assert_eq!(dup.message_id, sent.message_id);
        assert_eq!(dup.sequence_number, sent.sequence_number);
        f.delete_message(&f_in_flight.receipt_handle).unwrap();
        let next = f.receive(short(1)).await.remove(0);
        assert_eq!(&*next.message.body, "f2");
        // A new queue never reuses a restored incarnation.
        let (n, _) = b.create_queue(key("new"), &[], &[]).unwrap();
        assert!(n.incarnation() > q.incarnation());
        let _ = clock.now_millis();
    }

    #[tokio::test]
    async fn a_checkpoint_replaces_the_history_of_a_queue() {
        let clock = Arc::new(ManualClock::default());
        let journal = Arc::new(Memory::default());
        let a = engine(&clock, &journal);
        let (q, _) = a.create_queue(key("q"), &[], &[]).unwrap();
        for i in 0..3 {
            q.send(msg(&format!("m{i}"))).unwrap();
        }
        let got = q.receive(short(1)).await.remove(0);
        q.delete_message(&got.receipt_handle).unwrap();
        let before = journal.0.lock().len();
        a.checkpoint(|| ());
        // Only the checkpoint: what a compacted journal holds.
        let bytes = journal.0.lock()[before..].to_vec();
        let mut b = SqsEngine::new(clock.clone());
        assert_eq!(b.restore(replay(&bytes)).unwrap(), (1, 2));
        let q = b.queue(&key("q")).unwrap();
        assert_eq!(q.counts().visible, 2);
        q.send(msg("m3")).unwrap();
        let got = q.receive(short(10)).await;
        assert_eq!(got.len(), 3);
    }
}
