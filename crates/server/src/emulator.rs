//! An in-process emulator for `cargo test`: [`Emulator::builder`] starts one on a random port
//! of the current tokio runtime, optionally on a manual clock the test moves forward.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrybridge_engine::clock::{Clock, ManualClock, SystemClock};
use ferrybridge_engine::persist::Journal;

use crate::http_server::start_wrapping_journal;
use crate::persistence::WrapJournal;
use crate::{Config, RunningServer};

/// Entry point of the in-process API: `Emulator::builder().start().await`.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
/// use ferrybridge_server::Emulator;
///
/// // A fresh emulator on a random loopback port whose clock only moves when told to.
/// let emulator = Emulator::builder().manual_clock().start().await?;
///
/// // A fresh account per test: a 12-digit access key is the account id on the emulator.
/// let account = emulator.fresh_account();
/// let sqs = aws_sdk_sqs::Client::from_conf(
///     aws_sdk_sqs::Config::builder()
///         .behavior_version(BehaviorVersion::latest())
///         .endpoint_url(emulator.endpoint())
///         .region(Region::new("us-east-1"))
///         .credentials_provider(Credentials::new(&account, "test", None, None, "test"))
///         .build(),
/// );
///
/// let queue_url = sqs.create_queue().queue_name("orders").send().await?.queue_url.unwrap();
/// assert_eq!(queue_url, format!("{}/{account}/orders", emulator.endpoint()));
/// sqs.send_message().queue_url(&queue_url).message_body("hi").delay_seconds(60)
///     .send().await?;
/// // Delayed for a minute: nothing to receive yet...
/// let now = sqs.receive_message().queue_url(&queue_url).send().await?;
/// assert!(now.messages.unwrap_or_default().is_empty());
/// // ...until the emulator's clock has moved a minute on.
/// emulator.advance(Duration::from_secs(60));
/// let later = sqs.receive_message().queue_url(&queue_url).send().await?;
/// assert_eq!(later.messages.unwrap()[0].body.as_deref(), Some("hi"));
///
/// emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults of tests: 127.0.0.1, a free port, us-east-1, account
    /// `000000000000`, the system clock, log level `warn`.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            config: Config::ephemeral(),
            clock: None,
            wrap_journal: None,
        }
    }
}

/// Settings of an in-process emulator; [`EmulatorBuilder::start`] starts it.
pub struct EmulatorBuilder {
    config: Config,
    clock: Option<Arc<ManualClock>>,
    wrap_journal: Option<WrapJournal>,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("config", &self.config)
            .field("manual_clock", &self.clock.is_some())
            .field("wrap_journal", &self.wrap_journal.is_some())
            .finish()
    }
}

impl EmulatorBuilder {
    /// Run on a [`ManualClock`] standing at 2024-01-01T00:00:00Z: delays, visibility time-outs,
    /// retention, retries and schedules only move on with [`EmulatorHandle::advance`].
    pub fn manual_clock(self) -> Self {
        self.manual_clock_at(ManualClock::default().now_millis())
    }

    /// Run on a [`ManualClock`] standing at `epoch_millis` milliseconds since the Unix epoch.
    pub fn manual_clock_at(mut self, epoch_millis: u64) -> Self {
        self.clock = Some(Arc::new(ManualClock::new(epoch_millis)));
        self
    }

    /// Listen on this port instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// Listen on this address instead of 127.0.0.1.
    pub fn host(mut self, host: IpAddr) -> Self {
        self.config.host = host;
        self
    }

    /// The region of requests that carry no SigV4 credential scope.
    pub fn default_region(mut self, region: impl Into<String>) -> Self {
        self.config.default_region = region.into();
        self
    }

    /// Accept requests without an `Authorization` header.
    pub fn allow_unsigned(mut self, allow: bool) -> Self {
        self.config.allow_unsigned = allow;
        self
    }

    /// Keep the state in `dir` (`--data-dir`): restored from it at start, and every answer to
    /// a request that changed state waits until the change is durable there.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.data_dir = Some(dir.into());
        self
    }

    /// Every other setting: the same [`Config`] the binary's flags fill in. Replaces what
    /// earlier calls set, except the clock and [`EmulatorBuilder::wrap_journal`].
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// A test seam for the durability contract (needs [`EmulatorBuilder::data_dir`]): `wrap`
    /// gets the real journal and returns the [`Journal`] the engines append their records to
    /// and the server awaits ([`Journal::wait`]) before it answers a request that changed
    /// state. A test wraps the real one to see which tickets are appended and waited for, or
    /// to hold `wait` back and prove that an answer does not leave before its change is
    /// durable (tests/rust/durability.rs). The wrapper must pass appends on to the journal it
    /// was given (their tickets are that journal's) and, to keep the contract, resolve `wait`
    /// only after the inner journal's `wait` did. Without this call nothing changes.
    pub fn wrap_journal(
        mut self,
        wrap: impl FnOnce(Arc<dyn Journal>) -> Arc<dyn Journal> + Send + 'static,
    ) -> Self {
        self.wrap_journal = Some(Box::new(wrap));
        self
    }

    /// Bind and start serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        let clock: Arc<dyn Clock> = match &self.clock {
            Some(manual) => manual.clone(),
            None => Arc::new(SystemClock),
        };
        if self.wrap_journal.is_some() && self.config.data_dir.is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "wrap_journal needs a data_dir: without one there is no journal to wrap",
            ));
        }
        let server = start_wrapping_journal(self.config, clock, self.wrap_journal).await?;
        Ok(EmulatorHandle {
            server,
            clock: self.clock,
        })
    }
}

/// A running in-process emulator. Dropping it stops accepting connections;
/// [`EmulatorHandle::shutdown`] also waits for requests in flight.
pub struct EmulatorHandle {
    server: RunningServer,
    clock: Option<Arc<ManualClock>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.server.addr)
            .field("manual_clock", &self.clock.is_some())
            .finish()
    }
}

impl EmulatorHandle {
    /// The endpoint URL to give an AWS SDK, e.g. `http://127.0.0.1:39127`.
    pub fn endpoint(&self) -> String {
        self.server.endpoint_url()
    }

    /// The token its admin API wants (`Authorization: Bearer <token>`); `None` when the
    /// configuration turned it off (`admin_token: Some("none")`).
    pub fn admin_token(&self) -> Option<&str> {
        self.server.admin_token()
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// The manual clock, when the emulator was built with one.
    pub fn clock(&self) -> Option<&Arc<ManualClock>> {
        self.clock.as_ref()
    }

    /// Move the manual clock forward; every deadline it passes (delays, visibility time-outs,
    /// retries, schedules) takes effect.
    ///
    /// # Panics
    /// When the emulator runs on the system clock (built without [`EmulatorBuilder::manual_clock`]).
    pub fn advance(&self, by: Duration) {
        match &self.clock {
            Some(clock) => clock.advance(by),
            None => panic!("this emulator runs on the system clock; build it with .manual_clock()"),
        }
    }

    /// A 12-digit account id no other call in this process has returned. Used as the access
    /// key id of a client, it is that client's account: an empty account is a clean state for
    /// one test without restarting the emulator.
    pub fn fresh_account(&self) -> String {
        fresh_account_id()
    }

    /// Drops every queue, message, topic, subscription, bus, rule, archive and credential of
    /// every account, as `POST /_ferrybridge/reset` does: a clean state for the next test.
    /// Nothing queued before the reset (a delivery, a retry, a move task) lands after it.
    pub fn reset(&self) {
        self.server.reset(crate::ResetScope::all());
    }

    /// Stop accepting connections and wait for requests in flight to finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Process-wide sequence of account ids, from 100000000001 (never the default account).
fn fresh_account_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(100_000_000_001);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:012}", id % 1_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reset_gives_a_clean_state() {
        use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
        let emulator = Emulator::builder().start().await.expect("start");
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .endpoint_url(emulator.endpoint())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("test", "test", None, None, "test"))
                .build(),
        );
        sqs.create_queue()
            .queue_name("before")
            .send()
            .await
            .expect("create");
        emulator.reset();
        let listed = sqs.list_queues().send().await.expect("list");
        assert!(listed.queue_urls.unwrap_or_default().is_empty());
        // The name is free at once after a reset (no QueueDeletedRecently).
        sqs.create_queue()
            .queue_name("before")
            .send()
            .await
            .expect("create again");
        emulator.shutdown().await;
    }

    #[test]
    fn fresh_accounts_are_distinct_12_digit_ids() {
        let a = fresh_account_id();
        let b = fresh_account_id();
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 12);
            assert!(id.bytes().all(|c| c.is_ascii_digit()));
            assert_ne!(id, "000000000000");
        }
    }
}
