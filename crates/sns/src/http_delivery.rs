//! HTTP/S deliveries with SNS's retries: one notification POSTed until the endpoint takes it,
//! rejects it, or the effective delivery policy's retries run out. The client itself is
//! [`ferrybridge_http::HttpClient`].

use std::time::Duration;

use bytes::Bytes;
use ferrybridge_delivery::retry::{self, Delays, Failure, GaveUp};
use ferrybridge_engine::clock::Clock;
use ferrybridge_engine::sns::delivery_policy::{classify_status, DeliveryPolicy, Outcome};
use ferrybridge_http::{HttpClient, HttpError, Throttle};

/// How long SNS waits for an HTTP/S endpoint before it counts the attempt as failed ("about 15
/// seconds", AWS docs, "Step 1: Make sure your endpoint is ready to process Amazon SNS messages").
pub const SNS_DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// One HTTP/S delivery: the request, sent again as it is on every retry.
#[derive(Debug, Clone)]
pub struct DeliveryRequest<'a> {
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Bytes,
    /// The wait for each attempt; SNS's is [`SNS_DELIVERY_TIMEOUT`].
    pub timeout: Duration,
    /// The subscription's throttle, when its policy sets `maxReceivesPerSecond`; every attempt,
    /// retries included, waits for its turn.
    pub throttle: Option<&'a Throttle>,
    /// Asked before each retry: `false` (the subscription was deleted or reset) ends the
    /// retries as exhausted.
    pub still_wanted: Option<StillWanted<'a>>,
}

/// See [`DeliveryRequest::still_wanted`].
#[derive(Clone, Copy)]
pub struct StillWanted<'a>(pub &'a (dyn Fn() -> bool + Send + Sync));

impl std::fmt::Debug for StillWanted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StillWanted")
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered,
    /// The endpoint answered 3xx or 4xx, which SNS does not retry.
    Rejected,
    /// Every attempt the policy allows failed (5xx, no connection, timeout).
    RetriesExhausted,
}

/// What [`deliver_with_retries`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub outcome: DeliveryOutcome,
    /// Attempts made, the first one included.
    pub attempts: u32,
    /// The status of the last attempt that got a response.
    pub last_status: Option<u16>,
    /// The error of the last attempt, if it got no response.
    pub last_error: Option<HttpError>,
}

/// A failed attempt: the status of an answer that is retried or refused, or the error of an
/// attempt that got none.
struct Failed {
    status: Option<u16>,
    error: Option<HttpError>,
    retriable: bool,
}

impl Failure for Failed {
    fn retriable(&self) -> bool {
        self.retriable
    }
}

/// One POST (after the throttle's turn): the 2xx status, or why it failed.
async fn attempt(
    client: &HttpClient,
    clock: &dyn Clock,
    policy: &DeliveryPolicy,
    request: &DeliveryRequest<'_>,
) -> Result<u16, Failed> {
    if let (Some(throttle), Some(rate)) = (request.throttle, policy.max_receives_per_second()) {
        throttle.acquire(clock, rate).await;
    }
    let result = client
        .send(
            "POST",
            request.url,
            request.headers,
            request.body.clone(),
            request.timeout,
        )
        .await;
    let (status, error, retriable) = match result {
        Ok(response) => match classify_status(response.status) {
            Outcome::Delivered => return Ok(response.status),
            Outcome::PermanentFailure => (Some(response.status), None, false),
            Outcome::Retry => (Some(response.status), None, true),
        },
        Err(error) => (None, Some(error), true),
    };
    Err(Failed {
        status,
        error,
        retriable,
    })
}

/// POSTs `request` until it is delivered, rejected, or `policy`'s retries run out, waiting
/// between attempts on `clock` ([`DeliveryPolicy::retry_delays`], run by the shared retry
/// driver, [`retry::retry_until_done`]), so a manual clock drives the schedule in tests.
pub async fn deliver_with_retries(
    client: &HttpClient,
    clock: &dyn Clock,
    policy: &DeliveryPolicy,
    request: &DeliveryRequest<'_>,
) -> DeliveryReport {
    let failure = match attempt(client, clock, policy, request).await {
        Ok(status) => {
            return DeliveryReport {
                outcome: DeliveryOutcome::Delivered,
                attempts: 1,
                last_status: Some(status),
                last_error: None,
            }
        }
        Err(failed) => failed,
    };
    let retried = if failure.retriable {
        let mut schedule = Delays::new(policy.retry_delays());
        let still_wanted = || request.still_wanted.is_none_or(|wanted| (wanted.0)());
        retry::retry_until_done(clock, &mut schedule, failure, still_wanted, || {
            attempt(client, clock, policy, request)
        })
        .await
    } else {
        Err(GaveUp {
            failure,
            retries: 0,
            exhausted: None,
        })
    };
    match retried {
        Ok(done) => DeliveryReport {
            outcome: DeliveryOutcome::Delivered,
            attempts: done.retries + 1,
            last_status: Some(done.value),
            last_error: None,
        },
        Err(gave_up) => DeliveryReport {
            // Retries that ran out, or stopped because the subscription is gone: exhausted;
            // an answer SNS does not retry (3xx, 4xx): rejected.
            outcome: if gave_up.exhausted.is_some() {
                DeliveryOutcome::RetriesExhausted
            } else {
                DeliveryOutcome::Rejected
            },
            attempts: gave_up.retries + 1,
            last_status: gave_up.failure.status,
            last_error: gave_up.failure.error,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A server that answers the n-th request with `statuses[n]` (the last one repeated), one
    /// request per connection, and reports each request's index as it answers it.
    async fn scripted_server(
        statuses: &'static [u16],
    ) -> (String, tokio::sync::mpsc::UnboundedReceiver<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/endpoint", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            for index in 0.. {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                while !data.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let status = statuses[index.min(statuses.len() - 1)];
                let reply = format!(
                    "HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
                if tx.send(index).is_err() {
                    return;
                }
            }
        });
        (url, rx)
    }

    async fn next_request(rx: &mut tokio::sync::mpsc::UnboundedReceiver<usize>) -> usize {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a request within 10 s")
            .expect("server running")
    }

    /// Nothing arrives for a while of real time, which also lets the delivery task reach its
    /// sleep on the manual clock before the test moves the clock.
    async fn quiet(rx: &mut tokio::sync::mpsc::UnboundedReceiver<usize>) {
        let waited = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
        assert!(waited.is_err(), "unexpected request {waited:?}");
    }

    fn policy(json: &str) -> DeliveryPolicy {
        use ferrybridge_engine::sns::delivery_policy as dp;
        let sub = dp::parse_subscription_policy(json).expect("valid policy");
        dp::effective_subscription_policy(None, Some(&sub))
    }

    #[tokio::test]
    async fn default_policy_retries_three_times_twenty_seconds_apart_on_the_clock() {
        use ferrybridge_engine::clock::ManualClock;
        let (url, mut requests) = scripted_server(&[500]).await;
        let clock = Arc::new(ManualClock::default());
        let task_clock = Arc::clone(&clock);
        let delivery = tokio::spawn(async move {
            let headers = vec![("Content-Type".to_owned(), "text/plain".to_owned())];
            let request = DeliveryRequest {
                url: &url,
                headers: &headers,
                body: Bytes::from_static(b"{}"),
                timeout: Duration::from_secs(5),
                throttle: None,
                still_wanted: None,
            };
            deliver_with_retries(
                &HttpClient::new(),
                task_clock.as_ref(),
                &DeliveryPolicy::default(),
                &request,
            )
            .await
        });
        assert_eq!(next_request(&mut requests).await, 0);
        for retry in 1..=3 {
            quiet(&mut requests).await;
            clock.advance(Duration::from_millis(19_999));
            quiet(&mut requests).await;
            clock.advance(Duration::from_millis(1));
            assert_eq!(next_request(&mut requests).await, retry);
        }
        let report = tokio::time::timeout(Duration::from_secs(10), delivery)
            .await
            .expect("the delivery ends")
            .expect("no panic");
        assert_eq!(
            report,
            DeliveryReport {
                outcome: DeliveryOutcome::RetriesExhausted,
                attempts: 4,
                last_status: Some(500),
                last_error: None,
            }
        );
    }

    #[tokio::test]
    async fn a_retry_that_succeeds_is_delivered() {
        use ferrybridge_engine::clock::ManualClock;
        let (url, mut requests) = scripted_server(&[503, 200]).await;
        let clock = Arc::new(ManualClock::default());
        let task_clock = Arc::clone(&clock);
        let delivery = tokio::spawn(async move {
            let policy = policy(
                r#"{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":5,"numNoDelayRetries":1}}"#,
            );
            let request = DeliveryRequest {
                url: &url,
                headers: &[],
                body: Bytes::new(),
                timeout: Duration::from_secs(5),
                throttle: None,
                still_wanted: None,
            };
            deliver_with_retries(&HttpClient::new(), task_clock.as_ref(), &policy, &request).await
        });
        // The first retry is in the immediate phase: no clock movement needed.
        assert_eq!(next_request(&mut requests).await, 0);
        assert_eq!(next_request(&mut requests).await, 1);
        let report = tokio::time::timeout(Duration::from_secs(10), delivery)
            .await
            .expect("the delivery ends")
            .expect("no panic");
        assert_eq!(report.outcome, DeliveryOutcome::Delivered);
        assert_eq!(report.attempts, 2);
        assert_eq!(report.last_status, Some(200));
        assert_eq!(clock.now_millis(), ManualClock::default().now_millis());
    }

    #[tokio::test]
    async fn a_client_error_is_not_retried() {
        let (url, mut requests) = scripted_server(&[404, 200]).await;
        let clock = ferrybridge_engine::clock::ManualClock::default();
        let request = DeliveryRequest {
            url: &url,
            headers: &[],
            body: Bytes::new(),
            timeout: Duration::from_secs(5),
            throttle: None,
            still_wanted: None,
        };
        let report = deliver_with_retries(
            &HttpClient::new(),
            &clock,
            &DeliveryPolicy::default(),
            &request,
        )
        .await;
        assert_eq!(report.outcome, DeliveryOutcome::Rejected);
        assert_eq!(report.attempts, 1);
        assert_eq!(report.last_status, Some(404));
        assert_eq!(next_request(&mut requests).await, 0);
        quiet(&mut requests).await;
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_exhausts_the_retries_with_its_error() {
        use ferrybridge_engine::clock::ManualClock;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        drop(listener);
        let clock = Arc::new(ManualClock::default());
        let task_clock = Arc::clone(&clock);
        let delivery = tokio::spawn(async move {
            let policy = policy(
                r#"{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":1}}"#,
            );
            let request = DeliveryRequest {
                url: &url,
                headers: &[],
                body: Bytes::new(),
                timeout: Duration::from_secs(5),
                throttle: None,
                still_wanted: None,
            };
            deliver_with_retries(&HttpClient::new(), task_clock.as_ref(), &policy, &request).await
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!delivery.is_finished(), "waiting for the retry");
        clock.advance(Duration::from_secs(2));
        let report = tokio::time::timeout(Duration::from_secs(10), delivery)
            .await
            .expect("the delivery ends")
            .expect("no panic");
        assert_eq!(report.outcome, DeliveryOutcome::RetriesExhausted);
        assert_eq!(report.attempts, 2);
        assert_eq!(report.last_status, None);
        assert!(matches!(report.last_error, Some(HttpError::Connect(_))));
    }
}
