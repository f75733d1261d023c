//! Waiting for the first attempt of a call's deliveries.
//!
//! By default the emulator answers `Publish` and `PutEvents` only once the first attempt of
//! each delivery into its own queues was made, so a test that publishes and then receives
//! finds the message. The call makes a [`FirstAttempt`] token, every job it queues holds a
//! clone, and [`FirstAttemptDone::wait`] returns when the last clone is dropped. A job drops
//! its token as soon as its first attempt is made, or before anything slow starts (an HTTP
//! call, a retry), so those stay asynchronous.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Held by the delivery jobs of one call (Publish, PublishBatch, PutEvents, an EventBridge
/// target); the call's [`FirstAttemptDone::wait`] returns once every holder is dropped, i.e.
/// once the first attempt of each delivery into this emulator's own queues was made.
/// Deliveries that leave the emulator (HTTP/S) and retries drop it before they start: they
/// stay asynchronous.
#[derive(Clone, Debug)]
pub struct FirstAttempt(
    #[allow(dead_code)] Arc<tokio::sync::oneshot::Sender<()>>,
    /// The highest journal ticket a first attempt stored its changes under.
    Arc<AtomicU64>,
);

/// The waiting side of a [`FirstAttempt`].
#[derive(Debug)]
pub struct FirstAttemptDone(tokio::sync::oneshot::Receiver<()>, Arc<AtomicU64>);

/// A call never waits longer than this for its first delivery attempts.
pub const FIRST_ATTEMPT_WAIT: Duration = Duration::from_secs(10);

impl FirstAttempt {
    /// A token for one call, and the call's side that waits for every clone to be dropped.
    pub fn new() -> (FirstAttempt, FirstAttemptDone) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ticket = Arc::new(AtomicU64::new(0));
        (
            FirstAttempt(Arc::new(tx), ticket.clone()),
            FirstAttemptDone(rx, ticket),
        )
    }

    /// Records that a first attempt stored its changes under journal `ticket`.
    pub fn note(&self, ticket: u64) {
        self.1.fetch_max(ticket, Ordering::AcqRel);
    }

    /// Runs `deliver` (a first attempt), noting the journal ticket of what it stored.
    pub async fn run<F: std::future::Future>(
        first: Option<&FirstAttempt>,
        deliver: F,
    ) -> F::Output {
        match first {
            None => deliver.await,
            Some(first) => {
                let (out, ticket) = ferrybridge_engine::persist::scope(deliver).await;
                first.note(ticket);
                out
            }
        }
    }

    /// Runs a synchronous first attempt, noting the journal ticket of what it stored.
    pub fn run_sync<T>(first: Option<&FirstAttempt>, deliver: impl FnOnce() -> T) -> T {
        match first {
            None => deliver(),
            Some(first) => {
                let (out, ticket) = ferrybridge_engine::persist::scope_sync(deliver);
                first.note(ticket);
                out
            }
        }
    }
}

impl FirstAttemptDone {
    /// Waits (at most [`FIRST_ATTEMPT_WAIT`]) until every [`FirstAttempt`] holder is gone,
    /// then notes the highest journal ticket they reported for the calling request (see
    /// `ferrybridge_engine::persist::scope`): what the first attempts stored is durable before
    /// the call answers.
    pub async fn wait(self) {
        // The sender is never used: it is dropped when the last job is done.
        let _ = tokio::time::timeout(FIRST_ATTEMPT_WAIT, self.0).await;
        ferrybridge_engine::persist::note(self.1.load(Ordering::Acquire));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_wait_ends_when_the_last_holder_is_dropped() {
        let (first, done) = FirstAttempt::new();
        let held = first.clone();
        drop(first);
        let waiting = tokio::spawn(done.wait());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a holder is left");
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the wait ends")
            .expect("no panic");
    }
}
