//! Helpers shared by the end-to-end tests: start a ferrybridge on an ephemeral port and build
//! real AWS SDK clients pointed at it, exactly as a user would.

use std::sync::Arc;

use aws_credential_types::Credentials;
use ferrybridge_engine::clock::{Clock, ManualClock, SystemClock};
use ferrybridge_server::{start_with_clock, Config, RunningServer};

/// A running emulator and the clock it reads.
pub struct Emulator {
    pub server: RunningServer,
    /// Present when the emulator was started on a manual clock the test advances.
    pub clock: Option<Arc<ManualClock>>,
}

impl Emulator {
    /// An emulator on the system clock.
    pub async fn start() -> Emulator {
        Self::start_on(Arc::new(SystemClock), None).await
    }

    /// An emulator on a manual clock, for tests of timeouts, delays and retention.
    pub async fn start_with_manual_clock() -> Emulator {
        let clock = Arc::new(ManualClock::default());
        Self::start_on(clock.clone(), Some(clock)).await
    }

    async fn start_on(clock: Arc<dyn Clock>, manual: Option<Arc<ManualClock>>) -> Emulator {
        let server = start_with_clock(Config::ephemeral(), clock)
            .await
            .expect("the emulator starts on an ephemeral port");
        Emulator {
            server,
            clock: manual,
        }
    }

    pub fn endpoint_url(&self) -> String {
        self.server.endpoint_url()
    }

    /// Advance the manual clock.
    pub fn advance(&self, by: std::time::Duration) {
        self.clock
            .as_ref()
            .expect("started with a manual clock")
            .advance(by);
    }

    /// An SQS client of the real aws-sdk-sqs, signing as `access_key` in `region`.
    pub fn sqs_as(&self, access_key: &str, region: &str) -> aws_sdk_sqs::Client {
        sqs_client(&self.endpoint_url(), access_key, region)
    }

    /// An SQS client in us-east-1 with the default account.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        self.sqs_as("test", "us-east-1")
    }
}

/// A real aws-sdk-sqs client for `endpoint`, signing as `access_key` (secret `test`) in `region`.
pub fn sqs_client(endpoint: &str, access_key: &str, region: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sqs::config::Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(access_key, "test", None, None, "test"))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// Create a standard queue with default attributes through the SDK; its URL.
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> String {
    client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url")
}
