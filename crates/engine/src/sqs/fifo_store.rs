//! In-memory message store of a FIFO queue.
//!
//! Messages are kept per message group, in send order. A receive that takes messages of a
//! group locks it: nothing else of that group is delivered until the group unlocks, which
//! happens when its last in-flight message is deleted, or as soon as one of its messages is
//! visible again (its visibility timeout expired or was changed to 0); then only its visible
//! messages are delivered, the others stay in flight (recorded on AWS: LocalStack's
//! `test_fifo_message_group_visibility_after_terminate_visibility_timeout`).
//!
//! Groups that can deliver wait in `available`, ordered by when their first message became
//! visible: at its send (or the end of its delay), or when it came back from flight. So one
//! receive returns as many messages of a group as fit before the next group, and groups whose
//! messages just came back go behind groups that were waiting (recorded on AWS: LocalStack's
//! `test_fifo_receive_message_with_zero_visibility_timeout` and
//! `test_fifo_message_group_visibility_after_delete`). A receive touches only the groups it
//! delivers from.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use super::in_flight::{InFlight, InFlightChange, InFlightRemoval};
use super::message::Message;
use super::store::{earliest, Counts, DeleteOutcome, MessageStore, VisibilityOutcome};

/// When a message became visible: (clock millis, tick). The tick orders events of the same
/// millisecond and makes every key unique.
type Since = (u64, u64);

struct Ready {
    since: Since,
    message: Message,
}

#[derive(Default)]
struct Group {
    /// Visible messages, in send order.
    ready: VecDeque<Ready>,
    in_flight: usize,
    /// A receive took messages of the group and none has come back since.
    locked: bool,
    /// The group's key in `available`, while it is listed there.
    listed: Option<Since>,
}

/// In-memory FIFO [`MessageStore`].
#[derive(Default)]
pub struct FifoMessageStore {
    groups: HashMap<Arc<str>, Group>,
    /// Groups that can deliver (visible messages, not locked), keyed by when their first
    /// visible message became visible.
    available: BTreeMap<Since, Arc<str>>,
    in_flight: InFlight,
    delayed: BinaryHeap<Reverse<(u64, u64)>>,
    delayed_messages: HashMap<u64, Message>,
    ready_count: u64,
    seq: u64,
    tick: u64,
    last_sweep: u64,
}

fn group_of(m: &Message) -> Arc<str> {
    m.extra
        .as_ref()
        .and_then(|e| e.message_group_id.clone())
        .unwrap_or_else(|| Arc::from(""))
}

impl FifoMessageStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts the group in `available` under its first visible message if it can deliver,
    /// takes it out otherwise, and forgets a group with no message left.
    fn relist(&mut self, group: &Arc<str>) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        let want = if g.locked {
            None
        } else {
            g.ready.front().map(|r| r.since)
        };
        if g.listed != want {
            if let Some(old) = g.listed.take() {
                self.available.remove(&old);
            }
            if let Some(key) = want {
                self.available.insert(key, group.clone());
                g.listed = Some(key);
            }
        }
        if g.ready.is_empty() && g.in_flight == 0 {
            self.groups.remove(group);
        }
    }

    /// Makes a message visible in its group (in send order), visible since `at`.
    fn push_ready(&mut self, m: Message, at: u64) {
        self.tick += 1;
        let since = (at, self.tick);
        let group = group_of(&m);
        let g = self.groups.entry(group.clone()).or_default();
        // New messages go at the back; a message back from flight usually goes at the front.
        if g.ready.back().is_none_or(|r| r.message.seq < m.seq) {
            g.ready.push_back(Ready { since, message: m });
        } else {
            let pos = g
                .ready
                .iter()
                .position(|r| r.message.seq > m.seq)
                .unwrap_or(g.ready.len());
            g.ready.insert(pos, Ready { since, message: m });
        }
        self.ready_count += 1;
        self.relist(&group);
    }

    /// A message back from flight at `at`: visible again, and its group unlocks.
    fn return_to_group(&mut self, m: Message, at: u64) {
        if let Some(g) = self.groups.get_mut(&group_of(&m)) {
            g.in_flight = g.in_flight.saturating_sub(1);
            g.locked = false;
        }
        self.push_ready(m, at);
    }

    /// A message left flight for good (deleted, expired): its group unlocks when nothing of
    /// it is in flight any more.
    fn finish_in_flight(&mut self, m: &Message) {
        let group = group_of(m);
        if let Some(g) = self.groups.get_mut(&group) {
            g.in_flight = g.in_flight.saturating_sub(1);
            if g.in_flight == 0 {
                g.locked = false;
            }
        }
        self.relist(&group);
    }

    /// Takes up to `max` visible messages, group after group in `available` order, passing
    /// each to `take`. A group a message went in flight from is locked.
    fn take_groups(&mut self, max: usize, mut take: impl FnMut(&mut Self, Message) -> Taken) {
        let mut taken = 0;
        while taken < max {
            let Some((_, group)) = self.available.pop_first() else {
                break;
            };
            let Some(g) = self.groups.get_mut(&group) else {
                continue;
            };
            g.listed = None;
            let mut delivered = false;
            while taken < max {
                let Some(r) = self
                    .groups
                    .get_mut(&group)
                    .and_then(|g| g.ready.pop_front())
                else {
                    break;
                };
                self.ready_count = self.ready_count.saturating_sub(1);
                match take(self, r.message) {
                    Taken::Skipped => {}
                    Taken::Removed => taken += 1,
                    Taken::InFlight => {
                        delivered = true;
                        taken += 1;
                    }
                }
            }
            if let Some(g) = self.groups.get_mut(&group) {
                if delivered {
                    g.locked = true;
                }
            }
            self.relist(&group);
        }
    }
}

/// What became of a message [`FifoMessageStore::take_groups`] took.
enum Taken {
    /// Not counted (it went to the dead-letter queue).
    Skipped,
    /// Removed from the queue (a move task took it).
    Removed,
    /// Received: in flight.
    InFlight,
}

impl MessageStore for FifoMessageStore {
    fn settle(&mut self, now: u64, retention_ms: u64) {
        while let Some(Reverse((at, seq))) = self.delayed.peek().copied() {
            if at > now {
                break;
            }
            self.delayed.pop();
            if let Some(m) = self.delayed_messages.remove(&seq) {
                self.push_ready(m, at);
            }
        }
        while let Some((m, deadline)) = self.in_flight.pop_expired_with_deadline(now) {
            self.return_to_group(m, deadline);
        }
        // Retention is swept at most once per second of clock time.
        if self.last_sweep != 0 && now < self.last_sweep.saturating_add(1000) {
            return;
        }
        self.last_sweep = now;
        let expired = |m: &Message| m.sent_ms.saturating_add(retention_ms) <= now;
        let mut removed = 0u64;
        let mut touched = Vec::new();
        for (name, g) in self.groups.iter_mut() {
            let before = g.ready.len();
            g.ready.retain(|r| !expired(&r.message));
            if g.ready.len() != before {
                removed += (before - g.ready.len()) as u64;
                touched.push(name.clone());
            }
        }
        self.ready_count -= removed.min(self.ready_count);
        for group in touched {
            self.relist(&group);
        }
        for m in self.in_flight.take_where(expired) {
            self.finish_in_flight(&m);
        }
        self.delayed_messages.retain(|_, m| !expired(m));
    }

    fn insert(&mut self, message: Message, visible_at: u64, now: u64) {
        if visible_at > now {
            self.delayed.push(Reverse((visible_at, message.seq)));
            self.delayed_messages.insert(message.seq, message);
        } else {
            self.push_ready(message, now);
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
        let mut out = Vec::new();
        self.take_groups(max, |store, mut m| {
            if m.is_dead_letter(max_receive_count) {
                dead_letters.push(m);
                return Taken::Skipped;
            }
            m.mark_received(now);
            if let Some(g) = store.groups.get_mut(&group_of(&m)) {
                g.in_flight += 1;
            }
            out.push(m.clone());
            store.in_flight.insert(m, now.saturating_add(visibility_ms));
            Taken::InFlight
        });
        out
    }

    fn take_visible(&mut self, max: usize) -> Vec<Message> {
        let mut out = Vec::new();
        self.take_groups(max, |_, m| {
            out.push(m);
            Taken::Removed
        });
        out
    }

    fn in_flight_deadline(&self, seq: u64, generation: u32) -> Option<u64> {
        self.in_flight.deadline(seq, generation)
    }

    /// A receipt whose visibility timeout ended cannot delete on a FIFO queue, whether the
    /// message is visible again or in flight under a newer receipt (AWS:
    /// "The receipt handle has expired."); a message already gone is no error.
    fn delete(&mut self, seq: u64, generation: u32) -> DeleteOutcome {
        match self.in_flight.remove(seq, generation) {
            InFlightRemoval::Removed(m) => {
                self.finish_in_flight(&m);
                DeleteOutcome::Deleted
            }
            InFlightRemoval::OtherReceipt => DeleteOutcome::Expired,
            InFlightRemoval::NotInFlight => {
                let visible = self
                    .groups
                    .values()
                    .any(|g| g.ready.iter().any(|r| r.message.seq == seq));
                if visible {
                    DeleteOutcome::Expired
                } else {
                    DeleteOutcome::Stale
                }
            }
        }
    }

    fn change_visibility(
        &mut self,
        seq: u64,
        generation: u32,
        now: u64,
        timeout_ms: u64,
        max_total_ms: u64,
    ) -> VisibilityOutcome {
        match self.in_flight.change_visibility(
            seq,
            generation,
            now,
            timeout_ms,
            max_total_ms,
            false,
        ) {
            InFlightChange::Extended => VisibilityOutcome::Changed,
            InFlightChange::Returned(m) => {
                self.return_to_group(m, now);
                VisibilityOutcome::Changed
            }
            InFlightChange::TooLong => VisibilityOutcome::TooLong,
            InFlightChange::OtherReceipt => VisibilityOutcome::Unknown,
            InFlightChange::NotInFlight => {
                let visible = self.groups.values().any(|g| {
                    g.ready
                        .iter()
                        .any(|r| r.message.seq == seq && r.message.generation == generation)
                });
                if visible {
                    VisibilityOutcome::NotInFlight
                } else {
                    VisibilityOutcome::Unknown
                }
            }
        }
    }

    fn purge(&mut self) {
        let (seq, tick) = (self.seq, self.tick);
        *self = Self::default();
        self.seq = seq;
        self.tick = tick;
    }

    fn counts(&self) -> Counts {
        Counts {
            visible: self.ready_count,
            in_flight: self.in_flight.len() as u64,
            delayed: self.delayed_messages.len() as u64,
        }
    }

    fn next_visible_at(&self) -> Option<u64> {
        let delayed = self.delayed.peek().map(|Reverse((d, _))| *d);
        earliest(delayed, self.in_flight.next_deadline())
    }

    fn seq_mut(&mut self) -> &mut u64 {
        &mut self.seq
    }

    fn current_seq(&self) -> u64 {
        self.seq
    }

    /// Messages must be restored in sequence order: an in-flight one locks its group again.
    fn restore(&mut self, message: Message, visible_at: u64, now: u64) {
        self.seq = self.seq.max(message.seq);
        if message.generation > 0 && visible_at > now {
            let group = group_of(&message);
            let g = self.groups.entry(group.clone()).or_default();
            g.in_flight += 1;
            g.locked = true;
            self.in_flight.insert(message, visible_at);
            self.relist(&group);
        } else {
            self.insert(message, visible_at, now);
        }
    }

    fn for_each(&self, f: &mut dyn FnMut(&Message, u64)) {
        for g in self.groups.values() {
            g.ready.iter().for_each(|r| f(&r.message, 0));
        }
        self.in_flight.for_each(|m, deadline| f(m, deadline));
        for Reverse((at, seq)) in self.delayed.iter() {
            if let Some(m) = self.delayed_messages.get(seq) {
                f(m, *at);
            }
        }
    }
}
