//! What a rule target on an API destination does: a real HTTP request, as EventBridge makes it
//! ("API destinations as targets"):
//!
//! * URL: the destination's `InvocationEndpoint`, each `*` replaced by the target's
//!   `HttpParameters.PathParameterValues` in order; the query string holds the target's
//!   `QueryStringParameters` and the connection's invocation query parameters.
//! * Headers: AWS's own (`User-Agent: Amazon/EventBridge/ApiDestinations`, `Content-Type:
//!   application/json; charset=utf-8`, `Range: bytes=0-1048575`, `Accept-Encoding:
//!   gzip,deflate`, `Connection: close`), the target's `HeaderParameters`, the connection's
//!   invocation header parameters, and the connection's authorization (Basic, API key, or an
//!   OAuth bearer token). "Any values from the Connection taking precedence" (`HttpParameters`
//!   API reference). Parameter values that start with `$.` are taken from the event.
//! * Body: the event, or the target's transformed input; the connection's body parameters are
//!   added to it when it is a JSON object.
//! * At most `InvocationRateLimitPerSecond` requests per second per destination (requests wait
//!   their turn on the engine clock, none is dropped); 5 seconds per request.
//! * 2xx is success; 429 and 5xx, time-outs and connection failures are retried per the
//!   target's RetryPolicy (a `Retry-After` header lengthens the wait; a negative one stops the
//!   retries); other statuses fail at once. An OAuth endpoint answering 401 or 407 gets one new
//!   token per invocation; a 401 or 407 to Basic or API key credentials de-authorizes the
//!   connection. What fails for good goes to the target's dead-letter queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrybridge_engine::events::connection::{AccessToken, Auth, Connection, ConnectionState};
use ferrybridge_engine::events::transform::InputPath;
use ferrybridge_engine::events::{ApiDestinationConfig, Invocation};
use ferrybridge_http::{HttpError, HttpResponse};
use serde_json::Value;

use crate::context::Context;
use crate::delivery;
use crate::failure::Failure;

pub use crate::http_request::{append_query, basic_authorization, set_header, USER_AGENT};

/// "EventBridge requests to an API destination endpoint must have a maximum client execution
/// timeout of 5 seconds."
pub const INVOCATION_TIMEOUT: Duration = Duration::from_secs(5);

/// What a path parameter value keeps unencoded: RFC 3986's unreserved characters.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How much of an endpoint's answer an `ERROR_MESSAGE` quotes.
const MAX_QUOTED_PAYLOAD: usize = 1024;

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A parameter value: literal, or (`$.…`) the text at that path of the event.
fn resolve(value: &str, event: &Value) -> String {
    if !value.starts_with("$.") {
        return value.to_owned();
    }
    match InputPath::parse(value).and_then(|p| p.select(event)) {
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The request for one invocation, Basic or API key credentials included (an OAuth bearer
/// token is added per attempt).
pub fn build_request(
    destination: &ApiDestinationConfig,
    connection: &Connection,
    target: &Value,
    event: &Value,
    payload: &str,
) -> ApiRequest {
    use percent_encoding::utf8_percent_encode;
    let params = target.get("HttpParameters").filter(|v| v.is_object());
    let path_values: Vec<String> = params
        .and_then(|p| p.get("PathParameterValues"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|v| resolve(v, event))
                .collect()
        })
        .unwrap_or_default();
    let mut url = String::with_capacity(destination.invocation_endpoint.len());
    let mut values = path_values.iter().peekable();
    for c in destination.invocation_endpoint.chars() {
        match (c, values.next_if(|_| c == '*')) {
            (_, Some(v)) => url.extend(utf8_percent_encode(v, PATH_SEGMENT)),
            (c, None) => url.push(c),
        }
    }

    let map = |name: &str| -> Vec<(String, String)> {
        params
            .and_then(|p| p.get(name))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), resolve(v.as_str().unwrap_or_default(), event)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let config = connection.config();
    let invocation = config.invocation_parameters.unwrap_or_default();

    let mut query: Vec<(String, String)> = map("QueryStringParameters");
    for p in invocation.query_string() {
        query.retain(|(k, _)| *k != p.key);
        query.push((p.key.clone(), p.value.clone()));
    }
    append_query(
        &mut url,
        query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );

    let mut headers: Vec<(String, String)> = vec![
        ("User-Agent".into(), USER_AGENT.into()),
        (
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        ),
        ("Range".into(), "bytes=0-1048575".into()),
        ("Accept-Encoding".into(), "gzip,deflate".into()),
        ("Connection".into(), "close".into()),
    ];
    for (k, v) in map("HeaderParameters") {
        set_header(&mut headers, &k, &v);
    }
    for p in invocation.headers() {
        set_header(&mut headers, &p.key, &p.value);
    }
    match &config.auth {
        Auth::Basic { username, password } => set_header(
            &mut headers,
            "Authorization",
            &basic_authorization(username, password),
        ),
        Auth::ApiKey { name, value } => set_header(&mut headers, name, value),
        Auth::OAuth(_) => {} // the bearer token, per attempt
    }

    let mut body = payload.to_owned();
    if !invocation.body_parameters().is_empty() {
        if let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(payload) {
            for p in invocation.body_parameters() {
                object.insert(p.key.clone(), Value::String(p.value.clone()));
            }
            body = Value::Object(object).to_string();
        }
    }
    if matches!(destination.http_method.as_str(), "GET" | "HEAD") {
        body.clear();
    }
    ApiRequest {
        method: destination.http_method.clone(),
        url,
        headers,
        body,
    }
}

/// What an answer means for the invocation.
pub fn classify(response: &HttpResponse) -> Result<(), Failure> {
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    let quoted = String::from_utf8_lossy(&response.body);
    let quoted: String = quoted.chars().take(MAX_QUOTED_PAYLOAD).collect();
    // The wording AWS's dead-letter messages carry for an endpoint's error answer.
    let message = format!(
        "ApiDestination returned HTTP status {} with payload: {quoted}",
        response.status
    );
    let retriable = response.status == 429 || (500..600).contains(&response.status);
    if !retriable {
        return Err(Failure::permanent("SDK_CLIENT_ERROR", message));
    }
    let retry_after = response
        .headers
        .iter()
        .find(|(n, _)| n == "retry-after")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok());
    match retry_after {
        // "If Retry-After value is negative, EventBridge stops retrying delivery."
        Some(s) if s < 0 => Err(Failure::permanent("SDK_CLIENT_ERROR", message)),
        Some(s) => Err(Failure::retriable("SDK_CLIENT_ERROR", message)
            .with_retry_after_ms(s.unsigned_abs().saturating_mul(1000))),
        None => Err(Failure::retriable("SDK_CLIENT_ERROR", message)),
    }
}

fn transport_failure(error: &HttpError) -> Failure {
    match error {
        // Recorded AWS dead-letter attributes: ERROR_CODE UNKNOWN with this message.
        HttpError::Timeout => Failure::retriable(
            "UNKNOWN",
            "Unable to invoke ApiDestination endpoint: Timeout calling endpoint for API Destination: socket closed.",
        ),
        // Recorded AWS dead-letter attributes: SDK_CLIENT_ERROR with this message.
        HttpError::Connect(_) | HttpError::Other(_) => Failure::retriable(
            "SDK_CLIENT_ERROR",
            "Unable to invoke ApiDestination endpoint: API destination endpoint cannot be reached.",
        ),
        HttpError::InvalidUrl(_) => Failure::permanent(
            "SDK_CLIENT_ERROR",
            "Unable to invoke ApiDestination endpoint: API destination endpoint cannot be reached.",
        ),
    }
}

/// Carries out one invocation of an API destination target, retries included, and
/// dead-letters it if it fails for good. Runs in its own task.
pub(crate) async fn run(context: Arc<Context>, inv: Invocation, generation: u64) {
    let payload = match delivery::render(&inv) {
        Ok(Some(payload)) => payload,
        Ok(None) => return,
        Err(f) => {
            delivery::dead_letter(&context, &inv, &f, 0, None, generation);
            return;
        }
    };
    let refreshed = AtomicBool::new(false);
    let (s, i, p, r) = (&*context, &inv, payload.as_str(), &refreshed);
    let first = attempt(s, i, p, r, generation).await;
    delivery::settle(s, i, first, generation, move || {
        attempt(s, i, p, r, generation)
    })
    .await;
}

/// One attempt: waits for the destination's rate limit, then sends.
async fn attempt(
    context: &Context,
    inv: &Invocation,
    payload: &str,
    refreshed: &AtomicBool,
    generation: u64,
) -> Result<(), Failure> {
    if context.stale(generation, inv) {
        // Reset since the event was taken in: no call (and no dead letter, see dead_letter).
        return Err(Failure::permanent("NO_RESOURCE", "reset"));
    }
    let engine = &context.engine;
    let target_arn = &inv.target.arn;
    let destination = engine.api_destination_by_arn(target_arn).ok_or_else(|| {
        Failure::permanent(
            "NO_RESOURCE",
            format!("API destination {target_arn} does not exist."),
        )
    })?;
    let config = destination.config();
    let connection = engine
        .connection_by_arn(&config.connection_arn)
        .ok_or_else(|| {
            Failure::permanent(
                "NO_RESOURCE",
                format!("Connection {} does not exist.", config.connection_arn),
            )
        })?;
    let oauth = matches!(connection.config().auth, Auth::OAuth(_));
    match connection.state() {
        ConnectionState::Authorized => {}
        ConnectionState::Authorizing if oauth => {}
        state => return Err(not_authorized(&connection, state)),
    }
    let request = build_request(
        &config,
        &connection,
        &inv.target.description,
        inv.event.envelope(),
        payload,
    );
    let mut token = if oauth {
        Some(token_or_fail(
            context.api.authorizer.token(&connection).await,
            &connection,
        )?)
    } else {
        None
    };
    let throttle = context.api.throttle(&destination.arn);
    let clock = engine.clock().clone();
    loop {
        throttle
            .acquire(&*clock, config.invocation_rate_limit_per_second)
            .await;
        let mut headers = request.headers.clone();
        if let Some(t) = &token {
            set_header(
                &mut headers,
                "Authorization",
                &format!("Bearer {}", t.value),
            );
        }
        let response = context
            .api
            .client
            .send(
                &request.method,
                &request.url,
                &headers,
                Bytes::from(request.body.clone()),
                INVOCATION_TIMEOUT,
            )
            .await
            .map_err(|e| transport_failure(&e))?;
        // "OAUTH tokens are refreshed when a 401 or 407 response is returned": once per
        // invocation, then the answer counts.
        if let Some(stale) = &token {
            if matches!(response.status, 401 | 407) && !refreshed.swap(true, Ordering::SeqCst) {
                let fresh = context.api.authorizer.refresh(&connection, stale).await;
                token = Some(token_or_fail(fresh, &connection)?);
                continue;
            }
        } else if matches!(response.status, 401 | 407) {
            // "For connections using Basic or API Key authentication, EventBridge receives a
            // 401 (UnAuthorize) or 407 (Proxy_Authentication_required) error code": the
            // connection is de-authorized ("De-authorizing connections").
            connection.authorization_failed(
                connection.generation(),
                format!(
                    "The endpoint {} answered HTTP status {} to the connection's credentials.",
                    request.url, response.status
                ),
                clock.now_millis(),
            );
        }
        return classify(&response);
    }
}

fn token_or_fail(
    token: Result<AccessToken, crate::oauth::TokenError>,
    connection: &Connection,
) -> Result<AccessToken, Failure> {
    token.map_err(|reason| {
        Failure::permanent(
            "SDK_CLIENT_ERROR",
            format!(
                "Unable to invoke ApiDestination endpoint: the connection {} could not be authorized: {reason}",
                connection.arn
            ),
        )
    })
}

fn not_authorized(connection: &Connection, state: ConnectionState) -> Failure {
    // No AWS recording of this failure's code or text.
    Failure::permanent(
        "SDK_CLIENT_ERROR",
        format!(
            "Unable to invoke ApiDestination endpoint: the connection {} is {}, not AUTHORIZED.",
            connection.arn,
            state.as_str()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrybridge_engine::clock::ManualClock;
    use ferrybridge_engine::events::connection::{
        AuthInput, AuthorizationType, HttpParameters, NewConnection, Parameter,
    };
    use ferrybridge_engine::events::EventsEngine;
    use serde_json::json;

    fn param(key: &str, value: &str) -> Parameter {
        Parameter {
            key: key.into(),
            value: value.into(),
            is_value_secret: false,
        }
    }

    fn connection(e: &EventsEngine) -> Arc<Connection> {
        e.create_connection(
            "1",
            "r",
            NewConnection {
                name: "c".into(),
                description: None,
                authorization_type: AuthorizationType::ApiKey,
                auth: AuthInput {
                    api_key_name: Some("X-Key".into()),
                    api_key_value: Some("k".into()),
                    invocation_parameters: Some(HttpParameters {
                        header: Some(vec![param("X-Conn", "c")]),
                        query: Some(vec![param("q", "conn")]),
                        body: Some(vec![param("extra", "1")]),
                    }),
                    ..AuthInput::default()
                },
                kms_key_identifier: None,
            },
        )
        .expect("connection")
    }

    fn destination(endpoint: &str, method: &str) -> ApiDestinationConfig {
        ApiDestinationConfig {
            description: None,
            connection_arn: String::new(),
            invocation_endpoint: endpoint.into(),
            http_method: method.into(),
            invocation_rate_limit_per_second: 300,
        }
    }

    #[test]
    fn the_request_fills_wildcards_and_lets_the_connection_win() {
        let e = EventsEngine::new(Arc::new(ManualClock::default()));
        let c = connection(&e);
        let target = json!({"HttpParameters": {
            "PathParameterValues": ["a b", "$.detail.id"],
            "HeaderParameters": {"X-Conn": "target", "X-T": "$.source"},
            "QueryStringParameters": {"q": "target", "p": "1"}
        }});
        let event = json!({"source": "shop", "detail": {"id": 7}});
        let r = build_request(
            &destination("https://api.example/x/*/y/*?fixed=1", "POST"),
            &c,
            &target,
            &event,
            r#"{"a":1}"#,
        );
        assert_eq!(r.url, "https://api.example/x/a%20b/y/7?fixed=1&p=1&q=conn");
        let h = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(h("x-conn"), Some("c"));
        assert_eq!(h("x-t"), Some("shop"));
        assert_eq!(h("x-key"), Some("k"));
        assert_eq!(h("user-agent"), Some(USER_AGENT));
        assert_eq!(r.body, r#"{"a":1,"extra":"1"}"#);
        // A body that is not a JSON object is sent as it is; GET sends none.
        let r = build_request(
            &destination("https://h/", "PUT"),
            &c,
            &json!({}),
            &event,
            "text",
        );
        assert_eq!(r.body, "text");
        let r = build_request(
            &destination("https://h/", "GET"),
            &c,
            &json!({}),
            &event,
            "{}",
        );
        assert_eq!(r.body, "");
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Bytes::from_static(b"nope"),
        }
    }

    #[test]
    fn statuses_are_classified_as_aws_documents() {
        assert_eq!(classify(&response(200, &[])), Ok(()));
        assert_eq!(classify(&response(204, &[])), Ok(()));
        let bad = classify(&response(400, &[])).expect_err("fails");
        assert!(!bad.retriable);
        assert_eq!(bad.code, "SDK_CLIENT_ERROR");
        assert_eq!(
            bad.message,
            "ApiDestination returned HTTP status 400 with payload: nope"
        );
        assert!(!classify(&response(302, &[])).expect_err("fails").retriable);
        assert!(classify(&response(503, &[])).expect_err("fails").retriable);
        let slow = classify(&response(429, &[("retry-after", "7")])).expect_err("fails");
        assert!(slow.retriable);
        assert_eq!(slow.retry_after_ms, Some(7_000));
        assert!(
            !classify(&response(503, &[("retry-after", "-1")]))
                .expect_err("fails")
                .retriable,
            "a negative Retry-After stops the retries"
        );
        assert_eq!(transport_failure(&HttpError::Timeout).code, "UNKNOWN");
        assert!(transport_failure(&HttpError::Connect("refused".into())).retriable);
    }
}
