//! The outbound HTTP(S) client of the emulator: SNS deliveries to HTTP/S subscriptions and
//! EventBridge API destinations (and their OAuth token requests) go through it.
//!
//! Built on hyper-util's pooled client, HTTP/1.1 only, as SNS and EventBridge speak to
//! endpoints. `https://`
//! URLs go through rustls (ring provider) with the system's root certificates; the TLS
//! configuration is loaded on the first HTTPS request, so creating a client costs nothing at
//! start-up. `SSL_CERT_FILE` / `SSL_CERT_DIR` replace the system roots, which is how a local
//! HTTPS endpoint with its own CA (mkcert and the like) can be trusted. Like SNS and
//! EventBridge, the client does not follow redirects and verifies certificates.
//!
//! [`Throttle`] spaces requests to one endpoint on the engine's clock (SNS's
//! `maxReceivesPerSecond`, an API destination's `InvocationRateLimitPerSecond`).

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use ferrybridge_engine::clock::Clock;

/// How much of a response body is kept; the rest is read and dropped. SNS ignores response
/// bodies; API destinations report a bounded part of them.
pub const MAX_RESPONSE_BODY: usize = 1024 * 1024;

/// How long a TCP connect may take: SNS's whole wait for an HTTP/S endpoint ("about 15
/// seconds", AWS docs, "Step 1: Make sure your endpoint is ready to process Amazon SNS
/// messages"); each request has its own overall timeout besides.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

type PlainClient = Client<HttpConnector, Full<Bytes>>;
type TlsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP/1.1 client with a connection pool. `Clone` is cheap and clones share the pool.
#[derive(Clone)]
pub struct HttpClient {
    plain: PlainClient,
    tls: Arc<OnceLock<Result<TlsClient, String>>>,
    /// Trusted in addition to the system's roots.
    extra_roots: Arc<Vec<CertificateDer<'static>>>,
}

/// What the endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case, in the order received; values that are not UTF-8 are
    /// decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_RESPONSE_BODY`] bytes of it.
    pub body: Bytes,
}

/// Why no response was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// Not an absolute `http://` or `https://` URL with a host.
    InvalidUrl(String),
    /// No connection: DNS, TCP or TLS failed.
    Connect(String),
    /// No complete response within the timeout.
    Timeout,
    /// Anything else: a bad method or header, the connection dropped mid-response.
    Other(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::InvalidUrl(detail) => write!(f, "invalid URL: {detail}"),
            HttpError::Connect(detail) => write!(f, "connection failed: {detail}"),
            HttpError::Timeout => f.write_str("timed out waiting for the response"),
            HttpError::Other(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for HttpError {}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("tls_loaded", &self.tls.get().is_some())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client with an empty pool. Does no I/O.
    pub fn new() -> Self {
        HttpClient {
            plain: Client::builder(TokioExecutor::new()).build(http_connector()),
            tls: Arc::new(OnceLock::new()),
            extra_roots: Arc::new(Vec::new()),
        }
    }

    /// A client that also trusts the CA certificates in `pem` (one or more `-----BEGIN
    /// CERTIFICATE-----` blocks), e.g. the CA of a local HTTPS endpoint. Fails if `pem` holds
    /// no certificate.
    pub fn with_extra_roots_pem(pem: &str) -> Result<Self, HttpError> {
        let roots = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HttpError::Other(format!("invalid PEM certificate: {e}")))?;
        if roots.is_empty() {
            return Err(HttpError::Other("no PEM certificate found".to_owned()));
        }
        Ok(HttpClient {
            extra_roots: Arc::new(roots),
            ..Self::new()
        })
    }

    /// Sends one request and reads the whole response (up to [`MAX_RESPONSE_BODY`]), all
    /// within `timeout`. Any status is a response; only the absence of one is an error.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Bytes,
        timeout: Duration,
    ) -> Result<HttpResponse, HttpError> {
        let uri = parse_url(url)?;
        if let Some(host) = uri.host() {
            if !outbound_allowed(host) {
                return Err(HttpError::Connect(format!(
                    "the host {host} is not in the outbound allow list (--outbound-allow)"
                )));
            }
        }
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| HttpError::Other(format!("invalid HTTP method {method:?}")))?;
        let https = uri.scheme_str() == Some("https");
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HttpError::Other(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| HttpError::Other(format!("invalid value for header {name}")))?;
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| HttpError::Other(e.to_string()))?;

        let exchange = async {
            let response = if https {
                self.tls_client()?.request(request).await
            } else {
                self.plain.request(request).await
            }
            .map_err(client_error)?;
            let (parts, mut body) = response.into_parts();
            let mut kept = BytesMut::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| HttpError::Other(error_chain(&e)))?;
                if let Ok(data) = frame.into_data() {
                    let room = MAX_RESPONSE_BODY.saturating_sub(kept.len());
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Ok(HttpResponse {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        (
                            name.as_str().to_owned(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: kept.freeze(),
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Err(HttpError::Timeout))
    }

    fn tls_client(&self) -> Result<&TlsClient, HttpError> {
        self.tls
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore::empty();
                // Certificates the system store holds but rustls cannot parse are skipped.
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
                for cert in self.extra_roots.iter() {
                    roots
                        .add(cert.clone())
                        .map_err(|e| format!("unusable extra root certificate: {e}"))?;
                }
                if roots.is_empty() {
                    return Err("no TLS root certificates found (set SSL_CERT_FILE)".to_owned());
                }
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| e.to_string())?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(config)
                    .https_only()
                    .enable_http1()
                    .wrap_connector(http_connector());
                Ok(Client::builder(TokioExecutor::new()).build(connector))
            })
            .as_ref()
            .map_err(|e| HttpError::Connect(e.clone()))
    }
}

/// Spaces the requests to one endpoint `1/per_second` seconds apart, on the clock (SNS's
/// `maxReceivesPerSecond`, an API destination's `InvocationRateLimitPerSecond`). Share one per
/// subscription or destination.
#[derive(Debug, Default)]
pub struct Throttle {
    /// The earliest time, in microseconds since the epoch, the next delivery may start.
    next_slot_us: Mutex<u64>,
}

impl Throttle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until this caller may send, at most `per_second` callers per second.
    pub async fn acquire(&self, clock: &dyn Clock, per_second: u32) {
        let interval_us = 1_000_000 / u64::from(per_second.max(1));
        let now_us = clock.now_millis().saturating_mul(1000);
        let slot_us = {
            let mut next = self
                .next_slot_us
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = (*next).max(now_us);
            *next = slot.saturating_add(interval_us);
            slot
        };
        if slot_us > now_us {
            clock.sleep_until(slot_us.div_ceil(1000)).await;
        }
    }
}

fn http_connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.enforce_http(false); // the TLS wrapper hands it https:// URIs
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    connector
}

/// The hosts outbound requests may go to (`--outbound-allow`); `None`: any. Process-wide:
/// one emulator runs per process (the last configuration set wins).
static OUTBOUND_ALLOW: RwLock<Option<Vec<String>>> = RwLock::new(None);

/// Restricts the hosts every [`HttpClient`] of the process may call to `list`
/// (comma-separated: `api.example.com`, `*.example.com` for its subdomains, `127.0.0.1`,
/// `[::1]`, `*` for any); `None` lifts the restriction. A refused request fails with
/// [`HttpError::Connect`] before any I/O, as an unreachable endpoint does.
pub fn set_outbound_allow(list: Option<&str>) {
    let patterns = list.map(|list| {
        list.split(',')
            .map(|p| p.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
    });
    *OUTBOUND_ALLOW.write().unwrap_or_else(|e| e.into_inner()) = patterns;
}

/// Whether `host` (a URL's host: a name, an IPv4 literal or a bracketed IPv6 literal) may be
/// called.
pub fn outbound_allowed(host: &str) -> bool {
    let allow = OUTBOUND_ALLOW.read().unwrap_or_else(|e| e.into_inner());
    let Some(patterns) = allow.as_ref() else {
        return true;
    };
    matches_any(patterns, host)
}

/// Whether `host` matches one of the (lower-case) `patterns` of [`set_outbound_allow`].
fn matches_any(patterns: &[String], host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    patterns.iter().any(|pattern| {
        let pattern = pattern.trim_start_matches('[').trim_end_matches(']');
        if pattern == "*" {
            return true;
        }
        match pattern.strip_prefix("*.") {
            Some(suffix) => {
                host.len() > suffix.len() + 1
                    && host.ends_with(suffix)
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
            }
            None => pattern == host,
        }
    })
}

fn parse_url(url: &str) -> Result<Uri, HttpError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| HttpError::InvalidUrl(format!("{url}: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        Some(other) => {
            return Err(HttpError::InvalidUrl(format!(
                "{url}: unsupported scheme {other}"
            )))
        }
        None => return Err(HttpError::InvalidUrl(format!("{url}: not an absolute URL"))),
    }
    match uri.host() {
        Some(host) if !host.is_empty() => Ok(uri),
        _ => Err(HttpError::InvalidUrl(format!("{url}: no host"))),
    }
}

fn client_error(error: hyper_util::client::legacy::Error) -> HttpError {
    if error.is_connect() {
        HttpError::Connect(error_chain(&error))
    } else {
        HttpError::Other(error_chain(&error))
    }
}

/// The error and its sources, `outer: inner: innermost`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.ends_with(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn outbound_allow_patterns() {
        let patterns: Vec<String> = ["api.example.com", "*.hooks.test", "127.0.0.1", "[::1]"]
            .iter()
            .map(|p| p.to_string())
            .collect();
        for ok in [
            "api.example.com",
            "API.example.com.",
            "a.hooks.test",
            "b.a.hooks.test",
            "127.0.0.1",
            "[::1]",
        ] {
            assert!(super::matches_any(&patterns, ok), "{ok}");
        }
        for bad in [
            "example.com",
            "hooks.test",
            "xhooks.test",
            "evil.api.example.com",
            "127.0.0.2",
            "169.254.169.254",
        ] {
            assert!(!super::matches_any(&patterns, bad), "{bad}");
        }
        assert!(super::matches_any(&["*".to_string()], "anything.test"));
    }

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// One request as the test server saw it.
    #[derive(Debug)]
    struct Seen {
        head: String,
        body: Vec<u8>,
    }

    /// A one-shot HTTP/1.1 server on a loopback port: reads one request (head plus a body of
    /// Content-Length bytes), answers `response` verbatim, hands back what it read.
    async fn serve_once(response: &'static str) -> (String, tokio::task::JoinHandle<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body_start) = loop {
                let n = socket.read(&mut buf).await.expect("read");
                assert!(n > 0, "client closed before sending a request");
                data.extend_from_slice(&buf[..n]);
                if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    break (String::from_utf8_lossy(&data[..end]).into_owned(), end + 4);
                }
            };
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            let mut body = data[body_start..].to_vec();
            while body.len() < length {
                let n = socket.read(&mut buf).await.expect("read body");
                assert!(n > 0, "client closed mid-body");
                body.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(response.as_bytes())
                .await
                .expect("write response");
            socket.shutdown().await.ok();
            Seen { head, body }
        });
        (url, task)
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[tokio::test]
    async fn posts_headers_and_body_and_reads_the_response() {
        let (url, server) = serve_once(
            "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Reply: yes\r\nConnection: close\r\n\r\nhello",
        )
        .await;
        let client = HttpClient::new();
        let headers = vec![
            (
                "Content-Type".to_owned(),
                "text/plain; charset=UTF-8".to_owned(),
            ),
            (
                "x-amz-sns-message-type".to_owned(),
                "Notification".to_owned(),
            ),
            (
                "User-Agent".to_owned(),
                "Amazon Simple Notification Service Agent".to_owned(),
            ),
        ];
        let response = client
            .send(
                "POST",
                &format!("{url}/hook?x=1"),
                &headers,
                Bytes::from_static(b"{\"Type\":\"Notification\"}"),
                Duration::from_secs(5),
            )
            .await
            .expect("a response");
        assert_eq!(response.status, 201);
        assert_eq!(response.body, Bytes::from_static(b"hello"));
        assert!(response
            .headers
            .contains(&("x-reply".to_owned(), "yes".to_owned())));

        let seen = server.await.expect("server task");
        assert!(
            seen.head.starts_with("POST /hook?x=1 HTTP/1.1\r\n"),
            "{}",
            seen.head
        );
        assert_eq!(
            header(&seen.head, "content-type"),
            Some("text/plain; charset=UTF-8")
        );
        assert_eq!(
            header(&seen.head, "x-amz-sns-message-type"),
            Some("Notification")
        );
        assert_eq!(
            header(&seen.head, "user-agent"),
            Some("Amazon Simple Notification Service Agent")
        );
        assert_eq!(header(&seen.head, "content-length"), Some("23"));
        assert!(header(&seen.head, "host").is_some_and(|h| h.starts_with("127.0.0.1:")));
        assert_eq!(seen.body, b"{\"Type\":\"Notification\"}");
    }

    #[tokio::test]
    async fn error_statuses_are_responses_not_errors() {
        let (url, _server) = serve_once(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .await;
        let response = HttpClient::new()
            .send("GET", &url, &[], Bytes::new(), Duration::from_secs(5))
            .await
            .expect("a response");
        assert_eq!(response.status, 503);
        assert!(response.body.is_empty());
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (url, _server) = serve_once(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .await;
        let response = HttpClient::new()
            .send("POST", &url, &[], Bytes::new(), Duration::from_secs(5))
            .await
            .expect("a response");
        assert_eq!(response.status, 302);
    }

    #[tokio::test]
    async fn a_silent_endpoint_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let holder = tokio::spawn(async move {
            // Accept and hold the connection open without answering.
            let (socket, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(10)).await;
            drop(socket);
        });
        let started = std::time::Instant::now();
        let result = HttpClient::new()
            .send("POST", &url, &[], Bytes::new(), Duration::from_millis(300))
            .await;
        assert_eq!(result, Err(HttpError::Timeout));
        assert!(started.elapsed() < Duration::from_secs(5));
        holder.abort();
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let result = HttpClient::new()
            .send(
                "POST",
                &format!("http://{addr}/"),
                &[],
                Bytes::new(),
                Duration::from_secs(5),
            )
            .await;
        assert!(matches!(result, Err(HttpError::Connect(_))), "{result:?}");
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_fails_the_handshake() {
        // A plain-HTTP server: whatever arrives (a TLS ClientHello), it answers in clear text.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("https://{}/", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        });
        let result = HttpClient::new()
            .send("POST", &url, &[], Bytes::new(), Duration::from_secs(5))
            .await;
        match result {
            Err(HttpError::Connect(_)) => {}
            other => panic!("expected a TLS connect error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn bad_urls_methods_and_headers_are_rejected_before_any_io() {
        let client = HttpClient::new();
        for url in [
            "not a url",
            "ftp://example.com/",
            "/relative/path",
            "http://",
        ] {
            let result = client
                .send("POST", url, &[], Bytes::new(), Duration::from_secs(1))
                .await;
            assert!(
                matches!(result, Err(HttpError::InvalidUrl(_))),
                "{url}: {result:?}"
            );
        }
        let result = client
            .send(
                "PO ST",
                "http://127.0.0.1:9/",
                &[],
                Bytes::new(),
                Duration::from_secs(1),
            )
            .await;
        assert!(matches!(result, Err(HttpError::Other(_))), "{result:?}");
        let result = client
            .send(
                "POST",
                "http://127.0.0.1:9/",
                &[("bad header".to_owned(), "v".to_owned())],
                Bytes::new(),
                Duration::from_secs(1),
            )
            .await;
        assert!(matches!(result, Err(HttpError::Other(_))), "{result:?}");
    }

    #[tokio::test]
    async fn large_bodies_are_cut_at_the_limit() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let total = MAX_RESPONSE_BODY + 4096;
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n");
            socket.write_all(head.as_bytes()).await.expect("head");
            socket.write_all(&vec![b'x'; total]).await.expect("body");
        });
        let response = HttpClient::new()
            .send("GET", &url, &[], Bytes::new(), Duration::from_secs(10))
            .await
            .expect("a response");
        assert_eq!(response.status, 200);
        assert_eq!(response.body.len(), MAX_RESPONSE_BODY);
    }

    #[tokio::test]
    async fn the_throttle_spaces_deliveries_on_the_clock() {
        use ferrybridge_engine::clock::ManualClock;
        let clock = Arc::new(ManualClock::new(1_000_000));
        let throttle = Arc::new(Throttle::new());
        // Three callers at once, two per second: at 0 ms, 500 ms and 1000 ms.
        let mut waiters = Vec::new();
        for _ in 0..3 {
            let (clock, throttle) = (Arc::clone(&clock), Arc::clone(&throttle));
            waiters.push(tokio::spawn(async move {
                throttle.acquire(clock.as_ref(), 2).await;
                clock.now_millis()
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let finished =
            |w: &Vec<tokio::task::JoinHandle<u64>>| w.iter().filter(|h| h.is_finished()).count();
        assert_eq!(finished(&waiters), 1);
        clock.advance(Duration::from_millis(499));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(finished(&waiters), 1);
        clock.advance(Duration::from_millis(1));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(finished(&waiters), 2);
        clock.advance(Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(finished(&waiters), 3);
        let mut times = Vec::new();
        for w in waiters {
            times.push(w.await.expect("no panic"));
        }
        times.sort_unstable();
        assert_eq!(times, vec![1_000_000, 1_000_500, 1_001_000]);
    }

    /// A self-signed certificate for 127.0.0.1 / localhost (not a CA), valid until 2126, and its
    /// key: made for these tests with `openssl req -x509 -newkey rsa:2048 ... -addext
    /// basicConstraints=critical,CA:FALSE`. Test material only.
    const TEST_TLS_CERT: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDSzCCAjOgAwIBAgIUEasHFE4gF4eT+BZ3Af0YNLjdQHUwDQYJKoZIhvcNAQEL\n\
BQAwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNzExNTIzMVoYDzIxMjYx\n\
MTAzMTE1MjMxWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEB\n\
AQUAA4IBDwAwggEKAoIBAQDoCm9k3exPj37dNUOSHhRC4TmS48ZVftc2ealOMxva\n\
mazMXhlhjsgf86MUKaIIzAuwWJZDFpJCwd5i5eXZ6pILPjPfCXDAkWu+Il4zqQfc\n\
0ai+Vyp/bG4jgOVh2UgTtpsLTkLBAsSv84zoclQzvepuxPIPKUMDCx1hFySNfHRC\n\
HgFtD6aHMusPDbhphQjlHFcsgbUBzjlz5xQ8S1IzkaWsU9jrlzChg5+ao7VvActQ\n\
RfuYPaPp74/Mzlszi8AUDNHuvH9PDXwK7hmmEMch3utIfv8nqXJDO6dvg7WoD8ov\n\
B2LhJHRstIRQDR7jQ+CM0R3hspFwILCjuKO3j8I5VP3rAgMBAAGjgZIwgY8wHQYD\n\
VR0OBBYEFHT8vGhyWd631qfyUHVjkM5BUBorMB8GA1UdIwQYMBaAFHT8vGhyWd63\n\
1qfyUHVjkM5BUBorMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAMBgNVHRMB\n\
Af8EAjAAMA4GA1UdDwEB/wQEAwIFoDATBgNVHSUEDDAKBggrBgEFBQcDATANBgkq\n\
hkiG9w0BAQsFAAOCAQEA32hGRb7B42ucaceXqZcdfJ4BVd7uYZVRwHYCyZiuLP7q\n\
PZJDve1LrYee6yID6IeSukU68HtLFbPKz+v11ayPiGp3wVmsUHVqBH0w2Ik7h915\n\
YHItxQDR67rOeKLW2T3pQa/Gt+KTaZ30C8Jk6vSUxPjo636x96WH7/nwvlsKmpZn\n\
DE2kj8oYqxzk9OTbqyzDPlcbK+cvUqQOpEnNoW7gpJelPjpNr5YeVYX7YCVVbKHm\n\
5fyd5WgsDq4R/uFZDirvRtXaI3soZXn6EKuPeeQCYThCUCDp/bcekzX5ZHMBtePP\n\
fzGONZAzHkwXA6vB7sSK8lGw1WfMZ2JRJe4+AL5BLg==\n\
-----END CERTIFICATE-----\n";
    const TEST_TLS_KEY: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDoCm9k3exPj37d\n\
NUOSHhRC4TmS48ZVftc2ealOMxvamazMXhlhjsgf86MUKaIIzAuwWJZDFpJCwd5i\n\
5eXZ6pILPjPfCXDAkWu+Il4zqQfc0ai+Vyp/bG4jgOVh2UgTtpsLTkLBAsSv84zo\n\
clQzvepuxPIPKUMDCx1hFySNfHRCHgFtD6aHMusPDbhphQjlHFcsgbUBzjlz5xQ8\n\
S1IzkaWsU9jrlzChg5+ao7VvActQRfuYPaPp74/Mzlszi8AUDNHuvH9PDXwK7hmm\n\
EMch3utIfv8nqXJDO6dvg7WoD8ovB2LhJHRstIRQDR7jQ+CM0R3hspFwILCjuKO3\n\
j8I5VP3rAgMBAAECggEAANlDUnA49FeKUSVoBsMWZuI4M2NvrvgrGFdpX50lpAiK\n\
dPR/jXd+UuOX72bX+vlBrhaJqI6O4JcHiOWqkAzHSPdxLO0pA1AYDH0USoZHpMg3\n\
IK8X7pktoL9qPcMTyOkSxLLq4PxxTlI+BZgGQWqXgdBoyqM0TApz3cGK0C7dPzEN\n\
uHRf9QUfEXcPTu27hSxUt5u/hlhNC40Ss8sLwmTqP3yLj81YzyleAMPdpbGFjO1Q\n\
N+SABgUQbbQacRe0OXQAM2OFhp+O8uVs/MoIB8cKy5cmuufTgOJ9NAfn2PG2eTDc\n\
qCLFOZVkL3yHSEzRX2t+hg28+ItqWUiHjqs1CMC1cQKBgQD1exdEkf9rjmt0OUR8\n\
qhc3fIKwpcirgQXi2Yz97skJwTFtqjzJpjAiFFMW+yz85RjsB8bN1McZU5neL0wr\n\
on8v0/c1hesq1wv/OfZnNm1omtF3fNbUCqrFrDLWZ0xAU006c2aq0SbK9c6uoArS\n\
Qh6BKAL1Daw2MlXYyvphY2g2sQKBgQDx++hZogbeP6tfb1PTkSc0C1joR0Zkj7/r\n\
ycEMxslrG/MOEzTL5hkbxJzccKkUABgUXS4x6NlhCoatFMDljPlWSaHQoFpqxsK4\n\
rydGz+sT/6aQ5e4OWXfnS5VaqSZqqzPAnw3SoMT5B3V5T2XVimLJNbjE/LBmeP3u\n\
EC+YM2+dWwKBgQDBxJa6PpAiQzoYdLfVu6E14Cd87m+2yNJvnQ/IxXqVI5UznkP7\n\
XB30WJy5sCxztxb0ALNxd7ptCGuVUTpL2ymQBD3HVt0pZLQIk6UnFXRJNKORMM6W\n\
c5EXFXTPfpxWzipQsBTjUtLPNDYf6x5/l0di5cVnz5IW+aZ/yMDYrNHvEQKBgGZJ\n\
3NrewdZ6xX9O+PlKt26piUiOsHPby/3ox+EVupi7NM/zUHMMbfqt7rzEJsSckZEy\n\
Hk/cpN7/axSI3E1sfQ17jJo63l2abT9SUuD9DNrkS02e1DVenm+4JIcxT1rxyauX\n\
0GkDqp+2BnNkG6DboYx6WAN06UA3zucuEmBdBcZXAoGAPD/A18bWT0wH2vC+gF4k\n\
E9/FeezRdhEHtcOgz0ksby+fedYbof9zQ/c2nLpO1f1LIA4bbfTWFrKbSwhttAQx\n\
Xsoe/GG7lFtI5OhYo9ffg4CSRTlQ2c3J98KryFyfxpkGd7M7A4rvNRQHIkFLA9AA\n\
D0xwSNI7N8jhiw6hex9wOC4=\n\
-----END PRIVATE KEY-----\n";

    /// An HTTPS server on a loopback port that answers one request with 204.
    async fn tls_server() -> String {
        use rustls::pki_types::PrivateKeyDer;
        let certs = CertificateDer::pem_slice_iter(TEST_TLS_CERT.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("test certificate");
        let key = PrivateKeyDer::from_pem_slice(TEST_TLS_KEY.as_bytes()).expect("test key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("https://{}/tls", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return; // a client that refused our certificate
                    };
                    let mut data = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !data.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = tls
                        .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                        .await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn https_works_with_a_trusted_ca_and_fails_without_it() {
        let url = tls_server().await;
        let trusting = HttpClient::with_extra_roots_pem(TEST_TLS_CERT).expect("PEM");
        let response = trusting
            .send(
                "POST",
                &url,
                &[],
                Bytes::from_static(b"x"),
                Duration::from_secs(10),
            )
            .await
            .expect("an HTTPS response");
        assert_eq!(response.status, 204);

        let result = HttpClient::new()
            .send("POST", &url, &[], Bytes::new(), Duration::from_secs(10))
            .await;
        assert!(
            matches!(&result, Err(HttpError::Connect(detail)) if detail.contains("certificate")),
            "{result:?}"
        );
    }

    #[test]
    fn extra_roots_must_be_pem_certificates() {
        assert!(HttpClient::with_extra_roots_pem("").is_err());
        assert!(HttpClient::with_extra_roots_pem("not pem").is_err());
    }

    #[test]
    fn errors_display_their_detail() {
        assert_eq!(
            HttpError::Timeout.to_string(),
            "timed out waiting for the response"
        );
        assert_eq!(
            HttpError::Connect("refused".into()).to_string(),
            "connection failed: refused"
        );
        assert_eq!(
            HttpError::InvalidUrl("x".into()).to_string(),
            "invalid URL: x"
        );
        assert_eq!(HttpError::Other("boom".into()).to_string(), "boom");
    }
}
