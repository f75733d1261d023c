//! The server is shutting down: waits that would outlive it end now.
//!
//! A long poll parked for 20 seconds must not hold a `docker stop` (10 s) or a CI job's
//! teardown: when the server stops, every parked `ReceiveMessage` answers at once with what it
//! has (nothing), as AWS answers a poll whose wait ended.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Set once, when the server begins to shut down.
#[derive(Debug, Default)]
pub struct Shutdown {
    begun: AtomicBool,
    notify: Notify,
}

impl Shutdown {
    /// Starts the shutdown: current and later waiters return at once.
    pub fn begin(&self) {
        self.begun.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether the shutdown has begun.
    pub fn has_begun(&self) -> bool {
        self.begun.load(Ordering::SeqCst)
    }

    /// Resolves once the shutdown has begun (at once if it already has).
    pub async fn begun(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.has_begun() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn waiters_before_and_after_the_start_return() {
        let shutdown = Arc::new(Shutdown::default());
        let early = tokio::spawn({
            let s = shutdown.clone();
            async move { s.begun().await }
        });
        tokio::task::yield_now().await;
        assert!(!shutdown.has_begun());
        shutdown.begin();
        early.await.expect("the early waiter returns");
        shutdown.begun().await;
        assert!(shutdown.has_begun());
    }
}
