//! Where a queue's messages live.
//!
//! [`MessageStore`] is the storage boundary: the queue logic (validation, long polling, receipt
//! handles) calls these few operations, so a persistent backend only has to implement this
//! trait. [`MemoryMessageStore`] is the in-memory implementation:
//! * ready (visible) messages in a `VecDeque`, oldest first;
//! * in-flight messages in an `InFlight` table (shared with the FIFO store): a map by
//!   sequence number, with a min-heap of visibility deadlines (entries made stale by a
//!   visibility change are skipped lazily);
//! * delayed messages in a min-heap by the instant they become visible.
//!
//! Time-based transitions (delay over, visibility expired, retention expired) are applied
//! lazily by [`MessageStore::settle`] at the start of every operation.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use super::in_flight::{InFlight, InFlightChange, InFlightRemoval};
use super::message::Message;

/// Message counts for `GetQueueAttributes`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

/// Result of deleting by receipt handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// The handle is genuine but not current (message gone, or received again since).
    Stale,
    /// FIFO queues: the message is still there but this receipt's visibility timeout ended
    /// (it is visible again, or in flight under a newer receipt). AWS refuses the delete.
    Expired,
}

/// Result of a visibility change by receipt handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisibilityOutcome {
    Changed,
    /// The message exists but is not in flight (its visibility timeout expired).
    NotInFlight,
    /// No message for this handle (deleted, or received again since).
    Unknown,
    /// The new timeout would end more than 12 hours after the receive.
    TooLong,
}

/// A queue's messages. All instants are epoch millis on the engine's clock.
pub trait MessageStore: Send {
    /// Applies time: delayed messages due by `now` become visible, in-flight messages whose
    /// deadline passed become visible again, messages older than `retention_ms` disappear.
    fn settle(&mut self, now: u64, retention_ms: u64);
    /// Stores a new message, visible from `visible_at` (delayed if in the future).
    fn insert(&mut self, message: Message, visible_at: u64, now: u64);
    /// Takes up to `max` visible messages in flight until `now + visibility_ms`, bumping their
    /// receive count and generation; returns copies as received. With a `max_receive_count`
    /// (the queue's redrive policy), a message already received that many times is not
    /// delivered but removed and pushed to `dead_letters` for the dead-letter queue.
    fn receive(
        &mut self,
        now: u64,
        max: usize,
        visibility_ms: u64,
        max_receive_count: Option<u32>,
        dead_letters: &mut Vec<Message>,
    ) -> Vec<Message>;
    /// Removes up to `max` visible messages, oldest first (per message group on FIFO queues),
    /// for a message move task.
    fn take_visible(&mut self, max: usize) -> Vec<Message>;
    /// The visibility deadline of message `seq` if it is in flight under receipt `generation`.
    fn in_flight_deadline(&self, seq: u64, generation: u32) -> Option<u64>;
    /// Deletes the message `seq` if `generation` is its current receipt.
    fn delete(&mut self, seq: u64, generation: u32) -> DeleteOutcome;
    /// Sets the visibility of in-flight message `seq` (receipt `generation`) to `now + timeout_ms`.
    fn change_visibility(
        &mut self,
        seq: u64,
        generation: u32,
        now: u64,
        timeout_ms: u64,
        max_total_ms: u64,
    ) -> VisibilityOutcome;
    /// Deletes every message.
    fn purge(&mut self);
    fn counts(&self) -> Counts;
    /// The earliest future instant at which a message becomes visible (end of a delay or of a
    /// visibility timeout), so that a long poll can wake then.
    fn next_visible_at(&self) -> Option<u64>;
    /// The last sequence number assigned, which the methods below move on.
    fn seq_mut(&mut self) -> &mut u64;
    /// The last sequence number assigned.
    fn current_seq(&self) -> u64;
    /// Next sequence number to assign.
    fn next_seq(&mut self) -> u64 {
        let seq = self.seq_mut();
        *seq += 1;
        *seq
    }
    /// Continues numbering after `seq` (restoring a queue from `--data-dir`).
    fn set_seq(&mut self, seq: u64) {
        let current = self.seq_mut();
        *current = (*current).max(seq);
    }
    /// Puts back a message restored from `--data-dir`: in flight until `visible_at` if it was
    /// received (`generation > 0`) and that is still ahead, else delayed or visible as
    /// [`MessageStore::insert`] does.
    fn restore(&mut self, message: Message, visible_at: u64, now: u64);
    /// Every stored message with the instant it becomes visible (0: visible now; the deadline
    /// of an in-flight one; the end of a delay), for a checkpoint of `--data-dir`.
    fn for_each(&self, f: &mut dyn FnMut(&Message, u64));
}

/// The earlier of two optional instants (the next time something becomes visible).
pub(super) fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

struct Delayed {
    visible_at: u64,
    message: Message,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest first.
        (other.visible_at, other.message.seq).cmp(&(self.visible_at, self.message.seq))
    }
}

/// In-memory [`MessageStore`].
#[derive(Default)]
pub struct MemoryMessageStore {
    ready: VecDeque<Message>,
    in_flight: InFlight,
    delayed: BinaryHeap<Delayed>,
    /// No stored message was sent before this instant (retention sweep hint).
    oldest_sent: u64,
    last_sweep: u64,
    seq: u64,
}

impl MemoryMessageStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn sweep_expired(&mut self, now: u64, retention_ms: u64) {
        if self.oldest_sent.saturating_add(retention_ms) > now {
            return;
        }
        // At most one full sweep per second of clock time.
        if now < self.last_sweep.saturating_add(1000) && self.last_sweep != 0 {
            return;
        }
        self.last_sweep = now;
        let alive = |m: &Message| m.sent_ms.saturating_add(retention_ms) > now;
        self.ready.retain(alive);
        self.in_flight.retain(alive);
        if self.delayed.iter().any(|d| !alive(&d.message)) {
            let kept: Vec<Delayed> = std::mem::take(&mut self.delayed)
                .into_vec()
                .into_iter()
                .filter(|d| alive(&d.message))
                .collect();
            self.delayed = kept.into();
        }
        self.oldest_sent = self
            .ready
            .iter()
            .map(|m| m.sent_ms)
            .chain(self.in_flight.messages().map(|m| m.sent_ms))
            .chain(self.delayed.iter().map(|d| d.message.sent_ms))
            .min()
            .unwrap_or(u64::MAX);
    }
}

impl MessageStore for MemoryMessageStore {
    fn settle(&mut self, now: u64, retention_ms: u64) {
        while let Some(d) = self.delayed.peek() {
            if d.visible_at > now {
                break;
            }
            if let Some(d) = self.delayed.pop() {
                self.ready.push_back(d.message);
            }
        }
        let mut returned = Vec::new();
        while let Some(m) = self.in_flight.pop_expired(now) {
            returned.push(m);
        }
        // Messages coming back from flight go first, in their original order.
        returned.sort_by_key(|m| Reverse(m.seq));
        for m in returned {
            self.ready.push_front(m);
        }
        self.sweep_expired(now, retention_ms);
    }

    fn insert(&mut self, message: Message, visible_at: u64, now: u64) {
        self.oldest_sent = self.oldest_sent.min(message.sent_ms);
        if visible_at > now {
            self.delayed.push(Delayed {
                visible_at,
                message,
            });
        } else {
            self.ready.push_back(message);
        }
    }

    fn receive(
        &mut self,
        now: u64,
        max: usize,
        visibility_ms: u64,
        max_receive_count: Option<u32>,
        dead_letters: &mut Vec<Message>,
    ) -> Vec<Message> {
        let mut out = Vec::with_capacity(max.min(self.ready.len()));
        while out.len() < max {
            let Some(mut m) = self.ready.pop_front() else {
                break;
            };
            if m.is_dead_letter(max_receive_count) {
                dead_letters.push(m);
                continue;
            }
            m.mark_received(now);
            out.push(m.clone());
            self.in_flight.insert(m, now.saturating_add(visibility_ms));
        }
        out
    }

    fn take_visible(&mut self, max: usize) -> Vec<Message> {
        let n = max.min(self.ready.len());
        self.ready.drain(..n).collect()
    }

    fn in_flight_deadline(&self, seq: u64, generation: u32) -> Option<u64> {
        self.in_flight.deadline(seq, generation)
    }

    fn delete(&mut self, seq: u64, generation: u32) -> DeleteOutcome {
        match self.in_flight.remove(seq, generation) {
            InFlightRemoval::Removed(_) => return DeleteOutcome::Deleted,
            InFlightRemoval::OtherReceipt => return DeleteOutcome::Stale,
            InFlightRemoval::NotInFlight => {}
        }
        // Visibility expired but not received again: the handle is still the latest one.
        if let Some(pos) = self
            .ready
            .iter()
            .position(|m| m.seq == seq && m.generation == generation && m.generation > 0)
        {
            self.ready.remove(pos);
            return DeleteOutcome::Deleted;
        }
        DeleteOutcome::Stale
    }

    fn change_visibility(
        &mut self,
        seq: u64,
        generation: u32,
        now: u64,
        timeout_ms: u64,
        max_total_ms: u64,
    ) -> VisibilityOutcome {
        match self
            .in_flight
            // A receipt of an earlier receive may terminate the message's current visibility
            // (timeout 0), as recorded on AWS (LocalStack's
            // `test_terminate_visibility_timeout_after_receive`); it cannot extend it.
            .change_visibility(
                seq,
                generation,
                now,
                timeout_ms,
                max_total_ms,
                timeout_ms == 0,
            ) {
            InFlightChange::Extended => VisibilityOutcome::Changed,
            InFlightChange::Returned(m) => {
                self.ready.push_front(m);
                VisibilityOutcome::Changed
            }
            InFlightChange::TooLong => VisibilityOutcome::TooLong,
            InFlightChange::OtherReceipt => VisibilityOutcome::Unknown,
            InFlightChange::NotInFlight => {
                if self
                    .ready
                    .iter()
                    .any(|m| m.seq == seq && m.generation == generation)
                {
                    VisibilityOutcome::NotInFlight
                } else {
                    VisibilityOutcome::Unknown
                }
            }
        }
    }

    fn purge(&mut self) {
        self.ready = VecDeque::new();
        self.in_flight = InFlight::default();
        self.delayed = BinaryHeap::new();
        self.oldest_sent = u64::MAX;
    }

    fn counts(&self) -> Counts {
        Counts {
            visible: self.ready.len() as u64,
            in_flight: self.in_flight.len() as u64,
            delayed: self.delayed.len() as u64,
        }
    }

    fn next_visible_at(&self) -> Option<u64> {
        let delayed = self.delayed.peek().map(|d| d.visible_at);
        earliest(delayed, self.in_flight.next_deadline())
    }

    fn seq_mut(&mut self) -> &mut u64 {
        &mut self.seq
    }

    fn current_seq(&self) -> u64 {
        self.seq
    }

    fn restore(&mut self, message: Message, visible_at: u64, now: u64) {
        self.seq = self.seq.max(message.seq);
        if message.generation > 0 && visible_at > now {
            self.oldest_sent = self.oldest_sent.min(message.sent_ms);
            self.in_flight.insert(message, visible_at);
        } else {
            self.insert(message, visible_at, now);
        }
    }

    fn for_each(&self, f: &mut dyn FnMut(&Message, u64)) {
        self.ready.iter().for_each(|m| f(m, 0));
        self.in_flight.for_each(|m, deadline| f(m, deadline));
        self.delayed
            .iter()
            .for_each(|d| f(&d.message, d.visible_at));
    }
}
