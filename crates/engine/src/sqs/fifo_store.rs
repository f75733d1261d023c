//! In-memory message store of a FIFO queue.
//!
//! Messages are kept per message group, in send order. A group with a message in flight is
//! locked: nothing else of that group is delivered until that message is deleted or becomes
//! visible again (then it is first in line again). Groups that can deliver wait in a queue of
//! their own, so a receive touches only the groups it delivers from.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use super::in_flight::{InFlight, InFlightChange, InFlightRemoval};
use super::message::Message;
use super::store::{Counts, DeleteOutcome, MessageStore, VisibilityOutcome};

#[derive(Default)]
struct Group {
    ready: VecDeque<Message>,
    in_flight: usize,
    /// Whether the group is in `available` (deduplicates entries there).
    listed: bool,
}

/// In-memory FIFO [`MessageStore`].
#[derive(Default)]
pub struct FifoMessageStore {
    groups: HashMap<Arc<str>, Group>,
    /// Groups with ready messages and nothing in flight, oldest first.
    available: VecDeque<Arc<str>>,
    in_flight: InFlight,
    delayed: BinaryHeap<Reverse<(u64, u64)>>,
    delayed_messages: HashMap<u64, Message>,
    ready_count: u64,
    seq: u64,
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

    fn list_if_available(&mut self, group: &Arc<str>) {
        if let Some(g) = self.groups.get_mut(group) {
            if !g.listed && g.in_flight == 0 && !g.ready.is_empty() {
                g.listed = true;
                self.available.push_back(group.clone());
            }
        }
    }

    /// Takes the oldest group that can deliver (ready messages, nothing in flight) off the
    /// list of available groups.
    fn next_available_group(&mut self) -> Option<Arc<str>> {
        while let Some(group) = self.available.pop_front() {
            if let Some(g) = self.groups.get_mut(&group) {
                g.listed = false;
                if g.in_flight == 0 {
                    return Some(group);
                }
            }
        }
        None
    }

    fn push_ready_back(&mut self, m: Message) {
        let group = group_of(&m);
        self.groups
            .entry(group.clone())
            .or_default()
            .ready
            .push_back(m);
        self.ready_count += 1;
        self.list_if_available(&group);
    }

    /// Returns an in-flight message to the front of its group, keeping send order.
    fn return_to_group(&mut self, m: Message) {
        let group = group_of(&m);
        let g = self.groups.entry(group.clone()).or_default();
        g.in_flight = g.in_flight.saturating_sub(1);
        let pos = g
            .ready
            .iter()
            .position(|r| r.seq > m.seq)
            .unwrap_or(g.ready.len());
        g.ready.insert(pos, m);
        self.ready_count += 1;
        self.list_if_available(&group);
    }

    fn finish_in_flight(&mut self, m: &Message) {
        let group = group_of(m);
        if let Some(g) = self.groups.get_mut(&group) {
            g.in_flight = g.in_flight.saturating_sub(1);
            if g.in_flight == 0 && g.ready.is_empty() {
                self.groups.remove(&group);
                return;
            }
        }
        self.list_if_available(&group);
    }
}

impl MessageStore for FifoMessageStore {
    fn settle(&mut self, now: u64, retention_ms: u64) {
        while let Some(Reverse((at, seq))) = self.delayed.peek().copied() {
            if at > now {
                break;
            }
            self.delayed.pop();
            if let Some(m) = self.delayed_messages.remove(&seq) {
                self.push_ready_back(m);
            }
        }
        while let Some(m) = self.in_flight.pop_expired(now) {
            self.return_to_group(m);
        }
        // Retention is swept at most once per second of clock time.
        if self.last_sweep != 0 && now < self.last_sweep.saturating_add(1000) {
            return;
        }
        self.last_sweep = now;
        let expired = |m: &Message| m.sent_ms.saturating_add(retention_ms) <= now;
        let mut removed = 0u64;
        for g in self.groups.values_mut() {
            while g.ready.front().is_some_and(expired) {
                g.ready.pop_front();
                removed += 1;
            }
        }
        self.ready_count -= removed.min(self.ready_count);
        for m in self.in_flight.take_where(expired) {
            self.finish_in_flight(&m);
        }
        self.delayed_messages.retain(|_, m| !expired(m));
        self.groups
            .retain(|_, g| !g.ready.is_empty() || g.in_flight > 0);
    }

    fn insert(&mut self, message: Message, visible_at: u64, now: u64) {
        if visible_at > now {
            self.delayed.push(Reverse((visible_at, message.seq)));
            self.delayed_messages.insert(message.seq, message);
        } else {
            self.push_ready_back(message);
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
        while out.len() < max {
            let Some(group) = self.next_available_group() else {
                break;
            };
            let Some(g) = self.groups.get_mut(&group) else {
                continue;
            };
            while out.len() < max {
                let Some(mut m) = g.ready.pop_front() else {
                    break;
                };
                self.ready_count = self.ready_count.saturating_sub(1);
                if m.is_dead_letter(max_receive_count) {
                    dead_letters.push(m);
                    continue;
                }
                m.mark_received(now);
                g.in_flight += 1;
                out.push(m.clone());
                self.in_flight.insert(m, now.saturating_add(visibility_ms));
            }
            // Every message of the group may have gone to the dead-letter queue.
            if g.in_flight == 0 && g.ready.is_empty() {
                self.groups.remove(&group);
            }
        }
        out
    }

    fn take_visible(&mut self, max: usize) -> Vec<Message> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(group) = self.next_available_group() else {
                break;
            };
            let Some(g) = self.groups.get_mut(&group) else {
                continue;
            };
            while out.len() < max {
                let Some(m) = g.ready.pop_front() else {
                    break;
                };
                self.ready_count = self.ready_count.saturating_sub(1);
                out.push(m);
            }
            if g.ready.is_empty() {
                self.groups.remove(&group);
            } else {
                self.list_if_available(&group);
            }
        }
        out
    }

    fn in_flight_deadline(&self, seq: u64, generation: u32) -> Option<u64> {
        self.in_flight.deadline(seq, generation)
    }

    fn delete(&mut self, seq: u64, generation: u32) -> DeleteOutcome {
        match self.in_flight.remove(seq, generation) {
            InFlightRemoval::Removed(m) => {
                self.finish_in_flight(&m);
                DeleteOutcome::Deleted
            }
            InFlightRemoval::OtherReceipt => DeleteOutcome::Stale,
            InFlightRemoval::NotInFlight => {
                for g in self.groups.values_mut() {
                    if let Some(pos) = g
                        .ready
                        .iter()
                        .position(|m| m.seq == seq && m.generation == generation && generation > 0)
                    {
                        g.ready.remove(pos);
                        self.ready_count = self.ready_count.saturating_sub(1);
                        return DeleteOutcome::Deleted;
                    }
                }
                DeleteOutcome::Stale
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
        match self
            .in_flight
            .change_visibility(seq, generation, now, timeout_ms, max_total_ms)
        {
            InFlightChange::Extended => VisibilityOutcome::Changed,
            InFlightChange::Returned(m) => {
                self.return_to_group(m);
                VisibilityOutcome::Changed
            }
            InFlightChange::TooLong => VisibilityOutcome::TooLong,
            InFlightChange::OtherReceipt => VisibilityOutcome::Unknown,
            InFlightChange::NotInFlight => {
                let visible = self.groups.values().any(|g| {
                    g.ready
                        .iter()
                        .any(|m| m.seq == seq && m.generation == generation)
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
        let seq = self.seq;
        *self = Self::default();
        self.seq = seq;
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
        let flight = self.in_flight.next_deadline();
        match (delayed, flight) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
