//! One request: decode it, find who the caller is, hand it to its service, encode the answer.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use ferrybridge_engine::sts::Identity;
use ferrybridge_protocol::sigv4;
use ferrybridge_protocol::{
    DecodedRequest, EncodedResponse, HttpRequest, RequestContext, ServiceError, ServiceName,
    WireProtocol,
};
use futures_util::FutureExt;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use crate::admin_common::json_response;
use crate::app::App;

/// Largest request body we read: a 1 MiB SQS message, base64-encoded binary attributes and
/// form encoding can exceed 1 MiB on the wire, so leave generous room. Larger bodies get an
/// AWS-shaped `413 RequestEntityTooLarge` (see `crate::edges`).
pub(crate) const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// `X-Amzn-Trace-Id` (a constant: a `&str` name is parsed on every lookup).
const X_AMZN_TRACE_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-trace-id");

impl App {
    /// Answer one HTTP request. Never fails: every problem becomes an AWS-shaped error, and a
    /// panic in a handler becomes a 500 InternalFailure instead of a dropped connection.
    pub(crate) async fn serve(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let request_id = uuid::Uuid::new_v4().to_string();

        let path = parts.uri.path();
        let is_admin = path.starts_with("/_ferrybridge/")
            || path.starts_with("/_localstack/")
            || path.starts_with("/moto-api/");
        // Browser safety first: nothing of a refused request is read or acted on.
        let authority = parts.uri.authority().map(|a| a.as_str());
        let cors_origin = match self.guard.check_with_authority(&parts.headers, authority) {
            Ok(origin) => origin,
            Err(refusal) => {
                tracing::warn!(%peer, method = %parts.method, path, reason = %refusal.message(), "request refused");
                if is_admin {
                    return crate::browser_guard::admin_browser_refusal(&refusal);
                }
                let error = ServiceError::new("AccessDenied", refusal.message());
                return into_response(self.edge_error(&parts, 403, &error, &request_id));
            }
        };
        if let Some(origin) = &cors_origin {
            if parts.method == hyper::Method::OPTIONS
                && parts
                    .headers
                    .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
            {
                return self.guard.preflight(origin.clone());
            }
        }
        let mut response = self
            .serve_checked(parts, body, peer, started, &request_id, is_admin)
            .await;
        if let Some(origin) = cors_origin {
            crate::browser_guard::add_cors(response.headers_mut(), origin);
        }
        response
    }

    /// [`App::serve`] once the browser checks passed.
    async fn serve_checked(
        &self,
        parts: http::request::Parts,
        body: Incoming,
        peer: SocketAddr,
        started: Instant,
        request_id: &str,
        is_admin: bool,
    ) -> Response<Full<Bytes>> {
        let path = parts.uri.path();
        if is_admin {
            let access = self
                .guard
                .admin_check(parts.method.as_str(), path, &parts.headers);
            if access != crate::browser_guard::AdminAccess::Allowed {
                tracing::warn!(%peer, method = %parts.method, path, "admin request without the admin token refused");
                return crate::browser_guard::admin_refusal(access);
            }
            if path == STATE_IMPORT && parts.method == http::Method::POST {
                // The state document (up to 256 MiB: it may hold messages).
                let body = match crate::edges::read_body(&parts, body, 256 << 20).await {
                    Ok(body) => body,
                    Err((status, error)) => {
                        return json_response(
                            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                            &serde_json::json!({"error": error.code, "message": error.message}),
                        )
                    }
                };
                // Boxed, as the admin calls below: rare paths whose futures would otherwise
                // make every request's future as large as theirs.
                return Box::pin(self.admin_state_import(&body)).await;
            }
            return Box::pin(self.admin(parts.method.as_str(), path, parts.uri.query())).await;
        }

        let body = match crate::edges::read_body(&parts, body, MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err((status, error)) => {
                return into_response(self.edge_error(&parts, status, &error, request_id))
            }
        };
        let body =
            match self
                .auth
                .unchunk(&parts.headers, parts.uri.query(), &body, self.sts.engine())
            {
                Ok(None) => body,
                Ok(Some(decoded)) => Bytes::from(decoded),
                Err((service, error)) => {
                    let err = ferrybridge_protocol::DecodeError {
                        service,
                        protocol: None,
                        error,
                    };
                    return into_response(self.codec.encode_decode_error(&err, request_id));
                }
            };
        let http_request = HttpRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &body,
        };
        let host = match &self.config.public_host {
            Some(public) => public.clone(),
            None => parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{}:{}", self.config.host, self.config.port)),
        };

        let trace_header = parts
            .headers
            .get(X_AMZN_TRACE_ID)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty())
            .map(str::to_owned);
        let (encoded, operation) = match self.codec.decode(&http_request) {
            Ok(decoded) => match self.auth.check(&decoded, &http_request, self.sts.engine()) {
                Ok(()) => {
                    let operation = decoded.operation.clone();
                    let encoded = self.call(decoded, host, trace_header, request_id).await;
                    (encoded, operation)
                }
                Err(err) => (
                    self.codec
                        .encode_error(decoded.service, decoded.protocol, &err, request_id),
                    decoded.operation,
                ),
            },
            Err(err) => (
                self.codec.encode_decode_error(&err, request_id),
                String::from("-"),
            ),
        };
        tracing::debug!(
            %peer,
            method = %parts.method,
            path = parts.uri.path(),
            operation = %operation,
            status = encoded.status,
            micros = started.elapsed().as_micros() as u64,
            request_id = %request_id,
            "request"
        );
        let mut response = into_response(encoded);
        (response.headers_mut()).insert(http::header::DATE, self.auth.http_date());
        response
    }

    /// An AWS-shaped error with `status` for a request refused before its body was decoded:
    /// in the protocol (and for the service) its headers, path and query show (SigV4
    /// credential scope, `X-Amz-Target`, `Content-Type`, `Action` in the query), else a
    /// Query-style XML `ErrorResponse`.
    fn edge_error(
        &self,
        parts: &http::request::Parts,
        status: u16,
        error: &ServiceError,
        request_id: &str,
    ) -> EncodedResponse {
        let probe = HttpRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &[],
        };
        let (service, protocol) = match self.codec.decode(&probe) {
            Ok(decoded) => (Some(decoded.service), Some(decoded.protocol)),
            Err(err) => (err.service, err.protocol),
        };
        let mut encoded = match (service, protocol) {
            (Some(service), Some(protocol)) => {
                let mut error = error.clone();
                if error.code == "AccessDenied" {
                    // Each service's name for "not allowed": SQS's AccessDenied (its Query
                    // code, which boto3 also reports over JSON through x-amzn-query-error),
                    // SNS's AuthorizationError, the JSON services' AccessDeniedException.
                    error.code = match (service, protocol) {
                        (ServiceName::Sns, _) => "AuthorizationError".into(),
                        (ServiceName::Sqs, _)
                        | (_, WireProtocol::AwsQuery | WireProtocol::AwsQueryJson) => {
                            "AccessDenied".into()
                        }
                        _ => "AccessDeniedException".into(),
                    };
                }
                self.codec
                    .encode_error(service, protocol, &error, request_id)
            }
            _ => self.codec.encode_decode_error(
                &ferrybridge_protocol::DecodeError {
                    service,
                    protocol,
                    error: error.clone(),
                },
                request_id,
            ),
        };
        encoded.status = status;
        encoded
    }

    async fn call(
        &self,
        decoded: DecodedRequest,
        host: String,
        trace_header: Option<String>,
        request_id: &str,
    ) -> EncodedResponse {
        let (service, protocol) = (decoded.service, decoded.protocol);
        if let Some(err) = crate::app::disabled(self.enabled.as_deref(), service.signing_name()) {
            return self.codec.encode_error(service, protocol, &err, request_id);
        }
        let (ctx, caller) = match self.context(&decoded, host, trace_header, request_id) {
            Ok(found) => found,
            Err(err) => return self.codec.encode_error(service, protocol, &err, request_id),
        };
        let authenticated = decoded.auth.is_some();
        let operation = decoded.operation;
        let input = decoded.input;
        let (result, ticket) = ferrybridge_engine::persist::scope(
            // Each service's future is boxed: its size is that of its largest operation, and
            // without the box it would be inlined into every future up to hyper's connection
            // task, which moves the request future by value (43 KB copied twice per request
            // before this box: +40% instructions per request, scripts/bench-instructions).
            std::panic::AssertUnwindSafe(async {
                match service {
                    ServiceName::Sqs => Box::pin(self.sqs.handle(&ctx, &operation, input)).await,
                    ServiceName::Sns => {
                        let result =
                            Box::pin(self.sns.call(&ctx, &operation, input, authenticated)).await;
                        // `--data-dir`: an image of the SNS state after each change (the
                        // ticket makes the answer wait for it).
                        if result.is_ok() && self.journal.is_some() && sns_changes(&operation) {
                            self.sns.engine().journal_state();
                        }
                        result
                    }
                    ServiceName::Events => {
                        let result = Box::pin(self.events.call(&ctx, &operation, input)).await;
                        // `--data-dir`: an image of the buses, rules and targets after each
                        // change (the ticket makes the answer wait for it).
                        if result.is_ok() && self.journal.is_some() && events_changes(&operation) {
                            self.events.engine().journal_state();
                        }
                        result
                    }
                    ServiceName::Sts => self.sts.handle(&ctx, &caller, &operation, input),
                }
            })
            .catch_unwind(),
        )
        .await;
        let mut result = result.unwrap_or_else(|_| {
            Err(ServiceError::new(
                "InternalFailure",
                "The request processing has failed because of an unknown error, exception or failure.",
            ))
        });
        // `--data-dir`: what this request changed is durable before it is acknowledged.
        if let (Some(journal), true) = (&self.journal, ticket > 0) {
            if let Err(e) = journal.wait_durable(ticket).await {
                tracing::error!(error = %e, "state change not durable");
                result = Err(ServiceError::new(
                    "InternalFailure",
                    "The request processing has failed because of an unknown error, exception or failure.",
                ));
            }
        }
        match result {
            Ok(output) => self
                .codec
                .encode_output(service, protocol, &operation, &output, request_id),
            Err(err) => self.codec.encode_error(service, protocol, &err, request_id),
        }
    }

    /// The caller's identity and account come from the SigV4 access key (the account rule of
    /// `StsEngine::identity`: keys STS issued, 12-digit keys, else the default account), the
    /// region from the credential scope; unsigned requests are refused as AWS does unless
    /// configured, or the operation is one SDKs send unsigned (STS AssumeRoleWithWebIdentity
    /// and AssumeRoleWithSAML).
    fn context(
        &self,
        decoded: &DecodedRequest,
        host: String,
        trace_header: Option<String>,
        request_id: &str,
    ) -> Result<(RequestContext, Identity), ServiceError> {
        let default_account = &self.config.default_account_id;
        let (caller, region) = match &decoded.auth {
            Some(creds) => (
                self.auth
                    .identity(&creds.access_key_id, self.sts.engine(), default_account),
                creds.region.clone(),
            ),
            None if self.config.allow_unsigned
                || self
                    .codec
                    .allows_unsigned(decoded.service, &decoded.operation) =>
            {
                (
                    Identity::root(default_account),
                    self.config.default_region.clone(),
                )
            }
            // The SubscribeURL and UnsubscribeURL of SNS messages work without credentials,
            // as AWS's do: they act in the account and region of the ARN they carry.
            None => match crate::sns_admin::unsigned_sns_link(decoded) {
                Some((account, region)) => (Identity::root(&account), region),
                None => return Err(sigv4::missing_token_error()),
            },
        };
        let ctx = RequestContext {
            account_id: caller.account_id.clone(),
            region,
            host,
            request_id: request_id.to_owned(),
            caller_arn: caller.arn.clone(),
            trace_header,
        };
        Ok((ctx, caller))
    }

    /// An admin call. With `--data-dir`, what it changed (a reset, a managed rule, an SMS
    /// opt-out) is journaled and durable before it answers, as for AWS requests.
    async fn admin(&self, method: &str, path: &str, query: Option<&str>) -> Response<Full<Bytes>> {
        if path == STATE_EXPORT && method == "GET" {
            return self.admin_state_export(query).await;
        }
        if path == STATE_EXPORT || path == STATE_IMPORT {
            let allowed = if path == STATE_EXPORT { "GET" } else { "POST" };
            let mut response = json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &serde_json::json!({"error": "MethodNotAllowed", "message": format!("{method} {path}: use {allowed}")}),
            );
            response
                .headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static(allowed));
            return response;
        }
        let (response, ticket) = ferrybridge_engine::persist::scope(async {
            let response = self.admin_call(method, path, query);
            if self.journal.is_some() && method == "POST" && response.status().is_success() {
                // The engines journal their resets themselves; these change state otherwise.
                if path.starts_with("/_ferrybridge/sns/") {
                    self.sns.engine().journal_state();
                } else if path.starts_with("/_ferrybridge/events/") {
                    self.events.engine().journal_state();
                }
            }
            response
        })
        .await;
        if let (Some(journal), true) = (&self.journal, ticket > 0) {
            if let Err(e) = journal.wait_durable(ticket).await {
                tracing::error!(error = %e, "admin state change not durable");
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"error": "InternalFailure", "message": "the change could not be made durable"}),
                );
            }
        }
        response
    }

    /// `POST /_ferrybridge/state/import`: a state document (see `crate::state`), validated
    /// first, applied, journaled and durable before the answer.
    async fn admin_state_import(&self, body: &[u8]) -> Response<Full<Bytes>> {
        let doc: serde_json::Value = match serde_json::from_slice(body) {
            Ok(doc) => doc,
            Err(e) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"error": "InvalidStateDocument", "message": e.to_string()}),
                )
            }
        };
        let (result, ticket) = ferrybridge_engine::persist::scope(crate::state::apply(
            &self.sqs_engine,
            &self.sns,
            &self.events,
            &doc,
        ))
        .await;
        if let (Some(journal), true) = (&self.journal, ticket > 0) {
            if let Err(e) = journal.wait_durable(ticket).await {
                tracing::error!(error = %e, "state import not durable");
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"error": "InternalFailure", "message": "the import could not be made durable"}),
                );
            }
        }
        match result {
            Ok(done) => json_response(StatusCode::OK, &done),
            Err(message) => json_response(
                StatusCode::BAD_REQUEST,
                &serde_json::json!({"error": "InvalidStateDocument", "message": message}),
            ),
        }
    }

    /// `GET /_ferrybridge/state/export[?account=..&region=..&messages=false&redactSecrets=true]`.
    async fn admin_state_export(&self, query: Option<&str>) -> Response<Full<Bytes>> {
        let params = crate::admin_common::query_params(query);
        let param = |name| crate::admin_common::param(&params, name).filter(|v| !v.is_empty());
        let messages = param("messages") != Some("false");
        let redact = param("redactSecrets") == Some("true");
        match crate::state::document(
            &self.sqs_engine,
            &self.sns,
            &self.events,
            param("account"),
            param("region"),
            messages,
        )
        .await
        {
            Ok(mut doc) => {
                if redact {
                    crate::state::redact_secrets(&mut doc);
                }
                json_response(StatusCode::OK, &doc)
            }
            Err(message) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &serde_json::json!({"error": "InternalFailure", "message": message}),
            ),
        }
    }

    fn admin_call(&self, method: &str, path: &str, query: Option<&str>) -> Response<Full<Bytes>> {
        if let Some(rest) = path.strip_prefix("/_ferrybridge/sns/") {
            return crate::sns_admin::handle(&self.sns, method, rest, query);
        }
        if let Some(rest) = path.strip_prefix("/_ferrybridge/events/") {
            return crate::events_admin::handle(
                &self.events,
                method,
                rest,
                query,
                (&self.config.default_account_id, &self.config.default_region),
            );
        }
        crate::admin::handle(self, method, path, query)
    }
}

/// The admin endpoints of the state document (they need the admin token).
const STATE_EXPORT: &str = "/_ferrybridge/state/export";
const STATE_IMPORT: &str = "/_ferrybridge/state/import";

/// Whether a successful SNS operation may have changed SNS state (everything but reads and
/// publishing, whose messages are not SNS state).
fn sns_changes(operation: &str) -> bool {
    !(operation.starts_with("Get")
        || operation.starts_with("List")
        || operation.starts_with("Check")
        || operation == "Publish"
        || operation == "PublishBatch")
}

/// Whether a successful EventBridge operation may have changed buses, rules or targets.
fn events_changes(operation: &str) -> bool {
    !(operation.starts_with("Describe")
        || operation.starts_with("List")
        || operation.starts_with("Test")
        || operation == "PutEvents"
        || operation == "PutPartnerEvents")
}

fn into_response(encoded: EncodedResponse) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(encoded.body));
    *response.status_mut() =
        StatusCode::from_u16(encoded.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in encoded.headers {
        headers.append(name, value);
    }
    response
}
