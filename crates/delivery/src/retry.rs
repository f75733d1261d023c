//! Retrying a failed delivery on the emulator's clock, and handing back what gives up.
//!
//! [`retry_until_done`] is the one retry driver: after a failure it asks a [`Schedule`] when
//! the next attempt is due, waits for that instant on the [`Clock`] (the system clock in the
//! server, a manual clock in tests, so a schedule of minutes runs in no time), checks the
//! delivery is still wanted (not reset or unsubscribed meanwhile), and attempts again, until an
//! attempt succeeds, fails in a way that is not retried, or the schedule runs out.
//! [`settle`] wraps it for a delivery whose first attempt was made: done, retried, or handed
//! to the service's give-up callback (its dead-letter queue) with the last failure.
//!
//! The schedules are the services' rules, not this crate's: [`Backoff`] is EventBridge's
//! (exponential back-off with jitter, bounded by `MaximumRetryAttempts` and
//! `MaximumEventAgeInSeconds`), [`Delays`] a fixed list of waits (SNS's delivery-policy phases,
//! computed by the SNS crate).

use std::future::Future;
use std::time::Duration;

use ferrybridge_engine::clock::Clock;

/// What the driver needs to know of a failed attempt.
pub trait Failure {
    /// Whether trying again may help (throttling, time-outs, connection failures, 5xx).
    fn retriable(&self) -> bool;
    /// The least wait before the next attempt the target asked for (an HTTP `Retry-After`).
    fn retry_after_ms(&self) -> Option<u64> {
        None
    }
}

/// Why the retries stopped while the last failure was still retriable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// The schedule allows no more attempts.
    Attempts,
    /// The next attempt would come after the delivery's deadline (its age limit).
    Age,
    /// The delivery is no longer wanted (reset, unsubscribed) when the next attempt was due.
    Cancelled,
}

/// How a retried delivery ended when it was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveUp<E> {
    /// The last failure.
    pub failure: E,
    /// Retries made (the first attempt not counted).
    pub retries: u32,
    /// Why the retries stopped, or `None` when an attempt failed in a way that is not retried.
    pub exhausted: Option<Exhausted>,
}

/// How a retried delivery ended when it was delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried<T> {
    /// What the successful attempt returned.
    pub value: T,
    /// Retries made, the successful one included (the first attempt not counted).
    pub retries: u32,
}

/// When retries are due.
pub trait Schedule<E> {
    /// The instant (milliseconds on the clock) retry number `retry` (0-based) after `failure`
    /// is due, the time now being `now_ms`; or why there is none.
    fn next_retry(&mut self, retry: u32, now_ms: u64, failure: &E) -> Result<u64, Exhausted>;
}

/// Exponential back-off with jitter ([`backoff_ms`]), at most `max_retries` retries, none due
/// after `deadline_ms`; a failure's [`Failure::retry_after_ms`] lengthens the wait. EventBridge's
/// retry policy ("Event retry policy and using dead-letter queues").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Retries allowed (the first attempt not counted).
    pub max_retries: u32,
    /// No retry is made later than this (milliseconds on the clock).
    pub deadline_ms: u64,
}

impl<E: Failure> Schedule<E> for Backoff {
    fn next_retry(&mut self, retry: u32, now_ms: u64, failure: &E) -> Result<u64, Exhausted> {
        if retry >= self.max_retries {
            return Err(Exhausted::Attempts);
        }
        let wait = backoff_ms(retry).max(failure.retry_after_ms().unwrap_or(0));
        let at = now_ms + wait;
        if at > self.deadline_ms {
            return Err(Exhausted::Age);
        }
        Ok(at)
    }
}

/// The wait before retry `n` (0-based): 1 s doubling up to 5 minutes, with jitter (between
/// half and all of it), so retries of many deliveries that failed together spread out.
pub fn backoff_ms(n: u32) -> u64 {
    use rand::Rng as _;
    let full = 1000u64.saturating_mul(1u64 << n.min(20)).min(300_000);
    rand::thread_rng().gen_range(full / 2..=full)
}

/// A fixed list of waits, one per retry, each counted from the failure before it.
#[derive(Debug, Clone)]
pub struct Delays(std::vec::IntoIter<Duration>);

impl Delays {
    pub fn new(delays: Vec<Duration>) -> Self {
        Delays(delays.into_iter())
    }
}

impl<E> Schedule<E> for Delays {
    fn next_retry(&mut self, _retry: u32, now_ms: u64, _failure: &E) -> Result<u64, Exhausted> {
        let delay = self.0.next().ok_or(Exhausted::Attempts)?;
        Ok(now_ms.saturating_add(delay.as_millis() as u64))
    }
}

/// Calls `attempt` again after `failure` (a retriable one), waiting on `clock` for each retry
/// `schedule` sets, until it succeeds, fails in a way that is not retried, the schedule runs
/// out, or `still_wanted` (asked after each wait, before the attempt) says no.
pub async fn retry_until_done<T, E, F, S>(
    clock: &dyn Clock,
    schedule: &mut S,
    mut failure: E,
    still_wanted: impl Fn() -> bool,
    mut attempt: impl FnMut() -> F,
) -> Result<Retried<T>, GaveUp<E>>
where
    E: Failure,
    F: Future<Output = Result<T, E>>,
    S: Schedule<E> + ?Sized,
{
    let mut retries = 0u32;
    loop {
        let at = match schedule.next_retry(retries, clock.now_millis(), &failure) {
            Ok(at) => at,
            Err(exhausted) => {
                return Err(GaveUp {
                    failure,
                    retries,
                    exhausted: Some(exhausted),
                })
            }
        };
        clock.sleep_until(at).await;
        if !still_wanted() {
            return Err(GaveUp {
                failure,
                retries,
                exhausted: Some(Exhausted::Cancelled),
            });
        }
        retries += 1;
        match attempt().await {
            Ok(value) => return Ok(Retried { value, retries }),
            Err(f) if f.retriable() => failure = f,
            Err(f) => {
                return Err(GaveUp {
                    failure: f,
                    retries,
                    exhausted: None,
                })
            }
        }
    }
}

/// Ends a delivery whose first attempt gave `first`: done if it succeeded; handed to `give_up`
/// at once (no retries) if it failed in a way that is not retried; otherwise retried
/// ([`retry_until_done`]) and handed to `give_up` if that ends without delivering.
/// `give_up` is the service's dead-letter hand-off.
pub async fn settle<T, E, F, S>(
    clock: &dyn Clock,
    schedule: &mut S,
    first: Result<T, E>,
    still_wanted: impl Fn() -> bool,
    attempt: impl FnMut() -> F,
    give_up: impl FnOnce(GaveUp<E>),
) where
    E: Failure,
    F: Future<Output = Result<T, E>>,
    S: Schedule<E> + ?Sized,
{
    let failure = match first {
        Ok(_) => return,
        Err(f) if f.retriable() => f,
        Err(f) => {
            return give_up(GaveUp {
                failure: f,
                retries: 0,
                exhausted: None,
            })
        }
    };
    if let Err(gave_up) = retry_until_done(clock, schedule, failure, still_wanted, attempt).await {
        give_up(gave_up);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrybridge_engine::clock::ManualClock;
    use std::sync::{Arc, Mutex};

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Fail {
        code: &'static str,
        retriable: bool,
        retry_after_ms: Option<u64>,
    }

    impl Failure for Fail {
        fn retriable(&self) -> bool {
            self.retriable
        }
        fn retry_after_ms(&self) -> Option<u64> {
            self.retry_after_ms
        }
    }

    fn throttled() -> Fail {
        Fail {
            code: "THROTTLING",
            retriable: true,
            retry_after_ms: None,
        }
    }

    fn gone() -> Fail {
        Fail {
            code: "NO_RESOURCE",
            retriable: false,
            retry_after_ms: None,
        }
    }

    /// The outcome of a driven retry: the driver's result, the clock times of the attempts
    /// (relative to the start) and the virtual time taken.
    struct Run {
        outcome: Result<Retried<()>, GaveUp<Fail>>,
        attempts_at: Vec<u64>,
        elapsed: u64,
    }

    /// Drives `retry_until_done` by advancing the manual clock `step_ms` at a time until it
    /// finishes; each attempt takes the next of `results` (then fails retriably).
    async fn drive(
        mut schedule: Box<dyn Schedule<Fail> + Send>,
        mut results: Vec<Result<(), Fail>>,
        wanted: Arc<std::sync::atomic::AtomicBool>,
        step_ms: u64,
    ) -> Run {
        let clock = Arc::new(ManualClock::default());
        let start = clock.now_millis();
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let (log, task_clock) = (attempts.clone(), clock.clone());
        let task = tokio::spawn(async move {
            let c = task_clock.clone();
            retry_until_done(
                &*task_clock,
                &mut *schedule,
                throttled(),
                move || wanted.load(std::sync::atomic::Ordering::SeqCst),
                move || {
                    log.lock().expect("lock").push(c.now_millis() - start);
                    std::future::ready(if results.is_empty() {
                        Err(throttled())
                    } else {
                        results.remove(0)
                    })
                },
            )
            .await
        });
        for _ in 0..200_000 {
            if task.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
            clock.advance(Duration::from_millis(step_ms));
        }
        let outcome = task.await.expect("no panic");
        let attempts_at = attempts.lock().expect("lock").clone();
        Run {
            outcome,
            attempts_at,
            elapsed: clock.now_millis() - start,
        }
    }

    fn wanted() -> Arc<std::sync::atomic::AtomicBool> {
        Arc::new(std::sync::atomic::AtomicBool::new(true))
    }

    fn backoff(max_retries: u32, max_age_s: u64) -> Box<dyn Schedule<Fail> + Send> {
        Box::new(Backoff {
            max_retries,
            deadline_ms: ManualClock::default().now_millis() + max_age_s * 1000,
        })
    }

    #[tokio::test]
    async fn retries_until_the_target_takes_it() {
        let run = drive(
            backoff(185, 86_400),
            vec![Err(throttled()), Ok(())],
            wanted(),
            1000,
        )
        .await;
        assert_eq!(
            run.outcome,
            Ok(Retried {
                value: (),
                retries: 2
            })
        );
        assert_eq!(run.attempts_at.len(), 2);
    }

    #[tokio::test]
    async fn gives_up_after_the_maximum_retries() {
        let run = drive(backoff(3, 86_400), Vec::new(), wanted(), 1000).await;
        assert_eq!(run.attempts_at.len(), 3);
        assert_eq!(
            run.outcome,
            Err(GaveUp {
                failure: throttled(),
                retries: 3,
                exhausted: Some(Exhausted::Attempts),
            })
        );
    }

    #[tokio::test]
    async fn zero_retries_means_straight_to_the_give_up() {
        let run = drive(backoff(0, 86_400), Vec::new(), wanted(), 1000).await;
        assert!(run.attempts_at.is_empty());
        assert_eq!(run.outcome.map_err(|g| g.retries), Err(0));
    }

    #[tokio::test]
    async fn gives_up_when_the_next_retry_would_be_too_late() {
        let run = drive(backoff(185, 60), Vec::new(), wanted(), 1000).await;
        let gave_up = run.outcome.expect_err("gave up");
        assert_eq!(gave_up.exhausted, Some(Exhausted::Age));
        assert!(
            run.elapsed <= 60_000,
            "no retry after the deadline: {} ms",
            run.elapsed
        );
        // Back-off doubles from about a second: 1+2+4+8+16 s fit in a minute, a sixth does not
        // always; with jitter there are between 5 and 7 retries.
        let n = run.attempts_at.len();
        assert!((5..=7).contains(&n), "{n} retries");
        // Each wait is at least half of 1 s, 2 s, 4 s ...
        for (i, pair) in run.attempts_at.windows(2).enumerate() {
            let least = (1000u64 << (i + 1)) / 2;
            assert!(pair[1] - pair[0] >= least, "retry {}: {pair:?}", i + 1);
        }
    }

    #[tokio::test]
    async fn a_failure_that_is_not_retried_ends_the_retries() {
        let run = drive(backoff(185, 86_400), vec![Err(gone())], wanted(), 1000).await;
        assert_eq!(run.attempts_at.len(), 1);
        assert_eq!(
            run.outcome,
            Err(GaveUp {
                failure: gone(),
                retries: 1,
                exhausted: None,
            })
        );
    }

    #[test]
    fn retry_after_lengthens_the_wait() {
        let mut schedule = Backoff {
            max_retries: 5,
            deadline_ms: u64::MAX,
        };
        let slow = Fail {
            retry_after_ms: Some(120_000),
            ..throttled()
        };
        let at = schedule.next_retry(0, 1_000, &slow).expect("due");
        assert_eq!(at, 121_000);
    }

    #[tokio::test]
    async fn fixed_delays_run_exactly_on_the_fake_clock() {
        let delays = Delays::new(vec![
            Duration::ZERO,
            Duration::from_secs(20),
            Duration::from_secs(20),
        ]);
        let run = drive(Box::new(delays), Vec::new(), wanted(), 100).await;
        // Never early; late by at most a few steps of the test's clock.
        for (at, due) in run.attempts_at.iter().zip([0, 20_000, 40_000]) {
            assert!((due..=due + 300).contains(at), "due at {due}, made at {at}");
        }
        assert_eq!(run.attempts_at.len(), 3);
        assert_eq!(
            run.outcome.map_err(|g| (g.retries, g.exhausted)),
            Err((3, Some(Exhausted::Attempts)))
        );
    }

    #[tokio::test]
    async fn a_delivery_no_longer_wanted_stops_before_its_next_attempt() {
        let wanted = wanted();
        wanted.store(false, std::sync::atomic::Ordering::SeqCst);
        let delays = Delays::new(vec![Duration::from_secs(1); 3]);
        let run = drive(Box::new(delays), Vec::new(), wanted, 100).await;
        assert!(run.attempts_at.is_empty());
        assert_eq!(
            run.outcome,
            Err(GaveUp {
                failure: throttled(),
                retries: 0,
                exhausted: Some(Exhausted::Cancelled),
            })
        );
    }

    #[test]
    fn back_off_doubles_with_jitter_up_to_five_minutes() {
        for n in 0..30 {
            let full = (1000u64 << n.min(20)).min(300_000);
            let wait = backoff_ms(n);
            assert!(wait >= full / 2 && wait <= full, "retry {n}: {wait} ms");
        }
    }

    /// Runs `settle` with a schedule of immediate retries; returns what was handed to the
    /// give-up callback (the dead-letter queue) and the attempts made.
    async fn settle_with(
        first: Result<(), Fail>,
        mut later: Vec<Result<(), Fail>>,
        retries: usize,
    ) -> (Vec<GaveUp<Fail>>, usize) {
        let clock = ManualClock::default();
        let dead_letters = Mutex::new(Vec::new());
        let mut attempts = 0;
        let mut schedule = Delays::new(vec![Duration::ZERO; retries]);
        settle(
            &clock,
            &mut schedule,
            first,
            || true,
            || {
                attempts += 1;
                std::future::ready(if later.is_empty() {
                    Err(throttled())
                } else {
                    later.remove(0)
                })
            },
            |gave_up| dead_letters.lock().expect("lock").push(gave_up),
        )
        .await;
        (dead_letters.into_inner().expect("lock"), attempts)
    }

    #[tokio::test]
    async fn settle_hands_what_gives_up_to_the_dead_letter_callback() {
        // Delivered at once: nothing to hand off, no retry.
        assert_eq!(settle_with(Ok(()), Vec::new(), 3).await, (Vec::new(), 0));
        // Delivered on a retry.
        let (dlq, attempts) = settle_with(Err(throttled()), vec![Ok(())], 3).await;
        assert!(dlq.is_empty());
        assert_eq!(attempts, 1);
        // Refused for good at once: handed off with no retry.
        let (dlq, attempts) = settle_with(Err(gone()), Vec::new(), 3).await;
        assert_eq!(attempts, 0);
        assert_eq!(
            dlq,
            vec![GaveUp {
                failure: gone(),
                retries: 0,
                exhausted: None,
            }]
        );
        // Retries run out: handed off once, with the last failure.
        let (dlq, attempts) = settle_with(Err(gone()), Vec::new(), 3).await;
        assert_eq!((dlq.len(), attempts), (1, 0));
        let (dlq, attempts) = settle_with(Err(throttled()), Vec::new(), 3).await;
        assert_eq!(attempts, 3);
        assert_eq!(
            dlq,
            vec![GaveUp {
                failure: throttled(),
                retries: 3,
                exhausted: Some(Exhausted::Attempts),
            }]
        );
    }
}
