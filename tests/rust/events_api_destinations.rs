//! EventBridge connections and API destinations through the real `aws-sdk-eventbridge`, with
//! a real HTTP server inside the test as the third-party API (and its OAuth token endpoint),
//! and dead-letter queues read with the real `aws-sdk-sqs`.
//!
//! The scenario of issue #7: call a third-party HTTP API straight from a rule, credentials kept
//! in a connection (API key, Basic, OAuth client credentials with the token fetched, cached and
//! refreshed), the calls rate limited, retried while the API is down, dead-lettered when it
//! refuses.
//!
//! Expected values are AWS's: the EventBridge User Guide ("API destinations as targets",
//! "Connections"), the API reference, the AWS-recorded answers in LocalStack's snapshots and
//! dead-letter attributes AWS gave (collected in /work/notes/i7-conn-facts.md).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ApiDestinationState, ConnectionAuthorizationType,
    ConnectionBodyParameter, ConnectionHeaderParameter, ConnectionHttpParameters,
    ConnectionOAuthHttpMethod, ConnectionQueryStringParameter, ConnectionState,
    CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
    CreateConnectionBasicAuthRequestParameters, CreateConnectionOAuthClientRequestParameters,
    CreateConnectionOAuthRequestParameters, DeadLetterConfig, HttpParameters, InputTransformer,
    PutEventsRequestEntry, RetryPolicy, Target, UpdateConnectionAuthRequestParameters,
    UpdateConnectionBasicAuthRequestParameters,
};
use aws_sdk_eventbridge::Client as Events;
use aws_sdk_sqs::Client as Sqs;
use ferrybridge_tests::Emulator;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[path = "events_support.rs"]
mod support;
use support::{attrs, error, receive, receive_within};

// ---- the third-party API: a real HTTP/1.1 server ------------------------------------------

/// One request the API received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query, as sent.
    target: String,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: String,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What the API answers: status, extra headers, body.
type Reply = (u16, Vec<(String, String)>, String);
type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// An HTTP server on a loopback port that records every request and answers with `handler`.
struct Api {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Api {
    async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Api {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (record, handler) = (record.clone(), handler.clone());
                tokio::spawn(async move { serve(socket, record, handler).await });
            }
        });
        Api { base, seen }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn to(&self, path: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.path().starts_with(path))
            .collect()
    }

    /// Waits (real time, at most 10 s) until `n` requests to paths starting with `path` came.
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Seen> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.to(path);
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Serves the requests of one connection (the emulator sends `Connection: close`: one).
async fn serve(
    mut socket: tokio::net::TcpStream,
    record: Arc<Mutex<Vec<Seen>>>,
    handler: Arc<Handler>,
) {
    loop {
        let mut data = Vec::new();
        let mut buf = [0u8; 8192];
        let head_end = loop {
            if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        };
        let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_owned();
        let target = first.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = data[head_end + 4..].to_vec();
        while body.len() < length {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => body.extend_from_slice(&buf[..n]),
            }
        }
        let close = headers
            .iter()
            .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
        let seen = Seen {
            method,
            target,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        };
        let (status, extra, reply) = handler(&seen);
        record.lock().unwrap().push(seen);
        let mut response = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\n",
            reply.len()
        );
        for (n, v) in extra {
            response.push_str(&format!("{n}: {v}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&reply);
        if socket.write_all(response.as_bytes()).await.is_err() || close {
            let _ = socket.shutdown().await;
            return;
        }
    }
}

fn ok() -> Reply {
    (200, Vec::new(), "{}".to_owned())
}

// ---- helpers ------------------------------------------------------------------------------

fn header_param(key: &str, value: &str, secret: bool) -> ConnectionHeaderParameter {
    ConnectionHeaderParameter::builder()
        .key(key)
        .value(value)
        .is_value_secret(secret)
        .build()
}

fn query_param(key: &str, value: &str, secret: bool) -> ConnectionQueryStringParameter {
    ConnectionQueryStringParameter::builder()
        .key(key)
        .value(value)
        .is_value_secret(secret)
        .build()
}

fn body_param(key: &str, value: &str, secret: bool) -> ConnectionBodyParameter {
    ConnectionBodyParameter::builder()
        .key(key)
        .value(value)
        .is_value_secret(secret)
        .build()
}

fn api_key_auth(name: &str, value: &str) -> CreateConnectionAuthRequestParameters {
    CreateConnectionAuthRequestParameters::builder()
        .api_key_auth_parameters(
            CreateConnectionApiKeyAuthRequestParameters::builder()
                .api_key_name(name)
                .api_key_value(value)
                .build()
                .unwrap(),
        )
        .build()
}

fn basic_auth(user: &str, password: &str) -> CreateConnectionAuthRequestParameters {
    CreateConnectionAuthRequestParameters::builder()
        .basic_auth_parameters(
            CreateConnectionBasicAuthRequestParameters::builder()
                .username(user)
                .password(password)
                .build()
                .unwrap(),
        )
        .build()
}

/// OAuth client credentials against `endpoint`, with a form body, a header and a query
/// parameter for the token request.
fn oauth_auth(endpoint: &str) -> CreateConnectionAuthRequestParameters {
    CreateConnectionAuthRequestParameters::builder()
        .o_auth_parameters(
            CreateConnectionOAuthRequestParameters::builder()
                .authorization_endpoint(endpoint)
                .http_method(ConnectionOAuthHttpMethod::Post)
                .client_parameters(
                    CreateConnectionOAuthClientRequestParameters::builder()
                        .client_id("shop-client")
                        .client_secret("shop-secret")
                        .build()
                        .unwrap(),
                )
                .o_auth_http_parameters(
                    ConnectionHttpParameters::builder()
                        .body_parameters(body_param("grant_type", "client_credentials", false))
                        .body_parameters(body_param("audience", "https://api.example", true))
                        .header_parameters(header_param("X-Tenant", "shop", false))
                        .query_string_parameters(query_param("realm", "eu", false))
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build()
}

async fn create_connection(
    events: &Events,
    name: &str,
    kind: ConnectionAuthorizationType,
    auth: CreateConnectionAuthRequestParameters,
) -> String {
    events
        .create_connection()
        .name(name)
        .authorization_type(kind)
        .auth_parameters(auth)
        .send()
        .await
        .expect("create connection")
        .connection_arn
        .expect("arn")
}

async fn create_destination(
    events: &Events,
    name: &str,
    connection_arn: &str,
    endpoint: &str,
    method: ApiDestinationHttpMethod,
    rate: Option<i32>,
) -> String {
    events
        .create_api_destination()
        .name(name)
        .connection_arn(connection_arn)
        .invocation_endpoint(endpoint)
        .http_method(method)
        .set_invocation_rate_limit_per_second(rate)
        .send()
        .await
        .expect("create api destination")
        .api_destination_arn
        .expect("arn")
}

/// The role API destination targets name (AWS requires one; the emulator assumes nothing).
const TARGET_ROLE: &str = "arn:aws:iam::000000000000:role/api-destinations";

/// A rule on the default bus matching `source`, with `targets` (each given [`TARGET_ROLE`]
/// unless it names a role).
async fn rule(events: &Events, name: &str, source: &str, targets: Vec<Target>) -> String {
    let targets: Vec<Target> = targets
        .into_iter()
        .map(|mut t| {
            t.role_arn.get_or_insert_with(|| TARGET_ROLE.to_owned());
            t
        })
        .collect();
    let arn = events
        .put_rule()
        .name(name)
        .event_pattern(json!({"source": [source]}).to_string())
        .send()
        .await
        .expect("put rule")
        .rule_arn
        .expect("rule arn");
    let out = events
        .put_targets()
        .rule(name)
        .set_targets(Some(targets))
        .send()
        .await
        .expect("put targets");
    assert_eq!(out.failed_entry_count, 0);
    arn
}

fn entry(source: &str, detail: &Value) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .source(source)
        .detail_type("OrderPlaced")
        .detail(detail.to_string())
        .build()
}

async fn put(events: &Events, entries: Vec<PutEventsRequestEntry>) {
    let out = events
        .put_events()
        .set_entries(Some(entries))
        .send()
        .await
        .expect("put events");
    assert_eq!(out.failed_entry_count, 0);
}

/// Polls DescribeConnection (real time, at most 5 s) until the connection is in `state`.
async fn wait_for_state(events: &Events, name: &str, state: ConnectionState) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let d = events
            .describe_connection()
            .name(name)
            .send()
            .await
            .expect("describe connection");
        if d.connection_state == Some(state.clone()) || Instant::now() > deadline {
            assert_eq!(d.connection_state, Some(state), "{d:?}");
            return json!({"StateReason": d.state_reason});
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn dlq(sqs: &Sqs, name: &str) -> (String, String) {
    let url = ferrybridge_tests::create_queue(sqs, name).await;
    (url, format!("arn:aws:sqs:us-east-1:000000000000:{name}"))
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

// ---- 1. API key: the request on the wire -----------------------------------------------------

#[tokio::test]
async fn an_api_key_call_carries_the_connection_and_target_parameters_and_aws_headers() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let api = Api::start(|_| ok()).await;
    let auth = CreateConnectionAuthRequestParameters::builder()
        .api_key_auth_parameters(
            CreateConnectionApiKeyAuthRequestParameters::builder()
                .api_key_name("x-api-key")
                .api_key_value("k-123")
                .build()
                .unwrap(),
        )
        .invocation_http_parameters(
            ConnectionHttpParameters::builder()
                .header_parameters(header_param("X-Shop", "eu-1", false))
                .header_parameters(header_param("X-Both", "from-connection", true))
                .query_string_parameters(query_param("tenant", "acme", false))
                .query_string_parameters(query_param("both", "from-connection", false))
                .body_parameters(body_param("channel", "eventbridge", false))
                .body_parameters(body_param("signature", "s3cr3t", true))
                .build(),
        )
        .build();
    let conn_arn = create_connection(
        &events,
        "orders-api",
        ConnectionAuthorizationType::ApiKey,
        auth,
    )
    .await;
    assert!(
        regex::Regex::new(
            r"^arn:aws:events:us-east-1:000000000000:connection/orders-api/[0-9a-f-]{36}$"
        )
        .unwrap()
        .is_match(&conn_arn),
        "{conn_arn}"
    );
    let dest_arn = create_destination(
        &events,
        "orders-endpoint",
        &conn_arn,
        &format!("{}/customers/*/orders/*", api.base),
        ApiDestinationHttpMethod::Post,
        None,
    )
    .await;
    assert!(
        regex::Regex::new(
            r"^arn:aws:events:us-east-1:000000000000:api-destination/orders-endpoint/[0-9a-f-]{36}$"
        )
        .unwrap()
        .is_match(&dest_arn),
        "{dest_arn}"
    );
    let http = HttpParameters::builder()
        .path_parameter_values("c-7")
        .path_parameter_values("$.detail.orderId")
        .header_parameters("X-Target", "rule-1")
        .header_parameters("X-Both", "from-target")
        .query_string_parameters("both", "from-target")
        .query_string_parameters("priority", "$.detail.priority")
        .build();
    rule(
        &events,
        "to-api",
        "shop.orders",
        vec![Target::builder()
            .id("api")
            .arn(&dest_arn)
            .http_parameters(http)
            .build()
            .unwrap()],
    )
    .await;
    let detail = json!({"orderId": "o 1/2", "priority": "high"});
    put(&events, vec![entry("shop.orders", &detail)]).await;
    let got = api.wait_for("/customers", 1).await;
    assert_eq!(got.len(), 1, "one call");
    let call = &got[0];
    assert_eq!(call.method, "POST");
    // Each `*` replaced in order; path values are percent-encoded; connection query values win.
    assert_eq!(call.path(), "/customers/c-7/orders/o%201%2F2");
    let query: HashMap<String, String> = form_urlencoded::parse(
        call.target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
            .as_bytes(),
    )
    .into_owned()
    .collect();
    assert_eq!(
        query,
        HashMap::from([
            ("both".to_owned(), "from-connection".to_owned()),
            ("priority".to_owned(), "high".to_owned()),
            ("tenant".to_owned(), "acme".to_owned()),
        ])
    );
    // AWS's headers ("Headers included in requests to API destinations").
    assert_eq!(
        call.header("user-agent"),
        Some("Amazon/EventBridge/ApiDestinations")
    );
    assert_eq!(
        call.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(call.header("range"), Some("bytes=0-1048575"));
    assert_eq!(call.header("accept-encoding"), Some("gzip,deflate"));
    assert_eq!(call.header("connection"), Some("close"));
    assert_eq!(
        call.header("content-length"),
        Some(call.body.len().to_string().as_str())
    );
    assert!(call.header("host").is_some_and(|h| api.base.ends_with(h)));
    // The API key, and the parameters (the connection's win over the target's).
    assert_eq!(call.header("x-api-key"), Some("k-123"));
    assert_eq!(call.header("x-shop"), Some("eu-1"));
    assert_eq!(call.header("x-target"), Some("rule-1"));
    assert_eq!(call.header("x-both"), Some("from-connection"));
    assert_eq!(call.header("authorization"), None);
    // The body: the event, with the connection's body parameters added.
    let body: Value = serde_json::from_str(&call.body).expect("JSON body");
    assert_eq!(body["source"], "shop.orders");
    assert_eq!(body["detail-type"], "OrderPlaced");
    assert_eq!(body["detail"], detail);
    assert_eq!(body["channel"], "eventbridge");
    assert_eq!(body["signature"], "s3cr3t");

    // Describe never shows the secrets (ApiKeyValue, secret parameter values).
    let described = events
        .describe_connection()
        .name("orders-api")
        .send()
        .await
        .expect("describe");
    let text = format!("{described:?}");
    assert!(
        !text.contains("k-123") && !text.contains("s3cr3t"),
        "{text}"
    );
    let auth = described.auth_parameters.expect("auth parameters");
    assert_eq!(
        auth.api_key_auth_parameters.and_then(|a| a.api_key_name),
        Some("x-api-key".to_owned())
    );
    let invocation = auth
        .invocation_http_parameters
        .expect("invocation parameters");
    let headers = invocation.header_parameters.expect("headers");
    assert_eq!(headers[0].key.as_deref(), Some("X-Shop"));
    assert_eq!(headers[0].value.as_deref(), Some("eu-1"));
    assert_eq!(headers[1].key.as_deref(), Some("X-Both"));
    assert_eq!(headers[1].value, None, "secret values are not described");
    assert!(headers[1].is_value_secret);
    let secret_arn = described.secret_arn.expect("secret arn");
    assert!(
        regex::Regex::new(
            r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/orders-api/[0-9a-f-]{36}-[A-Za-z0-9]{6}$"
        )
        .unwrap()
        .is_match(&secret_arn),
        "{secret_arn}"
    );
}

// ---- 2. Basic auth and a transformed body ----------------------------------------------------

#[tokio::test]
async fn a_basic_auth_call_sends_the_transformed_input_with_the_method_of_the_destination() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let api = Api::start(|seen| match seen.path() {
        "/locked" => (401, Vec::new(), "who are you".to_owned()),
        _ => (204, Vec::new(), String::new()),
    })
    .await;
    let conn = create_connection(
        &events,
        "billing",
        ConnectionAuthorizationType::Basic,
        basic_auth("shop", "open sesame!"),
    )
    .await;
    let dest = create_destination(
        &events,
        "billing-put",
        &conn,
        &format!("{}/invoices", api.base),
        ApiDestinationHttpMethod::Put,
        None,
    )
    .await;
    let transformer = InputTransformer::builder()
        .input_paths_map("id", "$.detail.orderId")
        .input_template(r#"{"invoiceFor": <id>}"#)
        .build()
        .unwrap();
    rule(
        &events,
        "billing",
        "shop.orders",
        vec![Target::builder()
            .id("b")
            .arn(&dest)
            .input_transformer(transformer)
            .build()
            .unwrap()],
    )
    .await;
    put(
        &events,
        vec![entry("shop.orders", &json!({"orderId": "o-9"}))],
    )
    .await;
    let got = api.wait_for("/invoices", 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "PUT");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Basic {}", base64("shop:open sesame!")).as_str())
    );
    let body: Value = serde_json::from_str(&got[0].body).expect("JSON body");
    assert_eq!(body, json!({"invoiceFor": "o-9"}));

    // A 401 to Basic credentials de-authorizes the connection ("De-authorizing connections");
    // its destinations then call nobody until it is updated.
    let locked = create_destination(
        &events,
        "billing-locked",
        &conn,
        &format!("{}/locked", api.base),
        ApiDestinationHttpMethod::Post,
        None,
    )
    .await;
    rule(
        &events,
        "locked",
        "shop.locked",
        vec![Target::builder().id("l").arn(&locked).build().unwrap()],
    )
    .await;
    put(
        &events,
        vec![entry("shop.locked", &json!({"orderId": "o-10"}))],
    )
    .await;
    assert_eq!(api.wait_for("/locked", 1).await.len(), 1);
    let reason = wait_for_state(&events, "billing", ConnectionState::Deauthorized).await;
    assert!(
        reason["StateReason"]
            .as_str()
            .is_some_and(|r| r.contains("401")),
        "{reason}"
    );
    put(
        &events,
        vec![entry("shop.orders", &json!({"orderId": "o-11"}))],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.to("/invoices").len(), 1);
    // New credentials authorize it again.
    events
        .update_connection()
        .name("billing")
        .auth_parameters(
            UpdateConnectionAuthRequestParameters::builder()
                .basic_auth_parameters(
                    UpdateConnectionBasicAuthRequestParameters::builder()
                        .password("new sesame")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("update");
    put(
        &events,
        vec![entry("shop.orders", &json!({"orderId": "o-12"}))],
    )
    .await;
    let got = api.wait_for("/invoices", 2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].header("authorization"),
        Some(format!("Basic {}", base64("shop:new sesame")).as_str())
    );
}

// ---- 3. OAuth: token fetched once, cached, refreshed after a 401 -----------------------------

#[tokio::test]
async fn oauth_tokens_are_fetched_once_cached_and_refreshed_after_a_401() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let issued = Arc::new(AtomicUsize::new(0));
    let revoked = Arc::new(AtomicUsize::new(0));
    let (i, r) = (issued.clone(), revoked.clone());
    let api = Api::start(move |seen| {
        if seen.path() == "/oauth/token" {
            let n = i.fetch_add(1, Ordering::SeqCst) + 1;
            return (
                200,
                Vec::new(),
                json!({"access_token": format!("token-{n}"), "token_type": "Bearer", "expires_in": 3600}).to_string(),
            );
        }
        if seen.path() == "/refuse/token" {
            return (400, Vec::new(), r#"{"error":"invalid_client"}"#.to_owned());
        }
        // Once token-1 is revoked, the API answers 401 to it.
        if r.load(Ordering::SeqCst) > 0 && seen.header("authorization") == Some("Bearer token-1") {
            return (401, Vec::new(), r#"{"message":"expired"}"#.to_owned());
        }
        ok()
    })
    .await;
    let created = events
        .create_connection()
        .name("crm")
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(oauth_auth(&format!("{}/oauth/token", api.base)))
        .send()
        .await
        .expect("create");
    // CreateConnection answers AUTHORIZING (AWS-recorded); the token comes in the background.
    assert_eq!(created.connection_state, Some(ConnectionState::Authorizing));
    let conn = created.connection_arn.expect("arn");
    wait_for_state(&events, "crm", ConnectionState::Authorized).await;
    let token_calls = api.to("/oauth/token");
    assert_eq!(token_calls.len(), 1);
    let t = &token_calls[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.target, "/oauth/token?realm=eu");
    assert_eq!(
        t.header("authorization"),
        Some(format!("Basic {}", base64("shop-client:shop-secret")).as_str())
    );
    assert_eq!(t.header("x-tenant"), Some("shop"));
    assert_eq!(
        t.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        t.body,
        "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example"
    );
    // Describe: the client id, never the secret nor the secret body parameter's value.
    let described = events
        .describe_connection()
        .name("crm")
        .send()
        .await
        .expect("describe");
    let text = format!("{described:?}");
    assert!(
        !text.contains("shop-secret") && !text.contains("api.example"),
        "{text}"
    );
    let oauth = described
        .auth_parameters
        .and_then(|a| a.o_auth_parameters)
        .expect("oauth parameters");
    assert_eq!(
        oauth.client_parameters.and_then(|c| c.client_id),
        Some("shop-client".to_owned())
    );
    assert_eq!(oauth.http_method, Some(ConnectionOAuthHttpMethod::Post));

    let dest = create_destination(
        &events,
        "crm-contacts",
        &conn,
        &format!("{}/contacts", api.base),
        ApiDestinationHttpMethod::Post,
        None,
    )
    .await;
    let d = events
        .describe_api_destination()
        .name("crm-contacts")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.api_destination_state, Some(ApiDestinationState::Active));
    rule(
        &events,
        "crm",
        "shop.customers",
        vec![Target::builder().id("crm").arn(&dest).build().unwrap()],
    )
    .await;
    for n in 0..3 {
        put(&events, vec![entry("shop.customers", &json!({"n": n}))]).await;
    }
    let calls = api.wait_for("/contacts", 3).await;
    assert_eq!(calls.len(), 3);
    for c in &calls {
        assert_eq!(c.header("authorization"), Some("Bearer token-1"));
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1, "the token is cached");

    // The API stops taking token-1: one 401, a new token, the call again.
    revoked.store(1, Ordering::SeqCst);
    put(&events, vec![entry("shop.customers", &json!({"n": 3}))]).await;
    let calls = api.wait_for("/contacts", 5).await;
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[3].header("authorization"), Some("Bearer token-1"));
    assert_eq!(calls[4].header("authorization"), Some("Bearer token-2"));
    assert_eq!(calls[4].body, calls[3].body);
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    put(&events, vec![entry("shop.customers", &json!({"n": 4}))]).await;
    let calls = api.wait_for("/contacts", 6).await;
    assert_eq!(calls[5].header("authorization"), Some("Bearer token-2"));
    assert_eq!(issued.load(Ordering::SeqCst), 2);

    // DeauthorizeConnection: DEAUTHORIZING, then DEAUTHORIZED; its destinations go INACTIVE.
    let out = events
        .deauthorize_connection()
        .name("crm")
        .send()
        .await
        .expect("deauthorize");
    assert_eq!(out.connection_state, Some(ConnectionState::Deauthorizing));
    assert!(out.last_authorized_time.is_some());
    wait_for_state(&events, "crm", ConnectionState::Deauthorized).await;
    let d = events
        .describe_api_destination()
        .name("crm-contacts")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.api_destination_state, Some(ApiDestinationState::Inactive));
    // A deauthorized connection calls nobody.
    put(&events, vec![entry("shop.customers", &json!({"n": 5}))]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.to("/contacts").len(), 6);
    // "When you de-authorize a connection, it removes all authorization parameters": none are
    // described, and an update that gives none leaves the connection DEAUTHORIZED.
    let described = events
        .describe_connection()
        .name("crm")
        .send()
        .await
        .expect("describe");
    assert!(described.auth_parameters.is_none(), "{described:?}");
    assert!(described.secret_arn.is_none(), "{described:?}");
    let renamed = events
        .update_connection()
        .name("crm")
        .description("the CRM")
        .send()
        .await
        .expect("update the description");
    assert_eq!(
        renamed.connection_state,
        Some(ConnectionState::Deauthorized)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        api.to("/oauth/token").len(),
        2,
        "no token without credentials"
    );

    // UpdateConnection with new credentials authorizes again: a new token.
    let updated = events
        .update_connection()
        .name("crm")
        .auth_parameters(
            UpdateConnectionAuthRequestParameters::builder()
                .o_auth_parameters(
                    aws_sdk_eventbridge::types::UpdateConnectionOAuthRequestParameters::builder()
                        .client_parameters(
                            aws_sdk_eventbridge::types::UpdateConnectionOAuthClientRequestParameters::builder()
                                .client_id("shop-client")
                                .client_secret("rotated-secret")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("update");
    assert_eq!(updated.connection_state, Some(ConnectionState::Authorizing));
    wait_for_state(&events, "crm", ConnectionState::Authorized).await;
    let token_calls = api.to("/oauth/token");
    assert_eq!(token_calls.len(), 3);
    assert_eq!(
        token_calls[2].header("authorization"),
        Some(format!("Basic {}", base64("shop-client:rotated-secret")).as_str())
    );
    assert_eq!(
        token_calls[2].body, token_calls[0].body,
        "OAuthHttpParameters are kept"
    );
    put(&events, vec![entry("shop.customers", &json!({"n": 6}))]).await;
    let calls = api.wait_for("/contacts", 7).await;
    assert_eq!(calls.len(), 7);
    assert_eq!(calls[6].header("authorization"), Some("Bearer token-3"));

    // An authorization endpoint that refuses: the connection ends DEAUTHORIZED, with a reason.
    let created = events
        .create_connection()
        .name("refused")
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(oauth_auth(&format!("{}/refuse/token", api.base)))
        .send()
        .await
        .expect("create");
    assert_eq!(created.connection_state, Some(ConnectionState::Authorizing));
    let reason = wait_for_state(&events, "refused", ConnectionState::Deauthorized).await;
    assert!(
        reason["StateReason"]
            .as_str()
            .is_some_and(|r| r.contains("400")),
        "{reason}"
    );
}

// ---- 4. Rate limit ---------------------------------------------------------------------------

#[tokio::test]
async fn twenty_events_at_five_per_second_take_about_four_seconds() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let api = Api::start(|_| ok()).await;
    let conn = create_connection(
        &events,
        "slow",
        ConnectionAuthorizationType::ApiKey,
        api_key_auth("x-key", "v"),
    )
    .await;
    let dest = create_destination(
        &events,
        "slow-api",
        &conn,
        &format!("{}/slow", api.base),
        ApiDestinationHttpMethod::Post,
        Some(5),
    )
    .await;
    rule(
        &events,
        "slow",
        "shop.bulk",
        vec![Target::builder().id("s").arn(&dest).build().unwrap()],
    )
    .await;
    let started = Instant::now();
    for batch in 0..2 {
        let entries = (0..10)
            .map(|n| entry("shop.bulk", &json!({"n": batch * 10 + n})))
            .collect();
        put(&events, entries).await;
    }
    let calls = api.wait_for("/slow", 20).await;
    assert_eq!(
        calls.len(),
        20,
        "every delivery waits its turn, none is dropped"
    );
    let first = calls.iter().map(|c| c.at).min().unwrap();
    let last = calls.iter().map(|c| c.at).max().unwrap();
    let spread = last - first;
    // 19 intervals of 200 ms.
    assert!(
        spread >= Duration::from_millis(3_700) && spread <= Duration::from_millis(5_000),
        "20 calls at 5/s spread over {spread:?}"
    );
    let mut ns: Vec<i64> = calls
        .iter()
        .map(|c| {
            serde_json::from_str::<Value>(&c.body).unwrap()["detail"]["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (0..20).collect::<Vec<_>>());
    println!(
        "rate limit: 20 calls at 5/s: first-to-last {spread:?}, put-to-last {:?}",
        last - started
    );
}

// ---- 5. Failures: retries, 4xx, exhaustion, DLQ (manual clock) -------------------------------

/// Advances the manual clock a second at a time (up to `max_s`) until `done` holds.
async fn drive(emu: &Emulator, max_s: u64, mut done: impl FnMut() -> bool) {
    for _ in 0..max_s {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        emu.advance(Duration::from_secs(1));
    }
}

#[tokio::test]
async fn server_errors_are_retried_client_errors_are_not_and_failures_reach_the_dlq() {
    let emu = Emulator::start_with_manual_clock().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let flaky = Arc::new(AtomicUsize::new(0));
    let f = flaky.clone();
    let api = Api::start(move |seen| match seen.path() {
        // Down twice (503, then 429 with Retry-After), then up.
        "/flaky" => match f.fetch_add(1, Ordering::SeqCst) {
            0 => (503, Vec::new(), "down".to_owned()),
            1 => (
                429,
                vec![("Retry-After".to_owned(), "3".to_owned())],
                "slow down".to_owned(),
            ),
            _ => ok(),
        },
        "/refuses" => (400, Vec::new(), r#"{"error":"bad order"}"#.to_owned()),
        "/down" => (500, Vec::new(), "boom".to_owned()),
        _ => (404, Vec::new(), String::new()),
    })
    .await;
    let (dlq_url, dlq_arn) = dlq(&sqs, "api-dlq").await;
    let conn = create_connection(
        &events,
        "partner",
        ConnectionAuthorizationType::ApiKey,
        api_key_auth("x-key", "v"),
    )
    .await;
    // A closed port: no connection.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}/nobody")
    };
    let mut targets = Vec::new();
    let mut arns = HashMap::new();
    for (id, endpoint, retries) in [
        ("flaky", format!("{}/flaky", api.base), 185),
        ("refuses", format!("{}/refuses", api.base), 185),
        ("down", format!("{}/down", api.base), 2),
        ("unreachable", closed, 0),
    ] {
        let dest = create_destination(
            &events,
            id,
            &conn,
            &endpoint,
            ApiDestinationHttpMethod::Post,
            None,
        )
        .await;
        arns.insert(id, dest.clone());
        targets.push(
            Target::builder()
                .id(id)
                .arn(dest)
                .retry_policy(
                    RetryPolicy::builder()
                        .maximum_retry_attempts(retries)
                        .build(),
                )
                .dead_letter_config(DeadLetterConfig::builder().arn(&dlq_arn).build())
                .build()
                .unwrap(),
        );
    }
    let rule_arn = rule(&events, "partner", "shop.orders", targets).await;
    put(
        &events,
        vec![entry("shop.orders", &json!({"orderId": "o-1"}))],
    )
    .await;

    // A 400 is not retried: straight to the DLQ; so is a connection failure with no retries left.
    let dead = receive(&sqs, &dlq_url, 2).await;
    assert_eq!(dead.len(), 2);
    let by_target: HashMap<String, HashMap<String, String>> = dead
        .iter()
        .map(|m| {
            let a = attrs(m);
            (a["TARGET_ARN"].rsplit('/').nth(1).unwrap().to_owned(), a)
        })
        .collect();
    let refused = &by_target["refuses"];
    assert_eq!(refused["RULE_ARN"], rule_arn);
    assert_eq!(refused["ERROR_CODE"], "SDK_CLIENT_ERROR");
    assert_eq!(
        refused["ERROR_MESSAGE"],
        r#"ApiDestination returned HTTP status 400 with payload: {"error":"bad order"}"#
    );
    assert_eq!(refused["RETRY_ATTEMPTS"], "0");
    assert!(!refused.contains_key("EXHAUSTED_RETRY_CONDITION"));
    assert_eq!(api.to("/refuses").len(), 1);
    let unreachable = &by_target["unreachable"];
    assert_eq!(unreachable["ERROR_CODE"], "SDK_CLIENT_ERROR");
    assert_eq!(
        unreachable["ERROR_MESSAGE"],
        "Unable to invoke ApiDestination endpoint: API destination endpoint cannot be reached."
    );
    assert_eq!(unreachable["RETRY_ATTEMPTS"], "0");
    assert_eq!(
        unreachable["EXHAUSTED_RETRY_CONDITION"],
        "MaximumRetryAttempts"
    );
    assert_eq!(dead[0].body, dead[1].body, "the DLQ holds the event itself");

    // 5xx and 429 are retried on the clock: the flaky API takes the event on the third try,
    // the API that stays down exhausts its two retries.
    drive(&emu, 120, || {
        api.to("/flaky").len() >= 3 && api.to("/down").len() >= 3
    })
    .await;
    let flaky_calls = api.wait_for("/flaky", 3).await;
    assert_eq!(flaky_calls.len(), 3);
    assert_eq!(flaky_calls[2].body, flaky_calls[0].body);
    let dead = receive(&sqs, &dlq_url, 1).await;
    assert_eq!(
        dead.len(),
        1,
        "only the API that stayed down is dead-lettered"
    );
    let down = attrs(&dead[0]);
    assert!(down["TARGET_ARN"].contains(":api-destination/down/"));
    assert_eq!(down["ERROR_CODE"], "SDK_CLIENT_ERROR");
    assert_eq!(
        down["ERROR_MESSAGE"],
        "ApiDestination returned HTTP status 500 with payload: boom"
    );
    assert_eq!(down["RETRY_ATTEMPTS"], "2");
    assert_eq!(down["EXHAUSTED_RETRY_CONDITION"], "MaximumRetryAttempts");
    assert_eq!(api.to("/down").len(), 3);
    assert_eq!(api.to("/flaky").len(), 3);

    // A deleted API destination: NO_RESOURCE, not retried.
    events
        .delete_api_destination()
        .name("refuses")
        .send()
        .await
        .expect("delete");
    rule(
        &events,
        "gone",
        "shop.gone",
        vec![Target::builder()
            .id("gone")
            .arn(&arns["refuses"])
            .dead_letter_config(DeadLetterConfig::builder().arn(&dlq_arn).build())
            .build()
            .unwrap()],
    )
    .await;
    put(
        &events,
        vec![entry("shop.gone", &json!({"orderId": "o-2"}))],
    )
    .await;
    let dead = receive(&sqs, &dlq_url, 1).await;
    assert_eq!(dead.len(), 1);
    let gone = attrs(&dead[0]);
    assert_eq!(gone["ERROR_CODE"], "NO_RESOURCE");
    assert_eq!(gone["TARGET_ARN"], arns["refuses"]);
    assert_eq!(gone["RETRY_ATTEMPTS"], "0");
    assert_eq!(api.to("/refuses").len(), 1);
}

// ---- 6. The operations and their errors ------------------------------------------------------

#[tokio::test]
async fn connections_and_api_destinations_create_describe_list_update_delete_and_errors() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let created = events
        .create_connection()
        .name("c-basic")
        .description("the partner API")
        .authorization_type(ConnectionAuthorizationType::Basic)
        .auth_parameters(basic_auth("user", "pass"))
        .send()
        .await
        .expect("create");
    assert_eq!(created.connection_state, Some(ConnectionState::Authorized));
    assert!(created.creation_time.is_some() && created.last_modified_time.is_some());
    let basic_arn = created.connection_arn.unwrap();
    let key_arn = create_connection(
        &events,
        "c-key",
        ConnectionAuthorizationType::ApiKey,
        api_key_auth("k", "v"),
    )
    .await;

    let d = events
        .describe_connection()
        .name("c-basic")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.name.as_deref(), Some("c-basic"));
    assert_eq!(d.description.as_deref(), Some("the partner API"));
    assert_eq!(
        d.authorization_type,
        Some(ConnectionAuthorizationType::Basic)
    );
    assert_eq!(d.connection_state, Some(ConnectionState::Authorized));
    assert!(d.last_authorized_time.is_some());
    let auth = d.auth_parameters.unwrap();
    assert_eq!(
        auth.basic_auth_parameters.unwrap().username.as_deref(),
        Some("user")
    );
    assert!(auth.invocation_http_parameters.is_none());
    assert!(!format!(
        "{:?}",
        events.describe_connection().name("c-basic").send().await
    )
    .contains("pass"));

    assert_eq!(
        error(
            events
                .create_connection()
                .name("c-basic")
                .authorization_type(ConnectionAuthorizationType::Basic)
                .auth_parameters(basic_auth("u", "p"))
                .send()
                .await
        ),
        "ResourceAlreadyExistsException: Connection c-basic already exists."
    );
    // AWS-recorded texts.
    assert_eq!(
        error(events.describe_connection().name("nope").send().await),
        "ResourceNotFoundException: Failed to describe the connection(s). Connection 'nope' does not exist."
    );
    assert_eq!(
        error(
            events
                .create_connection()
                .name("Invalid Name With Spaces!")
                .authorization_type(ConnectionAuthorizationType::ApiKey)
                .auth_parameters(api_key_auth("k", "v"))
                .send()
                .await
        ),
        "ValidationException: 1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    );
    for result in [
        error(events.update_connection().name("nope").send().await),
        error(events.delete_connection().name("nope").send().await),
        error(events.deauthorize_connection().name("nope").send().await),
    ] {
        assert!(
            result.starts_with("ResourceNotFoundException: "),
            "{result}"
        );
    }

    // ListConnections: NamePrefix, ConnectionState, paging.
    let list = events
        .list_connections()
        .name_prefix("c-")
        .send()
        .await
        .expect("list");
    let names: Vec<_> = list
        .connections
        .unwrap()
        .into_iter()
        .map(|c| (c.name.unwrap(), c.authorization_type.unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("c-basic".to_owned(), ConnectionAuthorizationType::Basic),
            ("c-key".to_owned(), ConnectionAuthorizationType::ApiKey)
        ]
    );
    let page1 = events
        .list_connections()
        .limit(1)
        .send()
        .await
        .expect("page 1");
    assert_eq!(page1.connections.unwrap().len(), 1);
    let page2 = events
        .list_connections()
        .next_token(page1.next_token.expect("a next token"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(page2.connections.unwrap()[0].name.as_deref(), Some("c-key"));
    assert!(page2.next_token.is_none());
    let deauthorized = events
        .list_connections()
        .connection_state(ConnectionState::Deauthorized)
        .send()
        .await
        .expect("list");
    assert!(deauthorized.connections.unwrap().is_empty());

    // UpdateConnection (AWS-recorded: AUTHORIZED, with LastAuthorizedTime).
    let updated = events
        .update_connection()
        .name("c-basic")
        .authorization_type(ConnectionAuthorizationType::Basic)
        .auth_parameters(
            UpdateConnectionAuthRequestParameters::builder()
                .basic_auth_parameters(
                    UpdateConnectionBasicAuthRequestParameters::builder()
                        .username("new_user")
                        .password("new_pass")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("update");
    assert_eq!(updated.connection_state, Some(ConnectionState::Authorized));
    assert!(updated.last_authorized_time.is_some());
    let d = events
        .describe_connection()
        .name("c-basic")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.auth_parameters
            .unwrap()
            .basic_auth_parameters
            .unwrap()
            .username
            .as_deref(),
        Some("new_user")
    );

    // API destinations.
    let created = events
        .create_api_destination()
        .name("dest-1")
        .description("Test API destination")
        .connection_arn(&basic_arn)
        .invocation_endpoint("https://example.com/api")
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.api_destination_state,
        Some(ApiDestinationState::Active)
    );
    create_destination(
        &events,
        "dest-2",
        &key_arn,
        "https://example.com/other",
        ApiDestinationHttpMethod::Get,
        Some(10),
    )
    .await;
    let d = events
        .describe_api_destination()
        .name("dest-1")
        .send()
        .await
        .unwrap();
    assert_eq!(d.connection_arn.as_deref(), Some(basic_arn.as_str()));
    assert_eq!(d.description.as_deref(), Some("Test API destination"));
    assert_eq!(d.http_method, Some(ApiDestinationHttpMethod::Post));
    assert_eq!(
        d.invocation_endpoint.as_deref(),
        Some("https://example.com/api")
    );
    assert_eq!(
        d.invocation_rate_limit_per_second,
        Some(300),
        "AWS's default"
    );
    let by_connection = events
        .list_api_destinations()
        .connection_arn(&key_arn)
        .send()
        .await
        .unwrap()
        .api_destinations
        .unwrap();
    assert_eq!(by_connection.len(), 1);
    assert_eq!(by_connection[0].name.as_deref(), Some("dest-2"));
    assert_eq!(by_connection[0].invocation_rate_limit_per_second, Some(10));
    let page1 = events
        .list_api_destinations()
        .name_prefix("dest")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page1.api_destinations.unwrap().len(), 1);
    assert!(page1.next_token.is_some());
    events
        .update_api_destination()
        .name("dest-1")
        .http_method(ApiDestinationHttpMethod::Put)
        .invocation_endpoint("https://example.com/api/v2")
        .description("Updated API destination")
        .invocation_rate_limit_per_second(50)
        .send()
        .await
        .expect("update");
    let d = events
        .describe_api_destination()
        .name("dest-1")
        .send()
        .await
        .unwrap();
    assert_eq!(d.http_method, Some(ApiDestinationHttpMethod::Put));
    assert_eq!(
        d.invocation_endpoint.as_deref(),
        Some("https://example.com/api/v2")
    );
    assert_eq!(d.description.as_deref(), Some("Updated API destination"));
    assert_eq!(d.invocation_rate_limit_per_second, Some(50));
    assert!(error(
        events
            .create_api_destination()
            .name("dest-1")
            .connection_arn(&basic_arn)
            .invocation_endpoint("https://example.com/api")
            .http_method(ApiDestinationHttpMethod::Post)
            .send()
            .await
    )
    .starts_with("ResourceAlreadyExistsException: "));
    let missing = "arn:aws:events:us-east-1:000000000000:connection/none/00000000-0000-0000-0000-000000000000";
    assert!(error(
        events
            .create_api_destination()
            .name("dest-3")
            .connection_arn(missing)
            .invocation_endpoint("https://example.com/api")
            .http_method(ApiDestinationHttpMethod::Post)
            .send()
            .await
    )
    .starts_with("ResourceNotFoundException: "));
    events
        .delete_api_destination()
        .name("dest-1")
        .send()
        .await
        .expect("delete");
    // AWS-recorded text.
    assert_eq!(
        error(events.describe_api_destination().name("dest-1").send().await),
        "ResourceNotFoundException: Failed to describe the api-destination(s). An api-destination 'dest-1' does not exist."
    );
    assert!(
        error(events.delete_api_destination().name("dest-1").send().await)
            .starts_with("ResourceNotFoundException: ")
    );

    // DeleteConnection answers DELETING (AWS-recorded); then it is gone.
    let deleted = events
        .delete_connection()
        .name("c-key")
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.connection_state, Some(ConnectionState::Deleting));
    assert_eq!(deleted.connection_arn.as_deref(), Some(key_arn.as_str()));
    assert!(
        error(events.describe_connection().name("c-key").send().await)
            .starts_with("ResourceNotFoundException: ")
    );
    // Its API destination stays, INACTIVE.
    let d = events
        .describe_api_destination()
        .name("dest-2")
        .send()
        .await
        .unwrap();
    assert_eq!(d.api_destination_state, Some(ApiDestinationState::Inactive));

    // A target on an API destination needs a role: AWS refuses the whole PutTargets call
    // ("RoleArn is required for target <arn>.", as users of AWS quote it).
    let dest_2 = d.api_destination_arn.expect("arn");
    events
        .put_rule()
        .name("to-dest-2")
        .event_pattern(json!({"source": ["x"]}).to_string())
        .send()
        .await
        .expect("put rule");
    let refused = events
        .put_targets()
        .rule("to-dest-2")
        .targets(Target::builder().id("t").arn(&dest_2).build().unwrap())
        .send()
        .await;
    assert_eq!(
        error(refused),
        format!("ValidationException: RoleArn is required for target {dest_2}.")
    );
}

// ---- 7. Time-outs ------------------------------------------------------------------------

#[tokio::test]
async fn an_endpoint_silent_for_five_seconds_times_out_and_is_dead_lettered_as_aws_does() {
    let emu = Emulator::start_with_manual_clock().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}/silent", listener.local_addr().expect("addr"));
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let (dlq_url, dlq_arn) = dlq(&sqs, "silent-dlq").await;
    let conn = create_connection(
        &events,
        "silent",
        ConnectionAuthorizationType::ApiKey,
        api_key_auth("x-key", "v"),
    )
    .await;
    let dest = create_destination(
        &events,
        "silent",
        &conn,
        &endpoint,
        ApiDestinationHttpMethod::Post,
        None,
    )
    .await;
    rule(
        &events,
        "silent",
        "shop.orders",
        vec![Target::builder()
            .id("silent")
            .arn(&dest)
            .retry_policy(RetryPolicy::builder().maximum_retry_attempts(0).build())
            .dead_letter_config(DeadLetterConfig::builder().arn(&dlq_arn).build())
            .build()
            .unwrap()],
    )
    .await;
    let started = Instant::now();
    put(
        &events,
        vec![entry("shop.orders", &json!({"orderId": "o-1"}))],
    )
    .await;
    let dead = receive_within(&sqs, &dlq_url, 1, Duration::from_secs(10)).await;
    let waited = started.elapsed();
    assert_eq!(dead.len(), 1);
    assert!(
        waited >= Duration::from_millis(4_900) && waited < Duration::from_secs(8),
        "AWS's 5-second limit: {waited:?}"
    );
    let a = attrs(&dead[0]);
    // The code and text of AWS's dead-letter messages for a timed-out API destination call.
    assert_eq!(a["ERROR_CODE"], "UNKNOWN");
    assert_eq!(
        a["ERROR_MESSAGE"],
        "Unable to invoke ApiDestination endpoint: Timeout calling endpoint for API Destination: socket closed."
    );
    assert_eq!(a["RETRY_ATTEMPTS"], "0");
    assert_eq!(a["EXHAUSTED_RETRY_CONDITION"], "MaximumRetryAttempts");
    holder.abort();
}
