//! OAuth client credentials for connections: the token request to the connection's
//! `AuthorizationEndpoint`, the token cache, and its refresh.
//!
//! As EventBridge documents it ("Authorization methods for connections"): an
//! `OAUTH_CLIENT_CREDENTIALS` connection exchanges its client id and secret for an access
//! token, keeps it, refreshes it when it is about to expire and when an endpoint answers 401 or
//! 407. The request is made with the connection's `HttpMethod`, the client id and secret as
//! HTTP Basic credentials, and the `OAuthHttpParameters` (headers, query string, and body
//! parameters form-encoded). A `2xx` answer with an `access_token` authorizes the connection
//! (`expires_in`, in seconds, is honoured); anything else deauthorizes it with a `StateReason`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferrybridge_engine::events::connection::{
    AccessToken, Auth, Connection, ConnectionState, OAuthSettings,
};
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_http::{HttpClient, HttpError};

use crate::http_request::{append_query, basic_authorization, set_header, USER_AGENT};

/// How long the authorization endpoint may take (the API destination limit, 5 seconds).
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(5);

/// A token this close to its expiry is refreshed before use: "proactively during an HTTPS
/// invocation, if the token expires within 60 seconds" (only while events are being delivered,
/// never in the background).
pub const REFRESH_MARGIN_MS: u64 = 60_000;

/// Why no token could be had; its text is the connection's `StateReason` (AWS's wording is not
/// recorded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Failed to authorize the connection: the authorization endpoint could not be reached ({0}).")]
    Unreachable(HttpError),
    #[error(
        "Failed to authorize the connection: the authorization endpoint answered HTTP status {0}."
    )]
    Refused(u16),
    #[error("Failed to authorize the connection: the authorization endpoint's answer holds no access_token.")]
    NoToken,
    #[error("Failed to authorize the connection: it does not use OAuth.")]
    NotOAuth,
}

/// Fetches and caches connections' tokens. One per service; cheap to share.
#[derive(Debug)]
pub struct Authorizer {
    engine: Arc<EventsEngine>,
    client: HttpClient,
    /// One fetch at a time per connection ARN: callers that find no token wait for the fetch
    /// in progress instead of starting their own.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Authorizer {
    pub fn new(engine: Arc<EventsEngine>, client: HttpClient) -> Self {
        Authorizer {
            engine,
            client,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Starts authorizing an OAuth connection in the background (after `CreateConnection` or
    /// `UpdateConnection`). Does nothing for other connections, for one not waiting to be
    /// authorized (a de-authorized one given no new credentials), or outside a tokio runtime.
    pub fn authorize_in_background(self: &Arc<Self>, connection: Arc<Connection>) {
        if !matches!(connection.config().auth, Auth::OAuth(_))
            || connection.state() != ConnectionState::Authorizing
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            let _ = this.token(&connection).await;
        });
    }

    /// A valid token for `connection`: the cached one, or a new one fetched now. `Err` holds
    /// why none could be had (the connection is then deauthorized).
    pub async fn token(&self, connection: &Connection) -> Result<AccessToken, TokenError> {
        let now = self.engine.clock().now_millis();
        if let Some(token) = connection.valid_token(now + REFRESH_MARGIN_MS) {
            return Ok(token);
        }
        let lock = self.lock_for(&connection.arn);
        let _guard = lock.lock().await;
        // Someone may have fetched it while we waited.
        let now = self.engine.clock().now_millis();
        if let Some(token) = connection.valid_token(now + REFRESH_MARGIN_MS) {
            return Ok(token);
        }
        self.fetch_and_store(connection).await
    }

    /// A new token for `connection`, whose endpoint refused `stale` (401 or 407).
    pub async fn refresh(
        &self,
        connection: &Connection,
        stale: &AccessToken,
    ) -> Result<AccessToken, TokenError> {
        let lock = self.lock_for(&connection.arn);
        let _guard = lock.lock().await;
        let now = self.engine.clock().now_millis();
        match connection.valid_token(now) {
            // Already refreshed by another invocation.
            Some(current) if current != *stale => Ok(current),
            _ => {
                connection.forget_token(stale);
                self.fetch_and_store(connection).await
            }
        }
    }

    fn lock_for(&self, arn: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(arn.to_owned())
            .or_default()
            .clone()
    }

    async fn fetch_and_store(&self, connection: &Connection) -> Result<AccessToken, TokenError> {
        let generation = connection.generation();
        let Auth::OAuth(settings) = connection.config().auth else {
            return Err(TokenError::NotOAuth);
        };
        let clock = self.engine.clock();
        let result = fetch_token(&self.client, &settings, clock.now_millis()).await;
        let now = clock.now_millis();
        match result {
            Ok(token) => {
                connection.authorized(generation, token.clone(), now);
                Ok(token)
            }
            Err(error) => {
                connection.authorization_failed(generation, error.to_string(), now);
                Err(error)
            }
        }
    }
}

/// The token request of `settings`: method, URL (with the query string parameters), headers
/// and body.
pub fn token_request(settings: &OAuthSettings) -> (String, String, Vec<(String, String)>, String) {
    let params = settings.http_parameters.clone().unwrap_or_default();
    let mut url = settings.authorization_endpoint.clone();
    append_query(
        &mut url,
        params
            .query_string()
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str())),
    );
    let mut headers = vec![
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        (
            "Authorization".to_owned(),
            basic_authorization(&settings.client_id, &settings.client_secret),
        ),
    ];
    let mut body = String::new();
    if !params.body_parameters().is_empty() {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for p in params.body_parameters() {
            form.append_pair(&p.key, &p.value);
        }
        body = form.finish();
        headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ));
    }
    for p in params.headers() {
        set_header(&mut headers, &p.key, &p.value);
    }
    // AWS takes the method in any case (`put`); the request line carries it upper-case.
    (
        settings.http_method.to_ascii_uppercase(),
        url,
        headers,
        body,
    )
}

/// Requests a token as `settings` say.
pub async fn fetch_token(
    client: &HttpClient,
    settings: &OAuthSettings,
    now_ms: u64,
) -> Result<AccessToken, TokenError> {
    let (method, url, headers, body) = token_request(settings);
    let response = client
        .send(&method, &url, &headers, Bytes::from(body), TOKEN_TIMEOUT)
        .await
        .map_err(TokenError::Unreachable)?;
    if !(200..300).contains(&response.status) {
        return Err(TokenError::Refused(response.status));
    }
    parse_token(&response.body, now_ms).ok_or(TokenError::NoToken)
}

/// `{"access_token": "...", "expires_in": 3600, ...}` as a token valid from `now_ms`.
pub fn parse_token(body: &[u8], now_ms: u64) -> Option<AccessToken> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = value.get("access_token")?.as_str()?.to_owned();
    let expires_in = match value.get("expires_in") {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.parse::<f64>().ok(),
        _ => None,
    };
    Some(AccessToken {
        value: token,
        expires_at_ms: expires_in
            .filter(|s| *s > 0.0)
            .map(|s| now_ms + (s * 1000.0) as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrybridge_engine::events::connection::{HttpParameters, Parameter};

    fn settings() -> OAuthSettings {
        let p = |k: &str, v: &str| Parameter {
            key: k.into(),
            value: v.into(),
            is_value_secret: false,
        };
        OAuthSettings {
            client_id: "id".into(),
            client_secret: "s3cret".into(),
            authorization_endpoint: "http://127.0.0.1:1/token?x=1".into(),
            http_method: "POST".into(),
            http_parameters: Some(HttpParameters {
                header: Some(vec![p("X-Tenant", "t1")]),
                query: Some(vec![p("audience", "api one")]),
                body: Some(vec![
                    p("grant_type", "client_credentials"),
                    p("scope", "a b"),
                ]),
            }),
        }
    }

    /// AWS accepts `put` for the OAuth `HttpMethod` (issue 15); the request line is `PUT`.
    #[test]
    fn a_lower_case_method_is_sent_upper_case() {
        let mut s = settings();
        s.http_method = "put".into();
        assert_eq!(token_request(&s).0, "PUT");
    }

    #[test]
    fn the_token_request_carries_basic_credentials_and_the_oauth_parameters() {
        let (method, url, headers, body) = token_request(&settings());
        assert_eq!(method, "POST");
        assert_eq!(url, "http://127.0.0.1:1/token?x=1&audience=api+one");
        assert!(headers.contains(&("Authorization".into(), "Basic aWQ6czNjcmV0".into())));
        assert!(headers.contains(&("X-Tenant".into(), "t1".into())));
        assert!(headers.contains(&(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into()
        )));
        assert_eq!(body, "grant_type=client_credentials&scope=a+b");
    }

    #[test]
    fn tokens_honour_expires_in() {
        let t = parse_token(br#"{"access_token":"abc","expires_in":60}"#, 1000).expect("token");
        assert_eq!(t.value, "abc");
        assert_eq!(t.expires_at_ms, Some(61_000));
        let t = parse_token(br#"{"access_token":"abc"}"#, 1000).expect("token");
        assert_eq!(t.expires_at_ms, None);
        assert!(parse_token(br#"{"token":"abc"}"#, 0).is_none());
        assert!(parse_token(b"not json", 0).is_none());
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_a_state_reason() {
        let mut s = settings();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        s.authorization_endpoint = format!("http://{addr}/token");
        let error = fetch_token(&HttpClient::new(), &s, 0)
            .await
            .expect_err("no token");
        assert!(matches!(
            error,
            TokenError::Unreachable(HttpError::Connect(_))
        ));
        assert!(
            error.to_string().contains("could not be reached"),
            "{error}"
        );
    }
}
