//! Helpers shared by the end-to-end tests: start a ferrybridge on an ephemeral port and build
//! real AWS SDK clients pointed at it, exactly as a user would.

use std::sync::Arc;

pub mod http_endpoint;

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
        watch_for_deadlocks();
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

    /// An SNS client of the real aws-sdk-sns, signing as `access_key` in `region`.
    pub fn sns_as(&self, access_key: &str, region: &str) -> aws_sdk_sns::Client {
        sns_client(&self.endpoint_url(), access_key, region)
    }

    /// An SNS client in us-east-1 with the default account.
    pub fn sns(&self) -> aws_sdk_sns::Client {
        self.sns_as("test", "us-east-1")
    }

    /// An EventBridge client of the real aws-sdk-eventbridge, signing as `access_key` in `region`.
    pub fn events_as(&self, access_key: &str, region: &str) -> aws_sdk_eventbridge::Client {
        events_client(&self.endpoint_url(), access_key, region)
    }

    /// An EventBridge client in us-east-1 with the default account.
    pub fn events(&self) -> aws_sdk_eventbridge::Client {
        self.events_as("test", "us-east-1")
    }

    /// GET an admin endpoint (`/_ferrybridge/...`) and parse its JSON answer.
    pub async fn admin_get(&self, path_and_query: &str) -> serde_json::Value {
        admin_request(
            &self.endpoint_url(),
            self.server.admin_token(),
            "GET",
            path_and_query,
        )
        .await
    }

    /// POST (no body) to an admin endpoint.
    pub async fn admin_request_post(&self, path_and_query: &str) -> serde_json::Value {
        admin_request(
            &self.endpoint_url(),
            self.server.admin_token(),
            "POST",
            path_and_query,
        )
        .await
    }

    /// DELETE on an admin endpoint.
    pub async fn admin_delete(&self, path_and_query: &str) -> serde_json::Value {
        admin_request(
            &self.endpoint_url(),
            self.server.admin_token(),
            "DELETE",
            path_and_query,
        )
        .await
    }
}

/// Starts (once per test process) a thread that asks parking_lot's deadlock detector every
/// 100 ms whether engine locks wait on each other in a cycle. A cycle would otherwise show up
/// as a test that hangs until CI's time-out; instead the process aborts at once with the
/// stacks of the threads involved.
pub fn watch_for_deadlocks() {
    static WATCHDOG: std::sync::Once = std::sync::Once::new();
    WATCHDOG.call_once(|| {
        std::thread::Builder::new()
            .name("deadlock-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let cycles = parking_lot::deadlock::check_deadlock();
                if cycles.is_empty() {
                    continue;
                }
                // Straight to the process's stderr: `eprintln!` from a thread a test started
                // goes to that test's captured output, which an abort never prints.
                use std::io::Write as _;
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "DEADLOCK: {} cycle(s) of locks detected", cycles.len());
                for (i, threads) in cycles.iter().enumerate() {
                    let _ = writeln!(err, "cycle {i}:");
                    for t in threads {
                        let _ = writeln!(err, "thread {:?}:\n{:?}", t.thread_id(), t.backtrace());
                    }
                }
                let _ = err.flush();
                std::process::abort();
            })
            .expect("spawn the deadlock watchdog");
    });
}

/// A real aws-sdk-sns client for `endpoint`, signing as `access_key` (secret `test`) in `region`.
pub fn sns_client(endpoint: &str, access_key: &str, region: &str) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sns::config::Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(access_key, "test", None, None, "test"))
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

/// A real aws-sdk-eventbridge client for `endpoint`, signing as `access_key` (secret `test`) in
/// `region`.
pub fn events_client(
    endpoint: &str,
    access_key: &str,
    region: &str,
) -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_eventbridge::config::Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(access_key, "test", None, None, "test"))
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// A minimal HTTP/1.1 request over a fresh connection, with the admin token (if any) as
/// `Authorization: Bearer`; the body parsed as JSON.
pub async fn admin_request(
    endpoint: &str,
    token: Option<&str>,
    method: &str,
    path_and_query: &str,
) -> serde_json::Value {
    let headers: Vec<(&str, String)> = token
        .map(|t| vec![("Authorization", format!("Bearer {t}"))])
        .unwrap_or_default();
    let (status, body) = http_request_with(endpoint, method, path_and_query, &headers).await;
    assert!(
        status < 500,
        "{method} {path_and_query} answered {status}: {body}"
    );
    serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body))
}

/// A minimal HTTP/1.1 request (no body); the status and the body as text.
pub async fn http_request(endpoint: &str, method: &str, path_and_query: &str) -> (u16, String) {
    http_request_with(endpoint, method, path_and_query, &[]).await
}

/// [`http_request`] with extra headers.
pub async fn http_request_with(
    endpoint: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
) -> (u16, String) {
    let text = raw_http(endpoint, method, path_and_query, headers).await;
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of response header `name` (case-insensitive) of a [`http_request_with`] request.
pub async fn http_response_header(
    endpoint: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
    name: &str,
) -> Option<String> {
    let text = raw_http(endpoint, method, path_and_query, headers).await;
    let head = text
        .split_once("\r\n\r\n")
        .map_or(text.as_str(), |(h, _)| h);
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// The whole response to a minimal HTTP/1.1 request, as text.
async fn raw_http(
    endpoint: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect to the emulator");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
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
