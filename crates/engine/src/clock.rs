//! Time, as the engine sees it.
//!
//! The engine never calls `SystemTime::now()` or sleeps directly: it asks a [`Clock`]. The server
//! uses [`SystemClock`]; tests use [`ManualClock`] and move time forward explicitly, so that
//! "16 minutes later the visibility timeout has passed" is tested exactly and instantly.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A boxed future returned by [`Clock::sleep_until`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64;

    /// A future that completes once [`Clock::now_millis`] has reached `deadline_ms`.
    ///
    /// Completing a little late is fine; callers re-check the state they wait for.
    fn sleep_until(&self, deadline_ms: u64) -> Sleep;

    /// Whole seconds since the Unix epoch.
    fn now_seconds(&self) -> u64 {
        self.now_millis() / 1000
    }
}

/// The real clock: `SystemTime` for the time, tokio timers for waiting.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep_until(&self, deadline_ms: u64) -> Sleep {
        let wait = deadline_ms.saturating_sub(self.now_millis());
        Box::pin(tokio::time::sleep(Duration::from_millis(wait)))
    }
}

/// A clock that only moves when told to. Waiters in [`Clock::sleep_until`] wake when an
/// [`ManualClock::advance`] or [`ManualClock::set`] reaches their deadline.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicU64,
    tick: tokio::sync::watch::Sender<u64>,
}

impl ManualClock {
    /// A clock standing at `start_ms` milliseconds since the epoch.
    pub fn new(start_ms: u64) -> Self {
        let (tick, _) = tokio::sync::watch::channel(start_ms);
        Self {
            now: AtomicU64::new(start_ms),
            tick,
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let now = self.now.fetch_add(d.as_millis() as u64, Ordering::SeqCst) + d.as_millis() as u64;
        self.tick.send_replace(now);
    }

    /// Sets the clock to `ms` (may go backwards; waiters re-check).
    pub fn set(&self, ms: u64) {
        self.now.store(ms, Ordering::SeqCst);
        self.tick.send_replace(ms);
    }
}

impl Default for ManualClock {
    /// 2024-01-01T00:00:00Z, a fixed and recognisable instant.
    fn default() -> Self {
        Self::new(1_704_067_200_000)
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep_until(&self, deadline_ms: u64) -> Sleep {
        let mut rx = self.tick.subscribe();
        Box::pin(async move {
            loop {
                if *rx.borrow_and_update() >= deadline_ms {
                    return;
                }
                if rx.changed().await.is_err() {
                    // The clock is gone: nobody can ever advance it again.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn manual_clock_wakes_sleeper_at_deadline_only() {
        let clock = Arc::new(ManualClock::new(1_000));
        let sleeper = tokio::spawn(clock.sleep_until(5_000));
        clock.advance(Duration::from_millis(1_000));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_millis(3_000));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("sleeper woke")
            .expect("no panic");
        assert_eq!(clock.now_millis(), 5_000);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_seconds() > 1_577_836_800);
    }
}
