//! The in-flight half of a message store, the same for standard and FIFO queues: received
//! messages by sequence number, each with its visibility deadline, and a min-heap of those
//! deadlines. A visibility change pushes a new heap entry instead of moving the old one: an
//! entry whose deadline is no longer the message's is stale and skipped when it comes up.
//!
//! Where a message goes when it leaves flight (the front of the queue, the front of its
//! message group) stays with each store.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::message::Message;

/// What a receipt handle finds among the in-flight messages.
#[derive(Debug)]
pub(crate) enum InFlightChange {
    /// The deadline moved (a timeout above zero).
    Extended,
    /// A zero timeout: the message left flight and the store makes it visible again.
    Returned(Message),
    /// The new deadline would end more than `max_total_ms` after the receive; nothing changed.
    TooLong,
    /// The message is in flight under a newer receipt.
    OtherReceipt,
    /// The message is not in flight.
    NotInFlight,
}

/// What deleting by receipt handle finds among the in-flight messages.
#[derive(Debug)]
pub(crate) enum InFlightRemoval {
    /// The receipt was current: the message is out of flight, for the store to finish.
    Removed(Message),
    /// The message is in flight under a newer receipt.
    OtherReceipt,
    /// The message is not in flight.
    NotInFlight,
}

#[derive(Default)]
pub(crate) struct InFlight {
    /// seq -> (message, visibility deadline).
    messages: HashMap<u64, (Message, u64)>,
    /// (deadline, seq), earliest first; may hold stale entries.
    deadlines: BinaryHeap<Reverse<(u64, u64)>>,
}

impl InFlight {
    /// Puts a message (just received) in flight until `deadline`.
    pub(crate) fn insert(&mut self, m: Message, deadline: u64) {
        self.deadlines.push(Reverse((deadline, m.seq)));
        self.messages.insert(m.seq, (m, deadline));
    }

    /// Every in-flight message with its deadline.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Message, u64)) {
        self.messages.values().for_each(|(m, d)| f(m, *d));
    }

    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.values().map(|(m, _)| m)
    }

    /// The visibility deadline of message `seq` if it is in flight under receipt `generation`.
    pub(crate) fn deadline(&self, seq: u64, generation: u32) -> Option<u64> {
        self.messages
            .get(&seq)
            .filter(|(m, _)| m.generation == generation)
            .map(|(_, deadline)| *deadline)
    }

    /// The earliest deadline in the heap (possibly a stale one: a wake-up too early is
    /// harmless).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.deadlines.peek().map(|Reverse((d, _))| *d)
    }

    /// Takes out the next message whose deadline is at or before `now`, if any.
    pub(crate) fn pop_expired(&mut self, now: u64) -> Option<Message> {
        self.pop_expired_with_deadline(now).map(|(m, _)| m)
    }

    /// Like [`InFlight::pop_expired`], with the deadline that passed (the instant the message
    /// became visible again).
    pub(crate) fn pop_expired_with_deadline(&mut self, now: u64) -> Option<(Message, u64)> {
        while let Some(Reverse((deadline, seq))) = self.deadlines.peek().copied() {
            if deadline > now {
                return None;
            }
            self.deadlines.pop();
            if self.messages.get(&seq).is_some_and(|(_, d)| *d == deadline) {
                if let Some((m, _)) = self.messages.remove(&seq) {
                    return Some((m, deadline));
                }
            }
        }
        None
    }

    /// Takes message `seq` out of flight if `generation` is its current receipt.
    pub(crate) fn remove(&mut self, seq: u64, generation: u32) -> InFlightRemoval {
        match self.messages.get(&seq) {
            Some((m, _)) if m.generation == generation => match self.messages.remove(&seq) {
                Some((m, _)) => InFlightRemoval::Removed(m),
                None => InFlightRemoval::NotInFlight,
            },
            Some(_) => InFlightRemoval::OtherReceipt,
            None => InFlightRemoval::NotInFlight,
        }
    }

    /// Moves message `seq`'s deadline to `now + timeout_ms` if `generation` is its current
    /// receipt; a zero timeout takes it out of flight. The deadline may not end more than
    /// `max_total_ms` after the receive (AWS's 12-hour limit).
    ///
    /// With `any_receipt`, an older receipt of the message changes its current flight too
    /// (standard queues: AWS accepts a receipt handle of an earlier receive of the message to
    /// terminate the visibility timeout).
    pub(crate) fn change_visibility(
        &mut self,
        seq: u64,
        generation: u32,
        now: u64,
        timeout_ms: u64,
        max_total_ms: u64,
        any_receipt: bool,
    ) -> InFlightChange {
        match self.messages.get_mut(&seq) {
            Some((m, deadline))
                if m.generation == generation || (any_receipt && generation <= m.generation) =>
            {
                let new_deadline = now.saturating_add(timeout_ms);
                if new_deadline > m.received_ms.saturating_add(max_total_ms) {
                    return InFlightChange::TooLong;
                }
                *deadline = new_deadline;
                if timeout_ms == 0 {
                    match self.messages.remove(&seq) {
                        Some((m, _)) => InFlightChange::Returned(m),
                        None => InFlightChange::NotInFlight,
                    }
                } else {
                    self.deadlines.push(Reverse((new_deadline, seq)));
                    InFlightChange::Extended
                }
            }
            Some(_) => InFlightChange::OtherReceipt,
            None => InFlightChange::NotInFlight,
        }
    }

    /// Keeps the messages `keep` says yes to; the heap is emptied when nothing is left.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Message) -> bool) {
        self.messages.retain(|_, (m, _)| keep(m));
        if self.messages.is_empty() {
            self.deadlines.clear();
        }
    }

    /// Takes out every message `expired` says yes to.
    pub(crate) fn take_where(&mut self, mut expired: impl FnMut(&Message) -> bool) -> Vec<Message> {
        let gone: Vec<u64> = self
            .messages
            .iter()
            .filter(|(_, (m, _))| expired(m))
            .map(|(s, _)| *s)
            .collect();
        gone.into_iter()
            .filter_map(|seq| self.messages.remove(&seq).map(|(m, _)| m))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(seq: u64, now: u64) -> Message {
        let mut m = Message {
            seq,
            id: u128::from(seq),
            body: "b".into(),
            extra: None,
            sender_id: "000000000000".into(),
            sent_ms: 0,
            first_receive_ms: 0,
            received_ms: 0,
            receive_count: 0,
            generation: 0,
        };
        m.mark_received(now);
        m
    }

    #[test]
    fn expiry_follows_the_latest_deadline_only() {
        let mut f = InFlight::default();
        f.insert(received(1, 0), 100);
        f.insert(received(2, 0), 200);
        // Extending 1 to 300 leaves its old heap entry (100) stale.
        assert!(matches!(
            f.change_visibility(1, 1, 50, 250, 1_000, false),
            InFlightChange::Extended
        ));
        assert_eq!(f.deadline(1, 1), Some(300));
        assert_eq!(f.next_deadline(), Some(100));
        assert!(f.pop_expired(150).is_none());
        assert_eq!(f.pop_expired(200).map(|m| m.seq), Some(2));
        assert_eq!(f.pop_expired(300).map(|m| m.seq), Some(1));
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn receipts_must_be_current() {
        let mut f = InFlight::default();
        f.insert(received(1, 0), 100);
        assert_eq!(f.deadline(1, 2), None);
        assert!(matches!(f.remove(1, 2), InFlightRemoval::OtherReceipt));
        assert!(matches!(
            f.change_visibility(1, 2, 0, 10, 1_000, false),
            InFlightChange::OtherReceipt
        ));
        assert!(matches!(f.remove(9, 1), InFlightRemoval::NotInFlight));
        assert!(matches!(
            f.change_visibility(9, 1, 0, 10, 1_000, false),
            InFlightChange::NotInFlight
        ));
        assert!(matches!(f.remove(1, 1), InFlightRemoval::Removed(m) if m.seq == 1));
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn a_zero_timeout_returns_the_message_and_the_total_is_capped() {
        let mut f = InFlight::default();
        f.insert(received(1, 1_000), 2_000);
        // 1_000 (received) + 500 (cap) < 600 + 1_000: refused, nothing changes.
        assert!(matches!(
            f.change_visibility(1, 1, 600, 1_000, 500, false),
            InFlightChange::TooLong
        ));
        assert_eq!(f.deadline(1, 1), Some(2_000));
        assert!(matches!(
            f.change_visibility(1, 1, 600, 0, 500, false),
            InFlightChange::Returned(m) if m.seq == 1
        ));
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn sweeps_keep_or_take_by_predicate() {
        let mut f = InFlight::default();
        for seq in 1..=4 {
            f.insert(received(seq, 0), 100);
        }
        let mut taken: Vec<u64> = f
            .take_where(|m| m.seq % 2 == 0)
            .iter()
            .map(|m| m.seq)
            .collect();
        taken.sort_unstable();
        assert_eq!(taken, [2, 4]);
        f.retain(|m| m.seq == 3);
        assert_eq!(f.messages().map(|m| m.seq).collect::<Vec<_>>(), [3]);
        f.retain(|_| false);
        assert_eq!(f.next_deadline(), None);
    }
}
